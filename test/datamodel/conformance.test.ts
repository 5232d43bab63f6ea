/**
 * Conformance reports (src/datamodel/conformance.ts): each finding kind on a small tree made
 * for it, then the five real device dumps of ../shared/device-models with their known
 * deviations.
 */
import { describe, expect, it } from 'vitest';
import { shippedCatalogues } from '../../src/datamodel/bbf.js';
import { conformanceReport, parseDeviceSummary, type ReportRow } from '../../src/datamodel/conformance.js';
import { hasDumps, loadDump } from './dumps.js';

const cats = shippedCatalogues();
const obj = (path: string): ReportRow => ({ path, object: true, value: null, type: null, writable: false });
const param = (path: string, value: string, type = 'xsd:string', writable = false): ReportRow => ({ path, object: false, value, type, writable });
const IGD = 'InternetGatewayDevice.';

describe('parseDeviceSummary', () => {
  it('models with their profiles, a cut-short summary included', () => {
    expect(parseDeviceSummary('InternetGatewayDevice:1.4[](Baseline:1, EthernetLAN:1), VoiceService:1.0[1](Endpoint:1, SIPEndpoint:1)')).toEqual([
      { model: 'InternetGatewayDevice:1.4', profiles: ['Baseline:1', 'EthernetLAN:1'] },
      { model: 'VoiceService:1.0', profiles: ['Endpoint:1', 'SIPEndpoint:1'] },
    ]);
    expect(parseDeviceSummary('InternetGatewayDevice:1.1[](Baseline:1, Time:1')).toEqual([{ model: 'InternetGatewayDevice:1.1', profiles: ['Baseline:1', 'Time:1'] }]);
    expect(parseDeviceSummary('garbage')).toEqual([]);
  });
});

describe('conformanceReport on small trees', () => {
  it('TR-098 without DeviceSummary: InternetGatewayDevice:1.0 with Baseline:1 implied, and what it misses', () => {
    const r = conformanceReport(cats, [obj(IGD), obj(`${IGD}ManagementServer.`), param(`${IGD}ManagementServer.URL`, 'http://acs', 'xsd:string', true)]);
    expect(r.root).toBe(IGD);
    expect(r.catalogue).toBe('InternetGatewayDevice:1.14');
    expect(r.claimed).toEqual([{ model: 'InternetGatewayDevice:1.0', profiles: ['Baseline:1'], implied: true, source: 'implied' }]);
    const missing = r.findings.missing.map((f) => f.path);
    expect(missing).toContain(`${IGD}ManagementServer.PeriodicInformInterval`);
    expect(missing).toContain(`${IGD}DeviceInfo.`);
    expect(missing).not.toContain(`${IGD}ManagementServer.URL`);
    // Parameters of an absent object are not listed one by one: the object is.
    expect(missing).not.toContain(`${IGD}DeviceInfo.SerialNumber`);
    expect(r.counts.missing).toBe(r.findings.missing.length);
  });

  it('per-instance requirements of a table apply to each instance the device has', () => {
    const rows = [obj(`${IGD}Layer3Forwarding.`), obj(`${IGD}Layer3Forwarding.Forwarding.`), obj(`${IGD}Layer3Forwarding.Forwarding.7.`), param(`${IGD}Layer3Forwarding.Forwarding.7.Enable`, '1', 'xsd:boolean', true)];
    const r = conformanceReport(cats, rows);
    const missing = r.findings.missing.map((f) => f.path);
    expect(missing).toContain(`${IGD}Layer3Forwarding.Forwarding.7.DestIPAddress`);
    expect(missing).not.toContain(`${IGD}Layer3Forwarding.Forwarding.7.Enable`);
  });

  it('wrong types, writability both ways, invalid values, tables without instance numbers, non-standard names', () => {
    const wlan = `${IGD}LANDevice.1.WLANConfiguration.1.`;
    const rows: ReportRow[] = [
      obj(IGD),
      param(`${IGD}DeviceSummary`, 'InternetGatewayDevice:1.4[](Baseline:1, WiFiLAN:1)'),
      obj(`${IGD}LANDevice.`),
      obj(`${IGD}LANDevice.1.`),
      obj(`${IGD}LANDevice.1.WLANConfiguration.`),
      obj(wlan),
      param(`${wlan}Channel`, '6', 'xsd:int', true),
      param(`${wlan}Standard`, 'b/g', 'xsd:string', true),
      param(`${wlan}SSID`, 'lab', 'xsd:string', false),
      param(`${wlan}KeyPassphrase`, '', 'xsd:string', true),
      param(`${IGD}LANDevice.1.WLANConfiguration.SSID`, 'x'),
      obj(`${IGD}Foo.`),
      param(`${IGD}Foo.A`, '1'),
      param(`${IGD}Foo.B`, '2'),
      param(`${IGD}X_ACME_Thing`, '2'),
    ];
    const r = conformanceReport(cats, rows);
    expect(r.claimed[0]).toMatchObject({ model: 'InternetGatewayDevice:1.4', profiles: ['Baseline:1', 'WiFiLAN:1'], implied: false, source: 'DeviceSummary' });
    expect(r.findings.wrongType).toEqual([{ path: `${wlan}Channel`, reported: 'xsd:int', expected: 'xsd:unsignedInt' }]);
    expect(r.findings.writability).toContainEqual({ path: `${wlan}Standard`, reported: 'writable', expected: 'read-only in InternetGatewayDevice:1.14' });
    expect(r.findings.writability).toContainEqual({ path: `${wlan}SSID`, reported: 'read-only', expected: 'writable', detail: 'WiFiLAN:1' });
    expect(r.findings.invalidValues).toContainEqual(expect.objectContaining({ path: `${wlan}Standard`, reported: 'b/g', detail: 'enumeration' }));
    // A hidden parameter read back "" is the rule, not a finding.
    expect(r.findings.invalidValues.map((f) => f.path)).not.toContain(`${wlan}KeyPassphrase`);
    expect(r.findings.noInstanceNumbers).toEqual([{ path: `${IGD}LANDevice.1.WLANConfiguration.SSID`, reported: `${IGD}LANDevice.1.WLANConfiguration.SSID`, expected: `${IGD}LANDevice.{i}.WLANConfiguration.{i}.SSID` }]);
    // Foo. listed once, its two parameters counted; the vendor one is not a finding.
    expect(r.findings.nonStandard.map((f) => f.path)).toEqual([`${IGD}Foo.`]);
    expect(r.counts.nonStandard).toBe(3);
    expect(r.counts.vendor).toBe(1);
    expect(r.truncated).toEqual([]);
  });

  it('TR-181: RootDataModelVersion, Baseline:1 implied; service models under Services.', () => {
    const rows: ReportRow[] = [
      obj('Device.'),
      param('Device.RootDataModelVersion', '2.12'),
      obj('Device.Services.'),
      obj('Device.Services.VoiceService.'),
      obj('Device.Services.VoiceService.1.'),
      param('Device.Services.VoiceService.1.Capabilities.MaxLineCount', 'many', 'xsd:unsignedInt'),
    ];
    const r = conformanceReport(cats, rows);
    expect(r.claimed).toEqual([{ model: 'Device:2.12', profiles: ['Baseline:1'], implied: true, source: 'RootDataModelVersion' }]);
    expect(r.findings.invalidValues).toContainEqual(expect.objectContaining({ path: 'Device.Services.VoiceService.1.Capabilities.MaxLineCount', reported: 'many', detail: 'lexical' }));
    expect(r.findings.nonStandard).toEqual([]);
    expect(r.findings.missing.map((f) => f.path)).toContain('Device.ManagementServer.');
  });

  it('an empty tree', () => {
    const r = conformanceReport(cats, []);
    expect(r).toMatchObject({ root: null, catalogue: null, claimed: [], counts: { parameters: 0, missing: 0 } });
  });
});

/** Known deviations of each dump, found by reading the files (each also a check the report can fail). */
const KNOWN: Record<string, { claimed: string; profiles: string[]; unknown?: string[]; findings: [kind: string, path: string, reported?: string][] }> = {
  'huawei-bm632w-tr098.csv': {
    claimed: 'InternetGatewayDevice:1.1',
    profiles: ['Baseline:1', 'EthernetLAN:1', 'WiFiLAN:1', 'WIMAXWAN:1', 'Bridging:1', 'Time:1', 'IPPing:1'],
    unknown: ['WIMAXWAN:1 (InternetGatewayDevice:1.1)'],
    findings: [
      ['invalidValues', 'InternetGatewayDevice.LANDevice.1.WLANConfiguration.1.Standard', 'b/g/n'],
      ['invalidValues', 'InternetGatewayDevice.LANDevice.1.WLANConfiguration.1.BeaconType', 'WPAWPA2'],
      ['wrongType', 'InternetGatewayDevice.LANDevice.1.WLANConfiguration.1.Channel', 'xsd:int'],
      ['writability', 'InternetGatewayDevice.LANDevice.1.WLANConfiguration.1.Standard', 'writable'],
      ['missing', 'InternetGatewayDevice.ManagementServer.PeriodicInformTime'],
      ['nonStandard', 'InternetGatewayDevice.IDLE.'],
    ],
  },
  'huawei-eg8145v5-tr098.csv': {
    claimed: 'InternetGatewayDevice:1.4',
    profiles: ['Baseline:1', 'EthernetLAN:1', 'WiFiLAN:2', 'Time:1', 'IPPing:1', 'DeviceAssociation:1'],
    unknown: ['Endpoint:1 (VoiceService:1.0)', 'SIPEndpoint:1 (VoiceService:1.0)'],
    findings: [
      ['invalidValues', 'InternetGatewayDevice.LANDevice.1.WLANConfiguration.1.Standard', '11bgn'],
      ['wrongType', 'InternetGatewayDevice.LANDevice.1.WLANConfiguration.1.WMMSupported', 'xsd:unsignedInt'],
      ['writability', 'InternetGatewayDevice.LANDevice.1.LANEthernetInterfaceConfig.1.MACAddressControlEnabled', 'read-only'],
      ['nonStandard', 'InternetGatewayDevice.DHCPv4.'],
    ],
  },
  'tplink-ec220-g5-v2-tr098.csv': {
    claimed: 'InternetGatewayDevice:1.1',
    profiles: ['Baseline:1', 'EthernetLAN:1'],
    findings: [
      ['writability', 'InternetGatewayDevice.DeviceInfo.HardwareVersion', 'writable'],
      ['writability', 'InternetGatewayDevice.DeviceInfo.SoftwareVersion', 'writable'],
      ['invalidValues', 'InternetGatewayDevice.LANDevice.1.WLANConfiguration.2.Standard', 'ac'],
      ['invalidValues', 'InternetGatewayDevice.DeviceInfo.FirstUseDate', ''],
      ['missing', 'InternetGatewayDevice.LANConfigSecurity.'],
    ],
  },
  'tplink-ex220-tr181.csv': {
    claimed: 'Device:2.4',
    profiles: ['Baseline:1'],
    findings: [
      ['wrongType', 'Device.DHCPv6.Client.1.DUID', 'xsd:string'],
      ['invalidValues', 'Device.WiFi.AccessPoint.1.Security.ModesSupported', 'None,WPA2-Personal,WPA-WPA2-Personal,WPA2-WPA3-Personal'],
      ['nonStandard', 'Device.BulkData.EncodeTypes'],
      ['missing', 'Device.DNS.Client.Enable'],
    ],
  },
  'zte-zxhn-h199a-tr098.csv': {
    claimed: 'InternetGatewayDevice:1.4',
    profiles: ['Baseline:1', 'EthernetLAN:1', 'WiFiLAN:1', 'EthernetWAN:1', 'Time:1', 'IPPing:1'],
    findings: [
      ['invalidValues', 'InternetGatewayDevice.LANDevice.1.WLANConfiguration.1.Standard', 'b,g,n'],
      ['invalidValues', 'InternetGatewayDevice.DeviceInfo.TemperatureStatus.TemperatureSensor.1.Status', 'Enable'],
      ['wrongType', 'InternetGatewayDevice.DeviceInfo.TemperatureStatus.TemperatureSensor.1.ResetTime', 'xsd:unsignedLong'],
      ['missing', 'InternetGatewayDevice.Layer3Forwarding.Forwarding.1.Type'],
    ],
  },
};

describe.skipIf(!hasDumps)('the five real device dumps', () => {
  for (const [file, known] of Object.entries(KNOWN)) {
    it(`${file}: claims, counts and its known deviations`, () => {
      const r = conformanceReport(cats, loadDump(file).rows);
      expect(r.claimed[0]).toMatchObject({ model: known.claimed, profiles: known.profiles });
      expect(r.unknownProfiles).toEqual(known.unknown ?? []);
      for (const [kind, path, reported] of known.findings) {
        const list = r.findings[kind as keyof typeof r.findings];
        const hit = list.find((f) => f.path === path);
        expect(hit, `${kind} ${path}`).toBeDefined();
        if (reported !== undefined) expect(hit!.reported).toBe(reported);
      }
      expect(r.counts.standard + r.counts.vendor).toBeLessThanOrEqual(r.counts.parameters);
      expect(r.counts.standard).toBeGreaterThan(200);
    });
  }
});
