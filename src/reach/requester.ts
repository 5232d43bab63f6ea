/**
 * The one entry for connection requests: where a device can be reached (its stored
 * ManagementServer parameters), the rate limits (./rate-limit.ts), the path (HTTP first,
 * ./http.ts; UDP through a NAT, ./udp.ts, when HTTP has no URL or cannot reach it), and the
 * outcome written on the tasks the request was sent for. New paths (STUN-assisted UDP, XMPP)
 * join the choice in #sendByPath (./paths.ts); callers see only ConnectionRequester.
 */
import type { Credentials } from '../auth/client.js';
import type { Sealer } from '../auth/sealing.js';
import type { Store } from '../store/types.js';
import type { ConnectionRequestRecord } from '../tasks/types.js';
import { sendConnectionRequest, type Admission, type ConnectionRequestOptions } from './http.js';
import { SESSION_SOURCE_PATH, TargetGuard, type TargetGuardOptions } from './target-guard.js';
import { ConnectionRequestLimiter, type BucketSpec } from './rate-limit.js';
import type { ConnectionRequestResult } from './types.js';
import { sendUdpConnectionRequest, type UdpSendOptions } from './udp.js';
import type { ReachStore } from '../store/reach.js';
import { reached, sendOverPaths } from './paths.js';
import type { XmppConnectionRequester } from './xmpp.js';
import { connectionRequests } from '../metrics/registry.js';

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
  /**
   * UDP connection requests (Annex G) to devices that report a UDPConnectionRequestAddress,
   * when HTTP cannot reach them (no URL, or unreachable: a NAT). Default on; false: never.
   */
  udp?: UdpSendOptions | false;
  /**
   * Used when the store knows no ConnectionRequestUsername/Password for the device, and only
   * toward the address the device's sessions (or STUN binding) come from: never to an address
   * the device merely reported (an allowed-CIDR target gets the device's own credential only).
   */
  defaultCredentials?: Credentials | null;
  /** Where requests may go (./target-guard.ts): allowed CIDRs, this ACS's own endpoints. */
  targets?: TargetGuardOptions;
  /**
   * Opens the connection-request passwords the ACS handed out (src/auth/sealing.ts). With it,
   * a device that has its own connection-request credentials is reached with them, and only them.
   */
  sealer?: Sealer | null;
  perDevice?: BucketSpec;
  global?: BucketSpec;
  now?: () => number;
  /** STUN bindings and the path that last worked (src/store/reach.ts); UDP goes to the binding. */
  reach?: ReachStore;
  /** XMPP connection requests (Annex K), when the ACS has an XMPP account. */
  xmpp?: XmppConnectionRequester;
}

type Target = {
  url: string | null;
  udpAddress: string | null;
  jid: string | null;
  natDetected: boolean | null;
  /** The device's own (or the default, for XMPP and for observed addresses only). */
  credentials: Credentials | null;
  /** Only what the store knows of this device. */
  ownCredentials: Credentials | null;
  /** The address its last session came from (SESSION_SOURCE_PATH). */
  sessionSource: string | null;
};

/**
 * Connection requests for the services above (task creation): where and how to reach a
 * device (from the store), the rate limits, and the outcome written on the tasks it was sent for.
 */
export class ConnectionRequester {
  readonly #opts: ConnectionRequesterOptions;
  readonly #limiter: ConnectionRequestLimiter;
  readonly #now: () => number;
  readonly guard: TargetGuard;

  constructor(opts: ConnectionRequesterOptions) {
    this.#opts = opts;
    this.#now = opts.now ?? Date.now;
    this.guard = new TargetGuard(opts.targets ?? {});
    this.#limiter = new ConnectionRequestLimiter(
      { ...(opts.perDevice ? { device: opts.perDevice } : {}), ...(opts.global ? { global: opts.global } : {}) },
      this.#now(),
    );
  }

  /** Where to reach a device, from its stored ManagementServer parameters. */
  async target(deviceId: string): Promise<Target> {
    const paths = [...ROOTS.flatMap((root) => MS_NAMES.map((n) => `${root}ManagementServer.${n}`)), SESSION_SOURCE_PATH];
    const page = await this.#opts.store.listDevices({ filters: [{ field: 'id', op: 'eq', value: deviceId }], parameters: paths, limit: 1 });
    const rows = page.devices[0]?.parameters ?? [];
    const value = (name: string): string | null => rows.find((r) => r.path.endsWith(`ManagementServer.${name}`))?.value ?? null;
    const url = value('ConnectionRequestURL');
    const udpAddress = value('UDPConnectionRequestAddress');
    const username = value('ConnectionRequestUsername');
    const password = value('ConnectionRequestPassword');
    const sealed = await this.#ownCredentials(deviceId);
    const own = sealed ?? (username !== null && username !== '' && password !== null && password !== '' ? { username, password } : null);
    const credentials = own ?? this.#opts.defaultCredentials ?? (username !== null && username !== '' ? { username, password: password ?? '' } : null);
    const source = rows.find((r) => r.path === SESSION_SOURCE_PATH)?.value ?? null;
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
      ownCredentials: own,
      sessionSource: source === '' ? null : source,
    };
  }

  /**
   * The connection-request credentials the ACS gave the device (or imported), opened. A pending
   * set wins: the CPE applied it when it acknowledged the SetParameterValues, before it first
   * used the new CPE→ACS password that promotes it.
   */
  async #ownCredentials(deviceId: string): Promise<Credentials | null> {
    const sealer = this.#opts.sealer;
    if (sealer == null) return null;
    const state = await this.#opts.store.getDeviceCredentials(deviceId);
    const cr = state?.pending?.connectionRequest ?? state?.current.connectionRequest ?? null;
    if (cr === null) return null;
    const password = sealer.open(cr.sealed, deviceId);
    return password === null ? null : { username: cr.username, password };
  }

  /** Paths in the order what we know suggests (./path-choice.ts); the STUN binding wins over the reported address. */
  async #sendByPath(deviceId: string, t: Target): Promise<ConnectionRequestResult> {
    const reach = (await this.#opts.reach?.get(deviceId)) ?? null;
    // A binding not refreshed for 3 h (the STUN server rewrites a kept one hourly) is no longer kept.
    const kept = reach?.binding ?? null;
    const b = kept !== null && this.#now() - kept.seenAt < 3 * 3_600_000 ? kept : null;
    const udp = this.#opts.udp;
    const xmpp = this.#opts.xmpp;
    // Where the device is seen: its sessions' source, and for UDP the binding STUN saw.
    const seenHttp = t.sessionSource === null ? [] : [t.sessionSource];
    const seenUdp = b === null ? seenHttp : [...seenHttp, b.host];
    const admit =
      (seen: string[]) =>
      async (host: string, port: number): Promise<Admission> => {
        const v = await this.guard.check(host, port, seen);
        if (!v.ok) return v;
        // A fleet-wide default goes only where the device was seen, never to a reported address.
        const credentials = t.ownCredentials ?? (v.observed ? t.credentials : null);
        return { ok: true, address: v.address, family: v.family, credentials };
      };
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
        http: (url, creds) => sendConnectionRequest(url, creds, { ...this.#opts, admit: admit(seenHttp) }),
        udp: udp === false ? null : (address, creds) => sendUdpConnectionRequest(address, creds, { ...(udp ?? {}), admit: admit(seenUdp) }),
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
    connectionRequests.inc({ path: result.path ?? 'none', outcome: result.outcome });
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
