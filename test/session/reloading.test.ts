/**
 * Reloading (src/session/reloading.ts): refreshes coalesce, a change asked for during a load
 * gets one more load, a failed load reports and keeps going.
 */
import { describe, expect, it } from 'vitest';
import { Reloading } from '../../src/session/reloading.js';

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('Reloading', () => {
  it('a burst of refreshes while loading costs one more load, not one each', async () => {
    let loads = 0;
    let release: (() => void) | null = null;
    const r = new Reloading(async () => {
      loads++;
      if (loads === 1) await new Promise<void>((res) => (release = res));
    });
    const first = r.refresh();
    await tick();
    const joined = [r.refresh(), r.refresh(), r.refresh()];
    expect(loads).toBe(1);
    release!();
    await Promise.all([first, ...joined]);
    expect(loads).toBe(2);
    await r.refresh();
    expect(loads).toBe(3);
  });

  it('a failed load is reported and the next refresh loads again', async () => {
    const errors: unknown[] = [];
    let n = 0;
    const r = new Reloading(
      async () => {
        n++;
        if (n === 1) throw new Error('store down');
      },
      { onError: (e) => errors.push(e) },
    );
    await r.refresh();
    await r.refresh();
    expect(n).toBe(2);
    expect(errors.map((e) => (e as Error).message)).toEqual(['store down']);
  });

  it('start loads once and arms the timer; close disarms it', async () => {
    let n = 0;
    const r = new Reloading(async () => void n++, { refreshMs: 5 });
    await r.start();
    expect(n).toBe(1);
    await new Promise((res) => setTimeout(res, 40));
    r.close();
    const after = n;
    expect(after).toBeGreaterThan(1);
    await new Promise((res) => setTimeout(res, 30));
    expect(n).toBe(after);
  });
});
