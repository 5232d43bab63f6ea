/**
 * Concern: ACS processes and stale session locks (src/store/concerns/processes.ts).
 */
import { beforeEach, describe, expect, it } from 'vitest';
import type { AcsProcess, Store } from '../../../src/store/types.js';
import { T0, TTL, harness, idOf, type StoreFixture } from './harness.js';

const proc = (id: string, over: Partial<AcsProcess> = {}): AcsProcess => ({ id, host: 'h1', pid: 100, startedAt: T0, heartbeatAt: T0, ...over });

export function processesConformance(name: string, factory: () => Promise<StoreFixture>): void {
  describe(`Store conformance, processes: ${name}`, () => {
    const h = harness(factory);
    let store: Store;
    beforeEach(() => {
      store = h.store;
    });

    it('processes: register, list, and a heartbeat moves only forward', async () => {
      await store.registerProcess(proc('p2', { startedAt: T0 + 1, heartbeatAt: T0 + 1 }));
      await store.registerProcess(proc('p1', { host: 'h2', pid: 7 }));
      expect(await store.listProcesses()).toEqual([proc('p1', { host: 'h2', pid: 7 }), proc('p2', { startedAt: T0 + 1, heartbeatAt: T0 + 1 })]);
      expect(await store.heartbeatProcess(proc('p1'), T0 + 5_000, null)).toEqual({ dead: [], freedLocks: 0 });
      await store.heartbeatProcess(proc('p1'), T0 + 1_000, null);
      expect((await store.listProcesses()).find((p) => p.id === 'p1')?.heartbeatAt).toBe(T0 + 5_000);
    });

    it('processes: retiring frees exactly the locks whose owner is "<id>:…", and the device is taken at once', async () => {
      const d1 = idOf('P1');
      const d2 = idOf('P2');
      const d3 = idOf('P3');
      await store.registerProcess(proc('dead'));
      await store.registerProcess(proc('live'));
      const open = (deviceId: string, lockOwner: string, now = T0) => store.openSession({ deviceId, lockOwner, lockTtlMs: TTL, now });
      expect((await open(d1, 'dead:s1')).lock).toBe('acquired');
      expect((await open(d2, 'dead:s2')).lock).toBe('acquired');
      // A prefix of another id is not the same process.
      expect((await open(d3, 'deadbeef:s3')).lock).toBe('acquired');
      expect((await open(d1, 'live:s4', T0 + 1)).lock).toBe('busy');

      expect(await store.retireProcesses(['dead'])).toBe(2);
      expect((await store.listProcesses()).map((p) => p.id)).toEqual(['live']);
      expect((await open(d1, 'live:s4', T0 + 1)).lock).toBe('acquired');
      expect((await open(d2, 'live:s5', T0 + 1)).lock).toBe('acquired');
      expect((await open(d3, 'live:s6', T0 + 1)).lock).toBe('busy');
      expect(await store.retireProcesses(['dead'])).toBe(0);
      expect(await store.retireProcesses([])).toBe(0);
    });

    it('processes: a heartbeat retires the others that went silent before staleBefore, never itself', async () => {
      const d1 = idOf('H1');
      const d2 = idOf('H2');
      await store.registerProcess(proc('me'));
      await store.registerProcess(proc('silent', { host: 'h2' }));
      await store.registerProcess(proc('fresh', { host: 'h3' }));
      await store.openSession({ deviceId: d1, lockOwner: 'silent:a', lockTtlMs: TTL, now: T0 });
      await store.openSession({ deviceId: d2, lockOwner: 'fresh:b', lockTtlMs: TTL, now: T0 });
      await store.heartbeatProcess(proc('fresh', { host: 'h3' }), T0 + 20_000, null);
      // Our own row is old too: the heartbeat refreshes it first, and it is never judged.
      expect(await store.heartbeatProcess(proc('me'), T0 + 25_000, T0 + 10_000)).toEqual({ dead: ['silent'], freedLocks: 1 });
      expect((await store.listProcesses()).map((p) => p.id).sort()).toEqual(['fresh', 'me']);
      expect((await store.openSession({ deviceId: d1, lockOwner: 'me:c', lockTtlMs: TTL, now: T0 + 25_000 })).lock).toBe('acquired');
      expect((await store.openSession({ deviceId: d2, lockOwner: 'me:d', lockTtlMs: TTL, now: T0 + 25_000 })).lock).toBe('busy');
    });

    it('processes: a process removed by a peer comes back with its next heartbeat', async () => {
      await store.registerProcess(proc('a'));
      await store.registerProcess(proc('b'));
      await store.heartbeatProcess(proc('b'), T0 + 60_000, T0 + 30_000);
      expect((await store.listProcesses()).map((p) => p.id)).toEqual(['b']);
      await store.heartbeatProcess(proc('a'), T0 + 61_000, null);
      expect((await store.listProcesses()).map((p) => [p.id, p.heartbeatAt])).toEqual([
        ['a', T0 + 61_000],
        ['b', T0 + 60_000],
      ]);
    });
  });
}
