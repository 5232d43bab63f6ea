/**
 * The series concern (../concerns/series.ts) on SQLite: `samples` (raw, one row per device,
 * path and time) and `sample_hours` (hourly roll-ups), migration 36. Retention is a DELETE by
 * time on an index; the roll-up re-does the last hours each run, so late reports are counted.
 */
import { randomUUID } from 'node:crypto';
import { counterRate, HOUR_MS, type HourPoint, type NewSample, type NewSamplingProfile, type SampleSource, type SamplePoint, type SamplingProfile, type SeriesAggregate, type SeriesAggregateQuery, type SeriesMaintenance, type SeriesQuery, type SeriesRetention } from '../concerns/series.js';
import { percentileOffset, profileDefinition, sampleItem, toProfile, type ProfileRow, type SampleItem } from '../series-rows.js';
import { bool, json, type Db } from './db.js';

const PREVIOUS = `SELECT num, at FROM samples WHERE device_id = @device AND path = @path AND at < @at AND num IS NOT NULL ORDER BY at DESC LIMIT 1`;
const INSERT = `INSERT INTO samples (device_id, path, at, value, num, rate, metric, source) VALUES (@device, @path, @at, @value, @num, @rate, @metric, @source)
ON CONFLICT (device_id, path, at) DO NOTHING`;

/** The `samples` write op (a session's commit) and appendSamples: counters get their rate here. */
export function insertSamples(db: Db, device: string, items: readonly SampleItem[]): number {
  let added = 0;
  for (const [path, at, value, num, counter, source] of items) {
    let rate: number | null = null;
    if (counter === 1 && num !== null) {
      const prev = db.get<{ num: number; at: number }>(PREVIOUS, { device, path, at });
      rate = counterRate(prev ?? null, num, at);
    }
    // What roll-ups and aggregates count: a counter's rate, anything else's number.
    const metric = counter === 1 ? rate : num;
    added += db.run(INSERT, { device, path, at, value, num, rate, metric, source });
  }
  return added;
}

export function appendSamples(db: Db, samples: readonly NewSample[]): number {
  const byDevice = new Map<string, SampleItem[]>();
  // In time order per series, so each counter's rate is against the one before it.
  for (const s of [...samples].sort((a, b) => a.at - b.at)) {
    const list = byDevice.get(s.deviceId) ?? [];
    list.push(sampleItem(s));
    byDevice.set(s.deviceId, list);
  }
  return db.immediate(() => {
    let n = 0;
    for (const [device, items] of byDevice) n += insertSamples(db, device, items);
    return n;
  });
}

interface SampleRow {
  at: number;
  value: string;
  num: number | null;
  rate: number | null;
  source: SampleSource;
}

export function listSamples(db: Db, q: SeriesQuery): SamplePoint[] {
  // Newest `limit`, returned oldest first.
  return db
    .all<SampleRow>(
      `SELECT at, value, num, rate, source FROM samples WHERE device_id = @device AND path = @path AND at >= @from AND at < @to ORDER BY at DESC LIMIT @limit`,
      { device: q.deviceId, path: q.path, from: q.from, to: q.to, limit: q.limit },
    )
    .reverse()
    .map((r) => ({ at: r.at, value: r.value, num: r.num, rate: r.rate, source: r.source }));
}

export function listSampleHours(db: Db, q: SeriesQuery): HourPoint[] {
  return db
    .all<{ hour: number; n: number; min: number | null; max: number | null; sum: number | null }>(
      `SELECT hour, n, min, max, sum FROM sample_hours WHERE device_id = @device AND path = @path AND hour >= @from AND hour < @to ORDER BY hour DESC LIMIT @limit`,
      { device: q.deviceId, path: q.path, from: q.from, to: q.to, limit: q.limit },
    )
    .reverse()
    .map((r) => ({ hour: r.hour, count: r.n, min: r.min, max: r.max, avg: r.n > 0 && r.sum !== null ? r.sum / r.n : null }));
}

export function listSeriesPaths(db: Db, deviceId: string): string[] {
  return db
    .all<{ path: string }>(
      `SELECT DISTINCT path FROM (SELECT path FROM samples WHERE device_id = @device UNION SELECT path FROM sample_hours WHERE device_id = @device) ORDER BY path`,
      { device: deviceId },
    )
    .map((r) => r.path);
}

export function aggregateSamples(db: Db, q: SeriesAggregateQuery): SeriesAggregate {
  const scope = q.deviceIds === null ? '' : 'AND device_id IN (SELECT value FROM json_each(@ids))';
  const where = `path = @path AND at >= @from AND at < @to AND metric IS NOT NULL ${scope}`;
  const params = { path: q.path, from: q.from, to: q.to, ...(q.deviceIds !== null ? { ids: json(q.deviceIds) } : {}) };
  return db.read(() => {
    const stats = db.get<{ n: number; devices: number; min: number | null; max: number | null; avg: number | null }>(
      `SELECT count(*) AS n, count(DISTINCT device_id) AS devices, min(metric) AS min, max(metric) AS max, avg(metric) AS avg FROM samples WHERE ${where}`,
      params,
    ) ?? { n: 0, devices: 0, min: null, max: null, avg: null };
    const percentiles: Record<string, number | null> = {};
    for (const p of q.percentiles) {
      percentiles[String(p)] =
        stats.n === 0
          ? null
          : (db.get<{ v: number }>(`SELECT metric AS v FROM samples WHERE ${where} ORDER BY metric LIMIT 1 OFFSET @offset`, { ...params, offset: percentileOffset(p, stats.n) })?.v ?? null);
    }
    return { count: stats.n, devices: stats.devices, min: stats.min, max: stats.max, avg: stats.avg, percentiles };
  });
}

export function recentSamples(db: Db, path: string, since: number, limit: number): { deviceId: string; at: number; metric: number }[] {
  return db.all<{ deviceId: string; at: number; metric: number }>(
    `SELECT device_id AS deviceId, at, metric FROM samples WHERE path = @path AND at >= @since AND metric IS NOT NULL ORDER BY device_id, at LIMIT @limit`,
    { path, since, limit },
  );
}

const WATERMARK = `SELECT value FROM series_state WHERE key = 'rolled_up_to'`;

export function maintainSeries(db: Db, r: SeriesRetention): SeriesMaintenance {
  return db.immediate(() => {
    const end = Math.floor(r.now / HOUR_MS) * HOUR_MS;
    const mark = db.get<{ value: number }>(WATERMARK)?.value ?? null;
    const oldest = db.get<{ at: number | null }>('SELECT min(at) AS at FROM samples')?.at ?? null;
    // The last two hours again each run: reports that came late are counted.
    let start = mark === null ? (oldest === null ? end : Math.floor(oldest / HOUR_MS) * HOUR_MS) : mark - 2 * HOUR_MS;
    start = Math.max(start, Math.floor((r.now - r.rawRetentionMs) / HOUR_MS) * HOUR_MS);
    let rolledUp = 0;
    if (start < end) {
      rolledUp = db.run(
        `INSERT INTO sample_hours (device_id, path, hour, n, min, max, sum)
         SELECT device_id, path, (at / ${HOUR_MS}) * ${HOUR_MS} AS hour, count(*), min(metric), max(metric), sum(metric)
         FROM samples WHERE at >= @start AND at < @end AND metric IS NOT NULL
         GROUP BY device_id, path, hour
         ON CONFLICT (device_id, path, hour) DO UPDATE SET n = excluded.n, min = excluded.min, max = excluded.max, sum = excluded.sum`,
        { start, end },
      );
    }
    db.run(`INSERT INTO series_state (key, value) VALUES ('rolled_up_to', @end) ON CONFLICT (key) DO UPDATE SET value = max(value, excluded.value)`, { end });
    const rawDropped = db.run('DELETE FROM samples WHERE at < @cut', { cut: r.now - r.rawRetentionMs });
    const hoursDropped = db.run('DELETE FROM sample_hours WHERE hour < @cut', { cut: r.now - r.hourlyRetentionMs });
    return { rolledUp, rawDropped, hoursDropped };
  });
}

const PROFILE_COLUMNS = 'id, name, enabled, interval_seconds, definition, created_at, updated_at';

export function createSamplingProfile(db: Db, p: NewSamplingProfile, now: number): SamplingProfile {
  const id = randomUUID();
  db.run(
    `INSERT INTO sampling_profiles (${PROFILE_COLUMNS}) VALUES (@id, @name, @enabled, @interval, @definition, @now, @now)`,
    { id, name: p.name, enabled: bool(p.enabled), interval: p.intervalSeconds, definition: profileDefinition(p), now },
  );
  return { ...p, id, createdAt: now, updatedAt: now };
}

export function updateSamplingProfile(db: Db, id: string, p: NewSamplingProfile, now: number): SamplingProfile | null {
  const changed = db.run(`UPDATE sampling_profiles SET name = @name, enabled = @enabled, interval_seconds = @interval, definition = @definition, updated_at = @now WHERE id = @id`, {
    id,
    name: p.name,
    enabled: bool(p.enabled),
    interval: p.intervalSeconds,
    definition: profileDefinition(p),
    now,
  });
  if (changed === 0) return null;
  const row = db.get<ProfileRow>(`SELECT ${PROFILE_COLUMNS} FROM sampling_profiles WHERE id = @id`, { id });
  return row === undefined ? null : toProfile(row);
}

export function listSamplingProfiles(db: Db): SamplingProfile[] {
  return db.all<ProfileRow>(`SELECT ${PROFILE_COLUMNS} FROM sampling_profiles ORDER BY name, id`).map(toProfile);
}

export function deleteSamplingProfile(db: Db, id: string): boolean {
  return db.run('DELETE FROM sampling_profiles WHERE id = @id', { id }) > 0;
}

