/**
 * Quirk profiles as the console edits them (GET/POST/PUT /quirks, docs/conformance.md): the
 * API's shapes, and the form's draft to and from the body the API takes. The form never checks
 * values itself: what the operator typed goes to the API, whose message says what is wrong.
 */

export const BOOLEAN_SETTINGS = ['gpnNextLevelOnly', 'oneParameterPerSet', 'xsiType', 'ignoresHoldRequests', 'rebootWithoutMReboot'] as const;
export type BooleanSetting = (typeof BOOLEAN_SETTINGS)[number];

export const SETTING_LABELS: Record<BooleanSetting | 'maxGetNames' | 'booleans', string> = {
  maxGetNames: 'Most names per GetParameterValues',
  booleans: 'Booleans written as',
  gpnNextLevelOnly: 'Walk the tree level by level (no GetParameterNames with NextLevel false)',
  oneParameterPerSet: 'One parameter per SetParameterValues',
  xsiType: 'xsi:type on every SetParameterValues value',
  ignoresHoldRequests: 'Ignores HoldRequests (documentation only)',
  rebootWithoutMReboot: 'Reboots without “M Reboot”',
};

export interface QuirkMatch {
  oui?: string;
  productClass?: string;
  firmwareMin?: string;
  firmwareMax?: string;
}

export interface QuirkProfile {
  id: string;
  name: string;
  source: 'shipped' | 'learnt' | 'operator';
  match: QuirkMatch;
  settings: Record<string, unknown>;
  evidence: { at: string; what: string; deviceId?: string }[];
  enabled: boolean;
  /** An operator's profile that took over a shipped or learnt one (same id). */
  overrides: 'shipped' | 'learnt' | null;
  createdAt: string;
  updatedAt: string;
}

/** What POST and PUT /quirks take. */
export interface QuirkBody {
  name: string;
  match: QuirkMatch;
  settings: Record<string, unknown>;
  enabled: boolean;
}

/** The form's fields, as typed ('' = not set). */
export interface Draft {
  name: string;
  oui: string;
  productClass: string;
  firmwareMin: string;
  firmwareMax: string;
  maxGetNames: string;
  booleans: '' | 'digits' | 'words';
  flags: Record<BooleanSetting, '' | 'true' | 'false'>;
  enabled: boolean;
}

const MATCH_KEYS = ['oui', 'productClass', 'firmwareMin', 'firmwareMax'] as const;

export const EMPTY_DRAFT: Draft = {
  name: '',
  oui: '',
  productClass: '',
  firmwareMin: '',
  firmwareMax: '',
  maxGetNames: '',
  booleans: '',
  flags: { gpnNextLevelOnly: '', oneParameterPerSet: '', xsiType: '', ignoresHoldRequests: '', rebootWithoutMReboot: '' },
  enabled: true,
};

export function bodyOf(p: Pick<QuirkProfile, 'name' | 'match' | 'settings' | 'enabled'>): QuirkBody {
  return { name: p.name, match: { ...p.match }, settings: { ...p.settings }, enabled: p.enabled };
}

export function draftOf(b: QuirkBody): Draft {
  const s = b.settings ?? {};
  const m = b.match ?? {};
  const flags = { ...EMPTY_DRAFT.flags };
  for (const k of BOOLEAN_SETTINGS) if (typeof s[k] === 'boolean') flags[k] = s[k] ? 'true' : 'false';
  return {
    name: typeof b.name === 'string' ? b.name : '',
    oui: m.oui ?? '',
    productClass: m.productClass ?? '',
    firmwareMin: m.firmwareMin ?? '',
    firmwareMax: m.firmwareMax ?? '',
    maxGetNames: s.maxGetNames === undefined ? '' : String(s.maxGetNames),
    booleans: s.booleans === 'digits' || s.booleans === 'words' ? s.booleans : '',
    flags,
    enabled: b.enabled !== false,
  };
}

/** The body for the API: empty fields left out; a size that is not a whole number goes as typed, for the API to refuse. */
export function draftBody(d: Draft): QuirkBody {
  const match: QuirkMatch = {};
  for (const k of MATCH_KEYS) if (d[k].trim() !== '') match[k] = d[k].trim();
  const settings: Record<string, unknown> = {};
  const n = d.maxGetNames.trim();
  if (n !== '') settings.maxGetNames = /^-?\d+$/.test(n) ? Number(n) : n;
  if (d.booleans !== '') settings.booleans = d.booleans;
  for (const k of BOOLEAN_SETTINGS) if (d.flags[k] !== '') settings[k] = d.flags[k] === 'true';
  return { name: d.name, match, settings, enabled: d.enabled };
}

export function matchText(m: QuirkMatch): string {
  const parts: string[] = [];
  if (m.oui) parts.push(`OUI ${m.oui}`);
  if (m.productClass) parts.push(`ProductClass ${m.productClass}`);
  if (m.firmwareMin || m.firmwareMax) {
    if (m.firmwareMin === m.firmwareMax) parts.push(`firmware ${m.firmwareMin}`);
    else parts.push(`firmware ${m.firmwareMin ?? '…'} – ${m.firmwareMax ?? '…'}`);
  }
  return parts.join(', ') || 'every device';
}

export function settingsText(s: Record<string, unknown>): string {
  const e = Object.entries(s);
  return e.length === 0 ? 'none' : e.map(([k, v]) => `${k}: ${String(v)}`).join(', ');
}

export const quirkHref = (id: string): string => `/quirks?profile=${encodeURIComponent(id)}`;
