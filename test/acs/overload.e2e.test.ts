/**
 * Overload (issue 10): a process runs at most `maxSessions` CWMP sessions. Beyond the cap a
 * new session gets 503 with Retry-After and nothing is written; sessions in progress go on;
 * connection-request sessions have a reserve above the cap. Real HTTP on loopback, a real
 * SQLite store; counts only, no timing (bench/overload.ts measures a storm).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { admitSession, fullEvenForConnectionRequests, reserveFor, retryAfterSeconds, sessionCeiling } from '../../src/acs/admission.js';
import { startAcs, type AcsServer } from '../../src/acs/server.js';
import { retryAfterMs } from '../../src/cpe/client/session-runner.js';
import { deviceIdOf } from '../../src/store/device-id.js';
import { DEVICE, informBody, ScriptedCpe } from '../helpers/scripted-cpe.js';

const CR = '6 CONNECTION REQUEST';

describe('admission (pure)', () => {
  it('the cap, the reserve for connection requests, and refusing before the body', () => {
    const limits = { maxSessions: 10, reserve: reserveFor(10) };
    expect(limits.reserve).toBe(1);
    expect(reserveFor(1)).toBe(1);
    expect(reserveFor(2000)).toBe(200);
    expect(admitSession(9, limits, ['2 PERIODIC'])).toBe(true);
    expect(admitSession(10, limits, ['2 PERIODIC'])).toBe(false);
    expect(admitSession(10, limits, ['1 BOOT', CR])).toBe(true);
    expect(admitSession(11, limits, [CR])).toBe(false);
    expect(sessionCeiling(limits, [CR])).toBe(11);
    expect(fullEvenForConnectionRequests(10, limits)).toBe(false);
    expect(fullEvenForConnectionRequests(11, limits)).toBe(true);
  });

  it('Retry-After is spread over [base, 2 × base)', () => {
    expect(retryAfterSeconds(30, 0)).toBe(30);
    expect(retryAfterSeconds(30, 0.5)).toBe(45);
    expect(retryAfterSeconds(30, 0.999999)).toBe(59);
    expect(retryAfterSeconds(1, 0.9)).toBe(1);
    expect(retryAfterSeconds(0, 0.9)).toBe(1);
  });

  it('the CPE client reads Retry-After in seconds, and ignores dates and garbage', () => {
    expect(retryAfterMs('45')).toBe(45_000);
    expect(retryAfterMs(['7'])).toBe(7_000);
    expect(retryAfterMs('Wed, 21 Oct 2026 07:28:00 GMT')).toBeUndefined();
    expect(retryAfterMs('-1')).toBeUndefined();
    expect(retryAfterMs('1e9')).toBeUndefined();
    expect(retryAfterMs(undefined)).toBeUndefined();
  });
});

describe('overload over loopback', () => {
  let dir: string;
  let acs: AcsServer;
  const cpes: ScriptedCpe[] = [];
  const cpe = (): ScriptedCpe => {
    const c = new ScriptedCpe(acs.cwmpUrl);
    cpes.push(c);
    return c;
  };
  const idOf = (serial: string): string => deviceIdOf({ ...DEVICE, serialNumber: serial });

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'flotilla-overload-'));
    acs = await startAcs({ dataDir: dir, host: '127.0.0.1', cwmpPort: 0, allowUnauthenticatedCpes: true, discoverOnBootstrap: false, maxSessions: 2, overloadRetryAfterSeconds: 30 });
  });
  afterEach(async () => {
    for (const c of cpes.splice(0)) c.close();
    await acs.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('beyond the cap: 503 + Retry-After and nothing written; sessions in progress and connection requests first', async () => {
    const a = cpe();
    const b = cpe();
    expect((await a.post(informBody({ serial: 'A' }))).envelope?.body.method).toBe('InformResponse');
    expect((await b.post(informBody({ serial: 'B' }))).envelope?.body.method).toBe('InformResponse');
    expect(acs.activeSessions()).toBe(2);

    // A periodic Inform at the cap: refused, told when to come back, nothing stored.
    const refused = await cpe().post(informBody({ serial: 'C' }));
    expect(refused.status).toBe(503);
    const after = Number(refused.headers['retry-after']);
    expect(after).toBeGreaterThanOrEqual(30);
    expect(after).toBeLessThan(60);
    expect(await acs.store.getDevice(idOf('C'))).toBeNull();

    // A connection-request session uses the reserve; once that is used too, it is refused as well.
    const d = cpe();
    expect((await d.post(informBody({ serial: 'D', events: [CR] }))).envelope?.body.method).toBe('InformResponse');
    const e = await cpe().post(informBody({ serial: 'E', events: [CR] }));
    expect(e.status).toBe(503);
    expect(await acs.store.getDevice(idOf('E'))).toBeNull();
    expect(acs.activeSessions()).toBe(3);

    // Sessions in progress are served while the process is full.
    expect((await a.post(null)).status).toBe(204);
    expect((await d.post(null)).status).toBe(204);
    expect((await b.post(null)).status).toBe(204);
    expect(await acs.store.getDevice(idOf('A'))).not.toBeNull();
    expect(await acs.store.getDevice(idOf('D'))).not.toBeNull();

    // Room again: the refused CPE comes back and is served.
    const c = cpe();
    expect((await c.post(informBody({ serial: 'C' }))).envelope?.body.method).toBe('InformResponse');
    expect((await c.post(null)).status).toBe(204);
    expect(await acs.store.getDevice(idOf('C'))).not.toBeNull();
  });

  it('a new Inform on a session’s own connection replaces it without needing a free slot', async () => {
    const a = cpe();
    const b = cpe();
    expect((await a.post(informBody({ serial: 'A' }))).status).toBe(200);
    expect((await b.post(informBody({ serial: 'B' }))).status).toBe(200);
    // A starts over (a reboot mid-session, say): its old session ends, the new one takes its place.
    expect((await a.post(informBody({ serial: 'A', events: ['1 BOOT'] }))).envelope?.body.method).toBe('InformResponse');
    expect(acs.activeSessions()).toBe(2);
    expect((await cpe().post(informBody({ serial: 'X' }))).status).toBe(503);
  });
});
