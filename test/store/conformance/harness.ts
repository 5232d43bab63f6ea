/**
 * The Store contract as test suites, one per concern (devices.ts, credentials.ts, tasks.ts,
 * history.ts, tokens.ts, webhooks.ts; index.ts lists them). Every backend runs each with a
 * few-line factory:
 *
 *   runConformance('sqlite', async () => {
 *     const dir = await mkdtemp(join(tmpdir(), 'flotilla-'));
 *     const store = await createSqliteStore({ dataDir: dir });
 *     return { store, cleanup: async () => { await store.close(); await rm(dir, { recursive: true }); } };
 *   });
 *
 * The factory is called once per test and must return an empty, migrated store. Tests use
 * only the interface, pass every time explicitly, and use ASCII where order is asserted, so
 * nothing depends on one database's collation or clock. Here: the fixture, the shared test
 * data and the helpers every suite may use.
 */
import { afterEach, beforeEach, expect } from 'vitest';
import type { EventStruct, ParameterValue } from '../../../src/cwmp/types.js';
import { deviceIdOf, parseDeviceId } from '../../../src/store/device-id.js';
import type { DeviceListItem, ParameterOp, SessionCommit, SessionLogRecord, StoredParameter, Store } from '../../../src/store/types.js';

export interface StoreFixture {
  store: Store;
  cleanup: () => Promise<void>;
}

export const T0 = 1_700_000_000_000;
export const A = 'acs-a';
export const B = 'acs-b';
export const TTL = 30_000;

export const ev = (eventCode: string, commandKey = ''): EventStruct => ({ eventCode, commandKey });
export const pv = (name: string, value: string, type = 'xsd:string'): ParameterValue => ({ name, value, type });
export const idOf = (serial: string, productClass = 'IGD', oui = '00D09E'): string => deviceIdOf({ oui, productClass, serialNumber: serial });

export function logOf(deviceId: string, at: number, extra: Partial<SessionLogRecord> = {}): SessionLogRecord {
  return {
    deviceId,
    startedAt: at,
    endedAt: at + 5,
    events: [ev('2 PERIODIC')],
    rpcs: [],
    cpeRequests: [],
    outcome: 'ok',
    linkedRequests: [],
    ...extra,
  };
}

export function commitOf(deviceId: string, over: Partial<SessionCommit> = {}): SessionCommit {
  const at = over.informAt ?? T0;
  const parsed = parseDeviceId(deviceId);
  if (parsed === null) throw new Error(`test device id ${deviceId} does not parse`);
  return {
    deviceId,
    lockOwner: A,
    identity: { manufacturer: 'Acme Ltd', ...parsed },
    informAt: at,
    events: [ev('2 PERIODIC')],
    parameterOps: [],
    requestOutcomes: [],
    cpeMessages: [],
    log: logOf(deviceId, at),
    releaseLock: true,
    ...over,
  };
}

/** What a test device holds; the device-query reference model reads the same. */
export interface Spec {
  serial: string;
  productClass?: string;
  oui?: string;
  at: number;
  boot?: boolean;
  params?: Record<string, string>;
  tags?: string[];
}

/** A fresh store per test (from `factory`), and helpers that act on it. */
export function harness(factory: () => Promise<StoreFixture>) {
  let current: StoreFixture | null = null;
  beforeEach(async () => {
    current = await factory();
  });
  afterEach(async () => {
    await current?.cleanup();
    current = null;
  });
  const store = (): Store => {
    if (current === null) throw new Error('no store outside a test');
    return current.store;
  };

  /** A whole session: open as A (or over.lockOwner) at `informAt`, then commit. */
  async function inform(deviceId: string, over: Partial<SessionCommit> = {}) {
    const now = over.informAt ?? T0;
    const opened = await store().openSession({ deviceId, lockOwner: over.lockOwner ?? A, lockTtlMs: TTL, now });
    expect(opened.lock).toBe('acquired');
    await store().commitSession(commitOf(deviceId, over));
    return opened;
  }
  const open = (deviceId: string, lockOwner: string, now: number, lockTtlMs = TTL) =>
    store().openSession({ deviceId, lockOwner, lockTtlMs, now });
  async function tree(deviceId: string, subtree?: string): Promise<Map<string, StoredParameter>> {
    const d = await store().getDevice(deviceId, subtree === undefined ? undefined : { subtree });
    return new Map((d?.parameters ?? []).map((p) => [p.path, p]));
  }
  async function paths(deviceId: string, subtree?: string): Promise<string[]> {
    return [...(await tree(deviceId, subtree)).keys()];
  }
  const values = (at: number, params: ParameterValue[], touch = false): ParameterOp => ({ op: 'setValues', at, touch, params });
  const names = (at: number, root: string, nextLevel: boolean, list: string[]): ParameterOp => ({
    op: 'setNames',
    at,
    root,
    nextLevel,
    params: list.map((n) => ({ name: n, writable: false })),
  });
  /** A device as `s` describes it, made by one session. */
  async function device(s: Spec): Promise<string> {
    const id = idOf(s.serial, s.productClass, s.oui);
    const opened = await store().openSession({ deviceId: id, lockOwner: A, lockTtlMs: TTL, now: s.at });
    expect(opened.lock).toBe('acquired');
    const params = Object.entries(s.params ?? {}).map(([k, v]) => pv(k, v));
    await store().commitSession(
      commitOf(id, {
        informAt: s.at,
        events: s.boot === true ? [ev('1 BOOT')] : [ev('2 PERIODIC')],
        parameterOps: params.length > 0 ? [{ op: 'setValues', at: s.at, touch: false, params }] : [],
      }),
    );
    if (s.tags !== undefined) await store().setTags(id, s.tags, []);
    return id;
  }
  const ids = (page: { devices: DeviceListItem[] }): string[] => page.devices.map((d) => d.id);

  return {
    get store(): Store {
      return store();
    },
    inform,
    open,
    tree,
    paths,
    values,
    names,
    device,
    ids,
  };
}
