/**
 * Store micro-benchmarks (SQLite backend): the cost of the session path in the store.
 *
 *   npx tsc && node dist/bench/store.js [--devices 1000] [--sessions 5000]
 *
 * Scenarios, each as openSession + commitSession (what the ACS does per session):
 *  - idle periodic: 12 forced-inform parameters, all unchanged (the common case);
 *  - periodic with 2 of them changed;
 *  - bootstrap: clearTree + 5,000 values (and a variant with the GetParameterNames
 *    answer for the same 5,000 nodes in the same commit).
 * Devices carry a 300-node tree so the B-trees have a realistic depth.
 */
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import type { ParameterValue } from '../src/cwmp/types.js';
import type { ParameterOp, SessionCommit, Store } from '../src/store/types.js';
import { countingStore } from '../src/store/counting.js';
import { deviceIdOf } from '../src/store/device-id.js';
import { createSqliteStore, DATABASE_FILE } from '../src/store/sqlite/index.js';

export interface BenchResult {
  name: string;
  ops: number;
  opsPerSec: number;
  meanMs: number;
  p99Ms: number;
  roundTripsPerOp: number;
}

const INFORM_PARAMS = 12;
const TREE_PARAMS = 300;
const OWNER = 'bench';

const idOf = (i: number) => deviceIdOf({ oui: '00D09E', productClass: 'Bench', serialNumber: `B${i}` });

function commitFor(deviceId: string, at: number, ops: ParameterOp[], events = ['2 PERIODIC']): SessionCommit {
  const serial = deviceId.split('-')[2]!;
  return {
    deviceId,
    lockOwner: OWNER,
    identity: { manufacturer: 'Bench', oui: '00D09E', productClass: 'Bench', serialNumber: serial },
    informAt: at,
    events: events.map((eventCode) => ({ eventCode, commandKey: '' })),
    parameterOps: ops,
    requestOutcomes: [],
    cpeMessages: [],
    log: { deviceId, startedAt: at, endedAt: at, events: [], rpcs: [], cpeRequests: [], outcome: 'ok', linkedRequests: [] },
    releaseLock: true,
  };
}

function informParams(device: number, changed: number, round: number): ParameterValue[] {
  return Array.from({ length: INFORM_PARAMS }, (_, i) => ({
    name: `Device.ManagementServer.Inform${i}`,
    value: i < changed ? `r${round}` : `d${device}-v${i}`,
    type: 'xsd:string',
  }));
}

function treeValues(n: number, tag: string): ParameterValue[] {
  return Array.from({ length: n }, (_, i) => ({
    name: `Device.Obj${Math.floor(i / 25)}.${Math.floor(i / 5) % 5}.Param${i % 5}`,
    value: `${tag}-${i}`,
    type: 'xsd:string',
  }));
}

async function session(store: Store, deviceId: string, at: number, ops: ParameterOp[], events?: string[]): Promise<void> {
  const opened = await store.openSession({ deviceId, lockOwner: OWNER, lockTtlMs: 60_000, now: at });
  if (opened.lock !== 'acquired') throw new Error(`lock busy for ${deviceId}`);
  await store.commitSession(commitFor(deviceId, at, ops, events));
}

async function measure(name: string, store: ReturnType<typeof countingStore>, ops: number, run: (i: number) => Promise<void>): Promise<BenchResult> {
  const times: number[] = [];
  store.reset();
  const start = performance.now();
  for (let i = 0; i < ops; i++) {
    const t = performance.now();
    await run(i);
    times.push(performance.now() - t);
  }
  const total = performance.now() - start;
  times.sort((a, b) => a - b);
  return {
    name,
    ops,
    opsPerSec: (ops * 1000) / total,
    meanMs: total / ops,
    p99Ms: times[Math.min(times.length - 1, Math.floor(times.length * 0.99))]!,
    roundTripsPerOp: store.roundTrips() / ops,
  };
}

export async function runStoreBench(opts: { devices?: number; sessions?: number; bootstraps?: number } = {}): Promise<BenchResult[]> {
  const devices = opts.devices ?? 1000;
  const sessions = opts.sessions ?? 5000;
  const bootstraps = opts.bootstraps ?? 20;
  const dir = mkdtempSync(join(tmpdir(), 'flotilla-bench-store-'));
  const store = countingStore(await createSqliteStore({ dataDir: dir }));
  try {
    let at = Date.now();
    for (let d = 0; d < devices; d++) {
      const ops: ParameterOp[] = [
        { op: 'clearTree' },
        { op: 'setValues', at, touch: false, params: [...informParams(d, 0, 0), ...treeValues(TREE_PARAMS, `d${d}`)] },
      ];
      await session(store, idOf(d), at, ops, ['0 BOOTSTRAP', '1 BOOT']);
    }
    // Warm up (and let the seeding's WAL checkpoints finish) before measuring.
    for (let d = 0; d < devices; d++) {
      at++;
      await session(store, idOf(d), at, [{ op: 'setValues', at, touch: false, params: informParams(d, 0, 0) }]);
    }
    const results: BenchResult[] = [];
    results.push(
      await measure('idle periodic (12 params unchanged)', store, sessions, (i) => {
        const d = i % devices;
        at++;
        return session(store, idOf(d), at, [{ op: 'setValues', at, touch: false, params: informParams(d, 0, 0) }]);
      }),
    );
    results.push(
      await measure('periodic, 2 of 12 params changed', store, sessions, (i) => {
        const d = i % devices;
        at++;
        return session(store, idOf(d), at, [{ op: 'setValues', at, touch: false, params: informParams(d, 2, i) }]);
      }),
    );
    results.push(
      await measure('bootstrap: clearTree + 5,000 values', store, bootstraps, (i) => {
        at++;
        const ops: ParameterOp[] = [{ op: 'clearTree' }, { op: 'setValues', at, touch: false, params: treeValues(5000, `b${i}`) }];
        return session(store, idOf(devices + i), at, ops, ['0 BOOTSTRAP']);
      }),
    );
    results.push(
      await measure('bootstrap: clearTree + 5,000 names + 5,000 values', store, bootstraps, (i) => {
        at++;
        const values = treeValues(5000, `n${i}`);
        const ops: ParameterOp[] = [
          { op: 'clearTree' },
          { op: 'setNames', at, root: 'Device.', nextLevel: false, params: values.map((v) => ({ name: v.name, writable: true })) },
          { op: 'setValues', at, touch: false, params: values },
        ];
        return session(store, idOf(devices + bootstraps + i), at, ops, ['0 BOOTSTRAP']);
      }),
    );
    return results;
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * How long a write waits for another process's transaction before giving up (SQLite
 * busy_timeout): the timing the pass/fail tests no longer assert. The other process is a
 * second connection holding BEGIN IMMEDIATE, which the synchronous driver cannot release
 * while we wait, so the wait runs to the end of the timeout.
 */
export async function busyWaitMs(busyTimeoutMs = 300): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'flotilla-bench-busy-'));
  const store = await createSqliteStore({ dataDir: dir, busyTimeoutMs });
  const other = new Database(join(dir, DATABASE_FILE));
  try {
    other.exec('BEGIN IMMEDIATE');
    const start = performance.now();
    const outcome = await store.openSession({ deviceId: idOf(0), lockOwner: OWNER, lockTtlMs: 1000, now: Date.now() }).then(
      () => 'acquired',
      () => 'busy',
    );
    if (outcome !== 'busy') throw new Error('busy-wait bench: the write went through a held lock');
    return performance.now() - start;
  } finally {
    other.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export function formatResults(results: BenchResult[]): string {
  return results
    .map(
      (r) =>
        `store  ${r.name.padEnd(52)} ${r.opsPerSec.toFixed(0).padStart(7)} ops/s  ` +
        `mean ${r.meanMs.toFixed(3)} ms  p99 ${r.p99Ms.toFixed(3)} ms  ${r.roundTripsPerOp} round trips/op  (n=${r.ops})`,
    )
    .join('\n');
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({
    options: { devices: { type: 'string' }, sessions: { type: 'string' }, bootstraps: { type: 'string' } },
  });
  const results = await runStoreBench({
    devices: values.devices === undefined ? undefined : Number(values.devices),
    sessions: values.sessions === undefined ? undefined : Number(values.sessions),
    bootstraps: values.bootstraps === undefined ? undefined : Number(values.bootstraps),
  });
  console.log(formatResults(results));
  const waited = await busyWaitMs(300);
  console.log(`store  busy_timeout 300 ms: a blocked write gave up after ${waited.toFixed(0)} ms (ratio ${(waited / 300).toFixed(2)})`);
}
