/**
 * Quirk profiles: data, not code paths. A profile matches devices (OUI, ProductClass, a
 * firmware range) and says how sessions must talk to them; src/session/quirks.ts applies the
 * merged settings to every RPC a session sends. Profiles come from three places, later ones
 * winning setting by setting: shipped with Flotilla (SHIPPED_QUIRKS, with the evidence that
 * made us add them), learnt by sessions (a 9002 on a big GetParameterValues halves the batch
 * for that model and firmware), and written by operators (who may also replace or disable a
 * shipped or learnt profile by reusing its id).
 */

export interface QuirkSettings {
  /** Most names in one GetParameterValues (and GetParameterAttributes); larger ones are split. */
  maxGetNames?: number;
  /** The CPE does not support GetParameterNames with NextLevel false: walk the tree level by level. */
  gpnNextLevelOnly?: boolean;
  /** One parameter per SetParameterValues (several are sent one after the other, same ParameterKey). */
  oneParameterPerSet?: boolean;
  /** Booleans written as "1"/"0" (digits) or "true"/"false" (words), whatever the task said. */
  booleans?: 'digits' | 'words';
  /** The CPE wants xsi:type on every SetParameterValues value (an untyped one goes out as xsd:string). */
  xsiType?: boolean;
  /**
   * The CPE ignores HoldRequests. Flotilla never sets it (every request a CPE sends is accepted
   * in a session), so this is documentation for operators, not a behaviour.
   */
  ignoresHoldRequests?: boolean;
  /** The CPE reboots without an "M Reboot" event: a reboot task is done at RebootResponse (it is today for all). */
  rebootWithoutMReboot?: boolean;
}

export const QUIRK_SETTING_KEYS = ['maxGetNames', 'gpnNextLevelOnly', 'oneParameterPerSet', 'booleans', 'xsiType', 'ignoresHoldRequests', 'rebootWithoutMReboot'] as const;

export interface QuirkMatch {
  /** Exact OUI (6 hex digits); absent: any. */
  oui?: string;
  /** Exact ProductClass; absent: any. */
  productClass?: string;
  /** Firmware (DeviceInfo.SoftwareVersion) range, inclusive, compared version-wise ("V1.10" > "V1.9"). */
  firmwareMin?: string;
  firmwareMax?: string;
}

export interface QuirkEvidence {
  at: number;
  /** What was seen ("9002 on GetParameterValues of 256 names"). */
  what: string;
  deviceId?: string;
}

export type QuirkSource = 'shipped' | 'learnt' | 'operator';

export interface QuirkProfile {
  id: string;
  name: string;
  source: QuirkSource;
  match: QuirkMatch;
  settings: QuirkSettings;
  evidence: QuirkEvidence[];
  enabled: boolean;
  createdAt: number;
  updatedAt: number;
}

/** Who a device is, as its Inform says. */
export interface QuirkIdentity {
  oui: string;
  productClass: string;
  softwareVersion: string | null;
}

/**
 * Compare firmware versions: runs of digits as numbers, everything else as text, so
 * "V5R020C00S280" < "V5R020C10S100" and "3.16.0" > "3.9.2".
 */
export function compareVersions(a: string, b: string): number {
  const pa = a.match(/\d+|\D+/g) ?? [];
  const pb = b.match(/\d+|\D+/g) ?? [];
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i];
    const y = pb[i];
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    const nx = /^\d/.test(x);
    const ny = /^\d/.test(y);
    if (nx && ny) {
      const d = BigInt(x) - BigInt(y);
      if (d !== 0n) return d < 0n ? -1 : 1;
    } else if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

export function matches(m: QuirkMatch, id: QuirkIdentity): boolean {
  if (m.oui !== undefined && m.oui.toUpperCase() !== id.oui.toUpperCase()) return false;
  if (m.productClass !== undefined && m.productClass !== id.productClass) return false;
  if (m.firmwareMin !== undefined || m.firmwareMax !== undefined) {
    if (id.softwareVersion === null) return false;
    if (m.firmwareMin !== undefined && compareVersions(id.softwareVersion, m.firmwareMin) < 0) return false;
    if (m.firmwareMax !== undefined && compareVersions(id.softwareVersion, m.firmwareMax) > 0) return false;
  }
  return true;
}

const RANK: Record<QuirkSource, number> = { shipped: 0, learnt: 1, operator: 2 };

/**
 * The profiles in force: stored ones replace shipped ones with the same id (an operator's
 * edit or disabling of a shipped profile); disabled ones drop out.
 */
export function effectiveProfiles(shipped: readonly QuirkProfile[], stored: readonly QuirkProfile[]): QuirkProfile[] {
  const byId = new Map<string, QuirkProfile>();
  for (const p of shipped) byId.set(p.id, p);
  for (const p of stored) byId.set(p.id, p);
  return [...byId.values()];
}

/** The settings for a device: every enabled matching profile, shipped < learnt < operator, then the more specific. */
export function resolveQuirks(profiles: readonly QuirkProfile[], id: QuirkIdentity): { settings: QuirkSettings; profiles: string[] } {
  const hits = profiles.filter((p) => p.enabled && matches(p.match, id));
  const specificity = (m: QuirkMatch): number => Object.keys(m).length;
  hits.sort((a, b) => RANK[a.source] - RANK[b.source] || specificity(a.match) - specificity(b.match) || a.id.localeCompare(b.id));
  const settings: QuirkSettings = {};
  for (const p of hits) Object.assign(settings, p.settings);
  return { settings, profiles: hits.map((p) => p.id) };
}

/**
 * What an operator's profile stands in for: a shipped profile or a learnt one it took over by
 * reusing the id (deleting it brings a shipped one back, and lets learning start afresh for a
 * learnt one), or null for a profile of the operator's own.
 */
export function overrides(p: Pick<QuirkProfile, 'id' | 'source'>, shipped: readonly QuirkProfile[] = SHIPPED_QUIRKS): 'shipped' | 'learnt' | null {
  if (p.source !== 'operator') return null;
  if (shipped.some((s) => s.id === p.id)) return 'shipped';
  return p.id.startsWith('learnt:') ? 'learnt' : null;
}

/** The id of the learnt profile of one model and firmware (one per model and firmware, updated in place). */
export function learntId(id: QuirkIdentity): string {
  return `learnt:${id.oui}:${id.productClass}:${id.softwareVersion ?? ''}`;
}

export class QuirkInputError extends Error {}

const SHORT = /^[\w .,:\-/+()]{1,128}$/;

/** An operator's profile from JSON input, checked field by field. */
export function parseQuirkInput(input: unknown): { name: string; match: QuirkMatch; settings: QuirkSettings; enabled: boolean } {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new QuirkInputError('a profile is an object');
  const o = input as Record<string, unknown>;
  for (const k of Object.keys(o)) if (!['name', 'match', 'settings', 'enabled'].includes(k)) throw new QuirkInputError(`unknown member "${k}"`);
  if (typeof o.name !== 'string' || !SHORT.test(o.name)) throw new QuirkInputError('name: 1 to 128 letters, digits, spaces or . , : - / + ( )');
  const m = (o.match ?? {}) as Record<string, unknown>;
  if (typeof m !== 'object' || Array.isArray(m)) throw new QuirkInputError('match is an object');
  const match: QuirkMatch = {};
  for (const [k, v] of Object.entries(m)) {
    if (!['oui', 'productClass', 'firmwareMin', 'firmwareMax'].includes(k)) throw new QuirkInputError(`match: unknown member "${k}"`);
    if (typeof v !== 'string' || v.length === 0 || v.length > 128 || [...v].some((c) => c.charCodeAt(0) < 0x20)) throw new QuirkInputError(`match.${k}: a string of 1 to 128 characters`);
    if (k === 'oui' && !/^[0-9A-Fa-f]{6}$/.test(v)) throw new QuirkInputError('match.oui: 6 hex digits');
    (match as Record<string, string>)[k] = v;
  }
  if (Object.keys(match).length === 0) throw new QuirkInputError('match: give at least one of oui, productClass, firmwareMin, firmwareMax');
  const s = (o.settings ?? {}) as Record<string, unknown>;
  if (typeof s !== 'object' || Array.isArray(s)) throw new QuirkInputError('settings is an object');
  const settings: QuirkSettings = {};
  for (const [k, v] of Object.entries(s)) {
    switch (k) {
      case 'maxGetNames':
        if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > 100_000) throw new QuirkInputError('settings.maxGetNames: an integer from 1 to 100000');
        settings.maxGetNames = v;
        break;
      case 'booleans':
        if (v !== 'digits' && v !== 'words') throw new QuirkInputError('settings.booleans: "digits" or "words"');
        settings.booleans = v;
        break;
      case 'gpnNextLevelOnly':
      case 'oneParameterPerSet':
      case 'xsiType':
      case 'ignoresHoldRequests':
      case 'rebootWithoutMReboot':
        if (typeof v !== 'boolean') throw new QuirkInputError(`settings.${k}: true or false`);
        settings[k] = v;
        break;
      default:
        throw new QuirkInputError(`settings: unknown member "${k}" (one of ${QUIRK_SETTING_KEYS.join(', ')})`);
    }
  }
  if (o.enabled !== undefined && typeof o.enabled !== 'boolean') throw new QuirkInputError('enabled: true or false');
  return { name: o.name, match, settings, enabled: o.enabled !== false };
}

const SHIPPED_AT = Date.UTC(2026, 11, 3);
const shipped = (id: string, name: string, match: QuirkMatch, settings: QuirkSettings, what: string[]): QuirkProfile => ({
  id: `shipped:${id}`,
  name,
  source: 'shipped',
  match,
  settings,
  evidence: what.map((w) => ({ at: SHIPPED_AT, what: w })),
  enabled: true,
  createdAt: SHIPPED_AT,
  updatedAt: SHIPPED_AT,
});

/**
 * Profiles for what the captures and dumps in ../shared show (fixtures/, device-models/).
 * Conservative: each setting answers something seen, and costs little if the device is fine.
 */
export const SHIPPED_QUIRKS: readonly QuirkProfile[] = [
  shipped(
    'thomson-speedtouch-780',
    'Thomson SpeedTouch 780',
    { oui: '00147F', productClass: 'SpeedTouch 780' },
    { maxGetNames: 64 },
    [
      'fixtures/thomson-speedtouch-780/Inform.xml: MaxEnvelopes 2, CurrentTime in 1970, a cwmp-1-0 client of 2006',
      'fixtures/thomson-speedtouch-780/GetParameterNamesResponse.xml: the whole tree in one 590 KB answer; Fault.xml: 9001 Request Denied',
    ],
  ),
  shipped(
    'huawei-eg8145v5',
    'Huawei EG8145V5 (GPON ONT)',
    { oui: '00259E', productClass: 'EG8145V5' },
    { booleans: 'digits' },
    ['device-models/huawei-eg8145v5-tr098.csv: boolean parameters reported as xsd:unsignedInt (WLANConfiguration.{i}.WMMSupported, VendorLogFile.{i}.Persistent)'],
  ),
  shipped(
    'zte-zxhn-h199a',
    'ZTE ZXHN H199A',
    { oui: 'C0B101', productClass: 'ZXHN H199A' },
    { xsiType: true },
    ['device-models/zte-zxhn-h199a-tr098.csv: types outside the standard (TemperatureSensor.{i}.ResetTime as xsd:unsignedLong); values go out with the type the device reported'],
  ),
];
