/**
 * Type checking of a value an operator types for a parameter, before it is sent (TR-106 data
 * types as TR-069 carries them in xsi:type). Returns the value as the CPE should get it, or why
 * it is not one. Pure; no imports (unit-tested from test/ui).
 */

export type CheckResult = { ok: true; value: string } | { ok: false; error: string };

const INT_RANGES: Record<string, [bigint, bigint]> = {
  int: [-2147483648n, 2147483647n],
  unsignedInt: [0n, 4294967295n],
  long: [-9223372036854775808n, 9223372036854775807n],
  unsignedLong: [0n, 18446744073709551615n],
};

/** "xsd:unsignedInt" → "unsignedInt"; unknown or missing → "string". */
export function baseType(type: string | null | undefined): string {
  if (!type) return 'string';
  const t = type.includes(':') ? type.slice(type.indexOf(':') + 1) : type;
  return t;
}

export function checkValue(type: string | null | undefined, raw: string): CheckResult {
  const t = baseType(type);
  const v = t === 'string' || t === 'base64' || t === 'hexBinary' ? raw : raw.trim();
  const range = INT_RANGES[t];
  if (range !== undefined) {
    if (!/^[-+]?\d+$/.test(v)) return { ok: false, error: `${t}: a whole number is needed` };
    const n = BigInt(v);
    if (n < range[0] || n > range[1]) return { ok: false, error: `${t}: between ${range[0]} and ${range[1]}` };
    return { ok: true, value: n.toString() };
  }
  switch (t) {
    case 'boolean': {
      const l = v.toLowerCase();
      if (l === 'true' || l === '1') return { ok: true, value: 'true' };
      if (l === 'false' || l === '0') return { ok: true, value: 'false' };
      return { ok: false, error: 'boolean: true or false' };
    }
    case 'dateTime': {
      if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?$/.test(v) || Number.isNaN(Date.parse(v))) {
        return { ok: false, error: 'dateTime: ISO 8601, e.g. 2024-01-31T12:00:00Z' };
      }
      return { ok: true, value: v };
    }
    case 'base64':
      if (!/^[A-Za-z0-9+/\s]*={0,2}$/.test(v) || v.replace(/\s/g, '').length % 4 !== 0) return { ok: false, error: 'base64: not valid base64' };
      return { ok: true, value: v };
    case 'hexBinary':
      if (!/^([0-9A-Fa-f]{2})*$/.test(v)) return { ok: false, error: 'hexBinary: pairs of hex digits' };
      return { ok: true, value: v };
    case 'decimal':
    case 'double':
    case 'float':
      if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(v)) return { ok: false, error: `${t}: a number is needed` };
      return { ok: true, value: v };
    default:
      if (v.length > 65535) return { ok: false, error: 'string: at most 65535 characters' };
      return { ok: true, value: v };
  }
}

/** The HTML input that fits a type. */
export function inputKind(type: string | null | undefined): 'boolean' | 'integer' | 'text' {
  const t = baseType(type);
  if (t === 'boolean') return 'boolean';
  if (INT_RANGES[t] !== undefined) return 'integer';
  return 'text';
}
