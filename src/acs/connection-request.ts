/**
 * Connection requests (TR-069 3.2.2): a GET to the device's ConnectionRequestURL with
 * Digest authentication (Basic only when allowed), over HTTP or HTTPS, bounded in time. The
 * CPE answers 200/204 and opens a session with 6 CONNECTION REQUEST. A device behind a NAT
 * that reports a UDPConnectionRequestAddress gets a signed UDP request instead when HTTP
 * cannot reach it (Annex G, ./udp-connection-request.ts). A device we cannot reach simply
 * gets its tasks at its next Inform.
 *
 * The URL comes from the CPE (its Inform), so it is untrusted: only http: and https: are
 * followed, redirects are not, response bodies are discarded unread, and nothing is logged
 * but the outcome. Credentials: the device's ConnectionRequestUsername/Password as stored
 * (the ACS learns the password only by setting it), else the configured default.
 *
 * The Digest client is shared with the CPE library (src/http/auth-client.ts): one implementation.
 */
import http from 'node:http';
import https from 'node:https';
import { parseChallenges, respondTo, type Credentials } from '../http/auth-client.js';
import type { Store } from '../store/types.js';
import type { ConnectionRequestOutcome, ConnectionRequestRecord } from '../tasks/types.js';
import { ConnectionRequestLimiter, type BucketSpec } from './rate-limit.js';
import { sendUdpConnectionRequest, type UdpSendOptions } from './udp-connection-request.js';
import type { ReachStore } from '../store/reach.js';
import { reached, sendOverPaths } from '../reach/paths.js';
import type { XmppConnectionRequester } from '../reach/xmpp.js';

export interface ConnectionRequestOptions {
  /** Whole exchange, challenge included (default 5000 ms). */
  timeoutMs?: number;
  /** Answer a Basic challenge (the password crosses the wire in clear over http). Default false. */
  allowBasic?: boolean;
  /** Verify the CPE's certificate on https (default false: CPEs have self-signed ones). */
  verifyTls?: boolean;
  /**
   * UDP connection requests (Annex G) to devices that report a UDPConnectionRequestAddress,
   * when HTTP cannot reach them (no URL, or unreachable: a NAT). Default on; false: never.
   */
  udp?: UdpSendOptions | false;
}

export interface ConnectionRequestResult {
  outcome: ConnectionRequestOutcome;
  status?: number;
  detail?: string;
  /** Which path the outcome is of (src/reach/paths.ts). */
  path?: 'http' | 'udp' | 'xmpp';
}

interface Reply {
  status: number;
  authenticate: string | string[] | undefined;
}

function get(url: URL, headers: Record<string, string>, deadline: number, verifyTls: boolean): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const left = deadline - Date.now();
    if (left <= 0) return reject(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' }));
    const lib = url.protocol === 'https:' ? https : http;
    const req = lib.request(
      url,
      { method: 'GET', headers: { ...headers, 'user-agent': 'Flotilla-ACS' }, agent: false, ...(url.protocol === 'https:' ? { rejectUnauthorized: verifyTls } : {}) },
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

/** Send one connection request. Never throws. */
export async function sendConnectionRequest(
  rawUrl: string,
  credentials: Credentials | null,
  opts: ConnectionRequestOptions = {},
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
  try {
    const first = await get(url, {}, deadline, verifyTls);
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
    const second = await get(url, { authorization: authorize('GET', uri) }, deadline, verifyTls);
    if (second.status >= 200 && second.status < 300) return { outcome: 'answered', status: second.status };
    if (second.status === 401 || second.status === 403) return { outcome: 'auth-failed', status: second.status };
    return { outcome: 'refused', status: second.status };
  } catch (e) {
    const code = (e as { code?: string }).code;
    const detail = code === 'ETIMEDOUT' ? `timeout after ${timeoutMs} ms` : (code ?? (e instanceof Error ? e.message : 'error'));
    return { outcome: 'unreachable', detail };
  }
}

const MS_NAMES = [
  'ConnectionRequestURL',
  'ConnectionRequestUsername',
  'ConnectionRequestPassword',
  'UDPConnectionRequestAddress',
  'ConnReqJabberID',
  'ConnReqXMPPConnection',
  'NATDetected',
] as const;
const ROOTS = ['Device.', 'InternetGatewayDevice.'];

export interface ConnectionRequesterOptions extends ConnectionRequestOptions {
  store: Store;
  /** Used when the store knows no ConnectionRequestUsername/Password for the device. */
  defaultCredentials?: Credentials | null;
  perDevice?: BucketSpec;
  global?: BucketSpec;
  now?: () => number;
  /** STUN bindings and the path that last worked (src/store/reach.ts); UDP goes to the binding. */
  reach?: ReachStore;
  /** XMPP connection requests (Annex K), when the ACS has an XMPP account. */
  xmpp?: XmppConnectionRequester;
}

type Target = { url: string | null; udpAddress: string | null; jid: string | null; natDetected: boolean | null; credentials: Credentials | null };

/**
 * Connection requests for the NBI: where and how to reach a device (from the store), the
 * rate limits, and the outcome written on the tasks it was sent for.
 */
export class ConnectionRequester {
  readonly #opts: ConnectionRequesterOptions;
  readonly #limiter: ConnectionRequestLimiter;
  readonly #now: () => number;

  constructor(opts: ConnectionRequesterOptions) {
    this.#opts = opts;
    this.#now = opts.now ?? Date.now;
    this.#limiter = new ConnectionRequestLimiter(
      { ...(opts.perDevice ? { device: opts.perDevice } : {}), ...(opts.global ? { global: opts.global } : {}) },
      this.#now(),
    );
  }

  /** Where to reach a device, from its stored ManagementServer parameters. */
  async target(deviceId: string): Promise<Target> {
    const paths = ROOTS.flatMap((root) => MS_NAMES.map((n) => `${root}ManagementServer.${n}`));
    const page = await this.#opts.store.listDevices({ filters: [{ field: 'id', op: 'eq', value: deviceId }], parameters: paths, limit: 1 });
    const rows = page.devices[0]?.parameters ?? [];
    const value = (name: string): string | null => rows.find((r) => r.path.endsWith(`ManagementServer.${name}`))?.value ?? null;
    const url = value('ConnectionRequestURL');
    const udpAddress = value('UDPConnectionRequestAddress');
    const username = value('ConnectionRequestUsername');
    const password = value('ConnectionRequestPassword');
    const credentials =
      username !== null && username !== '' && password !== null && password !== ''
        ? { username, password }
        : (this.#opts.defaultCredentials ?? (username !== null && username !== '' ? { username, password: password ?? '' } : null));
    let jid = value('ConnReqJabberID');
    const xmppConnection = value('ConnReqXMPPConnection');
    if ((jid === null || jid.trim() === '') && xmppConnection !== null && /^Device\.XMPP\.Connection\.\d+\.?$/.test(xmppConnection)) {
      // TR-181: the JID of the XMPP connection the device uses for connection requests.
      const path = `${xmppConnection.replace(/\.?$/, '.')}JabberID`;
      const more = await this.#opts.store.listDevices({ filters: [{ field: 'id', op: 'eq', value: deviceId }], parameters: [path], limit: 1 });
      jid = more.devices[0]?.parameters?.find((r) => r.path === path)?.value ?? null;
    }
    const nat = value('NATDetected');
    return {
      url: url === null || url === '' ? null : url,
      udpAddress: udpAddress === null || udpAddress.trim() === '' ? null : udpAddress,
      jid: jid === null || jid.trim() === '' ? null : jid.trim(),
      natDetected: nat === null || nat === '' ? null : nat === '1' || nat === 'true',
      credentials,
    };
  }

  /** Paths in the order what we know suggests (src/reach/path-choice.ts); the STUN binding wins over the reported address. */
  async #sendByPath(deviceId: string, t: Target): Promise<ConnectionRequestResult> {
    const reach = (await this.#opts.reach?.get(deviceId)) ?? null;
    // A binding not refreshed for 3 h (the STUN server rewrites a kept one hourly) is no longer kept.
    const kept = reach?.binding ?? null;
    const b = kept !== null && this.#now() - kept.seenAt < 3 * 3_600_000 ? kept : null;
    const udp = this.#opts.udp;
    const xmpp = this.#opts.xmpp;
    const result = await sendOverPaths(
      {
        url: t.url,
        udpAddress: b !== null ? `${b.host.includes(':') ? `[${b.host}]` : b.host}:${b.port}` : t.udpAddress,
        udpFromBinding: b !== null,
        jid: t.jid,
        natDetected: b !== null ? b.natDetected : t.natDetected,
        lastPath: reach?.lastPath ?? null,
        bindingNewer: b !== null && (reach?.lastSuccessAt ?? 0) < b.changedAt,
      },
      t.credentials,
      {
        http: (url, creds) => sendConnectionRequest(url, creds, this.#opts),
        udp: udp === false ? null : (address, creds) => sendUdpConnectionRequest(address, creds, udp ?? {}),
        xmpp: xmpp === undefined ? null : (jid, creds) => xmpp.connectionRequest(jid, creds),
      },
    );
    if (reached(result) && result.path !== undefined) await this.#opts.reach?.recordSuccess(deviceId, result.path, this.#now()).catch(() => undefined);
    return result;
  }

  /**
   * Poke the device (rate limits first) and record the outcome on `taskIds`. Resolves with
   * the record; `rate-limited` comes with the wait in `detail` and `retryAfterMs`.
   */
  async request(
    deviceId: string,
    taskIds: string[] = [],
    opts: { paceGlobal?: boolean } = {},
  ): Promise<ConnectionRequestRecord & { retryAfterMs?: number }> {
    let admitted = this.#limiter.take(deviceId, this.#now());
    // Bulk senders wait their turn under the global limit instead of giving up.
    while (opts.paceGlobal === true && !admitted.ok && admitted.scope === 'global') {
      await new Promise((r) => setTimeout(r, Math.max(10, admitted.ok ? 0 : admitted.retryAfterMs)));
      admitted = this.#limiter.take(deviceId, this.#now());
    }
    let result: ConnectionRequestResult & { retryAfterMs?: number };
    if (!admitted.ok) {
      result = {
        outcome: 'rate-limited',
        detail: `${admitted.scope} connection-request limit; retry in ${Math.ceil(admitted.retryAfterMs / 1000)} s`,
        retryAfterMs: admitted.retryAfterMs,
      };
    } else {
      result = await this.#sendByPath(deviceId, await this.target(deviceId));
    }
    const record: ConnectionRequestRecord = {
      at: this.#now(),
      outcome: result.outcome,
      ...(result.status !== undefined ? { status: result.status } : {}),
      ...(result.detail !== undefined ? { detail: result.detail } : {}),
      ...(result.path !== undefined ? { path: result.path } : {}),
    };
    if (taskIds.length > 0) await this.#opts.store.recordConnectionRequest(taskIds, record);
    return { ...record, ...(result.retryAfterMs !== undefined ? { retryAfterMs: result.retryAfterMs } : {}) };
  }
}
