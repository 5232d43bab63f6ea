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
 * One row per device (`tree_docs`, migration 86): a bootstrap writes one row, not one per section
 * (the rows, not their bytes, were what a bootstrap's write cost: docs/scaling.md). The row's
 * document (JSONB: SQLite reads a path of it without parsing the rest) maps each section's name
 * to `[names_at, values_at, on base, { entries }]`; `names_at` is the listing's time, shared by
 * every entry of the section.
 *
 * Devices of one model hold mostly the same entries: a device may refer to a base
 * (`tree_bases`, the sections of another device of its model, never changed once written) and
 * keep, in each section marked "on base", only the entries whose text differs from the base's
 * section. A section is on its base only when it has exactly the base section's keys in the
 * base's order, so its entries are the base's with its own laid over them. An entry equal as
 * text is equal in meaning on both devices: an entry's time, when it has none of its own, is the
 * reading section's `values_at`.
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
  section: string;
  names_at: number;
  values_at: number | null;
  doc: string;
  /** The base's entries of the section, when the section is on the device's base. */
  base: string | null;
}

/*
 * SQL for the JSON paths of a section entry. `t` is an alias of a `tree_docs` row; `section`
 * and `path` are SQL expressions of the section's name and the parameter's path (paths
 * `sectionFor` gives a section need no escaping inside a quoted key).
 */
const restOf = (section: string, path: string): string => `substr(${path}, length(${section}) + 1)`;
/** The section in the device's document: [names_at, values_at, on base 1/0, own entries]. */
const sectionAt = (section: string, tail: string): string => `'$."' || ${section} || '"${tail}'`;
const ownEntryAt = (section: string, path: string, tail = ''): string => `'$."' || ${section} || '"[3]."' || ${restOf(section, path)} || '"${tail}'`;
const baseEntryAt = (section: string, path: string, tail = ''): string => `'$."' || ${section} || '"."' || ${restOf(section, path)} || '"${tail}'`;

/** SQL: the base document of the row aliased `t` (NULL without one). */
const baseDocOf = (t: string): string => `(SELECT doc FROM tree_bases WHERE id = ${t}.base_id)`;
/** SQL: whether the section is one of those of the row aliased `t` that lay their own entries over the base's. */
const onBase = (t: string, section: string): string => `(${t}.base_id IS NOT NULL AND json_extract(${t}.doc, ${sectionAt(section, '[2]')}) = 1)`;

/** SQL: whether the row aliased `t` holds the path in the section (its own entry or its base's). */
export const entryExists = (t: string, section: string, path: string): string =>
  `(json_type(${t}.doc, ${ownEntryAt(section, path)}) IS NOT NULL OR (${onBase(t, section)} AND json_type(${baseDocOf(t)}, ${baseEntryAt(section, path)}) IS NOT NULL))`;

/**
 * SQL: what `tail` picks of the path's entry ('' the entry, '[1]' its value) in the row aliased
 * `t`: from its own entries when they hold the path, else from the base's. Decided by where the
 * entry is, not by what is extracted: an own entry without a value (listed, not read) is not the base's.
 */
const fromOwnOrBase = (t: string, section: string, path: string, tail: string): string =>
  `CASE WHEN json_type(${t}.doc, ${ownEntryAt(section, path)}) IS NOT NULL THEN json_extract(${t}.doc, ${ownEntryAt(section, path, tail)})
  WHEN ${onBase(t, section)} THEN json_extract(${baseDocOf(t)}, ${baseEntryAt(section, path, tail)}) END`;

/** SQL: the path's value in the row aliased `t`. */
export const entryValue = (t: string, section: string, path: string): string => fromOwnOrBase(t, section, path, '[1]');

const HAS_ANY = 'SELECT 1 AS x FROM tree_docs WHERE device_id = @device';
const PRIOR = 'SELECT base_id AS base FROM tree_docs WHERE device_id = @device';
const PUT = 'INSERT INTO tree_docs (device_id, base_id, doc) VALUES (@device, @base, jsonb(@doc))';
/** New sections beside a device's others (none of the same name: writeSections). */
const ADD = 'UPDATE tree_docs SET doc = jsonb_patch(doc, @doc) WHERE device_id = @device';
const NEW_BASE = 'INSERT INTO tree_bases (doc) VALUES (jsonb(@doc)) RETURNING id';
const DROP_ALL = 'DELETE FROM tree_docs WHERE device_id = @device';
/** Sections removed from a device's document, up to eight at a time (a name repeated removes nothing more). */
const REMOVE = 'UPDATE tree_docs SET doc = jsonb_remove(doc, @s0, @s1, @s2, @s3, @s4, @s5, @s6, @s7) WHERE device_id = @device';
const DROP_IF_EMPTY = 'DELETE FROM tree_docs WHERE device_id = @device AND NOT EXISTS (SELECT 1 FROM jsonb_each(tree_docs.doc))';
const ROWS = `SELECT j.key AS section, j.value ->> 0 AS names_at, j.value ->> 1 AS values_at, j.value -> 3 AS doc,
  CASE WHEN j.value ->> 2 = 1 THEN json_extract(b.doc, '$."' || j.key || '"') END AS base
FROM tree_docs t JOIN jsonb_each(t.doc) AS j LEFT JOIN tree_bases b ON b.id = t.base_id WHERE t.device_id = @device`;
/** The sections of a range: those inside it, and the one that holds its start. */
const IN_RANGE = `${ROWS} AND ((j.key >= @lo AND (@hi IS NULL OR j.key < @hi)) OR j.key = @holder)`;
const NAMED = `${ROWS} AND j.key IN (SELECT value FROM json_each(@sections))`;

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
 * One section's entries: columns of what their texts are made of. A device's entries are
 * compared with its base's column by column, and only those that differ are made into text:
 * building and comparing every entry's text cost more than the rest of the write.
 */
interface Section {
  /** Where the key (the rest of the path) starts. */
  readonly cut: number;
  readonly length: number;
  path(k: number): string;
  /** 1, 0, or -1 for null. */
  writable(k: number): number;
  value(k: number): string | null;
  type(k: number): string | null;
  /** The entry's own time where it differs from the section's values_at, else NaN. */
  when(k: number): number;
}

/** A section of the discovery being written: positions in its plan's columns. */
class Planned implements Section {
  readonly at: number[] = [];
  constructor(
    readonly cut: number,
    private readonly e: SectionEntries,
    private readonly valuesAt: number | null,
  ) {}
  get length(): number {
    return this.at.length;
  }
  path(k: number): string {
    return this.e.name[this.at[k]!]!;
  }
  writable(k: number): number {
    return this.e.writable[this.at[k]!]!;
  }
  value(k: number): string | null {
    return this.e.value[this.at[k]!]!;
  }
  type(k: number): string | null {
    return this.e.type[this.at[k]!]!;
  }
  when(k: number): number {
    const i = this.at[k]!;
    const read = this.e.valueAt[i]!;
    return this.e.value[i] !== null && !Number.isNaN(read) && read !== this.valuesAt ? read : NaN;
  }
}

/** Devices whose strings a candidate's section takes (see Kept). */
const TAKE_STRINGS = 4;

/**
 * A candidate's section: its own columns, so that the strings of each device found equal to it
 * can take the place of its own. In a storm most of a device's strings are those of the answer
 * the memo remembered (src/cwmp/answer-memo.ts), so after the first device that fits, most
 * comparisons are of a string with itself.
 */
class Kept implements Section {
  /** Devices compared with it so far. */
  fitted = 0;
  readonly cut: number;
  readonly length: number;
  readonly paths: string[];
  readonly writables: number[];
  readonly values: (string | null)[];
  readonly types: (string | null)[];
  readonly whens: number[];
  constructor(s: Section) {
    this.cut = s.cut;
    this.length = s.length;
    this.paths = new Array<string>(s.length);
    this.writables = new Array<number>(s.length);
    this.values = new Array<string | null>(s.length);
    this.types = new Array<string | null>(s.length);
    this.whens = new Array<number>(s.length);
    for (let k = 0; k < s.length; k++) {
      this.paths[k] = s.path(k);
      this.writables[k] = s.writable(k);
      this.values[k] = s.value(k);
      this.types[k] = s.type(k);
      this.whens[k] = s.when(k);
    }
  }
  path(k: number): string {
    return this.paths[k]!;
  }
  writable(k: number): number {
    return this.writables[k]!;
  }
  value(k: number): string | null {
    return this.values[k]!;
  }
  type(k: number): string | null {
    return this.types[k]!;
  }
  when(k: number): number {
    return this.whens[k]!;
  }
}

/**
 * Write a discovery's section entries. `model` names the device's kind (its OUI and product
 * class): devices of one kind share a base. A section of the same name must not exist
 * (apply.ts turns one back into rows first: a second listing in the commit that reached it).
 */
export function writeSections(db: Db, device: string, model: string, namesAt: number, valuesAt: number | null, entries: SectionEntries): void {
  // Each section's entries (entries come in tree order: most share the section of the one
  // before).
  const sections = new Map<string, Planned>();
  let current: string | null = null;
  let into: Planned | undefined;
  for (const i of entries.order) {
    const of = entries.section[i]!;
    if (of !== current) {
      current = of;
      into = sections.get(of);
      if (into === undefined) sections.set(of, (into = new Planned(of.length, entries, valuesAt)));
    }
    into!.at.push(i);
  }
  putDocument(db, device, model, `${namesAt},${valuesAt === null ? 'null' : valuesAt}`, sections);
}

/**
 * Entry texts: `"<key>":[writable, value?, type?, valueAt?]`. Written entry by entry: JSON.stringify
 * of an object of thousands of keys (a dictionary to V8) cost more than the rest of the write
 * (bench/store-discovery.ts), and most strings need no escaping (keys never do: `sectionFor`).
 */
class EntryText {
  // A discovery has a handful of types: most entries repeat the one before.
  #lastType: string | null = null;
  #typeText = 'null';

  of(s: Section, k: number): string {
    const value = s.value(k);
    const type = s.type(k);
    const at = s.when(k);
    const writable = s.writable(k);
    const w = writable < 0 ? 'null' : writable === 1 ? '1' : '0';
    const when = Number.isNaN(at) ? '' : `,${at}`;
    let tail: string;
    if (value === null && type === null) tail = '';
    else if (type === DEFAULT_TYPE && when === '') tail = `,${jsonText(value)}`;
    else {
      if (type !== this.#lastType) {
        this.#lastType = type;
        const code = type === null ? undefined : CODE_OF.get(type);
        this.#typeText = code === undefined ? jsonText(type) : String(code);
      }
      tail = `,${jsonText(value)},${this.#typeText}${when}`;
    }
    return `"${s.path(k).slice(s.cut)}":[${w}${tail}]`;
  }

  /** Every entry of the section, joined. */
  all(s: Section): string {
    const items = new Array<string>(s.length);
    for (let k = 0; k < items.length; k++) items[k] = this.of(s, k);
    return items.join(',');
  }
}

/**
 * The last device of a model this process wrote without a base (its sections' columns), and
 * the base made of it once another device of the model was found to share most of its sections.
 */
interface Candidate {
  sections: ReadonlyMap<string, Kept>;
  baseId: number | null;
}

const CANDIDATES = new WeakMap<Db, Map<string, Candidate>>();

/** Models remembered per database (each up to a device's tree of entries). */
const MAX_CANDIDATES = 64;

function candidatesOf(db: Db): Map<string, Candidate> {
  let m = CANDIDATES.get(db);
  if (m === undefined) CANDIDATES.set(db, (m = new Map()));
  return m;
}

/** A section lays its own entries over the base's when at most this share of its entries differ. */
const MOST_DIFFERENT = 0.5;

/**
 * The entries of `mine` that differ from `base`'s (their text), or null when it does not fit on
 * it (other keys, or too many differ). Entries equal in every column have equal texts; texts
 * equal in other ways (never seen: a type written in full and as its code) count as different,
 * which is only a longer own list. The base takes the strings of the entries found equal (see Kept).
 */
function ownEntries(mine: Planned, base: Kept | undefined, text: EntryText): string[] | null {
  if (base === undefined || base.length !== mine.length || base.cut !== mine.cut) return null;
  const n = mine.length;
  const limit = n * MOST_DIFFERENT;
  const own: string[] = [];
  const { paths, values, types, writables, whens } = base;
  // The strings of the first few devices that fit are taken; after that they are the memo's
  // (a store into an old array on every comparison cost as much as the comparison).
  const take = base.fitted++ < TAKE_STRINGS;
  for (let k = 0; k < n; k++) {
    const path = mine.path(k);
    const value = mine.value(k);
    const type = mine.type(k);
    if (value === values[k] && type === types[k] && mine.writable(k) === writables[k] && Object.is(mine.when(k), whens[k]) && path === paths[k]) {
      if (take) {
        values[k] = value;
        types[k] = type;
        paths[k] = path;
      }
      continue;
    }
    if (path !== paths[k] || own.length >= limit) return null;
    own.push(text.of(mine, k));
  }
  return own;
}

/**
 * One row per device: `{ "<section>": [names_at, values_at, on base, { entries }] }`. On a device
 * of a model this process has written before, a section with the model's keys in order and few
 * entries of its own keeps only those, on the base (the other device's sections); the device
 * refers to the base when at least half its sections are on it, and is written whole, becoming
 * its model's next candidate, when not. New sections beside a device's others are written whole.
 */
function putDocument(db: Db, device: string, model: string, times: string, sections: ReadonlyMap<string, Planned>): void {
  const text = new EntryText();
  const whole = (): string => {
    const parts: string[] = [];
    for (const [name, s] of sections) parts.push(`"${name}":[${times},0,{${text.all(s)}}]`);
    return `{${parts.join(',')}}`;
  };
  const prior = db.get<{ base: number | null }>(PRIOR, { device });
  if (prior !== undefined) {
    db.run(ADD, { device, doc: whole() });
    return;
  }
  const candidates = candidatesOf(db);
  const cand = candidates.get(model);
  if (cand !== undefined) {
    const parts: string[] = [];
    let on = 0;
    for (const [name, s] of sections) {
      const own = ownEntries(s, cand.sections.get(name), text);
      if (own === null) parts.push(`"${name}":[${times},0,{${text.all(s)}}]`);
      else {
        on++;
        parts.push(`"${name}":[${times},1,{${own.join(',')}}]`);
      }
    }
    if (on * 2 >= sections.size) {
      if (cand.baseId === null) {
        const doc: string[] = [];
        for (const [name, s] of cand.sections) doc.push(`"${name}":{${text.all(s)}}`);
        cand.baseId = db.get<{ id: number }>(NEW_BASE, { doc: `{${doc.join(',')}}` })!.id;
      }
      try {
        db.run(PUT, { device, base: cand.baseId, doc: `{${parts.join(',')}}` });
        return;
      } catch (e) {
        // Its last device went (in this process or another) and took the base with it: this
        // device is written whole, and becomes the model's next candidate.
        if ((e as { code?: string }).code !== 'SQLITE_CONSTRAINT_FOREIGNKEY') throw e;
      }
    }
  }
  db.run(PUT, { device, base: null, doc: whole() });
  candidates.delete(model);
  if (candidates.size >= MAX_CANDIDATES) candidates.delete(candidates.keys().next().value!);
  const kept = new Map<string, Kept>();
  for (const [name, s] of sections) kept.set(name, new Kept(s));
  candidates.set(model, { sections: kept, baseId: null });
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
  const devices = db.all<{ device_id: string }>('SELECT device_id FROM tree_docs').map((r) => r.device_id);
  db.immediate(() => {
    for (const device of devices) restore(db, device, db.all<SectionRow>(ROWS, { device }));
  });
}

function restore(db: Db, device: string, rows: readonly SectionRow[]): void {
  if (rows.length === 0) return;
  for (const row of rows) {
    const args: unknown[] = [];
    for (const p of entriesOf(row)) args.push(p.path, p.object ? 1 : 0, p.writable === null ? null : bool(p.writable), p.namesAt, p.value, p.type, p.valueAt);
    RESTORE.run(db, args, { device });
  }
  for (let i = 0; i < rows.length; i += 8) {
    const at: Record<string, string> = { device };
    for (let k = 0; k < 8; k++) at[`s${k}`] = `$."${rows[Math.min(i + k, rows.length - 1)]!.section}"`;
    db.run(REMOVE, at);
  }
  db.run(DROP_IF_EMPTY, { device });
}

/**
 * The section entries of one device a read selects, as stored parameters (unsorted): every
 * entry, or those `keep` accepts among the sections a range can reach.
 */
export function sectionParameters(db: Db, device: string, range: { lo: string; hi: string | null } | null, keep: (path: string) => boolean): StoredParameter[] {
  const rows = range === null ? db.all<SectionRow>(ROWS, { device }) : db.all<SectionRow>(IN_RANGE, { device, lo: range.lo, hi: range.hi, holder: sectionOf(range.lo) });
  const out: StoredParameter[] = [];
  for (const row of rows) for (const p of entriesOf(row)) if (keep(p.path)) out.push(p);
  return out;
}

/** A section's entries as stored parameters. */
function entriesOf(row: SectionRow): StoredParameter[] {
  const own = JSON.parse(row.doc) as Record<string, Entry>;
  // The base's entries in its order, the section's own laid over them (the same keys: putDocument).
  const all = row.base === null ? own : Object.assign(JSON.parse(row.base) as Record<string, Entry>, own);
  return Object.entries(all).map(([rest, e]) => toParameter(row.section + rest, e, row.names_at, row.values_at));
}

/**
 * Exact paths of some devices held in their sections, each looked up by its key inside SQLite
 * (one json_extract per path) rather than by parsing the section here: a session's stored view
 * or a projection of a few paths reads a few entries of sections of hundreds.
 */
const EXACT = `SELECT j.value AS path, json_extract(t.doc, ${sectionAt('@section', '[0]')}) AS names_at, json_extract(t.doc, ${sectionAt('@section', '[1]')}) AS values_at,
  ${fromOwnOrBase('t', '@section', 'j.value', '')} AS entry
FROM tree_docs t, json_each(@paths) AS j WHERE t.device_id = @device AND entry IS NOT NULL`;

export function exactSectionParameters(db: Db, devices: readonly string[], paths: readonly string[]): { deviceId: string; parameter: StoredParameter }[] {
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

