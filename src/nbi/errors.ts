/**
 * NBI errors: every error answer is `{ "code": "<STABLE_CODE>", "message": "…" }` with the
 * matching HTTP status. Codes are stable (clients switch on them); messages are for humans.
 */

export type ApiErrorCode =
  | 'BAD_REQUEST'
  | 'MALFORMED_JSON'
  | 'INVALID_TASK'
  | 'INVALID_FILTER'
  | 'UNAUTHORIZED'
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
  properties: { code: { type: 'string' }, message: { type: 'string' } },
  required: ['code', 'message'],
} as const;
