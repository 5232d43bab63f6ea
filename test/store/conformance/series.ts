/**
 * Concern: KPI time series (src/store/concerns/series.ts): samples from a session's commit
 * and from appendSamples, counters as rates (wraps and restarts), queries, aggregates over
 * devices, hourly roll-ups, retention, sampling profiles, and device deletion taking a
 * device's series with it.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { HOUR_MS } from '../../../src/store/concerns/series.js';
import type { NewSample, Store } from '../../../src/store/types.js';
import { harness, idOf, T0, type StoreFixture } from './harness.js';

const DAY = 24 * HOUR_MS;
/** Hour-aligned, so roll-up buckets are easy to read. */
const H0 = Math.floor(T0 / HOUR_MS) * HOUR_MS;

export function seriesConformance(name: string, factory: () => Promise<StoreFixture>): void {
  describe(`Store conformance, series: ${name}`, () => {
    const h = harness(factory);
    let store: Store;
    beforeEach(() => {
      store = h.store;
    });
    const all = { from: 0, to: Number.MAX_SAFE_INTEGER, limit: 1000 };
    const s = (deviceId: string, path: string, at: number, value: string, counter = false): NewSample => ({ deviceId, path, at, value, counter, source: 'bulk' });

    it("keeps a session's samples with its commit, numbers parsed, text kept as text", async () => {
      const id = idOf('S1');
      await h.inform(id, {
        informAt: H0,
        samples: [
          { path: 'Device.DeviceInfo.ProcessStatus.CPUUsage', at: H0, value: '42', source: 'sample' },
          { path: 'Device.WiFi.SSID.1.SSID', at: H0, value: 'Zürich "net"', source: 'change' },
        ],
      });
      expect(await store.listSamples({ deviceId: id, path: 'Device.DeviceInfo.ProcessStatus.CPUUsage', ...all })).toEqual([
        { at: H0, value: '42', num: 42, rate: null, source: 'sample' },
      ]);
      expect(await store.listSamples({ deviceId: id, path: 'Device.WiFi.SSID.1.SSID', ...all })).toEqual([
        { at: H0, value: 'Zürich "net"', num: null, rate: null, source: 'change' },
      ]);
      expect(await store.listSeriesPaths(id)).toEqual(['Device.DeviceInfo.ProcessStatus.CPUUsage', 'Device.WiFi.SSID.1.SSID']);
      expect(await store.listSeriesPaths(idOf('NOBODY'))).toEqual([]);
    });

    it('turns counters into rates per second, across a 32-bit wrap and a restart', async () => {
      const id = idOf('S2');
      const p = 'Device.IP.Interface.1.Stats.BytesReceived';
      const n = await store.appendSamples([
        s(id, p, H0, '1000', true),
        s(id, p, H0 + 10_000, '6000', true), // +5000 in 10 s
        s(id, p, H0 + 20_000, String(4294967296 - 1000), true),
        s(id, p, H0 + 30_000, '1000', true), // wrapped: +2000 in 10 s
        s(id, p, H0 + 40_000, '500', true), // restarted (reboot): 500 since
      ]);
      expect(n).toBe(5);
      const rates = (await store.listSamples({ deviceId: id, path: p, ...all })).map((x) => x.rate);
      expect(rates[0]).toBeNull();
      expect(rates[1]).toBe(500);
      expect(rates[3]).toBe(200);
      expect(rates[4]).toBe(50);
      // The same sample again is not a second one.
      expect(await store.appendSamples([s(id, p, H0, '1000', true)])).toBe(0);
      // A commit's counter continues the series appendSamples began.
      await h.inform(id, { informAt: H0 + 50_000, samples: [{ path: p, at: H0 + 50_000, value: '1500', counter: true, source: 'sample' }] });
      expect((await store.listSamples({ deviceId: id, path: p, ...all })).at(-1)?.rate).toBe(100);
    });

    it('lists a time range, the newest `limit` oldest first, per device and path only', async () => {
      const a = idOf('S3');
      const b = idOf('S4');
      await store.appendSamples([...[0, 1, 2, 3, 4].map((i) => s(a, 'X.V', H0 + i * 1000, String(i))), s(b, 'X.V', H0, '99'), s(a, 'X.W', H0, '7')]);
      expect((await store.listSamples({ deviceId: a, path: 'X.V', from: H0 + 1000, to: H0 + 4000, limit: 10 })).map((x) => x.value)).toEqual(['1', '2', '3']);
      expect((await store.listSamples({ deviceId: a, path: 'X.V', ...all, limit: 2 })).map((x) => x.value)).toEqual(['3', '4']);
      expect((await store.listSamples({ deviceId: b, path: 'X.V', ...all })).map((x) => x.value)).toEqual(['99']);
    });

    it('aggregates a path over devices and time: count, min, max, avg, nearest-rank percentiles', async () => {
      const ids = [1, 2, 3, 4].map((i) => idOf(`AG${i}`));
      const samples: NewSample[] = [];
      // Values 1..100 spread over four devices.
      for (let v = 1; v <= 100; v++) samples.push(s(ids[v % 4]!, 'WAN.Rate', H0 + v * 1000, String(v)));
      samples.push(s(ids[0]!, 'WAN.Rate', H0 + 200_000, 'not a number'));
      await store.appendSamples(samples);
      const every = await store.aggregateSamples({ path: 'WAN.Rate', from: H0, to: H0 + DAY, deviceIds: null, percentiles: [50, 95, 100] });
      expect(every).toEqual({ count: 100, devices: 4, min: 1, max: 100, avg: 50.5, percentiles: { '50': 50, '95': 95, '100': 100 } });
      // Devices 1 and 3 hold the values ≡ 1 and 3 (mod 4).
      const some = await store.aggregateSamples({ path: 'WAN.Rate', from: H0, to: H0 + DAY, deviceIds: [ids[1]!, ids[3]!], percentiles: [95] });
      expect(some.count).toBe(50);
      expect(some.devices).toBe(2);
      expect(some.min).toBe(1);
      expect(some.max).toBe(99);
      expect(some.percentiles['95']).toBe(95);
      // Every device's numbers of one path since a time, by device then time.
      const recent = await store.recentSamples('WAN.Rate', H0 + 97_000, 100);
      expect(recent.map((r) => [r.deviceId, r.metric])).toEqual(
        [
          [ids[1]!, 97],
          [ids[2]!, 98],
          [ids[3]!, 99],
          [ids[0]!, 100],
        ].sort((a, b) => (String(a[0]) < String(b[0]) ? -1 : 1)),
      );
      const none = await store.aggregateSamples({ path: 'WAN.Rate', from: H0, to: H0 + DAY, deviceIds: [], percentiles: [95] });
      expect(none).toEqual({ count: 0, devices: 0, min: null, max: null, avg: null, percentiles: { '95': null } });
      // Counters aggregate their rates (the first sample of a series has none).
      await store.appendSamples([s(ids[0]!, 'C', H0, '0', true), s(ids[0]!, 'C', H0 + 1000, '10', true), s(ids[0]!, 'C', H0 + 2000, '30', true)]);
      expect(await store.aggregateSamples({ path: 'C', from: H0, to: H0 + DAY, deviceIds: null, percentiles: [] })).toMatchObject({ count: 2, min: 10, max: 20, avg: 15 });
    });

    it('rolls up ended hours and applies retention: raw for a while, hourly for longer', async () => {
      const id = idOf('S5');
      const samples: NewSample[] = [];
      // Three hours, four samples each: 1,2,3,4 / 5,6,7,8 / 9,10,11,12.
      for (let hour = 0; hour < 3; hour++) for (let i = 0; i < 4; i++) samples.push(s(id, 'K', H0 + hour * HOUR_MS + i * 60_000, String(hour * 4 + i + 1)));
      await store.appendSamples(samples);
      const now = H0 + 3 * HOUR_MS + 60_000;
      const first = await store.maintainSeries({ now, rawRetentionMs: 7 * DAY, hourlyRetentionMs: 90 * DAY });
      expect(first.rolledUp).toBe(3);
      expect(first.rawDropped).toBe(0);
      expect(await store.listSampleHours({ deviceId: id, path: 'K', ...all })).toEqual([
        { hour: H0, count: 4, min: 1, max: 4, avg: 2.5 },
        { hour: H0 + HOUR_MS, count: 4, min: 5, max: 8, avg: 6.5 },
        { hour: H0 + 2 * HOUR_MS, count: 4, min: 9, max: 12, avg: 10.5 },
      ]);
      // A late sample for an hour already rolled up is counted at the next run.
      await store.appendSamples([s(id, 'K', H0 + 2 * HOUR_MS + 30 * 60_000, '100')]);
      await store.maintainSeries({ now: now + 60_000, rawRetentionMs: 7 * DAY, hourlyRetentionMs: 90 * DAY });
      expect((await store.listSampleHours({ deviceId: id, path: 'K', ...all })).at(-1)).toEqual({ hour: H0 + 2 * HOUR_MS, count: 5, min: 9, max: 100, avg: 28.4 });
      // Eight days later: the raw rows are gone, the hours stay.
      const later = await store.maintainSeries({ now: H0 + 8 * DAY, rawRetentionMs: 7 * DAY, hourlyRetentionMs: 90 * DAY });
      expect(later.rawDropped).toBe(13);
      expect(await store.listSamples({ deviceId: id, path: 'K', ...all })).toEqual([]);
      expect(await store.listSampleHours({ deviceId: id, path: 'K', ...all })).toHaveLength(3);
      expect(await store.listSeriesPaths(id)).toEqual(['K']);
      // Ninety-one days later the hours go too.
      const gone = await store.maintainSeries({ now: H0 + 91 * DAY, rawRetentionMs: 7 * DAY, hourlyRetentionMs: 90 * DAY });
      expect(gone.hoursDropped).toBe(3);
      expect(await store.listSeriesPaths(id)).toEqual([]);
    });

    it('keeps samples written after a maintenance run (today and the next days are ready)', async () => {
      const id = idOf('S6');
      await store.maintainSeries({ now: H0, rawRetentionMs: 7 * DAY, hourlyRetentionMs: 90 * DAY });
      await store.appendSamples([s(id, 'K', H0 + 1000, '1'), s(id, 'K', H0 + DAY + 1000, '2'), s(id, 'K', H0 + 30 * DAY, '3')]);
      expect((await store.listSamples({ deviceId: id, path: 'K', ...all })).map((x) => x.value)).toEqual(['1', '2', '3']);
      // Retention drops what is older than the cut: a whole first day, and part of the second.
      const r = await store.maintainSeries({ now: H0 + 8 * DAY + 2000, rawRetentionMs: 7 * DAY, hourlyRetentionMs: 90 * DAY });
      expect(r.rawDropped).toBe(2);
      expect((await store.listSamples({ deviceId: id, path: 'K', ...all })).map((x) => x.value)).toEqual(['3']);
    });

    it("deleting a device deletes its series", async () => {
      const id = idOf('S7');
      await h.inform(id, { informAt: H0, samples: [{ path: 'K', at: H0, value: '1', source: 'sample' }] });
      await store.maintainSeries({ now: H0 + 2 * HOUR_MS, rawRetentionMs: 7 * DAY, hourlyRetentionMs: 90 * DAY });
      expect(await store.deleteDevice(id)).toBe(true);
      expect(await store.listSeriesPaths(id)).toEqual([]);
    });

    it('keeps sampling profiles: create, list, update, delete', async () => {
      const made = await store.createSamplingProfile(
        { name: 'wan', enabled: true, intervalSeconds: 300, parameters: [{ path: 'Device.IP.Interface.1.Stats.BytesReceived', counter: true }], match: { productClass: 'IGD', tags: ['lab'] } },
        T0,
      );
      expect(made).toMatchObject({ name: 'wan', enabled: true, intervalSeconds: 300, createdAt: T0, updatedAt: T0 });
      expect(await store.listSamplingProfiles()).toEqual([made]);
      const changed = await store.updateSamplingProfile(made.id, { name: 'wan2', enabled: false, intervalSeconds: 60, parameters: [], match: {} }, T0 + 1);
      expect(changed).toEqual({ id: made.id, name: 'wan2', enabled: false, intervalSeconds: 60, parameters: [], match: {}, createdAt: T0, updatedAt: T0 + 1 });
      expect(await store.updateSamplingProfile('nope', { name: 'x', enabled: true, intervalSeconds: 60, parameters: [], match: {} }, T0)).toBeNull();
      expect(await store.deleteSamplingProfile(made.id)).toBe(true);
      expect(await store.deleteSamplingProfile(made.id)).toBe(false);
      expect(await store.listSamplingProfiles()).toEqual([]);
    });
  });
}
