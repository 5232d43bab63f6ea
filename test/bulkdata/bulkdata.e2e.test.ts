/**
 * TR-232 bulk data end to end, over real HTTP on loopback with simulated CPEs (src/cpe):
 *  - a sampling profile with `bulkData` is configured on the device in a session
 *    (Device.BulkData.Profile.{i}: HTTP, encoding, interval, references, the signed URL of the
 *    ACS's receiver), reconfigured when the profile changes, removed when it is deleted, and
 *    never looked at in an idle periodic session;
 *  - the simulator's reports in all four layouts land in the KPI series (source "bulk",
 *    counters as rates);
 *  - refused reports (malformed, oversized, unauthenticated, tampered, another device's,
 *    another profile's, out of time) store nothing.
 */
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeCredential } from '../../src/auth/server.js';
import type { Cpe } from '../../src/cpe/client/cpe.js';
import { AuthenticatingClient, transferAgent } from '../../src/cpe/client/http.js';
import { inPath, SimFleet, startStack, until, type Json, type Stack } from '../nbi/helpers.js';

let s: Stack;
let fleet: SimFleet;

beforeAll(async () => {
  s = await startStack({ bulkData: true });
  fleet = new SimFleet(s.acs.cwmpUrl);
});
afterAll(async () => {
  await fleet?.close();
  await s?.close();
});

const BYTES = 'Device.Ethernet.Interface.1.Stats.BytesReceived';
const CPU = 'Device.DeviceInfo.ProcessStatus.CPUUsage';
const P = 'Device.BulkData.Profile.';

async function session(sn: string, cpe: Cpe): Promise<Json> {
  const before = fleet.sessionsOf(sn).length;
  cpe.inform('2 PERIODIC');
  await until(() => fleet.sessionsOf(sn).slice(before).some((r) => r.ok));
  return fleet.sessionsOf(sn).slice(before).find((r) => r.ok);
}

async function points(id: string, path: string): Promise<Json[]> {
  const r = await s.api.get(`/devices/${inPath(id)}/series/${encodeURIComponent(path)}?from=0`);
  expect(r.status, r.text).toBe(200);
  return r.body.points as Json[];
}

/** Every sample of the device, all paths. */
async function allSamples(id: string): Promise<number> {
  let n = 0;
  for (const path of await s.store.listSeriesPaths(id)) n += (await s.store.listSamples({ deviceId: id, path, from: 0, to: Date.now() + 86_400_000, limit: 100_000 })).length;
  return n;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The next report gets a later whole-second CollectionTime than the last. */
async function nextSecond(): Promise<void> {
  await sleep(1000 - (Date.now() % 1000) + 20);
}

let profileId = '';
let dev: { id: string; cpe: Cpe };

describe('configured in sessions, reported over HTTP', () => {
  it('configures Device.BulkData.Profile on the device in its first session', async () => {
    const r = await s.api.post('/sampling-profiles', {
      name: 'wan bulk',
      intervalSeconds: 300,
      parameters: [{ path: BYTES, counter: true }, { path: CPU }],
      bulkData: { encoding: 'JSON', reportFormat: 'NameValuePair' },
    });
    expect(r.status, r.text).toBe(201);
    expect(r.body.bulkData).toEqual({ encoding: 'JSON', reportFormat: 'NameValuePair' });
    profileId = r.body.id;
    await s.acs.sampling.refresh();

    dev = await fleet.add('BULK001');
    const m = dev.cpe.model;
    expect(m.get(`${P}1.Alias`)?.value).toBe(`flotilla-${profileId}`);
    expect(m.get(`${P}1.Enable`)?.value).toBe('true');
    expect(m.get(`${P}1.Protocol`)?.value).toBe('HTTP');
    expect(m.get(`${P}1.EncodingType`)?.value).toBe('JSON');
    expect(m.get(`${P}1.JSONEncoding.ReportFormat`)?.value).toBe('NameValuePair');
    expect(m.get(`${P}1.ReportingInterval`)?.value).toBe('300');
    expect([m.get(`${P}1.Parameter.1.Reference`)?.value, m.get(`${P}1.Parameter.2.Reference`)?.value].sort()).toEqual([BYTES, CPU].sort());
    const url = m.get(`${P}1.HTTP.URL`)!.value;
    expect(url.startsWith(`${s.transfer!.url}/bulkdata/${profileId}?`)).toBe(true);
    // The signed URL is a credential: the stored tree and the API never show it.
    const stored = await s.store.readParameters(dev.id, [`${P}1.HTTP.URL`]);
    expect(JSON.stringify(stored)).not.toContain('s=');
    const shown = await s.api.get(`/devices/${inPath(dev.id)}`);
    expect(shown.text).not.toContain(url.split('?')[1]);
  });

  it('an idle periodic session does not look at bulk data', async () => {
    const r = await session('BULK001', dev.cpe);
    expect(r.rpcs).toEqual([]);
  });

  it('reports land in the series, counters as rates (JSON NameValuePair)', async () => {
    dev.cpe.setValue(BYTES, '1000');
    dev.cpe.setValue(CPU, '20');
    await nextSecond();
    expect((await dev.cpe.reportBulkData()).map((x) => x.status)).toEqual([200]);
    dev.cpe.setValue(BYTES, '6000');
    dev.cpe.setValue(CPU, '30');
    await nextSecond();
    expect((await dev.cpe.reportBulkData()).map((x) => x.status)).toEqual([200]);
    const bytes = await points(dev.id, BYTES);
    expect(bytes.map((p) => [p.value, p.source])).toEqual([
      ['1000', 'bulk'],
      ['6000', 'bulk'],
    ]);
    const dt = (Date.parse(bytes[1].at) - Date.parse(bytes[0].at)) / 1000;
    expect(dt).toBeGreaterThanOrEqual(1);
    expect(bytes[0].rate).toBeNull();
    expect(bytes[1].rate).toBeCloseTo(5000 / dt, 6);
    expect((await points(dev.id, CPU)).map((p) => p.num)).toEqual([20, 30]);
  });

  for (const [encoding, reportFormat, cpu] of [
    ['JSON', 'ObjectHierarchy', '41'],
    ['CSV', 'ParameterPerRow', '42'],
    ['CSV', 'ParameterPerColumn', '43'],
  ] as const) {
    it(`a changed profile is reconfigured at the next session; ${encoding} ${reportFormat} lands too`, async () => {
      const r = await s.api.put(`/sampling-profiles/${profileId}`, {
        name: 'wan bulk',
        intervalSeconds: 300,
        parameters: [{ path: BYTES, counter: true }, { path: CPU }],
        bulkData: { encoding, reportFormat },
      });
      expect(r.status, r.text).toBe(200);
      await s.acs.sampling.refresh();
      const sess = await session('BULK001', dev.cpe);
      // Same instance, only what differs set: no AddObject.
      expect(sess.rpcs.some((x: Json) => /AddObject/.test(x.method))).toBe(false);
      const m = dev.cpe.model;
      expect(m.get(`${P}1.EncodingType`)?.value).toBe(encoding);
      expect(m.get(`${P}1.${encoding === 'JSON' ? 'JSONEncoding' : 'CSVEncoding'}.ReportFormat`)?.value).toBe(reportFormat);
      dev.cpe.setValue(CPU, cpu);
      await nextSecond();
      expect((await dev.cpe.reportBulkData()).map((x) => x.status)).toEqual([200]);
      expect((await points(dev.id, CPU)).at(-1)).toMatchObject({ value: cpu, num: Number(cpu), source: 'bulk' });
    });
  }

  it('the simulator reports on its own every ReportingInterval', async () => {
    const r = await s.api.put(`/sampling-profiles/${profileId}`, {
      name: 'wan bulk',
      intervalSeconds: 1,
      parameters: [{ path: BYTES, counter: true }, { path: CPU }],
      bulkData: { encoding: 'JSON', reportFormat: 'NameValuePair' },
    });
    expect(r.status, r.text).toBe(200);
    await s.acs.sampling.refresh();
    await session('BULK001', dev.cpe);
    expect(dev.cpe.model.get(`${P}1.ReportingInterval`)?.value).toBe('1');
    const before = (await points(dev.id, CPU)).length;
    await until(async () => (await points(dev.id, CPU)).length >= before + 2);
  });
});

describe('refused reports store nothing', () => {
  let url: URL;
  let other: { id: string; cpe: Cpe };
  const json = (o: unknown) => JSON.stringify(o);
  const report = () => json({ Report: [{ CollectionTime: Math.floor(Date.now() / 1000), [CPU]: 99 }] });

  beforeAll(async () => {
    // Slow the device's own reports down again so they do not mix with the checks.
    await s.api.put(`/sampling-profiles/${profileId}`, {
      name: 'wan bulk',
      intervalSeconds: 3600,
      parameters: [{ path: BYTES, counter: true }, { path: CPU }],
      bulkData: { encoding: 'JSON', reportFormat: 'NameValuePair' },
    });
    await s.acs.sampling.refresh();
    await session('BULK001', dev.cpe);
    url = new URL(dev.cpe.model.get(`${P}1.HTTP.URL`)!.value);
    other = await fleet.add('BULK002');
  });

  async function post(target: URL | string, body: string | Buffer, headers: Record<string, string> = {}, method = 'POST'): Promise<{ status: number; text: string; headers: Headers }> {
    const r = await fetch(target, { method, body: method === 'GET' ? null : body, headers: { 'content-type': 'application/json', ...headers } });
    return { status: r.status, text: await r.text(), headers: r.headers };
  }

  it('accepts a well-formed one (the baseline the others differ from)', async () => {
    await nextSecond();
    const r = await post(url, report());
    expect(r.status, r.text).toBe(200);
    expect(JSON.parse(r.text)).toEqual({ stored: 1, ignored: 0 });
  });

  it('refuses each, with its status, and stores nothing', async () => {
    const before = await allSamples(dev.id);
    const otherBefore = await allSamples(other.id);
    await nextSecond();
    const unsigned = new URL(url.pathname, url);
    const tampered = new URL(url);
    tampered.searchParams.set('d', other.id);
    const otherProfile = new URL(url);
    otherProfile.pathname = '/bulkdata/00000000-0000-0000-0000-000000000000';
    const expired = new URL(url);
    expired.searchParams.set('e', '1000');
    const cases: [string, URL, string | Buffer, Record<string, string>, number, string?][] = [
      ['malformed JSON', url, '{"Report":[{', {}, 400],
      ['a hostile name', url, json({ Report: [{ 'Device.X..Y': 1 }] }), {}, 400],
      ['deep nesting', url, `{"Report":[${'['.repeat(500)}${']'.repeat(500)}]}`, {}, 400],
      ['malformed CSV', url, 'ReportTimestamp,Device.A\r\n1,"x', { 'content-type': 'text/csv' }, 400],
      ['an unknown format header', url, report(), { 'bbf-report-format': 'Evil' }, 400],
      ['a collection time out of range', url, json({ Report: [{ CollectionTime: 1000, [CPU]: 1 }] }), {}, 400],
      ['oversized', url, json({ Report: [{ [CPU]: 'x'.repeat(300 * 1024) }] }), {}, 413],
      ['oversized once inflated (gzip bomb)', url, gzipSync(Buffer.alloc(20 * 1024 * 1024, 32)), { 'content-encoding': 'gzip' }, 413],
      ['bad gzip', url, Buffer.from('not gzip at all'), { 'content-encoding': 'gzip' }, 400],
      ['no credentials', unsigned, report(), {}, 401, 'www-authenticate'],
      ['a wrong Digest', unsigned, report(), { authorization: 'Digest username="x", realm="r", nonce="n", uri="/", response="00"' }, 401],
      ['Basic over plain HTTP', unsigned, report(), { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` }, 401],
      ['the signed URL re-aimed at another device', tampered, report(), {}, 403],
      ['the signed URL on another profile', otherProfile, report(), {}, 403],
      ['an expired signature', expired, report(), {}, 403],
      ['a report naming another device', url, json({ Report: [{ 'Device.DeviceInfo.SerialNumber': 'BULK002', [CPU]: 5 }] }), {}, 403],
    ];
    for (const [what, target, body, headers, status, header] of cases) {
      const r = await post(target, body, headers);
      expect(r.status, `${what}: ${r.text}`).toBe(status);
      if (header !== undefined) expect(r.headers.get(header), what).toMatch(/Digest/);
    }
    expect((await post(url, '', {}, 'GET')).status).toBe(405);
    expect(await allSamples(dev.id)).toBe(before);
    expect(await allSamples(other.id)).toBe(otherBefore);
  });

  it("the device's own credential (Digest) works without the signature, and only for that device", async () => {
    await s.store.setCpeCredential(dev.id, makeCredential('bulk-a', 'pw-a', s.acs.config.realm));
    const unsigned = new URL(url.pathname, url);
    const send = (creds: { username: string; password: string }, target: URL) =>
      new AuthenticatingClient(creds).send({ method: 'POST', url: target, headers: { 'content-type': 'application/json' }, body: report(), agent: transferAgent(target), timeoutMs: 10_000 });
    const before = await allSamples(dev.id);
    await nextSecond();
    expect((await send({ username: 'bulk-a', password: 'wrong' }, unsigned)).status).toBe(401);
    // A URL naming the other device, with this device's credential.
    const named = new URL(unsigned);
    named.searchParams.set('d', other.id);
    expect((await send({ username: 'bulk-a', password: 'pw-a' }, named)).status).toBe(403);
    expect(await allSamples(dev.id)).toBe(before);
    const ok = await send({ username: 'bulk-a', password: 'pw-a' }, unsigned);
    expect(ok.status, ok.body.toString()).toBe(200);
    expect(await allSamples(dev.id)).toBe(before + 1);
  });

  it('a deleted profile is refused, and removed from the device at its next session', async () => {
    expect((await s.api.del(`/sampling-profiles/${profileId}`)).status).toBe(204);
    await s.acs.sampling.refresh();
    const before = await allSamples(dev.id);
    await nextSecond();
    expect((await post(url, report())).status).toBe(404);
    expect(await allSamples(dev.id)).toBe(before);
    await sleep(5); // the set changed after the device's last Inform
    const sess = await session('BULK001', dev.cpe);
    expect(sess.rpcs.some((x: Json) => /DeleteObject/.test(x.method))).toBe(true);
    expect(dev.cpe.model.get(`${P}1.Alias`)).toBeUndefined();
  });
});
