/**
 * What load balancers and newcomers hit first: /healthz and /readyz without a token, JSON 404s
 * (never the console's HTML) for unknown API and operational paths, and the API document
 * without a token, while data routes still want one.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from './helpers.js';

let s: Stack;
beforeAll(async () => {
  s = await startStack();
});
afterAll(async () => {
  await s?.close();
});

const get = async (path: string, headers: Record<string, string> = {}): Promise<{ status: number; type: string; body: unknown }> => {
  const r = await fetch(`${s.nbi.url}${path}`, { headers });
  const text = await r.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: left as text for the assertion to show
  }
  return { status: r.status, type: r.headers.get('content-type') ?? '', body };
};

describe('operational endpoints', () => {
  it('/healthz and /readyz answer JSON without a token', async () => {
    const live = await get('/healthz');
    expect(live).toMatchObject({ status: 200, body: { status: 'ok' } });
    expect(live.type).toMatch(/^application\/json/);
    const ready = await get('/readyz');
    expect(ready).toMatchObject({ status: 200, body: { status: 'ok', checks: { store: 'ok' } } });
  });

  it('/readyz says 503 when the store does not answer', async () => {
    const stack = await startStack();
    await stack.store.close();
    const r = await fetch(`${stack.nbi.url}/readyz`);
    expect(r.status).toBe(503);
    expect(await r.json()).toMatchObject({ status: 'unavailable', checks: { store: expect.not.stringMatching(/^ok$/) } });
    await stack.nbi.close();
    await stack.jobs.close();
    await stack.acs.close();
  });

  it('unknown paths under /api/ and the reserved operational paths are JSON 404s, with or without a token', async () => {
    for (const path of ['/api/v1/no-such-thing', '/api/v2/devices', '/api', '/api/', '/health', '/livez', '/api/v1/devices/x/no-such']) {
      for (const headers of [{}, { authorization: 'Bearer test-admin-token-0123456789' }] as Record<string, string>[]) {
        const r = await get(path, headers);
        expect(r.status, path).toBe(404);
        expect(r.type, path).toMatch(/^application\/json/);
        expect(r.body, path).toEqual({ code: 'NOT_FOUND', message: expect.stringContaining('no route') });
      }
    }
    // /metrics is the diagnostics endpoint's when it exists; never the console.
    const metrics = await get('/metrics');
    expect(metrics.type).not.toMatch(/html/);
  });

  it('the API document needs no token; data still does', async () => {
    const doc = await get('/api/v1/openapi.json');
    expect(doc.status).toBe(200);
    expect((doc.body as { openapi: string }).openapi).toMatch(/^3\./);
    expect((await get('/api/v1/devices')).status).toBe(401);
    expect((await get('/api/v1/tokens')).status).toBe(401);
  });

  it('/api/docs is a readable API page without a token, its own assets and the same document', async () => {
    for (const path of ['/api/docs', '/api/docs/']) {
      const page = await get(path);
      expect(page.status, path).toBe(200);
      expect(page.type, path).toMatch(/^text\/html/);
      expect(String(page.body)).toContain('swagger-ui-bundle.js');
    }
    const js = await fetch(`${s.nbi.url}/api/docs/static/swagger-ui-bundle.js`);
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toMatch(/javascript/);
    expect((await js.arrayBuffer()).byteLength).toBeGreaterThan(100_000);
    expect((await get('/api/docs/static/swagger-initializer.js')).status).toBe(200);
    const doc = await get('/api/docs/json');
    expect(doc.status).toBe(200);
    expect(doc.body).toEqual((await get('/api/v1/openapi.json')).body);
    // The page's own routes are not part of the API document.
    expect(Object.keys((doc.body as { paths: Record<string, unknown> }).paths).filter((p) => p.startsWith('/api/docs'))).toEqual([]);
    expect((await get('/api/docs/no-such-file.js')).status).toBe(404);
  });

  it('console routes still get the console', async () => {
    const r = await fetch(`${s.nbi.url}/devices`);
    expect(r.headers.get('content-type')).toMatch(/text\/html/);
  });
});
