/**
 * Waves: how many devices each wave takes, and which device goes in which. Planned once, at
 * creation, over the devices the campaign will upgrade (the skipped ones are left out), so
 * a wave's size is fixed and its verdict means the same thing whenever it is read.
 */
import type { WaveSpec } from './types.js';

/**
 * Sizes of the waves for `eligible` devices, one per spec, in order: `size` takes that many,
 * `percent` that share of `eligible` (rounded up, at least one), each capped by what is
 * left; the last wave takes whatever is still left, so no device is forgotten. Waves after
 * the devices run out are 0.
 */
export function planWaves(eligible: number, specs: readonly WaveSpec[]): number[] {
  let left = Math.max(0, Math.floor(eligible));
  return specs.map((spec, i) => {
    const want = 'size' in spec ? spec.size : Math.max(1, Math.ceil((spec.percent / 100) * eligible - 1e-9));
    const n = i === specs.length - 1 ? left : Math.min(want, left);
    left -= n;
    return n;
  });
}

/** The wave of the device at position `index` (0-based) in the campaign's order. */
export function waveOf(index: number, sizes: readonly number[]): number {
  let end = 0;
  for (let w = 0; w < sizes.length; w++) {
    end += sizes[w]!;
    if (index < end) return w;
  }
  return Math.max(0, sizes.length - 1);
}
