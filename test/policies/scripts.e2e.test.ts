/**
 * Policy scripts end to end: the API over real HTTP, simulated CPEs over loopback, SQLite in
 * a temp dir, scripts in the QuickJS sandbox, the HTTP extension against a real loopback
 * server. A script computes a value (SSID from the serial number; an NTP server from the
 * extension); a script that loops forever and one that allocates without bound are stopped
 * and reported as faulted while the ACS keeps serving; a syntax error is refused with its
 * position and nothing is saved; an idle periodic Inform still costs 2 store round trips.
 */
import { createServer, type Server } from 'node:http';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countingStore, type CountingStore } from '../../src/store/counting.js';
import { createSqliteStore } from '../../src/store/sqlite/index.js';
import { Api, SimFleet, inPath, startStack, until, type Stack } from '../nbi/helpers.js';

let s: Stack;
let api: Api;
let fleet: SimFleet;
let counted: CountingStore;
let ext: Server;
const extHits: string[] = [];
const created: string[] = [];

const SSID = 'Device.WiFi.SSID.1.SSID';
const NTP = 'Device.Time.NTPServer1';

beforeAll(async () => {
  ext = createServer((req, res) => {
    extHits.push(req.url ?? '');
    const m = /^\/ext\/ntp\/([A-Z0-9]+)$/.exec(req.url ?? '');
    if (m === null) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ server: `ntp-${m[1]!.toLowerCase()}.example.net` }));
  });
  await new Promise<void>((r) => ext.listen(0, '127.0.0.1', r));
  const port = (ext.address() as AddressInfo).port;
  const dir = await mkdtemp(join(tmpdir(), 'flotilla-scripts-'));
  counted = countingStore(await createSqliteStore({ dataDir: dir }));
  s = await startStack({
    store: counted,
    acs: {
      discoverOnBootstrap: false,
      policyRetryBaseMs: 60 * 60_000,
      // Roomy enough that, on a loaded machine, the memory limit stops the allocating script first.
      policyScriptTimeoutMs: 1500,
      policyScriptMemoryBytes: 1024 * 1024,
      policyHttpBase: `http://127.0.0.1:${port}/ext/`,
    },
  });
  api = s.api;
  fleet = new SimFleet(s.acs.cwmpUrl);
});

afterAll(async () => {
  await fleet?.close();
  await s?.close();
  await new Promise((r) => ext?.close(r));
});

async function policy(body: Record<string, unknown>): Promise<string> {
  const r = await api.post('/policies', body);
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  created.push(r.body.id);
  return r.body.id as string;
}

async function periodic(serial: string): Promise<void> {
  const before = fleet.sessionsOf(serial).length;
  fleet.cpes.get(serial)!.inform('2 PERIODIC');
  await until(() => fleet.sessionsOf(serial).length > before && fleet.sessionsOf(serial).at(-1)!.ok);
}

describe('a script computes a value', () => {
  it('SSID from the serial number, NTP server from the HTTP extension, in the first session; the next periodic Inform costs 2 round trips', async () => {
    const id = await policy({
      name: 'wifi by serial',
      filter: ['serialNumber ^= POLS'],
      declarations: [
        { path: SSID, from: { script: 'const sn = device.serialNumber;\nreturn "flotilla-" + sn.slice(-3).toLowerCase();' } },
        { path: NTP, from: { script: 'return JSON.parse(http.get("ntp/" + device.serialNumber)).server' } },
      ],
    });
    const { cpe, id: deviceId } = await fleet.add('POLS001');
    expect(cpe.model.get(SSID)?.value).toBe('flotilla-001');
    expect(cpe.model.get(NTP)?.value).toBe('ntp-pols001.example.net');
    expect(fleet.sessionsOf('POLS001')).toHaveLength(1);
    expect(extHits).toContain('/ext/ntp/POLS001');
    const rows = (await api.get(`/devices/${inPath(deviceId)}/policies`)).body.compliance;
    expect(rows).toEqual([expect.objectContaining({ policyId: id, state: 'compliant' })]);

    // Compliant, policies unchanged: no script runs, no RPC, the same 2 store round trips.
    const hits = extHits.length;
    counted.reset();
    await periodic('POLS001');
    expect(counted.byMethod()).toEqual({ openSession: 1, commitSession: 1 });
    expect(fleet.sessionsOf('POLS001').at(-1)!.rpcs).toEqual([]);
    expect(extHits.length).toBe(hits);

    // A dry run evaluates the script from stored state too.
    const plan = await api.post(`/policies/${id}/plan`, { name: 'wifi by serial', declarations: [{ path: SSID, from: { script: 'return "x-" + device.serialNumber' } }] });
    expect(plan.status).toBe(200);
    expect(plan.body.devices[0]).toMatchObject({ id: deviceId, set: [{ path: SSID, value: 'x-POLS001', current: 'flotilla-001' }] });
  });

  it('a policy-level script declares values with declare(path, value)', async () => {
    await policy({
      name: 'declares',
      filter: ['serialNumber = POLD001'],
      declarations: [],
      script: 'if (device.productClass !== "") declare("Device.Time.NTPServer2", "pc-" + device.serialNumber);\ndeclare("Device.Time.NTPServer3", param("Device.DeviceInfo.SerialNumber"));',
    });
    const { cpe } = await fleet.add('POLD001');
    expect(cpe.model.get('Device.Time.NTPServer2')?.value).toBe('pc-POLD001');
    expect(cpe.model.get('Device.Time.NTPServer3')?.value).toBe('POLD001');
  });
});

describe('runaway scripts', () => {
  it('a script that loops forever and one that allocates without bound are stopped and faulted; the ACS keeps serving', async () => {
    const loop = await policy({ name: 'loops', filter: ['serialNumber = POLX001'], declarations: [{ path: 'Device.Time.NTPServer4', from: { script: 'for (;;) {}' } }] });
    const hog = await policy({
      name: 'allocates',
      filter: ['serialNumber = POLX002'],
      declarations: [{ path: 'Device.Time.NTPServer4', from: { script: 'const a = [];\nfor (;;) a.push(String(a.length).padStart(200, "x"));' } }],
    });
    const thrower = await policy({ name: 'throws', filter: ['serialNumber = POLX003'], declarations: [{ path: 'Device.Time.NTPServer4', from: { script: 'throw new Error("no value for " + device.serialNumber)' } }] });

    const looping = await fleet.add('POLX001');
    const hogging = await fleet.add('POLX002');
    const throwing = await fleet.add('POLX003');
    // Their sessions ended normally, and the other policies' values still went in (SSID: POLS… only).
    for (const serial of ['POLX001', 'POLX002', 'POLX003']) expect(fleet.sessionsOf(serial).at(-1)!.ok).toBe(true);

    const fault = async (deviceId: string, policyId: string) => {
      const rows = (await api.get(`/devices/${inPath(deviceId)}/policies`)).body.compliance as { policyId: string; state: string; fault: { faultString: string } | null }[];
      const row = rows.find((r) => r.policyId === policyId)!;
      expect(row.state).toBe('faulted');
      return row.fault!.faultString;
    };
    expect(await fault(looping.id, loop)).toMatch(/interrupted/);
    expect(await fault(hogging.id, hog)).toMatch(/out of memory/);
    expect(await fault(throwing.id, thrower)).toContain('Error: no value for POLX003');
    expect((await api.get(`/policies/${loop}/compliance`)).body).toMatchObject({ faulted: 1, compliant: 0 });

    // The ACS keeps serving: a new device is configured by the script policy as before.
    const { cpe } = await fleet.add('POLS002');
    expect(cpe.model.get(SSID)?.value).toBe('flotilla-002');
    // The faulted device is retried with back-off, not every Inform: its next session runs no script and no RPC.
    await periodic('POLX001');
    expect(fleet.sessionsOf('POLX001').at(-1)!.rpcs).toEqual([]);
  });
});

describe('bad input', () => {
  it('a script with a syntax error: 400 with its line and column, nothing saved', async () => {
    const before = (await api.get('/policies')).body.policies.length;
    const r = await api.post('/policies', { name: 'bad', declarations: [{ path: SSID, from: { script: 'const a = 1;\nconst b = a +;\n' } }] });
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ code: 'INVALID_POLICY', position: { field: 'declarations[0].from.script', line: 2, column: expect.any(Number) } });
    expect(r.body.message).toMatch(/SyntaxError/);
    const top = await api.post('/policies', { name: 'bad', declarations: [], script: 'declare("A.B", 1' });
    expect(top.status).toBe(400);
    expect(top.body).toMatchObject({ code: 'INVALID_POLICY', position: { field: 'script', line: 1 } });
    const put = await api.req('PUT', `/policies/${created[0]}`, { name: 'x', declarations: [{ path: SSID, from: { script: '}' } }] });
    expect(put.status).toBe(400);
    expect((await api.get(`/policies/${created[0]}`)).body.revision).toBe(1);
    // Hostile and malformed: oversized, not a string, empty, unknown members.
    expect((await api.post('/policies', { name: 'big', declarations: [{ path: SSID, from: { script: 'x'.repeat(20_000) } }] })).status).toBe(400);
    expect((await api.post('/policies', { name: 'num', declarations: [{ path: SSID, from: { script: 42 } }] })).body).toMatchObject({ position: { field: 'declarations[0].from.script' } });
    expect((await api.post('/policies', { name: 'empty', declarations: [], script: '  ' })).status).toBe(400);
    expect((await api.post('/policies', { name: 'extra', declarations: [{ path: SSID, from: { script: 'return 1', env: {} } }] })).body).toMatchObject({ position: { field: 'declarations[0].from.env' } });
    // A script that would loop is not run at save: compiling it is enough.
    expect((await api.post('/policies/plan', { name: 'draft', declarations: [{ path: SSID, from: { script: 'for (;;) {}' } }] })).status).toBe(200);
    expect((await api.get('/policies')).body.policies.length).toBe(before);
  });
});
