/**
 * Lexical checks for CWMP parameter values (TR-069 A.2.3.1 and TR-106 section 3.2).
 *
 * Shared by the CPE simulator's SetParameterValues and, later, by the ACS when it builds a
 * type-correct SetParameterValues from the BBF catalogue. Values stay strings: we only say
 * whether a string is a legal lexical form for a type and, if it is, whether it satisfies the
 * parameter's facets (range, enumeration, length).
 */

/** The wire types of TR-069 A.2.3.1 plus xsd:decimal (TR-106 decimal, used by a few TR-181 parameters). */
export const XSD_TYPES = [
  'xsd:string',
  'xsd:int',
  'xsd:unsignedInt',
  'xsd:long',
  'xsd:unsignedLong',
  'xsd:boolean',
  'xsd:dateTime',
  'xsd:base64',
  'xsd:hexBinary',
  'xsd:decimal',
] as const;
export type KnownXsdType = (typeof XSD_TYPES)[number];

/** Accepts "unsignedInt" or "xsd:unsignedInt"; unknown or empty types become xsd:string. */
export function normalizeType(t: string | undefined): KnownXsdType {
  if (!t) return 'xsd:string';
  const full = t.startsWith('xsd:') ? t : `xsd:${t}`;
  return (XSD_TYPES as readonly string[]).includes(full) ? (full as KnownXsdType) : 'xsd:string';
}

const INT_BOUNDS: Partial<Record<KnownXsdType, readonly [bigint, bigint]>> = {
  'xsd:int': [-(2n ** 31n), 2n ** 31n - 1n],
  'xsd:unsignedInt': [0n, 2n ** 32n - 1n],
  'xsd:long': [-(2n ** 63n), 2n ** 63n - 1n],
  'xsd:unsignedLong': [0n, 2n ** 64n - 1n],
};

export function isIntegerType(t: string): boolean {
  return t in INT_BOUNDS;
}

/** The value a parameter has when nothing better is known (TR-069: unknown time is 0001-01-01T00:00:00Z). */
export function zeroValue(t: string): string {
  if (isIntegerType(t) || t === 'xsd:decimal') return '0';
  if (t === 'xsd:boolean') return 'false';
  if (t === 'xsd:dateTime') return '0001-01-01T00:00:00Z';
  return '';
}

/** Facets a value must satisfy beyond its lexical type. All optional. */
export interface ValueFacets {
  /** Allowed values (for a list-valued string, each comma-separated item). */
  enumeration?: readonly string[];
  /** The value is a comma-separated list (TR-106 list syntax). */
  list?: boolean;
  /** Inclusive bounds for integer types, as decimal strings (bigint-safe). */
  min?: string;
  max?: string;
  maxLength?: number;
}

/** 0 = acceptable; 9006 = not a lexical form of the type; 9007 = right type, illegal value. */
export type ValueCheck = 0 | 9006 | 9007;

const INT_RE = /^[+-]?\d+$/;
const DECIMAL_RE = /^[+-]?(\d+(\.\d*)?|\.\d+)$/;
// xsd:dateTime; the zone is optional because real ACSs and CPEs omit it (cwmp-primer).
const DATETIME_RE = /^-?\d{4,}-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})?$/;
const BASE64_RE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const HEX_RE = /^(?:[0-9A-Fa-f]{2})*$/;

export function isBooleanLexical(v: string): boolean {
  return v === 'true' || v === 'false' || v === '1' || v === '0';
}

function checkDateTime(v: string): boolean {
  const m = DATETIME_RE.exec(v);
  if (!m) return false;
  const [mo, d, h, mi, s] = [m[1], m[2], m[3], m[4], m[5]].map(Number) as [number, number, number, number, number];
  return mo >= 1 && mo <= 12 && d >= 1 && d <= 31 && h <= 24 && mi <= 59 && s <= 60;
}

/**
 * Check `value` against `type` and `facets`. Malformed dateTime, base64 and hexBinary count
 * as invalid values (9007): the ACS sent a string, the type is right, its content is wrong;
 * a non-number for an integer type or a non-boolean for a boolean is a type error (9006).
 */
export function checkValue(type: string, value: string, facets: ValueFacets = {}): ValueCheck {
  const bounds = INT_BOUNDS[type as KnownXsdType];
  if (bounds) {
    if (!INT_RE.test(value)) return 9006;
    const n = BigInt(value);
    if (n < bounds[0] || n > bounds[1]) return 9007;
    if (facets.min !== undefined && n < BigInt(facets.min)) return 9007;
    if (facets.max !== undefined && n > BigInt(facets.max)) return 9007;
    return 0;
  }
  switch (type) {
    case 'xsd:boolean':
      return isBooleanLexical(value) ? 0 : 9006;
    case 'xsd:dateTime':
      return checkDateTime(value) ? 0 : 9007;
    case 'xsd:base64':
      return BASE64_RE.test(value.replace(/\s+/g, '')) ? 0 : 9007;
    case 'xsd:hexBinary':
      return HEX_RE.test(value) ? 0 : 9007;
    case 'xsd:decimal':
      return DECIMAL_RE.test(value) ? 0 : 9006;
    default:
      break;
  }
  if (facets.maxLength !== undefined && value.length > facets.maxLength) return 9007;
  if (facets.enumeration && facets.enumeration.length > 0) {
    const items = facets.list ? (value === '' ? [] : value.split(',').map((s) => s.trim())) : [value];
    if (!items.every((i) => facets.enumeration!.includes(i))) return 9007;
  }
  return 0;
}

/**
 * Whether an xsi:type the ACS declared may be applied to a parameter of type `target`. An
 * empty declared type is fine (some ACSs omit xsi:type); the integer types are
 * interchangeable when the value fits (checkValue tells); anything else must match.
 */
export function declaredTypeCompatible(declared: string, target: string): boolean {
  if (!declared) return true;
  const d = normalizeType(declared);
  if (d === target) return true;
  return isIntegerType(d) && isIntegerType(target);
}
