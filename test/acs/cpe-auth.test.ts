/**
 * The credential cache and the authentication decision, against a real SQLite store behind a
 * counting wrapper (each Store call is one round trip), with a hand-moved clock for the TTL.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cpeAuthenticator, CredentialCache, decide } from '../../src/acs/cpe-auth.js';
import { makeCredential, type ParsedAuthorization } from '../../src/auth/server.js';
import { countingStore, type CountingStore } from '../../src/store/counting.js';
import { createSqliteStore } from '../../src/store/sqlite/index.js';
import type { DeviceCredentials, Store } from '../../src/store/types.js';

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
const set = (username: string, password: string) => ({ cpe: makeCredential(username, password, REALM), connectionRequest: null });
const state = (current: ReturnType<typeof set>, more: Partial<DeviceCredentials> = {}): DeviceCredentials => ({
  current,
  pending: null,
  factory: null,
  bootstrapUntil: null,
  rotateRequested: false,
  issuedAt: null,
  ...more,
});

describe('CredentialCache', () => {
  it('reads a device once, then from memory until the TTL passes; openSession results refresh it', async () => {
    const c = cache();
    expect((await c.ofDevice(B)).state).toBeNull();
    expect(await c.ofDevice(B)).toEqual({ state: null, cached: true });
    expect(store.byMethod()).toEqual({ getDeviceCredentials: 1 });
    clock += 1_001;
    expect((await c.ofDevice(B)).state).toBeNull();
    expect(store.byMethod()).toEqual({ getDeviceCredentials: 2 });
    // What openSession returned keeps the entry fresh without a read.
    clock += 900;
    c.learn(B, null);
    clock += 900;
    expect((await c.ofDevice(B)).state).toBeNull();
    expect(store.byMethod()).toEqual({ getDeviceCredentials: 2 });
    expect((await c.ofDevice(A, true)).state?.current.cpe.username).toBe('user-a');
    expect(store.byMethod()).toEqual({ getDeviceCredentials: 3 });
  });

  it('keeps at most `max` devices', async () => {
    const c = new CredentialCache(store, { max: 2, ttlMs: 60_000, clock: () => clock });
    for (const id of ['x1', 'x2', 'x3']) c.learn(id, null);
    store.reset();
    await c.ofDevice('x3');
    await c.ofDevice('x1');
    expect(store.byMethod()).toEqual({ getDeviceCredentials: 1 });
  });
});

describe('cpeAuthenticator', () => {
  const bootstrap = makeCredential('boot', 'strap', REALM);
  const auth = (c = cache(), scope: 'new-devices' | 'any' = 'new-devices') => ({
    c,
    a: cpeAuthenticator({ allowAnyone: false, bootstrap, bootstrapScope: scope, cache: c }),
  });
  const T = 5_000;

  it('bootstrap credential: accepted for a device without its own, refused (as such) for one with it', async () => {
    const { a } = auth();
    expect(await a.check(basic('boot', 'strap'), B, 'POST', T)).toEqual({ ok: true, via: 'bootstrap' });
    expect(await a.check(basic('boot', 'strap'), A, 'POST', T)).toMatchObject({ ok: false, bootstrapRefused: true });
    expect(await a.check(basic('boot', 'wrong'), B, 'POST', T)).toMatchObject({ ok: false, bootstrapRefused: false });
    expect(await a.check(null, B, 'POST', T)).toMatchObject({ ok: false });
  });

  it('scope: an expect-reset window lets the bootstrap credential in until it ends; `any` always does', async () => {
    const { a } = auth();
    await inner.setBootstrapWindow(A, T + 1_000);
    expect(await a.check(basic('boot', 'strap'), A, 'POST', T)).toEqual({ ok: true, via: 'bootstrap' });
    expect(await a.check(basic('boot', 'strap'), A, 'POST', T + 1_000)).toMatchObject({ ok: false, bootstrapRefused: true });
    const any = auth(cache(), 'any').a;
    expect(await any.check(basic('boot', 'strap'), A, 'POST', T + 5_000)).toEqual({ ok: true, via: 'bootstrap' });
  });

  it("own credential: only for its own device; a rotated password costs one re-read, a wrong one too", async () => {
    const { a } = auth();
    expect(await a.check(basic('user-a', 'pass-a'), A, 'POST', T)).toMatchObject({ ok: true, via: 'current' });
    expect(await a.check(basic('user-a', 'pass-a'), B, 'POST', T)).toMatchObject({ ok: false });
    await inner.setCpeCredential(A, makeCredential('user-a', 'rotated', REALM));
    store.reset();
    expect(await a.check(basic('user-a', 'rotated'), A, 'POST', T)).toMatchObject({ ok: true, via: 'current' });
    expect(store.byMethod()).toEqual({ getDeviceCredentials: 1 });
    store.reset();
    expect(await a.check(basic('user-a', 'pass-a'), A, 'POST', T)).toMatchObject({ ok: false });
    expect(store.byMethod()).toEqual({ getDeviceCredentials: 1 });
    store.reset();
    expect(await a.check(basic('user-a', 'rotated'), A, 'POST', T)).toMatchObject({ ok: true });
    expect(store.roundTrips()).toBe(0);
  });

  it('pending and factory sets are accepted beside the current one', () => {
    const s = state(set('cur', 'c'), { pending: set('pen', 'p'), factory: set('fac', 'f') });
    const policy = { bootstrap, bootstrapScope: 'new-devices' as const };
    expect(decide(basic('cur', 'c'), s, 'POST', T, policy)).toEqual({ ok: true, via: 'current' });
    expect(decide(basic('pen', 'p'), s, 'POST', T, policy)).toEqual({ ok: true, via: 'pending' });
    expect(decide(basic('fac', 'f'), s, 'POST', T, policy)).toEqual({ ok: true, via: 'factory' });
    expect(decide(basic('pen', 'c'), s, 'POST', T, policy)).toMatchObject({ ok: false });
    // An imported set that is still current counts as the factory one (the device gets its own).
    const imported = set('fac', 'f');
    expect(decide(basic('fac', 'f'), state(imported, { factory: imported }), 'POST', T, policy)).toEqual({ ok: true, via: 'factory' });
  });

  it('confirm: the credentials openSession returned decide when they changed since the check', async () => {
    const { a } = auth();
    const own = state(set('user-a', 'pass-a'));
    expect(a.confirm({ ok: true, via: 'bootstrap' }, basic('boot', 'strap'), B, null, 'POST', T)).toEqual({ ok: true, via: 'bootstrap' });
    expect(a.confirm({ ok: true, via: 'bootstrap' }, basic('boot', 'strap'), B, own, 'POST', T)).toMatchObject({ ok: false, bootstrapRefused: true });
    expect(a.confirm({ ok: true, via: 'current' }, basic('user-a', 'pass-a'), A, own, 'POST', T)).toMatchObject({ ok: true });
    expect(a.confirm({ ok: true, via: 'current' }, basic('user-a', 'pass-a'), A, null, 'POST', T)).toMatchObject({ ok: false });
    expect(a.confirm({ ok: true, via: 'current' }, basic('user-a', 'pass-a'), A, state(set('user-a', 'new')), 'POST', T)).toMatchObject({ ok: false });
  });

  it('allowAnyone: no check and no read', async () => {
    const a = cpeAuthenticator({ allowAnyone: true, bootstrap: null, cache: cache() });
    expect(await a.check(null, A, 'POST', T)).toEqual({ ok: true, via: 'anyone' });
    expect(store.roundTrips()).toBe(0);
  });
});
