/**
 * Concern: the audit log (src/store/concerns/audit.ts): append, filter, page, newest first.
 * That the tables refuse UPDATE and DELETE is in test/store/audit-append-only.test.ts (raw SQL).
 */
import { beforeEach, describe, expect, it } from 'vitest';
import type { NewAuditEntry, Store } from '../../../src/store/types.js';
import { T0, harness, type StoreFixture } from './harness.js';

const entry = (i: number, over: Partial<NewAuditEntry> = {}): NewAuditEntry => ({
  at: T0 + i * 1000,
  actor: { kind: 'token', id: i % 2 === 0 ? 'tok-a' : 'tok-b', name: i % 2 === 0 ? 'alice' : 'bob' },
  source: '127.0.0.1',
  action: i % 3 === 0 ? 'DELETE /devices/{id}' : 'POST /devices/{id}/tasks',
  target: `dev-${i % 4}`,
  status: 200,
  before: i === 0 ? { tags: ['a'] } : null,
  after: { n: i, text: 'Zürich "q" \u{1F600}' },
  ...over,
});

export function auditConformance(name: string, factory: () => Promise<StoreFixture>): void {
  describe(`Store conformance, audit: ${name}`, () => {
    const h = harness(factory);
    let store: Store;
    beforeEach(() => {
      store = h.store;
    });

    it('appends and lists newest first, with every field as given', async () => {
      for (let i = 0; i < 10; i++) await store.appendAudit(entry(i));
      const all = await store.listAudit({ limit: 100 });
      expect(all.total).toBe(10);
      expect(all.entries.map((e) => e.after)).toEqual([9, 8, 7, 6, 5, 4, 3, 2, 1, 0].map((n) => ({ n, text: 'Zürich "q" \u{1F600}' })));
      const first = all.entries.at(-1)!;
      const { id, ...rest } = first;
      expect(rest).toEqual(entry(0));
      expect(all.entries[0]!.id).toBeGreaterThan(id);
      expect((await store.listAudit({ limit: 100, oldestFirst: true })).entries[0]).toEqual(first);
    });

    it('filters by time, actor (id or name), action (exact or prefix*), target; pages with a total', async () => {
      for (let i = 0; i < 12; i++) await store.appendAudit(entry(i));
      const ns = async (q: Parameters<Store['listAudit']>[0]) => (await store.listAudit(q)).entries.map((e) => (e.after as { n: number }).n);
      expect(await ns({ limit: 100, from: T0 + 3000, to: T0 + 5000 })).toEqual([5, 4, 3]);
      expect(await ns({ limit: 100, actor: 'bob' })).toEqual([11, 9, 7, 5, 3, 1]);
      expect(await ns({ limit: 100, actor: 'tok-a', target: 'dev-0' })).toEqual([8, 4, 0]);
      expect(await ns({ limit: 100, action: 'DELETE /devices/{id}' })).toEqual([9, 6, 3, 0]);
      expect(await ns({ limit: 100, action: 'POST *' })).toEqual([11, 10, 8, 7, 5, 4, 2, 1]);
      expect(await ns({ limit: 100, action: '%' })).toEqual([]);
      const page = await store.listAudit({ limit: 3, offset: 3 });
      expect(page.total).toBe(12);
      expect(page.entries.map((e) => (e.after as { n: number }).n)).toEqual([8, 7, 6]);
    });
  });
}
