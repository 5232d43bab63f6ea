/**
 * Stale session locks after a crash (issue 10, defect 10): a `flotilla serve` killed with
 * SIGKILL in the middle of a session leaves that device's lock row behind. Its successor
 * frees the locks of its dead predecessors when it starts (src/acs/process-registry.ts), so
 * the device is served at once — not turned away with 8005 for the lock TTL (60 s). On
 * PostgreSQL, a live peer also frees the locks of a process that stopped heartbeating.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DEVICE, informBody, ScriptedCpe } from '../helpers/scripted-cpe.js';
import { deviceIdOf } from '../../src/store/device-id.js';
import { claimPgShared, createTestDatabase, describePg, sql, type TestDatabase } from '../store/pg-helpers.js';
import { ensureBuilt, startServe, until, type ServeProcess } from './helpers.js';

const describeWithPg = await describePg();
const SERIAL = 'STALE0001';
const ID = deviceIdOf({ ...DEVICE, serialNumber: SERIAL });
// Long enough that the lock TTL (max(60 s, 2 × this)) is far beyond anything the tests wait.
const ARGS = ['--allow-unauthenticated-cpes', '--session-timeout', '60', '--no-discover-on-bootstrap'];

const servers: ServeProcess[] = [];
const cpes: ScriptedCpe[] = [];

async function serve(args: string[], dataDir?: string): Promise<ServeProcess> {
  const s = await startServe(args, {}, dataDir === undefined ? {} : { dataDir });
  servers.push(s);
  return s;
}

/** Inform and stop there: the session stays open, its lock held. */
async function openSession(url: string): Promise<ScriptedCpe> {
  const cpe = new ScriptedCpe(url);
  cpes.push(cpe);
  const r = await cpe.post(informBody({ serial: SERIAL }));
  expect(r.status).toBe(200);
  expect(r.envelope?.body.method).toBe('InformResponse');
  return cpe;
}

/** The Inform is answered (not refused with 8005): the lock was free. */
async function served(url: string): Promise<void> {
  await openSession(url);
}

beforeAll(async () => {
  await ensureBuilt();
}, 180_000);

afterEach(async () => {
  for (const c of cpes.splice(0)) c.close();
  for (const s of servers.splice(0)) await s.kill();
});

describe('stale session locks after kill -9: SQLite', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'flotilla-stale-locks-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('the restarted process frees the dead one’s lock at start: the device is served at once', async () => {
    const first = await serve(ARGS, dir);
    await openSession(first.url);
    await first.kill();

    const second = await serve(ARGS, dir);
    expect(second.output()).toMatch(/"freedLocks":1,.*freed the session locks of dead processes of this host/);
    await served(second.url);
    // A clean stop leaves nothing for the next start to free.
    await second.stop();
    const third = await serve(ARGS, dir);
    expect(third.output()).not.toMatch(/freed the session locks/);
    await served(third.url);
  }, 60_000);
});

describeWithPg('stale session locks after kill -9: PostgreSQL', () => {
  let db: TestDatabase;
  let release: () => void = () => undefined;
  beforeAll(async () => {
    release = await claimPgShared();
    db = await createTestDatabase();
  }, 60_000);
  afterAll(async () => {
    await db?.drop();
    release();
  });

  it('the restarted process frees the dead one’s lock at start: the device is served at once', async () => {
    const args = ['--db', db.url, ...ARGS];
    const first = await serve(args);
    await openSession(first.url);
    const [lock] = await sql<{ owner: string; expires_at: string }>(db.url, 'SELECT owner, expires_at FROM session_locks WHERE device_id = $1', [ID]);
    expect(Number(lock?.expires_at)).toBeGreaterThan(Date.now() + 30_000);
    await first.kill();

    const second = await serve(args);
    expect(second.output()).toMatch(/"freedLocks":1,.*freed the session locks of dead processes of this host/);
    await served(second.url);
    // The dead process's row is gone; the live one's remains.
    expect((await sql(db.url, 'SELECT id FROM acs_processes')).length).toBe(1);
  }, 60_000);

  it('a peer frees the locks of a process that stopped heartbeating', async () => {
    const args = ['--db', db.url, ...ARGS, '--heartbeat-interval', '1'];
    const victim = await serve(args);
    const peer = await serve(args);
    await openSession(victim.url);
    await victim.kill();
    // The peer's heartbeat retires the silent process (3 intervals), far within the lock TTL.
    await until(() => /processes stopped heartbeating/.test(peer.output()), 30_000, 'the peer to notice the dead process');
    expect(peer.output()).toMatch(/"freedLocks":1,.*processes stopped heartbeating/);
    await served(peer.url);
  }, 60_000);
});
