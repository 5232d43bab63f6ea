/**
 * LearntValues (src/session/learnt.ts) against a Map, the reference it replaces: any sequence
 * of lists learnt, lookups (walked or indexed), listings and forgetting answers the same.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ParameterValue } from '../../src/cwmp/types.js';
import { LearntValues } from '../../src/session/learnt.js';

const PATHS = ['A.x', 'A.y', 'A.B.z', 'A.B.w', 'C.v', 'C.D.u'];
const path = fc.constantFrom(...PATHS, 'A.none');
const value = (name: string, n: number): ParameterValue => ({ name, value: `v${n}`, type: 'xsd:string' });

type Step =
  | { k: 'add'; names: string[]; size: number }
  | { k: 'get'; path: string }
  | { k: 'paths' }
  | { k: 'forget'; prefix: string };

const step: fc.Arbitrary<Step> = fc.oneof(
  // Small lists are indexed at once, big ones (a discovery) walked first: both kinds.
  fc.record({ k: fc.constant('add' as const), names: fc.array(fc.constantFrom(...PATHS), { maxLength: 6 }), size: fc.constantFrom(0, 100) }),
  fc.record({ k: fc.constant('get' as const), path }),
  fc.record({ k: fc.constant('paths' as const) }),
  fc.record({ k: fc.constant('forget' as const), prefix: fc.constantFrom('A.', 'A.B.', 'C.', '') }),
);

describe('LearntValues', () => {
  it('answers as a Map of the values in the order learnt, the last of a path winning', () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 60 }), (steps) => {
        const learnt = new LearntValues();
        const ref = new Map<string, ParameterValue>();
        let n = 0;
        for (const s of steps) {
          if (s.k === 'add') {
            // `size` pads the list with other names so that it is long enough to be walked.
            const list = [...s.names.map((name) => value(name, n++)), ...Array.from({ length: s.size }, (_, i) => value(`Z.pad${i}`, n++))];
            learnt.add(list);
            for (const p of list) ref.set(p.name, p);
          } else if (s.k === 'get') {
            expect(learnt.get(s.path)).toBe(ref.get(s.path));
            expect(learnt.has(s.path)).toBe(ref.has(s.path));
          } else if (s.k === 'paths') {
            expect(learnt.paths()).toEqual([...ref.keys()]);
          } else {
            learnt.forget((p) => p.startsWith(s.prefix));
            for (const p of [...ref.keys()]) if (p.startsWith(s.prefix)) ref.delete(p);
          }
        }
        expect(learnt.paths()).toEqual([...ref.keys()]);
      }),
      { numRuns: 300 },
    );
  });

  it('walks a big list for the first lookups and indexes it after that, with the same answers', () => {
    const learnt = new LearntValues();
    const big = Array.from({ length: 5_000 }, (_, i) => value(`Device.X.${i}.Name`, i));
    learnt.add(big);
    learnt.add([value('Device.X.7.Name', -1)]);
    for (let i = 0; i < 40; i++) expect(learnt.get('Device.X.7.Name')?.value).toBe('v-1');
    expect(learnt.get('Device.X.4999.Name')?.value).toBe('v4999');
    expect(learnt.get('Device.X.5000.Name')).toBeUndefined();
    expect(learnt.paths()).toHaveLength(5_000);
  });
});
