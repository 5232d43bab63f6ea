/**
 * The sampling rules without a network: when a profile is due over an hour of simulated
 * sessions, and what a sample costs a session in store round trips (an idle session keeps
 * its two, a sampling one too: samples ride the commit).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { profileDue } from '../../src/session/programs/monitoring.js';
import { counterRate, type SamplingProfile } from '../../src/store/concerns/series.js';
import { countingStore, type CountingStore } from '../../src/store/counting.js';
import { createSqliteStore } from '../../src/store/sqlite/index.js';
import { SimFleet, startStack, until, type Stack } from '../nbi/helpers.js';

const profile = (intervalSeconds: number): SamplingProfile => ({
  id: 'p',
  name: 'p',
  enabled: true,
  intervalSeconds,
  parameters: [],
  match: {},
  createdAt: 0,
  updatedAt: 0,
});

describe('when a profile is due', () => {
  it('over an hour of sessions every minute, a 5-minute profile samples 12 times, one per interval', () => {
    const start = Date.UTC(2026, 0, 1, 10, 0, 7);
    let last: number | null = start - 60_000;
    const due: number[] = [];
    for (let i = 0; i < 60; i++) {
      const at = start + i * 60_000;
      if (profileDue(profile(300), at, last)) due.push(at);
      last = at;
    }
    expect(due).toHaveLength(12);
    for (let i = 1; i < due.length; i++) expect(due[i]! - due[i - 1]!).toBe(300_000);
  });

  it('a device that informs less often than the interval samples every session; a new device at once', () => {
    expect(profileDue(profile(60), 1_000_000, 1_000_000 - 3_600_000)).toBe(true);
    expect(profileDue(profile(60), 1_000_000, null)).toBe(true);
    expect(profileDue(profile(3600), 3_600_000 * 5 + 10, 3_600_000 * 5 + 5)).toBe(false);
  });

  it('counter rates: steady, 32-bit wrap, restart, time not moving', () => {
    expect(counterRate({ num: 100, at: 0 }, 1100, 10_000)).toBe(100);
    expect(counterRate({ num: 4294967295, at: 0 }, 9, 1000)).toBe(10);
    expect(counterRate({ num: 5000, at: 0 }, 100, 1000)).toBe(100);
    expect(counterRate({ num: 5000, at: 1000 }, 6000, 1000)).toBeNull();
    expect(counterRate(null, 5, 1000)).toBeNull();
  });
});

describe('round trips of a sampling session', () => {
  let s: Stack;
  let fleet: SimFleet;
  let store: CountingStore;
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'flotilla-kpi-rt-'));
    store = countingStore(await createSqliteStore({ dataDir: dir }));
    await store.createSamplingProfile({ name: 'every session', enabled: true, intervalSeconds: 1, parameters: [{ path: 'Device.DeviceInfo.MemoryStatus.Free' }], match: { tags: ['rt'] } }, Date.now());
    s = await startStack({ store, dir });
    fleet = new SimFleet(s.acs.cwmpUrl);
  });
  afterAll(async () => {
    await fleet?.close();
    await s?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('two store round trips, with the sample in the commit', async () => {
    const { id, cpe } = await fleet.add('RT001');
    await store.setTags(id, ['rt'], []);
    await new Promise((r) => setTimeout(r, 1100));
    const before = fleet.sessionsOf('RT001').length;
    store.reset();
    cpe.inform('2 PERIODIC');
    await until(() => fleet.sessionsOf('RT001').length > before);
    // The ACS ends the session once the CPE is done; give its commit a moment to land.
    await until(() => (store.byMethod().commitSession ?? 0) === 1);
    expect(store.byMethod()).toEqual({ openSession: 1, commitSession: 1 });
    const samples = await store.listSamples({ deviceId: id, path: 'Device.DeviceInfo.MemoryStatus.Free', from: 0, to: Date.now() + 1, limit: 10 });
    expect(samples.length).toBe(1);
  });
});
