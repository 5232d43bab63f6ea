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
import { EventBus, type EventRelay } from '../events/bus.js';
import { ClusterWorkerRelay } from '../events/cluster-relay.js';
import { PgNotifyRelay } from '../events/pg-relay.js';
import { ensureAdminToken } from '../auth/tokens.js';
import { DEFAULT_SEARCHABLE_PATHS, startNbi } from '../nbi/server.js';
import { configureSecrets } from '../secrets/rules.js';
import { createServices } from '../services/index.js';
import { startJobs } from '../services/jobs.js';
import { openStore, storeKind, UnsupportedStoreError } from '../store/open.js';
import type { Store } from '../store/types.js';
import { isClusterWorker, nonceSecretFromEnv, parsePoolSize, parseWorkers, planWorkers, runPrimary } from './cluster.js';
import { opt, parseCredentials, parsePort, parsePositive } from './options.js';
import { startReach } from './reach.js';
import { sendViaPrimary } from '../reach/cluster-stun.js';
import { startMeasure } from '../measure/server.js';
import { parseAllowedCidrs, type Endpoint } from '../reach/target-guard.js';

function parseCidrList(value: string): string[] {
  const list = value.split(',').map((c) => c.trim()).filter((c) => c !== '');
  try {
    parseAllowedCidrs(list);
  } catch (e) {
    throw new InvalidArgumentError((e as Error).message);
  }
  return list;
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
  sessionTimeout: number;
  maxBodyBytes: number;
  discoverOnBootstrap: boolean;
  perDeviceCredentials: boolean;
  bootstrapCredentialScope: 'new-devices' | 'any';
  credentialRotationDays?: number;
  logLevel: Level;
  workers: number;
  dbPoolSize: number;
  apiOpen?: boolean;
  connectionRequestCredentials?: { username: string; password: string };
  allowBasicConnectionRequests?: boolean;
  connectionRequestAllowedCidrs: string[];
  searchableParameters: string[];
  secretParameters: string[];
  eventsRelay: boolean;
  stunPort: number;
  stun: boolean;
  tr143Port?: number;
  xmppService?: string;
  xmppJid?: string;
  xmppPassword?: string;
}

/** FLOTILLA_ADMIN_TOKEN: the first admin API token, for automation (an environment variable only: argv is visible to every user). */
const adminTokenFromEnv = (): string | undefined => process.env.FLOTILLA_ADMIN_TOKEN || undefined;

function printAdminToken(token: string | null): void {
  if (token === null) return;
  // Printed once, on the start that created it; only its hash is stored.
  process.stdout.write(`\nGenerated the first admin API token (shown only now; use it as Authorization: Bearer <token>):\n  ${token}\n\n`);
}

export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('run the ACS: CWMP endpoint on an embedded SQLite store')
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
    .addOption(opt('--session-timeout <seconds>', 'idle CWMP session timeout').argParser(parsePositive).default(30))
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
      opt(
        '--connection-request-allowed-cidrs <cidrs>',
        "comma-separated ranges a device's reported connection-request address may lie in besides the address its sessions come from (e.g. a CGNAT pool)",
      )
        .argParser(parseCidrList)
        .default([]),
    )
    .addOption(opt('--allow-basic-connection-requests', 'answer a CPE that asks for Basic on connection requests (the password crosses in clear over http)'))
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
    .addOption(opt('--xmpp-service <url>', "XMPP server for connection requests (TR-069 Annex K), xmpp://host:port"))
    .addOption(opt('--xmpp-jid <jid>', "the ACS's XMPP account, user@domain"))
    .addOption(opt('--xmpp-password <password>', 'its password (prefer FLOTILLA_XMPP_PASSWORD: argv is visible to every user)'))
    .addOption(opt('--workers <n>', 'CWMP worker processes on one port (node:cluster); "auto": one per CPU').argParser(parseWorkers).default(1))
    .addOption(opt('--db-pool-size <n>', 'PostgreSQL connections per process (each worker has its own)').argParser(parsePoolSize).default(10))
    .action(async (o: ServeOptions, cmd: Command) => {
      if ((o.tlsCert === undefined) !== (o.tlsKey === undefined)) {
        process.stderr.write('flotilla: --tls-cert and --tls-key go together\n');
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
        if (o.apiOpen !== true) {
          // Once, before the workers (each runs the API on the shared port) start.
          const tokens = await openStore({ db: o.db, dataDir: o.dataDir });
          try {
            printAdminToken((await ensureAdminToken(tokens, adminTokenFromEnv())).generated);
          } finally {
            await tokens.close();
          }
        }
        await runPrimary({
          workers: plan.workers,
          db: o.db,
          dataDir: o.dataDir,
          cpeCredentials: o.cpeCredentials,
          allowUnauthenticatedCpes: o.allowUnauthenticatedCpes === true,
          logger,
          stun: o.stun ? { host: o.host, port: o.stunPort, portIsDefault: cmd.getOptionValueSource('stunPort') === 'default' } : null,
          measure: o.tr143Port !== undefined ? { host: o.host, port: o.tr143Port } : null,
          onGeneratedCredential: ({ username, password }) =>
            process.stdout.write(
              `\nGenerated the CPE bootstrap credential (shown only now; configure it in your CPEs):\n` +
                `  username: ${username}\n  password: ${password}\n\n`,
            ),
        });
        return;
      }
      let store: Store;
      try {
        store = await openStore({
          db: o.db,
          dataDir: o.dataDir,
          poolSize: o.dbPoolSize,
          onError: (err) => logger.warn({ err: err.message }, 'store connection error (reconnecting)'),
        });
      } catch (e) {
        if (!(e instanceof UnsupportedStoreError)) throw e;
        process.stderr.write(`flotilla: ${e.message}\n`);
        process.exitCode = 2;
        return;
      }
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
      const acs = await startAcs({
        store,
        events: bus,
        host: o.host,
        cwmpPort: o.cwmpPort,
        dataDir: o.dataDir,
        allowUnauthenticatedCpes: o.allowUnauthenticatedCpes === true,
        allowBasicOverHttp: o.allowBasicOverHttp === true,
        sessionTimeoutMs: o.sessionTimeout * 1000,
        maxBodyBytes: o.maxBodyBytes,
        discoverOnBootstrap: o.discoverOnBootstrap,
        perDeviceCredentials: o.perDeviceCredentials,
        bootstrapCredentialScope: o.bootstrapCredentialScope,
        credentialRotationMs: (o.credentialRotationDays ?? 0) * 86_400_000,
        logger,
        nonceSecret: nonceSecretFromEnv(),
        ...(o.cpeCredentials ? { cpeCredentials: o.cpeCredentials } : {}),
        ...(o.tlsCert && o.tlsKey ? { tlsCert: o.tlsCert, tlsKey: o.tlsKey } : {}),
      });
      const generated = acs.bootstrap.generated;
      if (generated !== null) {
        // Printed once, on the start that created it; only its hash is kept on disk.
        process.stdout.write(
          `\nGenerated the CPE bootstrap credential (shown only now; configure it in your CPEs):\n` +
            `  username: ${generated.username}\n  password: ${generated.password}\n\n`,
        );
      }
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
      const services = createServices({
        store,
        bus,
        parseFilter: (expr) => parseFilter(expr),
        connectionRequests: {
          targets: { allowedCidrs: o.connectionRequestAllowedCidrs, ownEndpoints: () => ownEndpoints },
          allowBasic: o.allowBasicConnectionRequests === true,
          reach: reach.reach,
          sealer: acs.sealer,
          ...(reach.stun !== null ? { udp: { send: reach.stun.sendFrom.bind(reach.stun) } } : isClusterWorker() && o.stun ? { udp: { send: sendViaPrimary } } : {}),
          ...(reach.xmpp !== null ? { xmpp: reach.xmpp } : {}),
          ...(o.connectionRequestCredentials ? { defaultCredentials: o.connectionRequestCredentials } : {}),
        },
      });
      const jobs = startJobs({ store, bus, logger });
      const nbi = await startNbi({
        store,
        bus,
        services,
        host: o.host,
        port: o.apiPort,
        open: o.apiOpen === true,
        adminToken: adminTokenFromEnv(),
        searchablePaths: o.searchableParameters,
        reach: { store: reach.reach, stunCredentials: reach.stunCredentials, ...(o.xmppJid !== undefined ? { xmppJid: o.xmppJid } : {}) },
        onWebhooksChanged: () => jobs.webhooks.invalidate(),
        logger,
      });
      ownEndpoints.push({ host: o.host, port: Number(new URL(nbi.url).port) });
      printAdminToken(nbi.generatedAdminToken);
      if (o.apiOpen === true) logger.warn('the REST API is open: no authentication (local development only)');
      logger.info(
        { cwmp: acs.cwmpUrl, api: `${nbi.url}/api/v1`, dataDir: acs.config.dataDir, ...(reach.stun !== null ? { stunPort: reach.stun.port } : {}), xmpp: reach.xmpp !== null },
        'Flotilla ACS listening',
      );
      const stop = (): void => {
        logger.info('shutting down');
        nbi
          .close()
          .then(() => jobs.close())
          .then(() => acs.close())
          .then(() => reach.close())
          .then(() => measure?.close())
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
