/**
 * Reader for the Broadband Forum's machine-readable data models (cwmp-datamodel-1-x.xsd
 * "full" documents such as tr-181-2-17-0-cwmp-full.xml and tr-098-1-8-0-full.xml).
 *
 * We keep only what a device simulator and a type-correct SetParameterValues need: per
 * object its access and whether it is a table, per parameter its wire type, access, facets
 * (enumeration, range, length, list), default, and the forcedInform / activeNotify flags.
 * Descriptions, profiles, bibliography and the rest are skipped.
 *
 * The XML is trusted less than it looks: DTDs are refused (no entity expansion beyond the
 * five predefined ones), as everywhere else in the project.
 */
import { readFileSync } from 'node:fs';
import { SaxesParser, type SaxesTagPlain } from 'saxes';
import { normalizeType, type KnownXsdType, type ValueFacets } from './values.js';

export type Access = 'readOnly' | 'readWrite';
export type ActiveNotify = 'normal' | 'canDeny' | 'forceEnabled' | 'forceDefaultEnabled';

export interface CatalogueParameter extends ValueFacets {
  type: KnownXsdType;
  access: Access;
  default?: string;
  /** Enumeration values the ACS may not write (e.g. DiagnosticsState "Complete"). */
  readOnlyValues?: string[];
  /** Sent in every Inform (TR-069 3.7.1.5 / the data model's forcedInform="true"). */
  forcedInform?: boolean;
  /** canDeny: the CPE may refuse active notification (fault 9009); force*: active by default. */
  activeNotify?: ActiveNotify;
  /** Read back as "" (passwords, keys): <syntax hidden="true"> or secured="true". */
  hidden?: boolean;
  /**
   * The legal values are the items of another (list-valued) parameter, e.g. a Wi-Fi radio's
   * OperatingStandards ⊆ SupportedStandards: generic path of that parameter.
   */
  enumerationRef?: string;
  /** With enumerationRef: the value that means "none of them" (e.g. "Disabled"), if any. */
  enumerationRefNull?: string;
}

export interface CatalogueObject {
  access: Access;
  /** A table: its name ends in "{i}." and instances are numbered. */
  multiInstance: boolean;
  minEntries: number;
  /** undefined = unbounded. */
  maxEntries?: number;
}

/** What a profile asks of a device (requirement per generic path), with its base and extends resolved later. */
export interface CatalogueProfile {
  /** Profiles whose requirements this one includes: `base` (its previous version) and `extends`. */
  includes: string[];
  /** Generic object path → requirement ("present", "create", "delete", "createDelete", "notSpecified"). */
  objects: Map<string, string>;
  /** Generic parameter path → requirement ("readOnly" or "readWrite"). */
  parameters: Map<string, string>;
}

export interface Catalogue {
  /** e.g. "Device:2.17", "InternetGatewayDevice:1.14", "VoiceService:2.0". */
  model: string;
  /**
   * Where the model's paths start: a root model's "Device." / "InternetGatewayDevice.", or a
   * service model's first segment ("VoiceService.", mounted under a root's "Services.").
   */
  root: string;
  /** A service model (TR-104, TR-135): its paths appear under "<root>.Services." on a device. */
  service: boolean;
  /** Profiles by name ("Baseline:1"), deleted ones kept: a device may still claim them. */
  profiles: Map<string, CatalogueProfile>;
  /** Generic object paths ("Device.WiFi.SSID.{i}.") in document order. */
  objects: Map<string, CatalogueObject>;
  /** Generic parameter paths ("Device.WiFi.SSID.{i}.SSID") in document order. */
  parameters: Map<string, CatalogueParameter>;
}

const PRIMITIVES = new Set([
  'string', 'int', 'unsignedInt', 'long', 'unsignedLong', 'boolean', 'dateTime', 'base64', 'hexBinary', 'decimal',
]);

/** Facets gathered while reading a <syntax> or a named <dataType>; resolved once the document is read. */
interface RawSyntax {
  hidden?: boolean;
  prim?: string;
  enumRef?: string;
  enumRefNull?: string;
  ref?: string;
  base?: string;
  list?: boolean;
  enumeration?: string[];
  readOnlyValues?: string[];
  min?: string;
  max?: string;
  maxLength?: number;
  default?: string;
}

const dead = (a: Record<string, string>): boolean => a.status === 'deleted' || a.status === 'obsoleted';

export function parseCatalogue(xml: string): Catalogue {
  const parser = new SaxesParser({ xmlns: false, position: false });
  const stack: string[] = [];
  const dataTypes = new Map<string, RawSyntax>();
  const objects = new Map<string, CatalogueObject>();
  const raw = new Map<string, { p: Omit<CatalogueParameter, 'type'>; s: RawSyntax }>();
  let model = '';
  let service = false;
  const profiles = new Map<string, CatalogueProfile>();
  let profile: CatalogueProfile | undefined;
  let profileObj: string | undefined;
  let objPath: string | undefined;
  let target: RawSyntax | undefined; // the syntax being filled (a parameter's or a dataType's)
  let listDepth = -1; // inside <list>, <size> is the list's length, not an item's

  parser.on('doctype', () => {
    throw new Error('DOCTYPE not allowed in a data-model document');
  });
  parser.on('opentag', (tag: SaxesTagPlain) => {
    const a = tag.attributes as Record<string, string>;
    const parent = stack[stack.length - 1];
    const name = tag.name;
    stack.push(name);
    if (name === 'model' && parent === 'dm:document') {
      model = a.name ?? '';
      service = a.isService === 'true';
    } else if (name === 'profile' && parent === 'model' && a.name) {
      const includes = [a.base, ...(a.extends ?? '').split(/\s+/)].filter((x): x is string => x !== undefined && x !== '');
      profile = { includes, objects: new Map(), parameters: new Map() };
      profiles.set(a.name, profile);
    } else if (profile && name === 'object' && parent === 'profile' && a.ref) {
      profileObj = dead(a) ? undefined : a.ref;
      if (profileObj) profile.objects.set(profileObj, a.requirement ?? 'present');
    } else if (profile && profileObj && name === 'parameter' && parent === 'object' && a.ref && !dead(a)) {
      profile.parameters.set(profileObj + a.ref, a.requirement ?? 'readOnly');
    }
    else if (name === 'dataType' && parent === 'dm:document' && a.name) {
      target = { base: a.base };
      dataTypes.set(a.name, target);
    } else if (name === 'object' && parent === 'model' && a.name) {
      objPath = dead(a) ? undefined : a.name;
      if (objPath) {
        const max = a.maxEntries === 'unbounded' ? undefined : Number(a.maxEntries ?? 1);
        objects.set(objPath, {
          access: a.access === 'readWrite' ? 'readWrite' : 'readOnly',
          multiInstance: objPath.endsWith('.{i}.'),
          minEntries: Number(a.minEntries ?? 1),
          ...(max === undefined ? {} : { maxEntries: max }),
        });
      }
    } else if (name === 'parameter' && parent === 'object' && objPath && a.name && !dead(a)) {
      target = {};
      // writeOnceReadOnly (TR-181 2.16+ Alias) counts as writable: the ACS cannot know whether it was written yet,
      // and the models devices claim (2.0–2.15) had it readWrite.
      const p: Omit<CatalogueParameter, 'type'> = { access: a.access === 'readWrite' || a.access === 'writeOnceReadOnly' ? 'readWrite' : 'readOnly' };
      if (a.forcedInform === 'true') p.forcedInform = true;
      if (a.activeNotify && a.activeNotify !== 'normal') p.activeNotify = a.activeNotify as ActiveNotify;
      raw.set(objPath + a.name, { p, s: target });
    } else if (target) {
      readFacet(target, name, a, parent, stack.length - 1 > listDepth && listDepth >= 0);
      if (name === 'list') listDepth = stack.length - 1;
    }
  });
  parser.on('closetag', (tag) => {
    stack.pop();
    if (stack.length <= listDepth) listDepth = -1;
    if ((tag.name === 'parameter' && stack[stack.length - 1] === 'object') || (tag.name === 'dataType' && stack.length === 1)) {
      target = undefined;
    } else if (tag.name === 'object' && stack[stack.length - 1] === 'model') objPath = undefined;
    else if (tag.name === 'object' && stack[stack.length - 1] === 'profile') profileObj = undefined;
    else if (tag.name === 'profile') profile = undefined;
  });
  parser.write(xml).close();

  const first = objects.keys().next().value ?? '';
  const root = service ? first.slice(0, first.indexOf('.') + 1) : model.startsWith('InternetGatewayDevice') ? 'InternetGatewayDevice.' : 'Device.';
  const parameters = new Map<string, CatalogueParameter>();
  for (const [path, { p, s }] of raw) {
    const param = resolve(p, s, dataTypes);
    if (s.enumRef && !param.enumeration) {
      const ref = resolveRef(path.slice(0, path.lastIndexOf('.') + 1), s.enumRef, root);
      if (ref) param.enumerationRef = ref;
      if (ref && s.enumRefNull !== undefined) param.enumerationRefNull = s.enumRefNull;
    }
    parameters.set(path, param);
  }
  return { model, root, service, profiles, objects, parameters };
}

function readFacet(t: RawSyntax, name: string, a: Record<string, string>, parent: string | undefined, inList: boolean): void {
  if (name === 'syntax' && (a.hidden === 'true' || a.secured === 'true')) t.hidden = true;
  else if (PRIMITIVES.has(name) && (parent === 'syntax' || parent === 'dataType')) t.prim = name;
  else if (name === 'dataType' && a.ref) t.ref = a.ref;
  else if (name === 'list') t.list = true;
  else if (name === 'enumerationRef' && a.targetParam) {
    t.enumRef = a.targetParam;
    if (a.nullValue !== undefined) t.enumRefNull = a.nullValue;
  }
  else if (name === 'enumeration' && a.value !== undefined && !dead(a)) {
    (t.enumeration ??= []).push(a.value);
    if (a.access === 'readOnly') (t.readOnlyValues ??= []).push(a.value);
  } else if (name === 'range') {
    // Several ranges may be given; we keep the overall bounds (cheap, and right for all but a
    // few). Only integer bounds: the facets are checked with BigInt.
    const int = (v: string | undefined): v is string => v !== undefined && /^-?\d+$/.test(v);
    if (int(a.minInclusive) && (t.min === undefined || BigInt(a.minInclusive) < BigInt(t.min))) t.min = a.minInclusive;
    if (int(a.maxInclusive) && (t.max === undefined || BigInt(a.maxInclusive) > BigInt(t.max))) t.max = a.maxInclusive;
  } else if (name === 'size' && !inList && a.maxLength !== undefined) t.maxLength = Number(a.maxLength);
  else if (name === 'default' && a.value !== undefined && t.default === undefined) t.default = a.value;
}

/** Merge a parameter's own facets over those of the named data type chain it refers to. */
function resolve(p: Omit<CatalogueParameter, 'type'>, s: RawSyntax, types: Map<string, RawSyntax>): CatalogueParameter {
  const chain: RawSyntax[] = [s];
  let next = s.ref;
  for (let guard = 0; next && guard < 16; guard++) {
    const dt = types.get(next);
    if (!dt) break;
    chain.push(dt);
    next = dt.base;
  }
  const pick = <K extends keyof RawSyntax>(k: K): RawSyntax[K] => chain.find((c) => c[k] !== undefined)?.[k];
  const out: CatalogueParameter = { type: normalizeType(pick('prim')), ...p };
  const list = chain.some((c) => c.list);
  if (list) {
    out.type = 'xsd:string'; // TR-106: a list is a comma-separated string whatever its item type
    out.list = true;
  }
  const enumeration = pick('enumeration');
  if (enumeration) out.enumeration = enumeration;
  const ro = pick('readOnlyValues');
  if (ro && enumeration) out.readOnlyValues = ro;
  if (!list) {
    const min = pick('min');
    const max = pick('max');
    if (min !== undefined) out.min = min;
    if (max !== undefined) out.max = max;
    const maxLength = pick('maxLength');
    if (maxLength !== undefined) out.maxLength = maxLength;
  }
  if (s.default !== undefined) out.default = s.default;
  if (s.hidden) out.hidden = true;
  return out;
}

/** Resolve a BBF relative parameter reference ("X", "#.X", "##.X", ".X", "Device.X") from an object. */
function resolveRef(objPath: string, ref: string, root: string): string | undefined {
  if (ref.startsWith(root)) return ref;
  if (ref.startsWith('.')) return root + ref.slice(1);
  let base = objPath;
  let rest = ref;
  while (rest.startsWith('#')) {
    // "#" is the parent object; a table and its "{i}" instance count as one level.
    base = base.replace(/(\.\{i\})?\.$/, '');
    base = base.slice(0, base.lastIndexOf('.') + 1);
    rest = rest.slice(1);
    if (!base) return undefined;
  }
  return base + rest.replace(/^\./, '');
}

export function loadCatalogue(file: string): Catalogue {
  return parseCatalogue(readFileSync(file, 'utf8'));
}

/** "Device.WiFi.SSID.3.SSID" → "Device.WiFi.SSID.{i}.SSID" (also for alias "[cpe-1]" instances and "*" wildcards). */
export function genericPath(path: string): string {
  return path.replace(/\.(\d+|\[[^\]]*\]|\*)(?=\.)/g, '.{i}');
}

/** The catalogue entry for a concrete parameter path, if the standard defines it. */
export function lookupParameter(cat: Catalogue, path: string): CatalogueParameter | undefined {
  return cat.parameters.get(genericPath(path));
}
