/** Lists recalled from a remembered one: questions of every entry answered from the base and the entries of their own. */
import { describe, expect, it } from 'vitest';
import { entryTest, noteRecalled, positionsWhere, recalledOf, withoutPositions } from '../../src/cwmp/recalled.js';

interface E {
  name: string;
  value: string;
}

const scan = <T>(list: readonly T[], test: (e: T) => boolean): number[] => list.flatMap((e, k) => (test(e) ? [k] : []));

let seed = 11;
const random = (n: number): number => {
  seed = (seed * 1103515245 + 12345) % 2147483648;
  return seed % n;
};

function remembered(n: number): readonly E[] {
  return Object.freeze(Array.from({ length: n }, (_, k) => Object.freeze({ name: `Device.X.${k}.${random(4) === 0 ? 'Password' : 'Name'}`, value: random(3) === 0 ? '' : `v${k}` })));
}

/** A device's answer: the remembered entries, some replaced by its own (which may or may not pass the test). */
function recalledFrom(base: readonly E[], share: number): E[] {
  const list = base.map((e) => (random(share) === 0 ? { name: e.name, value: random(2) === 0 ? '' : `own${random(100)}` } : e));
  noteRecalled(list, base);
  return list;
}

const blankPassword = entryTest<E>((e) => e.value === '' && e.name.endsWith('Password'));

describe('recalled lists', () => {
  it('answer a question of every entry as a scan of the list would, whatever entries are their own', () => {
    for (let round = 0; round < 200; round++) {
      const base = remembered(1 + random(300));
      for (const share of [1, 2, 5, 50, 1000]) {
        const list = recalledFrom(base, share);
        const recalled = recalledOf(list)!;
        expect(recalled.base).toBe(base);
        expect(recalled.changed).toEqual(list.flatMap((e, k) => (e !== base[k] ? [k] : [])));
        expect(positionsWhere(list, blankPassword)).toEqual(scan(list, blankPassword.test));
      }
      expect(positionsWhere(base, blankPassword)).toEqual(scan(base, blankPassword.test));
    }
  });

  it('a list without some positions is still answered from its base without the same positions', () => {
    for (let round = 0; round < 100; round++) {
      const base = remembered(20 + random(200));
      const list = recalledFrom(base, 1 + random(20));
      const blanks = positionsWhere(list, blankPassword);
      const kept = withoutPositions(list, blanks);
      expect(kept).toEqual(list.filter((_, k) => !blanks.includes(k)));
      const recalled = recalledOf(kept)!;
      expect(recalled).not.toBeNull();
      expect(recalled.base.length).toBe(kept.length);
      // Every entry the kept list shares with its new base at a place is the entry of the list there.
      for (let k = 0; k < kept.length; k++) if (!recalled.changed.includes(k)) expect(kept[k]).toBe(recalled.base[k]);
      expect(positionsWhere(kept, blankPassword)).toEqual(scan(kept, blankPassword.test));
      const named = entryTest<E>((e) => e.name.includes('.1'));
      expect(positionsWhere(kept, named)).toEqual(scan(kept, named.test));
    }
  });

  it('lists the memo did not recall are scanned; frozen ones of frozen entries are their own base', () => {
    const plain = [{ name: 'A.Password', value: '' }];
    expect(recalledOf(plain)).toBeNull();
    expect(positionsWhere(plain, blankPassword)).toEqual([0]);
    const frozen = Object.freeze([Object.freeze({ name: 'A.Password', value: '' }), Object.freeze({ name: 'B', value: '' })]);
    expect(recalledOf(frozen)).toEqual({ base: frozen, changed: [] });
    expect(positionsWhere(frozen, blankPassword)).toEqual([0]);
    // A base of another length is no base.
    const short = [frozen[0]!];
    noteRecalled(short, frozen);
    expect(recalledOf(short)).toBeNull();
  });
});
