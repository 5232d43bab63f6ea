import { beforeEach, describe, expect, it } from 'vitest';
import type { CpeResponse, Fault, Notification, SetParameterAttribute } from '../../src/cwmp/types.js';
import { createDevice } from '../../src/cpe/device.js';
import { loadModel, type CpeDevice } from '../../src/cpe/model/index.js';
import type { RpcOutcome } from '../../src/cpe/types.js';

const router = loadModel('tr181-router');

const gpa = (d: CpeDevice, ...parameterNames: string[]) => d.handle({ method: 'GetParameterAttributes', parameterNames });
const spa = (d: CpeDevice, ...parameterList: SetParameterAttribute[]) => d.handle({ method: 'SetParameterAttributes', parameterList });
const notif = (name: string, notification: number): SetParameterAttribute => ({
  name,
  notificationChange: true,
  notification: notification as Notification,
  accessListChange: false,
  accessList: [],
});
function attrs(o: RpcOutcome): Record<string, [number, string[]]> {
  expect(o.response.method).toBe('GetParameterAttributesResponse');
  const r = o.response as Extract<CpeResponse, { method: 'GetParameterAttributesResponse' }>;
  return Object.fromEntries(r.parameterList.map((a) => [a.name, [a.notification, a.accessList]]));
}
const faultCode = (o: RpcOutcome): number => {
  expect(o.response.method).toBe('Fault');
  return (o.response as Fault).detail.faultCode;
};

let d: CpeDevice;
beforeEach(() => {
  d = createDevice(router, { serialNumber: 'FL000003' });
});

describe('GetParameterAttributes (A.3.2.5)', () => {
  it('defaults from the model: off, except forceEnabled parameters which are active', () => {
    expect(attrs(gpa(d, 'Device.WiFi.SSID.1.SSID', 'Device.DeviceInfo.SoftwareVersion'))).toEqual({
      'Device.WiFi.SSID.1.SSID': [0, []],
      'Device.DeviceInfo.SoftwareVersion': [2, []],
    });
  });
  it('partial paths expand; unknown names are 9005', () => {
    expect(Object.keys(attrs(gpa(d, 'Device.Time.'))).length).toBe(11);
    expect(faultCode(gpa(d, 'Device.Time.Nope'))).toBe(9005);
  });
});

describe('SetParameterAttributes (A.3.2.4)', () => {
  it('sets notification and access list independently, per the change flags', () => {
    expect(spa(d, notif('Device.WiFi.SSID.1.SSID', 1)).response).toEqual({ method: 'SetParameterAttributesResponse' });
    spa(d, { name: 'Device.WiFi.SSID.1.SSID', notificationChange: false, notification: 2, accessListChange: true, accessList: ['Subscriber'] });
    expect(attrs(gpa(d, 'Device.WiFi.SSID.1.SSID'))['Device.WiFi.SSID.1.SSID']).toEqual([1, ['Subscriber']]);
  });

  it('a partial path applies to every parameter below it', () => {
    spa(d, notif('Device.WiFi.SSID.2.', 1));
    const a = attrs(gpa(d, 'Device.WiFi.SSID.2.'));
    expect(Object.values(a).every(([n]) => n === 1)).toBe(true);
    expect(attrs(gpa(d, 'Device.WiFi.SSID.1.SSID'))['Device.WiFi.SSID.1.SSID']![0]).toBe(0);
  });

  it('active notification on a canDeny parameter is refused with 9009, also through a partial path, and nothing changes', () => {
    const o = spa(d, notif('Device.WiFi.SSID.1.SSID', 1), notif('Device.DeviceInfo.UpTime', 2));
    expect(faultCode(o)).toBe(9009);
    expect((o.response as Fault).faultcode).toBe('Server');
    expect(attrs(gpa(d, 'Device.WiFi.SSID.1.SSID'))['Device.WiFi.SSID.1.SSID']![0]).toBe(0);
    expect(faultCode(spa(d, notif('Device.WiFi.SSID.1.Stats.', 2)))).toBe(9009);
    // Passive notification cannot be refused.
    expect(spa(d, notif('Device.WiFi.SSID.1.Stats.', 1)).response.method).toBe('SetParameterAttributesResponse');
    expect(attrs(gpa(d, 'Device.WiFi.SSID.1.Stats.BytesSent'))['Device.WiFi.SSID.1.Stats.BytesSent']![0]).toBe(1);
  });

  it('a forceEnabled parameter stays active', () => {
    spa(d, notif('Device.DeviceInfo.SoftwareVersion', 0));
    expect(attrs(gpa(d, 'Device.DeviceInfo.SoftwareVersion'))['Device.DeviceInfo.SoftwareVersion']![0]).toBe(2);
  });

  it('unknown names 9005, notification out of 0..6 9003', () => {
    expect(faultCode(spa(d, notif('Device.Nope', 1)))).toBe(9005);
    expect(faultCode(spa(d, notif('Device.WiFi.SSID.1.SSID', 7)))).toBe(9003);
    expect(d.overlaySize()).toBe(0);
  });
});

describe('notifications and the Inform', () => {
  it('forced-inform parameters always; changed ones by notification; active changes flagged', () => {
    const forced = d.informParameters().map((p) => p.name);
    expect(forced).toEqual(router.forcedInform);
    expect(d.forcedInformPaths()).toEqual(router.forcedInform);
    spa(d, notif('Device.WiFi.SSID.1.SSID', 1), notif('Device.WiFi.SSID.2.SSID', 2), notif('Device.Time.NTPServer2', 3));
    expect(d.hasValueChange()).toBe(false);
    d.setInternal('Device.WiFi.SSID.1.SSID', 'passive');
    expect(d.hasActiveChange()).toBe(false);
    expect(d.hasValueChange()).toBe(true);
    d.setInternal('Device.Time.NTPServer2', 'lightweight-only'); // 3: UDP lightweight notification, not in the Inform
    d.setInternal('Device.DeviceInfo.UpTime', '999'); // notification off
    d.setInternal('Device.WiFi.SSID.2.SSID', 'active');
    expect(d.hasActiveChange()).toBe(true);
    const inform = d.informParameters();
    expect(inform.slice(0, forced.length).map((p) => p.name)).toEqual(forced);
    expect(inform.slice(forced.length)).toEqual([
      { name: 'Device.WiFi.SSID.1.SSID', value: 'passive', type: 'xsd:string' },
      { name: 'Device.WiFi.SSID.2.SSID', value: 'active', type: 'xsd:string' },
    ]);
    d.markInformed();
    expect(d.hasActiveChange()).toBe(false);
    expect(d.hasValueChange()).toBe(false);
    expect(d.informParameters().length).toBe(forced.length);
  });

  it('setting the same value is not a change; unknown paths are ignored', () => {
    spa(d, notif('Device.WiFi.SSID.1.SSID', 2));
    d.setInternal('Device.WiFi.SSID.1.SSID', 'Flotilla-2G');
    expect(d.hasActiveChange()).toBe(false);
    d.setInternal('Device.Not.There', 'x');
    expect(d.overlaySize()).toBe(1); // the attribute only
  });

  it('a forced-inform parameter with default active notification triggers an active change (firmware upgrade)', () => {
    d.setInternal('Device.DeviceInfo.SoftwareVersion', '2.5.0');
    expect(d.hasActiveChange()).toBe(true);
    expect(d.informParameters().filter((p) => p.name === 'Device.DeviceInfo.SoftwareVersion')).toEqual([
      { name: 'Device.DeviceInfo.SoftwareVersion', value: '2.5.0', type: 'xsd:string' },
    ]);
  });
});
