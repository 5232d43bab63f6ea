/**
 * `flotilla serve --workers N`: worker processes on one port (node:cluster).
 *  - PostgreSQL: two workers share the load, a Digest challenge issued by one worker is
 *    accepted by the other (shared nonce secret), a worker that dies is replaced, SIGTERM
 *    stops them all and frees every device;
 *  - SQLite: more workers than its single writer can use are reduced, with a warning, and
 *    the two it runs serve the fleet on one database file.
 */
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseChallenges, respondTo } from '../../src/auth/client.js';
import { buildEnvelope } from '../../src/cwmp/codec.js';
import type { Inform } from '../../src/cwmp/types.js';
import { createSqliteStore } from '../../src/store/sqlite/index.js';
import { claimPgShared, createTestDatabase, describePg, sql, type TestDatabase } from '../store/pg-helpers.js';
import { apiUrlOf, ensureBuilt, MODEL, openEventStream, runFleet, sessionsByPid, sleep, startServe, until, type ServeProcess } from './helpers.js';

/** A webhook endpoint: the device of every delivery it got. */
async function startWebhookReceiver(): Promise<{ url: string; received: string[]; close: () => Promise<void> }> {
  const received: string[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      received.push((JSON.parse(body) as { deviceId: string }).deviceId);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/hook`, received, close: () => new Promise((r) => server.close(() => r())) };
}

const describeWithPg = await describePg();

function inform(serial: string): string {
  const body: Inform = {
    method: 'Inform',
    deviceId: { manufacturer: 'Acme', oui: '00D09E', productClass: 'IGD', serialNumber: serial },
    event: [{ eventCode: '2 PERIODIC', commandKey: '' }],
    maxEnvelopes: 1,
    currentTime: new Date().toISOString(),
    retryCount: 0,
    parameterList: [],
  };
  return buildEnvelope({ namespace: 'urn:dslforum-org:cwmp-1-2', header: { id: '1' }, body });
}

/** One POST on a connection of its own (no keep-alive), as a CPE that reconnects does. */
function post(url: string, body: string, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; headers: Record<string, string | string[] | undefined> }>((resolve, reject) => {
    const req = request(url, { method: 'POST', agent: false, headers: { 'Content-Type': 'text/xml', Connection: 'close', ...headers } }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describeWithPg('flotilla serve --workers on PostgreSQL', () => {
  let db: TestDatabase;
  let release: () => void = () => undefined;
  let serve: ServeProcess | undefined;

  beforeAll(async () => {
    release = await claimPgShared();
    await ensureBuilt();
    db = await createTestDatabase();
  }, 180_000);
  afterAll(async () => {
    await serve?.kill();
    await db?.drop();
    release();
  });

  it('spreads sessions over the workers, shares Digest nonces, replaces a dead worker and stops cleanly', async () => {
    serve = await startServe(['--db', db.url, '--workers', '2', '--cpe-credentials', 'cpe:secret', '--log-level', 'debug']);
    const s = serve;

    // A challenge from one worker, answered on a new connection (the other worker, in turn).
    for (let i = 0; i < 4; i++) {
      const body = inform(`DIGEST${i}`);
      const challenge = await post(s.url, body);
      expect(challenge.status).toBe(401);
      const authorize = respondTo(parseChallenges(challenge.headers['www-authenticate']), { username: 'cpe', password: 'secret' });
      expect(authorize).not.toBeNull();
      const answered = await post(s.url, body, { Authorization: authorize!('POST', '/') });
      expect(answered.status, `attempt ${i}`).toBe(200);
    }

    const run = runFleet({
      acsUrl: s.url,
      count: 20,
      model: MODEL,
      credentials: { username: 'cpe', password: 'secret' },
      informInterval: 1,
      connectionRequests: 'off',
      retry: { minimumWait: 1, multiplier: 1500 },
      // A cap only: the run is stopped once the outcomes below are seen, however long the
      // machine takes to get there (no figure of sessions per second is asserted).
      durationMs: 90_000,
      drainMs: 5_000,
    });
    const ok = () => run.reports.filter((r) => r.ok);
    await until(() => ok().length >= 20 && sessionsByPid(s.output()).size >= 2, 60_000, 'sessions on both workers');
    // Kill one worker: the primary starts another; sessions go on.
    const [firstPid] = [...sessionsByPid(s.output()).keys()];
    expect(firstPid).toBeDefined();
    process.kill(firstPid!, 'SIGKILL');
    const killedAt = Date.now();
    const afterKill = () => ok().filter((r) => r.startedAt > killedAt + 1_000).length;
    await until(
      () => afterKill() > 10 && /worker died; starting another/.test(s.output()) && sessionsByPid(s.output()).size >= 3,
      60_000,
      'sessions after the worker died, in its replacement too',
    );
    run.fleet.requestStop();
    await run.done;
    expect(afterKill(), 'sessions after the worker died').toBeGreaterThan(10);
    expect(s.output()).toMatch(/worker died; starting another/);
    expect(sessionsByPid(s.output()).size, 'sessions in at least three workers (two, then the replacement)').toBeGreaterThanOrEqual(3);

    // SIGTERM: every worker ends its sessions and exits, then the primary.
    await s.stop();
    expect(await s.exited).toBe(0);
    const locks = await sql<{ n: number }>(db.url, 'SELECT count(*)::int AS n FROM session_locks');
    // The SIGKILLed worker's sessions (if any were open) are the only locks left.
    expect(locks[0]!.n).toBeLessThanOrEqual(20);
    serve = undefined;
  }, 120_000);
});

describe('flotilla serve --workers on SQLite', () => {
  let serve: ServeProcess | undefined;
  beforeAll(async () => {
    await ensureBuilt();
  }, 180_000);
  afterAll(async () => {
    await serve?.kill();
  });

  it('runs at most two workers on one database file, and they share it and their events', async () => {
    serve = await startServe(['--workers', '4', '--allow-unauthenticated-cpes', '--log-level', 'debug', '--api-open']);
    const s = serve;
    expect(s.output()).toMatch(/SQLite has one writer at a time[^"]*running 2 workers, not 4/);
    expect(s.output()).toMatch(/"workers":2/);
    // One event stream and one webhook, each served by whichever worker took the connection.
    const api = await apiUrlOf(s);
    const stream = await openEventStream(`${api}/events?types=device.registered,device.inform`);
    const hook = await startWebhookReceiver();
    const created = await fetch(`${api}/webhooks`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ url: hook.url, events: ['device.registered'] }),
    });
    expect(created.status).toBe(201);

    // Bounded by a number of sessions, not a duration (durationMs is a cap).
    const run = runFleet({ acsUrl: s.url, count: 20, model: MODEL, informInterval: 1, connectionRequests: 'off', sessions: 41, durationMs: 90_000, drainMs: 5_000 });
    const summary = await run.done;
    expect(summary.failures).toBe(0);
    expect(summary.sessions).toBeGreaterThan(40);
    expect(sessionsByPid(s.output()).size).toBe(2);

    // The stream saw every session of both workers, once; each registration was posted once.
    const informs = () => stream.events.filter((e) => e.type === 'device.inform');
    await until(() => informs().length >= summary.sessions, 10_000, 'every session on the stream');
    await until(() => hook.received.length >= 20, 10_000, 'every registration posted');
    await sleep(300);
    await stream.close();
    await hook.close();
    expect(informs()).toHaveLength(summary.sessions);
    expect(new Set(stream.events.filter((e) => e.type === 'device.registered').map((e) => e.deviceId)).size).toBe(20);
    expect(hook.received).toHaveLength(20);
    expect(new Set(hook.received).size).toBe(20);
    const dataDir = /"dataDir":"([^"]+)"/.exec(s.output())?.[1];
    const store = await createSqliteStore({ dataDir: dataDir! });
    expect((await store.listDevices()).total).toBe(20);
    await store.close();
    await s.stop();
    expect(await s.exited).toBe(0);
    serve = undefined;
  }, 120_000);
});
