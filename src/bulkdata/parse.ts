/**
 * TR-232 bulk data reports, as the HTTP transport carries them, into (time, path, value) rows.
 * Pure: text in, rows or the reason it is refused out. Four layouts (TR-232 Annex A):
 *
 *  - JSON NameValuePair:  {"Report":[{"CollectionTime":1700000000,"Device.X.Y":12,…},…]}
 *  - JSON ObjectHierarchy: {"Report":[{"CollectionTime":…,"Device":{"X":{"1":{"Y":12}}}},…]}
 *    (table instances as keys "1", "2" …, or as an array: its index + 1)
 *  - CSV ParameterPerRow:  ReportTimestamp,ParameterName,ParameterValue,ParameterType
 *  - CSV ParameterPerColumn: ReportTimestamp,Device.X.Y,Device.X.Z  then one row per collection
 *
 * The timestamp is Unix-Epoch seconds or ISO-8601 (ReportTimestamp "None": the receive time).
 * Anything malformed refuses the whole report, so nothing of it is half stored. Bounds keep a
 * hostile body cheap: rows, name and value lengths, JSON depth.
 */

export type ReportFormat = 'NameValuePair' | 'ObjectHierarchy' | 'ParameterPerRow' | 'ParameterPerColumn';
export const REPORT_FORMATS: readonly ReportFormat[] = ['NameValuePair', 'ObjectHierarchy', 'ParameterPerRow', 'ParameterPerColumn'];

export interface ReportRow {
  /** ms since the epoch. */
  at: number;
  path: string;
  value: string;
}

export interface ParseLimits {
  /** Rows (one parameter at one time) in a body. */
  maxRows: number;
  maxPathLength: number;
  maxValueLength: number;
  /** JSON object nesting (ObjectHierarchy). */
  maxDepth: number;
}

export const DEFAULT_PARSE_LIMITS: ParseLimits = { maxRows: 20_000, maxPathLength: 256, maxValueLength: 1024, maxDepth: 32 };

export type ParseResult = { ok: true; format: ReportFormat; rows: ReportRow[] } | { ok: false; reason: string };

const NAME = /^(Device|InternetGatewayDevice)(\.([A-Za-z_][A-Za-z0-9_-]*|\d+))+$/;
const TIME_KEYS = new Set(['CollectionTime', 'ReportTimestamp']);

class Malformed extends Error {}

/**
 * A report body. `format` from the BBF-Report-Format header when the device sent one; else
 * the content type says JSON or CSV and the body's shape says which layout.
 */
export function parseReport(body: string, opts: { contentType?: string; format?: string; receivedAt: number; limits?: Partial<ParseLimits> }): ParseResult {
  const limits = { ...DEFAULT_PARSE_LIMITS, ...opts.limits };
  const declared = opts.format?.trim().replace(/^"|"$/g, '');
  if (declared !== undefined && declared !== '' && !(REPORT_FORMATS as readonly string[]).includes(declared)) return { ok: false, reason: `unknown report format "${declared.slice(0, 40)}"` };
  const format = declared as ReportFormat | undefined;
  const type = (opts.contentType ?? '').toLowerCase();
  const json = format === 'NameValuePair' || format === 'ObjectHierarchy' || (format === undefined && (type.includes('json') || /^\s*[{[]/.test(body)));
  try {
    const rows: ReportRow[] = [];
    const push = (row: ReportRow): void => {
      if (rows.length >= limits.maxRows) throw new Malformed(`more than ${limits.maxRows} values`);
      checkName(row.path, limits);
      if (row.value.length > limits.maxValueLength) throw new Malformed(`${row.path}: value longer than ${limits.maxValueLength}`);
      rows.push(row);
    };
    let used: ReportFormat;
    if (json) used = parseJson(body, format, opts.receivedAt, limits, push);
    else used = parseCsv(body, format, opts.receivedAt, push);
    if (rows.length === 0) return { ok: false, reason: 'no values in the report' };
    return { ok: true, format: used, rows };
  } catch (e) {
    if (e instanceof Malformed) return { ok: false, reason: e.message };
    if (e instanceof SyntaxError) return { ok: false, reason: `not JSON: ${e.message.slice(0, 120)}` };
    throw e;
  }
}

function checkName(path: string, limits: ParseLimits): void {
  if (path.length > limits.maxPathLength) throw new Malformed(`a parameter name longer than ${limits.maxPathLength}`);
  if (!NAME.test(path)) throw new Malformed(`"${path.slice(0, 80)}" is not a parameter name`);
}

/** A report's timestamp: epoch seconds (number or digits), ISO-8601, or absent (the receive time). */
function timeOf(v: unknown, receivedAt: number): number {
  if (v === undefined || v === null || v === '') return receivedAt;
  if (typeof v === 'number' && Number.isFinite(v) && v >= 0) return Math.round(v * 1000);
  if (typeof v === 'string') {
    if (/^\d{1,12}(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000);
    if (/^\d{4}-\d{2}-\d{2}T/.test(v)) {
      const t = Date.parse(v);
      if (Number.isFinite(t)) return t;
    }
  }
  throw new Malformed(`unreadable timestamp ${JSON.stringify(v).slice(0, 40)}`);
}

function scalar(v: unknown, path: string): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  throw new Malformed(`${path}: not a string, number or boolean`);
}

function parseJson(body: string, format: ReportFormat | undefined, receivedAt: number, limits: ParseLimits, push: (r: ReportRow) => void): ReportFormat {
  depthCheck(body, limits.maxDepth);
  const doc: unknown = JSON.parse(body);
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new Malformed('a JSON report is an object with "Report"');
  const reports = (doc as Record<string, unknown>).Report;
  if (!Array.isArray(reports)) throw new Malformed('"Report" is not an array');
  let used: ReportFormat | undefined = format;
  for (const report of reports) {
    if (typeof report !== 'object' || report === null || Array.isArray(report)) throw new Malformed('a report is an object');
    const entries = Object.entries(report as Record<string, unknown>);
    let at = receivedAt;
    for (const [k, v] of entries) if (TIME_KEYS.has(k)) at = timeOf(v, receivedAt);
    const data = entries.filter(([k]) => !TIME_KEYS.has(k));
    // Without a declared format: dotted names are name/value pairs, a bare root is a hierarchy.
    const shape: ReportFormat = used ?? (data.some(([k]) => k.includes('.')) ? 'NameValuePair' : 'ObjectHierarchy');
    used ??= shape;
    if (shape === 'NameValuePair') {
      for (const [k, v] of data) push({ at, path: k, value: scalar(v, k) });
    } else {
      for (const [k, v] of data) walk(v, k, at, push);
    }
  }
  return used ?? format ?? 'NameValuePair';
}

function walk(v: unknown, path: string, at: number, push: (r: ReportRow) => void): void {
  if (Array.isArray(v)) {
    v.forEach((item, i) => walk(item, `${path}.${i + 1}`, at, push));
    return;
  }
  if (typeof v === 'object' && v !== null) {
    for (const [k, child] of Object.entries(v as Record<string, unknown>)) {
      if (k === '' || k.includes('.')) throw new Malformed(`${path}: key "${k.slice(0, 40)}" in a hierarchy`);
      walk(child, `${path}.${k}`, at, push);
    }
    return;
  }
  push({ at, path, value: scalar(v, path) });
}

/** JSON.parse recurses: refuse deep nesting before it does (strings skipped). */
function depthCheck(text: string, max: number): void {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92) i++;
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 123 || c === 91) {
      if (++depth > max) throw new Malformed(`nested deeper than ${max}`);
    } else if (c === 125 || c === 93) depth--;
  }
}

function parseCsv(body: string, format: ReportFormat | undefined, receivedAt: number, push: (r: ReportRow) => void): ReportFormat {
  const rows = csvRows(body);
  if (rows.length < 2) throw new Malformed('a CSV report has a header row and at least one row');
  const header = rows[0]!;
  const perRow = format === 'ParameterPerRow' || (format === undefined && header.includes('ParameterName'));
  if (perRow) {
    const iName = header.indexOf('ParameterName');
    const iValue = header.indexOf('ParameterValue');
    const iTime = header.indexOf('ReportTimestamp');
    if (iName < 0 || iValue < 0) throw new Malformed('ParameterPerRow needs ParameterName and ParameterValue columns');
    for (const row of rows.slice(1)) {
      if (row.length !== header.length) throw new Malformed(`a row of ${row.length} fields under a header of ${header.length}`);
      push({ at: timeOf(iTime >= 0 ? row[iTime] : undefined, receivedAt), path: row[iName]!, value: row[iValue]! });
    }
    return 'ParameterPerRow';
  }
  if (format === 'NameValuePair' || format === 'ObjectHierarchy') throw new Malformed(`${format} is a JSON format`);
  const iTime = header.indexOf('ReportTimestamp');
  for (const row of rows.slice(1)) {
    if (row.length !== header.length) throw new Malformed(`a row of ${row.length} fields under a header of ${header.length}`);
    const at = timeOf(iTime >= 0 ? row[iTime] : undefined, receivedAt);
    header.forEach((name, i) => {
      if (i !== iTime) push({ at, path: name, value: row[i]! });
    });
  }
  return 'ParameterPerColumn';
}

/** RFC 4180 rows: quoted fields ("" is a quote), CRLF or LF; blank lines skipped. */
export function csvRows(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  let i = 0;
  const endRow = (): void => {
    row.push(field);
    field = '';
    if (!(row.length === 1 && row[0] === '')) rows.push(row);
    row = [];
  };
  while (i < text.length) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
        i++;
        if (i < text.length && text[i] !== ',' && text[i] !== '\r' && text[i] !== '\n') throw new Malformed('text after a closing quote');
        continue;
      }
      field += c;
      i++;
      continue;
    }
    if (c === '"') {
      if (field !== '') throw new Malformed('a quote inside an unquoted field');
      quoted = true;
    } else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n') endRow();
    else if (c !== '\r') field += c;
    i++;
  }
  if (quoted) throw new Malformed('an unterminated quoted field');
  if (field !== '' || row.length > 0) endRow();
  return rows;
}
