/**
 * What a session has read or set, by path: the programs' view of it (SessionView.learnt).
 *
 * A discovery's answer is thousands of values that programs rarely ask about: lists are kept
 * as they come and indexed only once asked often. A lookup before that walks them, newest
 * first — a few walks cost less than hashing every name of a bootstrap into a map (measured
 * in bench/storm: 1.5 ms of the ACS's CPU per 5,225-value bootstrap for the map alone).
 */
import type { ParameterValue } from '../cwmp/types.js';

/** Lookups answered by walking the unindexed lists before they are indexed. */
const WALKS = 16;
/** Unindexed lists shorter than this are indexed at once: walking them saves nothing. */
const SMALL = 64;

export class LearntValues {
  readonly #index = new Map<string, ParameterValue>();
  /** Lists not indexed yet, oldest first: each newer than everything in the index. */
  #pending: (readonly ParameterValue[])[] = [];
  #pendingSize = 0;
  #walks = 0;

  /** Values read or set, in order: a later one of a path replaces the earlier. */
  add(params: readonly ParameterValue[]): void {
    if (params.length === 0) return;
    this.#pending.push(params);
    this.#pendingSize += params.length;
  }

  get(path: string): ParameterValue | undefined {
    if (this.#pending.length > 0) {
      if (this.#pendingSize >= SMALL && this.#walks < WALKS) {
        this.#walks++;
        return this.#walk(path) ?? this.#index.get(path);
      }
      this.#flush();
    }
    return this.#index.get(path);
  }

  has(path: string): boolean {
    return this.get(path) !== undefined;
  }

  /** Every path learnt, in the order first learnt. */
  paths(): string[] {
    this.#flush();
    return [...this.#index.keys()];
  }

  /** Forget the paths `gone` selects (a deleted object's subtree, a cleared tree). */
  forget(gone: (path: string) => boolean): void {
    this.#flush();
    for (const path of [...this.#index.keys()]) if (gone(path)) this.#index.delete(path);
  }

  #walk(path: string): ParameterValue | undefined {
    for (let l = this.#pending.length - 1; l >= 0; l--) {
      const list = this.#pending[l]!;
      for (let i = list.length - 1; i >= 0; i--) if (list[i]!.name === path) return list[i];
    }
    return undefined;
  }

  #flush(): void {
    for (const list of this.#pending) for (const p of list) this.#index.set(p.name, p);
    this.#pending = [];
    this.#pendingSize = 0;
  }
}
