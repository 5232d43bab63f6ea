/**
 * `flotilla serve`: the CWMP endpoint, the application services with their background jobs
 * (src/services: webhook delivery, task-expiry sweeps) and the REST API (src/nbi) on one
 * process, sharing one store (embedded SQLite by default) and one event bus, joined to the
 * other processes' buses when there are any (PostgreSQL LISTEN/NOTIFY, or the cluster
 * primary for workers). Each --workers process runs all of them.
 */
import { InvalidArgumentError, type Command } from 'commander';
import { pino, type Level } from 'pino';
import { parseFilter } from '../nbi/query.js';
import { startAcs } from '../acs/server.js';
import { loadSealer } from '../acs/credential-key.js';
import { startProcessRegistry } from '../acs/process-registry.js';
import { EventBus, type EventRelay } from '../events/bus.js';
import { ClusterWorkerRelay } from '../events/cluster-relay.js';
import { PgNotifyRelay } from '../events/pg-relay.js';
import { ensureAdminToken } from '../auth/tokens.js';
import { DEFAULT_SEARCHABLE_PATHS, startNbi } from '../nbi/server.js';
import { webhookScopeCheck } from '../nbi/scope.js';
import { configureSecrets } from '../secrets/rules.js';
import { createServices } from '../services/index.js';
import { startJobs } from '../services/jobs.js';
import { CONFIG_FILE_TYPE } from '../services/files.js';
import cluster from 'node:cluster';
import { openStore, redactUrl, storeKind, UnsupportedStoreError } from '../store/open.js';
import type { ApiRole, Store } from '../store/types.js';
import { LdapDirectory, parseGroupRole } from '../directory/ldap.js';
import { isClusterWorker, nonceSecretFromEnv, parsePoolSize, parseWorkers, planWorkers, runPrimary } from './cluster.js';
import { opt, parseCredentials, parseCwmpVersions, parsePort, parsePositive } from './options.js';
import { startReach } from './reach.js';
import { sendViaPrimary } from '../reach/cluster-stun.js';
import { DEFAULT_DEVICE_LIMIT, DEFAULT_GLOBAL_LIMIT } from '../reach/rate-limit.js';
import { startMeasure } from '../measure/server.js';
import { join } from 'node:path';
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { DirBlobs, StoreBlobs } from '../files/blobs.js';
import { FILES_SECRET_ENV, UrlSigner } from '../files/signing.js';
import { loadSharedSecret } from './secret-file.js';
import { startTransferServer, type TransferServer } from '../files/transfer.js';
import { bulkDataReceiver, reportUrlFor } from '../bulkdata/receiver.js';
import { parseAllowedCidrs, type Endpoint } from '../reach/target-guard.js';
import { timedStore } from '../store/timed.js';
import { storeCalls, storeErrors, enableProcessMetrics } from '../metrics/registry.js';
import { aggregateForWorkers, prepareClusterMetrics } from '../metrics/cluster.js';

function parseCidrList(value: string): string[] {
  const list = value.split(',').map((c) => c.trim()).filter((c) => c !== '');
  try {
    parseAllowedCidrs(list);
  } catch (e) {
    throw new InvalidArgumentError((e as Error).message);
  }
  return list;
}

/** The LDAP directory of --ldap-*, or null. */
function ldapDirectory(o: ServeOptions): LdapDirectory | null {
  if (o.ldapUrl === undefined) return null;
  return new LdapDirectory({
    url: o.ldapUrl,
    ...(o.ldapBindDn !== undefined ? { bindDnTemplate: o.ldapBindDn } : {}),
    ...(o.ldapSearchBase !== undefined ? { searchBase: o.ldapSearchBase, searchFilter: o.ldapSearchFilter ?? '(uid={name})' } : {}),
    ...(o.ldapSearchBindDn !== undefined ? { searchBindDn: o.ldapSearchBindDn, searchBindPassword: o.ldapSearchBindPassword ?? '' } : {}),
    ...(o.ldapGroupBase !== undefined ? { groupBase: o.ldapGroupBase } : {}),
    groupRoles: o.ldapGroupRole ?? [],
  });
}

interface ServeOptions {
  cwmpPort: number;
  apiPort: number;
  host: string;
  dataDir: string;
  db?: string;
  cpeCredentials?: { username: string; password: string };
  allowUnauthenticatedCpes?: boolean;
  allowBasicOverHttp?: boolean;
  tlsCert?: string;
  tlsKey?: string;
  tlsClientCa?: string;
  tlsCrl?: string;
  tlsClientCert?: 'optional' | 'required';
  sessionTimeout: number;
  heartbeatInterval: number;
  maxSessions: number;
  overloadRetryAfter: number;
  maxBodyBytes: number;
  discoverOnBootstrap: boolean;
  perDeviceCredentials: boolean;
  bootstrapCredentialScope: 'new-devices' | 'any';
  credentialRotationDays?: number;
  logLevel: Level;
  workers: number;
  dbPoolSize: number;
  treeSections?: boolean;
  treeRows?: boolean;
  apiOpen?: boolean;
  connectionRequestCredentials?: { username: string; password: string };
  allowBasicConnectionRequests?: boolean;
  connectionRequestDeviceBurst: number;
  connectionRequestDeviceInterval: number;
  connectionRequestGlobalBurst: number;
  connectionRequestGlobalRate: number;
  maxTaskAttempts: number;
  policyMaxCycles: number;
  policyRetryBaseSeconds: number;
  policyScriptTimeoutMs: number;
  policyScriptMemoryMb: number;
  policyHttpBase?: string;
  policyHttpTimeoutMs: number;
  policyHttpCacheSeconds: number;
  policyWake: boolean;
  policyWakeRate: number;
  cwmpVersions: string[];
  connectionRequestAllowedCidrs: string[];
  searchableParameters: string[];
  secretParameters: string[];
  eventsRelay: boolean;
  stunPort: number;
  stun: boolean;
  tr143Port?: number;
  kpiRawRetentionDays: number;
  kpiHourlyRetentionDays: number;
  xmppService?: string;
  xmppJid?: string;
  xmppPassword?: string;
  ldapUrl?: string;
  ldapBindDn?: string;
  ldapSearchBase?: string;
  ldapSearchFilter?: string;
  ldapSearchBindDn?: string;
  ldapSearchBindPassword?: string;
  ldapGroupBase?: string;
  ldapGroupRole?: { group: string; role: ApiRole }[];
  filesPort: number;
  filesUrl?: string;
  filesMaxBytes: number;
  filesMaxTransfers: number;
  filesMaxUploadBytes: number;
  filesBandwidth: number;
}

/** FLOTILLA_ADMIN_TOKEN: the first admin API token, for automation (an environment variable only: argv is visible to every user). */
const adminTokenFromEnv = (): string | undefined => process.env.FLOTILLA_ADMIN_TOKEN || undefined;

/**
 * The secrets made by this start, printed once to the terminal (stderr: outside the JSON log
 * stream, which log collectors keep), with where to make new ones. Called only once every
 * port is bound, so a start that fails has made none.
 */
function printSecrets(s: { credential: { username: string; password: string } | null; adminToken: string | null; dataDir: string }): void {
  if (s.credential === null && s.adminToken === null) return;
  const lines = ['', '================ Flotilla: secrets generated by this first start (shown only now) ================'];
  if (s.credential !== null) {
    lines.push(
      'Generated the CPE bootstrap credential (configure it in your CPEs as ManagementServer.Username/Password):',
      `  username: ${s.credential.username}`,
      `  password: ${s.credential.password}`,
      `  only its hash is kept in ${s.dataDir}; make a new one with: flotilla credentials reset --data-dir ${s.dataDir}`,
    );
  }
  if (s.adminToken !== null) {
    lines.push(
      'Generated the first admin API token (console sign-in; Authorization: Bearer <token>):',
      `  ${s.adminToken}`,
      '  only its hash is stored; make another with: flotilla token create --role admin --name <name> (same --data-dir/--db)',
    );
  }
  lines.push('==================================================================================================', '');
  process.stderr.write(lines.join('\n') + '\n');
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description(
      'run the ACS: CWMP endpoint, REST API and web console, background jobs; store: SQLite in --data-dir (default) or PostgreSQL with --db postgres://…',
    )
    .addOption(opt('--cwmp-port <port>', 'CWMP (CPE-facing) port').argParser(parsePort).default(7547))
    .addOption(opt('--api-port <port>', 'REST API and console port').argParser(parsePort).default(7557))
    .addOption(opt('--host <address>', 'address to listen on').default('0.0.0.0'))
    .addOption(opt('--data-dir <dir>', 'directory of the SQLite store and generated secrets').default('./flotilla-data'))
    .addOption(opt('--db <url>', 'store URL (postgres://… selects PostgreSQL)'))
    .addOption(opt('--cpe-credentials <user:password>', 'shared bootstrap credential for CPEs').argParser(parseCredentials))
    .addOption(opt('--allow-unauthenticated-cpes', 'accept CPEs without credentials (lab use only)'))
    .addOption(opt('--allow-basic-over-http', 'accept HTTP Basic from CPEs without TLS'))
    .addOption(opt('--tls-cert <file>', 'PEM certificate: the CWMP endpoint speaks HTTPS'))
    .addOption(opt('--tls-key <file>', 'PEM private key for --tls-cert'))
    .addOption(opt('--tls-client-ca <file>', 'PEM CA of device certificates: the CWMP endpoint requests client certificates, and a certificate whose CN names the device authenticates it'))
    .addOption(opt('--tls-crl <file>', 'PEM certificate revocation list for --tls-client-ca: revoked device certificates are refused'))
    .addOption(
      opt('--tls-client-cert <mode>', 'with --tls-client-ca: optional (a device without a certificate authenticates with credentials) or required (it is refused with 403)')
        .choices(['optional', 'required']),
    )
    .addOption(opt('--session-timeout <seconds>', 'idle CWMP session timeout').argParser(parsePositive).default(30))
    .addOption(
      opt('--max-sessions <n>', 'CWMP sessions this process runs at once; new ones beyond get 503 with Retry-After (connection requests have a reserve of a tenth more)')
        .argParser(parsePositive)
        .default(2000),
    )
    .addOption(opt('--overload-retry-after <seconds>', 'Retry-After of a 503 beyond --max-sessions: spread over [this, 2 × this)').argParser(parsePositive).default(30))
    .addOption(
      opt('--heartbeat-interval <seconds>', "this process's heartbeat in the store; a process silent for 3 intervals is dead and its session locks are freed")
        .argParser(parsePositive)
        .default(10),
    )
    .addOption(opt('--max-body-bytes <bytes>', 'largest CWMP request body').argParser(parsePositive).default(4 * 1024 * 1024))
    .addOption(opt('--no-discover-on-bootstrap', 'do not read the whole tree of new devices'))
    .addOption(opt('--no-per-device-credentials', 'do not give devices their own credentials (they keep using the shared bootstrap credential)'))
    .addOption(
      opt('--bootstrap-credential-scope <scope>', "who may use the shared bootstrap credential: new-devices, or any (then its holder can claim ANY device)")
        .choices(['new-devices', 'any'])
        .default('new-devices'),
    )
    .addOption(opt('--credential-rotation-days <days>', "give each device new credentials this many days after its last set (default: only on demand)").argParser(parsePositive))
    .addOption(opt('--log-level <level>', 'fatal, error, warn, info, debug').default('info'))
    .addOption(opt('--api-open', 'serve the REST API without authentication (local development only)'))
    .addOption(
      opt('--connection-request-credentials <user:password>', 'connection-request credential for devices whose own the store does not know').argParser(
        parseCredentials,
      ),
    )
    .addOption(
      opt('--connection-request-device-burst <n>', 'connection requests a device may get at once before its limit holds them back')
        .argParser(parsePositive)
        .default(DEFAULT_DEVICE_LIMIT.burst),
    )
    .addOption(
      opt('--connection-request-device-interval <seconds>', 'then one more per this many seconds per device')
        .argParser(parsePositive)
        .default(1 / DEFAULT_DEVICE_LIMIT.perSecond),
    )
    .addOption(opt('--connection-request-global-burst <n>', 'connection requests at once across all devices').argParser(parsePositive).default(DEFAULT_GLOBAL_LIMIT.burst))
    .addOption(
      opt('--connection-request-global-rate <per-second>', 'then this many per second across all devices (bulk requests wait their turn)')
        .argParser(parsePositive)
        .default(DEFAULT_GLOBAL_LIMIT.perSecond),
    )
    .addOption(
      opt('--cwmp-versions <list>', 'CWMP versions the ACS speaks; a CPE offering none of them (SupportedCWMPVersions) gets fault 8006')
        .argParser(parseCwmpVersions)
        .default(['1.0', '1.1', '1.2', '1.3', '1.4'], '1.0,1.1,1.2,1.3,1.4'),
    )
    .addOption(opt('--max-task-attempts <n>', 'sessions a task may be handed to without an outcome before it is faulted').argParser(parsePositive).default(5))
    .addOption(opt('--policy-max-cycles <n>', 'SetParameterValues rounds policies may use in one session before the device waits for its next').argParser(parsePositive).default(3))
    .addOption(
      opt('--policy-retry-base-seconds <s>', 'a faulted policy is tried again on that device after this long, doubling per fault in a row (at most a day)').argParser(parsePositive).default(600),
    )
    .addOption(opt('--policy-script-timeout-ms <ms>', "a policy script's run stops after this long (the policy is faulted for that device)").argParser(parsePositive).default(100))
    .addOption(opt('--policy-script-memory-mb <mb>', "a policy script's run stops when its heap passes this").argParser(parsePositive).default(8))
    .addOption(opt('--policy-http-base <url>', 'policy scripts may GET under this http(s) URL (http.get(path)); unset: scripts have no way out'))
    .addOption(opt('--policy-http-timeout-ms <ms>', 'timeout of one such GET').argParser(parsePositive).default(2000))
    .addOption(opt('--policy-http-cache-seconds <s>', 'how long an answer to such a GET is reused').argParser(parsePositive).default(300))
    .addOption(
      opt('--policy-wake-rate <n>', "connection requests per second, at most, to devices whose periodic Inform would miss a policy's schedule window (spread over the window's first half)")
        .argParser(parsePositive)
        .default(5),
    )
    .addOption(opt('--no-policy-wake', "do not wake devices for policies' schedule windows (they apply only when a device informs inside one)"))
    .addOption(
      opt(
        '--connection-request-allowed-cidrs <cidrs>',
        "comma-separated ranges a device's reported connection-request address may lie in besides the address its sessions come from (e.g. a CGNAT pool)",
      )
        .argParser(parseCidrList)
        .default([]),
    )
    .addOption(opt('--allow-basic-connection-requests', 'answer a CPE that asks for Basic on connection requests (the password crosses in clear over http)'))
    .addOption(
      opt(
        '--tree-sections',
        "SQLite, the default there: keep a bootstrap's discovered tree as documents per top-level object (one row per device, most entries shared with a base of its model) instead of a row per parameter; searchable and summary paths stay rows. Kept for command lines that name it",
      ).conflicts('treeRows'),
    )
    .addOption(opt('--tree-rows', 'SQLite: keep a discovered tree as a row per parameter, as before sections were the default (bootstraps cost about twice the CPU)'))
    .addOption(
      opt('--searchable-parameters <paths>', 'comma-separated parameter paths with a search index')
        .argParser((v: string) => v.split(',').map((p) => p.trim()).filter((p) => p !== ''))
        .default(DEFAULT_SEARCHABLE_PATHS, 'SoftwareVersion, HardwareVersion, ModelName, ProvisioningCode (TR-181 and TR-098)'),
    )
    .addOption(
      opt(
        '--secret-parameters <names>',
        'comma-separated additions to the secret parameters (masked in every answer, never filtered, sorted or logged): leaf-name endings ("Token"), generic paths ("Device.X_ACME.Auth.{i}.Code") or subtrees ("Device.X_ACME.Vault.")',
      )
        .argParser((v: string) => v.split(',').map((p) => p.trim()).filter((p) => p !== ''))
        .default([], 'none: the BBF hidden parameters and names ending in Password, Passphrase, Key, PSK, Secret'),
    )
    .addOption(
      opt('--no-events-relay', "do not share events with other processes (each API process streams only its own sessions' events; needed behind a PgBouncer in transaction mode, which has no LISTEN)"),
    )
    .addOption(opt('--stun-port <port>', 'UDP port of the built-in STUN server (TR-069 Annex G: devices behind a NAT)').argParser(parsePort).default(3478))
    .addOption(opt('--no-stun', 'do not run the STUN server'))
    .addOption(
      opt('--tr143-port <port>', 'serve TR-143 test endpoints on this port (TCP: GET /download?size=N, PUT /upload; UDP: echo, UDPEcho plus); 0: any free port')
        .argParser(parsePort),
    )
    .addOption(opt('--kpi-raw-retention-days <days>', 'keep raw KPI samples this long (then only their hourly roll-ups)').argParser(parsePositive).default(7))
    .addOption(opt('--kpi-hourly-retention-days <days>', 'keep hourly KPI roll-ups this long').argParser(parsePositive).default(90))
    .addOption(opt('--xmpp-service <url>', "XMPP server for connection requests (TR-069 Annex K), xmpp://host:port"))
    .addOption(opt('--xmpp-jid <jid>', "the ACS's XMPP account, user@domain"))
    .addOption(opt('--xmpp-password <password>', 'its password (prefer FLOTILLA_XMPP_PASSWORD: argv is visible to every user)'))
    .addOption(opt('--files-port <port>', 'port of the file transfer endpoint devices download from (HTTPS with --tls-cert); 0: any free port').argParser(parsePort).default(7567))
    .addOption(opt('--files-url <url>', 'the transfer endpoint as devices reach it, e.g. https://acs.example.net:7567 (default: this host and --files-port)'))
    .addOption(opt('--files-max-bytes <bytes>', 'largest file the repository accepts').argParser(parsePositive).default(1024 ** 3))
    .addOption(opt('--files-max-upload-bytes <bytes>', 'largest file a device may send (Upload: configuration backups, logs)').argParser(parsePositive).default(16 * 1024 * 1024))
    .addOption(opt('--files-max-transfers <n>', 'transfers at once on the file endpoint (more are answered 503)').argParser(parsePositive).default(200))
    .addOption(opt('--files-bandwidth <bytes-per-second>', 'bandwidth of the file endpoint, all transfers together (0: no limit)').argParser(Number).default(0))
    .addOption(opt('--ldap-url <url>', "people sign in to the console with their directory's password: ldap://host:389 or ldaps://host:636"))
    .addOption(opt('--ldap-bind-dn <template>', "the user's DN made from the sign-in name, e.g. uid={name},ou=people,dc=example,dc=org"))
    .addOption(opt('--ldap-search-base <dn>', 'or: find the user under this base (with --ldap-search-filter)'))
    .addOption(opt('--ldap-search-filter <filter>', 'the search for a user, {name} replaced (escaped)').default('(uid={name})'))
    .addOption(opt('--ldap-search-bind-dn <dn>', 'who searches (default: anonymous)'))
    .addOption(opt('--ldap-search-bind-password <password>', 'its password (prefer FLOTILLA_LDAP_SEARCH_BIND_PASSWORD: argv is visible to every user)'))
    .addOption(opt('--ldap-group-base <dn>', 'where groups are searched (default: the search base, or the bind DN without its first part)'))
    .addOption(
      opt('--ldap-group-role <role:group>', 'a group (DN or cn) whose members get a role, e.g. admin:cn=flotilla-admins,ou=groups,dc=example,dc=org (repeat; the highest wins; users in none are refused)').argParser(
        (v: string, acc: { group: string; role: ApiRole }[] | undefined) => {
          try {
            return [...(acc ?? []), parseGroupRole(v)];
          } catch (e) {
            throw new InvalidArgumentError((e as Error).message);
          }
        },
      ),
    )
    .addOption(opt('--workers <n>', 'CWMP worker processes on one port (node:cluster); "auto": one per CPU').argParser(parseWorkers).default(1))
    .addOption(opt('--db-pool-size <n>', 'PostgreSQL connections per process (each worker has its own)').argParser(parsePoolSize).default(10))
    .action(async (o: ServeOptions, cmd: Command) => {
      if ((o.tlsCert === undefined) !== (o.tlsKey === undefined)) {
        process.stderr.write('flotilla: --tls-cert and --tls-key go together\n');
        process.exitCode = 2;
        return;
      }
      if ((o.tlsClientCa !== undefined || o.tlsCrl !== undefined) && o.tlsCert === undefined) {
        process.stderr.write('flotilla: --tls-client-ca and --tls-crl need --tls-cert and --tls-key\n');
        process.exitCode = 2;
        return;
      }
      if (o.tlsClientCert !== undefined && o.tlsClientCa === undefined) {
        process.stderr.write('flotilla: --tls-client-cert goes with --tls-client-ca\n');
        process.exitCode = 2;
        return;
      }
      if (o.tlsCrl !== undefined && o.tlsClientCa === undefined) {
        process.stderr.write('flotilla: --tls-crl goes with --tls-client-ca\n');
        process.exitCode = 2;
        return;
      }
      configureSecrets({ extra: o.secretParameters });
      const logger = pino({
        level: o.logLevel,
        // Never log secrets, whatever a caller puts in a log line.
        redact: ['password', '*.password', 'secret', '*.secret', 'token', '*.token', 'authorization', '*.authorization', 'cookie', '*.cookie', 'req.headers.authorization', 'req.headers.cookie'],
      });
      let plan: ReturnType<typeof planWorkers>;
      try {
        plan = planWorkers(o.workers, o.db);
      } catch (e) {
        if (!(e instanceof UnsupportedStoreError)) throw e;
        process.stderr.write(`flotilla: ${e.message}\n`);
        process.exitCode = 2;
        return;
      }
      if (plan.workers > 1 && !isClusterWorker()) {
        if (plan.warning !== null) logger.warn(plan.warning);
        // A scrape of any worker's /metrics is answered with every worker's sum (src/metrics/cluster.ts).
        aggregateForWorkers();
        await runPrimary({
          workers: plan.workers,
          db: o.db,
          dataDir: o.dataDir,
          cpeCredentials: o.cpeCredentials,
          allowUnauthenticatedCpes: o.allowUnauthenticatedCpes === true,
          logger,
          stun: o.stun ? { host: o.host, port: o.stunPort, portIsDefault: cmd.getOptionValueSource('stunPort') === 'default' } : null,
          measure: o.tr143Port !== undefined ? { host: o.host, port: o.tr143Port } : null,
          // Once every worker is listening (a start that fails makes no secret).
          onListening: async (credential) => {
            let adminToken: string | null = null;
            if (o.apiOpen !== true) {
              const tokens = await openStore({ db: o.db, dataDir: o.dataDir });
              try {
                adminToken = (await ensureAdminToken(tokens, adminTokenFromEnv())).generated;
              } finally {
                await tokens.close();
              }
            }
            printSecrets({ credential, adminToken, dataDir: o.dataDir });
          },
        });
        return;
      }
      // Before the first scrape can reach this process: process figures, and answering the primary's collection.
      enableProcessMetrics();
      prepareClusterMetrics();
      let store: Store;
      try {
        store = await openStore({
          db: o.db,
          dataDir: o.dataDir,
          poolSize: o.dbPoolSize,
          onError: (err) => logger.warn({ err: err.message }, 'store connection error (reconnecting)'),
          // Sections are SQLite's default; named for PostgreSQL, openStore refuses them.
          treeSections: storeKind(o.db) === 'sqlite' ? o.treeRows !== true : o.treeSections === true,
        });
      } catch (e) {
        if (!(e instanceof UnsupportedStoreError)) throw e;
        process.stderr.write(`flotilla: ${e.message}\n`);
        process.exitCode = 2;
        return;
      }
      // Every round trip's latency on /metrics.
      store = timedStore(store, (method, seconds, failed) => {
        storeCalls.observe({ method }, seconds);
        if (failed) storeErrors.inc({ method });
      });
      const bus = new EventBus();
      // Every process's events on every process's streams (src/events/bus.ts).
      let relay: EventRelay | null = null;
      if (!o.eventsRelay) {
        // Asked for: this process's streams show its own sessions only.
      } else if (o.db !== undefined && storeKind(o.db) === 'postgres') {
        relay = new PgNotifyRelay({ url: o.db, onError: (err) => logger.warn({ err: err.message }, 'events connection error (reconnecting)') });
      } else if (isClusterWorker()) {
        relay = new ClusterWorkerRelay();
      }
      if (relay !== null) await bus.attach(relay);
      // Signed URLs (downloads, uploads, bulk data reports) on the transfer endpoint, whose URL is known once it listens.
      const signer = new UrlSigner(await loadSharedSecret({ dataDir: o.dataDir, file: 'files-secret', envName: FILES_SECRET_ENV }));
      let filesUrl = o.filesUrl?.replace(/\/+$/, '') ?? '';
      // Before the CWMP port opens: a dead predecessor's session locks are freed first, so its
      // devices are served at once (not turned away with 8005 until the locks expire).
      const registry = await startProcessRegistry({ store, logger, heartbeatMs: o.heartbeatInterval * 1000 });
      const acs = await startAcs({
        bulkData: { reportUrl: reportUrlFor(signer, () => filesUrl) },
        processId: registry.id,
        store,
        events: bus,
        host: o.host,
        cwmpPort: o.cwmpPort,
        dataDir: o.dataDir,
        allowUnauthenticatedCpes: o.allowUnauthenticatedCpes === true,
        allowBasicOverHttp: o.allowBasicOverHttp === true,
        sessionTimeoutMs: o.sessionTimeout * 1000,
        maxSessions: Math.max(1, Math.floor(o.maxSessions)),
        overloadRetryAfterSeconds: o.overloadRetryAfter,
        maxBodyBytes: o.maxBodyBytes,
        discoverOnBootstrap: o.discoverOnBootstrap,
        maxTaskAttempts: Math.floor(o.maxTaskAttempts),
        policyMaxCycles: Math.max(1, Math.floor(o.policyMaxCycles)),
        policyRetryBaseMs: Math.floor(o.policyRetryBaseSeconds * 1000),
        policyScriptTimeoutMs: Math.floor(o.policyScriptTimeoutMs),
        policyScriptMemoryBytes: Math.floor(o.policyScriptMemoryMb * 1024 * 1024),
        ...(o.policyHttpBase !== undefined ? { policyHttpBase: o.policyHttpBase } : {}),
        policyHttpTimeoutMs: Math.floor(o.policyHttpTimeoutMs),
        policyHttpCacheMs: Math.floor(o.policyHttpCacheSeconds * 1000),
        cwmpVersions: o.cwmpVersions,
        // Made after every port is bound (below), or by the cluster primary.
        generateBootstrapAtStart: false,
        perDeviceCredentials: o.perDeviceCredentials,
        bootstrapCredentialScope: o.bootstrapCredentialScope,
        credentialRotationMs: (o.credentialRotationDays ?? 0) * 86_400_000,
        logger,
        nonceSecret: nonceSecretFromEnv(),
        ...(o.cpeCredentials ? { cpeCredentials: o.cpeCredentials } : {}),
        ...(o.tlsCert && o.tlsKey ? { tlsCert: o.tlsCert, tlsKey: o.tlsKey } : {}),
        ...(o.tlsClientCa !== undefined ? { tlsClientCa: o.tlsClientCa } : {}),
        ...(o.tlsCrl !== undefined ? { tlsCrl: o.tlsCrl } : {}),
        ...(o.tlsClientCert !== undefined ? { tlsClientCert: o.tlsClientCert } : {}),
      });
      if (acs.config.allowUnauthenticatedCpes) logger.warn('accepting CPEs without authentication');
      else if (acs.config.bootstrapCredentialScope === 'any') {
        logger.warn('--bootstrap-credential-scope any: whoever holds the shared bootstrap credential can claim any device');
      }
      if ((o.xmppService === undefined) !== (o.xmppJid === undefined)) {
        process.stderr.write('flotilla: --xmpp-service and --xmpp-jid go together\n');
        process.exitCode = 2;
        await acs.close();
        return;
      }
      let reach: Awaited<ReturnType<typeof startReach>>;
      try {
        reach = await startReach({
          store,
          db: o.db,
          dataDir: o.dataDir,
          host: o.host,
          // With --workers the primary runs the one STUN socket (src/reach/cluster-stun.ts).
          stunPort: o.stun && !isClusterWorker() ? o.stunPort : null,
          stunPortIsDefault: cmd.getOptionValueSource('stunPort') === 'default',
          xmpp: o.xmppService !== undefined && o.xmppJid !== undefined ? { service: o.xmppService, jid: o.xmppJid, password: o.xmppPassword ?? '' } : undefined,
          logger,
        });
      } catch (e) {
        const code = (e as { code?: string }).code;
        process.stderr.write(`flotilla: ${code === 'EADDRINUSE' || code === 'EACCES' ? `STUN port ${o.stunPort}: ${code}` : e instanceof Error ? e.message : String(e)}\n`);
        process.exitCode = 2;
        await acs.close();
        await store.close();
        return;
      }
      // With --workers the primary serves them (one UDP socket); here only a single process does.
      const measure = o.tr143Port !== undefined && !isClusterWorker() ? await startMeasure({ host: o.host, port: o.tr143Port }) : null;
      if (measure !== null) logger.info({ tr143: measure.url }, 'TR-143 test endpoints listening');
      // This process's endpoints: a device may not point connection requests at them.
      const ownEndpoints: Endpoint[] = [{ host: o.host, port: Number(new URL(acs.cwmpUrl).port) }];
      if (reach.stun !== null) ownEndpoints.push({ host: o.host, port: reach.stun.port });
      if (measure !== null) ownEndpoints.push({ host: o.host, port: Number(new URL(measure.url).port) || o.tr143Port! });
      // The file repository: bytes under the data directory next to SQLite, in the database with PostgreSQL
      // (every process and host serves every file). The transfer endpoint's URL is known once it listens.
      const pg = o.db !== undefined && storeKind(o.db) === 'postgres';
      // The jobs start after the services; rule changes through the API reach their evaluator here.
      let onAlarmRules = (): void => undefined;
      const services = createServices({
        onAlarmRulesChanged: () => onAlarmRules(),
        repository: {
          blobs: pg ? new StoreBlobs(store) : new DirBlobs(join(o.dataDir, 'files')),
          signer,
          publicUrl: () => filesUrl,
          maxUploadBytes: o.filesMaxBytes,
        },
        store,
        bus,
        parseFilter: (expr) => parseFilter(expr),
        directory: ldapDirectory(o),
        ...(acs.sealer !== null ? { credentials: { sealer: acs.sealer, realm: acs.config.realm } } : {}),
        // Users' TOTP secrets are sealed under the same key, even with per-device credentials off.
        sealer: acs.sealer ?? (await loadSealer(o.dataDir)),
        connectionRequests: {
          targets: { allowedCidrs: o.connectionRequestAllowedCidrs, ownEndpoints: () => ownEndpoints },
          allowBasic: o.allowBasicConnectionRequests === true,
          perDevice: { burst: o.connectionRequestDeviceBurst, perSecond: 1 / o.connectionRequestDeviceInterval },
          global: { burst: o.connectionRequestGlobalBurst, perSecond: o.connectionRequestGlobalRate },
          reach: reach.reach,
          sealer: acs.sealer,
          ...(reach.stun !== null ? { udp: { send: reach.stun.sendFrom.bind(reach.stun) } } : isClusterWorker() && o.stun ? { udp: { send: sendViaPrimary } } : {}),
          ...(reach.xmpp !== null ? { xmpp: reach.xmpp } : {}),
          ...(o.connectionRequestCredentials ? { defaultCredentials: o.connectionRequestCredentials } : {}),
        },
      });
      // TOTP secrets stored in clear (before sealing) or under an older key are sealed now that the key is loaded.
      const totp = await services.users.sealStoredTotp();
      if (totp.sealed > 0 || totp.unreadable > 0) logger.info(totp, 'TOTP secrets sealed at rest');
      let transfers: TransferServer;
      const startTransfers = (port: number): Promise<TransferServer> =>
        startTransferServer({
          repo: services.files.repo,
          signer,
          host: o.host,
          port,
          realm: acs.config.realm,
          allowBasicOverHttp: o.allowBasicOverHttp === true,
          maxConcurrent: o.filesMaxTransfers,
          maxUploadBytes: o.filesMaxUploadBytes,
          bytesPerSecond: o.filesBandwidth,
          nonceSecret: nonceSecretFromEnv(),
          ...(o.tlsCert && o.tlsKey ? { tls: { cert: o.tlsCert, key: o.tlsKey } } : {}),
          onError: (err) => logger.error({ err }, 'file transfer failed'),
          // TR-232 bulk data reports, authenticated as the device like a transfer.
          mounts: [bulkDataReceiver({ store, profiles: () => acs.sampling.current(), reload: () => acs.sampling.refresh() })],
        });
      try {
        try {
          transfers = await startTransfers(o.filesPort);
        } catch (e) {
          // As with STUN: the default port taken (another ACS on this host) is not fatal; devices
          // are sent the URL of the port actually bound. A port you name must be free.
          if ((e as { code?: string }).code !== 'EADDRINUSE' || cmd.getOptionValueSource('filesPort') !== 'default') throw e;
          transfers = await startTransfers(0);
          logger.warn({ files: transfers.url }, `files port ${o.filesPort} is taken: the transfer endpoint listens on port ${transfers.port} (set --files-port to choose)`);
        }
      } catch (e) {
        const code = (e as { code?: string }).code;
        process.stderr.write(`flotilla: files port ${o.filesPort}: ${code ?? (e instanceof Error ? e.message : String(e))}\n`);
        process.exitCode = 2;
        await measure?.close();
        await acs.close();
        await reach.close();
        await store.close();
        return;
      }
      if (filesUrl === '') filesUrl = transfers.url;
      if (o.filesUrl === undefined && !LOOPBACK.has(o.host)) logger.warn({ files: filesUrl }, 'devices are sent download URLs on this address: set --files-url to the name they reach');
      ownEndpoints.push({ host: o.host, port: transfers.port });
      // Every process runs the campaign runner; campaigns are leased to one process at a time.
      const jobs = startJobs({
        store,
        bus,
        logger,
        // Scoped webhooks hear only their devices: the NBI's check, its own short cache.
        webhooks: { inScope: webhookScopeCheck(store) },
        series: { rawRetentionMs: o.kpiRawRetentionDays * 86_400_000, hourlyRetentionMs: o.kpiHourlyRetentionDays * 86_400_000 },
        campaigns: {
          files: services.files.campaignFiles(),
          downloadTask: (file, deviceId, commandKey, expiresAt) => services.files.downloadTask(file, deviceId, commandKey, expiresAt),
          backupTask: (deviceId, commandKey, expiresAt) => services.files.backupTask(deviceId, commandKey, CONFIG_FILE_TYPE, expiresAt),
          requester: services.requester,
          owner: `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`,
        },
        backups: {
          uploadTask: (deviceId, commandKey, fileType, expiresAt) => services.files.backupTask(deviceId, commandKey, fileType, expiresAt),
          // One process queues backups: the leader of the process registry.
          isLeader: () => registry.isLeader(),
        },
        // Schedule windows: the leader wakes devices whose own Informs would miss them, through the
        // one requester (its target guard and rate limits), at most --policy-wake-rate per second.
        ...(o.policyWake && services.requester !== null
          ? { policyWake: { requester: services.requester, ratePerSecond: o.policyWakeRate, isLeader: () => registry.isLeader() } }
          : {}),
      });
      onAlarmRules = () => jobs.alarms.invalidate();
      let nbi: Awaited<ReturnType<typeof startNbi>>;
      try {
        nbi = await startNbi({
        store,
        bus,
        services,
        host: o.host,
        port: o.apiPort,
        open: o.apiOpen === true,
        generateAdminToken: false,
        adminToken: adminTokenFromEnv(),
        ready: async () => (acs.listening() ? null : 'CWMP server not listening'),
        searchablePaths: o.searchableParameters,
        reach: { store: reach.reach, stunCredentials: reach.stunCredentials, ...(o.xmppJid !== undefined ? { xmppJid: o.xmppJid } : {}) },
        onWebhooksChanged: () => jobs.webhooks.invalidate(),
        logger,
      });
      } catch (e) {
        const code = (e as { code?: string }).code;
        process.stderr.write(`flotilla: API port ${o.apiPort}: ${code === 'EADDRINUSE' || code === 'EACCES' ? code : e instanceof Error ? e.message : String(e)}\n`);
        process.exitCode = 2;
        await jobs.close();
        await transfers.close();
        await measure?.close();
        await acs.close();
        await reach.close();
        await store.close();
        return;
      }
      ownEndpoints.push({ host: o.host, port: Number(new URL(nbi.url).port) });
      // Every port is bound: now, and only now, the secrets a first start makes.
      if (!isClusterWorker()) {
        const credential = await acs.ensureBootstrap();
        const adminToken = o.apiOpen === true ? null : (await ensureAdminToken(store, adminTokenFromEnv())).generated;
        printSecrets({ credential, adminToken, dataDir: o.dataDir });
      }
      if (o.apiOpen === true) logger.warn('the REST API is open: no authentication (local development only)');
      if (!LOOPBACK.has(o.host)) {
        logger.warn(
          { host: o.host },
          'the REST API and console listen beyond loopback over plain HTTP: put a TLS-terminating proxy in front of them (docs/deploy.md), or listen on 127.0.0.1',
        );
      }
      const storeName = o.db !== undefined ? redactUrl(o.db) : `sqlite:${o.dataDir}`;
      logger.info(
        {
          cwmp: acs.cwmpUrl,
          api: `${nbi.url}/api/v1`,
          console: `${nbi.url}/`,
          store: storeName,
          dataDir: acs.config.dataDir,
          files: filesUrl,
          ...(reach.stun !== null ? { stunPort: reach.stun.port } : {}),
          xmpp: reach.xmpp !== null,
        },
        'Flotilla ACS listening',
      );
      if (!isClusterWorker() || cluster.worker?.id === 1) {
        process.stderr.write(`Flotilla is up.\n  console  ${nbi.url}/\n  API      ${nbi.url}/api/v1 (docs ${nbi.url}/api/docs)\n  CWMP     ${acs.cwmpUrl}\n  store    ${storeName}\n`);
      }
      const stop = (): void => {
        logger.info('shutting down');
        nbi
          .close()
          .then(() => jobs.close())
          .then(() => acs.close())
          .then(() => registry.close())
          .then(() => reach.close())
          .then(() => measure?.close())
          .then(() => transfers.close())
          .then(() => bus.close())
          .then(() => store.close())
          .then(
          () => process.exit(0),
          () => process.exit(1),
        );
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
}
