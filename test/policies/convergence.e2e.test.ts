/**
 * Convergence without loops, end to end (simulated CPEs over loopback, SQLite): a refused
 * value ends as a faulted compliance entry with the CPE's fault, retried with back-off, not
 * every Inform; conflicts resolve by priority and are reported; a factory reset brings the
 * configuration back; a TR-098 device is configured in its first session like a TR-181 one.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCpe } from '../../src/cpe/client/create.js';
import { loadModel } from '../../src/cpe/model/load.js';
import { deviceIdOf } from '../../src/store/device-id.js';
import { Api, SimFleet, inPath, startStack, until, type Stack } from '../nbi/helpers.js';

let s: Stack;
let api: Api;
let fleet: SimFleet;
const created: string[] = [];

beforeAll(async () => {
  s = await startStack({ acs: { discoverOnBootstrap: false, policyRetryBaseMs: 60 * 60_000 } });
  api = s.api;
  fleet = new SimFleet(s.acs.cwmpUrl);
});

afterAll(async () => {
  await fleet?.close();
  await s?.close();
});

async function policy(body: Record<string, unknown>): Promise<string> {
  const r = await api.post('/policies', body);
  expect(r.status).toBe(201);
  created.push(r.body.id);
  return r.body.id as string;
}

async function clear(): Promise<void> {
  for (const id of created.splice(0)) await api.del(`/policies/${id}`);
}

async function session(serial: string, event = '2 PERIODIC'): Promise<void> {
  const before = fleet.sessionsOf(serial).length;
  fleet.cpes.get(serial)!.inform(event);
  await until(() => fleet.sessionsOf(serial).length > before && fleet.sessionsOf(serial).at(-1)!.ok);
}

describe('convergence without loops', () => {
  it('a refused value is faulted with the CPE fault, and not retried every Inform', async () => {
    const id = await policy({
      name: 'too long',
      filter: ['serialNumber = POLR001'],
      declarations: [
        // The standard allows it (ModeEnabled ⊆ ModesSupported's standard values), so the policy is
        // accepted; this CPE's ModesSupported lacks it, so the CPE refuses it.
        { path: 'Device.WiFi.AccessPoint.1.Security.ModeEnabled', value: 'WEP-64' },
        { path: 'Device.Time.NTPServer2', value: 'ok.ntp.test' },
      ],
    });
    const { cpe, id: deviceId } = await fleet.add('POLR001');
    // The acceptable value went in; the refused one did not, and nothing looped.
    expect(cpe.model.get('Device.Time.NTPServer2')?.value).toBe('ok.ntp.test');
    expect(cpe.model.get('Device.WiFi.AccessPoint.1.Security.ModeEnabled')?.value).not.toBe('WEP-64');
    const first = fleet.sessionsOf('POLR001');
    expect(first).toHaveLength(1);
    const sets = first[0]!.rpcs.filter((r) => r.method === 'SetParameterValues');
    expect(sets.length).toBeGreaterThanOrEqual(1);
    expect(sets.length).toBeLessThanOrEqual(3);
    const rows = (await api.get(`/devices/${inPath(deviceId)}/policies`)).body.compliance;
    expect(rows).toEqual([expect.objectContaining({ policyId: id, state: 'faulted', fault: expect.objectContaining({ path: 'Device.WiFi.AccessPoint.1.Security.ModeEnabled', faultCode: expect.any(Number) }) })]);
    expect(rows[0].fault.faultCode).toBeGreaterThanOrEqual(9000);
    expect((await api.get(`/policies/${id}/compliance`)).body).toMatchObject({ faulted: 1, compliant: 0 });
    // Five more Informs inside the back-off: no RPC at all, and the ACS starts no session.
    for (let i = 0; i < 5; i++) await session('POLR001');
    const later = fleet.sessionsOf('POLR001').slice(1);
    expect(later).toHaveLength(5);
    for (const r of later) expect(r.rpcs).toEqual([]);
    await clear();
  });

  it('two policies on one path: the higher priority wins, the conflict is reported', async () => {
    const low = await policy({ name: 'low', filter: ['serialNumber = POLC001'], priority: 1, declarations: [{ path: 'Device.Time.NTPServer3', value: 'low.test' }] });
    const high = await policy({ name: 'high', filter: ['serialNumber = POLC001'], priority: 9, declarations: [{ path: 'Device.Time.NTPServer3', value: 'high.test' }] });
    const { cpe, id } = await fleet.add('POLC001');
    expect(cpe.model.get('Device.Time.NTPServer3')?.value).toBe('high.test');
    const plan = (await api.get(`/devices/${inPath(id)}/plan`)).body;
    expect(plan.conflicts).toEqual([
      { path: 'Device.Time.NTPServer3', winner: { policyId: high, value: 'high.test' }, overruled: [{ policyId: low, value: 'low.test' }] },
    ]);
    const dry = (await api.post(`/policies/${low}/plan`, {})).body;
    expect(dry.devices[0].conflicts).toHaveLength(1);
    // Both count as compliant: the overruled path does not count against the lower one.
    expect((await api.get(`/policies/${low}/compliance`)).body).toMatchObject({ compliant: 1 });
    expect((await api.get(`/policies/${high}/compliance`)).body).toMatchObject({ compliant: 1 });
    // The next session has nothing to do: no flip-flop between the two.
    await session('POLC001');
    expect(fleet.sessionsOf('POLC001').at(-1)!.rpcs).toEqual([]);
    await clear();
  });

  it('a factory reset (0 BOOTSTRAP) brings the configuration back; rollback restores an old revision', async () => {
    const id = await policy({
      name: 'base',
      filter: ['serialNumber = POLF001'],
      triggers: ['0 BOOTSTRAP'],
      declarations: [
        { path: 'Device.Time.NTPServer1', value: 'base.ntp.test' },
        { path: 'Device.ManagementServer.PeriodicInformInterval', value: '600' },
        { path: 'Device.WiFi.SSID.1.SSID', value: 'Flotilla-Policy' },
      ],
    });
    const { cpe, id: deviceId } = await fleet.add('POLF001');
    expect(cpe.model.get('Device.Time.NTPServer1')?.value).toBe('base.ntp.test');
    expect(cpe.model.get('Device.ManagementServer.PeriodicInformInterval')?.value).toBe('600');
    expect(cpe.model.get('Device.WiFi.SSID.1.SSID')?.value).toBe('Flotilla-Policy');
    const before = fleet.sessionsOf('POLF001').length;
    const t = await api.post(`/devices/${inPath(deviceId)}/tasks?connectionRequest=true&wait=15`, { type: 'factoryReset' });
    expect(t.body.state).toBe('done');
    await until(() => fleet.sessionsOf('POLF001').slice(before).some((r) => r.events.includes('0 BOOTSTRAP') && r.ok));
    expect(cpe.model.get('Device.Time.NTPServer1')?.value).toBe('base.ntp.test');
    expect(cpe.model.get('Device.WiFi.SSID.1.SSID')?.value).toBe('Flotilla-Policy');

    await api.req('PUT', `/policies/${id}`, { name: 'base', filter: ['serialNumber = POLF001'], declarations: [{ path: 'Device.Time.NTPServer1', value: 'v2.ntp.test' }] });
    const rolled = await api.post(`/policies/${id}/rollback`, { revision: 1 });
    expect(rolled.body).toMatchObject({ revision: 3, triggers: ['0 BOOTSTRAP'] });
    expect(rolled.body.declarations).toHaveLength(3);
    expect((await api.post(`/policies/${id}/rollback`, { revision: 99 })).status).toBe(404);
    await clear();
  });

  it('a new TR-098 device is configured in its first session', async () => {
    await policy({
      name: 'igd',
      filter: ['exists(InternetGatewayDevice.DeviceInfo.SoftwareVersion)'],
      declarations: [
        { path: 'InternetGatewayDevice.Time.NTPServer1', value: 'igd.ntp.test' },
        { path: 'InternetGatewayDevice.ManagementServer.PeriodicInformInterval', value: '900' },
        { path: 'InternetGatewayDevice.LANDevice.1.WLANConfiguration.1.SSID', value: 'Flotilla-IGD' },
      ],
    });
    const serial = 'POLT098';
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
    expect(cpe.model.get('InternetGatewayDevice.Time.NTPServer1')?.value).toBe('igd.ntp.test');
    expect(cpe.model.get('InternetGatewayDevice.ManagementServer.PeriodicInformInterval')?.value).toBe('900');
    expect(cpe.model.get('InternetGatewayDevice.LANDevice.1.WLANConfiguration.1.SSID')?.value).toBe('Flotilla-IGD');
    const id = deviceIdOf(cpe.model.deviceId());
    await session(serial);
    expect(fleet.sessionsOf(serial).at(-1)!.rpcs).toEqual([]);
    expect((await api.get(`/devices/${inPath(id)}/plan`)).body.set).toEqual([]);
    await clear();
  });
});
