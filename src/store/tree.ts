/**
 * Path arithmetic for the parameter tree, shared by both backends' parameter ops and reads.
 * The range predicates assume byte order on `path`: SQLite's BINARY collation, and on
 * PostgreSQL columns declared COLLATE "C" (a linguistic collation such as en_US would sort
 * "A.b" and "A-b" differently and break the prefix ranges).
 *
 * Subtrees are selected with a range, never with LIKE: paths may contain `_` and `%`
 * (vendor extensions, aliases), which LIKE would read as wildcards.
 */

/**
 * The smallest string greater than every string that starts with `prefix`, or null when
 * there is none (empty prefix). Code-point order equals UTF-8 byte order, so the range
 * `prefix <= path < upper` is exactly "path starts with prefix" under BINARY collation.
 */
export function prefixUpperBound(prefix: string): string | null {
  const cps = Array.from(prefix);
  while (cps.length > 0) {
    const last = cps.pop()!.codePointAt(0)!;
    if (last < 0x10ffff) {
      // Skip the surrogate block: it has no UTF-8 form.
      const next = last + 1 === 0xd800 ? 0xe000 : last + 1;
      return cps.join('') + String.fromCodePoint(next);
    }
  }
  return null;
}

/** Object ancestors of a path: "A.B.c" → ["A.", "A.B."]; "A.B." → ["A."]. */
export function ancestorsOf(path: string): string[] {
  const out: string[] = [];
  // Skip a trailing dot: an object is not its own ancestor.
  const end = path.endsWith('.') ? path.length - 1 : path.length;
  for (let i = path.indexOf('.'); i !== -1 && i < end; i = path.indexOf('.', i + 1)) {
    out.push(path.slice(0, i + 1));
  }
  return out;
}

/**
 * The rows that make up the node at `path` and everything below it: for an object
 * ("X.Y.") the prefix range; for a parameter ("X.Y.z") that row (and, defensively,
 * anything stored under "X.Y.z." if a CPE reported it as both).
 */
export function subtreePrefix(path: string): string {
  return path === '' || path.endsWith('.') ? path : path + '.';
}

/** Keep the last occurrence of each key, in first-seen order (ON CONFLICT may not touch a row twice). */
export function lastByName<T extends { name: string }>(items: readonly T[]): T[] {
  if (items.length < 2) return [...items];
  const byName = new Map<string, T>();
  for (const item of items) byName.set(item.name, item);
  return byName.size === items.length ? [...items] : [...byName.values()];
}

/**
 * The tree section a path is kept in when a backend keeps a discovered tree in sections
 * (sqlite/sections.ts): its first two levels ("Device.WiFi.SSIDNumberOfEntries" →
 * "Device.WiFi."), or its first four when the fourth is an instance of a table at the third
 * ("Device.WiFi.SSID.1.SSID" → "Device.WiFi.SSID.1."), so a large table is many small
 * sections and a path is read without parsing the whole table. Null for the root object and
 * its own parameters ("Device.", "Device.RootDataModelVersion"), which stay rows.
 */
export function sectionOf(path: string): string | null {
  const d1 = path.indexOf('.');
  if (d1 < 0) return null;
  const d2 = path.indexOf('.', d1 + 1);
  if (d2 < 0) return null;
  const d3 = path.indexOf('.', d2 + 1);
  const d4 = d3 < 0 ? -1 : path.indexOf('.', d3 + 1);
  if (d4 > d3 + 1 && isDigits(path, d3 + 1, d4)) return path.slice(0, d4 + 1);
  return path.slice(0, d2 + 1);
}

function isDigits(s: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

// eslint-disable-next-line no-control-regex -- control characters are what it looks for
const UNQUOTABLE = /["\\\u0000-\u001f]/;

/**
 * The section a path may go in, or null: it has none, or a JSON path cannot name it as a quoted
 * key (`$."<path>"` has no escapes: a hostile CPE's name with a quote, a backslash or a control
 * character stays a row).
 */
export function sectionFor(path: string): string | null {
  const section = sectionOf(path);
  return section === null || UNQUOTABLE.test(path) ? null : section;
}
