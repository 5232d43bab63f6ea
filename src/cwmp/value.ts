/**
 * Tolerant readers for CWMP scalar values (TR-069 A.2.1 data types).
 *
 * The message model keeps lexical forms (see types.ts); these turn them into typed values the
 * way real devices need: booleans as true/false/1/0 in any case, integers zero-padded
 * ("05", the Thomson RetryCount), dateTimes without a zone or plainly malformed
 * ("0000-00-00T00:00:00", the Thomson VendorConfigFile date).
 */

/** true/false/1/0, any case, surrounding whitespace ignored; anything else → null. */
export function parseBoolean(s: string): boolean | null {
  const v = s.trim().toLowerCase();
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  return null;
}

const INTEGER = /^[+-]?\d+$/;

/** A decimal integer, zero padding and sign allowed, within the safe range; else null. */
export function parseInteger(s: string): number | null {
  const v = s.trim();
  if (!INTEGER.test(v)) return null;
  const n = Number(v);
  return Number.isSafeInteger(n) ? n : null;
}

// YYYY-MM-DDThh:mm:ss[.fff][Z|±hh:mm]; a space instead of T and ±hhmm are tolerated too.
const DATE_TIME = /^(-?\d{4,})-(\d\d)-(\d\d)[T ](\d\d):(\d\d):(\d\d)(?:[.,](\d+))?\s*(Z|[+-]\d\d:?\d\d)?$/i;

const DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
function daysInMonth(year: number, month: number): number {
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return month === 2 && leap ? 29 : DAYS[month - 1]!;
}

/**
 * An xsd:dateTime as a Date, or null when it does not denote an instant. No zone means UTC
 * (TR-069 A.2.1 asks for UTC unless the CPE knows its zone; devices that omit it are not
 * localised anyway). Year 0000 and out-of-range fields are null, not a nonsense Date.
 * "0001-01-01T00:00:00Z" is a valid instant: TR-069's "Unknown Time" sentinel; callers decide.
 */
export function parseCwmpDateTime(s: string): Date | null {
  const m = DATE_TIME.exec(s.trim());
  if (!m) return null;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  let hour = Number(m[4]);
  const minute = Number(m[5]);
  const second = Number(m[6]);
  if (year === 0 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return null;
  if (minute > 59 || second > 60) return null;
  if (hour > 24 || (hour === 24 && (minute !== 0 || second !== 0))) return null;
  const ms = m[7] ? Number(m[7].slice(0, 3).padEnd(3, '0')) : 0;
  let offsetMin = 0;
  const zone = m[8];
  if (zone && zone.toUpperCase() !== 'Z') {
    const sign = zone[0] === '-' ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    const oh = Number(digits.slice(0, 2));
    const om = Number(digits.slice(2));
    if (oh > 14 || om > 59) return null;
    offsetMin = sign * (oh * 60 + om);
  }
  if (hour === 24) hour = 0; // 24:00:00 is midnight at the end of the day
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day); // setUTCFullYear: Date.UTC maps years 0–99 to 1900s
  d.setUTCHours(hour, minute, Math.min(second, 59), ms);
  let t = d.getTime() - offsetMin * 60_000;
  if (m[4] === '24') t += 86_400_000;
  return Number.isFinite(t) ? new Date(t) : null;
}

/** The canonical CWMP lexical form of an instant: UTC, seconds precision, "Z". */
export function formatCwmpDateTime(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * Canonical lexical form of a parameter value for its xsi:type: booleans become
 * "true"/"false" (devices send 0/1); everything else is returned exactly as given, because
 * a value's whitespace can be meaningful (the Fiberhome DeviceSummary spans lines).
 */
export function normalizeValue(type: string, value: string): string {
  if (type === 'xsd:boolean' || type === 'boolean' || type.endsWith(':boolean')) {
    const b = parseBoolean(value);
    if (b !== null) return b ? 'true' : 'false';
  }
  return value;
}
