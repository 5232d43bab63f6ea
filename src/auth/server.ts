/**
 * CPE → ACS authentication (TR-069 3.4.4): HTTP Basic (only over TLS unless allowed) and
 * Digest (RFC 7616 with MD5 and qop=auth, which is what CPEs implement).
 *
 * Nonces are stateless: a timestamp signed with a per-process-group secret (HMAC), so a nonce
 * is valid on any TCP connection and, with a shared secret, on any ACS process. The HMAC also
 * covers a binding (the ACS binds a nonce to the device id of the Inform it challenged), so a
 * captured header cannot open a session for another device. A stale nonce gets a fresh
 * challenge with `stale=true` so the CPE retries without asking its user. Replays of the same
 * header are stopped by NonceCounter (`nc` must grow per nonce), and qop=auth is required:
 * RFC 2069 Digest has neither nc nor cnonce, so nothing would stop a replay.
 *
 * Passwords are never kept in clear: a credential is its HA1 = MD5(user:realm:password).
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export interface Credential {
  username: string;
  realm: string;
  ha1: string;
}

export function md5(s: string): string {
  return createHash('md5').update(s, 'utf8').digest('hex');
}

export function makeCredential(username: string, password: string, realm: string): Credential {
  return { username, realm, ha1: md5(`${username}:${realm}:${password}`) };
}

export type ParsedAuthorization =
  | { scheme: 'Basic'; username: string; password: string }
  | {
      scheme: 'Digest';
      username: string;
      realm: string;
      nonce: string;
      uri: string;
      response: string;
      qop: string | undefined;
      nc: string | undefined;
      cnonce: string | undefined;
      algorithm: string | undefined;
    };

/** Parse an Authorization header; null when absent or not one we understand. */
export function parseAuthorization(header: string | undefined): ParsedAuthorization | null {
  if (header === undefined) return null;
  const space = header.indexOf(' ');
  if (space < 0) return null;
  const scheme = header.slice(0, space).toLowerCase();
  const rest = header.slice(space + 1).trim();
  if (scheme === 'basic') {
    let decoded: string;
    try {
      decoded = Buffer.from(rest, 'base64').toString('utf8');
    } catch {
      return null;
    }
    const colon = decoded.indexOf(':');
    if (colon < 0) return null;
    return { scheme: 'Basic', username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
  }
  if (scheme !== 'digest') return null;
  const params = parseAuthParams(rest);
  const { username, realm, nonce, uri, response } = params;
  if (username === undefined || realm === undefined || nonce === undefined || uri === undefined || response === undefined) {
    return null;
  }
  return {
    scheme: 'Digest',
    username,
    realm,
    nonce,
    uri,
    response,
    qop: params.qop,
    nc: params.nc,
    cnonce: params.cnonce,
    algorithm: params.algorithm,
  };
}

/** `key="quoted, value", key=token` lists of RFC 7235. */
export function parseAuthParams(s: string): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  const re = /([A-Za-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(s)) !== null) {
    const key = (m[1] ?? '').toLowerCase();
    out[key] = m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : m[3];
  }
  return out;
}

export interface NonceIssuerOptions {
  /** Signs nonces; share it between ACS processes so any of them accepts any nonce. */
  secret?: Buffer;
  /** A nonce older than this is stale. */
  lifetimeMs?: number;
}

export class NonceIssuer {
  readonly #secret: Buffer;
  readonly #lifetimeMs: number;

  constructor(opts: NonceIssuerOptions = {}) {
    this.#secret = opts.secret ?? randomBytes(32);
    this.#lifetimeMs = opts.lifetimeMs ?? 5 * 60_000;
  }

  /** A nonce for `binding` (the ACS: the device id it challenges; '' for none). */
  issue(now: number, binding = ''): string {
    const payload = `${now.toString(36)}.${randomBytes(8).toString('hex')}`;
    return `${payload}.${this.#sign(payload, binding)}`;
  }

  /**
   * 'ok', 'stale' (well signed but old: re-challenge with stale=true) or 'invalid' (forged,
   * from another secret, or issued for another binding).
   */
  check(nonce: string, now: number, binding = ''): 'ok' | 'stale' | 'invalid' {
    if (nonce.length > 128) return 'invalid';
    const last = nonce.lastIndexOf('.');
    if (last < 0) return 'invalid';
    const payload = nonce.slice(0, last);
    const sig = Buffer.from(nonce.slice(last + 1));
    const expected = Buffer.from(this.#sign(payload, binding));
    if (sig.length !== expected.length || !timingSafeEqual(sig, expected)) return 'invalid';
    const issued = parseInt(payload.split('.')[0] ?? '', 36);
    if (!Number.isFinite(issued) || issued > now + 60_000) return 'invalid';
    return now - issued > this.#lifetimeMs ? 'stale' : 'ok';
  }

  #sign(payload: string, binding: string): string {
    // The binding is length-prefixed so no (payload, binding) pair reads as another.
    return createHmac('sha256', this.#secret).update(`${binding.length}:${binding}|${payload}`).digest('base64url').slice(0, 22);
  }
}

/**
 * The highest `nc` accepted per nonce, in this process (bounded, oldest first out): a header
 * seen once is refused the second time. Nonces live minutes, so entries age out with them.
 * Another process does not see these counts; the device binding of the nonce still keeps a
 * replay to the device the header was made for.
 */
export class NonceCounter {
  readonly #seen = new Map<string, number>();
  readonly #max: number;

  constructor(max = 100_000) {
    this.#max = Math.max(1, max);
  }

  /** Accept `nc` (8 hex digits) for `nonce` when it is higher than any accepted before. */
  accept(nonce: string, nc: string): boolean {
    if (!/^[0-9a-fA-F]{8}$/.test(nc)) return false;
    const n = parseInt(nc, 16);
    const last = this.#seen.get(nonce);
    if (last !== undefined && n <= last) return false;
    this.#seen.delete(nonce);
    this.#seen.set(nonce, n);
    if (this.#seen.size > this.#max) this.#seen.delete(this.#seen.keys().next().value as string);
    return true;
  }
}

/**
 * Whether a Digest `uri` names the request's target: the same path and query, given as sent
 * (origin form) or as an absolute URI (RFC 7616 3.4: "the URI from the request-target").
 */
export function digestUriMatches(digestUri: string, requestTarget: string): boolean {
  if (digestUri === requestTarget) return true;
  if (!/^https?:\/\//i.test(digestUri)) return false;
  try {
    const u = new URL(digestUri);
    return `${u.pathname}${u.search}` === requestTarget;
  } catch {
    return false;
  }
}

export function digestChallenge(realm: string, nonce: string, stale: boolean): string {
  return `Digest realm="${realm}", qop="auth", nonce="${nonce}", algorithm=MD5${stale ? ', stale=true' : ''}`;
}

export function basicChallenge(realm: string): string {
  return `Basic realm="${realm}"`;
}

/** Check a Digest answer against a stored HA1. `method` is the HTTP method of the request. */
export function verifyDigest(auth: Extract<ParsedAuthorization, { scheme: 'Digest' }>, ha1: string, method: string): boolean {
  if (auth.algorithm !== undefined && auth.algorithm.toUpperCase() !== 'MD5') return false;
  // qop=auth only: RFC 2069 Digest (no qop) has no nc or cnonce, so nothing tells a replay.
  if (auth.qop !== 'auth' || auth.nc === undefined || auth.cnonce === undefined) return false;
  const ha2 = md5(`${method}:${auth.uri}`);
  const expected = md5(`${ha1}:${auth.nonce}:${auth.nc}:${auth.cnonce}:${auth.qop}:${ha2}`);
  return safeEqual(expected, auth.response.toLowerCase());
}

export function verifyBasic(auth: Extract<ParsedAuthorization, { scheme: 'Basic' }>, credential: Credential): boolean {
  return safeEqual(md5(`${auth.username}:${credential.realm}:${auth.password}`), credential.ha1) && auth.username === credential.username;
}

function safeEqual(a: string, b: string): boolean {
  const ba = Buffer.from(a);
  const bb = Buffer.from(b);
  return ba.length === bb.length && timingSafeEqual(ba, bb);
}
