/** What real CPEs send that a strict reader would refuse: one tolerance, one assertion. */
import { describe, expect, it } from 'vitest';
import { parseEnvelope } from '../../src/cwmp/codec.js';
import type { ProtocolErrorCode } from '../../src/cwmp/errors.js';
import type { CwmpBody, Envelope } from '../../src/cwmp/types.js';

type ProtocolErrorCodeLike = ProtocolErrorCode | 'ok';

const SOAP = 'http://schemas.xmlsoap.org/soap/envelope/';
const ENC = 'http://schemas.xmlsoap.org/soap/encoding/';
const CWMP = 'urn:dslforum-org:cwmp-1-0';

/** A conventional envelope around `body`, with optional header content and extra declarations. */
function env(body: string, opts: { header?: string | null; decls?: string } = {}): string {
  const header = opts.header === null ? '' : `<soapenv:Header>${opts.header ?? '<cwmp:ID soapenv:mustUnderstand="1">42</cwmp:ID>'}</soapenv:Header>`;
  return (
    `<soapenv:Envelope xmlns:soapenv="${SOAP}" xmlns:soapenc="${ENC}" xmlns:cwmp="${CWMP}" ` +
    `xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" ${opts.decls ?? ''}>` +
    `${header}<soapenv:Body>${body}</soapenv:Body></soapenv:Envelope>`
  );
}

function parse(xml: string): Envelope {
  const r = parseEnvelope(xml);
  if (!r.ok) throw r.error;
  return r.value;
}

function gpv(values: string): CwmpBody {
  return parse(env(`<cwmp:GetParameterValuesResponse><ParameterList>${values}</ParameterList></cwmp:GetParameterValuesResponse>`)).body;
}

function firstValue(value: string): { name: string; value: string; type: string } {
  const b = gpv(`<ParameterValueStruct><Name>A.B</Name>${value}</ParameterValueStruct>`);
  if (b.method !== 'GetParameterValuesResponse') throw new Error(b.method);
  return b.parameterList[0]!;
}

function errorCode(xml: string): ProtocolErrorCodeLike {
  const r = parseEnvelope(xml);
  return r.ok ? 'ok' : r.error.code;
}

describe('namespaces, not prefixes', () => {
  it('any envelope prefix, including a default namespace', () => {
    const xml = `<Envelope xmlns="${SOAP}"><Body><m:Reboot xmlns:m="${CWMP}"><CommandKey>k</CommandKey></m:Reboot></Body></Envelope>`;
    expect(parse(xml).body).toEqual({ method: 'Reboot', commandKey: 'k' });
  });

  it('SOAP-ENV / soap_env spellings', () => {
    const xml = `<soap_env:Envelope xmlns:soap_env="${SOAP}" xmlns:C="${CWMP}"><soap_env:Body><C:FactoryReset/></soap_env:Body></soap_env:Envelope>`;
    expect(parse(xml).body.method).toBe('FactoryReset');
  });

  it('the Thomson quirk: "soap" bound to the encoding namespace, encodingStyle on Envelope', () => {
    const xml =
      `<soapenv:Envelope soapenv:encodingStyle="${ENC}" xmlns:soapenv="${SOAP}" xmlns:soap="${ENC}" xmlns:cwmp="${CWMP}">` +
      `<soapenv:Body><cwmp:GetRPCMethodsResponse><MethodList soap:arrayType="string[02]"><string>Inform</string><string>X</string></MethodList>` +
      `</cwmp:GetRPCMethodsResponse></soapenv:Body></soapenv:Envelope>`;
    expect(parse(xml).body).toEqual({ method: 'GetRPCMethodsResponse', methodList: ['Inform', 'X'] });
  });

  it('Body written in the SOAP encoding namespace is still the Body', () => {
    const xml = `<e:Envelope xmlns:e="${SOAP}" xmlns:soap="${ENC}" xmlns:cwmp="${CWMP}"><soap:Body><cwmp:RebootResponse/></soap:Body></e:Envelope>`;
    expect(parse(xml).body.method).toBe('RebootResponse');
  });

  it('records which CWMP namespace the message used', () => {
    const xml = env('<x:InformResponse xmlns:x="urn:dslforum-org:cwmp-1-2"><MaxEnvelopes>1</MaxEnvelopes></x:InformResponse>', { header: null });
    expect(parse(xml).namespace).toBe('urn:dslforum-org:cwmp-1-2');
  });

  it('an unqualified method element is read as CWMP, namespace taken from the header', () => {
    const xml = env('<InformResponse><MaxEnvelopes>1</MaxEnvelopes></InformResponse>', {
      header: '<h:ID xmlns:h="urn:dslforum-org:cwmp-1-1">1</h:ID>',
    });
    expect(parse(xml)).toMatchObject({ namespace: 'urn:dslforum-org:cwmp-1-1', body: { method: 'InformResponse', maxEnvelopes: 1 } });
  });

  it('argument elements qualified with the CWMP (or any) namespace', () => {
    const xml = env('<cwmp:AddObject><cwmp:ObjectName>A.B.</cwmp:ObjectName><v:ParameterKey xmlns:v="urn:v">k</v:ParameterKey></cwmp:AddObject>');
    expect(parse(xml).body).toEqual({ method: 'AddObject', objectName: 'A.B.', parameterKey: 'k' });
  });
});

describe('xsi:type', () => {
  it('1999 XML Schema namespaces', () => {
    const xml = env(
      '<cwmp:GetParameterValuesResponse><ParameterList><ParameterValueStruct><Name>A</Name>' +
        '<Value xsi99:type="xsd99:unsignedInt">5</Value></ParameterValueStruct></ParameterList></cwmp:GetParameterValuesResponse>',
      { decls: 'xmlns:xsi99="http://www.w3.org/1999/XMLSchema-instance" xmlns:xsd99="http://www.w3.org/1999/XMLSchema"' },
    );
    expect((parse(xml).body as { parameterList: { type: string }[] }).parameterList[0]!.type).toBe('xsd:unsignedInt');
  });

  it('any prefix for XML Schema is normalised to xsd:', () => {
    expect(firstValue('<Value xmlns:s="http://www.w3.org/2001/XMLSchema" xsi:type="s:int">-1</Value>').type).toBe('xsd:int');
  });

  it('SOAP-ENC types read as their xsd twins', () => {
    expect(firstValue('<Value xsi:type="soapenc:base64">AAA=</Value>').type).toBe('xsd:base64');
  });

  it('undeclared xsi and xsd prefixes', () => {
    const xml = `<e:Envelope xmlns:e="${SOAP}" xmlns:c="${CWMP}"><e:Body><c:GetParameterValuesResponse><ParameterList><ParameterValueStruct><Name>A</Name><Value xsi:type="xsd:string">v</Value></ParameterValueStruct></ParameterList></c:GetParameterValuesResponse></e:Body></e:Envelope>`;
    expect((parse(xml).body as { parameterList: { type: string }[] }).parameterList[0]!.type).toBe('xsd:string');
  });

  it('missing xsi:type is type ""', () => {
    expect(firstValue('<Value>v</Value>')).toEqual({ name: 'A.B', value: 'v', type: '' });
  });

  it('an unprefixed type gets xsd:', () => {
    expect(firstValue('<Value xsi:type="string">v</Value>').type).toBe('xsd:string');
  });
});

describe('arrays: trust the items', () => {
  const two = '<ParameterValueStruct><Name>A</Name><Value>1</Value></ParameterValueStruct>'.repeat(2);
  it('wrong size', () => {
    const b = parse(env(`<cwmp:GetParameterValuesResponse><ParameterList soapenc:arrayType="cwmp:ParameterValueStruct[9]">${two}</ParameterList></cwmp:GetParameterValuesResponse>`)).body;
    expect((b as { parameterList: unknown[] }).parameterList).toHaveLength(2);
  });
  it('zero-padded size', () => {
    const b = parse(env(`<cwmp:GetParameterValuesResponse><ParameterList soapenc:arrayType="cwmp:ParameterValueStruct[0002]">${two}</ParameterList></cwmp:GetParameterValuesResponse>`)).body;
    expect((b as { parameterList: unknown[] }).parameterList).toHaveLength(2);
  });
  it('no arrayType at all', () => {
    expect((gpv(two) as { parameterList: unknown[] }).parameterList).toHaveLength(2);
  });
});

describe('lexical tolerance', () => {
  it('booleans 0/1 and TRUE with whitespace', () => {
    const xml = env(
      '<cwmp:GetParameterNamesResponse><ParameterList><ParameterInfoStruct><Name>A</Name><Writable>1</Writable></ParameterInfoStruct>' +
        '<ParameterInfoStruct><Name>B</Name><Writable> TRUE\n</Writable></ParameterInfoStruct><ParameterInfoStruct><Name>C</Name><Writable>0</Writable></ParameterInfoStruct>' +
        '</ParameterList></cwmp:GetParameterNamesResponse>',
    );
    expect((parse(xml).body as { parameterList: { writable: boolean }[] }).parameterList.map((p) => p.writable)).toEqual([true, true, false]);
  });

  it('xsd:boolean values are canonicalised to true/false', () => {
    expect(firstValue('<Value xsi:type="xsd:boolean">1</Value>').value).toBe('true');
  });

  it('RetryCount "05"', () => {
    const xml = env('<cwmp:Inform><DeviceId><OUI>1</OUI></DeviceId><RetryCount>05</RetryCount></cwmp:Inform>');
    expect((parse(xml).body as { retryCount: number }).retryCount).toBe(5);
  });

  it('whitespace and newlines around names are trimmed', () => {
    expect(firstValue('<Value>x</Value>').name).toBe('A.B');
    const b = gpv('<ParameterValueStruct><Name>\n   Device.X.Y \n</Name><Value>v</Value></ParameterValueStruct>');
    expect((b as { parameterList: { name: string }[] }).parameterList[0]!.name).toBe('Device.X.Y');
  });

  it('values are kept exactly as sent, whitespace included', () => {
    expect(firstValue('<Value xsi:type="xsd:string">  two\n lines  </Value>').value).toBe('  two\n lines  ');
  });

  it('non-ASCII values', () => {
    expect(firstValue('<Value>Привет, 世界 — ñ 😀</Value>').value).toBe('Привет, 世界 — ñ 😀');
  });

  it('CDATA sections and character references in values', () => {
    expect(firstValue('<Value><![CDATA[<a&b>]]>&#233;&amp;</Value>').value).toBe('<a&b>é&');
  });

  it('missing scalar arguments take natural defaults', () => {
    const xml = env('<cwmp:Download><URL> http://x/fw.bin </URL></cwmp:Download>');
    expect(parse(xml).body).toMatchObject({ method: 'Download', url: 'http://x/fw.bin', commandKey: '', fileSize: 0, delaySeconds: 0 });
  });
});

describe('header', () => {
  it('empty Header', () => {
    expect(parse(env('<cwmp:GetRPCMethods/>', { header: '' })).header).toEqual({});
  });
  it('no Header', () => {
    expect(parse(env('<cwmp:GetRPCMethods/>', { header: null })).header).toEqual({});
  });
  it('every header field, HoldRequests as "true", NoMoreRequests as 1', () => {
    const h =
      '<cwmp:ID soapenv:mustUnderstand="1">a b</cwmp:ID><cwmp:HoldRequests soapenv:mustUnderstand="1">true</cwmp:HoldRequests>' +
      '<cwmp:NoMoreRequests>1</cwmp:NoMoreRequests><cwmp:SessionTimeout>60</cwmp:SessionTimeout>' +
      '<cwmp:SupportedCWMPVersions> 1.0,1.1,1.2,1.3,1.4 </cwmp:SupportedCWMPVersions><cwmp:UseCWMPVersion>1.4</cwmp:UseCWMPVersion>';
    expect(parse(env('<cwmp:GetRPCMethods/>', { header: h })).header).toEqual({
      id: 'a b',
      holdRequests: true,
      noMoreRequests: true,
      sessionTimeout: 60,
      supportedCwmpVersions: '1.0,1.1,1.2,1.3,1.4',
      useCwmpVersion: '1.4',
    });
  });
  it('HoldRequests 0', () => {
    expect(parse(env('<cwmp:GetRPCMethods/>', { header: '<cwmp:HoldRequests>0</cwmp:HoldRequests>' })).header).toEqual({ holdRequests: false });
  });
});

describe('bodies we do not know', () => {
  it('an unknown method in the CWMP namespace is Unknown, not an error', () => {
    expect(parse(env('<cwmp:X_ACME_Frobnicate><A>1</A></cwmp:X_ACME_Frobnicate>')).body).toEqual({ method: 'Unknown', name: 'X_ACME_Frobnicate', namespaceUri: CWMP });
  });
  it('a known name in a vendor namespace is that vendor\'s method', () => {
    expect(parse(env('<v:Reboot xmlns:v="urn:acme"/>')).body).toEqual({ method: 'Unknown', name: 'Reboot', namespaceUri: 'urn:acme' });
  });
  it('"constructor" does not reach Object.prototype', () => {
    expect(parse(env('<cwmp:constructor/>')).body).toEqual({ method: 'Unknown', name: 'constructor', namespaceUri: CWMP });
  });
});

describe('structure', () => {
  it('an empty Body is NO_BODY', () => {
    expect(errorCode(env(' \n '))).toBe('NO_BODY');
  });
  it('no Body at all is NO_BODY', () => {
    expect(errorCode(`<e:Envelope xmlns:e="${SOAP}"><e:Header/></e:Envelope>`)).toBe('NO_BODY');
  });
  it('a document that is not a SOAP envelope', () => {
    expect(errorCode('<html><body>hello</body></html>')).toBe('NOT_SOAP_ENVELOPE');
  });
  it('Inform without DeviceId is INVALID_MESSAGE', () => {
    expect(errorCode(env('<cwmp:Inform><MaxEnvelopes>1</MaxEnvelopes></cwmp:Inform>'))).toBe('INVALID_MESSAGE');
  });
  it('a ParameterValueStruct without Name is INVALID_MESSAGE', () => {
    expect(errorCode(env('<cwmp:SetParameterValues><ParameterList><ParameterValueStruct><Value>1</Value></ParameterValueStruct></ParameterList></cwmp:SetParameterValues>'))).toBe(
      'INVALID_MESSAGE',
    );
  });
});

describe('SOAP faults', () => {
  const fault = (code: string, detail: string): string =>
    env(`<soapenv:Fault><faultcode>${code}</faultcode><faultstring>CWMP fault</faultstring><detail>${detail}</detail></soapenv:Fault>`);

  it('prefixed faultcode and SetParameterValuesFault entries', () => {
    const xml = fault(
      'SOAP-ENV:Client',
      '<cwmp:Fault><FaultCode>9003</FaultCode><FaultString>Invalid arguments</FaultString>' +
        '<SetParameterValuesFault><ParameterName> A.B </ParameterName><FaultCode>9007</FaultCode><FaultString>Invalid value</FaultString></SetParameterValuesFault>' +
        '<SetParameterValuesFault><ParameterName>A.C</ParameterName><FaultCode>9008</FaultCode></SetParameterValuesFault></cwmp:Fault>',
    );
    expect(parse(xml).body).toEqual({
      method: 'Fault',
      faultcode: 'Client',
      faultstring: 'CWMP fault',
      detail: {
        faultCode: 9003,
        faultString: 'Invalid arguments',
        setParameterValuesFault: [
          { parameterName: 'A.B', faultCode: 9007, faultString: 'Invalid value' },
          { parameterName: 'A.C', faultCode: 9008, faultString: '' },
        ],
      },
    });
  });
  it('Server faultcode', () => {
    expect((parse(fault('s:Server', '<cwmp:Fault><FaultCode>9002</FaultCode></cwmp:Fault>')).body as { faultcode: string }).faultcode).toBe('Server');
  });
  it('a dotted faultcode refinement (Server.Busy)', () => {
    expect((parse(fault('soapenv:Server.Busy', '<cwmp:Fault><FaultCode>9004</FaultCode></cwmp:Fault>')).body as { faultcode: string }).faultcode).toBe('Server');
  });
  it('the fault\'s CWMP namespace comes from the detail', () => {
    const xml = `<e:Envelope xmlns:e="${SOAP}"><e:Body><e:Fault><faultcode>Client</faultcode><faultstring>x</faultstring><detail><c:Fault xmlns:c="urn:dslforum-org:cwmp-1-2"><FaultCode>9000</FaultCode></c:Fault></detail></e:Fault></e:Body></e:Envelope>`;
    expect(parse(xml).namespace).toBe('urn:dslforum-org:cwmp-1-2');
  });
  it('a SOAP fault without a CWMP detail is NOT_CWMP', () => {
    expect(errorCode(env('<soapenv:Fault><faultcode>Server</faultcode><faultstring>oops</faultstring></soapenv:Fault>'))).toBe('NOT_CWMP');
  });
});

describe('software modules', () => {
  it('Operations without xsi:type are recognised by their fields', () => {
    const xml = env(
      '<cwmp:ChangeDUState><Operations><URL>http://x/a.ipk</URL></Operations><Operations><UUID>u</UUID><Version>2</Version><URL>http://x/b</URL></Operations>' +
        '<Operations><UUID>u</UUID></Operations><CommandKey>k</CommandKey></cwmp:ChangeDUState>',
    );
    expect((parse(xml).body as { operations: { op: string }[] }).operations.map((o) => o.op)).toEqual(['Install', 'Update', 'Uninstall']);
  });
  it('SOAP-array style wrappers around OpResultStruct', () => {
    const xml = env(
      '<cwmp:DUStateChangeComplete><Results soapenc:arrayType="cwmp:OpResultStruct[2]"><OpResultStruct><UUID>a</UUID><Resolved>1</Resolved></OpResultStruct>' +
        '<OpResultStruct><UUID>b</UUID></OpResultStruct></Results><CommandKey>k</CommandKey></cwmp:DUStateChangeComplete>',
    );
    expect((parse(xml).body as { results: { uuid: string; resolved: boolean }[] }).results.map((r) => [r.uuid, r.resolved])).toEqual([
      ['a', true],
      ['b', false],
    ]);
  });
});

describe('framing', () => {
  const plain = env('<cwmp:GetRPCMethods/>');
  it('whitespace before the XML declaration', () => {
    expect(parse(`\r\n  <?xml version="1.0" encoding="UTF-8"?>${plain}`).body.method).toBe('GetRPCMethods');
  });
  it('a trailing NUL (C string terminator in Content-Length)', () => {
    expect(parse(`${plain}\0`).body.method).toBe('GetRPCMethods');
  });
  it('a BOM left in the string', () => {
    expect(parse(`\uFEFF${plain}`).body.method).toBe('GetRPCMethods');
  });
});
