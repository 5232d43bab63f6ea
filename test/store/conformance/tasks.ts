/**
 * Concern: the task queue (src/store/concerns/tasks.ts), with how the session's two round
 * trips hand tasks out and settle them.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import type { AcsRequest, CpeResponse } from '../../../src/cwmp/types.js';
import { taskFromRequest } from '../../../src/tasks/rpc.js';
import type { Store } from '../../../src/store/types.js';
import type { Task } from '../../../src/tasks/types.js';
import { deviceTasks, queueRpc } from '../../helpers/queue.js';
import { A, T0, TTL, commitOf, ev, harness, idOf, logOf, pv, type StoreFixture } from './harness.js';

const getRpc: AcsRequest = { method: 'GetParameterValues', parameterNames: ['Device.DeviceInfo.'] };
const reboot = (commandKey: string): AcsRequest => ({ method: 'Reboot', commandKey });
const gpv: Task = { type: 'getParameterValues', parameterNames: ['Device.DeviceInfo.'] };
const rebootTask = (commandKey: string): Task => ({ type: 'reboot', commandKey });

export function tasksConformance(name: string, factory: () => Promise<StoreFixture>): void {
  describe(`Store conformance, tasks: ${name}`, () => {
    const h = harness(factory);
    let store: Store;
    beforeEach(() => {
      store = h.store;
    });
    const { inform, open, values, device } = h;

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

      it('takeTasks false (a HEARTBEAT session): the lock is taken, no task is handed out or counted', async () => {
        const id = idOf('QHB');
        const r1 = await queueRpc(store, id, getRpc, { now: T0 });
        const opened = await store.openSession({ deviceId: id, lockOwner: A, lockTtlMs: TTL, now: T0 + 10, takeTasks: false });
        expect(opened.lock).toBe('acquired');
        expect(opened.queue).toEqual([]);
        expect(await store.getTask(r1.id)).toEqual(r1);
        // Held: another owner is refused until it is released.
        expect((await store.openSession({ deviceId: id, lockOwner: 'other', lockTtlMs: TTL, now: T0 + 11 })).lock).toBe('busy');
        await store.releaseLock(id, A);
        const next = await open(id, A, T0 + 20);
        expect(next.queue.map((t) => [t.id, t.state, t.attempts])).toEqual([[r1.id, 'running', 1]]);
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

    describe('tasks', () => {
      const id = idOf('K1');
      const open = (now: number, owner = A) => store.openSession({ deviceId: id, lockOwner: owner, lockTtlMs: TTL, now });

      it('creates tasks in one call across devices, in order, with their CommandKey', async () => {
        const other = idOf('K2');
        const made = await store.createTasks(
          [
            { deviceId: id, task: gpv },
            { deviceId: other, task: rebootTask('rb-9'), expiresAt: T0 + 1000 },
            { deviceId: id, task: rebootTask('rb-1') },
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
          task: rebootTask('rb-9'),
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
        const [t1, t2, t3] = await store.createTasks([{ deviceId: id, task: gpv }, { deviceId: id, task: rebootTask('a') }, { deviceId: id, task: gpv }], T0);
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

      it('a step of a task spanning sessions keeps its response and keeps it running; retry starts it over; list by type', async () => {
        const ping: Task = { type: 'ipPing', host: '127.0.0.1', count: 3 };
        const [diag, plain, settled] = await store.createTasks([{ deviceId: id, task: ping }, { deviceId: id, task: gpv }, { deviceId: id, task: ping }], T0);
        await open(T0 + 10);
        const spv: CpeResponse = { method: 'SetParameterValuesResponse', status: 0 };
        const done: CpeResponse = { method: 'GetParameterValuesResponse', parameterList: [] };
        await store.commitSession(
          commitOf(id, {
            informAt: T0 + 10,
            requestOutcomes: [{ requestId: settled!.id, state: 'done', response: done, at: T0 + 12 }],
            // A step for a settled task is moot: the outcome wins.
            requestProgress: [
              { requestId: diag!.id, response: spv, at: T0 + 11 },
              { requestId: settled!.id, response: spv, at: T0 + 11 },
            ],
          }),
        );
        // In progress until the CPE reports back (TransferComplete, DIAGNOSTICS COMPLETE): running, not queued.
        expect(await store.getTask(diag!.id)).toMatchObject({ state: 'running', response: spv, attempts: 1 });
        expect(await store.getTask(plain!.id)).toMatchObject({ state: 'queued', response: null });
        expect(await store.getTask(settled!.id)).toMatchObject({ state: 'done', response: done });
        // Only a task the session holds takes a step (not one already expired or finished).
        await store.commitSession(commitOf(id, { informAt: T0 + 20, requestProgress: [{ requestId: plain!.id, response: spv, at: T0 + 21 }] }));
        expect((await store.getTask(plain!.id))?.response).toBeNull();
        const diagnostics = await store.listTasks({ deviceId: id, types: ['ipPing', 'traceRoute'], newestFirst: true });
        expect([diagnostics.total, diagnostics.tasks.map((t) => t.id)]).toEqual([2, [settled!.id, diag!.id]]);
        expect((await store.expireTasks(T0 + 10_000_000)).length).toBe(0);
        await store.createTasks([{ deviceId: id, task: ping, expiresAt: T0 + 50 }], T0 + 30);
        const [gone] = await store.expireTasks(T0 + 60);
        expect(await store.retryTask(gone!.id, T0 + 70)).toMatchObject({ state: 'queued', response: null });
        // A waiting task is handed to later sessions (to match its TransferComplete), a session
        // released without a commit leaves it running, and its deadline still ends it.
        const [waiting] = await store.createTasks([{ deviceId: id, task: ping, expiresAt: T0 + 500 }], T0 + 100);
        await open(T0 + 110);
        await store.commitSession(commitOf(id, { informAt: T0 + 110, requestProgress: [{ requestId: waiting!.id, response: spv, at: T0 + 111 }] }));
        expect((await open(T0 + 120)).queue.map((t) => t.id)).toContain(waiting!.id);
        await store.releaseLock(id, A);
        expect(await store.getTask(waiting!.id)).toMatchObject({ state: 'running', response: spv });
        expect((await store.expireTasks(T0 + 499)).map((t) => t.id)).not.toContain(waiting!.id);
        expect((await store.expireTasks(T0 + 500)).map((t) => t.id)).toContain(waiting!.id);
        expect((await store.getTask(waiting!.id))?.state).toBe('expired');
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
        // Attempts start again: a task given up after too many sessions gets its full count back.
        expect(await store.retryTask(a!.id, T0 + 5)).toMatchObject({ state: 'queued', fault: null, attempts: 0, updatedAt: T0 + 5 });
        expect(await store.retryTask(b!.id, T0 + 5)).toMatchObject({ state: 'done' });
        expect(await store.retryTask('nope', T0)).toBeNull();
        expect((await open(T0 + 6)).queue.map((t) => t.id)).toEqual([a!.id]);
      });

      it('lists by device and state, in creation order or newest first, with a total', async () => {
        const made = await store.createTasks([{ deviceId: id, task: gpv }, { deviceId: idOf('K2'), task: gpv }], T0);
        const later = await store.createTasks([{ deviceId: id, task: rebootTask('x') }], T0 + 5);
        const mine = await store.listTasks({ deviceId: id });
        expect([mine.total, mine.tasks.map((t) => t.id)]).toEqual([2, [made[0]!.id, later[0]!.id]]);
        const newest = await store.listTasks({ newestFirst: true, limit: 1 });
        expect([newest.total, newest.tasks.map((t) => t.id)]).toEqual([3, [later[0]!.id]]);
        expect((await store.listTasks({ states: ['fault'] })).total).toBe(0);
        expect((await store.listTasks({ states: ['queued', 'fault'], offset: 2 })).tasks.map((t) => t.id)).toEqual([later[0]!.id]);
      });

      it("narrowed to the devices some filters match (a scoped principal's view): tag, parameter and field filters, with states and paging", async () => {
        const north = await h.device({ serial: 'SC1', at: T0, tags: ['north'], params: { 'Device.DeviceInfo.SoftwareVersion': '2.0' } });
        const south = await h.device({ serial: 'SC2', at: T0, tags: ['south'], params: { 'Device.DeviceInfo.SoftwareVersion': '2.0' } });
        const made = await store.createTasks([{ deviceId: north, task: gpv }, { deviceId: south, task: gpv }, { deviceId: north, task: rebootTask('n') }, { deviceId: idOf('NODEVICE'), task: gpv }], T0);
        const tagNorth = [{ field: 'tag' as const, op: 'eq' as const, value: 'north' }];
        const page = await store.listTasks({ devices: tagNorth });
        expect([page.total, page.tasks.map((t) => t.id)]).toEqual([2, [made[0]!.id, made[2]!.id]]);
        expect((await store.listTasks({ devices: tagNorth, newestFirst: true, limit: 1, offset: 1 })).tasks.map((t) => t.id)).toEqual([made[0]!.id]);
        expect((await store.listTasks({ devices: tagNorth, deviceId: south })).total).toBe(0);
        expect((await store.listTasks({ devices: tagNorth, states: ['fault'] })).total).toBe(0);
        // Every filter holds (AND): a parameter filter and the tag.
        const both = [...tagNorth, { field: 'parameter' as const, path: 'Device.DeviceInfo.SoftwareVersion', op: 'eq' as const, value: '2.0' }];
        expect((await store.listTasks({ devices: both })).total).toBe(2);
        expect((await store.listTasks({ devices: [{ field: 'parameter', path: 'Device.DeviceInfo.SoftwareVersion', op: 'eq', value: '2.0' }] })).total).toBe(3);
        expect((await store.listTasks({ devices: [{ field: 'serialNumber', op: 'eq', value: 'SC2' }] })).tasks.map((t) => t.id)).toEqual([made[1]!.id]);
        // A task of a device the store does not know is in no scope.
        expect((await store.listTasks({ devices: [] })).total).toBe(3);
        expect((await store.listTasks()).total).toBe(4);
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
        const [dl, rb] = await store.createTasks([{ deviceId: id, task: download }, { deviceId: id, task: rebootTask('fw-1') }], T0);
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
  });
}
