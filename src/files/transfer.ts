/**
 * The transfer endpoint: the port CPEs fetch files from (Download) and, later, send files to
 * (Upload), apart from the CWMP port so its limits and TLS can differ (`--files-port`,
 * default 7567).
 *
 *   GET|HEAD /files/<id>   the file's bytes; `Range: bytes=a-b | a- | -n` answers 206 (one
 *                          range; several ranges get the whole file, 200), a range past the
 *                          end 416 with `Content-Range: bytes * /size`.
 *   PUT|POST /uploads/<id> what an Upload task asked the device for (its signed URL only):
 *                          streamed into the store as the device's own file, size-limited,
 *                          once (the id is taken after that: 409).
 *
 * Who may fetch what: a device proves who it is with a signed URL (the Download task's URL:
 * file, device, CommandKey, expiry under an HMAC, ./signing.ts) or with its own credential
 * (Digest, or Basic over TLS), and then reaches only files meant for it: a file a device sent
 * (a backup) only that device; a repository file only a device its OUI/ProductClass fit.
 * Anything else is 403; no proof at all is a 401 with a Digest challenge.
 *
 * Limits: transfers at once (more are answered 503 with Retry-After) and bytes per second
 * shared by every transfer of the process. Every answered request but a bare challenge goes
 * to the transfer log (store: who, what, how many bytes, how it ended).
 */
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { MODERN_TLS } from '../auth/tls-settings.js';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DeviceAuth, Refusal, type DeviceCaller } from './device-auth.js';
import { parseDeviceId } from '../store/device-id.js';
import type { FileRecord, TransferLogEntry } from '../store/types.js';
import { FileError, notApplicable, type FileRepository } from './repository.js';
import type { UrlSigner } from './signing.js';

export interface TransferServerOptions {
  repo: FileRepository;
  signer: UrlSigner;
  host: string;
  /** 0: any free port (tests). */
  port: number;
  tls?: { cert: string; key: string };
  /** Digest realm (the CWMP endpoint's, so a device's stored HA1 fits). */
  realm: string;
  /** Accept Basic over plain HTTP (the password crosses in clear). */
  allowBasicOverHttp?: boolean;
  /** Transfers at once (default 200); more get 503. */
  maxConcurrent?: number;
  /** Bytes per second over all transfers (default 0: no limit). */
  bytesPerSecond?: number;
  /** Largest file a device may send (an Upload: configuration backup, log; default 16 MiB). */
  maxUploadBytes?: number;
  /** Digest nonces: share the secret between processes so any accepts any nonce. */
  nonceSecret?: Buffer;
  now?: () => number;
  onError?: (err: unknown) => void;
  /**
   * Other endpoints devices reach on this port, by path prefix ("/bulkdata/"): the request is
   * theirs, with this port's device authentication (the same signed URLs and credentials).
   */
  mounts?: { prefix: string; handle: (req: IncomingMessage, res: ServerResponse, auth: DeviceAuth) => Promise<void> }[];
}

export interface TransferServer {
  readonly port: number;
  /** e.g. http://127.0.0.1:7567 (no trailing slash) */
  readonly url: string;
  /** Transfers in progress. */
  active(): number;
  close(): Promise<void>;
}

type Caller = DeviceCaller;

/** A token bucket over bytes, shared by every transfer: each chunk waits its turn. */
export class ByteRate {
  readonly #rate: number;
  #tokens: number;
  #at: number;

  constructor(bytesPerSecond: number) {
    this.#rate = bytesPerSecond;
    // A quarter second of burst: smooth enough, and a chunk never waits for itself.
    this.#tokens = bytesPerSecond / 4;
    this.#at = Date.now();
  }

  /** Milliseconds to wait before sending `n` bytes (they are counted now). */
  take(n: number): number {
    const now = Date.now();
    this.#tokens = Math.min(this.#rate / 4, this.#tokens + ((now - this.#at) / 1000) * this.#rate);
    this.#at = now;
    this.#tokens -= n;
    return this.#tokens >= 0 ? 0 : Math.ceil((-this.#tokens / this.#rate) * 1000);
  }
}

function throttle(rate: ByteRate): Transform {
  return new Transform({
    transform(chunk: Buffer, _enc, done: TransformCallback) {
      const wait = rate.take(chunk.length);
      if (wait === 0) done(null, chunk);
      else setTimeout(() => done(null, chunk), wait);
    },
  });
}

/** `Range` against a size: the one range asked, 'unsatisfiable', or null (absent, several, malformed: send it all). */
export function parseRange(header: string | undefined, size: number): { start: number; end: number } | 'unsatisfiable' | null {
  if (header === undefined) return null;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (m === null) return null;
  const [, a = '', b = ''] = m;
  if (a === '' && b === '') return null;
  if (a === '') {
    const n = Number(b);
    if (n === 0) return 'unsatisfiable';
    return size === 0 ? 'unsatisfiable' : { start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(a);
  const end = b === '' ? size - 1 : Math.min(Number(b), size - 1);
  if (b !== '' && Number(b) < start) return null;
  if (start >= size) return 'unsatisfiable';
  return { start, end };
}

export async function startTransferServer(opts: TransferServerOptions): Promise<TransferServer> {
  const { repo, signer } = opts;
  const store = repo.store;
  const now = opts.now ?? Date.now;
  const tls = opts.tls !== undefined;
  const maxConcurrent = opts.maxConcurrent ?? 200;
  const rate = (opts.bytesPerSecond ?? 0) > 0 ? new ByteRate(opts.bytesPerSecond!) : null;
  const deviceAuth = new DeviceAuth({
    store,
    signer,
    realm: opts.realm,
    tls,
    now,
    ...(opts.allowBasicOverHttp !== undefined ? { allowBasicOverHttp: opts.allowBasicOverHttp } : {}),
    ...(opts.nonceSecret !== undefined ? { nonceSecret: opts.nonceSecret } : {}),
  });
  const identify = (req: IncomingMessage, fileId: string, query: URLSearchParams): Promise<Caller> => deviceAuth.identify(req, fileId, 'get', query);
  let active = 0;

  function mayFetch(caller: Caller, file: FileRecord): void {
    if (file.deviceId !== null) {
      if (file.deviceId !== caller.deviceId) throw new Refusal(403, "another device's file");
      return;
    }
    if (caller.auth === 'signed') return; // the signature names this file and this device
    const parsed = parseDeviceId(caller.deviceId);
    const why = parsed === null ? 'unknown device' : notApplicable({ ...file, fromVersions: [] }, parsed);
    if (why !== null) throw new Refusal(403, `not for this device: ${why}`);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = now();
    const entry: TransferLogEntry = {
      at: started,
      deviceId: null,
      fileId: null,
      method: req.method ?? '?',
      status: 0,
      bytes: 0,
      outcome: '',
      auth: 'none',
      remote: req.socket.remoteAddress ?? '',
      commandKey: null,
      durationMs: 0,
    };
    let logIt = true;
    let counted = false;
    const finish = (status: number, outcome: string): void => {
      entry.status = status;
      entry.outcome = outcome;
      entry.durationMs = now() - started;
      if (!logIt) return;
      store.appendTransferLog(entry).catch((e: unknown) => opts.onError?.(e));
    };
    try {
      const url = new URL(req.url ?? '/', 'http://x');
      const up = /^\/uploads\/([A-Za-z0-9_-]{1,64})$/.exec(url.pathname);
      if (up !== null) {
        await receive(req, res, up[1]!, url.searchParams, entry, (n) => (counted = n), finish);
        return;
      }
      const m = /^\/files\/([A-Za-z0-9_-]{1,64})$/.exec(url.pathname);
      if (m === null) throw new Refusal(404, 'no such path (GET /files/<id>, PUT /uploads/<id>)');
      if (req.method !== 'GET' && req.method !== 'HEAD') throw new Refusal(405, 'GET or HEAD', { allow: 'GET, HEAD' });
      const fileId = m[1]!;
      entry.fileId = fileId;
      let caller: Caller;
      try {
        caller = await identify(req, fileId, url.searchParams);
      } catch (e) {
        // The first leg of Digest is no event; a wrong answer is.
        if (e instanceof Refusal && e.status === 401 && req.headers.authorization === undefined) logIt = false;
        throw e;
      }
      entry.deviceId = caller.deviceId;
      entry.auth = caller.auth;
      entry.commandKey = caller.commandKey;
      let file: FileRecord;
      try {
        file = await repo.get(fileId);
      } catch (e) {
        if (e instanceof FileError && e.code === 'NOT_FOUND') throw new Refusal(404, 'no such file');
        throw e;
      }
      mayFetch(caller, file);
      const range = parseRange(req.headers.range, file.size);
      const base = {
        'accept-ranges': 'bytes',
        etag: `"${file.sha256}"`,
        'content-type': 'application/octet-stream',
        'content-disposition': `attachment; filename="${file.targetFileName.replace(/[^A-Za-z0-9._-]/g, '_')}"`,
        'x-flotilla-sha256': file.sha256,
        ...(file.version !== '' ? { 'x-flotilla-version': file.version } : {}),
      };
      if (range === 'unsatisfiable') throw new Refusal(416, 'range past the end', { 'content-range': `bytes */${file.size}` });
      if (active >= maxConcurrent) throw new Refusal(503, 'too many transfers at once', { 'retry-after': '30' });
      const start = range?.start ?? 0;
      const end = range?.end ?? file.size - 1;
      const length = Math.max(0, end - start + 1);
      const status = range === null ? 200 : 206;
      res.writeHead(status, {
        ...base,
        'content-length': String(length),
        ...(range !== null ? { 'content-range': `bytes ${start}-${end}/${file.size}` } : {}),
      });
      if (req.method === 'HEAD' || length === 0) {
        res.end();
        finish(status, req.method === 'HEAD' ? 'head' : 'complete');
        return;
      }
      active++;
      counted = true;
      const source: Readable = repo.open(file, start, end);
      const counting = new Transform({
        transform(chunk: Buffer, _enc, done) {
          entry.bytes += chunk.length;
          done(null, chunk);
        },
      });
      const label = range !== null ? ` (range ${start}-${end})` : '';
      try {
        await (rate !== null ? pipeline(source, counting, throttle(rate), res) : pipeline(source, counting, res));
        finish(status, `complete${label}`);
      } catch {
        finish(status, `aborted after ${entry.bytes} of ${length} bytes${label}`);
        res.destroy();
      }
    } catch (e) {
      const r = e instanceof Refusal ? e : null;
      if (r === null) opts.onError?.(e);
      const status = r?.status ?? 500;
      const message = r?.message ?? 'internal error';
      if (!res.headersSent) {
        res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', ...(r?.headers ?? {}) });
        res.end(`${message}\n`);
      } else res.destroy();
      req.resume();
      finish(status, status === 416 ? 'refused: range past the end' : `refused: ${message}`);
    } finally {
      if (counted) active--;
    }
  }

  /**
   * PUT or POST /uploads/<id>: a device sends the file an Upload task asked for. Only with the
   * task's signed URL (it names the device, the id the file is stored under and its FileType);
   * the body is streamed into the store (hashed, counted, limited), kept as the device's own.
   */
  async function receive(
    req: IncomingMessage,
    res: ServerResponse,
    fileId: string,
    query: URLSearchParams,
    entry: TransferLogEntry,
    setCounted: (on: boolean) => void,
    finish: (status: number, outcome: string) => void,
  ): Promise<void> {
    entry.fileId = fileId;
    if (req.method !== 'PUT' && req.method !== 'POST') throw new Refusal(405, 'PUT or POST', { allow: 'PUT, POST' });
    if (!query.has('s')) throw new Refusal(403, "uploads need the URL of the device's Upload task");
    const checked = signer.check(fileId, 'put', query, now());
    if (!checked.ok) throw new Refusal(checked.reason === 'malformed expiry' || checked.reason === 'not signed' ? 400 : 403, `signed URL: ${checked.reason}`);
    const grant = checked.grant;
    entry.deviceId = grant.deviceId;
    entry.auth = 'signed';
    entry.commandKey = grant.commandKey;
    const limit = opts.maxUploadBytes ?? 16 * 1024 * 1024;
    const lengthHeader = req.headers['content-length'];
    const declared = lengthHeader !== undefined && /^\d{1,15}$/.test(lengthHeader) ? Number(lengthHeader) : undefined;
    if (declared !== undefined && declared > limit) throw new Refusal(413, `larger than ${limit} bytes`, { connection: 'close' });
    if (active >= maxConcurrent) throw new Refusal(503, 'too many transfers at once', { 'retry-after': '30' });
    active++;
    setCounted(true);
    const type = req.headers['content-type'] ?? '';
    const ext = /xml/i.test(type) ? '.xml' : /^text\//i.test(type) ? (/log/i.test(grant.fileType ?? '') ? '.log' : '.txt') : '.bin';
    const kind = /Log File/i.test(grant.fileType ?? '') ? 'log' : 'config';
    const stamp = new Date(now()).toISOString().replace(/[:.]/g, '-');
    let record: FileRecord;
    try {
      record = await repo.upload(
        { id: fileId, name: `${kind}-${stamp}${ext}`, fileType: grant.fileType ?? '', deviceId: grant.deviceId },
        req,
        { maxBytes: limit, inStore: true, ...(declared !== undefined ? { declaredLength: declared } : {}) },
      );
    } catch (e) {
      if (!(e instanceof FileError)) throw e;
      const status = e.code === 'TOO_LARGE' ? 413 : e.code === 'IN_USE' ? 409 : 400;
      throw new Refusal(status, e.message, { connection: 'close' });
    }
    entry.bytes = record.size;
    res.writeHead(201, { 'content-type': 'text/plain; charset=utf-8' });
    res.end(`stored ${record.size} bytes, sha256 ${record.sha256}\n`);
    finish(201, 'complete');
  }

  const mounts = opts.mounts ?? [];
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    const mount = mounts.find((m) => (req.url ?? '').startsWith(m.prefix));
    if (mount !== undefined) {
      mount.handle(req, res, deviceAuth).catch((e: unknown) => {
        opts.onError?.(e);
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end('internal error\n');
        else res.destroy();
      });
      return;
    }
    void handle(req, res);
  };
  const server: Server = tls ? createHttpsServer({ cert: readFileSync(opts.tls!.cert), key: readFileSync(opts.tls!.key), ...MODERN_TLS }, handler) : createHttpServer(handler);
  // A stalled client frees its slot: no byte for 60 s ends the transfer.
  server.setTimeout(60_000, (socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address === '0.0.0.0' ? '127.0.0.1' : address.address;
  return {
    port: address.port,
    url: `${tls ? 'https' : 'http'}://${host}:${address.port}`,
    active: () => active,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
