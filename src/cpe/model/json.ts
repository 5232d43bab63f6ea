/**
 * Flotilla's own model format, "flotilla-model/1" (documented in models/README.md): flat
 * lists of parameters and of the objects that need saying (tables, empty objects), with
 * every default omitted. "{i}" in a path is the subtree a new instance of that table gets.
 */
import type { ActiveNotify } from '../../datamodel/catalogue.js';
import { zeroValue } from '../../datamodel/values.js';
import { TemplateBuilder, type Root, type TObject, type Template } from './template.js';

export const MODEL_FORMAT = 'flotilla-model/1';

export interface ObjectJson {
  path: string;
  table?: boolean;
  writable?: boolean;
  nextInstance?: number;
}

export interface ParameterJson {
  path: string;
  /** "string" (default), "unsignedInt", … ; the "xsd:" prefix is optional. */
  type?: string;
  writable?: boolean;
  value?: string;
  notification?: number;
  accessList?: string[];
  activeNotify?: ActiveNotify;
  hidden?: boolean;
  enum?: string[];
  list?: boolean;
  min?: string;
  max?: string;
  maxLength?: number;
}

export interface ModelJson {
  format: typeof MODEL_FORMAT;
  root: Root;
  description?: string;
  deviceId?: { manufacturer?: string; oui?: string; productClass?: string };
  /** Concrete paths sent in every Inform; omitted = the BBF forced-inform set for the root. */
  forcedInform?: string[];
  objects?: ObjectJson[];
  parameters: ParameterJson[];
}

function fail(msg: string): never {
  throw new Error(`flotilla model: ${msg}`);
}

export function parseJsonModel(input: string | ModelJson): Template {
  const m = (typeof input === 'string' ? JSON.parse(input) : input) as Partial<ModelJson>;
  if (m.format !== MODEL_FORMAT) fail(`format must be "${MODEL_FORMAT}"`);
  if (m.root !== 'Device.' && m.root !== 'InternetGatewayDevice.') fail('root must be "Device." or "InternetGatewayDevice."');
  if (!Array.isArray(m.parameters)) fail('parameters must be an array');
  const b = new TemplateBuilder(m.root);
  b.description = m.description ?? '';
  b.deviceId = { manufacturer: m.deviceId?.manufacturer ?? '', oui: m.deviceId?.oui ?? '', productClass: m.deviceId?.productClass ?? '' };
  if (m.forcedInform) b.forcedInform = [...m.forcedInform];
  for (const o of m.objects ?? []) {
    if (typeof o.path !== 'string' || !o.path.startsWith(m.root)) fail(`object path ${String(o.path)} is not under ${m.root}`);
    if (o.path === m.root) continue;
    b.object(o.path, {
      ...(o.table !== undefined ? { table: o.table } : {}),
      ...(o.writable !== undefined ? { writable: o.writable } : {}),
      ...(o.nextInstance !== undefined ? { nextInstance: o.nextInstance } : {}),
    });
  }
  for (const p of m.parameters) {
    if (typeof p.path !== 'string' || !p.path.startsWith(m.root) || p.path.endsWith('.')) fail(`bad parameter path ${String(p.path)}`);
    b.param(p.path, {
      type: p.type,
      writable: p.writable,
      value: p.value,
      notification: p.notification,
      accessList: p.accessList,
      activeNotify: p.activeNotify,
      hidden: p.hidden,
      enumeration: p.enum,
      list: p.list,
      min: p.min,
      max: p.max,
      maxLength: p.maxLength,
    });
  }
  return b.build();
}

/** The template as flotilla-model/1 (a CSV dump converted to JSON, or a generated model). */
export function toModelJson(t: Template): ModelJson {
  const objects: ObjectJson[] = [];
  const parameters: ParameterJson[] = [];
  // `tableWritable`: set when `o` is an instance, to the writability it inherits from its table.
  const visit = (o: TObject, path: string, tableWritable?: boolean): void => {
    if (o.table) {
      objects.push({ path, table: true, ...(o.writable ? { writable: true } : {}), ...(o.nextInstance > 1 ? { nextInstance: o.nextInstance } : {}) });
    } else if (tableWritable !== undefined && o.writable !== tableWritable) {
      objects.push({ path, writable: o.writable });
    } else if (o.children.size === 0 && path !== t.root) {
      objects.push({ path });
    }
    for (const [k, c] of o.children) {
      if (c.kind === 'object') visit(c, `${path}${k}.`, o.table ? o.writable : undefined);
      else {
        const type = c.type.slice(4);
        parameters.push({
          path: path + k,
          ...(type !== 'string' ? { type } : {}),
          ...(c.writable ? { writable: true } : {}),
          ...(c.value !== zeroValue(c.type) ? { value: c.value } : {}),
          ...(c.notification !== 0 ? { notification: c.notification } : {}),
          ...(c.accessList.length ? { accessList: [...c.accessList] } : {}),
          ...(c.activeNotify !== 'normal' ? { activeNotify: c.activeNotify } : {}),
          ...(c.hidden ? { hidden: true } : {}),
          ...(c.enumeration ? { enum: [...c.enumeration] } : {}),
          ...(c.list ? { list: true } : {}),
          ...(c.min !== undefined ? { min: c.min } : {}),
          ...(c.max !== undefined ? { max: c.max } : {}),
          ...(c.maxLength !== undefined ? { maxLength: c.maxLength } : {}),
        });
      }
    }
    if (o.instanceTemplate) visit(o.instanceTemplate, `${path}{i}.`, o.writable);
  };
  visit(t.rootNode, t.root, false);
  return {
    format: MODEL_FORMAT,
    root: t.root,
    ...(t.description ? { description: t.description } : {}),
    deviceId: { ...t.deviceId },
    forcedInform: [...t.forcedInform],
    objects,
    parameters,
  };
}
