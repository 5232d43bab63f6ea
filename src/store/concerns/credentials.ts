/**
 * Store concern: CPE→ACS credentials (Digest HA1 per device).
 * Backends: sqlite/credentials.ts, postgres/credentials.ts; suite: test/store/conformance/credentials.ts.
 */
/** CPE→ACS credential. Stored as the Digest HA1 (MD5(user:realm:password)), never in clear. */
export interface CpeCredential {
  username: string;
  realm: string;
  ha1: string;
}

export interface CredentialStore {
  setCpeCredential(deviceId: string, credential: CpeCredential): Promise<void>;
  getCpeCredential(deviceId: string): Promise<CpeCredential | null>;
  /**
   * The credential a Digest `username` names (usernames are unique across devices), so
   * the ACS can check an Authorization header before it parses the body.
   */
  getCpeCredentialByUsername(username: string): Promise<{ deviceId: string; credential: CpeCredential } | null>;
}
