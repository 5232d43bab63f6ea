/**
 * The audit log over real HTTP (issue 10): every change through the API is recorded with
 * who, when, from where, what, and before/after with secrets masked; refused attempts too;
 * reads and unauthenticated requests are not. GET /audit filters, pages and exports CSV, for
 * admins only; hostile queries get 400.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueToken } from '../../src/auth/tokens.js';
import { deviceIdOf } from '../../src/store/device-id.js';
import { Api, inPath, startStack, type Json, type Stack } from './helpers.js';

const KEY_PATH = 'Device.WiFi.AccessPoint.1.Security.KeyPassphrase';
const WIFI_KEY = 'audit-wifi-key-42';
const HOOK_SECRET = 'webhook-secret-0123456789';

let s: Stack;
let op: Api;
let ro: Api;
let opId: string;
const id = deviceIdOf({ oui: '00AA00', productClass: 'Box', serialNumber: 'AUD-1' });

beforeAll(async () => {
  s = await startStack();
  const o = await issueToken(s.store, 'ops-bot', 'operator');
  opId = o.record.id;
  op = s.api.as(o.token);
  ro = s.api.as((await issueToken(s.store, 'viewer', 'read-only')).token);
  await s.store.openSession({ deviceId: id, lockOwner: 't', lockTtlMs: 10_000, now: Date.now() });
  await s.store.commitSession({
    deviceId: id,
    lockOwner: 't',
    identity: { manufacturer: 'Acme', oui: '00AA00', productClass: 'Box', serialNumber: 'AUD-1' },
    informAt: Date.now(),
    events: [{ eventCode: '0 BOOTSTRAP', commandKey: '' }],
    parameterOps: [{ op: 'setValues', at: Date.now(), touch: false, params: [{ name: KEY_PATH, value: 'old', type: 'xsd:string' }] }],
    requestOutcomes: [],
    cpeMessages: [],
    log: { deviceId: id, startedAt: Date.now(), endedAt: Date.now(), events: [], rpcs: [], cpeRequests: [], outcome: 'ok', linkedRequests: [] },
    releaseLock: true,
  });
});

afterAll(async () => {
  await s?.close();
});

async function entries(q = ''): Promise<Json[]> {
  const r = await s.api.get(`/audit?limit=1000${q}`);
  expect(r.status).toBe(200);
  return r.body.entries;
}

describe('audit log', () => {
  it('records changes with who, from where, what, and before/after; masks secrets; skips reads and 401s', async () => {
    const before = (await entries()).length;
    expect((await op.post(`/devices/${inPath(id)}/tags`, { add: ['gold'] })).status).toBe(200);
    const task = await op.post(`/devices/${inPath(id)}/tasks`, { type: 'setParameterValues', parameterValues: [[KEY_PATH, WIFI_KEY]] });
    expect(task.status).toBe(202);
    expect((await op.del(`/tasks/${task.body.id}`)).status).toBe(204);
    const hook = await s.api.post('/webhooks', { url: 'http://127.0.0.1:9/hook', secret: HOOK_SECRET });
    expect(hook.status).toBe(201);
    const tok = await s.api.post('/tokens', { name: 'temp', role: 'read-only' });
    expect((await s.api.del(`/tokens/${tok.body.id}`)).status).toBe(204);
    expect((await ro.del(`/devices/${inPath(id)}`)).status).toBe(403); // refused: recorded
    expect((await s.api.as('not-a-valid-token-at-all').del(`/devices/${inPath(id)}`)).status).toBe(401); // not recorded
    await ro.get('/devices'); // reads: not recorded

    const list = await entries();
    expect(list.length - before).toBe(7);
    const [forbidden, delTok, newTok, newHook, delTask, newTask, tags] = list;
    expect(tags).toMatchObject({
      actor: { kind: 'token', id: opId, name: 'ops-bot' },
      source: '127.0.0.1',
      action: 'POST /devices/{id}/tags',
      target: id,
      status: 200,
      before: { tags: [] },
      after: { tags: ['gold'] },
    });
    expect(Date.parse(tags.at)).toBeGreaterThan(Date.now() - 60_000);
    expect(newTask).toMatchObject({ action: 'POST /devices/{id}/tasks', target: id, status: 202 });
    expect(newTask.after.task.parameterValues[0]).toEqual([KEY_PATH, '***', 'xsd:string']);
    expect(delTask).toMatchObject({ action: 'DELETE /tasks/{id}', target: task.body.id, status: 204 });
    expect(delTask.before.task.parameterValues[0][1]).toBe('***');
    expect(newHook).toMatchObject({ action: 'POST /webhooks', target: hook.body.id, after: { url: 'http://127.0.0.1:9/hook' } });
    expect(newTok).toMatchObject({ action: 'POST /tokens', target: tok.body.id, after: { name: 'temp', role: 'read-only' } });
    expect(delTok).toMatchObject({ action: 'DELETE /tokens/{id}', target: tok.body.id, before: { name: 'temp' } });
    expect(forbidden).toMatchObject({ actor: { name: 'viewer' }, action: 'DELETE /devices/{id}', status: 403 });
    // No secret anywhere in the log, nor the token shown once at creation.
    const text = JSON.stringify(list);
    for (const secret of [WIFI_KEY, HOOK_SECRET, tok.body.token]) expect(text).not.toContain(secret);
  });

  it('filters by actor, action (prefix*), target and time; pages with a total', async () => {
    expect((await entries('&actor=ops-bot')).every((e) => e.actor.name === 'ops-bot')).toBe(true);
    expect((await entries(`&actor=${opId}`)).length).toBe(3);
    expect((await entries(`&action=${encodeURIComponent('DELETE *')}`)).map((e) => e.action)).toEqual(['DELETE /devices/{id}', 'DELETE /tokens/{id}', 'DELETE /tasks/{id}']);
    expect((await entries(`&target=${encodeURIComponent(id)}`)).length).toBe(3);
    expect((await entries('&from=-1h')).length).toBeGreaterThanOrEqual(7);
    expect((await entries(`&to=${Date.now() - 3_600_000}`)).length).toBe(0);
    const page = await s.api.get('/audit?limit=2&offset=1&order=oldest');
    expect(page.body.entries.length).toBe(2);
    expect(page.body.total).toBeGreaterThanOrEqual(7);
    expect(page.body.entries[0].id).toBeLessThan(page.body.entries[1].id);
  });

  it('exports CSV: a header, one row per entry, formulas defused', async () => {
    const evil = s.api.as((await issueToken(s.store, '=HYPERLINK("http://evil")', 'operator')).token);
    expect((await evil.req('PUT', `/devices/${inPath(id)}/tags/x`)).status).toBe(204);
    const r = await s.api.get('/audit?format=csv');
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^text\/csv/);
    const lines = r.text.trimEnd().split('\r\n');
    expect(lines[0]).toBe('id,at,actor_kind,actor_id,actor_name,source,action,target,status,before,after');
    expect(lines.length - 1).toBe(Number(r.headers.get('x-total-count')));
    expect(r.text).not.toContain(WIFI_KEY);
    expect(r.text).toContain(`"'=HYPERLINK(""http://evil"")"`);
    expect(r.text).not.toMatch(/(^|,)"=/m);
    const viaAccept = await fetch(`${s.nbi.url}/api/v1/audit?limit=1`, { headers: { authorization: `Bearer ${s.api.token}`, accept: 'text/csv' } });
    expect(viaAccept.headers.get('content-type')).toMatch(/^text\/csv/);
  });

  it('is for admins; hostile and out-of-range queries get 400; it cannot be written or erased through the API', async () => {
    expect((await ro.get('/audit')).status).toBe(403);
    expect((await op.get('/audit')).status).toBe(403);
    for (const q of ['from=yesterday-ish', 'offset=99999999999999999999', 'limit=-1', 'order=sideways', 'format=xml', 'bogus=1', `target=${'x'.repeat(5000)}`, 'actor=']) {
      const r = await s.api.get(`/audit?${q}`);
      expect([q, r.status]).toEqual([q, 400]);
    }
    expect((await s.api.post('/audit', { action: 'forged' })).status).toBe(404);
    expect((await s.api.del('/audit')).status).toBe(404);
  });
});
