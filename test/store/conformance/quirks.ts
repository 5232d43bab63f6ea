/**
 * Concern: quirk profiles (src/store/concerns/quirks.ts).
 */
import { beforeEach, describe, expect, it } from 'vitest';
import type { QuirkProfile, Store } from '../../../src/store/types.js';
import { T0, harness, type StoreFixture } from './harness.js';

export function quirksConformance(name: string, factory: () => Promise<StoreFixture>): void {
  describe(`Store conformance, quirks: ${name}`, () => {
    const h = harness(factory);
    let store: Store;
    beforeEach(() => {
      store = h.store;
    });

    it('put creates then replaces by id (keeping createdAt), list by id, delete; JSON members and flags round-trip', async () => {
      const learnt: QuirkProfile = {
        id: 'learnt:00259E:EG8145V5:V5R020C00S280',
        name: 'learnt: EG8145V5 V5R020C00S280',
        source: 'learnt',
        match: { oui: '00259E', productClass: 'EG8145V5', firmwareMin: 'V5R020C00S280', firmwareMax: 'V5R020C00S280' },
        settings: { maxGetNames: 128 },
        evidence: [{ at: T0, what: '9002 answering a GetParameterValues of 256 names', deviceId: 'd-1' }],
        enabled: true,
        createdAt: T0,
        updatedAt: T0,
      };
      const op: QuirkProfile = {
        id: 'op-1',
        name: 'Grüße "op"',
        source: 'operator',
        match: { productClass: 'X' },
        settings: { booleans: 'words', oneParameterPerSet: true },
        evidence: [],
        enabled: false,
        createdAt: T0 + 1,
        updatedAt: T0 + 1,
      };
      await store.putQuirkProfile(op);
      await store.putQuirkProfile(learnt);
      expect(await store.listQuirkProfiles()).toEqual([learnt, op]);
      const halved = { ...learnt, settings: { maxGetNames: 64 }, evidence: [...learnt.evidence, { at: T0 + 5, what: 'again' }], createdAt: T0 + 9, updatedAt: T0 + 5 };
      await store.putQuirkProfile(halved);
      expect(await store.listQuirkProfiles()).toEqual([{ ...halved, createdAt: T0 }, op]);
      expect(await store.deleteQuirkProfile('op-1')).toBe(true);
      expect(await store.deleteQuirkProfile('op-1')).toBe(false);
      expect((await store.listQuirkProfiles()).map((p) => p.id)).toEqual([learnt.id]);
    });
  });
}
