/**
 * The immutable device template: one tree of objects and parameters shared by every
 * simulated device of a model (thousands of them), so a device only stores what differs.
 *
 * Loaders (csv.ts, json.ts) feed a TemplateBuilder with flat paths; build() turns them into
 * the frozen tree, infers tables from numeric segments and "{i}" placeholders, and derives
 * the subtree a new instance gets (AddObject) when the source gives none.
 */
import type { DeviceIdStruct, Notification } from '../../cwmp/types.js';
import { normalizeType, zeroValue, type KnownXsdType } from '../../datamodel/values.js';
import type { ActiveNotify } from '../../datamodel/catalogue.js';

export type Root = 'Device.' | 'InternetGatewayDevice.';

export interface TParam {
  readonly kind: 'param';
  readonly name: string;
  readonly type: KnownXsdType;
  readonly writable: boolean;
  /** Default value; may hold ${…} placeholders filled per device (identity.ts) when `expand`. */
  readonly value: string;
  readonly expand: boolean;
  readonly notification: Notification;
  readonly accessList: readonly string[];
  /** canDeny: active notification is refused (9009); forceEnabled: always active. */
  readonly activeNotify: ActiveNotify;
  /** GetParameterValues answers "" (passwords, keys: TR-069 A.3.2.2); get() still sees the value. */
  readonly hidden?: boolean;
  readonly enumeration?: readonly string[];
  readonly list?: boolean;
  readonly min?: string;
  readonly max?: string;
  readonly maxLength?: number;
}

export interface TObject {
  readonly kind: 'object';
  readonly name: string;
  /** For a table: AddObject allowed. For an instance: DeleteObject allowed. Else false. */
  readonly writable: boolean;
  /** Multi-instance object: its children are the instances, named by number. */
  readonly table: boolean;
  readonly children: ReadonlyMap<string, TNode>;
  /** For a table: the subtree a new instance gets (defaults, no sub-instances). */
  readonly instanceTemplate?: TObject;
  /** For a table: the first instance number AddObject hands out (max present + 1 at least). */
  readonly nextInstance: number;
}

export type TNode = TParam | TObject;

export interface Template {
  readonly root: Root;
  readonly rootNode: TObject;
  /** Every concrete path of the tree ("Device.WiFi.SSID.1." for objects) → node. */
  readonly index: ReadonlyMap<string, TNode>;
  /** Concrete parameter paths sent in every Inform. */
  readonly forcedInform: readonly string[];
  /** Manufacturer, OUI, ProductClass; the serial number is per device. */
  readonly deviceId: Omit<DeviceIdStruct, 'serialNumber'>;
  readonly parameterCount: number;
  readonly objectCount: number;
  readonly description: string;
}

export interface ParamSpec {
  type?: string;
  writable?: boolean;
  value?: string;
  notification?: number;
  accessList?: readonly string[];
  activeNotify?: ActiveNotify;
  hidden?: boolean;
  enumeration?: readonly string[];
  list?: boolean;
  min?: string;
  max?: string;
  maxLength?: number;
}

export interface ObjectSpec {
  writable?: boolean;
  table?: boolean;
  nextInstance?: number;
}

/** Mutable node used only while building. */
interface MObject {
  kind: 'object';
  name: string;
  spec: ObjectSpec;
  children: Map<string, MNode>;
}
interface MParam {
  kind: 'param';
  name: string;
  spec: ParamSpec;
}
type MNode = MObject | MParam;

const NUMERIC = /^\d+$/;
const PLACEHOLDER = '{i}';

export class TemplateBuilder {
  readonly root: Root;
  #top: MObject;
  deviceId: Omit<DeviceIdStruct, 'serialNumber'> = { manufacturer: '', oui: '', productClass: '' };
  forcedInform: string[] | undefined;
  description = '';

  constructor(root: Root) {
    this.root = root;
    this.#top = { kind: 'object', name: root.slice(0, -1), spec: {}, children: new Map() };
  }

  /** Declare an object ("A.B." or "A.B"); flags given later win over earlier ones. */
  object(path: string, spec: ObjectSpec = {}): void {
    const node = this.#walk(path.endsWith('.') ? path.slice(0, -1) : path, true);
    if (node) Object.assign(node.spec, spec);
  }

  param(path: string, spec: ParamSpec): void {
    const i = path.lastIndexOf('.');
    const parent = this.#walk(path.slice(0, i), true);
    const name = path.slice(i + 1);
    if (!parent || !name) throw new Error(`bad parameter path ${path}`);
    const existing = parent.children.get(name);
    if (existing?.kind === 'object') throw new Error(`${path} is both an object and a parameter`);
    parent.children.set(name, { kind: 'param', name, spec });
  }

  has(path: string): boolean {
    return this.#walk(path.endsWith('.') ? path.slice(0, -1) : path, false) !== undefined || this.#findParam(path);
  }

  #findParam(path: string): boolean {
    const i = path.lastIndexOf('.');
    return this.#walk(path.slice(0, i), false)?.children.get(path.slice(i + 1))?.kind === 'param';
  }

  #walk(path: string, create: boolean): MObject | undefined {
    const segs = path.split('.');
    if (segs[0] !== this.#top.name) throw new Error(`${path} is not under ${this.root}`);
    let cur = this.#top;
    for (let k = 1; k < segs.length; k++) {
      const s = segs[k]!;
      if (!s) throw new Error(`empty segment in ${path}`);
      let next = cur.children.get(s);
      if (next?.kind === 'param') throw new Error(`${path}: ${s} is a parameter`);
      if (!next) {
        if (!create) return undefined;
        next = { kind: 'object', name: s, spec: {}, children: new Map() };
        cur.children.set(s, next);
      }
      cur = next;
    }
    return cur;
  }

  build(): Template {
    const index = new Map<string, TNode>();
    const counts = { params: 0, objects: 0 };
    const rootNode = freezeObject(this.#top, this.root, { index, counts }, false);
    index.set(this.root, rootNode);
    const forcedInform = (this.forcedInform ?? defaultForcedInform(this.root, index)).filter((p) => index.get(p)?.kind === 'param');
    return Object.freeze({
      root: this.root,
      rootNode,
      index,
      forcedInform: Object.freeze(forcedInform),
      deviceId: Object.freeze({ ...this.deviceId }),
      parameterCount: counts.params,
      objectCount: counts.objects,
      description: this.description,
    });
  }
}

function isTable(m: MObject, spec: ObjectSpec = m.spec): boolean {
  if (spec.table !== undefined) return spec.table;
  if (m.children.size === 0) return false;
  for (const [k, c] of m.children) if (c.kind !== 'object' || !(NUMERIC.test(k) || k === PLACEHOLDER)) return false;
  return true;
}

const EMPTY: ReadonlyMap<string, TNode> = new Map();

function freezeParam(m: MParam): TParam {
  const s = m.spec;
  const type = normalizeType(s.type);
  const value = s.value ?? zeroValue(type);
  const activeNotify = s.activeNotify ?? 'normal';
  const forced = activeNotify === 'forceEnabled' || activeNotify === 'forceDefaultEnabled';
  const n = s.notification ?? (forced ? 2 : 0);
  const p: TParam = {
    kind: 'param',
    name: m.name,
    type,
    writable: s.writable ?? false,
    value,
    expand: value.includes('${'),
    notification: (n >= 0 && n <= 6 ? n : 0) as Notification,
    accessList: Object.freeze([...(s.accessList ?? [])]),
    activeNotify,
    ...(s.hidden ? { hidden: true } : {}),
    ...(s.enumeration?.length ? { enumeration: Object.freeze([...s.enumeration]) } : {}),
    ...(s.list ? { list: true } : {}),
    ...(s.min !== undefined ? { min: s.min } : {}),
    ...(s.max !== undefined ? { max: s.max } : {}),
    ...(s.maxLength !== undefined ? { maxLength: s.maxLength } : {}),
  };
  return Object.freeze(p);
}

interface FreezeCtx {
  index: Map<string, TNode>;
  counts: { params: number; objects: number };
}

/**
 * Freeze `m` (at concrete `path`, or inside an instance template when `inTemplate`) and
 * register concrete nodes in the index. Instance templates are not indexed: their paths
 * hold a placeholder, and a device reaches them only through an instance it added.
 *
 * `proto` is the node matching `m` in the enclosing table's "{i}" subtree, if any: a nested
 * table of a concrete instance (Device.IP.Interface.2.IPv4Address.) takes its flags and its
 * own "{i}" subtree from there when the source states them only once, generically.
 */
function freezeObject(m: MObject, path: string, ctx: FreezeCtx, inTemplate: boolean, tableWritable = false, proto?: MObject): TObject {
  const spec = proto ? { ...proto.spec, ...m.spec } : m.spec;
  const table = isTable(m, spec);
  if (!inTemplate) ctx.counts.objects++;
  const children = new Map<string, TNode>();
  let instanceTemplate: TObject | undefined;
  let nextInstance = 1;
  const writable = spec.writable ?? tableWritable;
  if (table) {
    const instances: MObject[] = [];
    const placeholder = (m.children.get(PLACEHOLDER) ?? proto?.children.get(PLACEHOLDER)) as MObject | undefined;
    const numbers = [...m.children.keys()].filter((k) => NUMERIC.test(k)).sort((a, b) => Number(a) - Number(b));
    for (const k of numbers) {
      const inst = m.children.get(k) as MObject;
      instances.push(inst);
      const childPath = `${path}${k}.`;
      const node = freezeObject(inst, childPath, ctx, inTemplate, writable, placeholder);
      children.set(k, node);
      if (!inTemplate) ctx.index.set(childPath, node);
      nextInstance = Math.max(nextInstance, Number(k) + 1);
    }
    instanceTemplate = freezeObject(placeholder ?? prototypeOf(instances), `${path}{i}.`, ctx, true, writable, placeholder);
    nextInstance = Math.max(nextInstance, spec.nextInstance ?? 1);
    // Instances inside an instance template never exist: a new instance starts empty.
    if (inTemplate) children.clear();
  } else {
    for (const [k, c] of m.children) {
      const childPath = c.kind === 'object' ? `${path}${k}.` : `${path}${k}`;
      const p = proto?.children.get(k);
      const node =
        c.kind === 'object' ? freezeObject(c, childPath, ctx, inTemplate, false, p?.kind === 'object' ? p : undefined) : freezeParam(c);
      children.set(k, node);
      if (!inTemplate) {
        ctx.index.set(childPath, node);
        if (c.kind === 'param') ctx.counts.params++;
      }
    }
    // An instance has every table its "{i}" subtree has, if only empty: the source need not
    // list Device.IP.Interface.2.IPv4Address. to give interface 2 an IPv4Address table.
    for (const [k, pc] of proto?.children ?? []) {
      if (children.has(k) || pc.kind !== 'object' || !isTable(pc)) continue;
      const empty: MObject = { kind: 'object', name: k, spec: { table: true }, children: new Map() };
      const node = freezeObject(empty, `${path}${k}.`, ctx, inTemplate, false, pc);
      children.set(k, node);
      if (!inTemplate) ctx.index.set(`${path}${k}.`, node);
    }
  }
  return Object.freeze({
    kind: 'object',
    name: m.name,
    writable: table || tableWritable ? writable : false,
    table,
    children: children.size ? children : EMPTY,
    ...(instanceTemplate ? { instanceTemplate } : {}),
    nextInstance,
  });
}

/**
 * A prototype instance for a table whose source lists instances but no "{i}" subtree (CSV
 * dumps): the union of the instances' children, with type defaults instead of the
 * instances' values (a new port mapping does not inherit the first one's address).
 */
function prototypeOf(instances: MObject[]): MObject {
  const out: MObject = { kind: 'object', name: PLACEHOLDER, spec: {}, children: new Map() };
  const nested = new Map<string, MObject[]>();
  for (const inst of instances) {
    for (const [k, c] of inst.children) {
      if (c.kind === 'param') {
        if (!out.children.has(k)) {
          const { value: _v, ...rest } = c.spec;
          out.children.set(k, { kind: 'param', name: k, spec: { ...rest, value: zeroValue(normalizeType(c.spec.type)) } });
        }
      } else {
        let list = nested.get(k);
        if (!list) nested.set(k, (list = []));
        list.push(c);
        if (!out.children.has(k)) out.children.set(k, c); // keeps order; replaced below
      }
    }
  }
  for (const [k, list] of nested) {
    const first = list[0]!;
    if (list.some((l) => isTable(l))) {
      // A nested table: no instances of its own, its prototype from all instances seen.
      const all = list.flatMap((t) => [...t.children.values()].filter((c): c is MObject => c.kind === 'object'));
      const explicit = list.map((t) => t.children.get(PLACEHOLDER)).find((c): c is MObject => c?.kind === 'object');
      const table: MObject = { kind: 'object', name: k, spec: { ...first.spec, table: true, nextInstance: 1 }, children: new Map() };
      table.children.set(PLACEHOLDER, explicit ?? prototypeOf(all.filter((c) => c.name !== PLACEHOLDER)));
      out.children.set(k, table);
    } else {
      const merged = prototypeOf(list);
      merged.name = k;
      merged.spec = { ...first.spec };
      out.children.set(k, merged);
    }
  }
  return out;
}

/**
 * Forced-inform parameters when the source does not list them (CSV dumps): the ones the BBF
 * data models mark forcedInform="true" (TR-181 2.17, TR-098 1.8), and for TR-098 the
 * ExternalIPAddress of the default WAN connection (Layer3Forwarding.DefaultConnectionService,
 * else the first WANIP/WANPPP connection).
 */
export function defaultForcedInform(root: Root, index: ReadonlyMap<string, TNode>): string[] {
  const names =
    root === 'Device.'
      ? ['RootDataModelVersion', 'DeviceInfo.HardwareVersion', 'DeviceInfo.SoftwareVersion', 'DeviceInfo.ProvisioningCode',
        'ManagementServer.ParameterKey', 'ManagementServer.ConnectionRequestURL', 'ManagementServer.AliasBasedAddressing']
      : ['DeviceSummary', 'DeviceInfo.HardwareVersion', 'DeviceInfo.SoftwareVersion', 'DeviceInfo.SpecVersion',
        'DeviceInfo.ProvisioningCode', 'ManagementServer.ParameterKey', 'ManagementServer.ConnectionRequestURL',
        'ManagementServer.AliasBasedAddressing'];
  const out = names.map((n) => root + n);
  if (root === 'InternetGatewayDevice.') {
    const wan = defaultWanConnection(index);
    if (wan) out.push(`${wan}.ExternalIPAddress`);
  }
  return out.filter((p) => index.get(p)?.kind === 'param');
}

function defaultWanConnection(index: ReadonlyMap<string, TNode>): string | undefined {
  const dcs = index.get('InternetGatewayDevice.Layer3Forwarding.DefaultConnectionService');
  if (dcs?.kind === 'param' && !dcs.expand) {
    const v = dcs.value.replace(/\.$/, '');
    if (index.get(`${v}.ExternalIPAddress`)?.kind === 'param') return v;
  }
  for (const [p, n] of index) {
    if (n.kind === 'param' && /^InternetGatewayDevice\.WANDevice\.\d+\.WANConnectionDevice\.\d+\.WAN(IP|PPP)Connection\.\d+\.ExternalIPAddress$/.test(p)) {
      return p.slice(0, -'.ExternalIPAddress'.length);
    }
  }
  return undefined;
}
