/**
 * GET /metrics over real HTTP after real simulated sessions: the text parses with a strict
 * Prometheus reader (test/helpers/prom-text.ts), any API role may read it and no token may
 * not, and the counters move by exactly what the test did: sessions the CPEs ran, RPCs and
 * faults, tasks queued and done, connection requests, store round trips. What a CPE says is
 * folded into bounded labels (it cannot grow the number of series).
 */
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildEnvelope } from '../../src/cwmp/codec.js';
import type { Inform } from '../../src/cwmp/types.js';
import { storeCalls, storeErrors } from '../../src/metrics/registry.js';
import { createSqliteStore } from '../../src/store/sqlite/index.js';
import { timedStore } from '../../src/store/timed.js';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parsePrometheusText, type Exposition } from '../helpers/prom-text.js';
import { Api, inPath, SimFleet, startStack, until, type Stack } from './helpers.js';

let s: Stack;
let fleet: SimFleet;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'flotilla-metrics-'));
  // As `flotilla serve` wires it (src/cli/serve.ts): every store call timed into the registry.
  const store = timedStore(await createSqliteStore({ dataDir: dir }), (method, seconds, failed) => {
    storeCalls.observe({ method }, seconds);
    if (failed) storeErrors.inc({ method });
  });
  s = await startStack({ store, dir });
  fleet = new SimFleet(s.acs.cwmpUrl);
});
afterAll(async () => {
  await fleet?.close();
  await s?.close();
  await rm(dir, { recursive: true, force: true });
});

async function scrape(token: string | null = s.api.token): Promise<Exposition> {
  const r = await fetch(`${s.nbi.url}/metrics`, token === null ? {} : { headers: { authorization: `Bearer ${token}` } });
  expect(r.status).toBe(200);
  expect(r.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return parsePrometheusText(await r.text());
}

/** One POST; its status and the session cookie it set. */
function post(url: string, body: string, cookie?: string): Promise<{ status: number; cookie: string | undefined }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { 'Content-Type': 'text/xml', Connection: 'close', ...(cookie !== undefined ? { Cookie: cookie } : {}) };
    const req = request(url, { method: 'POST', agent: false, headers }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, cookie: res.headers['set-cookie']?.[0]?.split(';')[0] }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('GET /metrics', () => {
  it('needs a token: 401 without one or with a wrong one, 200 for every API role', async () => {
    const none = await fetch(`${s.nbi.url}/metrics`);
    expect(none.status).toBe(401);
    expect(await none.json()).toMatchObject({ code: 'UNAUTHORIZED' });
    expect((await fetch(`${s.nbi.url}/metrics`, { headers: { authorization: 'Bearer flt_wrong' } })).status).toBe(401);
    expect((await fetch(`${s.nbi.url}/metrics`, { headers: { authorization: 'Basic YTpi' } })).status).toBe(401);
    for (const role of ['read-only', 'operator', 'admin']) {
      const made = await s.api.post('/tokens', { name: `metrics-${role}`, role });
      expect(made.status).toBe(201);
      const m = await scrape(made.body.token as string);
      expect(m.types.get('flotilla_cwmp_sessions_total')).toBe('counter');
    }
  });

  it('is in the OpenAPI document, and other methods are refused', async () => {
    const doc = await s.api.get('/openapi.json');
    expect(Object.keys(doc.body.paths)).toContain('/metrics');
    const r = await fetch(`${s.nbi.url}/metrics`, { method: 'POST', headers: { authorization: `Bearer ${s.api.token}` }, body: 'x' });
    expect(r.status).toBe(404);
  });

  it('has the families an operator needs, typed, with process figures', async () => {
    const m = await scrape();
    const want: Record<string, string> = {
      flotilla_cwmp_sessions_total: 'counter',
      flotilla_cwmp_session_duration_seconds: 'histogram',
      flotilla_cwmp_sessions_active: 'gauge',
      flotilla_cwmp_informs_total: 'counter',
      flotilla_cwmp_rpcs_total: 'counter',
      flotilla_tasks_total: 'counter',
      flotilla_connection_requests_total: 'counter',
      flotilla_store_call_duration_seconds: 'histogram',
      flotilla_webhook_deliveries_total: 'counter',
      flotilla_webhook_deliveries_in_flight: 'gauge',
      flotilla_events_published_total: 'counter',
      nodejs_eventloop_lag_seconds: 'gauge',
      process_resident_memory_bytes: 'gauge',
      process_cpu_seconds_total: 'counter',
    };
    for (const [name, type] of Object.entries(want)) expect(m.types.get(name), name).toBe(type);
    for (const name of m.types.keys()) expect(m.help.get(name), name).toBeTruthy();
  });

  it('counts the sessions, informs, RPCs, faults, tasks, connection requests and store round trips that happened', async () => {
    const before = await scrape();
    const sessionsBefore = fleet.sessions.length;
    const a = await fleet.add('MET001');
    const b = await fleet.add('MET002');
    // A task with a connection request: one answered request over HTTP, one GetParameterValues.
    const got = await s.api.post(`/devices/${inPath(a.id)}/tasks?connectionRequest=true&wait=10`, {
      type: 'getParameterValues',
      parameterNames: ['Device.DeviceInfo.UpTime'],
    });
    expect(got.status, got.text).toBe(200);
    // One the CPE faults (a path its model does not have): a 9005 on the wire.
    const bad = await s.api.post(`/devices/${inPath(b.id)}/tasks?connectionRequest=true&wait=10`, {
      type: 'getParameterValues',
      parameterNames: ['Device.NoSuchThing.Here'],
    });
    expect(bad.status, bad.text).toBeLessThan(300);

    const ran = () => fleet.sessions.slice(sessionsBefore).filter((r) => r.ok).length;
    await until(async () => (await scrape()).value('flotilla_cwmp_sessions_total', { outcome: 'ok' }) - before.value('flotilla_cwmp_sessions_total', { outcome: 'ok' }) >= ran());
    const after = await scrape();
    const d = (name: string, match: Record<string, string> = {}) => after.value(name, match) - before.value(name, match);

    // Exactly the sessions the CPEs ran: 2 bootstraps + 2 connection-request sessions.
    expect(ran()).toBe(4);
    expect(d('flotilla_cwmp_sessions_total', { outcome: 'ok' })).toBe(4);
    expect(d('flotilla_cwmp_session_duration_seconds_count')).toBe(4);
    expect(d('flotilla_cwmp_informs_total', { event: '0 BOOTSTRAP' })).toBe(2);
    expect(d('flotilla_cwmp_informs_total', { event: '6 CONNECTION REQUEST' })).toBe(2);
    expect(after.value('flotilla_cwmp_sessions_active')).toBe(0);
    expect(d('flotilla_cwmp_rpcs_total', { method: 'GetParameterValues', outcome: 'done' })).toBeGreaterThanOrEqual(1);
    expect(d('flotilla_cwmp_rpcs_total', { method: 'GetParameterValues', outcome: 'fault', fault_code: '9005' })).toBe(1);
    expect(d('flotilla_tasks_total', { type: 'getParameterValues', state: 'queued' })).toBe(2);
    expect(d('flotilla_tasks_total', { type: 'getParameterValues', state: 'done' })).toBe(1);
    expect(d('flotilla_tasks_total', { type: 'getParameterValues', state: 'faulted' })).toBe(1);
    expect(d('flotilla_connection_requests_total', { path: 'http', outcome: 'answered' })).toBe(2);
    expect(d('flotilla_events_published_total', { type: 'device.registered' })).toBe(2);
    // Store round trips, by method: every committed session wrote once.
    expect(d('flotilla_store_call_duration_seconds_count', { method: 'commitSession' })).toBe(4);
    expect(d('flotilla_store_call_duration_seconds_count')).toBeGreaterThan(8);
  });

  it('folds what a CPE says into bounded labels (no series per made-up event code)', async () => {
    const before = await scrape();
    const inform = (serial: string, codes: string[]): string => {
      const body: Inform = {
        method: 'Inform',
        deviceId: { manufacturer: 'Acme', oui: '00D09E', productClass: 'IGD', serialNumber: serial },
        event: codes.map((eventCode) => ({ eventCode, commandKey: '' })),
        maxEnvelopes: 1,
        currentTime: new Date().toISOString(),
        retryCount: 0,
        parameterList: [],
      };
      return buildEnvelope({ namespace: 'urn:dslforum-org:cwmp-1-2', header: { id: '1' }, body });
    };
    // The metrics registry is the process's: a second ACS whose idle sessions end quickly counts into it too.
    const quick = await startStack({ acs: { sessionTimeoutMs: 300 } });
    try {
      for (let i = 0; i < 5; i++) {
        const opened = await post(quick.acs.cwmpUrl, inform(`EVIL${i}`, [`M X_EVIL_${i}`, `99 MADE UP ${i}`, `2 PERIODIC`]));
        expect(opened.status).toBe(200);
      }
      await until(async () => (await scrape()).value('flotilla_cwmp_informs_total', { event: 'other' }) - before.value('flotilla_cwmp_informs_total', { event: 'other' }) >= 5);
    } finally {
      await quick.close();
    }
    const m = await until(async () => {
      const x = await scrape();
      return x.value('flotilla_cwmp_informs_total', { event: 'other' }) - before.value('flotilla_cwmp_informs_total', { event: 'other' }) >= 5 ? x : null;
    });
    const events = new Set(m.samples.filter((x) => x.name === 'flotilla_cwmp_informs_total').map((x) => x.labels.event));
    for (const e of events) expect(e).not.toMatch(/EVIL|MADE UP/);
    expect(m.value('flotilla_cwmp_informs_total', { event: 'vendor' }) - before.value('flotilla_cwmp_informs_total', { event: 'vendor' })).toBe(5);
  });
});

void Api;
