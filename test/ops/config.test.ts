/**
 * `--config`: flags > FLOTILLA_* > file > defaults, every source checked through
 * `flotilla config print` (the same parser `serve` uses), and one real `serve` that takes
 * its ports and data directory from a file.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const main = resolve(__dirname, '../../dist/src/cli/main.js');
let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'flotilla-config-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function cli(args: string[], env: Record<string, string> = {}): { status: number | null; stdout: string; stderr: string } {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('FLOTILLA_')));
  const r = spawnSync(process.execPath, [main, ...args], { encoding: 'utf8', timeout: 60_000, env: { ...clean, ...env } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** `config print` as data: key → value, and key → source from the trailing comments. */
function printed(out: string): { values: Record<string, unknown>; sources: Record<string, string> } {
  const sources: Record<string, string> = {};
  for (const line of out.split('\n')) {
    const m = /^([a-z0-9-]+):.*#\s*(\w+)$/.exec(line);
    if (m) sources[m[1]!] = m[2]!;
  }
  return { values: parse(out) as Record<string, unknown>, sources };
}

describe('config file', () => {
  it('takes each value from the highest source: flag, then environment, then file, then default', async () => {
    const file = join(dir, 'flotilla.yaml');
    await writeFile(
      file,
      ['cwmp-port: 17547', 'api-port: 17557', 'session-timeout: 45', 'stun: false', 'searchable-parameters: [Device.DeviceInfo.ModelName, Device.X_ACME.Zone]', 'log-level:'].join('\n'),
    );
    const r = cli(['config', 'print', '--config', file, '--api-port', '9999'], { FLOTILLA_SESSION_TIMEOUT: '60' });
    expect(r.status, r.stderr).toBe(0);
    const { values, sources } = printed(r.stdout);
    expect([values['api-port'], sources['api-port']]).toEqual([9999, 'cli']); // flag over file
    expect([values['session-timeout'], sources['session-timeout']]).toEqual([60, 'env']); // env over file
    expect([values['cwmp-port'], sources['cwmp-port']]).toEqual([17547, 'config']); // file over default
    expect([values['stun'], sources['stun']]).toEqual([false, 'config']); // a negatable switch
    expect(values['searchable-parameters']).toEqual(['Device.DeviceInfo.ModelName', 'Device.X_ACME.Zone']);
    expect([values['host'], sources['host']]).toEqual(['0.0.0.0', 'default']);
    expect([values['log-level'], sources['log-level']]).toEqual(['info', 'default']); // an empty key leaves the default
    // The printout is itself a config file that gives the same configuration.
    const again = join(dir, 'again.yaml');
    await writeFile(again, r.stdout.split('\n').filter((l) => !/:\s*null\b/.test(l)).join('\n'));
    const r2 = cli(['config', 'print', '--config', again]);
    expect(r2.status, r2.stderr).toBe(0);
    expect(printed(r2.stdout).values).toEqual(values);
  });

  it('masks secrets from every source, and the store URL\'s password', async () => {
    const file = join(dir, 'f.json');
    await writeFile(file, JSON.stringify({ 'cpe-credentials': 'acs:file-secret-1', db: 'postgres://flo:db-secret-2@db.example/flotilla' }));
    const r = cli(['config', 'print', '--config', file, '--connection-request-credentials', 'cr:flag-secret-3'], { FLOTILLA_XMPP_PASSWORD: 'env-secret-4' });
    expect(r.status, r.stderr).toBe(0);
    for (const s of ['file-secret-1', 'db-secret-2', 'flag-secret-3', 'env-secret-4']) expect(r.stdout).not.toContain(s);
    const { values } = printed(r.stdout);
    expect(values['cpe-credentials']).toBe('***');
    expect(values['connection-request-credentials']).toBe('***');
    expect(values['xmpp-password']).toBe('***');
    expect(values['db']).toBe('postgres://flo:***@db.example/flotilla');
    expect(values['per-device-credentials']).toBe(true); // a switch named "credentials" is no secret
  });

  it('refuses an unknown key, a bad value, a wrong type, a non-mapping and a missing file, naming what is wrong', { timeout: 180_000 }, async () => {
    const cases: Array<[string, RegExp]> = [
      ['cwmp-prot: 1', /unknown option "cwmp-prot"/],
      ['cwmp-port: abc', /cwmp-port: not a port: abc/],
      ['stun: "no"', /stun: expected true or false/],
      ['bootstrap-credential-scope: everyone', /expected one of new-devices, any/],
      ['cwmp-port: {a: 1}', /cwmp-port: expected a string, a number or a list/],
      ['- a\n- b', /expected a mapping/],
      ['cwmp-port: [1, {x: 2}]', /expected a list of strings/],
      ['a: &x [1]\nb: *x', /config file/],
      ['{{{', /config file/],
    ];
    for (const [i, [text, error]] of cases.entries()) {
      const file = join(dir, 'bad.yaml');
      await writeFile(file, text);
      // serve and config print share the parser: serve is run for the first few only (each start costs a second).
      const runs = [['config', 'print', '--config', file], ...(i < 3 ? [['serve', '--config', file, '--data-dir', join(dir, 'data')]] : [])];
      for (const args of runs) {
        const r = cli(args);
        expect(r.status, `${text}: ${r.stderr}`).toBe(2);
        expect(r.stderr, text).toMatch(error);
      }
      expect(existsSync(join(dir, 'data')), 'a refused configuration starts nothing').toBe(false);
    }
    const r = cli(['serve', '--config', join(dir, 'missing.yaml')]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/missing\.yaml: ENOENT/);
  });

  it('serve starts with the file\'s data directory and ports (FLOTILLA_CONFIG works as well); a taken default files port is not fatal', { timeout: 120_000 }, async () => {
    // Hold the default transfer port (or find it held by another ACS already): serve must still start.
    // Another test's ACS may hold it for a moment: wait for it to be ours, so the port stays
    // taken for the whole start (a holder that leaves mid-start would let serve bind it).
    const blocker = net.createServer();
    for (let i = 0; i < 600 && !blocker.listening; i++) {
      await new Promise<void>((r) => blocker.once('error', () => setTimeout(r, 100)).listen(7567, '127.0.0.1', () => r()));
    }
    const data = join(dir, 'from-file');
    const file = join(dir, 'flotilla.yaml');
    await writeFile(file, [`data-dir: ${JSON.stringify(data)}`, 'host: 127.0.0.1', 'cwmp-port: 0', 'api-port: 0', 'stun: false'].join('\n'));
    const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('FLOTILLA_')));
    const child = spawn(process.execPath, [main, 'serve'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...clean, FLOTILLA_CONFIG: file } });
    try {
      let out = '';
      let err = '';
      const api = await new Promise<string>((done, fail) => {
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          const m = /"api":"([^"]+)"/.exec(out);
          if (m) done(m[1]!);
        });
        child.stderr.on('data', (d: Buffer) => (err += d.toString()));
        child.once('exit', (code) => fail(new Error(`serve exited ${code}: ${out} ${err}`)));
      });
      expect(api).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/api\/v1$/);
      expect((await fetch(api.replace(/\/api\/v1$/, '/healthz'))).status).toBe(200);
      expect(existsSync(join(data, 'flotilla.db')) || existsSync(data)).toBe(true);
      expect(out).toMatch(/files port 7567 is taken: the transfer endpoint listens on port \d+/);
    } finally {
      child.kill('SIGKILL');
      blocker.close();
    }
  });
});
