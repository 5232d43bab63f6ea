/**
 * Interop with messages captured from real CPEs (../shared/fixtures, see its README). The
 * directory lives outside the repository; without it this suite is skipped, saying so once.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { buildEnvelope, decodeBody, parseCwmpDateTime, parseEnvelope } from '../../src/cwmp/codec.js';
import type { CwmpBody, Envelope } from '../../src/cwmp/types.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const FIXTURES = path.resolve(repoRoot, '../shared/fixtures');
const present = existsSync(FIXTURES);
if (!present) console.log(`[cwmp fixtures] ${FIXTURES} not found: interop suite skipped`);

function load(rel: string): Envelope {
  const r = parseEnvelope(readFileSync(path.join(FIXTURES, rel), 'utf8'));
  if (!r.ok) throw r.error;
  return r.value;
}

function body<M extends CwmpBody['method']>(env: Envelope, method: M): Extract<CwmpBody, { method: M }> {
  expect(env.body.method).toBe(method);
  return env.body as Extract<CwmpBody, { method: M }>;
}

function* xmlFiles(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) yield* xmlFiles(full);
    else if (name.endsWith('.xml')) yield path.relative(FIXTURES, full);
  }
}

/** A whole HTTP/1.1 request: header block, then a chunked body (RFC 9112 §7.1), as bytes. */
function dechunkRequest(raw: Uint8Array): { headers: Map<string, string>; body: Uint8Array } {
  const latin1 = new TextDecoder('latin1');
  const crlf = (from: number): number => {
    for (let i = from; i + 1 < raw.length; i++) if (raw[i] === 13 && raw[i + 1] === 10) return i;
    throw new Error('missing CRLF');
  };
  const headers = new Map<string, string>();
  let pos = crlf(0) + 2; // skip the request line
  for (;;) {
    const end = crlf(pos);
    if (end === pos) break;
    const line = latin1.decode(raw.subarray(pos, end));
    const colon = line.indexOf(':');
    headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
    pos = end + 2;
  }
  pos += 2;
  expect(headers.get('transfer-encoding')).toBe('chunked');
  const parts: Uint8Array[] = [];
  for (;;) {
    const end = crlf(pos);
    const size = parseInt(latin1.decode(raw.subarray(pos, end)).split(';')[0]!, 16);
    pos = end + 2;
    if (size === 0) break;
    parts.push(raw.subarray(pos, pos + size));
    pos += size + 2;
  }
  const body = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    body.set(p, off);
    off += p.length;
  }
  return { headers, body };
}

describe.skipIf(!present)('real CPE fixtures', () => {
  it('every XML fixture parses and survives build → parse unchanged', () => {
    const files = [...xmlFiles(FIXTURES)];
    expect(files.length).toBeGreaterThanOrEqual(9);
    for (const f of files) {
      const env = load(f);
      const again = parseEnvelope(buildEnvelope(env));
      expect(again.ok && again.value, f).toEqual(env);
    }
  });

  it('Thomson SpeedTouch 780 Inform: device, events, padded sizes, RetryCount 05, malformed date', () => {
    const env = load('thomson-speedtouch-780/Inform.xml');
    expect(env.namespace).toBe('urn:dslforum-org:cwmp-1-0');
    expect(env.header).toEqual({ id: '0_THOM_TR69_ID' });
    const inform = body(env, 'Inform');
    expect(inform.deviceId).toEqual({ manufacturer: 'THOMSON', oui: '00147F', productClass: 'SpeedTouch 780', serialNumber: 'CP0644JTHJ4' });
    expect(inform.event.map((e) => e.eventCode)).toEqual(['1 BOOT', '2 PERIODIC', '4 VALUE CHANGE']);
    expect(inform.maxEnvelopes).toBe(2);
    expect(inform.retryCount).toBe(5);
    expect(inform.currentTime).toBe('1970-01-01T00:01:31Z');
    expect(inform.parameterList).toHaveLength(12);
    const date = inform.parameterList.find((p) => p.name.endsWith('VendorConfigFile.1.Date'));
    expect(date).toEqual({ name: 'InternetGatewayDevice.DeviceInfo.VendorConfigFile.1.Date', value: '0000-00-00T00:00:00', type: 'xsd:dateTime' });
    expect(parseCwmpDateTime(date!.value)).toBeNull();
    expect(inform.parameterList.at(-1)).toEqual({ name: '.ExternalIPAddress', value: '192.168.1.254', type: 'xsd:string' });
  });

  it('Thomson GetParameterNamesResponse: the whole tree, 3,343 entries', () => {
    const list = body(load('thomson-speedtouch-780/GetParameterNamesResponse.xml'), 'GetParameterNamesResponse').parameterList;
    expect(list).toHaveLength(3343);
    expect(list.filter((p) => p.writable)).toHaveLength(2911);
    expect(list[0]).toEqual({ name: 'InternetGatewayDevice.DeviceSummary', writable: false });
  });

  it('Thomson GetRPCMethodsResponse (string[09])', () => {
    const m = body(load('thomson-speedtouch-780/GetRPCMethodsResponse.xml'), 'GetRPCMethodsResponse');
    expect(m.methodList).toHaveLength(9);
    expect(m.methodList[0]).toBe('GetRPCMethods');
    expect(m.methodList.at(-1)).toBe('FactoryReset');
  });

  it('Thomson 9001 Fault', () => {
    const env = load('thomson-speedtouch-780/Fault.xml');
    expect(env.body).toEqual({
      method: 'Fault',
      faultcode: 'Client',
      faultstring: 'CWMP fault',
      detail: { faultCode: 9001, faultString: 'Request Denied', setParameterValuesFault: [] },
    });
  });

  it('Fiberhome Inform: cwmp-1-2, BOOTSTRAP with command key, zone-less time, newline in a value', () => {
    const env = load('fiberhome-gpon/Inform.xml');
    expect(env.namespace).toBe('urn:dslforum-org:cwmp-1-2');
    const inform = body(env, 'Inform');
    expect(inform.deviceId.serialNumber).toBe('FakeSerialNumber');
    expect(inform.event).toEqual([
      { eventCode: '0 BOOTSTRAP', commandKey: 'TR069_FakeManufacturer_HOMEGATEWAY' },
      { eventCode: '1 BOOT', commandKey: '' },
      { eventCode: '4 VALUE CHANGE', commandKey: '' },
    ]);
    expect(parseCwmpDateTime(inform.currentTime)?.toISOString()).toBe('1970-01-02T00:08:34.000Z');
    expect(inform.parameterList).toHaveLength(4);
    const summary = inform.parameterList[0]!;
    expect(summary.value).toContain('WiFi:1,\n                        PONWAN:1');
    expect(summary.value.endsWith('\n                    ')).toBe(true);
  });

  it('Fiberhome responses: sizes that lie, GetRPCMethods request, SPV status', () => {
    const gpn = body(load('fiberhome-gpon/GetParameterNamesResponse.xml'), 'GetParameterNamesResponse');
    expect(gpn.parameterList).toHaveLength(18);
    expect(gpn.parameterList.filter((p) => p.writable).map((p) => p.name)).toContain('InternetGatewayDevice.DeviceInfo.ProvisioningCode');
    const gpv = body(load('fiberhome-gpon/GetParameterValuesResponse.xml'), 'GetParameterValuesResponse');
    expect(gpv.parameterList).toEqual([
      { name: 'InternetGatewayDevice.DeviceInfo.SoftwareVersion', value: 'v1.1.91', type: 'xsd:string' },
      { name: 'InternetGatewayDevice.ManagementServer.PeriodicInformInterval', value: '360', type: 'xsd:unsignedInt' },
    ]);
    const rpc = load('fiberhome-gpon/GetRPCMethods.xml');
    expect(rpc.header.id).toBe('FREEACS-0');
    expect(rpc.body).toEqual({ method: 'GetRPCMethods' });
    expect(load('fiberhome-gpon/SetParameterValuesResponse.xml').body).toEqual({ method: 'SetParameterValuesResponse', status: 0 });
  });

  it('raw HTTP: a chunked ISO-8859-1 Inform, de-chunked and decoded', () => {
    const raw = new Uint8Array(readFileSync(path.join(FIXTURES, 'raw-http/chunked-inform-request.txt')));
    const { headers, body: bytes } = dechunkRequest(raw);
    expect(headers.get('content-type')).toBe('text/xml; charset=ISO-8859-1');
    expect(headers.get('soapaction')).toBe('');
    const text = decodeBody(bytes, headers.get('content-type'));
    expect(text.ok).toBe(true);
    const env = parseEnvelope(text.ok ? text.value : '');
    if (!env.ok) throw env.error;
    expect(env.value.header.id).toBe('14_THOM_TR69_ID');
    const inform = body(env.value, 'Inform');
    expect(inform.event).toEqual([{ eventCode: '2 PERIODIC', commandKey: '' }]);
    expect(inform.retryCount).toBe(0);
    expect(inform.parameterList).toHaveLength(12);
    // These two were split across chunk boundaries.
    expect(inform.parameterList[2]!.name).toBe('InternetGatewayDevice.DeviceInfo.HardwareVersion');
    expect(inform.parameterList[10]).toEqual({ name: 'InternetGatewayDevice.ManagementServer.ParameterKey', value: '', type: 'xsd:string' });
  });
});
