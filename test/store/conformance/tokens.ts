/**
 * Concern: NBI tokens (src/store/concerns/tokens.ts).
 */
import { beforeEach, describe, expect, it } from 'vitest';
import type { Store } from '../../../src/store/types.js';
import { T0, harness, type StoreFixture } from './harness.js';

export function tokensConformance(name: string, factory: () => Promise<StoreFixture>): void {
  describe(`Store conformance, tokens: ${name}`, () => {
    const h = harness(factory);
    let store: Store;
    beforeEach(() => {
      store = h.store;
    });

    it('tokens: create, find by lookup, list in creation order, delete; lookups are unique', async () => {
      const t1 = { id: 't1', name: 'ops', role: 'operator' as const, lookup: 'aaaa', hash: 'a'.repeat(64), createdAt: T0, lastUsedAt: null, scope: { filter: 'oui = 00AA00', tag: 'north' }, capabilities: ['provision' as const] };
      const t2 = { id: 't2', name: 'ro', role: 'read-only' as const, lookup: 'bbbb', hash: 'b'.repeat(64), createdAt: T0 + 1, lastUsedAt: null, scope: null, capabilities: [] };
      await store.createApiToken(t2);
      await store.createApiToken(t1);
      expect(await store.findApiToken('aaaa')).toEqual(t1);
      expect(await store.findApiToken('cccc')).toBeNull();
      expect(await store.listApiTokens()).toEqual([t1, t2]);
      await expect(store.createApiToken({ ...t1, id: 't3' })).rejects.toThrow();
      expect(await store.deleteApiToken('t1')).toBe(true);
      expect(await store.deleteApiToken('t1')).toBe(false);
      expect(await store.listApiTokens()).toEqual([t2]);
    });

    it('tokens: a use is recorded, and only moves forward', async () => {
      await store.createApiToken({ id: 't1', name: 'ops', role: 'operator', lookup: 'aaaa', hash: 'a'.repeat(64), createdAt: T0 });
      await store.createApiToken({ id: 't2', name: 'ro', role: 'read-only', lookup: 'bbbb', hash: 'b'.repeat(64), createdAt: T0 });
      expect((await store.findApiToken('aaaa'))?.lastUsedAt).toBeNull();
      // A token made without capabilities reads back with none.
      expect((await store.findApiToken('aaaa'))?.capabilities).toEqual([]);
      await store.touchApiToken('t1', T0 + 5_000);
      await store.touchApiToken('t1', T0 + 1_000); // an older, late write does not go back
      await store.touchApiToken('nope', T0);
      expect((await store.findApiToken('aaaa'))?.lastUsedAt).toBe(T0 + 5_000);
      expect((await store.listApiTokens()).map((t) => [t.id, t.lastUsedAt])).toEqual([
        ['t1', T0 + 5_000],
        ['t2', null],
      ]);
    });
  });
}
