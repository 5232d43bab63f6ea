/**
 * Scoped webhooks (issue 10: roles scoped to a tenant or region, enforced on webhooks too).
 * Two simulated CPEs in two tags, real HTTP on loopback, SQLite files: a webhook scoped to
 * tag A is sent A's events and none of B's (nor an event of no device); an unscoped webhook
 * beside it hears both, so B's events did happen. A token scoped to a tag makes webhooks of
 * its own scope only, and cannot see, read or delete any other (404); a malformed scope is
 * refused (400) and nothing is saved. The scope check never holds up a CWMP session: with the
 * check stalled, a periodic session still ends in its two store round trips.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAcs } from '../../src/acs/server.js';
import { issueToken } from '../../src/auth/tokens.js';
import { EventBus } from '../../src/events/bus.js';
import { WebhookDispatcher } from '../../src/events/webhooks.js';
import { webhookScopeCheck } from '../../src/nbi/scope.js';
import { countingStore } from '../../src/store/counting.js';
import { deviceIdOf } from '../../src/store/device-id.js';
import type { Store } from '../../src/store/types.js';
import { DEVICE, ScriptedCpe, informBody } from '../helpers/scripted-cpe.js';
import { type Json, SimFleet, type Stack, inPath, startStack, until } from './helpers.js';

interface Received {
  path: string;
  event: Json;
}

/** One HTTP server for every webhook of the test: what each path was sent. */
class Receiver {
  readonly got: Received[] = [];
  readonly #server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      this.got.push({ path: req.url ?? '', event: JSON.parse(Buffer.concat(chunks).toString()) });
      res.writeHead(204).end();
    });
  });

  async start(): Promise<void> {
    await new Promise<void>((r) => this.#server.listen(0, '127.0.0.1', r));
  }

  url(path: string): string {
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}${path}`;
  }

  at(path: string): Json[] {
    return this.got.filter((g) => g.path === path).map((g) => g.event);
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise((r) => this.#server.close(r));
  }
}

const SECRET = 'scoped-webhook-secret-0123456789';
let s: Stack;
let fleet: SimFleet;
const receiver = new Receiver();
let A = '';
let B = '';
/** Tokens scoped to tag tenant-a and tenant-b (admin: webhooks need it). */
let tokenA = '';
let tokenB = '';

beforeAll(async () => {
  await receiver.start();
  s = await startStack({ jobs: { webhooks: { pollMs: 50 } } });
  fleet = new SimFleet(s.acs.cwmpUrl);
  A = (await fleet.add('TENANT-A1')).id;
  B = (await fleet.add('TENANT-B1')).id;
  expect((await s.api.post(`/devices/${inPath(A)}/tags`, { add: ['tenant-a'] })).status).toBe(200);
  expect((await s.api.post(`/devices/${inPath(B)}/tags`, { add: ['tenant-b'] })).status).toBe(200);
  tokenA = (await issueToken(s.store, 'tenant a admin', 'admin', Date.now(), { tag: 'tenant-a' })).token;
  tokenB = (await issueToken(s.store, 'tenant b admin', 'admin', Date.now(), { tag: 'tenant-b' })).token;
}, 60_000);

afterAll(async () => {
  await fleet?.close();
  await s?.close();
  await receiver.close();
});

const hookIds = async (token?: string): Promise<string[]> => {
  const api = token === undefined ? s.api : s.api.as(token);
  const r = await api.get('/webhooks');
  expect(r.status).toBe(200);
  return (r.body.webhooks as Json[]).map((w) => w.id as string).sort();
};

describe('scoped webhooks', () => {
  it('a malformed scope is refused (400) and nothing is saved', async () => {
    const before = await hookIds();
    for (const scope of [{ filter: 'nonsense ~~ "' }, { region: 'x' }, {}, { tag: '' }, 'tenant-a', { tag: 'a', filter: 'no such field = 1' }]) {
      const r = await s.api.post('/webhooks', { url: receiver.url('/bad'), secret: SECRET, scope });
      expect(r.status, `${JSON.stringify(scope)} → ${r.text}`).toBe(400);
    }
    expect(await hookIds()).toEqual(before);
  });

  it('a webhook scoped to tag A is sent A’s events and none of B’s; a scoped token’s webhook gets its scope', async () => {
    const all = await s.api.post('/webhooks', { url: receiver.url('/all'), secret: SECRET });
    const byTag = await s.api.post('/webhooks', { url: receiver.url('/tag-a'), secret: SECRET, scope: { tag: 'tenant-a' } });
    const byFilter = await s.api.post('/webhooks', { url: receiver.url('/filter-b'), secret: SECRET, scope: { filter: 'serialNumber = "TENANT-B1"' } });
    // Made by a token scoped to tenant-a, without a scope in the body: it gets the token's.
    const mine = await s.api.as(tokenA).post('/webhooks', { url: receiver.url('/mine'), secret: SECRET, events: ['task.done'] });
    for (const r of [all, byTag, byFilter, mine]) expect(r.status, r.text).toBe(201);
    expect(all.body.scope).toBeNull();
    expect(byTag.body.scope).toEqual({ tag: 'tenant-a' });
    expect(byFilter.body.scope).toEqual({ filter: 'serialNumber = "TENANT-B1"' });
    expect(mine.body.scope).toEqual({ tag: 'tenant-a' });
    expect((await s.api.get('/webhooks')).body.webhooks.find((w: Json) => w.id === mine.body.id).scope).toEqual({ tag: 'tenant-a' });

    // Events of both devices (a session each: device.inform, task.done) and one of no device.
    for (const id of [B, A]) {
      const r = await s.api.post(`/devices/${inPath(id)}/tasks?connectionRequest=true&wait=10`, { type: 'getRPCMethods' });
      expect(r.status, r.text).toBe(200);
    }
    s.bus.publish({ type: 'campaign.progress', at: Date.now(), deviceId: '', data: { campaignId: 'c1' } });
    const kinds = (events: Json[]): string[] => events.map((e) => `${e.type} ${e.deviceId}`).sort();
    // The unscoped webhook hears everything: B's events happened and were sent.
    await until(() => ['task.done', 'device.inform'].every((t) => [A, B].every((d) => kinds(receiver.at('/all')).includes(`${t} ${d}`))) && receiver.at('/all').some((e) => e.type === 'campaign.progress'));
    await until(() => kinds(receiver.at('/tag-a')).includes(`task.done ${A}`) && kinds(receiver.at('/filter-b')).includes(`task.done ${B}`) && receiver.at('/mine').length > 0);
    // Every event is queued (or not) before the dispatcher closes: what the store holds is final.
    await s.jobs.webhooks.close();
    const queued = async (hookId: string): Promise<string[]> => ((await s.api.get(`/webhooks/${hookId}/deliveries?limit=1000`)).body.deliveries as Json[]).map((d) => d.deviceId as string);
    expect(new Set(await queued(all.body.id))).toEqual(new Set([A, B, '']));
    expect(new Set(await queued(byTag.body.id))).toEqual(new Set([A]));
    expect(new Set(await queued(byFilter.body.id))).toEqual(new Set([B]));
    expect(await queued(mine.body.id)).toEqual([A]);
    expect(new Set(receiver.at('/tag-a').map((e) => e.deviceId))).toEqual(new Set([A]));
    expect(new Set(receiver.at('/filter-b').map((e) => e.deviceId))).toEqual(new Set([B]));
    expect(kinds(receiver.at('/mine'))).toEqual([`task.done ${A}`]);

    // What each principal sees and may touch.
    const [allId, tagId, filterId, mineId] = [all, byTag, byFilter, mine].map((r) => r.body.id as string);
    expect(await hookIds()).toEqual([allId!, tagId!, filterId!, mineId!].sort());
    // Webhooks of its own scope, whoever made them; never the unscoped one nor another scope's.
    expect(await hookIds(tokenA)).toEqual([tagId!, mineId!].sort());
    expect(await hookIds(tokenB)).toEqual([]);
    for (const id of [allId!, filterId!]) {
      expect((await s.api.as(tokenA).get(`/webhooks/${id}/deliveries`)).status).toBe(404);
      expect((await s.api.as(tokenA).del(`/webhooks/${id}`)).status).toBe(404);
    }
    expect((await s.api.as(tokenB).del(`/webhooks/${mineId}`)).status).toBe(404);
    expect(await hookIds()).toEqual([allId!, tagId!, filterId!, mineId!].sort());
    expect((await s.api.as(tokenA).get(`/webhooks/${mineId}/deliveries`)).status).toBe(200);
    // A scoped token cannot pick another scope, nor the whole fleet; nothing is saved.
    for (const scope of [{ tag: 'tenant-b' }, null, { tag: 'tenant-a', filter: 'serialNumber = "TENANT-B1"' }]) {
      const r = await s.api.as(tokenA).post('/webhooks', { url: receiver.url('/wider'), secret: SECRET, scope });
      expect(r.status, `${JSON.stringify(scope)} → ${r.text}`).toBe(403);
    }
    // Naming its own scope is the same as naming none.
    const same = await s.api.as(tokenA).post('/webhooks', { url: receiver.url('/same'), secret: SECRET, scope: { tag: 'tenant-a' } });
    expect([same.status, same.body.scope]).toEqual([201, { tag: 'tenant-a' }]);
    expect((await s.api.as(tokenA).del(`/webhooks/${same.body.id}`)).status).toBe(204);
    expect((await s.api.as(tokenA).del(`/webhooks/${mineId}`)).status).toBe(204);
    expect(await hookIds()).toEqual([allId!, tagId!, filterId!].sort());
  });
});

describe('the scope check is off the session path', () => {
  it('a session ends in openSession + commitSession while its event waits on the scope check; the event is sent once the check answers', async () => {
    const bus = new EventBus();
    const counted = countingStore(s.store);
    // The dispatcher's view of the store: device queries (the scope check) wait for the gate.
    let open: () => void = () => undefined;
    const gate = new Promise<void>((r) => (open = r));
    const gated: Store = countingStore(s.store);
    const listDevices = gated.listDevices.bind(gated);
    gated.listDevices = async (q) => {
      await gate;
      return listDevices(q);
    };
    const dispatcher = new WebhookDispatcher(gated, bus, { pollMs: 50, inScope: webhookScopeCheck(gated) });
    const acs = await startAcs({ store: counted, events: bus, dataDir: s.dir, host: '127.0.0.1', cwmpPort: 0, allowUnauthenticatedCpes: true, discoverOnBootstrap: false });
    try {
      const serial = 'GATED-1';
      const id = deviceIdOf({ ...DEVICE, serialNumber: serial });
      const first = new ScriptedCpe(acs.cwmpUrl);
      await first.post(informBody({ serial, events: ['0 BOOTSTRAP', '1 BOOT'] }));
      expect((await first.post(null)).status).toBe(204);
      await s.store.setTags(id, ['gated'], []);
      await s.store.createWebhook({ id: 'gated-hook', url: receiver.url('/gated'), secret: SECRET, events: ['device.inform'], createdAt: Date.now(), scope: { tag: 'gated' } });
      dispatcher.invalidate();

      const cpe = new ScriptedCpe(acs.cwmpUrl);
      counted.reset();
      await cpe.post(informBody({ serial }));
      expect((await cpe.post(null)).status).toBe(204);
      expect(counted.byMethod()).toEqual({ openSession: 1, commitSession: 1 });
      // The session is over; its event is still waiting on the check: nothing queued yet.
      expect(await s.store.listWebhookDeliveries('gated-hook', { limit: 10 })).toEqual([]);
      open();
      await until(() => receiver.at('/gated').length === 1);
      expect(receiver.at('/gated')[0]).toMatchObject({ type: 'device.inform', deviceId: id });
    } finally {
      open();
      await dispatcher.close();
      await acs.close();
      await s.store.deleteWebhook('gated-hook');
    }
  });
});
