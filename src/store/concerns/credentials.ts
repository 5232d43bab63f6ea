/**
 * Store concern: device credentials. CPE→ACS as a Digest HA1 per device (never the password),
 * ACS→CPE (connection requests) sealed by the ACS (AES-GCM, src/auth/sealing.ts: opaque here),
 * and what decides who may still use the shared bootstrap credential.
 * Backends: sqlite/credentials.ts, postgres/credentials.ts; suite: test/store/conformance/credentials.ts.
 * Session-time changes (hand-out, first use, the window after a factory reset) are write ops
 * of the session's commit (../session-writes.ts), so they cost no round trip of their own.
 */
/** CPE→ACS credential. Stored as the Digest HA1 (MD5(user:realm:password)), never in clear. */
export interface CpeCredential {
  username: string;
  realm: string;
  ha1: string;
}

/** ACS→CPE credential: the password sealed (AES-GCM, bound to the device id). */
export interface SealedCredential {
  username: string;
  sealed: string;
}

/** One set of credentials a device holds. */
export interface CredentialSet {
  cpe: CpeCredential;
  /** Null when the device was never given (or imported with) connection-request credentials. */
  connectionRequest: SealedCredential | null;
}

/** Everything the ACS knows of a device's credentials: the row `openSession` returns. */
export interface DeviceCredentials {
  /** Accepted now. */
  current: CredentialSet;
  /**
   * Handed out by a rotation the CPE acknowledged but has not used yet. Accepted beside
   * `current`; its first use makes it current and drops the old set.
   */
  pending: CredentialSet | null;
  /** Imported from procurement: what the device holds after a factory reset. Always accepted. */
  factory: CredentialSet | null;
  /** The shared bootstrap credential is accepted for this device until then (ms); null: not at all. */
  bootstrapUntil: number | null;
  /** An operator asked for new credentials at the next session. */
  rotateRequested: boolean;
  /** When the ACS last handed out a set (null: imported or set by hand). */
  issuedAt: number | null;
}

/** One row of a procurement import: the set the device leaves the factory with. */
export interface ImportedCredentials {
  deviceId: string;
  set: CredentialSet;
}

/** A change of a device's credentials made by a session, written with its commit. */
export type CredentialWrite =
  /**
   * A set the CPE acknowledged (SetParameterValuesResponse). `replace`: it becomes current at
   * once (the session came in with the bootstrap or factory credential, which is dropped);
   * `pending`: a rotation, accepted beside current until used. Both clear the bootstrap window
   * and a rotation request.
   */
  | { kind: 'issue'; mode: 'replace' | 'pending'; set: CredentialSet; at: number }
  /** The session authenticated with the pending set named `username`: it becomes current. */
  | { kind: 'promote'; username: string }
  /** Accept the bootstrap credential for this device until `until` (after a factoryReset). */
  | { kind: 'bootstrapWindow'; until: number };

export interface CredentialStore {
  /** Set the current CPE→ACS credential (creating the row); other fields are kept. */
  setCpeCredential(deviceId: string, credential: CpeCredential): Promise<void>;
  getCpeCredential(deviceId: string): Promise<CpeCredential | null>;
  /**
   * The device whose current credential a Digest `username` names (current usernames are
   * unique across devices).
   */
  getCpeCredentialByUsername(username: string): Promise<{ deviceId: string; credential: CpeCredential } | null>;
  /** Everything known of a device's credentials; null when it has none of its own. */
  getDeviceCredentials(deviceId: string): Promise<DeviceCredentials | null>;
  /**
   * Procurement sets, all or nothing (one transaction): a device without credentials gets the
   * set as current and factory; one with credentials keeps its current and gets the factory set.
   * Throws (nothing saved) if a username is already another device's current one.
   */
  importCredentials(items: readonly ImportedCredentials[]): Promise<void>;
  /** Accept the bootstrap credential until `until` (null: no longer). False: the device has no credentials. */
  setBootstrapWindow(deviceId: string, until: number | null): Promise<boolean>;
  /** New credentials at the device's next session. False: the device has no credentials. */
  requestCredentialRotation(deviceId: string): Promise<boolean>;
  /** Device ids with credentials, in id order, after `after` (for re-sealing under a new key). */
  listCredentialDevices(after: string | null, limit: number): Promise<string[]>;
  /** Replace the sealed connection-request secrets of a device (re-sealing); false when it has none. */
  resealCredentials(deviceId: string, next: Pick<DeviceCredentials, 'current' | 'pending' | 'factory'>): Promise<boolean>;
}
