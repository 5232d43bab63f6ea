/**
 * Tree sections (opt-in: SqliteStoreOptions.treeSections): a bootstrap's discovered tree kept
 * as one JSON document per device and top-level object ("Device.WiFi.", "Device.IP."), beside
 * the rows of `parameters`. A discovery then writes ~20 documents instead of ~6,000 rows, each
 * with its B-tree entry (docs/scaling.md, "What a document costs to read").
 *
 * The rule that keeps reads simple: **no path is ever both a row and in a section.**
 *  - The planner (../session-writes.ts) puts in sections only what a session will not read or
 *    write again soon: not the paths the same commit wrote before the listing (the Inform's),
 *    not the secrets a clear keeps, not searchable or summary paths (their indexes and the
 *    campaigns' software version read rows), not paths a JSON path cannot name.
 *  - Any later write inside a section (apply.ts: a value that is new, a listing, attributes,
 *    AddObject, a delete, a prune) first turns that section back into rows (`materialize`).
 *  - A clear drops the device's sections with its rows.
 * So a read adds the sections' entries of its range to the rows it reads, and a filter on a
 * path looks in the row or in the one section that can hold the path.
 *
 * A document is `{ "<rest>": [writable, value, type, valueAt?], … }`, keyed by what follows the
 * section's name in each path ("SSID" in section "Device.WiFi.SSID.1.", "" for that object
 * itself: the section's prefix is not repeated in every key, a third less text to write and
 * parse); writable 1/0/null, value and type null for a node that was listed but not read;
 * valueAt only where it differs from the section's `values_at`. `names_at` is the listing's
 * time, shared by every entry. What an entry can leave out it does: `[writable]` for a node
 * listed but not read, `[writable, value]` for a value of type xsd:string, and the other
 * standard types as their number in TYPE_CODES (a quarter less text per discovery to build,
 * write and parse). Entries written in full (before this) read the same.
 *
 * The table has a rowid (migration 84): the documents append at its end and only the small
 * (device, section) key index takes a bootstrap's inserts in key order.
 *
 * Devices of one model hold mostly the same entries (migration 85): a section may refer to a
 * base (`section_bases`, a document another device of the model wrote, never changed once
 * written) and keep in its own document only the entries whose text differs from the base's.
 * It does so only when it has exactly the base's keys in the base's order, so its entries are
 * the base's with its own laid over them. An entry equal as text is equal in meaning on both
 * devices: an entry's time, when it has none of its own, is the reading section's `values_at`.
 */
import type { SectionEntries } from '../session-writes.js';
import { sectionFor, sectionOf } from '../tree.js';
import type { StoredParameter } from '../types.js';
import { bool, json, type Db } from './db.js';
import { RowsInsert } from './rows-insert.js';

type Entry = [writable: number | null, value?: string | null, type?: string | number | null, valueAt?: number];

/** The type an entry of two leaves out. */
const DEFAULT_TYPE = 'xsd:string';

/**
 * The TR-069 types (A.2.1) an entry writes as their position here. Stored in documents: never
 * reorder, only append.
 */
const TYPE_CODES: readonly string[] = ['xsd:string', 'xsd:int', 'xsd:unsignedInt', 'xsd:boolean', 'xsd:dateTime', 'xsd:base64', 'xsd:long', 'xsd:unsignedLong', 'xsd:hexBinary'];
const CODE_OF: ReadonlyMap<string, number> = new Map(TYPE_CODES.map((t, i) => [t, i]));

interface SectionRow {
  device_id: string;
  section: string;
  names_at: number;
  values_at: number | null;
  doc: string;
  /** The base's document, when the section has one. */
  base: string | null;
}

/**
 * SQL for the JSON path of a section entry, and of its value, whose parameter path and section
 * are the SQL expressions `path` and `section` (a quoted key: paths `sectionFor` gives a
 * section need no escaping inside it).
 */
const entryKey = (section: string, path: string): string => `substr(${path}, length(${section}) + 1)`;
export const entryJsonPath = (section: string, path: string): string => `'$."' || ${entryKey(section, path)} || '"'`;
export const valueJsonPath = (section: string, path: string): string => `'$."' || ${entryKey(section, path)} || '"[1]'`;

/** SQL: the base document of the section row aliased `s` (NULL without one). */
const baseDocOf = (s: string): string => `(SELECT doc FROM section_bases WHERE id = ${s}.base_id)`;

/** SQL: whether the section row aliased `s` holds the path (in its own document or its base's). */
export const entryExists = (s: string, path: string): string => {
  const at = entryJsonPath(`${s}.section`, path);
  return `(json_type(${s}.doc, ${at}) IS NOT NULL OR (${s}.base_id IS NOT NULL AND json_type(${baseDocOf(s)}, ${at}) IS NOT NULL))`;
};

/**
 * SQL: `json_extract` at `extract` of the section row aliased `s`, from its own document when
 * that holds the path's entry, else from its base's. Decided by where the entry is, not by what
 * is extracted: an entry of the section's own without a value (listed, not read) is not the base's.
 */
const fromOwnOrBase = (s: string, path: string, extract: string): string =>
  `CASE WHEN json_type(${s}.doc, ${entryJsonPath(`${s}.section`, path)}) IS NOT NULL THEN json_extract(${s}.doc, ${extract}) ELSE json_extract(${baseDocOf(s)}, ${extract}) END`;

/** SQL: the path's entry (JSON) in the section row aliased `s`. */
const entryOf = (s: string, path: string): string => fromOwnOrBase(s, path, entryJsonPath(`${s}.section`, path));

/** SQL: the path's value in the section row aliased `s`. */
export const entryValue = (s: string, path: string): string => fromOwnOrBase(s, path, valueJsonPath(`${s}.section`, path));

const HAS_ANY = 'SELECT 1 AS x FROM tree_sections WHERE device_id = @device LIMIT 1';
const PUT = `INSERT INTO tree_sections (device_id, section, names_at, values_at, doc, base_id) VALUES (@device, @section, @namesAt, @valuesAt, @doc, @base)
ON CONFLICT (device_id, section) DO UPDATE SET names_at = excluded.names_at, values_at = excluded.values_at, doc = excluded.doc, base_id = excluded.base_id`;
const NEW_BASE = 'INSERT INTO section_bases (section, doc) VALUES (@section, @doc) RETURNING id';
const DROP_ALL = 'DELETE FROM tree_sections WHERE device_id = @device';
const DROP_ONE = 'DELETE FROM tree_sections WHERE device_id = @device AND section = @section';
const ROWS = 'SELECT s.device_id, s.section, s.names_at, s.values_at, s.doc, b.doc AS base FROM tree_sections s LEFT JOIN section_bases b ON b.id = s.base_id';
const OF_DEVICE = `${ROWS} WHERE s.device_id = @device`;
/** The sections of a range: those inside it, and the one that holds its start. */
const IN_RANGE = `${ROWS} WHERE s.device_id = @device AND ((s.section >= @lo AND (@hi IS NULL OR s.section < @hi)) OR s.section = @holder)`;
const NAMED = `${ROWS} WHERE s.device_id = @device AND s.section IN (SELECT value FROM json_each(@sections))`;

/** Rows back from a section: none of its paths is a row (the rule above), so nothing conflicts. */
const RESTORE = new RowsInsert(
  'INSERT INTO parameters (device_id, path, object, writable, names_at, value, type, value_at)',
  '(@device, ?, ?, ?, ?, ?, ?, ?)',
  7,
  'ON CONFLICT (device_id, path) DO NOTHING',
);

export function hasSections(db: Db, device: string): boolean {
  return db.get(HAS_ANY, { device }) !== undefined;
}

export function dropSections(db: Db, device: string): void {
  db.run(DROP_ALL, { device });
}

/**
 * Write a discovery's section entries. A section of the same name must not exist (apply.ts
 * turns one back into rows first: a second listing in the commit that reached it).
 */
export function writeSections(db: Db, device: string, namesAt: number, valuesAt: number | null, entries: SectionEntries): void {
  // Each section's entries first (entries come in tree order: most share the section of the one
  // before), then each document written as soon as its text is made: the text of one section at
  // a time is alive, not the whole tree's (storm: 4–6 % more bootstraps per second than keeping
  // every document's entries until the end and joining them).
  const groups = new Map<string, number[]>();
  let section: string | null = null;
  let group: number[] = [];
  for (const i of entries.order) {
    const of = entries.section[i]!;
    if (of !== section) {
      section = of;
      const g = groups.get(of);
      if (g === undefined) groups.set(of, (group = []));
      else group = g;
    }
    group.push(i);
  }
  // The JSON text is written entry by entry: JSON.stringify of an object of thousands of keys
  // (a dictionary to V8) cost more than the rest of the write (bench/store-discovery.ts), and
  // most strings need no escaping (paths in a section never do: `sectionFor`).
  let lastType: string | null = null;
  let typeText = 'null';
  const bases = basesOf(db);
  for (const [name, indices] of groups) {
    const cut = name.length;
    const keys: string[] = new Array<string>(indices.length);
    const items: string[] = new Array<string>(indices.length);
    for (let k = 0; k < indices.length; k++) {
      const i = indices[k]!;
      const path = entries.name[i]!;
      const writable = entries.writable[i]!;
      const value = entries.value[i]!;
      const type = entries.type[i]!;
      const read = entries.valueAt[i]!;
      const at = Number.isNaN(read) ? null : read;
      const w = writable < 0 ? 'null' : writable === 1 ? '1' : '0';
      const when = value !== null && at !== null && at !== valuesAt ? `,${at}` : '';
      let tail: string;
      if (value === null && type === null) tail = '';
      else if (type === DEFAULT_TYPE && when === '') tail = `,${jsonText(value)}`;
      else {
        // A discovery has a handful of types: most entries repeat the one before.
        if (type !== lastType) {
          lastType = type;
          const code = type === null ? undefined : CODE_OF.get(type);
          typeText = code === undefined ? jsonText(type) : String(code);
        }
        tail = `,${jsonText(value)},${typeText}${when}`;
      }
      const key = path.slice(cut);
      keys[k] = key;
      items[k] = `"${key}":[${w}${tail}]`;
    }
    putSection(db, bases, { device, section: name, namesAt, valuesAt }, keys, items);
  }
}

/**
 * The last document this process wrote whole for a section name (its keys and entry texts: the
 * document is their join), and the base made of it once another device's section was found to
 * differ from it in few entries.
 */
interface Candidate {
  keys: readonly string[];
  items: readonly string[];
  baseId: number | null;
}

const CANDIDATES = new WeakMap<Db, Map<string, Candidate>>();

/** Section names remembered per database (a fleet of many models has many). */
const MAX_CANDIDATES = 4096;

function basesOf(db: Db): Map<string, Candidate> {
  let m = CANDIDATES.get(db);
  if (m === undefined) CANDIDATES.set(db, (m = new Map()));
  return m;
}

/** A section refers to a base when at most this share of its entries differ from the base's. */
const MOST_DIFFERENT = 0.5;

function putSection(
  db: Db,
  bases: Map<string, Candidate>,
  row: { device: string; section: string; namesAt: number; valuesAt: number | null },
  keys: readonly string[],
  items: readonly string[],
): void {
  const cand = bases.get(row.section);
  if (cand !== undefined && cand.items.length === items.length) {
    // The same keys in the same order, and few entries of its own: a delta on the base.
    const own: string[] = [];
    let same = true;
    for (let k = 0; k < items.length; k++) {
      if (items[k] === cand.items[k]) continue;
      if (keys[k] !== cand.keys[k] || own.length >= items.length * MOST_DIFFERENT) {
        same = false;
        break;
      }
      own.push(items[k]!);
    }
    if (same) {
      if (cand.baseId === null) cand.baseId = db.get<{ id: number }>(NEW_BASE, { section: row.section, doc: `{${cand.items.join(',')}}` })!.id;
      try {
        db.run(PUT, { ...row, doc: `{${own.join(',')}}`, base: cand.baseId });
        return;
      } catch (e) {
        // Its last device went (in this process or another) and took the base with it: this
        // section is written whole, and becomes the next candidate.
        if ((e as { code?: string }).code !== 'SQLITE_CONSTRAINT_FOREIGNKEY') throw e;
      }
    }
  }
  const doc = `{${items.join(',')}}`;
  db.run(PUT, { ...row, doc, base: null });
  bases.delete(row.section);
  if (bases.size >= MAX_CANDIDATES) bases.delete(bases.keys().next().value!);
  bases.set(row.section, { keys, items, baseId: null });
}

// eslint-disable-next-line no-control-regex -- control characters are what it looks for
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

/** A string (or null) as JSON text; quoted as it is when nothing in it needs escaping. */
function jsonText(s: string | null): string {
  if (s === null) return 'null';
  return NEEDS_ESCAPE.test(s) ? JSON.stringify(s) : `"${s}"`;
}

/** Turn the named sections of a device (those that exist) back into rows. */
export function materializeSections(db: Db, device: string, sections: Iterable<string>): void {
  const names = [...new Set(sections)];
  if (names.length === 0) return;
  restore(db, device, db.all<SectionRow>(NAMED, { device, sections: json(names) }));
}

/** Turn the sections a range [lo, hi) can reach (hi null: to the end) back into rows. */
export function materializeRange(db: Db, device: string, lo: string, hi: string | null): void {
  restore(db, device, db.all<SectionRow>(IN_RANGE, { device, lo, hi, holder: sectionOf(lo) }));
}

/** Every device's sections back into rows (before copying the tree elsewhere: ../migrate.ts). */
export function materializeAll(db: Db): void {
  const devices = db.all<{ device_id: string }>('SELECT DISTINCT device_id FROM tree_sections').map((r) => r.device_id);
  db.immediate(() => {
    for (const device of devices) restore(db, device, db.all<SectionRow>(OF_DEVICE, { device }));
  });
}

function restore(db: Db, device: string, rows: readonly SectionRow[]): void {
  for (const row of rows) {
    const args: unknown[] = [];
    for (const p of entriesOf(row)) args.push(p.path, p.object ? 1 : 0, p.writable === null ? null : bool(p.writable), p.namesAt, p.value, p.type, p.valueAt);
    RESTORE.run(db, args, { device });
    db.run(DROP_ONE, { device, section: row.section });
  }
}

/**
 * The section entries of one device a read selects, as stored parameters (unsorted): every
 * entry, or those `keep` accepts among the sections a range can reach.
 */
export function sectionParameters(db: Db, device: string, range: { lo: string; hi: string | null } | null, keep: (path: string) => boolean): StoredParameter[] {
  const rows = range === null ? db.all<SectionRow>(OF_DEVICE, { device }) : db.all<SectionRow>(IN_RANGE, { device, lo: range.lo, hi: range.hi, holder: sectionOf(range.lo) });
  const out: StoredParameter[] = [];
  for (const row of rows) for (const p of entriesOf(row)) if (keep(p.path)) out.push(p);
  return out;
}

/** A section's entries as stored parameters. */
function entriesOf(row: SectionRow): StoredParameter[] {
  const own = JSON.parse(row.doc) as Record<string, Entry>;
  // The base's entries in its order, the section's own laid over them (the same keys: putSection).
  const all = row.base === null ? own : Object.assign(JSON.parse(row.base) as Record<string, Entry>, own);
  return Object.entries(all).map(([rest, e]) => toParameter(row.section + rest, e, row.names_at, row.values_at));
}

/**
 * Exact paths of some devices held in their sections, each looked up by its key inside SQLite
 * (one json_extract per path) rather than by parsing the section here: a session's stored view
 * or a projection of a few paths reads a few entries of sections of hundreds.
 */
const EXACT = `SELECT j.value AS path, s.names_at, s.values_at, ${entryOf('s', 'j.value')} AS entry
FROM tree_sections s, json_each(@paths) AS j WHERE s.device_id = @device AND s.section = @section AND entry IS NOT NULL`;

export function exactSectionParameters(db: Db, devices: readonly string[], paths: readonly string[]): { deviceId: string; parameter: StoredParameter }[] {
  // One statement per device and section: a join over the paths' sections scanned the table.
  const bySection = new Map<string, string[]>();
  for (const path of paths) {
    const section = sectionFor(path);
    if (section === null) continue;
    const list = bySection.get(section);
    if (list === undefined) bySection.set(section, [path]);
    else list.push(path);
  }
  const out: { deviceId: string; parameter: StoredParameter }[] = [];
  for (const deviceId of devices) {
    for (const [section, list] of bySection) {
      for (const r of db.all<{ path: string; names_at: number; values_at: number | null; entry: string }>(EXACT, { device: deviceId, section, paths: json(list) })) {
        out.push({ deviceId, parameter: toParameter(r.path, JSON.parse(r.entry) as Entry, r.names_at, r.values_at) });
      }
    }
  }
  return out;
}

/** An entry's type as written in full, as a code, or left out (null: listed but not read). */
function typeOf(t: string | number | null | undefined): string | null {
  return typeof t === 'number' ? (TYPE_CODES[t] ?? null) : (t ?? null);
}

function toParameter(path: string, e: Entry, namesAt: number, valuesAt: number | null): StoredParameter {
  const value = e[1] ?? null;
  return {
    path,
    object: path.endsWith('.'),
    value,
    type: e.length === 2 ? DEFAULT_TYPE : typeOf(e[2]),
    writable: e[0] === null ? null : e[0] !== 0,
    notification: null,
    accessList: null,
    valueAt: value === null ? null : (e[3] ?? valuesAt),
    namesAt,
    attributesAt: null,
  };
}

