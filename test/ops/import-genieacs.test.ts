/**
 * `flotilla import-genieacs`: the five real device dumps (../shared/device-models, GenieACS's
 * own CSV export of a device) turned into the documents `mongoexport` writes for GenieACS's
 * `devices` collection (Extended JSON dates, typed `_value`s, `_tags`, a VirtualParameters
 * root), imported by the CLI into SQLite and PostgreSQL, and read back: the device count,
 * every value, the tags and the times round-trip. Broken lines are refused and counted;
 * nothing of them is stored.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseCsv } from '../../src/cpe/model/csv.js';
import { deviceIdOf } from '../../src/store/device-id.js';
import { fromGenieacsDevice, ImportError } from '../../src/store/genieacs-import.js';
import { openStore } from '../../src/store/open.js';
import { claimPgShared, createTestDatabase, describePg, type TestDatabase } from '../store/pg-helpers.js';

const main = resolve(__dirname, '../../dist/src/cli/main.js');
const DUMPS = join(import.meta.dirname, '../../../shared/device-models');
const haveDumps = existsSync(DUMPS);
if (!haveDumps) console.log(`import-genieacs: skipped, ${DUMPS} (the real device dumps) is not here`);

interface Expected {
  id: string;
  values: Map<string, string>;
  objects: string[];
  tags: string[];
  lastInform: number;
  lastBoot: number;
}

/** A dump as GenieACS's document, and what Flotilla must hold after the import. */
function documentOf(file: string, n: number): { doc: Record<string, unknown>; expected: Expected } {
  const [header, ...rows] = parseCsv(readFileSync(join(DUMPS, file), 'utf8'));
  const col = (name: string) => header!.indexOf(name);
  const [P, O, W, V, T] = ['Parameter', 'Object', 'Writable', 'Value', 'Value type'].map(col) as [number, number, number, number, number];
  const doc: Record<string, unknown> = {};
  const values = new Map<string, string>();
  const objects: string[] = [];
  const nodeAt = (parts: string[]): Record<string, unknown> => {
    let node = doc;
    for (const p of parts) node = (node[p] ??= {}) as Record<string, unknown>;
    return node;
  };
  for (const r of rows) {
    const path = r[P];
    // GenieACS's own roots (derived from _deviceId, _lastInform, _tags…) are not in the stored document.
    if (path === undefined || path === '' || /^(DeviceID|Events|Tags|VirtualParameters|Downloads|Reboot|FactoryReset)(\.|$)/.test(path)) continue;
    const parts = path.split('.');
    const node = nodeAt(parts);
    node._writable = r[W] === 'true';
    node._timestamp = { $date: '2023-05-25T20:36:00.718Z' };
    if (r[O] === 'true') {
      node._object = true;
      objects.push(`${path}.`);
      continue;
    }
    node._object = false;
    const type = r[T] || 'xsd:string';
    const text = r[V] ?? '';
    node._type = type;
    // Typed as GenieACS keeps them: booleans and numbers as JSON, dates as $date.
    if (type === 'xsd:boolean' && (text === 'true' || text === 'false')) node._value = text === 'true';
    else if (/int$/i.test(type) && /^-?\d+$/.test(text) && String(Number(text)) === text) node._value = Number(text);
    else if (type === 'xsd:dateTime' && !Number.isNaN(Date.parse(text)) && new Date(text).toISOString() === text) node._value = { $date: text };
    else node._value = text;
    values.set(path, text);
  }
  const root = 'Device' in doc ? 'Device' : 'InternetGatewayDevice';
  const info = (leaf: string) => values.get(`${root}.DeviceInfo.${leaf}`) ?? '';
  const identity = { manufacturer: info('Manufacturer'), oui: info('ManufacturerOUI') || '00AA00', productClass: info('ProductClass'), serialNumber: `${info('SerialNumber') || 'SN'}-${n}` };
  const lastInform = Date.parse('2024-03-01T10:00:00.000Z') + n * 1000;
  const lastBoot = lastInform - 3_600_000;
  const tags = [`model-${n}`, 'from-genieacs'];
  return {
    doc: {
      _id: deviceIdOf(identity),
      _deviceId: { _Manufacturer: identity.manufacturer, _OUI: identity.oui, _ProductClass: identity.productClass, _SerialNumber: identity.serialNumber },
      _registered: { $date: { $numberLong: String(lastInform - 86_400_000) } },
      _lastInform: { $date: new Date(lastInform).toISOString() },
      _lastBoot: { $date: new Date(lastBoot).toISOString() },
      _tags: tags,
      VirtualParameters: { _object: true, uptime: { _value: 1, _type: 'xsd:int' } },
      ...doc,
    },
    expected: { id: deviceIdOf(identity), values, objects, tags, lastInform, lastBoot },
  };
}

const dumps = haveDumps ? readdirSync(DUMPS).filter((f) => f.endsWith('.csv')).sort() : [];
const built = dumps.map((f, i) => documentOf(f, i + 1));

const BAD_LINES = [
  '{not json',
  JSON.stringify({ _id: 'x' }), // no _deviceId
  JSON.stringify({ _deviceId: { _OUI: '', _SerialNumber: 'S' } }),
  JSON.stringify({ _deviceId: { _OUI: 'AA', _SerialNumber: 'EVIL1' }, Device: { 'a.b': { _value: 'x', _type: 'xsd:string' } } }),
  JSON.stringify({ _deviceId: { _OUI: 'AA', _SerialNumber: 'EVIL2' }, Device: JSON.parse('{"x":'.repeat(40) + '{"_value":"deep"}' + '}'.repeat(40)) }),
];

function cli(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [main, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

async function checkStore(where: { db?: string; dataDir: string }): Promise<void> {
  const store = await openStore({ ...where, poolSize: 1 });
  try {
    const page = await store.listDevices({ limit: 100 });
    expect(page.total).toBe(built.length);
    for (const { expected } of built) {
      const d = await store.getDevice(expected.id);
      expect(d, expected.id).not.toBeNull();
      expect(d!.tags.sort()).toEqual([...expected.tags].sort());
      expect(d!.lastInform).toBe(expected.lastInform);
      expect(d!.lastBoot).toBe(expected.lastBoot);
      expect(d!.firstInform).toBe(expected.lastInform - 86_400_000);
      const stored = new Map(d!.parameters.map((p) => [p.path, p]));
      for (const o of expected.objects) expect(stored.get(o)?.object, o).toBe(true);
      let compared = 0;
      for (const [path, value] of expected.values) {
        const s = stored.get(path);
        expect(s, path).toBeDefined();
        // A blank password is not a value (a read of a secret tells nothing).
        if (value === '' && s!.value === null) continue;
        expect(s!.value, path).toBe(value);
        compared++;
      }
      expect(compared).toBeGreaterThan(100);
      expect([...stored.keys()].some((p) => p.startsWith('VirtualParameters'))).toBe(false);
    }
    expect((await store.listDevices({ filters: [{ field: 'serialNumber', op: 'prefix', value: 'EVIL' }] })).total).toBe(0);
  } finally {
    await store.close();
  }
}

describe.skipIf(!haveDumps)('flotilla import-genieacs', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'flotilla-import-'));
    await writeFile(join(dir, 'devices.json'), built.map((b) => JSON.stringify(b.doc)).join('\n') + '\n');
    await writeFile(join(dir, 'devices-array.json'), JSON.stringify(built.map((b) => b.doc)));
    await writeFile(join(dir, 'mixed.json'), [...BAD_LINES, ...built.map((b) => JSON.stringify(b.doc))].join('\n'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('converts a document: identity, times, tags, typed values; GenieACS roots left out', () => {
    const dev = fromGenieacsDevice(built[0]!.doc);
    expect(dev.id).toBe(built[0]!.expected.id);
    expect(dev.skippedRoots).toEqual(['VirtualParameters']);
    expect(dev.lastInform).toBe(built[0]!.expected.lastInform);
    expect(dev.registered).toBe(built[0]!.expected.lastInform - 86_400_000);
    expect(() => fromGenieacsDevice(JSON.parse(BAD_LINES[3]!))).toThrow(ImportError);
    expect(() => fromGenieacsDevice(JSON.parse(BAD_LINES[4]!))).toThrow(/deeper than/);
    expect(() => fromGenieacsDevice([])).toThrow(ImportError);
  });

  it('imports into SQLite (lines, then an array file), verifies, and counts what was already there', async () => {
    const data = join(dir, 'sqlite');
    const r = cli(['import-genieacs', join(dir, 'devices.json'), '--data-dir', data]);
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ documents: built.length, imported: built.length, verified: built.length, refused: 0, exists: 0 });
    await checkStore({ dataDir: data });
    const again = cli(['import-genieacs', join(dir, 'devices-array.json'), '--data-dir', data]);
    expect(again.status, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ documents: built.length, imported: 0, exists: built.length });
    const replace = cli(['import-genieacs', join(dir, 'devices-array.json'), '--data-dir', data, '--replace']);
    expect(JSON.parse(replace.stdout)).toMatchObject({ replaced: built.length, verified: built.length });
    await checkStore({ dataDir: data });
  });

  it('refuses broken documents with their line numbers, stores none of them, and exits 1', async () => {
    const data = join(dir, 'mixed');
    const r = cli(['import-genieacs', join(dir, 'mixed.json'), '--data-dir', data]);
    expect(r.status).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ documents: BAD_LINES.length + built.length, refused: BAD_LINES.length, imported: built.length, verified: built.length });
    expect(r.stderr).toMatch(/line 1: not JSON/);
    expect(r.stderr).toMatch(/line 2: x: no _deviceId/);
    expect(r.stderr).toMatch(/line 4: Device\.a\.b: not a parameter name/);
    await checkStore({ dataDir: data });
    const missing = cli(['import-genieacs', join(dir, 'nope.json'), '--data-dir', data]);
    expect(missing.status).not.toBe(0);
    expect(missing.stderr).toMatch(/ENOENT/);
  });

  describe('PostgreSQL', async () => {
    const describeWithPg = await describePg();
    describeWithPg('import into PostgreSQL', () => {
      let release = (): void => undefined;
      let db: TestDatabase;
      beforeAll(async () => {
        release = await claimPgShared();
        db = await createTestDatabase();
      });
      afterEach(() => undefined);
      afterAll(async () => {
        await db.drop();
        release();
      });
      it('round-trips the count, values, tags and times', async () => {
        const r = cli(['import-genieacs', join(dir, 'devices.json'), '--db', db.url]);
        expect(r.status, r.stderr).toBe(0);
        expect(JSON.parse(r.stdout)).toMatchObject({ imported: built.length, verified: built.length });
        await checkStore({ db: db.url, dataDir: dir });
      });
    });
  });
});
