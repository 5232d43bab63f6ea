/**
 * PostgreSQL LISTEN/NOTIFY relay against the real server: two relays on one database stand
 * for two ACS processes. Every event arrives once, in order, never echoed back; a relay whose
 * connection the server kills comes back by itself and sends what it buffered meanwhile.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { EventInput } from '../../src/events/bus.js';
import { PgNotifyRelay } from '../../src/events/pg-relay.js';
import { claimPgShared, createTestDatabase, describePg, sql, type TestDatabase } from '../store/pg-helpers.js';

const describeWithPg = await describePg();

const ev = (i: number, from: string): EventInput => ({ type: 'device.inform', at: i, deviceId: `${from}-${i}`, data: { events: ['2 PERIODIC'], i } });

async function until(check: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describeWithPg('PgNotifyRelay', () => {
  let db: TestDatabase;
  let release: () => void = () => undefined;
  const relays: PgNotifyRelay[] = [];

  beforeAll(async () => {
    release = await claimPgShared();
    db = await createTestDatabase();
  }, 60_000);
  afterAll(async () => {
    for (const r of relays) await r.close();
    await db?.drop();
    release();
  });

  it('carries every event once and in order, between processes only, and survives its connection being killed', async () => {
    const errors: string[] = [];
    const make = async (got: EventInput[], name: string) => {
      const relay = new PgNotifyRelay({ url: db.url, applicationName: name, onError: (e) => errors.push(e.message) });
      relays.push(relay);
      await relay.start((e) => got.push(e));
      expect(relay.connected).toBe(true);
      return relay;
    };
    const atA: EventInput[] = [];
    const atB: EventInput[] = [];
    const a = await make(atA, 'relay-test-a');
    const b = await make(atB, 'relay-test-b');

    // Whatever else is NOTIFYed on the channel (a stray client, a hostile one) is dropped.
    for (const junk of ['not json', '[]', '{"o":"x","e":"no"}', '{"o":"x","e":[{"type":"device.exploded","at":1,"deviceId":"d","data":{}},{"type":"device.inform"}]}']) {
      await sql(db.url, "SELECT pg_notify('flotilla_events', $1)", [junk]);
    }

    const first = Array.from({ length: 2_000 }, (_, i) => ev(i, 'a'));
    for (const e of first) a.send(e);
    b.send(ev(0, 'b'));
    await until(() => atB.length === 2_000 && atA.length === 1);
    expect(atB).toEqual(first);
    expect(atA).toEqual([ev(0, 'b')]);
    // The count moves when the sender's last NOTIFY returns, which may be after B has it.
    await until(() => a.stats.sent === 2_000);
    expect(a.stats.sent).toBe(2_000);

    // The server drops a connection (a restart, a failover, an idle-connection killer).
    const kill = async (name: string) => {
      const killed = await sql<{ ok: boolean }>(db.url, 'SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE application_name = $1', [name]);
      expect(killed).toEqual([{ ok: true }]);
    };
    // The listener's: it listens again by itself.
    await kill('relay-test-b');
    await until(() => b.stats.reconnects === 1 && b.connected);
    const second = Array.from({ length: 50 }, (_, i) => ev(i, 'a2'));
    for (const e of second) a.send(e);
    await until(() => atB.length >= 2_050);
    expect(atB.slice(2_000)).toEqual(second);
    // The sender's: what it publishes meanwhile is buffered, then delivered.
    await kill('relay-test-a');
    await until(() => !a.connected);
    const third = Array.from({ length: 50 }, (_, i) => ev(i, 'a3'));
    for (const e of third) a.send(e);
    await until(() => a.stats.reconnects === 1 && a.connected);
    await until(() => atB.length >= 2_100);
    expect(atB.slice(2_050)).toEqual(third);
    expect(errors).toHaveLength(2);

    // Closing sends what is still pending.
    a.send(ev(1, 'last'));
    await a.close();
    await until(() => atB.length === 2_101);
    expect(atB.at(-1)).toEqual(ev(1, 'last'));
    a.send(ev(2, 'after-close'));
    await new Promise((r) => setTimeout(r, 100));
    expect(atB).toHaveLength(2_101);
  }, 60_000);
});
