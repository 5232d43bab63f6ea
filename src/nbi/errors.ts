/**
 * NBI errors: every error answer is `{ "code": "<STABLE_CODE>", "message": "…" }` with the
 * matching HTTP status. Codes are stable (clients switch on them); messages are for humans.
 * The services' domain errors (src/services/errors.ts) become API errors here, in one table.
 */
import type { ServiceError, ServiceErrorCode } from '../services/errors.js';

export type ApiErrorCode =
  | 'BAD_REQUEST'
  | 'MALFORMED_JSON'
  | 'INVALID_TASK'
  | 'INVALID_FILTER'
  | 'INVALID_POLICY'
  | 'INVALID_CAMPAIGN'
  | 'UNAUTHORIZED'
  | 'TOTP_REQUIRED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'PAYLOAD_TOO_LARGE'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'RATE_LIMITED'
  | 'INTERNAL';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: ApiErrorCode,
    message: string,
    readonly headers: Record<string, string> = {},
    /** More members of the answer (e.g. `position` of an invalid policy). */
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

export const badRequest = (message: string, code: ApiErrorCode = 'BAD_REQUEST'): ApiError => new ApiError(400, code, message);
export const notFound = (what: string): ApiError => new ApiError(404, 'NOT_FOUND', `${what} not found`);
export const conflict = (message: string): ApiError => new ApiError(409, 'CONFLICT', message);

export const ERROR_SCHEMA = {
  $id: 'Error',
  type: 'object',
  properties: {
    code: { type: 'string' },
    message: { type: 'string' },
    position: {
      type: 'object',
      description: 'Where the input is wrong (INVALID_POLICY): a member such as "triggers[1]", and a 1-based column in text (and line, in a script)',
      properties: { field: { type: 'string' }, line: { type: 'integer' }, column: { type: 'integer' } },
    },
  },
  required: ['code', 'message'],
} as const;

/** Each domain error's HTTP status and API code. Exhaustive: a new domain code must be mapped. */
const FROM_SERVICE: Record<ServiceErrorCode, { status: number; code: ApiErrorCode }> = {
  NOT_FOUND: { status: 404, code: 'NOT_FOUND' },
  INVALID_TASK: { status: 400, code: 'INVALID_TASK' },
  INVALID_ARGUMENT: { status: 400, code: 'BAD_REQUEST' },
  CONFLICT: { status: 409, code: 'CONFLICT' },
  // A request the server is configured not to serve: the client's to change, not a 5xx.
  UNAVAILABLE: { status: 400, code: 'BAD_REQUEST' },
  RATE_LIMITED: { status: 429, code: 'RATE_LIMITED' },
  INVALID_POLICY: { status: 400, code: 'INVALID_POLICY' },
  TOO_LARGE: { status: 413, code: 'PAYLOAD_TOO_LARGE' },
  INVALID_CAMPAIGN: { status: 400, code: 'INVALID_CAMPAIGN' },
};

export function fromServiceError(e: ServiceError): ApiError {
  const { status, code } = FROM_SERVICE[e.code];
  const headers: Record<string, string> =
    e.code === 'RATE_LIMITED' ? { 'retry-after': String(Math.ceil((e.retryAfterMs ?? 1000) / 1000)) } : {};
  return new ApiError(status, code, e.message, headers, e.position !== undefined ? { position: e.position } : {});
}
