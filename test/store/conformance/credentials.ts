/**
 * Concern: CPE credentials (src/store/concerns/credentials.ts).
 */
import { beforeEach, describe, expect, it } from 'vitest';
import type { CredentialSet, Store } from '../../../src/store/types.js';
import { A, T0, commitOf, harness, idOf, type StoreFixture } from './harness.js';

export function credentialsConformance(name: string, factory: () => Promise<StoreFixture>): void {
  describe(`Store conformance, credentials: ${name}`, () => {
    const h = harness(factory);
    let store: Store;
    beforeEach(() => {
      store = h.store;
    });
    const { open, inform: session } = h;
    const set = (u: string, c: string | null = null): CredentialSet => ({
      cpe: { username: u, realm: 'Flotilla', ha1: u.padEnd(32, '0').slice(0, 32) },
      connectionRequest: c === null ? null : { username: `cr-${u}`, sealed: c },
    });

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
    it('a session hands out a set (replace): current at once, window and rotation request cleared; openSession returns it all', async () => {
      const id = idOf('H1');
      expect(await store.getDeviceCredentials(id)).toBeNull();
      const opened = await open(id, A, T0);
      expect(opened.credentials).toBeNull();
      await store.commitSession(commitOf(id, { credentialWrites: [{ kind: 'issue', mode: 'replace', set: set('h1', 'v1.k.iv.ct'), at: T0 }] }));
      const again = await open(id, A, T0 + 1);
      expect(again.credentials).toEqual({ current: set('h1', 'v1.k.iv.ct'), pending: null, factory: null, bootstrapUntil: null, rotateRequested: false, issuedAt: T0 });
      expect(again.credential).toEqual(set('h1').cpe);
      await store.commitSession(commitOf(id, { informAt: T0 + 1 }));
      expect(await store.getDeviceCredentials(id)).toEqual(again.credentials);
      // A window, a rotation request, then a reset device bootstraps again: both cleared.
      expect(await store.setBootstrapWindow(id, T0 + 100)).toBe(true);
      expect(await store.requestCredentialRotation(id)).toBe(true);
      expect(await store.getDeviceCredentials(id)).toMatchObject({ bootstrapUntil: T0 + 100, rotateRequested: true });
      await session(id, { informAt: T0 + 2, credentialWrites: [{ kind: 'issue', mode: 'replace', set: set('h1b'), at: T0 + 2 }] });
      expect(await store.getDeviceCredentials(id)).toEqual({ current: set('h1b'), pending: null, factory: null, bootstrapUntil: null, rotateRequested: false, issuedAt: T0 + 2 });
      expect(await store.getCpeCredentialByUsername('h1')).toBeNull();
      expect(await store.setBootstrapWindow(idOf('nobody'), T0)).toBe(false);
      expect(await store.requestCredentialRotation(idOf('nobody'))).toBe(false);
    });

    it('rotation: a pending set sits beside current until its first use promotes it; a stale promote does nothing', async () => {
      const id = idOf('R1');
      await session(id, { credentialWrites: [{ kind: 'issue', mode: 'replace', set: set('r1', 'c1'), at: T0 }] });
      await store.requestCredentialRotation(id);
      await session(id, { informAt: T0 + 10, credentialWrites: [{ kind: 'issue', mode: 'pending', set: set('r2', 'c2'), at: T0 + 10 }] });
      expect(await store.getDeviceCredentials(id)).toEqual({ current: set('r1', 'c1'), pending: set('r2', 'c2'), factory: null, bootstrapUntil: null, rotateRequested: false, issuedAt: T0 + 10 });
      await session(id, { informAt: T0 + 20, credentialWrites: [{ kind: 'promote', username: 'other' }] });
      expect((await store.getDeviceCredentials(id))?.pending).toEqual(set('r2', 'c2'));
      await session(id, { informAt: T0 + 30, credentialWrites: [{ kind: 'promote', username: 'r2' }] });
      expect(await store.getDeviceCredentials(id)).toEqual({ current: set('r2', 'c2'), pending: null, factory: null, bootstrapUntil: null, rotateRequested: false, issuedAt: T0 + 10 });
      expect(await store.getCpeCredentialByUsername('r2')).toEqual({ deviceId: id, credential: set('r2').cpe });
      // The window after a factoryReset.
      await session(id, { informAt: T0 + 40, credentialWrites: [{ kind: 'bootstrapWindow', until: T0 + 3_600_000 }] });
      expect((await store.getDeviceCredentials(id))?.bootstrapUntil).toBe(T0 + 3_600_000);
    });

    it('import: all or nothing; a new device gets the set as current and factory, a known one as factory only', async () => {
      const known = idOf('I1');
      await session(known, { credentialWrites: [{ kind: 'issue', mode: 'replace', set: set('i1'), at: T0 }] });
      const fresh = idOf('I2');
      await store.importCredentials([
        { deviceId: known, set: set('f1', 's1') },
        { deviceId: fresh, set: set('f2', 's2') },
      ]);
      expect(await store.getDeviceCredentials(known)).toMatchObject({ current: set('i1'), factory: set('f1', 's1') });
      expect(await store.getDeviceCredentials(fresh)).toMatchObject({ current: set('f2', 's2'), factory: set('f2', 's2'), issuedAt: null });
      // A username that is another device's current one: the whole import fails, nothing saved.
      await expect(
        store.importCredentials([
          { deviceId: idOf('I3'), set: set('f3') },
          { deviceId: idOf('I4'), set: set('i1') },
        ]),
      ).rejects.toThrow();
      expect(await store.getDeviceCredentials(idOf('I3'))).toBeNull();
      await store.importCredentials([]);
      // Listing and re-sealing.
      expect(await store.listCredentialDevices(null, 10)).toEqual([known, fresh].sort());
      expect(await store.listCredentialDevices([known, fresh].sort()[0]!, 10)).toEqual([[known, fresh].sort()[1]]);
      const s = (await store.getDeviceCredentials(fresh))!;
      expect(await store.resealCredentials(fresh, { current: set('f2', 'n2'), pending: null, factory: set('f2', 'n2f') })).toBe(true);
      expect(await store.getDeviceCredentials(fresh)).toEqual({ ...s, current: set('f2', 'n2'), factory: set('f2', 'n2f') });
      // Deleting the device drops its credentials.
      await store.deleteDevice(known);
      expect(await store.getDeviceCredentials(known)).toBeNull();
    });
  });
}
