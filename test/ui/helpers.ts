/**
 * A whole Flotilla on loopback for the console's tests: SQLite in a temp dir, the CWMP server
 * and the NBI (which serves the console) sharing one event bus, tokens for each role, and
 * simulated CPEs (src/cpe, the real client) with a connection-request listener.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startAcs, type AcsServer } from '../../src/acs/server.js';
import { ConnectionRequestServer } from '../../src/cpe/client/connection-request.js';
import { createCpe, type TemplateCpe } from '../../src/cpe/client/create.js';
import { CpeRuntime, type SessionReport } from '../../src/cpe/client/runtime.js';
import { loadModel } from '../../src/cpe/model/load.js';
import type { Template } from '../../src/cpe/model/template.js';
import { EventBus } from '../../src/events/bus.js';
import { issueToken } from '../../src/auth/tokens.js';
import { startNbi, type Nbi, type NbiOptions } from '../../src/nbi/server.js';
import { StunCredentials } from '../../src/reach/stun-credentials.js';
import { SqliteReachStore } from '../../src/store/sqlite/reach.js';
import { startJobs } from '../../src/services/jobs.js';
import { deviceIdOf } from '../../src/store/device-id.js';
import { createSqliteStore } from '../../src/store/sqlite/index.js';
import type { Store } from '../../src/store/types.js';

export const ROOT = resolve(import.meta.dirname, '../..');
export const UI_DIST = join(ROOT, 'dist/ui');
export const ARTIFACTS = join(ROOT, 'test-artifacts/ui');
export const CHROMIUM = '/usr/bin/chromium';
export const ADMIN_TOKEN = 'ui-test-admin-token-0123456789';
const CR_USER = 'cr-user';
const CR_PASS = 'cr-secret-pw';

function newest(dir: string): number {
  let t = 0;
  for (const name of readdirSync(dir)) {
    const full = join(dir, name);
    const s = statSync(full);
    t = Math.max(t, s.isDirectory() ? newest(full) : s.mtimeMs);
  }
  return t;
}

/** Build the console when dist/ui is missing or older than its sources (vitest runs without `npm run build`). */
export function ensureConsoleBuilt(): void {
  const index = join(UI_DIST, 'index.html');
  const fresh = (): boolean => existsSync(index) && statSync(index).mtimeMs >= newest(join(ROOT, 'src/ui'));
  if (fresh()) return;
  // Test files run in parallel workers: one builds, the others wait for it.
  const lock = join(ROOT, 'dist', '.ui-build-lock');
  mkdirSync(join(ROOT, 'dist'), { recursive: true });
  if (existsSync(lock) && Date.now() - statSync(lock).mtimeMs > 300_000) rmSync(lock, { recursive: true, force: true });
  try {
    mkdirSync(lock);
  } catch {
    const end = Date.now() + 300_000;
    while (existsSync(lock) && Date.now() < end) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200);
    if (fresh()) return;
    return ensureConsoleBuilt();
  }
  try {
    execFileSync(process.execPath, [join(ROOT, 'node_modules/vite/bin/vite.js'), 'build', '--config', join(ROOT, 'src/ui/vite.config.ts')], {
      cwd: ROOT,
      stdio: 'pipe',
      timeout: 180_000,
    });
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

export interface UiStack {
  dir: string;
  store: Store;
  acs: AcsServer;
  nbi: Nbi;
  url: string;
  tokens: { admin: string; operator: string; readOnly: string };
  close(): Promise<void>;
}

export async function startUiStack(opts: { repository?: NbiOptions['repository'] } = {}): Promise<UiStack> {
  const dir = mkdtempSync(join(tmpdir(), 'flotilla-ui-'));
  const store = await createSqliteStore({ dataDir: dir });
  const bus = new EventBus();
  const acs = await startAcs({ store, events: bus, dataDir: dir, host: '127.0.0.1', cwmpPort: 0, allowUnauthenticatedCpes: true, discoverOnBootstrap: true });
  // The jobs `flotilla serve` runs beside the API (webhook delivery, expiry sweeps).
  const jobs = startJobs({ store, bus });
  const reach = SqliteReachStore.open(join(dir, 'flotilla.db'));
  const nbi = await startNbi({
    store,
    bus,
    onWebhooksChanged: () => jobs.webhooks.invalidate(),
    host: '127.0.0.1',
    port: 0,
    adminToken: ADMIN_TOKEN,
    connectionRequests: { defaultCredentials: { username: CR_USER, password: CR_PASS }, timeoutMs: 2_000, reach },
    reach: { store: reach, stunCredentials: new StunCredentials(Buffer.alloc(32, 1)) },
    ...(opts.repository !== undefined ? { repository: opts.repository } : {}),
  });
  const operator = (await issueToken(store, 'ui operator', 'operator')).token;
  const readOnly = (await issueToken(store, 'ui viewer', 'read-only')).token;
  return {
    dir,
    store,
    acs,
    nbi,
    url: nbi.url,
    tokens: { admin: ADMIN_TOKEN, operator, readOnly },
    close: async () => {
      await nbi.close();
      await jobs.close();
      await acs.close();
      await reach.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

let template: Template | null = null;

/** Simulated CPEs sharing one connection-request listener. */
export class Fleet {
  readonly cpes = new Map<string, TemplateCpe>();
  readonly sessions: SessionReport[] = [];
  readonly runtime = new CpeRuntime({
    retry: { minimumWait: 0.05, multiplier: 2000 },
    rebootDelayMs: 50,
    observer: { sessionEnded: (r) => this.sessions.push(r) },
  });
  #cr: ConnectionRequestServer | null = null;

  constructor(readonly acsUrl: string) {}

  async add(serial: string): Promise<{ cpe: TemplateCpe; id: string }> {
    this.#cr ??= await ConnectionRequestServer.listen({ rateLimit: { burst: 100, refillSeconds: 0.01 } });
    template ??= loadModel('tr181-router');
    const cpe = createCpe({
      template,
      serialNumber: serial,
      overrides: {
        'Device.ManagementServer.URL': this.acsUrl,
        'Device.ManagementServer.ConnectionRequestURL': this.#cr.url(serial),
        'Device.ManagementServer.ConnectionRequestUsername': CR_USER,
        'Device.ManagementServer.ConnectionRequestPassword': CR_PASS,
        'Device.ManagementServer.PeriodicInformEnable': 'true',
        'Device.ManagementServer.PeriodicInformInterval': '600',
      },
      runtime: this.runtime,
    });
    this.#cr.register(serial, cpe);
    this.cpes.set(serial, cpe);
    const before = this.sessions.length;
    cpe.start();
    await until(() => this.sessions.slice(before).some((s) => s.serialNumber === serial && s.ok));
    return { cpe, id: deviceIdOf(cpe.model.deviceId()) };
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
    await new Promise((r) => setTimeout(r, 20));
  }
}
