import { beforeEach, describe, expect, it } from 'vitest';
import type { CpeResponse, Fault } from '../../src/cwmp/types.js';
import { createDevice } from '../../src/cpe/device.js';
import { loadModel, type CpeDevice } from '../../src/cpe/model/index.js';
import type { RpcOutcome } from '../../src/cpe/types.js';

const router = loadModel('tr181-router');
const gateway = loadModel('tr098-gateway');

const add = (d: CpeDevice, objectName: string, parameterKey = 'k') => d.handle({ method: 'AddObject', objectName, parameterKey });
const del = (d: CpeDevice, objectName: string, parameterKey = 'k') => d.handle({ method: 'DeleteObject', objectName, parameterKey });
function instance(o: RpcOutcome): number {
  expect(o.response.method).toBe('AddObjectResponse');
  const r = o.response as Extract<CpeResponse, { method: 'AddObjectResponse' }>;
  expect(r.status).toBe(0);
  return r.instanceNumber;
}
const faultCode = (o: RpcOutcome): number => {
  expect(o.response.method).toBe('Fault');
  return (o.response as Fault).detail.faultCode;
};
const names = (d: CpeDevice, path: string): string[] => {
  const o = d.handle({ method: 'GetParameterNames', parameterPath: path, nextLevel: true });
  return o.response.method === 'GetParameterNamesResponse' ? o.response.parameterList.map((p) => p.name) : [];
};

let d: CpeDevice;
beforeEach(() => {
  d = createDevice(router, { serialNumber: 'FL000002' });
});

describe('AddObject (A.3.2.6)', () => {
  it('creates an instance of a writable table with the template defaults and sets ParameterKey', () => {
    const o = add(d, 'Device.NAT.PortMapping.', 'add-1');
    expect(o.response).toEqual({ method: 'AddObjectResponse', instanceNumber: 1, status: 0 });
    expect(o.effects).toEqual([]);
    expect(d.get('Device.NAT.PortMapping.1.Enable')).toEqual({ name: 'Device.NAT.PortMapping.1.Enable', value: 'false', type: 'xsd:boolean' });
    expect(d.get('Device.NAT.PortMapping.1.ExternalPort')?.value).toBe('0');
    expect(d.get('Device.NAT.PortMapping.1.Protocol')?.value).toBe('TCP');
    expect(d.get('Device.NAT.PortMappingNumberOfEntries')?.value).toBe('1');
    expect(d.get('Device.ManagementServer.ParameterKey')?.value).toBe('add-1');
    expect(names(d, 'Device.NAT.PortMapping.')).toEqual(['Device.NAT.PortMapping.1.']);
    // The new instance is writable through SetParameterValues.
    const s = d.handle({ method: 'SetParameterValues', parameterKey: 'k', parameterList: [{ name: 'Device.NAT.PortMapping.1.ExternalPort', value: '8080', type: 'xsd:unsignedInt' }] });
    expect(s.response).toEqual({ method: 'SetParameterValuesResponse', status: 0 });
    expect(d.get('Device.NAT.PortMapping.1.ExternalPort')?.value).toBe('8080');
  });

  it('numbers continue after the template instances and are never reused, even after deletes', () => {
    expect(instance(add(d, 'Device.WiFi.SSID.'))).toBe(3);
    expect(instance(add(d, 'Device.WiFi.SSID.'))).toBe(4);
    expect(del(d, 'Device.WiFi.SSID.4.').response).toEqual({ method: 'DeleteObjectResponse', status: 0 });
    expect(del(d, 'Device.WiFi.SSID.2.').response.method).toBe('DeleteObjectResponse');
    expect(instance(add(d, 'Device.WiFi.SSID.'))).toBe(5);
    expect(names(d, 'Device.WiFi.SSID.')).toEqual(['Device.WiFi.SSID.1.', 'Device.WiFi.SSID.3.', 'Device.WiFi.SSID.5.']);
    expect(d.get('Device.WiFi.SSIDNumberOfEntries')?.value).toBe('3');
  });

  it('nested tables: inside template instances and inside added instances', () => {
    expect(instance(add(d, 'Device.IP.Interface.1.IPv4Address.'))).toBe(2);
    expect(d.get('Device.IP.Interface.1.IPv4AddressNumberOfEntries')?.value).toBe('2');
    const i = instance(add(d, 'Device.IP.Interface.'));
    expect(i).toBe(3);
    expect(names(d, 'Device.IP.Interface.3.IPv4Address.')).toEqual([]);
    expect(instance(add(d, `Device.IP.Interface.${i}.IPv4Address.`))).toBe(1);
    expect(d.get('Device.IP.Interface.3.IPv4Address.1.AddressingType')?.value).toBe('Static');
    // Empty nested tables exist in every template instance.
    expect(instance(add(d, 'Device.DHCPv4.Server.Pool.1.StaticAddress.'))).toBe(1);
    const g = createDevice(gateway, { serialNumber: 'G' });
    expect(instance(add(g, 'InternetGatewayDevice.WANDevice.1.WANConnectionDevice.1.WANIPConnection.1.PortMapping.'))).toBe(1);
    expect(g.get('InternetGatewayDevice.WANDevice.1.WANConnectionDevice.1.WANIPConnection.1.PortMappingNumberOfEntries')?.value).toBe('1');
    expect(instance(add(g, 'InternetGatewayDevice.WANDevice.1.WANConnectionDevice.1.WANPPPConnection.'))).toBe(1);
    expect(g.get('InternetGatewayDevice.WANDevice.1.WANConnectionDevice.1.WANPPPConnection.1.ConnectionStatus')).toBeDefined();
  });

  it('faults: no trailing dot or not a table 9005, read-only table 9001, nothing changes', () => {
    expect(faultCode(add(d, 'Device.NAT.PortMapping'))).toBe(9005);
    expect(faultCode(add(d, 'Device.NAT.Nope.'))).toBe(9005);
    expect(faultCode(add(d, 'Device.DeviceInfo.'))).toBe(9005);
    expect(faultCode(add(d, 'Device.WiFi.SSID.1.'))).toBe(9005);
    expect(faultCode(add(d, 'Device.Hosts.Host.'))).toBe(9001);
    expect((add(d, 'Device.Hosts.Host.').response as Fault).faultcode).toBe('Server');
    expect(d.overlaySize()).toBe(0);
    expect(d.get('Device.ManagementServer.ParameterKey')?.value).toBe('');
  });
});

describe('DeleteObject (A.3.2.7)', () => {
  it('removes an instance and everything below it; ParameterKey is set', () => {
    d.handle({ method: 'SetParameterValues', parameterKey: 'x', parameterList: [{ name: 'Device.WiFi.SSID.2.SSID', value: 'gone', type: '' }] });
    const o = del(d, 'Device.WiFi.SSID.2.', 'del-1');
    expect(o.response).toEqual({ method: 'DeleteObjectResponse', status: 0 });
    expect(d.get('Device.WiFi.SSID.2.SSID')).toBeUndefined();
    expect(d.has('Device.WiFi.SSID.2.')).toBe(false);
    expect(d.get('Device.WiFi.SSID.1.SSID')?.value).toBe('Flotilla-2G');
    expect(d.get('Device.ManagementServer.ParameterKey')?.value).toBe('del-1');
    expect(faultCode(d.handle({ method: 'GetParameterValues', parameterNames: ['Device.WiFi.SSID.2.'] }))).toBe(9005);
    expect(d.get('Device.WiFi.SSIDNumberOfEntries')?.value).toBe('1');
  });

  it('deleting an instance takes its nested tables and added instances with it', () => {
    instance(add(d, 'Device.IP.Interface.2.IPv4Address.'));
    expect(del(d, 'Device.IP.Interface.2.').response.method).toBe('DeleteObjectResponse');
    expect(d.has('Device.IP.Interface.2.IPv4Address.2.')).toBe(false);
    expect(d.has('Device.IP.Interface.1.IPv4Address.1.')).toBe(true);
    expect(instance(add(d, 'Device.IP.Interface.'))).toBe(3);
  });

  it('faults: not an instance path, unknown instance, twice, read-only table', () => {
    expect(faultCode(del(d, 'Device.WiFi.SSID.'))).toBe(9005);
    expect(faultCode(del(d, 'Device.WiFi.SSID.1'))).toBe(9005);
    expect(faultCode(del(d, 'Device.WiFi.SSID.7.'))).toBe(9005);
    expect(faultCode(del(d, 'Device.DeviceInfo.'))).toBe(9005);
    expect(faultCode(del(d, 'Device.WiFi.Radio.1.'))).toBe(9001);
    expect(del(d, 'Device.WiFi.SSID.1.').response.method).toBe('DeleteObjectResponse');
    expect(faultCode(del(d, 'Device.WiFi.SSID.1.'))).toBe(9005);
  });

  it('FactoryReset (reset) restores the template, numbering included', () => {
    instance(add(d, 'Device.NAT.PortMapping.'));
    del(d, 'Device.WiFi.SSID.1.');
    d.reset();
    expect(d.overlaySize()).toBe(0);
    expect(d.has('Device.WiFi.SSID.1.')).toBe(true);
    expect(d.has('Device.NAT.PortMapping.1.')).toBe(false);
    expect(instance(add(d, 'Device.NAT.PortMapping.'))).toBe(1);
  });
});
