/**
 * The line diff behind backup comparison (src/services/diff.ts): exact hunks on a small case,
 * and, for any two texts, a patch that turns the first into the second.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { unifiedDiff } from '../../src/services/diff.js';

/** Apply a unified diff to `before` (the test's own reader of the format). */
function apply(before: string, diff: string): string[] {
  const a = before === '' ? [] : before.replace(/\n$/, '').split('\n');
  const out: string[] = [];
  let ai = 0;
  for (const line of diff.split('\n')) {
    const m = /^@@ -(\d+),(\d+) \+\d+,\d+ @@$/.exec(line);
    if (m !== null) {
      const start = Number(m[2]) === 0 ? Number(m[1]) : Number(m[1]) - 1;
      while (ai < start) out.push(a[ai++]!);
      continue;
    }
    if (line.startsWith('---') || line.startsWith('+++') || line === '') continue;
    if (line[0] === ' ') {
      expect(a[ai]).toBe(line.slice(1));
      out.push(a[ai++]!);
    } else if (line[0] === '-') {
      expect(a[ai]).toBe(line.slice(1));
      ai++;
    } else if (line[0] === '+') out.push(line.slice(1));
  }
  while (ai < a.length) out.push(a[ai++]!);
  return out;
}

describe('unifiedDiff', () => {
  it('one change in the middle and one line added at the end: two hunks with three lines of context', () => {
    const a = 'a\nb\nc\nd\ne\nf\ng\nh\ni\nj\n';
    const b = 'a\nb\nX\nd\ne\nf\ng\nh\ni\nj\nk\n';
    const r = unifiedDiff(a, b, { from: 'old', to: 'new' });
    expect(r).toMatchObject({ added: 2, removed: 1, truncated: false });
    expect(r.text).toBe(['--- old', '+++ new', '@@ -1,6 +1,6 @@', ' a', ' b', '-c', '+X', ' d', ' e', ' f', '@@ -8,3 +8,4 @@', ' h', ' i', ' j', '+k', ''].join('\n'));
    expect(unifiedDiff('same\n', 'same\n', { from: 'a', to: 'b' }).text).toBe('');
  });

  it('for any two texts, the diff applied to the first gives the second', () => {
    const text = fc.array(fc.constantFrom('a', 'b', 'c', 'd', '<P name="x">1</P>', ''), { maxLength: 40 }).map((l) => l.map((s) => `${s}\n`).join(''));
    fc.assert(
      fc.property(text, text, (x, y) => {
        const r = unifiedDiff(x, y, { from: 'x', to: 'y' });
        const want = y === '' ? [] : y.replace(/\n$/, '').split('\n');
        expect(apply(x, r.text)).toEqual(want);
      }),
      { numRuns: 300 },
    );
  });

  it('gives up (truncated) beyond its edit budget instead of working forever', () => {
    const a = Array.from({ length: 200 }, (_, i) => `a${i}`).join('\n');
    const b = Array.from({ length: 200 }, (_, i) => `b${i}`).join('\n');
    expect(unifiedDiff(a, b, { from: 'x', to: 'y' }, { maxEdits: 50 }).truncated).toBe(true);
  });
});
