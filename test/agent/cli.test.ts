/**
 * `flotilla agent` as a process with a --config file, against an ACS on HTTPS that wants
 * credentials: the file's password gets it in, the file's CA verifies the ACS, and neither
 * secret shows in the output. A config file others can read is refused; without the CA the
 * agent does not talk to the ACS at all.
 */
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAcs, type AcsServer } from '../../src/acs/server.js';
import { Agent } from '../../src/cpe/agent/agent.js';
import type { SessionReport } from '../../src/cpe/client/runtime.js';
import { until } from '../nbi/helpers.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const main = path.join(repoRoot, 'dist/src/cli/main.js');
const PASSWORD = 'acs-password-7f3a9c';

let dir: string;
let acs: AcsServer;
let cert: string;

function run(args: string[], until_: (out: string) => boolean, ms = 20_000): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [main, 'agent', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const check = (d: Buffer): void => {
      out += d.toString();
      if (until_(out)) child.kill('SIGTERM');
    };
    child.stdout.on('data', check);
    child.stderr.on('data', check);
    const timer = setTimeout(() => child.kill('SIGKILL'), ms);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'flotilla-agent-cli-'));
  cert = path.join(dir, 'cert.pem');
  const key = path.join(dir, 'key.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
  acs = await startAcs({ dataDir: dir, host: '127.0.0.1', cwmpPort: 0, tlsCert: cert, tlsKey: key, cpeCredentials: { username: 'cpe', password: PASSWORD }, discoverOnBootstrap: false });
});

afterAll(async () => {
  await acs?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!existsSync(main))('flotilla agent (process)', () => {
  it('takes its settings from a 0600 config file, verifies the ACS with its CA, and logs no secret', async () => {
    const file = path.join(dir, 'agent.json');
    writeFileSync(file, JSON.stringify({ acs: acs.cwmpUrl, username: 'cpe', password: PASSWORD, caFile: cert, serial: 'CLI-CFG', crPassword: 'cr-pw-55aa', connectionRequestHost: '127.0.0.1', connectionRequestPort: 0, stateDir: path.join(dir, 'state') }), { mode: 0o600 });
    const r = await run(['--config', file], (out) => out.includes('session done'));
    expect(r.out).toContain('session done');
    expect(r.code).toBe(0);
    expect(r.out).not.toContain(PASSWORD);
    expect(r.out).not.toContain('cr-pw-55aa');
    const devices = await acs.store.listDevices();
    expect(devices.devices.map((d) => d.deviceId.serialNumber)).toContain('CLI-CFG');
  });

  it('refuses a config file that others can read, and a bad ACS URL', async () => {
    const file = path.join(dir, 'open.json');
    writeFileSync(file, JSON.stringify({ acs: acs.cwmpUrl }));
    chmodSync(file, 0o644);
    const open = await run(['--config', file], () => false);
    expect(open.code).not.toBe(0);
    expect(open.out).toMatch(/chmod 600/);
    const bad = await run(['--acs', 'ftp://acs.example/'], () => false);
    expect(bad.code).not.toBe(0);
    expect(bad.out).toMatch(/not an http\(s\) URL/);
  });
});

describe('TLS verification', () => {
  it('does not talk to an ACS whose certificate it cannot verify', async () => {
    const sessions: SessionReport[] = [];
    const agent = await Agent.start({
      acsUrl: acs.cwmpUrl,
      username: 'cpe',
      password: PASSWORD,
      serialNumber: 'NO-CA',
      stateDir: path.join(dir, 'no-ca'),
      connectionRequest: { host: '127.0.0.1', port: 0 },
      builtinProviders: false,
      retry: { minimumWait: 60 },
      onSession: (s) => sessions.push(s),
    });
    try {
      const s = await until(() => sessions[0]);
      expect(s.ok).toBe(false);
      expect(s.error).toMatch(/certificate/i);
      expect((await acs.store.listDevices()).devices.map((d) => d.deviceId.serialNumber)).not.toContain('NO-CA');
    } finally {
      await agent.stop();
    }
  });
});
