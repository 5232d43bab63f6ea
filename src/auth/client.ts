/**
 * HTTP authentication for the CPE side, small on purpose: the client answers Basic and
 * Digest challenges (RFC 7616 with qop=auth, cnonce and nc; MD5, MD5-sess, SHA-256) from the
 * ACS and from file servers, and the connection-request endpoint checks Digest (TR-069
 * 3.2.2 requires it there) with stateless nonces, so ten thousand endpoints keep no
 * per-request state.
 */
import { createHash, randomBytes } from 'node:crypto';
import { digestChallenge, makeCredential, NonceIssuer, parseAuthorization as parseServerAuthorization, verifyDigest } from './server.js';

export interface Credentials {
  username: string;
  password: string;
}

export interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

/**
 * Parse one or more WWW-Authenticate values. Node joins repeated headers with ", ", so a
 * new challenge is recognised as a bare token not followed by "=".
 */
export function parseChallenges(values: string | string[] | undefined): Challenge[] {
  const out: Challenge[] = [];
  for (const value of Array.isArray(values) ? values : values === undefined ? [] : [values]) {
    let current: Challenge | null = null;
    for (const item of tokenize(value)) {
      if (item.key === undefined) {
        current = { scheme: item.value.toLowerCase(), params: {} };
        out.push(current);
      } else if (current !== null) {
        current.params[item.key.toLowerCase()] = item.value;
      }
    }
  }
  return out;
}

function* tokenize(s: string): Generator<{ key?: string; value: string }> {
  let i = 0;
  const n = s.length;
  while (i < n) {
    while (i < n && (s[i] === ' ' || s[i] === ',' || s[i] === '\t')) i++;
    const start = i;
    while (i < n && s[i] !== '=' && s[i] !== ' ' && s[i] !== ',') i++;
    const token = s.slice(start, i);
    if (token === '') {
      i++;
      continue;
    }
    let j = i;
    while (j < n && s[j] === ' ') j++;
    if (s[j] !== '=') {
      yield { value: token };
      continue;
    }
    i = j + 1;
    while (i < n && s[i] === ' ') i++;
    if (s[i] === '"') {
      let v = '';
      i++;
      while (i < n && s[i] !== '"') {
        if (s[i] === '\\' && i + 1 < n) i++;
        v += s[i];
        i++;
      }
      i++;
      yield { key: token, value: v };
    } else {
      const vs = i;
      while (i < n && s[i] !== ',') i++;
      yield { key: token, value: s.slice(vs, i).trim() };
    }
  }
}

export function basicAuthorization(c: Credentials): string {
  return `Basic ${Buffer.from(`${c.username}:${c.password}`, 'utf8').toString('base64')}`;
}

type DigestAlgorithm = 'md5' | 'sha256';

function hashFor(algorithm: string | undefined): DigestAlgorithm | null {
  const a = (algorithm ?? 'MD5').toUpperCase();
  if (a === 'MD5' || a === 'MD5-SESS') return 'md5';
  if (a === 'SHA-256' || a === 'SHA-256-SESS') return 'sha256';
  return null;
}

function h(alg: DigestAlgorithm, s: string): string {
  return createHash(alg).update(s, 'utf8').digest('hex');
}

/**
 * Answers one Digest challenge for as many requests as the server accepts it: `nc` counts
 * up, so a session pays the 401 round trip once, not on every POST.
 */
export class DigestResponder {
  readonly #params: Record<string, string>;
  readonly #alg: DigestAlgorithm;
  readonly #creds: Credentials;
  #nc = 0;

  private constructor(params: Record<string, string>, alg: DigestAlgorithm, creds: Credentials) {
    this.#params = params;
    this.#alg = alg;
    this.#creds = creds;
  }

  static from(challenge: Challenge, creds: Credentials): DigestResponder | null {
    if (challenge.scheme !== 'digest' || challenge.params.nonce === undefined) return null;
    const alg = hashFor(challenge.params.algorithm);
    return alg === null ? null : new DigestResponder(challenge.params, alg, creds);
  }

  authorization(method: string, uri: string): string {
    const p = this.#params;
    const realm = p.realm ?? '';
    const nonce = p.nonce ?? '';
    const qops = (p.qop ?? '').split(',').map((q) => q.trim());
    const useQop = qops.includes('auth');
    const nc = (++this.#nc).toString(16).padStart(8, '0');
    const cnonce = randomBytes(8).toString('hex');
    let ha1 = h(this.#alg, `${this.#creds.username}:${realm}:${this.#creds.password}`);
    if ((p.algorithm ?? '').toUpperCase().endsWith('-SESS')) ha1 = h(this.#alg, `${ha1}:${nonce}:${cnonce}`);
    const ha2 = h(this.#alg, `${method}:${uri}`);
    // Without qop this is RFC 2069 Digest, which some old servers still send.
    const response = useQop ? h(this.#alg, `${ha1}:${nonce}:${nc}:${cnonce}:auth:${ha2}`) : h(this.#alg, `${ha1}:${nonce}:${ha2}`);
    const parts = [
      `username="${quote(this.#creds.username)}"`,
      `realm="${quote(realm)}"`,
      `nonce="${quote(nonce)}"`,
      `uri="${quote(uri)}"`,
      `response="${response}"`,
    ];
    if (p.algorithm !== undefined) parts.push(`algorithm=${p.algorithm}`);
    if (p.opaque !== undefined) parts.push(`opaque="${quote(p.opaque)}"`);
    if (useQop) parts.push('qop=auth', `nc=${nc}`, `cnonce="${cnonce}"`);
    return `Digest ${parts.join(', ')}`;
  }
}

function quote(s: string): string {
  return s.replace(/["\\]/g, (c) => `\\${c}`);
}

/**
 * The answer to a 401: Digest when offered (it never sends the password), else Basic.
 * Returns a function producing the Authorization header for each later request.
 */
export function respondTo(
  challenges: Challenge[],
  creds: Credentials,
): ((method: string, uri: string) => string) | null {
  for (const c of challenges) {
    const digest = DigestResponder.from(c, creds);
    if (digest !== null) return (method, uri) => digest.authorization(method, uri);
  }
  if (challenges.some((c) => c.scheme === 'basic')) {
    const header = basicAuthorization(creds);
    return () => header;
  }
  return null;
}

/**
 * The server side of Digest for connection requests, on the ACS's own Digest primitives
 * (src/auth/server.ts: stateless signed nonces, RFC 7616 check), so the project verifies
 * Digest one way. A nonce older than `maxAgeMs` gets a fresh challenge marked stale.
 */
export class DigestVerifier {
  readonly realm: string;
  readonly #nonces: NonceIssuer;

  constructor(realm: string, opts: { secret?: Buffer; maxAgeMs?: number } = {}) {
    this.realm = realm;
    this.#nonces = new NonceIssuer({ secret: opts.secret, lifetimeMs: opts.maxAgeMs ?? 300_000 });
  }

  challenge(now: number, stale = false): string {
    return digestChallenge(this.realm, this.#nonces.issue(now), stale);
  }

  /** 'ok', 'stale' (right password, old nonce) or 'denied'. */
  verify(header: string | undefined, method: string, creds: Credentials, now: number): 'ok' | 'stale' | 'denied' {
    const auth = parseServerAuthorization(header);
    if (auth === null || auth.scheme !== 'Digest' || auth.username !== creds.username || auth.realm !== this.realm) return 'denied';
    const nonce = this.#nonces.check(auth.nonce, now);
    if (nonce === 'invalid' || !verifyDigest(auth, makeCredential(creds.username, creds.password, this.realm).ha1, method)) return 'denied';
    return nonce;
  }
}
