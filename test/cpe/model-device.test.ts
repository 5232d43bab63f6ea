import { describe, expect, it } from 'vitest';
import { createDevice } from '../../src/cpe/device.js';
import { loadModel, parseJsonModel, type CpeDevice } from '../../src/cpe/model/index.js';
import { expandValue } from '../../src/cpe/model/identity.js';

const router = loadModel('tr181-router');
const all = (d: CpeDevice): Record<string, string> => {
  const o = d.handle({ method: 'GetParameterValues', parameterNames: [''] });
  if (o.response.method !== 'GetParameterValuesResponse') throw new Error('GPV failed');
  return Object.fromEntries(o.response.parameterList.map((p) => [p.name, p.value]));
};

describe('copy-on-write devices over one template', () => {
  it('two devices sharing a template do not see each other’s changes', () => {
    const a = createDevice(router, { serialNumber: 'A' });
    const b = createDevice(router, { serialNumber: 'B' });
    const bBefore = all(b);
    a.handle({ method: 'SetParameterValues', parameterKey: 'k', parameterList: [{ name: 'Device.WiFi.SSID.1.SSID', value: 'mine', type: '' }] });
    a.handle({ method: 'AddObject', objectName: 'Device.NAT.PortMapping.', parameterKey: 'k' });
    a.handle({ method: 'DeleteObject', objectName: 'Device.WiFi.SSID.2.', parameterKey: 'k' });
    a.handle({ method: 'SetParameterAttributes', parameterList: [{ name: 'Device.Time.', notificationChange: true, notification: 1, accessListChange: false, accessList: [] }] });
    a.setInternal('Device.DeviceInfo.UpTime', '5000');
    expect(all(b)).toEqual(bBefore);
    expect(b.has('Device.NAT.PortMapping.1.')).toBe(false);
    expect(b.has('Device.WiFi.SSID.2.')).toBe(true);
    const ga = b.handle({ method: 'GetParameterAttributes', parameterNames: ['Device.Time.Enable'] }).response;
    expect(ga).toEqual({ method: 'GetParameterAttributesResponse', parameterList: [{ name: 'Device.Time.Enable', notification: 0, accessList: [] }] });
    // A fresh device after all that still starts from the template.
    expect(all(createDevice(router, { serialNumber: 'B' }))).toEqual(bBefore);
  });

  it('the overlay holds only differences, and a value set back to its default leaves it', () => {
    const d = createDevice(router, { serialNumber: 'C' });
    expect(d.overlaySize()).toBe(0);
    d.setInternal('Device.DeviceInfo.UpTime', '1');
    expect(d.overlaySize()).toBe(1);
    d.setInternal('Device.DeviceInfo.UpTime', '120');
    expect(d.overlaySize()).toBe(0);
  });

  it('template nodes are frozen', () => {
    const n = router.index.get('Device.WiFi.SSID.1.SSID')!;
    expect(Object.isFrozen(n)).toBe(true);
    expect(Object.isFrozen(router)).toBe(true);
    expect(() => {
      (n as { value: string }).value = 'x';
    }).toThrow();
  });
});

describe('per-device identity', () => {
  it('serial number, MACs and WAN address differ per device without copying the tree', () => {
    const a = createDevice(router, { serialNumber: 'SER-A' });
    const b = createDevice(router, { serialNumber: 'SER-B' });
    for (const p of ['Device.DeviceInfo.SerialNumber', 'Device.Ethernet.Interface.1.MACAddress', 'Device.WiFi.SSID.1.BSSID', 'Device.IP.Interface.1.IPv4Address.1.IPAddress', 'Device.ManagementServer.ConnectionRequestURL']) {
      expect(a.get(p)?.value, p).not.toBe(b.get(p)?.value);
    }
    expect(a.get('Device.IP.Interface.1.IPv4Address.1.IPAddress')?.value).toMatch(/^100\.(6[4-9]|[7-9]\d|1[01]\d|12[0-7])\.\d+\.\d+$/);
    // A device's own MACs are distinct from each other and stable.
    const macs = [1, 2, 3, 4].map((i) => a.get(`Device.Ethernet.Interface.${i}.MACAddress`)?.value);
    expect(new Set(macs).size).toBe(4);
    expect(createDevice(router, { serialNumber: 'SER-A' }).get('Device.Ethernet.Interface.1.MACAddress')?.value).toBe(macs[0]);
    expect(a.deviceId()).toEqual({ manufacturer: 'Flotilla', oui: 'F2F107', productClass: 'HGW-181', serialNumber: 'SER-A' });
    expect(a.overlaySize()).toBe(0);
  });

  it('overrides are per-device initial values that survive reset; unknown override paths throw', () => {
    const d = createDevice(router, { serialNumber: 'O1', overrides: { 'Device.ManagementServer.ConnectionRequestURL': 'http://127.0.0.1:40001/cr', 'Device.ManagementServer.URL': 'http://acs/' } });
    expect(d.informParameters().find((p) => p.name === 'Device.ManagementServer.ConnectionRequestURL')?.value).toBe('http://127.0.0.1:40001/cr');
    d.handle({ method: 'SetParameterValues', parameterKey: 'k', parameterList: [{ name: 'Device.ManagementServer.URL', value: 'http://other/', type: '' }] });
    expect(d.managementServer().url).toBe('http://other/');
    d.reset();
    expect(d.managementServer().url).toBe('http://acs/');
    expect(d.managementServer().connectionRequestURL).toBe('http://127.0.0.1:40001/cr');
    expect(() => createDevice(router, { serialNumber: 'x', overrides: { 'Device.Nope': '1' } })).toThrow(/unknown parameter/);
  });

  it('setParameterKey and the placeholders', () => {
    const d = createDevice(router, { serialNumber: 'P' });
    d.setParameterKey('bootstrap-1');
    expect(d.get('Device.ManagementServer.ParameterKey')?.value).toBe('bootstrap-1');
    const t = { deviceId: { manufacturer: 'M', oui: '00AABB', productClass: 'PC' } };
    expect(expandValue('${manufacturer}/${oui}/${productClass}/${serialNumber}/${unknown}', { serialNumber: 'S' }, t)).toBe('M/00AABB/PC/S/${unknown}');
    expect(expandValue('${mac:0}', { serialNumber: 'S' }, t)).toMatch(/^00:AA:BB:/);
    expect(expandValue('${macx:11:22:33:44:55:66}', { serialNumber: 'S' }, t)).toMatch(/^11:22:33:/);
    expect(expandValue('${ipx:10.0.0.0/30}', { serialNumber: 'S' }, t)).toMatch(/^10\.0\.0\.[12]$/);
  });
});

describe('TemplateBuilder rules (via flotilla-model/1)', () => {
  const t = parseJsonModel({
    format: 'flotilla-model/1',
    root: 'Device.',
    objects: [
      { path: 'Device.A.', table: true, writable: true, nextInstance: 10 },
      { path: 'Device.A.{i}.B.', table: true, writable: true },
      { path: 'Device.Empty.' },
    ],
    parameters: [
      { path: 'Device.A.{i}.X', type: 'unsignedInt', writable: true, value: '7' },
      { path: 'Device.A.{i}.B.{i}.Y', type: 'boolean', writable: true },
      { path: 'Device.A.3.X', type: 'unsignedInt', writable: true, value: '3' },
      { path: 'Device.S', type: 'xsd:dateTime', activeNotify: 'forceDefaultEnabled' },
    ],
  });

  it('tables, nextInstance, generic templates for nested tables of concrete instances, empty objects', () => {
    const d = createDevice(t, { serialNumber: 'T' });
    expect(d.get('Device.S')).toEqual({ name: 'Device.S', value: '0001-01-01T00:00:00Z', type: 'xsd:dateTime' });
    expect(d.has('Device.Empty.')).toBe(true);
    expect(d.has('Device.A.3.B.')).toBe(true); // nested table of a concrete instance, from the {i} subtree
    const add = (objectName: string) => d.handle({ method: 'AddObject', objectName, parameterKey: '' }).response;
    expect(add('Device.A.')).toMatchObject({ instanceNumber: 10 });
    expect(d.get('Device.A.10.X')?.value).toBe('7');
    expect(add('Device.A.3.B.')).toMatchObject({ instanceNumber: 1 });
    expect(d.get('Device.A.3.B.1.Y')).toEqual({ name: 'Device.A.3.B.1.Y', value: 'false', type: 'xsd:boolean' });
    expect(add('Device.A.10.B.')).toMatchObject({ instanceNumber: 1 });
    expect(t.forcedInform).toEqual([]); // no BBF forced-inform parameter in this model
    const attrs = d.handle({ method: 'GetParameterAttributes', parameterNames: ['Device.S'] }).response;
    expect(attrs).toEqual({ method: 'GetParameterAttributesResponse', parameterList: [{ name: 'Device.S', notification: 2, accessList: [] }] });
  });
});
