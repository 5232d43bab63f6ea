/**
 * KPI series end to end with simulated CPEs (src/cpe) over real HTTP:
 *  - notifications: a passive one's change rides the next Inform, an active one opens a
 *    session by itself; both are kept as a value history with their time;
 *  - sampling profiles: counters become rates (a 32-bit wrap and a reboot's restart too),
 *    gauges stay numbers, samples ride sessions that happen anyway (no session of their own,
 *    at most one GetParameterValues per interval);
 *  - the query API: a device's paths and series, aggregates over a filter;
 *  - bad input: malformed, secret, oversized, wrong role.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Cpe } from '../../src/cpe/client/cpe.js';
import { inPath, SimFleet, startStack, until, type Json, type Stack } from '../nbi/helpers.js';

let s: Stack;
let fleet: SimFleet;

beforeAll(async () => {
  s = await startStack();
  fleet = new SimFleet(s.acs.cwmpUrl);
});
afterAll(async () => {
  await fleet?.close();
  await s?.close();
});

const CPU = 'Device.DeviceInfo.ProcessStatus.CPUUsage';
const SSID = 'Device.WiFi.SSID.1.SSID';
const BYTES = 'Device.Ethernet.Interface.1.Stats.BytesReceived';
const FREE = 'Device.DeviceInfo.MemoryStatus.Free';

/** One more session of the device (a periodic Inform), resolved when it ended well. */
async function session(sn: string, cpe: Cpe): Promise<void> {
  const before = fleet.sessionsOf(sn).length;
  cpe.inform('2 PERIODIC');
  await until(() => fleet.sessionsOf(sn).slice(before).some((r) => r.ok));
}

async function points(id: string, path: string): Promise<Json[]> {
  const r = await s.api.get(`/devices/${inPath(id)}/series/${encodeURIComponent(path)}?from=0`);
  expect(r.status, r.text).toBe(200);
  return r.body.points as Json[];
}

describe('notifications', () => {
  it('keeps passive and active value changes as a value history', async () => {
    const { id, cpe } = await fleet.add('KPI001');
    const set = await s.api.post(`/devices/${inPath(id)}/tasks?connectionRequest=true&wait=10`, {
      type: 'setParameterAttributes',
      parameterAttributes: [
        { name: CPU, notification: 1 },
        { name: SSID, notification: 2 },
      ],
    });
    expect(set.status, set.text).toBe(200);
    expect(set.body.state).toBe('done');

    // Passive: nothing happens until the next Inform, which carries the new value.
    const sessionsBefore = fleet.sessionsOf('KPI001').length;
    cpe.setValue(CPU, '55');
    expect(fleet.sessionsOf('KPI001').length).toBe(sessionsBefore);
    await session('KPI001', cpe);
    cpe.setValue(CPU, '60');
    await session('KPI001', cpe);
    const cpu = await points(id, CPU);
    expect(cpu.map((p) => [p.value, p.num, p.source])).toEqual([
      ['55', 55, 'change'],
      ['60', 60, 'change'],
    ]);
    expect(Date.parse(cpu[1].at)).toBeGreaterThanOrEqual(Date.parse(cpu[0].at));

    // Active: the CPE opens a session by itself.
    cpe.setValue(SSID, 'Home "net"');
    await until(async () => (await points(id, SSID)).length === 1);
    expect((await points(id, SSID))[0]).toMatchObject({ value: 'Home "net"', num: null, source: 'change' });

    const paths = await s.api.get(`/devices/${inPath(id)}/series`);
    expect(paths.body.paths).toEqual(expect.arrayContaining([CPU, SSID]));
    // Identity and bookkeeping the Inform always carries are not value changes.
    expect(paths.body.paths.some((p: string) => /SoftwareVersion|ManagementServer\./.test(p))).toBe(false);
  });
});

describe('sampling profiles', () => {
  it('samples in sessions that happen anyway: counters as rates (wrap, reboot), gauges as numbers', async () => {
    const made = await s.api.post('/sampling-profiles', {
      name: 'wan and memory',
      intervalSeconds: 1,
      parameters: [{ path: BYTES, counter: true }, { path: FREE }],
      match: { tags: ['sampled'] },
    });
    expect(made.status, made.text).toBe(201);
    const { id, cpe } = await fleet.add('KPI002');
    expect((await s.api.post(`/devices/${inPath(id)}/tags`, { add: ['sampled'] })).status).toBeLessThan(300);

    const values = ['10000', '30000', '4294967000', '2000', '500'];
    for (const v of values) {
      cpe.setValue(BYTES, v);
      // At least one interval apart: each session is the first of its interval.
      await new Promise((r) => setTimeout(r, 1100));
      await session('KPI002', cpe);
    }
    const bytes = await until(async () => {
      const p = await points(id, BYTES);
      return p.length === values.length ? p : null;
    });
    expect(bytes.map((p) => p.value)).toEqual(values);
    const dt = (i: number) => (Date.parse(bytes[i].at) - Date.parse(bytes[i - 1].at)) / 1000;
    expect(bytes[0].rate).toBeNull();
    expect(bytes[1].rate).toBeCloseTo(20000 / dt(1), 6);
    expect(bytes[2].rate).toBeCloseTo((4294967000 - 30000) / dt(2), 6);
    // 4294967000 → 2000: a 32-bit wrap (2000 + 2^32 - 4294967000 = 2296).
    expect(bytes[3].rate).toBeCloseTo(2296 / dt(3), 6);
    // 2000 → 500: a restart (reboot): 500 counted since.
    expect(bytes[4].rate).toBeCloseTo(500 / dt(4), 6);
    for (const p of bytes) expect(p.source).toBe('sample');
    const free = await points(id, FREE);
    expect(free.length).toBeGreaterThanOrEqual(values.length);
    expect(free.every((p) => p.num === 131072 && p.rate === null)).toBe(true);

    // No session of its own: every session the device had, it was asked for (bootstrap + ours).
    expect(fleet.sessionsOf('KPI002').length).toBe(1 + values.length);
    await s.api.del(`/sampling-profiles/${made.body.id}`);
  });

  it('asks at most once per interval, and nothing when no profile is due', async () => {
    const made = await s.api.post('/sampling-profiles', { name: 'weekly', intervalSeconds: 7 * 86_400, parameters: [{ path: FREE }], match: { tags: ['weekly'] } });
    expect(made.status).toBe(201);
    const { id, cpe } = await fleet.add('KPI003');
    expect((await s.api.post(`/devices/${inPath(id)}/tags`, { add: ['weekly'] })).status).toBeLessThan(300);
    for (let i = 0; i < 3; i++) await session('KPI003', cpe);
    const log = await s.api.get(`/devices/${inPath(id)}/sessions?limit=10`);
    expect(log.status, log.text).toBe(200);
    const reads = (log.body.sessions as Json[]).slice(0, 3).filter((x) => (x.rpcs as Json[]).some((r) => r.method === 'GetParameterValues'));
    // Three sessions in one weekly interval: one read at most (none if the week began before the first).
    expect(reads.length).toBeLessThanOrEqual(1);
    expect((await points(id, FREE)).length).toBe(reads.length);
    await s.api.del(`/sampling-profiles/${made.body.id}`);
  });
});

describe('aggregates over a filter', () => {
  it('count, min, max, avg and percentiles of one path over the devices a filter matches', async () => {
    const ids: string[] = [];
    for (const [i, v] of ['10', '20', '30', '40'].entries()) {
      const { id, cpe } = await fleet.add(`AGG00${i}`);
      ids.push(id);
      const attrs = await s.api.post(`/devices/${inPath(id)}/tasks?connectionRequest=true&wait=10`, { type: 'setParameterAttributes', parameterAttributes: [{ name: CPU, notification: 1 }] });
      expect(attrs.body.state).toBe('done');
      cpe.setValue(CPU, v);
      await session(`AGG00${i}`, cpe);
    }
    const all = await s.api.get(`/series/aggregate?path=${encodeURIComponent(CPU)}&filter=${encodeURIComponent('serialNumber ^= AGG00')}&from=0&percentiles=50,95`);
    expect(all.status, all.text).toBe(200);
    expect(all.body).toMatchObject({ matched: 4, devices: 4, count: 4, min: 10, max: 40, avg: 25, percentiles: { '50': 20, '95': 40 } });
    const two = await s.api.get(
      `/series/aggregate?path=${encodeURIComponent(CPU)}&filter=${encodeURIComponent('serialNumber ^= AGG00')}&filter=${encodeURIComponent('serialNumber <= AGG001')}&from=0&percentiles=95`,
    );
    expect(two.status, two.text).toBe(200);
    expect(two.body).toMatchObject({ matched: 2, count: 2, max: 20 });
    const none = await s.api.get(`/series/aggregate?path=${encodeURIComponent(CPU)}&filter=serialNumber%20%3D%20NOPE&from=0`);
    expect(none.body).toMatchObject({ matched: 0, count: 0, min: null, percentiles: { '95': null } });
  });
});

describe('bad input', () => {
  it('refuses malformed, secret, oversized and unauthorised requests, and stores nothing', async () => {
    const good = { name: 'x', intervalSeconds: 60, parameters: [{ path: FREE }] };
    const cases: [unknown, number][] = [
      [{ ...good, parameters: [{ path: 'Device.ManagementServer.Password' }] }, 400],
      [{ ...good, parameters: [{ path: 'Device.WiFi.AccessPoint.1.Security.KeyPassphrase' }] }, 400],
      [{ ...good, parameters: [{ path: 'not a path' }] }, 400],
      [{ ...good, parameters: [] }, 400],
      [{ ...good, parameters: Array.from({ length: 65 }, (_, i) => ({ path: `Device.X.${i}` })) }, 400],
      [{ ...good, parameters: [{ path: FREE }, { path: FREE }] }, 400],
      [{ ...good, intervalSeconds: 0 }, 400],
      [{ ...good, intervalSeconds: 1.5 }, 400],
      [{ ...good, name: 'y'.repeat(129) }, 400],
      [{ ...good, extra: 1 }, 400],
      [{ ...good, match: { tags: ['a'], evil: true } }, 400],
      [{ ...good, parameters: [{ path: `Device.${'A'.repeat(300)}` }] }, 400],
    ];
    const before = (await s.api.get('/sampling-profiles')).body.profiles.length;
    for (const [body, status] of cases) {
      const r = await s.api.post('/sampling-profiles', body);
      expect(r.status, JSON.stringify(body).slice(0, 120)).toBe(status);
      expect(r.body.code).toBeTruthy();
    }
    expect((await s.api.req('POST', '/sampling-profiles', undefined, { raw: '{"name":' })).status).toBe(400);
    const big = await s.api.req('POST', '/sampling-profiles', undefined, { raw: JSON.stringify({ ...good, name: 'z'.repeat(2_000_000) }) });
    expect(big.status).toBe(413);
    // Roles: reading is anyone's, changing is an operator's.
    const ro = await s.api.post('/tokens', { name: 'ro', role: 'read-only' });
    const reader = s.api.as(ro.body.token as string);
    expect((await reader.get('/sampling-profiles')).status).toBe(200);
    expect((await reader.post('/sampling-profiles', good)).status).toBe(403);
    expect((await s.api.as(null).get('/sampling-profiles')).status).toBe(401);
    expect((await s.api.as(null).get('/series/aggregate?path=Device.X')).status).toBe(401);
    expect((await s.api.get('/sampling-profiles')).body.profiles.length).toBe(before);

    // Queries: unknown device, secret path, bad time, bad percentiles.
    const { id } = await fleet.add('KPI004');
    expect((await s.api.get(`/devices/${inPath('00D09E-NOPE-0')}/series`)).status).toBe(404);
    expect((await s.api.get(`/devices/${inPath(id)}/series/${encodeURIComponent('Device.ManagementServer.Password')}`)).status).toBe(400);
    expect((await s.api.get(`/devices/${inPath(id)}/series/${encodeURIComponent(FREE)}?from=yesterday`)).status).toBe(400);
    expect((await s.api.get(`/devices/${inPath(id)}/series/${encodeURIComponent(FREE)}?from=2000&to=1000`)).status).toBe(400);
    expect((await s.api.get(`/devices/${inPath(id)}/series/${encodeURIComponent(FREE)}?resolution=minute`)).status).toBe(400);
    expect((await s.api.get(`/series/aggregate?path=${encodeURIComponent(FREE)}&percentiles=0`)).status).toBe(400);
    expect((await s.api.get(`/series/aggregate?path=${encodeURIComponent(FREE)}&percentiles=95;drop`)).status).toBe(400);
    expect((await s.api.get(`/series/aggregate?path=Device.ManagementServer.Password`)).status).toBe(400);
    expect((await s.api.get(`/series/aggregate?path=${encodeURIComponent(FREE)}&filter=${encodeURIComponent('Device.ManagementServer.Password = x')}`)).status).toBe(400);
  });
});

describe('notification attributes from a policy', () => {
  it('a policy declaring passive notification sets it once; the changes then land in the series', async () => {
    const pol = await s.api.post('/policies', {
      name: 'watch memory',
      filter: 'serialNumber ^= NOTIF',
      declarations: [{ path: FREE, notification: 1 }],
    });
    expect(pol.status, pol.text).toBe(201);
    const { id, cpe } = await fleet.add('NOTIF001');
    // The bootstrap session evaluated the policy and set the attribute on the device.
    const attrs = cpe.model.handle({ method: 'GetParameterAttributes', parameterNames: [FREE] });
    expect(attrs.response).toMatchObject({ parameterList: [{ name: FREE, notification: 1 }] });
    // The tree records it, so the next evaluation does not send it again.
    const dev = await s.api.get(`/devices/${inPath(id)}`);
    expect(dev.status, dev.text).toBe(200);
    expect(dev.body.parameters[FREE]).toMatchObject({ notification: 1 });
    cpe.setValue(FREE, '4096');
    await session('NOTIF001', cpe);
    expect((await points(id, FREE)).map((p) => [p.value, p.source])).toEqual([['4096', 'change']]);
    const log = await s.api.get(`/devices/${inPath(id)}/sessions?limit=10`);
    const spa = (log.body.sessions as Json[]).filter((x) => (x.rpcs as Json[]).some((r) => r.method === 'SetParameterAttributes'));
    expect(spa).toHaveLength(1);
    await s.api.del(`/policies/${pol.body.id}`);
  });
});
