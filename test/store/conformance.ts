/**
 * The Store contract as a test suite. Every backend runs it with a few-line factory:
 *
 *   storeConformance('sqlite', async () => {
 *     const dir = await mkdtemp(join(tmpdir(), 'flotilla-'));
 *     const store = await createSqliteStore({ dataDir: dir });
 *     return { store, cleanup: async () => { await store.close(); await rm(dir, { recursive: true }); } };
 *   });
 *
 * The factory is called once per test and must return an empty, migrated store. Tests use
 * only the interface, pass every time explicitly, and use ASCII where order is asserted,
 * so nothing depends on one database's collation or clock.
 */
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AcsRequest, CpeResponse, EventStruct, ParameterValue } from '../../src/cwmp/types.js';
import { deviceIdOf, parseDeviceId } from '../../src/store/device-id.js';
import { taskFromRequest } from '../../src/tasks/rpc.js';
import type { ParameterOp, SessionCommit, SessionLogRecord, StoredParameter, Store } from '../../src/store/types.js';
import { deviceTasks, queueRpc } from '../helpers/queue.js';

export interface StoreFixture {
  store: Store;
  cleanup: () => Promise<void>;
}

const T0 = 1_700_000_000_000;
const A = 'acs-a';
const B = 'acs-b';
const TTL = 30_000;

const ev = (eventCode: string, commandKey = ''): EventStruct => ({ eventCode, commandKey });
const pv = (name: string, value: string, type = 'xsd:string'): ParameterValue => ({ name, value, type });
const idOf = (serial: string, productClass = 'IGD'): string => deviceIdOf({ oui: '00D09E', productClass, serialNumber: serial });

function logOf(deviceId: string, at: number, extra: Partial<SessionLogRecord> = {}): SessionLogRecord {
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

function commitOf(deviceId: string, over: Partial<SessionCommit> = {}): SessionCommit {
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

const getRpc: AcsRequest = { method: 'GetParameterValues', parameterNames: ['Device.DeviceInfo.'] };
const reboot = (commandKey: string): AcsRequest => ({ method: 'Reboot', commandKey });

export function storeConformance(name: string, factory: () => Promise<StoreFixture>): void {
  describe(`Store conformance: ${name}`, () => {
    let store: Store;
    let cleanup: () => Promise<void>;
    beforeEach(async () => {
      ({ store, cleanup } = await factory());
    });
    afterEach(async () => {
      await cleanup();
    });

    /** A whole session: open as A at `informAt`, then commit. */
    async function inform(deviceId: string, over: Partial<SessionCommit> = {}) {
      const now = over.informAt ?? T0;
      const opened = await store.openSession({ deviceId, lockOwner: over.lockOwner ?? A, lockTtlMs: TTL, now });
      expect(opened.lock).toBe('acquired');
      await store.commitSession(commitOf(deviceId, over));
      return opened;
    }
    const open = (deviceId: string, lockOwner: string, now: number, lockTtlMs = TTL) =>
      store.openSession({ deviceId, lockOwner, lockTtlMs, now });
    async function tree(deviceId: string, subtree?: string): Promise<Map<string, StoredParameter>> {
      const d = await store.getDevice(deviceId, subtree === undefined ? undefined : { subtree });
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

    describe('sessions and locks', () => {
      it('opening an unknown device takes the lock and returns no device', async () => {
        const r = await open(idOf('S1'), A, T0);
        expect(r).toEqual({ lock: 'acquired', device: null, credential: null, queue: [] });
      });

      it('a second owner is busy while the lock is held, and is handed no queue', async () => {
        const id = idOf('S1');
        const q = await queueRpc(store, id, getRpc, { now: T0 });
        expect((await open(id, A, T0)).queue.map((r) => r.id)).toEqual([q.id]);
        const busy = await open(id, B, T0 + 1);
        expect(busy.lock).toBe('busy');
        expect(busy.queue).toEqual([]);
        // Still A's: handed out (running), neither re-read nor re-queued by B.
        expect((await store.getTask(q.id))?.state).toBe('running');
      });

      it('is re-entrant for the same owner', async () => {
        const id = idOf('S1');
        await queueRpc(store, id, getRpc, { now: T0 });
        expect((await open(id, A, T0)).lock).toBe('acquired');
        const again = await open(id, A, T0 + 10);
        expect(again.lock).toBe('acquired');
        expect(again.queue).toHaveLength(1);
      });

      it('an expired lock can be taken by another owner', async () => {
        const id = idOf('S1');
        await open(id, A, T0, 1000);
        expect((await open(id, B, T0 + 999)).lock).toBe('busy');
        expect((await open(id, B, T0 + 1000)).lock).toBe('acquired');
        expect((await open(id, A, T0 + 1001)).lock).toBe('busy');
      });

      it('releaseLock releases only its owner’s lock', async () => {
        const id = idOf('S1');
        await open(id, A, T0);
        await store.releaseLock(id, B);
        expect((await open(id, B, T0 + 1)).lock).toBe('busy');
        await store.releaseLock(id, A);
        expect((await open(id, B, T0 + 2)).lock).toBe('acquired');
      });

      it('extendLock pushes expiry for the owner only, and fails once the lock was taken', async () => {
        const id = idOf('S1');
        await open(id, A, T0, 1000);
        expect(await store.extendLock(id, A, 5000, T0 + 500)).toBe(true);
        expect((await open(id, B, T0 + 2000)).lock).toBe('busy');
        expect(await store.extendLock(id, B, 5000, T0 + 2000)).toBe(false);
        expect((await open(id, B, T0 + 5500)).lock).toBe('acquired');
        expect(await store.extendLock(id, A, 5000, T0 + 5600)).toBe(false);
      });

      it('commitSession releases the lock only when asked', async () => {
        const id = idOf('S1');
        await inform(id, { releaseLock: false });
        expect((await open(id, B, T0 + 1)).lock).toBe('busy');
        await inform(id, { informAt: T0 + 2, releaseLock: true });
        expect((await open(id, B, T0 + 3)).lock).toBe('acquired');
      });

      it('a commit after the lock was lost still writes, and leaves the new owner’s lock alone', async () => {
        const id = idOf('S1');
        await open(id, A, T0, 1000);
        expect((await open(id, B, T0 + 2000)).lock).toBe('acquired');
        await store.commitSession(commitOf(id, { parameterOps: [values(T0, [pv('Device.X', '1')])] }));
        expect((await tree(id)).get('Device.X')?.value).toBe('1');
        expect((await open(id, 'acs-c', T0 + 2001)).lock).toBe('busy');
        expect((await open(id, B, T0 + 2002)).lock).toBe('acquired');
      });

      it('the first commit creates the device with identity, times and events', async () => {
        const id = idOf('S1');
        const events = [ev('0 BOOTSTRAP'), ev('1 BOOT')];
        await inform(id, { events });
        const d = await store.getDevice(id);
        expect(d).toEqual({
          id,
          deviceId: { manufacturer: 'Acme Ltd', oui: '00D09E', productClass: 'IGD', serialNumber: 'S1' },
          firstInform: T0,
          lastInform: T0,
          lastBoot: T0,
          lastBootstrap: T0,
          lastEvents: events,
          tags: [],
          parameters: [],
        });
      });

      it('later commits keep firstInform and move boot times only on their events', async () => {
        const id = idOf('S1');
        await inform(id, { events: [ev('2 PERIODIC')] });
        let d = await store.getDevice(id);
        expect([d?.lastBoot, d?.lastBootstrap]).toEqual([null, null]);
        await inform(id, { informAt: T0 + 10, events: [ev('0 BOOTSTRAP'), ev('1 BOOT')] });
        await inform(id, { informAt: T0 + 20, events: [ev('1 BOOT'), ev('M Reboot', 'k1')] });
        await inform(id, { informAt: T0 + 30, events: [ev('2 PERIODIC')] });
        d = await store.getDevice(id);
        expect(d).toMatchObject({
          firstInform: T0,
          lastInform: T0 + 30,
          lastBoot: T0 + 20,
          lastBootstrap: T0 + 10,
          lastEvents: [ev('2 PERIODIC')],
        });
      });

      it('openSession returns the device summary with tags and its credential', async () => {
        const id = idOf('S1');
        await inform(id);
        await store.setTags(id, ['lab'], []);
        const cred = { username: 'cpe-1', realm: 'flotilla', ha1: '0123456789abcdef0123456789abcdef' };
        await store.setCpeCredential(id, cred);
        const r = await open(id, A, T0 + 100);
        expect(r.device).toMatchObject({ id, lastInform: T0, tags: ['lab'] });
        expect(r.credential).toEqual(cred);
      });

      it('a commit that fails part-way writes nothing and keeps the lock', async () => {
        const id = idOf('S1');
        await inform(id, { parameterOps: [values(T0, [pv('Device.A.x', '1'), pv('Device.A.y', '2')])] });
        const before = await store.getDevice(id);
        await open(id, A, T0 + 100);
        const bad = commitOf(id, {
          informAt: T0 + 100,
          parameterOps: [
            values(T0 + 100, [pv('Device.A.x', 'changed')]),
            { op: 'deleteObject', path: 'Device.A.' },
            { op: 'clearTree' },
          ],
          // JSON cannot encode a BigInt: every backend fails while serialising this.
          cpeMessages: [{ at: T0 + 100, message: { method: 'Kicked', command: 1n, referer: '', arg: '', next: '' } as never }],
        });
        await expect(store.commitSession(bad)).rejects.toThrow();
        expect(await store.getDevice(id)).toEqual(before);
        expect(await store.listSessions(id)).toHaveLength(1);
        expect((await open(id, B, T0 + 101)).lock).toBe('busy');
      });
    });

    describe('parameter tree', () => {
      it('setValues stores value, type and time on parameter rows', async () => {
        const id = idOf('P1');
        await inform(id, { parameterOps: [values(T0, [pv('Device.A.x', 'v1'), pv('Device.A.n', '5', 'xsd:int'), pv('Device.A.e', '', '')])] });
        const t = await tree(id);
        expect(t.get('Device.A.n')).toEqual({
          path: 'Device.A.n',
          object: false,
          value: '5',
          type: 'xsd:int',
          writable: null,
          notification: null,
          accessList: null,
          valueAt: T0,
          namesAt: null,
          attributesAt: null,
        });
        expect(t.get('Device.A.e')).toMatchObject({ value: '', type: '' });
        expect([...t.keys()]).toEqual(['Device.A.e', 'Device.A.n', 'Device.A.x']);
      });

      it('setValues does not rewrite unchanged rows unless touch, and does on a value or type change', async () => {
        const id = idOf('P1');
        const base = [pv('Device.a', '1'), pv('Device.b', '2'), pv('Device.c', '3')];
        await inform(id, { parameterOps: [values(T0, base)] });
        await inform(id, {
          informAt: T0 + 10,
          parameterOps: [values(T0 + 10, [pv('Device.a', '1'), pv('Device.b', 'two'), pv('Device.c', '3', 'xsd:int')])],
        });
        let t = await tree(id);
        expect([t.get('Device.a')?.valueAt, t.get('Device.b')?.valueAt, t.get('Device.c')?.valueAt]).toEqual([T0, T0 + 10, T0 + 10]);
        expect(t.get('Device.c')?.type).toBe('xsd:int');
        await inform(id, { informAt: T0 + 20, parameterOps: [values(T0 + 20, [pv('Device.a', '1')], true)] });
        t = await tree(id);
        expect(t.get('Device.a')?.valueAt).toBe(T0 + 20);
        expect(t.get('Device.b')?.valueAt).toBe(T0 + 10);
      });

      it('a repeated name in one list: the last item wins', async () => {
        const id = idOf('P1');
        await inform(id, { parameterOps: [values(T0, [pv('Device.a', '1'), pv('Device.a', '2')])] });
        expect((await tree(id)).get('Device.a')?.value).toBe('2');
      });

      it('setValues, setNames and setAttributes each keep the others’ fields', async () => {
        const id = idOf('P1');
        await inform(id, {
          parameterOps: [
            names(T0, 'Device.', true, ['Device.a']),
            { op: 'setAttributes', at: T0 + 1, params: [{ name: 'Device.a', notification: 2, accessList: ['Subscriber'] }] },
            values(T0 + 2, [pv('Device.a', 'x')]),
          ],
        });
        await inform(id, { informAt: T0 + 10, parameterOps: [values(T0 + 10, [pv('Device.a', 'y')], true)] });
        expect((await tree(id)).get('Device.a')).toEqual({
          path: 'Device.a',
          object: false,
          value: 'y',
          type: 'xsd:string',
          writable: false,
          notification: 2,
          accessList: ['Subscriber'],
          valueAt: T0 + 10,
          namesAt: T0,
          attributesAt: T0 + 1,
        });
      });

      it('setNames (nextLevel false) prunes absent nodes strictly under root only', async () => {
        const id = idOf('P1');
        const all = ['Device.', 'Device.A.', 'Device.A.x', 'Device.A.y', 'Device.A.1.', 'Device.A.1.z', 'Device.AB.', 'Device.AB.c', 'Device.B.', 'Device.B.z'];
        await inform(id, { parameterOps: [names(T0, 'Device.', false, all), values(T0, [pv('Device.A.x', 'keep')])] });
        await inform(id, {
          informAt: T0 + 10,
          parameterOps: [names(T0 + 10, 'Device.A.', false, ['Device.A.', 'Device.A.x', 'Device.A.n.', 'Device.A.n.m'])],
        });
        expect(await paths(id)).toEqual([
          'Device.',
          'Device.A.',
          'Device.A.n.',
          'Device.A.n.m',
          'Device.A.x',
          'Device.AB.',
          'Device.AB.c',
          'Device.B.',
          'Device.B.z',
        ]);
        const t = await tree(id);
        expect(t.get('Device.A.x')).toMatchObject({ value: 'keep', namesAt: T0 + 10 });
        expect(t.get('Device.B.z')?.namesAt).toBe(T0);
      });

      it('setNames keeps the root even when the answer omits it', async () => {
        const id = idOf('P1');
        await inform(id, { parameterOps: [names(T0, '', false, ['Device.', 'Device.A.', 'Device.A.x'])] });
        await inform(id, { informAt: T0 + 1, parameterOps: [names(T0 + 1, 'Device.A.', false, [])] });
        expect(await paths(id)).toEqual(['Device.', 'Device.A.']);
      });

      it('setNames (nextLevel true) removes only absent direct children, with their subtrees', async () => {
        const id = idOf('P1');
        const all = ['Device.', 'Device.W.', 'Device.W.1.', 'Device.W.1.a', 'Device.W.2.', 'Device.W.2.a', 'Device.W.p', 'Device.X.', 'Device.X.q'];
        await inform(id, { parameterOps: [names(T0, 'Device.', false, all)] });
        await inform(id, { informAt: T0 + 1, parameterOps: [names(T0 + 1, 'Device.W.', true, ['Device.W.1.', 'Device.W.r'])] });
        expect(await paths(id)).toEqual(['Device.', 'Device.W.', 'Device.W.1.', 'Device.W.1.a', 'Device.W.r', 'Device.X.', 'Device.X.q']);
      });

      it('setNames with the empty root covers the whole tree', async () => {
        const id = idOf('P1');
        await inform(id, { parameterOps: [names(T0, '', false, ['Device.', 'Device.a', 'Device.b', 'X.', 'X.c'])] });
        await inform(id, { informAt: T0 + 1, parameterOps: [names(T0 + 1, '', false, ['Device.', 'Device.a'])] });
        expect(await paths(id)).toEqual(['Device.', 'Device.a']);
        await inform(id, { informAt: T0 + 2, parameterOps: [names(T0 + 2, '', true, ['Y.'])] });
        expect(await paths(id)).toEqual(['Y.']);
      });

      it('setNames creates missing ancestor objects and records writable and namesAt', async () => {
        const id = idOf('P1');
        await inform(id, {
          parameterOps: [
            { op: 'setNames', at: T0, root: 'Device.X.', nextLevel: false, params: [{ name: 'Device.X.1.Y.z', writable: true }] },
          ],
        });
        const t = await tree(id);
        expect([...t.keys()]).toEqual(['Device.', 'Device.X.', 'Device.X.1.', 'Device.X.1.Y.', 'Device.X.1.Y.z']);
        expect(t.get('Device.X.1.')).toMatchObject({ object: true, value: null, namesAt: T0 });
        expect(t.get('Device.X.1.Y.z')).toMatchObject({ object: false, writable: true, namesAt: T0 });
      });

      it('setAttributes stores notification, access list and time', async () => {
        const id = idOf('P1');
        await inform(id, {
          parameterOps: [
            values(T0, [pv('Device.a', '1')]),
            {
              op: 'setAttributes',
              at: T0 + 5,
              params: [
                { name: 'Device.a', notification: 1, accessList: [] },
                { name: 'Device.b', notification: 2, accessList: ['Subscriber', 'Other'] },
              ],
            },
          ],
        });
        const t = await tree(id);
        expect(t.get('Device.a')).toMatchObject({ value: '1', notification: 1, accessList: [], attributesAt: T0 + 5 });
        expect(t.get('Device.b')).toMatchObject({ value: null, notification: 2, accessList: ['Subscriber', 'Other'] });
      });

      it('addObject creates the instance; deleteObject removes it and its subtree, not look-alikes', async () => {
        const id = idOf('P1');
        const tr = ['Device.', 'Device.X.', 'Device.X.1.', 'Device.X.1.a', 'Device.X.10.', 'Device.X.10.a', 'Device.X.1a', 'Device.X.1'];
        await inform(id, { parameterOps: [names(T0, '', false, tr), { op: 'addObject', at: T0 + 1, path: 'Device.X.2.' }] });
        expect((await tree(id)).get('Device.X.2.')).toMatchObject({ object: true, namesAt: T0 + 1 });
        await inform(id, { informAt: T0 + 2, parameterOps: [{ op: 'deleteObject', path: 'Device.X.1.' }] });
        expect(await paths(id)).toEqual(['Device.', 'Device.X.', 'Device.X.1', 'Device.X.10.', 'Device.X.10.a', 'Device.X.1a', 'Device.X.2.']);
      });

      it('deleteObject treats _ and % in names literally', async () => {
        const id = idOf('P1');
        const tr = ['D.', 'D.A_B.', 'D.A_B.c', 'D.AxB.', 'D.AxB.c', 'D.A%.', 'D.A%.c', 'D.A%Z.', 'D.A%Z.c', 'D.AB.', 'D.AB.c', 'D.A.'];
        await inform(id, { parameterOps: [names(T0, '', false, tr)] });
        await inform(id, {
          informAt: T0 + 1,
          parameterOps: [
            { op: 'deleteObject', path: 'D.A_B.' },
            { op: 'deleteObject', path: 'D.A%.' },
          ],
        });
        expect(await paths(id)).toEqual(['D.', 'D.A%Z.', 'D.A%Z.c', 'D.A.', 'D.AB.', 'D.AB.c', 'D.AxB.', 'D.AxB.c']);
      });

      it('clearTree forgets the old tree before the ops after it', async () => {
        const id = idOf('P1');
        await inform(id, { parameterOps: [values(T0, [pv('Device.old', '1'), pv('Device.keep', '1')])] });
        await inform(id, {
          informAt: T0 + 1,
          events: [ev('0 BOOTSTRAP')],
          parameterOps: [{ op: 'clearTree' }, values(T0 + 1, [pv('Device.keep', '1'), pv('Device.new', '2')])],
        });
        const t = await tree(id);
        expect([...t.keys()]).toEqual(['Device.keep', 'Device.new']);
        expect(t.get('Device.keep')?.valueAt).toBe(T0 + 1);
      });

      it('applies the ops of one commit in order', async () => {
        const id = idOf('P1');
        await inform(id, {
          parameterOps: [
            values(T0, [pv('X.1.a', '1')]),
            { op: 'deleteObject', path: 'X.1.' },
            { op: 'addObject', at: T0 + 1, path: 'X.1.' },
            values(T0 + 2, [pv('X.1.b', '2')]),
          ],
        });
        expect(await paths(id)).toEqual(['X.', 'X.1.', 'X.1.b']);
      });

      it('getDevice selects a subtree or a single parameter', async () => {
        const id = idOf('P1');
        const tr = ['Device.', 'Device.WiFi.', 'Device.WiFi.a', 'Device.WiFi.a-b', 'Device.WiFi.S.', 'Device.WiFi.S.b', 'Device.WiFi2.', 'Device.WiFi2.c', 'Device.WiFia'];
        await inform(id, { parameterOps: [names(T0, '', false, tr)] });
        expect(await paths(id, 'Device.WiFi.')).toEqual(['Device.WiFi.', 'Device.WiFi.S.', 'Device.WiFi.S.b', 'Device.WiFi.a', 'Device.WiFi.a-b']);
        expect(await paths(id, 'Device.WiFi.a')).toEqual(['Device.WiFi.a']);
        expect(await paths(id, 'Device.Nope.')).toEqual([]);
        expect(await store.getDevice(idOf('nobody'))).toBeNull();
      });

      it('agrees with a reference model on random op sequences', async () => {
        let serial = 0;
        await fc.assert(
          fc.asyncProperty(fc.array(fc.array(opArbitrary, { maxLength: 6 }), { minLength: 1, maxLength: 4 }), async (commits) => {
            const id = idOf(`M${serial++}`);
            const model = new TreeModel();
            let at = T0;
            for (const batch of commits) {
              const ops = batch.map((op) => ('at' in op ? { ...op, at: ++at } : op));
              for (const op of ops) model.apply(op);
              await inform(id, { informAt: at, parameterOps: ops });
              expect((await store.getDevice(id))?.parameters).toEqual(model.rows());
            }
          }),
          { numRuns: 60 },
        );
      });
    });

    describe('request queue', () => {
      it('hands out queued requests in order, each with its fields', async () => {
        const id = idOf('Q1');
        const r1 = await queueRpc(store, id, getRpc, { now: T0 });
        const r2 = await queueRpc(store, id, reboot('rb-1'), { now: T0 + 1, expiresAt: T0 + 60_000 });
        const r3 = await queueRpc(store, id, getRpc, { now: T0 + 2 });
        expect(new Set([r1.id, r2.id, r3.id]).size).toBe(3);
        expect(r1.seq).toBeLessThan(r2.seq);
        expect(r2.seq).toBeLessThan(r3.seq);
        expect(r2).toEqual({
          id: r2.id,
          deviceId: id,
          task: { type: 'reboot', commandKey: 'rb-1' },
          seq: r2.seq,
          createdAt: T0 + 1,
          expiresAt: T0 + 60_000,
          state: 'queued',
          commandKey: 'rb-1',
          response: null,
          fault: null,
          updatedAt: T0 + 1,
          attempts: 0,
          connectionRequest: null,
        });
        expect(r1.commandKey).toBeNull();
        const opened = await open(id, A, T0 + 10);
        // Handed out means running, in the same transaction.
        const running = [r1, r2, r3].map((r) => ({ ...r, state: 'running', attempts: 1, updatedAt: T0 + 10 }));
        expect(opened.queue).toEqual(running);
        expect(await store.getTask(r2.id)).toEqual(running[1]);
        expect(await store.getTask('no-such-request')).toBeNull();
      });

      it('does not hand out expired requests, and marks them expired', async () => {
        const id = idOf('Q1');
        const gone = await queueRpc(store, id, getRpc, { now: T0, expiresAt: T0 + 100 });
        const kept = await queueRpc(store, id, getRpc, { now: T0, expiresAt: T0 + 1000 });
        const forever = await queueRpc(store, id, getRpc, { now: T0 });
        const opened = await open(id, A, T0 + 100);
        expect(opened.queue.map((r) => r.id)).toEqual([kept.id, forever.id]);
        expect(await store.getTask(gone.id)).toMatchObject({ state: 'expired', updatedAt: T0 + 100 });
      });

      it('records outcomes: done with the response, fault with the detail', async () => {
        const id = idOf('Q1');
        const ok = await queueRpc(store, id, getRpc, { now: T0 });
        const bad = await queueRpc(store, id, reboot('k'), { now: T0 });
        const later = await queueRpc(store, id, getRpc, { now: T0 });
        const response: CpeResponse = { method: 'GetParameterValuesResponse', parameterList: [pv('Device.DeviceInfo.X', 'y')] };
        const fault = { faultCode: 9001, faultString: 'Request denied', setParameterValuesFault: [] };
        await inform(id, {
          informAt: T0 + 50,
          requestOutcomes: [
            { requestId: ok.id, state: 'done', response, at: T0 + 40 },
            { requestId: bad.id, state: 'fault', fault, at: T0 + 45 },
          ],
        });
        expect(await store.getTask(ok.id)).toMatchObject({ state: 'done', response, fault: null, updatedAt: T0 + 40 });
        expect(await store.getTask(bad.id)).toMatchObject({ state: 'fault', response: null, fault, updatedAt: T0 + 45 });
        expect((await open(id, A, T0 + 60)).queue.map((r) => r.id)).toEqual([later.id]);
        expect((await deviceTasks(store, id)).map((r) => [r.id, r.state])).toEqual([
          [ok.id, 'done'],
          [bad.id, 'fault'],
          [later.id, 'running'],
        ]);
      });

      it('keeps each device’s queue to itself', async () => {
        const r1 = await queueRpc(store, idOf('Q1'), getRpc, { now: T0 });
        const r2 = await queueRpc(store, idOf('Q2'), getRpc, { now: T0 });
        expect((await open(idOf('Q1'), A, T0)).queue.map((r) => r.id)).toEqual([r1.id]);
        expect((await deviceTasks(store, idOf('Q2'))).map((r) => r.id)).toEqual([r2.id]);
        expect(await deviceTasks(store, idOf('Q3'))).toEqual([]);
      });

      it('round-trips stored JSON exactly, non-ASCII included', async () => {
        const id = idOf('Zürich 東京 / -%_', 'Box "5"');
        const text = 'Grüße, 東京, emoji 📡, quote " backslash \\ nul-free \u2028 end';
        const request: AcsRequest = {
          method: 'SetParameterValues',
          parameterList: [pv('Device.WiFi.SSID.1.SSID', text), pv('Device.X_ÜBER.n', '-1', 'xsd:int')],
          parameterKey: text,
        };
        const q = await queueRpc(store, id, request, { now: T0 });
        const events = [ev('M Download', text), ev('X 00D09E Ärger')];
        const response = { method: 'SetParameterValuesResponse', status: 1 } as const;
        const message = { method: 'Kicked', command: text, referer: 'http://h/ü', arg: '{"a":[1,2]}', next: '' } as const;
        await inform(id, {
          events,
          parameterOps: [values(T0, [pv('Device.WiFi.SSID.1.SSID', text)])],
          requestOutcomes: [{ requestId: q.id, state: 'done', response, at: T0 }],
          cpeMessages: [{ at: T0, message }],
          log: logOf(id, T0, { events, outcome: `protocol-error: ${text}`, cpeRequests: ['Kicked'] }),
        });
        const d = await store.getDevice(id);
        expect(d?.id).toBe(id);
        expect(d?.deviceId.serialNumber).toBe('Zürich 東京 / -%_');
        expect(d?.lastEvents).toEqual(events);
        expect(d?.parameters[0]?.value).toBe(text);
        expect(await store.getTask(q.id)).toMatchObject({ task: taskFromRequest(request), response });
        expect(await store.listCpeMessages(id)).toEqual([{ at: T0, message }]);
        expect((await store.listSessions(id))[0]?.outcome).toBe(`protocol-error: ${text}`);
      });
    });

    describe('devices', () => {
      it('tags: add, remove, idempotent, sorted, visible everywhere; unknown device → false', async () => {
        const id = idOf('T1');
        expect(await store.setTags(id, ['x'], [])).toBe(false);
        await inform(id);
        expect(await store.setTags(id, ['beta', 'alpha', 'gamma', 'alpha'], [])).toBe(true);
        expect(await store.setTags(id, ['delta'], ['gamma', 'missing'])).toBe(true);
        expect((await store.getDevice(id))?.tags).toEqual(['alpha', 'beta', 'delta']);
        expect((await store.listDevices()).devices[0]?.tags).toEqual(['alpha', 'beta', 'delta']);
        expect((await open(id, A, T0 + 1)).device?.tags).toEqual(['alpha', 'beta', 'delta']);
      });

      it('credentials: set, replace, look up by device and by username; usernames are unique', async () => {
        const id1 = idOf('C1');
        const id2 = idOf('C2');
        expect(await store.getCpeCredential(id1)).toBeNull();
        const c1 = { username: 'u1', realm: 'r', ha1: 'a'.repeat(32) };
        await store.setCpeCredential(id1, c1);
        expect(await store.getCpeCredential(id1)).toEqual(c1);
        const c1b = { username: 'u1b', realm: 'r2', ha1: 'b'.repeat(32) };
        await store.setCpeCredential(id1, c1b);
        expect(await store.getCpeCredential(id1)).toEqual(c1b);
        expect(await store.getCpeCredentialByUsername('u1')).toBeNull();
        expect(await store.getCpeCredentialByUsername('u1b')).toEqual({ deviceId: id1, credential: c1b });
        await expect(store.setCpeCredential(id2, { ...c1b, ha1: 'c'.repeat(32) })).rejects.toThrow();
        expect(await store.getCpeCredential(id2)).toBeNull();
        await store.setCpeCredential(id1, { ...c1b, ha1: 'd'.repeat(32) });
        expect((await open(id1, A, T0)).credential?.ha1).toBe('d'.repeat(32));
      });

      it('listDevices pages in id order and counts them all', async () => {
        const ids = ['D3', 'D1', 'D5', 'D2', 'D4'].map((s) => idOf(s));
        let at = T0;
        for (const id of ids) await inform(id, { informAt: at++ });
        const sorted = [...ids].sort();
        const all = await store.listDevices();
        expect(all.total).toBe(5);
        expect(all.devices.map((d) => d.id)).toEqual(sorted);
        const page = await store.listDevices({ limit: 2, offset: 2 });
        expect(page.total).toBe(5);
        expect(page.devices.map((d) => d.id)).toEqual(sorted.slice(2, 4));
        expect((await store.listDevices({ limit: 10, offset: 10 })).devices).toEqual([]);
        expect((await store.listDevices({ limit: 0 })).devices).toEqual([]);
      });

      it('deleteDevice removes the device and everything about it, and nothing else', async () => {
        const id = idOf('X1');
        const other = idOf('X2');
        for (const d of [id, other]) {
          await queueRpc(store, d, getRpc, { now: T0 });
          await store.setCpeCredential(d, { username: `u-${d}`, realm: 'r', ha1: 'f'.repeat(32) });
          await inform(d, {
            releaseLock: false,
            parameterOps: [values(T0, [pv('Device.a', '1')])],
            cpeMessages: [{ at: T0, message: { method: 'GetRPCMethods' } }],
          });
          await store.setTags(d, ['t'], []);
        }
        expect(await store.deleteDevice(id)).toBe(true);
        expect(await store.deleteDevice(id)).toBe(false);
        expect(await store.getDevice(id)).toBeNull();
        expect(await deviceTasks(store, id)).toEqual([]);
        expect(await store.getCpeCredential(id)).toBeNull();
        expect(await store.getCpeCredentialByUsername(`u-${id}`)).toBeNull();
        expect(await store.listSessions(id)).toEqual([]);
        expect(await store.listCpeMessages(id)).toEqual([]);
        expect((await open(id, B, T0 + 1)).lock).toBe('acquired');
        expect((await store.listDevices()).total).toBe(1);
        // The other device is whole.
        const o = await store.getDevice(other);
        expect([o?.tags, o?.parameters.length]).toEqual([['t'], 1]);
        expect(await deviceTasks(store, other)).toHaveLength(1);
        expect((await open(other, B, T0 + 1)).lock).toBe('busy');
        // Informing again starts afresh.
        await inform(id, { informAt: T0 + 100, lockOwner: B });
        expect(await store.getDevice(id)).toMatchObject({ firstInform: T0 + 100, tags: [], parameters: [] });
      });
    });

    describe('history', () => {
      it('lists sessions newest first with every field, up to a limit', async () => {
        const id = idOf('H1');
        const log = (at: number): SessionLogRecord =>
          logOf(id, at, {
            rpcs: [
              { method: 'GetParameterValues', requestId: 'r1', outcome: 'done' },
              { method: 'Reboot', requestId: null, outcome: 'fault', faultCode: 9001 },
            ],
            cpeRequests: ['TransferComplete'],
            linkedRequests: ['r0'],
            outcome: at === T0 + 2 ? 'timeout' : 'ok',
          });
        for (let i = 0; i < 3; i++) await inform(id, { informAt: T0 + i, log: log(T0 + i) });
        expect(await store.listSessions(id)).toEqual([log(T0 + 2), log(T0 + 1), log(T0)]);
        expect(await store.listSessions(id, 1)).toEqual([log(T0 + 2)]);
      });

      it('lists CPE messages newest first, up to a limit', async () => {
        const id = idOf('H1');
        const tc = (k: string) => ({
          method: 'TransferComplete' as const,
          commandKey: k,
          faultStruct: { faultCode: 0, faultString: '' },
          startTime: '2024-01-01T00:00:00Z',
          completeTime: '2024-01-01T00:01:00Z',
        });
        await inform(id, { cpeMessages: [{ at: T0, message: tc('a') }, { at: T0 + 1, message: tc('b') }] });
        await inform(id, { informAt: T0 + 5, cpeMessages: [{ at: T0 + 5, message: tc('c') }] });
        expect((await store.listCpeMessages(id)).map((m) => (m.message as { commandKey: string }).commandKey)).toEqual(['c', 'b', 'a']);
        expect(await store.listCpeMessages(id, 1)).toEqual([{ at: T0 + 5, message: tc('c') }]);
      });
    });

    it('migrate is idempotent and keeps data', async () => {
      const id = idOf('M1');
      await inform(id, { parameterOps: [values(T0, [pv('Device.a', '1')])] });
      await store.migrate();
      await store.migrate();
      expect((await store.getDevice(id))?.parameters).toHaveLength(1);
    });
  });
}

// ---------------------------------------------------------------------------
// Reference model of the parameter ops (the semantics documented in src/store/types.ts)
// ---------------------------------------------------------------------------

const OBJECTS = ['D.', 'D.A.', 'D.A.1.', 'D.A.10.', 'D.A_1.', 'D.A%.', 'D.B.'];
const PARAMS = ['D.A.1.x', 'D.A.10.x', 'D.A_1.x', 'D.A%.x', 'D.A.y', 'D.B.y', 'D.z'];
const NODES = [...OBJECTS, ...PARAMS];
const ROOTS = ['', 'D.', 'D.A.', 'D.A.1.', 'D.z'];

/** Ops with `at: 0`; the test stamps real, increasing times (so counterexamples print as data). */
const opArbitrary: fc.Arbitrary<ParameterOp> = fc.oneof(
  fc.constant<ParameterOp>({ op: 'clearTree' }),
  fc
    .tuple(fc.subarray(PARAMS), fc.constantFrom('a', 'b'), fc.constantFrom('xsd:string', 'xsd:int'), fc.boolean())
    .map(([ps, v, t, touch]): ParameterOp => ({ op: 'setValues', at: 0, touch, params: ps.map((p) => pv(p, v, t)) })),
  fc
    .tuple(fc.constantFrom(...ROOTS), fc.boolean(), fc.subarray(NODES), fc.boolean())
    .map(([root, nextLevel, list, writable]): ParameterOp => ({
      op: 'setNames',
      at: 0,
      root,
      nextLevel,
      params: list.filter((n) => n.startsWith(root)).map((name) => ({ name, writable })),
    })),
  fc
    .tuple(fc.subarray(NODES), fc.constantFrom(0, 1, 2) as fc.Arbitrary<0 | 1 | 2>, fc.boolean())
    .map(([list, notification, acl]): ParameterOp => ({
      op: 'setAttributes',
      at: 0,
      params: list.map((name) => ({ name, notification, accessList: acl ? ['Subscriber'] : [] })),
    })),
  fc.constantFrom(...OBJECTS).map((path): ParameterOp => ({ op: 'addObject', at: 0, path })),
  fc.constantFrom(...OBJECTS).map((path): ParameterOp => ({ op: 'deleteObject', path })),
);

function ancestors(path: string): string[] {
  const out: string[] = [];
  for (let i = path.indexOf('.'); i !== -1 && i < path.length - 1; i = path.indexOf('.', i + 1)) out.push(path.slice(0, i + 1));
  return out;
}

class TreeModel {
  readonly #rows = new Map<string, StoredParameter>();

  rows(): StoredParameter[] {
    return [...this.#rows.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  #node(path: string): StoredParameter {
    let row = this.#rows.get(path);
    if (row === undefined) {
      row = {
        path,
        object: path.endsWith('.'),
        value: null,
        type: null,
        writable: null,
        notification: null,
        accessList: null,
        valueAt: null,
        namesAt: null,
        attributesAt: null,
      };
      this.#rows.set(path, row);
    }
    return row;
  }

  #ensureObject(path: string, at: number): void {
    if (!this.#rows.has(path)) this.#node(path).namesAt = at;
  }

  #deleteSubtree(path: string): void {
    const prefix = path.endsWith('.') ? path : path + '.';
    for (const p of [...this.#rows.keys()]) if (p === path || p.startsWith(prefix)) this.#rows.delete(p);
  }

  apply(op: ParameterOp): void {
    switch (op.op) {
      case 'clearTree':
        this.#rows.clear();
        break;
      case 'setValues':
        for (const p of op.params) {
          const existing = this.#rows.get(p.name);
          if (existing && !op.touch && existing.value === p.value && existing.type === p.type) continue;
          Object.assign(this.#node(p.name), { value: p.value, type: p.type, valueAt: op.at });
        }
        break;
      case 'setNames': {
        const listed = new Set(op.params.map((p) => p.name));
        const keep = new Set([...listed, ...[...listed].flatMap(ancestors)]);
        if (op.root === '' || op.root.endsWith('.')) {
          for (const p of [...this.#rows.keys()]) {
            if (!this.#rows.has(p) || keep.has(p) || !p.startsWith(op.root) || p === op.root) continue;
            const rest = p.slice(op.root.length);
            if (!op.nextLevel) this.#rows.delete(p);
            else if (!rest.slice(0, -1).includes('.')) this.#deleteSubtree(p);
          }
        }
        for (const p of op.params) Object.assign(this.#node(p.name), { writable: p.writable, namesAt: op.at });
        for (const a of keep) this.#ensureObject(a, op.at);
        break;
      }
      case 'setAttributes':
        for (const p of op.params) {
          Object.assign(this.#node(p.name), { notification: p.notification, accessList: p.accessList, attributesAt: op.at });
        }
        break;
      case 'addObject':
        for (const a of ancestors(op.path)) this.#ensureObject(a, op.at);
        this.#node(op.path).namesAt = op.at;
        break;
      case 'deleteObject':
        this.#deleteSubtree(op.path);
        break;
    }
  }
}
