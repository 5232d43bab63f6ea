import { beforeEach, describe, expect, it } from 'vitest';
import type { AcsRequest, CpeResponse, Fault, ParameterValue } from '../../src/cwmp/types.js';
import { createDevice } from '../../src/cpe/device.js';
import { loadModel, type CpeDevice } from '../../src/cpe/model/index.js';
import type { RpcOutcome } from '../../src/cpe/types.js';

const router = loadModel('tr181-router');
const gateway = loadModel('tr098-gateway');

function response<M extends CpeResponse['method']>(o: RpcOutcome, method: M): Extract<CpeResponse, { method: M }> {
  expect(o.response.method).toBe(method);
  return o.response as Extract<CpeResponse, { method: M }>;
}
function fault(o: RpcOutcome): Fault['detail'] & { faultcode: string } {
  expect(o.response.method).toBe('Fault');
  const f = o.response as Fault;
  expect(o.effects).toEqual([]);
  return { ...f.detail, faultcode: f.faultcode };
}
const gpn = (d: CpeDevice, parameterPath: string, nextLevel: boolean) => d.handle({ method: 'GetParameterNames', parameterPath, nextLevel });
const gpv = (d: CpeDevice, ...parameterNames: string[]) => d.handle({ method: 'GetParameterValues', parameterNames });
const spv = (d: CpeDevice, list: [string, string, string?][], parameterKey = 'key'): RpcOutcome =>
  d.handle({ method: 'SetParameterValues', parameterKey, parameterList: list.map(([name, value, type]) => ({ name, value, type: type ?? '' })) } as AcsRequest);
const values = (o: RpcOutcome): Record<string, string> =>
  Object.fromEntries(response(o, 'GetParameterValuesResponse').parameterList.map((p: ParameterValue) => [p.name, p.value]));

let d: CpeDevice;
beforeEach(() => {
  d = createDevice(router, { serialNumber: 'FL000001' });
});

describe('GetParameterNames (A.3.2.3)', () => {
  it('"" with NextLevel true lists the root object only', () => {
    expect(response(gpn(d, '', true), 'GetParameterNamesResponse').parameterList).toEqual([{ name: 'Device.', writable: false }]);
  });

  it('"" with NextLevel false lists the whole tree, root first, objects before their contents', () => {
    const list = response(gpn(d, '', false), 'GetParameterNamesResponse').parameterList;
    expect(list.length).toBe(router.parameterCount + router.objectCount);
    expect(list[0]).toEqual({ name: 'Device.', writable: false });
    const names = list.map((p) => p.name);
    expect(names.indexOf('Device.DeviceInfo.')).toBeLessThan(names.indexOf('Device.DeviceInfo.Manufacturer'));
    expect(new Set(names).size).toBe(names.length);
  });

  it('pristine devices of a model share one frozen listing of the tree; a device that changed lists its own', () => {
    const other = createDevice(router, { serialNumber: 'FL000002' });
    const first = response(gpn(d, '', false), 'GetParameterNamesResponse').parameterList;
    expect(response(gpn(other, '', false), 'GetParameterNamesResponse').parameterList).toBe(first);
    expect(Object.isFrozen(first) && first.every((p) => Object.isFrozen(p))).toBe(true);
    expect(() => (first as { name: string }[]).push({ name: 'X.' })).toThrow(TypeError);
    // A new instance: this device's answer has it, the shared one (still the other's) does not.
    const added = other.handle({ method: 'AddObject', objectName: 'Device.WiFi.SSID.', parameterKey: 'k' });
    const n = response(added, 'AddObjectResponse').instanceNumber;
    const own = response(gpn(other, '', false), 'GetParameterNamesResponse').parameterList;
    expect(own).not.toBe(first);
    expect(own.map((p) => p.name)).toContain(`Device.WiFi.SSID.${n}.`);
    expect(first.map((p) => p.name)).not.toContain(`Device.WiFi.SSID.${n}.`);
    expect(response(gpn(d, '', false), 'GetParameterNamesResponse').parameterList).toBe(first);
  });

  it('a partial path with NextLevel true lists only direct children, with table/instance writability', () => {
    const list = response(gpn(d, 'Device.WiFi.', true), 'GetParameterNamesResponse').parameterList;
    expect(list).toContainEqual({ name: 'Device.WiFi.SSID.', writable: true });
    expect(list).toContainEqual({ name: 'Device.WiFi.Radio.', writable: false });
    expect(list).toContainEqual({ name: 'Device.WiFi.RadioNumberOfEntries', writable: false });
    expect(list.every((p) => p.name.slice('Device.WiFi.'.length).replace(/\.$/, '').split('.').length === 1)).toBe(true);
    const ssids = response(gpn(d, 'Device.WiFi.SSID.', true), 'GetParameterNamesResponse').parameterList;
    expect(ssids).toEqual([
      { name: 'Device.WiFi.SSID.1.', writable: true },
      { name: 'Device.WiFi.SSID.2.', writable: true },
    ]);
    const radios = response(gpn(d, 'Device.WiFi.Radio.', true), 'GetParameterNamesResponse').parameterList;
    expect(radios.map((r) => r.writable)).toEqual([false, false]);
  });

  it('a partial path with NextLevel false includes the object itself and everything below', () => {
    const list = response(gpn(d, 'Device.IP.Diagnostics.IPPing.', false), 'GetParameterNamesResponse').parameterList;
    expect(list[0]).toEqual({ name: 'Device.IP.Diagnostics.IPPing.', writable: false });
    expect(list).toContainEqual({ name: 'Device.IP.Diagnostics.IPPing.DiagnosticsState', writable: true });
    expect(list).toContainEqual({ name: 'Device.IP.Diagnostics.IPPing.SuccessCount', writable: false });
    expect(list.length).toBe(18);
  });

  it('a complete parameter path: itself with NextLevel false, 9003 with NextLevel true', () => {
    expect(response(gpn(d, 'Device.DeviceInfo.SoftwareVersion', false), 'GetParameterNamesResponse').parameterList).toEqual([
      { name: 'Device.DeviceInfo.SoftwareVersion', writable: false },
    ]);
    const f = fault(gpn(d, 'Device.DeviceInfo.SoftwareVersion', true));
    expect([f.faultCode, f.faultString, f.faultcode]).toEqual([9003, 'Invalid arguments', 'Client']);
  });

  it('unknown paths, objects without the dot and parameters with one are 9005', () => {
    for (const p of ['Device.Nope.', 'Device.DeviceInfo', 'Device.DeviceInfo.SoftwareVersion.', 'InternetGatewayDevice.', 'Device.WiFi.SSID.9.']) {
      expect(fault(gpn(d, p, false)).faultCode, p).toBe(9005);
    }
  });
});

describe('GetParameterValues (A.3.2.2)', () => {
  it('a whole subtree reads the same values, in the same order, as its parameters asked one by one', () => {
    // The subtree's answer is made from the template's structs with the device's own values put
    // in (rpc/params.ts): values worked out per device, overrides, values the ACS set, the
    // device's own changes, and secrets read back blank must all be there, and nothing else.
    const listed = response(gpn(d, 'Device.', false), 'GetParameterNamesResponse').parameterList.filter((p) => !p.name.endsWith('.'));
    const own = createDevice(router, { serialNumber: 'FL000077', overrides: { 'Device.DeviceInfo.ProvisioningCode': 'PC-77' } });
    expect(spv(own, [['Device.ManagementServer.PeriodicInformInterval', '77'], ['Device.ManagementServer.ConnectionRequestPassword', 'pw77']]).response.method).toBe('SetParameterValuesResponse');
    own.setInternal('Device.DeviceInfo.UpTime', '7777');
    const added = createDevice(router, { serialNumber: 'FL000078' });
    response(added.handle({ method: 'AddObject', objectName: 'Device.WiFi.SSID.', parameterKey: 'k' }), 'AddObjectResponse');
    for (const device of [d, own, added]) {
      for (const root of ['Device.', 'Device.ManagementServer.', 'Device.DeviceInfo.']) {
        const names = (device === added ? response(gpn(device, root, false), 'GetParameterNamesResponse').parameterList : listed.filter((p) => p.name.startsWith(root)))
          .map((p) => p.name)
          .filter((n) => !n.endsWith('.'));
        const whole = response(gpv(device, root), 'GetParameterValuesResponse').parameterList;
        const oneByOne = response(gpv(device, ...names), 'GetParameterValuesResponse').parameterList;
        expect(whole.map((p) => [p.name, p.value, p.type])).toEqual(oneByOne.map((p) => [p.name, p.value, p.type]));
      }
    }
    const mine = values(gpv(own, 'Device.'));
    expect(mine['Device.DeviceInfo.ProvisioningCode']).toBe('PC-77');
    expect(mine['Device.ManagementServer.PeriodicInformInterval']).toBe('77');
    expect(mine['Device.ManagementServer.ConnectionRequestPassword']).toBe('');
    expect(mine['Device.DeviceInfo.UpTime']).toBe('7777');
    expect(mine['Device.DeviceInfo.SerialNumber']).toBe('FL000077');
    expect(values(gpv(d, 'Device.'))['Device.DeviceInfo.SerialNumber']).toBe('FL000001');
  });

  it("a template's value is one frozen struct shared by every device that holds it; a device's own value gets its own struct", () => {
    const other = createDevice(router, { serialNumber: 'FL000002' });
    const mine = response(gpv(d, 'Device.'), 'GetParameterValuesResponse').parameterList;
    const theirs = response(gpv(other, 'Device.'), 'GetParameterValuesResponse').parameterList;
    expect(mine.map((p) => p.name)).toEqual(theirs.map((p) => p.name));
    // Every struct says what the device itself says.
    for (const [dev, list] of [[d, mine], [other, theirs]] as const) {
      for (const p of list) {
        const own = dev.get(p.name)!;
        expect(p.type).toBe(own.type);
        if (p.value !== own.value) expect(p.value, p.name).toBe(''); // a hidden parameter reads blank
      }
    }
    const shared = mine.filter((p, i) => p === theirs[i]);
    expect(shared.length).toBeGreaterThan(mine.length / 2);
    expect(shared.every((p) => Object.isFrozen(p))).toBe(true);
    const serial = mine.findIndex((p) => p.name === 'Device.DeviceInfo.SerialNumber');
    expect(mine[serial]!.value).toBe('FL000001');
    expect(theirs[serial]!.value).toBe('FL000002');
    expect(mine[serial]).not.toBe(theirs[serial]);
    // A value set on one device: its answer has it, the other's shared struct is untouched.
    const ssid = mine.findIndex((p) => p.name === 'Device.WiFi.SSID.1.SSID');
    const before = theirs[ssid]!.value;
    response(spv(d, [['Device.WiFi.SSID.1.SSID', 'mine-only', 'xsd:string']]), 'SetParameterValuesResponse');
    expect(values(gpv(d, 'Device.'))['Device.WiFi.SSID.1.SSID']).toBe('mine-only');
    expect(values(gpv(other, 'Device.'))['Device.WiFi.SSID.1.SSID']).toBe(before);
    expect(theirs[ssid]!.value).toBe(before);
  });

  it('complete and partial paths, in request order, with types', () => {
    const r = response(gpv(d, 'Device.DeviceInfo.SoftwareVersion', 'Device.WiFi.SSID.1.'), 'GetParameterValuesResponse');
    expect(r.parameterList[0]).toEqual({ name: 'Device.DeviceInfo.SoftwareVersion', value: '2.4.1', type: 'xsd:string' });
    expect(r.parameterList).toContainEqual({ name: 'Device.WiFi.SSID.1.SSID', value: 'Flotilla-2G', type: 'xsd:string' });
    expect(r.parameterList).toContainEqual({ name: 'Device.WiFi.SSID.1.Enable', value: 'true', type: 'xsd:boolean' });
    expect(r.parameterList).toContainEqual({ name: 'Device.WiFi.SSID.1.Stats.BytesSent', value: '0', type: 'xsd:unsignedLong' });
    expect(r.parameterList.every((p) => p.name === 'Device.DeviceInfo.SoftwareVersion' || p.name.startsWith('Device.WiFi.SSID.1.'))).toBe(true);
  });

  it('"" is the whole tree', () => {
    expect(response(gpv(d, ''), 'GetParameterValuesResponse').parameterList.length).toBe(router.parameterCount);
  });

  it('per-device identity values and hidden parameters', () => {
    const v = values(gpv(d, 'Device.DeviceInfo.SerialNumber', 'Device.ManagementServer.ConnectionRequestURL', 'Device.WiFi.AccessPoint.1.Security.KeyPassphrase', 'Device.Ethernet.Interface.1.MACAddress'));
    expect(v['Device.DeviceInfo.SerialNumber']).toBe('FL000001');
    expect(v['Device.ManagementServer.ConnectionRequestURL']).toBe('http://127.0.0.1:7547/FL000001');
    expect(v['Device.WiFi.AccessPoint.1.Security.KeyPassphrase']).toBe(''); // hidden: read back empty
    expect(d.get('Device.WiFi.AccessPoint.1.Security.KeyPassphrase')?.value).toBe('flotilla-FL000001'); // the client sees it
    expect(v['Device.Ethernet.Interface.1.MACAddress']).toMatch(/^F2:F1:07(:[0-9A-F]{2}){3}$/);
  });

  it('any unknown name fails the whole request with 9005', () => {
    const f = fault(gpv(d, 'Device.DeviceInfo.SoftwareVersion', 'Device.DeviceInfo.Bogus'));
    expect([f.faultCode, f.faultcode, f.setParameterValuesFault]).toEqual([9005, 'Client', []]);
  });
});

describe('SetParameterValues (A.3.2.1)', () => {
  it('applies every value, sets ParameterKey, answers status 0', () => {
    const o = spv(d, [
      ['Device.WiFi.SSID.1.SSID', 'NewName', 'xsd:string'],
      ['Device.WiFi.Radio.1.Channel', '11', 'xsd:unsignedInt'],
      ['Device.WiFi.SSID.2.Enable', '0', 'xsd:boolean'],
      ['Device.Time.LocalTimeZone', 'CET-1CEST', ''],
    ], 'pk-1');
    expect(response(o, 'SetParameterValuesResponse').status).toBe(0);
    expect(o.effects).toEqual([]);
    expect(values(gpv(d, 'Device.WiFi.SSID.1.SSID', 'Device.WiFi.Radio.1.Channel', 'Device.WiFi.SSID.2.Enable', 'Device.ManagementServer.ParameterKey'))).toEqual({
      'Device.WiFi.SSID.1.SSID': 'NewName',
      'Device.WiFi.Radio.1.Channel': '11',
      'Device.WiFi.SSID.2.Enable': '0',
      'Device.ManagementServer.ParameterKey': 'pk-1',
    });
  });

  it('accepts the four boolean forms and an integer xsi:type for another integer type', () => {
    for (const b of ['true', 'false', '1', '0']) expect(response(spv(d, [['Device.WiFi.SSID.1.Enable', b, 'xsd:boolean']]), 'SetParameterValuesResponse').status).toBe(0);
    expect(response(spv(d, [['Device.WiFi.Radio.1.Channel', '1', 'xsd:int']]), 'SetParameterValuesResponse').status).toBe(0);
  });

  it('is atomic: one fault entry per failing parameter and nothing changed', () => {
    const before = values(gpv(d, ''));
    const o = spv(d, [
      ['Device.WiFi.SSID.1.SSID', 'ShouldNotStick', 'xsd:string'], // valid, must not be applied
      ['Device.Nope.X', '1', 'xsd:string'],
      ['Device.WiFi.Radio.1.Channel', 'abc', 'xsd:unsignedInt'],
      ['Device.WiFi.SSID.1.Enable', 'yes', 'xsd:boolean'],
      ['Device.NAT.InterfaceSetting.1.TCPTranslationTimeout', '99999999999', 'xsd:int'],
      ['Device.Time.Enable', 'true', 'xsd:string'], // declared xsi:type contradicts the parameter's
      ['Device.DeviceInfo.UpTime', '5', 'xsd:unsignedInt'],
      ['Device.IP.Diagnostics.IPPing.DiagnosticsState', 'Complete', 'xsd:string'],
      ['Device.WiFi.Radio.2.OperatingStandards', 'n,11bgn', 'xsd:string'],
      ['Device.ManagementServer.PeriodicInformTime', '2024-13-45T00:00:00Z', 'xsd:dateTime'],
      ['Device.DeviceInfo.', 'x', 'xsd:string'],
    ], 'never');
    const f = fault(o);
    expect([f.faultCode, f.faultString, f.faultcode]).toEqual([9003, 'Invalid arguments', 'Client']);
    expect(f.setParameterValuesFault.map((e) => [e.parameterName, e.faultCode])).toEqual([
      ['Device.Nope.X', 9005],
      ['Device.WiFi.Radio.1.Channel', 9006],
      ['Device.WiFi.SSID.1.Enable', 9006],
      ['Device.NAT.InterfaceSetting.1.TCPTranslationTimeout', 9007],
      ['Device.Time.Enable', 9006],
      ['Device.DeviceInfo.UpTime', 9008],
      ['Device.IP.Diagnostics.IPPing.DiagnosticsState', 9007],
      ['Device.WiFi.Radio.2.OperatingStandards', 9007],
      ['Device.ManagementServer.PeriodicInformTime', 9007],
      ['Device.DeviceInfo.', 9005],
    ]);
    expect(f.setParameterValuesFault[0]!.faultString).toBe('Invalid parameter name');
    expect(values(gpv(d, ''))).toEqual(before);
    expect(d.get('Device.ManagementServer.ParameterKey')?.value).toBe('');
  });

  it('range and enumeration facets from the catalogue', () => {
    expect(fault(spv(d, [['Device.NAT.PortMapping.{i}.ExternalPort', '1']])).setParameterValuesFault[0]!.faultCode).toBe(9005);
    expect(fault(spv(d, [['Device.WiFi.Radio.1.Channel', '256', 'xsd:unsignedInt']])).setParameterValuesFault[0]!.faultCode).toBe(9007);
    expect(fault(spv(d, [['Device.WiFi.Radio.1.Channel', '-1', 'xsd:unsignedInt']])).setParameterValuesFault[0]!.faultCode).toBe(9007);
    expect(fault(spv(d, [['Device.WiFi.AccessPoint.1.Security.ModeEnabled', 'WEP-64']])).setParameterValuesFault[0]!.faultCode).toBe(9007);
    expect(response(spv(d, [['Device.WiFi.AccessPoint.1.Security.ModeEnabled', 'WPA3-Personal']]), 'SetParameterValuesResponse').status).toBe(0);
    expect(fault(spv(d, [['Device.WiFi.SSID.1.SSID', 'x'.repeat(33)]])).setParameterValuesFault[0]!.faultCode).toBe(9007);
  });

  it('the same parameter twice is 9003 and changes nothing', () => {
    const f = fault(spv(d, [['Device.WiFi.SSID.1.SSID', 'a'], ['Device.WiFi.SSID.1.SSID', 'b']]));
    expect(f.faultCode).toBe(9003);
    expect(d.get('Device.WiFi.SSID.1.SSID')?.value).toBe('Flotilla-2G');
  });

  it('DiagnosticsState=Requested yields a diagnostics effect for its object', () => {
    const o = spv(d, [
      ['Device.IP.Diagnostics.IPPing.Host', '192.0.2.1'],
      ['Device.IP.Diagnostics.IPPing.DiagnosticsState', 'Requested'],
    ]);
    expect(o.effects).toEqual([{ kind: 'diagnostics', objectPath: 'Device.IP.Diagnostics.IPPing.' }]);
    expect(d.get('Device.IP.Diagnostics.IPPing.DiagnosticsState')?.value).toBe('Requested');
    // Changing a test parameter alone puts a finished test back to None (TR-143).
    d.setInternal('Device.IP.Diagnostics.IPPing.DiagnosticsState', 'Complete');
    expect(spv(d, [['Device.IP.Diagnostics.IPPing.Host', '192.0.2.2']]).effects).toEqual([]);
    expect(d.get('Device.IP.Diagnostics.IPPing.DiagnosticsState')?.value).toBe('None');
  });

  it('TR-098 diagnostics objects too', () => {
    const g = createDevice(gateway, { serialNumber: 'G1' });
    const o = spv(g, [
      ['InternetGatewayDevice.DownloadDiagnostics.DownloadURL', 'http://192.0.2.9/file'],
      ['InternetGatewayDevice.DownloadDiagnostics.DiagnosticsState', 'Requested'],
    ]);
    expect(o.effects).toEqual([{ kind: 'diagnostics', objectPath: 'InternetGatewayDevice.DownloadDiagnostics.' }]);
  });

  it('ManagementServer changes yield managementServerChanged once; the client reads the new settings', () => {
    const o = spv(d, [
      ['Device.ManagementServer.PeriodicInformInterval', '60', 'xsd:unsignedInt'],
      ['Device.ManagementServer.URL', 'http://acs.example:7547/', 'xsd:string'],
      ['Device.ManagementServer.Password', 's3cret', 'xsd:string'],
    ]);
    expect(o.effects).toEqual([{ kind: 'managementServerChanged' }]);
    expect(d.managementServer()).toMatchObject({ url: 'http://acs.example:7547/', password: 's3cret', periodicInformEnable: true, periodicInformInterval: 60, parameterKey: 'key' });
    expect(values(gpv(d, 'Device.ManagementServer.Password'))['Device.ManagementServer.Password']).toBe('');
  });

  it('ACS-made changes do not raise value-change notifications', () => {
    d.handle({ method: 'SetParameterAttributes', parameterList: [{ name: 'Device.WiFi.SSID.1.SSID', notificationChange: true, notification: 2, accessListChange: false, accessList: [] }] });
    spv(d, [['Device.WiFi.SSID.1.SSID', 'FromAcs']]);
    expect(d.hasActiveChange()).toBe(false);
    expect(d.informParameters().map((p) => p.name)).not.toContain('Device.WiFi.SSID.1.SSID');
  });
});
