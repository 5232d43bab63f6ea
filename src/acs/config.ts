/**
 * Settings of the CWMP endpoint. The CLI fills these from flags and FLOTILLA_* variables;
 * tests build them directly.
 */
export interface AcsConfig {
  host: string;
  cwmpPort: number;
  /** Where SQLite and the generated bootstrap credential live. */
  dataDir: string;
  /** PEM certificate and key: when both are set the endpoint speaks HTTPS. */
  tlsCert?: string;
  tlsKey?: string;
  /**
   * PEM CA certificate(s) of device certificates: the endpoint requests a client certificate,
   * and a device presenting a valid one whose CN names it (src/auth/client-cert.ts) is
   * authenticated by it. Devices without one authenticate with credentials as before.
   */
  tlsClientCa?: string;
  /** PEM certificate revocation list(s) for tlsClientCa: a revoked certificate is refused. */
  tlsCrl?: string;
  /**
   * With tlsClientCa: `optional` (the default) lets a device without a certificate
   * authenticate with credentials; `required` refuses every request of a connection that did
   * not present a valid certificate (403 and a log line), before its body is read.
   */
  tlsClientCert?: 'optional' | 'required';
  /** Shared bootstrap credential a CPE may use until it has its own. */
  cpeCredentials?: { username: string; password: string };
  /**
   * Generate the bootstrap credential (when the data directory has none) while starting.
   * False: the caller does it once every port is bound (`AcsServer.ensureBootstrap`), so a
   * start that fails leaves no secret behind.
   */
  generateBootstrapAtStart: boolean;
  /** Accept any CPE without authentication. Only when explicitly asked for. */
  allowUnauthenticatedCpes: boolean;
  /** HTTP Basic sends the password in clear: accepted over TLS, over plain HTTP only if this is set. */
  allowBasicOverHttp: boolean;
  /** Digest realm announced to CPEs. Changing it invalidates stored HA1 hashes. */
  realm: string;
  /** An idle session ends (and frees its device) after this long without a message. */
  sessionTimeoutMs: number;
  /** Largest request body accepted, after decompression. */
  maxBodyBytes: number;
  /**
   * CWMP sessions this process runs at once. A new session beyond it is answered 503 with
   * Retry-After; sessions in progress go on, and connection-request sessions have a reserve
   * of a tenth more (src/acs/admission.ts).
   */
  maxSessions: number;
  /** Retry-After of a 503: spread over [this, 2 × this) seconds. */
  overloadRetryAfterSeconds: number;
  /** A request body must arrive within this time (slow-client defence). */
  bodyTimeoutMs: number;
  /** Discover the whole tree (GetParameterNames + GetParameterValues) of a new or bootstrapped device. */
  discoverOnBootstrap: boolean;
  /** GetParameterValues batch size during discovery. */
  discoveryBatchSize: number;
  /**
   * Discovery reads a tree of at most this many leaves with one GetParameterValues of the root
   * instead of batches (0: always batches). 8,192 leaves answer in about 1.5 MB, well inside
   * maxBodyBytes and the parser's element limit; a bigger tree is read in batches.
   */
  discoveryWholeTree: number;
  /** Most names the task planner puts in one GetParameterValues / GetParameterAttributes. */
  taskBatchSize: number;
  /** Sessions a task may be handed to without an outcome before it is faulted (src/session/programs/tasks.ts). */
  maxTaskAttempts: number;
  /**
   * Devices whose credential (or lack of one) is kept in memory to check CPEs before the store
   * is touched. Every session refreshes its device's entry; a bootstrap-credential session of a
   * device not in the cache costs one extra store read, so size it to the devices this process
   * serves.
   */
  credentialCacheSize: number;
  /**
   * How long an entry is trusted without a session refreshing it. Longer than the periodic
   * inform interval keeps idle sessions at two round trips; a stale entry is safe (the
   * credential openSession returns is checked again, and a failed check re-reads the store).
   */
  credentialCacheTtlMs: number;
  /**
   * Give every device that comes in with the bootstrap credential its own credentials
   * (ManagementServer.Username/Password and ConnectionRequestUsername/Password), after which
   * the bootstrap credential no longer opens a session for it. On by default.
   */
  perDeviceCredentials: boolean;
  /**
   * Who may use the shared bootstrap credential: `new-devices` (devices with no credentials of
   * their own, those marked as expecting a reset, and those inside the window after a
   * factoryReset the ACS sent) or `any` (every device: a holder of the shared credential can
   * then claim any device).
   */
  bootstrapCredentialScope: 'new-devices' | 'any';
  /** Hand a device new credentials this long after its last set (0: only on demand). */
  credentialRotationMs: number;
  /** After a factoryReset task the CPE acknowledged, accept the bootstrap credential for the device this long. */
  factoryResetBootstrapWindowMs: number;
  /** Most SetParameterValues rounds policies may use in one session (src/policies). */
  policyMaxCycles: number;
  /** A device faulted on a policy is retried after this long, doubling per faulted try (max 1 day). */
  policyRetryBaseMs: number;
  /** A policy script's run stops after this long (its policy is faulted for the device). */
  policyScriptTimeoutMs: number;
  /** A policy script's run stops when its heap passes this. */
  policyScriptMemoryBytes: number;
  /** Scripts' `http.get(path)` reads under this http(s) URL; unset: scripts have no way out. */
  policyHttpBase?: string;
  /** Per GET of the extension. */
  policyHttpTimeoutMs: number;
  /** How long an extension answer is reused. */
  policyHttpCacheMs: number;
  /**
   * Parameters of the Inform that claim a subscriber binding (besides the serial number): a
   * device reporting a value registered as a claim code is bound to that subscriber.
   */
  subscriberClaimParameters: string[];
  /**
   * CWMP versions the ACS speaks (TR-069 A.2.1). A 1.4 CPE's SupportedCWMPVersions is answered
   * with the highest one in common (UseCWMPVersion), or fault 8006 when there is none.
   */
  cwmpVersions: string[];
}

export const DEFAULT_ACS_CONFIG: AcsConfig = {
  host: '0.0.0.0',
  cwmpPort: 7547,
  dataDir: './flotilla-data',
  generateBootstrapAtStart: true,
  allowUnauthenticatedCpes: false,
  allowBasicOverHttp: false,
  realm: 'Flotilla',
  sessionTimeoutMs: 30_000,
  maxBodyBytes: 4 * 1024 * 1024,
  maxSessions: 2000,
  overloadRetryAfterSeconds: 30,
  bodyTimeoutMs: 20_000,
  discoverOnBootstrap: true,
  discoveryBatchSize: 256,
  discoveryWholeTree: 8192,
  taskBatchSize: 256,
  maxTaskAttempts: 5,
  credentialCacheSize: 100_000,
  credentialCacheTtlMs: 25 * 60 * 60_000,
  perDeviceCredentials: true,
  bootstrapCredentialScope: 'new-devices',
  credentialRotationMs: 0,
  factoryResetBootstrapWindowMs: 60 * 60_000,
  policyMaxCycles: 3,
  policyRetryBaseMs: 10 * 60_000,
  policyScriptTimeoutMs: 100,
  policyScriptMemoryBytes: 8 * 1024 * 1024,
  policyHttpTimeoutMs: 2000,
  policyHttpCacheMs: 5 * 60_000,
  subscriberClaimParameters: ['Device.DeviceInfo.ProvisioningCode', 'InternetGatewayDevice.DeviceInfo.ProvisioningCode'],
  cwmpVersions: ['1.0', '1.1', '1.2', '1.3', '1.4'],
};
