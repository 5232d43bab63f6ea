/**
 * Issue 10, "Secrets stay secret" and "Bounds", end to end over real sockets on both
 * backends: a real simulated CPE is given a Wi-Fi key by a task, then a read-only token tries
 * what the security test did — rebuild it with `^=` filters, sort by it, read it from task
 * requests and responses, session logs and CPE messages — and gets 400 or `***`. Paging
 * values out of range answer 400 (not 500), and a device with the longest allowed id is read
 * and deleted.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueToken } from '../../src/auth/tokens.js';
import { deviceIdOf } from '../../src/store/device-id.js';
import { createPostgresStore } from '../../src/store/postgres/index.js';
import type { Store } from '../../src/store/types.js';
import { claimPgShared, createTestDatabase, describePg, type TestDatabase } from '../store/pg-helpers.js';
import { Api, inPath, SimFleet, startStack, type Stack } from './helpers.js';

const KEY_PATH = 'Device.WiFi.AccessPoint.1.Security.KeyPassphrase';
const CR_PASS_PATH = 'Device.ManagementServer.ConnectionRequestPassword';
/** 17 characters from a small alphabet, so the brute-force loop below stays short. */
const KEY = 'abbacabdaccbdadcb';
const ALPHABET = 'abcd';

const describeWithPg = await describePg();

function suite(name: string, open: () => Promise<{ store?: Store; done: () => Promise<void> }>, d: typeof describeWithPg = describe): void {
  d(`secrets and bounds over the API: ${name}`, () => {
    let s: Stack;
    let fleet: SimFleet;
    let done: () => Promise<void>;
    let ro: Api;
    let id: string;

    beforeAll(async () => {
      const o = await open();
      done = o.done;
      s = await startStack(o.store !== undefined ? { store: o.store } : {});
      fleet = new SimFleet(s.acs.cwmpUrl);
      ({ id } = await fleet.add('SEC-1'));
      const { token } = await issueToken(s.store, 'reader', 'read-only');
      ro = s.api.as(token);
      const r = await s.api.post(`/devices/${inPath(id)}/tasks?connectionRequest=true&wait=20`, {
        type: 'setParameterValues',
        parameterValues: [[KEY_PATH, KEY]],
      });
      expect(r.status).toBe(200);
      expect(r.body.state).toBe('done');
    }, 60_000);

    afterAll(async () => {
      await fleet?.close();
      await s?.close();
      await done?.();
    });

    it('the ^= prefix attack gets 400 at the first query, and never rebuilds the key', async () => {
      let known = '';
      let refused = 0;
      outer: for (let i = 0; i < KEY.length; i++) {
        for (const c of ALPHABET) {
          const r = await ro.get(`/devices?filter=${encodeURIComponent(`${KEY_PATH} ^= ${known}${c}`)}&limit=0`);
          if (r.status === 400) {
            refused++;
            expect(r.body.code).toBe('INVALID_FILTER');
            break outer;
          }
          expect(r.status).toBe(200);
          if (r.body.total > 0) {
            known += c;
            continue outer;
          }
        }
        break;
      }
      expect(known).not.toBe(KEY);
      expect(known).toBe('');
      expect(refused).toBe(1);
    });

    it('every filter operator and exists() on a secret parameter gets 400; so does a sort, either way', async () => {
      for (const f of [`${KEY_PATH} = ${KEY}`, `${KEY_PATH} != x`, `${KEY_PATH} > a`, `${KEY_PATH} ~= a*`, `exists(${KEY_PATH})`, `!exists(${CR_PASS_PATH})`]) {
        const r = await ro.get(`/devices?filter=${encodeURIComponent(f)}`);
        expect([f, r.status]).toEqual([f, 400]);
      }
      for (const sort of [KEY_PATH, `-${KEY_PATH}`, 'Device.X_ACME.WanPSK']) {
        const r = await ro.get(`/devices?sort=${encodeURIComponent(sort)}`);
        expect([sort, r.status]).toEqual([sort, 400]);
      }
      // The admin gets no more: no role reads secrets back.
      expect((await s.api.get(`/devices?filter=${encodeURIComponent(`${KEY_PATH} ^= a`)}`)).status).toBe(400);
      // A bulk task on a secret filter is refused too, and nothing is queued.
      const before = (await s.api.get('/tasks?limit=0')).body.total;
      const bulk = await s.api.post('/tasks', { filter: [`${KEY_PATH} = ${KEY}`], task: { type: 'reboot' } });
      expect(bulk.status).toBe(400);
      expect((await s.api.get('/tasks?limit=0')).body.total).toBe(before);
      // Other parameters still filter and sort.
      expect((await ro.get(`/devices?filter=${encodeURIComponent('Device.DeviceInfo.SerialNumber = SEC-1')}&sort=Device.DeviceInfo.SerialNumber`)).status).toBe(200);
    });

    it('the store refuses a secret filter from any caller, not only the API', async () => {
      await expect(s.store.listDevices({ filters: [{ field: 'parameter', path: KEY_PATH, op: 'prefix', value: 'a' }] })).rejects.toThrow(/secret/);
      await expect(s.store.listDevices({ sort: { key: { parameter: KEY_PATH }, descending: false } })).rejects.toThrow(/secret/);
    });

    it('the tree, projections, task requests and responses show *** to every role', async () => {
      for (const api of [ro, s.api]) {
        const dev = await api.get(`/devices/${inPath(id)}`);
        expect(dev.body.parameters[KEY_PATH].value).toBe('***');
        const page = await api.get(`/devices?fields=${encodeURIComponent(`Device.WiFi.`)}`);
        expect(page.body.devices[0].parameters[KEY_PATH].value).toBe('***');
        expect(JSON.stringify(dev.body) + JSON.stringify(page.body)).not.toContain(KEY);
      }
      // A getParameterValues answer carrying secrets (what a real CPE that does not hide them sends).
      const t = await s.api.post(`/devices/${inPath(id)}/tasks`, { type: 'getParameterValues', parameterNames: [KEY_PATH, CR_PASS_PATH] });
      expect(t.status).toBe(202);
      await s.store.openSession({ deviceId: id, lockOwner: 'test', lockTtlMs: 10_000, now: Date.now() });
      const dev = await s.store.getDevice(id);
      await s.store.commitSession({
        deviceId: id,
        lockOwner: 'test',
        identity: dev!.deviceId,
        informAt: Date.now(),
        events: [{ eventCode: '2 PERIODIC', commandKey: '' }],
        parameterOps: [],
        requestOutcomes: [
          {
            requestId: t.body.id,
            state: 'done',
            at: Date.now(),
            response: {
              method: 'GetParameterValuesResponse',
              parameterList: [
                { name: KEY_PATH, value: KEY, type: 'xsd:string' },
                { name: CR_PASS_PATH, value: 'cr-clear-text', type: 'xsd:string' },
              ],
            },
          },
        ],
        cpeMessages: [],
        log: { deviceId: id, startedAt: Date.now(), endedAt: Date.now(), events: [], rpcs: [], cpeRequests: [], outcome: 'ok', linkedRequests: [] },
        releaseLock: true,
      });
      for (const path of [`/tasks/${t.body.id}`, '/tasks?limit=1000', `/devices/${inPath(id)}/tasks`, `/tasks?deviceId=${inPath(id)}`]) {
        const r = await ro.get(path);
        expect(r.status).toBe(200);
        expect([path, r.text.includes(KEY) || r.text.includes('cr-clear-text')]).toEqual([path, false]);
      }
      const one = await ro.get(`/tasks/${t.body.id}`);
      expect(one.body.response.parameterList.map((p: { value: string }) => p.value)).toEqual(['***', '***']);
      // The setParameterValues task itself (its request) is masked too.
      const list = await ro.get(`/devices/${inPath(id)}/tasks`);
      const spv = list.body.tasks.find((x: { type: string }) => x.type === 'setParameterValues');
      expect(spv.task.parameterValues[0][1]).toBe('***');
      for (const path of [`/devices/${inPath(id)}/sessions`, `/devices/${inPath(id)}/messages`, `/devices/${inPath(id)}/faults`, '/faults']) {
        const r = await ro.get(path);
        expect([path, r.status, r.text.includes(KEY)]).toEqual([path, 200, false]);
      }
    });

    it('paging values out of range answer 400, never 500', async () => {
      const huge = '99999999999999999999';
      for (const path of ['/devices', '/tasks', '/faults', `/devices/${inPath(id)}/tasks`, `/devices/${inPath(id)}/faults`]) {
        for (const q of [`offset=${huge}`, `limit=${huge}`, 'offset=-1', 'offset=1.5', 'offset=1e3', 'offset=abc', 'limit=-1', `offset=${'9'.repeat(400)}`]) {
          const r = await ro.get(`${path}?${q}`);
          expect([path, q, r.status]).toEqual([path, q, 400]);
        }
        expect((await ro.get(`${path}?offset=1000000000`)).status).toBe(200);
      }
      for (const q of [`limit=${huge}`, 'limit=0']) {
        expect((await ro.get(`/devices/${inPath(id)}/sessions?${q}`)).status).toBe(400);
      }
    });

    it('a device with the longest allowed id is read, tagged and deleted (no 414/431)', async () => {
      // 64 characters each (TR-069's bound), 4-byte UTF-8 in every one: the longest id there is.
      const part = '\u{1F600}'.repeat(64);
      const long = deviceIdOf({ oui: part, productClass: part, serialNumber: part });
      expect(long.length).toBe(3 * 64 * 12 + 2);
      await s.store.openSession({ deviceId: long, lockOwner: 'test', lockTtlMs: 10_000, now: Date.now() });
      await s.store.commitSession({
        deviceId: long,
        lockOwner: 'test',
        identity: { manufacturer: 'Acme', oui: part, productClass: part, serialNumber: part },
        informAt: Date.now(),
        events: [{ eventCode: '0 BOOTSTRAP', commandKey: '' }],
        parameterOps: [],
        requestOutcomes: [],
        cpeMessages: [],
        log: { deviceId: long, startedAt: Date.now(), endedAt: Date.now(), events: [], rpcs: [], cpeRequests: [], outcome: 'ok', linkedRequests: [] },
        releaseLock: true,
      });
      const p = inPath(long);
      expect((await ro.get(`/devices/${p}`)).status).toBe(200);
      expect((await ro.get(`/devices/${p}/tasks`)).status).toBe(200);
      expect((await ro.get(`/tasks?deviceId=${p}`)).status).toBe(200);
      expect((await s.api.req('PUT', `/devices/${p}/tags/long`)).status).toBe(204);
      expect((await s.api.del(`/devices/${p}`)).status).toBe(204);
      expect((await ro.get(`/devices/${p}`)).status).toBe(404);
      // Longer than any device id can be: 400, not 414.
      expect((await ro.get(`/devices/${'A'.repeat(3000)}`)).status).toBe(400);
    });
  });
}

suite('sqlite', async () => ({ done: async () => undefined }));

let db: TestDatabase | null = null;
suite(
  'postgres',
  async () => {
    const release = await claimPgShared();
    db = await createTestDatabase();
    const store = await createPostgresStore({ url: db.url });
    return {
      store,
      done: async () => {
        await db?.drop();
        release();
      },
    };
  },
  describeWithPg,
);
