/**
 * The simulator as an operator runs it, against the real ACS: CPE authentication (Digest,
 * Basic, wrong password), per-device connection-request ports, the run bounds, and the
 * `flotilla sim` command itself (built CLI in dist/, JSON summary on stdout).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startAcs, type AcsServer } from '../../src/acs/server.js';
import { Fleet } from '../../src/cpe/sim/fleet.js';
import type { Summary } from '../../src/cpe/sim/stats.js';
import { deviceIdOf } from '../../src/store/device-id.js';
import { RecordingScheduler } from '../helpers/recording-scheduler.js';

const main = resolve(dirname(fileURLToPath(import.meta.url)), '../../dist/src/cli/main.js');

let dir: string;
let acs: AcsServer | null = null;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'flotilla-sim-fleet-'));
});

afterEach(async () => {
  await acs?.close();
  acs = null;
  await rm(dir, { recursive: true, force: true });
});

async function start(config: Parameters<typeof startAcs>[0] = {}): Promise<AcsServer> {
  acs = await startAcs({ dataDir: dir, host: '127.0.0.1', cwmpPort: 0, discoverOnBootstrap: false, ...config });
  return acs;
}

describe('CPE authentication against the ACS', () => {
  it('Digest with the shared bootstrap credential', async () => {
    await start({ cpeCredentials: { username: 'boot', password: 'strap' } });
    const fleet = new Fleet({ acsUrl: acs!.cwmpUrl, count: 3, model: 'tr181-router', credentials: { username: 'boot', password: 'strap' }, sessions: 3, connectionRequests: 'off' });
    const s = await fleet.run();
    expect(s).toMatchObject({ cpes: 3, sessions: 3, failures: 0 });
    expect((await acs!.store.listDevices()).total).toBe(3);
  });

  it('Basic when the ACS allows it', async () => {
    await start({ cpeCredentials: { username: 'boot', password: 'strap' }, allowBasicOverHttp: true });
    const fleet = new Fleet({ acsUrl: acs!.cwmpUrl, count: 2, model: 'tr098-gateway', credentials: { username: 'boot', password: 'strap' }, sessions: 2, connectionRequests: 'off' });
    expect(await fleet.run()).toMatchObject({ sessions: 2, failures: 0 });
  });

  it('a wrong password fails the sessions (auth) and the devices are not stored', async () => {
    await start({ cpeCredentials: { username: 'boot', password: 'strap' } });
    const fleet = new Fleet({ acsUrl: acs!.cwmpUrl, count: 2, model: 'tr181-router', credentials: { username: 'boot', password: 'wrong' }, sessions: 2, connectionRequests: 'off' });
    const s = await fleet.run();
    expect(s).toMatchObject({ sessions: 2, failures: 2, errors: { auth: 2 } });
    expect((await acs!.store.listDevices()).total).toBe(0);
    expect(fleet.cpes.every((c) => c.retryCount === 1)).toBe(true);
  });
});

describe('connection requests, one port per device', () => {
  it('gives each CPE its own listener and URL, and a GET there opens a 6 CONNECTION REQUEST session', async () => {
    await start({ allowUnauthenticatedCpes: true });
    const events: string[][] = [];
    const fleet = new Fleet({
      acsUrl: acs!.cwmpUrl,
      count: 3,
      model: 'tr181-router',
      connectionRequests: 'per-device',
      connectionRequestCredentials: { username: 'acs', password: '' },
      observer: { sessionEnded: (r) => events.push(r.events) },
    });
    await fleet.start();
    try {
      const urls = fleet.cpes.map((c) => c.model.get('Device.ManagementServer.ConnectionRequestURL')!.value);
      expect(new Set(urls.map((u) => new URL(u).port)).size).toBe(3);
      while (events.length < 3) await new Promise((r) => setTimeout(r, 10));
      // The ACS learnt the URL from the Inform.
      const dev = await acs!.store.getDevice(deviceIdOf({ oui: 'F2F107', productClass: 'HGW-181', serialNumber: fleet.cpes[1]!.serialNumber }));
      expect(dev!.parameters.find((p) => p.path === 'Device.ManagementServer.ConnectionRequestURL')?.value).toBe(urls[1]);
      // No credentials: 401 with a Digest challenge.
      const status = await new Promise<number>((res) => http.get(urls[1]!, (r) => (r.resume(), res(r.statusCode ?? 0))));
      expect(status).toBe(401);
      const { parseChallenges, respondTo } = await import('../../src/auth/client.js');
      const challenge = await new Promise<string>((res) => http.get(urls[1]!, (r) => (r.resume(), res(String(r.headers['www-authenticate'])))));
      const auth = respondTo(parseChallenges(challenge), { username: 'acs', password: '' })!('GET', new URL(urls[1]!).pathname);
      const ok = await new Promise<number>((res) => http.get(urls[1]!, { headers: { authorization: auth } }, (r) => (r.resume(), res(r.statusCode ?? 0))));
      expect(ok).toBe(200);
      while (!events.some((e) => e.includes('6 CONNECTION REQUEST'))) await new Promise((r) => setTimeout(r, 10));
      expect(fleet.stats.connectionRequests).toMatchObject({ accepted: 1, unauthorized: 2 });
    } finally {
      await fleet.stop();
    }
  });
});

describe('run bounds', () => {
  it('stops by itself at --duration with a summary, spreading the start over the ramp', async () => {
    await start({ allowUnauthenticatedCpes: true });
    const scheduler = new RecordingScheduler();
    let sessions = 0;
    const fleet = new Fleet({
      acsUrl: acs!.cwmpUrl,
      count: 10,
      model: 'tr181-router',
      rampSeconds: 1,
      informInterval: 1,
      durationMs: 2500,
      scheduler,
      observer: { sessionEnded: () => sessions++ },
    });
    // Nothing but the duration ends this run (no session bound, no requestStop).
    const s = await fleet.run();
    expect(s.cpes).toBe(10);
    expect(s.sessions).toBeGreaterThanOrEqual(10);
    expect(s.events['2 PERIODIC']).toBeGreaterThan(0);
    expect(s.sessionsPerSecond).toBeGreaterThan(0);
    // The ramp: device i powered on at i/10 of the second (how evenly that lands on the
    // wire is bench/fleet-timers.ts's figure).
    // Device 0 starts at once (no timer). Each delay is its slot minus the time already gone
    // when it was scheduled, so on a loaded machine it is shorter, never longer: the test asks
    // for the order and the bound, not for the clock's punctuality.
    const ramp = scheduler.delays('start');
    expect(ramp).toHaveLength(9);
    ramp.forEach((d, i) => {
      expect(d).toBeLessThanOrEqual((i + 1) * 100);
      if (i > 0) expect(d).toBeGreaterThan(ramp[i - 1]!);
    });
    // Stopped: no session starts after run() returned.
    const after = sessions;
    await new Promise((r) => setTimeout(r, 1_200));
    expect(sessions).toBe(after);
  });
});

describe('flotilla sim (CLI)', () => {
  it.skipIf(!existsSync(main))('runs a bounded fleet and prints the JSON summary', async () => {
    await start({ allowUnauthenticatedCpes: true });
    const child = spawn(
      process.execPath,
      [main, 'sim', '--acs', acs!.cwmpUrl, '--count', '5', '--model', 'tr098-gateway', '--serial-prefix', 'CLI', '--sessions', '5', '--quirks', 'chunked,no-xsi-type'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((r) => child.on('exit', r));
    expect(err).toBe('');
    expect(code).toBe(0);
    const summary = JSON.parse(out.trim()) as Summary;
    expect(summary).toMatchObject({ cpes: 5, sessions: 5, failures: 0 });
    expect(Object.keys(summary)).toEqual(expect.arrayContaining(['durationMs', 'sessionsPerSecond', 'faults', 'latencyMs', 'memory']));
    const devices = await acs!.store.listDevices();
    expect(devices.devices.map((d) => d.deviceId.serialNumber).sort()).toEqual(['CLI000001', 'CLI000002', 'CLI000003', 'CLI000004', 'CLI000005']);
  });

  it.skipIf(!existsSync(main))('says at once, on stderr, that the ACS refused its credentials, before the summary', async () => {
    await start({ cpeCredentials: { username: 'acs-user', password: 'right' } });
    const child = spawn(process.execPath, [main, 'sim', '--acs', acs!.cwmpUrl, '--count', '3', '--username', 'acs-user', '--password', 'wrong', '--sessions', '3'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    await new Promise<number | null>((r) => child.on('exit', r));
    // Once, not once per device: the first failure of a kind is what the operator needs.
    expect(err.match(/refused the credentials \(401\): check --username\/--password/g)?.length).toBe(1);
    expect(err).not.toContain('wrong');
    expect(JSON.parse(out.trim())).toMatchObject({ failures: 3, errors: { auth: 3 } });
  });

  it.skipIf(!existsSync(main))('refuses bad flags', async () => {
    const child = spawn(process.execPath, [main, 'sim', '--acs', 'ftp://x', '--count', '1'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((r) => child.on('exit', r));
    expect(code).not.toBe(0);
    expect(err).toMatch(/not an http\(s\) URL/);
  });
});
