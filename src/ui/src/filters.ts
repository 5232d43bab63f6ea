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

/**
 * What the search box means: a filter expression as typed ("tag = lab", "Device.X = 1"), or
 * else a piece of the device id (OUI, product class, serial) matched anywhere in it.
 */
export function searchFilter(text: string): string | null {
  const t = text.trim();
  if (t === '') return null;
  if (isExpression(t)) return t;
  const glob = /[*?]/.test(t) ? t : `*${t}*`;
  return `id ~= ${quote(glob)}`;
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
