/**
 * PostgreSQL restarting under load (`pg_ctlcluster … stop`, then `start`): the ACS process stays up,
 * sessions caught by the restart fail cleanly (the CPE gets an error and retries), the
 * store reconnects by itself, and nothing is half-written.
 *
 * It restarts the machine's server, which would break any other test using it at that
 * moment, so it runs only with CI=true or FLOTILLA_TEST_PG_RESTART=1, and takes the
 * server exclusively (test/store/pg-helpers.ts: other PostgreSQL test files wait, and it
 * waits for them).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { readdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deviceIdOf } from '../../src/store/device-id.js';
import { createPostgresStore, type PostgresStore } from '../../src/store/postgres/index.js';
import { claimPgExclusive, createTestDatabase, describePg, pgReachable, sql, type TestDatabase } from '../store/pg-helpers.js';
import { informBody, ScriptedCpe, type Reply } from '../helpers/scripted-cpe.js';
import { ensureBuilt, installLockAudit, lockTtlFor, lockViolations, MODEL, runFleet, sleep, startServe, type ServeProcess } from './helpers.js';

const enabled = process.env.CI === 'true' || process.env.FLOTILLA_TEST_PG_RESTART === '1';
const describeWithPg = enabled ? await describePg() : describe.skip;
if (!enabled) console.log('PostgreSQL restart test skipped (it restarts the server): set CI=true or FLOTILLA_TEST_PG_RESTART=1');

const DEVICES = 30;
const SESSION_TIMEOUT = 10;

/**
 * Stop and start are separate steps, not one `restart`: a restart can be over before any
 * session reaches the store, and then the test would prove nothing about failing cleanly.
 * Asynchronously, because the simulator runs in this process and must keep going meanwhile.
 */
async function postgresCluster(action: 'stop' | 'start'): Promise<void> {
  const version = readdirSync('/etc/postgresql')[0];
  if (version === undefined) throw new Error('no cluster under /etc/postgresql');
  await promisify(execFile)('pg_ctlcluster', ['--skip-systemctl-redirect', version, 'main', action], { timeout: 60_000 });
}

/** Poll until the server answers again (it may take a few seconds after a restart). */
async function waitForPostgres(timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await sql(process.env.FLOTILLA_TEST_PG_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres', 'SELECT 1');
      return;
    } catch (e) {
      if (Date.now() > deadline) throw e;
      await sleep(250);
    }
  }
}

describeWithPg('PostgreSQL restarting under load', () => {
  let db: TestDatabase;
  let store: PostgresStore | undefined;
  let release: () => void = () => undefined;
  let server: ServeProcess | undefined;

  beforeAll(async () => {
    release = await claimPgExclusive();
    await ensureBuilt();
    expect(await pgReachable()).toBe(true);
    db = await createTestDatabase();
    await installLockAuditAfterMigrations();
  }, 600_000);

  async function installLockAuditAfterMigrations(): Promise<void> {
    const s = await createPostgresStore({ url: db.url, poolSize: 1 });
    await s.close();
    await installLockAudit(db.url);
  }

  afterAll(async () => {
    await server?.kill();
    await store?.close();
    await waitForPostgres().catch(() => undefined);
    await db?.drop();
    release();
  }, 120_000);

  it('fails the sessions it catches, reconnects by itself and writes nothing by halves', async () => {
    server = await startServe(['--db', db.url, '--allow-unauthenticated-cpes', '--session-timeout', String(SESSION_TIMEOUT)]);
    const run = runFleet({
      acsUrl: server.url,
      count: DEVICES,
      model: MODEL,
      informInterval: 2,
      informJitter: 0.5,
      connectionRequests: 'off',
      retry: { minimumWait: 1, multiplier: 1500 },
      maxConcurrentSessions: 64,
      durationMs: 30_000,
      drainMs: 10_000,
    });
    // Steady periodic load first (every device bootstrapped, then informing every ~2 s).
    for (let i = 0; i < 400 && run.reports.filter((r) => r.ok).length < DEVICES * 2; i++) await sleep(50);
    const restartAt = Date.now();
    let probe: Reply | undefined;
    try {
      await postgresCluster('stop');
      // While the database is down: a new session is refused with a 5xx, not a hang or a
      // crash, and the fleet's own sessions fail too (they keep informing every ~2 s).
      const cpe = new ScriptedCpe(server.url);
      probe = await cpe.post(informBody({ serial: 'PROBE-DURING-OUTAGE' }));
      cpe.close();
      const caught = () => run.reports.filter((r) => !r.ok && r.startedAt + r.durationMs >= restartAt).length;
      for (let i = 0; i < 300 && caught() === 0; i++) await sleep(50);
    } finally {
      await postgresCluster('start');
    }
    await waitForPostgres();
    const backAt = Date.now();
    expect(probe?.status, 'an Inform while the database is down').toBeGreaterThanOrEqual(500);

    await run.done;
    expect(server.child.exitCode, `the server died:\n${server.output()}`).toBeNull();
    await server.stop();

    const failed = run.reports.filter((r) => !r.ok && r.startedAt + r.durationMs >= restartAt);
    const okAfter = run.reports.filter((r) => r.ok && r.startedAt > backAt);
    expect(failed.length, 'sessions caught by the outage fail (and the CPEs retry)').toBeGreaterThan(0);
    expect(okAfter.length, 'sessions succeed again after the restart').toBeGreaterThan(DEVICES);
    expect(server.output()).toMatch(/store connection error|session failed|session commit failed/);

    // Devices whose commit the restart broke keep their lock until it expires; every other
    // device informed successfully after the server came back.
    const stuck = new Set((await sql<{ device_id: string }>(db.url, 'SELECT device_id FROM session_locks')).map((r) => r.device_id));
    const template = run.fleet.template;
    const after = new Set(okAfter.map((r) => r.serialNumber));
    for (let i = 0; i < DEVICES; i++) {
      const serialNumber = run.fleet.serialNumber(i);
      const id = deviceIdOf({ oui: template.deviceId.oui, productClass: template.deviceId.productClass, serialNumber });
      if (!stuck.has(id)) expect(after.has(serialNumber), `${id} informed after the restart`).toBe(true);
    }
    expect(stuck.size).toBeLessThan(DEVICES);
    if (process.env.FLOTILLA_TEST_VERBOSE) {
      console.log(`restart: ${backAt - restartAt} ms down, ${failed.length} sessions failed, ${okAfter.length} ok after, ${stuck.size} devices locked until expiry`);
    }

    // Nothing half-written: each device is exactly at its newest logged session, and
    // every session a CPE saw succeed is in the log.
    const mismatched = await sql(
      db.url,
      `SELECT d.id FROM devices d WHERE d.last_inform <> (SELECT max(started_at) FROM session_log l WHERE l.device_id = d.id)`,
    );
    expect(mismatched).toEqual([]);
    const logged = await sql<{ n: number }>(db.url, 'SELECT count(*)::int AS n FROM session_log');
    expect(logged[0]!.n).toBeGreaterThanOrEqual(run.reports.filter((r) => r.ok).length);
    expect(await lockViolations(db.url, lockTtlFor(SESSION_TIMEOUT))).toEqual([]);
    store = await createPostgresStore({ url: db.url, poolSize: 1 });
    expect((await store.listDevices()).total).toBe(DEVICES);
  }, 180_000);
});
