/**
 * The policy set a process's sessions use, held in memory: sessions read it synchronously
 * (no store call per session); it is reloaded when a policy changes (the `policy.changed`
 * event, relayed between processes like every event) and, as a fallback, on a slow timer.
 */
import type { PolicyRecord, VirtualParameterRecord } from '../store/types.js';
import { PolicySet } from './engine.js';
import type { ScriptHost } from './sandbox.js';
import { Reloading, type ReloadingOptions } from '../session/reloading.js';

export interface PolicyLoader {
  listPolicies(): Promise<PolicyRecord[]>;
  /** Virtual parameters (src/policies/engine.ts reads them in filters and declarations). */
  listVirtualParameters?(): Promise<VirtualParameterRecord[]>;
}

export interface PolicySourceOptions extends ReloadingOptions {
  /** Runs the policies' scripts (default: the process's sandbox with default limits, once loaded). */
  scripts?: ScriptHost | null;
}

export class PolicySource {
  #set = new PolicySet([]);
  readonly #reloading: Reloading;

  constructor(loader: PolicyLoader, opts: PolicySourceOptions = {}) {
    this.#reloading = new Reloading(async () => {
      const [list, virtual] = await Promise.all([loader.listPolicies(), loader.listVirtualParameters?.() ?? []]);
      this.#set = new PolicySet(list, { virtual, ...(opts.scripts === undefined ? {} : { scripts: opts.scripts }) });
    }, opts);
  }

  current(): PolicySet {
    return this.#set;
  }

  /** Load now (coalesced, ../session/reloading.ts). Resolves when loaded. */
  refresh(): Promise<void> {
    return this.#reloading.refresh();
  }

  /** Load once, then keep fresh on the timer. */
  start(): Promise<void> {
    return this.#reloading.start();
  }

  close(): void {
    this.#reloading.close();
  }
}
