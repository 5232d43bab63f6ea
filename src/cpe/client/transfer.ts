/**
 * File transfers a CPE performs after a Download / Upload / ScheduleDownload (TR-069
 * A.3.2.8, A.3.2.9), and the fault code each failure maps to in its TransferComplete
 * (A.5.1): the ACS's campaign logic keys on these codes, so they must be the ones a real
 * device would report.
 */
import { createHash } from 'node:crypto';
import { faultString } from '../../cwmp/errors.js';
import type { FaultStruct } from '../../cwmp/types.js';
import { AuthenticatingClient, HttpError, transferAgent, type HttpReply, type TlsOptions } from './http.js';

export interface TransferResult {
  fault: FaultStruct;
  /** Bytes moved. */
  bytes: number;
  /** The file itself, when the caller asked to keep it. */
  body?: Buffer;
  /** The version the file installs, when the server said (X-Flotilla-Version). */
  version?: string;
  /** Times the transfer was resumed with a Range after the connection broke. */
  resumed?: number;
}

export interface DownloadRequest {
  url: string;
  username: string;
  password: string;
  /** Announced size; 0 means unknown (A.3.2.8). */
  fileSize: number;
  fileType: string;
  timeoutMs?: number;
  /** Largest file the device can hold; more is fault 9010. */
  maxBytes?: number;
  keepBody?: boolean;
  tls?: TlsOptions;
  /** Fault injection: drop the connection once after this many bytes (then resume with Range). */
  dropAfterBytes?: number;
  /** Resumes allowed after a broken connection (default 3). */
  maxResumes?: number;
}

export interface UploadRequest {
  url: string;
  username: string;
  password: string;
  body: Buffer;
  contentType: string;
  timeoutMs?: number;
  tls?: TlsOptions;
}

export const NO_FAULT: FaultStruct = { faultCode: 0, faultString: '' };

function fault(code: number, detail?: string): FaultStruct {
  return { faultCode: code, faultString: detail === undefined ? faultString(code) : `${faultString(code)}: ${detail}` };
}

/** http(s) only; anything else is 9013 (unsupported protocol), garbage is 9015 for downloads. */
function parseTransferUrl(raw: string): URL | 'unsupported' | 'invalid' {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'invalid';
  }
  return url.protocol === 'http:' || url.protocol === 'https:' ? url : 'unsupported';
}

function credentials(username: string, password: string): { username: string; password: string } | null {
  return username === '' && password === '' ? null : { username, password };
}

/**
 * GET the file, hashing it as it streams. A connection that breaks after some bytes is
 * resumed with `Range: bytes=<have>-` (a 206 continues the file; a 200 starts it over). The
 * size must be the announced one and, when the server states one (X-Flotilla-SHA256), the
 * SHA-256 must match: otherwise 9018, file corrupted.
 */
export async function download(req: DownloadRequest): Promise<TransferResult> {
  const url = parseTransferUrl(req.url);
  if (url === 'unsupported') return { fault: fault(9013, req.url.split(':')[0]), bytes: 0 };
  if (url === 'invalid') return { fault: fault(9015, 'invalid URL'), bytes: 0 };
  const maxBytes = req.maxBytes ?? 256 * 1024 * 1024;
  if (req.fileSize > maxBytes) return { fault: fault(9010, `file of ${req.fileSize} bytes does not fit`), bytes: 0 };
  const client = new AuthenticatingClient(credentials(req.username, req.password));
  let hash = createHash('sha256');
  let have = 0;
  let chunks: Buffer[] = [];
  let resumed = 0;
  let dropAt = req.dropAfterBytes;
  let expectedSha: string | undefined;
  let version: string | undefined;
  let reply: HttpReply;
  for (;;) {
    const from = have;
    let accepting = false;
    try {
      reply = await client.send({
        method: 'GET',
        url,
        ...(from > 0 ? { headers: { range: `bytes=${from}-` } } : {}),
        agent: transferAgent(url),
        timeoutMs: req.timeoutMs ?? 60_000,
        maxBodyBytes: maxBytes,
        discardBody: true,
        tls: req.tls,
        onResponse: (status, headers) => {
          accepting = status === 200 || (status === 206 && from > 0);
          if (!accepting) return;
          if (status === 200 && from > 0) {
            // The server sends it all again: start over.
            hash = createHash('sha256');
            have = 0;
            chunks = [];
          }
          const sha = headers['x-flotilla-sha256'];
          if (typeof sha === 'string') expectedSha = sha.toLowerCase();
          const v = headers['x-flotilla-version'];
          if (typeof v === 'string' && v !== '') version = v;
        },
        onChunk: (chunk) => {
          if (!accepting) return;
          hash.update(chunk);
          have += chunk.length;
          if (req.keepBody === true) chunks.push(chunk);
          if (dropAt !== undefined && have >= dropAt) {
            dropAt = undefined;
            return false;
          }
          return have <= maxBytes;
        },
      });
    } catch (e) {
      const broke = e instanceof HttpError && (e.code === 'RESET' || e.code === 'TIMEOUT');
      if (broke && have > from && resumed < (req.maxResumes ?? 3)) {
        resumed++;
        continue;
      }
      return { fault: transportFault(e, 'download'), bytes: have };
    }
    break;
  }
  if (reply.status === 401 || reply.status === 403 || reply.status === 407) {
    return { fault: fault(9012, `HTTP ${reply.status}`), bytes: 0 };
  }
  if (reply.status < 200 || reply.status >= 300) return { fault: fault(9016, `HTTP ${reply.status}`), bytes: 0 };
  // A short or long file is a corrupted one (the ACS told us its size); so is an empty image.
  if (req.fileSize > 0 && have !== req.fileSize) {
    return { fault: fault(9018, `expected ${req.fileSize} bytes, got ${have}`), bytes: have };
  }
  if (have === 0 && req.fileType.startsWith('1 ')) return { fault: fault(9018, 'empty firmware image'), bytes: 0 };
  const sha256 = hash.digest('hex');
  if (expectedSha !== undefined && sha256 !== expectedSha) return { fault: fault(9018, `SHA-256 ${sha256}, expected ${expectedSha}`), bytes: have };
  const extra = { ...(version !== undefined ? { version } : {}), ...(resumed > 0 ? { resumed } : {}) };
  return req.keepBody === true ? { fault: NO_FAULT, bytes: have, body: Buffer.concat(chunks), ...extra } : { fault: NO_FAULT, bytes: have, ...extra };
}

export async function upload(req: UploadRequest): Promise<TransferResult> {
  const url = parseTransferUrl(req.url);
  if (url === 'unsupported') return { fault: fault(9013, req.url.split(':')[0]), bytes: 0 };
  if (url === 'invalid') return { fault: fault(9011, 'invalid URL'), bytes: 0 };
  let reply: HttpReply;
  try {
    reply = await new AuthenticatingClient(credentials(req.username, req.password)).send({
      method: 'PUT',
      url,
      headers: { 'content-type': req.contentType },
      body: req.body,
      agent: transferAgent(url),
      timeoutMs: req.timeoutMs ?? 60_000,
      maxBodyBytes: 1024 * 1024,
      tls: req.tls,
    });
  } catch (e) {
    return { fault: transportFault(e, 'upload'), bytes: 0 };
  }
  if (reply.status === 401 || reply.status === 403 || reply.status === 407) {
    return { fault: fault(9012, `HTTP ${reply.status}`), bytes: 0 };
  }
  if (reply.status < 200 || reply.status >= 300) return { fault: fault(9011, `HTTP ${reply.status}`), bytes: 0 };
  return { fault: NO_FAULT, bytes: req.body.length };
}

/** No usable HTTP answer: unreachable server (9015), or a transfer cut short (9017). Uploads have only 9011. */
function transportFault(e: unknown, kind: 'download' | 'upload'): FaultStruct {
  const message = e instanceof Error ? e.message : String(e);
  if (kind === 'upload') return fault(9011, message);
  if (e instanceof HttpError) {
    if (e.code === 'CONNECT') return fault(9015, message);
    if (e.code === 'TOO_LARGE') return fault(9010, message);
    return fault(9017, message);
  }
  return fault(9010, message);
}
