/**
 * The first hour as a real process: a first start on a busy port makes no secret; the next
 * start makes both and prints them once on stderr (not in the JSON log on stdout); tokens and
 * the bootstrap credential made by the CLI work on the RUNNING server; `flotilla demo` runs.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BOOTSTRAP_FILE } from '../../src/acs/bootstrap-credential.js';
import { buildEnvelope } from '../../src/cwmp/codec.js';
import { createSqliteStore } from '../../src/store/sqlite/index.js';
import { informBody } from '../helpers/scripted-cpe.js';

const main = resolve(__dirname, '../../dist/src/cli/main.js');

let dir: string;
const children: ChildProcess[] = [];
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'flotilla-ops-'));
});
afterEach(async () => {
  for (const c of children.splice(0)) c.kill('SIGKILL');
  await rm(dir, { recursive: true, force: true });
});

interface Running {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  api: string;
  cwmp: string;
}

function serve(args: string[] = []): Promise<Running> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [main, 'serve', '--host', '127.0.0.1', '--cwmp-port', '0', '--api-port', '0', '--no-stun', '--data-dir', dir, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, FLOTILLA_ADMIN_TOKEN: '' },
    });
    children.push(child);
    let out = '';
    let err = '';
    const timer = setTimeout(() => fail(new Error(`serve did not start:\n${out}\n${err}`)), 30_000);
    const check = (): void => {
      const api = /"api":"([^"]+)"/.exec(out)?.[1];
      const cwmp = /"cwmp":"([^"]+)"/.exec(out)?.[1];
      if (api !== undefined && cwmp !== undefined && err.includes('Flotilla is up')) {
        clearTimeout(timer);
        done({ child, stdout: () => out, stderr: () => err, api, cwmp });
      }
    };
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      check();
    });
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      check();
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      fail(new Error(`serve exited with ${code}:\n${out}\n${err}`));
    });
  });
}

function cli(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [main, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

let serial = 0;
/** One whole session (Inform, then the empty POST that ends it); the Inform's status. */
async function inform(cwmp: string, user: string, password: string): Promise<number> {
  const body = buildEnvelope({ namespace: 'urn:dslforum-org:cwmp-1-0', header: { id: '1' }, body: informBody({ serial: `OPS${++serial}` }) });
  const r = await fetch(cwmp, {
    method: 'POST',
    headers: { 'content-type': 'text/xml', authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` },
    body,
  });
  await r.arrayBuffer();
  const cookie = r.headers.get('set-cookie')?.split(';')[0];
  if (r.status === 200 && cookie !== undefined) await (await fetch(cwmp, { method: 'POST', headers: { cookie }, body: '' })).arrayBuffer();
  return r.status;
}

describe.skipIf(!existsSync(main))('flotilla serve: secrets', () => {
  it('a first start on a busy port leaves no secret; the next start makes both and prints them once, on stderr', async () => {
    const busy = net.createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', () => r()));
    const port = (busy.address() as net.AddressInfo).port;
    const failed = spawnSync(process.execPath, [main, 'serve', '--host', '127.0.0.1', '--cwmp-port', '0', '--api-port', String(port), '--no-stun', '--data-dir', dir], {
      encoding: 'utf8',
      timeout: 60_000,
      env: { ...process.env, FLOTILLA_ADMIN_TOKEN: '' },
    });
    busy.close();
    expect(failed.status).not.toBe(0);
    expect(`${failed.stdout}${failed.stderr}`).toMatch(/EADDRINUSE/);
    expect(`${failed.stdout}${failed.stderr}`).not.toMatch(/password:|flt_/);
    expect(existsSync(join(dir, BOOTSTRAP_FILE))).toBe(false);
    const store = await createSqliteStore({ dataDir: dir });
    expect(await store.listApiTokens()).toEqual([]);
    await store.close();

    const first = await serve();
    const password = /password: (\S+)/.exec(first.stderr())?.[1];
    const token = /admin API token[^\n]*\n\s+(flt_\S+)/.exec(first.stderr())?.[1];
    expect(password).toBeDefined();
    expect(token).toBeDefined();
    // Outside the JSON log stream, and saying where to make new ones.
    expect(first.stdout()).not.toContain(password!);
    expect(first.stdout()).not.toContain(token!);
    expect(first.stderr()).toContain('flotilla credentials reset');
    expect(first.stderr()).toContain('flotilla token create');
    expect(first.stderr()).toMatch(/console\s+http:\/\/127\.0\.0\.1:\d+\//);
    expect(first.stderr()).toMatch(/store\s+sqlite:/);
    expect((await fetch(`${first.api}/devices`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
    first.child.kill('SIGKILL');

    const second = await serve();
    expect(second.stderr()).not.toMatch(/password:|flt_/);
  });

  it('token create and credentials reset work on the running server', async () => {
    const s = await serve(['--allow-basic-over-http']);
    const ro = cli(['token', 'create', '--role', 'read-only', '--name', 'dashboards', '--data-dir', dir]);
    expect(ro.status).toBe(0);
    const token = ro.stdout.trim();
    expect(token).toMatch(/^flt_[A-Za-z0-9_-]{43}$/);
    expect(ro.stderr).toContain('dashboards');
    expect((await fetch(`${s.api}/devices`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
    // read-only: no tokens page
    expect((await fetch(`${s.api}/tokens`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(403);
    expect(cli(['token', 'list', '--data-dir', dir]).stdout).toContain('dashboards');
    expect(cli(['token', 'create', '--role', 'root', '--data-dir', dir]).status).not.toBe(0);
    // --capability provision: an operator token that may change policies; plain operators read them.
    const prov = cli(['token', 'create', '--role', 'operator', '--capability', 'provision', '--name', 'provisioner', '--data-dir', dir]);
    expect(prov.status, prov.stderr).toBe(0);
    expect(prov.stderr).toContain('operator token with provision');
    const plain = cli(['token', 'create', '--role', 'operator', '--name', 'plain operator', '--data-dir', dir]).stdout.trim();
    const policy = JSON.stringify({ name: 'ntp', declarations: [{ path: 'Device.Time.NTPServer1', value: 'ntp.example' }] });
    const post = (t: string): Promise<Response> => fetch(`${s.api}/policies`, { method: 'POST', headers: { authorization: `Bearer ${t}`, 'content-type': 'application/json' }, body: policy });
    expect((await post(prov.stdout.trim())).status).toBe(201);
    expect((await post(plain)).status).toBe(403);
    expect((await fetch(`${s.api}/policies`, { headers: { authorization: `Bearer ${plain}` } })).status).toBe(200);
    expect(cli(['token', 'list', '--data-dir', dir]).stdout).toMatch(/provisioner \[provision\]/);
    // Refused: an unknown capability, a capability on a read-only token.
    expect(cli(['token', 'create', '--role', 'operator', '--capability', 'root', '--data-dir', dir]).status).not.toBe(0);
    expect(cli(['token', 'create', '--role', 'read-only', '--capability', 'provision', '--data-dir', dir]).status).not.toBe(0);

    const old = /password: (\S+)/.exec(s.stderr())![1]!;
    expect(await inform(s.cwmp, 'cpe-bootstrap', old)).toBe(200);
    const reset = cli(['credentials', 'reset', '--data-dir', dir]);
    expect(reset.status).toBe(0);
    const fresh = /password: (\S+)/.exec(reset.stdout)![1]!;
    expect(fresh).not.toBe(old);
    // The running ACS reads the new file when a CPE fails with what it had in memory.
    expect(await inform(s.cwmp, 'cpe-bootstrap', fresh)).toBe(200);
    expect(await inform(s.cwmp, 'cpe-bootstrap', old)).toBe(401);
  }, 180_000); // a dozen CLI processes, each a cold Node start: slow on a loaded machine, not a hang
});

describe.skipIf(!existsSync(main))('flotilla demo', () => {
  it('has help, and runs a mixed fleet on a temporary store with a token that works', async () => {
    const help = cli(['demo', '--help']);
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/TR-098/);
    const child = spawn(process.execPath, [main, 'demo', '--api-port', '0', '--devices', '4', '--duration', '60'], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let out = '';
    let err = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    const deadline = Date.now() + 30_000;
    while (!(/flt_\S+/.test(out) && /console\s+(\S+)/.test(err)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    const token = /flt_\S+/.exec(out)![0];
    const consoleUrl = /console\s+(\S+)/.exec(err)![1]!;
    let total = 0;
    let kinds: string[] = [];
    while (total < 4 && Date.now() < deadline + 30_000) {
      const r = (await (await fetch(`${consoleUrl}api/v1/devices?fields=id,deviceId`, { headers: { authorization: `Bearer ${token}` } })).json()) as {
        total: number;
        devices: { deviceId: { productClass: string } }[];
      };
      total = r.total;
      kinds = [...new Set(r.devices.map((d) => d.deviceId.productClass))];
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(total).toBe(4);
    expect(kinds.length).toBe(2);
    const dataDir = /data\s+(\S+)/.exec(err)![1]!;
    expect(existsSync(dataDir)).toBe(true);
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(existsSync(dataDir)).toBe(false);
  });
});
