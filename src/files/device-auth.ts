/**
 * Who is calling, for the endpoints devices reach outside CWMP (the transfer endpoint, the
 * bulk data receiver): a signed URL (./signing.ts: resource, device, action, expiry under the
 * files secret; no store read) or the device's own credential (Digest with stateless nonces,
 * or Basic over TLS), found by username. A refusal carries its HTTP status and headers (a 401
 * with a fresh Digest challenge), so each endpoint answers it the same way.
 */
import type { IncomingMessage } from 'node:http';
import {
  basicChallenge,
  digestChallenge,
  digestUriMatches,
  NonceCounter,
  NonceIssuer,
  parseAuthorization,
  verifyBasic,
  verifyDigest,
  type ParsedAuthorization,
} from '../auth/server.js';
import type { Store } from '../store/types.js';
import type { Grant, UrlSigner } from './signing.js';

/** Who a request proved to be. */
export interface DeviceCaller {
  deviceId: string;
  auth: 'signed' | 'digest' | 'basic';
  /** The signed grant's CommandKey; null with a credential. */
  commandKey: string | null;
  /** The signed grant (null with a credential). */
  grant: Grant | null;
}

export class Refusal extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export interface DeviceAuthOptions {
  store: Pick<Store, 'getCpeCredentialByUsername'>;
  signer: UrlSigner;
  /** Digest realm (the CWMP endpoint's, so a device's stored HA1 fits). */
  realm: string;
  /** The endpoint is HTTPS (Basic is then accepted). */
  tls: boolean;
  /** Accept Basic over plain HTTP (the password crosses in clear). */
  allowBasicOverHttp?: boolean;
  /** Digest nonces: share the secret between processes so any accepts any nonce. */
  nonceSecret?: Buffer;
  now: () => number;
}

export class DeviceAuth {
  readonly #o: DeviceAuthOptions;
  readonly #nonces: NonceIssuer;
  readonly #counter = new NonceCounter();
  readonly #basicAllowed: boolean;

  constructor(opts: DeviceAuthOptions) {
    this.#o = opts;
    this.#nonces = new NonceIssuer(opts.nonceSecret !== undefined ? { secret: opts.nonceSecret } : {});
    this.#basicAllowed = opts.tls || opts.allowBasicOverHttp === true;
  }

  /** The WWW-Authenticate header of a 401. */
  challenge(stale = false): Record<string, string> {
    const headers = [digestChallenge(this.#o.realm, this.#nonces.issue(this.#o.now()), stale)];
    if (this.#basicAllowed) headers.push(basicChallenge(this.#o.realm));
    return { 'www-authenticate': headers.join(', ') };
  }

  /**
   * The caller of `req` for `resource` (a file id, a bulk data profile id) and `action`: by the
   * signed query when it has one (`s`), else by the Authorization header. Throws a Refusal.
   */
  async identify(req: IncomingMessage, resource: string, action: Grant['action'], query: URLSearchParams): Promise<DeviceCaller> {
    if (query.has('s')) {
      const checked = this.#o.signer.check(resource, action, query, this.#o.now());
      if (checked.ok) return { deviceId: checked.grant.deviceId, auth: 'signed', commandKey: checked.grant.commandKey, grant: checked.grant };
      if (checked.reason === 'malformed expiry' || checked.reason === 'not signed') throw new Refusal(400, `signed URL: ${checked.reason}`);
      throw new Refusal(403, `signed URL: ${checked.reason}`);
    }
    const auth = parseAuthorization(req.headers.authorization);
    if (auth === null) {
      if (req.headers.authorization !== undefined) throw new Refusal(401, 'unreadable Authorization', this.challenge());
      throw new Refusal(401, 'no credentials', this.challenge());
    }
    return this.#byCredential(req, auth);
  }

  /** The device a credential names, or a refusal. */
  async #byCredential(req: IncomingMessage, auth: ParsedAuthorization): Promise<DeviceCaller> {
    const now = this.#o.now();
    if (auth.scheme === 'Basic' && !this.#basicAllowed) throw new Refusal(401, 'Basic over plain HTTP is refused: use Digest', this.challenge());
    if (auth.scheme === 'Digest') {
      if (auth.realm !== this.#o.realm) throw new Refusal(401, 'wrong realm', this.challenge());
      const fresh = this.#nonces.check(auth.nonce, now);
      if (fresh === 'stale') throw new Refusal(401, 'stale nonce', this.challenge(true));
      if (fresh === 'invalid') throw new Refusal(401, 'invalid nonce', this.challenge());
      if (!digestUriMatches(auth.uri, req.url ?? '')) throw new Refusal(400, 'digest uri does not name this request');
    }
    const found = await this.#o.store.getCpeCredentialByUsername(auth.username);
    const ok =
      found !== null &&
      (auth.scheme === 'Digest' ? verifyDigest(auth, found.credential.ha1, req.method ?? 'GET') : verifyBasic(auth, found.credential));
    if (!ok || found === null) throw new Refusal(401, 'wrong credentials', this.challenge());
    // After the check: a replayed header is refused, a wrong one never counts.
    if (auth.scheme === 'Digest' && !this.#counter.accept(auth.nonce, auth.nc ?? '')) throw new Refusal(401, 'replayed nonce count', this.challenge());
    return { deviceId: found.deviceId, auth: auth.scheme === 'Digest' ? 'digest' : 'basic', commandKey: null, grant: null };
  }
}
