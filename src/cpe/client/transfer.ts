/**
 * File transfers a CPE performs after a Download / Upload / ScheduleDownload (TR-069
 * A.3.2.8, A.3.2.9), and the fault code each failure maps to in its TransferComplete
 * (A.5.1): the ACS's campaign logic keys on these codes, so they must be the ones a real
 * device would report.
 */
import { faultString } from '../../cwmp/errors.js';
import type { FaultStruct } from '../../cwmp/types.js';
import { AuthenticatingClient, HttpError, transferAgent, type HttpReply, type TlsOptions } from './http.js';

export interface TransferResult {
  fault: FaultStruct;
  /** Bytes moved. */
  bytes: number;
  /** The file itself, when the caller asked to keep it. */
  body?: Buffer;
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

export async function download(req: DownloadRequest): Promise<TransferResult> {
  const url = parseTransferUrl(req.url);
  if (url === 'unsupported') return { fault: fault(9013, req.url.split(':')[0]), bytes: 0 };
  if (url === 'invalid') return { fault: fault(9015, 'invalid URL'), bytes: 0 };
  const maxBytes = req.maxBytes ?? 256 * 1024 * 1024;
  if (req.fileSize > maxBytes) return { fault: fault(9010, `file of ${req.fileSize} bytes does not fit`), bytes: 0 };
  let reply: HttpReply;
  try {
    reply = await new AuthenticatingClient(credentials(req.username, req.password)).send({
      method: 'GET',
      url,
      agent: transferAgent(url),
      timeoutMs: req.timeoutMs ?? 60_000,
      maxBodyBytes: maxBytes,
      discardBody: req.keepBody !== true,
      tls: req.tls,
    });
  } catch (e) {
    return { fault: transportFault(e, 'download'), bytes: 0 };
  }
  if (reply.status === 401 || reply.status === 403 || reply.status === 407) {
    return { fault: fault(9012, `HTTP ${reply.status}`), bytes: 0 };
  }
  if (reply.status < 200 || reply.status >= 300) return { fault: fault(9016, `HTTP ${reply.status}`), bytes: 0 };
  // A short or long file is a corrupted one (the ACS told us its size); so is an empty image.
  if (req.fileSize > 0 && reply.bytes !== req.fileSize) {
    return { fault: fault(9018, `expected ${req.fileSize} bytes, got ${reply.bytes}`), bytes: reply.bytes };
  }
  if (reply.bytes === 0 && req.fileType.startsWith('1 ')) return { fault: fault(9018, 'empty firmware image'), bytes: 0 };
  return req.keepBody === true ? { fault: NO_FAULT, bytes: reply.bytes, body: reply.body } : { fault: NO_FAULT, bytes: reply.bytes };
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
