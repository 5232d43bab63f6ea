/**
 * Device search on a large fleet (SQLite): milliseconds per NBI device listing with a filter
 * on a parameter, through the store and through the HTTP API; and what search indexes cost
 * the writes (a 5,000-value bootstrap commit and an idle periodic session).
 *
 *   npx tsc && node dist/bench/nbi-query.js [--devices 100000] [--queries 20] [--data-dir DIR]
 *
 * With --data-dir the seeded store is kept there and reused by the next run (seeding 100,000
 * devices takes a minute or two).
 *
 * The fleet: each device has 40 parameters (12 like forced-inform ones, the rest a small
 * tree), SoftwareVersion one of 20 versions (searchable by default), ModelName one of 5,
 * a numeric counter that is NOT searchable, 1 % tagged, Informs spread over a day.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import type { ParameterValue } from '../src/cwmp/types.js';
import { DEFAULT_SEARCHABLE_PATHS, startNbi } from '../src/nbi/server.js';
import { deviceIdOf } from '../src/store/device-id.js';
import { createSqliteStore } from '../src/store/sqlite/index.js';
import type { DeviceQuery, ParameterOp, SessionCommit, Store } from '../src/store/types.js';

const SW = 'Device.DeviceInfo.SoftwareVersion';
const MODEL = 'Device.DeviceInfo.ModelName';
const COUNTER = 'Device.X_Bench.Counter';
const OWNER = 'bench';
const TOKEN = 'bench-admin-token-0123456789';

const idOf = (i: number): string => deviceIdOf({ oui: '00D09E', productClass: 'Bench', serialNumber: `B${String(i).padStart(7, '0')}` });

function commitFor(deviceId: string, at: number, ops: ParameterOp[], events: string[]): SessionCommit {
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

function deviceParams(i: number): ParameterValue[] {
  const p: ParameterValue[] = [
    { name: SW, value: `3.${i % 20}.0`, type: 'xsd:string' },
    { name: MODEL, value: `Model-${i % 5}`, type: 'xsd:string' },
    { name: COUNTER, value: String((i * 7919) % 100_000), type: 'xsd:unsignedInt' },
  ];
  for (let k = 0; k < 37; k++) p.push({ name: `Device.Obj${k % 6}.${k % 3}.Param${k}`, value: `d${i}-${k}`, type: 'xsd:string' });
  return p;
}

async function seed(store: Store, devices: number, start: number): Promise<void> {
  const t = performance.now();
  for (let i = 0; i < devices; i++) {
    const at = start + Math.floor((i / devices) * 86_400_000);
    await store.commitSession(commitFor(idOf(i), at, [{ op: 'setValues', at, touch: false, params: deviceParams(i) }], ['0 BOOTSTRAP', '1 BOOT']));
    if (i % 100 === 0) await store.setTags(idOf(i), ['tagged'], []);
    if (i > 0 && i % 20_000 === 0) process.stderr.write(`  seeded ${i} devices (${((performance.now() - t) / 1000).toFixed(0)} s)\n`);
  }
}

async function timeIt(n: number, fn: () => Promise<unknown>): Promise<{ mean: number; p50: number; max: number }> {
  await fn(); // warm the statement and the page cache
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await fn();
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return { mean: times.reduce((a, b) => a + b, 0) / n, p50: times[Math.floor(n / 2)]!, max: times.at(-1)! };
}

interface QueryCase {
  name: string;
  query: DeviceQuery;
  /** The same question as NBI query-string parameters. */
  http: string;
}

const CASES: QueryCase[] = [
  {
    name: 'SoftwareVersion = v (searchable; 5 % match), 50 + total',
    query: { filters: [{ field: 'parameter', path: SW, op: 'eq', value: '3.7.0' }], limit: 50 },
    http: `filter=${encodeURIComponent(`${SW} = 3.7.0`)}&limit=50`,
  },
  {
    name: 'SoftwareVersion = v, newest first, 50 + 2 projected params',
    query: { filters: [{ field: 'parameter', path: SW, op: 'eq', value: '3.7.0' }], sort: { key: 'lastInform', descending: true }, limit: 50, parameters: [SW, MODEL] },
    http: `filter=${encodeURIComponent(`${SW} = 3.7.0`)}&sort=-lastInform&limit=50&fields=${encodeURIComponent(`id,lastInform,${SW},${MODEL}`)}`,
  },
  {
    name: 'SoftwareVersion = v AND ModelName = m (both searchable)',
    query: { filters: [{ field: 'parameter', path: SW, op: 'eq', value: '3.7.0' }, { field: 'parameter', path: MODEL, op: 'eq', value: 'Model-2' }], limit: 50 },
    http: `filter=${encodeURIComponent(`${SW} = 3.7.0`)}&filter=${encodeURIComponent(`${MODEL} = Model-2`)}&limit=50`,
  },
  {
    name: 'SoftwareVersion ^= "3.1" (prefix, searchable; 55 % match)',
    query: { filters: [{ field: 'parameter', path: SW, op: 'prefix', value: '3.1' }], limit: 50 },
    http: `filter=${encodeURIComponent(`${SW} ^= 3.1`)}&limit=50`,
  },
  {
    name: 'Counter = n (NOT searchable: one probe per device)',
    query: { filters: [{ field: 'parameter', path: COUNTER, op: 'eq', value: '7919' }], limit: 50 },
    http: `filter=${encodeURIComponent(`${COUNTER} = 7919`)}&limit=50`,
  },
  {
    name: 'Counter > n (numeric, NOT searchable)',
    query: { filters: [{ field: 'parameter', path: COUNTER, op: 'gt', value: '99000' }], limit: 50 },
    http: `filter=${encodeURIComponent(`${COUNTER} > 99000`)}&limit=50`,
  },
  {
    name: 'tag = tagged (1 %)',
    query: { filters: [{ field: 'tag', op: 'eq', value: 'tagged' }], limit: 50 },
    http: `filter=${encodeURIComponent('tag = tagged')}&limit=50`,
  },
  {
    name: 'no filter, newest first, 50 + total',
    query: { sort: { key: 'lastInform', descending: true }, limit: 50 },
    http: 'sort=-lastInform&limit=50',
  },
];

export async function runNbiQueryBench(
  opts: { devices?: number; queries?: number; writeDevices?: number; dataDir?: string } = {},
): Promise<string[]> {
  const devices = opts.devices ?? 100_000;
  const n = opts.queries ?? 20;
  const dir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'flotilla-bench-nbi-'));
  const store = await createSqliteStore({ dataDir: dir });
  const lines: string[] = [];
  try {
    await store.setSearchablePaths(DEFAULT_SEARCHABLE_PATHS);
    const have = (await store.listDevices({ limit: 0 })).total;
    if (have !== devices) {
      if (have !== 0) throw new Error(`${dir} holds ${have} devices, not ${devices}: use another --data-dir`);
      const seeded = performance.now();
      await seed(store, devices, Date.now() - 86_400_000);
      lines.push(`nbi-query  seeded ${devices} devices x 40 parameters in ${((performance.now() - seeded) / 1000).toFixed(1)} s`);
    } else {
      lines.push(`nbi-query  reusing ${devices} devices in ${dir}`);
    }

    const nbi = await startNbi({ store, host: '127.0.0.1', port: 0, adminToken: TOKEN, connectionRequests: false });
    try {
      for (const c of CASES) {
        const page = await store.listDevices(c.query);
        const direct = await timeIt(n, () => store.listDevices(c.query));
        const http = await timeIt(n, async () => {
          const res = await fetch(`${nbi.url}/api/v1/devices?${c.http}`, { headers: { authorization: `Bearer ${TOKEN}` } });
          if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${await res.text()}`);
          return res.json();
        });
        lines.push(
          `nbi-query  ${c.name.padEnd(62)} total ${String(page.total).padStart(6)}  ` +
            `store ${direct.mean.toFixed(2).padStart(7)} ms (p50 ${direct.p50.toFixed(2)})  HTTP ${http.mean.toFixed(2).padStart(7)} ms (p50 ${http.p50.toFixed(2)})`,
        );
      }
      // Deep keyset paging: the 100th page of 50 costs what the first does.
      let after: DeviceQuery['after'];
      const q: DeviceQuery = { filters: [{ field: 'parameter', path: SW, op: 'eq', value: '3.7.0' }], sort: { key: 'lastInform', descending: true }, limit: 50 };
      for (let p = 0; p < 99; p++) after = (await store.listDevices({ ...q, ...(after ? { after } : {}) })).next ?? undefined;
      const deep = await timeIt(n, () => store.listDevices({ ...q, ...(after ? { after } : {}) }));
      lines.push(`nbi-query  ${'the same, 100th page by cursor'.padEnd(62)} ${''.padStart(12)}  store ${deep.mean.toFixed(2).padStart(7)} ms`);
    } finally {
      await nbi.close();
    }
  } finally {
    await store.close();
    if (opts.dataDir === undefined) rmSync(dir, { recursive: true, force: true });
  }
  lines.push(...(await writeCost(opts.writeDevices ?? 200)));
  return lines;
}

/**
 * What search indexes cost writers. Three stores with the same fleet (`devices` devices with
 * the same 5,000-parameter tree, so a new device's rows land all over a fleet-wide index the
 * way they would in production): the default partial indexes, none, and the fleet-wide
 * (path, value) index migration 2 dropped. Rounds alternate between the stores (the machine
 * is shared; the best and the median of each are printed).
 */
async function writeCost(devices: number): Promise<string[]> {
  const TREE = 5000;
  const tree = (tag: string): ParameterValue[] => {
    const p: ParameterValue[] = deviceParams(0).slice(0, 3).map((x) => ({ ...x, value: `${x.value}-${tag}` }));
    for (let k = 0; k < TREE; k++) p.push({ name: `Device.Obj${k % 50}.${k % 7}.P${k}`, value: `${tag}-${k % 97}`, type: 'xsd:string' });
    return p;
  };
  const configs: { label: string; setup: (store: Store, dir: string) => Promise<void> }[] = [
    { label: `${DEFAULT_SEARCHABLE_PATHS.length} partial search indexes (default)`, setup: (st) => st.setSearchablePaths(DEFAULT_SEARCHABLE_PATHS) },
    { label: 'no search index', setup: (st) => st.setSearchablePaths([]) },
    {
      label: 'fleet-wide (path, value) index',
      setup: async (st, d) => {
        await st.setSearchablePaths([]);
        const { Db } = await import('../src/store/sqlite/db.js');
        const raw = new Db(join(d, 'flotilla.db'));
        raw.raw.exec('CREATE INDEX IF NOT EXISTS bench_path_value ON parameters (path, value)');
        raw.close();
      },
    },
  ];
  const stores: { label: string; store: Store; dir: string; boot: number[]; idle: number[] }[] = [];
  try {
    for (const c of configs) {
      const d = mkdtempSync(join(tmpdir(), 'flotilla-bench-nbi-w-'));
      const st = await createSqliteStore({ dataDir: d });
      await c.setup(st, d);
      const at = Date.now();
      for (let i = 0; i < devices; i++) {
        await st.commitSession(commitFor(idOf(i), at, [{ op: 'setValues', at, touch: false, params: tree(`d${i}`) }], ['0 BOOTSTRAP']));
      }
      stores.push({ label: c.label, store: st, dir: d, boot: [], idle: [] });
    }
    for (let round = 0; round < 12; round++) {
      for (const x of stores) {
        const at = Date.now();
        const id = idOf(devices + round);
        let t = performance.now();
        await x.store.commitSession(commitFor(id, at, [{ op: 'clearTree' }, { op: 'setValues', at, touch: false, params: tree(`r${round}`) }], ['0 BOOTSTRAP']));
        x.boot.push(performance.now() - t);
        for (let k = 0; k < 20; k++) {
          const dev = idOf((round * 20 + k) % devices);
          t = performance.now();
          await x.store.openSession({ deviceId: dev, lockOwner: OWNER, lockTtlMs: 60_000, now: at });
          await x.store.commitSession(commitFor(dev, at, [{ op: 'setValues', at, touch: false, params: tree(`d${(round * 20 + k) % devices}`).slice(0, 12) }], ['2 PERIODIC']));
          x.idle.push(performance.now() - t);
        }
      }
    }
    const stat = (xs: number[]): string => {
      const sorted = [...xs].sort((a, b) => a - b);
      return `best ${sorted[0]!.toFixed(2)} median ${sorted[Math.floor(sorted.length / 2)]!.toFixed(2)}`;
    };
    return stores.map(
      (x) => `nbi-query  write cost, ${x.label.padEnd(40)} bootstrap of 5,000 values ${stat(x.boot)} ms   idle session ${stat(x.idle)} ms`,
    );
  } finally {
    for (const x of stores) {
      await x.store.close();
      rmSync(x.dir, { recursive: true, force: true });
    }
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({
    options: { devices: { type: 'string' }, queries: { type: 'string' }, 'write-devices': { type: 'string' }, 'data-dir': { type: 'string' } },
  });
  const lines = await runNbiQueryBench({
    ...(values['data-dir'] !== undefined ? { dataDir: values['data-dir'] } : {}),
    ...(values['write-devices'] !== undefined ? { writeDevices: Number(values['write-devices']) } : {}),
    ...(values.devices !== undefined ? { devices: Number(values.devices) } : {}),
    ...(values.queries !== undefined ? { queries: Number(values.queries) } : {}),
  });
  console.log(lines.join('\n'));
}
