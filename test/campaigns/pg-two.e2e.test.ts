/**
 * A campaign on PostgreSQL with two `flotilla serve` processes (from dist/) behind a TCP
 * balancer, the simulator driving them. Both run the campaign runner; the campaign is leased
 * to one at a time. One process is killed with SIGKILL mid-campaign: the other takes the
 * campaign over when the lease lapses and finishes it. No device is upgraded twice, none is
 * forgotten. (PostgreSQL is mandatory with CI=true, else skipped with one line.)
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Fleet } from '../../src/cpe/index.js';
import { claimPgShared, createTestDatabase, describePg, sql, type TestDatabase } from '../store/pg-helpers.js';
import { ensureBuilt, startBalancer, startServe, type Balancer, type ServeProcess } from '../scale/helpers.js';
import { Api, CR_PASS, CR_USER, until, type Json } from '../nbi/helpers.js';

const describeWithPg = await describePg();
const COUNT = 60;
const TOKEN = 'pg-campaign-admin-token-0123456789';
const VERSION = '6.1.0';

describeWithPg('a campaign on PostgreSQL with two ACS processes, one killed', () => {
  let db: TestDatabase;
  let release: () => void = () => undefined;
  const servers: ServeProcess[] = [];
  let balancer: Balancer | undefined;
  let fleet: Fleet | undefined;
  const installs = new Map<string, number>();

  beforeAll(async () => {
    release = await claimPgShared();
    await ensureBuilt();
    db = await createTestDatabase();
  }, 300_000);

  afterAll(async () => {
    await fleet?.stop();
    await balancer?.close();
    for (const s of servers) await s.kill();
    await db?.drop();
    release();
  });

  const apiOf = (s: ServeProcess): Api => new Api(/"console":"(http:\/\/[^"]+?)\/?"/.exec(s.output())![1]!, TOKEN);
  const filesPortOf = (s: ServeProcess): string => /"files":"http:\/\/127\.0\.0\.1:(\d+)"/.exec(s.output())![1]!;

  it('the survivor finishes the campaign; every device upgraded exactly once', async () => {
    const args = ['--db', db.url, '--allow-unauthenticated-cpes', '--no-stun', '--files-port', '0', '--connection-request-credentials', `${CR_USER}:${CR_PASS}`];
    servers.push(await startServe(args, { FLOTILLA_ADMIN_TOKEN: TOKEN }), await startServe(args, { FLOTILLA_ADMIN_TOKEN: TOKEN }));
    const [victim, survivor] = servers as [ServeProcess, ServeProcess];
    balancer = await startBalancer([victim.port, survivor.port]);
    fleet = new Fleet({
      acsUrl: balancer.url,
      count: COUNT,
      model: 'tr181-router',
      serialPrefix: 'PGC',
      connectionRequests: 'shared',
      connectionRequestCredentials: { username: CR_USER, password: CR_PASS },
      informInterval: 5,
      rebootDelayMs: 300,
      retry: { minimumWait: 0.2, multiplier: 2000 },
      observer: {
        transferDone: (r) => {
          if (r.fileType.startsWith('1 ') && r.faultCode === 0) installs.set(r.serialNumber, (installs.get(r.serialNumber) ?? 0) + 1);
        },
      },
    });
    await fleet.start();
    const a = apiOf(victim);
    const b = apiOf(survivor);
    await until(async () => (await b.get('/devices?limit=1')).body?.total === COUNT, 90_000);

    // The bytes live in the database: either process serves them.
    const up = await fetch(`${a.base}/api/v1/files?${new URLSearchParams({ name: `fw-${VERSION}.bin`, fileType: '1 Firmware Upgrade Image', version: VERSION })}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/octet-stream' },
      body: randomBytes(48 * 1024),
    });
    expect(up.status).toBe(201);
    const fileId = ((await up.json()) as { id: string }).id;
    const created = await a.post('/campaigns', { name: 'two processes', fileId, waves: [{ size: 5 }, { percent: 100 }], limits: { maxConcurrent: 8 } });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    // Both processes see it (one store).
    expect((await b.get(`/campaigns/${id}`)).body.state).toBe('running');

    await until(async () => (await b.get(`/campaigns/${id}`)).body.counts.succeeded >= 12, 120_000);
    await victim.kill();
    servers.shift();

    await until(async () => (await b.get(`/campaigns/${id}`)).body.state === 'done', 300_000);
    let c = (await b.get(`/campaigns/${id}`)).body as Json;
    expect(c.counts.succeeded + c.counts.failed).toBe(COUNT);
    if (c.counts.failed > 0) {
      // Transfers that were going through the dead process's file endpoint.
      expect((await b.post(`/campaigns/${id}/retry-failed`)).body.retried).toBe(c.counts.failed);
      await until(async () => (await b.get(`/campaigns/${id}`)).body.state === 'done', 180_000);
      c = (await b.get(`/campaigns/${id}`)).body;
    }
    expect(c.counts).toMatchObject({ succeeded: COUNT, failed: 0 });
    for (const cpe of fleet.cpes) expect(installs.get(cpe.serialNumber), cpe.serialNumber).toBe(1);
    // The survivor's runner made downloads (its transfer endpoint is in their URLs): it took the campaign over or had it all along.
    const urls = await sql<{ url: string }>(db.url, "SELECT task->>'url' AS url FROM tasks WHERE type = 'download'");
    expect(urls.some((r) => r.url.includes(`:${filesPortOf(survivor)}/`))).toBe(true);
  }, 900_000);
});
