/**
 * Diagnostics a CPE runs after the ACS wrote DiagnosticsState = Requested (TR-069 Annex,
 * TR-143; TR-181 Device.IP.Diagnostics.*, TR-098 InternetGatewayDevice.*Diagnostics.).
 *
 * The simulator cannot send ICMP, so IPPing and TraceRoute produce plausible figures:
 * stable per host and device (a hash picks the base latency), with jitter per sample, and
 * the documentation prefixes (192.0.2.0/24 …, *.invalid) behaving as unreachable and
 * unresolvable. Download and Upload diagnostics really move the bytes over HTTP and report
 * the measured times; UDPEcho really sends its datagrams (TR-143 UDPEcho plus framing) and
 * times the echoes. NSLookup, ServerSelection over ICMP and IPLayerCapacity are computed the
 * same plausible way. Results go only to parameters the model has.
 */
import { hash32 } from '../model/identity.js';
import { udpEcho } from './udp-echo.js';
import type { CpeDataModel } from '../types.js';
import { HttpError, request, transferAgent, type HttpReply } from './http.js';

export type DiagnosticKind = 'IPPing' | 'TraceRoute' | 'Download' | 'Upload' | 'UDPEcho' | 'NSLookup' | 'ServerSelection' | 'Capacity' | 'Other';

export function diagnosticKind(objectPath: string): DiagnosticKind {
  if (/IPPing/i.test(objectPath)) return 'IPPing';
  if (/UDPEchoDiagnostics/i.test(objectPath)) return 'UDPEcho';
  if (/NSLookupDiagnostics/i.test(objectPath)) return 'NSLookup';
  if (/ServerSelectionDiagnostics/i.test(objectPath)) return 'ServerSelection';
  if (/IPLayerCapacityMetrics/i.test(objectPath)) return 'Capacity';
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
      // The device rewrites its hop table; a model that cannot gets only the rows it has.
      model.resizeTable?.(`${objectPath}RouteHops.`, hops);
      let filled = 0;
      // TR-098 names a hop's fields HopHost, HopHostAddress …; TR-181 Host, HostAddress ….
      const f = model.root === 'InternetGatewayDevice.' ? 'Hop' : '';
      for (let i = 1; i <= hops; i++) {
        const hop = `${objectPath}RouteHops.${i}.`;
        if (model.get(`${hop}${f}Host`) === undefined) break;
        const rtt = Math.round((host.baseUs * i) / hops / 1000) + 1;
        setIf(model, `${hop}${f}Host`, i === hops ? read(model, p('Host')) : `hop${i}.isp.example`);
        setIf(model, `${hop}${f}HostAddress`, i === hops ? read(model, p('Host')) : `10.${i}.0.1`);
        setIf(model, `${hop}${f}ErrorCode`, 0);
        setIf(model, `${hop}${f}RTTimes`, `${rtt},${rtt + 1},${rtt}`);
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
    case 'UDPEcho':
      return udpEchoDiagnostic(model, objectPath);
    case 'NSLookup':
      return nsLookup(model, objectPath, serial, random);
    case 'ServerSelection':
      return serverSelection(model, objectPath, serial);
    case 'Capacity':
      return capacity(model, objectPath, serial);
    case 'Other':
      return setIf(model, p('DiagnosticsState'), done);
  }
}

function stats(samplesUs: readonly number[]): { min: number; avg: number; max: number } {
  if (samplesUs.length === 0) return { min: 0, avg: 0, max: 0 };
  return {
    min: Math.min(...samplesUs),
    avg: Math.round(samplesUs.reduce((a, b) => a + b, 0) / samplesUs.length),
    max: Math.max(...samplesUs),
  };
}

/** UDPEchoDiagnostics (TR-181): real datagrams to Host:Port; response times in microseconds. */
async function udpEchoDiagnostic(model: CpeDataModel, objectPath: string): Promise<void> {
  const p = (name: string): string => `${objectPath}${name}`;
  const host = read(model, p('Host')).trim();
  if (host === '' || host.toLowerCase().endsWith('.invalid')) return setIf(model, p('DiagnosticsState'), 'Error_CannotResolveHostName');
  const port = readInt(model, p('Port'), 7, 65535);
  const result = await udpEcho({
    host,
    port,
    count: readInt(model, p('NumberOfRepetitions'), 1, 1000),
    timeoutMs: readInt(model, p('Timeout'), 1000, 60_000),
    size: readInt(model, p('DataBlockSize'), 24, 65_000),
    intervalMs: readInt(model, p('InterTransmissionTime'), 1000, 65_535),
  }).catch(() => null);
  if (result === null) return setIf(model, p('DiagnosticsState'), 'Error_CannotResolveHostName');
  const s = stats(result.rttUs);
  setIf(model, p('SuccessCount'), result.rttUs.length);
  setIf(model, p('FailureCount'), result.sent - result.rttUs.length);
  setIf(model, p('AverageResponseTime'), s.avg);
  setIf(model, p('MinimumResponseTime'), s.min);
  setIf(model, p('MaximumResponseTime'), s.max);
  setIf(model, p('IPAddressUsed'), result.localAddress);
  return setIf(model, p('DiagnosticsState'), 'Complete');
}

/** A plausible answer per repetition: loopback for localhost, a stable benchmark-range address otherwise. */
function nsLookup(model: CpeDataModel, objectPath: string, serial: string, random: () => number): void {
  const p = (name: string): string => `${objectPath}${name}`;
  const name = read(model, p('HostName')).trim();
  const n = readInt(model, p('NumberOfRepetitions'), 1, 10);
  const server = read(model, p('DNSServer')) || '192.168.1.1';
  const host = profile(name, serial);
  model.resizeTable?.(`${objectPath}Result.`, n);
  const x = hash32(name.toLowerCase());
  const address = name === 'localhost' ? '127.0.0.1' : /^\d+\.\d+\.\d+\.\d+$/.test(name) ? name : `198.${18 + (x & 1)}.${(x >>> 8) & 255}.${(x >>> 16) & 255}`;
  for (let i = 1; i <= n; i++) {
    const r = `${objectPath}Result.${i}.`;
    setIf(model, `${r}Status`, host.resolvable ? 'Success' : 'Error_HostNameNotResolved');
    setIf(model, `${r}AnswerType`, host.resolvable ? 'NonAuthoritative' : 'None');
    setIf(model, `${r}HostNameReturned`, host.resolvable ? name : '');
    setIf(model, `${r}IPAddresses`, host.resolvable ? address : '');
    setIf(model, `${r}DNSServerIP`, server);
    setIf(model, `${r}ResponseTime`, Math.max(1, Math.round((host.baseUs || 5_000) / 1000 * (0.5 + random() * 0.5))));
  }
  setIf(model, p('SuccessCount'), host.resolvable ? n : 0);
  setIf(model, p('DiagnosticsState'), 'Complete');
}

/** The host of HostList with the smallest average round trip (ICMP computed; UDP Echo measured). */
async function serverSelection(model: CpeDataModel, objectPath: string, serial: string): Promise<void> {
  const p = (name: string): string => `${objectPath}${name}`;
  const hosts = read(model, p('HostList')).split(',').map((h) => h.trim()).filter((h) => h !== '');
  const reps = readInt(model, p('NumberOfRepetitions'), 3, 100);
  let best: { host: string; rtt: { min: number; avg: number; max: number } } | null = null;
  for (const h of hosts) {
    let samples: number[] = [];
    if (read(model, p('Protocol')) === 'UDP Echo') {
      // ServerSelectionDiagnostics has no Port: the echo service's (7), or a "host:port" entry (the simulator's own convenience).
      const m = /^([^:]+):(\d{1,5})$/.exec(h);
      const r = await udpEcho({ host: m?.[1] ?? h, port: m !== null ? Number(m[2]) : 7, count: reps, timeoutMs: readInt(model, p('Timeout'), 1000, 60_000), size: 24, intervalMs: 10 }).catch(() => null);
      samples = r?.rttUs ?? [];
    } else {
      const prof = profile(h, serial);
      if (prof.reachable) samples = Array.from({ length: reps }, (_, i) => Math.round(prof.baseUs * (0.9 + ((hash32(`${h}|${i}`) % 20) / 100))));
    }
    if (samples.length === 0) continue;
    const s = stats(samples);
    if (best === null || s.avg < best.rtt.avg) best = { host: h, rtt: s };
  }
  if (best === null) return setIf(model, p('DiagnosticsState'), hosts.every((h) => !profile(h, serial).resolvable) ? 'Error_CannotResolveHostName' : 'Error_Other');
  setIf(model, p('FastestHost'), best.host);
  setIf(model, p('MinimumResponseTime'), best.rtt.min);
  setIf(model, p('AverageResponseTime'), best.rtt.avg);
  setIf(model, p('MaximumResponseTime'), best.rtt.max);
  setIf(model, p('IPAddressUsed'), '192.168.1.2');
  setIf(model, p('DiagnosticsState'), 'Complete');
}

/** TR-471 figures as a line of a given speed would give them (stable per host and device). */
function capacity(model: CpeDataModel, objectPath: string, serial: string): void {
  const p = (name: string): string => `${objectPath}${name}`;
  const host = profile(read(model, p('Host')), serial);
  if (!host.resolvable) return setIf(model, p('DiagnosticsState'), 'Error_CannotResolveHostName');
  if (!host.reachable) return setIf(model, p('DiagnosticsState'), 'Error_NoResponse');
  const mbps = 50 + (hash32(`${serial}|cap`) % 900);
  const now = Date.now();
  setIf(model, p('BOMTime'), microTime(now - 10_000));
  setIf(model, p('EOMTime'), microTime(now));
  setIf(model, p('MaxIPLayerCapacity'), mbps.toFixed(2));
  setIf(model, p('IPLayerCapacitySummary'), (mbps * 0.97).toFixed(2));
  setIf(model, p('LossRatioAtMax'), '0.000100');
  setIf(model, p('RTTRangeAtMax'), (host.baseUs / 4000).toFixed(3));
  setIf(model, p('MinRTTSummary'), (host.baseUs / 1000).toFixed(3));
  setIf(model, p('DiagnosticsState'), 'Complete');
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
