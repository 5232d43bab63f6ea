/**
 * The shipped TR-181 and TR-098 gateway models with what subscriber services need and the
 * plain models lack: a PPP interface, VLAN terminations (one aliased "iptv"), a voice
 * service (TR-104 v2 on TR-181, v1 on TR-098), an IGMP proxy switch (a vendor extension,
 * as on real devices) and Wi-Fi standards that tell the bands apart on TR-098.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseJsonModel, type ModelJson, type ParameterJson } from '../../src/cpe/model/json.js';
import type { Template } from '../../src/cpe/model/template.js';

const MODELS = join(import.meta.dirname, '../../models');

const p = (path: string, value = '', extra: Partial<ParameterJson> = {}): ParameterJson => ({ path, writable: true, value, ...extra });
const secret = (path: string): ParameterJson => ({ path, writable: true, value: '', hidden: true });
const bool = (path: string, value = 'false'): ParameterJson => ({ path, writable: true, value, type: 'boolean' });
const uint = (path: string, value = '0'): ParameterJson => ({ path, writable: true, value, type: 'unsignedInt' });

function load(file: string): ModelJson {
  return JSON.parse(readFileSync(join(MODELS, file), 'utf8')) as ModelJson;
}

export function tr181ServiceModel(productClass = 'HGW-181S'): Template {
  const m = load('tr181-router.json');
  m.deviceId = { ...m.deviceId, productClass };
  m.objects = [
    ...(m.objects ?? []),
    { path: 'Device.PPP.Interface.', table: true, writable: true },
    { path: 'Device.Ethernet.VLANTermination.', table: true, writable: true },
    { path: 'Device.Services.VoiceService.', table: true },
    { path: 'Device.Services.VoiceService.{i}.SIP.Network.', table: true, writable: true },
    { path: 'Device.Services.VoiceService.{i}.SIP.Client.', table: true, writable: true },
    { path: 'Device.Services.VoiceService.{i}.CallControl.Line.', table: true, writable: true },
  ];
  m.parameters = [
    ...m.parameters.filter((x) => x.path !== 'Device.Ethernet.VLANTerminationNumberOfEntries'),
    bool('Device.PPP.Interface.1.Enable'),
    p('Device.PPP.Interface.1.Username'),
    secret('Device.PPP.Interface.1.Password'),
    uint('Device.Ethernet.VLANTerminationNumberOfEntries', '2'),
    p('Device.Ethernet.VLANTermination.1.Alias', 'internet'),
    bool('Device.Ethernet.VLANTermination.1.Enable'),
    uint('Device.Ethernet.VLANTermination.1.VLANID'),
    p('Device.Ethernet.VLANTermination.2.Alias', 'iptv'),
    bool('Device.Ethernet.VLANTermination.2.Enable'),
    uint('Device.Ethernet.VLANTermination.2.VLANID'),
    p('Device.Services.VoiceService.1.SIP.Network.1.RegistrarServer'),
    p('Device.Services.VoiceService.1.SIP.Network.1.ProxyServer'),
    bool('Device.Services.VoiceService.1.SIP.Client.1.Enable'),
    p('Device.Services.VoiceService.1.SIP.Client.1.AuthUserName'),
    secret('Device.Services.VoiceService.1.SIP.Client.1.AuthPassword'),
    p('Device.Services.VoiceService.1.CallControl.Line.1.DirectoryNumber'),
    bool('Device.X_FLOTILLA_IPTV.IGMPProxyEnable'),
  ];
  return parseJsonModel(m);
}

export function tr098ServiceModel(productClass = 'IGD-098S'): Template {
  const m = load('tr098-gateway.json');
  m.deviceId = { ...m.deviceId, productClass };
  const wlan = 'InternetGatewayDevice.LANDevice.1.WLANConfiguration.';
  const ppp = 'InternetGatewayDevice.WANDevice.1.WANConnectionDevice.1.WANPPPConnection.1.';
  const profile = 'InternetGatewayDevice.Services.VoiceService.1.VoiceProfile.1.';
  m.objects = [
    ...(m.objects ?? []),
    { path: 'InternetGatewayDevice.Services.VoiceService.', table: true },
    { path: 'InternetGatewayDevice.Services.VoiceService.{i}.VoiceProfile.', table: true, writable: true },
    { path: 'InternetGatewayDevice.Services.VoiceService.{i}.VoiceProfile.{i}.Line.', table: true, writable: true },
  ];
  m.parameters = [
    ...m.parameters.map((x) =>
      x.path === `${wlan}1.Standard` ? { ...x, value: 'b,g,n' } : x.path === `${wlan}2.Standard` ? { ...x, value: 'a,n,ac' } : x,
    ),
    bool(`${ppp}Enable`),
    p(`${ppp}Username`),
    secret(`${ppp}Password`),
    p(`${ppp}ConnectionStatus`, 'Connected', { writable: false }),
    uint(`${ppp}X_FLOTILLA_VLANID`),
    p(`${profile}SIP.RegistrarServer`),
    p(`${profile}SIP.ProxyServer`),
    p(`${profile}Line.1.Enable`, 'Disabled'),
    p(`${profile}Line.1.DirectoryNumber`),
    p(`${profile}Line.1.SIP.AuthUserName`),
    secret(`${profile}Line.1.SIP.AuthPassword`),
    uint('InternetGatewayDevice.X_FLOTILLA_IPTV.VLANID'),
    bool('InternetGatewayDevice.X_FLOTILLA_IPTV.IGMPProxyEnable'),
  ];
  return parseJsonModel(m);
}
