/**
 * Data-model conformance through the API, end to end: simulated CPEs (TR-181 and TR-098
 * models) discovered by a real ACS over HTTP, then the NBI's catalogue checks on tasks and
 * the device's conformance report.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueToken } from '../../src/auth/tokens.js';
import { loadModel } from '../../src/cpe/model/load.js';
import { DUMP_DIR, hasDumps } from '../datamodel/dumps.js';
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

const dumpFleets: SimFleet[] = [];

afterAll(async () => {
  for (const f of dumpFleets) await f.close();
  await routers?.close();
  await gateways?.close();
  await s?.close();
});

/** A CPE whose bootstrap discovery is stored. */
async function discovered(fleet: SimFleet, serial: string, overrides: Record<string, string> = {}): Promise<string> {
  const { id, cpe } = await fleet.add(serial, overrides);
  await until(async () => {
    const r = await api.get(`/devices/${inPath(id)}?subtree=${encodeURIComponent(`${cpe.model.root}ManagementServer.`)}`);
    return r.status === 200 && Object.keys(r.body.parameters ?? {}).length > 5 ? true : null;
  });
  return id;
}

/** A fleet of CPEs simulated from a real device dump (../shared/device-models). */
function dumpFleet(file: string): SimFleet {
  let t: ReturnType<typeof loadModel> | undefined;
  const f = new SimFleet(s.acs.cwmpUrl, { template: () => (t ??= loadModel(join(DUMP_DIR, file))) });
  dumpFleets.push(f);
  return f;
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

describe('GET /devices/{id}/conformance', () => {
  it('a simulated TR-181 router: Device:2.17-generated, so only what the report implies', async () => {
    const id = await discovered(routers, 'CONF-R2');
    const r = await api.get(`/devices/${inPath(id)}/conformance`);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ deviceId: id, root: 'Device.', catalogue: 'Device:2.17' });
    expect(r.body.claimed[0]).toMatchObject({ profiles: ['Baseline:1'], implied: true });
    expect(r.body.counts.standard).toBeGreaterThan(100);
    // The simulator's model is generated from the catalogue: no wrong types, no non-standard names.
    expect(r.body.counts.wrongType).toBe(0);
    expect(r.body.findings.nonStandard).toEqual([]);
  });

  it.skipIf(!hasDumps)('a CPE simulated from the ZTE H199A dump: its known deviations, as JSON and CSV; per model and firmware', async () => {
    const zte = dumpFleet('zte-zxhn-h199a-tr098.csv');
    const wlan = 'InternetGatewayDevice.LANDevice.1.WLANConfiguration.1.';
    const long = `secret-${'k'.repeat(70)}`;
    const a = await discovered(zte, 'ZTECONF1', { [`${wlan}KeyPassphrase`]: long });
    const b = await discovered(zte, 'ZTECONF2');
    const r = await api.get(`/devices/${inPath(a)}/conformance`);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ oui: 'C0B101', productClass: 'ZXHN H199A', softwareVersion: 'V9.1.0P4N3_MUL', catalogue: 'InternetGatewayDevice:1.14' });
    expect(r.body.claimed[0]).toMatchObject({ model: 'InternetGatewayDevice:1.4', source: 'DeviceSummary', implied: false });
    expect(r.body.findings.invalidValues).toContainEqual(expect.objectContaining({ path: `${wlan}Standard`, reported: 'b,g,n', detail: 'enumeration' }));
    expect(r.body.findings.invalidValues).toContainEqual(expect.objectContaining({ path: `${wlan}KeyPassphrase`, reported: '***' }));
    expect(JSON.stringify(r.body)).not.toContain(long);
    expect(r.body.findings.wrongType).toContainEqual(
      expect.objectContaining({ path: 'InternetGatewayDevice.DeviceInfo.TemperatureStatus.TemperatureSensor.1.ResetTime', reported: 'xsd:unsignedLong', expected: 'xsd:dateTime' }),
    );
    for (const k of ['missing', 'wrongType', 'invalidValues', 'nonStandard'] as const) expect(r.body.counts[k], k).toBeGreaterThan(0);

    const csv = await api.get(`/devices/${inPath(a)}/conformance?format=csv`);
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
    const lines = String(csv.text).trim().split('\r\n');
    expect(lines[0]).toBe('"kind","path","reported","expected","detail"');
    expect(lines).toContain(`"invalidValues","${wlan}Standard","b,g,n","a, b, g, g-only, n","enumeration"`);
    expect(csv.text).not.toContain(long);

    const models = await api.get('/conformance/models');
    expect(models.status).toBe(200);
    const row = models.body.models.find((m: { productClass: string }) => m.productClass === 'ZXHN H199A');
    expect(row).toMatchObject({ oui: 'C0B101', softwareVersion: 'V9.1.0P4N3_MUL', devices: 2, catalogue: 'InternetGatewayDevice:1.14' });
    expect([a, b]).toContain(row.sampleDeviceId);
    expect(row.counts).toEqual((await api.get(`/devices/${inPath(row.sampleDeviceId)}/conformance`)).body.counts);
    const modelsCsv = await api.get('/conformance/models?format=csv');
    expect(modelsCsv.text.split('\r\n')[0]).toMatch(/^"oui","productClass","softwareVersion"/);
    expect(modelsCsv.text).toContain('"C0B101","ZXHN H199A","V9.1.0P4N3_MUL"');
  });

  it.skipIf(!hasDumps)('a CPE simulated from the TP-Link EX220 (TR-181) dump', async () => {
    const id = await discovered(dumpFleet('tplink-ex220-tr181.csv'), 'EX220CONF');
    const r = await api.get(`/devices/${inPath(id)}/conformance`);
    expect(r.status).toBe(200);
    expect(r.body.claimed[0]).toMatchObject({ model: 'Device:2.4', source: 'RootDataModelVersion' });
    expect(r.body.findings.wrongType).toContainEqual(expect.objectContaining({ path: 'Device.DHCPv6.Client.1.DUID', expected: 'xsd:hexBinary' }));
    expect(r.body.findings.nonStandard).toContainEqual(expect.objectContaining({ path: 'Device.BulkData.EncodeTypes' }));
  });

  it('malformed, hostile and unauthorised requests', async () => {
    const id = await discovered(routers, 'CONF-R3');
    expect((await api.get('/devices/no-such-device/conformance')).status).toBe(404);
    expect((await api.get(`/devices/${inPath(id)}/conformance?format=xml`)).status).toBe(400);
    expect((await api.get(`/devices/${inPath(id)}/conformance?extra=1`)).status).toBe(400);
    expect((await api.get(`/devices/${'x'.repeat(5000)}/conformance`)).status).toBeGreaterThanOrEqual(400);
    expect((await api.get(`/devices/${inPath("'; DROP TABLE devices; --")}/conformance`)).status).toBe(404);
    expect((await api.get('/conformance/models?limit=0')).status).toBe(400);
    expect((await api.get('/conformance/models?limit=abc')).status).toBe(400);
    expect((await api.as(null).get(`/devices/${inPath(id)}/conformance`)).status).toBe(401);
    const { token } = await issueToken(s.store, 'conf-reader', 'read-only');
    expect((await api.as(token).get(`/devices/${inPath(id)}/conformance`)).status).toBe(200);
    expect((await api.as(token).get('/conformance/models')).status).toBe(200);
  });

  it('is in the OpenAPI document', async () => {
    const doc = (await api.get('/openapi.json')).body;
    expect(doc.paths['/api/v1/devices/{id}/conformance']?.get).toBeDefined();
    expect(doc.paths['/api/v1/conformance/models']?.get).toBeDefined();
  });
});

describe('policy declarations checked against the catalogue', () => {
  it('a literal value that does not fit the standard is INVALID_POLICY at its position; vendor paths pass', async () => {
    const bad = await api.post('/policies', { name: 'bad interval', declarations: [{ path: 'Device.Time.NTPServer1', value: 'ntp.test' }, { path: 'Device.ManagementServer.PeriodicInformInterval', value: 'abc' }] });
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe('INVALID_POLICY');
    expect(bad.body.message).toMatch(/declarations\[1\]: Device\.ManagementServer\.PeriodicInformInterval: "abc" is not allowed; Device:2\.17 says unsignedInt/);
    expect(bad.body.position).toEqual({ field: 'declarations[1].value' });
    for (const [path, value, why] of [
      ['Device.WiFi.SSID.1.SSID', 'x'.repeat(40), /at most 32 characters/],
      ['InternetGatewayDevice.DeviceInfo.SerialNumber', 'X', /read-only in InternetGatewayDevice:1\.14/],
      ['Device.ManagementServer.NoSuchThing', '1', /not a parameter of Device:2\.17/],
    ] as const) {
      const r = await api.post('/policies', { name: 'bad', declarations: [{ path, value }] });
      expect(r.status, path).toBe(400);
      expect(r.body.message).toMatch(why);
    }
    expect((await api.get('/policies')).body.policies ?? []).toEqual([]);
    const ok = await api.post('/policies', { name: 'fine', declarations: [{ path: 'Device.ManagementServer.PeriodicInformInterval', value: 300 }, { path: 'Device.X_ACME_Mode', value: 'anything' }] });
    expect(ok.status).toBe(201);
    expect((await api.del(`/policies/${ok.body.id}`)).status).toBe(204);
  });
});
