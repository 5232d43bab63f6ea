/**
 * Concern: users for people and their sessions (src/store/concerns/users.ts).
 */
import { beforeEach, describe, expect, it } from 'vitest';
import type { Store, UserRecord } from '../../../src/store/types.js';
import { T0, harness, type StoreFixture } from './harness.js';

const user = (id: string, name: string, extra: Partial<UserRecord> = {}): UserRecord => ({
  id,
  name,
  role: 'operator',
  source: 'local',
  passwordHash: '$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaA',
  totpSecret: null,
  totpPending: null,
  totpLastStep: null,
  disabled: false,
  failedAttempts: 0,
  lockedUntil: null,
  scope: null,
  capabilities: [],
  lastSignInAt: null,
  createdAt: T0,
  updatedAt: T0,
  ...extra,
});

const POLICY = { maxFailures: 3, lockMs: 60_000 };

export function usersConformance(name: string, factory: () => Promise<StoreFixture>): void {
  describe(`Store conformance, users: ${name}`, () => {
    const h = harness(factory);
    let store: Store;
    beforeEach(() => {
      store = h.store;
    });

    it('users: create, get, find by exact name, list by name; names are unique', async () => {
      const bob = user('u2', 'bob', { role: 'read-only', scope: { tag: 'north' } });
      const carol = user('u4', 'carol', { capabilities: ['provision'] });
      const alice = user('u1', 'alice', { source: 'ldap', passwordHash: null });
      await store.createUser(bob);
      await store.createUser(alice);
      await store.createUser(carol);
      expect(await store.getUser('u2')).toEqual(bob);
      expect(await store.getUser('u4')).toEqual(carol);
      expect(await store.findUserByName('alice')).toEqual(alice);
      expect(await store.findUserByName('Alice')).toBeNull();
      expect(await store.getUser('nope')).toBeNull();
      expect((await store.listUsers()).map((u) => u.name)).toEqual(['alice', 'bob', 'carol']);
      await expect(store.createUser(user('u3', 'bob'))).rejects.toThrow();
      expect(await store.listUsers()).toHaveLength(3);
    });

    it('users: an update changes only the given fields and the time', async () => {
      await store.createUser(user('u1', 'alice'));
      const after = await store.updateUser('u1', { role: 'admin', disabled: true, totpPending: 'ABC', scope: { filter: 'tag = x' } }, T0 + 10);
      expect(after).toEqual(user('u1', 'alice', { role: 'admin', disabled: true, totpPending: 'ABC', scope: { filter: 'tag = x' }, updatedAt: T0 + 10 }));
      const cleared = await store.updateUser('u1', { totpPending: null, totpSecret: 'SECRET', totpLastStep: 42, scope: null }, T0 + 20);
      expect(cleared).toMatchObject({ totpPending: null, totpSecret: 'SECRET', totpLastStep: 42, scope: null, role: 'admin', disabled: true });
      expect(await store.getUser('u1')).toEqual(cleared);
      expect(await store.updateUser('nope', { role: 'admin' }, T0)).toBeNull();
      // Capabilities are granted and taken away like any field, and nothing else moves.
      expect(await store.updateUser('u1', { capabilities: ['provision'] }, T0 + 30)).toMatchObject({ capabilities: ['provision'], role: 'admin', totpSecret: 'SECRET' });
      expect((await store.getUser('u1'))?.capabilities).toEqual(['provision']);
      expect((await store.updateUser('u1', { capabilities: [] }, T0 + 40))?.capabilities).toEqual([]);
    });

    it('users: failures lock at the limit, a lock is not extended while on, and ends by itself', async () => {
      await store.createUser(user('u1', 'alice'));
      expect(await store.recordSignInFailure('u1', T0 + 1, POLICY)).toMatchObject({ failedAttempts: 1, lockedUntil: null });
      expect(await store.recordSignInFailure('u1', T0 + 2, POLICY)).toMatchObject({ failedAttempts: 2, lockedUntil: null });
      expect(await store.recordSignInFailure('u1', T0 + 3, POLICY)).toMatchObject({ failedAttempts: 3, lockedUntil: T0 + 3 + 60_000 });
      // More failures while locked: the lock stays where it was.
      expect(await store.recordSignInFailure('u1', T0 + 30_000, POLICY)).toMatchObject({ failedAttempts: 3, lockedUntil: T0 + 3 + 60_000 });
      // After the lock: counting starts again.
      expect(await store.recordSignInFailure('u1', T0 + 70_000, POLICY)).toMatchObject({ failedAttempts: 1, lockedUntil: null });
      await store.recordSignInSuccess('u1', T0 + 80_000);
      expect(await store.getUser('u1')).toMatchObject({ failedAttempts: 0, lockedUntil: null, lastSignInAt: T0 + 80_000 });
      expect(await store.recordSignInFailure('nope', T0, POLICY)).toBeNull();
    });

    it('users: sessions are found until they expire, with their user; deleted one by one or per user, and with the user', async () => {
      await store.createUser(user('u1', 'alice'));
      await store.createUser(user('u2', 'bob'));
      const s1 = { id: 'a'.repeat(64), userId: 'u1', createdAt: T0, expiresAt: T0 + 1000, source: '127.0.0.1' };
      await store.createUserSession(s1);
      await store.createUserSession({ ...s1, id: 'b'.repeat(64) });
      await store.createUserSession({ ...s1, id: 'c'.repeat(64), userId: 'u2' });
      expect(await store.findUserSession(s1.id, T0 + 999)).toEqual({ session: s1, user: user('u1', 'alice') });
      expect(await store.findUserSession(s1.id, T0 + 1000)).toBeNull();
      expect(await store.findUserSession('d'.repeat(64), T0)).toBeNull();
      expect(await store.deleteUserSession(s1.id)).toBe(true);
      expect(await store.deleteUserSession(s1.id)).toBe(false);
      expect(await store.deleteUserSessions('u1')).toBe(1);
      expect(await store.findUserSession('c'.repeat(64), T0)).not.toBeNull();
      // A later sign-in sweeps expired sessions away.
      await store.createUserSession({ id: 'e'.repeat(64), userId: 'u2', createdAt: T0 + 5000, expiresAt: T0 + 9000, source: '::1' });
      expect(await store.deleteUserSessions('u2')).toBe(1);
      // A session for no user is refused.
      await expect(store.createUserSession({ ...s1, id: 'f'.repeat(64), userId: 'ghost' })).rejects.toThrow();
    });
  });
}
