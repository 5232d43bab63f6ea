/**
 * The templates Flotilla ships. Paths follow TR-098 (with TR-104 v1 voice) and TR-181 (with
 * TR-104 v2 voice); vendor spellings seen on real devices (../shared/device-models) are
 * listed as candidates where the standard has no parameter (IGMP proxy, WAN VLAN on TR-098).
 */
import type { ServiceTemplate } from './template.js';

const IGD = 'InternetGatewayDevice.';
const WAN_PPP = `${IGD}WANDevice.{i}.WANConnectionDevice.{i}.WANPPPConnection.{i}.`;
const WAN_IP = `${IGD}WANDevice.{i}.WANConnectionDevice.{i}.WANIPConnection.{i}.`;
/** TR-098 has no WAN VLAN parameter: the vendors' ones, then Flotilla's simulated models'. */
const vlanCandidates = (conn: string): string[] => [`${conn}.X_HW_VLAN`, `${conn}.X_ZTE-COM_VLANID`, `${conn}.X_TP_VlanID`, `${conn}.X_FLOTILLA_VLANID`];

const wifi: ServiceTemplate = {
  id: 'wifi',
  name: 'Wi-Fi',
  description: 'An SSID with WPA2/WPA3 personal security on the 2.4 GHz or the 5 GHz radio.',
  builtin: true,
  inputs: [
    { name: 'ssid', type: 'string', required: true, minLength: 1, maxLength: 32 },
    { name: 'passphrase', type: 'secret', required: true, minLength: 8, maxLength: 63 },
    { name: 'security', type: 'enum', values: ['WPA2-Personal', 'WPA3-Personal', 'WPA2-WPA3-Personal'], default: 'WPA2-Personal' },
    { name: 'band', type: 'enum', values: ['2.4GHz', '5GHz'], default: '2.4GHz' },
  ],
  mappings: {
    'Device.': {
      select: {
        radio: { table: 'Device.WiFi.Radio.{i}.', where: { OperatingFrequencyBand: '${band}' } },
        ssid: { table: 'Device.WiFi.SSID.{i}.', where: { LowerLayers: '~(^|,){{radio}}\\.?(,|$)' } },
        ap: { table: 'Device.WiFi.AccessPoint.{i}.', where: { SSIDReference: '~^{{ssid}}\\.?$' } },
      },
      set: [
        { path: '{{ssid}}.SSID', value: '${ssid}' },
        { path: '{{ap}}.Security.ModeEnabled', value: '${security}' },
        { path: '{{ap}}.Security.KeyPassphrase', value: '${passphrase}' },
        { path: '{{ssid}}.Enable', value: 'true', type: 'xsd:boolean', optional: true },
      ],
    },
    [IGD]: {
      derive: {
        standard: { from: 'band', map: { '2.4GHz': '~(^|,)(b|g)(,|$)', '5GHz': '~(^|,)(a|ac|ax)(,|$)' } },
        beacon: { from: 'security', map: { 'WPA2-Personal': '11i', 'WPA3-Personal': '11i', 'WPA2-WPA3-Personal': 'WPAand11i' } },
      },
      select: { wlan: { table: `${IGD}LANDevice.{i}.WLANConfiguration.{i}.`, where: { Standard: '${standard}' } } },
      set: [
        { path: '{{wlan}}.SSID', value: '${ssid}' },
        { path: '{{wlan}}.BeaconType', value: '${beacon}' },
        { path: '{{wlan}}.IEEE11iAuthenticationMode', value: 'PSKAuthentication', optional: true },
        { path: '{{wlan}}.IEEE11iEncryptionModes', value: 'AESEncryption', optional: true },
        { path: ['{{wlan}}.PreSharedKey.1.KeyPassphrase', '{{wlan}}.KeyPassphrase'], value: '${passphrase}' },
        { path: '{{wlan}}.Enable', value: 'true', type: 'xsd:boolean', optional: true },
      ],
    },
  },
};

const internetPppoe: ServiceTemplate = {
  id: 'internet-pppoe',
  name: 'Internet (PPPoE)',
  description: 'The WAN PPP session: the subscriber\'s PPPoE user and password, optionally on a VLAN.',
  builtin: true,
  inputs: [
    { name: 'username', type: 'string', required: true, minLength: 1, maxLength: 128 },
    { name: 'password', type: 'secret', required: true, minLength: 1, maxLength: 128 },
    { name: 'vlan', type: 'integer', min: 1, max: 4094 },
  ],
  mappings: {
    'Device.': {
      select: {
        ppp: { table: 'Device.PPP.Interface.{i}.' },
        vlan: { table: 'Device.Ethernet.VLANTermination.{i}.', where: { Alias: '~^(?!iptv)' }, optional: true },
      },
      set: [
        { path: '{{ppp}}.Username', value: '${username}' },
        { path: '{{ppp}}.Password', value: '${password}' },
        { path: '{{ppp}}.Enable', value: 'true', type: 'xsd:boolean', optional: true },
        { path: '{{vlan}}.VLANID', value: '${vlan}', type: 'xsd:unsignedInt', when: 'vlan' },
        { path: '{{vlan}}.Enable', value: 'true', type: 'xsd:boolean', when: 'vlan', optional: true },
      ],
    },
    [IGD]: {
      select: { ppp: { table: WAN_PPP } },
      set: [
        { path: '{{ppp}}.Username', value: '${username}' },
        { path: '{{ppp}}.Password', value: '${password}' },
        { path: '{{ppp}}.Enable', value: 'true', type: 'xsd:boolean', optional: true },
        { path: vlanCandidates('{{ppp}}'), value: '${vlan}', type: 'xsd:unsignedInt', when: 'vlan' },
      ],
    },
  },
};

const internetDhcp: ServiceTemplate = {
  id: 'internet-dhcp',
  name: 'Internet (DHCP or static, on a VLAN)',
  description: 'An IP WAN on a VLAN, its address from DHCP or set statically.',
  builtin: true,
  inputs: [
    { name: 'vlan', type: 'integer', required: true, min: 1, max: 4094 },
    { name: 'addressing', type: 'enum', values: ['DHCP', 'Static'], default: 'DHCP' },
    { name: 'address', type: 'host' },
    { name: 'subnetMask', type: 'host' },
    { name: 'gateway', type: 'host' },
    { name: 'dnsServers', type: 'string', maxLength: 256 },
  ],
  mappings: {
    'Device.': {
      derive: { dhcp: { from: 'addressing', map: { DHCP: 'true', Static: 'false' } } },
      select: {
        vlan: { table: 'Device.Ethernet.VLANTermination.{i}.', where: { Alias: '~^(?!iptv)' } },
        client: { table: 'Device.DHCPv4.Client.{i}.' },
      },
      set: [
        { path: '{{vlan}}.VLANID', value: '${vlan}', type: 'xsd:unsignedInt' },
        { path: '{{vlan}}.Enable', value: 'true', type: 'xsd:boolean', optional: true },
        { path: '{{client}}.Enable', value: '${dhcp}', type: 'xsd:boolean' },
      ],
    },
    [IGD]: {
      select: { ip: { table: WAN_IP } },
      set: [
        { path: '{{ip}}.AddressingType', value: '${addressing}' },
        { path: '{{ip}}.Enable', value: 'true', type: 'xsd:boolean', optional: true },
        { path: '{{ip}}.ExternalIPAddress', value: '${address}', when: 'address' },
        { path: '{{ip}}.SubnetMask', value: '${subnetMask}', when: 'subnetMask' },
        { path: '{{ip}}.DefaultGateway', value: '${gateway}', when: 'gateway' },
        { path: '{{ip}}.DNSServers', value: '${dnsServers}', when: 'dnsServers' },
        { path: vlanCandidates('{{ip}}'), value: '${vlan}', type: 'xsd:unsignedInt' },
      ],
    },
  },
};

const voipSip: ServiceTemplate = {
  id: 'voip-sip',
  name: 'VoIP (a SIP line)',
  description: 'One SIP account on the first voice line: registrar, user, password, number.',
  builtin: true,
  inputs: [
    { name: 'registrar', type: 'host', required: true },
    { name: 'proxy', type: 'host' },
    { name: 'user', type: 'string', required: true, minLength: 1, maxLength: 128 },
    { name: 'password', type: 'secret', required: true, minLength: 1, maxLength: 128 },
    { name: 'number', type: 'string', maxLength: 32 },
  ],
  mappings: {
    'Device.': {
      select: {
        network: { table: 'Device.Services.VoiceService.{i}.SIP.Network.{i}.' },
        client: { table: 'Device.Services.VoiceService.{i}.SIP.Client.{i}.' },
        line: { table: 'Device.Services.VoiceService.{i}.CallControl.Line.{i}.', optional: true },
      },
      set: [
        { path: '{{network}}.RegistrarServer', value: '${registrar}' },
        { path: '{{network}}.ProxyServer', value: '${proxy}', when: 'proxy', optional: true },
        { path: '{{client}}.AuthUserName', value: '${user}' },
        { path: '{{client}}.AuthPassword', value: '${password}' },
        { path: '{{client}}.Enable', value: 'true', type: 'xsd:boolean', optional: true },
        { path: '{{line}}.DirectoryNumber', value: '${number}', when: 'number', optional: true },
      ],
    },
    [IGD]: {
      select: {
        profile: { table: `${IGD}Services.VoiceService.{i}.VoiceProfile.{i}.` },
        line: { table: '{{profile}}.Line.{i}.' },
      },
      set: [
        { path: '{{profile}}.SIP.RegistrarServer', value: '${registrar}' },
        { path: '{{profile}}.SIP.ProxyServer', value: '${proxy}', when: 'proxy', optional: true },
        { path: '{{line}}.SIP.AuthUserName', value: '${user}' },
        { path: '{{line}}.SIP.AuthPassword', value: '${password}' },
        { path: '{{line}}.DirectoryNumber', value: '${number}', when: 'number', optional: true },
        { path: '{{line}}.Enable', value: 'Enabled', optional: true },
      ],
    },
  },
};

const iptv: ServiceTemplate = {
  id: 'iptv',
  name: 'IPTV (IGMP proxy on a VLAN)',
  description: 'Multicast TV: the IPTV VLAN and the IGMP proxy towards the set-top boxes.',
  builtin: true,
  inputs: [
    { name: 'vlan', type: 'integer', required: true, min: 1, max: 4094 },
    { name: 'igmpProxy', type: 'boolean', default: 'true' },
  ],
  mappings: {
    'Device.': {
      select: { vlan: { table: 'Device.Ethernet.VLANTermination.{i}.', where: { Alias: '~^iptv' } } },
      set: [
        { path: '{{vlan}}.VLANID', value: '${vlan}', type: 'xsd:unsignedInt' },
        { path: '{{vlan}}.Enable', value: 'true', type: 'xsd:boolean', optional: true },
        // TR-181 has no IGMP proxy object: vendors' parameters, then Flotilla's models'.
        { path: ['Device.IP.Interface.1.X_TP_IGMPProxyEnable', 'Device.X_FLOTILLA_IPTV.IGMPProxyEnable'], value: '${igmpProxy}', type: 'xsd:boolean' },
      ],
    },
    [IGD]: {
      set: [
        {
          path: [`${IGD}WANDevice.1.WANConnectionDevice.1.WANPPPConnection.1.X_HW_MultiCastVLAN`, `${IGD}X_FLOTILLA_IPTV.VLANID`],
          value: '${vlan}',
          type: 'xsd:unsignedInt',
        },
        { path: [`${IGD}Services.X_HW_IPTV.IGMPEnable`, `${IGD}X_FLOTILLA_IPTV.IGMPProxyEnable`], value: '${igmpProxy}', type: 'xsd:boolean' },
      ],
    },
  },
};

const managementServer: ServiceTemplate = {
  id: 'management-server',
  name: 'Management server',
  description: 'How often the device informs, and how the ACS reaches it (STUN). Never touches credentials.',
  builtin: true,
  inputs: [
    { name: 'periodicInterval', type: 'integer', required: true, min: 30, max: 604800 },
    { name: 'periodicEnable', type: 'boolean', default: 'true' },
    { name: 'stunEnable', type: 'boolean' },
    { name: 'stunServer', type: 'host' },
    { name: 'stunPort', type: 'integer', min: 1, max: 65535 },
  ],
  mappings: Object.fromEntries(
    (['Device.', IGD] as const).map((root) => [
      root,
      {
        set: [
          { path: `${root}ManagementServer.PeriodicInformEnable`, value: '${periodicEnable}', type: 'xsd:boolean' },
          { path: `${root}ManagementServer.PeriodicInformInterval`, value: '${periodicInterval}', type: 'xsd:unsignedInt' },
          { path: `${root}ManagementServer.STUNEnable`, value: '${stunEnable}', type: 'xsd:boolean', when: 'stunEnable' },
          { path: `${root}ManagementServer.STUNServerAddress`, value: '${stunServer}', when: 'stunServer' },
          { path: `${root}ManagementServer.STUNServerPort`, value: '${stunPort}', type: 'xsd:unsignedInt', when: 'stunPort' },
        ],
      },
    ]),
  ),
};

export const BUILTIN_TEMPLATES: readonly ServiceTemplate[] = [wifi, internetPppoe, internetDhcp, voipSip, iptv, managementServer];
