/**
 * How to keep a device's parameter tree in PostgreSQL: one row per node, or one JSONB
 * document per device? Both shapes are built side by side in a scratch database and driven
 * with the statements each would need for the session cases that matter:
 *
 *  - idle periodic: 12 forced-inform values, all unchanged (nearly every session);
 *  - periodic with 2 of the 12 changed;
 *  - bootstrap: forget the tree and write 5,000 values (rare: first contact, factory reset).
 *
 * Each case runs against devices whose stored tree has 300 nodes and against devices with
 * 5,000 nodes (a JSONB document is rewritten whole when anything in it changes, so its cost
 * grows with the tree). Printed per case: mean and p99 latency of the statement(s) and
 * write-ahead-log bytes per operation (what replication and the disks pay).
 *
 *   npx tsc && node dist/bench/pg-params.js [--url postgresql://postgres@127.0.0.1:5432/postgres] [--devices 200] [--ops 2000]
 *
 * The scratch database is created and dropped by the run. The rows variant uses the very
 * statements of src/store/postgres (upsert that skips unchanged rows); the JSONB variant is
 * the best single-statement form found for it (merge only the changed entries, skip the
 * UPDATE entirely when nothing changed).
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import pg from 'pg';

const { values: args } = parseArgs({
  options: {
    url: { type: 'string', default: process.env.FLOTILLA_BENCH_PG_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres' },
    devices: { type: 'string', default: '200' },
    ops: { type: 'string', default: '2000' },
    bootstraps: { type: 'string', default: '40' },
  },
});
const DEVICES = Number(args.devices);
const OPS = Number(args.ops);
const BOOTSTRAPS = Number(args.bootstraps);
const INFORM = 12;

const SCHEMA = `
CREATE TABLE p_rows (
  device_id text COLLATE "C" NOT NULL, path text COLLATE "C" NOT NULL, object boolean NOT NULL,
  value text, type text, writable boolean, notification smallint, access_list text[],
  value_at bigint, names_at bigint, attributes_at bigint,
  PRIMARY KEY (device_id, path)) WITH (fillfactor = 90);
CREATE TABLE p_docs (device_id text COLLATE "C" PRIMARY KEY, tree jsonb NOT NULL);`;

const ROWS_VALUES = `
INSERT INTO p_rows AS p (device_id, path, object, value, type, value_at)
SELECT $1, i.p, right(i.p, 1) = '.', i.v, i.t, $2 FROM jsonb_to_recordset($3::jsonb) AS i(p text, v text, t text)
WHERE NOT EXISTS (SELECT 1 FROM p_rows o WHERE o.device_id = $1 AND o.path = i.p
  AND o.value IS NOT DISTINCT FROM i.v AND o.type IS NOT DISTINCT FROM i.t)
ON CONFLICT (device_id, path) DO UPDATE SET value = excluded.value, type = excluded.type, value_at = excluded.value_at
WHERE p.value IS DISTINCT FROM excluded.value OR p.type IS DISTINCT FROM excluded.type`;
const ROWS_CLEAR = 'DELETE FROM p_rows WHERE device_id = $1';

/** Merge only entries whose value or type differ; no UPDATE at all when none do. */
const DOC_VALUES = `
WITH changed AS (
  SELECT i.p, i.v, i.t FROM p_docs d, jsonb_to_recordset($3::jsonb) AS i(p text, v text, t text)
  WHERE d.device_id = $1 AND ((d.tree -> i.p ->> 'v') IS DISTINCT FROM i.v OR (d.tree -> i.p ->> 't') IS DISTINCT FROM i.t))
UPDATE p_docs d SET tree = d.tree || (
  SELECT jsonb_object_agg(c.p, coalesce(d.tree -> c.p, '{}'::jsonb) || jsonb_build_object('v', c.v, 't', c.t, 'va', $2::bigint))
  FROM changed c)
WHERE d.device_id = $1 AND EXISTS (SELECT 1 FROM changed)`;
const DOC_REPLACE = `
INSERT INTO p_docs (device_id, tree)
SELECT $1, coalesce(jsonb_object_agg(i.p, jsonb_build_object('v', i.v, 't', i.t, 'va', $2::bigint)), '{}')
FROM jsonb_to_recordset($3::jsonb) AS i(p text, v text, t text)
ON CONFLICT (device_id) DO UPDATE SET tree = excluded.tree`;

type Item = { p: string; v: string; t: string };
const tree = (n: number, tag: string): Item[] =>
  Array.from({ length: n }, (_, i) => ({
    p: `Device.Obj${Math.floor(i / 25)}.${Math.floor(i / 5) % 5}.Param${i % 5}`,
    v: `${tag}-${i}`,
    t: 'xsd:string',
  }));
const inform = (d: number, changed: number, round: number): Item[] =>
  Array.from({ length: INFORM }, (_, i) => ({
    p: `Device.ManagementServer.Inform${i}`,
    v: i < changed ? `r${round}` : `d${d}-v${i}`,
    t: 'xsd:string',
  }));

interface Figure {
  shape: string;
  scenario: string;
  meanMs: number;
  p99Ms: number;
  walBytesPerOp: number;
}

async function main(): Promise<void> {
  const admin = new pg.Client({ connectionString: args.url });
  await admin.connect();
  const name = `flotilla_bench_${randomBytes(4).toString('hex')}`;
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(args.url);
  url.pathname = `/${name}`;
  const c = new pg.Client({ connectionString: url.toString() });
  const figures: Figure[] = [];
  try {
    await c.connect();
    await c.query(SCHEMA);
    const wal = async (): Promise<bigint> => BigInt((await c.query<{ l: string }>('SELECT pg_current_wal_lsn() - \'0/0\' AS l')).rows[0]!.l);
    const measure = async (shape: string, scenario: string, ops: number, run: (i: number) => Promise<unknown>): Promise<void> => {
      const times: number[] = [];
      const w0 = await wal();
      const t0 = performance.now();
      for (let i = 0; i < ops; i++) {
        const t = performance.now();
        await run(i);
        times.push(performance.now() - t);
      }
      const total = performance.now() - t0;
      const w1 = await wal();
      times.sort((a, b) => a - b);
      figures.push({
        shape,
        scenario,
        meanMs: total / ops,
        p99Ms: times[Math.min(times.length - 1, Math.floor(times.length * 0.99))]!,
        walBytesPerOp: Number(w1 - w0) / ops,
      });
    };
    const rowsReplace = async (id: string, at: number, items: Item[]): Promise<void> => {
      await c.query('BEGIN');
      await c.query(ROWS_CLEAR, [id]);
      await c.query(ROWS_VALUES, [id, at, JSON.stringify(items)]);
      await c.query('COMMIT');
    };
    const docReplace = (id: string, at: number, items: Item[]) => c.query(DOC_REPLACE, [id, at, JSON.stringify(items)]);

    for (const size of [300, 5000]) {
      const devices = size === 300 ? DEVICES : Math.max(10, Math.floor(DEVICES / 4));
      const ops = size === 300 ? OPS : Math.max(200, Math.floor(OPS / 4));
      const id = (d: number) => `S${size}-D${d}`;
      let at = 1;
      for (let d = 0; d < devices; d++) {
        const items = [...inform(d, 0, 0), ...tree(size, `d${d}`)];
        await rowsReplace(id(d), at, items);
        await docReplace(id(d), at, items);
      }
      await c.query('VACUUM ANALYZE');
      const label = `${size}-node tree`;
      for (const [shape, stmt] of [
        ['rows', ROWS_VALUES],
        ['jsonb', DOC_VALUES],
      ] as const) {
        await measure(shape, `idle periodic, ${label}`, ops, (i) => c.query(stmt, [id(i % devices), ++at, JSON.stringify(inform(i % devices, 0, 0))]));
        await measure(shape, `2 of 12 changed, ${label}`, ops, (i) => c.query(stmt, [id(i % devices), ++at, JSON.stringify(inform(i % devices, 2, i))]));
      }
    }
    const big = tree(5000, 'boot');
    await measure('rows', 'bootstrap: 5,000 values', BOOTSTRAPS, (i) => rowsReplace(`B${i}`, i, big));
    await measure('jsonb', 'bootstrap: 5,000 values', BOOTSTRAPS, (i) => docReplace(`B${i}`, i, big));
    const size = await c.query<{ t: string; b: string; n: string }>(
      `SELECT 'rows' AS t, pg_total_relation_size('p_rows')::text AS b, (SELECT count(*) FROM p_rows)::text AS n
       UNION ALL SELECT 'jsonb', pg_total_relation_size('p_docs')::text, (SELECT count(*) FROM p_rows)::text`,
    );
    for (const f of figures) {
      console.log(
        `pg-params  ${f.shape.padEnd(5)} ${f.scenario.padEnd(36)} mean ${f.meanMs.toFixed(3).padStart(8)} ms  ` +
          `p99 ${f.p99Ms.toFixed(3).padStart(8)} ms  WAL ${Math.round(f.walBytesPerOp).toString().padStart(9)} B/op`,
      );
    }
    for (const r of size.rows) {
      console.log(
        `pg-params  ${r.t.padEnd(5)} total relation size ${(Number(r.b) / 1048576).toFixed(1)} MiB for ${r.n} parameters ` +
          `(${Math.round(Number(r.b) / Number(r.n))} bytes each, indexes and TOAST included)`,
      );
    }
  } finally {
    await c.end().catch(() => undefined);
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  }
}

await main();
