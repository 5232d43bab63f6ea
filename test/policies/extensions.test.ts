/**
 * The scripts' HTTP extension (src/policies/extensions.ts) against a real loopback server:
 * only GETs under the configured base, no redirect followed, a timeout, a size limit, answers
 * and failures cached.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpExtension } from '../../src/policies/extensions.js';

let server: Server;
let base = '';
const hits: string[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    hits.push(req.url ?? '');
    if (req.url === '/api/ok') res.writeHead(200).end('fine');
    else if (req.url === '/api/redirect') res.writeHead(302, { location: 'http://169.254.169.254/' }).end();
    else if (req.url === '/api/big') res.writeHead(200).end('x'.repeat(2000));
    else if (req.url === '/api/slow') setTimeout(() => res.writeHead(200).end('late'), 4000);
    else res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

describe('HTTP extension', () => {
  it('resolves paths under the base only', () => {
    const ext = new HttpExtension({ base });
    expect(ext.url('ok')?.href).toBe(`${base}/ok`);
    expect(ext.url('a/b?x=1')?.href).toBe(`${base}/a/b?x=1`);
    for (const bad of ['../secret', 'a/../../b', '/etc/passwd', 'http://evil.test/', '//evil.test/x', 'a\\b', '', 'a b', '..', './x']) expect(ext.url(bad), bad).toBeNull();
    expect(() => new HttpExtension({ base: 'file:///etc/' })).toThrow(/http/);
  });

  it('GETs, caches the answer, refuses redirects, bounds time and size, caches failures', async () => {
    let now = 1000;
    const ext = new HttpExtension({ base, timeoutMs: 1500, maxBytes: 1000, cacheMs: 60_000, errorCacheMs: 5_000 }, () => now);
    await ext.fetchAll(['ok', 'redirect', 'big', 'slow', 'missing', '../x']);
    expect(ext.lookup('ok')).toEqual({ body: 'fine' });
    expect(ext.lookup('redirect')).toMatchObject({ error: expect.stringContaining('failed') });
    expect(ext.lookup('big')).toMatchObject({ error: expect.stringContaining('larger than 1000') });
    expect(ext.lookup('slow')).toMatchObject({ error: expect.stringContaining('no answer within 1500 ms') });
    expect(ext.lookup('missing')).toMatchObject({ error: expect.stringContaining('HTTP 404') });
    expect(ext.lookup('../x')).toMatchObject({ error: expect.stringContaining('not a path under') });
    expect(hits.filter((h) => !h.startsWith('/api/'))).toEqual([]);
    now += 10_000; // failures expire first
    expect(ext.lookup('missing')).toBeUndefined();
    expect(ext.lookup('ok')).toEqual({ body: 'fine' });
    now += 60_000;
    expect(ext.lookup('ok')).toBeUndefined();
  });
});
