/**
 * TR-232 report parsing (src/bulkdata/parse.ts), pure: the four layouts as the simulator's
 * encoders write them (src/cpe/client/bulkdata.ts, written apart from the parser), the
 * timestamps, and what is refused whole.
 */
import { describe, expect, it } from 'vitest';
import { parseReport, csvRows } from '../../src/bulkdata/parse.js';
import { samplesOf } from '../../src/bulkdata/receiver.js';
import { encodeReport } from '../../src/cpe/client/bulkdata.js';
import type { ParameterValue } from '../../src/cwmp/types.js';
import type { SamplingProfile } from '../../src/store/types.js';

const AT = Date.UTC(2026, 11, 3, 12, 0, 0);
const VALUES: ParameterValue[] = [
  { name: 'Device.IP.Interface.1.Stats.BytesReceived', value: '123456', type: 'xsd:unsignedLong' },
  { name: 'Device.DeviceInfo.ProcessStatus.CPUUsage', value: '17', type: 'xsd:unsignedInt' },
  { name: 'Device.WiFi.SSID.1.SSID', value: 'Home, "net"', type: 'xsd:string' },
  { name: 'Device.WiFi.SSID.1.Enable', value: 'true', type: 'xsd:boolean' },
];
const rowsOf = (vs: ParameterValue[]) => vs.map((v) => ({ at: AT, path: v.name, value: v.value }));

describe('the four layouts, from the simulator encoders', () => {
  for (const format of ['NameValuePair', 'ObjectHierarchy', 'ParameterPerRow', 'ParameterPerColumn'] as const) {
    it(`${format}: every value with the collection time`, () => {
      const encoding = format === 'NameValuePair' || format === 'ObjectHierarchy' ? 'JSON' : 'CSV';
      const { body, contentType } = encodeReport({ encoding, format }, VALUES, AT + 400);
      // Declared in the header, and guessed from the body without it.
      for (const declared of [format, undefined]) {
        const r = parseReport(body, { contentType, receivedAt: 0, ...(declared ? { format: declared } : {}) });
        expect(r).toEqual({ ok: true, format, rows: rowsOf(VALUES) });
      }
    });
  }

  it('ObjectHierarchy with a table as an array, and several reports', () => {
    const body = JSON.stringify({
      Report: [
        { CollectionTime: 1764763200, Device: { IP: { Interface: [{ Stats: { BytesSent: 5 } }, { Stats: { BytesSent: 7 } }] } } },
        { CollectionTime: '2025-12-03T12:00:10Z', Device: { IP: { Interface: { '2': { Stats: { BytesSent: 9 } } } } } },
      ],
    });
    const r = parseReport(body, { contentType: 'application/json', receivedAt: 0 });
    expect(r).toEqual({
      ok: true,
      format: 'ObjectHierarchy',
      rows: [
        { at: 1764763200000, path: 'Device.IP.Interface.1.Stats.BytesSent', value: '5' },
        { at: 1764763200000, path: 'Device.IP.Interface.2.Stats.BytesSent', value: '7' },
        { at: Date.parse('2025-12-03T12:00:10Z'), path: 'Device.IP.Interface.2.Stats.BytesSent', value: '9' },
      ],
    });
  });

  it('no timestamp ("None"): the receive time', () => {
    const r = parseReport('{"Report":[{"Device.X.Y":1}]}', { receivedAt: 42_000 });
    expect(r).toEqual({ ok: true, format: 'NameValuePair', rows: [{ at: 42_000, path: 'Device.X.Y', value: '1' }] });
  });

  it('CSV: quoted fields, CRLF or LF, blank lines', () => {
    expect(csvRows('a,"b ""q"", c"\r\n\r\n1,2\n')).toEqual([
      ['a', 'b "q", c'],
      ['1', '2'],
    ]);
  });
});

describe('refused whole', () => {
  const bad: [string, string, Record<string, string>][] = [
    ['not JSON', '{"Report":[', { contentType: 'application/json' }],
    ['Report not an array', '{"Report":{}}', {}],
    ['an object value in NameValuePair', '{"Report":[{"Device.X.Y":{"a":1}}]}', { format: 'NameValuePair' }],
    ['a bad name', '{"Report":[{"Device.X.Y":1,"Evil..Name":2}]}', {}],
    ['a name off the roots', '{"Report":[{"Other.X":1}]}', {}],
    ['an unknown format', '{"Report":[]}', { format: 'Whatever' }],
    ['no values', '{"Report":[]}', {}],
    ['an unreadable timestamp', '{"Report":[{"CollectionTime":"yesterday","Device.X":1}]}', {}],
    ['deep nesting', `{"Report":[${'['.repeat(100)}${']'.repeat(100)}]}`, {}],
    ['a CSV row of the wrong width', 'ReportTimestamp,Device.X,Device.Y\r\n1,2\r\n', { contentType: 'text/csv' }],
    ['an unterminated quote', 'ReportTimestamp,Device.X\r\n1,"2\r\n', { contentType: 'text/csv' }],
    ['CSV with only a header', 'ReportTimestamp,Device.X\r\n', { contentType: 'text/csv' }],
    ['a JSON format on CSV', 'ReportTimestamp,Device.X\r\n1,2\r\n', { contentType: 'text/csv', format: 'NameValuePair' }],
  ];
  for (const [what, body, o] of bad) {
    it(what, () => {
      const r = parseReport(body, { receivedAt: 0, ...o });
      expect(r.ok).toBe(false);
    });
  }

  it('more rows than allowed, long values', () => {
    const many = JSON.stringify({ Report: [Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`Device.X.${i + 1}`, i]))] });
    expect(parseReport(many, { receivedAt: 0, limits: { maxRows: 10 } })).toMatchObject({ ok: false, reason: 'more than 10 values' });
    expect(parseReport(JSON.stringify({ Report: [{ 'Device.X': 'v'.repeat(2000) }] }), { receivedAt: 0 }).ok).toBe(false);
  });
});

describe('what a profile keeps', () => {
  const profile: SamplingProfile = {
    id: 'p',
    name: 'p',
    enabled: true,
    intervalSeconds: 60,
    parameters: [{ path: 'Device.IP.Interface.1.Stats.', counter: true }, { path: 'Device.DeviceInfo.ProcessStatus.CPUUsage' }],
    match: {},
    bulkData: { encoding: 'JSON', reportFormat: 'NameValuePair' },
    createdAt: 0,
    updatedAt: 0,
  };
  it('its paths and subtrees (counters flagged), never others or secrets', () => {
    const { samples, ignored } = samplesOf(profile, 'dev', [
      { at: 1, path: 'Device.IP.Interface.1.Stats.BytesReceived', value: '5' },
      { at: 1, path: 'Device.DeviceInfo.ProcessStatus.CPUUsage', value: '3' },
      { at: 1, path: 'Device.WiFi.SSID.1.SSID', value: 'x' },
      { at: 1, path: 'Device.IP.Interface.1.Stats.X_Secret', value: 'x' },
    ]);
    expect(samples).toEqual([
      { deviceId: 'dev', path: 'Device.IP.Interface.1.Stats.BytesReceived', at: 1, value: '5', source: 'bulk', counter: true },
      { deviceId: 'dev', path: 'Device.DeviceInfo.ProcessStatus.CPUUsage', at: 1, value: '3', source: 'bulk' },
    ]);
    expect(ignored).toBe(2);
  });
});
