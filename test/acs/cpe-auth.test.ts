/**
 * The credential cache and the authentication decision, against a real SQLite store behind a
 * counting wrapper (each Store call is one round trip), with a hand-moved clock for the TTL.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cpeAuthenticator, CredentialCache } from '../../src/acs/cpe-auth.js';
import { makeCredential, type ParsedAuthorization } from '../../src/auth/server.js';
import { countingStore, type CountingStore } from '../../src/store/counting.js';
import { createSqliteStore } from '../../src/store/sqlite/index.js';
import type { Store } from '../../src/store/types.js';

const REALM = 'Flotilla';
const A = 'OUI-Box-A';
const B = 'OUI-Box-B';
const basic = (username: string, password: string): ParsedAuthorization => ({ scheme: 'Basic', username, password });

let dir: string;
let inner: Store;
let store: CountingStore;
let clock = 1_000_000;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'flotilla-cpe-auth-unit-'));
  inner = await createSqliteStore({ dataDir: dir });
  await inner.migrate();
  for (const id of [A, B]) {
    const opened = await inner.openSession({ deviceId: id, lockOwner: 'seed', lockTtlMs: 60_000, now: 1 });
    expect(opened.lock).toBe('acquired');
    await inner.commitSession({
      deviceId: id,
      lockOwner: 'seed',
      identity: { manufacturer: 'M', oui: 'OUI', productClass: 'Box', serialNumber: id.slice(-1) },
      informAt: 1,
      events: [],
      parameterOps: [],
      requestOutcomes: [],
      cpeMessages: [],
      log: { deviceId: id, startedAt: 1, endedAt: 1, events: [], rpcs: [], cpeRequests: [], outcome: 'ok', linkedRequests: [] },
      releaseLock: true,
    });
  }
  await inner.setCpeCredential(A, makeCredential('user-a', 'pass-a', REALM));
  store = countingStore(inner);
  clock = 1_000_000;
});

afterEach(async () => {
  await inner.close();
  await rm(dir, { recursive: true, force: true });
});

const cache = (): CredentialCache => new CredentialCache(store, { max: 10, ttlMs: 1_000, clock: () => clock });

describe('CredentialCache', () => {
  it('reads a device once, then from memory until the TTL passes; openSession results refresh it', async () => {
    const c = cache();
    expect(await c.ofDevice(B)).toBeNull();
    expect(await c.ofDevice(B)).toBeNull();
    expect(store.byMethod()).toEqual({ getCpeCredential: 1 });
    clock += 1_001;
    expect(await c.ofDevice(B)).toBeNull();
    expect(store.byMethod()).toEqual({ getCpeCredential: 2 });
    // What openSession returned keeps the entry fresh without a read.
    clock += 900;
    c.learn(B, null);
    clock += 900;
    expect(await c.ofDevice(B)).toBeNull();
    expect(store.byMethod()).toEqual({ getCpeCredential: 2 });
  });

  it('keeps at most `max` devices', async () => {
    const c = new CredentialCache(store, { max: 2, ttlMs: 60_000, clock: () => clock });
    for (const id of ['x1', 'x2', 'x3']) c.learn(id, null);
    store.reset();
    await c.ofDevice('x3');
    await c.ofDevice('x1');
    expect(store.byMethod()).toEqual({ getCpeCredential: 1 });
  });

  it('does not cache unknown usernames; a rotated credential replaces the old username', async () => {
    const c = cache();
    expect((await c.byUsername('nobody')).entry).toBeNull();
    expect((await c.byUsername('nobody')).entry).toBeNull();
    expect(store.byMethod()).toEqual({ getCpeCredentialByUsername: 2 });
    c.learn(A, makeCredential('user-a', 'pass-a', REALM));
    expect(await c.byUsername('user-a')).toMatchObject({ cached: true, entry: { deviceId: A } });
    c.learn(A, makeCredential('user-a2', 'pass', REALM));
    store.reset();
    expect((await c.byUsername('user-a')).cached).toBe(false);
    expect(store.byMethod()).toEqual({ getCpeCredentialByUsername: 1 });
  });
});

describe('cpeAuthenticator', () => {
  const bootstrap = makeCredential('boot', 'strap', REALM);
  const auth = (c = cache()) => ({ c, a: cpeAuthenticator({ allowAnyone: false, bootstrap, cache: c }) });

  it('bootstrap credential: accepted for a device without its own, refused for one with it', async () => {
    const { a } = auth();
    expect(await a.check(basic('boot', 'strap'), B, 'POST')).toEqual({ ok: true, via: 'bootstrap' });
    expect(await a.check(basic('boot', 'strap'), A, 'POST')).toMatchObject({ ok: false });
    expect(await a.check(basic('boot', 'wrong'), B, 'POST')).toMatchObject({ ok: false });
    expect(await a.check(null, B, 'POST')).toMatchObject({ ok: false });
  });

  it("own credential: only for its own device; a rotated password costs one re-read, a wrong one too", async () => {
    const { a } = auth();
    expect(await a.check(basic('user-a', 'pass-a'), A, 'POST')).toMatchObject({ ok: true, via: 'own' });
    expect(await a.check(basic('user-a', 'pass-a'), B, 'POST')).toMatchObject({ ok: false });
    await inner.setCpeCredential(A, makeCredential('user-a', 'rotated', REALM));
    store.reset();
    expect(await a.check(basic('user-a', 'rotated'), A, 'POST')).toMatchObject({ ok: true, via: 'own' });
    expect(store.byMethod()).toEqual({ getCpeCredentialByUsername: 1 });
    store.reset();
    expect(await a.check(basic('user-a', 'pass-a'), A, 'POST')).toMatchObject({ ok: false });
    expect(store.byMethod()).toEqual({ getCpeCredentialByUsername: 1 });
    store.reset();
    expect(await a.check(basic('user-a', 'rotated'), A, 'POST')).toMatchObject({ ok: true });
    expect(store.roundTrips()).toBe(0);
  });

  it('confirm: the credential openSession returned decides when it changed since the check', async () => {
    const { a } = auth();
    const own = makeCredential('user-a', 'pass-a', REALM);
    expect(a.confirm({ ok: true, via: 'bootstrap' }, basic('boot', 'strap'), B, null, 'POST')).toBe(true);
    expect(a.confirm({ ok: true, via: 'bootstrap' }, basic('boot', 'strap'), B, own, 'POST')).toBe(false);
    expect(a.confirm({ ok: true, via: 'own', credential: own }, basic('user-a', 'pass-a'), A, own, 'POST')).toBe(true);
    expect(a.confirm({ ok: true, via: 'own', credential: own }, basic('user-a', 'pass-a'), A, null, 'POST')).toBe(false);
    expect(a.confirm({ ok: true, via: 'own', credential: own }, basic('user-a', 'pass-a'), A, makeCredential('user-a', 'new', REALM), 'POST')).toBe(false);
  });

  it('allowAnyone: no check and no read', async () => {
    const a = cpeAuthenticator({ allowAnyone: true, bootstrap: null, cache: cache() });
    expect(await a.check(null, A, 'POST')).toEqual({ ok: true, via: 'anyone' });
    expect(store.roundTrips()).toBe(0);
  });
});
