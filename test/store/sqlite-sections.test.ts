/**
 * Tree sections (src/store/sqlite/sections.ts) against rows: the same sessions committed to a
 * store that keeps discovered trees in sections and to one that keeps a row per node must read
 * the same, whatever comes after the bootstrap — values changed inside a section, an object
 * deleted, a subtree refreshed, attributes, AddObject, a path made searchable, a second
 * bootstrap, the device deleted. Each read (device page, subtree, one parameter, the session's
 * stored view, projections, every filter operator, sort) is compared, and the sections store
 * is checked to hold sections where it should and rows where it should.
 */
import Database from 'better-sqlite3';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ParameterInfo, ParameterValue } from '../../src/cwmp/types.js';
import { openStore } from '../../src/store/open.js';
import { createSqliteStore, DATABASE_FILE } from '../../src/store/sqlite/index.js';
import { MIGRATIONS } from '../../src/store/sqlite/migrations.js';
import type { DeviceFilter, DeviceQuery, ParameterOp, Store } from '../../src/store/types.js';
import { commitOf, ev, idOf, T0 } from './conformance/harness.js';

const D = idOf('SEC1');
const E = idOf('SEC2');

let dir: string;
let rows: Store;
let sections: Store;
let raw: Database.Database;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'flotilla-sections-'));
  rows = await createSqliteStore({ dataDir: join(dir, 'rows') });
  sections = await createSqliteStore({ dataDir: join(dir, 'sections'), treeSections: true });
  await sections.setSearchablePaths(['Device.DeviceInfo.ModelName']);
  await rows.setSearchablePaths(['Device.DeviceInfo.ModelName']);
  raw = new Database(join(dir, 'sections', DATABASE_FILE), { readonly: true });
});

afterEach(async () => {
  raw.close();
  await rows.close();
  await sections.close();
  await rm(dir, { recursive: true, force: true });
});

/** The same session on both stores. */
async function both(deviceId: string, at: number, parameterOps: ParameterOp[], events = ['2 PERIODIC']): Promise<void> {
  for (const store of [rows, sections]) {
    const opened = await store.openSession({ deviceId, lockOwner: 'a', lockTtlMs: 30_000, now: at });
    expect(opened.lock).toBe('acquired');
    await store.commitSession(commitOf(deviceId, { informAt: at, events: events.map((e) => ev(e)), parameterOps }));
  }
}

const pv = (name: string, value: string, type = 'xsd:string'): ParameterValue => ({ name, value, type });

/** A device's tree: objects and leaves, with the values a GetParameterValues of the root reads. */
function tree(wifi: string): { names: ParameterInfo[]; values: ParameterValue[] } {
  const leaves: [string, string, string][] = [
    ['Device.RootDataModelVersion', '2.15', 'xsd:string'],
    ['Device.DeviceInfo.ModelName', 'RG-1', 'xsd:string'],
    ['Device.DeviceInfo.SoftwareVersion', '1.0', 'xsd:string'],
    ['Device.DeviceInfo.UpTime', '42', 'xsd:unsignedInt'],
    // Types outside the standard's, and none.
    ['Device.DeviceInfo.Load', '0.5', 'xsd:double'],
    ['Device.DeviceInfo.Note', 'n', ''],
    ['Device.ManagementServer.ConnectionRequestURL', 'http://10.0.0.1:7547/', 'xsd:string'],
    ['Device.ManagementServer.ConnectionRequestPassword', '', 'xsd:string'],
    ['Device.WiFi.SSID.1.SSID', wifi, 'xsd:string'],
    ['Device.WiFi.SSID.1.Enable', 'true', 'xsd:boolean'],
    // A value JSON must escape: quotes, a backslash, a newline, a tab, non-ASCII.
    ['Device.WiFi.SSID.2.SSID', `${wifi} "guest" \\ \n\t ü 📡`, 'xsd:string'],
    ['Device.WiFi.SSID.2.Enable', 'false', 'xsd:boolean'],
    ['Device.IP.Interface.1.IPv4Address.1.IPAddress', '10.0.0.1', 'xsd:string'],
    ['Device.IP.Interface.2.IPv4Address.1.IPAddress', '192.168.1.1', 'xsd:string'],
    ['Device.Hosts.Host.1.HostName', 'laptop', 'xsd:string'],
    ['Device.Hosts.Host.2.HostName', 'phone', 'xsd:string'],
    ['Device.Hosts.HostNumberOfEntries', '2', 'xsd:unsignedInt'],
    ['Device.X_ACME_Odd.a"b', 'quoted', 'xsd:string'],
    ['Device.X_ACME_Odd.c\\d', 'slashed', 'xsd:string'],
  ];
  const objects = new Set<string>(['Device.']);
  for (const [path] of leaves) {
    const parts = path.split('.');
    for (let i = 1; i < parts.length; i++) objects.add(`${parts.slice(0, i).join('.')}.`);
  }
  const names: ParameterInfo[] = [...objects].map((name) => ({ name, writable: name.includes('.SSID.') }));
  for (const [name] of leaves) names.push({ name, writable: !name.startsWith('Device.DeviceInfo.') });
  // The IP objects are left unlisted: the store makes them as ancestors.
  return { names: names.filter((n) => !/^Device\.IP\.Interface\.\d+\.$/.test(n.name)), values: leaves.map(([n, v, t]) => pv(n, v, t)) };
}

/** A bootstrap as the ACS commits it: clear, the Inform's values, the listing, the read, two writes. */
async function bootstrap(deviceId: string, at: number, wifi: string, listing?: readonly ParameterInfo[]): Promise<void> {
  const { names: own, values } = tree(wifi);
  const names = (listing ?? own) as ParameterInfo[];
  await both(
    deviceId,
    at,
    [
      { op: 'clearTree' },
      { op: 'setValues', at, touch: false, params: [pv('Device.DeviceInfo.SoftwareVersion', '1.0'), pv('Device.ManagementServer.ConnectionRequestURL', 'http://10.0.0.1:7547/')] },
      { op: 'setNames', at: at + 1, root: 'Device.', nextLevel: false, params: names },
      { op: 'setValues', at: at + 2, touch: true, params: values },
      { op: 'setValues', at: at + 3, touch: true, params: [pv('Device.WiFi.SSID.2.Enable', 'true'), pv('Device.ManagementServer.ConnectionRequestPassword', 's3cret')] },
    ],
    ['0 BOOTSTRAP', '1 BOOT'],
  );
}

const sectionNames = (deviceId: string): string[] =>
  (raw.prepare('SELECT j.key AS section FROM tree_docs t, jsonb_each(t.doc) AS j WHERE t.device_id = ? ORDER BY j.key').all(deviceId) as { section: string }[]).map((r) => r.section);
/** A section's own entries in its device's document, and the device's base when the section is on it. */
const own = (deviceId: string, section: string): { doc: Record<string, unknown[]>; base: number | null } => {
  const r = raw
    .prepare(`SELECT t.doc -> ('$."' || @section || '"[3]') AS doc, CASE WHEN t.doc ->> ('$."' || @section || '"[2]') = 1 THEN t.base_id END AS base FROM tree_docs t WHERE t.device_id = @device`)
    .get({ device: deviceId, section }) as { doc: string; base: number | null };
  return { doc: JSON.parse(r.doc) as Record<string, unknown[]>, base: r.base };
};

/**
 * A file as a release before migration 85 left it: a row per device and section
 * (`tree_sections`, a rowid table), each document whole.
 */
const BEFORE_85 = `CREATE TABLE tree_sections (device_id TEXT NOT NULL, section TEXT NOT NULL, names_at INTEGER NOT NULL, values_at INTEGER, doc TEXT NOT NULL,
  PRIMARY KEY (device_id, section));
INSERT INTO tree_sections (device_id, section, names_at, values_at, doc)
  SELECT t.device_id, j.key, j.value ->> 0, j.value ->> 1,
    CASE WHEN j.value ->> 2 = 1 THEN json_patch(json_extract(b.doc, '$."' || j.key || '"'), j.value -> 3) ELSE j.value -> 3 END
  FROM tree_docs t JOIN jsonb_each(t.doc) AS j LEFT JOIN tree_bases b ON b.id = t.base_id;
DROP TABLE tree_docs;
DROP TABLE tree_bases;
DELETE FROM schema_migrations WHERE version IN (85, 86);`;
const rowCount = (deviceId: string): number => (raw.prepare('SELECT count(*) AS n FROM parameters WHERE device_id = ?').get(deviceId) as { n: number }).n;

const FILTER_PATHS = ['Device.WiFi.SSID.1.SSID', 'Device.WiFi.SSID.2.SSID', 'Device.Hosts.HostNumberOfEntries', 'Device.DeviceInfo.UpTime', 'Device.DeviceInfo.ModelName', 'Device.X_ACME_Odd.a"b', 'Device.Nope.x', 'Device.WiFi.'];

/** Every read both stores answer, compared. */
async function sameReads(): Promise<void> {
  for (const id of [D, E]) {
    const [a, b] = await Promise.all([rows.getDevice(id), sections.getDevice(id)]);
    expect(b).toEqual(a);
    for (const subtree of ['Device.WiFi.', 'Device.WiFi.SSID.1.', 'Device.WiFi.SSID.1.SSID', 'Device.Hosts.', 'Device.', 'Device.X_ACME_Odd.a"b']) {
      expect(await sections.getDevice(id, { subtree })).toEqual(await rows.getDevice(id, { subtree }));
    }
    const stored = ['Device.WiFi.SSID.1.SSID', 'Device.Hosts.', 'Device.DeviceInfo.UpTime', 'Device.IP.Interface.1.IPv4Address.1.IPAddress', 'Device.Nope'];
    expect(await sections.readParameters(id, stored)).toEqual(await rows.readParameters(id, stored));
    expect(await sections.readParameters(id, [''])).toEqual(await rows.readParameters(id, ['']));
  }
  const queries: DeviceQuery[] = [{ parameters: ['Device.WiFi.', 'Device.DeviceInfo.UpTime'] }, { parameters: [''] }];
  for (const path of FILTER_PATHS) {
    const filters: DeviceFilter[] = [
      { field: 'parameter', path, op: 'exists' },
      { field: 'parameter', path, op: 'notExists' },
      { field: 'parameter', path, op: 'eq', value: 'home' },
      { field: 'parameter', path, op: 'ne', value: 'home' },
      { field: 'parameter', path, op: 'gt', value: '10' },
      { field: 'parameter', path, op: 'prefix', value: 'ho' },
      { field: 'parameter', path, op: 'glob', value: '*e*' },
    ];
    for (const f of filters) queries.push({ filters: [f] });
    // The escaped value, exactly.
    queries.push({ filters: [{ field: 'parameter', path, op: 'eq', value: 'home "guest" \\ \n\t ü 📡' }] });
    queries.push({ sort: { key: { parameter: path } } }, { sort: { key: { parameter: path }, descending: true } });
  }
  for (const q of queries) expect(await sections.listDevices(q), JSON.stringify(q)).toEqual(await rows.listDevices(q));
}

describe('tree sections read as rows do', () => {
  it('a bootstrap keeps its tree in sections, but for the rows the sessions and searches read', async () => {
    await bootstrap(D, T0, 'home');
    await bootstrap(E, T0 + 10, 'office');
    // Top-level objects, and each instance of a table at the third level on its own.
    expect(sectionNames(D)).toEqual([
      'Device.DeviceInfo.',
      'Device.Hosts.',
      'Device.Hosts.Host.1.',
      'Device.Hosts.Host.2.',
      'Device.IP.',
      'Device.IP.Interface.1.',
      'Device.IP.Interface.2.',
      'Device.ManagementServer.',
      'Device.WiFi.',
      'Device.WiFi.SSID.1.',
      'Device.WiFi.SSID.2.',
      'Device.X_ACME_Odd.',
    ]);
    // Rows: the root object and its parameter, the Inform's two values, the searchable path,
    // the software version, the two odd names and the secret.
    const kept = (raw.prepare('SELECT path FROM parameters WHERE device_id = ? ORDER BY path').all(D) as { path: string }[]).map((r) => r.path);
    expect(kept).toEqual([
      'Device.',
      'Device.DeviceInfo.ModelName',
      'Device.DeviceInfo.SoftwareVersion',
      'Device.ManagementServer.ConnectionRequestPassword',
      'Device.ManagementServer.ConnectionRequestURL',
      'Device.RootDataModelVersion',
      'Device.X_ACME_Odd.a"b',
      'Device.X_ACME_Odd.c\\d',
    ]);
    // A value with everything JSON escapes is found by its exact text inside its section.
    const found = await sections.listDevices({ filters: [{ field: 'parameter', path: 'Device.WiFi.SSID.2.SSID', op: 'eq', value: 'home "guest" \\ \n\t ü 📡' }] });
    expect(found.devices.map((d) => d.id)).toEqual([D]);
    await sameReads();
  });

  it("devices of one model share a base and keep only the entries that differ, in one row each; bases go with their last device, and one gone is not referred to", async () => {
    const F = idOf('SEC3');
    const bases = (): number => (raw.prepare('SELECT count(*) AS n FROM tree_bases').get() as { n: number }).n;
    const docRows = (): number => (raw.prepare('SELECT count(*) AS n FROM tree_docs').get() as { n: number }).n;
    await bootstrap(D, T0, 'home');
    expect(bases()).toBe(0);
    await bootstrap(E, T0 + 10, 'office');
    // E's WiFi instance differs from D's in its SSID only: that entry is all its own document holds.
    const ssid = own(E, 'Device.WiFi.SSID.1.');
    expect(ssid.base).not.toBeNull();
    expect(ssid.doc).toEqual({ SSID: [1, 'office'] });
    // The base is D's document, which D keeps whole.
    expect(own(D, 'Device.WiFi.SSID.1.')).toEqual({ doc: { '': [1], SSID: [1, 'home'], Enable: [1, 'true', 3] }, base: null });
    // An entry read at another time than its section's differs as text: E's own, with its time.
    expect(own(E, 'Device.WiFi.SSID.2.').doc).toMatchObject({ Enable: [1, 'true', 0, T0 + 13] });
    expect(bases()).toBe(1);
    expect(docRows()).toBe(2);
    await sameReads();
    // Each value found where it is (E's own document, or the base), and not the other device's.
    for (const [value, ids] of [['home', [D]], ['office', [E]]] as const) {
      const found = await sections.listDevices({ filters: [{ field: 'parameter', path: 'Device.WiFi.SSID.1.SSID', op: 'eq', value }] });
      expect(found.devices.map((d) => d.id)).toEqual(ids);
    }
    expect((await sections.listDevices({ filters: [{ field: 'parameter', path: 'Device.WiFi.SSID.1.Enable', op: 'eq', value: 'true' }] })).total).toBe(2);
    // A write inside E's section turns it into rows (the base's entries with E's own laid over).
    await both(E, T0 + 100, [{ op: 'setValues', at: T0 + 100, touch: false, params: [pv('Device.WiFi.SSID.1.Enable', 'false')] }]);
    expect(sectionNames(E)).not.toContain('Device.WiFi.SSID.1.');
    await sameReads();
    // E gone: the bases only it referred to go with it; D's documents were never bases.
    for (const store of [rows, sections]) await store.deleteDevice(E);
    expect(bases()).toBe(0);
    await sameReads();
    // This process still remembers the base it made; it is gone, so F's sections are written whole.
    await bootstrap(F, T0 + 20, 'third');
    expect(own(F, 'Device.WiFi.SSID.1.').base).toBeNull();
    expect(await sections.getDevice(F)).toEqual(await rows.getDevice(F));
    await sameReads();
  });

  it('a write inside a section turns that section back into rows; the others stay', async () => {
    await bootstrap(D, T0, 'home');
    await bootstrap(E, T0 + 10, 'office');
    // An idle periodic: the Inform's values are rows, nothing moves.
    await both(D, T0 + 100, [{ op: 'setValues', at: T0 + 100, touch: false, params: [pv('Device.DeviceInfo.SoftwareVersion', '1.0')] }]);
    expect(sectionNames(D)).toContain('Device.WiFi.SSID.1.');
    await both(D, T0 + 200, [{ op: 'setValues', at: T0 + 200, touch: false, params: [pv('Device.WiFi.SSID.1.SSID', 'renamed')] }]);
    expect(sectionNames(D)).not.toContain('Device.WiFi.SSID.1.');
    expect(sectionNames(D)).toEqual(expect.arrayContaining(['Device.WiFi.', 'Device.WiFi.SSID.2.', 'Device.Hosts.']));
    await sameReads();
    await both(D, T0 + 300, [{ op: 'setAttributes', at: T0 + 300, params: [{ name: 'Device.Hosts.HostNumberOfEntries', notification: 2, accessList: [] }] }]);
    expect(sectionNames(D)).not.toContain('Device.Hosts.');
    expect(sectionNames(D)).toContain('Device.Hosts.Host.1.');
    await sameReads();
    await both(D, T0 + 400, [{ op: 'addObject', at: T0 + 400, path: 'Device.IP.Interface.3.' }]);
    expect(sectionNames(D)).not.toContain('Device.IP.');
    await sameReads();
  });

  it('deletes, refreshes and a second bootstrap read the same', async () => {
    await bootstrap(D, T0, 'home');
    await bootstrap(E, T0 + 10, 'office');
    await both(D, T0 + 100, [{ op: 'deleteObject', path: 'Device.IP.Interface.2.' }]);
    await sameReads();
    // A refresh of Hosts that no longer lists host 2: pruned in both.
    await both(E, T0 + 200, [
      { op: 'setNames', at: T0 + 200, root: 'Device.Hosts.', nextLevel: false, params: [{ name: 'Device.Hosts.', writable: false }, { name: 'Device.Hosts.Host.', writable: false }, { name: 'Device.Hosts.Host.1.', writable: false }, { name: 'Device.Hosts.Host.1.HostName', writable: false }] },
      { op: 'setValues', at: T0 + 201, touch: true, params: [pv('Device.Hosts.Host.1.HostName', 'desk')] },
    ]);
    await sameReads();
    // A refresh of the whole tree without a clear: every section comes back as rows first.
    const { names, values } = tree('again');
    await both(D, T0 + 300, [
      { op: 'setNames', at: T0 + 300, root: 'Device.', nextLevel: false, params: names.filter((n) => !n.name.startsWith('Device.Hosts.Host.2')) },
      { op: 'setValues', at: T0 + 301, touch: true, params: values.filter((v) => !v.name.startsWith('Device.Hosts.Host.2')) },
    ]);
    expect(sectionNames(D)).toEqual([]);
    await sameReads();
    // A factory reset: sections again, from the new tree.
    await bootstrap(D, T0 + 400, 'reset');
    expect(sectionNames(D).length).toBeGreaterThan(0);
    await sameReads();
    // A bootstrap whose session lists a parameter again after the whole tree (no prune: its
    // root is a parameter), new to the tree, in a section the first listing wrote.
    const again = tree('twice');
    await both(
      E,
      T0 + 500,
      [
        { op: 'clearTree' },
        { op: 'setNames', at: T0 + 500, root: 'Device.', nextLevel: false, params: again.names },
        { op: 'setValues', at: T0 + 501, touch: true, params: again.values },
        { op: 'setNames', at: T0 + 502, root: 'Device.WiFi.SSID.1.Extra', nextLevel: false, params: [{ name: 'Device.WiFi.SSID.1.Extra', writable: false }] },
      ],
      ['0 BOOTSTRAP'],
    );
    expect((await sections.getDevice(E, { subtree: 'Device.WiFi.SSID.1.' }))?.parameters.map((p) => p.path)).toEqual([
      'Device.WiFi.SSID.1.',
      'Device.WiFi.SSID.1.Enable',
      'Device.WiFi.SSID.1.Extra',
      'Device.WiFi.SSID.1.SSID',
    ]);
    await sameReads();
  });

  it('a path made searchable leaves the sections that held it; a deleted device leaves none', async () => {
    await bootstrap(D, T0, 'home');
    await bootstrap(E, T0 + 10, 'office');
    for (const store of [rows, sections]) await store.setSearchablePaths(['Device.DeviceInfo.ModelName', 'Device.WiFi.SSID.1.SSID']);
    expect(sectionNames(D)).not.toContain('Device.WiFi.SSID.1.');
    expect(sectionNames(D)).toContain('Device.WiFi.SSID.2.');
    expect(rowCount(D)).toBeGreaterThan(8);
    await sameReads();
    for (const store of [rows, sections]) await store.deleteDevice(D);
    expect(sectionNames(D)).toEqual([]);
    expect(rowCount(D)).toBe(0);
    await sameReads();
  });

  it('two devices with the same values, bootstrapped at different times, keep their own read times', async () => {
    await bootstrap(D, T0, 'same');
    await bootstrap(E, T0 + 10, 'same');
    const own = await sections.getDevice(E, { subtree: 'Device.WiFi.SSID.2.Enable' });
    expect(own?.parameters.find((p) => p.path === 'Device.WiFi.SSID.2.Enable')?.valueAt).toBe(T0 + 13);
    await sameReads();
  });

  it('a listing devices share (frozen, as the answer memo hands it on) is planned with the searchable paths of the moment', async () => {
    const shared = Object.freeze(tree('any').names.map((n) => Object.freeze({ ...n })));
    const isRow = (deviceId: string, path: string): boolean => raw.prepare('SELECT 1 FROM parameters WHERE device_id = ? AND path = ?').get(deviceId, path) !== undefined;
    await bootstrap(D, T0, 'home', shared);
    expect(isRow(D, 'Device.WiFi.SSID.1.SSID')).toBe(false);
    for (const store of [rows, sections]) await store.setSearchablePaths(['Device.DeviceInfo.ModelName', 'Device.WiFi.SSID.1.SSID']);
    await bootstrap(E, T0 + 10, 'office', shared);
    expect(isRow(E, 'Device.WiFi.SSID.1.SSID')).toBe(true);
    expect(await sections.listDevices({ filters: [{ field: 'parameter', path: 'Device.WiFi.SSID.1.SSID', op: 'eq', value: 'office' }] })).toMatchObject({ total: 1 });
    await sameReads();
  });

  /** Sections held per device in the file (any shape since migration 84). */
  const sectionRows = (): number =>
    (raw.prepare("SELECT count(*) AS n FROM sqlite_schema WHERE name = 'tree_docs'").get() as { n: number }).n > 0
      ? (raw.prepare('SELECT count(*) AS n FROM tree_docs t, jsonb_each(t.doc)').get() as { n: number }).n
      : (raw.prepare('SELECT count(*) AS n FROM tree_sections').get() as { n: number }).n;
  /** A section's document in a file before migration 86. */
  const oldDoc = (section: string): Record<string, unknown[]> =>
    JSON.parse((raw.prepare('SELECT doc FROM tree_sections WHERE device_id = ? AND section = ?').get(D, section) as { doc: string }).doc) as Record<string, unknown[]>;

  it('keeps a device in one row (migration 86); sections in a row each, some on section bases (before it), read the same once migrated', async () => {
    await bootstrap(D, T0, 'home');
    await bootstrap(E, T0 + 10, 'office');
    const before = sectionRows();
    await sections.close();
    const old = new Database(join(dir, 'sections', DATABASE_FILE));
    old.exec(BEFORE_85);
    old.exec(MIGRATIONS.find((m) => m.version === 85)!.up);
    old.exec("INSERT INTO schema_migrations (version, name, applied_at) VALUES (85, 'section bases', 0)");
    // E's WiFi instance as migration 85 kept it: its own entry, on a base of D's section.
    old.exec(`INSERT INTO section_bases (id, section, doc) SELECT 7, section, doc FROM tree_sections WHERE device_id = '${D}' AND section = 'Device.WiFi.SSID.1.';
      UPDATE tree_sections SET base_id = 7, doc = json_object('SSID', json_array(1, 'office')) WHERE device_id = '${E}' AND section = 'Device.WiFi.SSID.1.';`);
    old.close();
    expect(oldDoc('Device.WiFi.SSID.1.')).toMatchObject({ SSID: [1, 'home'] });
    expect(sectionRows()).toBe(before);
    sections = await createSqliteStore({ dataDir: join(dir, 'sections'), treeSections: true });
    expect(sectionRows()).toBe(before);
    expect((raw.prepare('SELECT count(*) AS n FROM tree_docs').get() as { n: number }).n).toBe(2);
    expect(raw.prepare("SELECT name FROM sqlite_schema WHERE name IN ('tree_sections', 'section_bases')").all()).toEqual([]);
    // Migrated whole: the base's entries laid under E's own.
    expect(own(E, 'Device.WiFi.SSID.1.')).toEqual({ doc: { '': [1], SSID: [1, 'office'], Enable: [1, 'true', 3] }, base: null });
    await sameReads();
    // Discovered again, a device finds a base of its model anew.
    await bootstrap(E, T0 + 20, 'again');
    expect(own(E, 'Device.WiFi.SSID.1.')).toMatchObject({ doc: { SSID: [1, 'again'] } });
    await sameReads();
  });

  it('keys entries by the rest of the path; sections written with whole paths (before migration 83) read the same once migrated', async () => {
    await bootstrap(D, T0, 'home');
    await bootstrap(E, T0 + 10, 'office');
    expect(Object.keys(own(D, 'Device.WiFi.SSID.1.').doc)).toEqual(expect.arrayContaining(['', 'SSID']));
    expect(Object.keys(own(D, 'Device.WiFi.SSID.1.').doc).some((k) => k.startsWith('Device.'))).toBe(false);
    await sections.close();
    // The file as a release before migration 83 left it: every key the whole path.
    const old = new Database(join(dir, 'sections', DATABASE_FILE));
    old.exec(BEFORE_85);
    old.exec(`UPDATE tree_sections SET doc = (SELECT json_group_object(tree_sections.section || j.key, json(j.value)) FROM json_each(tree_sections.doc) AS j);
      DELETE FROM schema_migrations WHERE version IN (83, 84);`);
    old.close();
    expect(Object.keys(oldDoc('Device.WiFi.SSID.1.'))).toEqual(expect.arrayContaining(['Device.WiFi.SSID.1.', 'Device.WiFi.SSID.1.SSID']));
    sections = await createSqliteStore({ dataDir: join(dir, 'sections'), treeSections: true });
    expect(Object.keys(own(D, 'Device.WiFi.SSID.1.').doc)).toEqual(expect.arrayContaining(['', 'SSID']));
    await sameReads();
  });

  it('sections a WITHOUT ROWID table held (before migration 84) read the same once migrated', async () => {
    await bootstrap(D, T0, 'home');
    await bootstrap(E, T0 + 10, 'office');
    const before = sectionRows();
    expect(before).toBeGreaterThan(2);
    await sections.close();
    // The file as a release before migration 84 left it.
    const old = new Database(join(dir, 'sections', DATABASE_FILE));
    old.exec(BEFORE_85);
    old.exec(`CREATE TABLE t (device_id TEXT NOT NULL, section TEXT NOT NULL, names_at INTEGER NOT NULL, values_at INTEGER, doc TEXT NOT NULL,
        PRIMARY KEY (device_id, section)) WITHOUT ROWID;
      INSERT INTO t SELECT device_id, section, names_at, values_at, doc FROM tree_sections;
      DROP TABLE tree_sections;
      ALTER TABLE t RENAME TO tree_sections;
      DELETE FROM schema_migrations WHERE version = 84;`);
    old.close();
    expect((raw.prepare("SELECT sql FROM sqlite_schema WHERE name = 'tree_sections'").get() as { sql: string }).sql).toMatch(/WITHOUT ROWID/i);
    sections = await createSqliteStore({ dataDir: join(dir, 'sections'), treeSections: true });
    expect(sectionRows()).toBe(before);
    await sameReads();
    // Still one document per device and section: a second discovery replaces, not adds.
    await bootstrap(D, T0 + 20, 'again');
    expect(sectionRows()).toBe(before);
    expect((raw.prepare('SELECT count(*) AS n FROM tree_docs').get() as { n: number }).n).toBe(2);
    await sameReads();
  });

  it('entries leave out what they can (an unread node is [writable], a string value [writable, value], a standard type its code); entries written in full read the same', async () => {
    await bootstrap(D, T0, 'home');
    await bootstrap(E, T0 + 10, 'office');
    const doc = (section: string): Record<string, unknown[]> => own(D, section).doc;
    expect(doc('Device.WiFi.SSID.1.')).toMatchObject({ '': [1], SSID: [1, 'home'], Enable: [1, 'true', 3] });
    expect(doc('Device.Hosts.')).toMatchObject({ HostNumberOfEntries: [1, '2', 2] });
    expect(doc('Device.DeviceInfo.')).toMatchObject({ Load: [0, '0.5', 'xsd:double'], Note: [0, 'n', ''] });
    await sections.close();
    // Every entry as a release before the short forms wrote it: [writable, value, type(, valueAt)].
    const old = new Database(join(dir, 'sections', DATABASE_FILE));
    old.exec(BEFORE_85);
    old.exec(`UPDATE tree_sections SET doc = (SELECT json_group_object(j.key, CASE json_array_length(j.value)
        WHEN 1 THEN json_array(json_extract(j.value, '$[0]'), NULL, NULL)
        WHEN 2 THEN json_array(json_extract(j.value, '$[0]'), json_extract(j.value, '$[1]'), 'xsd:string')
        ELSE json_set(j.value, '$[2]', CASE json_extract(j.value, '$[2]') WHEN 2 THEN 'xsd:unsignedInt' WHEN 3 THEN 'xsd:boolean' ELSE json_extract(j.value, '$[2]') END) END)
      FROM json_each(tree_sections.doc) AS j)`);
    old.close();
    expect(oldDoc('Device.WiFi.SSID.1.')).toMatchObject({ '': [1, null, null], SSID: [1, 'home', 'xsd:string'], Enable: [1, 'true', 'xsd:boolean'] });
    sections = await createSqliteStore({ dataDir: join(dir, 'sections'), treeSections: true });
    expect(doc('Device.WiFi.SSID.1.')).toMatchObject({ '': [1, null, null], SSID: [1, 'home', 'xsd:string'] });
    await sameReads();
  });

  it('is a SQLite option: PostgreSQL refuses it', async () => {
    await expect(openStore({ db: 'postgres://127.0.0.1:1/none', dataDir: dir, treeSections: true })).rejects.toThrow(/SQLite option/);
  });

  it('a rows-only store reads sections a sections store left in the file', async () => {
    await bootstrap(D, T0, 'home');
    await sections.close();
    const reopened = await createSqliteStore({ dataDir: join(dir, 'sections') });
    sections = reopened;
    expect(sectionNames(D).length).toBeGreaterThan(0);
    expect(await reopened.getDevice(D)).toEqual(await rows.getDevice(D));
    // It writes rows only: a change inside a section still turns the section back first.
    await both(D, T0 + 100, [{ op: 'setValues', at: T0 + 100, touch: false, params: [pv('Device.WiFi.SSID.1.SSID', 'x')] }]);
    expect(await reopened.getDevice(D)).toEqual(await rows.getDevice(D));
  });
});
