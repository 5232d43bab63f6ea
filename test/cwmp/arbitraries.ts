/**
 * fast-check arbitraries for every CWMP message in src/cwmp/types.ts. The `bodies` table is
 * typed over CwmpMethod, so adding a message to types.ts without an arbitrary here fails to
 * compile: the round-trip property cannot silently skip a message.
 *
 * Generated values are "normalized" in the sense of the codec's contract: fields the codec
 * trims have no surrounding whitespace, xsd:boolean values are "true"/"false", and text
 * contains only characters XML 1.0 can carry (the codec drops the others on purpose).
 */
import fc from 'fast-check';
import { KNOWN_METHODS } from '../../src/cwmp/codec.js';
import {
  CWMP_NAMESPACES,
  type CwmpBody,
  type CwmpHeader,
  type CwmpMethod,
  type DuOperation,
  type DuOpResult,
  type Envelope,
  type Notification,
  type ParameterValue,
} from '../../src/cwmp/types.js';

type BodyOf<M extends CwmpMethod> = Extract<CwmpBody, { method: M }>;

// eslint-disable-next-line no-control-regex -- the characters XML 1.0 cannot carry
const NOT_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** Pieces that stress escaping and encoding: markup, CR/LF/TAB, CDATA end, non-ASCII, astral. */
const tricky = fc.constantFrom('&', '<', '>', '"', "'", '\r', '\n', '\r\n', '\t', ' ', ']]>', '&amp;', '&#13;', 'é', 'Ω', '中文', '😀', '\u00A0', 'ß');

/** Free text, kept verbatim by the codec (values, command keys, fault strings). */
export const text: fc.Arbitrary<string> = fc
  .array(fc.oneof(tricky, fc.string({ maxLength: 6 }), fc.string({ unit: 'grapheme', maxLength: 3 })), { maxLength: 6 })
  .map((parts) => parts.join('').replace(NOT_XML, ''));

/** Text the codec trims (names, URLs, enumerations, dates). */
export const trimmed: fc.Arbitrary<string> = text.map((s) => s.trim());

const u32 = fc.nat({ max: 0xffffffff });
const int32 = fc.integer({ min: -0x80000000, max: 0x7fffffff });
const status = fc.constantFrom<0 | 1>(0, 1);
const notification = fc.integer({ min: 0, max: 6 }) as fc.Arbitrary<Notification>;

const XSD_TYPES = ['xsd:string', 'xsd:int', 'xsd:unsignedInt', 'xsd:long', 'xsd:unsignedLong', 'xsd:dateTime', 'xsd:base64', 'xsd:hexBinary', ''];

export const parameterValue: fc.Arbitrary<ParameterValue> = fc.oneof(
  fc.record({ name: trimmed, value: text, type: fc.constantFrom(...XSD_TYPES) }),
  fc.record({ name: trimmed, value: fc.constantFrom('true', 'false'), type: fc.constant('xsd:boolean') }),
);

const list = <T>(a: fc.Arbitrary<T>, maxLength = 4): fc.Arbitrary<T[]> => fc.array(a, { maxLength });
const faultStruct = fc.record({ faultCode: u32, faultString: text });
const parameterValues = list(parameterValue, 6);

const duOperation: fc.Arbitrary<DuOperation> = fc.oneof(
  fc.record({ op: fc.constant('Install' as const), url: trimmed, uuid: trimmed, username: text, password: text, executionEnvRef: trimmed }),
  fc.record({ op: fc.constant('Update' as const), uuid: trimmed, version: trimmed, url: trimmed, username: text, password: text }),
  fc.record({ op: fc.constant('Uninstall' as const), uuid: trimmed, version: trimmed, executionEnvRef: trimmed }),
);
const duOpResult: fc.Arbitrary<DuOpResult> = fc.record({
  uuid: trimmed,
  deploymentUnitRef: trimmed,
  version: trimmed,
  currentState: trimmed,
  resolved: fc.boolean(),
  executionUnitRefList: trimmed,
  startTime: trimmed,
  completeTime: trimmed,
  fault: faultStruct,
});

const m = <M extends CwmpMethod>(method: M) => fc.constant(method);
const empty = <M extends CwmpMethod>(method: M): fc.Arbitrary<BodyOf<M>> => fc.constant({ method } as BodyOf<M>);

export const bodies: { [M in CwmpMethod]: fc.Arbitrary<BodyOf<M>> } = {
  Inform: fc.record({
    method: m('Inform'),
    deviceId: fc.record({ manufacturer: trimmed, oui: trimmed, productClass: trimmed, serialNumber: trimmed }),
    event: list(fc.record({ eventCode: trimmed, commandKey: text })),
    maxEnvelopes: u32,
    currentTime: trimmed,
    retryCount: u32,
    parameterList: parameterValues,
  }),
  InformResponse: fc.record({ method: m('InformResponse'), maxEnvelopes: u32 }),
  TransferComplete: fc.record({ method: m('TransferComplete'), commandKey: text, faultStruct, startTime: trimmed, completeTime: trimmed }),
  TransferCompleteResponse: empty('TransferCompleteResponse'),
  AutonomousTransferComplete: fc.record({
    method: m('AutonomousTransferComplete'),
    announceURL: trimmed,
    transferURL: trimmed,
    isDownload: fc.boolean(),
    fileType: trimmed,
    fileSize: u32,
    targetFileName: text,
    faultStruct,
    startTime: trimmed,
    completeTime: trimmed,
  }),
  AutonomousTransferCompleteResponse: empty('AutonomousTransferCompleteResponse'),
  RequestDownload: fc.record({ method: m('RequestDownload'), fileType: trimmed, fileTypeArg: list(fc.record({ name: trimmed, value: text })) }),
  RequestDownloadResponse: empty('RequestDownloadResponse'),
  Kicked: fc.record({ method: m('Kicked'), command: trimmed, referer: trimmed, arg: text, next: trimmed }),
  KickedResponse: fc.record({ method: m('KickedResponse'), nextURL: trimmed }),
  DUStateChangeComplete: fc.record({ method: m('DUStateChangeComplete'), results: list(duOpResult), commandKey: text }),
  DUStateChangeCompleteResponse: empty('DUStateChangeCompleteResponse'),
  AutonomousDUStateChangeComplete: fc.record({
    method: m('AutonomousDUStateChangeComplete'),
    results: list(fc.tuple(duOpResult, trimmed).map(([r, operationPerformed]) => ({ ...r, operationPerformed }))),
  }),
  AutonomousDUStateChangeCompleteResponse: empty('AutonomousDUStateChangeCompleteResponse'),
  GetRPCMethods: empty('GetRPCMethods'),
  GetRPCMethodsResponse: fc.record({ method: m('GetRPCMethodsResponse'), methodList: list(trimmed, 8) }),
  SetParameterValues: fc.record({ method: m('SetParameterValues'), parameterList: parameterValues, parameterKey: text }),
  SetParameterValuesResponse: fc.record({ method: m('SetParameterValuesResponse'), status }),
  GetParameterValues: fc.record({ method: m('GetParameterValues'), parameterNames: list(trimmed, 8) }),
  GetParameterValuesResponse: fc.record({ method: m('GetParameterValuesResponse'), parameterList: parameterValues }),
  GetParameterNames: fc.record({ method: m('GetParameterNames'), parameterPath: trimmed, nextLevel: fc.boolean() }),
  GetParameterNamesResponse: fc.record({ method: m('GetParameterNamesResponse'), parameterList: list(fc.record({ name: trimmed, writable: fc.boolean() }), 8) }),
  SetParameterAttributes: fc.record({
    method: m('SetParameterAttributes'),
    parameterList: list(
      fc.record({ name: trimmed, notificationChange: fc.boolean(), notification, accessListChange: fc.boolean(), accessList: list(trimmed, 2) }),
    ),
  }),
  SetParameterAttributesResponse: empty('SetParameterAttributesResponse'),
  GetParameterAttributes: fc.record({ method: m('GetParameterAttributes'), parameterNames: list(trimmed) }),
  GetParameterAttributesResponse: fc.record({
    method: m('GetParameterAttributesResponse'),
    parameterList: list(fc.record({ name: trimmed, notification, accessList: list(trimmed, 2) })),
  }),
  AddObject: fc.record({ method: m('AddObject'), objectName: trimmed, parameterKey: text }),
  AddObjectResponse: fc.record({ method: m('AddObjectResponse'), instanceNumber: u32, status }),
  DeleteObject: fc.record({ method: m('DeleteObject'), objectName: trimmed, parameterKey: text }),
  DeleteObjectResponse: fc.record({ method: m('DeleteObjectResponse'), status }),
  Reboot: fc.record({ method: m('Reboot'), commandKey: text }),
  RebootResponse: empty('RebootResponse'),
  Download: fc.record({
    method: m('Download'),
    commandKey: text,
    fileType: trimmed,
    url: trimmed,
    username: text,
    password: text,
    fileSize: u32,
    targetFileName: text,
    delaySeconds: u32,
    successURL: trimmed,
    failureURL: trimmed,
  }),
  DownloadResponse: fc.record({ method: m('DownloadResponse'), status, startTime: trimmed, completeTime: trimmed }),
  Upload: fc.record({ method: m('Upload'), commandKey: text, fileType: trimmed, url: trimmed, username: text, password: text, delaySeconds: u32 }),
  UploadResponse: fc.record({ method: m('UploadResponse'), status, startTime: trimmed, completeTime: trimmed }),
  FactoryReset: empty('FactoryReset'),
  FactoryResetResponse: empty('FactoryResetResponse'),
  GetQueuedTransfers: empty('GetQueuedTransfers'),
  GetQueuedTransfersResponse: fc.record({ method: m('GetQueuedTransfersResponse'), transferList: list(fc.record({ commandKey: text, state: fc.constantFrom(1, 2, 3) })) }),
  GetAllQueuedTransfers: empty('GetAllQueuedTransfers'),
  GetAllQueuedTransfersResponse: fc.record({
    method: m('GetAllQueuedTransfersResponse'),
    transferList: list(
      fc.record({ commandKey: text, state: fc.constantFrom(1, 2, 3), isDownload: fc.boolean(), fileType: trimmed, fileSize: u32, targetFileName: text }),
    ),
  }),
  ScheduleInform: fc.record({ method: m('ScheduleInform'), delaySeconds: u32, commandKey: text }),
  ScheduleInformResponse: empty('ScheduleInformResponse'),
  SetVouchers: fc.record({ method: m('SetVouchers'), voucherList: list(fc.base64String({ maxLength: 40 })) }),
  SetVouchersResponse: empty('SetVouchersResponse'),
  GetOptions: fc.record({ method: m('GetOptions'), optionName: trimmed }),
  GetOptionsResponse: fc.record({
    method: m('GetOptionsResponse'),
    optionList: list(
      fc.record({
        optionName: trimmed,
        voucherSN: u32,
        state: fc.constantFrom(0, 1, 2, 3),
        mode: trimmed,
        startDate: trimmed,
        expirationDate: trimmed,
        isTransferable: fc.boolean(),
      }),
    ),
  }),
  ScheduleDownload: fc.record({
    method: m('ScheduleDownload'),
    commandKey: text,
    fileType: trimmed,
    url: trimmed,
    username: text,
    password: text,
    fileSize: u32,
    targetFileName: text,
    timeWindowList: list(fc.record({ windowStart: u32, windowEnd: u32, windowMode: trimmed, userMessage: text, maxRetries: int32 }), 2),
  }),
  ScheduleDownloadResponse: empty('ScheduleDownloadResponse'),
  CancelTransfer: fc.record({ method: m('CancelTransfer'), commandKey: text }),
  CancelTransferResponse: empty('CancelTransferResponse'),
  ChangeDUState: fc.record({ method: m('ChangeDUState'), operations: list(duOperation), commandKey: text }),
  ChangeDUStateResponse: empty('ChangeDUStateResponse'),
  Fault: fc.record({
    method: m('Fault'),
    faultcode: fc.constantFrom('Client' as const, 'Server' as const),
    faultstring: text,
    detail: fc.record({
      faultCode: u32,
      faultString: text,
      setParameterValuesFault: list(fc.record({ parameterName: trimmed, faultCode: u32, faultString: text })),
    }),
  }),
  Unknown: fc.record({
    method: m('Unknown'),
    name: fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,20}$/).filter((n) => !(KNOWN_METHODS as readonly string[]).includes(n)),
    // Filled in by `envelope` below: the CWMP namespace in use, none, or a vendor's.
    namespaceUri: fc.constant(''),
  }),
};

export const header: fc.Arbitrary<CwmpHeader> = fc.record(
  {
    id: text,
    holdRequests: fc.boolean(),
    noMoreRequests: fc.boolean(),
    sessionTimeout: u32,
    supportedCwmpVersions: trimmed,
    useCwmpVersion: trimmed,
  },
  { requiredKeys: [] },
);

export const namespace = fc.constantFrom(...CWMP_NAMESPACES);

/** An envelope around the given body arbitrary. */
export function envelope(body: fc.Arbitrary<CwmpBody>): fc.Arbitrary<Envelope> {
  return fc.record({ namespace, header, body, vendorNs: fc.constantFrom('same', '', 'urn:example-com:vendor-rpc') }).map(({ namespace, header, body, vendorNs }) => ({
    namespace,
    header,
    body: body.method === 'Unknown' ? { ...body, namespaceUri: vendorNs === 'same' ? namespace : vendorNs } : body,
  }));
}

export const anyBody: fc.Arbitrary<CwmpBody> = fc.oneof(...(Object.values(bodies) as fc.Arbitrary<CwmpBody>[]));
