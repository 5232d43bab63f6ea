/**
 * One timer for many CPEs: a binary min-heap of due times behind a single setTimeout.
 *
 * Ten thousand CPEs with a periodic inform, a retry and the odd delayed transfer each
 * would otherwise hold ten thousand Node Timeout objects (~150 bytes each plus a closure);
 * here an entry is a small record pointing at its target. Cancelled entries are dropped
 * lazily when they reach the top, and the heap is compacted when they pile up.
 */

/** Something a timer can wake. `kind` says why, so no closure is kept per timer. */
export interface TimerTarget<K = string> {
  onTimer(kind: K, arg: unknown): void;
}

export interface TimerEntry {
  readonly at: number;
  cancelled: boolean;
}

interface Entry extends TimerEntry {
  at: number;
  seq: number;
  target: TimerTarget<never>;
  kind: unknown;
  arg: unknown;
}

export interface Scheduler {
  now(): number;
  /** Run `target.onTimer(kind, arg)` at `at` (ms since the epoch). */
  at<K>(at: number, target: TimerTarget<K>, kind: K, arg?: unknown): TimerEntry;
  cancel(entry: TimerEntry | null | undefined): void;
  /** Timers still due (cancelled ones excluded). */
  readonly size: number;
  /** Stop firing; pending entries are kept but never run. */
  stop(): void;
}

/** Longest delay setTimeout accepts (2^31 - 1 ms); longer waits re-arm. */
const MAX_DELAY = 0x7fffffff;

export class HeapScheduler implements Scheduler {
  #heap: Entry[] = [];
  #seq = 0;
  #cancelled = 0;
  #timer: NodeJS.Timeout | null = null;
  #armedAt = Infinity;
  #stopped = false;
  readonly #now: () => number;
  /** Called after an onTimer throws; the scheduler carries on with the next entry. */
  readonly #onError: (e: unknown) => void;

  constructor(opts: { now?: () => number; onError?: (e: unknown) => void } = {}) {
    this.#now = opts.now ?? Date.now;
    this.#onError = opts.onError ?? ((e) => process.emitWarning(e instanceof Error ? e : String(e)));
  }

  now(): number {
    return this.#now();
  }

  get size(): number {
    return this.#heap.length - this.#cancelled;
  }

  at<K>(at: number, target: TimerTarget<K>, kind: K, arg?: unknown): TimerEntry {
    const entry: Entry = { at, seq: this.#seq++, target: target as TimerTarget<never>, kind, arg, cancelled: false };
    this.#push(entry);
    if (at < this.#armedAt) this.#arm();
    return entry;
  }

  cancel(entry: TimerEntry | null | undefined): void {
    if (entry === null || entry === undefined || entry.cancelled) return;
    entry.cancelled = true;
    this.#cancelled++;
    if (this.#cancelled > 1024 && this.#cancelled > this.#heap.length / 2) this.#compact();
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    this.#armedAt = Infinity;
  }

  #arm(): void {
    if (this.#stopped) return;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    this.#armedAt = Infinity;
    while (this.#heap.length > 0 && this.#heap[0]!.cancelled) this.#pop();
    const top = this.#heap[0];
    if (top === undefined) return;
    this.#armedAt = top.at;
    const delay = Math.min(MAX_DELAY, Math.max(0, top.at - this.#now()));
    this.#timer = setTimeout(() => this.#fire(), delay);
    // The fleet's life is bounded by its own logic; a lone timer must not keep Node up.
    this.#timer.unref();
  }

  #fire(): void {
    this.#timer = null;
    this.#armedAt = Infinity;
    const now = this.#now();
    // Bounded batch so a burst of due timers cannot starve I/O.
    for (let n = 0; n < 4096 && !this.#stopped; n++) {
      const top = this.#heap[0];
      if (top === undefined || top.at > now) break;
      this.#pop();
      if (top.cancelled) continue;
      top.cancelled = true; // fired and out of the heap: a later cancel() is a no-op
      try {
        top.target.onTimer(top.kind as never, top.arg);
      } catch (e) {
        this.#onError(e);
      }
    }
    this.#arm();
  }

  #push(e: Entry): void {
    const h = this.#heap;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!less(e, h[p]!)) break;
      h[i] = h[p]!;
      i = p;
    }
    h[i] = e;
  }

  #pop(): Entry | undefined {
    const h = this.#heap;
    const top = h[0];
    const last = h.pop();
    if (top === undefined || last === undefined) return undefined;
    if (top.cancelled) this.#cancelled--;
    if (h.length > 0) {
      let i = 0;
      const n = h.length;
      while (true) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        const c = r < n && less(h[r]!, h[l]!) ? r : l;
        if (!less(h[c]!, last)) break;
        h[i] = h[c]!;
        i = c;
      }
      h[i] = last;
    }
    return top;
  }

  #compact(): void {
    const live = this.#heap.filter((e) => !e.cancelled);
    this.#heap = [];
    this.#cancelled = 0;
    for (const e of live) this.#push(e);
    this.#arm();
  }
}

function less(a: Entry, b: Entry): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}
