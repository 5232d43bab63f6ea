/**
 * The NBI's own contract over real HTTP: authentication and roles, error answers (malformed
 * JSON, unknown fields — with nothing written), the OpenAPI document, devices and tags, the
 * task lifecycle as a session runs it (running, back to queued), connection requests that
 * time out, fail authentication or hit the rate limit, and events (SSE and signed webhooks).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createSqliteStore } from '../../src/store/sqlite/index.js';
import { DEVICE, ScriptedCpe, informBody } from '../helpers/scripted-cpe.js';
import { openEventStream } from '../helpers/sse.js';
import { refusingPort } from '../helpers/ports.js';
import { deviceIdOf } from '../../src/store/device-id.js';
import { ADMIN, Api, SimFleet, startStack, until, inPath, type Stack } from './helpers.js';

let s: Stack;
let fleet: SimFleet;
let api: Api;
const scripted: ScriptedCpe[] = [];

beforeAll(async () => {
  s = await startStack({ acs: { sessionTimeoutMs: 1_500 } });
  api = s.api;
  fleet = new SimFleet(s.acs.cwmpUrl);
});

afterAll(async () => {
  for (const c of scripted) c.close();
  await fleet?.close();
  await s?.close();
});

let serial = 0;
const nextSerial = () => `API${String(++serial).padStart(3, '0')}`;

async function tokenFor(role: 'read-only' | 'operator' | 'admin'): Promise<string> {
  const r = await api.post('/tokens', { name: `${role} test`, role });
  expect(r.status).toBe(201);
  return r.body.token as string;
}

describe('authentication and roles', () => {
  it('every route wants a bearer token: none, wrong or malformed → 401 {code, message}', async () => {
    for (const path of ['/devices', '/tasks/x', '/tokens']) {
      const r = await api.as(null).get(path);
      expect(r.status).toBe(401);
      expect(r.body).toEqual({ code: 'UNAUTHORIZED', message: expect.any(String) });
      expect(r.headers.get('www-authenticate')).toMatch(/^Bearer/);
    }
    expect((await api.as('flt_not-a-real-token-at-all-000000').get('/devices')).status).toBe(401);
    const raw = await fetch(`${s.nbi.url}/api/v1/devices`, { headers: { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` } });
    expect(raw.status).toBe(401);
  });

  it('a read-only token reads but cannot create tasks, tag, or manage tokens — and nothing is written', async () => {
    const { id } = await fleet.add(nextSerial());
    const ro = api.as(await tokenFor('read-only'));
    expect((await ro.get('/devices')).status).toBe(200);
    expect((await ro.get(`/devices/${inPath(id)}`)).status).toBe(200);
    const create = await ro.post(`/devices/${inPath(id)}/tasks`, { type: 'reboot' });
    expect(create.status).toBe(403);
    expect(create.body.code).toBe('FORBIDDEN');
    expect((await ro.post('/tasks', { filter: ['serialNumber ^= API'], task: { type: 'reboot' } })).status).toBe(403);
    expect((await ro.post(`/devices/${inPath(id)}/tags`, { add: ['x'] })).status).toBe(403);
    expect((await ro.post('/tokens', { name: 'me too', role: 'admin' })).status).toBe(403);
    expect((await ro.del(`/devices/${inPath(id)}`)).status).toBe(403);
    expect((await api.get(`/devices/${inPath(id)}/tasks`)).body.total).toBe(0);
    expect((await api.get(`/devices/${inPath(id)}`)).body.tags).toEqual([]);
  });

  it('an operator creates tasks but cannot delete devices or manage tokens; a revoked token stops working', async () => {
    const { id } = await fleet.add(nextSerial());
    const token = await tokenFor('operator');
    const op = api.as(token);
    expect((await op.post(`/devices/${inPath(id)}/tasks`, { type: 'getRPCMethods' })).status).toBe(202);
    expect((await op.del(`/devices/${inPath(id)}`)).status).toBe(403);
    expect((await op.get('/tokens')).status).toBe(403);
    const listed = (await api.get('/tokens')).body.tokens as { id: string; name: string; role: string }[];
    const mine = listed.find((t) => t.name === 'operator test' && t.role === 'operator')!;
    expect(JSON.stringify(listed)).not.toContain(token);
    expect((await api.del(`/tokens/${mine.id}`)).status).toBe(204);
    expect((await op.get('/devices')).status).toBe(401);
  });

  it('tokens are stored hashed, never in clear', async () => {
    const token = await tokenFor('operator');
    const records = await s.store.listApiTokens();
    expect(JSON.stringify(records)).not.toContain(token);
    expect(JSON.stringify(records)).not.toContain(ADMIN);
    expect(records.every((r) => /^[0-9a-f]{64}$/.test(r.hash))).toBe(true);
  });

  it('the first start creates one admin token and prints it once; FLOTILLA_ADMIN_TOKEN replaces that', async () => {
    const { mkdtemp, rm } = await import('node:fs/promises');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const { startNbi } = await import('../../src/nbi/server.js');
    const dir = await mkdtemp(join(tmpdir(), 'flotilla-first-'));
    const store = await createSqliteStore({ dataDir: dir });
    try {
      const first = await startNbi({ store, host: '127.0.0.1', port: 0 });
      expect(first.generatedAdminToken).toMatch(/^flt_[A-Za-z0-9_-]{43}$/);
      expect((await new Api(first.url, first.generatedAdminToken).get('/tokens')).status).toBe(200);
      await first.close();
      const second = await startNbi({ store, host: '127.0.0.1', port: 0 });
      expect(second.generatedAdminToken).toBeNull();
      await second.close();
      const automated = await startNbi({ store, host: '127.0.0.1', port: 0, adminToken: 'automation-secret-0123' });
      expect(automated.generatedAdminToken).toBeNull();
      expect((await new Api(automated.url, 'automation-secret-0123').post('/tokens', { name: 'ci', role: 'read-only' })).status).toBe(201);
      await automated.close();
      await expect(startNbi({ store, host: '127.0.0.1', port: 0, adminToken: 'short' })).rejects.toThrow(/at least 16/);
    } finally {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('open mode (local development) needs no token', async () => {
    const { startNbi } = await import('../../src/nbi/server.js');
    const open = await startNbi({ store: s.store, host: '127.0.0.1', port: 0, open: true });
    try {
      expect((await new Api(open.url, null).get('/devices')).status).toBe(200);
    } finally {
      await open.close();
    }
  });
});

describe('errors', () => {
  let id: string;
  beforeAll(async () => {
    ({ id } = await fleet.add(nextSerial()));
  });
  const taskCount = async () => (await api.get(`/devices/${inPath(id)}/tasks?limit=0`)).body.total as number;

  it('malformed JSON, an empty body or a wrong content type: 400/415, nothing written', async () => {
    const before = await taskCount();
    for (const raw of ['{"type": "reboot"', '', 'null x', '{"type":"reboot"}}']) {
      const r = await api.req('POST', `/devices/${inPath(id)}/tasks`, undefined, { raw });
      expect(r.status).toBe(400);
      expect(r.body.code).toMatch(/MALFORMED_JSON|BAD_REQUEST/);
      expect(typeof r.body.message).toBe('string');
    }
    const proto = await api.req('POST', `/devices/${inPath(id)}/tasks`, undefined, { raw: '{"type":"reboot","__proto__":{"x":1}}' });
    expect(proto.status).toBe(400);
    const xml = await api.req('POST', `/devices/${inPath(id)}/tasks`, undefined, { raw: '<reboot/>', contentType: 'application/xml' });
    expect(xml.status).toBe(415);
    expect(xml.body.code).toBe('UNSUPPORTED_MEDIA_TYPE');
    expect(await taskCount()).toBe(before);
  });

  it('unknown fields, unknown types, wrong types and bad values: 400 naming the problem, nothing written', async () => {
    const before = await taskCount();
    const cases: [unknown, RegExp][] = [
      [{ type: 'reboot', commandKey: 'k', extra: true }, /unknown field "extra"/],
      [{ type: 'rebootNow' }, /"type" must be one of/],
      [{ parameterNames: ['Device.'] }, /type/],
      [{ type: 'getParameterValues', parameterNames: 'Device.' }, /parameterNames/],
      [{ type: 'getParameterValues', parameterNames: [] }, /parameterNames/],
      [{ type: 'setParameterValues', parameterValues: [['Device.ManagementServer.PeriodicInformInterval', 'often']] }, /xsd:unsignedInt/],
      [{ type: 'setParameterValues', parameterValues: [['Device.X', '1', 'xsd:float']] }, /unknown type/],
      [{ type: 'scheduleInform', delaySeconds: 0 }, /delaySeconds/],
      [{ type: 'download', fileType: '1 Firmware Upgrade Image', url: 'file:///etc/passwd' }, /url/],
      [{ type: 'addObject', objectName: 'Device.NAT.PortMapping' }, /objectName/],
      [{ type: 'setParameterAttributes', parameterAttributes: [{ name: 'Device.X', notification: 9 }] }, /notification/],
    ];
    for (const [body, message] of cases) {
      const r = await api.post(`/devices/${inPath(id)}/tasks`, body);
      expect([r.status, r.body.code], JSON.stringify(body)).toEqual([400, expect.stringMatching(/BAD_REQUEST|INVALID_TASK/)]);
      expect(r.body.message).toMatch(message);
    }
    expect((await api.post(`/devices/${inPath(id)}/tags`, { add: ['ok'], colour: 'red' })).status).toBe(400);
    expect((await api.get('/devices?bogus=1')).status).toBe(400);
    expect((await api.get('/devices?limit=-1')).status).toBe(400);
    expect((await api.get('/devices?limit=ten')).status).toBe(400);
    expect(await taskCount()).toBe(before);
    expect((await api.get(`/devices/${inPath(id)}`)).body.tags).toEqual([]);
  });

  it('404 for unknown devices, tasks, faults and routes; oversize bodies are 413', async () => {
    const ghost = inPath(deviceIdOf({ oui: '000000', productClass: '', serialNumber: 'ghost' }));
    for (const r of [
      await api.get(`/devices/${ghost}`),
      await api.post(`/devices/${ghost}/tasks`, { type: 'reboot' }),
      await api.get(`/devices/${ghost}/sessions`),
      await api.del(`/devices/${ghost}`),
      await api.get('/tasks/nope'),
      await api.del('/faults/nope'),
      await api.post('/tasks/nope/retry'),
      await api.get('/nowhere'),
    ]) {
      expect(r.status).toBe(404);
      expect(r.body.code).toBe('NOT_FOUND');
    }
    expect((await api.get(`/devices/${ghost}`)).body.message).not.toMatch(/encoded once more/);
    // An id with a "-" inside a part, encoded only once: the answer says how ids go in a URL.
    const dashed = deviceIdOf({ oui: '000000', productClass: 'Home-Gateway', serialNumber: 'SN/1' });
    expect(dashed).toContain('%2D');
    for (const r of [await api.get(`/devices/${dashed.replace(/\//g, '%2F')}`), await api.post(`/devices/${dashed.replace(/\//g, '%2F')}/tasks`, { type: 'reboot' })]) {
      expect(r.status).toBe(404);
      expect(r.body.message).toMatch(/not a device id.*encoded once more in a URL path \(%252D\)/);
    }
    const big = await api.post(`/devices/${inPath(id)}/tasks`, { type: 'getOptions', optionName: 'x'.repeat(2_000_000) });
    expect(big.status).toBe(413);
  });
});

describe('OpenAPI', () => {
  it('documents every route with its schemas', async () => {
    const r = await api.get('/openapi.json');
    expect(r.status).toBe(200);
    const doc = r.body;
    expect(doc.openapi).toMatch(/^3\./);
    const paths = Object.keys(doc.paths);
    for (const p of ['/api/v1/devices', '/api/v1/devices/{id}', '/api/v1/devices/{id}/tasks', '/api/v1/tasks/{id}', '/api/v1/faults', '/api/v1/events']) {
      expect(paths).toContain(p);
    }
    const post = doc.paths['/api/v1/devices/{id}/tasks'].post;
    expect(JSON.stringify(post.requestBody)).toContain('Task');
    expect(Object.keys(doc.components.schemas)).toEqual(expect.arrayContaining(['Task', 'TaskRecord', 'Device', 'Error']));
    const task = JSON.stringify(doc.components.schemas.Task);
    for (const type of ['getParameterValues', 'setParameterValues', 'addObject', 'refresh', 'download', 'scheduleInform']) expect(task).toContain(type);
    expect(doc.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    // Nothing OpenAPI 3.0 cannot express (tuple items, the null type).
    const walk = (o: unknown, path: string): void => {
      if (Array.isArray(o)) o.forEach((x, i) => walk(x, `${path}[${i}]`));
      else if (o !== null && typeof o === 'object') {
        for (const [k, v] of Object.entries(o)) {
          if (k === 'items') expect(Array.isArray(v), `${path}/items`).toBe(false);
          if (k === 'type') expect(v, `${path}/type`).not.toBe('null');
          walk(v, `${path}/${k}`);
        }
      }
    };
    walk(doc, '');
    // Every operation has a response schema for errors.
    for (const [path, ops] of Object.entries(doc.paths as Record<string, Record<string, { responses: Record<string, unknown>; security?: unknown[] }>>)) {
      for (const [method, op] of Object.entries(ops)) {
        if (path.endsWith('/events')) continue;
        // Probes (/healthz, /readyz) need no token, so have no 401.
        if (Array.isArray(op.security) && op.security.length === 0) continue;
        expect(Object.keys(op.responses), `${method} ${path}`).toContain('401');
      }
    }
  });
});

describe('devices', () => {
  it('one device with its tree or a subtree; ids with escapes go in URLs encoded once more', async () => {
    const sn = `${nextSerial()}-x/y`;
    const { id } = await fleet.add(sn);
    expect(id).toContain('%2D');
    const whole = await api.get(`/devices/${inPath(id)}`);
    expect(whole.status).toBe(200);
    expect(whole.body).toMatchObject({ id, deviceId: { serialNumber: sn, productClass: 'HGW-181' }, tags: [] });
    expect(Date.parse(whole.body.lastInform)).toBeGreaterThan(0);
    expect(Object.keys(whole.body.parameters).length).toBeGreaterThan(100);
    expect(whole.body.parameters['Device.DeviceInfo.']).toMatchObject({ object: true });
    const sub = await api.get(`/devices/${inPath(id)}?subtree=Device.DeviceInfo.`);
    const paths = Object.keys(sub.body.parameters);
    expect(paths.every((p) => p.startsWith('Device.DeviceInfo.'))).toBe(true);
    expect(sub.body.parameters['Device.DeviceInfo.SerialNumber']).toMatchObject({ value: sn, type: 'xsd:string', writable: false });
  });

  it('tags: add and remove in one call or one at a time; they filter the list', async () => {
    const { id } = await fleet.add(nextSerial());
    expect((await api.post(`/devices/${inPath(id)}/tags`, { add: ['b', 'a', 'c'] })).body.tags).toEqual(['a', 'b', 'c']);
    expect((await api.post(`/devices/${inPath(id)}/tags`, { remove: ['b'], add: ['d'] })).body.tags).toEqual(['a', 'c', 'd']);
    expect((await api.req('PUT', `/devices/${inPath(id)}/tags/e`)).status).toBe(204);
    expect((await api.del(`/devices/${inPath(id)}/tags/a`)).status).toBe(204);
    expect((await api.get(`/devices/${inPath(id)}`)).body.tags).toEqual(['c', 'd', 'e']);
    const listed = await api.get(`/devices?filter=${encodeURIComponent('tag = e')}`);
    expect(listed.body.devices.map((d: { id: string }) => d.id)).toEqual([id]);
  });

  it('delete forgets the device, its tree and its tasks (admin)', async () => {
    const { id } = await fleet.add(nextSerial());
    const t = await api.post(`/devices/${inPath(id)}/tasks`, { type: 'reboot' });
    expect((await api.del(`/devices/${inPath(id)}`)).status).toBe(204);
    expect((await api.get(`/devices/${inPath(id)}`)).status).toBe(404);
    expect((await api.get(`/tasks/${t.body.id}`)).status).toBe(404);
  });

  it('session history: time, events, RPCs and outcome, newest first', async () => {
    const { id } = await fleet.add(nextSerial());
    const r = await api.post(`/devices/${inPath(id)}/tasks?connectionRequest=true&wait=10`, { type: 'getRPCMethods' });
    expect(r.status).toBe(200);
    const sessions = (await api.get(`/devices/${inPath(id)}/sessions`)).body.sessions;
    expect(sessions.length).toBeGreaterThanOrEqual(2);
    expect(sessions[0]).toMatchObject({ outcome: 'ok', rpcs: [{ method: 'GetRPCMethods', outcome: 'done', taskIds: [r.body.id] }] });
    expect(sessions[0].events.map((e: { eventCode: string }) => e.eventCode)).toContain('6 CONNECTION REQUEST');
    expect(sessions.at(-1).events.map((e: { eventCode: string }) => e.eventCode)).toEqual(['0 BOOTSTRAP', '1 BOOT']);
    expect(Date.parse(sessions[0].startedAt)).toBeLessThanOrEqual(Date.parse(sessions[0].endedAt));
  });
});

describe('the task lifecycle in a session', () => {
  const id = deviceIdOf(DEVICE);
  afterEach(async () => {
    for (const c of scripted.splice(0)) c.close();
  });

  it('running while its session runs, done after; a session that times out puts it back in the queue', async () => {
    const cpe = new ScriptedCpe(s.acs.cwmpUrl);
    scripted.push(cpe);
    expect((await cpe.post(informBody({ events: ['0 BOOTSTRAP', '1 BOOT'] }))).status).toBe(200);
    // A new device is discovered: refuse the GetParameterNames, which ends discovery.
    const gpn = await cpe.post(null);
    expect(gpn.envelope?.body.method).toBe('GetParameterNames');
    const fault = { faultCode: 9002, faultString: 'Internal error', setParameterValuesFault: [] };
    expect((await cpe.answer(gpn, { method: 'Fault', faultcode: 'Server', faultstring: 'CWMP fault', detail: fault })).status).toBe(204);
    expect((await api.get(`/devices/${inPath(id)}`)).status).toBe(200);

    const t1 = (await api.post(`/devices/${inPath(id)}/tasks`, { type: 'getParameterValues', parameterNames: ['Device.DeviceInfo.UpTime'] })).body;
    const t2 = (await api.post(`/devices/${inPath(id)}/tasks`, { type: 'reboot', commandKey: 'r1' })).body;
    expect([t1.state, t2.state]).toEqual(['queued', 'queued']);
    const c2 = new ScriptedCpe(s.acs.cwmpUrl);
    scripted.push(c2);
    const inform = await c2.post(informBody({ events: ['6 CONNECTION REQUEST'] }));
    expect(inform.envelope?.body.method).toBe('InformResponse');
    // Handed to the session: running, both of them.
    expect((await api.get(`/tasks/${t1.id}`)).body).toMatchObject({ state: 'running', attempts: 1 });
    expect((await api.get(`/tasks/${t2.id}`)).body.state).toBe('running');
    const gpv = await c2.post(null);
    expect(gpv.envelope?.body).toEqual({ method: 'GetParameterValues', parameterNames: ['Device.DeviceInfo.UpTime'] });
    const reboot = await c2.answer(gpv, { method: 'GetParameterValuesResponse', parameterList: [{ name: 'Device.DeviceInfo.UpTime', value: '5', type: 'xsd:unsignedInt' }] });
    expect(reboot.envelope?.body.method).toBe('Reboot');
    // The CPE goes silent: the session times out, the unanswered task goes back to the queue.
    await until(async () => (await api.get(`/tasks/${t2.id}`)).body.state === 'queued', 10_000);
    expect((await api.get(`/tasks/${t1.id}`)).body.state).toBe('done');
    expect((await api.get(`/devices/${inPath(id)}/sessions?limit=1`)).body.sessions[0].outcome).toBe('timeout');
    // Next session: it is sent again (second attempt).
    const c3 = new ScriptedCpe(s.acs.cwmpUrl);
    scripted.push(c3);
    await c3.post(informBody());
    const again = await c3.post(null);
    expect(again.envelope?.body).toEqual({ method: 'Reboot', commandKey: 'r1' });
    expect((await c3.answer(again, { method: 'RebootResponse' })).status).toBe(204);
    expect((await api.get(`/tasks/${t2.id}`)).body).toMatchObject({ state: 'done', attempts: 2 });
  });

  it('running costs no round trip: a session with tasks, like an idle one, is openSession + commitSession', async () => {
    const { startAcs } = await import('../../src/acs/server.js');
    const { countingStore } = await import('../../src/store/counting.js');
    const counted = countingStore(s.store);
    const acs = await startAcs({ store: counted, dataDir: s.dir, host: '127.0.0.1', cwmpPort: 0, allowUnauthenticatedCpes: true, discoverOnBootstrap: false });
    try {
      const idle = new ScriptedCpe(acs.cwmpUrl);
      scripted.push(idle);
      counted.reset();
      await idle.post(informBody());
      expect((await idle.post(null)).status).toBe(204);
      expect(counted.byMethod()).toEqual({ openSession: 1, commitSession: 1 });
      const t = (await api.post(`/devices/${inPath(id)}/tasks`, { type: 'getParameterValues', parameterNames: ['Device.DeviceInfo.UpTime'] })).body;
      const busy = new ScriptedCpe(acs.cwmpUrl);
      scripted.push(busy);
      counted.reset();
      await busy.post(informBody());
      const gpv = await busy.post(null);
      expect((await api.get(`/tasks/${t.id}`)).body.state).toBe('running');
      await busy.answer(gpv, { method: 'GetParameterValuesResponse', parameterList: [{ name: 'Device.DeviceInfo.UpTime', value: '9', type: 'xsd:unsignedInt' }] });
      expect(counted.byMethod()).toEqual({ openSession: 1, commitSession: 1 });
      expect((await api.get(`/tasks/${t.id}`)).body.state).toBe('done');
    } finally {
      await acs.close();
    }
  });

  it('tasks expire', async () => {
    const t = (await api.post(`/devices/${inPath(id)}/tasks?expiry=1`, { type: 'getRPCMethods' })).body;
    expect(Date.parse(t.expiresAt) - Date.parse(t.createdAt)).toBe(1000);
    await new Promise((r) => setTimeout(r, 1100));
    const c = new ScriptedCpe(s.acs.cwmpUrl);
    scripted.push(c);
    const inform = await c.post(informBody());
    expect(inform.envelope?.header.holdRequests).toBeUndefined();
    expect((await c.post(null)).status).toBe(204);
    expect((await api.get(`/tasks/${t.id}`)).body.state).toBe('expired');
    expect((await api.post(`/tasks/${t.id}/retry`)).body).toMatchObject({ state: 'queued', expiresAt: null });
    expect((await api.del(`/tasks/${t.id}`)).status).toBe(204);
  });
});

describe('connection requests', () => {
  it('one that times out is reported on the task, which then runs at the next Inform', async () => {
    // A listener that accepts and never answers.
    const sockets: net.Socket[] = [];
    const hole = net.createServer((sock) => sockets.push(sock));
    await new Promise<void>((r) => hole.listen(0, '127.0.0.1', r));
    try {
      const port = (hole.address() as AddressInfo).port;
      const sn = nextSerial();
      const { cpe, id } = await fleet.add(sn, { 'Device.ManagementServer.ConnectionRequestURL': `http://127.0.0.1:${port}/never` });
      // wait=10, but an unreachable device cannot run the task: the answer comes with the
      // connection request's outcome, not after the wait (the figures: bench/connection-request.ts).
      const r = await api.post(`/devices/${inPath(id)}/tasks?connectionRequest=true&wait=10`, { type: 'getRPCMethods' });
      expect(r.status).toBe(202);
      expect(r.body.state).toBe('queued');
      expect(r.body.connectionRequest).toMatchObject({ outcome: 'unreachable', detail: 'timeout after 2000 ms' });
      expect(r.headers.get('x-flotilla-wait')).toMatch(/^skipped: connection request unreachable \(timeout after 2000 ms\)/);
      expect(sockets.length).toBeGreaterThan(0);
      // The device informs on its own (periodic): it gets the task then.
      cpe.inform('2 PERIODIC');
      await until(async () => (await api.get(`/tasks/${r.body.id}`)).body.state === 'done');
    } finally {
      for (const sock of sockets) sock.destroy();
      await new Promise((r) => hole.close(r));
    }
  });

  it('unreachable (nothing listening) and auth-failed (wrong credentials) are told apart', async () => {
    const port = await refusingPort();
    const a = await fleet.add(nextSerial(), { 'Device.ManagementServer.ConnectionRequestURL': `http://127.0.0.1:${port}/gone` });
    const ra = await api.post(`/devices/${inPath(a.id)}/connection-request`);
    expect(ra.body).toMatchObject({ outcome: 'unreachable', detail: 'ECONNREFUSED' });
    const b = await fleet.add(nextSerial(), { 'Device.ManagementServer.ConnectionRequestPassword': 'something-else' });
    const rb = await api.post(`/devices/${inPath(b.id)}/tasks?connectionRequest=true&wait=2`, { type: 'getRPCMethods' });
    expect(rb.status).toBe(202);
    expect(rb.body.connectionRequest).toMatchObject({ outcome: 'auth-failed', status: 401 });
  });

  it('uses the credentials the ACS set on the device, and never shows them', async () => {
    const { cpe, id } = await fleet.add(nextSerial());
    const set = await api.post(`/devices/${inPath(id)}/tasks?connectionRequest=true&wait=10`, {
      type: 'setParameterValues',
      parameterValues: [
        ['Device.ManagementServer.ConnectionRequestUsername', 'own-user'],
        ['Device.ManagementServer.ConnectionRequestPassword', 'own-password-1'],
      ],
    });
    expect(set.body.state).toBe('done');
    expect(cpe.connectionRequestCredentials()).toEqual({ username: 'own-user', password: 'own-password-1' });
    expect(set.body.task.parameterValues[1]).toEqual(['Device.ManagementServer.ConnectionRequestPassword', '***', 'xsd:string']);
    const tree = await api.get(`/devices/${inPath(id)}?subtree=Device.ManagementServer.`);
    expect(tree.body.parameters['Device.ManagementServer.ConnectionRequestPassword'].value).toBe('***');
    expect(tree.text).not.toContain('own-password-1');
    expect((await api.get(`/tasks/${set.body.id}`)).text).not.toContain('own-password-1');
    // The default credentials would fail now; the stored ones work.
    expect((await api.post(`/devices/${inPath(id)}/connection-request`)).body.outcome).toBe('answered');
  });

  it('rate-limited per device with a clear 429', async () => {
    const { startNbi } = await import('../../src/nbi/server.js');
    const strict = await startNbi({
      store: s.store,
      bus: s.bus,
      host: '127.0.0.1',
      port: 0,
      adminToken: ADMIN,
      connectionRequests: { defaultCredentials: { username: 'cr-user', password: 'cr-secret-pw' }, perDevice: { burst: 2, perSecond: 0.01 } },
    });
    try {
      const { id, cpe } = await fleet.add(nextSerial());
      const a = new Api(strict.url, ADMIN);
      expect((await a.post(`/devices/${inPath(id)}/connection-request`)).body.outcome).toBe('answered');
      expect((await a.post(`/devices/${inPath(id)}/connection-request`)).body.outcome).toBe('answered');
      const limited = await a.post(`/devices/${inPath(id)}/connection-request`);
      expect(limited.status).toBe(429);
      expect(limited.body.code).toBe('RATE_LIMITED');
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(1);
      const task = await a.post(`/devices/${inPath(id)}/tasks?connectionRequest=true`, { type: 'getRPCMethods' });
      expect(task.status).toBe(202);
      expect(task.body.connectionRequest.outcome).toBe('rate-limited');
      // ?wait= still waits for the device's next Inform when our own limit held the request back.
      const waiting = a.post(`/devices/${inPath(id)}/tasks?connectionRequest=true&wait=20`, { type: 'getRPCMethods' });
      await until(async () => (await s.store.listTasks({ deviceId: id, states: ['queued'] })).total === 2);
      cpe.inform('2 PERIODIC');
      const waited = await waiting;
      expect(waited.status).toBe(200);
      expect(waited.body).toMatchObject({ state: 'done', connectionRequest: { outcome: 'rate-limited' } });
    } finally {
      await strict.close();
    }
  });
});

describe('events', () => {
  it('server-sent events: registered, booted, inform, task done/faulted, filtered by type', async () => {
    const stream = await openEventStream(`${s.nbi.url}/api/v1/events?types=device.registered,device.booted,task.done,task.faulted`, {
      authorization: `Bearer ${ADMIN}`,
    });
    expect(stream.contentType).toMatch(/text\/event-stream/);
    const events = stream.events;
    try {
      const { id } = await fleet.add(nextSerial());
      const ok = await api.post(`/devices/${inPath(id)}/tasks?connectionRequest=true&wait=10`, { type: 'getRPCMethods' });
      const bad = await api.post(`/devices/${inPath(id)}/tasks?connectionRequest=true&wait=10`, { type: 'getOptions', optionName: 'x' });
      await until(() => events.some((e) => e.type === 'task.faulted'));
      const mine = events.filter((e) => e.deviceId === id);
      expect(mine.map((e) => e.type)).toEqual(['device.registered', 'device.booted', 'task.done', 'task.faulted']);
      expect(mine[2]!.data).toMatchObject({ taskId: ok.body.id, taskType: 'getRPCMethods' });
      expect(mine[3]!.data).toMatchObject({ taskId: bad.body.id, fault: { faultCode: 9000 } });
      expect(events.some((e) => e.type === 'device.inform')).toBe(false);
    } finally {
      await stream.close();
    }
  });

  it('webhooks are signed, retried with back-off until accepted, and filtered by type', async () => {
    const secret = 'webhook-secret-0123456789';
    const got: { headers: http.IncomingHttpHeaders; body: string }[] = [];
    let refuse = 2;
    const receiver = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        got.push({ headers: req.headers, body: Buffer.concat(chunks).toString() });
        res.writeHead(refuse-- > 0 ? 503 : 204).end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
    // A stack of its own, so no other NBI on the same bus delivers too.
    const own = await startStack({ jobs: { webhooks: { baseDelayMs: 50 } } });
    const ownFleet = new SimFleet(own.acs.cwmpUrl);
    try {
      const created = await own.api.post('/webhooks', { url, events: ['device.registered'], secret });
      expect(created.status).toBe(201);
      expect(created.body.secret).toBe(secret);
      expect((await own.api.get('/webhooks')).text).not.toContain(secret);
      const { id } = await ownFleet.add(nextSerial());
      await until(() => got.length >= 3);
      expect(got.map((g) => g.headers['x-flotilla-attempt'])).toEqual(['1', '2', '3']);
      for (const g of got) {
        const event = JSON.parse(g.body);
        expect(event).toMatchObject({ type: 'device.registered', deviceId: id });
        expect(g.headers['x-flotilla-event']).toBe('device.registered');
        const expected = `sha256=${createHmac('sha256', secret).update(`${g.headers['x-flotilla-timestamp']}.${g.body}`).digest('hex')}`;
        const sig = String(g.headers['x-flotilla-signature']);
        expect(sig.length === expected.length && timingSafeEqual(Buffer.from(sig), Buffer.from(expected))).toBe(true);
      }
      // The receiver sees the third attempt before the sender has read its 2xx: wait for the count.
      await until(() => own.jobs.webhooks.stats.delivered === 1);
      expect(own.jobs.webhooks.stats).toMatchObject({ delivered: 1, retried: 2 });
      // Other event types were not sent.
      expect(got.every((g) => g.headers['x-flotilla-event'] === 'device.registered')).toBe(true);
      expect((await own.api.del(`/webhooks/${created.body.id}`)).status).toBe(204);
    } finally {
      await ownFleet.close();
      await own.close();
      receiver.closeAllConnections();
      await new Promise((r) => receiver.close(r));
    }
  });
});
