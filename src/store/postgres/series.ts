/**
 * The series concern (../concerns/series.ts) on PostgreSQL, migration 36. `samples` is
 * partitioned by range of `at`, one partition per UTC day (samples_pYYYYMMDD) plus a default
 * one for anything outside them; maintainSeries makes the next days' partitions, rolls up
 * hours, and applies retention by DROPping whole day partitions (no row-by-row delete, no
 * bloat), deleting only from the default partition. A sample is written by the same
 * function as the session commit's `samples` op (flotilla_op_samples), which works out a
 * counter's rate in the transaction.
 */
import { randomUUID } from 'node:crypto';
import { HOUR_MS, type HourPoint, type NewSample, type NewSamplingProfile, type SampleSource, type SamplePoint, type SamplingProfile, type SeriesAggregate, type SeriesAggregateQuery, type SeriesMaintenance, type SeriesQuery, type SeriesRetention } from '../concerns/series.js';
import { percentileOffset, profileDefinition, sampleItem, toProfile, type ProfileRow, type SampleItem } from '../series-rows.js';
import type { PgDb } from './db.js';

const DAY_MS = 86_400_000;
/** Day partitions made ahead of time, so inserts never land in the default partition in normal running. */
const DAYS_AHEAD = 2;

export async function appendSamples(db: PgDb, samples: readonly NewSample[]): Promise<number> {
  const byDevice = new Map<string, SampleItem[]>();
  for (const s of [...samples].sort((a, b) => a.at - b.at)) {
    const list = byDevice.get(s.deviceId) ?? [];
    list.push(sampleItem(s));
    byDevice.set(s.deviceId, list);
  }
  if (byDevice.size === 0) return 0;
  // One statement for every device: the function per device, counting what was new.
  const rows = await db.query<{ n: string }>(
    `SELECT coalesce(sum(flotilla_samples_insert(d.key, d.value)), 0) AS n FROM json_each($1::json) AS d`,
    [JSON.stringify(Object.fromEntries(byDevice))],
  );
  return Number(rows[0]?.n ?? 0);
}

interface SampleRow {
  at: string;
  value: string;
  num: number | null;
  rate: number | null;
  source: SampleSource;
}

export async function listSamples(db: PgDb, q: SeriesQuery): Promise<SamplePoint[]> {
  const rows = await db.query<SampleRow>(
    `SELECT at, value, num, rate, source FROM samples WHERE device_id = $1 AND path = $2 AND at >= $3 AND at < $4 ORDER BY at DESC LIMIT $5`,
    [q.deviceId, q.path, q.from, q.to, q.limit],
  );
  return rows.reverse().map((r) => ({ at: Number(r.at), value: r.value, num: r.num, rate: r.rate, source: r.source }));
}

export async function listSampleHours(db: PgDb, q: SeriesQuery): Promise<HourPoint[]> {
  const rows = await db.query<{ hour: string; n: string; min: number | null; max: number | null; sum: number | null }>(
    `SELECT hour, n, min, max, sum FROM sample_hours WHERE device_id = $1 AND path = $2 AND hour >= $3 AND hour < $4 ORDER BY hour DESC LIMIT $5`,
    [q.deviceId, q.path, q.from, q.to, q.limit],
  );
  return rows.reverse().map((r) => {
    const n = Number(r.n);
    return { hour: Number(r.hour), count: n, min: r.min, max: r.max, avg: n > 0 && r.sum !== null ? r.sum / n : null };
  });
}

export async function listSeriesPaths(db: PgDb, deviceId: string): Promise<string[]> {
  const rows = await db.query<{ path: string }>(
    `SELECT path FROM samples WHERE device_id = $1 UNION SELECT path FROM sample_hours WHERE device_id = $1 ORDER BY path`,
    [deviceId],
  );
  return rows.map((r) => r.path);
}

export async function aggregateSamples(db: PgDb, q: SeriesAggregateQuery): Promise<SeriesAggregate> {
  const fractions = q.percentiles.map((p) => p / 100);
  // percentile_disc is the nearest-rank percentile, as the SQLite backend computes it.
  const rows = await db.query<{ n: string; devices: string; min: number | null; max: number | null; avg: number | null; pct: number[] | null }>(
    `SELECT count(*) AS n, count(DISTINCT device_id) AS devices, min(metric) AS min, max(metric) AS max, avg(metric) AS avg,
       CASE WHEN count(*) = 0 OR cardinality($5::float8[]) = 0 THEN NULL ELSE percentile_disc($5::float8[]) WITHIN GROUP (ORDER BY metric) END AS pct
     FROM samples WHERE path = $1 AND at >= $2 AND at < $3 AND metric IS NOT NULL AND ($4::text[] IS NULL OR device_id = ANY ($4::text[]))`,
    [q.path, q.from, q.to, q.deviceIds === null ? null : [...q.deviceIds], fractions],
  );
  const r = rows[0];
  const n = Number(r?.n ?? 0);
  const percentiles: Record<string, number | null> = {};
  q.percentiles.forEach((p, i) => (percentiles[String(p)] = n === 0 ? null : (r?.pct?.[i] ?? null)));
  void percentileOffset;
  return { count: n, devices: Number(r?.devices ?? 0), min: r?.min ?? null, max: r?.max ?? null, avg: r?.avg === null || r?.avg === undefined ? null : Number(r.avg), percentiles };
}

export async function recentSamples(db: PgDb, path: string, since: number, limit: number): Promise<{ deviceId: string; at: number; metric: number }[]> {
  const rows = await db.query<{ device_id: string; at: string; metric: number }>(
    `SELECT device_id, at, metric FROM samples WHERE path = $1 AND at >= $2 AND metric IS NOT NULL ORDER BY device_id, at LIMIT $3`,
    [path, since, limit],
  );
  return rows.map((r) => ({ deviceId: r.device_id, at: Number(r.at), metric: r.metric }));
}

const dayName = (dayStart: number): string => `samples_p${new Date(dayStart).toISOString().slice(0, 10).replace(/-/g, '')}`;

export async function maintainSeries(db: PgDb, r: SeriesRetention): Promise<SeriesMaintenance> {
  return db.transaction(async (tx) => {
    // One maintainer at a time across processes (each `flotilla serve` runs the job).
    await tx.query('SELECT pg_advisory_xact_lock(1718579521)');
    const today = Math.floor(r.now / DAY_MS) * DAY_MS;
    for (let d = 0; d <= DAYS_AHEAD; d++) {
      const start = today + d * DAY_MS;
      const exists = await tx.query(`SELECT 1 FROM pg_class WHERE relname = $1`, [dayName(start)]);
      if (exists.length > 0) continue;
      // A day whose rows already sit in the default partition cannot get its own (they stay there until retention).
      const stray = await tx.query(`SELECT 1 FROM samples_default WHERE at >= $1 AND at < $2 LIMIT 1`, [start, start + DAY_MS]);
      if (stray.length > 0) continue;
      await tx.exec(`CREATE TABLE ${dayName(start)} PARTITION OF samples FOR VALUES FROM (${start}) TO (${start + DAY_MS})`);
    }
    const end = Math.floor(r.now / HOUR_MS) * HOUR_MS;
    const mark = (await tx.query<{ value: string }>(`SELECT value FROM series_state WHERE key = 'rolled_up_to'`))[0]?.value;
    let start: number;
    if (mark === undefined) {
      const oldest = (await tx.query<{ at: string | null }>('SELECT min(at) AS at FROM samples'))[0]?.at ?? null;
      start = oldest === null ? end : Math.floor(Number(oldest) / HOUR_MS) * HOUR_MS;
    } else start = Number(mark) - 2 * HOUR_MS;
    start = Math.max(start, Math.floor((r.now - r.rawRetentionMs) / HOUR_MS) * HOUR_MS);
    let rolledUp = 0;
    if (start < end) {
      const rows = await tx.query<{ n: string }>(
        `WITH up AS (
           INSERT INTO sample_hours (device_id, path, hour, n, min, max, sum)
           SELECT device_id, path, (at / ${HOUR_MS}) * ${HOUR_MS} AS hour, count(*), min(metric), max(metric), sum(metric)
           FROM samples WHERE at >= $1 AND at < $2 AND metric IS NOT NULL
           GROUP BY device_id, path, (at / ${HOUR_MS}) * ${HOUR_MS}
           ON CONFLICT (device_id, path, hour) DO UPDATE SET n = excluded.n, min = excluded.min, max = excluded.max, sum = excluded.sum
           RETURNING 1)
         SELECT count(*) AS n FROM up`,
        [start, end],
      );
      rolledUp = Number(rows[0]?.n ?? 0);
    }
    await tx.query(
      `INSERT INTO series_state (key, value) VALUES ('rolled_up_to', $1) ON CONFLICT (key) DO UPDATE SET value = greatest(series_state.value, excluded.value)`,
      [end],
    );
    // Retention: whole day partitions that ended before the cut are dropped.
    const cut = r.now - r.rawRetentionMs;
    let rawDropped = 0;
    const parts = await tx.query<{ name: string }>(
      `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent
       WHERE p.relname = 'samples' AND c.relname ~ '^samples_p[0-9]{8}$'`,
    );
    for (const { name } of parts) {
      const day = Date.UTC(Number(name.slice(9, 13)), Number(name.slice(13, 15)) - 1, Number(name.slice(15, 17)));
      if (day + DAY_MS > cut) continue;
      rawDropped += Number((await tx.query<{ n: string }>(`SELECT count(*) AS n FROM ${name}`))[0]?.n ?? 0);
      await tx.exec(`DROP TABLE ${name}`);
    }
    // What is left before the cut (the default partition, a partial day) goes row by row.
    const partial = await tx.query<{ n: string }>(`WITH d AS (DELETE FROM samples WHERE at < $1 RETURNING 1) SELECT count(*) AS n FROM d`, [cut]);
    rawDropped += Number(partial[0]?.n ?? 0);
    const hours = await tx.query<{ n: string }>(`WITH d AS (DELETE FROM sample_hours WHERE hour < $1 RETURNING 1) SELECT count(*) AS n FROM d`, [r.now - r.hourlyRetentionMs]);
    return { rolledUp, rawDropped, hoursDropped: Number(hours[0]?.n ?? 0) };
  });
}

const PROFILE_COLUMNS = 'id, name, enabled, interval_seconds, definition, created_at, updated_at';

export async function createSamplingProfile(db: PgDb, p: NewSamplingProfile, now: number): Promise<SamplingProfile> {
  const id = randomUUID();
  await db.run(`INSERT INTO sampling_profiles (${PROFILE_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $6)`, [id, p.name, p.enabled, p.intervalSeconds, profileDefinition(p), now]);
  return { ...p, id, createdAt: now, updatedAt: now };
}

export async function updateSamplingProfile(db: PgDb, id: string, p: NewSamplingProfile, now: number): Promise<SamplingProfile | null> {
  const rows = await db.query<ProfileRow>(
    `UPDATE sampling_profiles SET name = $2, enabled = $3, interval_seconds = $4, definition = $5, updated_at = $6 WHERE id = $1 RETURNING ${PROFILE_COLUMNS}`,
    [id, p.name, p.enabled, p.intervalSeconds, profileDefinition(p), now],
  );
  return rows[0] === undefined ? null : toProfile(rows[0]);
}

export async function listSamplingProfiles(db: PgDb): Promise<SamplingProfile[]> {
  return (await db.query<ProfileRow>(`SELECT ${PROFILE_COLUMNS} FROM sampling_profiles ORDER BY name, id`)).map(toProfile);
}

export async function deleteSamplingProfile(db: PgDb, id: string): Promise<boolean> {
  return (await db.run('DELETE FROM sampling_profiles WHERE id = $1', [id])) > 0;
}
