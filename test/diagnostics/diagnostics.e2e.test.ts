/**
 * Diagnostics end to end: a task over the real API, a real connection request, the session
 * that requests it, the simulated CPE running it (src/cpe/client/diagnostics.ts) and coming
 * back with "8 DIAGNOSTICS COMPLETE", the session that reads it, and the run as
 * GET /devices/{id}/diagnostics shows it. TR-181 on the router model, TR-098 on the gateway.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LiveHooks } from '../../src/cpe/types.js';
import { startMeasure, type MeasureServer } from '../../src/measure/server.js';
import { Api, gatewayTemplate, inPath, SimFleet, startStack, until, type Json, type Stack } from '../nbi/helpers.js';

let s: Stack;
let api: Api;
let tr181: SimFleet;
let tr098: SimFleet;
let tr143: MeasureServer;

beforeAll(async () => {
  s = await startStack();
  tr143 = await startMeasure({ host: '127.0.0.1', port: 0 });
  api = s.api;
  tr181 = new SimFleet(s.acs.cwmpUrl);
  tr098 = new SimFleet(s.acs.cwmpUrl, { template: gatewayTemplate });
});

afterAll(async () => {
  await tr181?.close();
  await tr098?.close();
  await s?.close();
  await tr143?.close();
});

let n = 0;
async function device(fleet: SimFleet) {
  const sn = `DIAG${String(++n).padStart(3, '0')}`;
  return { sn, ...(await fleet.add(sn)) };
}

/** Queue a diagnostic with a connection request; returns its task id. */
async function start(id: string, task: Record<string, unknown>, query = ''): Promise<string> {
  const r = await api.post(`/devices/${inPath(id)}/tasks?connectionRequest=true${query}`, task);
  expect(r.status, r.text).toBeLessThan(300);
  expect(r.body.connectionRequest?.outcome).toBe('answered');
  return r.body.id as string;
}

/** The run of `taskId` once it reached one of `states`. */
async function runOf(id: string, taskId: string, states: string[]): Promise<Json> {
  return until(async () => {
    const r = await api.get(`/devices/${inPath(id)}/diagnostics`);
    const run = (r.body.runs as Json[]).find((x) => x.id === taskId);
    return run !== undefined && states.includes(run.state) ? run : null;
  });
}

describe('ipPing', () => {
  it('TR-181: requested, completed in a later session with 8 DIAGNOSTICS COMPLETE, result stored and listed', async () => {
    const { id, sn } = await device(tr181);
    const taskId = await start(id, { type: 'ipPing', host: '127.0.0.1', count: 5 });
    const run = await runOf(id, taskId, ['complete', 'failed']);
    expect(run).toMatchObject({ type: 'ipPing', state: 'complete', error: null, input: { host: '127.0.0.1', count: 5 } });
    expect(run.result).toMatchObject({ kind: 'ping', diagnosticsState: 'Complete', successCount: 5, failureCount: 0, lossPercent: 0 });
    expect(run.result.rtt.minMs).toBeGreaterThan(0);
    expect(run.result.rtt.minMs).toBeLessThanOrEqual(run.result.rtt.avgMs);
    expect(run.result.rtt.avgMs).toBeLessThanOrEqual(run.result.rtt.maxMs);
    // Two sessions after the one that made the device: the request, then the completion.
    const events = tr181.sessionsOf(sn).map((x) => x.events.join(','));
    expect(events.some((e) => e.includes('8 DIAGNOSTICS COMPLETE'))).toBe(true);
    expect((await api.get(`/tasks/${taskId}`)).body.state).toBe('done');
    // The inputs reached the device.
    const tree = (await api.get(`/devices/${inPath(id)}?subtree=${encodeURIComponent('Device.IP.Diagnostics.IPPing.')}`)).body.parameters;
    expect(tree['Device.IP.Diagnostics.IPPing.Host'].value).toBe('127.0.0.1');
    expect(tree['Device.IP.Diagnostics.IPPing.NumberOfRepetitions'].value).toBe('5');
  });

  it('a host the device cannot resolve is a failed run with the device error', async () => {
    const { id } = await device(tr181);
    const taskId = await start(id, { type: 'ipPing', host: 'nowhere.invalid' });
    const run = await runOf(id, taskId, ['complete', 'failed']);
    expect(run).toMatchObject({ state: 'failed', error: 'Error_CannotResolveHostName', result: { diagnosticsState: 'Error_CannotResolveHostName' } });
  });

  it('a device that never completes stays requested, then expires at the deadline', async () => {
    const { id, cpe } = await device(tr181);
    // The CPE accepts the request and never finishes the test.
    (cpe.model as { live?: LiveHooks }).live = { runDiagnostic: () => new Promise<void>(() => undefined) };
    const taskId = await start(id, { type: 'ipPing', host: '127.0.0.1' }, '&expiry=600');
    const run = await runOf(id, taskId, ['requested']);
    expect(run.expiresAt).not.toBeNull();
    // A periodic session meanwhile does not finish it (and sends nothing for it).
    await start(id, { type: 'getParameterValues', parameterNames: ['Device.DeviceInfo.UpTime'] }, '&wait=10');
    expect((await runOf(id, taskId, ['requested', 'complete', 'failed', 'expired'])).state).toBe('requested');
    // Past its deadline (the expiry sweep, run as the clock would an hour later).
    await s.store.expireTasks(Date.now() + 3_600_000);
    const expired = await runOf(id, taskId, ['expired']);
    expect(expired.error).toMatch(/8 DIAGNOSTICS COMPLETE/);
  });

  it('TR-098: the same task on InternetGatewayDevice.IPPingDiagnostics', async () => {
    const { id } = await device(tr098);
    const taskId = await start(id, { type: 'ipPing', host: 'localhost', count: 3 });
    const run = await runOf(id, taskId, ['complete', 'failed']);
    expect(run).toMatchObject({ state: 'complete', result: { kind: 'ping', successCount: 3, failureCount: 0 } });
    const tree = (await api.get(`/devices/${inPath(id)}?subtree=${encodeURIComponent('InternetGatewayDevice.IPPingDiagnostics.')}`)).body.parameters;
    expect(tree['InternetGatewayDevice.IPPingDiagnostics.Host'].value).toBe('localhost');
  });
});

/** Every diagnostic a model offers, against the ACS's own TR-143 endpoints where it moves bytes. */
describe.each([
  { family: 'TR-181', fleet: () => tr181, root: 'Device.' },
  { family: 'TR-098', fleet: () => tr098, root: 'InternetGatewayDevice.' },
])('$family', ({ fleet, root }) => {
  it('traceRoute: hops with round trips', async () => {
    const { id } = await device(fleet());
    const run = await runOf(id, await start(id, { type: 'traceRoute', host: 'acs.example.net', maxHopCount: 20 }), ['complete', 'failed']);
    expect(run).toMatchObject({ state: 'complete', result: { kind: 'trace' } });
    expect(run.result.hops.length).toBeGreaterThan(2);
    expect(run.result.hopCount).toBe(run.result.hops.length);
    expect(run.result.hops.at(-1).host).toBe('acs.example.net');
    for (const hop of run.result.hops) expect(hop.rttMs.length).toBeGreaterThan(0);
  });

  it('downloadDiagnostics: real bytes from the ACS download source, with TR-143 timings and throughput', async () => {
    const { id } = await device(fleet());
    const before = tr143.counters.bytesSent;
    const size = 3 * 1024 * 1024;
    const run = await runOf(id, await start(id, { type: 'downloadDiagnostics', url: `${tr143.url}/download?size=${size}` }), ['complete', 'failed']);
    expect(run).toMatchObject({ state: 'complete', result: { kind: 'transfer', direction: 'download', testBytes: size } });
    expect(tr143.counters.bytesSent - before).toBe(size);
    expect(run.result.durationMs).toBeGreaterThanOrEqual(0);
    expect(run.result.throughputBps).toBeGreaterThan(0);
    expect(run.result.timings.bom).toMatch(/^\d{4}-/);
    expect(Date.parse(run.result.timings.eom.replace(/(\.\d{3})\d+/, '$1'))).toBeGreaterThanOrEqual(Date.parse(run.result.timings.bom.replace(/(\.\d{3})\d+/, '$1')));
  });

  it('uploadDiagnostics: real bytes to the ACS upload sink', async () => {
    const { id } = await device(fleet());
    const before = tr143.counters.bytesReceived;
    const run = await runOf(id, await start(id, { type: 'uploadDiagnostics', url: `${tr143.url}/upload`, size: 2 * 1024 * 1024 }), ['complete', 'failed']);
    expect(run).toMatchObject({ state: 'complete', result: { kind: 'transfer', direction: 'upload', testBytes: 2 * 1024 * 1024 } });
    expect(tr143.counters.bytesReceived - before).toBe(2 * 1024 * 1024);
    expect(run.result.throughputBps).toBeGreaterThan(0);
  });

  it('a download from nowhere is a failed run with the device error', async () => {
    const { id } = await device(fleet());
    const run = await runOf(id, await start(id, { type: 'downloadDiagnostics', url: 'http://127.0.0.1:1/download?size=10' }), ['complete', 'failed']);
    expect(run).toMatchObject({ state: 'failed', error: 'Error_InitConnectionFailed' });
  });

  it('nsLookup: answers', async () => {
    const { id } = await device(fleet());
    const run = await runOf(id, await start(id, { type: 'nsLookup', host: 'localhost', count: 2 }), ['complete', 'failed']);
    expect(run).toMatchObject({ state: 'complete', result: { kind: 'nslookup', successCount: 2 } });
    expect(run.result.answers[0]).toMatchObject({ status: 'Success', ipAddresses: ['127.0.0.1'] });
    expect(root).toBeTruthy();
  });
});

describe('TR-181 only', () => {
  it('udpEcho: real datagrams to the ACS echo responder (UDPEcho plus), timed', async () => {
    const { id } = await device(tr181);
    const before = tr143.counters.echoes;
    const run = await runOf(id, await start(id, { type: 'udpEcho', host: '127.0.0.1', port: tr143.port, count: 4, interTransmissionTime: 1 }), ['complete', 'failed']);
    expect(run, JSON.stringify(run)).toMatchObject({ state: "complete", result: { kind: "ping", successCount: 4, failureCount: 0, lossPercent: 0 } });
    expect(tr143.counters.echoes - before).toBe(4);
    expect(run.result.rtt.minMs).toBeGreaterThan(0);
  });

  it('serverSelection: the fastest host (UDP Echo measured against the responder)', async () => {
    const { id } = await device(tr181);
    const run = await runOf(
      id,
      // The simulator reads "host:port" entries (ServerSelectionDiagnostics has no Port parameter).
      await start(id, { type: 'serverSelection', hosts: [`127.0.0.1:${tr143.port}`, `localhost:${tr143.port}`], protocol: 'UDP Echo', count: 2 }),
      ['complete', 'failed'],
    );
    expect(run, JSON.stringify(run)).toMatchObject({ state: "complete", result: { kind: "serverSelection" } });
    expect([`127.0.0.1:${tr143.port}`, `localhost:${tr143.port}`]).toContain(run.result.fastestHost);
    const icmp = await runOf(id, await start(id, { type: 'serverSelection', hosts: ['203.0.113.9', 'lab.example.org'] }), ['complete', 'failed']);
    expect(icmp.result.fastestHost).toBe('lab.example.org');
  });

  it('ipLayerCapacity: TR-471 figures', async () => {
    const { id } = await device(tr181);
    const run = await runOf(id, await start(id, { type: 'ipLayerCapacity', host: 'lab.example.org' }), ['complete', 'failed']);
    expect(run).toMatchObject({ state: 'complete', result: { kind: 'capacity' } });
    expect(Number(run.result.values.MaxIPLayerCapacity)).toBeGreaterThan(0);
  });

  it('udpEcho on a TR-098 device faults at once: its model has no such test', async () => {
    const { id } = await device(tr098);
    const r = await api.post(`/devices/${inPath(id)}/tasks?connectionRequest=true&wait=10`, { type: 'udpEcho', host: '127.0.0.1', port: 7 });
    expect(r.body).toMatchObject({ state: 'fault', fault: { faultCode: 9000 } });
    expect((await runOf(id, r.body.id, ['failed'])).error).toMatch(/no udpEcho/);
  });
});

describe('the API', () => {
  it('lists runs newest first; an unknown device is 404; bad task bodies are 400 and queue nothing', async () => {
    const { id } = await device(tr181);
    const first = await start(id, { type: 'ipPing', host: '127.0.0.1', count: 1 });
    await runOf(id, first, ['complete']);
    const second = await start(id, { type: 'ipPing', host: '127.0.0.2', count: 1 });
    await runOf(id, second, ['complete']);
    const list = (await api.get(`/devices/${inPath(id)}/diagnostics`)).body;
    expect(list.runs.map((r: Json) => r.id)).toEqual([second, first]);
    expect((await api.get('/devices/nope/diagnostics')).status).toBe(404);
    for (const bad of [
      { type: 'ipPing' },
      { type: 'ipPing', host: '' },
      { type: 'ipPing', host: 'a b' },
      { type: 'ipPing', host: 'x', count: 0 },
      { type: 'ipPing', host: 'x', count: 'many' },
      { type: 'ipPing', host: 'x'.repeat(300) },
      { type: 'ipPing', host: 'x', extra: 1 },
      { type: 'udpEcho', host: 'x' },
      { type: 'downloadDiagnostics', url: 'file:///etc/passwd' },
      { type: 'nsLookup' },
    ]) {
      const r = await api.post(`/devices/${inPath(id)}/tasks`, bad);
      expect(r.status, JSON.stringify(bad)).toBe(400);
    }
    expect((await api.get(`/devices/${inPath(id)}/diagnostics`)).body.total).toBe(2);
    expect((await api.get(`/devices/${inPath(id)}/diagnostics?limit=100000`)).status).toBe(400);
  });
});
