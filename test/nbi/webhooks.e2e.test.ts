/**
 * Webhook deliveries are durable: they wait in the store, so a delivery still pending when
 * the server stops is sent by the next server on the same data directory; the deliveries
 * route shows each one's state, attempts and last error; one that keeps failing ends
 * `failed` after maxAttempts, logged without the secret. Real HTTP on loopback, SQLite files.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { EventBus } from '../../src/events/bus.js';
import { refusingPort } from '../helpers/ports.js';
import { WebhookDispatcher } from '../../src/events/webhooks.js';
import { createSqliteStore } from '../../src/store/sqlite/index.js';
import type { Store } from '../../src/store/types.js';
import { type Json, SimFleet, type Stack, startStack, until } from './helpers.js';

const SECRET = 'durable-webhook-secret-0123456789';

interface Received {
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A webhook receiver that answers every POST with `status` (changeable), or not at all while `hang`. */
class Receiver {
  readonly got: Received[] = [];
  status: number;
  hang = false;
  readonly #server: http.Server;

  private constructor(server: http.Server, status: number) {
    this.#server = server;
    this.status = status;
  }

  static async start(status: number): Promise<Receiver> {
    const server = http.createServer();
    const receiver = new Receiver(server, status);
    server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        receiver.got.push({ headers: req.headers, body: Buffer.concat(chunks).toString() });
        if (!receiver.hang) res.writeHead(receiver.status).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return receiver;
  }

  url(path = '/hook'): string {
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}${path}`;
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise((r) => this.#server.close(r));
  }
}

function signedBy(secret: string, r: Received): boolean {
  const expected = `sha256=${createHmac('sha256', secret).update(`${r.headers['x-flotilla-timestamp']}.${r.body}`).digest('hex')}`;
  const sig = String(r.headers['x-flotilla-signature']);
  return sig.length === expected.length && timingSafeEqual(Buffer.from(sig), Buffer.from(expected));
}

/** A port nothing listens on: a server bound then closed. */
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function deliveries(stack: Stack, hookId: string, query = ''): Promise<Json[]> {
  const r = await stack.api.get(`/webhooks/${hookId}/deliveries${query}`);
  expect(r.status).toBe(200);
  return r.body.deliveries as Json[];
}

describe('durable webhook deliveries', () => {
  it('a delivery pending when the server stops is sent by the next server on the same data directory', async () => {
    const receiver = await Receiver.start(503);
    cleanups.push(() => receiver.close());
    const dir = await mkdtemp(join(tmpdir(), 'flotilla-webhooks-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    // Retries far enough apart that the first server stops between two of them.
    const webhooks = { baseDelayMs: 200, maxAttempts: 20, pollMs: 50 };

    const first = await startStack({ dir, jobs: { webhooks } });
    let firstClosed = false;
    cleanups.push(async () => {
      if (!firstClosed) await first.close();
    });
    const created = await first.api.post('/webhooks', { url: receiver.url(), events: ['device.registered'], secret: SECRET });
    expect(created.status).toBe(201);
    const hookId = created.body.id as string;
    const fleet = new SimFleet(first.acs.cwmpUrl);
    const { id: deviceId } = await fleet.add('DURABLE01');
    await fleet.close();

    const failing = await until(async () => {
      const [d] = await deliveries(first, hookId);
      return d !== undefined && d.attempts >= 1 ? d : null;
    });
    expect(failing).toMatchObject({ state: 'pending', eventType: 'device.registered', deviceId, lastError: 'HTTP 503' });
    expect(Date.parse(failing.nextAt)).toBeGreaterThan(Date.parse(failing.createdAt));
    expect(first.jobs.webhooks.stats.delivered).toBe(0);
    await first.close();
    firstClosed = true;

    // Everything the first server sent was refused; what it left is in the store only.
    const refused = receiver.got.length;
    expect(refused).toBeGreaterThanOrEqual(1);
    receiver.status = 204;
    const second = await startStack({ dir, jobs: { webhooks } });
    cleanups.push(() => second.close());
    await until(() => second.jobs.webhooks.stats.delivered === 1);

    const [done, ...others] = await deliveries(second, hookId);
    expect(others).toEqual([]);
    expect(done).toMatchObject({
      id: failing.id,
      eventId: failing.eventId,
      eventType: 'device.registered',
      deviceId,
      state: 'delivered',
      attempts: refused + 1,
      // The failure before the success stays on record.
      lastError: 'HTTP 503',
    });
    expect(receiver.got).toHaveLength(refused + 1);
    // Every attempt, before and after the restart: the same delivery id and event, counted
    // attempts, signed with the webhook's secret.
    expect(receiver.got.map((g) => g.headers['x-flotilla-delivery'])).toEqual(Array(refused + 1).fill(failing.id));
    expect(receiver.got.map((g) => g.headers['x-flotilla-attempt'])).toEqual(Array.from({ length: refused + 1 }, (_, i) => String(i + 1)));
    for (const g of receiver.got) {
      expect(signedBy(SECRET, g)).toBe(true);
      expect(JSON.parse(g.body)).toMatchObject({ id: failing.eventId, type: 'device.registered', deviceId });
    }
    expect(second.jobs.webhooks.stats).toMatchObject({ delivered: 1, failed: 0, retried: 0 });
    expect(await deliveries(second, hookId, '?state=pending')).toEqual([]);
  });

  it('a delivery that keeps failing ends failed after maxAttempts, with its last error, logged without secrets', async () => {
    const receiver = await Receiver.start(500);
    cleanups.push(() => receiver.close());
    const lines: string[] = [];
    const logger = pino({ level: 'debug' }, { write: (line: string) => void lines.push(line) });
    const stack = await startStack({ nbi: { logger }, jobs: { logger, webhooks: { baseDelayMs: 20, maxAttempts: 3, pollMs: 50 } } });
    cleanups.push(() => stack.close());
    // A URL with a credential in it: it must not reach the log either.
    const url = receiver.url('/hook?token=url-credential-42');
    const refusing = await stack.api.post('/webhooks', { url, events: ['device.registered'], secret: SECRET });
    const down = await stack.api.post('/webhooks', { url: `http://127.0.0.1:${await refusingPort()}/hook`, events: ['device.registered'], secret: SECRET });
    const fleet = new SimFleet(stack.acs.cwmpUrl);
    cleanups.push(() => fleet.close());
    const { id: deviceId } = await fleet.add('FAILING01');

    const [failed] = await until(async () => {
      const list = await deliveries(stack, refusing.body.id, '?state=failed');
      return list.length > 0 ? list : null;
    });
    expect(failed).toMatchObject({ state: 'failed', attempts: 3, lastError: 'HTTP 500', eventType: 'device.registered', deviceId });
    expect(receiver.got.map((g) => g.headers['x-flotilla-attempt'])).toEqual(['1', '2', '3']);
    expect(new Set(receiver.got.map((g) => g.headers['x-flotilla-delivery']))).toEqual(new Set([failed.id]));
    expect(await deliveries(stack, refusing.body.id, '?state=pending')).toEqual([]);

    const [unreachable] = await until(async () => {
      const list = await deliveries(stack, down.body.id, '?state=failed');
      return list.length > 0 ? list : null;
    });
    expect(unreachable).toMatchObject({ state: 'failed', attempts: 3, lastError: 'ECONNREFUSED' });
    await until(() => stack.jobs.webhooks.stats.failed === 2);
    expect(stack.jobs.webhooks.stats).toMatchObject({ delivered: 0, failed: 2, retried: 4, dropped: 0 });

    const givenUp = lines.filter((l) => l.includes('webhook delivery given up'));
    expect(givenUp).toHaveLength(2);
    expect(givenUp.some((l) => l.includes(failed.id) && l.includes('HTTP 500'))).toBe(true);
    for (const l of lines) {
      expect(l).not.toContain(SECRET);
      expect(l).not.toContain('url-credential-42');
    }
  });

  it('the deliveries route: admin only, 404 for an unknown webhook, filters and limits checked, never the secret', async () => {
    const receiver = await Receiver.start(204);
    cleanups.push(() => receiver.close());
    const stack = await startStack({ jobs: { webhooks: { pollMs: 50 } } });
    cleanups.push(() => stack.close());
    const hook = await stack.api.post('/webhooks', { url: receiver.url(), secret: SECRET });
    const fleet = new SimFleet(stack.acs.cwmpUrl);
    cleanups.push(() => fleet.close());
    await fleet.add('ROUTE01');
    // No filter on the webhook: registered, booted and inform — each its own delivery.
    await until(() => stack.jobs.webhooks.stats.delivered >= 3);

    const all = await stack.api.get(`/webhooks/${hook.body.id}/deliveries`);
    expect(all.status).toBe(200);
    expect(all.text).not.toContain(SECRET);
    const types = (all.body.deliveries as Json[]).map((d) => d.eventType);
    expect([...types].sort()).toEqual(['device.booted', 'device.inform', 'device.registered']);
    for (const d of all.body.deliveries as Json[]) {
      expect(d).toMatchObject({ state: 'delivered', attempts: 1, lastError: null });
      expect(new Date(d.updatedAt).toISOString()).toBe(d.updatedAt);
    }
    const one = await stack.api.get(`/webhooks/${hook.body.id}/deliveries?limit=1&state=delivered`);
    expect(one.body.deliveries).toEqual([all.body.deliveries[0]]);

    expect((await stack.api.get('/webhooks/no-such-hook/deliveries')).status).toBe(404);
    expect((await stack.api.get(`/webhooks/${hook.body.id}/deliveries?state=lost`)).status).toBe(400);
    expect((await stack.api.get(`/webhooks/${hook.body.id}/deliveries?limit=0`)).status).toBe(400);
    const operator = (await stack.api.post('/tokens', { name: 'ops', role: 'operator' })).body.token as string;
    expect((await stack.api.as(operator).get(`/webhooks/${hook.body.id}/deliveries`)).status).toBe(403);
  });
});

describe('the dispatcher on its own', () => {
  const event = { type: 'device.registered' as const, at: Date.now(), deviceId: 'OUI-PC-SN1', data: { n: 1 } };

  async function sqliteStore(): Promise<Store> {
    const dir = await mkdtemp(join(tmpdir(), 'flotilla-webhooks-'));
    const store = await createSqliteStore({ dataDir: dir });
    cleanups.push(async () => {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    });
    return store;
  }

  it('a store error is logged, never thrown to the publisher; the dispatcher carries on once the store is back', async () => {
    const receiver = await Receiver.start(204);
    cleanups.push(() => receiver.close());
    const store = await sqliteStore();
    await store.createWebhook({ id: 'w1', url: receiver.url(), secret: SECRET, events: [], createdAt: Date.now() });
    let broken = true;
    const failing = new Proxy(store, {
      get(target, prop) {
        if (broken && (prop === 'enqueueWebhookDeliveries' || prop === 'claimWebhookDeliveries')) {
          return async () => {
            throw new Error('disk on fire');
          };
        }
        const v: unknown = Reflect.get(target, prop);
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
    const lines: string[] = [];
    const logger = pino({ level: 'debug' }, { write: (line: string) => void lines.push(line) });
    const bus = new EventBus();
    const dispatcher = new WebhookDispatcher(failing, bus, { pollMs: 20, logger });
    cleanups.push(() => dispatcher.close());

    expect(() => bus.publish(event)).not.toThrow();
    await until(() => dispatcher.stats.dropped === 1);
    // The poll's claims fail too, and say so.
    await until(() => lines.some((l) => l.includes('could not claim webhook deliveries')));
    expect(lines.some((l) => l.includes('could not queue webhook deliveries') && l.includes('disk on fire'))).toBe(true);
    expect(receiver.got).toEqual([]);

    broken = false;
    bus.publish({ ...event, data: { n: 2 } });
    await until(() => dispatcher.stats.delivered === 1);
    expect(receiver.got.map((g) => JSON.parse(g.body).data)).toEqual([{ n: 2 }]);
    expect(dispatcher.stats).toMatchObject({ delivered: 1, dropped: 1, failed: 0 });
  });

  it('a POST still in flight at close is left to its lease, then sent again by the next dispatcher', async () => {
    const receiver = await Receiver.start(204);
    cleanups.push(() => receiver.close());
    receiver.hang = true;
    const store = await sqliteStore();
    await store.createWebhook({ id: 'w1', url: receiver.url(), secret: SECRET, events: [], createdAt: Date.now() });
    // The shortest lease allowed: timeoutMs + 1 s.
    const opts = { timeoutMs: 1_000, leaseMs: 0, pollMs: 20, closeTimeoutMs: 50 };
    const bus = new EventBus();
    const first = new WebhookDispatcher(store, bus, opts);
    bus.publish(event);
    await until(() => receiver.got.length === 1);
    await first.close();
    // Nothing recorded for the abandoned attempt: still pending, still leased.
    const [left] = (await store.listWebhookDeliveries('w1', { limit: 10 }))!;
    expect(left).toMatchObject({ state: 'pending', attempts: 0 });
    expect(left!.leaseUntil).not.toBeNull();
    expect(first.stats).toMatchObject({ delivered: 0, retried: 0, failed: 0 });

    receiver.hang = false;
    const second = new WebhookDispatcher(store, new EventBus(), opts);
    cleanups.push(() => second.close());
    await until(() => second.stats.delivered === 1);
    expect(receiver.got).toHaveLength(2);
    expect(receiver.got.map((g) => g.headers['x-flotilla-delivery'])).toEqual([left!.id, left!.id]);
    expect(receiver.got.map((g) => g.headers['x-flotilla-attempt'])).toEqual(['1', '1']);
    expect(signedBy(SECRET, receiver.got[1]!)).toBe(true);
    expect((await store.listWebhookDeliveries('w1', { limit: 10 }))?.[0]).toMatchObject({ id: left!.id, state: 'delivered', attempts: 1, leaseUntil: null });
  });
});
