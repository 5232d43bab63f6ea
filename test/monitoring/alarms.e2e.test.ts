/**
 * Alarms end to end, over real HTTP with simulated CPEs: a threshold rule on a KPI series
 * raised, updated, acknowledged and cleared — exactly one webhook and one stream event per
 * transition — and the built-in rules: more than 3 boots in an hour, a diagnostic failing,
 * a device offline for two periodic intervals (and back). Bad rules are refused.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Cpe } from '../../src/cpe/client/cpe.js';
import { AlarmEngine } from '../../src/services/alarm-engine.js';
import { openEventStream } from '../helpers/sse.js';
import { ADMIN, inPath, SimFleet, startStack, until, type Json, type Stack } from '../nbi/helpers.js';

let s: Stack;
let fleet: SimFleet;
let hook: { url: string; received: Json[]; close: () => Promise<void> };

async function startReceiver(): Promise<typeof hook> {
  const received: Json[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      received.push(JSON.parse(body));
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/hook`, received, close: () => new Promise((r) => server.close(() => r())) };
}

beforeAll(async () => {
  // The sweep is driven by the test (engine.sweep()), not the minute timer.
  s = await startStack({ jobs: { webhooks: { pollMs: 50 }, alarms: { everyMs: 3_600_000 } } });
  fleet = new SimFleet(s.acs.cwmpUrl);
  hook = await startReceiver();
});
afterAll(async () => {
  await fleet?.close();
  await s?.close();
  await hook?.close();
});

const CPU = 'Device.DeviceInfo.ProcessStatus.CPUUsage';

async function session(sn: string, cpe: Cpe, event = '2 PERIODIC'): Promise<void> {
  const before = fleet.sessionsOf(sn).length;
  cpe.inform(event);
  await until(() => fleet.sessionsOf(sn).slice(before).some((r) => r.ok));
}

describe('a threshold rule on a KPI', () => {
  it('raise, update, acknowledge, clear: one webhook and one stream event per transition', async () => {
    const made = await s.api.post('/webhooks', { url: hook.url, events: ['alarm.raised', 'alarm.updated', 'alarm.cleared', 'alarm.acknowledged'] });
    expect(made.status, made.text).toBe(201);
    const stream = await openEventStream(`${s.nbi.url}/api/v1/events?types=alarm.raised,alarm.updated,alarm.cleared,alarm.acknowledged`, { authorization: `Bearer ${ADMIN}` });
    const rule = await s.api.post('/alarm-rules', { name: 'CPU hot', severity: 'major', condition: { kind: 'threshold', path: CPU, above: 70, forSeconds: 0 } });
    expect(rule.status, rule.text).toBe(201);

    const { id, cpe } = await fleet.add('ALM001');
    const attrs = await s.api.post(`/devices/${inPath(id)}/tasks?connectionRequest=true&wait=10`, { type: 'setParameterAttributes', parameterAttributes: [{ name: CPU, notification: 1 }] });
    expect(attrs.body.state).toBe('done');
    const engine = s.jobs.alarms;
    const mine = async () => (await s.api.get(`/alarms?deviceId=${inPath(id)}&ruleId=${rule.body.id}`)).body.alarms as Json[];

    cpe.setValue(CPU, '80');
    await session('ALM001', cpe);
    await engine.sweep();
    const [raised] = await mine();
    expect(raised).toMatchObject({ state: 'active', severity: 'major', text: expect.stringContaining('= 80'), count: 1 });
    // The same value again: no transition.
    await engine.sweep();
    expect((await mine())[0]).toMatchObject({ id: raised.id, count: 2, text: raised.text });

    cpe.setValue(CPU, '95');
    await session('ALM001', cpe);
    await engine.sweep();
    expect((await mine())[0]).toMatchObject({ id: raised.id, state: 'active', text: expect.stringContaining('= 95') });

    const ack = await s.api.post(`/alarms/${raised.id}/acknowledge`);
    expect(ack.status, ack.text).toBe(200);
    expect(ack.body).toMatchObject({ changed: true, alarm: { acknowledgedBy: expect.any(String) } });
    const by = ack.body.alarm.acknowledgedBy as string;
    expect((await s.api.post(`/alarms/${raised.id}/acknowledge`)).body.changed).toBe(false);

    cpe.setValue(CPU, '20');
    await session('ALM001', cpe);
    await engine.sweep();
    expect((await mine())[0]).toMatchObject({ id: raised.id, state: 'cleared' });

    const want = ['alarm.raised', 'alarm.updated', 'alarm.acknowledged', 'alarm.cleared'];
    await until(() => hook.received.filter((e) => e.data?.alarmId === raised.id).length >= want.length);
    await until(() => stream.events.filter((e) => e.data.alarmId === raised.id).length >= want.length);
    await engine.idle();
    // Exactly these, once each, in order: the deliveries the store queued say the same.
    const deliveries = await s.api.get(`/webhooks/${made.body.id}/deliveries?limit=100`);
    const queued = (deliveries.body.deliveries as Json[]).filter((d) => d.deviceId === id);
    expect(queued.map((d) => d.eventType).sort()).toEqual([...want].sort());
    expect(hook.received.filter((e) => e.data?.alarmId === raised.id).map((e) => e.type)).toEqual(want);
    expect(stream.events.filter((e) => e.data.alarmId === raised.id).map((e) => e.type)).toEqual(want);
    await stream.close();

    const one = await s.api.get(`/alarms/${raised.id}`);
    expect(one.body.history.map((h: Json) => h.action)).toEqual(['raised', 'updated', 'acknowledged', 'cleared']);
    expect(one.body.history[2].actor).toBe(by);
    await s.api.del(`/alarm-rules/${rule.body.id}`);
  });
});

describe('built-in rules', () => {
  it('more than 3 boots in an hour', async () => {
    const { id, cpe } = await fleet.add('ALM002');
    const boots = async () => (await s.api.get(`/alarms?deviceId=${inPath(id)}&ruleId=builtin-boots`)).body.alarms as Json[];
    // Its first session (bootstrap) was a boot too: two more make three.
    for (let i = 0; i < 2; i++) await session('ALM002', cpe, '1 BOOT');
    await s.jobs.alarms.idle();
    expect(await boots()).toEqual([]);
    await session('ALM002', cpe, '1 BOOT');
    await s.jobs.alarms.idle();
    expect(await boots()).toEqual([expect.objectContaining({ state: 'active', severity: 'minor', text: expect.stringContaining('4 × device.booted') })]);
    const counts = await s.api.get('/alarms/counts');
    expect(counts.body.active.minor).toBeGreaterThanOrEqual(1);
  });

  it('a diagnostic failing, cleared by the next that completes', async () => {
    const { id } = await fleet.add('ALM003');
    const diag = async () => (await s.api.get(`/alarms?deviceId=${inPath(id)}&ruleId=builtin-diagnostic-failed`)).body.alarms as Json[];
    const run = async (host: string) => {
      const r = await s.api.post(`/devices/${inPath(id)}/tasks?connectionRequest=true`, { type: 'ipPing', host, count: 1 });
      expect(r.status, r.text).toBeLessThan(300);
      await until(async () => ['complete', 'failed'].includes(((await s.api.get(`/devices/${inPath(id)}/diagnostics`)).body.runs as Json[]).find((x) => x.id === r.body.id)?.state));
      await s.jobs.alarms.idle();
    };
    await run('nowhere.invalid');
    await until(async () => (await diag()).length === 1);
    expect((await diag())[0]).toMatchObject({ state: 'active', text: expect.stringContaining('Error_CannotResolveHostName') });
    await run('127.0.0.1');
    await until(async () => (await diag())[0]?.state === 'cleared');
  });

  it('offline longer than two periodic intervals, cleared by the next Inform', async () => {
    const { id, cpe } = await fleet.add('ALM004', { 'Device.ManagementServer.PeriodicInformEnable': 'true', 'Device.ManagementServer.PeriodicInformInterval': '3600' });
    // An evaluator three hours ahead: the device (interval 3600 s) has been quiet for 3 h > 2 × 1 h.
    const later = new AlarmEngine({ store: s.store, bus: s.bus, now: () => Date.now() + 3 * 3_600_000, everyMs: 3_600_000 });
    later.start();
    try {
      await later.sweep();
      const offline = async () => (await s.api.get(`/alarms?deviceId=${inPath(id)}&ruleId=builtin-offline`)).body.alarms as Json[];
      expect((await offline())[0]).toMatchObject({ state: 'active', severity: 'major', text: expect.stringContaining('2 × 3600 s') });
      await session('ALM004', cpe);
      await later.idle();
      await until(async () => (await offline())[0]?.state === 'cleared');
    } finally {
      await later.close();
    }
  });
});

describe('bad rules and requests', () => {
  it('refuses malformed, hostile and unauthorised input, and stores nothing', async () => {
    const before = (await s.api.get('/alarm-rules')).body.rules.length;
    const bad: unknown[] = [
      { name: 'x', severity: 'fatal', condition: { kind: 'offline', periods: 2 } },
      { name: 'x', severity: 'major', condition: { kind: 'offline', periods: 0 } },
      { name: 'x', severity: 'major', condition: { kind: 'offline', periods: 2, extra: 1 } },
      { name: 'x', severity: 'major', condition: { kind: 'sometimes' } },
      { name: 'x', severity: 'major', condition: { kind: 'threshold', path: CPU, forSeconds: 10 } },
      { name: 'x', severity: 'major', condition: { kind: 'threshold', path: 'Device.ManagementServer.Password', above: 1 } },
      { name: 'x', severity: 'major', condition: { kind: 'threshold', path: 'not a path', above: 1 } },
      { name: 'x', severity: 'major', condition: { kind: 'event', raise: { type: 'alarm.raised' } } },
      { name: 'x', severity: 'major', condition: { kind: 'event', raise: { type: 'device.booted' }, count: 3 } },
      { name: 'x', severity: 'major', condition: { kind: 'event', raise: { type: 'device.booted', data: { 'bad key': ['x'] } } } },
      { name: 'x', severity: 'major', condition: { kind: 'event', raise: { type: 'device.booted', data: { a: [] } } } },
      { name: 'x', severity: 'major', condition: { kind: 'event', raise: { type: 'device.booted', data: { a: ['y'.repeat(200)] } } } },
      { name: '', severity: 'major', condition: { kind: 'offline', periods: 2 } },
      { name: 'x', severity: 'major', condition: { kind: 'offline', periods: 2 }, id: 'builtin-offline' },
    ];
    for (const body of bad) {
      const r = await s.api.post('/alarm-rules', body);
      expect(r.status, JSON.stringify(body)).toBe(400);
    }
    expect((await s.api.req('POST', '/alarm-rules', undefined, { raw: '{"name":' })).status).toBe(400);
    expect((await s.api.req('POST', '/alarm-rules', undefined, { raw: JSON.stringify({ name: 'z'.repeat(2_000_000) }) })).status).toBe(413);
    expect((await s.api.del('/alarm-rules/builtin-offline')).status).toBe(409);
    expect((await s.api.del('/alarm-rules/nope')).status).toBe(404);
    expect((await s.api.post('/alarms/nope/acknowledge')).status).toBe(404);
    expect((await s.api.get('/alarms?severity=fatal')).status).toBe(400);
    const ro = await s.api.post('/tokens', { name: 'alarm-reader', role: 'read-only' });
    const reader = s.api.as(ro.body.token as string);
    expect((await reader.get('/alarms')).status).toBe(200);
    expect((await reader.get('/alarms/counts')).status).toBe(200);
    expect((await reader.post('/alarm-rules', { name: 'x', severity: 'major', condition: { kind: 'offline', periods: 2 } })).status).toBe(403);
    const any = (await s.api.get('/alarms?limit=1')).body.alarms[0];
    if (any !== undefined) expect((await reader.post(`/alarms/${any.id}/acknowledge`)).status).toBe(403);
    expect((await s.api.as(null).get('/alarms')).status).toBe(401);
    expect((await s.api.get('/alarm-rules')).body.rules.length).toBe(before);
  });
});
