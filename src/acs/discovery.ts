/**
 * Discovery of a new (or factory-reset) device's whole tree: one GetParameterNames of the
 * root with NextLevel false, then GetParameterValues of every parameter in batches.
 * A plan is a small iterator the session asks for its next request; it learns from each
 * answer (the names decide the value batches).
 */
import type { AcsRequest, CpeResponse } from '../cwmp/types.js';

export class DiscoveryPlan {
  #stage: 'names' | 'values' | 'done' = 'names';
  #pendingNames: string[] = [];
  readonly #root: string;
  readonly #batchSize: number;

  constructor(root: string, batchSize: number) {
    this.#root = root;
    this.#batchSize = Math.max(1, batchSize);
  }

  next(): AcsRequest | null {
    if (this.#stage === 'names') {
      return { method: 'GetParameterNames', parameterPath: this.#root, nextLevel: false };
    }
    if (this.#stage === 'values') {
      const batch = this.#pendingNames.splice(0, this.#batchSize);
      if (batch.length > 0) return { method: 'GetParameterValues', parameterNames: batch };
      this.#stage = 'done';
    }
    return null;
  }

  /** Feed the answer to the request `next` returned (null when the CPE faulted). */
  learn(response: CpeResponse | null): void {
    if (this.#stage !== 'names') return;
    if (response === null || response.method !== 'GetParameterNamesResponse') {
      // A CPE that cannot list its tree cannot be discovered this session; stop quietly,
      // the fault is already in the session log.
      this.#stage = 'done';
      return;
    }
    this.#pendingNames = response.parameterList.filter((p) => !p.name.endsWith('.')).map((p) => p.name);
    this.#stage = 'values';
  }
}

/** The data-model root a CPE uses, from the names it sent in its Inform. */
export function rootOf(names: readonly string[]): string {
  for (const name of names) {
    const dot = name.indexOf('.');
    if (dot > 0) return name.slice(0, dot + 1);
  }
  return 'InternetGatewayDevice.';
}
