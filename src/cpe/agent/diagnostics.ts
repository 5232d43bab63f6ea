/**
 * Diagnostics that really run on the host (TR-143 / TR-181 IP.Diagnostics, DNS.Diagnostics):
 * IPPing with the system's `ping`, TraceRoute with `traceroute`, Download and Upload over
 * node:http(s) with the socket's own timings, NSLookup with node:dns against the server the
 * ACS named. Each returns the state and the result values by parameter name; none throws.
 */
import dns from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import { isIP } from 'node:net';
import { ipJson, run } from './system.js';

export interface DiagnosticResult {
  state: string;
  values: Record<string, string>;
  rows?: Record<string, string>[];
}

type Read = (name: string) => string;

const intOf = (v: string, fallback: number, min: number, max: number): number => {
  const n = Number(v);
  return Number.isInteger(n) && n >= min ? Math.min(n, max) : fallback;
};

/** TR-143 times carry microseconds. */
const micro = (ms: number): string => new Date(Math.floor(ms)).toISOString().replace('Z', `${String(Math.round((ms % 1) * 1000)).padStart(3, '0')}Z`);

async function resolve(host: string, version: string): Promise<string | null> {
  if (isIP(host) !== 0) return host;
  try {
    const family = version === 'IPv4' ? 4 : version === 'IPv6' ? 6 : 0;
    return (await dns.promises.lookup(host, { family })).address;
  } catch {
    return null;
  }
}

/** The source address the host would use toward `address` (`ip route get`). */
async function sourceFor(address: string): Promise<string> {
  const r = (await ipJson(['route', 'get', address]))[0] as Record<string, unknown> | undefined;
  return typeof r?.prefsrc === 'string' ? r.prefsrc : '';
}

/** A host name or address, nothing an option parser could mistake for a flag. */
const SAFE_HOST = /^[A-Za-z0-9.:_%-]{1,253}$/;
const SAFE_IFACE = /^[A-Za-z0-9._@-]{1,15}$/;

export async function ipPing(p: Read): Promise<DiagnosticResult> {
  const host = p('Host').trim();
  if (host === '' || host.startsWith('-') || !SAFE_HOST.test(host)) return { state: 'Error_CannotResolveHostName', values: {} };
  const address = await resolve(host, p('ProtocolVersion'));
  if (address === null) return { state: 'Error_CannotResolveHostName', values: {} };
  const count = intOf(p('NumberOfRepetitions'), 3, 1, 100);
  const timeoutMs = intOf(p('Timeout'), 1000, 1, 60_000);
  const size = intOf(p('DataBlockSize'), 56, 1, 65507);
  const dscp = intOf(p('DSCP'), 0, 0, 63);
  const args = ['-n', '-c', String(count), '-W', String(Math.max(1, Math.ceil(timeoutMs / 1000))), '-s', String(size), '-i', '0.2'];
  if (dscp > 0) args.push('-Q', String(dscp << 2));
  const iface = p('Interface');
  if (SAFE_IFACE.test(iface)) args.push('-I', iface);
  args.push(isIP(address) === 6 ? '-6' : '-4', address);
  const r = await run('ping', args, { timeoutMs: count * (timeoutMs + 500) + 5_000 });
  if (r.code === -1 && r.stdout === '') return { state: 'Error_Internal', values: {} };
  // No summary line: ping could not send at all (no route, a broadcast address …).
  if (!/packets transmitted/.test(r.stdout)) return { state: /unreachable/i.test(r.stderr) ? 'Error_NoRouteToHost' : 'Error_Other', values: {} };
  const times = [...r.stdout.matchAll(/time[=<]([\d.]+) ms/g)].map((m) => Number(m[1]) * 1000);
  const ok = times.length;
  const us = (n: number): string => String(Math.round(n));
  const avg = ok > 0 ? times.reduce((a, b) => a + b, 0) / ok : 0;
  const min = ok > 0 ? Math.min(...times) : 0;
  const max = ok > 0 ? Math.max(...times) : 0;
  return {
    state: 'Complete',
    values: {
      IPAddressUsed: await sourceFor(address),
      SuccessCount: String(ok),
      FailureCount: String(count - ok),
      AverageResponseTime: String(Math.round(avg / 1000)),
      MinimumResponseTime: String(Math.round(min / 1000)),
      MaximumResponseTime: String(Math.round(max / 1000)),
      AverageResponseTimeDetailed: us(avg),
      MinimumResponseTimeDetailed: us(min),
      MaximumResponseTimeDetailed: us(max),
    },
  };
}

export async function traceRoute(p: Read): Promise<DiagnosticResult> {
  const host = p('Host').trim();
  if (host === '' || host.startsWith('-') || !SAFE_HOST.test(host)) return { state: 'Error_CannotResolveHostName', values: {} };
  const address = await resolve(host, p('ProtocolVersion'));
  if (address === null) return { state: 'Error_CannotResolveHostName', values: {} };
  const tries = intOf(p('NumberOfTries'), 3, 1, 3);
  const timeoutMs = intOf(p('Timeout'), 5000, 1, 60_000);
  const maxHops = intOf(p('MaxHopCount'), 30, 1, 64);
  const size = intOf(p('DataBlockSize'), 38, 28, 65000);
  const args = ['-n', '-q', String(tries), '-w', String(Math.max(1, Math.ceil(timeoutMs / 1000))), '-m', String(maxHops)];
  const dscp = intOf(p('DSCP'), 0, 0, 63);
  if (dscp > 0) args.push('-t', String(dscp << 2));
  args.push(isIP(address) === 6 ? '-6' : '-4', address, String(size));
  const started = Date.now();
  const r = await run('traceroute', args, { timeoutMs: maxHops * tries * (timeoutMs + 200) + 5_000 });
  if (r.code === -1 && r.stdout === '') return { state: 'Error_Internal', values: {} };
  const rows: Record<string, string>[] = [];
  let reached = false;
  for (const line of r.stdout.split('\n').slice(1)) {
    const m = /^\s*(\d+)\s+(.*)$/.exec(line);
    if (!m) continue;
    const rest = m[2]!;
    const hop = /(\S+)\s/.exec(rest)?.[1] ?? '*';
    const rtts = [...rest.matchAll(/([\d.]+) ms/g)].map((x) => String(Math.round(Number(x[1]))));
    const addr = hop === '*' ? '' : hop;
    rows.push({ Host: addr, HostAddress: addr, ErrorCode: rtts.length > 0 ? '0' : '1', RTTimes: rtts.join(',') });
    if (addr === address) reached = true;
  }
  return {
    state: reached ? 'Complete' : 'Error_MaxHopCountExceeded',
    values: { IPAddressUsed: await sourceFor(address), ResponseTime: String(reached ? Math.round(Date.now() - started) : 0) },
    rows,
  };
}

/** One HTTP GET (download) or PUT (upload) test with the socket's own timings. */
export function httpTest(p: Read, kind: 'download' | 'upload', tls?: { ca?: string | Buffer }): Promise<DiagnosticResult> {
  let url: URL;
  try {
    url = new URL(p(kind === 'download' ? 'DownloadURL' : 'UploadURL'));
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('scheme');
  } catch {
    return Promise.resolve({ state: 'Error_InitConnectionFailed', values: {} });
  }
  const length = kind === 'upload' ? intOf(p('TestFileLength'), 1024 * 1024, 0, 1024 * 1024 * 1024) : 0;
  const lib = url.protocol === 'https:' ? https : http;
  return new Promise((done) => {
    const rom = performance.timeOrigin + performance.now();
    const now = (): number => performance.timeOrigin + performance.now();
    let tcpOpen = 0;
    let bom = 0;
    let eom = 0;
    let received = 0;
    let socket: Socket | null = null;
    let settled = false;
    const finish = (r: DiagnosticResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      done(r);
    };
    const timer = setTimeout(() => {
      req.destroy();
      finish({ state: bom === 0 ? 'Error_NoResponse' : 'Error_Timeout', values: {} });
    }, 120_000);
    const req = lib.request(url, {
      method: kind === 'download' ? 'GET' : 'PUT',
      agent: false,
      headers: kind === 'upload' ? { 'content-type': 'application/octet-stream', 'content-length': String(length) } : {},
      ...(tls?.ca !== undefined ? { ca: tls.ca } : {}),
    });
    req.on('socket', (s: Socket) => {
      socket = s;
      s.once('connect', () => {
        tcpOpen = now();
        if (kind === 'upload') bom = now();
      });
    });
    req.on('error', () => finish({ state: tcpOpen === 0 ? 'Error_InitConnectionFailed' : kind === 'download' ? 'Error_TransferFailed' : 'Error_NoResponse', values: {} }));
    req.on('response', (res) => {
      if (kind === 'download') bom = now();
      else eom = now();
      res.on('data', (c: Buffer) => (received += c.length));
      res.on('end', () => {
        if (kind === 'download') eom = now();
        const status = res.statusCode ?? 0;
        if (status < 200 || status >= 300) return finish({ state: kind === 'download' ? 'Error_TransferFailed' : 'Error_NoResponse', values: {} });
        const s = socket;
        const values: Record<string, string> = {
          IPAddressUsed: s?.localAddress ?? '',
          ROMTime: micro(rom),
          BOMTime: micro(bom),
          EOMTime: micro(eom),
          TCPOpenRequestTime: micro(rom),
          TCPOpenResponseTime: micro(tcpOpen),
          TotalBytesReceived: String(s?.bytesRead ?? 0),
          TotalBytesSent: String(s?.bytesWritten ?? 0),
        };
        if (kind === 'download') values.TestBytesReceived = String(received);
        else values.TestBytesSent = String(length);
        finish({ state: 'Complete', values });
      });
    });
    if (kind === 'upload') {
      // Stream the test file in chunks so a large test costs no memory.
      const chunk = Buffer.alloc(Math.min(length, 64 * 1024), 0x5a);
      let left = length;
      const pump = (): void => {
        while (left > 0) {
          const n = Math.min(left, chunk.length);
          left -= n;
          if (!req.write(n === chunk.length ? chunk : chunk.subarray(0, n))) return void req.once('drain', pump);
        }
        req.end();
      };
      pump();
    } else req.end();
  });
}

export async function nsLookup(p: Read): Promise<DiagnosticResult> {
  const name = p('HostName').trim();
  const server = p('DNSServer').trim();
  const repetitions = intOf(p('NumberOfRepetitions'), 1, 1, 20);
  const timeoutMs = intOf(p('Timeout'), 2000, 1, 60_000);
  const resolver = new dns.promises.Resolver({ timeout: timeoutMs, tries: 1 });
  if (server !== '') {
    const ip = await resolve(server, 'Any');
    if (ip === null) return { state: 'Error_DNSServerNotResolved', values: {} };
    try {
      resolver.setServers([ip]);
    } catch {
      return { state: 'Error_DNSServerNotResolved', values: {} };
    }
  }
  const serverIp = resolver.getServers()[0]?.replace(/^\[?([^\]]*)\]?(:\d+)?$/, '$1') ?? '';
  const rows: Record<string, string>[] = [];
  let ok = 0;
  for (let i = 0; i < repetitions; i++) {
    const t0 = performance.now();
    const [v4, v6] = await Promise.allSettled([resolver.resolve4(name), resolver.resolve6(name)]);
    const ms = Math.round(performance.now() - t0);
    const addrs = [...(v4.status === 'fulfilled' ? v4.value : []), ...(v6.status === 'fulfilled' ? v6.value : [])];
    const err = v4.status === 'rejected' ? (v4.reason as { code?: string }).code : undefined;
    let status = 'Success';
    if (addrs.length === 0) status = err === 'ETIMEOUT' ? 'Error_Timeout' : err === 'ECONNREFUSED' || err === 'ESERVFAIL' ? 'Error_DNSServerNotAvailable' : err === 'ENOTFOUND' || err === 'ENODATA' ? 'Error_HostNameNotResolved' : 'Error_Other';
    else ok++;
    rows.push({
      Status: status,
      AnswerType: addrs.length > 0 ? 'NonAuthoritative' : 'None',
      HostNameReturned: addrs.length > 0 ? name : '',
      IPAddresses: addrs.slice(0, 10).join(','),
      DNSServerIP: serverIp,
      ResponseTime: String(ms),
    });
  }
  return { state: 'Complete', values: { SuccessCount: String(ok) }, rows };
}
