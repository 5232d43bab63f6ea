/**
 * Concern: webhooks and their deliveries (src/store/concerns/webhooks.ts).
 */
import { beforeEach, describe, expect, it } from 'vitest';
import type { Store, WebhookEventRecord } from '../../../src/store/types.js';
import { T0, harness, idOf, type StoreFixture } from './harness.js';

export function webhooksConformance(name: string, factory: () => Promise<StoreFixture>): void {
  describe(`Store conformance, webhooks: ${name}`, () => {
    const h = harness(factory);
    let store: Store;
    beforeEach(() => {
      store = h.store;
    });

    it('webhooks: create, list, delete', async () => {
      const w = { id: 'w1', url: 'https://oss.example/hook', secret: 's'.repeat(32), events: ['task.done'], createdAt: T0 };
      await store.createWebhook(w);
      await store.createWebhook({ ...w, id: 'w2', events: [], createdAt: T0 + 1 });
      expect(await store.listWebhooks()).toEqual([w, { ...w, id: 'w2', events: [], createdAt: T0 + 1 }]);
      expect(await store.deleteWebhook('w1')).toBe(true);
      expect((await store.listWebhooks()).map((x) => x.id)).toEqual(['w2']);
    });

    it('webhooks: a scope (filter and/or tag) is kept as given; a webhook of the whole fleet has none', async () => {
      const base = { url: 'https://oss.example/hook', secret: 's'.repeat(32), events: [] };
      const north = { ...base, id: 'north', createdAt: T0, scope: { tag: 'north' } };
      const both = { ...base, id: 'both', createdAt: T0 + 1, scope: { filter: 'productClass = "Box \\"A\\""', tag: 'région-sud' } };
      const all = { ...base, id: 'all', createdAt: T0 + 2 };
      await store.createWebhook(north);
      await store.createWebhook(both);
      await store.createWebhook({ ...all, scope: null });
      const listed = await store.listWebhooks();
      expect(listed).toEqual([north, both, all]);
      expect('scope' in listed[2]!).toBe(false);
      expect(await store.deleteWebhook('north')).toBe(true);
      expect((await store.listWebhooks()).map((w) => [w.id, w.scope ?? null])).toEqual([
        ['both', both.scope],
        ['all', null],
      ]);
    });

    describe('webhook deliveries', () => {
      const LEASE = 10_000;
      const hook1 = { id: 'w1', url: 'https://oss.example/a', secret: 'secret-one-0123456789', events: [], createdAt: T0 };
      const hook2 = { id: 'w2', url: 'https://oss.example/b', secret: 'secret-two-0123456789', events: ['task.done'], createdAt: T0 + 1 };
      const event = (n: number): WebhookEventRecord => ({
        id: String(n),
        type: n % 2 === 0 ? 'task.done' : 'device.inform',
        at: T0 + n,
        deviceId: idOf(`D${n}`),
        data: { n, text: `grüße "${n}"`, nested: { list: [n, null, true] } },
      });
      beforeEach(async () => {
        await store.createWebhook(hook1);
        await store.createWebhook(hook2);
      });

      it('enqueues in one call; claims what is due, earliest first, with its webhook’s URL and secret, and leases it', async () => {
        await store.enqueueWebhookDeliveries(
          [
            { webhookId: 'w1', event: event(1) },
            { webhookId: 'w2', event: event(2) },
            { webhookId: 'w1', event: event(3) },
          ],
          T0,
        );
        await store.enqueueWebhookDeliveries([{ webhookId: 'w1', event: event(4) }], T0 + 5);
        // Nothing is due before it was queued.
        expect(await store.claimWebhookDeliveries(T0 - 1, 10, LEASE)).toEqual([]);
        const first = await store.claimWebhookDeliveries(T0, 2, LEASE);
        expect(first.map((d) => d.event)).toEqual([event(1), event(2)]);
        expect(first[0]).toMatchObject({
          webhookId: 'w1',
          url: hook1.url,
          secret: hook1.secret,
          attempts: 0,
          state: 'pending',
          nextAt: T0,
          leaseUntil: T0 + LEASE,
          lastError: null,
          createdAt: T0,
          updatedAt: T0,
        });
        expect(first[1]).toMatchObject({ webhookId: 'w2', url: hook2.url, secret: hook2.secret });
        expect(new Set(first.map((d) => d.id)).size).toBe(2);
        // The leased ones are not handed out again; the one queued later is not due yet at T0.
        expect((await store.claimWebhookDeliveries(T0, 10, LEASE)).map((d) => d.event.id)).toEqual(['3']);
        expect((await store.claimWebhookDeliveries(T0 + 5, 10, LEASE)).map((d) => d.event.id)).toEqual(['4']);
        expect(await store.claimWebhookDeliveries(T0 + LEASE - 1, 10, LEASE)).toEqual([]);
        // A lapsed lease (the claimer died) frees the delivery for the next claimer.
        const again = await store.claimWebhookDeliveries(T0 + LEASE, 10, LEASE);
        expect(again.map((d) => d.event.id)).toEqual(['1', '2', '3']);
        expect(again.map((d) => d.id)).toEqual([first[0]!.id, first[1]!.id, expect.any(String)]);
        expect(again[0]!.leaseUntil).toBe(T0 + 2 * LEASE);
        expect(await store.claimWebhookDeliveries(T0 + LEASE, 10, LEASE)).toEqual([]);
      });

      it('skips items whose webhook is gone, and a claim of nothing (limit 0, empty queue) is empty', async () => {
        await store.enqueueWebhookDeliveries([], T0);
        await store.enqueueWebhookDeliveries(
          [
            { webhookId: 'no-such-hook', event: event(1) },
            { webhookId: 'w1', event: event(2) },
          ],
          T0,
        );
        expect(await store.claimWebhookDeliveries(T0, 0, LEASE)).toEqual([]);
        expect((await store.listWebhookDeliveries('w1', { limit: 10 }))?.map((d) => d.event.id)).toEqual(['2']);
        expect((await store.claimWebhookDeliveries(T0, 10, LEASE)).map((d) => d.webhookId)).toEqual(['w1']);
        expect(await store.claimWebhookDeliveries(T0, 10, LEASE)).toEqual([]);
      });

      it('finish: retry waits until nextAt with the error kept; delivered and failed are final; each counts an attempt', async () => {
        await store.enqueueWebhookDeliveries([1, 2, 3].map((n) => ({ webhookId: 'w1', event: event(n) })), T0);
        const [a, b, c] = await store.claimWebhookDeliveries(T0, 10, LEASE);
        expect(await store.finishWebhookDelivery(a!.id, { state: 'retry', nextAt: T0 + 500, error: 'HTTP 503' }, T0 + 10)).toBe(true);
        expect(await store.finishWebhookDelivery(b!.id, { state: 'delivered' }, T0 + 11)).toBe(true);
        expect(await store.finishWebhookDelivery(c!.id, { state: 'failed', error: 'x'.repeat(500) }, T0 + 12)).toBe(true);
        // Finished ones cannot be finished again; unknown ids are not found.
        expect(await store.finishWebhookDelivery(b!.id, { state: 'failed', error: 'late' }, T0 + 13)).toBe(false);
        expect(await store.finishWebhookDelivery('no-such-delivery', { state: 'delivered' }, T0 + 13)).toBe(false);

        const byId = new Map((await store.listWebhookDeliveries('w1', { limit: 10 }))!.map((d) => [d.id, d]));
        expect(byId.get(a!.id)).toMatchObject({ state: 'pending', attempts: 1, nextAt: T0 + 500, leaseUntil: null, lastError: 'HTTP 503', updatedAt: T0 + 10 });
        expect(byId.get(b!.id)).toMatchObject({ state: 'delivered', attempts: 1, leaseUntil: null, lastError: null, updatedAt: T0 + 11 });
        expect(byId.get(c!.id)).toMatchObject({ state: 'failed', attempts: 1, leaseUntil: null, updatedAt: T0 + 12 });
        expect(byId.get(c!.id)!.lastError).toBe('x'.repeat(200));

        // The retry is due at nextAt, not before, though its lease was cleared; the others never again.
        expect(await store.claimWebhookDeliveries(T0 + 499, 10, LEASE)).toEqual([]);
        const [retried] = await store.claimWebhookDeliveries(T0 + 500, 10, LEASE);
        expect(retried).toMatchObject({ id: a!.id, attempts: 1, lastError: 'HTTP 503', leaseUntil: T0 + 500 + LEASE });
        expect(await store.finishWebhookDelivery(a!.id, { state: 'delivered' }, T0 + 600)).toBe(true);
        // Delivered after a failure: the failure stays on record, the attempts add up.
        expect((await store.listWebhookDeliveries('w1', { state: 'delivered', limit: 10 }))?.find((d) => d.id === a!.id)).toMatchObject({
          attempts: 2,
          lastError: 'HTTP 503',
          state: 'delivered',
        });
        expect(await store.claimWebhookDeliveries(T0 + 10 * LEASE, 10, LEASE)).toEqual([]);
      });

      it('lists newest first, by state, up to a limit, never with the secret; null for an unknown webhook', async () => {
        await store.enqueueWebhookDeliveries([1, 2].map((n) => ({ webhookId: 'w1', event: event(n) })), T0);
        await store.enqueueWebhookDeliveries([3, 4].map((n) => ({ webhookId: 'w1', event: event(n) })), T0 + 100);
        await store.enqueueWebhookDeliveries([{ webhookId: 'w2', event: event(5) }], T0 + 200);
        const all = await store.listWebhookDeliveries('w1', { limit: 10 });
        // Same creation time: the later queued first.
        expect(all?.map((d) => d.event.id)).toEqual(['4', '3', '2', '1']);
        expect(all?.[0]).toEqual({
          id: expect.any(String),
          webhookId: 'w1',
          event: event(4),
          attempts: 0,
          state: 'pending',
          nextAt: T0 + 100,
          leaseUntil: null,
          lastError: null,
          createdAt: T0 + 100,
          updatedAt: T0 + 100,
        });
        expect(JSON.stringify(all)).not.toContain(hook1.secret);
        expect((await store.listWebhookDeliveries('w1', { limit: 2 }))?.map((d) => d.event.id)).toEqual(['4', '3']);
        expect(await store.listWebhookDeliveries('w1', { limit: 0 })).toEqual([]);

        const claimed = await store.claimWebhookDeliveries(T0 + 100, 2, LEASE);
        expect(claimed.map((d) => d.event.id)).toEqual(['1', '2']);
        await store.finishWebhookDelivery(claimed[0]!.id, { state: 'delivered' }, T0 + 300);
        await store.finishWebhookDelivery(claimed[1]!.id, { state: 'failed', error: 'timeout' }, T0 + 300);
        expect((await store.listWebhookDeliveries('w1', { state: 'pending', limit: 10 }))?.map((d) => d.event.id)).toEqual(['4', '3']);
        expect((await store.listWebhookDeliveries('w1', { state: 'delivered', limit: 10 }))?.map((d) => d.event.id)).toEqual(['1']);
        expect((await store.listWebhookDeliveries('w1', { state: 'failed', limit: 10 }))?.map((d) => d.event.id)).toEqual(['2']);
        expect((await store.listWebhookDeliveries('w2', { limit: 10 }))?.map((d) => d.event.id)).toEqual(['5']);
        expect(await store.listWebhookDeliveries('w2', { state: 'failed', limit: 10 })).toEqual([]);
        expect(await store.listWebhookDeliveries('no-such-hook', { limit: 10 })).toBeNull();
      });

      it('prune deletes delivered and failed deliveries updated before the cut, never pending ones', async () => {
        await store.enqueueWebhookDeliveries([1, 2, 3, 4].map((n) => ({ webhookId: 'w1', event: event(n) })), T0);
        const [a, b, c] = await store.claimWebhookDeliveries(T0, 3, LEASE);
        await store.finishWebhookDelivery(a!.id, { state: 'delivered' }, T0 + 10);
        await store.finishWebhookDelivery(b!.id, { state: 'failed', error: 'HTTP 500' }, T0 + 20);
        await store.finishWebhookDelivery(c!.id, { state: 'delivered' }, T0 + 30);
        expect(await store.pruneWebhookDeliveries(T0 + 10)).toBe(0);
        expect(await store.pruneWebhookDeliveries(T0 + 30)).toBe(2);
        // The pending one (event 4) is older than every cut and stays.
        expect((await store.listWebhookDeliveries('w1', { limit: 10 }))?.map((d) => [d.event.id, d.state])).toEqual([
          ['4', 'pending'],
          ['3', 'delivered'],
        ]);
        expect(await store.pruneWebhookDeliveries(T0 + 10 * LEASE)).toBe(1);
        expect((await store.listWebhookDeliveries('w1', { limit: 10 }))?.map((d) => d.event.id)).toEqual(['4']);
      });

      it('deleting a webhook deletes its deliveries, and only its', async () => {
        await store.enqueueWebhookDeliveries(
          [
            { webhookId: 'w1', event: event(1) },
            { webhookId: 'w2', event: event(2) },
          ],
          T0,
        );
        const [leased] = await store.claimWebhookDeliveries(T0, 1, LEASE);
        expect(leased?.webhookId).toBe('w1');
        expect(await store.deleteWebhook('w1')).toBe(true);
        expect(await store.listWebhookDeliveries('w1', { limit: 10 })).toBeNull();
        // A claimer still holding one of them records nothing.
        expect(await store.finishWebhookDelivery(leased!.id, { state: 'delivered' }, T0 + 1)).toBe(false);
        expect((await store.claimWebhookDeliveries(T0 + 2 * LEASE, 10, LEASE)).map((d) => d.webhookId)).toEqual(['w2']);
        // A webhook made again with the same id starts with none.
        await store.createWebhook(hook1);
        expect(await store.listWebhookDeliveries('w1', { limit: 10 })).toEqual([]);
      });

      it('concurrent claimers never get the same delivery, and together get each one once', async () => {
        const n = 60;
        await store.enqueueWebhookDeliveries(
          Array.from({ length: n }, (_, i) => ({ webhookId: i % 2 === 0 ? 'w1' : 'w2', event: event(i) })),
          T0,
        );
        const seen: string[] = [];
        // Rounds of eight claims at once through the same store (on PostgreSQL they run on
        // different pooled connections), until the queue is empty.
        for (let round = 0; round < 20 && seen.length < n; round++) {
          const batches = await Promise.all(Array.from({ length: 8 }, () => store.claimWebhookDeliveries(T0 + 1, 4, LEASE)));
          for (const batch of batches) seen.push(...batch.map((d) => d.id));
        }
        expect(new Set(seen).size).toBe(seen.length);
        expect(seen).toHaveLength(n);
        expect(await store.claimWebhookDeliveries(T0 + 1, n, LEASE)).toEqual([]);
      });
    });
  });
}
