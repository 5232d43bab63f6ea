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
  /** Shared bootstrap credential a CPE may use until it has its own. */
  cpeCredentials?: { username: string; password: string };
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
  /** A request body must arrive within this time (slow-client defence). */
  bodyTimeoutMs: number;
  /** Discover the whole tree (GetParameterNames + GetParameterValues) of a new or bootstrapped device. */
  discoverOnBootstrap: boolean;
  /** GetParameterValues batch size during discovery. */
  discoveryBatchSize: number;
  /** Most names the task planner puts in one GetParameterValues / GetParameterAttributes. */
  taskBatchSize: number;
  /** Device credentials kept in memory to check CPEs before the store is touched. */
  credentialCacheSize: number;
  /** How long a cached credential is trusted before the store is read again. */
  credentialCacheTtlMs: number;
}

export const DEFAULT_ACS_CONFIG: AcsConfig = {
  host: '0.0.0.0',
  cwmpPort: 7547,
  dataDir: './flotilla-data',
  allowUnauthenticatedCpes: false,
  allowBasicOverHttp: false,
  realm: 'Flotilla',
  sessionTimeoutMs: 30_000,
  maxBodyBytes: 4 * 1024 * 1024,
  bodyTimeoutMs: 20_000,
  discoverOnBootstrap: true,
  discoveryBatchSize: 256,
  taskBatchSize: 256,
  credentialCacheSize: 100_000,
  credentialCacheTtlMs: 10 * 60_000,
};
