import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createDevice } from '../../src/cpe/device.js';
import { detectFormat, loadModel, parseCsvModel, parseJsonModel, toModelJson, type TObject } from '../../src/cpe/model/index.js';
import { parseCsv } from '../../src/cpe/model/csv.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const models = path.resolve(repoRoot, '../shared/device-models');
const hasShared = existsSync(models);

const table = (t: ReturnType<typeof loadModel>, p: string): TObject => {
  const n = t.index.get(p);
  if (n?.kind !== 'object') throw new Error(`${p} is not an object`);
  return n;
};

describe('parseCsv', () => {
  it('handles quotes, doubled quotes, commas and newlines in fields, CRLF', () => {
    const rows = parseCsv('a,b,c\r\n"x, y","say ""hi""","line1\nline2"\n\nlast,,\n');
    expect(rows).toEqual([
      ['a', 'b', 'c'],
      ['x, y', 'say "hi"', 'line1\nline2'],
      ['last', '', ''],
    ]);
  });
});

describe('CSV models, both layouts', () => {
  const narrow = [
    'Parameter,Object,Writable,Value,Value type',
    'DeviceID.Manufacturer,false,false,"Acme, Inc.",xsd:string',
    'DeviceID.OUI,false,false,00AABB,xsd:string',
    'DeviceID.ProductClass,false,false,Box,xsd:string',
    'DeviceID.SerialNumber,false,false,ORIG,xsd:string',
    'Events.Inform,false,false,2023-01-01T00:00:00Z,xsd:dateTime',
    'InternetGatewayDevice,true,false,,',
    'InternetGatewayDevice.DeviceInfo,true,false,,',
    'InternetGatewayDevice.DeviceInfo.SerialNumber,false,false,ORIG,xsd:string',
    'InternetGatewayDevice.DeviceInfo.SoftwareVersion,false,false,1.0,xsd:string',
    'InternetGatewayDevice.DeviceInfo.UpTime,false,false,77,xsd:unsignedInt',
    'InternetGatewayDevice.LANDevice,true,false,,',
    'InternetGatewayDevice.LANDevice.1,true,false,,',
    'InternetGatewayDevice.LANDevice.1.MACAddress,false,false,00:AA:BB:00:00:01,xsd:string',
    'InternetGatewayDevice.LANDevice.1.WLANConfiguration,true,true,,',
    'InternetGatewayDevice.LANDevice.1.WLANConfiguration.3,true,true,,',
    'InternetGatewayDevice.LANDevice.1.WLANConfiguration.3.SSID,false,true,home,xsd:string',
    'InternetGatewayDevice.LANDevice.1.WLANConfiguration.3.Stats,true,false,,',
    'InternetGatewayDevice.LANDevice.1.WLANConfiguration.3.Stats.BytesSent,false,false,99,xsd:unsignedInt',
    'InternetGatewayDevice.Layer3Forwarding,true,false,,',
    'InternetGatewayDevice.Layer3Forwarding.Forwarding,true,true,,',
    'InternetGatewayDevice.Layer3Forwarding.ForwardingNumberOfEntries,false,false,0,xsd:unsignedInt',
  ].join('\n');

  it('the five-column layout: identity, tables, instance templates, skipped bookkeeping rows', () => {
    const t = parseCsvModel(narrow);
    expect(t.root).toBe('InternetGatewayDevice.');
    expect(t.deviceId).toEqual({ manufacturer: 'Acme, Inc.', oui: '00AABB', productClass: 'Box' });
    expect(t.parameterCount).toBe(7);
    expect(t.index.has('Events.Inform')).toBe(false);
    const wlan = table(t, 'InternetGatewayDevice.LANDevice.1.WLANConfiguration.');
    expect(wlan.table).toBe(true);
    expect(wlan.writable).toBe(true);
    expect(wlan.nextInstance).toBe(4); // instance numbers need not be 1..n: next is max + 1
    // The new-instance template has the instances' children with type defaults.
    const proto = wlan.instanceTemplate!;
    expect([...proto.children.keys()]).toEqual(['SSID', 'Stats']);
    const ssid = proto.children.get('SSID');
    expect(ssid?.kind === 'param' && ssid.value).toBe('');
    // An empty table is recognised by its NumberOfEntries sibling.
    expect(table(t, 'InternetGatewayDevice.Layer3Forwarding.Forwarding.').table).toBe(true);
    // Counters refuse active notification; the serial number and MACs become per-device.
    const d1 = createDevice(t, { serialNumber: 'SN-1' });
    const d2 = createDevice(t, { serialNumber: 'SN-2' });
    expect(d1.get('InternetGatewayDevice.DeviceInfo.SerialNumber')?.value).toBe('SN-1');
    const mac1 = d1.get('InternetGatewayDevice.LANDevice.1.MACAddress')!.value;
    const mac2 = d2.get('InternetGatewayDevice.LANDevice.1.MACAddress')!.value;
    expect(mac1).toMatch(/^00:AA:BB(:[0-9A-F]{2}){3}$/);
    expect(mac1).not.toBe(mac2);
    const bytes = t.index.get('InternetGatewayDevice.LANDevice.1.WLANConfiguration.3.Stats.BytesSent');
    expect(bytes?.kind === 'param' && bytes.activeNotify).toBe('canDeny');
  });

  it('the twelve-column layout with notification and access list', () => {
    const wide = [
      'Parameter,Object,Object timestamp,Writable,Writable timestamp,Value,Value type,Value timestamp,Notification,Notification timestamp,Access list,Access list timestamp',
      'Device,true,t,false,t,"",,,,,,',
      'Device.ManagementServer,true,t,false,t,"",,,,,,',
      'Device.ManagementServer.URL,false,t,true,t,"http://acs.example/",xsd:string,t,2,t,Subscriber,t',
      'Device.ManagementServer.PeriodicInformInterval,false,t,true,t,"300",xsd:unsignedInt,t,,,,',
    ].join('\n');
    const t = parseCsvModel(wide);
    expect(t.root).toBe('Device.');
    const url = t.index.get('Device.ManagementServer.URL');
    expect(url).toMatchObject({ kind: 'param', writable: true, value: 'http://acs.example/', notification: 2, accessList: ['Subscriber'] });
    expect(t.index.get('Device.ManagementServer.PeriodicInformInterval')).toMatchObject({ type: 'xsd:unsignedInt', value: '300' });
  });

  it('rejects what is not a model', () => {
    expect(() => parseCsvModel('Foo,Bar\n1,2\n')).toThrow(/missing/);
    expect(() => parseCsvModel('Parameter,Object,Writable,Value,Value type\nX.Y,false,false,1,xsd:string\n')).toThrow(/root/);
  });
});

describe.skipIf(!hasShared)('the five real device dumps in ../shared/device-models (skipped when ../shared is absent)', () => {
  const cases = [
    // file, root, parameters, objects, tables, writable tables, product class, SoftwareVersion, forced-inform WAN address
    ['huawei-bm632w-tr098.csv', 'InternetGatewayDevice.', 792, 210, 39, 18, 'BM632w', 'V100R001IRQC56B017', 'WANIPConnection.1.ExternalIPAddress'],
    ['huawei-eg8145v5-tr098.csv', 'InternetGatewayDevice.', 3147, 643, 113, 103, 'EG8145V5', 'V5R020C00S280', 'WANPPPConnection.1.ExternalIPAddress'],
    ['tplink-ec220-g5-v2-tr098.csv', 'InternetGatewayDevice.', 1299, 254, 47, 15, 'IGD', '3.16.0 0.9.1 v6055.0 Build 220706 Rel.79244n', 'WANIPConnection.1.ExternalIPAddress'],
    ['tplink-ex220-tr181.csv', 'Device.', 4413, 816, 141, 60, 'Device2', '0.14.0 2.0.0 v605f.0 Build 221227 Rel.55257n', ''],
    ['zte-zxhn-h199a-tr098.csv', 'InternetGatewayDevice.', 1457, 284, 55, 24, 'ZXHN H199A', 'V9.1.0P4N3_MUL', 'WANPPPConnection.2.ExternalIPAddress'],
  ] as const;

  for (const [file, root, params, objects, tables, writableTables, productClass, sw, wan] of cases) {
    it(file, () => {
      const t = loadModel(path.join(models, file));
      expect(t.root).toBe(root);
      expect(t.parameterCount).toBe(params);
      expect(t.objectCount).toBe(objects);
      const all = [...t.index.values()].filter((n): n is TObject => n.kind === 'object' && n.table);
      expect(all.length).toBe(tables);
      expect(all.filter((n) => n.writable).length).toBe(writableTables);
      expect(t.deviceId.productClass).toBe(productClass);
      const d = createDevice(t, { serialNumber: 'TEST0001' });
      expect(d.get(`${root}DeviceInfo.SoftwareVersion`)?.value).toBe(sw);
      expect(d.get(`${root}DeviceInfo.SerialNumber`)?.value).toBe('TEST0001');
      const inform = d.informParameters().map((p) => p.name);
      expect(inform).toContain(`${root}ManagementServer.ConnectionRequestURL`);
      expect(inform).toContain(`${root}ManagementServer.ParameterKey`);
      if (wan) expect(inform.at(-1)).toBe(`InternetGatewayDevice.WANDevice.1.WANConnectionDevice.1.${wan}`);
      else expect(inform).toContain('Device.RootDataModelVersion');
      // The whole tree answers GetParameterNames and its values are all reachable.
      const gpn = d.handle({ method: 'GetParameterNames', parameterPath: '', nextLevel: false });
      expect(gpn.response.method === 'GetParameterNamesResponse' && gpn.response.parameterList.length).toBe(params + objects);
    });
  }

  it('a CSV model converts to flotilla-model/1 and back without loss', () => {
    const t = loadModel(path.join(models, 'zte-zxhn-h199a-tr098.csv'));
    const back = parseJsonModel(JSON.stringify(toModelJson(t)));
    expect(back.parameterCount).toBe(t.parameterCount);
    expect(back.objectCount).toBe(t.objectCount);
    expect(back.forcedInform).toEqual(t.forcedInform);
    for (const [p, n] of t.index) {
      const m = back.index.get(p)!;
      expect(m.kind).toBe(n.kind);
      expect(m.writable).toBe(n.writable);
      if (n.kind === 'param' && m.kind === 'param') expect([m.type, m.value]).toEqual([n.type, n.value]);
    }
  });
});

describe('shipped models (models/*.json)', () => {
  const shipped = [
    ['tr181-router', 'Device.', 1190, 'HGW-181'],
    ['tr098-gateway', 'InternetGatewayDevice.', 551, 'IGD-098'],
    ['tr181-large', 'Device.', 5225, 'HGW-181L'],
  ] as const;
  for (const [name, root, params, productClass] of shipped) {
    it(`${name} loads by name and by path, under 1 MB`, () => {
      const file = path.join(repoRoot, 'models', `${name}.json`);
      expect(readFileSync(file).length).toBeLessThan(1024 * 1024);
      const t = loadModel(name);
      expect(t.root).toBe(root);
      expect(t.parameterCount).toBe(params);
      expect(t.deviceId).toEqual({ manufacturer: 'Flotilla', oui: 'F2F107', productClass });
      expect(loadModel(file).parameterCount).toBe(params);
      expect(JSON.parse(readFileSync(file, 'utf8')).licence).toMatch(/Broadband Forum/);
    });
  }

  it('tr181-router has the required families and forced-inform set', () => {
    const t = loadModel('tr181-router');
    for (const p of [
      'Device.DeviceInfo.', 'Device.ManagementServer.', 'Device.Time.', 'Device.Ethernet.Interface.1.', 'Device.WiFi.Radio.2.',
      'Device.WiFi.SSID.1.', 'Device.WiFi.AccessPoint.1.Security.', 'Device.IP.Interface.2.IPv4Address.1.', 'Device.DHCPv4.Server.Pool.1.',
      'Device.Hosts.Host.3.', 'Device.IP.Diagnostics.IPPing.', 'Device.IP.Diagnostics.TraceRoute.', 'Device.IP.Diagnostics.DownloadDiagnostics.',
      'Device.IP.Diagnostics.UploadDiagnostics.',
    ]) expect(t.index.get(p)?.kind, p).toBe('object');
    const pm = table(t, 'Device.NAT.PortMapping.');
    expect([pm.table, pm.writable, pm.children.size]).toEqual([true, true, 0]);
    expect(pm.instanceTemplate?.children.has('ExternalPort')).toBe(true);
    expect(t.forcedInform).toEqual([
      'Device.RootDataModelVersion', 'Device.DeviceInfo.HardwareVersion', 'Device.DeviceInfo.SoftwareVersion',
      'Device.DeviceInfo.ProvisioningCode', 'Device.ManagementServer.ParameterKey', 'Device.ManagementServer.ConnectionRequestURL',
      'Device.ManagementServer.AliasBasedAddressing',
    ]);
  });

  it('tr098-gateway has WAN/LAN trees, diagnostics and the default connection in forced inform', () => {
    const t = loadModel('tr098-gateway');
    const I = 'InternetGatewayDevice.';
    for (const p of [
      `${I}LANDevice.1.WLANConfiguration.2.`, `${I}WANDevice.1.WANConnectionDevice.1.WANIPConnection.1.`, `${I}IPPingDiagnostics.`,
      `${I}TraceRouteDiagnostics.`, `${I}DownloadDiagnostics.`, `${I}UploadDiagnostics.`, `${I}ManagementServer.`, `${I}DeviceInfo.`, `${I}Time.`,
    ]) expect(t.index.get(p)?.kind, p).toBe('object');
    const pm = table(t, `${I}WANDevice.1.WANConnectionDevice.1.WANIPConnection.1.PortMapping.`);
    expect([pm.table, pm.writable]).toEqual([true, true]);
    expect(t.forcedInform).toContain(`${I}DeviceSummary`);
    expect(t.forcedInform).toContain(`${I}DeviceInfo.SpecVersion`);
    expect(t.forcedInform.at(-1)).toBe(`${I}WANDevice.1.WANConnectionDevice.1.WANIPConnection.1.ExternalIPAddress`);
  });
});

describe('loadModel', () => {
  const json = JSON.stringify({
    format: 'flotilla-model/1',
    root: 'Device.',
    parameters: [{ path: 'Device.DeviceInfo.SoftwareVersion', value: '9' }],
  });
  it('detects the format from the content and takes text directly', () => {
    expect(detectFormat(json)).toBe('json');
    expect(detectFormat('Parameter,Object,Writable,Value,Value type\n')).toBe('csv');
    expect(() => detectFormat('hello')).toThrow(/format/);
    expect(loadModel(json).parameterCount).toBe(1);
    expect(loadModel(json, 'json').forcedInform).toEqual(['Device.DeviceInfo.SoftwareVersion']);
  });
  it('reports missing files and bad JSON models', () => {
    expect(() => loadModel('/nonexistent/model.csv')).toThrow(/not found/);
    expect(() => parseJsonModel({ format: 'other' } as never)).toThrow(/format/);
    expect(() => parseJsonModel('{"format":"flotilla-model/1","root":"Device.","parameters":[{"path":"Other.X"}]}')).toThrow(/bad parameter path/);
  });
});
