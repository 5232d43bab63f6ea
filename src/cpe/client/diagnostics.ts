/**
 * Diagnostics a CPE runs after the ACS wrote DiagnosticsState = Requested (TR-069 Annex,
 * TR-143; TR-181 Device.IP.Diagnostics.*, TR-098 InternetGatewayDevice.*Diagnostics.).
 *
 * The simulator cannot send ICMP, so IPPing and TraceRoute produce plausible figures:
 * stable per host and device (a hash picks the base latency), with jitter per sample, and
 * the documentation prefixes (192.0.2.0/24 …, *.invalid) behaving as unreachable and
 * unresolvable. Download and Upload diagnostics really move the bytes over HTTP and report
 * the measured times. Results go only to parameters the model has.
 */
import { hash32 } from '../model/identity.js';
import type { CpeDataModel } from '../types.js';
import { HttpError, request, transferAgent, type HttpReply } from './http.js';

export type DiagnosticKind = 'IPPing' | 'TraceRoute' | 'Download' | 'Upload' | 'Other';

export function diagnosticKind(objectPath: string): DiagnosticKind {
  if (/IPPing/i.test(objectPath)) return 'IPPing';
  if (/TraceRoute/i.test(objectPath)) return 'TraceRoute';
  if (/DownloadDiagnostics/i.test(objectPath)) return 'Download';
  if (/UploadDiagnostics/i.test(objectPath)) return 'Upload';
  return 'Other';
}

/** TR-098 transfer diagnostics say "Completed"; everything in TR-181 2.x says "Complete". */
function completeWord(model: CpeDataModel, kind: DiagnosticKind): string {
  return model.root === 'InternetGatewayDevice.' && (kind === 'Download' || kind === 'Upload') ? 'Completed' : 'Complete';
}

function setIf(model: CpeDataModel, path: string, value: string | number): void {
  if (model.get(path) !== undefined) model.setInternal(path, String(value));
}

function read(model: CpeDataModel, path: string): string {
  return model.get(path)?.value ?? '';
}

function readInt(model: CpeDataModel, path: string, fallback: number, max: number): number {
  const n = Number(read(model, path));
  return Number.isInteger(n) && n > 0 ? Math.min(n, max) : fallback;
}

/** dateTime with microseconds, as TR-143 asks for ROMTime/BOMTime/EOMTime. */
function microTime(ms: number): string {
  return new Date(ms).toISOString().replace('Z', '000Z');
}

const UNREACHABLE = /^(192\.0\.2\.|198\.51\.100\.|203\.0\.113\.)/;

interface HostProfile {
  resolvable: boolean;
  reachable: boolean;
  /** Base round trip in microseconds. */
  baseUs: number;
  hops: number;
}

function profile(host: string, serial: string): HostProfile {
  const h = host.trim().toLowerCase();
  if (h === '' || h.endsWith('.invalid')) return { resolvable: false, reachable: false, baseUs: 0, hops: 0 };
  if (h === 'localhost' || h.startsWith('127.') || h === '::1') return { resolvable: true, reachable: true, baseUs: 60, hops: 1 };
  const x = hash32(`${h}|${serial}`);
  return { resolvable: true, reachable: !UNREACHABLE.test(h), baseUs: 2_000 + (x % 58_000), hops: 3 + (x % 12) };
}

/** Run one diagnostic and write its results. Resolves when the CPE would report 8 DIAGNOSTICS COMPLETE. */
export async function runDiagnostic(model: CpeDataModel, objectPath: string, random: () => number = Math.random): Promise<void> {
  const kind = diagnosticKind(objectPath);
  const p = (name: string): string => `${objectPath}${name}`;
  const serial = read(model, `${model.root}DeviceInfo.SerialNumber`);
  const done = completeWord(model, kind);
  switch (kind) {
    case 'IPPing': {
      const host = profile(read(model, p('Host')), serial);
      if (!host.resolvable) return setIf(model, p('DiagnosticsState'), 'Error_CannotResolveHostName');
      const n = readInt(model, p('NumberOfRepetitions'), 1, 100);
      const samples: number[] = [];
      if (host.reachable) for (let i = 0; i < n; i++) samples.push(Math.round(host.baseUs * (0.85 + random() * 0.4)));
      const fail = n - samples.length;
      const avg = samples.length === 0 ? 0 : Math.round(samples.reduce((a, b) => a + b, 0) / samples.length);
      const min = samples.length === 0 ? 0 : Math.min(...samples);
      const max = samples.length === 0 ? 0 : Math.max(...samples);
      setIf(model, p('SuccessCount'), samples.length);
      setIf(model, p('FailureCount'), fail);
      setIf(model, p('AverageResponseTime'), Math.round(avg / 1000));
      setIf(model, p('MinimumResponseTime'), Math.round(min / 1000));
      setIf(model, p('MaximumResponseTime'), Math.round(max / 1000));
      setIf(model, p('AverageResponseTimeDetailed'), avg);
      setIf(model, p('MinimumResponseTimeDetailed'), min);
      setIf(model, p('MaximumResponseTimeDetailed'), max);
      setIf(model, p('IPAddressUsed'), '192.168.1.2');
      return setIf(model, p('DiagnosticsState'), done);
    }
    case 'TraceRoute': {
      const host = profile(read(model, p('Host')), serial);
      if (!host.resolvable) return setIf(model, p('DiagnosticsState'), 'Error_CannotResolveHostName');
      const maxHops = readInt(model, p('MaxHopCount'), 30, 64);
      const hops = Math.min(host.hops, maxHops);
      if (!host.reachable) {
        setIf(model, p('RouteHopsNumberOfEntries'), 0);
        return setIf(model, p('DiagnosticsState'), 'Error_MaxHopCountExceeded');
      }
      // Hop rows only where the model has instances; the count says how many we filled.
      let filled = 0;
      for (let i = 1; i <= hops; i++) {
        const hop = `${objectPath}RouteHops.${i}.`;
        if (model.get(`${hop}Host`) === undefined) break;
        const rtt = Math.round((host.baseUs * i) / hops / 1000) + 1;
        setIf(model, `${hop}Host`, i === hops ? read(model, p('Host')) : `hop${i}.isp.example`);
        setIf(model, `${hop}HostAddress`, i === hops ? read(model, p('Host')) : `10.${i}.0.1`);
        setIf(model, `${hop}ErrorCode`, 0);
        setIf(model, `${hop}RTTimes`, `${rtt},${rtt + 1},${rtt}`);
        filled++;
      }
      setIf(model, p('RouteHopsNumberOfEntries'), filled);
      setIf(model, p('ResponseTime'), Math.round(host.baseUs / 1000));
      return setIf(model, p('DiagnosticsState'), done);
    }
    case 'Download':
      return transferDiagnostic(model, objectPath, 'GET', done);
    case 'Upload':
      return transferDiagnostic(model, objectPath, 'PUT', done);
    case 'Other':
      return setIf(model, p('DiagnosticsState'), done);
  }
}

async function transferDiagnostic(model: CpeDataModel, objectPath: string, method: 'GET' | 'PUT', done: string): Promise<void> {
  const p = (name: string): string => `${objectPath}${name}`;
  const raw = read(model, p(method === 'GET' ? 'DownloadURL' : 'UploadURL'));
  let url: URL;
  try {
    url = new URL(raw);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('scheme');
  } catch {
    return setIf(model, p('DiagnosticsState'), 'Error_InitConnectionFailed');
  }
  const length = method === 'PUT' ? readInt(model, p('TestFileLength'), 1024, 64 * 1024 * 1024) : 0;
  const rom = Date.now();
  let reply: HttpReply;
  try {
    reply = await request({
      method,
      url,
      agent: transferAgent(url),
      body: method === 'PUT' ? Buffer.alloc(length, 0x5a) : null,
      headers: method === 'PUT' ? { 'content-type': 'application/octet-stream' } : {},
      discardBody: true,
      maxBodyBytes: 1024 * 1024 * 1024,
      timeoutMs: 60_000,
    });
  } catch (e) {
    const state = e instanceof HttpError && e.code === 'CONNECT' ? 'Error_InitConnectionFailed' : e instanceof HttpError && e.code === 'TIMEOUT' ? 'Error_NoResponse' : 'Error_TransferFailed';
    return setIf(model, p('DiagnosticsState'), state);
  }
  if (reply.status < 200 || reply.status >= 300) return setIf(model, p('DiagnosticsState'), 'Error_TransferFailed');
  const headerBytes = 200;
  setIf(model, p('ROMTime'), microTime(rom));
  setIf(model, p('BOMTime'), microTime(method === 'GET' ? reply.headersAt : rom + 1));
  setIf(model, p('EOMTime'), microTime(method === 'GET' ? reply.endAt : reply.headersAt));
  setIf(model, p('TCPOpenRequestTime'), microTime(rom));
  setIf(model, p('TCPOpenResponseTime'), microTime(rom + 1));
  if (method === 'GET') {
    setIf(model, p('TestBytesReceived'), reply.bytes);
    setIf(model, p('TotalBytesReceived'), reply.bytes + headerBytes);
    setIf(model, p('TotalBytesSent'), headerBytes);
  } else {
    setIf(model, p('TestBytesSent'), length);
    setIf(model, p('TotalBytesSent'), length + headerBytes);
    setIf(model, p('TotalBytesReceived'), reply.bytes + headerBytes);
  }
  setIf(model, p('IPAddressUsed'), '192.168.1.2');
  return setIf(model, p('DiagnosticsState'), done);
}
