/**
 * readBody over real loopback HTTP: bodies of many chunks are joined in one buffer kept for the
 * process (body.ts), so these check that bodies arriving together are never mixed, that a
 * smaller body after a larger one reads only its own bytes, and that a reader that throws gets
 * a 400 and leaves the server serving.
 */
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readBody, type BodyResult } from '../../src/acs/body.js';

let server: Server;
let port: number;
/** What readBody handed the route, per request path. */
const results = new Map<string, BodyResult<string>>();

beforeEach(async () => {
  server = createServer((req, res) => {
    const path = req.url ?? '/';
    void readBody(req, 2 * 1024 * 1024, 5_000, (bytes) => {
      if (path.startsWith('/throw')) throw new Error('reader refused');
      return bytes.toString('latin1');
    }).then((r) => {
      results.set(path, r);
      res.statusCode = r.ok ? 200 : r.status;
      res.end(r.ok ? String(r.value.length) : r.reason);
    });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  port = (server.address() as AddressInfo).port;
  results.clear();
});

afterEach(async () => {
  const closed = new Promise<void>((ok) => server.close(() => ok()));
  // The refused body's connection would otherwise idle until the keep-alive timeout.
  server.closeAllConnections();
  await closed;
});

/** POST `parts` one write at a time, waiting `gapMs` between them, so the server sees many chunks. */
function post(path: string, parts: readonly Buffer[], headers: Record<string, string> = {}, gapMs = 5): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'POST', headers }, (res) => {
      const got: Buffer[] = [];
      res.on('data', (c: Buffer) => got.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(got).toString() }));
    });
    req.on('error', reject);
    let i = 0;
    const next = (): void => {
      if (i === parts.length) {
        req.end();
        return;
      }
      req.write(parts[i++]);
      setTimeout(next, gapMs);
    };
    next();
  });
}

/** `count` parts of `size` bytes, each filled with its own letter of `alphabet`. */
function parts(alphabet: string, count: number, size: number): Buffer[] {
  return Array.from({ length: count }, (_, i) => Buffer.alloc(size, alphabet[i % alphabet.length]!));
}

describe('readBody', () => {
  it('reads two many-chunk bodies that arrive interleaved, each intact', async () => {
    const a = parts('ab', 12, 40_000);
    const b = parts('xyz', 9, 50_000);
    const [ra, rb] = await Promise.all([post('/a', a), post('/b', b)]);
    expect([ra.status, rb.status]).toEqual([200, 200]);
    const ga = results.get('/a');
    const gb = results.get('/b');
    expect(ga?.ok && ga.value).toBe(Buffer.concat(a).toString('latin1'));
    expect(gb?.ok && gb.value).toBe(Buffer.concat(b).toString('latin1'));
  });

  it('reads a smaller body after a larger one as exactly its own bytes', async () => {
    await post('/big', parts('q', 30, 40_000));
    const small = parts('rs', 3, 30_000);
    await post('/small', small);
    const got = results.get('/small');
    expect(got?.ok && got.value).toBe(Buffer.concat(small).toString('latin1'));
  });

  it('joins the chunks of a gzip body after inflating them', async () => {
    const text = 'ParameterValueStruct '.repeat(40_000);
    const z = gzipSync(Buffer.from(text, 'latin1'));
    const pieces = [];
    for (let at = 0; at < z.length; at += 1_000) pieces.push(z.subarray(at, at + 1_000));
    const r = await post('/gz', pieces, { 'Content-Encoding': 'gzip' }, 1);
    expect(r.status).toBe(200);
    const got = results.get('/gz');
    expect(got?.ok && got.value).toBe(text);
  });

  it('answers 400 when the reader throws, and goes on serving', async () => {
    const r = await post('/throw', parts('t', 4, 30_000));
    expect(r.status).toBe(400);
    expect(r.text).toContain('reader refused');
    const after = await post('/after', parts('u', 2, 10));
    expect(after.status).toBe(200);
    expect(after.text).toBe('20');
  });

  it('refuses a body over the limit with 413 before reading it whole', async () => {
    const r = await post('/huge', parts('h', 40, 64 * 1024), {}, 0);
    expect(r.status).toBe(413);
    expect(results.get('/huge')?.ok).toBe(false);
  });
});
