/**
 * The one entry for connection requests: where a device can be reached (its stored
 * ManagementServer parameters), the rate limits (./rate-limit.ts), the path (HTTP first,
 * ./http.ts; UDP through a NAT, ./udp.ts, when HTTP has no URL or cannot reach it), and the
 * outcome written on the tasks the request was sent for. New paths (STUN-assisted UDP, XMPP)
 * join the choice in #send; callers see only ConnectionRequester.
 */
import type { Credentials } from '../auth/client.js';
import type { Store } from '../store/types.js';
import type { ConnectionRequestRecord } from '../tasks/types.js';
import { sendConnectionRequest, type ConnectionRequestOptions } from './http.js';
import { ConnectionRequestLimiter, type BucketSpec } from './rate-limit.js';
import type { ConnectionRequestResult } from './types.js';
import { sendUdpConnectionRequest, type UdpSendOptions } from './udp.js';

const MS_NAMES = ['ConnectionRequestURL', 'ConnectionRequestUsername', 'ConnectionRequestPassword', 'UDPConnectionRequestAddress'] as const;
const ROOTS = ['Device.', 'InternetGatewayDevice.'];

export interface ConnectionRequesterOptions extends ConnectionRequestOptions {
  store: Store;
  /**
   * UDP connection requests (Annex G) to devices that report a UDPConnectionRequestAddress,
   * when HTTP cannot reach them (no URL, or unreachable: a NAT). Default on; false: never.
   */
  udp?: UdpSendOptions | false;
  /** Used when the store knows no ConnectionRequestUsername/Password for the device. */
  defaultCredentials?: Credentials | null;
  perDevice?: BucketSpec;
  global?: BucketSpec;
  now?: () => number;
}

/**
 * Connection requests for the services above (task creation): where and how to reach a
 * device (from the store), the rate limits, and the outcome written on the tasks it was sent for.
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
  async target(deviceId: string): Promise<{ url: string | null; udpAddress: string | null; credentials: Credentials | null }> {
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
    return { url: url === null || url === '' ? null : url, udpAddress: udpAddress === null || udpAddress.trim() === '' ? null : udpAddress, credentials };
  }

  /** HTTP first; UDP when HTTP has no URL or cannot reach the device and it has a UDP address. */
  async #send(t: { url: string | null; udpAddress: string | null; credentials: Credentials | null }): Promise<ConnectionRequestResult> {
    const http: ConnectionRequestResult =
      t.url === null ? { outcome: 'no-url', detail: 'no ConnectionRequestURL stored' } : await sendConnectionRequest(t.url, t.credentials, this.#opts);
    const udp = this.#opts.udp;
    if (udp === false || t.udpAddress === null || (http.outcome !== 'no-url' && http.outcome !== 'unreachable')) return http;
    // The UDP message is signed with the device's credentials: without them it would be ignored.
    if (t.credentials === null) return { ...http, detail: `${http.detail ?? http.outcome}; no credentials to sign a UDP connection request` };
    const sent = await sendUdpConnectionRequest(t.udpAddress, t.credentials, udp ?? {});
    return t.url === null ? sent : { ...sent, detail: `HTTP ${http.detail ?? 'unreachable'}; ${sent.detail ?? ''}` };
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
      result = await this.#send(await this.target(deviceId));
    }
    const record: ConnectionRequestRecord = {
      at: this.#now(),
      outcome: result.outcome,
      ...(result.status !== undefined ? { status: result.status } : {}),
      ...(result.detail !== undefined ? { detail: result.detail } : {}),
    };
    if (taskIds.length > 0) await this.#opts.store.recordConnectionRequest(taskIds, record);
    return { ...record, ...(result.retryAfterMs !== undefined ? { retryAfterMs: result.retryAfterMs } : {}) };
  }
}
