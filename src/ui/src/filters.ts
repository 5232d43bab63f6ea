/** The devices page's filters as the NBI's filter strings (src/nbi/query.ts). Pure; unit-tested. */

export const OPERATORS = ['=', '!=', '<', '<=', '>', '>=', '^=', '~='] as const;
const EXPRESSION = /^\s*([^\s=<>!^~()]+)\s*(!=|<=|>=|\^=|~=|=|<|>)\s*(.*?)\s*$/s;
const EXISTS = /^\s*!?exists\(\s*[^\s()]+\s*\)\s*$/;

export function isExpression(text: string): boolean {
  return EXISTS.test(text) || EXPRESSION.test(text);
}

/** A value as the filter language wants it: quoted when it has blanks or quotes. */
export function quote(value: string): string {
  return /^[^\s"]*$/.test(value) && value !== '' ? value : JSON.stringify(value);
}

export function build(field: string, op: string, value: string): string {
  return `${field} ${op} ${quote(value)}`;
}

/** What the search box says under it (SEARCH_HINT and searchFilter must agree). */
export const SEARCH_HINT =
  'Text is found anywhere in the id. Wildcards (* any run, ? one character) match from the start: ' +
  'SIM00010* = serial numbers starting SIM00010; 00D09E-* = ids starting 00D09E-. Or a filter: tag = lab';

/**
 * What the search box means: a filter expression as typed ("tag = lab", "Device.X = 1"), or
 * else a piece of the device id (OUI, product class, serial) matched anywhere in it. With a
 * wildcard the pattern is anchored: the whole id ("OUI-ProductClass-Serial") when it has a
 * dash, else the serial number, which is what people type ("SIM00010*" finds SIM000100…),
 * and which would never match from the start of an id that begins with the OUI.
 */
export function searchFilter(text: string): string | null {
  const t = text.trim();
  if (t === '') return null;
  if (isExpression(t)) return t;
  if (!/[*?]/.test(t)) return `id ~= ${quote(`*${t}*`)}`;
  return t.includes('-') || t.startsWith('*') ? `id ~= ${quote(t)}` : `serialNumber ~= ${quote(t)}`;
}

export const LAST_INFORM_CHOICES: { value: string; label: string; filter: string | null }[] = [
  { value: '', label: 'Any time', filter: null },
  { value: '5m', label: 'Within 5 minutes', filter: 'lastInform >= -5m' },
  { value: '1h', label: 'Within 1 hour', filter: 'lastInform >= -1h' },
  { value: '24h', label: 'Within 24 hours', filter: 'lastInform >= -24h' },
  { value: 'stale1h', label: 'Not for 1 hour', filter: 'lastInform < -1h' },
  { value: 'stale24h', label: 'Not for 24 hours', filter: 'lastInform < -24h' },
  { value: 'stale7d', label: 'Not for 7 days', filter: 'lastInform < -7d' },
];
