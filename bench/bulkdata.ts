/**
 * TR-232 bulk data ingest, end to end (docs/monitoring.md): `--devices` simulated CPEs
 * (tr181-router models whose Device.BulkData.Profile.1 the ACS's own program would write: 5
 * parameters, two of them counters, JSON NameValuePair, a URL signed for each device) post
 * `--reports` reports each over real HTTP on loopback to the receiver on the transfer
 * endpoint, `--concurrency` at a time; the receiver checks the signature, parses, filters and
 * stores them (counters as rates). Prints samples stored per second on SQLite and on the
 * machine's PostgreSQL (a scratch database, dropped after; `--no-pg` to skip).
 *
 * Reports arriving together are written together (the receiver's group commit: one store call
 * per burst, not per report). The simulator runs in this process. Its share (reading the model, encoding the report) is
 * timed on its own, before the run, and printed apart; the HTTP client's share is not
 * separable and stays in the figure.
 *
 *   node dist/bench/bulkdata.js [--devices 10000] [--reports 2] [--concurrency 64] [--no-pg]
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { bulkDataReceiver, reportUrlFor } from '../src/bulkdata/receiver.js';
import { bulkProfiles, collect, encodeReport, sendReport, type BulkProfile } from '../src/cpe/client/bulkdata.js';
import { closeTransferAgents } from '../src/cpe/client/http.js';
import { createDevice } from '../src/cpe/device.js';
import { loadModel } from '../src/cpe/model/load.js';
import type { CpeDevice } from '../src/cpe/model/device.js';
import { FileRepository } from '../src/files/repository.js';
import { UrlSigner } from '../src/files/signing.js';
import { startTransferServer } from '../src/files/transfer.js';
import { desiredValues } from '../src/session/programs/bulkdata.js';
import { deviceIdOf } from '../src/store/device-id.js';
import { createPostgresStore } from '../src/store/postgres/index.js';
import { createSqliteStore } from '../src/store/sqlite/index.js';
import type { SamplingProfile, Store } from '../src/store/types.js';

const arg = (name: string, dflt: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : NaN;
  return Number.isFinite(v) && v > 0 ? v : dflt;
};
const DEVICES = arg('devices', 10_000);
const REPORTS = arg('reports', 2);
const CONCURRENCY = arg('concurrency', 64);
const PG_URL = process.env.FLOTILLA_BENCH_PG_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const PARAMS = [
  { path: 'Device.IP.Interface.1.Stats.BytesReceived', counter: true },
  { path: 'Device.IP.Interface.1.Stats.BytesSent', counter: true },
  { path: 'Device.WiFi.AccessPoint.1.AssociatedDeviceNumberOfEntries' },
  { path: 'Device.DeviceInfo.ProcessStatus.CPUUsage' },
  { path: 'Device.DeviceInfo.MemoryStatus.Free' },
];

interface Sim {
  id: string;
  model: CpeDevice;
  profile: BulkProfile;
}

/** Configure a device's profile the way the ACS's session program does (AddObject ×, one SetParameterValues). */
function configure(model: CpeDevice, profile: SamplingProfile, url: string): void {
  const add = (objectName: string): number => {
    const r = model.handle({ method: 'AddObject', objectName, parameterKey: 'bench' }).response as { instanceNumber?: number };
    if (r.instanceNumber === undefined) throw new Error(`AddObject ${objectName} refused`);
    return r.instanceNumber;
  };
  const i = add('Device.BulkData.Profile.');
  const list = PARAMS.map((p) => ({ name: `Device.BulkData.Profile.${i}.Parameter.${add(`Device.BulkData.Profile.${i}.Parameter.`)}.Reference`, value: p.path, type: 'xsd:string' }));
  for (const [rel, value, type] of desiredValues(profile, url)) list.push({ name: `Device.BulkData.Profile.${i}.${rel}`, value, type });
  const r = model.handle({ method: 'SetParameterValues', parameterList: list, parameterKey: 'bench' }).response as { method: string };
  if (r.method !== 'SetParameterValuesResponse') throw new Error(`SetParameterValues refused: ${JSON.stringify(r).slice(0, 300)}`);
}

async function pool<T>(items: readonly T[], n: number, fn: (t: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, items.length) }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

async function run(name: string, store: Store): Promise<void> {
  const now = Date.now();
  const profile = await store.createSamplingProfile(
    { name: 'bench', enabled: true, intervalSeconds: 300, parameters: PARAMS, match: {}, bulkData: { encoding: 'JSON', reportFormat: 'NameValuePair' } },
    now,
  );
  const signer = UrlSigner.random();
  let base = '';
  let stored = 0;
  let refused = 0;
  const transfer = await startTransferServer({
    repo: new FileRepository({ store }),
    signer,
    host: '127.0.0.1',
    port: 0,
    realm: 'flotilla',
    mounts: [bulkDataReceiver({ store, profiles: () => [profile], onReport: (r) => (stored += r.stored) })],
  });
  base = transfer.url;
  const urlFor = reportUrlFor(signer, () => base);
  const template = loadModel('tr181-router');
  const sims: Sim[] = [];
  for (let d = 0; d < DEVICES; d++) {
    const model = createDevice(template, { serialNumber: `BULK${String(d).padStart(6, '0')}` });
    const id = deviceIdOf(model.deviceId());
    configure(model, profile, urlFor(id, profile.id, now));
    const [p] = bulkProfiles(model);
    if (p === undefined) throw new Error('the profile did not take');
    sims.push({ id, model, profile: p });
  }

  // The simulator's own share, timed apart: reading the model and encoding, per report.
  const simStart = process.hrtime.bigint();
  for (const s of sims) encodeReport(s.profile, collect(s.model, s.profile.references), now);
  const simPerReport = Number(process.hrtime.bigint() - simStart) / 1e9 / sims.length;

  const cpu0 = process.cpuUsage();
  const start = process.hrtime.bigint();
  for (let r = 0; r < REPORTS; r++) {
    // Earlier collections first (within the receiver's 7 days), 5 minutes apart.
    const at = now - (REPORTS - r) * 300_000;
    for (const [k, s] of sims.entries()) {
      s.model.setInternal(PARAMS[0]!.path, String((r + 1) * 1_000_000 + k));
      s.model.setInternal(PARAMS[1]!.path, String((r + 1) * 400_000 + k));
      s.model.setInternal(PARAMS[3]!.path, String((k + r) % 100));
    }
    await pool(sims, CONCURRENCY, async (s) => {
      const res = await sendReport(s.model, s.profile, at, { timeoutMs: 60_000 });
      if (res.status !== 200) refused++;
    });
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  const reports = DEVICES * REPORTS;
  const simSeconds = simPerReport * reports;
  console.log(
    `${name.padEnd(9)} ${stored.toLocaleString('en')} samples from ${reports.toLocaleString('en')} reports in ${seconds.toFixed(2)} s: ` +
      `${Math.round(stored / seconds).toLocaleString('en')} samples/s, ${Math.round(reports / seconds).toLocaleString('en')} reports/s` +
      `${refused > 0 ? `, ${refused} refused` : ''}; this process's CPU ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s ` +
      `= ${Math.round(stored / ((cpu.user + cpu.system) / 1e6)).toLocaleString('en')} samples per CPU-second (simulator, HTTP both ends, receiver, store client)`,
  );
  console.log(
    `${''.padEnd(9)} simulator share (model read + encode): ${(simPerReport * 1e6).toFixed(0)} µs/report = ${simSeconds.toFixed(2)} s; ` +
      `without it: ${Math.round(stored / Math.max(0.001, seconds - simSeconds)).toLocaleString('en')} samples/s`,
  );
  await transfer.close();
  closeTransferAgents();
}

async function scratchPg(): Promise<{ url: string; drop: () => Promise<void> } | null> {
  const admin = async <T>(fn: (c: pg.Client) => Promise<T>): Promise<T> => {
    const c = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 3000 });
    await c.connect();
    try {
      return await fn(c);
    } finally {
      await c.end();
    }
  };
  const name = `flotilla_bench_bulk_${randomBytes(4).toString('hex')}`;
  try {
    await admin((c) => c.query(`CREATE DATABASE ${name}`));
  } catch (e) {
    console.log(`postgres  skipped (${e instanceof Error ? e.message : String(e)})`);
    return null;
  }
  const url = new URL(PG_URL);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => admin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => undefined) };
}

const dir = mkdtempSync(join(tmpdir(), 'flotilla-bench-bulk-'));
try {
  console.log(`TR-232 bulk data ingest: ${DEVICES.toLocaleString('en')} simulated CPEs × ${REPORTS} reports × ${PARAMS.length} parameters (2 counters), JSON over HTTP, ${CONCURRENCY} at a time`);
  const sqlite = await createSqliteStore({ dataDir: dir });
  await run('sqlite', sqlite);
  await sqlite.close();
  if (!process.argv.includes('--no-pg')) {
    const db = await scratchPg();
    if (db !== null) {
      try {
        const store = await createPostgresStore({ url: db.url, poolSize: 8 });
        await run('postgres', store);
        await store.close();
      } finally {
        await db.drop();
      }
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
