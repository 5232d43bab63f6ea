/**
 * Role scoping on every route (issue 10), generated from the API itself: the test walks the
 * OpenAPI document (/api/v1/openapi.json) and calls every route with a token of each role,
 * unscoped and scoped to a tag, on a device inside the scope and one outside it. Nothing
 * above a token's role answers anything but 403; nothing outside a scope is reachable (404
 * for its devices and tasks, 403 for fleet-wide routes); what a role and scope allow is not
 * refused. The device list, the event stream and a scoped user's console session are checked
 * on their contents. A route missing from the walk fails the test (the document and the
 * server's route table must agree).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueToken, routeAllows, type PrincipalRole } from '../../src/auth/tokens.js';
import { deviceIdOf } from '../../src/store/device-id.js';
import type { ApiRole, Capability } from '../../src/store/types.js';
import { openEventStream } from '../helpers/sse.js';
import { startStack, type Json, type Stack } from './helpers.js';

let s: Stack;
const IN = deviceIdOf({ oui: '00AA00', productClass: 'Box', serialNumber: 'SCOPE-IN' });
const OUT = deviceIdOf({ oui: '00AA00', productClass: 'Box', serialNumber: 'SCOPE-OUT' });
const SCOPE = { tag: 'north' };
let taskIn = '';
let taskOut = '';
let faultIn = '';
let faultOut = '';
let alarmIn = '';
let alarmOut = '';

interface Who {
  label: string;
  role: ApiRole;
  scoped: boolean;
  capabilities: Capability[];
  token: string;
}
const principals: Who[] = [];

async function device(id: string, serial: string): Promise<void> {
  const at = Date.now();
  await s.store.openSession({ deviceId: id, lockOwner: 't', lockTtlMs: 10_000, now: at });
  await s.store.commitSession({
    deviceId: id,
    lockOwner: 't',
    identity: { manufacturer: 'Acme', oui: '00AA00', productClass: 'Box', serialNumber: serial },
    informAt: at,
    events: [{ eventCode: '0 BOOTSTRAP', commandKey: '' }],
    parameterOps: [{ op: 'setValues', at, touch: false, params: [{ name: 'Device.DeviceInfo.SoftwareVersion', value: '1.0', type: 'xsd:string' }] }],
    requestOutcomes: [],
    cpeMessages: [],
    log: { deviceId: id, startedAt: at, endedAt: at, events: [], rpcs: [], cpeRequests: [], outcome: 'ok', linkedRequests: [] },
    releaseLock: true,
  });
}

/** Devices, the tag and one queued task on each, as before any request changed them. */
async function seed(): Promise<void> {
  for (const [id, serial] of [
    [IN, 'SCOPE-IN'],
    [OUT, 'SCOPE-OUT'],
  ] as const) {
    if ((await s.store.getDevice(id)) === null) await device(id, serial);
  }
  await s.store.setTags(IN, ['north'], []);
  await s.store.setTags(OUT, [], ['north']);
  const ensure = async (id: string, deviceId: string): Promise<string> => {
    const t = id === '' ? null : await s.store.getTask(id);
    if (t !== null && t.state === 'queued') return id;
    if (t !== null) await s.store.deleteTask(id);
    const r = await s.api.post(`/devices/${encodeURIComponent(deviceId)}/tasks`, { type: 'reboot' });
    expect(r.status, r.text).toBe(202);
    return r.body.id as string;
  };
  taskIn = await ensure(taskIn, IN);
  taskOut = await ensure(taskOut, OUT);
  faultIn = await ensureFault(faultIn, IN);
  faultOut = await ensureFault(faultOut, OUT);
  alarmIn = (await s.store.raiseAlarm({ ruleId: 'builtin-offline', deviceId: IN, severity: 'major', text: 'offline', at: Date.now() })).alarm.id;
  alarmOut = (await s.store.raiseAlarm({ ruleId: 'builtin-offline', deviceId: OUT, severity: 'major', text: 'offline', at: Date.now() })).alarm.id;
}

/** A faulted task on the device (a session hands it out and the CPE answers with a fault). */
async function ensureFault(id: string, deviceId: string): Promise<string> {
  const t = id === '' ? null : await s.store.getTask(id);
  if (t !== null && t.state === 'fault') return id;
  const [made] = await s.store.createTasks([{ deviceId, task: { type: 'getParameterValues', parameterNames: ['Device.DeviceInfo.'] } }], Date.now());
  const at = Date.now();
  const opened = await s.store.openSession({ deviceId, lockOwner: 't', lockTtlMs: 10_000, now: at });
  const handed = opened.queue.filter((q) => q.id === made!.id);
  expect(handed).toHaveLength(1);
  await s.store.commitSession({
    deviceId,
    lockOwner: 't',
    identity: { manufacturer: 'Acme', oui: '00AA00', productClass: 'Box', serialNumber: deviceId === IN ? 'SCOPE-IN' : 'SCOPE-OUT' },
    informAt: at,
    events: [{ eventCode: '2 PERIODIC', commandKey: '' }],
    parameterOps: [],
    requestOutcomes: [{ requestId: made!.id, state: 'fault', fault: { faultCode: 9002, faultString: 'Internal error', setParameterValuesFault: [] }, at }],
    cpeMessages: [],
    log: { deviceId, startedAt: at, endedAt: at, events: [], rpcs: [], cpeRequests: [], outcome: 'ok', linkedRequests: [] },
    releaseLock: true,
  });
  expect((await s.store.getTask(made!.id))?.state).toBe('fault');
  return made!.id;
}

/** Routes a scoped principal may call on the fleet: they answer a narrowed view (or are its own). */
const SCOPE_OPEN = new Set([
  'GET /devices',
  'GET /events',
  'GET /sampling-profiles',
  'GET /tasks',
  'POST /tasks',
  'GET /faults',
  'GET /alarms',
  'GET /alarms/counts',
  'GET /conformance/models',
  'GET /series/aggregate',
  // Webhooks of the principal's own scope only (test/nbi/webhooks-scope.e2e.test.ts checks the contents).
  'GET /webhooks',
  'POST /webhooks',
  'DELETE /webhooks/{id}',
  'GET /webhooks/{id}/deliveries',
]);

beforeAll(async () => {
  s = await startStack();
  await seed();
  for (const role of ['read-only', 'operator', 'admin'] as const) {
    principals.push({ label: role, role, scoped: false, capabilities: [], token: (await issueToken(s.store, `all ${role}`, role)).token });
    principals.push({ label: `${role} (tag north)`, role, scoped: true, capabilities: [], token: (await issueToken(s.store, `north ${role}`, role, Date.now(), SCOPE)).token });
  }
  // An operator granted `provision` (policy and virtual-parameter writes), scoped and not.
  const caps: Capability[] = ['provision'];
  principals.push({ label: 'operator+provision', role: 'operator', scoped: false, capabilities: caps, token: (await issueToken(s.store, 'all provisioner', 'operator', Date.now(), null, caps)).token });
  principals.push({
    label: 'operator+provision (tag north)',
    role: 'operator',
    scoped: true,
    capabilities: caps,
    token: (await issueToken(s.store, 'north provisioner', 'operator', Date.now(), SCOPE, caps)).token,
  });
}, 60_000);

afterAll(async () => {
  await s?.close();
});

async function call(method: string, path: string, token: string): Promise<{ status: number; body: Json }> {
  const ctrl = new AbortController();
  const headers: Record<string, string> = { authorization: `Bearer ${token}` };
  const body = ['POST', 'PUT', 'PATCH'].includes(method) ? '{}' : undefined;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${s.nbi.url}${path}`, { method, headers, signal: ctrl.signal, ...(body !== undefined ? { body } : {}) });
  if ((res.headers.get('content-type') ?? '').startsWith('text/event-stream')) {
    ctrl.abort();
    return { status: res.status, body: null };
  }
  const text = await res.text();
  let parsed: Json;
  try {
    parsed = text === '' ? null : JSON.parse(text);
  } catch {
    parsed = text;
  }
  return { status: res.status, body: parsed };
}

describe('role and scope on every route of the OpenAPI document', () => {
  it('walks every route with each role, scoped and not', async () => {
    const doc = (await (await fetch(`${s.nbi.url}/api/v1/openapi.json`)).json()) as { paths: Record<string, Record<string, Record<string, unknown>>> };
    const table = new Map(s.nbi.routes.map((r) => [`${r.method} ${r.url}`, r]));
    const walked: string[] = [];
    const problems: string[] = [];
    for (const [path, ops] of Object.entries(doc.paths)) {
      if (!path.startsWith('/api/v1/')) continue;
      for (const method of Object.keys(ops).map((m) => m.toUpperCase())) {
        if (!['GET', 'POST', 'PUT', 'PATCH', 'DELETE'].includes(method)) continue;
        const pattern = path.replace(/\{(\w+)\}/g, ':$1');
        const route = table.get(`${method} ${pattern}`);
        expect(route, `${method} ${path} is in the document but not in the server's route table`).toBeDefined();
        if (route!.public) continue;
        // The document says what the route needs, and says what the server enforces.
        const op = ops[method.toLowerCase()]!;
        if (op['x-flotilla-role'] !== route!.role || op['x-flotilla-capability'] !== route!.capability) {
          problems.push(`document and server disagree on what ${method} ${path} needs: ${String(op['x-flotilla-role'])}/${String(op['x-flotilla-capability'])} vs ${route!.role}/${String(route!.capability)}`);
        }
        walked.push(`${method} ${path}`);
        const rel = path.slice('/api/v1'.length);
        const deviceRoute = /^\/devices\/\{id\}(\/|$)/.test(rel);
        const taskRoute = /^\/tasks\/\{id\}(\/retry)?$/.test(rel);
        const faultRoute = /^\/faults\/\{id\}$/.test(rel);
        const alarmRoute = /^\/alarms\/\{id\}(\/acknowledge)?$/.test(rel);
        const pair = (prefix: string): { id: string; inside: boolean }[] => [
          { id: `${prefix}-in`, inside: true },
          { id: `${prefix}-out`, inside: false },
        ];
        const targets: { id: string; inside: boolean | null }[] = faultRoute
          ? pair('fault')
          : alarmRoute
            ? pair('alarm')
            : deviceRoute
          ? [
              { id: IN, inside: true },
              { id: OUT, inside: false },
            ]
          : taskRoute
            ? [
                { id: 'task-in', inside: true },
                { id: 'task-out', inside: false },
              ]
            : [{ id: 'x', inside: null }];
        for (const who of principals) {
          for (const target of targets) {
            const named: Record<string, string> = { 'task-in': taskIn, 'task-out': taskOut, 'fault-in': faultIn, 'fault-out': faultOut, 'alarm-in': alarmIn, 'alarm-out': alarmOut };
            const id = named[target.id] ?? target.id;
            const url = path.replace('{id}', encodeURIComponent(id)).replace(/\{\w+\}/g, 'x');
            const r = await call(method, url, who.token);
            const where = `${who.label}: ${method} ${url} → ${r.status} ${JSON.stringify(r.body)?.slice(0, 160)}`;
            const allowedRole = routeAllows(who.role as PrincipalRole, who.capabilities, {
              role: route!.role as PrincipalRole,
              ...(route!.capability !== undefined ? { capability: route!.capability as Capability } : {}),
            });
            const scopeOpen = SCOPE_OPEN.has(`${method} ${rel}`) || rel.startsWith('/session');
            if (r.status === 401) problems.push(`401 for a valid token: ${where}`);
            else if (!allowedRole) {
              if (r.status !== 403) problems.push(`above the role, not 403: ${where}`);
            } else if (who.scoped && target.inside === false) {
              if (r.status !== 404) problems.push(`outside the scope, not 404: ${where}`);
            } else if (who.scoped && target.inside === null && !scopeOpen) {
              if (r.status !== 403) problems.push(`fleet-wide route open to a scoped token: ${where}`);
            } else {
              const scopeRefusal = r.status === 404 && typeof r.body?.message === 'string' && [`device ${id} not found`, `task ${id} not found`, `fault ${id} not found`, `alarm ${id} not found`].includes(r.body.message);
              if (r.status === 403 || scopeRefusal) problems.push(`allowed, yet refused: ${where}`);
            }
            if (method !== 'GET') await seed();
          }
        }
      }
    }
    expect(problems).toEqual([]);
    // The walk covered the API, device routes and fleet-wide ones alike.
    expect(walked.length).toBeGreaterThan(60);
    expect(walked).toEqual(
      expect.arrayContaining(['GET /api/v1/devices/{id}', 'DELETE /api/v1/devices/{id}', 'GET /api/v1/tasks', 'POST /api/v1/webhooks', 'GET /api/v1/events', 'DELETE /api/v1/faults/{id}', 'POST /api/v1/alarms/{id}/acknowledge']),
    );
    // Configuration routes stay closed to scoped principals (deny by default).
    const scopedAdmin = principals.find((p) => p.scoped && p.role === 'admin')!.token;
    for (const [method, path] of [
      ['GET', '/files'],
      ['POST', '/files'],
      ['GET', '/policies'],
      ['POST', '/policies'],
      ['GET', '/users'],
      ['GET', '/tokens'],
      ['POST', '/quirks'],
      ['GET', '/audit'],
      ['GET', '/campaigns'],
      ['GET', '/subscribers'],
    ] as const) {
      expect((await call(method, `/api/v1${path}`, scopedAdmin)).status, `${method} ${path}`).toBe(403);
    }
    // The provision capability is on the policy and virtual-parameter writes, and nowhere else.
    const provisionRoutes = s.nbi.routes.filter((r) => r.capability === 'provision').map((r) => `${r.method} ${r.url}`).sort();
    expect(provisionRoutes).toEqual(
      [
        'POST /api/v1/policies',
        'PUT /api/v1/policies/:id',
        'DELETE /api/v1/policies/:id',
        'POST /api/v1/policies/:id/rollback',
        'POST /api/v1/virtual-parameters',
        'PUT /api/v1/virtual-parameters/:name',
        'DELETE /api/v1/virtual-parameters/:name',
      ].sort(),
    );
    // Every route of the server (but the public ones and the document itself) is in the document.
    const documented = new Set(walked);
    const missing = s.nbi.routes.filter((r) => r.url.startsWith('/api/v1/') && !r.public && !documented.has(`${r.method} ${r.url.replace(/:(\w+)/g, '{$1}')}`));
    expect(missing.map((r) => `${r.method} ${r.url}`)).toEqual([]);
  }, 300_000);

  it('a scoped token lists only its devices, even when its filters ask for others', async () => {
    const scoped = principals.find((p) => p.scoped && p.role === 'read-only')!.token;
    const all = principals.find((p) => !p.scoped && p.role === 'read-only')!.token;
    const ids = async (token: string, q = ''): Promise<string[]> => ((await call('GET', `/api/v1/devices${q}`, token)).body.devices as Json[]).map((d) => d.id).sort();
    expect(await ids(all)).toEqual([IN, OUT].sort());
    expect(await ids(scoped)).toEqual([IN]);
    expect(await ids(scoped, `?filter=${encodeURIComponent(`id = ${OUT}`)}`)).toEqual([]);
    expect((await call('GET', `/api/v1/devices?filter=${encodeURIComponent('tag = north')}`, scoped)).body.total).toBe(1);
  });

  it('fleet lists, counts and aggregates of a scoped token hold only its devices; a bulk task reaches only them', async () => {
    await seed();
    const scoped = principals.find((p) => p.scoped && p.role === 'operator')!.token;
    const all = principals.find((p) => !p.scoped && p.role === 'operator')!.token;
    const devicesOf = (rows: Json[]): string[] => [...new Set(rows.map((r) => r.deviceId as string))].sort();
    expect(devicesOf((await call('GET', '/api/v1/tasks', all)).body.tasks)).toEqual([IN, OUT].sort());
    const tasks = await call('GET', '/api/v1/tasks', scoped);
    expect(devicesOf(tasks.body.tasks)).toEqual([IN]);
    expect(tasks.body.total).toBe(tasks.body.tasks.length);
    expect((await call('GET', `/api/v1/tasks?deviceId=${encodeURIComponent(OUT)}`, scoped)).body.total).toBe(0);
    const faults = await call('GET', '/api/v1/faults', scoped);
    expect([faults.body.total, faults.body.tasks.map((t: Json) => t.id)]).toEqual([1, [faultIn]]);
    const alarms = await call('GET', '/api/v1/alarms?state=active', scoped);
    expect([alarms.body.total, alarms.body.alarms.map((a: Json) => a.id)]).toEqual([1, [alarmIn]]);
    expect((await call('GET', '/api/v1/alarms/counts', all)).body.active.major).toBe(2);
    // (the walk acknowledged the alarm in scope)
    expect((await call('GET', '/api/v1/alarms/counts', scoped)).body).toEqual({ active: { critical: 0, major: 1, minor: 0, warning: 0 }, unacknowledged: 0 });
    const models = await call('GET', '/api/v1/conformance/models', scoped);
    expect(models.body.models.map((m: Json) => m.devices)).toEqual([1]);
    expect((await call('GET', '/api/v1/conformance/models', all)).body.models.map((m: Json) => m.devices)).toEqual([2]);
    const agg = await call('GET', `/api/v1/series/aggregate?path=${encodeURIComponent('Device.DeviceInfo.UpTime')}`, scoped);
    expect(agg.status).toBe(200);
    expect(agg.body.matched).toBe(1);
    // A bulk task by a filter that matches both devices reaches only the one in scope.
    const bulk = await fetch(`${s.nbi.url}/api/v1/tasks`, {
      method: 'POST',
      headers: { authorization: `Bearer ${scoped}`, 'content-type': 'application/json' },
      body: JSON.stringify({ filter: ['oui = "00AA00"'], task: { type: 'reboot' } }),
    });
    const made = (await bulk.json()) as Json;
    expect(bulk.status, JSON.stringify(made)).toBe(201);
    expect([made.count, made.tasks.map((t: Json) => t.deviceId)]).toEqual([1, [IN]]);
    const none = await fetch(`${s.nbi.url}/api/v1/tasks`, {
      method: 'POST',
      headers: { authorization: `Bearer ${scoped}`, 'content-type': 'application/json' },
      body: JSON.stringify({ filter: [`id = ${JSON.stringify(OUT)}`], task: { type: 'reboot' } }),
    });
    expect(none.status).toBe(201);
    expect(((await none.json()) as Json).count).toBe(0);
    for (const t of made.tasks as Json[]) await s.store.deleteTask(t.id as string);
  });

  it('the event stream of a scoped token carries only its devices', async () => {
    const scoped = principals.find((p) => p.scoped && p.role === 'read-only')!.token;
    const stream = await openEventStream(`${s.nbi.url}/api/v1/events`, { authorization: `Bearer ${scoped}` });
    const everyone = await openEventStream(`${s.nbi.url}/api/v1/events`, { authorization: `Bearer ${s.api.token}` });
    try {
      s.bus.publish({ type: 'device.inform', at: Date.now(), deviceId: OUT, data: { n: 1 } });
      s.bus.publish({ type: 'device.inform', at: Date.now(), deviceId: IN, data: { n: 2 } });
      s.bus.publish({ type: 'campaign.progress', at: Date.now(), deviceId: '', data: { n: 3 } });
      await expect.poll(() => everyone.events.length, { timeout: 10_000 }).toBe(3);
      await expect.poll(() => stream.events.length, { timeout: 10_000 }).toBe(1);
      expect(stream.events[0]).toMatchObject({ deviceId: IN, data: { n: 2 } });
    } finally {
      await stream.close();
      await everyone.close();
    }
  });

  it('a user scoped by a filter sees the same through the console session; tokens carry and show their scope', async () => {
    const u = await s.api.post('/users', { name: 'region-west', role: 'operator', password: 'west region password', scope: { filter: 'serialNumber = SCOPE-OUT' } });
    expect(u.status, JSON.stringify(u.body)).toBe(201);
    const signIn = await fetch(`${s.nbi.url}/api/v1/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'region-west', password: 'west region password' }) });
    const cookie = /flotilla_session=[^;]+/.exec(signIn.headers.get('set-cookie')!)![0];
    const list = (await (await fetch(`${s.nbi.url}/api/v1/devices`, { headers: { cookie } })).json()) as Json;
    expect(list.devices.map((d: Json) => d.id)).toEqual([OUT]);
    expect((await fetch(`${s.nbi.url}/api/v1/devices/${encodeURIComponent(encodeURIComponent(IN))}`, { headers: { cookie } })).status).toBe(404);
    const made = await s.api.post('/tokens', { name: 'north bot', role: 'read-only', scope: { tag: 'north' } });
    expect(made.body.scope).toEqual({ tag: 'north' });
    expect((await s.api.post('/tokens', { name: 'bad', role: 'read-only', scope: { filter: 'nonsense ~~ "' } })).status).toBe(400);
    expect((await s.api.post('/tokens', { name: 'bad', role: 'read-only', scope: { region: 'x' } })).status).toBe(400);
    expect((await s.api.get('/tokens')).body.tokens.find((t: Json) => t.name === 'north bot').scope).toEqual({ tag: 'north' });
  });
});
