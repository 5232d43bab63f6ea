/**
 * How the ACS configures reachability on a device: the parameter values of one
 * SetParameterValues task. These functions are the shipped "policy" until the policy engine
 * exists: it (or anything else) calls them to get the task body; the API exposes them as
 * POST /api/v1/devices/{id}/reach/configure (src/nbi/routes/reach.ts).
 *
 * - STUN (Annex G): STUNEnable, STUNServerAddress/Port, STUNUsername/Password (derived per
 *   device, stun-credentials.ts, so the STUN server checks them without a store read) and
 *   STUNMinimumKeepAlivePeriod.
 * - XMPP (Annex K): ConnReqAllowedJabberIDs (the ACS's JID, so no one else can wake it).
 */
import type { StunCredentials } from './stun-credentials.js';

export type ParameterValue = [path: string, value: string, xsdType: string];

export interface StunSettings {
  serverAddress: string;
  serverPort?: number;
  /** STUNMinimumKeepAlivePeriod, seconds (default 30: most NATs forget a UDP mapping after 30–60 s). */
  keepAliveSeconds?: number;
}

export function stunParameterValues(root: string, deviceId: string, s: StunSettings, credentials: StunCredentials): ParameterValue[] {
  const ms = `${root}ManagementServer.`;
  const username = credentials.username(deviceId);
  return [
    [`${ms}STUNEnable`, 'true', 'xsd:boolean'],
    [`${ms}STUNServerAddress`, s.serverAddress, 'xsd:string'],
    [`${ms}STUNServerPort`, String(s.serverPort ?? 3478), 'xsd:unsignedInt'],
    [`${ms}STUNUsername`, username, 'xsd:string'],
    [`${ms}STUNPassword`, credentials.password(username), 'xsd:string'],
    [`${ms}STUNMinimumKeepAlivePeriod`, String(s.keepAliveSeconds ?? 30), 'xsd:unsignedInt'],
  ];
}

/**
 * Annex G: the ACS must hear at once when the binding changes, so UDPConnectionRequestAddress
 * gets Active notification (2): a setParameterAttributes task body.
 */
export function bindingNotification(root: string): { name: string; notification: number }[] {
  return [{ name: `${root}ManagementServer.UDPConnectionRequestAddress`, notification: 2 }];
}

export function xmppParameterValues(root: string, allowedJids: string[]): ParameterValue[] {
  return [[`${root}ManagementServer.ConnReqAllowedJabberIDs`, allowedJids.join(','), 'xsd:string']];
}

/** The data model root of a device, from a parameter path it has. */
export function rootOf(anyPath: string): string {
  return anyPath.startsWith('InternetGatewayDevice.') ? 'InternetGatewayDevice.' : 'Device.';
}
