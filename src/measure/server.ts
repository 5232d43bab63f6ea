/**
 * The TR-143 test endpoints the ACS serves itself, so an operator measures throughput between
 * any CPE and the ACS site without a third server. One port number, both protocols:
 *   - TCP/HTTP  GET  /download?size=<bytes> (or /download/<bytes>): that many bytes, streamed;
 *               PUT or POST /upload: the body is read and dropped, the answer says how much came;
 *   - UDP       an echo responder: every datagram goes back to its sender; one of at least 20
 *               bytes is answered as TR-143 UDPEcho plus (TestRespSN, receive and reply
 *               timestamps in µs, the failure count) after the generator's TestGenSN.
 * No authentication: a CPE's DownloadURL/UploadURL rarely carries credentials; the limits
 * (size, concurrent transfers) bound what an abuser can take instead.
 */
import dgram from 'node:dgram';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface MeasureOptions {
  host: string;
  /** 0: any free port (tests). */
  port: number;
  /** Largest download or upload, in bytes (default 1 GiB). */
  maxBytes?: number;
  /** Transfers at once; more are answered 503 (default 32). */
  maxConcurrent?: number;
}

export interface MeasureCounters {
  downloads: number;
  uploads: number;
  bytesSent: number;
  bytesReceived: number;
  echoes: number;
}

export interface MeasureServer {
  readonly port: number;
  /** e.g. http://127.0.0.1:7549 */
  readonly url: string;
  readonly counters: MeasureCounters;
  close(): Promise<void>;
}

const CHUNK = Buffer.alloc(64 * 1024, 0x5a);
/** TestGenSN, TestRespSN, TestRespRecvTimeStamp, TestRespReplyTimeStamp, TestRespReplyFailureCount. */
const ECHO_PLUS_HEADER = 20;

export async function startMeasure(opts: MeasureOptions): Promise<MeasureServer> {
  const maxBytes = opts.maxBytes ?? 1024 ** 3;
  const maxConcurrent = opts.maxConcurrent ?? 32;
  const counters: MeasureCounters = { downloads: 0, uploads: 0, bytesSent: 0, bytesReceived: 0, echoes: 0 };
  let active = 0;

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const refuse = (status: number, message: string): void => {
      res.writeHead(status, { 'content-type': 'application/json', connection: 'close' }).end(JSON.stringify({ error: message }));
      req.resume();
    };
    const isDownload = url.pathname === '/download' || url.pathname.startsWith('/download/');
    const isUpload = url.pathname === '/upload';
    if (!isDownload && !isUpload) return refuse(404, 'GET /download?size=<bytes> or PUT /upload');
    if (isDownload && req.method !== 'GET' && req.method !== 'HEAD') return refuse(405, 'GET only');
    if (isUpload && req.method !== 'PUT' && req.method !== 'POST') return refuse(405, 'PUT or POST only');
    if (active >= maxConcurrent) return refuse(503, 'too many transfers at once');
    if (isDownload) {
      const raw = url.pathname.startsWith('/download/') ? url.pathname.slice('/download/'.length) : (url.searchParams.get('size') ?? '');
      if (!/^\d{1,15}$/.test(raw)) return refuse(400, 'size must be a whole number of bytes');
      const size = Number(raw);
      if (size > maxBytes) return refuse(413, `at most ${maxBytes} bytes`);
      return download(req, res, size);
    }
    const declared = req.headers['content-length'];
    if (declared !== undefined && Number(declared) > maxBytes) return refuse(413, `at most ${maxBytes} bytes`);
    return upload(req, res);
  });

  function download(req: http.IncomingMessage, res: http.ServerResponse, size: number): void {
    active++;
    counters.downloads++;
    res.on('close', () => active--);
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(size), 'cache-control': 'no-store' });
    if (req.method === 'HEAD') return void res.end();
    let left = size;
    // Written as fast as the socket drains: the CPE's receive rate is what is measured.
    const pump = (): void => {
      while (left > 0) {
        const n = Math.min(left, CHUNK.length);
        left -= n;
        counters.bytesSent += n;
        if (!res.write(n === CHUNK.length ? CHUNK : CHUNK.subarray(0, n))) return void res.once('drain', pump);
      }
      res.end();
    };
    pump();
  }

  function upload(req: http.IncomingMessage, res: http.ServerResponse): void {
    active++;
    counters.uploads++;
    let got = 0;
    let over = false;
    req.on('data', (chunk: Buffer) => {
      got += chunk.length;
      counters.bytesReceived += chunk.length;
      if (got > maxBytes && !over) {
        over = true;
        res.writeHead(413, { 'content-type': 'application/json', connection: 'close' }).end(JSON.stringify({ error: `at most ${maxBytes} bytes` }));
        req.destroy();
      }
    });
    req.on('end', () => {
      if (!over) res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ bytes: got }));
    });
    req.on('close', () => active--);
  }

  server.requestTimeout = 10 * 60_000;
  server.headersTimeout = 10_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;

  // The UDP responder on the same port number.
  const udp = dgram.createSocket(opts.host.includes(':') ? 'udp6' : 'udp4');
  let respSn = 0;
  udp.on('message', (msg, rinfo) => {
    counters.echoes++;
    const received = microsNow();
    const reply = Buffer.from(msg);
    if (reply.length >= ECHO_PLUS_HEADER) {
      reply.writeUInt32BE(++respSn >>> 0, 4);
      reply.writeUInt32BE(received, 8);
      reply.writeUInt32BE(microsNow(), 12);
      reply.writeUInt32BE(0, 16);
    }
    udp.send(reply, rinfo.port, rinfo.address);
  });
  udp.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    udp.once('error', reject);
    udp.bind(port, opts.host, () => resolve());
  });

  const shown = opts.host.includes(':') ? `[${opts.host}]` : opts.host === '0.0.0.0' ? '127.0.0.1' : opts.host;
  return {
    port,
    url: `http://${shown}:${port}`,
    counters,
    close: async () => {
      udp.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Microseconds, modulo 2^32 (TR-143's 32-bit timestamps wrap). */
function microsNow(): number {
  return Number((process.hrtime.bigint() / 1000n) % 4294967296n);
}
