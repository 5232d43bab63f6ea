/**
 * src/nbi/console.ts: the built console is served without a token on the NBI's port, with the
 * right caching, compression and security headers and an SPA fallback, while every /api/ route
 * still needs its token. Runs without a browser.
 */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerConsole } from '../../src/nbi/console.js';
import { startNbi, type Nbi } from '../../src/nbi/server.js';
import { createSqliteStore } from '../../src/store/sqlite/index.js';
import type { Store } from '../../src/store/types.js';

const INDEX = '<!doctype html><html><head><script type="module" src="/assets/app-abc123.js"></script></head><body><div id="app"></div></body></html>';
const JS = `console.log(${JSON.stringify('x'.repeat(5000))});`;

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'flotilla-console-'));
  mkdirSync(join(dir, 'assets'));
  writeFileSync(join(dir, 'index.html'), INDEX);
  writeFileSync(join(dir, 'assets', 'app-abc123.js'), JS);
  writeFileSync(join(dir, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function app(consoleDir: string): ReturnType<typeof Fastify> {
  const a = Fastify();
  registerConsole(a, { dir: consoleDir });
  // Stands for the NBI's own auth hook, added after the console (as startNbi does).
  a.addHook('onRequest', async (req, reply) => {
    if (req.headers.authorization !== 'Bearer ok') return reply.code(401).send({ code: 'UNAUTHORIZED', message: 'token' });
  });
  a.get('/api/v1/devices', async () => ({ total: 0 }));
  return a;
}

describe('console plugin', () => {
  it('serves index.html at / and for console routes, never cached without revalidation', async () => {
    const a = app(dir);
    for (const url of ['/', '/devices', '/devices/F2F107-HGW%252D181-SN1?tab=faults', '/overview']) {
      const r = await a.inject({ url });
      expect(r.statusCode, url).toBe(200);
      expect(r.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(r.headers['cache-control']).toBe('no-cache');
      expect(r.headers['content-security-policy']).toContain("script-src 'self'");
      expect(r.headers['x-frame-options']).toBe('DENY');
      expect(r.body).toBe(INDEX);
    }
    const etag = (await a.inject({ url: '/' })).headers.etag as string;
    expect((await a.inject({ url: '/', headers: { 'if-none-match': etag } })).statusCode).toBe(304);
    const head = await a.inject({ url: '/devices', method: 'HEAD' });
    expect(head.statusCode).toBe(200);
    expect(head.body).toBe('');
  });

  it('serves hashed assets immutable and gzipped; a missing asset is a 404, not the app', async () => {
    const a = app(dir);
    const r = await a.inject({ url: '/assets/app-abc123.js', headers: { 'accept-encoding': 'gzip, br' } });
    expect(r.statusCode).toBe(200);
    expect(r.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(r.headers['content-encoding']).toBe('gzip');
    expect(r.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(gunzipSync(r.rawPayload).toString()).toBe(JS);
    const plain = await a.inject({ url: '/assets/app-abc123.js' });
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.body).toBe(JS);
    expect((await a.inject({ url: '/favicon.svg' })).headers['content-type']).toBe('image/svg+xml');
    expect((await a.inject({ url: '/assets/gone-111.js' })).statusCode).toBe(404);
  });

  it('leaves /api/ to the NBI and its token check; other methods are not the console', async () => {
    const a = app(dir);
    expect((await a.inject({ url: '/api/v1/devices' })).statusCode).toBe(401);
    expect((await a.inject({ url: '/api/v1/devices', headers: { authorization: 'Bearer ok' } })).statusCode).toBe(200);
    expect((await a.inject({ url: '/api/nothing' })).statusCode).toBe(401);
    expect((await a.inject({ url: '/devices', method: 'POST' })).statusCode).toBe(401);
    expect((await a.inject({ url: '/../../etc/passwd' })).body).toBe(INDEX);
  });

  it('says how to build the console when it is not built', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'flotilla-console-empty-'));
    try {
      const r = await app(empty).inject({ url: '/' });
      expect(r.statusCode).toBe(503);
      expect(r.body).toContain('npm run build');
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});

describe('console in startNbi', () => {
  let store: Store;
  let nbi: Nbi;
  let data: string;
  beforeAll(async () => {
    data = mkdtempSync(join(tmpdir(), 'flotilla-console-nbi-'));
    store = await createSqliteStore({ dataDir: data });
    nbi = await startNbi({ store, host: '127.0.0.1', port: 0, adminToken: 'console-test-admin-token-0123', connectionRequests: false });
  });
  afterAll(async () => {
    await nbi.close();
    await store.close();
    rmSync(data, { recursive: true, force: true });
  });

  it('answers console pages without a token and the API only with one', async () => {
    const page = await fetch(`${nbi.url}/devices`);
    // 200 with the built console, 503 with a how-to when dist/ui is not built: never 401.
    expect([200, 503]).toContain(page.status);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect((await fetch(`${nbi.url}/api/v1/devices`)).status).toBe(401);
    const ok = await fetch(`${nbi.url}/api/v1/devices`, { headers: { authorization: 'Bearer console-test-admin-token-0123' } });
    expect(ok.status).toBe(200);
  });
});
