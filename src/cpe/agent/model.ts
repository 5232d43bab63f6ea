/**
 * A TR-181 tree backed by the real system: the providers' declarations assembled into the
 * same node shapes the simulator's templates use, so every RPC semantic (name expansion,
 * atomic SetParameterValues, attributes, DiagnosticsState rules, transfer validation) is the
 * one of src/cpe/rpc, written once. What differs is where values live: each parameter's
 * value comes from its provider, writes go through the provider's commit hook, and the
 * tree is rebuilt from the declarations after every refresh and every write.
 */
import type { AcsRequest, AllQueuedTransfer, ParameterValue, SetParameterValuesFault } from '../../cwmp/types.js';
import type { Attributes, DeviceOps, Ref } from '../model/device.js';
import { TemplateBuilder, type Template, type TObject, type TParam } from '../model/template.js';
import { handleRequest } from '../rpc/handle.js';
import { failed, spvFault } from '../rpc/faults.js';
import type { CpeDataModel, LiveHooks, RpcOutcome } from '../types.js';
import type { Declarer, ParamDecl, Provider, ProviderContext, Value } from './provider.js';
import type { StateFile } from './state.js';

/** Notification values that put a changed value in the next Inform (1, 2, 4, 6; 3 and 5 are UDP-only). */
const INFORM_NOTIFICATIONS: ReadonlySet<number> = new Set([1, 2, 4, 6]);
/** Row keys kept per table for stable instance numbers. */
const MAX_REMEMBERED_ROWS = 2048;

export interface LiveModelOptions {
  providers: readonly Provider[];
  state: StateFile;
  /** Requests the model refuses itself (Reboot and FactoryReset without a hook): method → fault code. */
  refuse?: ReadonlyMap<string, number>;
  /** Called after anything persisted changed (ParameterKey, attributes, a provider's values). */
  onPersist?: () => void;
  /** The client's transfer queue (GetQueuedTransfers, CancelTransfer). */
  transfers?: () => readonly AllQueuedTransfer[];
  live?: LiveHooks;
  onError?: (provider: string, e: unknown) => void;
}

interface Built {
  template: Template;
  values: Map<string, Value>;
  owner: Map<string, Provider>;
}

export class LiveModel implements CpeDataModel, DeviceOps {
  readonly root = 'Device.' as const;
  readonly live: LiveHooks | undefined;
  readonly #providers: readonly Provider[];
  readonly #stateFile: StateFile;
  readonly #refuse: ReadonlyMap<string, number>;
  readonly #onPersist: () => void;
  readonly #transfers: () => readonly AllQueuedTransfer[];
  readonly #onError: (provider: string, e: unknown) => void;
  readonly #ctx = new Map<string, ProviderContext>();
  #built: Built;
  /** Last value seen of each parameter with notification on (for the value-change poll). */
  #seen = new Map<string, string>();
  #changed = new Set<string>();
  #activeChange = false;

  constructor(opts: LiveModelOptions) {
    this.#providers = opts.providers;
    this.#stateFile = opts.state;
    this.#refuse = opts.refuse ?? new Map();
    this.#onPersist = opts.onPersist ?? (() => this.#stateFile.save());
    this.#transfers = opts.transfers ?? (() => []);
    this.#onError = opts.onError ?? (() => undefined);
    this.live = opts.live;
    this.#built = this.#build();
  }

  get template(): Template {
    return this.#built.template;
  }

  // ---------------------------------------------------------------- providers

  #context(p: Provider): ProviderContext {
    let ctx = this.#ctx.get(p.name);
    if (ctx !== undefined) return ctx;
    const s = this.#stateFile.state;
    ctx = {
      instance: (table, key) => {
        const map = (s.instances[table] ??= {});
        const known = map[`=${key}`];
        if (known !== undefined) {
          // Most recently used last, so the pruning below forgets rows long gone, not live ones.
          delete map[`=${key}`];
          map[`=${key}`] = known;
          return known;
        }
        const n = map['#next'] ?? 1;
        map[`=${key}`] = n;
        map['#next'] = n + 1;
        // Rows that come and go (neighbours) must not grow the file forever: forget the
        // least recently seen keys; their numbers are still never reused, since #next only grows.
        const keys = Object.keys(map);
        if (keys.length > MAX_REMEMBERED_ROWS) for (const k of keys.slice(0, keys.length - MAX_REMEMBERED_ROWS / 2)) if (k !== '#next') delete map[k];
        this.#onPersist();
        return n;
      },
      stored: (key) => s.providers[p.name]?.[key],
      store: (key, value) => {
        (s.providers[p.name] ??= {})[key] = value;
        this.#onPersist();
      },
    };
    this.#ctx.set(p.name, ctx);
    return ctx;
  }

  /** Read the system through every provider, then rebuild the tree. A failing provider keeps its last reading. */
  async refresh(): Promise<[string, string][]> {
    await Promise.all(
      this.#providers.map(async (p) => {
        try {
          await p.refresh?.(this.#context(p));
        } catch (e) {
          this.#onError(p.name, e);
        }
      }),
    );
    this.#built = this.#build();
    return this.#noticeChanges();
  }

  /**
   * Compare every parameter with notification on against the value last seen: a change is
   * marked for the next Inform (and, for active notification, makes hasActiveChange true).
   * Returns the changed [path, value] pairs.
   */
  #noticeChanges(): [string, string][] {
    const out: [string, string][] = [];
    for (const [path, a] of Object.entries(this.#stateFile.state.attributes)) {
      if (a.notification === 0) continue;
      const now = this.get(path)?.value;
      if (now === undefined) continue;
      const seen = this.#seen.get(path);
      this.#seen.set(path, now);
      if (seen === undefined || seen === now) continue;
      out.push([path, now]);
      if (INFORM_NOTIFICATIONS.has(a.notification)) this.#changed.add(path);
      if (a.notification === 2) this.#activeChange = true;
    }
    return out;
  }

  hasValueChange(): boolean {
    return this.#changed.size > 0;
  }

  #build(): Built {
    const b = new TemplateBuilder('Device.');
    const values = new Map<string, Value>();
    const owner = new Map<string, Provider>();
    for (const p of this.#providers) {
      const d: Declarer = {
        object: (path, opts = {}) => {
          b.object(path, { ...(opts.table !== undefined ? { table: opts.table } : {}), ...(opts.writable !== undefined ? { writable: opts.writable } : {}) });
          owner.set(path, p);
        },
        param: (path, decl: ParamDecl, value) => {
          b.param(path, { ...decl, writable: decl.writable ?? false });
          values.set(path, value);
          owner.set(path, p);
        },
      };
      try {
        p.declare(d, this.#context(p));
      } catch (e) {
        this.#onError(p.name, e);
      }
    }
    return { template: b.build(), values, owner };
  }

  /** Re-read the declarations without touching the system (a provider changed its own values). */
  rebuild(): void {
    this.#built = this.#build();
  }

  #rebuild(): void {
    this.rebuild();
  }

  // ---------------------------------------------------------------- DeviceOps

  lookup(path: string): Ref | undefined {
    const node = this.#built.template.index.get(path);
    return node ? { path, node } : undefined;
  }

  /** Its template is rebuilt from the system's state, so no walk is shared between reads. */
  pristine(): boolean {
    return false;
  }

  children(obj: Ref<TObject>): Ref[] {
    const out: Ref[] = [];
    for (const [k, c] of obj.node.children) out.push({ path: c.kind === 'object' ? `${obj.path}${k}.` : obj.path + k, node: c });
    return out;
  }

  valueOf(ref: Ref<TParam>): string {
    const v = this.#built.values.get(ref.path);
    if (v === undefined) return '';
    if (typeof v === 'string') return v;
    try {
      return v();
    } catch {
      return '';
    }
  }

  attributesOf(ref: Ref<TParam>): Attributes {
    return this.#stateFile.state.attributes[ref.path] ?? ref.node;
  }

  commitValues(entries: ReadonlyArray<readonly [Ref<TParam>, string]>): void {
    const byProvider = new Map<Provider, [string, string][]>();
    for (const [ref, value] of entries) {
      const p = this.#built.owner.get(ref.path);
      if (p === undefined) continue;
      let list = byProvider.get(p);
      if (list === undefined) byProvider.set(p, (list = []));
      list.push([ref.path, value]);
    }
    try {
      for (const [p, writes] of byProvider) p.commit?.(writes, this.#context(p));
    } finally {
      this.#rebuild();
    }
  }

  setAttributes(ref: Ref<TParam>, attrs: Attributes): void {
    const s = this.#stateFile.state;
    const d = ref.node;
    if (attrs.notification === d.notification && attrs.accessList.join(',') === d.accessList.join(',')) delete s.attributes[ref.path];
    else s.attributes[ref.path] = { notification: attrs.notification, accessList: [...attrs.accessList] };
    if (attrs.notification !== 0) this.#seen.set(ref.path, this.valueOf(ref));
    else this.#seen.delete(ref.path);
    this.#onPersist();
  }

  addInstance(table: Ref<TObject>): number {
    const p = this.#built.owner.get(table.path);
    if (p?.addObject === undefined) throw new Error(`${table.path} takes no AddObject`);
    const n = p.addObject(table.path, this.#context(p));
    this.#rebuild();
    return n;
  }

  deleteInstance(instance: Ref<TObject>): void {
    const p = this.#built.owner.get(instance.path) ?? this.#built.owner.get(instance.path.replace(/\d+\.$/, ''));
    if (p?.deleteObject === undefined) throw new Error(`${instance.path} cannot be deleted`);
    p.deleteObject(instance.path, this.#context(p));
    this.#rebuild();
  }

  setParameterKey(key: string): void {
    this.#stateFile.state.parameterKey = key;
    this.#onPersist();
    this.#rebuild();
  }

  queuedTransfers(): readonly AllQueuedTransfer[] {
    return this.#transfers();
  }

  // ---------------------------------------------------------------- CpeDataModel

  get(path: string): ParameterValue | undefined {
    const ref = this.lookup(path);
    if (ref?.node.kind !== 'param') return undefined;
    return { name: path, value: this.valueOf(ref as Ref<TParam>), type: ref.node.type };
  }

  /**
   * The device's own change. A provider that keeps values (diagnostic results) stores it; for
   * a value the system holds, it is the poll telling the model what it saw. Either way a
   * notified parameter is marked for the next Inform.
   */
  setInternal(path: string, value: string): void {
    const ref = this.lookup(path);
    if (ref?.node.kind !== 'param') return;
    const p = this.#built.owner.get(path);
    if (p?.setInternal !== undefined) {
      p.setInternal(path, value);
      this.#rebuild();
    }
    const n = this.attributesOf(ref as Ref<TParam>).notification;
    if (n === 0 || this.#seen.get(path) === value) return;
    this.#seen.set(path, value);
    if (INFORM_NOTIFICATIONS.has(n)) this.#changed.add(path);
    if (n === 2) this.#activeChange = true;
  }

  /** Whether any parameter has notification on (else there is nothing to poll). */
  watching(): boolean {
    return Object.values(this.#stateFile.state.attributes).some((a) => a.notification !== 0);
  }

  informParameters(): ParameterValue[] {
    const out: ParameterValue[] = [];
    const seen = new Set<string>();
    for (const p of [...this.#built.template.forcedInform, ...this.#changed]) {
      const pv = seen.has(p) ? undefined : this.get(p);
      if (pv === undefined) continue;
      out.push(pv);
      seen.add(p);
    }
    return out;
  }

  hasActiveChange(): boolean {
    return this.#activeChange;
  }

  markInformed(): void {
    this.#changed.clear();
    this.#activeChange = false;
  }

  /** FactoryReset: forget what the ACS set (ParameterKey, attributes, providers' stored values). */
  reset(): void {
    const s = this.#stateFile.state;
    s.parameterKey = '';
    s.attributes = {};
    s.providers = {};
    this.#seen.clear();
    this.markInformed();
    this.#onPersist();
    this.#rebuild();
  }

  handle(request: AcsRequest): RpcOutcome {
    const refused = this.#refuse.get(request.method);
    if (refused !== undefined) return failed(refused);
    if (request.method === 'SetParameterValues') {
      // The providers' own checks (a value the type allows but the system does not) first.
      const faults: SetParameterValuesFault[] = [];
      for (const pv of request.parameterList) {
        const ref = this.lookup(pv.name);
        const p = this.#built.owner.get(pv.name);
        if (ref?.node.kind !== 'param' || !ref.node.writable || p?.check === undefined) continue;
        const code = p.check(pv.name, pv.value);
        if (code !== 0) faults.push(spvFault(pv.name, code));
      }
      if (faults.length > 0) return failed(9003, faults);
    }
    return handleRequest(this, request);
  }
}
