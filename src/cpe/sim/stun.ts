/**
 * STUN for simulated CPEs (TR-069 Annex G): each device keeps its binding from its UDP
 * connection-request socket, with the settings in its own ManagementServer parameters, as
 * the ACS configures them (STUNEnable, STUNServerAddress/Port, STUNUsername/Password,
 * STUNMinimumKeepAlivePeriod). A changed binding becomes UDPConnectionRequestAddress and
 * NATDetected, and a session with 4 VALUE CHANGE.
 */
import type { TemplateCpe } from '../client/create.js';
import { StunBindingClient, type StunConfig } from '../client/stun-client.js';
import type { UdpConnectionRequestListener } from '../client/udp-connection-request.js';

export interface FleetStunOptions {
  /** STUN server the devices start with (the ACS may set another). */
  host: string;
  port: number;
  /** STUNMinimumKeepAlivePeriod the devices start with (seconds). */
  keepAliveSeconds?: number;
  /** Start with these STUN credentials (tests, benchmarks); otherwise the ACS sets them. */
  credentials?: (serialNumber: string) => { username: string; password: string } | null;
  /** Initial ManagementServer values (used by the fleet). */
  initial: (ms: string, serialNumber: string, has: (path: string) => boolean) => Record<string, string>;
}

/** Fleet options for `--stun host:port`. */
export function fleetStun(host: string, port: number, keepAliveSeconds = 30, credentials?: FleetStunOptions['credentials']): FleetStunOptions {
  return {
    host,
    port,
    keepAliveSeconds,
    ...(credentials ? { credentials } : {}),
    initial: (ms, serial, has) => {
      const out: Record<string, string> = {};
      const put = (n: string, v: string): void => {
        if (has(`${ms}${n}`)) out[`${ms}${n}`] = v;
      };
      put('STUNEnable', '1');
      put('STUNServerAddress', host);
      put('STUNServerPort', String(port));
      put('STUNMinimumKeepAlivePeriod', String(keepAliveSeconds));
      const c = credentials?.(serial) ?? null;
      if (c !== null) {
        put('STUNUsername', c.username);
        put('STUNPassword', c.password);
      }
      return out;
    },
  };
}

export interface StunHandle {
  client: StunBindingClient;
  close(): Promise<void>;
}

export function attachStun(
  _o: FleetStunOptions,
  udp: UdpConnectionRequestListener,
  late: { cpe?: TemplateCpe },
  ms: string,
  localHost: string,
  sink: { handle: (d: Buffer) => void },
): StunHandle {
  const param = (n: string): string => late.cpe?.model.get(`${ms}${n}`)?.value ?? '';
  const config = (): StunConfig => {
    const enabled = param('STUNEnable');
    return {
      enabled: enabled === '1' || enabled === 'true',
      host: param('STUNServerAddress'),
      port: Number(param('STUNServerPort')) || 3478,
      username: param('STUNUsername'),
      password: param('STUNPassword'),
      keepAliveSeconds: Number(param('STUNMinimumKeepAlivePeriod')) || 30,
    };
  };
  const client = new StunBindingClient({
    config,
    send: (d, port, host) => udp.send(d, port, host),
    localHost,
    onBinding: ({ address, natDetected }) => {
      const cpe = late.cpe;
      if (cpe === undefined) return;
      const changed = param('UDPConnectionRequestAddress') !== address;
      cpe.setValue(`${ms}UDPConnectionRequestAddress`, address);
      if (cpe.model.get(`${ms}NATDetected`) !== undefined) cpe.model.setInternal(`${ms}NATDetected`, natDetected ? '1' : '0');
      // Annex G: the ACS must hear of the new address (active notification on it).
      if (changed && cpe.phase !== 'off') cpe.inform('4 VALUE CHANGE');
    },
  });
  sink.handle = (d) => client.handle(d);
  return {
    client,
    close: async () => client.stop(),
  };
}
