/**
 * Concern: CPE credentials (src/store/concerns/credentials.ts).
 */
import { beforeEach, describe, expect, it } from 'vitest';
import type { Store } from '../../../src/store/types.js';
import { A, T0, harness, idOf, type StoreFixture } from './harness.js';

export function credentialsConformance(name: string, factory: () => Promise<StoreFixture>): void {
  describe(`Store conformance, credentials: ${name}`, () => {
    const h = harness(factory);
    let store: Store;
    beforeEach(() => {
      store = h.store;
    });
    const { open } = h;

    it('credentials: set, replace, look up by device and by username; usernames are unique', async () => {
      const id1 = idOf('C1');
      const id2 = idOf('C2');
      expect(await store.getCpeCredential(id1)).toBeNull();
      const c1 = { username: 'u1', realm: 'r', ha1: 'a'.repeat(32) };
      await store.setCpeCredential(id1, c1);
      expect(await store.getCpeCredential(id1)).toEqual(c1);
      const c1b = { username: 'u1b', realm: 'r2', ha1: 'b'.repeat(32) };
      await store.setCpeCredential(id1, c1b);
      expect(await store.getCpeCredential(id1)).toEqual(c1b);
      expect(await store.getCpeCredentialByUsername('u1')).toBeNull();
      expect(await store.getCpeCredentialByUsername('u1b')).toEqual({ deviceId: id1, credential: c1b });
      await expect(store.setCpeCredential(id2, { ...c1b, ha1: 'c'.repeat(32) })).rejects.toThrow();
      expect(await store.getCpeCredential(id2)).toBeNull();
      await store.setCpeCredential(id1, { ...c1b, ha1: 'd'.repeat(32) });
      expect((await open(id1, A, T0)).credential?.ha1).toBe('d'.repeat(32));
    });
  });
}
