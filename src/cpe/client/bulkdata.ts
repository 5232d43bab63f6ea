/**
 * TR-232 bulk data reporting over HTTP, as a CPE does it from its own data model: the
 * enabled `BulkData.Profile.{i}` with Protocol HTTP, every ReportingInterval, read their
 * Parameter.{j}.Reference values (exact or partial paths, through the model's own
 * GetParameterValues), encode them (JSON NameValuePair / ObjectHierarchy, CSV ParameterPerRow
 * / ParameterPerColumn) and POST them to HTTP.URL, answering a Basic/Digest challenge with
 * HTTP.Username/Password. The encoders are written from TR-232 on their own, apart from the
 * ACS's parser (src/bulkdata/parse.ts), so the tests check one against the other.
 */
import type { ParameterValue } from '../../cwmp/types.js';
import type { CpeDataModel } from '../types.js';
import { AuthenticatingClient, transferAgent, type TlsOptions } from './http.js';

export interface BulkProfile {
  instance: number;
  intervalSeconds: number;
  encoding: 'JSON' | 'CSV';
  format: 'NameValuePair' | 'ObjectHierarchy' | 'ParameterPerRow' | 'ParameterPerColumn';
  url: string;
  username: string;
  password: string;
  method: 'POST' | 'PUT';
  references: string[];
}

const NUMERIC = /^xsd:(int|unsignedInt|long|unsignedLong|double|float|decimal)$/;

function gpv(model: CpeDataModel, names: string[]): ParameterValue[] {
  const out = model.handle({ method: 'GetParameterValues', parameterNames: names });
  const r = out.response as { method?: string; parameterList?: ParameterValue[] } | undefined;
  return r?.method === 'GetParameterValuesResponse' ? (r.parameterList ?? []) : [];
}

/** The enabled HTTP profiles of a model (none when bulk data is off or absent). */
export function bulkProfiles(model: CpeDataModel): BulkProfile[] {
  const base = `${model.root}BulkData.`;
  if (!/^(true|1)$/i.test(model.get(`${base}Enable`)?.value ?? '')) return [];
  const byInstance = new Map<number, Map<string, string>>();
  for (const v of gpv(model, [`${base}Profile.`])) {
    const m = /^(\d+)\.(.+)$/.exec(v.name.slice(`${base}Profile.`.length));
    if (m === null) continue;
    const i = Number(m[1]);
    if (!byInstance.has(i)) byInstance.set(i, new Map());
    byInstance.get(i)!.set(m[2]!, v.value);
  }
  const out: BulkProfile[] = [];
  for (const [instance, p] of byInstance) {
    if (!/^(true|1)$/i.test(p.get('Enable') ?? '') || p.get('Protocol') !== 'HTTP') continue;
    const encoding = p.get('EncodingType') === 'CSV' ? 'CSV' : 'JSON';
    const format = (encoding === 'JSON' ? p.get('JSONEncoding.ReportFormat') : p.get('CSVEncoding.ReportFormat')) ?? '';
    const interval = Number(p.get('ReportingInterval') ?? '0');
    const url = p.get('HTTP.URL') ?? '';
    if (!(interval > 0) || url === '') continue;
    const references = [...p.entries()]
      .filter(([k, v]) => /^Parameter\.\d+\.Reference$/.test(k) && v !== '')
      .sort(([a], [b]) => Number(a.split('.')[1]) - Number(b.split('.')[1]))
      .map(([, v]) => v);
    out.push({
      instance,
      intervalSeconds: interval,
      encoding,
      format: (encoding === 'JSON' ? (format === 'NameValuePair' ? 'NameValuePair' : 'ObjectHierarchy') : format === 'ParameterPerRow' ? 'ParameterPerRow' : 'ParameterPerColumn'),
      url,
      username: p.get('HTTP.Username') ?? '',
      // A hidden parameter reads back blank through the RPC: the model's own value.
      password: model.get(`${base}Profile.${instance}.HTTP.Password`)?.value ?? '',
      method: p.get('HTTP.Method') === 'PUT' ? 'PUT' : 'POST',
      references,
    });
  }
  return out.sort((a, b) => a.instance - b.instance);
}

/** The values a profile's references name now (a reference the model lacks gives none). */
export function collect(model: CpeDataModel, references: readonly string[]): ParameterValue[] {
  const out: ParameterValue[] = [];
  for (const ref of references) out.push(...gpv(model, [ref]));
  return out;
}

/** One report body (one collection) at `at` (ms). */
export function encodeReport(p: Pick<BulkProfile, 'encoding' | 'format'>, values: readonly ParameterValue[], at: number): { body: string; contentType: string } {
  const ts = Math.floor(at / 1000);
  const typed = (v: ParameterValue): string | number | boolean => {
    if (v.type === 'xsd:boolean') return /^(true|1)$/i.test(v.value);
    if (NUMERIC.test(v.type) && v.value !== '' && Number.isFinite(Number(v.value))) return Number(v.value);
    return v.value;
  };
  switch (p.format) {
    case 'NameValuePair': {
      const report: Record<string, unknown> = { CollectionTime: ts };
      for (const v of values) report[v.name] = typed(v);
      return { body: JSON.stringify({ Report: [report] }), contentType: 'application/json; charset=UTF-8' };
    }
    case 'ObjectHierarchy': {
      const report: Record<string, unknown> = { CollectionTime: ts };
      for (const v of values) {
        const parts = v.name.split('.');
        let node = report;
        for (const part of parts.slice(0, -1)) node = (node[part] ??= {}) as Record<string, unknown>;
        node[parts[parts.length - 1]!] = typed(v);
      }
      return { body: JSON.stringify({ Report: [report] }), contentType: 'application/json; charset=UTF-8' };
    }
    case 'ParameterPerRow': {
      const lines = ['ReportTimestamp,ParameterName,ParameterValue,ParameterType'];
      for (const v of values) lines.push([String(ts), v.name, csvField(v.value), v.type.replace(/^xsd:/, '')].join(','));
      return { body: `${lines.join('\r\n')}\r\n`, contentType: 'text/csv; charset=UTF-8' };
    }
    case 'ParameterPerColumn': {
      const header = ['ReportTimestamp', ...values.map((v) => v.name)];
      const row = [String(ts), ...values.map((v) => csvField(v.value))];
      return { body: `${header.join(',')}\r\n${row.join(',')}\r\n`, contentType: 'text/csv; charset=UTF-8' };
    }
  }
}

function csvField(v: string): string {
  return /[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

export interface BulkReportResult {
  instance: number;
  /** HTTP status, or 0 when the request failed. */
  status: number;
  values: number;
  error?: string;
}

/** Collect, encode and send one report of a profile. */
export async function sendReport(model: CpeDataModel, p: BulkProfile, at: number, opts: { tls?: TlsOptions; timeoutMs?: number } = {}): Promise<BulkReportResult> {
  const values = collect(model, p.references);
  const { body, contentType } = encodeReport(p, values, at);
  let url: URL;
  try {
    url = new URL(p.url);
  } catch {
    return { instance: p.instance, status: 0, values: values.length, error: 'invalid URL' };
  }
  try {
    const reply = await new AuthenticatingClient(p.username !== '' ? { username: p.username, password: p.password } : null).send({
      method: p.method,
      url,
      headers: { 'content-type': contentType, 'bbf-report-format': p.format, date: new Date(at).toUTCString() },
      body: Buffer.from(body, 'utf8'),
      agent: transferAgent(url),
      timeoutMs: opts.timeoutMs ?? 30_000,
      maxBodyBytes: 64 * 1024,
      tls: opts.tls,
    });
    return { instance: p.instance, status: reply.status, values: values.length };
  } catch (e) {
    return { instance: p.instance, status: 0, values: values.length, error: e instanceof Error ? e.message : String(e) };
  }
}
