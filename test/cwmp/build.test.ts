/** What buildEnvelope and buildFault put on the wire. */
import { describe, expect, it } from 'vitest';
import { buildEnvelope, buildFault, parseEnvelope } from '../../src/cwmp/codec.js';
import { ProtocolError } from '../../src/cwmp/errors.js';
import type { CwmpBody, Envelope } from '../../src/cwmp/types.js';

const NS0 = 'urn:dslforum-org:cwmp-1-0';
const build = (body: CwmpBody, opts?: Parameters<typeof buildEnvelope>[1], header: Envelope['header'] = {}): string =>
  buildEnvelope({ namespace: NS0, header, body }, opts);
const pv = (name: string, value: string, type = 'xsd:string') => ({ name, value, type });

describe('envelope', () => {
  it('declares soap-env, soap-enc, xsd, xsi and cwmp on the Envelope', () => {
    const xml = build({ method: 'GetRPCMethods' });
    for (const decl of [
      'xmlns:soap-env="http://schemas.xmlsoap.org/soap/envelope/"',
      'xmlns:soap-enc="http://schemas.xmlsoap.org/soap/encoding/"',
      'xmlns:xsd="http://www.w3.org/2001/XMLSchema"',
      'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"',
      `xmlns:cwmp="${NS0}"`,
    ]) {
      expect(xml).toContain(decl);
    }
    expect(xml).toContain('<soap-env:Body><cwmp:GetRPCMethods/></soap-env:Body>');
  });

  it('no Header element when there is nothing to say', () => {
    expect(build({ method: 'GetRPCMethods' })).not.toContain('Header');
  });

  it('mustUnderstand 1 on ID, HoldRequests and UseCWMPVersion; 0 on the advisory ones', () => {
    const xml = build({ method: 'GetRPCMethods' }, {}, { id: 'abc', holdRequests: true, sessionTimeout: 30, supportedCwmpVersions: '1.0,1.4', useCwmpVersion: '1.4' });
    expect(xml).toContain('<cwmp:ID soap-env:mustUnderstand="1">abc</cwmp:ID>');
    expect(xml).toContain('<cwmp:HoldRequests soap-env:mustUnderstand="1">1</cwmp:HoldRequests>');
    expect(xml).toContain('<cwmp:UseCWMPVersion soap-env:mustUnderstand="1">1.4</cwmp:UseCWMPVersion>');
    expect(xml).toContain('<cwmp:SessionTimeout soap-env:mustUnderstand="0">30</cwmp:SessionTimeout>');
    expect(xml).toContain('<cwmp:SupportedCWMPVersions soap-env:mustUnderstand="0">1.0,1.4</cwmp:SupportedCWMPVersions>');
  });

  it('custom prefixes', () => {
    const xml = build({ method: 'Reboot', commandKey: 'k' }, { prefixes: { soapenv: 'SOAP-ENV', cwmp: 'c' } });
    expect(xml).toContain('<SOAP-ENV:Envelope xmlns:SOAP-ENV=');
    expect(xml).toContain('<c:Reboot><CommandKey>k</CommandKey></c:Reboot>');
  });

  it('refuses an unusable prefix', () => {
    expect(() => build({ method: 'GetRPCMethods' }, { prefixes: { cwmp: 'xsd' } })).toThrow(ProtocolError);
    expect(() => build({ method: 'GetRPCMethods' }, { prefixes: { soapenv: 'a b' } })).toThrow(ProtocolError);
  });
});

describe('escaping', () => {
  it('escapes the five markup characters', () => {
    const xml = build({ method: 'Reboot', commandKey: `<&>"'` });
    expect(xml).toContain('<CommandKey>&lt;&amp;&gt;&quot;&apos;</CommandKey>');
  });

  it('keeps CR through the reader by writing it as a reference', () => {
    const xml = build({ method: 'Reboot', commandKey: 'a\r\nb' });
    expect(xml).toContain('a&#13;\nb');
    const r = parseEnvelope(xml);
    expect(r.ok && r.value.body).toEqual({ method: 'Reboot', commandKey: 'a\r\nb' });
  });

  it('drops characters XML 1.0 cannot carry', () => {
    const xml = build({ method: 'Reboot', commandKey: 'a\u0000b\u0007c\uFFFEd\uD800e' });
    expect(xml).toContain('<CommandKey>abcde</CommandKey>');
    expect(parseEnvelope(xml).ok).toBe(true);
  });

  it('keeps astral characters intact', () => {
    expect(build({ method: 'Reboot', commandKey: '😀' })).toContain('<CommandKey>😀</CommandKey>');
  });

  it('escapes attribute values, TAB and LF included', () => {
    const xml = build({ method: 'GetParameterValuesResponse', parameterList: [pv('A', '1', 'x\t"<')] });
    expect(xml).toContain('xsi:type="x&#9;&quot;&lt;"');
  });
});

describe('parameter values and arrays', () => {
  const gpvr: CwmpBody = { method: 'GetParameterValuesResponse', parameterList: [pv('A.B', '1', 'xsd:unsignedInt'), pv('A.C', 'x', '')] };

  it('xsi:type on each Value, none when the type is ""', () => {
    const xml = build(gpvr);
    expect(xml).toContain('<ParameterValueStruct><Name>A.B</Name><Value xsi:type="xsd:unsignedInt">1</Value></ParameterValueStruct>');
    expect(xml).toContain('<ParameterValueStruct><Name>A.C</Name><Value>x</Value></ParameterValueStruct>');
  });

  it('omitXsiType', () => {
    expect(build(gpvr, { omitXsiType: true })).not.toContain('xsi:type');
  });

  it.each([
    ['exact', 'soap-enc:arrayType="cwmp:ParameterValueStruct[2]"'],
    ['padded', 'soap-enc:arrayType="cwmp:ParameterValueStruct[0002]"'],
    ['wrong', 'soap-enc:arrayType="cwmp:ParameterValueStruct[3]"'],
  ] as const)('arraySize %s', (arraySize, expected) => {
    expect(build(gpvr, { arraySize })).toContain(expected);
  });

  it('arraySize none', () => {
    expect(build(gpvr, { arraySize: 'none' })).toContain('<ParameterList><ParameterValueStruct>');
  });

  it.each<[string, CwmpBody, string]>([
    ['ParameterNames', { method: 'GetParameterValues', parameterNames: ['A.', 'B'] }, '<ParameterNames soap-enc:arrayType="xsd:string[2]"><string>A.</string><string>B</string></ParameterNames>'],
    ['MethodList', { method: 'GetRPCMethodsResponse', methodList: ['Inform'] }, '<MethodList soap-enc:arrayType="xsd:string[1]"><string>Inform</string></MethodList>'],
    [
      'EventStruct',
      {
        method: 'Inform',
        deviceId: { manufacturer: 'M', oui: '000000', productClass: 'P', serialNumber: 'S' },
        event: [{ eventCode: '1 BOOT', commandKey: '' }],
        maxEnvelopes: 1,
        currentTime: '2024-01-01T00:00:00Z',
        retryCount: 0,
        parameterList: [],
      },
      '<Event soap-enc:arrayType="cwmp:EventStruct[1]"><EventStruct><EventCode>1 BOOT</EventCode><CommandKey></CommandKey></EventStruct></Event>',
    ],
    ['ParameterInfoStruct', { method: 'GetParameterNamesResponse', parameterList: [{ name: 'A', writable: true }] }, 'arrayType="cwmp:ParameterInfoStruct[1]"><ParameterInfoStruct><Name>A</Name><Writable>1</Writable>'],
    [
      'SetParameterAttributesStruct',
      { method: 'SetParameterAttributes', parameterList: [{ name: 'A', notificationChange: true, notification: 2, accessListChange: false, accessList: ['Subscriber'] }] },
      'arrayType="cwmp:SetParameterAttributesStruct[1]"><SetParameterAttributesStruct><Name>A</Name><NotificationChange>1</NotificationChange><Notification>2</Notification><AccessListChange>0</AccessListChange><AccessList soap-enc:arrayType="xsd:string[1]"><string>Subscriber</string></AccessList>',
    ],
    ['ParameterAttributeStruct', { method: 'GetParameterAttributesResponse', parameterList: [{ name: 'A', notification: 1, accessList: [] }] }, 'arrayType="cwmp:ParameterAttributeStruct[1]"'],
    [
      'TimeWindowStruct',
      { method: 'ScheduleDownload', commandKey: '', fileType: '1 Firmware Upgrade Image', url: 'u', username: '', password: '', fileSize: 0, targetFileName: '', timeWindowList: [{ windowStart: 0, windowEnd: 60, windowMode: '1 At Any Time', userMessage: '', maxRetries: -1 }] },
      'arrayType="cwmp:TimeWindowStruct[1]"><TimeWindowStruct><WindowStart>0</WindowStart><WindowEnd>60</WindowEnd><WindowMode>1 At Any Time</WindowMode><UserMessage></UserMessage><MaxRetries>-1</MaxRetries>',
    ],
    ['QueuedTransferStruct', { method: 'GetQueuedTransfersResponse', transferList: [{ commandKey: 'k', state: 2 }] }, 'arrayType="cwmp:QueuedTransferStruct[1]"'],
    [
      'AllQueuedTransferStruct',
      { method: 'GetAllQueuedTransfersResponse', transferList: [{ commandKey: 'k', state: 1, isDownload: true, fileType: '1 Firmware Upgrade Image', fileSize: 1, targetFileName: '' }] },
      'arrayType="cwmp:AllQueuedTransferStruct[1]"',
    ],
    ['base64', { method: 'SetVouchers', voucherList: ['AAAA'] }, '<VoucherList soap-enc:arrayType="soap-enc:base64[1]"><base64>AAAA</base64></VoucherList>'],
    [
      'OptionStruct',
      { method: 'GetOptionsResponse', optionList: [{ optionName: 'o', voucherSN: 1, state: 1, mode: '0', startDate: 'd', expirationDate: '', isTransferable: true }] },
      'arrayType="cwmp:OptionStruct[1]"><OptionStruct><OptionName>o</OptionName><VoucherSN>1</VoucherSN><State>1</State><Mode>0</Mode><StartDate>d</StartDate><IsTransferable>1</IsTransferable></OptionStruct>',
    ],
    ['ArgStruct', { method: 'RequestDownload', fileType: '2 Web Content', fileTypeArg: [{ name: 'n', value: 'v' }] }, '<FileTypeArg soap-enc:arrayType="cwmp:ArgStruct[1]"><ArgStruct><Name>n</Name><Value>v</Value></ArgStruct></FileTypeArg>'],
  ])('%s array', (_name, body, expected) => {
    expect(build(body)).toContain(expected);
  });

  it('ChangeDUState operations carry their xsi:type', () => {
    const xml = build({ method: 'ChangeDUState', operations: [{ op: 'Uninstall', uuid: 'u', version: '', executionEnvRef: '' }], commandKey: '' }, { prefixes: { cwmp: 'c' } });
    expect(xml).toContain('<Operations xsi:type="c:UninstallOpStruct"><UUID>u</UUID>');
  });

  it('booleans as words', () => {
    expect(build({ method: 'GetParameterNames', parameterPath: 'Device.', nextLevel: true }, { booleans: 'words' })).toContain('<NextLevel>true</NextLevel>');
  });

  it('an Unknown body in a vendor namespace', () => {
    expect(build({ method: 'Unknown', name: 'X_Foo', namespaceUri: 'urn:acme' })).toContain('<u:X_Foo xmlns:u="urn:acme"/>');
  });
});

describe('buildFault', () => {
  const parsed = (xml: string) => {
    const r = parseEnvelope(xml);
    if (!r.ok) throw r.error;
    return r.value;
  };

  it('answers a request with its ID, Client for argument faults, the standard string', () => {
    const env = parsed(buildFault('urn:dslforum-org:cwmp-1-2', '42', 9005));
    expect(env).toEqual({
      namespace: 'urn:dslforum-org:cwmp-1-2',
      header: { id: '42' },
      body: { method: 'Fault', faultcode: 'Client', faultstring: 'CWMP fault', detail: { faultCode: 9005, faultString: 'Invalid parameter name', setParameterValuesFault: [] } },
    });
  });

  it.each([
    [8003, 'Client'],
    [9003, 'Client'],
    [9007, 'Client'],
    [9008, 'Client'],
    [8000, 'Server'],
    [8002, 'Server'],
    [8005, 'Server'],
    [9001, 'Server'],
    [9002, 'Server'],
    [9010, 'Server'],
    [9850, 'Server'],
  ])('fault %d is %s', (code, who) => {
    expect((parsed(buildFault(NS0, undefined, code)).body as { faultcode: string }).faultcode).toBe(who);
  });

  it('SetParameterValuesFault entries and a custom string', () => {
    const spv = [{ parameterName: 'Device.X', faultCode: 9007, faultString: 'bad' }];
    const xml = buildFault(NS0, '1', 9003, 'nope', spv);
    expect(xml).toContain('<faultcode>Client</faultcode><faultstring>CWMP fault</faultstring><detail><cwmp:Fault><FaultCode>9003</FaultCode><FaultString>nope</FaultString><SetParameterValuesFault>');
    expect(parsed(xml).body).toMatchObject({ detail: { faultString: 'nope', setParameterValuesFault: spv } });
  });

  it('no Header without an ID', () => {
    expect(buildFault(NS0, undefined, 8000)).not.toContain('Header');
  });
});
