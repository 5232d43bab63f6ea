/**
 * CWMP 1.4 instance selectors in parameter paths (TR-069 3.6.1, A.2.2.1), pure:
 *  - `*`: every instance of a table ("Device.WiFi.SSID.*.SSID"), in GetParameterValues,
 *    GetParameterNames and GetParameterAttributes of devices declaring
 *    ManagementServer.InstanceWildcardsSupported;
 *  - `[alias]`: the instance whose Alias is `alias` ("Device.NAT.PortMapping.[web].ExternalPort")
 *    on devices declaring ManagementServer.AliasBasedAddressing.
 *
 * The ACS sends such paths as they are to devices that declare them, and otherwise turns
 * them into instance numbers itself: wildcards by listing the table (GetParameterNames) and
 * matching, aliases from the device's stored Alias values (`aliasResolver`). The policy
 * engine can use the same resolver to address instances by alias.
 */

const ALIAS_SEGMENT = /^\[([^\]]+)\]$/;

export function hasWildcard(path: string): boolean {
  return path.split('.').includes('*');
}

export function hasAlias(path: string): boolean {
  return path.split('.').some((s) => ALIAS_SEGMENT.test(s));
}

/** The object path before the first `*` segment: what to list to expand the wildcard. */
export function wildcardPrefix(path: string): string {
  const segs = path.split('.');
  const i = segs.indexOf('*');
  return i < 0 ? path : `${segs.slice(0, i).join('.')}.`;
}

/**
 * Whether a concrete path is one a wildcard pattern stands for: `*` (and `[alias]`, which the
 * device resolved) matches one instance number, other segments themselves; a pattern ending in "." (partial path) also matches
 * everything below what it names.
 */
export function matchesPattern(pattern: string, path: string): boolean {
  const partial = pattern.endsWith('.');
  const p = (partial ? pattern.slice(0, -1) : pattern).split('.');
  const c = path.split('.');
  if (partial ? c.length <= p.length : c.length !== p.length) return false;
  for (let i = 0; i < p.length; i++) {
    const seg = p[i]!;
    // An alias the device resolved answers with some instance number too.
    const any = seg === '*' || ALIAS_SEGMENT.test(seg);
    if (any ? !/^\d+$/.test(c[i]!) : seg !== c[i]) return false;
  }
  return true;
}

/**
 * Alias paths → instance numbers from what is known of the device (its stored rows): each
 * `[alias]` segment becomes the number of the instance under that table whose `Alias` has
 * that value. Returns null when an alias is not known (the caller sends the alias path to a
 * device that declares alias-based addressing, or refuses the path).
 */
export function aliasResolver(rows: Iterable<{ path: string; value: string | null }>): (path: string) => string | null {
  // "Device.NAT.PortMapping." → alias → instance number
  const byTable = new Map<string, Map<string, string>>();
  for (const r of rows) {
    const m = /^(.*\.)(\d+)\.Alias$/.exec(r.path);
    if (m === null || r.value === null || r.value === '') continue;
    let t = byTable.get(m[1]!);
    if (t === undefined) byTable.set(m[1]!, (t = new Map()));
    t.set(r.value, m[2]!);
  }
  return (path) => {
    if (!hasAlias(path)) return path;
    const segs = path.split('.');
    let prefix = '';
    const out: string[] = [];
    for (const seg of segs) {
      const alias = ALIAS_SEGMENT.exec(seg)?.[1];
      const concrete = alias === undefined ? seg : byTable.get(prefix)?.get(alias);
      if (concrete === undefined) return null;
      out.push(concrete);
      prefix += `${concrete}.`;
    }
    return out.join('.');
  };
}

/** The tables whose Alias values resolving `path` needs ("Device.NAT.PortMapping."), as stored-tree prefixes. */
export function aliasTables(path: string): string[] {
  const out: string[] = [];
  const segs = path.split('.');
  for (let i = 0; i < segs.length; i++) if (ALIAS_SEGMENT.test(segs[i]!)) out.push(`${segs.slice(0, i).join('.')}.`);
  return out;
}

/**
 * What the ACS knows of a device's aliases, to place answers that name instances by alias
 * (a device in InstanceMode InstanceAlias, TR-069 3.6.1) in the tree, which is keyed by
 * instance number. Learns from `…N.Alias` values (stored or read with numbers) and from
 * AddObject of "Table.[alias]." (whose answer carries the number).
 */
export class AliasNumbers {
  /** Numbered table ("Device.NAT.PortMapping.") → alias → instance number. */
  readonly #byTable = new Map<string, Map<string, string>>();

  get size(): number {
    return this.#byTable.size;
  }

  /** A value read or stored under a numbered path; only `…N.Alias` rows teach anything. */
  learnValue(path: string, value: string | null): void {
    const m = /^(.*\.)(\d+)\.Alias$/.exec(path);
    if (m === null || value === null || value === '' || hasAlias(m[1]!)) return;
    this.#set(m[1]!, value, m[2]!);
  }

  /** AddObject of `objectName` ("T.[web]." or "T.") answered with `instanceNumber`. */
  learnAdded(objectName: string, instanceNumber: number): void {
    const m = /^(.*\.)\[([^\]]+)\]\.$/.exec(objectName);
    if (m === null) return;
    const table = this.toNumbers(m[1]!);
    if (table !== null) this.#set(table, m[2]!, String(instanceNumber));
  }

  #set(table: string, alias: string, n: string): void {
    let t = this.#byTable.get(table);
    if (t === undefined) this.#byTable.set(table, (t = new Map()));
    t.set(alias, n);
  }

  /** The numbered form of a path, or null when one of its aliases is not known. */
  toNumbers(path: string): string | null {
    if (!path.includes('[')) return path;
    const segs = path.split('.');
    let prefix = '';
    for (const seg of segs) {
      const alias = ALIAS_SEGMENT.exec(seg)?.[1];
      const concrete = alias === undefined ? seg : this.#byTable.get(prefix)?.get(alias);
      if (concrete === undefined) return null;
      prefix += `${concrete}.`;
    }
    return prefix.slice(0, -1);
  }
}

/** The entries with numbered names, and the names no known alias places (`unplaced`, left out of `list`). */
export function numberedEntries<T extends { name: string }>(list: readonly T[], aliases: AliasNumbers): { list: T[]; unplaced: string[] } {
  const out: T[] = [];
  const unplaced: string[] = [];
  for (const e of list) {
    const name = aliases.toNumbers(e.name);
    if (name === null) unplaced.push(e.name);
    else out.push(name === e.name ? e : { ...e, name });
  }
  return { list: out, unplaced };
}
