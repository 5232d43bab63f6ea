import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { genericPath, loadCatalogue, lookupParameter, parseCatalogue } from '../../src/datamodel/catalogue.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const shared = path.resolve(repoRoot, '../shared');
const hasShared = existsSync(path.join(shared, 'datamodels', 'tr-181-2-17-0-cwmp-full.xml'));

const MINI = `<?xml version="1.0"?>
<dm:document xmlns:dm="urn:broadband-forum-org:cwmp:datamodel-1-14" spec="x">
  <dataType name="Counter"><unsignedInt><range minInclusive="0" maxInclusive="100"/></unsignedInt></dataType>
  <dataType name="Small" base="Counter"><unsignedInt><range maxInclusive="10"/></unsignedInt></dataType>
  <dataType name="State"><string><enumeration value="None" access="readOnly"/><enumeration value="Requested"/></string></dataType>
  <model name="Device:2.99">
    <object name="Device." access="readOnly" minEntries="1" maxEntries="1">
      <parameter name="RootDataModelVersion" access="readOnly" forcedInform="true"><syntax><string/></syntax></parameter>
    </object>
    <object name="Device.X.{i}." access="readWrite" minEntries="0" maxEntries="unbounded">
      <parameter name="Count" access="readOnly" activeNotify="canDeny"><syntax><dataType ref="Small"/></syntax></parameter>
      <parameter name="State" access="readWrite"><syntax><dataType ref="State"/><default type="object" value="None"/></syntax></parameter>
      <parameter name="Modes" access="readWrite"><syntax><list><size maxLength="64"/></list><string><enumerationRef targetParam="ModesSupported" nullValue="Off"/></string></syntax></parameter>
      <parameter name="Secret" access="readWrite"><syntax secured="true"><string><size maxLength="8"/></string></syntax></parameter>
      <parameter name="Gone" access="readOnly" status="deleted"><syntax><int/></syntax></parameter>
    </object>
    <profile name="P:1"><object ref="Device.X.{i}." requirement="readOnly"><parameter ref="Count" requirement="readOnly"/></object></profile>
  </model>
</dm:document>`;

describe('parseCatalogue (inline document)', () => {
  const cat = parseCatalogue(MINI);

  it('reads objects, tables and parameters, skipping profiles and deleted items', () => {
    expect(cat.model).toBe('Device:2.99');
    expect(cat.root).toBe('Device.');
    expect([...cat.objects.keys()]).toEqual(['Device.', 'Device.X.{i}.']);
    expect(cat.objects.get('Device.X.{i}.')).toEqual({ access: 'readWrite', multiInstance: true, minEntries: 0 });
    expect([...cat.parameters.keys()]).toEqual([
      'Device.RootDataModelVersion',
      'Device.X.{i}.Count',
      'Device.X.{i}.State',
      'Device.X.{i}.Modes',
      'Device.X.{i}.Secret',
    ]);
  });

  it('resolves named data types through their base chain, own facets first', () => {
    expect(cat.parameters.get('Device.X.{i}.Count')).toEqual({
      type: 'xsd:unsignedInt',
      access: 'readOnly',
      activeNotify: 'canDeny',
      min: '0',
      max: '10',
    });
    const state = cat.parameters.get('Device.X.{i}.State')!;
    expect(state.enumeration).toEqual(['None', 'Requested']);
    expect(state.readOnlyValues).toEqual(['None']);
    expect(state.default).toBe('None');
  });

  it('lists, enumerationRef, secured and forcedInform', () => {
    const modes = cat.parameters.get('Device.X.{i}.Modes')!;
    expect(modes).toMatchObject({ type: 'xsd:string', list: true, enumerationRef: 'Device.X.{i}.ModesSupported', enumerationRefNull: 'Off' });
    expect(modes.maxLength).toBeUndefined(); // the <size> inside <list> bounds the list, not an item
    expect(cat.parameters.get('Device.X.{i}.Secret')).toMatchObject({ hidden: true, maxLength: 8 });
    expect(cat.parameters.get('Device.RootDataModelVersion')?.forcedInform).toBe(true);
  });

  it('refuses a DOCTYPE (no entity expansion)', () => {
    const evil = '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x "boom">]><dm:document xmlns:dm="u">&x;</dm:document>';
    expect(() => parseCatalogue(evil)).toThrow(/DOCTYPE/);
  });

  it('maps concrete paths to generic ones', () => {
    expect(genericPath('Device.WiFi.SSID.3.Stats.BytesSent')).toBe('Device.WiFi.SSID.{i}.Stats.BytesSent');
    expect(genericPath('Device.X.[cpe-a].Count')).toBe('Device.X.{i}.Count');
    expect(lookupParameter(cat, 'Device.X.7.Count')?.max).toBe('10');
  });
});

describe.skipIf(!hasShared)('BBF catalogue files in ../shared/datamodels (skipped when ../shared is absent)', () => {
  it('TR-181 2.17: objects, parameters, types and flags', () => {
    const cat = loadCatalogue(path.join(shared, 'datamodels', 'tr-181-2-17-0-cwmp-full.xml'));
    expect(cat.model).toBe('Device:2.17');
    expect(cat.root).toBe('Device.');
    expect(cat.objects.size).toBe(778);
    expect(cat.parameters.size).toBe(6364);
    expect(cat.objects.get('Device.NAT.PortMapping.{i}.')).toMatchObject({ access: 'readWrite', multiInstance: true });
    expect(cat.parameters.get('Device.NAT.PortMapping.{i}.ExternalPort')).toMatchObject({ type: 'xsd:unsignedInt', access: 'readWrite', min: '0', max: '65535' });
    expect(cat.parameters.get('Device.DeviceInfo.SoftwareVersion')).toMatchObject({ forcedInform: true, activeNotify: 'forceEnabled' });
    expect(cat.parameters.get('Device.DeviceInfo.UpTime')).toMatchObject({ type: 'xsd:unsignedInt', activeNotify: 'canDeny' });
    expect(cat.parameters.get('Device.ManagementServer.Password')?.hidden).toBe(true);
    expect(cat.parameters.get('Device.Ethernet.Interface.{i}.Stats.BytesSent')?.type).toBe('xsd:unsignedLong');
    const diag = cat.parameters.get('Device.IP.Diagnostics.IPPing.DiagnosticsState')!;
    expect(diag.enumeration).toContain('Requested');
    expect(diag.readOnlyValues).toContain('Complete');
    expect(cat.parameters.get('Device.WiFi.Radio.{i}.OperatingStandards')).toMatchObject({ list: true, enumerationRef: 'Device.WiFi.Radio.{i}.SupportedStandards' });
    const forced = [...cat.parameters].filter(([, p]) => p.forcedInform).map(([k]) => k);
    expect(forced).toEqual([
      'Device.RootDataModelVersion',
      'Device.DeviceInfo.HardwareVersion',
      'Device.DeviceInfo.SoftwareVersion',
      'Device.DeviceInfo.ProvisioningCode',
      'Device.ManagementServer.ParameterKey',
      'Device.ManagementServer.ConnectionRequestURL',
      'Device.ManagementServer.AliasBasedAddressing',
    ]);
  });

  it('TR-098 1.8: InternetGatewayDevice with the WAN connection forced-inform parameters', () => {
    const cat = loadCatalogue(path.join(shared, 'datamodels', 'tr-098-1-8-0-full.xml'));
    expect(cat.model).toBe('InternetGatewayDevice:1.14');
    expect(cat.root).toBe('InternetGatewayDevice.');
    expect(cat.parameters.size).toBe(1784);
    const ext = cat.parameters.get('InternetGatewayDevice.WANDevice.{i}.WANConnectionDevice.{i}.WANIPConnection.{i}.ExternalIPAddress');
    expect(ext).toMatchObject({ access: 'readWrite', forcedInform: true, activeNotify: 'forceDefaultEnabled' });
    expect(cat.parameters.get('InternetGatewayDevice.DeviceSummary')?.forcedInform).toBe(true);
    expect(cat.objects.get('InternetGatewayDevice.WANDevice.{i}.WANConnectionDevice.{i}.WANIPConnection.{i}.PortMapping.{i}.')?.access).toBe('readWrite');
  });
});
