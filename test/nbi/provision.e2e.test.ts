/**
 * The `provision` capability (issue 12: "operators read, a `provision` capability or admin
 * writes"), over real HTTP: tokens and users are granted it beside the operator role; policy
 * and virtual-parameter writes pass for admin and operator+provision, refuse read-only and a
 * plain operator with a 403 that says what is needed; operators still read. Grants are checked
 * (unknown names, read-only, hostile bodies) and the audit log says who changed a policy.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueToken } from '../../src/auth/tokens.js';
import { startStack, type Api, type Stack } from './helpers.js';

let s: Stack;
let readOnly: Api;
let operator: Api;
let provisioner: Api;

const POLICY = { name: 'ntp', declarations: [{ path: 'Device.Time.NTPServer1', value: 'ntp.example' }] };
const VP = { name: 'WanIp', read: 'return "192.0.2.1";' };

beforeAll(async () => {
  s = await startStack();
  readOnly = s.api.as((await issueToken(s.store, 'ro', 'read-only')).token);
  operator = s.api.as((await issueToken(s.store, 'plain operator', 'operator')).token);
  provisioner = s.api.as((await issueToken(s.store, 'provisioner', 'operator', Date.now(), null, ['provision'])).token);
}, 60_000);

afterAll(async () => {
  await s?.close();
});

describe('provision capability', () => {
  it('admin and operator+provision write policies; read-only and plain operators get 403 and still read (operators)', async () => {
    const made = await provisioner.post('/policies', POLICY);
    expect(made.status, made.text).toBe(201);
    const id = made.body.id as string;
    expect(made.body.author).toBe('provisioner');

    for (const who of [readOnly, operator]) {
      const refused = await who.post('/policies', { ...POLICY, name: 'other' });
      expect(refused.status).toBe(403);
      expect(refused.body.message).toContain('provision capability');
      expect((await who.put(`/policies/${id}`, { ...POLICY, priority: 5 })).status).toBe(403);
      expect((await who.del(`/policies/${id}`)).status).toBe(403);
      expect((await who.post(`/policies/${id}/rollback`, { revision: 1 })).status).toBe(403);
    }
    // Nothing was saved by the refused attempts.
    expect((await s.api.get('/policies')).body.policies).toHaveLength(1);
    // Operators read: the list, one policy, its revisions, compliance and a dry run.
    expect((await operator.get('/policies')).status).toBe(200);
    expect((await operator.get(`/policies/${id}/revisions`)).status).toBe(200);
    expect((await operator.get(`/policies/${id}/compliance`)).status).toBe(200);
    expect((await operator.post(`/policies/${id}/plan`)).status).toBe(200);
    expect((await readOnly.get('/policies')).status).toBe(403);

    const changed = await provisioner.put(`/policies/${id}`, { ...POLICY, priority: 5 });
    expect(changed.status, changed.text).toBe(200);
    expect(changed.body.revision).toBe(2);
    expect((await s.api.post(`/policies/${id}/rollback`, { revision: 1 })).status).toBe(200);
    expect((await provisioner.del(`/policies/${id}`)).status).toBe(204);
  });

  it('virtual parameters: the same rule', async () => {
    const refused = await operator.post('/virtual-parameters', VP);
    expect(refused.status).toBe(403);
    const made = await provisioner.post('/virtual-parameters', VP);
    expect(made.status, made.text).toBe(201);
    expect((await operator.get('/virtual-parameters')).status).toBe(200);
    expect((await operator.del('/virtual-parameters/WanIp')).status).toBe(403);
    expect((await provisioner.del('/virtual-parameters/WanIp')).status).toBe(204);
  });

  it('the provision capability opens nothing else that needs admin', async () => {
    expect((await provisioner.get('/tokens')).status).toBe(403);
    expect((await provisioner.get('/users')).status).toBe(403);
    expect((await provisioner.post('/tokens', { name: 'escalate', role: 'admin' })).status).toBe(403);
  });

  it('the audit log says who made each policy change, with the policy as target and its state before and after', async () => {
    const made = await provisioner.post('/policies', { ...POLICY, name: 'audited' });
    const id = made.body.id as string;
    await provisioner.put(`/policies/${id}`, { ...POLICY, name: 'audited', priority: 9 });
    await operator.post('/policies', { ...POLICY, name: 'refused' });
    const entries = (await s.store.listAudit({ limit: 50, action: 'POST /policies', oldestFirst: true })).entries;
    const create = entries.find((e) => e.target === id)!;
    expect(create).toMatchObject({ actor: { kind: 'token', name: 'provisioner' }, status: 201 });
    expect(create.after).toMatchObject({ id, name: 'audited' });
    expect(entries.filter((e) => e.status === 403).map((e) => e.actor.name)).toContain('plain operator');
    const update = (await s.store.listAudit({ limit: 10, action: 'PUT /policies/{id}', target: id })).entries[0]!;
    expect(update).toMatchObject({ actor: { name: 'provisioner' }, status: 200 });
    expect(update.before).toMatchObject({ priority: 0 });
    expect(update.after).toMatchObject({ priority: 9, revision: 2 });
  });

  it('tokens API: capabilities granted, shown and checked', async () => {
    const t = await s.api.post('/tokens', { name: 'prov bot', role: 'operator', capabilities: ['provision'] });
    expect(t.status, t.text).toBe(201);
    expect(t.body.capabilities).toEqual(['provision']);
    const listed = (await s.api.get('/tokens')).body.tokens.find((x: { id: string }) => x.id === t.body.id);
    expect(listed.capabilities).toEqual(['provision']);
    const bot = s.api.as(t.body.token as string);
    expect(await bot.get('/session').then((r) => r.body)).toMatchObject({ kind: 'token', role: 'operator', capabilities: ['provision'] });
    expect((await operator.get('/session')).body.capabilities).toEqual([]);
    expect((await s.api.get('/session')).body.capabilities).toEqual(['provision']); // admin holds every capability
    // Refused: unknown, not a list, read-only, a giant list, hostile keys; nothing made.
    const before = (await s.api.get('/tokens')).body.tokens.length;
    for (const body of [
      { name: 'x', role: 'operator', capabilities: ['root'] },
      { name: 'x', role: 'operator', capabilities: 'provision' },
      { name: 'x', role: 'read-only', capabilities: ['provision'] },
      { name: 'x', role: 'operator', capabilities: Array.from({ length: 1000 }, () => 'provision') },
      { name: 'x', role: 'operator', capabilities: [{ __proto__: { admin: true } }] },
    ]) {
      const r = await s.api.post('/tokens', body);
      expect(r.status, JSON.stringify(body).slice(0, 80)).toBe(400);
    }
    expect((await s.api.req('POST', '/tokens', undefined, { raw: '{"name":"x","role":"operator","capabilities":["provision"],"__proto__":{"role":"admin"}}' })).status).toBe(400);
    expect((await s.api.get('/tokens')).body.tokens.length).toBe(before);
  });

  it('users API: granted at creation and by a change; made read-only, a user loses it', async () => {
    const u = await s.api.post('/users', { name: 'prov-user', role: 'operator', password: 'a long enough password', capabilities: ['provision'] });
    expect(u.status, u.text).toBe(201);
    expect(u.body.capabilities).toEqual(['provision']);
    expect((await s.api.post('/users', { name: 'ro-user', role: 'read-only', password: 'a long enough password', capabilities: ['provision'] })).status).toBe(400);
    expect((await s.api.post('/users', { name: 'bad-user', role: 'operator', password: 'a long enough password', capabilities: ['admin'] })).status).toBe(400);

    // The user's console session carries the grant: it writes policies (with its CSRF token).
    const signIn = await fetch(`${s.nbi.url}/api/v1/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'prov-user', password: 'a long enough password' }) });
    const session = (await signIn.json()) as { capabilities: string[]; csrfToken: string };
    expect(session.capabilities).toEqual(['provision']);
    const cookie = /flotilla_session=[^;]+/.exec(signIn.headers.get('set-cookie')!)![0];
    const asUser = (): Promise<Response> =>
      fetch(`${s.nbi.url}/api/v1/policies`, {
        method: 'POST',
        headers: { cookie, 'content-type': 'application/json', 'x-csrf-token': session.csrfToken },
        body: JSON.stringify({ ...POLICY, name: `by user ${Math.random()}` }),
      });
    expect((await asUser()).status).toBe(201);

    const id = u.body.id as string;
    const cleared = await s.api.req('PATCH', `/users/${id}`, { capabilities: [] });
    expect(cleared.status, cleared.text).toBe(200);
    expect(cleared.body.capabilities).toEqual([]);
    const refused = await asUser();
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { message: string }).message).toContain('the user has operator');
    expect((await s.api.req('PATCH', `/users/${id}`, { capabilities: ['provision'] })).body.capabilities).toEqual(['provision']);
    const demoted = await s.api.req('PATCH', `/users/${id}`, { role: 'read-only' });
    expect(demoted.body).toMatchObject({ role: 'read-only', capabilities: [] });
    expect((await s.api.req('PATCH', `/users/${id}`, { capabilities: ['provision'] })).status).toBe(400);
  });

  it('the OpenAPI document says what each write needs', async () => {
    const doc = (await (await fetch(`${s.nbi.url}/api/v1/openapi.json`)).json()) as { paths: Record<string, Record<string, Record<string, unknown>>> };
    expect(doc.paths['/api/v1/policies']!.post).toMatchObject({ 'x-flotilla-role': 'admin', 'x-flotilla-capability': 'provision' });
    expect(doc.paths['/api/v1/policies']!.get).toMatchObject({ 'x-flotilla-role': 'operator' });
    expect(String(doc.paths['/api/v1/policies']!.post!.description)).toContain('provision capability');
    expect(doc.paths['/api/v1/tokens']!.post!['x-flotilla-capability']).toBeUndefined();
  });
});
