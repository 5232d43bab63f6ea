/**
 * KPI time-series ingest (docs/monitoring.md): reports from `--devices` simulated CPEs (5
 * sampled parameters each, two of them counters, so rates are worked out on the way in), one
 * appendSamples call per report, as a bulk-data endpoint would store them; then the hourly
 * roll-up over what was written. Prints samples per second on SQLite and, when
 * FLOTILLA_BENCH_PG (a postgres:// URL of an empty, throwaway database) is set, PostgreSQL.
 *
 *   node dist/bench/series.js [--devices 10000] [--reports 2]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NewSample, Store } from '../src/store/types.js';
import { createSqliteStore } from '../src/store/sqlite/index.js';
import { createPostgresStore } from '../src/store/postgres/index.js';

const arg = (name: string, dflt: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};
const DEVICES = arg('devices', 10_000);
const REPORTS = arg('reports', 2);
const PARAMS: [string, boolean][] = [
  ['Device.IP.Interface.1.Stats.BytesReceived', true],
  ['Device.IP.Interface.1.Stats.BytesSent', true],
  ['Device.WiFi.AccessPoint.1.AssociatedDeviceNumberOfEntries', false],
  ['Device.DeviceInfo.ProcessStatus.CPUUsage', false],
  ['Device.DeviceInfo.MemoryStatus.Free', false],
];

async function run(name: string, store: Store): Promise<void> {
  const t0 = Date.UTC(2026, 0, 1);
  let samples = 0;
  const start = process.hrtime.bigint();
  for (let r = 0; r < REPORTS; r++) {
    for (let d = 0; d < DEVICES; d++) {
      const at = t0 + r * 300_000 + d;
      const report: NewSample[] = PARAMS.map(([path, counter], i) => ({
        deviceId: `00D09E-IGD-BENCH${d}`,
        path,
        at,
        value: String(counter ? (r + 1) * 1_000_000 + d : (d + i) % 100),
        counter,
        source: 'bulk',
      }));
      samples += await store.appendSamples(report);
    }
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const rollStart = process.hrtime.bigint();
  const m = await store.maintainSeries({ now: t0 + 2 * 3_600_000, rawRetentionMs: 7 * 86_400_000, hourlyRetentionMs: 90 * 86_400_000 });
  const rollSeconds = Number(process.hrtime.bigint() - rollStart) / 1e9;
  console.log(
    `${name.padEnd(10)} ${String(samples).padStart(8)} samples in ${seconds.toFixed(2)} s = ${Math.round(samples / seconds).toLocaleString('en')} samples/s ` +
      `(${Math.round((DEVICES * REPORTS) / seconds).toLocaleString('en')} reports/s); roll-up of ${m.rolledUp} hourly rows in ${rollSeconds.toFixed(2)} s`,
  );
}

const dir = mkdtempSync(join(tmpdir(), 'flotilla-bench-series-'));
try {
  console.log(`KPI ingest: ${DEVICES} devices × ${REPORTS} reports × ${PARAMS.length} parameters, one store call per report`);
  const sqlite = await createSqliteStore({ dataDir: dir });
  await run('sqlite', sqlite);
  await sqlite.close();
  const pg = process.env.FLOTILLA_BENCH_PG;
  if (pg !== undefined && pg !== '') {
    const store = await createPostgresStore({ url: pg, poolSize: 4 });
    await run('postgres', store);
    await store.close();
  } else console.log('postgres   skipped (set FLOTILLA_BENCH_PG to an empty database URL)');
} finally {
  rmSync(dir, { recursive: true, force: true });
}
