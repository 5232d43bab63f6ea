/**
 * The Store contract for what the NBI needs — device queries (filters, sort, paging,
 * projection, search indexes), the task lifecycle, tokens and webhooks — as a suite every
 * backend runs with the same factory as conformance.ts:
 *
 *   storeConformanceNbi('sqlite', factory);
 *
 * Device-query semantics are checked against a reference model written in TypeScript from
 * the DeviceFilter documentation (src/store/types.ts), on fixed cases and on random ones,
 * with the parameter searchable and not: an index must never change an answer.
 */
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EventStruct, ParameterValue } from '../../src/cwmp/types.js';
import { deviceIdOf, parseDeviceId } from '../../src/store/device-id.js';
import { prefixUpperBound } from '../../src/store/tree.js';
import type {
  DeviceFilter,
  DeviceListItem,
  DeviceQuery,
  DeviceSortKey,
  SessionCommit,
  Store,
  WebhookEventRecord,
} from '../../src/store/types.js';
import type { Task } from '../../src/tasks/types.js';
import type { StoreFixture } from './conformance.js';

const T0 = 1_700_000_000_000;
const A = 'acs-a';
const TTL = 30_000;
const ev = (eventCode: string, commandKey = ''): EventStruct => ({ eventCode, commandKey });
const pv = (name: string, value: string, type = 'xsd:string'): ParameterValue => ({ name, value, type });
const idOf = (serial: string, productClass = 'IGD', oui = '00D09E'): string => deviceIdOf({ oui, productClass, serialNumber: serial });

const SW = 'Device.DeviceInfo.SoftwareVersion';
const NUM = 'Device.X_Test.Number';

function commitOf(deviceId: string, over: Partial<SessionCommit> = {}): SessionCommit {
  const at = over.informAt ?? T0;
  const parsed = parseDeviceId(deviceId)!;
  return {
    deviceId,
    lockOwner: A,
    identity: { manufacturer: 'Acme', ...parsed },
    informAt: at,
    events: [ev('2 PERIODIC')],
    parameterOps: [],
    requestOutcomes: [],
    cpeMessages: [],
    log: { deviceId, startedAt: at, endedAt: at, events: [], rpcs: [], cpeRequests: [], outcome: 'ok', linkedRequests: [] },
    releaseLock: true,
    ...over,
  };
}

/** What a test device holds; the reference model reads the same. */
interface Spec {
  serial: string;
  productClass?: string;
  oui?: string;
  at: number;
  boot?: boolean;
  params?: Record<string, string>;
  tags?: string[];
}

const gpv: Task = { type: 'getParameterValues', parameterNames: ['Device.DeviceInfo.'] };
const reboot = (commandKey: string): Task => ({ type: 'reboot', commandKey });

export function storeConformanceNbi(name: string, factory: () => Promise<StoreFixture>): void {
  describe(`Store conformance (NBI): ${name}`, () => {
    let store: Store;
    let cleanup: () => Promise<void>;
    beforeEach(async () => {
      ({ store, cleanup } = await factory());
    });
    afterEach(async () => {
      await cleanup();
    });

    async function device(s: Spec): Promise<string> {
      const id = idOf(s.serial, s.productClass, s.oui);
      const opened = await store.openSession({ deviceId: id, lockOwner: A, lockTtlMs: TTL, now: s.at });
      expect(opened.lock).toBe('acquired');
      const params = Object.entries(s.params ?? {}).map(([k, v]) => pv(k, v));
      await store.commitSession(
        commitOf(id, {
          informAt: s.at,
          events: s.boot === true ? [ev('1 BOOT')] : [ev('2 PERIODIC')],
          parameterOps: params.length > 0 ? [{ op: 'setValues', at: s.at, touch: false, params }] : [],
        }),
      );
      if (s.tags !== undefined) await store.setTags(id, s.tags, []);
      return id;
    }

    const ids = (page: { devices: DeviceListItem[] }): string[] => page.devices.map((d) => d.id);

    describe('device queries', () => {
      const specs: Spec[] = [
        { serial: 'S01', at: T0 + 5, boot: true, params: { [SW]: '1.0.0', [NUM]: '10' }, tags: ['lab', 'north'] },
        { serial: 'S02', at: T0 + 3, params: { [SW]: '1.0.1', [NUM]: '9' }, tags: ['north'] },
        { serial: 'S03', at: T0 + 9, boot: true, params: { [SW]: '2.0.0', [NUM]: '-3.5' } },
        { serial: 'S04', at: T0 + 1, params: { [SW]: '1.0.0', [NUM]: 'n/a' }, tags: ['south'] },
        { serial: 'S05', at: T0 + 7, params: { [SW]: 'beta_[x]*1', 'Device.Other': 'x' } },
        { serial: 'T06', productClass: 'ONT', at: T0 + 2, params: { [NUM]: '100' }, tags: ['lab'] },
        { serial: 'T07', productClass: 'ONT', oui: 'AABBCC', at: T0 + 8 },
      ];
      let all: string[];
      beforeEach(async () => {
        all = [];
        for (const s of specs) all.push(await device(s));
      });
      const q = async (filters: DeviceFilter[], extra: DeviceQuery = {}) => ids(await store.listDevices({ filters, ...extra }));
      const byIndex = (...n: number[]) => n.map((i) => all[i - 1]!).sort();

      for (const searchable of [false, true]) {
        describe(searchable ? 'with search indexes' : 'without search indexes', () => {
          beforeEach(async () => {
            await store.setSearchablePaths(searchable ? [SW, NUM] : []);
          });

          it('parameter eq / ne (ne includes devices without it) / exists / notExists', async () => {
            expect(await q([{ field: 'parameter', path: SW, op: 'eq', value: '1.0.0' }])).toEqual(byIndex(1, 4));
            expect(await q([{ field: 'parameter', path: SW, op: 'ne', value: '1.0.0' }])).toEqual(byIndex(2, 3, 5, 6, 7));
            expect(await q([{ field: 'parameter', path: NUM, op: 'exists' }])).toEqual(byIndex(1, 2, 3, 4, 6));
            expect(await q([{ field: 'parameter', path: NUM, op: 'notExists' }])).toEqual(byIndex(5, 7));
          });

          it('comparisons: numeric when the operand is a number (non-numbers never match), else byte order', async () => {
            expect(await q([{ field: 'parameter', path: NUM, op: 'gt', value: '9' }])).toEqual(byIndex(1, 6));
            expect(await q([{ field: 'parameter', path: NUM, op: 'ge', value: '9' }])).toEqual(byIndex(1, 2, 6));
            expect(await q([{ field: 'parameter', path: NUM, op: 'lt', value: '0' }])).toEqual(byIndex(3));
            expect(await q([{ field: 'parameter', path: NUM, op: 'le', value: '-3.5' }])).toEqual(byIndex(3));
            // As text "10" < "9" and "n/a" > "9".
            expect(await q([{ field: 'parameter', path: NUM, op: 'gt', value: '9x' }])).toEqual(byIndex(4));
            expect(await q([{ field: 'parameter', path: SW, op: 'lt', value: '1.0.1' }])).toEqual(byIndex(1, 4));
          });

          it('prefix and glob take _ % [ literally; glob has * and ?', async () => {
            expect(await q([{ field: 'parameter', path: SW, op: 'prefix', value: '1.0' }])).toEqual(byIndex(1, 2, 4));
            expect(await q([{ field: 'parameter', path: SW, op: 'prefix', value: 'beta_[' }])).toEqual(byIndex(5));
            expect(await q([{ field: 'parameter', path: SW, op: 'prefix', value: 'beta%' }])).toEqual([]);
            expect(await q([{ field: 'parameter', path: SW, op: 'glob', value: '1.?.?' }])).toEqual(byIndex(1, 2, 4));
            expect(await q([{ field: 'parameter', path: SW, op: 'glob', value: '*[x]*' }])).toEqual(byIndex(5));
            expect(await q([{ field: 'parameter', path: SW, op: 'glob', value: '1.0' }])).toEqual([]);
          });
        });
      }

      it('identity fields, tags and times', async () => {
        expect(await q([{ field: 'productClass', op: 'eq', value: 'ONT' }])).toEqual(byIndex(6, 7));
        expect(await q([{ field: 'oui', op: 'ne', value: '00D09E' }])).toEqual(byIndex(7));
        expect(await q([{ field: 'serialNumber', op: 'prefix', value: 'S0' }])).toEqual(byIndex(1, 2, 3, 4, 5));
        expect(await q([{ field: 'serialNumber', op: 'glob', value: 'T0?' }])).toEqual(byIndex(6, 7));
        expect(await q([{ field: 'id', op: 'eq', value: all[2]! }])).toEqual(byIndex(3));
        expect(await q([{ field: 'manufacturer', op: 'eq', value: 'Acme' }])).toEqual([...all].sort());
        expect(await q([{ field: 'tag', op: 'eq', value: 'lab' }])).toEqual(byIndex(1, 6));
        expect(await q([{ field: 'tag', op: 'ne', value: 'lab' }])).toEqual(byIndex(2, 3, 4, 5, 7));
        expect(await q([{ field: 'tag', op: 'prefix', value: 'no' }])).toEqual(byIndex(1, 2));
        expect(await q([{ field: 'tag', op: 'glob', value: '*th' }])).toEqual(byIndex(1, 2, 4));
        expect(await q([{ field: 'lastInform', op: 'ge', value: T0 + 7 }])).toEqual(byIndex(3, 5, 7));
        expect(await q([{ field: 'lastInform', op: 'lt', value: T0 + 3 }])).toEqual(byIndex(4, 6));
        expect(await q([{ field: 'lastBoot', op: 'exists' }])).toEqual(byIndex(1, 3));
        expect(await q([{ field: 'lastBoot', op: 'notExists' }])).toEqual(byIndex(2, 4, 5, 6, 7));
        expect(await q([{ field: 'lastBoot', op: 'ne', value: T0 + 5 }])).toEqual(byIndex(2, 3, 4, 5, 6, 7));
      });

      it('filters combine with AND; total counts every match whatever the page', async () => {
        const filters: DeviceFilter[] = [
          { field: 'parameter', path: NUM, op: 'exists' },
          { field: 'tag', op: 'ne', value: 'south' },
        ];
        const page = await store.listDevices({ filters, limit: 2, offset: 1 });
        expect(page.total).toBe(4);
        expect(ids(page)).toEqual(byIndex(1, 2, 3, 6).slice(1, 3));
        expect((await store.listDevices({ filters, limit: 0 })).total).toBe(4);
      });

      it('sorts by a field or a parameter, either way, ties by id', async () => {
        const sorted = async (key: DeviceSortKey, descending = false) => q([], { sort: { key, descending } });
        expect(await sorted('lastInform')).toEqual([4, 6, 2, 1, 5, 7, 3].map((i) => all[i - 1]));
        expect(await sorted('lastInform', true)).toEqual([3, 7, 5, 1, 2, 6, 4].map((i) => all[i - 1]));
        // Null boot times sort first (as -1); ties by id.
        expect(await sorted('lastBoot')).toEqual([...byIndex(2, 4, 5, 6, 7), all[0], all[2]]);
        expect(await sorted('productClass', true)).toEqual([...byIndex(6, 7).reverse(), ...byIndex(1, 2, 3, 4, 5).reverse()]);
        // Absent parameters sort as "" (T06, T07 first), then by value, ties by id.
        expect(await sorted({ parameter: SW })).toEqual([6, 7, 1, 4, 2, 3, 5].map((i) => all[i - 1]));
      });

      it('keyset paging walks every sort without gaps or repeats', async () => {
        const keys: [DeviceSortKey, boolean][] = [
          ['id', false],
          ['lastInform', true],
          ['lastBoot', false],
          ['serialNumber', true],
          [{ parameter: SW }, false],
          [{ parameter: NUM }, true],
        ];
        for (const [key, descending] of keys) {
          const whole = await q([], { sort: { key, descending } });
          const walked: string[] = [];
          let after: DeviceQuery['after'];
          for (let guard = 0; guard < 10; guard++) {
            const page = await store.listDevices({ sort: { key, descending }, limit: 3, ...(after ? { after } : {}) });
            walked.push(...ids(page));
            expect(page.total).toBe(all.length);
            if (page.next === null) break;
            after = page.next;
          }
          expect(walked).toEqual(whole);
        }
      });

      it('projects exact parameters and subtrees, and omits parameters without a projection', async () => {
        const page = await store.listDevices({ parameters: [NUM, 'Device.DeviceInfo.'], sort: { key: 'id' } });
        const first = page.devices.find((d) => d.id === all[0]);
        expect(first?.parameters?.map((p) => [p.path, p.value])).toEqual([
          [SW, '1.0.0'],
          [NUM, '10'],
        ]);
        expect(page.devices.find((d) => d.id === all[6])?.parameters).toEqual([]);
        expect((await store.listDevices({ limit: 1 })).devices[0]).not.toHaveProperty('parameters');
      });

      it('search paths: set, replace, list', async () => {
        await store.setSearchablePaths([SW, NUM]);
        expect(await store.searchablePaths()).toEqual([SW, NUM].sort());
        await store.setSearchablePaths([NUM, 'Device.Other']);
        expect(await store.searchablePaths()).toEqual(['Device.Other', NUM].sort());
        expect(await q([{ field: 'parameter', path: 'Device.Other', op: 'eq', value: 'x' }])).toEqual(byIndex(5));
        await store.setSearchablePaths([]);
        expect(await store.searchablePaths()).toEqual([]);
      });
    });

    it('agrees with a reference model on random fleets and filters, indexed or not', async () => {
      const value = fc.constantFrom('1', '2', '10', '-1', '1.5', 'a', 'b_c', '', 'x*y', '1.0.0');
      const fleet = fc.array(fc.record({ v: fc.option(value, { nil: undefined }), w: fc.option(value, { nil: undefined }) }), { minLength: 1, maxLength: 8 });
      const op = fc.constantFrom('eq', 'ne', 'lt', 'le', 'gt', 'ge', 'prefix', 'glob', 'exists', 'notExists') as fc.Arbitrary<DeviceFilter['op']>;
      const filter = fc.record({ path: fc.constantFrom('P.v', 'P.w'), op, value: fc.constantFrom('1', '10', '-1', 'a', 'b_', '1.*', '?', '', 'x*y', '1.0.0') });
      let round = 0;
      await fc.assert(
        fc.asyncProperty(fleet, fc.array(filter, { minLength: 1, maxLength: 2 }), fc.boolean(), async (devices, filters, indexed) => {
          round++;
          await store.setSearchablePaths(indexed ? ['P.v'] : []);
          const serials: string[] = [];
          for (const [i, d] of devices.entries()) {
            const params: Record<string, string> = {};
            if (d.v !== undefined) params['P.v'] = d.v;
            if (d.w !== undefined) params['P.w'] = d.w;
            serials.push(`R${round}x${i}`);
            await device({ serial: `R${round}x${i}`, at: T0, params });
          }
          const storeFilters: DeviceFilter[] = [
            { field: 'serialNumber', op: 'prefix', value: `R${round}x` },
            ...filters.map((f): DeviceFilter =>
              f.op === 'exists' || f.op === 'notExists'
                ? { field: 'parameter', path: f.path, op: f.op }
                : { field: 'parameter', path: f.path, op: f.op, value: f.value },
            ),
          ];
          const got = ids(await store.listDevices({ filters: storeFilters, sort: { key: 'serialNumber' } }));
          const expected = devices
            .map((d, i) => ({ id: idOf(serials[i]!), values: { 'P.v': d.v, 'P.w': d.w } as Record<string, string | undefined> }))
            .filter((d) => filters.every((f) => reference(f, d.values[f.path])))
            .map((d) => d.id);
          expect(got).toEqual(expected);
        }),
        { numRuns: 40 },
      );
    });

    describe('tasks', () => {
      const id = idOf('K1');
      const open = (now: number, owner = A) => store.openSession({ deviceId: id, lockOwner: owner, lockTtlMs: TTL, now });

      it('creates tasks in one call across devices, in order, with their CommandKey', async () => {
        const other = idOf('K2');
        const made = await store.createTasks(
          [
            { deviceId: id, task: gpv },
            { deviceId: other, task: reboot('rb-9'), expiresAt: T0 + 1000 },
            { deviceId: id, task: reboot('rb-1') },
          ],
          T0,
        );
        expect(made.map((t) => [t.deviceId, t.task.type])).toEqual([
          [id, 'getParameterValues'],
          [other, 'reboot'],
          [id, 'reboot'],
        ]);
        expect(made[0]!.seq).toBeLessThan(made[2]!.seq);
        expect(made[1]).toEqual({
          id: made[1]!.id,
          deviceId: other,
          task: reboot('rb-9'),
          seq: made[1]!.seq,
          createdAt: T0,
          expiresAt: T0 + 1000,
          state: 'queued',
          commandKey: 'rb-9',
          response: null,
          fault: null,
          updatedAt: T0,
          attempts: 0,
          connectionRequest: null,
        });
        expect(made[0]!.commandKey).toBeNull();
        expect(await store.getTask(made[2]!.id)).toEqual(made[2]);
        expect(await store.getTask('nope')).toBeNull();
      });

      it('openSession marks what it hands out running; the commit settles some and re-queues the rest', async () => {
        const [t1, t2, t3] = await store.createTasks([{ deviceId: id, task: gpv }, { deviceId: id, task: reboot('a') }, { deviceId: id, task: gpv }], T0);
        const opened = await open(T0 + 10);
        expect(opened.queue.map((t) => [t.id, t.state, t.attempts])).toEqual([
          [t1!.id, 'running', 1],
          [t2!.id, 'running', 1],
          [t3!.id, 'running', 1],
        ]);
        expect((await store.getTask(t2!.id))?.state).toBe('running');
        const fault = { faultCode: 9001, faultString: 'Request denied', setParameterValuesFault: [] };
        await store.commitSession(
          commitOf(id, {
            informAt: T0 + 10,
            requestOutcomes: [
              { requestId: t1!.id, state: 'done', response: { method: 'GetParameterValuesResponse', parameterList: [] }, at: T0 + 11 },
              { requestId: t2!.id, state: 'fault', fault, at: T0 + 12, response: { method: 'RebootResponse' } },
            ],
            log: { deviceId: id, startedAt: T0 + 10, endedAt: T0 + 20, events: [], rpcs: [], cpeRequests: [], outcome: 'timeout', linkedRequests: [] },
          }),
        );
        expect(await store.getTask(t1!.id)).toMatchObject({ state: 'done', fault: null, updatedAt: T0 + 11 });
        expect(await store.getTask(t2!.id)).toMatchObject({ state: 'fault', fault, response: { method: 'RebootResponse' } });
        expect(await store.getTask(t3!.id)).toMatchObject({ state: 'queued', attempts: 1 });
        expect((await open(T0 + 30)).queue.map((t) => [t.id, t.attempts])).toEqual([[t3!.id, 2]]);
      });

      it('a session that dies gives its tasks back: releaseLock, or a lapsed lock taken by another', async () => {
        const [t1] = await store.createTasks([{ deviceId: id, task: gpv }], T0);
        await open(T0);
        await store.releaseLock(id, A);
        expect((await store.getTask(t1!.id))?.state).toBe('queued');
        await open(T0 + 1);
        // A's process died: B takes the lapsed lock and is handed the running task again.
        const b = await store.openSession({ deviceId: id, lockOwner: 'acs-b', lockTtlMs: TTL, now: T0 + 1 + TTL });
        expect(b.queue.map((t) => [t.id, t.state, t.attempts])).toEqual([[t1!.id, 'running', 3]]);
      });

      it('expiry: at openSession and by expireTasks; retry lifts it', async () => {
        const [gone, kept, swept] = await store.createTasks(
          [
            { deviceId: id, task: gpv, expiresAt: T0 + 100 },
            { deviceId: id, task: gpv, expiresAt: T0 + 1000 },
            { deviceId: idOf('K9'), task: gpv, expiresAt: T0 + 100 },
          ],
          T0,
        );
        expect((await open(T0 + 100)).queue.map((t) => t.id)).toEqual([kept!.id]);
        expect(await store.getTask(gone!.id)).toMatchObject({ state: 'expired', updatedAt: T0 + 100 });
        const expired = await store.expireTasks(T0 + 200);
        expect(expired.map((t) => [t.id, t.state])).toEqual([[swept!.id, 'expired']]);
        expect((await store.getTask(kept!.id))?.state).toBe('running');
        expect(await store.expireTasks(T0 + 300)).toEqual([]);
        const retried = await store.retryTask(swept!.id, T0 + 400);
        expect(retried).toMatchObject({ state: 'queued', expiresAt: null, updatedAt: T0 + 400 });
      });

      it('retry moves fault back to queued with the fault cleared; other states stay', async () => {
        const [a, b] = await store.createTasks([{ deviceId: id, task: gpv }, { deviceId: id, task: gpv }], T0);
        await open(T0);
        const fault = { faultCode: 9005, faultString: 'Invalid parameter name', setParameterValuesFault: [] };
        await store.commitSession(
          commitOf(id, {
            requestOutcomes: [
              { requestId: a!.id, state: 'fault', fault, at: T0 + 1 },
              { requestId: b!.id, state: 'done', response: { method: 'GetParameterValuesResponse', parameterList: [] }, at: T0 + 1 },
            ],
          }),
        );
        expect(await store.retryTask(a!.id, T0 + 5)).toMatchObject({ state: 'queued', fault: null, updatedAt: T0 + 5 });
        expect(await store.retryTask(b!.id, T0 + 5)).toMatchObject({ state: 'done' });
        expect(await store.retryTask('nope', T0)).toBeNull();
        expect((await open(T0 + 6)).queue.map((t) => t.id)).toEqual([a!.id]);
      });

      it('lists by device and state, in creation order or newest first, with a total', async () => {
        const made = await store.createTasks([{ deviceId: id, task: gpv }, { deviceId: idOf('K2'), task: gpv }], T0);
        const later = await store.createTasks([{ deviceId: id, task: reboot('x') }], T0 + 5);
        const mine = await store.listTasks({ deviceId: id });
        expect([mine.total, mine.tasks.map((t) => t.id)]).toEqual([2, [made[0]!.id, later[0]!.id]]);
        const newest = await store.listTasks({ newestFirst: true, limit: 1 });
        expect([newest.total, newest.tasks.map((t) => t.id)]).toEqual([3, [later[0]!.id]]);
        expect((await store.listTasks({ states: ['fault'] })).total).toBe(0);
        expect((await store.listTasks({ states: ['queued', 'fault'], offset: 2 })).tasks.map((t) => t.id)).toEqual([later[0]!.id]);
      });

      it('deletes one task, or every task of a device in some states', async () => {
        const made = await store.createTasks([{ deviceId: id, task: gpv }, { deviceId: id, task: gpv }, { deviceId: idOf('K2'), task: gpv }], T0);
        expect(await store.deleteTask(made[0]!.id)).toBe(true);
        expect(await store.deleteTask(made[0]!.id)).toBe(false);
        expect(await store.deleteTasks({ deviceId: id, states: ['fault'] })).toBe(0);
        expect(await store.deleteTasks({ deviceId: id, states: ['queued'] })).toBe(1);
        expect((await store.listTasks()).tasks.map((t) => t.id)).toEqual([made[2]!.id]);
        await expect(store.deleteTasks({})).rejects.toThrow();
      });

      it('records connection-request outcomes on tasks', async () => {
        const made = await store.createTasks([{ deviceId: id, task: gpv }, { deviceId: id, task: gpv }], T0);
        const record = { at: T0 + 1, outcome: 'unreachable' as const, detail: 'timeout after 5000 ms' };
        await store.recordConnectionRequest([made[1]!.id], record);
        expect((await store.getTask(made[1]!.id))?.connectionRequest).toEqual(record);
        expect((await store.getTask(made[0]!.id))?.connectionRequest).toBeNull();
      });

      it('a failed TransferComplete faults the transfer task with its CommandKey', async () => {
        const download: Task = {
          type: 'download',
          commandKey: 'fw-1',
          fileType: '1 Firmware Upgrade Image',
          url: 'http://files/fw.bin',
          username: '',
          password: '',
          fileSize: 0,
          targetFileName: '',
          delaySeconds: 0,
          successURL: '',
          failureURL: '',
        };
        const [dl, rb] = await store.createTasks([{ deviceId: id, task: download }, { deviceId: id, task: reboot('fw-1') }], T0);
        await open(T0);
        const started = { method: 'DownloadResponse' as const, status: 1 as const, startTime: '', completeTime: '' };
        await store.commitSession(
          commitOf(id, {
            requestOutcomes: [
              { requestId: dl!.id, state: 'done', response: started, at: T0 },
              { requestId: rb!.id, state: 'done', response: { method: 'RebootResponse' }, at: T0 },
            ],
          }),
        );
        await open(T0 + 10);
        const tc = {
          method: 'TransferComplete' as const,
          commandKey: 'fw-1',
          faultStruct: { faultCode: 9010, faultString: 'Download failure' },
          startTime: '2026-01-01T00:00:00Z',
          completeTime: '2026-01-01T00:00:05Z',
        };
        await store.commitSession(commitOf(id, { informAt: T0 + 10, cpeMessages: [{ at: T0 + 10, message: tc }] }));
        expect(await store.getTask(dl!.id)).toMatchObject({
          state: 'fault',
          response: started,
          fault: { faultCode: 9010, faultString: 'Download failure', setParameterValuesFault: [] },
          updatedAt: T0 + 10,
        });
        expect((await store.getTask(rb!.id))?.state).toBe('done');
      });

      it('deleteDevice removes its tasks and only its', async () => {
        await device({ serial: 'K1', at: T0 });
        const made = await store.createTasks([{ deviceId: id, task: gpv }, { deviceId: idOf('K2'), task: gpv }], T0);
        await store.deleteDevice(id);
        expect(await store.getTask(made[0]!.id)).toBeNull();
        expect(await store.getTask(made[1]!.id)).not.toBeNull();
      });
    });

    describe('tokens and webhooks', () => {
      it('tokens: create, find by lookup, list in creation order, delete; lookups are unique', async () => {
        const t1 = { id: 't1', name: 'ops', role: 'operator' as const, lookup: 'aaaa', hash: 'a'.repeat(64), createdAt: T0 };
        const t2 = { id: 't2', name: 'ro', role: 'read-only' as const, lookup: 'bbbb', hash: 'b'.repeat(64), createdAt: T0 + 1 };
        await store.createApiToken(t2);
        await store.createApiToken(t1);
        expect(await store.findApiToken('aaaa')).toEqual(t1);
        expect(await store.findApiToken('cccc')).toBeNull();
        expect(await store.listApiTokens()).toEqual([t1, t2]);
        await expect(store.createApiToken({ ...t1, id: 't3' })).rejects.toThrow();
        expect(await store.deleteApiToken('t1')).toBe(true);
        expect(await store.deleteApiToken('t1')).toBe(false);
        expect(await store.listApiTokens()).toEqual([t2]);
      });

      it('webhooks: create, list, delete', async () => {
        const w = { id: 'w1', url: 'https://oss.example/hook', secret: 's'.repeat(32), events: ['task.done'], createdAt: T0 };
        await store.createWebhook(w);
        await store.createWebhook({ ...w, id: 'w2', events: [], createdAt: T0 + 1 });
        expect(await store.listWebhooks()).toEqual([w, { ...w, id: 'w2', events: [], createdAt: T0 + 1 }]);
        expect(await store.deleteWebhook('w1')).toBe(true);
        expect((await store.listWebhooks()).map((x) => x.id)).toEqual(['w2']);
      });
    });

    describe('webhook deliveries', () => {
      const LEASE = 10_000;
      const hook1 = { id: 'w1', url: 'https://oss.example/a', secret: 'secret-one-0123456789', events: [], createdAt: T0 };
      const hook2 = { id: 'w2', url: 'https://oss.example/b', secret: 'secret-two-0123456789', events: ['task.done'], createdAt: T0 + 1 };
      const event = (n: number): WebhookEventRecord => ({
        id: String(n),
        type: n % 2 === 0 ? 'task.done' : 'device.inform',
        at: T0 + n,
        deviceId: idOf(`D${n}`),
        data: { n, text: `grüße "${n}"`, nested: { list: [n, null, true] } },
      });
      beforeEach(async () => {
        await store.createWebhook(hook1);
        await store.createWebhook(hook2);
      });

      it('enqueues in one call; claims what is due, earliest first, with its webhook’s URL and secret, and leases it', async () => {
        await store.enqueueWebhookDeliveries(
          [
            { webhookId: 'w1', event: event(1) },
            { webhookId: 'w2', event: event(2) },
            { webhookId: 'w1', event: event(3) },
          ],
          T0,
        );
        await store.enqueueWebhookDeliveries([{ webhookId: 'w1', event: event(4) }], T0 + 5);
        // Nothing is due before it was queued.
        expect(await store.claimWebhookDeliveries(T0 - 1, 10, LEASE)).toEqual([]);
        const first = await store.claimWebhookDeliveries(T0, 2, LEASE);
        expect(first.map((d) => d.event)).toEqual([event(1), event(2)]);
        expect(first[0]).toMatchObject({
          webhookId: 'w1',
          url: hook1.url,
          secret: hook1.secret,
          attempts: 0,
          state: 'pending',
          nextAt: T0,
          leaseUntil: T0 + LEASE,
          lastError: null,
          createdAt: T0,
          updatedAt: T0,
        });
        expect(first[1]).toMatchObject({ webhookId: 'w2', url: hook2.url, secret: hook2.secret });
        expect(new Set(first.map((d) => d.id)).size).toBe(2);
        // The leased ones are not handed out again; the one queued later is not due yet at T0.
        expect((await store.claimWebhookDeliveries(T0, 10, LEASE)).map((d) => d.event.id)).toEqual(['3']);
        expect((await store.claimWebhookDeliveries(T0 + 5, 10, LEASE)).map((d) => d.event.id)).toEqual(['4']);
        expect(await store.claimWebhookDeliveries(T0 + LEASE - 1, 10, LEASE)).toEqual([]);
        // A lapsed lease (the claimer died) frees the delivery for the next claimer.
        const again = await store.claimWebhookDeliveries(T0 + LEASE, 10, LEASE);
        expect(again.map((d) => d.event.id)).toEqual(['1', '2', '3']);
        expect(again.map((d) => d.id)).toEqual([first[0]!.id, first[1]!.id, expect.any(String)]);
        expect(again[0]!.leaseUntil).toBe(T0 + 2 * LEASE);
        expect(await store.claimWebhookDeliveries(T0 + LEASE, 10, LEASE)).toEqual([]);
      });

      it('skips items whose webhook is gone, and a claim of nothing (limit 0, empty queue) is empty', async () => {
        await store.enqueueWebhookDeliveries([], T0);
        await store.enqueueWebhookDeliveries(
          [
            { webhookId: 'no-such-hook', event: event(1) },
            { webhookId: 'w1', event: event(2) },
          ],
          T0,
        );
        expect(await store.claimWebhookDeliveries(T0, 0, LEASE)).toEqual([]);
        expect((await store.listWebhookDeliveries('w1', { limit: 10 }))?.map((d) => d.event.id)).toEqual(['2']);
        expect((await store.claimWebhookDeliveries(T0, 10, LEASE)).map((d) => d.webhookId)).toEqual(['w1']);
        expect(await store.claimWebhookDeliveries(T0, 10, LEASE)).toEqual([]);
      });

      it('finish: retry waits until nextAt with the error kept; delivered and failed are final; each counts an attempt', async () => {
        await store.enqueueWebhookDeliveries([1, 2, 3].map((n) => ({ webhookId: 'w1', event: event(n) })), T0);
        const [a, b, c] = await store.claimWebhookDeliveries(T0, 10, LEASE);
        expect(await store.finishWebhookDelivery(a!.id, { state: 'retry', nextAt: T0 + 500, error: 'HTTP 503' }, T0 + 10)).toBe(true);
        expect(await store.finishWebhookDelivery(b!.id, { state: 'delivered' }, T0 + 11)).toBe(true);
        expect(await store.finishWebhookDelivery(c!.id, { state: 'failed', error: 'x'.repeat(500) }, T0 + 12)).toBe(true);
        // Finished ones cannot be finished again; unknown ids are not found.
        expect(await store.finishWebhookDelivery(b!.id, { state: 'failed', error: 'late' }, T0 + 13)).toBe(false);
        expect(await store.finishWebhookDelivery('no-such-delivery', { state: 'delivered' }, T0 + 13)).toBe(false);

        const byId = new Map((await store.listWebhookDeliveries('w1', { limit: 10 }))!.map((d) => [d.id, d]));
        expect(byId.get(a!.id)).toMatchObject({ state: 'pending', attempts: 1, nextAt: T0 + 500, leaseUntil: null, lastError: 'HTTP 503', updatedAt: T0 + 10 });
        expect(byId.get(b!.id)).toMatchObject({ state: 'delivered', attempts: 1, leaseUntil: null, lastError: null, updatedAt: T0 + 11 });
        expect(byId.get(c!.id)).toMatchObject({ state: 'failed', attempts: 1, leaseUntil: null, updatedAt: T0 + 12 });
        expect(byId.get(c!.id)!.lastError).toBe('x'.repeat(200));

        // The retry is due at nextAt, not before, though its lease was cleared; the others never again.
        expect(await store.claimWebhookDeliveries(T0 + 499, 10, LEASE)).toEqual([]);
        const [retried] = await store.claimWebhookDeliveries(T0 + 500, 10, LEASE);
        expect(retried).toMatchObject({ id: a!.id, attempts: 1, lastError: 'HTTP 503', leaseUntil: T0 + 500 + LEASE });
        expect(await store.finishWebhookDelivery(a!.id, { state: 'delivered' }, T0 + 600)).toBe(true);
        // Delivered after a failure: the failure stays on record, the attempts add up.
        expect((await store.listWebhookDeliveries('w1', { state: 'delivered', limit: 10 }))?.find((d) => d.id === a!.id)).toMatchObject({
          attempts: 2,
          lastError: 'HTTP 503',
          state: 'delivered',
        });
        expect(await store.claimWebhookDeliveries(T0 + 10 * LEASE, 10, LEASE)).toEqual([]);
      });

      it('lists newest first, by state, up to a limit, never with the secret; null for an unknown webhook', async () => {
        await store.enqueueWebhookDeliveries([1, 2].map((n) => ({ webhookId: 'w1', event: event(n) })), T0);
        await store.enqueueWebhookDeliveries([3, 4].map((n) => ({ webhookId: 'w1', event: event(n) })), T0 + 100);
        await store.enqueueWebhookDeliveries([{ webhookId: 'w2', event: event(5) }], T0 + 200);
        const all = await store.listWebhookDeliveries('w1', { limit: 10 });
        // Same creation time: the later queued first.
        expect(all?.map((d) => d.event.id)).toEqual(['4', '3', '2', '1']);
        expect(all?.[0]).toEqual({
          id: expect.any(String),
          webhookId: 'w1',
          event: event(4),
          attempts: 0,
          state: 'pending',
          nextAt: T0 + 100,
          leaseUntil: null,
          lastError: null,
          createdAt: T0 + 100,
          updatedAt: T0 + 100,
        });
        expect(JSON.stringify(all)).not.toContain(hook1.secret);
        expect((await store.listWebhookDeliveries('w1', { limit: 2 }))?.map((d) => d.event.id)).toEqual(['4', '3']);
        expect(await store.listWebhookDeliveries('w1', { limit: 0 })).toEqual([]);

        const claimed = await store.claimWebhookDeliveries(T0 + 100, 2, LEASE);
        expect(claimed.map((d) => d.event.id)).toEqual(['1', '2']);
        await store.finishWebhookDelivery(claimed[0]!.id, { state: 'delivered' }, T0 + 300);
        await store.finishWebhookDelivery(claimed[1]!.id, { state: 'failed', error: 'timeout' }, T0 + 300);
        expect((await store.listWebhookDeliveries('w1', { state: 'pending', limit: 10 }))?.map((d) => d.event.id)).toEqual(['4', '3']);
        expect((await store.listWebhookDeliveries('w1', { state: 'delivered', limit: 10 }))?.map((d) => d.event.id)).toEqual(['1']);
        expect((await store.listWebhookDeliveries('w1', { state: 'failed', limit: 10 }))?.map((d) => d.event.id)).toEqual(['2']);
        expect((await store.listWebhookDeliveries('w2', { limit: 10 }))?.map((d) => d.event.id)).toEqual(['5']);
        expect(await store.listWebhookDeliveries('w2', { state: 'failed', limit: 10 })).toEqual([]);
        expect(await store.listWebhookDeliveries('no-such-hook', { limit: 10 })).toBeNull();
      });

      it('prune deletes delivered and failed deliveries updated before the cut, never pending ones', async () => {
        await store.enqueueWebhookDeliveries([1, 2, 3, 4].map((n) => ({ webhookId: 'w1', event: event(n) })), T0);
        const [a, b, c] = await store.claimWebhookDeliveries(T0, 3, LEASE);
        await store.finishWebhookDelivery(a!.id, { state: 'delivered' }, T0 + 10);
        await store.finishWebhookDelivery(b!.id, { state: 'failed', error: 'HTTP 500' }, T0 + 20);
        await store.finishWebhookDelivery(c!.id, { state: 'delivered' }, T0 + 30);
        expect(await store.pruneWebhookDeliveries(T0 + 10)).toBe(0);
        expect(await store.pruneWebhookDeliveries(T0 + 30)).toBe(2);
        // The pending one (event 4) is older than every cut and stays.
        expect((await store.listWebhookDeliveries('w1', { limit: 10 }))?.map((d) => [d.event.id, d.state])).toEqual([
          ['4', 'pending'],
          ['3', 'delivered'],
        ]);
        expect(await store.pruneWebhookDeliveries(T0 + 10 * LEASE)).toBe(1);
        expect((await store.listWebhookDeliveries('w1', { limit: 10 }))?.map((d) => d.event.id)).toEqual(['4']);
      });

      it('deleting a webhook deletes its deliveries, and only its', async () => {
        await store.enqueueWebhookDeliveries(
          [
            { webhookId: 'w1', event: event(1) },
            { webhookId: 'w2', event: event(2) },
          ],
          T0,
        );
        const [leased] = await store.claimWebhookDeliveries(T0, 1, LEASE);
        expect(leased?.webhookId).toBe('w1');
        expect(await store.deleteWebhook('w1')).toBe(true);
        expect(await store.listWebhookDeliveries('w1', { limit: 10 })).toBeNull();
        // A claimer still holding one of them records nothing.
        expect(await store.finishWebhookDelivery(leased!.id, { state: 'delivered' }, T0 + 1)).toBe(false);
        expect((await store.claimWebhookDeliveries(T0 + 2 * LEASE, 10, LEASE)).map((d) => d.webhookId)).toEqual(['w2']);
        // A webhook made again with the same id starts with none.
        await store.createWebhook(hook1);
        expect(await store.listWebhookDeliveries('w1', { limit: 10 })).toEqual([]);
      });

      it('concurrent claimers never get the same delivery, and together get each one once', async () => {
        const n = 60;
        await store.enqueueWebhookDeliveries(
          Array.from({ length: n }, (_, i) => ({ webhookId: i % 2 === 0 ? 'w1' : 'w2', event: event(i) })),
          T0,
        );
        const seen: string[] = [];
        // Rounds of eight claims at once through the same store (on PostgreSQL they run on
        // different pooled connections), until the queue is empty.
        for (let round = 0; round < 20 && seen.length < n; round++) {
          const batches = await Promise.all(Array.from({ length: 8 }, () => store.claimWebhookDeliveries(T0 + 1, 4, LEASE)));
          for (const batch of batches) seen.push(...batch.map((d) => d.id));
        }
        expect(new Set(seen).size).toBe(seen.length);
        expect(seen).toHaveLength(n);
        expect(await store.claimWebhookDeliveries(T0 + 1, n, LEASE)).toEqual([]);
      });
    });
  });
}

/** DeviceFilter on a parameter, as documented, evaluated in TypeScript. */
function reference(f: { op: DeviceFilter['op']; value: string }, stored: string | undefined): boolean {
  const decimal = /^-?\d+(\.\d+)?$/;
  switch (f.op) {
    case 'exists':
      return stored !== undefined;
    case 'notExists':
      return stored === undefined;
    case 'ne':
      return stored !== f.value;
    default:
      break;
  }
  if (stored === undefined) return false;
  switch (f.op) {
    case 'eq':
      return stored === f.value;
    case 'prefix': {
      const hi = prefixUpperBound(f.value);
      return stored >= f.value && (hi === null || stored < hi);
    }
    case 'glob': {
      const re = new RegExp(`^${[...f.value].map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))).join('')}$`, 's');
      return re.test(stored);
    }
    default: {
      const cmp = (a: number | string, b: number | string): number => (a < b ? -1 : a > b ? 1 : 0);
      let c: number;
      if (decimal.test(f.value)) {
        if (!decimal.test(stored)) return false;
        c = cmp(Number(stored), Number(f.value));
      } else c = cmp(stored, f.value);
      return f.op === 'lt' ? c < 0 : f.op === 'le' ? c <= 0 : f.op === 'gt' ? c > 0 : c >= 0;
    }
  }
}

