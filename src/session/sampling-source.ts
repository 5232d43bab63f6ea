/**
 * The sampling profiles a process's sessions use (concerns/series.ts), held in memory like
 * the policy set (src/policies/source.ts): sessions read them synchronously, with no store
 * call; reloaded when a profile changes (the `sampling.changed` event, relayed between
 * processes) and on a slow timer as a fallback.
 */
import type { SamplingProfile } from '../store/types.js';

export interface SamplingLoader {
  listSamplingProfiles(): Promise<SamplingProfile[]>;
}

export class SamplingSource {
  #profiles: readonly SamplingProfile[] = [];
  #digest: string | null = null;
  #changedAt = 0;
  #loading: Promise<void> | null = null;
  #again = false;
  #timer: NodeJS.Timeout | null = null;

  constructor(
    readonly loader: SamplingLoader,
    readonly opts: { refreshMs?: number; onError?: (error: unknown) => void } = {},
  ) {}

  current(): readonly SamplingProfile[] {
    return this.#profiles;
  }

  /** When this process last saw the bulk data profiles change (0: not since it started). */
  changedAt(): number {
    return this.#changedAt;
  }

  refresh(): Promise<void> {
    if (this.#loading !== null) {
      this.#again = true;
      return this.#loading;
    }
    this.#loading = (async () => {
      try {
        do {
          this.#again = false;
          this.#profiles = (await this.loader.listSamplingProfiles()).filter((p) => p.enabled);
          // When the bulk data profiles changed (one added, edited or gone) as this process saw
          // it: devices whose last Inform is older re-check what the set configures on them
          // (session/programs/bulkdata.ts). Profiles sampled in sessions need no such check.
          const digest = this.#profiles
            .filter((p) => p.bulkData !== undefined)
            .map((p) => `${p.id}@${p.updatedAt}`)
            .join(',');
          if (this.#digest !== null && digest !== this.#digest) this.#changedAt = Date.now();
          this.#digest = digest;
        } while (this.#again);
      } catch (e) {
        this.opts.onError?.(e);
      } finally {
        this.#loading = null;
      }
    })();
    return this.#loading;
  }

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
