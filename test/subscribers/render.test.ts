/**
 * Templates rendered against real trees, without a session: the shipped models with the
 * service objects, and the five real device dumps in ../shared/device-models (when present),
 * whose known gaps are listed below.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadModel } from '../../src/cpe/model/load.js';
import { toModelJson } from '../../src/cpe/model/json.js';
import type { Template } from '../../src/cpe/model/template.js';
import { BUILTIN_TEMPLATES } from '../../src/subscribers/builtin.js';
import { checkInputs } from '../../src/subscribers/inputs.js';
import { mapLookup, render, selectInstance, type TreeEntry } from '../../src/subscribers/render.js';
import { tr098ServiceModel, tr181ServiceModel } from '../helpers/service-models.js';

const DUMPS = join(import.meta.dirname, '../../../shared/device-models');
const HAVE_DUMPS = existsSync(DUMPS);
if (!HAVE_DUMPS) console.log('test/subscribers/render: real device dumps skipped: ../shared/device-models is missing');

const tree = (t: Template) =>
  mapLookup(new Map(toModelJson(t).parameters.filter((p) => !p.path.includes('{i}')).map((p): [string, TreeEntry] => [p.path, { value: p.value ?? '', type: p.type }])));
const template = (id: string) => BUILTIN_TEMPLATES.find((t) => t.id === id)!;
const inputs: Record<string, Record<string, unknown>> = {
  wifi: { ssid: 'S', passphrase: 'passphrase-1' },
  'internet-pppoe': { username: 'u@isp', password: 'p', vlan: 10 },
  'internet-dhcp': { vlan: 20 },
  'voip-sip': { registrar: 'sip.example', user: 'u', password: 'p' },
  iptv: { vlan: 300 },
  'management-server': { periodicInterval: 900 },
};
const renderAll = (t: Template): Record<string, string> =>
  Object.fromEntries(
    BUILTIN_TEMPLATES.map((tpl) => {
      const c = checkInputs(tpl, inputs[tpl.id]);
      if (!c.ok) throw new Error(JSON.stringify(c.errors));
      const r = render(tpl, c.values, tree(t));
      return [tpl.id, r.supported ? 'supported' : r.reason];
    }),
  );

describe('service templates rendered against device trees', () => {
  it('every shipped template has both roots and valid defaults', () => {
    for (const t of BUILTIN_TEMPLATES) {
      expect(Object.keys(t.mappings).sort()).toEqual(['Device.', 'InternetGatewayDevice.']);
      expect(checkInputs(t, inputs[t.id]).ok).toBe(true);
    }
  });

  it('finds instances by their parameters, in numeric order, never by a fixed number', () => {
    const t = mapLookup(
      new Map<string, TreeEntry>([
        ['Device.WiFi.Radio.10.OperatingFrequencyBand', { value: '2.4GHz' }],
        ['Device.WiFi.Radio.2.OperatingFrequencyBand', { value: '5GHz' }],
        ['Device.WiFi.Radio.3.OperatingFrequencyBand', { value: '2.4GHz' }],
      ]),
    );
    expect(selectInstance(t, 'Device.WiFi.Radio.{i}.', [['OperatingFrequencyBand', '2.4GHz']])).toBe('Device.WiFi.Radio.3');
    expect(selectInstance(t, 'Device.WiFi.Radio.{i}.', [['OperatingFrequencyBand', /^5/]])).toBe('Device.WiFi.Radio.2');
    expect(selectInstance(t, 'Device.WiFi.Radio.{i}.', [['OperatingFrequencyBand', '6GHz']])).toBeNull();
  });

  it('maps the same inputs onto TR-181 and TR-098 paths', () => {
    const c = checkInputs(template('wifi'), { ssid: 'Home', passphrase: 'passphrase-1', band: '5GHz' });
    if (!c.ok) throw new Error('inputs');
    const on181 = render(template('wifi'), c.values, tree(tr181ServiceModel()));
    const on098 = render(template('wifi'), c.values, tree(tr098ServiceModel()));
    expect(on181.supported && on181.parameters.map(([p, v]) => `${p}=${v}`)).toEqual(
      expect.arrayContaining(['Device.WiFi.SSID.2.SSID=Home', 'Device.WiFi.AccessPoint.2.Security.KeyPassphrase=passphrase-1']),
    );
    expect(on098.supported && on098.parameters.map(([p, v]) => `${p}=${v}`)).toEqual(
      expect.arrayContaining(['InternetGatewayDevice.LANDevice.1.WLANConfiguration.2.SSID=Home', 'InternetGatewayDevice.LANDevice.1.WLANConfiguration.2.BeaconType=11i']),
    );
  });

  it('supports every shipped template on the service models, and says what the plain models lack', () => {
    for (const t of [tr181ServiceModel(), tr098ServiceModel()]) expect(renderAll(t)).toEqual(Object.fromEntries(BUILTIN_TEMPLATES.map((x) => [x.id, 'supported'])));
    const plain = renderAll(loadModel('tr181-router'));
    expect(plain['voip-sip']).toMatch(/not supported on this model: no Device\.Services\.VoiceService\.n\.SIP\.Network/);
    expect(plain.iptv).toMatch(/not supported on this model/);
    expect(plain.wifi).toBe('supported');
    expect(plain['management-server']).toBe('supported');
  });

  // What each real device can carry, from its own tree: the known gaps are the assertions.
  const expected: Record<string, Record<string, string | RegExp>> = {
    'huawei-eg8145v5-tr098.csv': { 'voip-sip': 'supported', 'internet-pppoe': 'supported', iptv: 'supported', 'management-server': 'supported' },
    'tplink-ex220-tr181.csv': { wifi: 'supported', 'internet-pppoe': 'supported', 'voip-sip': /no Device\.Services\.VoiceService/, 'management-server': 'supported' },
  };
  for (const [file, want] of Object.entries(expected)) {
    it.skipIf(!HAVE_DUMPS)(`on the real ${file}`, () => {
      const got = renderAll(loadModel(join(DUMPS, file)));
      for (const [id, w] of Object.entries(want)) {
        if (typeof w === 'string') expect(got[id], id).toBe(w);
        else expect(got[id], id).toMatch(w);
      }
    });
  }
});
