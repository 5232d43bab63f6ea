/**
 * Generates the shipped device models (models/*.json, format flotilla-model/1) from the
 * Broadband Forum data-model catalogue in ../shared/datamodels. Run at development time:
 *
 *   npx vite-node scripts/generate-models.ts [-- --shared <dir>] [-- --check]
 *
 * Object and parameter names, types, access, defaults, enumerations, ranges, hidden,
 * forcedInform and activeNotify come from the catalogue; which objects a device has, how
 * many instances and their values are chosen in SPECS at the end of this file. --check
 * regenerates in memory and fails when a committed file differs.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadCatalogue, type Catalogue, type CatalogueParameter } from '../src/datamodel/catalogue.js';
import { checkValue, isIntegerType, zeroValue } from '../src/datamodel/values.js';
import { MODEL_FORMAT, parseJsonModel, type ModelJson, type ObjectJson, type ParameterJson } from '../src/cpe/model/json.js';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '..');

/** Concrete paths of a generic object path, instance counts from the spec. */
function expand(spec: ModelSpec, generic: string): string[] {
  const parts = generic.split('{i}.');
  let acc = [parts[0]!];
  for (let k = 1; k < parts.length; k++) {
    const genericTable = parts.slice(0, k).join('{i}.');
    const next: string[] = [];
    for (const table of acc) {
      const n = spec.instances[table] ?? spec.instances[genericTable] ?? 0;
      for (let i = 1; i <= n; i++) next.push(`${table}${i}.${parts[k]}`);
    }
    acc = next;
  }
  return acc;
}

/** Put the instance numbers of `concrete` into the "{i}"s of `generic` (same table chain). */
function concretize(generic: string, concrete: string): string {
  const nums = [...concrete.matchAll(/\.(\d+)(?=\.)/g)].map((m) => m[1]!);
  let k = 0;
  return generic.replace(/\{i\}/g, () => nums[k++] ?? '{i}');
}

function defaultValue(d: CatalogueParameter): string {
  if (d.default !== undefined && checkValue(d.type, d.default, {}) === 0) return d.default;
  if (d.enumeration?.length && !d.list) return d.enumeration[0]!;
  const zero = zeroValue(d.type);
  if (isIntegerType(d.type) && d.min !== undefined && BigInt(zero) < BigInt(d.min)) return d.min;
  return zero;
}

/** "{i}", "{j}", "{i+100}", "{i:2}" in a spec value: instance numbers of the path (see ModelSpec). */
function fillInstance(value: string, path: string): string {
  const nums = [...path.matchAll(/\.(\d+)(?=\.)/g)].map((m) => Number(m[1]));
  return value.replace(/\{([ij])([+-]\d+)?(?::(\d))?\}/g, (_m, which: string, off: string | undefined, pad: string | undefined) => {
    const n = (nums[nums.length - (which === 'i' ? 1 : 2)] ?? 0) + Number(off ?? 0);
    return pad ? String(n).padStart(Number(pad), '0') : String(n);
  });
}

function generate(spec: ModelSpec, cat: Catalogue): ModelJson {
  const selected = new Set(spec.objects);
  for (const o of spec.objects) if (!cat.objects.has(o)) throw new Error(`${spec.file}: ${o} is not in ${cat.model}`);
  const objects: ObjectJson[] = [];
  const parameters: ParameterJson[] = [];
  const warnings: string[] = [];
  const byObject = new Map<string, [string, CatalogueParameter][]>();
  for (const [p, d] of cat.parameters) {
    const o = p.slice(0, p.lastIndexOf('.') + 1);
    if (selected.has(o)) (byObject.get(o) ?? byObject.set(o, []).get(o)!).push([p.slice(o.length), d]);
  }
  const valueOf = (g: string, c: string, name: string, d: CatalogueParameter, obj: string): string => {
    const given = spec.values[c] ?? spec.values[g];
    if (given !== undefined) return fillInstance(given, c);
    if (name.endsWith('NumberOfEntries')) {
      const tableGeneric = `${obj}${name.slice(0, -'NumberOfEntries'.length)}.{i}.`;
      if (selected.has(tableGeneric) && !c.includes('{i}')) {
        const table = `${c.slice(0, c.lastIndexOf('.') + 1)}${name.slice(0, -'NumberOfEntries'.length)}.`;
        return String(spec.instances[table] ?? spec.instances[tableGeneric.slice(0, -4)] ?? 0);
      }
    }
    return defaultValue(d);
  };
  for (const [o, od] of cat.objects) {
    if (!selected.has(o)) continue;
    // Nested tables ("A.{i}.B.") are stated once; every instance of A gets one (template.ts).
    if (od.multiInstance) objects.push({ path: o.slice(0, -4), table: true, ...(od.access === 'readWrite' ? { writable: true } : {}) });
    const params = byObject.get(o) ?? [];
    const targets = [...(o.includes('{i}') ? [o] : []), ...expand(spec, o)];
    if (!params.length) for (const t of targets) objects.push({ path: t });
    for (const [name, d] of params) {
      const g = o + name;
      for (const t of targets) {
        const c = t + name;
        const writable = d.access === 'readWrite';
        const value = t === o && o.includes('{i}') ? defaultValue(d) : valueOf(g, c, name, d, o);
        if (!value.includes('${') && checkValue(d.type, value, { ...d, maxLength: undefined }) !== 0) warnings.push(`${c} = "${value}"`);
        let enumeration = writable ? d.enumeration?.filter((e) => !d.readOnlyValues?.includes(e)) : undefined;
        if (writable && !enumeration && d.enumerationRef) {
          const ref = concretize(d.enumerationRef, c);
          const refValue = spec.values[ref] ?? spec.values[d.enumerationRef];
          if (refValue) enumeration = [...refValue.split(',').map((s) => s.trim()), ...(d.enumerationRefNull ? [d.enumerationRefNull] : [])];
        }
        const type = d.type.slice(4);
        parameters.push({
          path: c,
          ...(type !== 'string' ? { type } : {}),
          ...(writable ? { writable: true } : {}),
          ...(value !== zeroValue(d.type) ? { value } : {}),
          ...(d.activeNotify && d.activeNotify !== 'normal' ? { activeNotify: d.activeNotify } : {}),
          ...(d.hidden ? { hidden: true } : {}),
          ...(enumeration?.length ? { enum: enumeration } : {}),
          ...(writable && d.list ? { list: true } : {}),
          ...(writable && d.min !== undefined ? { min: d.min } : {}),
          ...(writable && d.max !== undefined ? { max: d.max } : {}),
          ...(writable && d.maxLength !== undefined && type === 'string' ? { maxLength: d.maxLength } : {}),
        });
      }
    }
  }
  if (warnings.length) console.warn(`${spec.file}: values outside the catalogue's syntax:\n  ${warnings.join('\n  ')}`);

  // Forced inform: the catalogue's forcedInform="true" parameters present in this model; for a
  // table (TR-098 ExternalIPAddress) only the default connection's.
  const present = new Set(parameters.map((p) => p.path));
  const dcs = spec.values[`${cat.root}Layer3Forwarding.DefaultConnectionService`];
  const forcedInform: string[] = [];
  for (const [p, d] of cat.parameters) {
    if (!d.forcedInform) continue;
    if (!p.includes('{i}')) {
      if (present.has(p)) forcedInform.push(p);
    } else if (dcs) {
      const c = `${dcs}.${p.slice(p.lastIndexOf('.') + 1)}`;
      if (present.has(c) && concretize(p, c) === c) forcedInform.push(c);
    }
  }
  return {
    format: MODEL_FORMAT,
    root: cat.root as 'Device.' | 'InternetGatewayDevice.',
    description: spec.description,
    deviceId: spec.deviceId,
    forcedInform,
    objects,
    parameters,
  };
}

/** One entry per line: compact, and a diff shows which parameter changed. */
function formatModel(m: ModelJson, notice: string): string {
  const { objects = [], parameters, ...head } = m;
  const lines = Object.entries({ licence: notice, ...head }).map(([k, v]) => `  ${JSON.stringify(k)}: ${JSON.stringify(v)}`);
  const list = (k: string, items: unknown[]): string => `  ${JSON.stringify(k)}: [\n${items.map((i) => `    ${JSON.stringify(i)}`).join(',\n')}\n  ]`;
  return `{\n${[...lines, list('objects', objects), list('parameters', parameters)].join(',\n')}\n}\n`;
}

// ---------------------------------------------------------------------------
// What each shipped model contains
// ---------------------------------------------------------------------------

/**
 * What each shipped model contains: the catalogue objects it implements, how many instances
 * its tables have, and the values that make it look like a real home gateway. Everything
 * else (names, types, access, defaults, enumerations) comes from the BBF catalogue.
 *
 * Values may use "{i}" (the innermost instance number of the path), "{j}" (the one outside
 * it), with an offset "{i+100}" / "{i-1}" or zero-padded to two digits "{i:2}", filled at generation, and
 * the per-device placeholders of src/cpe/model/identity.ts (${serialNumber}, ${mac:N},
 * ${macx:MAC}, ${ipx:PREFIX/LEN}), filled when a device reads them.
 */
interface ModelSpec {
  file: string;
  catalogue: string;
  description: string;
  deviceId: { manufacturer: string; oui: string; productClass: string };
  /** Generic object paths, exactly as the catalogue names them. */
  objects: string[];
  /** Table path (generic "A.{i}.B." or concrete "A.1.B.") → instances per parent instance. */
  instances: Record<string, number>;
  /** Parameter path (concrete or generic) → value. */
  values: Record<string, string>;
}

// A locally administered OUI (second-lowest bit of the first octet set): never a real vendor's.
const OUI = 'F2F107';

const routerObjects = [
  'Device.', 'Device.DeviceInfo.', 'Device.DeviceInfo.MemoryStatus.', 'Device.DeviceInfo.ProcessStatus.',
  'Device.DeviceInfo.SupportedDataModel.{i}.', 'Device.DeviceInfo.VendorConfigFile.{i}.',
  'Device.ManagementServer.', 'Device.ManagementServer.InformParameter.{i}.', 'Device.ManagementServer.HeartbeatPolicy.', 'Device.Time.',
  'Device.UserInterface.', 'Device.Ethernet.', 'Device.Ethernet.Interface.{i}.', 'Device.Ethernet.Interface.{i}.Stats.',
  'Device.Ethernet.Link.{i}.', 'Device.Ethernet.Link.{i}.Stats.',
  'Device.WiFi.', 'Device.WiFi.Radio.{i}.', 'Device.WiFi.Radio.{i}.Stats.', 'Device.WiFi.SSID.{i}.', 'Device.WiFi.SSID.{i}.Stats.',
  'Device.WiFi.AccessPoint.{i}.', 'Device.WiFi.AccessPoint.{i}.Security.', 'Device.WiFi.AccessPoint.{i}.WPS.',
  'Device.WiFi.AccessPoint.{i}.AssociatedDevice.{i}.', 'Device.WiFi.AccessPoint.{i}.AssociatedDevice.{i}.Stats.',
  'Device.IP.', 'Device.IP.Interface.{i}.', 'Device.IP.Interface.{i}.IPv4Address.{i}.', 'Device.IP.Interface.{i}.Stats.',
  'Device.IP.Diagnostics.', 'Device.IP.Diagnostics.IPPing.', 'Device.IP.Diagnostics.TraceRoute.',
  'Device.IP.Diagnostics.TraceRoute.RouteHops.{i}.', 'Device.IP.Diagnostics.DownloadDiagnostics.',
  'Device.IP.Diagnostics.UploadDiagnostics.', 'Device.IP.Diagnostics.UDPEchoConfig.', 'Device.IP.Diagnostics.UDPEchoDiagnostics.',
  'Device.IP.Diagnostics.ServerSelectionDiagnostics.', 'Device.IP.Diagnostics.IPLayerCapacityMetrics.',
  'Device.Routing.', 'Device.Routing.Router.{i}.', 'Device.Routing.Router.{i}.IPv4Forwarding.{i}.',
  'Device.Hosts.', 'Device.Hosts.Host.{i}.', 'Device.Hosts.Host.{i}.IPv4Address.{i}.',
  'Device.DNS.', 'Device.DNS.Client.', 'Device.DNS.Client.Server.{i}.',
  'Device.DNS.Diagnostics.', 'Device.DNS.Diagnostics.NSLookupDiagnostics.', 'Device.DNS.Diagnostics.NSLookupDiagnostics.Result.{i}.',
  'Device.NAT.', 'Device.NAT.InterfaceSetting.{i}.', 'Device.NAT.PortMapping.{i}.',
  'Device.DHCPv4.', 'Device.DHCPv4.Client.{i}.', 'Device.DHCPv4.Server.', 'Device.DHCPv4.Server.Pool.{i}.',
  'Device.DHCPv4.Server.Pool.{i}.StaticAddress.{i}.', 'Device.DHCPv4.Server.Pool.{i}.Client.{i}.',
  'Device.DHCPv4.Server.Pool.{i}.Client.{i}.IPv4Address.{i}.',
  'Device.Firewall.', 'Device.Users.', 'Device.Users.User.{i}.', 'Device.LANConfigSecurity.',
  // TR-232 bulk data: an empty writable Profile table the ACS fills (src/cpe/client/bulkdata.ts reports it).
  'Device.BulkData.', 'Device.BulkData.Profile.{i}.', 'Device.BulkData.Profile.{i}.Parameter.{i}.',
  'Device.BulkData.Profile.{i}.CSVEncoding.', 'Device.BulkData.Profile.{i}.JSONEncoding.', 'Device.BulkData.Profile.{i}.HTTP.',
];

const routerInstances: Record<string, number> = {
  'Device.DeviceInfo.SupportedDataModel.': 1,
  'Device.Ethernet.Interface.': 4,
  'Device.Ethernet.Link.': 2,
  'Device.WiFi.Radio.': 2,
  'Device.WiFi.SSID.': 2,
  'Device.WiFi.AccessPoint.': 2,
  'Device.WiFi.AccessPoint.1.AssociatedDevice.': 1,
  'Device.IP.Interface.': 2,
  'Device.IP.Interface.{i}.IPv4Address.': 1,
  'Device.Routing.Router.': 1,
  'Device.Routing.Router.{i}.IPv4Forwarding.': 2,
  'Device.Hosts.Host.': 3,
  'Device.Hosts.Host.{i}.IPv4Address.': 1,
  'Device.DNS.Client.Server.': 2,
  'Device.NAT.InterfaceSetting.': 1,
  'Device.DHCPv4.Client.': 1,
  'Device.DHCPv4.Server.Pool.': 1,
  'Device.DHCPv4.Server.Pool.{i}.Client.': 3,
  'Device.DHCPv4.Server.Pool.{i}.Client.{i}.IPv4Address.': 1,
  'Device.Users.User.': 1,
};

const wanIp = '${ipx:100.64.0.0/10}';
const hostMac = '${macx:3C:22:FB:10:20:{i:2}}';

const routerValues: Record<string, string> = {
  'Device.RootDataModelVersion': '2.17',
  'Device.BulkData.Enable': 'true',
  'Device.BulkData.Status': 'Enabled',
  'Device.BulkData.MinReportingInterval': '1',
  'Device.BulkData.Protocols': 'HTTP',
  'Device.BulkData.EncodingTypes': 'JSON,CSV',
  'Device.BulkData.ParameterWildCardSupported': 'false',
  'Device.BulkData.MaxNumberOfProfiles': '4',
  'Device.BulkData.MaxNumberOfParameterReferences': '64',
  'Device.DeviceInfo.Manufacturer': 'Flotilla',
  'Device.DeviceInfo.ManufacturerOUI': OUI,
  'Device.DeviceInfo.ModelName': 'HGW-181',
  'Device.DeviceInfo.ModelNumber': 'HGW-181-B',
  'Device.DeviceInfo.Description': 'Flotilla simulated home gateway (TR-181)',
  'Device.DeviceInfo.ProductClass': 'HGW-181',
  'Device.DeviceInfo.SerialNumber': '${serialNumber}',
  'Device.DeviceInfo.HardwareVersion': 'HGW-181 rev.B',
  'Device.DeviceInfo.SoftwareVersion': '2.4.1',
  'Device.DeviceInfo.AdditionalSoftwareVersion': 'bootloader 1.0.7',
  'Device.DeviceInfo.UpTime': '120',
  'Device.DeviceInfo.HostName': 'gateway',
  'Device.DeviceInfo.MemoryStatus.Total': '262144',
  'Device.DeviceInfo.MemoryStatus.Free': '131072',
  'Device.DeviceInfo.ProcessStatus.CPUUsage': '3',
  'Device.DeviceInfo.SupportedDataModel.1.URL': 'https://cwmp-data-models.broadband-forum.org/tr-181-2-17-0-cwmp.xml',
  'Device.DeviceInfo.SupportedDataModel.1.URN': 'urn:broadband-forum-org:tr-181-2-17-0-cwmp',
  'Device.DeviceInfo.SupportedDataModel.1.Features': 'IPv4,Wi-Fi',
  'Device.ManagementServer.PeriodicInformEnable': 'true',
  'Device.ManagementServer.PeriodicInformInterval': '3600',
  'Device.ManagementServer.ConnectionRequestURL': 'http://127.0.0.1:7547/${serialNumber}',
  'Device.ManagementServer.ConnectionRequestUsername': '${serialNumber}',
  'Device.ManagementServer.CWMPRetryMinimumWaitInterval': '5',
  'Device.ManagementServer.CWMPRetryIntervalMultiplier': '2000',
  'Device.ManagementServer.SupportedConnReqMethods': 'HTTP,STUN',
  'Device.ManagementServer.HTTPCompressionSupported': 'GZIP',
  'Device.ManagementServer.LightweightNotificationProtocolsSupported': 'UDP',
  'Device.ManagementServer.STUNServerPort': '3478',
  'Device.ManagementServer.STUNMaximumKeepAlivePeriod': '-1',
  'Device.ManagementServer.STUNMinimumKeepAlivePeriod': '30',
  // CWMP 1.4 (docs/cwmp-1.4.md): heartbeats off until the ACS enables them; instance wildcards and
  // alias-based addressing supported, in InstanceNumber mode until the ACS says otherwise.
  'Device.ManagementServer.HeartbeatPolicy.Enable': 'false',
  'Device.ManagementServer.HeartbeatPolicy.ReportingInterval': '300',
  'Device.ManagementServer.HeartbeatPolicy.InitiationTime': '0001-01-01T00:00:00Z',
  'Device.ManagementServer.InstanceWildcardsSupported': 'true',
  'Device.ManagementServer.AliasBasedAddressing': 'true',
  'Device.ManagementServer.AutoCreateInstances': 'false',
  'Device.Time.Enable': 'true',
  'Device.Time.Status': 'Synchronized',
  'Device.Time.NTPServer1': 'pool.ntp.org',
  'Device.Time.LocalTimeZone': 'UTC',
  'Device.UserInterface.PasswordRequired': 'true',
  'Device.UserInterface.CurrentLanguage': 'en',
  'Device.UserInterface.AvailableLanguages': 'en,de,fr',
  'Device.Ethernet.Interface.{i}.Enable': 'true',
  'Device.Ethernet.Interface.{i}.Name': 'eth{i-1}',
  'Device.Ethernet.Interface.{i}.Status': 'Down',
  'Device.Ethernet.Interface.1.Status': 'Up',
  'Device.Ethernet.Interface.2.Status': 'Up',
  'Device.Ethernet.Interface.1.Upstream': 'true',
  'Device.Ethernet.Interface.{i}.MACAddress': '${mac:{i-1}}',
  'Device.Ethernet.Interface.{i}.MaxBitRate': '1000',
  'Device.Ethernet.Interface.1.CurrentBitRate': '1000',
  'Device.Ethernet.Interface.2.CurrentBitRate': '1000',
  'Device.Ethernet.Interface.{i}.DuplexMode': 'Auto',
  'Device.Ethernet.Interface.{i}.SupportedLinkModes': '10BASE-T,100BASE-TX,1000BASE-T',
  'Device.Ethernet.Link.{i}.Enable': 'true',
  'Device.Ethernet.Link.{i}.Status': 'Up',
  'Device.Ethernet.Link.1.Name': 'wan',
  'Device.Ethernet.Link.1.LowerLayers': 'Device.Ethernet.Interface.1',
  'Device.Ethernet.Link.1.MACAddress': '${mac:0}',
  'Device.Ethernet.Link.2.Name': 'br-lan',
  'Device.Ethernet.Link.2.LowerLayers': 'Device.Ethernet.Interface.2,Device.Ethernet.Interface.3,Device.Ethernet.Interface.4,Device.WiFi.SSID.1,Device.WiFi.SSID.2',
  'Device.Ethernet.Link.2.MACAddress': '${mac:1}',
  'Device.WiFi.Radio.{i}.Enable': 'true',
  'Device.WiFi.Radio.{i}.Status': 'Up',
  'Device.WiFi.Radio.{i}.Name': 'wlan{i-1}',
  'Device.WiFi.Radio.{i}.AutoChannelSupported': 'true',
  'Device.WiFi.Radio.{i}.AutoChannelEnable': 'true',
  'Device.WiFi.Radio.{i}.MaxSupportedSSIDs': '4',
  'Device.WiFi.Radio.{i}.MaxSupportedAssociations': '32',
  'Device.WiFi.Radio.{i}.TransmitPowerSupported': '25,50,75,100',
  'Device.WiFi.Radio.{i}.TransmitPower': '100',
  'Device.WiFi.Radio.{i}.RegulatoryDomain': 'DE ',
  'Device.WiFi.Radio.{i}.SupportedOperatingChannelBandwidths': '20MHz,40MHz,80MHz',
  'Device.WiFi.Radio.{i}.BeaconPeriod': '100',
  'Device.WiFi.Radio.{i}.DTIMPeriod': '1',
  'Device.WiFi.Radio.{i}.GuardInterval': 'Auto',
  'Device.WiFi.Radio.{i}.MCS': '-1',
  'Device.WiFi.Radio.1.MaxBitRate': '574',
  'Device.WiFi.Radio.1.SupportedFrequencyBands': '2.4GHz',
  'Device.WiFi.Radio.1.OperatingFrequencyBand': '2.4GHz',
  'Device.WiFi.Radio.1.SupportedStandards': 'b,g,n,ax',
  'Device.WiFi.Radio.1.OperatingStandards': 'g,n,ax',
  'Device.WiFi.Radio.1.PossibleChannels': '1-13',
  'Device.WiFi.Radio.1.Channel': '6',
  'Device.WiFi.Radio.1.ChannelsInUse': '6',
  'Device.WiFi.Radio.1.OperatingChannelBandwidth': '20MHz',
  'Device.WiFi.Radio.1.CurrentOperatingChannelBandwidth': '20MHz',
  'Device.WiFi.Radio.2.MaxBitRate': '2402',
  'Device.WiFi.Radio.2.SupportedFrequencyBands': '5GHz',
  'Device.WiFi.Radio.2.OperatingFrequencyBand': '5GHz',
  'Device.WiFi.Radio.2.SupportedStandards': 'a,n,ac,ax',
  'Device.WiFi.Radio.2.OperatingStandards': 'a,n,ac,ax',
  'Device.WiFi.Radio.2.PossibleChannels': '36,40,44,48,52,56,60,64,100,104,108,112,116,120,124,128,132,136,140',
  'Device.WiFi.Radio.2.Channel': '36',
  'Device.WiFi.Radio.2.ChannelsInUse': '36',
  'Device.WiFi.Radio.2.OperatingChannelBandwidth': '80MHz',
  'Device.WiFi.Radio.2.CurrentOperatingChannelBandwidth': '80MHz',
  'Device.WiFi.Radio.2.IEEE80211hSupported': 'true',
  'Device.WiFi.Radio.2.IEEE80211hEnabled': 'true',
  'Device.WiFi.SSID.{i}.Enable': 'true',
  'Device.WiFi.SSID.{i}.Status': 'Up',
  'Device.WiFi.SSID.{i}.Name': 'wl{i-1}',
  'Device.WiFi.SSID.{i}.LowerLayers': 'Device.WiFi.Radio.{i}',
  'Device.WiFi.SSID.{i}.BSSID': '${mac:{i}1}',
  'Device.WiFi.SSID.{i}.MACAddress': '${mac:{i}1}',
  'Device.WiFi.SSID.1.SSID': 'Flotilla-2G',
  'Device.WiFi.SSID.2.SSID': 'Flotilla-5G',
  'Device.WiFi.AccessPoint.{i}.Enable': 'true',
  'Device.WiFi.AccessPoint.{i}.Status': 'Enabled',
  'Device.WiFi.AccessPoint.{i}.SSIDReference': 'Device.WiFi.SSID.{i}',
  'Device.WiFi.AccessPoint.{i}.SSIDAdvertisementEnabled': 'true',
  'Device.WiFi.AccessPoint.{i}.WMMCapability': 'true',
  'Device.WiFi.AccessPoint.{i}.WMMEnable': 'true',
  'Device.WiFi.AccessPoint.{i}.MaxAllowedAssociations': '32',
  'Device.WiFi.AccessPoint.{i}.Security.ModesSupported': 'None,WPA2-Personal,WPA3-Personal,WPA3-Personal-Transition',
  'Device.WiFi.AccessPoint.{i}.Security.ModeEnabled': 'WPA2-Personal',
  'Device.WiFi.AccessPoint.{i}.Security.EncryptionMode': 'AES',
  'Device.WiFi.AccessPoint.{i}.Security.KeyPassphrase': 'flotilla-${serialNumber}',
  'Device.WiFi.AccessPoint.{i}.WPS.ConfigMethodsSupported': 'PushButton,Label',
  'Device.WiFi.AccessPoint.{i}.WPS.ConfigMethodsEnabled': 'PushButton',
  'Device.WiFi.AccessPoint.{i}.WPS.Status': 'Configured',
  'Device.WiFi.AccessPoint.{i}.WPS.Version': '2.0',
  'Device.WiFi.AccessPoint.{i}.AssociatedDevice.{i}.MACAddress': hostMac,
  'Device.WiFi.AccessPoint.{i}.AssociatedDevice.{i}.OperatingStandard': 'ax',
  'Device.WiFi.AccessPoint.{i}.AssociatedDevice.{i}.AuthenticationState': 'true',
  'Device.WiFi.AccessPoint.{i}.AssociatedDevice.{i}.Active': 'true',
  'Device.WiFi.AccessPoint.{i}.AssociatedDevice.{i}.SignalStrength': '-52',
  'Device.WiFi.AccessPoint.{i}.AssociatedDevice.{i}.Noise': '-92',
  'Device.WiFi.AccessPoint.{i}.AssociatedDevice.{i}.SNR': '40',
  'Device.WiFi.AccessPoint.{i}.AssociatedDevice.{i}.MaxSupportedBandwidth': '20MHz',
  'Device.IP.IPv4Capable': 'true',
  'Device.IP.IPv4Enable': 'true',
  'Device.IP.IPv4Status': 'Enabled',
  'Device.IP.Interface.{i}.Enable': 'true',
  'Device.IP.Interface.{i}.IPv4Enable': 'true',
  'Device.IP.Interface.{i}.Status': 'Up',
  'Device.IP.Interface.{i}.MaxMTUSize': '1500',
  'Device.IP.Interface.1.Name': 'wan',
  'Device.IP.Interface.1.LowerLayers': 'Device.Ethernet.Link.1',
  'Device.IP.Interface.2.Name': 'lan',
  'Device.IP.Interface.2.LowerLayers': 'Device.Ethernet.Link.2',
  'Device.IP.Interface.{i}.IPv4Address.{i}.Enable': 'true',
  'Device.IP.Interface.{i}.IPv4Address.{i}.Status': 'Enabled',
  'Device.IP.Interface.1.IPv4Address.1.IPAddress': wanIp,
  'Device.IP.Interface.1.IPv4Address.1.SubnetMask': '255.192.0.0',
  'Device.IP.Interface.1.IPv4Address.1.AddressingType': 'DHCP',
  'Device.IP.Interface.2.IPv4Address.1.IPAddress': '192.168.1.1',
  'Device.IP.Interface.2.IPv4Address.1.SubnetMask': '255.255.255.0',
  'Device.IP.Diagnostics.IPv4PingSupported': 'true',
  'Device.IP.Diagnostics.IPv4TraceRouteSupported': 'true',
  'Device.IP.Diagnostics.IPv4DownloadDiagnosticsSupported': 'true',
  'Device.IP.Diagnostics.IPv4UploadDiagnosticsSupported': 'true',
  'Device.IP.Diagnostics.IPPing.NumberOfRepetitions': '3',
  'Device.IP.Diagnostics.IPPing.Timeout': '1000',
  'Device.IP.Diagnostics.IPPing.DataBlockSize': '64',
  'Device.IP.Diagnostics.TraceRoute.NumberOfTries': '3',
  'Device.IP.Diagnostics.TraceRoute.Timeout': '5000',
  'Device.IP.Diagnostics.TraceRoute.DataBlockSize': '38',
  'Device.IP.Diagnostics.TraceRoute.MaxHopCount': '30',
  'Device.IP.Diagnostics.DownloadDiagnostics.DownloadTransports': 'HTTP',
  'Device.IP.Diagnostics.DownloadDiagnostics.NumberOfConnections': '1',
  'Device.IP.Diagnostics.DownloadDiagnostics.DownloadDiagnosticMaxConnections': '1',
  'Device.IP.Diagnostics.UploadDiagnostics.UploadTransports': 'HTTP',
  'Device.IP.Diagnostics.UploadDiagnostics.NumberOfConnections': '1',
  'Device.IP.Diagnostics.IPv4UDPEchoDiagnosticsSupported': 'true',
  'Device.IP.Diagnostics.IPv4ServerSelectionDiagnosticsSupported': 'true',
  'Device.IP.Diagnostics.IPLayerCapacitySupported': 'true',
  'Device.IP.Diagnostics.UDPEchoDiagnostics.Port': '7',
  'Device.IP.Diagnostics.UDPEchoDiagnostics.NumberOfRepetitions': '3',
  'Device.IP.Diagnostics.UDPEchoDiagnostics.Timeout': '1000',
  'Device.IP.Diagnostics.UDPEchoDiagnostics.DataBlockSize': '24',
  'Device.IP.Diagnostics.UDPEchoDiagnostics.InterTransmissionTime': '1000',
  'Device.IP.Diagnostics.ServerSelectionDiagnostics.Protocol': 'ICMP',
  'Device.IP.Diagnostics.ServerSelectionDiagnostics.NumberOfRepetitions': '3',
  'Device.IP.Diagnostics.ServerSelectionDiagnostics.Timeout': '1000',
  'Device.IP.Diagnostics.IPLayerCapacityMetrics.Port': '25000',
  'Device.IP.Diagnostics.IPLayerCapacityMetrics.Role': 'Sender',
  'Device.IP.Diagnostics.IPLayerCapacityMetrics.TestType': 'Search',
  'Device.IP.Diagnostics.UDPEchoConfig.UDPPort': '7',
  'Device.IP.Diagnostics.UDPEchoConfig.EchoPlusSupported': 'true',
  'Device.IP.Diagnostics.UploadDiagnostics.UploadDiagnosticsMaxConnections': '1',
  'Device.Routing.Router.{i}.Enable': 'true',
  'Device.Routing.Router.{i}.Status': 'Enabled',
  'Device.Routing.Router.{i}.IPv4Forwarding.{i}.Enable': 'true',
  'Device.Routing.Router.{i}.IPv4Forwarding.{i}.Status': 'Enabled',
  'Device.Routing.Router.1.IPv4Forwarding.1.GatewayIPAddress': '100.64.0.1',
  'Device.Routing.Router.1.IPv4Forwarding.1.Interface': 'Device.IP.Interface.1',
  'Device.Routing.Router.1.IPv4Forwarding.1.Origin': 'DHCPv4',
  'Device.Routing.Router.1.IPv4Forwarding.1.StaticRoute': 'false',
  'Device.Routing.Router.1.IPv4Forwarding.2.DestIPAddress': '192.168.1.0',
  'Device.Routing.Router.1.IPv4Forwarding.2.DestSubnetMask': '255.255.255.0',
  'Device.Routing.Router.1.IPv4Forwarding.2.Interface': 'Device.IP.Interface.2',
  'Device.Hosts.Host.{i}.PhysAddress': hostMac,
  'Device.Hosts.Host.{i}.IPAddress': '192.168.1.{i+100}',
  'Device.Hosts.Host.{i}.IPv4Address.{i}.IPAddress': '192.168.1.{j+100}',
  'Device.Hosts.Host.{i}.DHCPClient': 'Device.DHCPv4.Server.Pool.1.Client.{i}',
  'Device.Hosts.Host.{i}.Layer3Interface': 'Device.IP.Interface.2',
  'Device.Hosts.Host.{i}.Active': 'true',
  'Device.Hosts.Host.1.HostName': 'laptop',
  'Device.Hosts.Host.1.Layer1Interface': 'Device.WiFi.SSID.1',
  'Device.Hosts.Host.1.AssociatedDevice': 'Device.WiFi.AccessPoint.1.AssociatedDevice.1',
  'Device.Hosts.Host.2.HostName': 'tv',
  'Device.Hosts.Host.2.Layer1Interface': 'Device.Ethernet.Interface.2',
  'Device.Hosts.Host.3.HostName': 'printer',
  'Device.Hosts.Host.3.Layer1Interface': 'Device.Ethernet.Interface.2',
  'Device.DNS.SupportedRecordTypes': 'A,AAAA,PTR',
  'Device.DNS.Client.Enable': 'true',
  'Device.DNS.Client.Status': 'Enabled',
  'Device.DNS.Client.Server.{i}.Enable': 'true',
  'Device.DNS.Client.Server.{i}.Status': 'Enabled',
  'Device.DNS.Client.Server.{i}.Interface': 'Device.IP.Interface.1',
  'Device.DNS.Client.Server.{i}.Type': 'DHCPv4',
  'Device.DNS.Client.Server.1.DNSServer': '192.0.2.53',
  'Device.DNS.Client.Server.2.DNSServer': '198.51.100.53',
  'Device.NAT.InterfaceSetting.{i}.Enable': 'true',
  'Device.NAT.InterfaceSetting.{i}.Status': 'Enabled',
  'Device.NAT.InterfaceSetting.{i}.Interface': 'Device.IP.Interface.1',
  'Device.DHCPv4.Client.{i}.Enable': 'true',
  'Device.DHCPv4.Client.{i}.Interface': 'Device.IP.Interface.1',
  'Device.DHCPv4.Client.{i}.Status': 'Enabled',
  'Device.DHCPv4.Client.{i}.DHCPStatus': 'Bound',
  'Device.DHCPv4.Client.{i}.IPAddress': wanIp,
  'Device.DHCPv4.Client.{i}.SubnetMask': '255.192.0.0',
  'Device.DHCPv4.Client.{i}.IPRouters': '100.64.0.1',
  'Device.DHCPv4.Client.{i}.DNSServers': '192.0.2.53,198.51.100.53',
  'Device.DHCPv4.Client.{i}.LeaseTimeRemaining': '43200',
  'Device.DHCPv4.Client.{i}.DHCPServer': '100.64.0.1',
  'Device.DHCPv4.Server.Enable': 'true',
  'Device.DHCPv4.Server.Pool.{i}.Enable': 'true',
  'Device.DHCPv4.Server.Pool.{i}.Status': 'Enabled',
  'Device.DHCPv4.Server.Pool.{i}.Order': '1',
  'Device.DHCPv4.Server.Pool.{i}.Interface': 'Device.IP.Interface.2',
  'Device.DHCPv4.Server.Pool.{i}.MinAddress': '192.168.1.100',
  'Device.DHCPv4.Server.Pool.{i}.MaxAddress': '192.168.1.249',
  'Device.DHCPv4.Server.Pool.{i}.SubnetMask': '255.255.255.0',
  'Device.DHCPv4.Server.Pool.{i}.DNSServers': '192.168.1.1',
  'Device.DHCPv4.Server.Pool.{i}.DomainName': 'lan',
  'Device.DHCPv4.Server.Pool.{i}.IPRouters': '192.168.1.1',
  'Device.DHCPv4.Server.Pool.{i}.Client.{i}.Chaddr': hostMac,
  'Device.DHCPv4.Server.Pool.{i}.Client.{i}.Active': 'true',
  'Device.DHCPv4.Server.Pool.{i}.Client.{i}.IPv4Address.{i}.IPAddress': '192.168.1.{j+100}',
  'Device.Firewall.Enable': 'true',
  'Device.Firewall.Config': 'Low',
  'Device.Firewall.Type': 'Stateful',
  'Device.Firewall.Version': '1.0',
  'Device.Users.User.{i}.Enable': 'true',
  'Device.Users.User.{i}.Username': 'admin',
  'Device.Users.User.{i}.Password': 'admin-${serialNumber}',
  'Device.Users.User.{i}.RemoteAccessCapable': 'true',
  'Device.Users.User.{i}.Language': 'en',
};

/** The large model: the router with more families and more instances, ~5,000 parameters. */
const largeObjects = [
  ...routerObjects,
  'Device.DeviceInfo.ProcessStatus.Process.{i}.', 'Device.DeviceInfo.TemperatureStatus.',
  'Device.DeviceInfo.TemperatureStatus.TemperatureSensor.{i}.', 'Device.DeviceInfo.Processor.{i}.',
  'Device.Bridging.', 'Device.Bridging.Bridge.{i}.', 'Device.Bridging.Bridge.{i}.Port.{i}.', 'Device.Bridging.Bridge.{i}.Port.{i}.Stats.',
  'Device.Bridging.Bridge.{i}.VLAN.{i}.', 'Device.Bridging.Bridge.{i}.VLANPort.{i}.',
  'Device.IP.Interface.{i}.IPv6Address.{i}.', 'Device.IP.Interface.{i}.IPv6Prefix.{i}.',
  'Device.Routing.Router.{i}.IPv6Forwarding.{i}.', 'Device.Hosts.Host.{i}.IPv6Address.{i}.', 'Device.Hosts.Host.{i}.WANStats.',
  'Device.QoS.', 'Device.QoS.Classification.{i}.', 'Device.QoS.Queue.{i}.', 'Device.QoS.QueueStats.{i}.',
  'Device.DHCPv6.', 'Device.DHCPv6.Client.{i}.',
];
const largeInstances: Record<string, number> = {
  ...routerInstances,
  'Device.DeviceInfo.ProcessStatus.Process.': 30,
  'Device.DeviceInfo.TemperatureStatus.TemperatureSensor.': 2,
  'Device.DeviceInfo.Processor.': 2,
  'Device.Ethernet.Interface.': 8,
  'Device.WiFi.Radio.': 2,
  'Device.WiFi.SSID.': 4,
  'Device.WiFi.AccessPoint.': 4,
  'Device.WiFi.AccessPoint.1.AssociatedDevice.': 12,
  'Device.WiFi.AccessPoint.2.AssociatedDevice.': 12,
  'Device.Bridging.Bridge.': 2,
  'Device.Bridging.Bridge.{i}.Port.': 6,
  'Device.Bridging.Bridge.{i}.VLAN.': 2,
  'Device.Bridging.Bridge.{i}.VLANPort.': 2,
  'Device.IP.Interface.': 3,
  'Device.IP.Interface.{i}.IPv6Address.': 2,
  'Device.IP.Interface.{i}.IPv6Prefix.': 1,
  'Device.Routing.Router.{i}.IPv4Forwarding.': 8,
  'Device.Routing.Router.{i}.IPv6Forwarding.': 4,
  'Device.Hosts.Host.': 48,
  'Device.Hosts.Host.{i}.IPv6Address.': 1,
  'Device.DHCPv4.Server.Pool.{i}.Client.': 40,
  'Device.QoS.Classification.': 8,
  'Device.QoS.Queue.': 8,
  'Device.QoS.QueueStats.': 8,
  'Device.DHCPv6.Client.': 1,
};
const largeValues: Record<string, string> = {
  ...routerValues,
  'Device.DeviceInfo.ModelName': 'HGW-181L',
  'Device.DeviceInfo.ProductClass': 'HGW-181L',
  'Device.DeviceInfo.Description': 'Flotilla simulated large home gateway (TR-181), for bootstrap-storm benchmarks',
  'Device.DeviceInfo.ProcessStatus.Process.{i}.PID': '{i}00',
  'Device.DeviceInfo.ProcessStatus.Process.{i}.Command': 'proc{i}',
  'Device.DeviceInfo.ProcessStatus.Process.{i}.State': 'Sleeping',
  'Device.Bridging.Bridge.{i}.Enable': 'true',
  'Device.Bridging.Bridge.{i}.Status': 'Enabled',
  'Device.Bridging.Bridge.{i}.Port.{i}.Enable': 'true',
  'Device.Bridging.Bridge.{i}.Port.{i}.Name': 'port{i}',
  'Device.Hosts.Host.{i}.HostName': 'host{i}',
  'Device.WiFi.SSID.{i}.LowerLayers': 'Device.WiFi.Radio.1',
  'Device.WiFi.SSID.2.LowerLayers': 'Device.WiFi.Radio.2',
  'Device.WiFi.SSID.3.SSID': 'Flotilla-Guest',
  'Device.WiFi.SSID.4.SSID': 'Flotilla-IoT',
};

const I = 'InternetGatewayDevice.';
const wanConn = `${I}WANDevice.1.WANConnectionDevice.1.WANIPConnection.1`;

const gatewayObjects = [
  I, `${I}DeviceInfo.`, `${I}DeviceInfo.VendorConfigFile.{i}.`, `${I}ManagementServer.`, `${I}Time.`,
  `${I}Layer3Forwarding.`, `${I}Layer3Forwarding.Forwarding.{i}.`, `${I}LANConfigSecurity.`,
  `${I}IPPingDiagnostics.`, `${I}TraceRouteDiagnostics.`, `${I}TraceRouteDiagnostics.RouteHops.{i}.`,
  `${I}DownloadDiagnostics.`, `${I}UploadDiagnostics.`, `${I}UDPEchoConfig.`,
  `${I}NSLookupDiagnostics.`, `${I}NSLookupDiagnostics.Result.{i}.`,
  `${I}LANDevice.{i}.`, `${I}LANDevice.{i}.LANHostConfigManagement.`, `${I}LANDevice.{i}.LANHostConfigManagement.IPInterface.{i}.`,
  `${I}LANDevice.{i}.LANHostConfigManagement.DHCPStaticAddress.{i}.`,
  `${I}LANDevice.{i}.LANEthernetInterfaceConfig.{i}.`, `${I}LANDevice.{i}.LANEthernetInterfaceConfig.{i}.Stats.`,
  `${I}LANDevice.{i}.WLANConfiguration.{i}.`, `${I}LANDevice.{i}.WLANConfiguration.{i}.AssociatedDevice.{i}.`,
  `${I}LANDevice.{i}.WLANConfiguration.{i}.PreSharedKey.{i}.`, `${I}LANDevice.{i}.WLANConfiguration.{i}.Stats.`,
  `${I}LANDevice.{i}.WLANConfiguration.{i}.WPS.`,
  `${I}LANDevice.{i}.Hosts.`, `${I}LANDevice.{i}.Hosts.Host.{i}.`,
  `${I}WANDevice.{i}.`, `${I}WANDevice.{i}.WANCommonInterfaceConfig.`, `${I}WANDevice.{i}.WANEthernetInterfaceConfig.`,
  `${I}WANDevice.{i}.WANEthernetInterfaceConfig.Stats.`, `${I}WANDevice.{i}.WANConnectionDevice.{i}.`,
  `${I}WANDevice.{i}.WANConnectionDevice.{i}.WANEthernetLinkConfig.`,
  `${I}WANDevice.{i}.WANConnectionDevice.{i}.WANIPConnection.{i}.`, `${I}WANDevice.{i}.WANConnectionDevice.{i}.WANIPConnection.{i}.Stats.`,
  `${I}WANDevice.{i}.WANConnectionDevice.{i}.WANIPConnection.{i}.PortMapping.{i}.`,
  `${I}WANDevice.{i}.WANConnectionDevice.{i}.WANPPPConnection.{i}.`, `${I}WANDevice.{i}.WANConnectionDevice.{i}.WANPPPConnection.{i}.Stats.`,
  `${I}WANDevice.{i}.WANConnectionDevice.{i}.WANPPPConnection.{i}.PortMapping.{i}.`,
];
const gatewayInstances: Record<string, number> = {
  [`${I}Layer3Forwarding.Forwarding.`]: 1,
  [`${I}LANDevice.`]: 1,
  [`${I}LANDevice.{i}.LANHostConfigManagement.IPInterface.`]: 1,
  [`${I}LANDevice.{i}.LANEthernetInterfaceConfig.`]: 4,
  [`${I}LANDevice.{i}.WLANConfiguration.`]: 2,
  [`${I}LANDevice.{i}.WLANConfiguration.{i}.PreSharedKey.`]: 1,
  [`${I}LANDevice.{i}.Hosts.Host.`]: 3,
  [`${I}WANDevice.`]: 1,
  [`${I}WANDevice.{i}.WANConnectionDevice.`]: 1,
  [`${I}WANDevice.{i}.WANConnectionDevice.{i}.WANIPConnection.`]: 1,
};
const LAN = `${I}LANDevice.{i}.`;
const gatewayValues: Record<string, string> = {
  [`${I}DeviceSummary`]: 'InternetGatewayDevice:1.4[](Baseline:2, EthernetLAN:1, WiFiLAN:2, EthernetWAN:1, Time:1, IPPing:1, TraceRoute:1, Download:1, Upload:1)',
  [`${I}LANDeviceNumberOfEntries`]: '1',
  [`${I}WANDeviceNumberOfEntries`]: '1',
  [`${I}DeviceInfo.Manufacturer`]: 'Flotilla',
  [`${I}DeviceInfo.ManufacturerOUI`]: OUI,
  [`${I}DeviceInfo.ModelName`]: 'IGD-098',
  [`${I}DeviceInfo.Description`]: 'Flotilla simulated internet gateway (TR-098)',
  [`${I}DeviceInfo.ProductClass`]: 'IGD-098',
  [`${I}DeviceInfo.SerialNumber`]: '${serialNumber}',
  [`${I}DeviceInfo.HardwareVersion`]: 'IGD-098 rev.A',
  [`${I}DeviceInfo.SoftwareVersion`]: '1.8.3',
  [`${I}DeviceInfo.SpecVersion`]: '1.0',
  [`${I}DeviceInfo.UpTime`]: '120',
  [`${I}ManagementServer.PeriodicInformEnable`]: 'true',
  [`${I}ManagementServer.PeriodicInformInterval`]: '3600',
  [`${I}ManagementServer.ConnectionRequestURL`]: 'http://127.0.0.1:7547/${serialNumber}',
  [`${I}ManagementServer.ConnectionRequestUsername`]: '${serialNumber}',
  [`${I}ManagementServer.CWMPRetryMinimumWaitInterval`]: '5',
  [`${I}ManagementServer.CWMPRetryIntervalMultiplier`]: '2000',
  [`${I}ManagementServer.STUNServerPort`]: '3478',
  [`${I}ManagementServer.STUNMaximumKeepAlivePeriod`]: '-1',
  [`${I}ManagementServer.STUNMinimumKeepAlivePeriod`]: '30',
  [`${I}Time.Enable`]: 'true',
  [`${I}Time.Status`]: 'Synchronized',
  [`${I}Time.NTPServer1`]: 'pool.ntp.org',
  [`${I}Time.LocalTimeZoneName`]: 'UTC',
  [`${I}Layer3Forwarding.DefaultConnectionService`]: wanConn,
  [`${I}Layer3Forwarding.Forwarding.1.Enable`]: 'true',
  [`${I}Layer3Forwarding.Forwarding.1.Status`]: 'Enabled',
  [`${I}Layer3Forwarding.Forwarding.1.GatewayIPAddress`]: '100.64.0.1',
  [`${I}Layer3Forwarding.Forwarding.1.Interface`]: wanConn,
  [`${I}IPPingDiagnostics.NumberOfRepetitions`]: '3',
  [`${I}IPPingDiagnostics.Timeout`]: '1000',
  [`${I}IPPingDiagnostics.DataBlockSize`]: '64',
  [`${I}TraceRouteDiagnostics.NumberOfTries`]: '3',
  [`${I}TraceRouteDiagnostics.Timeout`]: '5000',
  [`${I}TraceRouteDiagnostics.DataBlockSize`]: '38',
  [`${I}TraceRouteDiagnostics.MaxHopCount`]: '30',
  [`${I}NSLookupDiagnostics.NumberOfRepetitions`]: '1',
  [`${I}NSLookupDiagnostics.Timeout`]: '5000',
  [`${I}UDPEchoConfig.UDPPort`]: '7',
  [`${I}UDPEchoConfig.EchoPlusSupported`]: 'true',
  [`${LAN}LANEthernetInterfaceNumberOfEntries`]: '4',
  [`${LAN}LANWLANConfigurationNumberOfEntries`]: '2',
  [`${LAN}LANHostConfigManagement.DHCPServerConfigurable`]: 'true',
  [`${LAN}LANHostConfigManagement.DHCPServerEnable`]: 'true',
  [`${LAN}LANHostConfigManagement.MinAddress`]: '192.168.1.100',
  [`${LAN}LANHostConfigManagement.MaxAddress`]: '192.168.1.249',
  [`${LAN}LANHostConfigManagement.SubnetMask`]: '255.255.255.0',
  [`${LAN}LANHostConfigManagement.DNSServers`]: '192.168.1.1',
  [`${LAN}LANHostConfigManagement.DomainName`]: 'lan',
  [`${LAN}LANHostConfigManagement.IPRouters`]: '192.168.1.1',
  [`${LAN}LANHostConfigManagement.DHCPLeaseTime`]: '86400',
  [`${LAN}LANHostConfigManagement.IPInterface.{i}.Enable`]: 'true',
  [`${LAN}LANHostConfigManagement.IPInterface.{i}.IPInterfaceIPAddress`]: '192.168.1.1',
  [`${LAN}LANHostConfigManagement.IPInterface.{i}.IPInterfaceSubnetMask`]: '255.255.255.0',
  [`${LAN}LANHostConfigManagement.IPInterface.{i}.IPInterfaceAddressingType`]: 'Static',
  [`${LAN}LANEthernetInterfaceConfig.{i}.Enable`]: 'true',
  [`${LAN}LANEthernetInterfaceConfig.{i}.Status`]: 'NoLink',
  [`${LAN}LANEthernetInterfaceConfig.1.Status`]: 'Up',
  [`${LAN}LANEthernetInterfaceConfig.{i}.Name`]: 'eth{i}',
  [`${LAN}LANEthernetInterfaceConfig.{i}.MACAddress`]: '${mac:1}',
  [`${LAN}LANEthernetInterfaceConfig.{i}.MaxBitRate`]: 'Auto',
  [`${LAN}LANEthernetInterfaceConfig.{i}.DuplexMode`]: 'Auto',
  [`${LAN}WLANConfiguration.{i}.Enable`]: 'true',
  [`${LAN}WLANConfiguration.{i}.Status`]: 'Up',
  [`${LAN}WLANConfiguration.{i}.Name`]: 'wl{i-1}',
  [`${LAN}WLANConfiguration.{i}.BSSID`]: '${mac:{i}1}',
  [`${LAN}WLANConfiguration.{i}.MaxBitRate`]: 'Auto',
  [`${LAN}WLANConfiguration.{i}.AutoChannelEnable`]: 'true',
  [`${LAN}WLANConfiguration.{i}.BeaconType`]: '11i',
  [`${LAN}WLANConfiguration.{i}.IEEE11iEncryptionModes`]: 'AESEncryption',
  [`${LAN}WLANConfiguration.{i}.IEEE11iAuthenticationMode`]: 'PSKAuthentication',
  [`${LAN}WLANConfiguration.{i}.KeyPassphrase`]: 'flotilla-${serialNumber}',
  [`${LAN}WLANConfiguration.{i}.SSIDAdvertisementEnabled`]: 'true',
  [`${LAN}WLANConfiguration.{i}.RadioEnabled`]: 'true',
  [`${LAN}WLANConfiguration.{i}.TransmitPowerSupported`]: '25,50,75,100',
  [`${LAN}WLANConfiguration.{i}.TransmitPower`]: '100',
  [`${LAN}WLANConfiguration.{i}.RegulatoryDomain`]: 'DE ',
  [`${LAN}WLANConfiguration.{i}.WMMSupported`]: 'true',
  [`${LAN}WLANConfiguration.{i}.WMMEnable`]: 'true',
  [`${LAN}WLANConfiguration.1.SSID`]: 'Flotilla-2G',
  [`${LAN}WLANConfiguration.1.Channel`]: '6',
  [`${LAN}WLANConfiguration.1.Standard`]: 'n',
  [`${LAN}WLANConfiguration.1.PossibleChannels`]: '1-13',
  [`${LAN}WLANConfiguration.2.SSID`]: 'Flotilla-5G',
  [`${LAN}WLANConfiguration.2.Channel`]: '36',
  [`${LAN}WLANConfiguration.2.Standard`]: 'a',
  [`${LAN}WLANConfiguration.2.PossibleChannels`]: '36,40,44,48',
  [`${LAN}WLANConfiguration.{i}.WPS.Enable`]: 'true',
  [`${LAN}WLANConfiguration.{i}.WPS.ConfigMethodsSupported`]: 'PushButton,Label',
  [`${LAN}WLANConfiguration.{i}.WPS.ConfigMethodsEnabled`]: 'PushButton',
  [`${LAN}Hosts.Host.{i}.IPAddress`]: '192.168.1.{i+100}',
  [`${LAN}Hosts.Host.{i}.AddressSource`]: 'DHCP',
  [`${LAN}Hosts.Host.{i}.LeaseTimeRemaining`]: '43200',
  [`${LAN}Hosts.Host.{i}.MACAddress`]: hostMac,
  [`${LAN}Hosts.Host.{i}.HostName`]: 'host{i}',
  [`${LAN}Hosts.Host.{i}.InterfaceType`]: 'Ethernet',
  [`${LAN}Hosts.Host.{i}.Active`]: 'true',
  [`${I}WANDevice.{i}.WANConnectionNumberOfEntries`]: '1',
  [`${I}WANDevice.{i}.WANCommonInterfaceConfig.EnabledForInternet`]: 'true',
  [`${I}WANDevice.{i}.WANCommonInterfaceConfig.WANAccessType`]: 'Ethernet',
  [`${I}WANDevice.{i}.WANCommonInterfaceConfig.Layer1UpstreamMaxBitRate`]: '1000000000',
  [`${I}WANDevice.{i}.WANCommonInterfaceConfig.Layer1DownstreamMaxBitRate`]: '1000000000',
  [`${I}WANDevice.{i}.WANCommonInterfaceConfig.PhysicalLinkStatus`]: 'Up',
  [`${I}WANDevice.{i}.WANEthernetInterfaceConfig.Enable`]: 'true',
  [`${I}WANDevice.{i}.WANEthernetInterfaceConfig.Status`]: 'Up',
  [`${I}WANDevice.{i}.WANEthernetInterfaceConfig.MACAddress`]: '${mac:0}',
  [`${I}WANDevice.{i}.WANEthernetInterfaceConfig.MaxBitRate`]: '1000',
  [`${I}WANDevice.{i}.WANEthernetInterfaceConfig.DuplexMode`]: 'Auto',
  [`${I}WANDevice.{i}.WANConnectionDevice.{i}.WANEthernetLinkConfig.EthernetLinkStatus`]: 'Up',
  [`${wanConn}.Enable`]: 'true',
  [`${wanConn}.ConnectionStatus`]: 'Connected',
  [`${wanConn}.PossibleConnectionTypes`]: 'IP_Routed,IP_Bridged',
  [`${wanConn}.ConnectionType`]: 'IP_Routed',
  [`${wanConn}.Name`]: 'Internet',
  [`${wanConn}.Uptime`]: '100',
  [`${wanConn}.NATEnabled`]: 'true',
  [`${wanConn}.AddressingType`]: 'DHCP',
  [`${wanConn}.ExternalIPAddress`]: wanIp,
  [`${wanConn}.SubnetMask`]: '255.192.0.0',
  [`${wanConn}.DefaultGateway`]: '100.64.0.1',
  [`${wanConn}.DNSEnabled`]: 'true',
  [`${wanConn}.DNSServers`]: '192.0.2.53,198.51.100.53',
  [`${wanConn}.MaxMTUSize`]: '1500',
  [`${wanConn}.MACAddress`]: '${mac:0}',
};

const SPECS: ModelSpec[] = [
  {
    file: 'tr181-router.json',
    catalogue: 'tr-181-2-17-0-cwmp-full.xml',
    description: 'Flotilla HGW-181: a home gateway with the TR-181 Device:2 root data model',
    deviceId: { manufacturer: 'Flotilla', oui: OUI, productClass: 'HGW-181' },
    objects: routerObjects,
    instances: routerInstances,
    values: routerValues,
  },
  {
    file: 'tr098-gateway.json',
    catalogue: 'tr-098-1-8-0-full.xml',
    description: 'Flotilla IGD-098: an internet gateway with the TR-098 InternetGatewayDevice:1 root data model',
    deviceId: { manufacturer: 'Flotilla', oui: OUI, productClass: 'IGD-098' },
    objects: gatewayObjects,
    instances: gatewayInstances,
    values: gatewayValues,
  },
  {
    file: 'tr181-large.json',
    catalogue: 'tr-181-2-17-0-cwmp-full.xml',
    description: 'Flotilla HGW-181L: the TR-181 home gateway with many table instances (bootstrap-storm benchmark)',
    deviceId: { manufacturer: 'Flotilla', oui: OUI, productClass: 'HGW-181L' },
    objects: largeObjects,
    instances: largeInstances,
    values: largeValues,
  },
];

function main(): void {
  const args = process.argv.slice(2);
  const sharedArg = args.indexOf('--shared');
  const shared = sharedArg >= 0 ? resolve(args[sharedArg + 1]!) : resolve(repo, '../shared');
  const check = args.includes('--check');
  const cats = new Map<string, Catalogue>();
  let stale = 0;
  for (const spec of SPECS) {
    let cat = cats.get(spec.catalogue);
    if (!cat) cats.set(spec.catalogue, (cat = loadCatalogue(join(shared, 'datamodels', spec.catalogue))));
    const model = generate(spec, cat);
    const text = formatModel(model, `Derived from the Broadband Forum data model ${spec.catalogue} (${cat.model}); BSD 3-Clause licence, see models/NOTICE.`);
    const t = parseJsonModel(text); // the loader must accept what we ship
    const file = join(repo, 'models', spec.file);
    if (check) {
      let old = '';
      try {
        old = readFileSync(file, 'utf8');
      } catch {
        /* missing counts as stale */
      }
      if (old !== text) {
        stale++;
        console.error(`${spec.file} is out of date`);
      }
    } else writeFileSync(file, text);
    console.log(`${spec.file}: ${t.parameterCount} parameters, ${t.objectCount} objects, ${(text.length / 1024).toFixed(0)} KiB`);
  }
  if (stale) process.exit(1);
}

main();
