/**
 * The policy set a process's sessions use, held in memory: sessions read it synchronously
 * (no store call per session); it is reloaded when a policy changes (the `policy.changed`
 * event, relayed between processes like every event) and, as a fallback, on a slow timer.
 */
import type { PolicyRecord, VirtualParameterRecord } from '../store/types.js';
import { PolicySet } from './engine.js';
import type { ScriptHost } from './sandbox.js';

export interface PolicyLoader {
  listPolicies(): Promise<PolicyRecord[]>;
  /** Virtual parameters (src/policies/engine.ts reads them in filters and declarations). */
  listVirtualParameters?(): Promise<VirtualParameterRecord[]>;
}

export interface PolicySourceOptions {
  /** Reload this often even without an event (default 60 s; 0: never). */
  refreshMs?: number;
  onError?: (error: unknown) => void;
  /** Runs the policies' scripts (default: the process's sandbox with default limits, once loaded). */
  scripts?: ScriptHost | null;
}

export class PolicySource {
  #set = new PolicySet([]);
  #loading: Promise<void> | null = null;
  #again = false;
  #timer: NodeJS.Timeout | null = null;
  readonly #loader: PolicyLoader;
  readonly #opts: PolicySourceOptions;

  constructor(loader: PolicyLoader, opts: PolicySourceOptions = {}) {
    this.#loader = loader;
    this.#opts = opts;
  }

  current(): PolicySet {
    return this.#set;
  }

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
          const [list, virtual] = await Promise.all([this.#loader.listPolicies(), this.#loader.listVirtualParameters?.() ?? []]);
          this.#set = new PolicySet(list, { virtual, ...(this.#opts.scripts === undefined ? {} : { scripts: this.#opts.scripts }) });
        } while (this.#again);
      } catch (e) {
        this.#opts.onError?.(e);
      } finally {
        this.#loading = null;
      }
    })();
    return this.#loading;
  }

  /** Load once, then keep fresh on the timer. */
  async start(): Promise<void> {
    await this.refresh();
    const every = this.#opts.refreshMs ?? 60_000;
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
