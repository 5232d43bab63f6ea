/**
 * Hostile and broken input: each is `{ ok: false }` with the right ProtocolError code, and
 * nothing ever throws (how fast each is refused: bench/hostile.ts). The fuzzers check the
 * "never throws" half for arbitrary input.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildEnvelope, decodeBody, parseEnvelope } from '../../src/cwmp/codec.js';
import { ProtocolError, type ProtocolErrorCode } from '../../src/cwmp/errors.js';
import type { Envelope } from '../../src/cwmp/types.js';

const SOAP = 'http://schemas.xmlsoap.org/soap/envelope/';
const wrap = (body: string): string => `<e:Envelope xmlns:e="${SOAP}" xmlns:c="urn:dslforum-org:cwmp-1-0"><e:Body>${body}</e:Body></e:Envelope>`;

function code(xml: string, limits?: Parameters<typeof parseEnvelope>[1]): ProtocolErrorCode | 'ok' {
  const r = parseEnvelope(xml, limits);
  if (r.ok) return 'ok';
  expect(r.error).toBeInstanceOf(ProtocolError);
  return r.error.code;
}

const VALID_INFORM: Envelope = {
  namespace: 'urn:dslforum-org:cwmp-1-0',
  header: { id: '1' },
  body: {
    method: 'Inform',
    deviceId: { manufacturer: 'ACME', oui: '00147F', productClass: 'Box', serialNumber: 'SN1' },
    event: [{ eventCode: '1 BOOT', commandKey: '' }],
    maxEnvelopes: 1,
    currentTime: '2024-01-01T00:00:00Z',
    retryCount: 0,
    parameterList: [
      { name: 'Device.DeviceInfo.SoftwareVersion', value: '1.0 & <b>', type: 'xsd:string' },
      { name: 'Device.ManagementServer.PeriodicInformEnable', value: 'true', type: 'xsd:boolean' },
    ],
  },
};
const INFORM_XML = buildEnvelope(VALID_INFORM);

describe('XML attacks', () => {
  it('any DOCTYPE', () => {
    expect(code(`<!DOCTYPE e:Envelope>${wrap('<c:GetRPCMethods/>')}`)).toBe('DOCTYPE_FORBIDDEN');
  });

  it('an internal entity declaration', () => {
    expect(code(`<!DOCTYPE x [<!ENTITY name "value">]>${wrap('<c:Reboot><CommandKey>&name;</CommandKey></c:Reboot>')}`)).toBe('DOCTYPE_FORBIDDEN');
  });

  it('billion laughs', () => {
    let dtd = '<!ENTITY lol "lol">';
    for (let i = 1; i <= 9; i++) dtd += `<!ENTITY lol${i} "${`&lol${i === 1 ? '' : i - 1};`.repeat(10)}">`;
    // Refused at the DOCTYPE, so nothing is expanded; how long that takes is bench/hostile.ts's figure.
    expect(code(`<?xml version="1.0"?><!DOCTYPE lolz [${dtd}]><lolz>&lol9;</lolz>`)).toBe('DOCTYPE_FORBIDDEN');
  });

  it('an external entity (XXE)', () => {
    const xml = `<?xml version="1.0"?><!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>${wrap('<c:Reboot><CommandKey>&xxe;</CommandKey></c:Reboot>')}`;
    expect(code(xml)).toBe('DOCTYPE_FORBIDDEN');
  });

  it('a parameter entity / external DTD subset', () => {
    expect(code(`<!DOCTYPE foo SYSTEM "http://evil.example/x.dtd">${wrap('<c:GetRPCMethods/>')}`)).toBe('DOCTYPE_FORBIDDEN');
  });

  it('a truncated DOCTYPE is still refused as a DOCTYPE', () => {
    expect(code('<!DOCTYPE foo [<!ENTITY a "')).toBe('DOCTYPE_FORBIDDEN');
  });

  it('an undefined entity reference', () => {
    expect(code(wrap('<c:Reboot><CommandKey>&ouch;</CommandKey></c:Reboot>'))).toBe('ENTITY_FORBIDDEN');
  });
});

describe('resource bounds', () => {
  it('10,000 levels of nesting', () => {
    expect(code(wrap('<a>'.repeat(10_000) + '</a>'.repeat(10_000)))).toBe('XML_TOO_DEEP');
  });

  it('1,000,000 elements within maxBytes', () => {
    const xml = wrap(`<c:X>${'<a/>'.repeat(1_000_000)}</c:X>`);
    expect(xml.length).toBeLessThan(4 * 1024 * 1024);
    expect(code(xml)).toBe('XML_TOO_MANY_ELEMENTS');
  });

  it('a body over maxBytes is refused before parsing', () => {
    expect(code(wrap(`<c:Reboot><CommandKey>${'x'.repeat(4 * 1024 * 1024)}</CommandKey></c:Reboot>`))).toBe('BODY_TOO_LARGE');
  });

  it('limits can be tightened per call', () => {
    expect(code(INFORM_XML, { maxDepth: 4 })).toBe('XML_TOO_DEEP');
    expect(code(INFORM_XML, { maxElements: 10 })).toBe('XML_TOO_MANY_ELEMENTS');
    expect(code(INFORM_XML, { maxBytes: 100 })).toBe('BODY_TOO_LARGE');
  });

  it('an undefined limit keeps the default bound', () => {
    expect(code(wrap('<a>'.repeat(100) + '</a>'.repeat(100)), { maxDepth: undefined, maxBytes: undefined })).toBe('XML_TOO_DEEP');
  });

  it('a 6,500-parameter GetParameterValuesResponse fits the default limits', () => {
    const parameterList = Array.from({ length: 6500 }, (_, i) => ({ name: `Device.X.${i}.Name`, value: `value ${i}`, type: 'xsd:string' }));
    const r = parseEnvelope(buildEnvelope({ namespace: 'urn:dslforum-org:cwmp-1-2', header: {}, body: { method: 'GetParameterValuesResponse', parameterList } }));
    expect(r.ok && r.value.body.method === 'GetParameterValuesResponse' && r.value.body.parameterList.length).toBe(6500);
  });
});

describe('broken input', () => {
  it('truncated XML', () => {
    expect(code(INFORM_XML.slice(0, INFORM_XML.length / 2))).toBe('XML_MALFORMED');
  });

  it('non-XML garbage', () => {
    expect(code('GET / HTTP/1.1\r\nHost: x\r\n\r\n')).toBe('XML_MALFORMED');
  });

  it('binary', () => {
    const bytes = new Uint8Array(512);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 131 + 7) & 0xff;
    const text = decodeBody(bytes);
    expect(text.ok).toBe(true);
    expect(code(text.ok ? text.value : '')).toBe('XML_MALFORMED');
  });

  it('an empty string', () => {
    expect(code('')).toBe('XML_MALFORMED');
  });

  it('mismatched tags', () => {
    expect(code(wrap('<c:Reboot><CommandKey>k</Command></c:Reboot>'))).toBe('XML_MALFORMED');
  });

  it('an unbound element prefix', () => {
    expect(code(wrap('<zz:Reboot/>'))).toBe('XML_MALFORMED');
  });

  it('two root elements', () => {
    expect(code(wrap('<c:GetRPCMethods/>') + '<x/>')).toBe('XML_MALFORMED');
  });
});

const KNOWN_CODES = new Set<string>([
  'BODY_TOO_LARGE',
  'DOCTYPE_FORBIDDEN',
  'ENTITY_FORBIDDEN',
  'XML_MALFORMED',
  'XML_TOO_DEEP',
  'XML_TOO_MANY_ELEMENTS',
  'NOT_SOAP_ENVELOPE',
  'NO_BODY',
  'NOT_CWMP',
  'INVALID_MESSAGE',
]);

function neverThrows(xml: string): void {
  const r = parseEnvelope(xml);
  if (!r.ok) {
    expect(r.error).toBeInstanceOf(ProtocolError);
    expect(KNOWN_CODES.has(r.error.code)).toBe(true);
  }
}

/** A random edit of a string: delete, insert, duplicate or overwrite a span. */
const mutation = fc.tuple(fc.constantFrom('delete', 'insert', 'duplicate', 'replace'), fc.nat(), fc.nat({ max: 40 }), fc.string({ unit: 'binary', maxLength: 12 }));
function mutate(s: string, edits: [string, number, number, string][]): string {
  for (const [kind, at, len, str] of edits) {
    const i = at % (s.length + 1);
    switch (kind) {
      case 'delete':
        s = s.slice(0, i) + s.slice(i + len);
        break;
      case 'insert':
        s = s.slice(0, i) + str + s.slice(i);
        break;
      case 'duplicate':
        s = s.slice(0, i + len) + s.slice(i, i + len) + s.slice(i + len);
        break;
      default:
        s = s.slice(0, i) + str + s.slice(i + str.length);
    }
  }
  return s;
}

describe('fuzz: never throws', () => {
  it('random strings', () => {
    fc.assert(fc.property(fc.oneof(fc.string({ unit: 'binary', maxLength: 300 }), fc.string({ maxLength: 300 })), neverThrows), { numRuns: 1000 });
  });

  it('random XML-ish token soup', () => {
    const token = fc.constantFrom('<', '>', '/', '</', '/>', '<!--', '-->', '<![CDATA[', ']]>', '<?', '?>', '&', ';', '#', 'x', '=', '"', ' ', 'e:Envelope', 'e:Body', 'xmlns:e', SOAP, 'c:Inform', '&amp;', '&#', '<!DOCTYPE');
    fc.assert(fc.property(fc.array(token, { maxLength: 60 }), (ts) => neverThrows(ts.join(''))), { numRuns: 1000 });
  });

  it('random mutations of a valid Inform', () => {
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 5 }), (edits) => neverThrows(mutate(INFORM_XML, edits))),
      { numRuns: 2000 },
    );
  });
});
