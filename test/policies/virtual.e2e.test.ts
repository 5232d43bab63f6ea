/**
 * Virtual parameters end to end (API over real HTTP, simulated TR-181 and TR-098 CPEs over
 * loopback, SQLite): CRUD with bad input refused where it is wrong; `VirtualParameters.WanIp`
 * computed in a session and kept in the tree, so the device list filters on it and shows it
 * as a column; a policy declaring `VirtualParameters.Ssid` sets the real parameter of each
 * data model through the write script; a read-only one faults the policy; an idle periodic
 * Inform still costs 2 round trips.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCpe } from '../../src/cpe/client/create.js';
import { loadModel } from '../../src/cpe/model/load.js';
import { deviceIdOf } from '../../src/store/device-id.js';
import { countingStore, type CountingStore } from '../../src/store/counting.js';
import { createSqliteStore } from '../../src/store/sqlite/index.js';
import { Api, SimFleet, inPath, startStack, until, type Stack } from '../nbi/helpers.js';

let s: Stack;
let api: Api;
let fleet: SimFleet;
let counted: CountingStore;

const WAN_IP = {
  name: 'WanIp',
  description: 'the WAN address, TR-181 or TR-098',
  read: 'return param("Device.IP.Interface.1.IPv4Address.1.IPAddress") ?? param("InternetGatewayDevice.WANDevice.1.WANConnectionDevice.1.WANIPConnection.1.ExternalIPAddress")',
};
const SSID = {
  name: 'Ssid',
  read: 'return param("Device.WiFi.SSID.1.SSID") ?? param("InternetGatewayDevice.LANDevice.1.WLANConfiguration.1.SSID")',
  write: 'if (param("Device.WiFi.SSID.1.SSID") !== null) declare("Device.WiFi.SSID.1.SSID", value);\nelse declare("InternetGatewayDevice.LANDevice.1.WLANConfiguration.1.SSID", value);',
};

beforeAll(async () => {
  const dir = await mkdtemp(join(tmpdir(), 'flotilla-virtual-'));
  counted = countingStore(await createSqliteStore({ dataDir: dir }));
  s = await startStack({ store: counted, acs: { discoverOnBootstrap: false, policyRetryBaseMs: 60 * 60_000 } });
  api = s.api;
  fleet = new SimFleet(s.acs.cwmpUrl);
});

afterAll(async () => {
  await fleet?.close();
  await s?.close();
});

describe('/virtual-parameters', () => {
  it('create, read, replace; bad input is a 400 with the position and nothing is saved', async () => {
    const a = await api.post('/virtual-parameters', WAN_IP);
    expect(a.status).toBe(201);
    expect(a.body).toMatchObject({ name: 'WanIp', path: 'VirtualParameters.WanIp', writable: false, revision: 1 });
    expect((await api.post('/virtual-parameters', SSID)).body).toMatchObject({ writable: true });
    expect((await api.post('/virtual-parameters', WAN_IP)).status).toBe(409);

    const syntax = await api.post('/virtual-parameters', { name: 'Bad', read: 'return 1', write: 'declare("A.B",\n  value' });
    expect(syntax.status).toBe(400);
    expect(syntax.body).toMatchObject({ code: 'INVALID_POLICY', position: { field: 'write', line: 2 } });
    expect((await api.post('/virtual-parameters', { name: 'has.dot', read: 'return 1' })).body).toMatchObject({ position: { field: 'name' } });
    expect((await api.post('/virtual-parameters', { name: 'NoRead' })).body).toMatchObject({ position: { field: 'read' } });
    expect((await api.post('/virtual-parameters', { name: 'Big', read: 'x'.repeat(20_000) })).status).toBe(400);
    expect((await api.post('/virtual-parameters', { name: 'Extra', read: 'return 1', env: 'x' })).body).toMatchObject({ position: { field: 'env' } });
    expect((await api.post('/virtual-parameters', ['x'])).status).toBe(400);
    expect((await api.req('PUT', '/virtual-parameters/WanIp', { name: 'Other', read: 'return 1' })).body).toMatchObject({ position: { field: 'name' } });
    expect((await api.req('PUT', '/virtual-parameters/Nope', { read: 'return 1' })).status).toBe(404);
    expect((await api.get('/virtual-parameters')).body.virtualParameters.map((v: { name: string }) => v.name)).toEqual(['Ssid', 'WanIp']);

    const put = await api.req('PUT', '/virtual-parameters/WanIp', { ...WAN_IP, description: 'changed' });
    expect(put.body).toMatchObject({ revision: 2, description: 'changed' });
    expect((await api.get('/virtual-parameters/WanIp')).body.revision).toBe(2);
  });
});

describe('in sessions', () => {
  let tr181 = '';

  it('a virtual parameter is computed in the first session and kept: the device list filters on it and shows it', async () => {
    const { cpe, id } = await fleet.add('POLV181');
    tr181 = id;
    const ip = cpe.model.get('Device.IP.Interface.1.IPv4Address.1.IPAddress')!.value;
    expect(ip).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    const list = await api.get(`/devices?filter=${encodeURIComponent(`VirtualParameters.WanIp = ${ip}`)}&fields=id,VirtualParameters.WanIp`);
    expect(list.status).toBe(200);
    expect(list.body.devices).toHaveLength(1);
    expect(JSON.stringify(list.body.devices[0])).toContain(ip);
    expect(list.body.devices[0].id).toBe(id);
    expect((await api.get(`/devices?filter=${encodeURIComponent('VirtualParameters.WanIp = 0.0.0.0')}`)).body.devices).toHaveLength(0);

    // Idle, unchanged: 2 store round trips, no RPC.
    counted.reset();
    const before = fleet.sessionsOf('POLV181').length;
    cpe.inform('2 PERIODIC');
    await until(() => fleet.sessionsOf('POLV181').length > before && fleet.sessionsOf('POLV181').at(-1)!.ok);
    expect(counted.byMethod()).toEqual({ openSession: 1, commitSession: 1 });
    expect(fleet.sessionsOf('POLV181').at(-1)!.rpcs).toEqual([]);
  });

  it('declaring a writable virtual parameter sets the real parameter of each data model; a read-only one faults', async () => {
    const p = await api.post('/policies', { name: 'ssid', filter: ['serialNumber ^= POLV'], declarations: [{ path: 'VirtualParameters.Ssid', value: 'vp-ssid' }] });
    expect(p.status, JSON.stringify(p.body)).toBe(201);
    const ro = await api.post('/policies', { name: 'wan', filter: ['serialNumber = POLV181'], declarations: [{ path: 'VirtualParameters.WanIp', value: '1.2.3.4' }] });
    expect(ro.status).toBe(201);

    // The TR-181 device at its next session.
    const cpe = fleet.cpes.get('POLV181')!;
    const before = fleet.sessionsOf('POLV181').length;
    cpe.inform('2 PERIODIC');
    await until(() => fleet.sessionsOf('POLV181').length > before && fleet.sessionsOf('POLV181').at(-1)!.ok);
    expect(cpe.model.get('Device.WiFi.SSID.1.SSID')?.value).toBe('vp-ssid');
    const rows = (await api.get(`/devices/${inPath(tr181)}/policies`)).body.compliance as { policyId: string; state: string; fault: { faultString: string } | null }[];
    expect(rows.find((r) => r.policyId === p.body.id)?.state).toBe('compliant');
    const wan = rows.find((r) => r.policyId === ro.body.id)!;
    expect(wan.state).toBe('faulted');
    expect(wan.fault!.faultString).toContain('read-only');
    const shown = await api.get(`/devices?filter=${encodeURIComponent('VirtualParameters.Ssid = vp-ssid')}`);
    expect(shown.body.devices.map((d: { id: string }) => d.id)).toEqual([tr181]);

    // A new TR-098 device, in its first session.
    const serial = 'POLV098';
    const igd = createCpe({
      template: loadModel('tr098-gateway'),
      serialNumber: serial,
      overrides: { 'InternetGatewayDevice.ManagementServer.URL': s.acs.cwmpUrl, 'InternetGatewayDevice.ManagementServer.PeriodicInformEnable': 'false' },
      runtime: fleet.runtime,
    });
    fleet.cpes.set(serial, igd);
    igd.start();
    await until(() => fleet.sessionsOf(serial).some((r) => r.ok));
    expect(fleet.sessionsOf(serial)).toHaveLength(1);
    expect(igd.model.get('InternetGatewayDevice.LANDevice.1.WLANConfiguration.1.SSID')?.value).toBe('vp-ssid');
    expect(igd.model.get('Device.WiFi.SSID.1.SSID')).toBeUndefined();
    const igdId = deviceIdOf(igd.model.deviceId());
    expect((await api.get(`/devices/${inPath(igdId)}/policies`)).body.compliance).toEqual([expect.objectContaining({ policyId: p.body.id, state: 'compliant' })]);
  });
});
