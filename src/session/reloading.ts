/**
 * What sessions read synchronously from memory (policies, sampling profiles, quirk profiles),
 * kept fresh without a store call per session: reloaded when told (an event relayed between
 * processes says it changed) and on a slow timer as a fallback.
 *
 * Reloads coalesce: a refresh asked for while one is loading joins it, and makes it load once
 * more when done, so a change made during a load is never missed and a burst of events costs
 * at most two loads. A failed load keeps the previous snapshot and reports the error.
 */
export interface ReloadingOptions {
  /** Reload this often even without being told (default 60 s; 0: never). */
  refreshMs?: number;
  onError?: (error: unknown) => void;
}

export class Reloading {
  #loading: Promise<void> | null = null;
  #again = false;
  #timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly load: () => Promise<void>,
    private readonly opts: ReloadingOptions = {},
  ) {}

  /** Load now (and once more if asked again while loading). Resolves when loaded. */
  refresh(): Promise<void> {
    if (this.#loading !== null) {
      this.#again = true;
      return this.#loading;
    }
    this.#loading = (async () => {
      try {
        do {
          this.#again = false;
          await this.load();
        } while (this.#again);
      } catch (e) {
        this.opts.onError?.(e);
      } finally {
        this.#loading = null;
      }
    })();
    return this.#loading;
  }

  /** Load once, then keep fresh on the timer. */
  async start(): Promise<void> {
    await this.refresh();
    const every = this.opts.refreshMs ?? 60_000;
    if (every > 0 && this.#timer === null) {
      this.#timer = setInterval(() => void this.refresh(), every);
      this.#timer.unref();
    }
  }

  close(): void {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
  }
}
