/**
 * The sampling profiles a process's sessions use (concerns/series.ts), held in memory like
 * the policy set (src/policies/source.ts): sessions read them synchronously, with no store
 * call; reloaded when a profile changes (the `sampling.changed` event, relayed between
 * processes) and on a slow timer as a fallback.
 */
import type { SamplingProfile } from '../store/types.js';
import { Reloading, type ReloadingOptions } from './reloading.js';

export interface SamplingLoader {
  listSamplingProfiles(): Promise<SamplingProfile[]>;
}

export class SamplingSource {
  #profiles: readonly SamplingProfile[] = [];
  #digest: string | null = null;
  #changedAt = 0;
  readonly #reloading: Reloading;

  constructor(
    readonly loader: SamplingLoader,
    readonly opts: ReloadingOptions = {},
  ) {
    this.#reloading = new Reloading(async () => {
      this.#profiles = (await loader.listSamplingProfiles()).filter((p) => p.enabled);
      // When the bulk data profiles changed (one added, edited or gone) as this process saw
      // it: devices whose last Inform is older re-check what the set configures on them
      // (session/programs/bulkdata.ts). Profiles sampled in sessions need no such check.
      const digest = this.#profiles
        .filter((p) => p.bulkData !== undefined)
        .map((p) => `${p.id}@${p.updatedAt}`)
        .join(',');
      if (this.#digest !== null && digest !== this.#digest) this.#changedAt = Date.now();
      this.#digest = digest;
    }, opts);
  }

  current(): readonly SamplingProfile[] {
    return this.#profiles;
  }

  /** When this process last saw the bulk data profiles change (0: not since it started). */
  changedAt(): number {
    return this.#changedAt;
  }

  refresh(): Promise<void> {
    return this.#reloading.refresh();
  }

  start(): Promise<void> {
    return this.#reloading.start();
  }

  close(): void {
    this.#reloading.close();
  }
}
