/**
 * HTTPS on the CWMP port (Basic accepted there) and `flotilla serve` as a real process:
 * flags from the environment, the bootstrap credential printed once.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startAcs, type AcsServer } from '../../src/acs/server.js';
import { buildEnvelope } from '../../src/cwmp/codec.js';
import { informBody } from '../helpers/scripted-cpe.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'flotilla-tls-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function selfSigned(): { cert: string; key: string } {
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1'], {
    stdio: 'ignore',
  });
  return { cert, key };
}

function postTls(url: string, body: string, headers: Record<string, string>): Promise<{ status: number; text: string; cookie?: string }> {
  return new Promise((done, fail) => {
    const req = request(url, { method: 'POST', rejectUnauthorized: false, headers: { 'Content-Type': 'text/xml', ...headers } }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => {
        const cookie = res.headers['set-cookie']?.[0]?.split(';')[0];
        done({ status: res.statusCode ?? 0, text, ...(cookie ? { cookie } : {}) });
      });
    });
    req.on('error', fail);
    req.end(body);
  });
}

describe('HTTPS endpoint', () => {
  let acs: AcsServer | undefined;
  afterEach(async () => {
    await acs?.close();
    acs = undefined;
  });

  it('serves CWMP over TLS and accepts Basic there', async () => {
    const { cert, key } = selfSigned();
    acs = await startAcs({ dataDir: dir, host: '127.0.0.1', cwmpPort: 0, tlsCert: cert, tlsKey: key, cpeCredentials: { username: 'u', password: 'p' }, discoverOnBootstrap: false, perDeviceCredentials: false });
    expect(acs.cwmpUrl).toMatch(/^https:\/\//);
    const inform = buildEnvelope({ namespace: 'urn:dslforum-org:cwmp-1-0', header: { id: '1' }, body: informBody() });
    const denied = await postTls(acs.cwmpUrl, inform, { Authorization: `Basic ${Buffer.from('u:wrong').toString('base64')}` });
    expect(denied.status).toBe(401);
    const ok = await postTls(acs.cwmpUrl, inform, { Authorization: `Basic ${Buffer.from('u:p').toString('base64')}` });
    expect(ok.status).toBe(200);
    expect(ok.text).toContain('InformResponse');
    expect(ok.cookie).toBeDefined();
    const end = await postTls(acs.cwmpUrl, '', { Cookie: ok.cookie ?? '' });
    expect(end.status).toBe(204);
    expect((await acs.store.listDevices()).total).toBe(1);
  });
});

const main = resolve(__dirname, '../../dist/src/cli/main.js');
describe.skipIf(!existsSync(main))('flotilla serve (process)', () => {
  let child: ChildProcess | undefined;
  afterEach(() => {
    child?.kill('SIGKILL');
    child = undefined;
  });

  function serve(env: Record<string, string>): Promise<{ output: string; url: string }> {
    return new Promise((done, fail) => {
      child = spawn(process.execPath, [main, 'serve'], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      const timer = setTimeout(() => fail(new Error(`serve did not start:\n${output}`)), 30_000);
      const onData = (d: Buffer): void => {
        output += d.toString();
        // stdout (the JSON log) and stderr (secrets, then "Flotilla is up.") are separate pipes:
        // wait for both, or the secrets may not have arrived yet.
        const m = /"cwmp":"([^"]+)"/.exec(output);
        if (m?.[1] && output.includes('Flotilla is up.')) {
          clearTimeout(timer);
          done({ output, url: m[1] });
        }
      };
      child.stdout?.on('data', onData);
      child.stderr?.on('data', onData);
      child.once('exit', (code) => fail(new Error(`serve exited with ${code}:\n${output}`)));
    });
  }

  it('reads flags from FLOTILLA_* and prints a generated credential only on the first start', async () => {
    const env = { FLOTILLA_CWMP_PORT: '0', FLOTILLA_API_PORT: '0', FLOTILLA_HOST: '127.0.0.1', FLOTILLA_DATA_DIR: dir };
    const first = await serve(env);
    expect(first.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const password = /password: (\S+)/.exec(first.output)?.[1];
    expect(password?.length).toBeGreaterThan(16);
    // The first admin API token too, once.
    const token = /admin API token[^\n]*\n\s+(flt_\S+)/.exec(first.output)?.[1];
    expect(token?.length).toBeGreaterThan(40);
    const api = /"api":"([^"]+)"/.exec(first.output)?.[1];
    expect((await fetch(`${api}/devices`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
    expect((await fetch(`${api}/devices`)).status).toBe(401);
    child?.kill('SIGKILL');
    const second = await serve(env);
    expect(second.output).not.toContain(password ?? '???');
    expect(second.output).not.toMatch(/password:/);
    expect(second.output).not.toContain(token ?? '???');
  });

  function serveFails(args: string[]): string {
    try {
      execFileSync(process.execPath, [main, 'serve', ...args], {
        stdio: 'pipe',
        timeout: 30_000,
        env: { ...process.env, FLOTILLA_DATA_DIR: dir, FLOTILLA_CWMP_PORT: '0', FLOTILLA_API_PORT: '0' },
      });
    } catch (e) {
      const err = e as { stderr?: Buffer; stdout?: Buffer; status?: number };
      expect(err.status).not.toBe(0);
      return `${String(err.stdout)}${String(err.stderr)}`;
    }
    throw new Error('serve should have failed');
  }

  it('refuses a store URL it cannot serve, with a clear message and no password in it', () => {
    const unknown = serveFails(['--db', 'mysql://user:secret@127.0.0.1/x']);
    expect(unknown).toMatch(/not supported/);
    expect(unknown).not.toContain('secret');
    // Port 1 on loopback: nothing listens, so the connection is refused at once.
    const unreachable = serveFails(['--db', 'postgres://user:secret@127.0.0.1:1/x']);
    expect(unreachable).toMatch(/ECONNREFUSED|connect/i);
    expect(unreachable).not.toContain('secret');
  });
});
