/**
 * The virtual parameter service: create, replace and delete virtual parameters (named
 * computed parameters, `VirtualParameters.<name>`). Scripts are compiled (never run) at save:
 * a syntax error is INVALID_POLICY with its line and column. Every change is announced as
 * `policy.changed`, so the ACS processes reload their policy set, which holds them; their key
 * is part of the set's, so each device evaluates them again at its next session.
 */
import type { EventBus } from '../events/bus.js';
import { loadSandbox, sandboxHost } from '../policies/sandbox.js';
import { PolicyInputError } from '../policies/validate.js';
import { parseVirtualParameter } from '../policies/virtual.js';
import type { Store, VirtualParameterDefinition, VirtualParameterRecord } from '../store/types.js';
import { conflict, notFound, ServiceError } from './errors.js';

export interface VirtualParameterServiceOptions {
  store: Store;
  bus: EventBus;
  now?: () => number;
}

/** Most virtual parameters (each is computed in every evaluated session). */
export const MAX_VIRTUAL_PARAMETERS = 100;

export class VirtualParameterService {
  readonly #o: VirtualParameterServiceOptions;
  readonly #now: () => number;

  constructor(opts: VirtualParameterServiceOptions) {
    this.#o = opts;
    this.#now = opts.now ?? Date.now;
  }

  async #parse(input: unknown, name?: string): Promise<VirtualParameterDefinition> {
    await loadSandbox();
    const host = sandboxHost();
    try {
      return parseVirtualParameter(input, host === null ? undefined : (src) => host.check(src), name);
    } catch (e) {
      if (e instanceof PolicyInputError) throw new ServiceError('INVALID_POLICY', e.message, undefined, e.position);
      throw e;
    }
  }

  list(): Promise<VirtualParameterRecord[]> {
    return this.#o.store.listVirtualParameters();
  }

  async get(name: string): Promise<VirtualParameterRecord> {
    const v = await this.#o.store.getVirtualParameter(name);
    if (v === null) throw notFound(`virtual parameter ${name}`);
    return v;
  }

  async create(input: unknown, author: string): Promise<VirtualParameterRecord> {
    const def = await this.#parse(input);
    if ((await this.#o.store.listVirtualParameters()).length >= MAX_VIRTUAL_PARAMETERS) throw conflict(`at most ${MAX_VIRTUAL_PARAMETERS} virtual parameters`);
    const now = this.#now();
    const record: VirtualParameterRecord = { ...def, revision: 1, createdAt: now, updatedAt: now, author };
    if (!(await this.#o.store.createVirtualParameter(record))) throw conflict(`virtual parameter ${def.name} exists`);
    this.#changed(def.name);
    return record;
  }

  async update(name: string, input: unknown, author: string): Promise<VirtualParameterRecord> {
    const def = await this.#parse(input, name);
    const current = await this.get(name);
    const record: VirtualParameterRecord = { ...def, revision: current.revision + 1, createdAt: current.createdAt, updatedAt: this.#now(), author };
    if (!(await this.#o.store.updateVirtualParameter(record))) throw conflict(`virtual parameter ${name} changed meanwhile; read it again`);
    this.#changed(name);
    return record;
  }

  async delete(name: string): Promise<void> {
    if (!(await this.#o.store.deleteVirtualParameter(name))) throw notFound(`virtual parameter ${name}`);
    this.#changed(name);
  }

  #changed(name: string): void {
    this.#o.bus.publish({ type: 'policy.changed', at: this.#now(), deviceId: '', data: { virtualParameter: name } });
  }
}
