/**
 * Shared JSON Schemas of NBI answers and common parameters (components of the OpenAPI
 * document). Answers allow additional properties: the schemas document, they do not prune.
 */

type Schema = Record<string, unknown>;

const TIME = { type: 'string', format: 'date-time', nullable: true };

export const PARAMETER: Schema = {
  $id: 'Parameter',
  type: 'object',
  description: 'One node of the tree. Objects have "object": true and no value.',
  properties: {
    object: { type: 'boolean' },
    value: { type: 'string', nullable: true },
    type: { type: 'string', nullable: true },
    writable: { type: 'boolean', nullable: true },
    notification: { type: 'integer', nullable: true },
    accessList: { type: 'array', items: { type: 'string' }, nullable: true },
    valueAt: TIME,
    namesAt: TIME,
    attributesAt: TIME,
  },
  additionalProperties: true,
};

const DEVICE_PROPERTIES: Schema = {
  id: { type: 'string', description: '<OUI>-<ProductClass>-<SerialNumber>, parts percent-encoded' },
  deviceId: {
    type: 'object',
    properties: { manufacturer: { type: 'string' }, oui: { type: 'string' }, productClass: { type: 'string' }, serialNumber: { type: 'string' } },
  },
  firstInform: TIME,
  lastInform: TIME,
  lastBoot: TIME,
  lastBootstrap: TIME,
  lastEvents: { type: 'array', items: { type: 'object', properties: { eventCode: { type: 'string' }, commandKey: { type: 'string' } } } },
  tags: { type: 'array', items: { type: 'string' } },
  parameters: { type: 'object', additionalProperties: { $ref: 'Parameter#' } },
};

export const DEVICE: Schema = {
  $id: 'Device',
  type: 'object',
  properties: DEVICE_PROPERTIES,
  additionalProperties: true,
};

export const DEVICE_PAGE: Schema = {
  $id: 'DevicePage',
  type: 'object',
  properties: {
    total: { type: 'integer', description: 'devices matching the filters' },
    devices: { type: 'array', items: { $ref: 'Device#' } },
    next: { type: 'string', nullable: true, description: 'cursor of the next page (pass as ?cursor=), null on the last' },
  },
  additionalProperties: true,
};

const FAULT: Schema = {
  type: 'object',
  nullable: true,
  description: 'The CPE fault (TR-069 A.5): code, string and per-parameter detail',
  properties: {
    faultCode: { type: 'integer' },
    faultString: { type: 'string' },
    setParameterValuesFault: {
      type: 'array',
      items: { type: 'object', properties: { parameterName: { type: 'string' }, faultCode: { type: 'integer' }, faultString: { type: 'string' } } },
    },
  },
};

export const TASK_RECORD: Schema = {
  $id: 'TaskRecord',
  type: 'object',
  properties: {
    id: { type: 'string' },
    deviceId: { type: 'string' },
    type: { type: 'string' },
    task: { type: 'object', additionalProperties: true, description: 'the normalised task (secrets shown as ***)' },
    state: { type: 'string', enum: ['queued', 'running', 'done', 'fault', 'expired'] },
    seq: { type: 'integer' },
    createdAt: TIME,
    updatedAt: TIME,
    expiresAt: TIME,
    attempts: { type: 'integer' },
    commandKey: { type: 'string', nullable: true },
    response: { type: 'object', nullable: true, additionalProperties: true, description: "the CPE's answer (TR-069 field names)" },
    fault: FAULT,
    connectionRequest: {
      type: 'object',
      nullable: true,
      properties: {
        at: TIME,
        outcome: { type: 'string', enum: ['answered', 'auth-failed', 'unreachable', 'refused', 'rate-limited', 'no-url', 'blocked', 'udp-sent'] },
        status: { type: 'integer' },
        detail: { type: 'string' },
        path: { type: 'string', enum: ['http', 'udp', 'xmpp'] },
      },
    },
  },
  additionalProperties: true,
};

export const TASK_PAGE: Schema = {
  $id: 'TaskPage',
  type: 'object',
  properties: { total: { type: 'integer' }, tasks: { type: 'array', items: { $ref: 'TaskRecord#' } } },
  additionalProperties: true,
};

export const SESSION: Schema = {
  $id: 'Session',
  type: 'object',
  properties: {
    startedAt: TIME,
    endedAt: TIME,
    events: { type: 'array', items: { type: 'object', additionalProperties: true } },
    rpcs: { type: 'array', items: { type: 'object', additionalProperties: true } },
    cpeRequests: { type: 'array', items: { type: 'string' } },
    outcome: { type: 'string' },
    linkedTasks: { type: 'array', items: { type: 'string' } },
  },
  additionalProperties: true,
};

export const SHARED_SCHEMAS: Schema[] = [PARAMETER, DEVICE, DEVICE_PAGE, TASK_RECORD, TASK_PAGE, SESSION];

/** Error answers every route documents. */
export const ERRORS = {
  400: { $ref: 'Error#' },
  401: { $ref: 'Error#' },
  403: { $ref: 'Error#' },
  404: { $ref: 'Error#' },
};

/**
 * The longest device id: three 64-character identity fields (TR-069 A.3.3.1), every character
 * a 4-byte UTF-8 sequence written %XX%XX%XX%XX, and two separators.
 */
export const MAX_DEVICE_ID_LENGTH = 3 * 64 * 12 + 2;

export const DEVICE_ID: Schema = {
  type: 'string',
  minLength: 1,
  maxLength: MAX_DEVICE_ID_LENGTH,
  description: 'device id, URL-encoded (its % escapes become %25)',
};

export const DEVICE_ID_PARAMS: Schema = {
  type: 'object',
  properties: { id: DEVICE_ID },
  required: ['id'],
};

export const ID_PARAMS: Schema = {
  type: 'object',
  properties: { id: { type: 'string', minLength: 1, maxLength: 128 } },
  required: ['id'],
};

/** Largest ?offset= (deeper pages: use the cursor). Bounded so no store sees a number it cannot bind. */
export const MAX_OFFSET = 1_000_000_000;

export const PAGING: Schema = {
  limit: { type: 'integer', minimum: 0, maximum: 10000, default: 100 },
  offset: { type: 'integer', minimum: 0, maximum: MAX_OFFSET },
};

/** What part of the fleet a user or token sees (src/nbi/scope.ts). */
/** Rights beside the role (src/auth/tokens.ts CAPABILITIES): `provision` lets an operator change policies and virtual parameters. */
export const CAPABILITIES_SCHEMA = {
  type: 'array',
  maxItems: 8,
  items: { type: 'string', enum: ['provision'] },
  description: 'Rights granted beside the role: "provision" lets an operator create, change and delete policies and virtual parameters. Admin holds every capability; read-only none.',
} as const;

export const SCOPE_SCHEMA = {
  type: 'object',
  nullable: true,
  additionalProperties: false,
  description: 'What part of the fleet the principal sees: devices matching a filter (NBI filter language) and/or carrying a tag; null: all',
  properties: { filter: { type: 'string', minLength: 1, maxLength: 2048 }, tag: { type: 'string', minLength: 1, maxLength: 128 } },
} as const;
