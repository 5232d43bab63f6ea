/**
 * The one list of secret parameters (src/secrets/rules.ts): what is secret, what is not, the
 * operator's additions, and masking wherever a value sits in an answer, an event or an audit
 * record.
 */
import { describe, expect, it } from 'vitest';
import { MASK, SecretRules } from '../../src/secrets/rules.js';

const rules = new SecretRules();

describe('secret parameters', () => {
  it('names ending in Password, Passphrase, Key, PSK, Secret (any case), and the BBF hidden ones', () => {
    for (const p of [
      'Device.WiFi.AccessPoint.1.Security.KeyPassphrase',
      'Device.WiFi.AccessPoint.1.Security.PreSharedKey',
      'Device.WiFi.AccessPoint.12.Security.WEPKey',
      'Device.ManagementServer.ConnectionRequestPassword',
      'InternetGatewayDevice.LANDevice.1.WLANConfiguration.1.PreSharedKey.1.KeyPassphrase',
      'Device.X_ACME.WanPSK',
      'Device.X_ACME.wpa_key',
      'Device.WiFi.AccessPoint.1.Security.RadiusSecret',
      // Hidden in the catalogue though no suffix says so.
      'Device.WiFi.AccessPoint.3.WPS.PIN',
      'Device.Cellular.Interface.1.USIM.PIN',
      'Device.Routing.Babel.MACKeySet.1.MACKey.2.KeyValue',
      'Device.USPAgent.ControllerTrust.Challenge.1.Value',
      // TR-104 mounted under Device.Services.
      'Device.Services.VoiceService.1.DECT.Base.1.PIN',
    ]) {
      expect([p, rules.isSecret(p)]).toEqual([p, true]);
    }
  });

  it('identifiers and bookkeeping that merely end in Key are not secrets; nor are objects', () => {
    for (const p of [
      'Device.ManagementServer.ParameterKey',
      'InternetGatewayDevice.Layer2Bridging.Bridge.1.BridgeKey',
      'Device.DeviceInfo.PasswordPolicy.Enable',
      'Device.DeviceInfo.SoftwareVersion',
      'Device.WiFi.AccessPoint.1.Security.ModeEnabled',
      'Device.WiFi.AccessPoint.1.Security.',
      'Device.Services.VoiceService.1.DECT.Base.1.Name',
      'Device.USPAgent.ControllerTrust.Challenge.1.Alias',
    ]) {
      expect([p, rules.isSecret(p)]).toEqual([p, false]);
    }
  });

  it('the operator adds leaf endings, generic paths and subtrees', () => {
    const r = new SecretRules({ extra: ['Token', 'Device.X_ACME.Auth.{i}.Code', 'Device.X_ACME.Vault.', ' '] });
    expect(r.isSecret('Device.X_ACME.Cloud.AccessToken')).toBe(true);
    expect(r.isSecret('Device.X_ACME.Auth.7.Code')).toBe(true);
    expect(r.isSecret('Device.X_ACME.Auth.7.Name')).toBe(false);
    expect(r.isSecret('Device.X_ACME.Vault.3.Anything')).toBe(true);
    expect(r.isSecret('Device.WiFi.AccessPoint.1.Security.KeyPassphrase')).toBe(true);
    expect(rules.isSecret('Device.X_ACME.Cloud.AccessToken')).toBe(false);
  });

  it('masks values wherever they sit, leaves empty values and everything else alone', () => {
    const K = 'Device.WiFi.AccessPoint.1.Security.KeyPassphrase';
    const S = 'Device.WiFi.SSID.1.SSID';
    const input = {
      parameterValues: [
        [K, 'secret-1', 'xsd:string'],
        [S, 'home'],
      ],
      response: { method: 'GetParameterValuesResponse', parameterList: [{ name: K, value: 'secret-2', type: 'xsd:string' }, { name: S, value: 'home' }] },
      tree: { [K]: { value: 'secret-3', type: 'xsd:string' }, [S]: { value: 'home' } },
      flat: { [K]: 'secret-4', [S]: 'home', [`${K}2`]: '' },
      before: [{ path: K, value: 'secret-5' }],
      empty: [{ name: K, value: '' }],
      commandKey: 'keep-me',
      nested: { deeper: [{ parameterName: K, value: 'secret-6' }] },
    };
    const out = rules.mask(input);
    const text = JSON.stringify(out);
    for (let i = 1; i <= 6; i++) expect(text).not.toContain(`secret-${i}`);
    expect(out.parameterValues[0]).toEqual([K, MASK, 'xsd:string']);
    expect(out.parameterValues[1]).toEqual([S, 'home']);
    expect(out.tree[S]).toEqual({ value: 'home' });
    expect(out.empty[0]!.value).toBe('');
    expect(out.commandKey).toBe('keep-me');
    expect(input.flat[K]).toBe('secret-4'); // a copy: the input is untouched
    expect(rules.mask(null)).toBeNull();
    expect(rules.mask('text')).toBe('text');
  });
});
