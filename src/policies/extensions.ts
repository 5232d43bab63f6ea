/**
 * The one way out of the script sandbox (./sandbox.ts): `http.get(path)`, an HTTP GET under a
 * base URL the operator configured (`--policy-http-base`), and nothing else — no other host,
 * no method but GET, no redirect (it could leave the base), a timeout, a size limit, and a
 * cache so a fleet's sessions do not ask the same URL again and again (failures are cached
 * too, for a shorter time, so a down service is not hammered).
 *
 * Scripts never wait for it: a session's policy program fetches what a script asked for
 * between two of its steps (src/policies/program.ts, `prepare`), then runs the script again.
 */
import type { FetchState } from './sandbox.js';

export interface HttpExtensionOptions {
  /** http(s) URL; paths are resolved under it. */
  base: string;
  timeoutMs: number;
  /** How long an answer is reused. */
  cacheMs: number;
  /** How long a failure is reused. */
  errorCacheMs: number;
  maxBytes: number;
  maxEntries: number;
}

export const DEFAULT_HTTP_EXTENSION: Omit<HttpExtensionOptions, 'base'> = {
  timeoutMs: 2000,
  cacheMs: 5 * 60_000,
  errorCacheMs: 30_000,
  maxBytes: 64 * 1024,
  maxEntries: 10_000,
};

/** What a path may hold: no scheme, no "..", no backslash, no leading "/" (it is relative to the base). */
const PATH = /^(?!\/)(?!.*(^|\/)\.\.?(\/|$|\?))[A-Za-z0-9._~!$&'()*+,;=:@%/?-]{1,1024}$/;

export class HttpExtension {
  readonly #o: HttpExtensionOptions;
  readonly #base: URL;
  readonly #cache = new Map<string, { state: NonNullable<FetchState>; until: number }>();
  readonly #now: () => number;

  constructor(opts: Partial<HttpExtensionOptions> & { base: string }, now: () => number = Date.now) {
    this.#o = { ...DEFAULT_HTTP_EXTENSION, ...opts };
    const base = new URL(opts.base);
    if (base.protocol !== 'http:' && base.protocol !== 'https:') throw new Error(`--policy-http-base: ${opts.base} is not an http(s) URL`);
    if (!base.pathname.endsWith('/')) base.pathname += '/';
    base.search = '';
    base.hash = '';
    this.#base = base;
    this.#now = now;
  }

  /** The URL a script's path names, or null when it would leave the base. */
  url(path: string): URL | null {
    if (!PATH.test(path)) return null;
    const u = new URL(path, this.#base);
    return u.origin === this.#base.origin && u.pathname.startsWith(this.#base.pathname) ? u : null;
  }

  /** A cached answer (undefined: not fetched, or too old). */
  lookup(path: string): FetchState {
    const hit = this.#cache.get(path);
    if (hit === undefined) return undefined;
    if (hit.until <= this.#now()) {
      this.#cache.delete(path);
      return undefined;
    }
    return hit.state;
  }

  /** Fetch these paths at once (each bounded by the timeout) into the cache. */
  async fetchAll(paths: readonly string[]): Promise<void> {
    await Promise.all(paths.map((p) => this.#fetch(p)));
  }

  async #fetch(path: string): Promise<void> {
    const u = this.url(path);
    const state = u === null ? { error: `http.get: "${path.slice(0, 100)}" is not a path under the configured base` } : await this.#get(u);
    this.#cache.delete(path);
    this.#cache.set(path, { state, until: this.#now() + ('body' in state ? this.#o.cacheMs : this.#o.errorCacheMs) });
    // Oldest first out (a Map keeps insertion order).
    while (this.#cache.size > this.#o.maxEntries) this.#cache.delete(this.#cache.keys().next().value!);
  }

  async #get(u: URL): Promise<NonNullable<FetchState>> {
    const where = `GET ${u.pathname}${u.search}`;
    try {
      const res = await fetch(u, { redirect: 'error', signal: AbortSignal.timeout(this.#o.timeoutMs), headers: { accept: 'application/json, text/plain;q=0.9, */*;q=0.1' } });
      if (!res.ok) {
        await res.body?.cancel();
        return { error: `${where}: HTTP ${res.status}` };
      }
      const reader = res.body?.getReader();
      const chunks: Uint8Array[] = [];
      let size = 0;
      if (reader !== undefined) {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          size += value.byteLength;
          if (size > this.#o.maxBytes) {
            await reader.cancel();
            return { error: `${where}: answer larger than ${this.#o.maxBytes} bytes` };
          }
          chunks.push(value);
        }
      }
      return { body: Buffer.concat(chunks).toString('utf8') };
    } catch (e) {
      const name = e instanceof Error ? e.name : '';
      return { error: `${where}: ${name === 'TimeoutError' || name === 'AbortError' ? `no answer within ${this.#o.timeoutMs} ms` : 'failed'}` };
    }
  }
}
