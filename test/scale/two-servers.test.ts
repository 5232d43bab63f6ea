/**
 * Two `flotilla serve` processes on one PostgreSQL database, the simulator driving both at
 * once with the SAME devices (two fleets with identical serial numbers, one per server), so
 * every device is contended by two processes all the time:
 *  - no device is ever in two sessions at once: the lock history, recorded by a trigger
 *    inside the database, never shows a take over a live lock of another session;
 *  - no task runs twice: every addObject task is answered once, and the CPEs received
 *    exactly as many AddObject RPCs as there were tasks;
 *  - nothing is lost: every session a CPE completed is in the session log, and every
 *    device's record agrees with its newest session.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { deviceIdOf } from '../../src/store/device-id.js';
import { createPostgresStore, type PostgresStore } from '../../src/store/postgres/index.js';
import type { NewTask } from '../../src/store/types.js';
import { claimPgShared, createTestDatabase, describePg, sql, type TestDatabase } from '../store/pg-helpers.js';
import { apiUrlOf, ensureBuilt, installLockAudit, lockTtlFor, lockViolations, MODEL, openEventStream, runFleet, sleep, startServe, until, type ServeProcess } from './helpers.js';

const describeWithPg = await describePg();

const DEVICES = 24;
const TASKS_PER_DEVICE = 2;
const SESSION_TIMEOUT = 10;

describeWithPg('two ACS processes on one PostgreSQL database', () => {
  let db: TestDatabase;
  let store: PostgresStore;
  let release: () => void = () => undefined;
  const servers: ServeProcess[] = [];

  beforeAll(async () => {
    release = await claimPgShared();
    await ensureBuilt();
    db = await createTestDatabase();
    store = await createPostgresStore({ url: db.url, poolSize: 2 });
    await installLockAudit(db.url);
  }, 180_000);

  afterAll(async () => {
    for (const s of servers) await s.kill();
    await store?.close();
    await db?.drop();
    release();
  });

  it('keeps every device in one session at a time, runs every task once and loses nothing', async () => {
    const args = ['--db', db.url, '--allow-unauthenticated-cpes', '--session-timeout', String(SESSION_TIMEOUT), '--api-open'];
    servers.push(await startServe(args), await startServe(args));
    const [a, b] = servers as [ServeProcess, ServeProcess];
    // An OSS watching one process sees the sessions of both (LISTEN/NOTIFY between them).
    const stream = await openEventStream(`${await apiUrlOf(a)}/events?types=device.inform`);

    const common = {
      count: DEVICES,
      model: MODEL,
      informInterval: 2,
      informJitter: 0.5,
      connectionRequests: 'off' as const,
      retry: { minimumWait: 1, multiplier: 1500 },
      maxConcurrentSessions: 64,
      // A cap only: both fleets are stopped once every task is done and both servers served
      // every device, however long this machine takes (no rate is asserted).
      durationMs: 180_000,
      drainMs: 10_000,
    };
    const runA = runFleet({ ...common, acsUrl: a.url });
    const runB = runFleet({ ...common, acsUrl: b.url });

    // Tasks for every device before the fleets power on.
    const template = runA.fleet.template;
    const ids = Array.from({ length: DEVICES }, (_, i) =>
      deviceIdOf({ oui: template.deviceId.oui, productClass: template.deviceId.productClass, serialNumber: runA.fleet.serialNumber(i) }),
    );
    const tasks: NewTask[] = ids.flatMap((deviceId) =>
      Array.from({ length: TASKS_PER_DEVICE }, () => ({
        deviceId,
        task: { type: 'addObject' as const, objectName: 'Device.DNS.Client.Server.', parameterValues: [], parameterKey: '' },
      })),
    );
    const created = await store.createTasks(tasks, Date.now());

    const okOf = (run: typeof runA) => run.reports.filter((r) => r.ok).length;
    await until(
      async () =>
        okOf(runA) > DEVICES &&
        okOf(runB) > DEVICES &&
        [...runA.reports, ...runB.reports].some((r) => !r.ok) &&
        (await store.listTasks({ states: ['queued', 'running'], limit: 0, offset: 0 })).total === 0,
      150_000,
      'every task done, both servers busy, and a collision',
    );
    runA.fleet.requestStop();
    runB.fleet.requestStop();
    const [summaryA, summaryB] = await Promise.all([runA.done, runB.done]);
    const okBoth = [...runA.reports, ...runB.reports].filter((r) => r.ok).length;
    await until(() => stream.events.length >= okBoth, 10_000, 'every session of both servers on the stream');
    await sleep(300);
    await stream.close();
    await a.stop();
    await b.stop();

    // Both servers really worked, and the devices really collided.
    const okA = runA.reports.filter((r) => r.ok).length;
    const okB = runB.reports.filter((r) => r.ok).length;
    expect(okA).toBeGreaterThan(DEVICES);
    expect(okB).toBeGreaterThan(DEVICES);
    const busy = [...runA.reports, ...runB.reports].filter((r) => !r.ok).length;
    expect(busy, 'two fleets on the same devices must collide').toBeGreaterThan(0);

    // No device in two sessions at once.
    expect(await lockViolations(db.url, lockTtlFor(SESSION_TIMEOUT))).toEqual([]);
    const takes = await sql<{ n: number }>(db.url, `SELECT count(*)::int AS n FROM lock_audit WHERE op = 'take'`);
    expect(takes[0]!.n).toBeGreaterThanOrEqual(okA + okB);

    // Every task ran once: done, answered in exactly one session, and sent once to a CPE.
    for (const t of created) expect((await store.getTask(t.id))?.state, t.id).toBe('done');
    const logged = await sql<{ rid: string }>(
      db.url,
      `SELECT unnest(string_to_array(r->>'requestId', ',')) AS rid FROM session_log, json_array_elements(rpcs) AS r
       WHERE r->>'method' = 'AddObject' AND r->>'requestId' IS NOT NULL`,
    );
    const perTask = new Map<string, number>();
    for (const { rid } of logged) perTask.set(rid, (perTask.get(rid) ?? 0) + 1);
    for (const t of created) expect(perTask.get(t.id), t.id).toBe(1);
    const sent = [...runA.reports, ...runB.reports].flatMap((r) => r.rpcs).filter((r) => r.method === 'AddObject').length;
    expect(sent).toBe(created.length);

    // Nothing lost: every completed session is logged, and each device is at its newest session.
    const logs = await sql<{ n: number }>(db.url, 'SELECT count(*)::int AS n FROM session_log');
    expect(logs[0]!.n).toBe(okA + okB);
    expect(stream.events, 'each committed session once on the stream').toHaveLength(okA + okB);
    expect(new Set(stream.events.map((e) => e.deviceId)).size).toBe(DEVICES);
    const mismatched = await sql(
      db.url,
      `SELECT d.id FROM devices d WHERE d.last_inform <> (SELECT max(started_at) FROM session_log l WHERE l.device_id = d.id)`,
    );
    expect(mismatched).toEqual([]);
    expect((await store.listDevices()).total).toBe(DEVICES);
    expect(await sql(db.url, 'SELECT device_id FROM session_locks')).toEqual([]);
    expect(summaryA.sessions + summaryB.sessions).toBe(runA.reports.length + runB.reports.length);
  }, 240_000);
});
