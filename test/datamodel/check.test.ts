/**
 * Catalogue checks on values the ACS writes (src/datamodel/check.ts) against the shipped BBF
 * catalogue (models/bbf-catalogue.json), for TR-181, TR-098 and the TR-104/TR-135 service
 * models, and against the real device dumps in ../shared/device-models when present: a
 * device's own current values pass, whatever the standard says of them.
 */
import { describe, expect, it } from 'vitest';
import { shippedCatalogues } from '../../src/datamodel/bbf.js';
import { checkSetParameter, isVendorPath } from '../../src/datamodel/check.js';
import { checkValue, normalizeType } from '../../src/datamodel/values.js';
import { deviceContext, normalizeTask, TaskValidationError } from '../../src/tasks/validate.js';
import { DUMPS, hasDumps, loadDump } from './dumps.js';

const cats = shippedCatalogues();
const check = (path: string, value: string, device?: { type: string | null; writable: boolean | null; value: string | null }) =>
  checkSetParameter(cats, { path, value, device });

describe('the shipped catalogue', () => {
  it('holds the four models, root and service ones', () => {
    expect(cats.catalogues.map((c) => [c.model, c.root, c.service])).toEqual([
      ['Device:2.17', 'Device.', false],
      ['InternetGatewayDevice:1.14', 'InternetGatewayDevice.', false],
      ['VoiceService:2.0', 'VoiceService.', true],
      ['STBService:1.4', 'STBService.', true],
    ]);
  });

  it('finds service models where a root mounts them', () => {
    expect(cats.locate('Device.Services.VoiceService.1.Capabilities.MaxLineCount')?.catalogue.model).toBe('VoiceService:2.0');
    expect(cats.locate('InternetGatewayDevice.Services.STBService.2.Enable')?.generic).toBe('STBService.{i}.Enable');
    expect(cats.parameter('Device.Services.STBService.1.Enable')).toMatchObject({ type: 'xsd:boolean', access: 'readWrite', model: 'STBService:1.4' });
    expect(cats.locate('Foo.Bar')).toBeUndefined();
  });
});

describe('checkSetParameter', () => {
  it('PeriodicInformInterval = "abc" is refused in both root models, naming the path and the type', () => {
    expect(check('Device.ManagementServer.PeriodicInformInterval', 'abc')).toMatch(/^Device\.ManagementServer\.PeriodicInformInterval: "abc" is not allowed; Device:2\.17 says unsignedInt, from 1 to/);
    expect(check('InternetGatewayDevice.ManagementServer.PeriodicInformInterval', 'abc')).toMatch(/^InternetGatewayDevice\.ManagementServer\.PeriodicInformInterval: .*InternetGatewayDevice:1\.14 says unsignedInt/);
    expect(check('Device.ManagementServer.PeriodicInformInterval', '300')).toBeNull();
  });

  it('out of range', () => {
    expect(check('Device.ManagementServer.PeriodicInformInterval', '0')).toMatch(/from 1 to/);
    expect(check('Device.ManagementServer.PeriodicInformInterval', '4294967296')).toMatch(/not allowed/);
  });

  it('an enumeration value the standard lacks, and a list item', () => {
    expect(check('Device.WiFi.AccessPoint.1.Security.ModeEnabled', 'WPA9')).toMatch(/one of "None", "WEP-64"/);
    expect(check('Device.WiFi.AccessPoint.1.Security.ModeEnabled', 'WPA2-Personal')).toBeNull();
    expect(check('InternetGatewayDevice.LANDevice.1.WLANConfiguration.1.BeaconType', 'Basic')).toBeNull();
    expect(check('InternetGatewayDevice.LANDevice.1.WLANConfiguration.1.BeaconType', 'b/g')).toMatch(/BeaconType: "b\/g" is not allowed/);
  });

  it('a string too long', () => {
    expect(check('Device.WiFi.SSID.1.SSID', 'x'.repeat(33))).toMatch(/at most 32 characters/);
    expect(check('Device.WiFi.SSID.1.SSID', 'x'.repeat(32))).toBeNull();
  });

  it('read-only per the model, unless the device says it is writable', () => {
    expect(check('Device.DeviceInfo.SerialNumber', 'X')).toBe('Device.DeviceInfo.SerialNumber is read-only in Device:2.17');
    expect(check('Device.DeviceInfo.SerialNumber', 'X', { type: 'xsd:string', writable: true, value: 'S' })).toBeNull();
    expect(check('Device.IP.Diagnostics.IPPing.DiagnosticsState', 'Complete')).toMatch(/is set by the device/);
    expect(check('Device.IP.Diagnostics.IPPing.DiagnosticsState', 'Requested')).toBeNull();
  });

  it('an unknown path: refused unless the device reported it; an object is not a parameter', () => {
    expect(check('Device.ManagementServer.PeriodicInformIntervall', '5')).toMatch(/not a parameter of Device:2\.17 nor of the device's reported tree/);
    expect(check('Device.ManagementServer.PeriodicInformIntervall', '5', { type: 'xsd:unsignedInt', writable: true, value: '1' })).toBeNull();
    expect(check('Device.ManagementServer', '5')).toMatch(/is an object in Device:2\.17/);
    expect(check('Foo.Bar', '5')).toMatch(/any data model the ACS knows/);
  });

  it('vendor paths pass on the device\'s word, read-only included', () => {
    expect(isVendorPath('InternetGatewayDevice.X_HW_Something.A')).toBe(true);
    expect(check('InternetGatewayDevice.DeviceInfo.X_HUAWEI_ServiceManage.TelnetPort', 'anything')).toBeNull();
    expect(check('Device.X_TP_Foo.Bar', 'x', { type: 'xsd:string', writable: false, value: '' })).toMatch(/read-only \(the device reports it so\)/);
  });

  it('TR-104 and TR-135 facets under Device.Services.', () => {
    const maxLen = cats.parameter('Device.Services.VoiceService.1.SIP.Client.1.AuthUserName');
    expect(maxLen?.maxLength).toBeGreaterThan(0);
    expect(check('Device.Services.VoiceService.1.SIP.Client.1.AuthUserName', 'x'.repeat(maxLen!.maxLength! + 1))).toMatch(/at most/);
    expect(check('Device.Services.STBService.1.Enable', 'maybe')).toMatch(/says boolean/);
    expect(check('Device.Services.STBService.1.Enable', 'true')).toBeNull();
  });

  it("a device's current value passes even outside the standard's enumeration", () => {
    const dev = { type: 'xsd:string', writable: true, value: '11bgn' };
    expect(check('InternetGatewayDevice.LANDevice.1.WLANConfiguration.1.Standard', '11bgn', dev)).toBeNull();
    expect(check('Device.WiFi.AccessPoint.1.Security.ModeEnabled', 'WPA9', { ...dev, value: 'WPA9' })).toBeNull();
  });
});

describe('task validation with the catalogue (what the NBI answers 400 with)', () => {
  const spv = (values: unknown[][], rows: { path: string; type: string | null; writable?: boolean | null; value?: string | null }[] = []) => () =>
    normalizeTask({ type: 'setParameterValues', parameterValues: values }, deviceContext(rows, cats));

  it('names the index, the path and what is allowed', () => {
    expect(spv([['Device.ManagementServer.PeriodicInformInterval', 'abc']])).toThrow(TaskValidationError);
    expect(spv([['Device.ManagementServer.PeriodicInformInterval', 'abc']])).toThrow(/parameterValues\[0\]: "abc" is not a valid xsd:unsignedInt value for Device\.ManagementServer\.PeriodicInformInterval/);
    expect(spv([['Device.ManagementServer.PeriodicInformInterval', 'abc', 'xsd:string']])).toThrow(/parameterValues\[0\]: Device\.ManagementServer\.PeriodicInformInterval: "abc" is not allowed; Device:2\.17 says unsignedInt/);
  });

  it('a standard parameter the device never typed goes out with the standard\'s type', () => {
    const t = normalizeTask({ type: 'setParameterValues', parameterValues: [['InternetGatewayDevice.ManagementServer.PeriodicInformEnable', true]] }, deviceContext([], cats));
    expect(t).toMatchObject({ parameterValues: [['InternetGatewayDevice.ManagementServer.PeriodicInformEnable', 'true', 'xsd:boolean']] });
  });

  it('a secret is never echoed in the reason', () => {
    const run = spv([['Device.WiFi.AccessPoint.1.Security.KeyPassphrase', 's3cret-but-far-too-long-'.repeat(4)]]);
    expect(run).toThrow(/the value is not allowed/);
    expect(run).not.toThrow(/s3cret/);
  });

  it('addObject values are checked under the new instance', () => {
    const add = (values: unknown[][]) => () =>
      normalizeTask({ type: 'addObject', objectName: 'Device.NAT.PortMapping.', parameterValues: values }, deviceContext([], cats));
    expect(add([['ExternalPort', '8080']])()).toMatchObject({ parameterValues: [['ExternalPort', '8080', 'xsd:unsignedInt']] });
    expect(add([['ExternalPort', '70000']])).toThrow(/ExternalPort: "70000" is not allowed; Device:2\.17 says unsignedInt, from 0 to 65535/);
    expect(add([['Protocol', 'SCTP']])).toThrow(/one of "TCP", "UDP"/);
  });
});

describe.skipIf(!hasDumps)('real device dumps (../shared/device-models)', () => {
  for (const file of DUMPS) {
    it(`${file}: writing back every writable parameter's own value passes; a wrong type on a standard one does not`, () => {
      const dump = loadDump(file);
      const ctx = deviceContext(dump.rows, cats);
      let checked = 0;
      for (const r of dump.rows) {
        if (r.object || r.writable !== true || r.value === null) continue;
        // Values the device could not take back in any case: its own type refuses them ("" as
        // unsignedInt) or the standard reserves them to the device (DiagnosticsState "None").
        if (checkValue(normalizeType(r.type ?? ''), r.value) !== 0 || cats.parameter(r.path)?.readOnlyValues?.includes(r.value)) continue;
        const t = normalizeTask({ type: 'setParameterValues', parameterValues: [[r.path, r.value]] }, ctx);
        expect(t.type).toBe('setParameterValues');
        checked++;
      }
      expect(checked).toBeGreaterThan(100);
      const ms = `${dump.root}ManagementServer.PeriodicInformInterval`;
      expect(() => normalizeTask({ type: 'setParameterValues', parameterValues: [[ms, 'abc', 'xsd:string']] }, ctx)).toThrow(/PeriodicInformInterval: "abc" is not allowed/);
    });
  }
});
