/**
 * The simulator's CWMP 1.4 addressing, pure (a model device, no network): instance wildcards
 * in GPV/GPN/GPA where InstanceWildcardsSupported, alias paths where AliasBasedAddressing,
 * Alias values of new instances, auto-creation on SetParameterValues (AutoCreateInstances).
 */
import { beforeEach, describe, expect, it } from 'vitest';
import type { CpeResponse, Fault } from '../../src/cwmp/types.js';
import { createDevice } from '../../src/cpe/device.js';
import { loadModel, type CpeDevice } from '../../src/cpe/model/index.js';
import type { RpcOutcome } from '../../src/cpe/types.js';

const router = loadModel('tr181-router');
let d: CpeDevice;
beforeEach(() => {
  d = createDevice(router, { serialNumber: 'FL14' });
});

const code = (o: RpcOutcome): number => (o.response.method === 'Fault' ? (o.response as Fault).detail.faultCode : 0);
const gpv = (...parameterNames: string[]) => d.handle({ method: 'GetParameterValues', parameterNames });
const values = (o: RpcOutcome): [string, string][] => {
  expect(o.response.method).toBe('GetParameterValuesResponse');
  return (o.response as Extract<CpeResponse, { method: 'GetParameterValuesResponse' }>).parameterList.map((p) => [p.name, p.value]);
};
const spv = (...list: [string, string, string?][]) =>
  d.handle({ method: 'SetParameterValues', parameterList: list.map(([name, value, type]) => ({ name, value, type: type ?? 'xsd:string' })), parameterKey: 'k' });
const add = (objectName: string) => d.handle({ method: 'AddObject', objectName, parameterKey: 'k' });

describe('instance wildcards', () => {
  it('GPV of Device.WiFi.SSID.*.SSID answers every instance, with instance numbers', () => {
    expect(values(gpv('Device.WiFi.SSID.*.SSID'))).toEqual([
      ['Device.WiFi.SSID.1.SSID', 'Flotilla-2G'],
      ['Device.WiFi.SSID.2.SSID', 'Flotilla-5G'],
    ]);
    // Nested, and as a partial path.
    expect(values(gpv('Device.WiFi.AccessPoint.*.Security.ModeEnabled')).map(([n]) => n)).toEqual([
      'Device.WiFi.AccessPoint.1.Security.ModeEnabled',
      'Device.WiFi.AccessPoint.2.Security.ModeEnabled',
    ]);
    expect(values(gpv('Device.WiFi.SSID.*.Stats.')).length).toBeGreaterThan(10);
  });

  it('a wildcard over an empty table reads nothing; on a non-table, or undeclared, it is 9005', () => {
    expect(values(gpv('Device.NAT.PortMapping.*.ExternalPort'))).toEqual([]);
    expect(code(gpv('Device.DeviceInfo.*.Manufacturer'))).toBe(9005);
    d.setInternal('Device.ManagementServer.InstanceWildcardsSupported', 'false');
    expect(code(gpv('Device.WiFi.SSID.*.SSID'))).toBe(9005);
  });

  it('GPN and GPA take wildcards; SetParameterValues and SetParameterAttributes do not', () => {
    const gpn = d.handle({ method: 'GetParameterNames', parameterPath: 'Device.WiFi.SSID.*.', nextLevel: true });
    expect(gpn.response.method).toBe('GetParameterNamesResponse');
    const names = (gpn.response as Extract<CpeResponse, { method: 'GetParameterNamesResponse' }>).parameterList.map((p) => p.name);
    expect(names).toContain('Device.WiFi.SSID.1.SSID');
    expect(names).toContain('Device.WiFi.SSID.2.SSID');
    const gpa = d.handle({ method: 'GetParameterAttributes', parameterNames: ['Device.WiFi.SSID.*.SSID'] });
    expect(gpa.response.method).toBe('GetParameterAttributesResponse');
    expect(code(spv(['Device.WiFi.SSID.*.SSID', 'x']))).toBe(9003);
    const spa = d.handle({ method: 'SetParameterAttributes', parameterList: [{ name: 'Device.WiFi.SSID.*.SSID', notificationChange: true, notification: 1, accessListChange: false, accessList: [] }] });
    expect(code(spa)).toBe(9005);
  });
});

describe('alias-based addressing', () => {
  it('AddObject gives an Alias: cpe-N by default, the named one for "Table.[alias]."', () => {
    expect(code(add('Device.NAT.PortMapping.'))).toBe(0);
    expect(d.get('Device.NAT.PortMapping.1.Alias')?.value).toBe('cpe-1');
    const named = add('Device.NAT.PortMapping.[web].');
    expect(named.response).toEqual({ method: 'AddObjectResponse', instanceNumber: 2, status: 0 });
    expect(d.get('Device.NAT.PortMapping.2.Alias')?.value).toBe('web');
    // An alias in use is refused.
    expect(code(add('Device.NAT.PortMapping.[web].'))).toBe(9003);
  });

  it('reads and writes through [alias] segments; an unknown alias is 9005 without auto-create', () => {
    add('Device.NAT.PortMapping.[web].');
    expect(code(spv(['Device.NAT.PortMapping.[web].ExternalPort', '8080', 'xsd:unsignedInt']))).toBe(0);
    expect(d.get('Device.NAT.PortMapping.1.ExternalPort')?.value).toBe('8080');
    expect(values(gpv('Device.NAT.PortMapping.[web].ExternalPort'))).toEqual([['Device.NAT.PortMapping.1.ExternalPort', '8080']]);
    expect(code(gpv('Device.NAT.PortMapping.[ssh].ExternalPort'))).toBe(9005);
    const o = spv(['Device.NAT.PortMapping.[ssh].ExternalPort', '22', 'xsd:unsignedInt']);
    expect(code(o)).toBe(9003);
    expect((o.response as Fault).detail.setParameterValuesFault).toEqual([{ parameterName: 'Device.NAT.PortMapping.[ssh].ExternalPort', faultCode: 9005, faultString: expect.any(String) }]);
    expect(d.handle({ method: 'DeleteObject', objectName: 'Device.NAT.PortMapping.[web].', parameterKey: 'k' }).response.method).toBe('DeleteObjectResponse');
    expect(d.get('Device.NAT.PortMapping.1.ExternalPort')).toBeUndefined();
  });

  it('AutoCreateInstances: a Set naming a new alias creates the instance, once, all-or-nothing', () => {
    d.setInternal('Device.ManagementServer.AutoCreateInstances', 'true');
    const ok = spv(
      ['Device.NAT.PortMapping.[ssh].ExternalPort', '2222', 'xsd:unsignedInt'],
      ['Device.NAT.PortMapping.[ssh].InternalPort', '22', 'xsd:unsignedInt'],
      ['Device.NAT.PortMapping.[ssh].Enable', 'true', 'xsd:boolean'],
    );
    expect(code(ok)).toBe(0);
    expect(d.get('Device.NAT.PortMappingNumberOfEntries')?.value).toBe('1');
    expect([d.get('Device.NAT.PortMapping.1.Alias')?.value, d.get('Device.NAT.PortMapping.1.ExternalPort')?.value, d.get('Device.NAT.PortMapping.1.InternalPort')?.value]).toEqual(['ssh', '2222', '22']);
    // A bad value anywhere: nothing is created.
    const bad = spv(['Device.NAT.PortMapping.[rdp].ExternalPort', '3389', 'xsd:unsignedInt'], ['Device.NAT.PortMapping.[rdp].InternalPort', '99999', 'xsd:unsignedInt']);
    expect(code(bad)).toBe(9003);
    expect(d.get('Device.NAT.PortMappingNumberOfEntries')?.value).toBe('1');
    // Not in a read-only table.
    expect(code(spv(['Device.WiFi.Radio.[r3].Enable', 'true', 'xsd:boolean']))).toBe(9003);
  });

  it('alias paths are refused where the device does not declare AliasBasedAddressing', () => {
    d.setInternal('Device.ManagementServer.AliasBasedAddressing', 'false');
    expect(code(add('Device.NAT.PortMapping.[web].'))).toBe(9005);
    expect(code(gpv('Device.WiFi.SSID.[x].SSID'))).toBe(9005);
  });

  it('InstanceMode InstanceAlias: GPN, GPV, GPA and the Inform name instances by alias; AddObjectResponse keeps the number', () => {
    add('Device.NAT.PortMapping.[web].');
    expect(code(spv(['Device.NAT.PortMapping.[web].ExternalPort', '8080', 'xsd:unsignedInt'], ['Device.ManagementServer.InstanceMode', 'InstanceAlias']))).toBe(0);
    // Both request forms answer in alias form.
    expect(values(gpv('Device.NAT.PortMapping.1.ExternalPort'))).toEqual([['Device.NAT.PortMapping.[web].ExternalPort', '8080']]);
    expect(values(gpv('Device.NAT.PortMapping.[web].ExternalPort'))).toEqual([['Device.NAT.PortMapping.[web].ExternalPort', '8080']]);
    // Every instance segment with an Alias; one whose Alias is empty keeps its number.
    d.setInternal('Device.WiFi.SSID.1.Alias', 'main');
    const ssid = values(gpv('Device.WiFi.SSID.')).map(([n]) => n);
    expect(ssid).toContain('Device.WiFi.SSID.[main].SSID');
    expect(ssid).toContain('Device.WiFi.SSID.2.SSID');
    expect(ssid.some((n) => n.startsWith('Device.WiFi.SSID.1.'))).toBe(false);
    const gpn = d.handle({ method: 'GetParameterNames', parameterPath: 'Device.NAT.PortMapping.', nextLevel: true });
    expect((gpn.response as Extract<CpeResponse, { method: 'GetParameterNamesResponse' }>).parameterList.map((p) => p.name)).toEqual(['Device.NAT.PortMapping.[web].']);
    const gpa = d.handle({ method: 'GetParameterAttributes', parameterNames: ['Device.NAT.PortMapping.1.ExternalPort'] });
    expect((gpa.response as Extract<CpeResponse, { method: 'GetParameterAttributesResponse' }>).parameterList[0]!.name).toBe('Device.NAT.PortMapping.[web].ExternalPort');
    // The number in AddObjectResponse, whatever the mode.
    expect(add('Device.NAT.PortMapping.[ssh].').response).toEqual({ method: 'AddObjectResponse', instanceNumber: 2, status: 0 });
    // The Inform's value changes too (a notification on an instance parameter).
    d.handle({ method: 'SetParameterAttributes', parameterList: [{ name: 'Device.NAT.PortMapping.2.ExternalPort', notificationChange: true, notification: 1, accessListChange: false, accessList: [] }] });
    d.markInformed();
    d.setInternal('Device.NAT.PortMapping.2.ExternalPort', '22');
    expect(d.informParameters().map((p) => p.name)).toContain('Device.NAT.PortMapping.[ssh].ExternalPort');
    // Back to InstanceNumber: numbers again.
    spv(['Device.ManagementServer.InstanceMode', 'InstanceNumber']);
    expect(values(gpv('Device.NAT.PortMapping.[web].ExternalPort'))).toEqual([['Device.NAT.PortMapping.1.ExternalPort', '8080']]);
    expect(d.informParameters().map((p) => p.name)).toContain('Device.NAT.PortMapping.2.ExternalPort');
  });

  it('InstanceMode counts only where the device declares AliasBasedAddressing', () => {
    add('Device.NAT.PortMapping.');
    d.setInternal('Device.ManagementServer.InstanceMode', 'InstanceAlias');
    expect(values(gpv('Device.NAT.PortMapping.1.Alias'))).toEqual([['Device.NAT.PortMapping.[cpe-1].Alias', 'cpe-1']]);
    d.setInternal('Device.ManagementServer.AliasBasedAddressing', 'false');
    expect(values(gpv('Device.NAT.PortMapping.1.Alias'))).toEqual([['Device.NAT.PortMapping.1.Alias', 'cpe-1']]);
  });
});
