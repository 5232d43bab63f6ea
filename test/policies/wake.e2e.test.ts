/**
 * Waking devices for schedule windows (src/services/policy-wake.ts), end to end: simulated
 * CPEs over loopback with their own connection-request endpoint, the real requester (target
 * guard, Digest, rate limits), SQLite. A policy whose window is open now in UTC:
 *  - a device with a one-day periodic interval is woken, opens a 6 CONNECTION REQUEST session
 *    and converges inside its window; it is not woken again (this process or another);
 *  - a device whose own periodic Inform falls inside the window is left to it;
 *  - a device in a zone where the window is closed is not contacted;
 * and wake-ups leave paced, at most --policy-wake-rate a second, the rest on later ticks.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nextPeriodicInform, PolicyWake, wakeMoment } from '../../src/services/policy-wake.js';
import { inPath, SimFleet, startStack, until, type Stack } from '../nbi/helpers.js';

let s: Stack;
let fleet: SimFleet;
const NTP = 'Device.Time.NTPServer2';
const MS = 'Device.ManagementServer.';

/** A daily window that opened `agoMin` minutes ago (UTC clock) and lasts `minutes`. */
function windowOpenSince(agoMin: number, minutes: number): { cron: string; window: string } {
  const open = new Date(Math.floor((Date.now() - agoMin * 60_000) / 60_000) * 60_000);
  const close = new Date(open.getTime() + minutes * 60_000);
  const hm = (d: Date) => `${String(d.getUTCHours()).padStart(2, '0')}:${String(d.getUTCMinutes()).padStart(2, '0')}`;
  return { cron: `${open.getUTCMinutes()} ${open.getUTCHours()} * * *`, window: `${hm(open)}-${hm(close)}` };
}

const crSessions = (serial: string): number => fleet.sessionsOf(serial).filter((r) => r.events.includes('6 CONNECTION REQUEST')).length;

beforeAll(async () => {
  s = await startStack({ acs: { discoverOnBootstrap: true } });
  fleet = new SimFleet(s.acs.cwmpUrl);
}, 60_000);

afterAll(async () => {
  await fleet?.close();
  await s?.close();
});

describe('schedule windows: waking devices whose Informs would miss them', () => {
  it('wakes the device with a long interval, which converges in its window; leaves the others alone', async () => {
    const late = await fleet.add('WAKE001', { [`${MS}PeriodicInformEnable`]: 'true', [`${MS}PeriodicInformInterval`]: '86400' });
    await fleet.add('WAKE002', { [`${MS}PeriodicInformEnable`]: 'true', [`${MS}PeriodicInformInterval`]: '600' });
    await fleet.add('WAKE003', { [`${MS}PeriodicInformEnable`]: 'true', [`${MS}PeriodicInformInterval`]: '86400', 'Device.Time.LocalTimeZone': 'Asia/Tokyo' });
    // Opened 65 minutes ago for two hours, in each device's zone: the first half (where
    // wake-ups are spread) is over, so every due device is due now.
    const made = await s.api.post('/policies', {
      name: 'night NTP',
      filter: ['serialNumber ^= WAKE'],
      triggers: [windowOpenSince(65, 120)],
      declarations: [{ path: NTP, value: 'night.ntp.test' }],
    });
    expect(made.status, made.text).toBe(201);
    const policyId = made.body.id as string;
    await new Promise((r) => setTimeout(r, 300)); // the ACS reloads its policy set on the change event

    const wake = new PolicyWake({ store: s.store, requester: s.nbi.services.requester!, ratePerSecond: 10, everyMs: 1000 });
    const first = await wake.tick();
    expect(first).toMatchObject({ examined: 3, woken: 1, deferred: 0 });
    // The one woken converges in a session of its own, inside the window.
    await until(() => crSessions('WAKE001') === 1 && fleet.sessionsOf('WAKE001').at(-1)!.ok);
    await until(async () => ((await s.api.get(`/devices/${inPath(late.id)}/policies`)).body.compliance as { policyId: string; state: string }[]).some((c) => c.policyId === policyId && c.state === 'compliant'));
    expect(late.cpe.model.get(NTP)?.value).toBe('night.ntp.test');
    // Its own Inform would come in time: not contacted. In a zone where the window is closed: not contacted.
    expect(crSessions('WAKE002')).toBe(0);
    expect(crSessions('WAKE003')).toBe(0);
    expect(fleet.cpes.get('WAKE002')!.model.get(NTP)?.value).not.toBe('night.ntp.test');
    expect(fleet.cpes.get('WAKE003')!.model.get(NTP)?.value).not.toBe('night.ntp.test');

    // Not woken twice in one window: not by this process, not by another that takes over
    // (it reads the window applied in from the device's memo).
    expect(await wake.tick()).toMatchObject({ woken: 0 });
    expect(await new PolicyWake({ store: s.store, requester: s.nbi.services.requester!, everyMs: 1000 }).tick()).toMatchObject({ woken: 0 });
    expect(crSessions('WAKE001')).toBe(1);
  }, 60_000);

  it('paces wake-ups: at most the rate per second, the rest on the next ticks', async () => {
    for (const serial of ['RATE001', 'RATE002', 'RATE003', 'RATE004']) await fleet.add(serial);
    const made = await s.api.post('/policies', { name: 'rate', filter: ['serialNumber ^= RATE'], triggers: [windowOpenSince(65, 120)], declarations: [{ path: NTP, value: 'rate.ntp.test' }] });
    expect(made.status, made.text).toBe(201);
    await new Promise((r) => setTimeout(r, 300));
    // 1 a second, a tick every 2 s: two per tick.
    const wake = new PolicyWake({ store: s.store, requester: s.nbi.services.requester!, ratePerSecond: 1, everyMs: 2000 });
    expect(await wake.tick()).toMatchObject({ woken: 2, deferred: 2 });
    expect(await wake.tick()).toMatchObject({ woken: 2, deferred: 0 });
    expect(await wake.tick()).toMatchObject({ woken: 0, deferred: 0 });
    for (const serial of ['RATE001', 'RATE002', 'RATE003', 'RATE004']) {
      await until(() => crSessions(serial) === 1 && fleet.cpes.get(serial)!.model.get(NTP)?.value === 'rate.ntp.test');
    }
  }, 60_000);

  it('the leader alone wakes devices; a disabled or other process does nothing', async () => {
    const follower = new PolicyWake({ store: s.store, requester: s.nbi.services.requester!, isLeader: async () => false });
    expect(await follower.tick()).toEqual({ examined: 0, woken: 0, deferred: 0 });
  });
});

describe('wake-up moments and periodic Informs', () => {
  it('spreads moments over the given span, the same for a device every time', () => {
    const opens = Date.UTC(2026, 0, 1, 1);
    const moments = Array.from({ length: 500 }, (_, i) => wakeMoment(`dev-${i}`, 'p', opens, 3_600_000));
    expect(Math.min(...moments)).toBeGreaterThanOrEqual(opens);
    expect(Math.max(...moments)).toBeLessThan(opens + 3_600_000);
    // Spread, not bunched: every quarter of the span has some.
    for (let q = 0; q < 4; q++) expect(moments.filter((m) => m >= opens + q * 900_000 && m < opens + (q + 1) * 900_000).length).toBeGreaterThan(50);
    expect(wakeMoment('dev-1', 'p', opens, 3_600_000)).toBe(moments[1]);
    expect(wakeMoment('dev-1', 'p', opens, 0)).toBe(opens);
  });

  it('finds the next periodic Inform from the last one, or none', () => {
    expect(nextPeriodicInform(1_000, 60, 1_000)).toBe(1_000);
    expect(nextPeriodicInform(0, 60, 61_000)).toBe(120_000);
    expect(nextPeriodicInform(0, 60, 120_000)).toBe(120_000);
    expect(nextPeriodicInform(0, null, 5)).toBeNull();
    expect(nextPeriodicInform(0, 0, 5)).toBeNull();
    expect(nextPeriodicInform(0, Number.NaN, 5)).toBeNull();
  });
});
