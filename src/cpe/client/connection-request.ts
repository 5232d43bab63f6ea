/**
 * The CPE's connection-request endpoint (TR-069 3.2.2): an HTTP GET with Digest
 * authentication (ConnectionRequestUsername/Password from the device's model) makes the
 * CPE open a session with 6 CONNECTION REQUEST.
 *
 * One listener can serve many CPEs, told apart by path (`/<serial>`), or a fleet can give
 * each CPE a listener of its own (a port per device, as real devices have). Accepted
 * requests are rate-limited per CPE with a token bucket, answered 503 beyond it (3.2.2: a
 * CPE SHOULD limit them, and MUST say 503 when it refuses for that reason).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { DigestVerifier, type Credentials } from '../../auth/client.js';
import { TokenBuckets, type RateLimit } from './rate-limit.js';

export interface ConnectionRequestTarget {
  connectionRequest(): void;
  connectionRequestCredentials(): Credentials;
}

export { DEFAULT_RATE_LIMIT, type RateLimit } from './rate-limit.js';

export interface ConnectionRequestServerOptions {
  /** Address to bind (default 127.0.0.1). */
  host?: string;
  /** Port to bind; 0 picks a free one. */
  port?: number;
  /** Host put in ConnectionRequestURL when it differs from the bind address (0.0.0.0 …). */
  advertisedHost?: string;
  realm?: string;
  rateLimit?: RateLimit;
  now?: () => number;
  /** Told about every request, accepted or not (statistics). */
  onRequest?: (key: string, outcome: 'accepted' | 'unauthorized' | 'limited' | 'unknown') => void;
}

export class ConnectionRequestServer {
  readonly #server: http.Server;
  readonly #targets = new Map<string, ConnectionRequestTarget>();
  readonly #buckets: TokenBuckets;
  readonly #verifier: DigestVerifier;
  readonly #now: () => number;
  readonly #onRequest: ConnectionRequestServerOptions['onRequest'];
  #base = '';

  private constructor(opts: ConnectionRequestServerOptions) {
    this.#verifier = new DigestVerifier(opts.realm ?? 'Flotilla CPE');
    this.#buckets = new TokenBuckets(opts.rateLimit);
    this.#now = opts.now ?? Date.now;
    this.#onRequest = opts.onRequest;
    this.#server = http.createServer((req, res) => this.#handle(req, res));
    this.#server.keepAliveTimeout = 2_000;
    this.#server.headersTimeout = 10_000;
    this.#server.requestTimeout = 10_000;
  }

  static async listen(opts: ConnectionRequestServerOptions = {}): Promise<ConnectionRequestServer> {
    const s = new ConnectionRequestServer(opts);
    const host = opts.host ?? '127.0.0.1';
    await new Promise<void>((resolve, reject) => {
      s.#server.once('error', reject);
      s.#server.listen(opts.port ?? 0, host, () => {
        s.#server.off('error', reject);
        resolve();
      });
    });
    const port = (s.#server.address() as AddressInfo).port;
    let shown = opts.advertisedHost ?? (host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host);
    if (shown.includes(':')) shown = `[${shown}]`;
    s.#base = `http://${shown}:${port}`;
    return s;
  }

  get port(): number {
    return (this.#server.address() as AddressInfo).port;
  }

  /** Serve `target` under `/<key>`; returns its ConnectionRequestURL. */
  register(key: string, target: ConnectionRequestTarget): string {
    this.#targets.set(key, target);
    return this.url(key);
  }

  unregister(key: string): void {
    this.#targets.delete(key);
    this.#buckets.forget(key);
  }

  url(key: string): string {
    return `${this.#base}/${encodeURIComponent(key)}`;
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
  }

  #handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    req.resume();
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    let key: string;
    try {
      key = decodeURIComponent(path.slice(1));
    } catch {
      key = '';
    }
    const target = this.#targets.get(key);
    if (target === undefined) {
      this.#onRequest?.(key, 'unknown');
      return end(res, 404);
    }
    if (req.method !== 'GET') return end(res, 405, { allow: 'GET' });
    const now = this.#now();
    const creds = target.connectionRequestCredentials();
    // A device with no ConnectionRequestUsername accepts anyone: some ship that way.
    if (creds.username !== '') {
      const verdict = this.#verifier.verify(req.headers.authorization, 'GET', creds, now);
      if (verdict !== 'ok') {
        this.#onRequest?.(key, 'unauthorized');
        return end(res, 401, { 'www-authenticate': this.#verifier.challenge(now, verdict === 'stale') });
      }
    }
    if (!this.#buckets.take(key, now)) {
      this.#onRequest?.(key, 'limited');
      return end(res, 503, { 'retry-after': String(this.#buckets.rate.refillSeconds) });
    }
    this.#onRequest?.(key, 'accepted');
    end(res, 200);
    target.connectionRequest();
  }
}

function end(res: http.ServerResponse, status: number, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-length': '0', ...headers });
  res.end();
}
