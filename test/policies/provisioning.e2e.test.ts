/**
 * Zero-touch provisioning end to end (simulated CPEs over loopback, SQLite): a new TR-181 and
 * a new TR-098 device each come up configured in their first session (Wi-Fi SSID, NTP server,
 * periodic interval, a port mapping by key); a factory reset brings the same configuration
 * back; a fleet-wide change of one declaration reads nothing before setting it (what the
 * others need is known and unchanged).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Cpe } from '../../src/cpe/client/cpe.js';
import { createCpe } from '../../src/cpe/client/create.js';
import { loadModel } from '../../src/cpe/model/load.js';
import { Api, SimFleet, inPath, startStack, until, type Stack } from '../nbi/helpers.js';

let s: Stack;
let api: Api;
let fleet: SimFleet;

beforeAll(async () => {
  s = await startStack({ acs: { discoverOnBootstrap: false } });
  api = s.api;
  fleet = new SimFleet(s.acs.cwmpUrl);
});

afterAll(async () => {
  await fleet?.close();
  await s?.close();
});

async function session(serial: string): Promise<string[]> {
  const before = fleet.sessionsOf(serial).length;
  fleet.cpes.get(serial)!.inform('2 PERIODIC');
  await until(() => fleet.sessionsOf(serial).length > before && fleet.sessionsOf(serial).at(-1)!.ok);
  return fleet.sessionsOf(serial).at(-1)!.rpcs.map((r) => r.method);
}

function mappings(cpe: Cpe, table: string): Record<string, string>[] {
  const out: Record<string, string>[] = [];
  for (let n = 1; n < 64; n++) {
    if (cpe.model.get(`${table}${n}.ExternalPort`) === undefined) continue;
    out.push({ ExternalPort: cpe.model.get(`${table}${n}.ExternalPort`)!.value, InternalClient: cpe.model.get(`${table}${n}.InternalClient`)!.value });
  }
  return out;
}

const PM181 = 'Device.NAT.PortMapping.';
const PM098 = 'InternetGatewayDevice.WANDevice.1.WANConnectionDevice.1.WANIPConnection.1.PortMapping.';

function expect181(cpe: Cpe, ntp: string): void {
  expect(cpe.model.get('Device.WiFi.SSID.1.SSID')?.value).toBe('Flotilla-Home');
  expect(cpe.model.get('Device.Time.NTPServer1')?.value).toBe(ntp);
  expect(cpe.model.get('Device.ManagementServer.PeriodicInformInterval')?.value).toBe('1800');
  expect(mappings(cpe, PM181)).toEqual([{ ExternalPort: '8443', InternalClient: '192.168.1.20' }]);
}

describe('zero-touch provisioning', () => {
  let base181 = '';

  it('a new TR-181 device and a new TR-098 device come up configured in their first session', async () => {
    const r181 = await api.post('/policies', {
      name: 'base TR-181',
      filter: ['serialNumber ^= POLZ'],
      declarations: [
        { path: 'Device.WiFi.SSID.1.SSID', value: 'Flotilla-Home' },
        { path: 'Device.Time.NTPServer1', value: 'ntp1.zero.test' },
        { path: 'Device.ManagementServer.PeriodicInformInterval', value: 1800 },
        { object: `${PM181}{i}`, key: { ExternalPort: 8443, Protocol: 'TCP' }, values: { InternalClient: '192.168.1.20', InternalPort: 443, Enable: true } },
      ],
    });
    expect(r181.status, r181.text).toBe(201);
    base181 = r181.body.id;
    const r098 = await api.post('/policies', {
      name: 'base TR-098',
      filter: ['serialNumber = POLZ098'],
      declarations: [
        { path: 'InternetGatewayDevice.LANDevice.1.WLANConfiguration.1.SSID', value: 'Flotilla-Home' },
        { path: 'InternetGatewayDevice.Time.NTPServer1', value: 'ntp1.zero.test' },
        { path: 'InternetGatewayDevice.ManagementServer.PeriodicInformInterval', value: 1800 },
        { object: `${PM098}{i}`, key: { ExternalPort: 8443, PortMappingProtocol: 'TCP' }, values: { InternalClient: '192.168.1.20', InternalPort: 443, PortMappingEnabled: true } },
      ],
    });
    expect(r098.status, r098.text).toBe(201);

    for (const serial of ['POLZ001', 'POLZ002', 'POLZ003']) {
      const { cpe } = await fleet.add(serial);
      expect(fleet.sessionsOf(serial)).toHaveLength(1);
      expect181(cpe, 'ntp1.zero.test');
    }
    const serial = 'POLZ098';
    const cpe = createCpe({
      template: loadModel('tr098-gateway'),
      serialNumber: serial,
      overrides: { 'InternetGatewayDevice.ManagementServer.URL': s.acs.cwmpUrl, 'InternetGatewayDevice.ManagementServer.PeriodicInformEnable': 'false' },
      runtime: fleet.runtime,
    });
    fleet.cpes.set(serial, cpe);
    cpe.start();
    await until(() => fleet.sessionsOf(serial).some((r) => r.ok));
    expect(fleet.sessionsOf(serial)).toHaveLength(1);
    expect(cpe.model.get('InternetGatewayDevice.LANDevice.1.WLANConfiguration.1.SSID')?.value).toBe('Flotilla-Home');
    expect(cpe.model.get('InternetGatewayDevice.Time.NTPServer1')?.value).toBe('ntp1.zero.test');
    expect(cpe.model.get('InternetGatewayDevice.ManagementServer.PeriodicInformInterval')?.value).toBe('1800');
    expect(mappings(cpe, PM098)).toEqual([{ ExternalPort: '8443', InternalClient: '192.168.1.20' }]);
    // Compliant: the next periodic session has nothing to do.
    for (const sn of ['POLZ001', 'POLZ098']) expect(await session(sn)).toEqual([]);
  });

  it('a factory reset (0 BOOTSTRAP) brings the same configuration back', async () => {
    const cpe = fleet.cpes.get('POLZ001')!;
    const id = (await api.get(`/devices?filter=${encodeURIComponent('serialNumber = POLZ001')}`)).body.devices[0].id as string;
    const before = fleet.sessionsOf('POLZ001').length;
    const t = await api.post(`/devices/${inPath(id)}/tasks?connectionRequest=true&wait=15`, { type: 'factoryReset' });
    expect(t.body.state).toBe('done');
    await until(() => fleet.sessionsOf('POLZ001').slice(before).some((r) => r.events.includes('0 BOOTSTRAP') && r.ok));
    const boot = fleet.sessionsOf('POLZ001').slice(before).find((r) => r.events.includes('0 BOOTSTRAP'))!;
    expect(boot.rpcs.filter((r) => r.method === 'AddObject')).toHaveLength(1);
    expect181(cpe, 'ntp1.zero.test');
    expect(await session('POLZ001')).toEqual([]);
  });

  it('a fleet-wide change of one declaration: each device sets it and confirms it, reading nothing before', async () => {
    const current = (await api.get(`/policies/${base181}`)).body;
    const declarations = current.declarations.map((d: { path?: string }) => (d.path === 'Device.Time.NTPServer1' ? { path: d.path, value: 'ntp2.zero.test' } : d));
    const put = await api.put(`/policies/${base181}`, { name: current.name, filter: current.filter, declarations });
    expect(put.status, put.text).toBe(200);
    await new Promise((r) => setTimeout(r, 200)); // the ACS reloads its policy set on the change event
    for (const serial of ['POLZ001', 'POLZ002', 'POLZ003']) {
      // The stored tree has every other value and the table: no read before the set, one confirming read.
      expect(await session(serial), serial).toEqual(['SetParameterValues', 'GetParameterValues']);
      expect181(fleet.cpes.get(serial)!, 'ntp2.zero.test');
      expect(await session(serial)).toEqual([]);
    }
    expect((await api.get(`/policies/${base181}/compliance`)).body).toMatchObject({ compliant: 3, faulted: 0 });
  });
});
