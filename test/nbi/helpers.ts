/**
 * A whole Flotilla on loopback for API tests: SQLite in a temp dir, the CWMP server and the
 * NBI sharing one event bus, simulated CPEs from src/cpe (the real client library) with
 * their connection-request listener, and a small HTTP client for the API.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAcs, type AcsServer } from '../../src/acs/server.js';
import type { AcsConfig } from '../../src/acs/config.js';
import { ConnectionRequestServer } from '../../src/cpe/client/connection-request.js';
import { createCpe } from '../../src/cpe/client/create.js';
import type { Cpe } from '../../src/cpe/client/cpe.js';
import { CpeRuntime, type SessionReport } from '../../src/cpe/client/runtime.js';
import { loadModel } from '../../src/cpe/model/load.js';
import type { Template } from '../../src/cpe/model/template.js';
import { EventBus } from '../../src/events/bus.js';
import { startNbi, type Nbi, type NbiOptions } from '../../src/nbi/server.js';
import { startJobs, type Jobs, type JobsOptions } from '../../src/services/jobs.js';
import { createServices, type CampaignFiles } from '../../src/services/index.js';
import type { BackupTaskFactory, DownloadTaskFactory } from '../../src/services/campaign-runner.js';
import { CONFIG_FILE_TYPE } from '../../src/services/files.js';
import { parseFilter } from '../../src/nbi/query.js';
import { webhookScopeCheck } from '../../src/nbi/scope.js';
import { DirBlobs } from '../../src/files/blobs.js';
import { UrlSigner } from '../../src/files/signing.js';
import { startTransferServer, type TransferServer } from '../../src/files/transfer.js';
import { bulkDataReceiver, reportUrlFor } from '../../src/bulkdata/receiver.js';
import { deviceIdOf } from '../../src/store/device-id.js';
import { createSqliteStore } from '../../src/store/sqlite/index.js';
import type { Store } from '../../src/store/types.js';

export const ADMIN = 'test-admin-token-0123456789';
export const CR_USER = 'cr-user';
export const CR_PASS = 'cr-secret-pw';

/** Answers are read loosely in tests (their shapes are what the tests assert). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any;

export interface Reply<T = Json> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

/** The NBI over real HTTP, as one token sees it. */
export class Api {
  constructor(
    readonly base: string,
    readonly token: string | null,
  ) {}

  as(token: string | null): Api {
    return new Api(this.base, token);
  }

  async req<T = Json>(method: string, path: string, body?: unknown, opts: { raw?: string; contentType?: string } = {}): Promise<Reply<T>> {
    const headers: Record<string, string> = {};
    if (this.token !== null) headers.authorization = `Bearer ${this.token}`;
    let payload: string | undefined;
    if (opts.raw !== undefined) payload = opts.raw;
    else if (body !== undefined) payload = JSON.stringify(body);
    if (payload !== undefined) headers['content-type'] = opts.contentType ?? 'application/json';
    const res = await fetch(`${this.base}/api/v1${path}`, { method, headers, ...(payload !== undefined ? { body: payload } : {}) });
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    return { status: res.status, headers: res.headers, body: parsed as T, text };
  }

  get = <T = Json>(path: string) => this.req<T>('GET', path);
  post = <T = Json>(path: string, body?: unknown) => this.req<T>('POST', path, body ?? {});
  put = <T = Json>(path: string, body?: unknown) => this.req<T>('PUT', path, body ?? {});
  del = <T = Json>(path: string) => this.req<T>('DELETE', path);
}

/** A device id as it goes in a URL path: its own % escapes encoded once more. */
export const inPath = (id: string): string => encodeURIComponent(id);

export interface Stack {
  dir: string;
  store: Store;
  bus: EventBus;
  acs: AcsServer;
  nbi: Nbi;
  /** The background jobs `flotilla serve` runs beside the API (webhook delivery, expiry sweeps). */
  jobs: Jobs;
  api: Api;
  /** The file transfer endpoint (with `campaigns` on the real repository), else null. */
  transfer: TransferServer | null;
  close(): Promise<void>;
}

export async function startStack(
  opts: {
    acs?: Partial<AcsConfig>;
    nbi?: Partial<NbiOptions>;
    jobs?: Partial<JobsOptions>;
    store?: Store;
    dir?: string;
    /**
     * Firmware campaigns, the runner running in `jobs`: on the real file repository (files under
     * the data directory, served by a transfer endpoint of its own), or on the `files` and
     * `downloadTask` given.
     */
    campaigns?: { files?: CampaignFiles; downloadTask?: DownloadTaskFactory; backupTask?: BackupTaskFactory; tickMs?: number; owner?: string };
    /** TR-232 bulk data: profiles configured on devices, reports received on the transfer endpoint. */
    bulkData?: boolean;
  } = {},
): Promise<Stack> {
  const dir = opts.dir ?? (await mkdtemp(join(tmpdir(), 'flotilla-nbi-')));
  const store = opts.store ?? (await createSqliteStore({ dataDir: dir }));
  const bus = new EventBus();
  let filesUrl = '';
  const signer = UrlSigner.random();
  const acs = await startAcs({
    ...(opts.bulkData === true ? { bulkData: { reportUrl: reportUrlFor(signer, () => filesUrl) } } : {}),
    store,
    events: bus,
    dataDir: dir,
    host: '127.0.0.1',
    cwmpPort: 0,
    allowUnauthenticatedCpes: true,
    discoverOnBootstrap: true,
    ...opts.acs,
  });
  const connectionRequests = {
    defaultCredentials: { username: CR_USER, password: CR_PASS },
    timeoutMs: 2_000,
    perDevice: { burst: 1000, perSecond: 1000 },
    sealer: acs.sealer,
  };
  const c = opts.campaigns;
  const services =
    c === undefined && opts.bulkData !== true
      ? undefined
      : createServices({
          store,
          bus,
          connectionRequests,
          parseFilter: (e) => parseFilter(e),
          ...(c?.files !== undefined ? { files: c.files } : {}),
          repository: { blobs: new DirBlobs(join(dir, 'files')), signer, publicUrl: () => filesUrl },
          ...(acs.sealer !== null ? { credentials: { sealer: acs.sealer, realm: acs.config.realm } } : {}),
        });
  const transfer =
    services === undefined || c?.files !== undefined
      ? null
      : await startTransferServer({
          repo: services.files.repo,
          signer,
          host: '127.0.0.1',
          port: 0,
          realm: acs.config.realm,
          ...(opts.bulkData === true ? { mounts: [bulkDataReceiver({ store, profiles: () => acs.sampling.current(), reload: () => acs.sampling.refresh() })] } : {}),
        });
  if (transfer !== null) filesUrl = transfer.url;
  const jobs = startJobs({
    store,
    bus,
    ...opts.jobs,
    webhooks: { inScope: webhookScopeCheck(store), ...opts.jobs?.webhooks },
    ...(c !== undefined && services !== undefined
      ? {
          campaigns: {
            files: c.files ?? services.files.campaignFiles(),
            downloadTask: c.downloadTask ?? ((f, d, k, e) => services.files.downloadTask(f, d, k, e)),
            backupTask: c.backupTask ?? ((d, k, e) => services.files.backupTask(d, k, CONFIG_FILE_TYPE, e)),
            requester: services.requester,
            owner: c.owner ?? 'test-acs',
            ...(c.tickMs !== undefined ? { tickMs: c.tickMs } : {}),
          },
        }
      : {}),
  });
  const nbi = await startNbi({
    store,
    bus,
    onWebhooksChanged: () => jobs.webhooks.invalidate(),
    host: '127.0.0.1',
    port: 0,
    adminToken: ADMIN,
    ...(services !== undefined ? { services } : { connectionRequests }),
    ...(acs.sealer !== null ? { credentials: { sealer: acs.sealer, realm: acs.config.realm } } : {}),
    ...opts.nbi,
  });
  return {
    dir,
    store,
    bus,
    acs,
    nbi,
    jobs,
    api: new Api(nbi.url, ADMIN),
    transfer,
    close: async () => {
      await nbi.close();
      await jobs.close();
      await transfer?.close();
      await acs.close();
      await store.close();
      if (opts.dir === undefined) await rm(dir, { recursive: true, force: true });
    },
  };
}

let template: Template | null = null;
export const routerTemplate = (): Template => (template ??= loadModel('tr181-router'));
let gateway: Template | null = null;
/** The TR-098 model (InternetGatewayDevice.). */
export const gatewayTemplate = (): Template => (gateway ??= loadModel('tr098-gateway'));

/** Simulated CPEs (src/cpe) with one shared connection-request listener. */
export class SimFleet {
  readonly cpes = new Map<string, Cpe>();
  readonly sessions: SessionReport[] = [];
  readonly runtime: CpeRuntime;
  #cr: ConnectionRequestServer | null = null;

  readonly #template: () => Template;

  constructor(
    readonly acsUrl: string,
    opts: { rebootDelayMs?: number; template?: () => Template } = {},
  ) {
    this.#template = opts.template ?? routerTemplate;
    this.runtime = new CpeRuntime({
      retry: { minimumWait: 0.05, multiplier: 2000 },
      rebootDelayMs: opts.rebootDelayMs ?? 30,
      observer: { sessionEnded: (r) => this.sessions.push(r) },
    });
  }

  async add(serial: string, overrides: Record<string, string> = {}): Promise<{ cpe: Cpe; id: string }> {
    this.#cr ??= await ConnectionRequestServer.listen({ rateLimit: { burst: 100, refillSeconds: 0.01 } });
    const cr = this.#cr;
    const template = this.#template();
    const ms = `${template.root}ManagementServer.`;
    const cpe = createCpe({
      template,
      serialNumber: serial,
      overrides: {
        [`${ms}URL`]: this.acsUrl,
        [`${ms}ConnectionRequestURL`]: cr.url(serial),
        [`${ms}ConnectionRequestUsername`]: CR_USER,
        [`${ms}ConnectionRequestPassword`]: CR_PASS,
        [`${ms}PeriodicInformEnable`]: 'false',
        ...overrides,
      },
      runtime: this.runtime,
    });
    cr.register(serial, cpe);
    this.cpes.set(serial, cpe);
    const id = deviceIdOf(cpe.model.deviceId());
    const before = this.sessions.length;
    cpe.start();
    await until(() => this.sessions.slice(before).some((s) => s.serialNumber === serial && s.ok));
    return { cpe, id };
  }

  sessionsOf(serial: string): SessionReport[] {
    return this.sessions.filter((s) => s.serialNumber === serial);
  }

  async close(): Promise<void> {
    this.runtime.stopping = true;
    for (const cpe of this.cpes.values()) cpe.stop();
    await this.#cr?.close();
  }
}

export async function until<T>(what: () => T | null | undefined | false | Promise<T | null | undefined | false>, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  while (true) {
    const v = await what();
    if (v !== null && v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 10));
  }
}
