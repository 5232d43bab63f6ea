/**
 * One simulated device: a copy-on-write overlay over a shared, immutable Template.
 *
 * A fresh device is a handful of fields (serial number, maybe a few overrides); every map of
 * the overlay is created on first write, so ten thousand idle devices cost a few hundred
 * bytes each. Reads resolve overlay → per-device overrides → template default (with ${…}
 * placeholders filled from the identity). Writes never touch the template.
 *
 * The RPC semantics live in src/cpe/rpc; they work through the DeviceOps methods below
 * (./ops.ts). This module does not import them (rpc depends on the model, not the other way
 * round): the handler is given to the constructor, and src/cpe/device.ts's createDevice
 * joins the two.
 */
import type { AcsRequest, AllQueuedTransfer, DeviceIdStruct, ParameterValue } from '../../cwmp/types.js';
import type { CpeDataModel, RpcOutcome } from '../types.js';
import { expandValue, type Identity } from './identity.js';
import type { Attributes, DeviceOps, Ref } from './ops.js';
import { aliasPresenter, reportsByAlias } from './instance-mode.js';
import type { Template, TNode, TObject, TParam } from './template.js';
import { TemplateRefLists } from './template-refs.js';

export interface DeviceOptions {
  serialNumber: string;
  /** Per-device initial values (e.g. ConnectionRequestURL → the client's listener). Paths must exist. */
  overrides?: Record<string, string>;
  /**
   * The client's transfer queue (it owns transfers and their state), read by
   * GetQueuedTransfers, GetAllQueuedTransfers and CancelTransfer. Default: none.
   */
  transfers?: () => readonly AllQueuedTransfer[];
}

export interface ManagementServerSettings {
  url: string;
  username: string;
  password: string;
  periodicInformEnable: boolean;
  periodicInformInterval: number;
  periodicInformTime: string;
  connectionRequestURL: string;
  connectionRequestUsername: string;
  connectionRequestPassword: string;
  parameterKey: string;
}

/** The device API the CPE client uses: the CpeDataModel seam plus identity and helpers. */
export interface CpeDevice extends CpeDataModel {
  readonly template: Template;
  readonly serialNumber: string;
  /** Manufacturer, OUI, ProductClass, SerialNumber for the Inform's DeviceId. */
  deviceId(): DeviceIdStruct;
  /** The forced-inform parameter paths that exist on this device now. */
  forcedInformPaths(): string[];
  /** A notified parameter changed since the last Inform: the next Inform carries "4 VALUE CHANGE". */
  hasValueChange(): boolean;
  /** Set ManagementServer.ParameterKey (no notification). */
  setParameterKey(key: string): void;
  has(path: string): boolean;
  /** ManagementServer.* as the client needs it after a managementServerChanged effect. */
  managementServer(): ManagementServerSettings;
  /** Number of entries the overlay holds (for tests and the memory benchmark). */
  overlaySize(): number;
}

const NUMERIC = /^\d+$/;
/** Notification values that put a changed value in the next Inform: passive or active CWMP notification (1, 2, 4, 6); 3 and 5 are lightweight-only (UDP). */
const INFORM_NOTIFICATIONS: ReadonlySet<number> = new Set([1, 2, 4, 6]);

/** Answers one ACS request against a device's state (src/cpe/rpc/handle.ts). */
export type RpcHandler = (ops: DeviceOps, request: AcsRequest) => RpcOutcome;

export type { Attributes, DeviceOps, Ref } from './ops.js';

const TEMPLATE_CHILDREN = new TemplateRefLists();

/** The direct children of a template object, as every device without changes there sees them. */
function templateChildren(template: Template, path: string, node: TObject): readonly Ref[] {
  return TEMPLATE_CHILDREN.get(template, path, () => {
    const out: Ref[] = [];
    for (const [k, c] of node.children) out.push(Object.freeze({ path: c.kind === 'object' ? `${path}${k}.` : path + k, node: c }));
    return out;
  });
}

export class Device implements CpeDevice, DeviceOps, Identity {
  readonly template: Template;
  readonly #handler: RpcHandler;
  readonly serialNumber: string;
  readonly overrides?: ReadonlyMap<string, string>;
  readonly #transfers?: () => readonly AllQueuedTransfer[];
  #values?: Map<string, string>;
  #attrs?: Map<string, Attributes>;
  /** Table path → instance numbers added by AddObject (still present). */
  #added?: Map<string, number[]>;
  /** Template instance paths ("A.B.3.") removed by DeleteObject. */
  #deleted?: Set<string>;
  /** Table path → next instance number; kept after deletes so numbers are never reused. */
  #next?: Map<string, number>;
  #changed?: Set<string>;
  #activeChange = false;

  constructor(template: Template, opts: DeviceOptions, handler: RpcHandler) {
    this.template = template;
    this.#handler = handler;
    this.serialNumber = opts.serialNumber;
    const entries = Object.entries(opts.overrides ?? {});
    for (const [p] of entries) {
      if (template.index.get(p)?.kind !== 'param') throw new Error(`override for unknown parameter ${p}`);
    }
    if (entries.length) this.overrides = new Map(entries);
    if (opts.transfers) this.#transfers = opts.transfers;
  }

  get root(): Template['root'] {
    return this.template.root;
  }

  // ---------------------------------------------------------------- reading

  pristine(): boolean {
    return !this.#added?.size && !this.#deleted?.size;
  }

  lookup(path: string): Ref | undefined {
    if (this.pristine()) {
      const node = this.template.index.get(path);
      return node ? { path, node } : undefined;
    }
    return this.#walk(path);
  }

  /** Path resolution once instances were added or deleted: segment by segment. */
  #walk(path: string): Ref | undefined {
    const t = this.template;
    if (!path.startsWith(t.root)) return undefined;
    const isObject = path.endsWith('.');
    const rest = path.slice(t.root.length, isObject ? -1 : undefined);
    let node: TNode = t.rootNode;
    let cur: string = t.root;
    if (rest !== '') {
      for (const seg of rest.split('.')) {
        if (node.kind !== 'object' || seg === '') return undefined;
        let next: TNode | undefined;
        if (node.table) {
          if (this.#deleted?.has(`${cur}${seg}.`)) return undefined;
          next = node.children.get(seg);
          if (!next && NUMERIC.test(seg) && this.#added?.get(cur)?.includes(Number(seg))) next = node.instanceTemplate;
        } else next = node.children.get(seg);
        if (!next) return undefined;
        node = next;
        cur = next.kind === 'object' ? `${cur}${seg}.` : cur + seg;
      }
    }
    return isObject === (node.kind === 'object') ? { path, node } : undefined;
  }

  children(obj: Ref<TObject>): readonly Ref[] {
    const { node, path } = obj;
    // The template's own children, unchanged on this device: one shared list per template.
    // Besides the allocations, a shared Ref's path is a string whose hash V8 has already
    // computed, and every valueOf() looks it up in Maps (5,000 of them per GetParameterValues "").
    const cached = !node.table || !(this.#deleted?.size || this.#added?.has(path));
    if (cached && this.template.index.get(path) === node) return templateChildren(this.template, path, node);
    const out: Ref[] = [];
    for (const [k, c] of node.children) {
      const p = c.kind === 'object' ? `${path}${k}.` : path + k;
      if (node.table && this.#deleted?.has(p)) continue;
      out.push({ path: p, node: c });
    }
    const added = node.table ? this.#added?.get(path) : undefined;
    if (added && node.instanceTemplate) for (const n of added) out.push({ path: `${path}${n}.`, node: node.instanceTemplate });
    return out;
  }

  #default(ref: Ref<TParam>): string {
    const o = this.overrides?.get(ref.path);
    if (o !== undefined) return o;
    return ref.node.expand ? expandValue(ref.node.value, this, this.template) : ref.node.value;
  }

  valueOf(ref: Ref<TParam>): string {
    return this.#values?.get(ref.path) ?? this.#default(ref);
  }

  ownValuePaths(): Iterable<string> {
    if (this.#values === undefined) return this.overrides?.keys() ?? [];
    if (this.overrides === undefined) return this.#values.keys();
    return [...this.#values.keys(), ...this.overrides.keys()];
  }

  attributesOf(ref: Ref<TParam>): Attributes {
    return this.#attrs?.get(ref.path) ?? ref.node;
  }

  get(path: string): ParameterValue | undefined {
    const ref = this.lookup(path);
    if (ref?.node.kind !== 'param') return undefined;
    return { name: path, value: this.valueOf(ref as Ref<TParam>), type: ref.node.type };
  }

  has(path: string): boolean {
    return this.lookup(path) !== undefined;
  }

  // ---------------------------------------------------------------- writing

  /** Store a value, dropping the entry when it equals the default (keeps the overlay minimal). */
  #store(ref: Ref<TParam>, value: string): void {
    if (value === this.#default(ref)) this.#values?.delete(ref.path);
    else (this.#values ??= new Map()).set(ref.path, value);
  }

  commitValues(entries: ReadonlyArray<readonly [Ref<TParam>, string]>): void {
    for (const [ref, v] of entries) this.#store(ref, v);
  }

  /** The device's own firmware changing a value: no access check, notifications apply. Unknown paths are ignored. */
  setInternal(path: string, value: string): void {
    const ref = this.lookup(path);
    if (ref?.node.kind !== 'param') return;
    const r = ref as Ref<TParam>;
    if (this.valueOf(r) === value) return;
    this.#store(r, value);
    const n = this.attributesOf(r).notification;
    if (INFORM_NOTIFICATIONS.has(n)) (this.#changed ??= new Set()).add(path);
    if (n === 2) this.#activeChange = true;
  }

  setAttributes(ref: Ref<TParam>, attrs: Attributes): void {
    const d = ref.node;
    const same = attrs.notification === d.notification && attrs.accessList.join(',') === d.accessList.join(',');
    if (same) this.#attrs?.delete(ref.path);
    else (this.#attrs ??= new Map()).set(ref.path, { notification: attrs.notification, accessList: [...attrs.accessList] });
  }

  setParameterKey(key: string): void {
    const ref = this.lookup(`${this.root}ManagementServer.ParameterKey`);
    if (ref?.node.kind === 'param') this.#store(ref as Ref<TParam>, key);
  }

  addInstance(table: Ref<TObject>): number {
    const next = this.#next?.get(table.path) ?? table.node.nextInstance;
    (this.#next ??= new Map()).set(table.path, next + 1);
    const list = (this.#added ??= new Map()).get(table.path);
    if (list) list.push(next);
    else this.#added.set(table.path, [next]);
    this.#updateCount(table);
    return next;
  }

  deleteInstance(instance: Ref<TObject>): void {
    const p = instance.path;
    const tablePath = p.slice(0, p.lastIndexOf('.', p.length - 2) + 1);
    const n = Number(p.slice(tablePath.length, -1));
    const added = this.#added?.get(tablePath);
    const i = added ? added.indexOf(n) : -1;
    if (added && i >= 0) {
      added.splice(i, 1);
      if (!added.length) this.#added!.delete(tablePath);
    } else (this.#deleted ??= new Set()).add(p);
    // Everything the overlay held below the instance goes with it.
    const under = (k: string): boolean => k.startsWith(p);
    for (const m of [this.#values, this.#attrs, this.#added, this.#next]) for (const k of m?.keys() ?? []) if (under(k)) m!.delete(k);
    for (const s of [this.#changed, this.#deleted]) for (const k of s ?? []) if (under(k) && k !== p) s!.delete(k);
    const table = this.lookup(tablePath);
    if (table?.node.kind === 'object') this.#updateCount(table as Ref<TObject>);
  }

  /** A result table rewritten by the device itself: every instance goes, then 1..count are made. */
  resizeTable(path: string, count: number): void {
    const table = this.lookup(path);
    if (table?.node.kind !== 'object' || !table.node.table) return;
    const ref = table as Ref<TObject>;
    for (const child of this.children(ref)) if (child.node.kind === 'object') this.deleteInstance(child as Ref<TObject>);
    // Numbered afresh, as a device's result tables are, unless the template's own rows are in the way.
    if (![...(this.#deleted ?? [])].some((k) => k.startsWith(path))) (this.#next ??= new Map()).set(path, 1);
    for (let i = 0; i < count; i++) this.addInstance(ref);
  }

  /** Keep "<Table>NumberOfEntries" beside a table in step with its instances. */
  #updateCount(table: Ref<TObject>): void {
    const base = table.path.slice(0, -1);
    const ref = this.lookup(`${base}NumberOfEntries`);
    if (ref?.node.kind === 'param') this.#store(ref as Ref<TParam>, String(this.children(table).length));
  }

  queuedTransfers(): readonly AllQueuedTransfer[] {
    return this.#transfers?.() ?? [];
  }

  // ---------------------------------------------------------------- Inform

  forcedInformPaths(): string[] {
    return this.template.forcedInform.filter((p) => this.has(p));
  }

  informParameters(): ParameterValue[] {
    const out: ParameterValue[] = [];
    const seen = new Set<string>();
    const push = (p: string): void => {
      const pv = seen.has(p) ? undefined : this.get(p);
      if (pv) {
        out.push(pv);
        seen.add(p);
      }
    };
    for (const p of this.template.forcedInform) push(p);
    for (const p of this.#changed ?? []) push(p);
    if (!reportsByAlias(this)) return out;
    const show = aliasPresenter(this);
    return out.map((pv) => ({ ...pv, name: show(pv.name) }));
  }

  hasActiveChange(): boolean {
    return this.#activeChange;
  }

  hasValueChange(): boolean {
    return (this.#changed?.size ?? 0) > 0;
  }

  markInformed(): void {
    this.#changed = undefined;
    this.#activeChange = false;
  }

  reset(): void {
    this.#values = this.#attrs = this.#added = this.#deleted = this.#next = this.#changed = undefined;
    this.#activeChange = false;
  }

  handle(request: AcsRequest): RpcOutcome {
    return this.#handler(this, request);
  }

  // ---------------------------------------------------------------- helpers for the client

  deviceId(): DeviceIdStruct {
    const t = this.template.deviceId;
    const info = (n: string): string => this.get(`${this.root}DeviceInfo.${n}`)?.value ?? '';
    return {
      manufacturer: t.manufacturer || info('Manufacturer'),
      oui: t.oui || info('ManufacturerOUI'),
      productClass: t.productClass || info('ProductClass'),
      serialNumber: this.serialNumber,
    };
  }

  managementServer(): ManagementServerSettings {
    const v = (n: string): string => this.get(`${this.root}ManagementServer.${n}`)?.value ?? '';
    const enable = v('PeriodicInformEnable');
    return {
      url: v('URL'),
      username: v('Username'),
      password: v('Password'),
      periodicInformEnable: enable === 'true' || enable === '1',
      periodicInformInterval: Number(v('PeriodicInformInterval')) || 0,
      periodicInformTime: v('PeriodicInformTime'),
      connectionRequestURL: v('ConnectionRequestURL'),
      connectionRequestUsername: v('ConnectionRequestUsername'),
      connectionRequestPassword: v('ConnectionRequestPassword'),
      parameterKey: v('ParameterKey'),
    };
  }

  overlaySize(): number {
    let n = (this.#values?.size ?? 0) + (this.#attrs?.size ?? 0) + (this.#deleted?.size ?? 0) + (this.#changed?.size ?? 0);
    for (const l of this.#added?.values() ?? []) n += l.length;
    return n + (this.#next?.size ?? 0);
  }
}
