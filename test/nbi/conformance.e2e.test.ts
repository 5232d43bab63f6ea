/**
 * Data-model conformance through the API, end to end: simulated CPEs (TR-181 and TR-098
 * models) discovered by a real ACS over HTTP, then the NBI's catalogue checks on tasks and
 * the device's conformance report.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Api, SimFleet, gatewayTemplate, inPath, startStack, until, type Stack } from './helpers.js';

let s: Stack;
let api: Api;
let routers: SimFleet;
let gateways: SimFleet;

beforeAll(async () => {
  s = await startStack();
  api = s.api;
  routers = new SimFleet(s.acs.cwmpUrl);
  gateways = new SimFleet(s.acs.cwmpUrl, { template: gatewayTemplate });
});

afterAll(async () => {
  await routers?.close();
  await gateways?.close();
  await s?.close();
});

/** A CPE whose bootstrap discovery is stored. */
async function discovered(fleet: SimFleet, serial: string): Promise<string> {
  const { id } = await fleet.add(serial);
  await until(async () => {
    const r = await api.get(`/devices/${inPath(id)}?subtree=${encodeURIComponent(`${fleet === routers ? 'Device.' : 'InternetGatewayDevice.'}ManagementServer.`)}`);
    return r.status === 200 && Object.keys(r.body.parameters ?? {}).length > 5 ? true : null;
  });
  return id;
}

describe('setParameterValues checked against the BBF catalogue before it is queued', () => {
  it('TR-181: PeriodicInformInterval = "abc" is a 400 naming the path; nothing is queued', async () => {
    const id = await discovered(routers, 'CONF-R1');
    const bad = await api.post(`/devices/${inPath(id)}/tasks`, { type: 'setParameterValues', parameterValues: [['Device.ManagementServer.PeriodicInformInterval', 'abc']] });
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe('INVALID_TASK');
    expect(bad.body.message).toContain('Device.ManagementServer.PeriodicInformInterval');
    // Declared as a string it passes the lexical check and meets the standard's.
    const typed = await api.post(`/devices/${inPath(id)}/tasks`, {
      type: 'setParameterValues',
      parameterValues: [['Device.ManagementServer.PeriodicInformInterval', 'abc', 'xsd:string']],
    });
    expect(typed.status).toBe(400);
    expect(typed.body.message).toMatch(/Device\.ManagementServer\.PeriodicInformInterval: "abc" is not allowed; Device:2\.17 says unsignedInt, from 1 to/);
    for (const [path, value, why] of [
      ['Device.ManagementServer.PeriodicInformInterval', '0', /from 1 to/],
      ['Device.WiFi.SSID.1.SSID', 'x'.repeat(33), /at most 32 characters/],
      ['Device.WiFi.AccessPoint.1.Security.ModeEnabled', 'WPA9', /one of/],
      ['Device.DeviceInfo.SerialNumber', 'X', /read-only in Device:2\.17/],
      ['Device.ManagementServer.NoSuchThing', '1', /not a parameter of Device:2\.17/],
    ] as const) {
      const r = await api.post(`/devices/${inPath(id)}/tasks`, { type: 'setParameterValues', parameterValues: [[path, value]] });
      expect(r.status, path).toBe(400);
      expect(r.body.message).toContain(path);
      expect(r.body.message).toMatch(why);
    }
    expect((await api.get(`/devices/${inPath(id)}/tasks`)).body.tasks).toEqual([]);
    const ok = await api.post(`/devices/${inPath(id)}/tasks`, { type: 'setParameterValues', parameterValues: [['Device.ManagementServer.PeriodicInformInterval', 600]] });
    expect(ok.status).toBe(202);
    expect(ok.body.task.parameterValues).toEqual([['Device.ManagementServer.PeriodicInformInterval', '600', 'xsd:unsignedInt']]);
  });

  it('TR-098 the same, and for every device a bulk filter matches (nothing queued for any)', async () => {
    const id = await discovered(gateways, 'CONF-G1');
    const path = 'InternetGatewayDevice.ManagementServer.PeriodicInformInterval';
    const bad = await api.post(`/devices/${inPath(id)}/tasks`, { type: 'setParameterValues', parameterValues: [[path, 'abc']] });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toContain(path);
    const bulk = await api.post('/tasks', { filter: [`id = ${id}`], task: { type: 'setParameterValues', parameterValues: [[path, '-5', 'xsd:int']] } });
    expect(bulk.status).toBe(400);
    expect(bulk.body.message).toMatch(/InternetGatewayDevice:1\.14 says unsignedInt/);
    expect((await api.get(`/devices/${inPath(id)}/tasks`)).body.tasks).toEqual([]);
  });
});
