/**
 * HTTP connection requests (TR-069 3.2.2): a GET to the device's ConnectionRequestURL with
 * Digest authentication (Basic only when allowed), over HTTP or HTTPS, bounded in time. The
 * CPE answers 200/204 and opens a session with 6 CONNECTION REQUEST. Which path a request
 * takes (this one, UDP for a device behind a NAT) is ./requester.ts's choice.
 *
 * The URL comes from the CPE (its Inform), so it is untrusted: only http: and https: are
 * followed, redirects are not, response bodies are discarded unread, and nothing is logged
 * but the outcome. Before anything is sent, `admit` (the requester's target guard,
 * ./target-guard.ts) decides whether the host may be contacted at all and with which
 * credentials; the connection then goes to the address it checked, whatever DNS says later.
 *
 * The Digest client is shared with the CPE library (src/auth/client.ts): one implementation.
 */
import http from 'node:http';
import https from 'node:https';
import { parseChallenges, respondTo, type Credentials } from '../auth/client.js';
import type { ConnectionRequestResult } from './types.js';

export interface ConnectionRequestOptions {
  /** Whole exchange, challenge included (default 5000 ms). */
  timeoutMs?: number;
  /** Answer a Basic challenge (the password crosses the wire in clear over http). Default false. */
  allowBasic?: boolean;
  /** Verify the CPE's certificate on https (default false: CPEs have self-signed ones). */
  verifyTls?: boolean;
}

/** The requester's word on a target: where to connect, and the credentials it may receive. */
export type Admission = { ok: true; address: string; family: 4 | 6; credentials: Credentials | null } | { ok: false; detail: string };

interface Reply {
  status: number;
  authenticate: string | string[] | undefined;
}

type Pin = { address: string; family: 4 | 6 } | null;

/** A lookup that answers the checked address only (net asks with `all` when it races families). */
function pinnedLookup(pin: { address: string; family: 4 | 6 }) {
  return (_host: string, opts: { all?: boolean }, cb: (...args: unknown[]) => void): void => {
    if (opts.all === true) cb(null, [pin]);
    else cb(null, pin.address, pin.family);
  };
}

function get(url: URL, headers: Record<string, string>, deadline: number, verifyTls: boolean, pin: Pin): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const left = deadline - Date.now();
    if (left <= 0) return reject(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' }));
    const lib = url.protocol === 'https:' ? https : http;
    const req = lib.request(
      url,
      {
        method: 'GET',
        headers: { ...headers, 'user-agent': 'Flotilla-ACS' },
        agent: false,
        ...(pin !== null ? { lookup: pinnedLookup(pin) as never } : {}),
        ...(url.protocol === 'https:' ? { rejectUnauthorized: verifyTls } : {}),
      },
      (res) => {
        res.resume();
        resolve({ status: res.statusCode ?? 0, authenticate: res.headers['www-authenticate'] });
      },
    );
    const timer = setTimeout(() => req.destroy(Object.assign(new Error(`timeout after ${left} ms`), { code: 'ETIMEDOUT' })), left);
    req.on('close', () => clearTimeout(timer));
    req.on('error', reject);
    req.end();
  });
}

/**
 * Send one connection request. Never throws. With `admit`, a target it refuses is not
 * contacted ('blocked'), and the credentials are the ones it hands back.
 */
export async function sendConnectionRequest(
  rawUrl: string,
  given: Credentials | null,
  opts: ConnectionRequestOptions & { admit?: (host: string, port: number) => Promise<Admission> } = {},
): Promise<ConnectionRequestResult> {
  let url: URL;
  try {
    url = new URL(rawUrl);
  } catch {
    return { outcome: 'no-url', detail: 'ConnectionRequestURL is not a URL' };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return { outcome: 'no-url', detail: `unsupported scheme ${url.protocol}` };
  const timeoutMs = opts.timeoutMs ?? 5_000;
  const deadline = Date.now() + timeoutMs;
  const verifyTls = opts.verifyTls === true;
  const uri = `${url.pathname}${url.search}`;
  let credentials = given;
  let pin: Pin = null;
  if (opts.admit !== undefined) {
    const port = url.port !== '' ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
    const admitted = await opts.admit(url.hostname, port);
    if (!admitted.ok) return { outcome: 'blocked', detail: admitted.detail };
    credentials = admitted.credentials;
    pin = { address: admitted.address, family: admitted.family };
  }
  try {
    const first = await get(url, {}, deadline, verifyTls, pin);
    if (first.status >= 200 && first.status < 300) return { outcome: 'answered', status: first.status };
    if (first.status !== 401) return { outcome: 'refused', status: first.status };
    if (credentials === null) return { outcome: 'auth-failed', status: 401, detail: 'no connection-request credentials known' };
    let challenges = parseChallenges(first.authenticate);
    const basicOnly = challenges.every((c) => c.scheme !== 'digest');
    if (opts.allowBasic !== true) challenges = challenges.filter((c) => c.scheme !== 'basic');
    const authorize = respondTo(challenges, credentials);
    if (authorize === null) {
      return { outcome: 'auth-failed', status: 401, detail: basicOnly ? 'the CPE offers only Basic, which is not allowed' : 'no usable challenge' };
    }
    const second = await get(url, { authorization: authorize('GET', uri) }, deadline, verifyTls, pin);
    if (second.status >= 200 && second.status < 300) return { outcome: 'answered', status: second.status };
    if (second.status === 401 || second.status === 403) return { outcome: 'auth-failed', status: second.status };
    return { outcome: 'refused', status: second.status };
  } catch (e) {
    const code = (e as { code?: string }).code;
    const detail = code === 'ETIMEDOUT' ? `timeout after ${timeoutMs} ms` : (code ?? (e instanceof Error ? e.message : 'error'));
    return { outcome: 'unreachable', detail };
  }
}
