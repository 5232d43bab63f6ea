/**
 * The store's share of a bootstrap: committing a full discovery of a new device (clearTree,
 * the GetParameterNames answer of the whole tree and the GetParameterValues answer of every
 * leaf, in one commit, as the discovery program hands it over) on SQLite (a row per node, then
 * tree sections: src/store/sqlite/sections.ts) and PostgreSQL.
 * The tree is the storm's TR-181 model (tr181-large, ~5,200 nodes), so the figures line up
 * with bench/storm's bootstrap storm.
 *
 *   npx tsc && node dist/bench/store-discovery.js [--commits 40] [--pg postgresql://postgres@127.0.0.1:5432/postgres] [--no-pg] [--floors]
 *
 * Printed per backend: commits per second, mean ms per commit (wall) and this process's CPU
 * per commit and per node (for SQLite the statements run in this process, so CPU is the cost;
 * for PostgreSQL the server's share is the difference between wall and CPU, roughly).
 * PostgreSQL runs in a scratch database the run creates and drops.
 *
 * --floors adds what SQLite itself costs for the same discovery, outside the store, so the
 * store's overhead and the room a new shape would have are visible: the same rows with a bare
 * multi-row INSERT into a table of the same key and columns (no upsert), the same with the
 * default search indexes (the NBI's partial indexes, one per searchable path), and the whole
 * discovery as one JSON document per device (one row).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import pg from 'pg';
import { loadModel } from '../src/cpe/model/load.js';
import type { ParameterInfo, ParameterValue } from '../src/cwmp/types.js';
import { DEFAULT_SEARCHABLE_PATHS } from '../src/nbi/server.js';
import { deviceIdOf } from '../src/store/device-id.js';
import { createPostgresStore } from '../src/store/postgres/index.js';
import { createSqliteStore } from '../src/store/sqlite/index.js';
import type { ParameterOp, SessionCommit, Store } from '../src/store/types.js';

const { values: args } = parseArgs({
  options: {
    commits: { type: 'string', default: '40' },
    pg: { type: 'string', default: process.env.FLOTILLA_BENCH_PG_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres' },
    'no-pg': { type: 'boolean', default: false },
    'no-sqlite': { type: 'boolean', default: false },
    floors: { type: 'boolean', default: false },
  },
});
const COMMITS = Number(args.commits);
const OWNER = 'bench';

const template = loadModel('tr181-large');
const names: ParameterInfo[] = [];
const values: ParameterValue[] = [];
for (const [path, node] of template.index) {
  names.push({ name: path, writable: node.writable });
  if (node.kind === 'param') values.push({ name: path, value: node.value, type: node.type });
}

function discovery(serial: string, at: number): SessionCommit {
  const identity = { manufacturer: 'Bench', oui: template.deviceId.oui, productClass: template.deviceId.productClass, serialNumber: serial };
  const deviceId = deviceIdOf(identity);
  // Values differ per device, as serial numbers and MACs do.
  const vals = values.map((v, i) => (i % 7 === 0 ? { ...v, value: `${v.value}${serial}` } : v));
  const parameterOps: ParameterOp[] = [
    { op: 'clearTree' },
    { op: 'setNames', at, root: template.root, nextLevel: false, params: names },
    { op: 'setValues', at, touch: true, params: vals },
  ];
  return {
    deviceId,
    lockOwner: OWNER,
    identity,
    informAt: at,
    events: [{ eventCode: '0 BOOTSTRAP', commandKey: '' }],
    parameterOps,
    requestOutcomes: [],
    cpeMessages: [],
    log: { deviceId, startedAt: at, endedAt: at, events: [], rpcs: [], cpeRequests: [], outcome: 'ok', linkedRequests: [] },
    releaseLock: true,
  };
}

async function run(label: string, store: Store): Promise<void> {
  const tag = randomBytes(3).toString('hex');
  const commits = Array.from({ length: COMMITS + 5 }, (_, i) => discovery(`D${tag}${i}`, Date.now() + i));
  let wall = 0;
  let cpu = 0;
  for (let i = 0; i < commits.length; i++) {
    const c = commits[i]!;
    const opened = await store.openSession({ deviceId: c.deviceId, lockOwner: OWNER, lockTtlMs: 60_000, now: c.informAt });
    if (opened.lock !== 'acquired') throw new Error('lock busy');
    const t = performance.now();
    const u = process.cpuUsage();
    await store.commitSession(c);
    const du = process.cpuUsage(u);
    // The first few warm the statement caches and the database file up.
    if (i >= 5) {
      wall += performance.now() - t;
      cpu += (du.user + du.system) / 1000;
    }
  }
  const nodes = names.length;
  console.log(
    `store-discovery  ${label.padEnd(10)} ${((COMMITS * 1000) / wall).toFixed(1).padStart(6)} commits/s  ` +
      `${(wall / COMMITS).toFixed(2)} ms/commit wall  ${(cpu / COMMITS).toFixed(2)} ms/commit CPU  ` +
      `${((cpu * 1000) / (COMMITS * nodes)).toFixed(2)} µs/node CPU  (${nodes} nodes, ${values.length} values, n=${COMMITS})`,
  );
  // What the shape costs the reads of a discovered device: a session's stored view of one path,
  // a device page's subtree, the whole device, and a fleet filter on a path nothing indexes.
  const id = commits.at(-1)!.deviceId;
  const leaf = values[Math.floor(values.length / 2)]!.name;
  const sub = leaf.slice(0, leaf.lastIndexOf('.', leaf.lastIndexOf('.') - 1) + 1);
  const reads: [string, number, () => Promise<unknown>][] = [
    ['one path', 200, () => store.readParameters(id, [leaf])],
    ['a subtree', 50, () => store.getDevice(id, { subtree: sub })],
    ['the whole device', 10, () => store.getDevice(id)],
    [`filter, ${COMMITS + 5} devices`, 10, () => store.listDevices({ filters: [{ field: 'parameter', path: leaf, op: 'eq', value: 'x' }] })],
  ];
  const figures: string[] = [];
  for (const [what, n, read] of reads) {
    await read();
    const u = process.cpuUsage();
    for (let i = 0; i < n; i++) await read();
    const du = process.cpuUsage(u);
    figures.push(`${what} ${((du.user + du.system) / n / 1000).toFixed(3)} ms`);
  }
  console.log(`store-discovery  ${label.padEnd(10)} reads (CPU): ${figures.join(', ')}`);
}

if (!args['no-sqlite']) {
  // Rows, then the same discoveries kept in tree sections (src/store/sqlite/sections.ts).
  for (const [label, treeSections] of [['sqlite', false], ['sections', true]] as const) {
    const dir = mkdtempSync(join(tmpdir(), 'flotilla-bench-discovery-'));
    const store = await createSqliteStore({ dataDir: dir, treeSections });
    try {
      await run(label, store);
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }
}

/** SQLite's own cost for the discovery's rows (or one document), with the store's pragmas. */
function floors(): void {
  const dir = mkdtempSync(join(tmpdir(), 'flotilla-bench-floor-'));
  try {
    const db = new Database(join(dir, 'floor.sqlite'));
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('cache_size = -32768');
    const columns = `device_id TEXT NOT NULL, path TEXT NOT NULL, object INTEGER NOT NULL, value TEXT, type TEXT, writable INTEGER,
      notification INTEGER, access_list TEXT, value_at INTEGER, names_at INTEGER, attributes_at INTEGER, PRIMARY KEY (device_id, path)`;
    db.exec(`CREATE TABLE bare (${columns}) WITHOUT ROWID; CREATE TABLE indexed (${columns}) WITHOUT ROWID;
      CREATE TABLE docs (device_id TEXT NOT NULL PRIMARY KEY, doc TEXT NOT NULL) WITHOUT ROWID;`);
    DEFAULT_SEARCHABLE_PATHS.forEach((path, i) => db.exec(`CREATE INDEX indexed_${i} ON indexed (value) WHERE path = '${path}'`));
    const valueOf = new Map(values.map((v) => [v.name, v]));
    const rows = names.map((n) => {
      const v = valueOf.get(n.name);
      return [n.name, n.name.endsWith('.') ? 1 : 0, n.writable ? 1 : 0, v?.value ?? null, v?.type ?? null] as const;
    });
    const BATCH = 256;
    const insertSql = (table: string, n: number): string =>
      `INSERT INTO ${table} (device_id, path, object, writable, names_at, value, type, value_at) VALUES ${Array.from({ length: n }, () => '(@device, ?, ?, ?, @at, ?, ?, @at)').join(',')}`;
    const insertRows = (table: string) => {
      const full = db.prepare(insertSql(table, BATCH));
      const rest = rows.length % BATCH === 0 ? null : db.prepare(insertSql(table, rows.length % BATCH));
      return db.transaction((device: string, at: number) => {
        for (let from = 0; from < rows.length; from += BATCH) {
          const part = rows.slice(from, from + BATCH);
          (part.length === BATCH ? full : rest!).run(...part.flat(), { device, at });
        }
      });
    };
    const putDoc = db.prepare('INSERT INTO docs (device_id, doc) VALUES (?, ?)');
    const doc = db.transaction((device: string) => putDoc.run(device, JSON.stringify(rows)));
    const variants: [string, (device: string, at: number) => unknown][] = [
      ['rows, bare INSERT', insertRows('bare')],
      ['rows + search indexes', insertRows('indexed')],
      ['one JSON document', doc],
    ];
    // The same document as SQLite's binary JSON, an object keyed by path: what a read of one
    // path or a subtree would cost a document shape (docs/scaling.md).
    db.exec('CREATE TABLE jdocs (device_id TEXT NOT NULL PRIMARY KEY, doc BLOB NOT NULL) WITHOUT ROWID');
    const putJsonb = db.prepare('INSERT INTO jdocs (device_id, doc) VALUES (?, jsonb(?))');
    const byPath = (): string => JSON.stringify(Object.fromEntries(rows.map(([path, ...rest]) => [path, rest])));
    const jsonb = db.transaction((device: string) => putJsonb.run(device, byPath()));
    variants.push(['one JSONB object by path', jsonb]);
    // Or one per top-level object ("Device.WiFi."): a path's read walks only its section.
    db.exec('CREATE TABLE sdocs (device_id TEXT NOT NULL, section TEXT NOT NULL, doc BLOB NOT NULL, PRIMARY KEY (device_id, section)) WITHOUT ROWID');
    const putSection = db.prepare('INSERT INTO sdocs (device_id, section, doc) VALUES (?, ?, jsonb(?))');
    const sections = new Map<string, (typeof rows)[number][]>();
    for (const r of rows) {
      const key = sectionOf(r[0]);
      let list = sections.get(key);
      if (list === undefined) sections.set(key, (list = []));
      list.push(r);
    }
    const sectioned = db.transaction((device: string) => {
      for (const [section, list] of sections) putSection.run(device, section, JSON.stringify(Object.fromEntries(list.map(([path, ...rest]) => [path, rest]))));
    });
    variants.push([`${sections.size} JSONB sections`, sectioned]);
    for (const [label, write] of variants) {
      let cpu = 0;
      for (let i = 0; i < COMMITS + 5; i++) {
        const u = process.cpuUsage();
        write(`floor-${label.length}-${i}`, Date.now());
        const du = process.cpuUsage(u);
        if (i >= 5) cpu += (du.user + du.system) / 1000;
      }
      console.log(`store-discovery  sqlite floor: ${label.padEnd(26)} ${(cpu / COMMITS).toFixed(2)} ms/commit CPU  (${rows.length} rows, n=${COMMITS})`);
    }
    readFloors(db, rows.map((r) => r[0]));
    db.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Reads of one device written above, rows against documents: one path (a session's stored
 * view, a filter on one device), a subtree (a device page's section), the whole tree. A
 * document has no index inside: a path is found by walking the JSONB object, a subtree by
 * walking all of it.
 */
/** "Device.WiFi.SSID.1.SSID" → "Device.WiFi.": the section a sectioned document keeps a path in. */
function sectionOf(path: string): string {
  const first = path.indexOf('.');
  const second = first < 0 ? -1 : path.indexOf('.', first + 1);
  return second < 0 ? path.slice(0, first + 1) : path.slice(0, second + 1);
}

function readFloors(db: Database.Database, paths: readonly string[]): void {
  const leaf = paths.filter((p) => !p.endsWith('.'))[Math.floor(paths.length / 2)]!;
  // The leaf's grandparent object: a section of a device page (a table's instances).
  const sub = leaf.slice(0, leaf.lastIndexOf('.', leaf.lastIndexOf('.') - 1) + 1);
  const hi = `${sub.slice(0, -1)}/`;
  const rowDevice = (db.prepare('SELECT device_id FROM bare LIMIT 1').get() as { device_id: string }).device_id;
  const docDevice = (db.prepare('SELECT device_id FROM jdocs LIMIT 1').get() as { device_id: string }).device_id;
  const onePath = db.prepare('SELECT value FROM bare WHERE device_id = ? AND path = ?');
  const onePathDoc = db.prepare('SELECT doc ->> ? AS value FROM jdocs WHERE device_id = ?');
  const subtree = db.prepare('SELECT path, value FROM bare WHERE device_id = ? AND path >= ? AND path < ?');
  const subtreeDoc = db.prepare('SELECT j.key, j.value ->> 2 FROM jdocs, json_each(doc) AS j WHERE device_id = ? AND j.key >= ? AND j.key < ?');
  const whole = db.prepare('SELECT path, value FROM bare WHERE device_id = ?');
  const wholeDoc = db.prepare('SELECT j.key, j.value ->> 2 FROM jdocs, json_each(doc) AS j WHERE device_id = ?');
  const sectionDevice = (db.prepare('SELECT device_id FROM sdocs LIMIT 1').get() as { device_id: string }).device_id;
  const onePathSection = db.prepare('SELECT doc ->> ? AS value FROM sdocs WHERE device_id = ? AND section = ?');
  const reads: [string, number, () => unknown][] = [
    ['rows: one path', 2000, () => onePath.get(rowDevice, leaf)],
    ['JSONB: one path', 200, () => onePathDoc.get(`$."${leaf}"[2]`, docDevice)],
    ['JSONB section: one path', 2000, () => onePathSection.get(`$."${leaf}"[2]`, sectionDevice, sectionOf(leaf))],
    ['rows: a subtree', 200, () => subtree.all(rowDevice, sub, hi)],
    ['JSONB: a subtree', 100, () => subtreeDoc.all(docDevice, sub, hi)],
    ['rows: the whole tree', 50, () => whole.all(rowDevice)],
    ['JSONB: the whole tree', 50, () => wholeDoc.all(docDevice)],
  ];
  for (const [label, n, read] of reads) {
    let result: unknown;
    const u = process.cpuUsage();
    for (let i = 0; i < n; i++) result = read();
    const du = process.cpuUsage(u);
    const got = Array.isArray(result) ? `${result.length} rows` : JSON.stringify(result).slice(0, 40);
    console.log(`store-discovery  sqlite read floor: ${label.padEnd(22)} ${((du.user + du.system) / n).toFixed(1).padStart(8)} µs CPU  (${got}, n=${n})`);
  }
}

if (!args['no-sqlite'] && args.floors) floors();

if (!args['no-pg']) {
  const admin = new pg.Client({ connectionString: args.pg });
  await admin.connect();
  const database = `flotilla_bench_${randomBytes(4).toString('hex')}`;
  await admin.query(`CREATE DATABASE ${database}`);
  try {
    const url = new URL(args.pg);
    url.pathname = `/${database}`;
    const store = await createPostgresStore({ url: url.href });
    try {
      await run('postgres', store);
    } finally {
      await store.close();
    }
  } finally {
    await admin.query(`DROP DATABASE ${database} WITH (FORCE)`);
    await admin.end();
  }
}
