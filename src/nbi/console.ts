/**
 * The operator web console (src/ui, built by Vite to dist/ui) served by the NBI process on the
 * API port: static assets at `/`, and index.html for any other GET that is not under /api/
 * (the console routes in the browser: /devices, /devices/<id> …).
 *
 * The console is a client of the NBI like any other: it holds no data, talks only to
 * /api/v1 with a bearer token, and so needs no authentication to be downloaded. It is served
 * from an `onRequest` hook registered before the NBI's authentication hook, so a request for
 * a console page never reaches the token check, and every /api/ request still does.
 *
 * Files are read once at start into memory (the built console is a few hundred KB), with a
 * strong ETag and a gzip copy of text files. Caching: files under /assets/ carry a content hash
 * in their names and are `immutable` for a year; index.html and everything else is
 * `no-cache` (revalidated with the ETag), so a new release is picked up at the next load.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, extname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { OPERATIONAL_PATHS } from './health.js';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json',
  '.txt': 'text/plain; charset=utf-8',
  '.woff2': 'font/woff2',
  '.map': 'application/json; charset=utf-8',
};
const COMPRESSIBLE = new Set(['.html', '.js', '.mjs', '.css', '.svg', '.json', '.webmanifest', '.txt', '.map']);

/** The console talks only to its own origin; nothing inline, nothing framed. */
export const CONSOLE_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; " +
  "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

interface Asset {
  body: Buffer;
  gzip: Buffer | null;
  type: string;
  etag: string;
  cacheControl: string;
}

export interface ConsoleOptions {
  /** The built console (default: dist/ui of this package, found from this file). */
  dir?: string;
}

/** dist/src/nbi/console.js → dist/ui; src/nbi/console.ts (tests, tsx) → dist/ui. */
export function defaultConsoleDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [resolve(here, '../../ui'), resolve(here, '../../dist/ui')];
  return candidates.find((d) => existsSync(join(d, 'index.html'))) ?? candidates[candidates.length - 1]!;
}

function walk(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) walk(full, out);
    else out.push(full);
  }
  return out;
}

export function loadAssets(dir: string): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  if (!existsSync(join(dir, 'index.html'))) return assets;
  for (const file of walk(dir)) {
    const url = '/' + relative(dir, file).split(sep).join('/');
    const ext = extname(file).toLowerCase();
    const body = readFileSync(file);
    const gz = COMPRESSIBLE.has(ext) && body.length > 1024 ? gzipSync(body, { level: 9 }) : null;
    assets.set(url, {
      body,
      gzip: gz !== null && gz.length < body.length ? gz : null,
      type: TYPES[ext] ?? 'application/octet-stream',
      etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`,
      cacheControl: url.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache',
    });
  }
  return assets;
}

const NOT_BUILT = `<!doctype html><html lang="en"><meta charset="utf-8"><title>Flotilla</title>
<body style="font-family:system-ui;margin:3rem"><h1>Flotilla console not built</h1>
<p>The API is up at <a href="/api/v1/openapi.json">/api/v1</a>. Build the console with <code>npm run build</code>
(it lands in <code>dist/ui</code>) and restart.</p></body></html>`;

/** The NBI's: /api/… and the operational paths (health, metrics), which answer JSON (a JSON 404 when absent). */
function isApi(path: string): boolean {
  return path === '/api' || path.startsWith('/api/') || OPERATIONAL_PATHS.includes(path.replace(/\/+$/, '') || '/');
}

function send(req: FastifyRequest, reply: FastifyReply, asset: Asset, status = 200): FastifyReply {
  void reply
    .header('content-type', asset.type)
    .header('cache-control', asset.cacheControl)
    .header('etag', asset.etag)
    .header('vary', 'accept-encoding')
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'no-referrer');
  if (asset.type.startsWith('text/html')) {
    void reply.header('content-security-policy', CONSOLE_CSP).header('x-frame-options', 'DENY');
  }
  const inm = req.headers['if-none-match'];
  if (status === 200 && typeof inm === 'string' && inm.split(',').some((t) => t.trim() === asset.etag)) {
    return reply.code(304).send();
  }
  const accepts = req.headers['accept-encoding'];
  const gzip = asset.gzip !== null && typeof accepts === 'string' && /\bgzip\b/.test(accepts);
  const body = gzip ? asset.gzip! : asset.body;
  if (gzip) void reply.header('content-encoding', 'gzip');
  void reply.header('content-length', String(body.length));
  return reply.code(status).send(req.method === 'HEAD' ? undefined : body);
}

/**
 * Serve the console on `app`. Call it before the NBI adds its authentication hook: hooks run
 * in the order they were added, and this one answers console requests itself.
 */
export function registerConsole(app: FastifyInstance, opts: ConsoleOptions = {}): void {
  const dir = opts.dir ?? defaultConsoleDir();
  const assets = loadAssets(dir);
  const index = assets.get('/index.html');
  app.addHook('onRequest', async (req, reply) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return;
    const path = (req.url.split('?')[0] ?? '/').split('#')[0] ?? '/';
    if (isApi(path)) return;
    if (index === undefined) {
      return reply.code(503).header('content-type', 'text/html; charset=utf-8').header('cache-control', 'no-store').send(NOT_BUILT);
    }
    let decoded: string;
    try {
      decoded = decodeURIComponent(path);
    } catch {
      decoded = path;
    }
    const asset = assets.get(decoded);
    if (asset !== undefined && decoded !== '/index.html') return send(req, reply, asset);
    // A missing hashed asset is a real 404 (an old page asking for a file a release removed).
    if (decoded.startsWith('/assets/')) {
      return reply.code(404).header('content-type', 'text/plain; charset=utf-8').header('cache-control', 'no-store').send('not found');
    }
    // Everything else is a console route: the app decides what it shows.
    return send(req, reply, index);
  });
}
