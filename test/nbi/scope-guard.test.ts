/**
 * The scope guard (src/nbi/scope.ts) on a real SQLite store: the questions of one turn go out
 * as one query per scope whatever the number of devices (in batches of ScopeGuard.BATCH), the
 * answers are each device's own, remembered for 2 s, and a failed query fails every question
 * of its batch instead of answering any of them.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ScopeGuard } from '../../src/nbi/scope.js';
import { countingStore, type CountingStore } from '../../src/store/counting.js';
import { deviceIdOf } from '../../src/store/device-id.js';
import { createSqliteStore } from '../../src/store/sqlite/index.js';
import type { Store } from '../../src/store/types.js';

const T0 = 1_700_000_000_000;

async function addDevice(store: Store, serial: string, tags: string[]): Promise<string> {
  const identity = { manufacturer: 'Acme', oui: '00D09E', productClass: 'IGD', serialNumber: serial };
  const deviceId = deviceIdOf(identity);
  const opened = await store.openSession({ deviceId, lockOwner: 'o', lockTtlMs: 60_000, now: T0 });
  expect(opened.lock).toBe('acquired');
  await store.commitSession({
    deviceId,
    lockOwner: 'o',
    identity,
    informAt: T0,
    events: [],
    parameterOps: [],
    requestOutcomes: [],
    cpeMessages: [],
    log: { deviceId, startedAt: T0, endedAt: T0, events: [], rpcs: [], cpeRequests: [], outcome: 'ok', linkedRequests: [] },
    releaseLock: true,
  });
  if (tags.length > 0) await store.setTags(deviceId, tags, []);
  return deviceId;
}

describe('ScopeGuard', () => {
  let dir: string;
  let raw: Store;
  let store: CountingStore;
  const north: string[] = [];
  const south: string[] = [];
  /** Each device's number (its serial number is SG and the number in 4 digits). */
  const numberOf = new Map<string, number>();

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'flotilla-scope-guard-'));
    raw = await createSqliteStore({ dataDir: dir });
    await raw.migrate();
    for (let i = 0; i < 700; i++) {
      const id = await addDevice(raw, `SG${String(i).padStart(4, '0')}`, [i % 2 === 0 ? 'north' : 'south']);
      (i % 2 === 0 ? north : south).push(id);
      numberOf.set(id, i);
    }
    store = countingStore(raw);
  }, 120_000);

  afterAll(async () => {
    await raw?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("one turn's questions: one query per scope and batch, each device answered for itself", async () => {
    let now = T0;
    const guard = new ScopeGuard(store, () => now);
    store.reset();
    // Devices 0–78 (north) and 81–159 (south): the filter holds devices 0–99 of them.
    const asked = [...north.slice(0, 40), ...south.slice(40, 80), 'no-such-device'];
    const [byTag, byFilter] = await Promise.all([
      Promise.all(asked.map((id) => guard.deviceInScope({ tag: 'north' }, id))),
      Promise.all(asked.map((id) => guard.deviceInScope({ filter: 'serialNumber < "SG0100"' }, id))),
    ]);
    expect(byTag).toEqual(asked.map((id) => north.includes(id)));
    expect(byFilter).toEqual(asked.map((id) => (numberOf.get(id) ?? Infinity) < 100));
    expect(byFilter.filter(Boolean)).toHaveLength(50);
    expect(store.byMethod()).toEqual({ listDevices: 2 });

    // Remembered for 2 s: asked again, no query; a new question asked twice in a turn, one query.
    store.reset();
    expect(await guard.deviceInScope({ tag: 'north' }, north[0]!)).toBe(true);
    expect(await Promise.all([guard.deviceInScope({ tag: 'north' }, south[90]!), guard.deviceInScope({ tag: 'north' }, south[90]!)])).toEqual([false, false]);
    expect(store.byMethod()).toEqual({ listDevices: 1 });
    now += 2_001;
    store.reset();
    expect(await guard.deviceInScope({ tag: 'north' }, north[0]!)).toBe(true);
    expect(store.byMethod()).toEqual({ listDevices: 1 });
  });

  it('more devices than a batch: one query per BATCH devices, every answer right', async () => {
    const guard = new ScopeGuard(store, () => T0);
    store.reset();
    const all = [...north, ...south];
    const answers = await Promise.all(all.map((id) => guard.deviceInScope({ tag: 'south' }, id)));
    expect(answers).toEqual(all.map((id) => south.includes(id)));
    expect(store.byMethod()).toEqual({ listDevices: Math.ceil(all.length / ScopeGuard.BATCH) });
  });

  it('a failed query fails every question of its batch; none is answered', async () => {
    const failing = { ...store, listDevices: () => Promise.reject(new Error('database gone')) } as Store;
    const guard = new ScopeGuard(failing, () => T0);
    const results = await Promise.allSettled([guard.deviceInScope({ tag: 'north' }, north[1]!), guard.deviceInScope({ tag: 'north' }, south[1]!)]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    // A malformed scope filter is an error of the answer, not a throw at the caller.
    const bad = new ScopeGuard(store, () => T0);
    const p = bad.deviceInScope({ filter: 'this is ( not a filter' }, north[1]!);
    await expect(p).rejects.toThrow();
  });
});
