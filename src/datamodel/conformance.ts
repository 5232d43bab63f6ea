/**
 * A device's conformance report: what its reported tree says of it, judged against the BBF
 * catalogue (bbf.ts). Pure: the caller hands in the stored rows; the service reads them.
 *
 * The findings, each a list (capped; the counts are not) and a count:
 *  - the data model and profiles it claims: TR-098 `DeviceSummary`
 *    ("InternetGatewayDevice:1.4[](Baseline:1, EthernetLAN:1)"; `InternetGatewayDevice:1.0`
 *    with Baseline:1 implied when absent, as TR-098 says of devices before DeviceSummary),
 *    TR-181 `RootDataModelVersion` and `DeviceInfo.SupportedDataModel.{i}.` (Baseline:1
 *    implied when no profile is declared: the least any CWMP device must have);
 *  - missing: parameters (and objects) the claimed profiles require, per instance for tables;
 *  - wrongType: a reported type other than the standard's;
 *  - writability: reported writable where the standard says read-only, or read-only where a
 *    claimed profile requires write access (read-only where the standard merely allows
 *    writing is legal: TR-106 lets a device implement less than the model allows);
 *  - invalidValues: values outside their enumeration (the Wi-Fi "bg", "b/g" kind), range,
 *    length or lexical form;
 *  - noInstanceNumbers: a table's rows reported without instance numbers
 *    ("…WLANConfiguration.SSID" under a table);
 *  - nonStandard: names under a standard root that are neither in the standard nor vendor
 *    extensions (X_…); a non-standard object is listed once, its contents counted.
 */
import type { Catalogue, CatalogueProfile } from './catalogue.js';
import { genericPath } from './catalogue.js';
import type { CatalogueSet } from './bbf.js';
import { isVendorPath } from './check.js';
import { checkValue, normalizeType, type ValueCheck } from './values.js';

/** A stored row as the report needs it (the store's StoredParameter fits). */
export interface ReportRow {
  path: string;
  object: boolean;
  value: string | null;
  type: string | null;
  writable: boolean | null;
}

export interface ClaimedModel {
  /** As declared ("InternetGatewayDevice:1.4", "Device:2.4", "VoiceService:1.0"). */
  model: string;
  profiles: string[];
  /** Not declared by the device: what the report assumed. */
  implied: boolean;
  /** Where the claim came from ("DeviceSummary", "RootDataModelVersion", …, or "implied"). */
  source: string;
}

export type FindingKind = 'missing' | 'wrongType' | 'writability' | 'invalidValues' | 'noInstanceNumbers' | 'nonStandard';
export const FINDING_KINDS: readonly FindingKind[] = ['missing', 'wrongType', 'writability', 'invalidValues', 'noInstanceNumbers', 'nonStandard'];

export interface Finding {
  path: string;
  /** What the device reported (a type, "writable"/"read-only", a value, "absent"). */
  reported: string;
  /** What the standard (or the claimed profile) says. */
  expected: string;
  /** The profile that requires it (missing, writability), or the rule broken (invalidValues). */
  detail?: string;
}

export interface ConformanceReport {
  root: string | null;
  /** The catalogue the tree was judged against ("InternetGatewayDevice:1.14"). */
  catalogue: string | null;
  claimed: ClaimedModel[];
  /** Claimed profiles the catalogue does not define (nothing checked for them). */
  unknownProfiles: string[];
  counts: {
    parameters: number;
    objects: number;
    standard: number;
    vendor: number;
  } & Record<FindingKind, number>;
  findings: Record<FindingKind, Finding[]>;
  /** Kinds whose list was cut at the cap (a non-standard object's contents are counted, never listed). */
  truncated: FindingKind[];
}

/** Most findings of one kind listed (the counts go on). */
export const FINDINGS_CAP = 2000;

/**
 * "InternetGatewayDevice:1.4[](Baseline:1, EthernetLAN:1), VoiceService:1.0[1](Endpoint:1)":
 * each model with its profiles (TR-098 DeviceSummary, TR-106 3.7).
 */
export function parseDeviceSummary(text: string): { model: string; profiles: string[] }[] {
  const out: { model: string; profiles: string[] }[] = [];
  const re = /([A-Za-z][\w-]*:\d+(?:\.\d+)?)\s*(?:\[[^\]]*\])?\s*(?:\(([^)]*)\)?)?/g;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    // A closing ")" may be missing (the BM632w's DeviceSummary is cut short).
    out.push({ model: m[1]!, profiles: (m[2] ?? '').split(',').map((s) => s.trim()).filter((s) => /^[\w-]+:\d+$/.test(s)) });
  }
  return out;
}

function claimsOf(rows: Map<string, ReportRow>, root: string): ClaimedModel[] {
  const summary = rows.get(`${root}DeviceSummary`)?.value;
  if (summary) {
    const parsed = parseDeviceSummary(summary);
    if (parsed.length > 0) return parsed.map((p) => ({ ...p, implied: false, source: 'DeviceSummary' }));
  }
  if (root === 'InternetGatewayDevice.') return [{ model: 'InternetGatewayDevice:1.0', profiles: ['Baseline:1'], implied: true, source: 'implied' }];
  const claims: ClaimedModel[] = [];
  const version = rows.get(`${root}RootDataModelVersion`)?.value;
  const profiles: string[] = [];
  for (const [path, r] of rows) {
    // SupportedDataModel.{i}.Features lists features, which some devices fill with profile names.
    if (/^Device\.DeviceInfo\.SupportedDataModel\.\d+\.Features$/.test(path) && r.value) {
      for (const f of r.value.split(',').map((s) => s.trim())) if (/^[\w-]+:\d+$/.test(f)) profiles.push(f);
    }
  }
  claims.push({
    model: version ? `Device:${version}` : 'Device:2',
    profiles: profiles.length > 0 ? profiles : ['Baseline:1'],
    implied: profiles.length === 0,
    source: version ? 'RootDataModelVersion' : 'implied',
  });
  return claims;
}

/** A profile's requirements with those of every profile it includes (base, extends). */
function requirements(cat: Catalogue, name: string, seen = new Set<string>()): { objects: Map<string, string>; parameters: Map<string, string> } {
  const out = { objects: new Map<string, string>(), parameters: new Map<string, string>() };
  const p: CatalogueProfile | undefined = cat.profiles.get(name);
  if (p === undefined || seen.has(name)) return out;
  seen.add(name);
  for (const inc of p.includes) {
    const r = requirements(cat, inc, seen);
    for (const [k, v] of r.objects) out.objects.set(k, v);
    for (const [k, v] of r.parameters) if (out.parameters.get(k) !== 'readWrite') out.parameters.set(k, v);
  }
  for (const [k, v] of p.objects) out.objects.set(k, v);
  for (const [k, v] of p.parameters) if (out.parameters.get(k) !== 'readWrite') out.parameters.set(k, v);
  return out;
}

const CHECK_RULE: Record<Exclude<ValueCheck, 0>, string> = { 9006: 'lexical', 9007: 'facet' };

export function conformanceReport(cats: CatalogueSet, input: readonly ReportRow[]): ConformanceReport {
  const rows = new Map<string, ReportRow>();
  for (const r of input) rows.set(r.path, r);
  const firstPath = input.find((r) => r.path.startsWith('Device.') || r.path.startsWith('InternetGatewayDevice.'))?.path;
  const root = firstPath === undefined ? null : firstPath.startsWith('Device.') ? 'Device.' : 'InternetGatewayDevice.';
  const rootCat = root === null ? undefined : cats.rootModel(root);
  const findings = Object.fromEntries(FINDING_KINDS.map((k) => [k, [] as Finding[]])) as Record<FindingKind, Finding[]>;
  const counts = { parameters: 0, objects: 0, standard: 0, vendor: 0, ...(Object.fromEntries(FINDING_KINDS.map((k) => [k, 0])) as Record<FindingKind, number>) };
  const cut = new Set<FindingKind>();
  const add = (kind: FindingKind, f: Finding): void => {
    counts[kind]++;
    if (findings[kind].length < FINDINGS_CAP) findings[kind].push(f);
    else cut.add(kind);
  };
  const claimed = root === null ? [] : claimsOf(rows, root);

  // Which claimed profiles require write access to which generic parameters.
  const required = new Map<string, { requirement: string; profile: string }>();
  const requiredObjects = new Map<string, { requirement: string; profile: string }>();
  const unknownProfiles: string[] = [];
  for (const c of claimed) {
    const name = c.model.slice(0, c.model.indexOf(':'));
    const cat = rootCat !== undefined && `${name}.` === rootCat.root ? rootCat : cats.catalogues.find((x) => x.service && x.root === `${name}.`);
    for (const profile of c.profiles) {
      if (cat === undefined || !cat.profiles.has(profile)) {
        unknownProfiles.push(`${profile} (${c.model})`);
        continue;
      }
      const req = requirements(cat, profile);
      // A service model's generic paths are mounted under the root's Services.
      const mount = cat.service && root !== null ? `${root}Services.` : '';
      for (const [p, r] of req.parameters) {
        const prev = required.get(mount + p);
        if (prev === undefined || (r === 'readWrite' && prev.requirement !== 'readWrite')) required.set(mount + p, { requirement: r, profile });
      }
      for (const [p, r] of req.objects) if (!requiredObjects.has(mount + p)) requiredObjects.set(mount + p, { requirement: r, profile });
    }
  }

  // Concrete instances of each generic object the device reported (for per-instance checks).
  const instances = new Map<string, string[]>();
  const flaggedObjects: string[] = [];
  for (const r of input) {
    if (root === null || !r.path.startsWith(root)) continue;
    if (r.object) {
      counts.objects++;
      const g = genericPath(r.path);
      const list = instances.get(g);
      if (list) list.push(r.path);
      else instances.set(g, [r.path]);
    } else counts.parameters++;
    if (isVendorPath(r.path)) {
      if (!r.object) counts.vendor++;
      continue;
    }
    const entry = r.object ? cats.object(r.path) : cats.parameter(r.path);
    if (entry === undefined) {
      // A path under an object already listed is counted, not listed again.
      const under = flaggedObjects.some((o) => r.path.startsWith(o));
      const noInstance = missingInstance(cats, r.path);
      if (noInstance !== null) {
        if (under) counts.noInstanceNumbers++;
        else add('noInstanceNumbers', { path: r.path, reported: r.path, expected: noInstance });
      } else if (under) counts.nonStandard++;
      else add('nonStandard', { path: r.path, reported: r.object ? 'object' : (r.type ?? 'untyped'), expected: `not in ${cats.locate(r.path)?.catalogue.model ?? 'any model'}` });
      if (r.object && !under) flaggedObjects.push(r.path);
      continue;
    }
    if (r.object) continue;
    counts.standard++;
    const p = cats.parameter(r.path)!;
    if (r.type !== null && r.type !== '' && normalizeType(r.type) !== p.type) {
      add('wrongType', { path: r.path, reported: r.type, expected: p.type });
    }
    const req = required.get(genericPath(r.path));
    if (r.writable === true && p.access === 'readOnly') {
      add('writability', { path: r.path, reported: 'writable', expected: `read-only in ${p.model}` });
    } else if (r.writable === false && req?.requirement === 'readWrite') {
      add('writability', { path: r.path, reported: 'read-only', expected: 'writable', detail: req.profile });
    }
    // Hidden values read back "" by rule.
    if (r.value !== null && !(p.hidden && r.value === '')) {
      const code = checkValue(p.type, r.value, p);
      if (code !== 0) {
        const rule = p.enumeration && code === 9007 && checkValue(p.type, r.value, { ...p, enumeration: undefined }) === 0 ? 'enumeration' : CHECK_RULE[code];
        add('invalidValues', { path: r.path, reported: r.value, expected: describe(p), detail: rule });
      }
    }
  }

  // Missing: what the claimed profiles require and the tree lacks.
  const present = new Set<string>();
  for (const r of input) {
    for (let i = r.path.indexOf('.'); i >= 0 && i < r.path.length; i = r.path.indexOf('.', i + 1)) present.add(r.path.slice(0, i + 1));
  }
  if (root !== null) {
    for (const [obj, { requirement, profile }] of requiredObjects) {
      if (requirement === 'notSpecified') continue;
      if (!obj.includes('{i}')) {
        if (!present.has(obj)) add('missing', { path: obj, reported: 'absent', expected: 'object', detail: profile });
      }
    }
    for (const [param, { requirement, profile }] of required) {
      const obj = param.slice(0, param.lastIndexOf('.') + 1);
      const concrete = obj.includes('{i}') ? (instances.get(obj) ?? []) : [obj];
      for (const o of concrete) {
        if (!obj.includes('{i}') && !present.has(o)) continue; // the object is listed missing
        const path = o + param.slice(obj.length);
        if (!rows.has(path)) add('missing', { path, reported: 'absent', expected: requirement === 'readWrite' ? 'writable parameter' : 'parameter', detail: profile });
      }
    }
  }

  return {
    root,
    catalogue: rootCat?.model ?? null,
    claimed,
    unknownProfiles,
    counts,
    findings,
    truncated: FINDING_KINDS.filter((k) => cut.has(k)),
  };
}

function describe(p: { type: string; enumeration?: readonly string[]; min?: string; max?: string; maxLength?: number; list?: boolean }): string {
  if (p.enumeration && p.enumeration.length > 0) return `${p.list ? 'items of ' : ''}${p.enumeration.join(', ')}`;
  const parts = [p.type];
  if (p.min !== undefined || p.max !== undefined) parts.push(`${p.min ?? ''}..${p.max ?? ''}`);
  if (p.maxLength !== undefined) parts.push(`≤ ${p.maxLength} chars`);
  return parts.join(' ');
}

/**
 * When `path` is a table's contents without an instance number ("X.Table.Name" where the
 * standard has "X.Table.{i}.Name"), the path it should have had; else null.
 */
function missingInstance(cats: CatalogueSet, path: string): string | null {
  const segs = path.split('.');
  for (let i = 1; i < segs.length - 1; i++) {
    const table = `${segs.slice(0, i + 1).join('.')}.`;
    const next = segs[i + 1]!;
    if (/^\d+$/.test(next) || next.startsWith('[') || next === '') continue;
    if (cats.object(`${table}{i}.`)?.multiInstance === true) {
      const generic = genericPath(`${table}{i}.${segs.slice(i + 1).join('.')}`);
      if (cats.parameter(generic) !== undefined || cats.object(generic) !== undefined) return generic;
    }
  }
  return null;
}
