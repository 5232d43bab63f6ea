/**
 * Reading a CPE's request body safely: bounded in size (before and after decompression, so
 * a gzip bomb stops at the limit), bounded in time (a slow client cannot hold a socket and a
 * session forever), chunked or not (node:http de-chunks), gzip/deflate when the CPE says so.
 */
import type { IncomingMessage } from 'node:http';
import { createGunzip, createInflate, type Gunzip, type Inflate } from 'node:zlib';

export type BodyResult =
  | { ok: true; bytes: Buffer }
  | { ok: false; status: 400 | 408 | 413 | 415; reason: string };

export function readBody(req: IncomingMessage, maxBytes: number, timeoutMs: number): Promise<BodyResult> {
  return new Promise((resolve) => {
    const declared = req.headers['content-length'];
    if (declared !== undefined && Number(declared) > maxBytes) {
      // Refuse before reading; drain nothing, the connection will be closed.
      resolve({ ok: false, status: 413, reason: `body of ${declared} bytes exceeds ${maxBytes}` });
      req.resume();
      return;
    }
    const encoding = (req.headers['content-encoding'] ?? 'identity').toLowerCase().trim();
    let source: IncomingMessage | Gunzip | Inflate = req;
    if (encoding === 'gzip' || encoding === 'x-gzip') {
      source = req.pipe(createGunzip());
    } else if (encoding === 'deflate') {
      source = req.pipe(createInflate());
    } else if (encoding !== 'identity' && encoding !== '') {
      resolve({ ok: false, status: 415, reason: `unsupported Content-Encoding ${encoding}` });
      req.resume();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (result: BodyResult): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve(result);
    };
    // The caller answers 408 with `Connection: close`, which also drops the slow socket.
    const timer = setTimeout(() => {
      finish({ ok: false, status: 408, reason: `body not received within ${timeoutMs} ms` });
    }, timeoutMs);
    source.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        finish({ ok: false, status: 413, reason: `body exceeds ${maxBytes} bytes` });
        if (source !== req) (source as Gunzip).destroy();
        req.resume();
        return;
      }
      chunks.push(chunk);
    });
    source.on('end', () => finish({ ok: true, bytes: chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size) }));
    source.on('error', (e: Error) => finish({ ok: false, status: 400, reason: `unreadable body: ${e.message}` }));
    req.on('aborted', () => finish({ ok: false, status: 400, reason: 'client aborted' }));
  });
}
