/**
 * JSON Schemas of task bodies as the NBI accepts them: one branch per type, selected by the
 * `type` discriminator, no unknown fields. They validate the shape (fastify/ajv) and document
 * it (OpenAPI); validate.ts then checks what a schema cannot say (xsd values, paths) and
 * fills the defaults.
 */

type Schema = Record<string, unknown>;

/** A TR-069 path: no blanks or control characters, at most 256 characters (TR-106 3.6). */
export const PATH_SCHEMA: Schema = { type: 'string', minLength: 1, maxLength: 256, pattern: '^[^\\s.][^\\s]*$' };
/** An object path: ends with ".". */
export const OBJECT_PATH_SCHEMA: Schema = { type: 'string', minLength: 2, maxLength: 256, pattern: '^[^\\s.][^\\s]*\\.$' };
const KEY32: Schema = { type: 'string', maxLength: 32 };
const TEXT256: Schema = { type: 'string', maxLength: 256 };
const URL_SCHEMA: Schema = { type: 'string', minLength: 1, maxLength: 1024, pattern: '^(https?|ftps?)://' };
const SECONDS: Schema = { type: 'integer', minimum: 0, maximum: 4294967295 };
const FILE_TYPE: Schema = {
  type: 'string',
  minLength: 1,
  maxLength: 64,
  description: 'e.g. "1 Firmware Upgrade Image", "3 Vendor Configuration File", "X <OUI> <name>"',
};
const SCALAR: Schema = { anyOf: [{ type: 'string', maxLength: 65536 }, { type: 'number' }, { type: 'boolean' }] };

/**
 * [path, value, xsdType?]; relative paths for addObject. The positions are checked by
 * validate.ts: OpenAPI 3.0 has no tuple schemas, so the items here are "a scalar each".
 */
function valueTuples(description: string): Schema {
  return {
    type: 'array',
    maxItems: 10000,
    items: {
      type: 'array',
      minItems: 2,
      maxItems: 3,
      description,
      items: SCALAR,
    },
  };
}

const NAMES: Schema = { type: 'array', minItems: 1, maxItems: 10000, items: PATH_SCHEMA };

function branch(type: string, properties: Schema = {}, required: string[] = [], description?: string): Schema {
  return {
    type: 'object',
    title: type,
    ...(description ? { description } : {}),
    properties: { type: { type: 'string', enum: [type] }, ...properties },
    required: ['type', ...required],
    additionalProperties: false,
  };
}

const TRANSFER = {
  commandKey: KEY32,
  fileType: FILE_TYPE,
  url: URL_SCHEMA,
  username: TEXT256,
  password: TEXT256,
};

const DU_OPERATION: Schema = {
  type: 'object',
  properties: {
    op: { type: 'string', enum: ['Install', 'Update', 'Uninstall'] },
    url: { type: 'string', maxLength: 1024 },
    uuid: { type: 'string', maxLength: 36 },
    username: TEXT256,
    password: TEXT256,
    executionEnvRef: TEXT256,
    version: { type: 'string', maxLength: 32 },
  },
  required: ['op'],
  additionalProperties: false,
};

const TIME_WINDOW: Schema = {
  type: 'object',
  properties: {
    windowStart: SECONDS,
    windowEnd: SECONDS,
    windowMode: { type: 'string', minLength: 1, maxLength: 64, description: '"1 At Any Time", "2 Immediately", "3 When Idle", "4 Confirmation Needed"' },
    userMessage: TEXT256,
    maxRetries: { type: 'integer', minimum: -1 },
  },
  required: ['windowStart', 'windowEnd', 'windowMode'],
  additionalProperties: false,
};

const HOST: Schema = { type: 'string', minLength: 1, maxLength: 256, pattern: '^[^\\s,]+$' };
const uint = (minimum: number, maximum: number): Schema => ({ type: 'integer', minimum, maximum });
const DIAG_COMMON = {
  timeout: { ...uint(1, 4294967295), description: 'milliseconds' },
  dscp: uint(0, 63),
  interface: { type: 'string', maxLength: 256, description: 'data model path of the interface, e.g. Device.IP.Interface.1' },
};
const TRANSFER_DIAG = {
  url: { type: 'string', minLength: 1, maxLength: 1024, pattern: '^(https?|ftp)://' },
  ethernetPriority: uint(0, 7),
  connections: uint(1, 64),
  testDuration: { ...uint(0, 999), description: 'seconds; 0 = a file-size test' },
  dscp: uint(0, 63),
  interface: DIAG_COMMON.interface,
};

/**
 * Diagnostics (src/tasks/diagnostics.ts): inputs in plain words, mapped to the device's data
 * model (TR-181 or TR-098) when the session runs. Absent optional inputs are not sent.
 */
function DIAGNOSTIC_BRANCHES(): Schema[] {
  const after = 'Requested at the next session; the results are read after "8 DIAGNOSTICS COMPLETE" (GET /devices/{id}/diagnostics)';
  return [
    branch('ipPing', { host: HOST, count: uint(1, 10000), dataBlockSize: uint(1, 65535), ...DIAG_COMMON }, ['host'], `IPPing (count default 4). ${after}`),
    branch(
      'traceRoute',
      { host: HOST, tries: uint(1, 10), dataBlockSize: uint(1, 65535), maxHopCount: uint(1, 64), ...DIAG_COMMON },
      ['host'],
      `TraceRoute. ${after}`,
    ),
    branch('downloadDiagnostics', { ...TRANSFER_DIAG }, ['url'], `TR-143 DownloadDiagnostics of url. ${after}`),
    branch(
      'uploadDiagnostics',
      { ...TRANSFER_DIAG, size: { ...uint(1, 4294967295), description: 'TestFileLength in bytes (default 1 MiB)' } },
      ['url'],
      `TR-143 UploadDiagnostics to url. ${after}`,
    ),
    branch(
      'udpEcho',
      { host: HOST, port: uint(1, 65535), count: uint(1, 10000), dataBlockSize: uint(1, 65535), interTransmissionTime: uint(1, 65535), ...DIAG_COMMON },
      ['host', 'port'],
      `TR-143 UDPEchoDiagnostics (TR-181). ${after}`,
    ),
    branch(
      'nsLookup',
      { host: HOST, hostName: HOST, dnsServer: { type: 'string', maxLength: 256 }, count: uint(1, 100), ...DIAG_COMMON },
      [],
      `NSLookupDiagnostics of host (alias hostName). ${after}`,
    ),
    branch(
      'serverSelection',
      {
        hosts: { type: 'array', minItems: 1, maxItems: 10, items: HOST },
        protocol: { type: 'string', enum: ['ICMP', 'UDP Echo'] },
        count: uint(1, 100),
        ...DIAG_COMMON,
      },
      ['hosts'],
      `ServerSelectionDiagnostics (TR-181): the fastest of hosts. ${after}`,
    ),
    branch(
      'ipLayerCapacity',
      { host: HOST, port: uint(1, 65535), role: { type: 'string', enum: ['Sender', 'Receiver'] }, testDuration: uint(1, 60), ...DIAG_COMMON },
      ['host'],
      `TR-471 IPLayerCapacityMetrics, where the device has it. ${after}`,
    ),
  ];
}

export const TASK_BRANCHES: Schema[] = [
  branch('getParameterValues', { parameterNames: NAMES }, ['parameterNames']),
  branch('getParameterNames', { parameterPath: { type: 'string', maxLength: 256 }, nextLevel: { type: 'boolean' } }, ['parameterPath']),
  branch(
    'setParameterValues',
    { parameterValues: { ...valueTuples('[path, value, xsdType?], e.g. ["Device.WiFi.SSID.1.SSID", "lab"] or [path, 300, "xsd:unsignedInt"]'), minItems: 1 }, parameterKey: KEY32 },
    ['parameterValues'],
    'xsdType defaults to the type stored for the parameter, else xsd:string',
  ),
  branch('getParameterAttributes', { parameterNames: NAMES }, ['parameterNames']),
  branch(
    'setParameterAttributes',
    {
      parameterAttributes: {
        type: 'array',
        minItems: 1,
        maxItems: 10000,
        items: {
          type: 'object',
          properties: {
            name: PATH_SCHEMA,
            notification: { type: 'integer', minimum: 0, maximum: 6 },
            accessList: { type: 'array', maxItems: 16, items: { type: 'string', maxLength: 64 } },
          },
          required: ['name'],
          additionalProperties: false,
        },
      },
    },
    ['parameterAttributes'],
    'An omitted notification or accessList is left unchanged',
  ),
  branch(
    'addObject',
    { objectName: OBJECT_PATH_SCHEMA, parameterValues: valueTuples('[name relative to the new instance, value, xsdType?]'), parameterKey: KEY32 },
    ['objectName'],
    'parameterValues names are relative to the new instance and are set right after AddObject',
  ),
  branch('deleteObject', { objectName: OBJECT_PATH_SCHEMA, parameterKey: KEY32 }, ['objectName']),
  branch('reboot', { commandKey: KEY32 }),
  branch('factoryReset'),
  {
    ...branch(
      'download',
      {
        fileId: { type: 'string', minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$', description: 'a file of the repository (/files): the ACS fills in url, fileSize, targetFileName and fileType' },
        ...TRANSFER,
        fileSize: SECONDS,
        targetFileName: TEXT256,
        delaySeconds: SECONDS,
        successURL: { type: 'string', maxLength: 1024 },
        failureURL: { type: 'string', maxLength: 1024 },
      },
      [],
      'Either fileId (a repository file; the task stays running until the TransferComplete) or fileType and url',
    ),
    anyOf: [{ required: ['fileId'] }, { required: ['fileType', 'url'] }],
  },
  branch(
    'upload',
    { ...TRANSFER, delaySeconds: SECONDS },
    ['fileType'],
    'Without url the ACS gives the CPE a URL on its transfer endpoint and keeps the file as the device\'s (GET /devices/{id}/files); the task stays running until the TransferComplete',
  ),
  branch('scheduleInform', { delaySeconds: { type: 'integer', minimum: 1, maximum: 4294967295 }, commandKey: KEY32 }, ['delaySeconds']),
  branch('refresh', { objectName: PATH_SCHEMA }, ['objectName'], 'GetParameterNames of the subtree, then GetParameterValues of its parameters'),
  branch('getRPCMethods'),
  branch('getQueuedTransfers'),
  branch('getAllQueuedTransfers'),
  branch(
    'scheduleDownload',
    { ...TRANSFER, fileSize: SECONDS, targetFileName: TEXT256, timeWindows: { type: 'array', minItems: 1, maxItems: 2, items: TIME_WINDOW } },
    ['fileType', 'url', 'timeWindows'],
  ),
  branch('cancelTransfer', { commandKey: KEY32 }, ['commandKey']),
  branch('changeDUState', { operations: { type: 'array', minItems: 1, maxItems: 16, items: DU_OPERATION }, commandKey: KEY32 }, ['operations']),
  branch('setVouchers', { voucherList: { type: 'array', minItems: 1, maxItems: 16, items: { type: 'string', maxLength: 65536 } } }, ['voucherList']),
  branch('getOptions', { optionName: { type: 'string', maxLength: 64 } }, ['optionName']),
  ...DIAGNOSTIC_BRANCHES(),
];

/** A task body: the branch named by `type` (ajv's discriminator keyword). */
export const TASK_SCHEMA: Schema = {
  $id: 'Task',
  type: 'object',
  description: 'A task: one RPC, or a small plan of them (addObject with values, refresh)',
  discriminator: { propertyName: 'type' },
  required: ['type'],
  oneOf: TASK_BRANCHES,
};
