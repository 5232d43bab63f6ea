/**
 * Lists that are another list with a few entries of their own: what the answer memo
 * (./answer-memo.ts) hands on. A device's GetParameterValues answer recalled from a remembered
 * one holds the remembered (frozen) entries wherever its bytes were the same, and entries of its
 * own where they were not. Questions asked of every entry of every answer — is a name an alias
 * path, which values are blank secrets, where is each name in the listing — are then answered
 * once per remembered list and, for each answer, only where its entries differ: a few dozen
 * entries instead of 5,000 per discovery.
 *
 * Entries are compared by identity: an entry that is the remembered list's own at the same
 * place is that entry, frozen, and so is everything worked out of it. Pure.
 */

/** A list recalled from `base` (same length): the positions where its entries are not base's. */
export interface Recalled<T> {
  readonly base: readonly T[];
  readonly changed: readonly number[];
}

const RECALLED = new WeakMap<readonly object[], readonly object[]>();
const DIFFS = new WeakMap<readonly object[], Recalled<object> | null>();

/** The memo's note: `list` was recalled from the remembered, frozen `base`. */
export function noteRecalled(list: readonly object[], base: readonly object[]): void {
  if (Object.isFrozen(base)) RECALLED.set(list, base);
}

/**
 * How `list` differs from the frozen list it was recalled from, or from itself when it is frozen
 * with frozen entries (nothing differs); null when neither (a list parsed as usual). Worked out
 * once per list.
 */
export function recalledOf<T extends object>(list: readonly T[]): Recalled<T> | null {
  const known = DIFFS.get(list);
  if (known !== undefined) return known as Recalled<T> | null;
  let found: Recalled<T> | null = null;
  const base = RECALLED.get(list) as readonly T[] | undefined;
  if (base !== undefined && base.length === list.length) {
    const changed: number[] = [];
    for (let k = 0; k < list.length; k++) if (list[k] !== base[k]) changed.push(k);
    found = { base, changed };
  } else if (Object.isFrozen(list) && list.every((e) => Object.isFrozen(e))) {
    found = { base: list, changed: [] };
  }
  DIFFS.set(list, found);
  return found;
}

/** A question asked of each entry alone; its answer must depend on nothing but the (frozen) entry. */
export interface EntryTest<T> {
  readonly test: (entry: T) => boolean;
  /** Answers per remembered list (the test's own cache). */
  readonly byList: WeakMap<readonly T[], readonly number[]>;
}

export function entryTest<T>(test: (entry: T) => boolean): EntryTest<T> {
  return { test, byList: new WeakMap() };
}

/** The positions, in order, of the entries of `list` that pass the test. */
export function positionsWhere<T extends object>(list: readonly T[], t: EntryTest<T>): readonly number[] {
  const recalled = recalledOf(list);
  if (recalled === null) return scan(list, t.test);
  const { base, changed } = recalled;
  let inBase = t.byList.get(base);
  if (inBase === undefined) t.byList.set(base, (inBase = scan(base, t.test)));
  if (changed.length === 0) return inBase;
  // The base's positions but where the list has its own entry, merged with those of its own that pass.
  const out: number[] = [];
  let c = 0;
  for (const k of inBase) {
    while (c < changed.length && changed[c]! < k) {
      if (t.test(list[changed[c]!]!)) out.push(changed[c]!);
      c++;
    }
    if (c < changed.length && changed[c] === k) {
      if (t.test(list[k]!)) out.push(k);
      c++;
    } else out.push(k);
  }
  for (; c < changed.length; c++) if (t.test(list[changed[c]!]!)) out.push(changed[c]!);
  return out;
}

function scan<T>(list: readonly T[], test: (entry: T) => boolean): number[] {
  const out: number[] = [];
  for (let k = 0; k < list.length; k++) if (test(list[k]!)) out.push(k);
  return out;
}

/** Lists without some positions, per remembered list and positions (a few per list). */
const WITHOUT = new WeakMap<readonly object[], Map<string, readonly object[]>>();

/**
 * `list` without the entries at `positions` (ascending). A recalled list keeps its relation: the
 * result is recalled from its base without the same positions (made once, frozen), so questions
 * asked of it later are still answered from the base.
 */
export function withoutPositions<T extends object>(list: readonly T[], positions: readonly number[]): T[] {
  const kept = remove(list, positions);
  const recalled = recalledOf(list);
  if (recalled !== null) {
    const key = positions.join(',');
    let made = WITHOUT.get(recalled.base);
    if (made === undefined) WITHOUT.set(recalled.base, (made = new Map()));
    let base = made.get(key) as readonly T[] | undefined;
    if (base === undefined) {
      if (made.size >= 8) made.clear();
      made.set(key, (base = Object.freeze(remove(recalled.base, positions))));
    }
    noteRecalled(kept, base);
  }
  return kept;
}

function remove<T>(list: readonly T[], positions: readonly number[]): T[] {
  if (positions.length === 0) return list.slice();
  const kept = list.slice(0, positions[0]);
  for (let k = 0; k < positions.length; k++) {
    const next = k + 1 < positions.length ? positions[k + 1]! : list.length;
    for (let i = positions[k]! + 1; i < next; i++) kept.push(list[i]!);
  }
  return kept;
}
