/**
 * CWMP message model (TR-069 Amendment 6, schemas cwmp-1-0.xsd … cwmp-1-4.xsd).
 *
 * Every SOAP body is one member of the `CwmpBody` union, discriminated by `method`
 * (the element's local name). Values keep the lexical form they had on the wire
 * (strings), so a build → parse round trip is the identity and nothing is lost to a
 * premature conversion; `value.ts` holds the tolerant readers (booleans 0/1, dates
 * without zone) that callers use when they need a typed value.
 */

/** The three CWMP namespaces; 1.3 and 1.4 keep the 1-2 namespace (TR-069 A.2.1). */
export const CWMP_NAMESPACES = [
  'urn:dslforum-org:cwmp-1-0',
  'urn:dslforum-org:cwmp-1-1',
  'urn:dslforum-org:cwmp-1-2',
] as const;
export type CwmpNamespace = (typeof CWMP_NAMESPACES)[number];

/** SOAP header fields (TR-069 A.4.1). All optional: many CPEs send only ID. */
export interface CwmpHeader {
  id?: string;
  holdRequests?: boolean;
  /** Deprecated since 1.1 but still sent by real devices. */
  noMoreRequests?: boolean;
  /** Seconds (CWMP 1.3+). */
  sessionTimeout?: number;
  /** Comma-separated list such as "1.0,1.1,1.2,1.3,1.4" (CWMP 1.4). */
  supportedCwmpVersions?: string;
  /** The version the ACS chose (CWMP 1.4). */
  useCwmpVersion?: string;
}

/** The wire type of a value, e.g. "xsd:string", "xsd:unsignedInt". Empty when the CPE omitted xsi:type. */
export type XsdType = string;

export interface ParameterValue {
  name: string;
  value: string;
  type: XsdType;
}

export interface ParameterInfo {
  name: string;
  writable: boolean;
}

/** Notification 0 off, 1 passive, 2 active, 3–6 lightweight variants (CWMP 1.4). */
export type Notification = 0 | 1 | 2 | 3 | 4 | 5 | 6;

export interface ParameterAttribute {
  name: string;
  notification: Notification;
  accessList: string[];
}

export interface SetParameterAttribute {
  name: string;
  notificationChange: boolean;
  notification: Notification;
  accessListChange: boolean;
  accessList: string[];
}

export interface DeviceIdStruct {
  manufacturer: string;
  oui: string;
  productClass: string;
  serialNumber: string;
}

export interface EventStruct {
  eventCode: string;
  commandKey: string;
}

export interface FaultStruct {
  faultCode: number;
  faultString: string;
}

export interface TimeWindow {
  windowStart: number;
  windowEnd: number;
  windowMode: string;
  userMessage: string;
  maxRetries: number;
}

export interface QueuedTransfer {
  commandKey: string;
  /** 1 not yet started, 2 in progress, 3 completed. */
  state: number;
}

export interface AllQueuedTransfer extends QueuedTransfer {
  isDownload: boolean;
  fileType: string;
  fileSize: number;
  targetFileName: string;
}

export type DuOperation =
  | { op: 'Install'; url: string; uuid: string; username: string; password: string; executionEnvRef: string }
  | { op: 'Update'; uuid: string; version: string; url: string; username: string; password: string }
  | { op: 'Uninstall'; uuid: string; version: string; executionEnvRef: string };

export interface DuOpResult {
  uuid: string;
  deploymentUnitRef: string;
  version: string;
  currentState: string;
  resolved: boolean;
  executionUnitRefList: string;
  startTime: string;
  completeTime: string;
  fault: FaultStruct;
}

export interface AutonDuOpResult extends DuOpResult {
  operationPerformed: string;
}

export interface OptionStruct {
  optionName: string;
  voucherSN: number;
  state: number;
  mode: string;
  startDate: string;
  expirationDate: string;
  isTransferable: boolean;
}

export interface ArgStruct {
  name: string;
  value: string;
}

// ---------------------------------------------------------------------------
// CPE → ACS requests (TR-069 A.3.3) and the ACS's responses
// ---------------------------------------------------------------------------

export interface Inform {
  method: 'Inform';
  deviceId: DeviceIdStruct;
  event: EventStruct[];
  maxEnvelopes: number;
  /** Lexical form as sent; may lack a zone or be malformed (see value.ts). */
  currentTime: string;
  retryCount: number;
  parameterList: ParameterValue[];
}
export interface InformResponse {
  method: 'InformResponse';
  maxEnvelopes: number;
}

export interface TransferComplete {
  method: 'TransferComplete';
  commandKey: string;
  faultStruct: FaultStruct;
  startTime: string;
  completeTime: string;
}
export interface TransferCompleteResponse {
  method: 'TransferCompleteResponse';
}

export interface AutonomousTransferComplete {
  method: 'AutonomousTransferComplete';
  announceURL: string;
  transferURL: string;
  isDownload: boolean;
  fileType: string;
  fileSize: number;
  targetFileName: string;
  faultStruct: FaultStruct;
  startTime: string;
  completeTime: string;
}
export interface AutonomousTransferCompleteResponse {
  method: 'AutonomousTransferCompleteResponse';
}

export interface RequestDownload {
  method: 'RequestDownload';
  fileType: string;
  fileTypeArg: ArgStruct[];
}
export interface RequestDownloadResponse {
  method: 'RequestDownloadResponse';
}

export interface Kicked {
  method: 'Kicked';
  command: string;
  referer: string;
  arg: string;
  next: string;
}
export interface KickedResponse {
  method: 'KickedResponse';
  nextURL: string;
}

export interface DUStateChangeComplete {
  method: 'DUStateChangeComplete';
  results: DuOpResult[];
  commandKey: string;
}
export interface DUStateChangeCompleteResponse {
  method: 'DUStateChangeCompleteResponse';
}

export interface AutonomousDUStateChangeComplete {
  method: 'AutonomousDUStateChangeComplete';
  results: AutonDuOpResult[];
}
export interface AutonomousDUStateChangeCompleteResponse {
  method: 'AutonomousDUStateChangeCompleteResponse';
}

/** GetRPCMethods travels in both directions (A.3.1.1). */
export interface GetRPCMethods {
  method: 'GetRPCMethods';
}
export interface GetRPCMethodsResponse {
  method: 'GetRPCMethodsResponse';
  methodList: string[];
}

// ---------------------------------------------------------------------------
// ACS → CPE requests (TR-069 A.3.2) and the CPE's responses
// ---------------------------------------------------------------------------

export interface SetParameterValues {
  method: 'SetParameterValues';
  parameterList: ParameterValue[];
  parameterKey: string;
}
export interface SetParameterValuesResponse {
  method: 'SetParameterValuesResponse';
  /** 0 applied, 1 applied after reboot/commit. */
  status: 0 | 1;
}

export interface GetParameterValues {
  method: 'GetParameterValues';
  parameterNames: string[];
}
export interface GetParameterValuesResponse {
  method: 'GetParameterValuesResponse';
  parameterList: ParameterValue[];
}

export interface GetParameterNames {
  method: 'GetParameterNames';
  parameterPath: string;
  nextLevel: boolean;
}
export interface GetParameterNamesResponse {
  method: 'GetParameterNamesResponse';
  parameterList: ParameterInfo[];
}

export interface SetParameterAttributes {
  method: 'SetParameterAttributes';
  parameterList: SetParameterAttribute[];
}
export interface SetParameterAttributesResponse {
  method: 'SetParameterAttributesResponse';
}

export interface GetParameterAttributes {
  method: 'GetParameterAttributes';
  parameterNames: string[];
}
export interface GetParameterAttributesResponse {
  method: 'GetParameterAttributesResponse';
  parameterList: ParameterAttribute[];
}

export interface AddObject {
  method: 'AddObject';
  objectName: string;
  parameterKey: string;
}
export interface AddObjectResponse {
  method: 'AddObjectResponse';
  instanceNumber: number;
  status: 0 | 1;
}

export interface DeleteObject {
  method: 'DeleteObject';
  objectName: string;
  parameterKey: string;
}
export interface DeleteObjectResponse {
  method: 'DeleteObjectResponse';
  status: 0 | 1;
}

export interface Reboot {
  method: 'Reboot';
  commandKey: string;
}
export interface RebootResponse {
  method: 'RebootResponse';
}

/** What every transfer request names: where, how to log in, and the key its completion echoes. */
export interface TransferTarget {
  commandKey: string;
  fileType: string;
  url: string;
  username: string;
  password: string;
}

/** The file a download fetches, beyond its target. */
export interface DownloadFile extends TransferTarget {
  fileSize: number;
  targetFileName: string;
}

export interface Download extends DownloadFile {
  method: 'Download';
  delaySeconds: number;
  successURL: string;
  failureURL: string;
}
export interface DownloadResponse {
  method: 'DownloadResponse';
  /** 0 done, 1 not yet (TransferComplete follows). */
  status: 0 | 1;
  startTime: string;
  completeTime: string;
}

export interface Upload extends TransferTarget {
  method: 'Upload';
  delaySeconds: number;
}
export interface UploadResponse {
  method: 'UploadResponse';
  status: 0 | 1;
  startTime: string;
  completeTime: string;
}

export interface FactoryReset {
  method: 'FactoryReset';
}
export interface FactoryResetResponse {
  method: 'FactoryResetResponse';
}

export interface GetQueuedTransfers {
  method: 'GetQueuedTransfers';
}
export interface GetQueuedTransfersResponse {
  method: 'GetQueuedTransfersResponse';
  transferList: QueuedTransfer[];
}

export interface GetAllQueuedTransfers {
  method: 'GetAllQueuedTransfers';
}
export interface GetAllQueuedTransfersResponse {
  method: 'GetAllQueuedTransfersResponse';
  transferList: AllQueuedTransfer[];
}

export interface ScheduleInform {
  method: 'ScheduleInform';
  delaySeconds: number;
  commandKey: string;
}
export interface ScheduleInformResponse {
  method: 'ScheduleInformResponse';
}

export interface SetVouchers {
  method: 'SetVouchers';
  /** base64 signed vouchers. */
  voucherList: string[];
}
export interface SetVouchersResponse {
  method: 'SetVouchersResponse';
}

export interface GetOptions {
  method: 'GetOptions';
  optionName: string;
}
export interface GetOptionsResponse {
  method: 'GetOptionsResponse';
  optionList: OptionStruct[];
}

export interface ScheduleDownload extends DownloadFile {
  method: 'ScheduleDownload';
  timeWindowList: TimeWindow[];
}
export interface ScheduleDownloadResponse {
  method: 'ScheduleDownloadResponse';
}

export interface CancelTransfer {
  method: 'CancelTransfer';
  commandKey: string;
}
export interface CancelTransferResponse {
  method: 'CancelTransferResponse';
}

export interface ChangeDUState {
  method: 'ChangeDUState';
  operations: DuOperation[];
  commandKey: string;
}
export interface ChangeDUStateResponse {
  method: 'ChangeDUStateResponse';
}

// ---------------------------------------------------------------------------
// Faults (TR-069 A.5) and bodies we do not know
// ---------------------------------------------------------------------------

export interface SetParameterValuesFault {
  parameterName: string;
  faultCode: number;
  faultString: string;
}

/** A SOAP Fault carrying a cwmp:Fault detail. */
export interface Fault {
  method: 'Fault';
  /** SOAP faultcode: "Client" (the requester is at fault) or "Server". */
  faultcode: 'Client' | 'Server';
  faultstring: string;
  detail: {
    faultCode: number;
    faultString: string;
    setParameterValuesFault: SetParameterValuesFault[];
  };
}

/** A well-formed body whose method we do not implement; answered with fault 8000 / 9000. */
export interface UnknownMethod {
  method: 'Unknown';
  name: string;
  namespaceUri: string;
}

// ---------------------------------------------------------------------------
// Unions by direction and role
// ---------------------------------------------------------------------------

export type CpeRequest =
  | Inform
  | TransferComplete
  | AutonomousTransferComplete
  | RequestDownload
  | Kicked
  | GetRPCMethods
  | DUStateChangeComplete
  | AutonomousDUStateChangeComplete;

export type AcsResponse =
  | InformResponse
  | TransferCompleteResponse
  | AutonomousTransferCompleteResponse
  | RequestDownloadResponse
  | KickedResponse
  | GetRPCMethodsResponse
  | DUStateChangeCompleteResponse
  | AutonomousDUStateChangeCompleteResponse;

export type AcsRequest =
  | GetRPCMethods
  | SetParameterValues
  | GetParameterValues
  | GetParameterNames
  | SetParameterAttributes
  | GetParameterAttributes
  | AddObject
  | DeleteObject
  | Reboot
  | Download
  | Upload
  | FactoryReset
  | GetQueuedTransfers
  | GetAllQueuedTransfers
  | ScheduleInform
  | SetVouchers
  | GetOptions
  | ScheduleDownload
  | CancelTransfer
  | ChangeDUState;

export type CpeResponse =
  | GetRPCMethodsResponse
  | SetParameterValuesResponse
  | GetParameterValuesResponse
  | GetParameterNamesResponse
  | SetParameterAttributesResponse
  | GetParameterAttributesResponse
  | AddObjectResponse
  | DeleteObjectResponse
  | RebootResponse
  | DownloadResponse
  | UploadResponse
  | FactoryResetResponse
  | GetQueuedTransfersResponse
  | GetAllQueuedTransfersResponse
  | ScheduleInformResponse
  | SetVouchersResponse
  | GetOptionsResponse
  | ScheduleDownloadResponse
  | CancelTransferResponse
  | ChangeDUStateResponse;

/** Every body the codec knows. */
export type CwmpBody = CpeRequest | AcsResponse | AcsRequest | CpeResponse | Fault | UnknownMethod;
export type CwmpMethod = CwmpBody['method'];

/** One SOAP envelope. `namespace` is the CWMP namespace the message used (the ACS answers in the CPE's). */
export interface Envelope<B extends CwmpBody = CwmpBody> {
  namespace: CwmpNamespace;
  header: CwmpHeader;
  body: B;
}

/** The response method name for each ACS→CPE request (used to match a CPE's answer). */
export const ACS_REQUEST_RESPONSE = {
  GetRPCMethods: 'GetRPCMethodsResponse',
  SetParameterValues: 'SetParameterValuesResponse',
  GetParameterValues: 'GetParameterValuesResponse',
  GetParameterNames: 'GetParameterNamesResponse',
  SetParameterAttributes: 'SetParameterAttributesResponse',
  GetParameterAttributes: 'GetParameterAttributesResponse',
  AddObject: 'AddObjectResponse',
  DeleteObject: 'DeleteObjectResponse',
  Reboot: 'RebootResponse',
  Download: 'DownloadResponse',
  Upload: 'UploadResponse',
  FactoryReset: 'FactoryResetResponse',
  GetQueuedTransfers: 'GetQueuedTransfersResponse',
  GetAllQueuedTransfers: 'GetAllQueuedTransfersResponse',
  ScheduleInform: 'ScheduleInformResponse',
  SetVouchers: 'SetVouchersResponse',
  GetOptions: 'GetOptionsResponse',
  ScheduleDownload: 'ScheduleDownloadResponse',
  CancelTransfer: 'CancelTransferResponse',
  ChangeDUState: 'ChangeDUStateResponse',
} as const satisfies { [K in AcsRequest['method']]: CpeResponse['method'] };

/** The ACS's response method for each CPE→ACS request. */
export const CPE_REQUEST_RESPONSE = {
  Inform: 'InformResponse',
  TransferComplete: 'TransferCompleteResponse',
  AutonomousTransferComplete: 'AutonomousTransferCompleteResponse',
  RequestDownload: 'RequestDownloadResponse',
  Kicked: 'KickedResponse',
  GetRPCMethods: 'GetRPCMethodsResponse',
  DUStateChangeComplete: 'DUStateChangeCompleteResponse',
  AutonomousDUStateChangeComplete: 'AutonomousDUStateChangeCompleteResponse',
} as const satisfies { [K in CpeRequest['method']]: AcsResponse['method'] };

export const CPE_REQUEST_METHODS = Object.keys(CPE_REQUEST_RESPONSE) as CpeRequest['method'][];
export const ACS_REQUEST_METHODS = Object.keys(ACS_REQUEST_RESPONSE) as AcsRequest['method'][];

/** RPC methods the ACS supports, returned in GetRPCMethodsResponse to a CPE (A.3.3.1). */
export const ACS_SUPPORTED_METHODS: readonly string[] = [
  'Inform',
  'GetRPCMethods',
  'TransferComplete',
  'AutonomousTransferComplete',
  'RequestDownload',
  'Kicked',
  'DUStateChangeComplete',
  'AutonomousDUStateChangeComplete',
];
