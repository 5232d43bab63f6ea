/**
 * The reach concern (src/store/reach.ts) on both backends, with the same cases: bindings
 * upserted (changes counted only when host or port differ), the last path that worked,
 * and a second process (another connection) seeing what the first wrote. Plus the pure
 * path order (src/reach/path-choice.ts).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { choosePaths } from '../../src/reach/path-choice.js';
import { PgReachStore } from '../../src/store/postgres/reach.js';
import type { ReachStore } from '../../src/store/reach.js';
import { SqliteReachStore } from '../../src/store/sqlite/reach.js';
import { createTestDatabase, describePg, type TestDatabase } from '../store/pg-helpers.js';

function cases(open: () => Promise<ReachStore>): void {
  let a: ReachStore;
  let b: ReachStore;
  beforeAll(async () => {
    a = await open();
    b = await open();
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
  });

  it('records a binding, counts a change only when it differs, and shares it', async () => {
    expect(await a.get('dev-1')).toBeNull();
    await a.recordBinding('dev-1', { host: '198.51.100.7', port: 40000, natDetected: true }, 1000);
    await a.recordBinding('dev-1', { host: '198.51.100.7', port: 40000, natDetected: true }, 2000);
    expect((await b.get('dev-1'))?.binding).toEqual({ host: '198.51.100.7', port: 40000, natDetected: true, changedAt: 1000, seenAt: 2000, changes: 1 });
    await b.recordBinding('dev-1', { host: '198.51.100.7', port: 40123, natDetected: true }, 3000);
    expect((await a.get('dev-1'))?.binding).toEqual({ host: '198.51.100.7', port: 40123, natDetected: true, changedAt: 3000, seenAt: 3000, changes: 2 });
  });

  it('records the path that worked without touching the binding', async () => {
    await a.recordSuccess('dev-1', 'udp', 4000);
    await a.recordSuccess('dev-2', 'xmpp', 5000);
    expect(await b.get('dev-1')).toMatchObject({ lastPath: 'udp', lastSuccessAt: 4000, binding: { port: 40123, changes: 2 } });
    expect(await b.get('dev-2')).toEqual({ deviceId: 'dev-2', binding: null, lastPath: 'xmpp', lastSuccessAt: 5000 });
  });

  it('forgets a deleted device, and only that one', async () => {
    expect(await a.forget('dev-2')).toBe(true);
    expect(await b.get('dev-2')).toBeNull();
    expect(await b.forget('dev-2')).toBe(false);
    expect(await b.get('dev-1')).not.toBeNull();
  });
}

describe('reach store: SQLite', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'flotilla-reach-store-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  cases(async () => SqliteReachStore.open(join(dir, 'flotilla.db')));
});

const describeOnPg = await describePg();
describeOnPg('reach store: PostgreSQL', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db?.drop();
  });
  cases(async () => PgReachStore.open(db.url));
});

describe('path order', () => {
  const base = { url: 'http://192.0.2.1/cr', udpAddress: '198.51.100.7:4000', jid: 'cpe@x/cwmp', natDetected: null, lastPath: null };
  it('HTTP first when not behind a NAT; UDP to a reported address after XMPP', () => {
    expect(choosePaths(base)).toEqual(['http', 'xmpp', 'udp']);
    expect(choosePaths({ ...base, udpFromBinding: true })).toEqual(['http', 'udp', 'xmpp']);
  });
  it('behind a NAT: the STUN binding first, HTTP last', () => {
    expect(choosePaths({ ...base, natDetected: true, udpFromBinding: true })).toEqual(['udp', 'xmpp', 'http']);
    expect(choosePaths({ ...base, natDetected: true })).toEqual(['xmpp', 'udp', 'http']);
  });
  it('the path that worked goes first, unless the binding is newer', () => {
    expect(choosePaths({ ...base, natDetected: true, udpFromBinding: true, lastPath: 'xmpp' })).toEqual(['xmpp', 'udp', 'http']);
    expect(choosePaths({ ...base, natDetected: true, udpFromBinding: true, lastPath: 'xmpp', bindingNewer: true })).toEqual(['udp', 'xmpp', 'http']);
  });
  it('only the paths the device has, and only the enabled ones', () => {
    expect(choosePaths({ ...base, url: null, jid: null })).toEqual(['udp']);
    expect(choosePaths(base, { udp: false, xmpp: false })).toEqual(['http']);
    expect(choosePaths({ url: null, udpAddress: null, jid: null, natDetected: null, lastPath: null })).toEqual([]);
  });
});
