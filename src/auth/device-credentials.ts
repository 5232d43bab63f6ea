/**
 * A device's own credentials, as the ACS hands them out: random (CSPRNG) and different for
 * every device. The CPE gets the clear values once, in a SetParameterValues; the store keeps
 * the CPE→ACS password only as its Digest HA1 and the connection-request password sealed.
 */
import { randomBytes } from 'node:crypto';
import type { CredentialSet } from '../store/types.js';
import type { Sealer } from './sealing.js';
import { makeCredential } from './server.js';

export interface IssuedCredentials {
  /** ManagementServer.Username / Password (CPE → ACS). */
  username: string;
  password: string;
  /** ManagementServer.ConnectionRequestUsername / Password (ACS → CPE). */
  connectionRequestUsername: string;
  connectionRequestPassword: string;
  /** What the store keeps. */
  stored: CredentialSet;
}

/** 96 bits of name, 192 bits of password: base64url, so no character a CPE's form refuses. */
export function issueCredentials(deviceId: string, realm: string, sealer: Sealer): IssuedCredentials {
  const username = `cpe-${randomBytes(12).toString('base64url')}`;
  const password = randomBytes(24).toString('base64url');
  const connectionRequestUsername = `acs-${randomBytes(12).toString('base64url')}`;
  const connectionRequestPassword = randomBytes(24).toString('base64url');
  return {
    username,
    password,
    connectionRequestUsername,
    connectionRequestPassword,
    stored: {
      cpe: makeCredential(username, password, realm),
      connectionRequest: { username: connectionRequestUsername, sealed: sealer.seal(connectionRequestPassword, deviceId) },
    },
  };
}

/** A procurement row's clear values as the store keeps them. */
export function importedSet(
  deviceId: string,
  realm: string,
  sealer: Sealer,
  row: { username: string; password: string; connectionRequestUsername?: string; connectionRequestPassword?: string },
): CredentialSet {
  const cr =
    row.connectionRequestUsername !== undefined && row.connectionRequestUsername !== ''
      ? { username: row.connectionRequestUsername, sealed: sealer.seal(row.connectionRequestPassword ?? '', deviceId) }
      : null;
  return { cpe: makeCredential(row.username, row.password, realm), connectionRequest: cr };
}
