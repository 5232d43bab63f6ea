/**
 * Diagnostics end to end: a task over the real API, a real connection request, the session
 * that requests it, the simulated CPE running it (src/cpe/client/diagnostics.ts) and coming
 * back with "8 DIAGNOSTICS COMPLETE", the session that reads it, and the run as
 * GET /devices/{id}/diagnostics shows it. TR-181 on the router model, TR-098 on the gateway.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LiveHooks } from '../../src/cpe/types.js';
import { Api, gatewayTemplate, inPath, SimFleet, startStack, until, type Json, type Stack } from '../nbi/helpers.js';

let s: Stack;
let api: Api;
let tr181: SimFleet;
let tr098: SimFleet;

beforeAll(async () => {
  s = await startStack();
  api = s.api;
  tr181 = new SimFleet(s.acs.cwmpUrl);
  tr098 = new SimFleet(s.acs.cwmpUrl, { template: gatewayTemplate });
});

afterAll(async () => {
  await tr181?.close();
  await tr098?.close();
  await s?.close();
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
