/**
 * The application services' errors: one catalogue, one stable code each. Services know
 * nothing of HTTP; the REST API maps each code to a status in one place
 * (src/nbi/errors.ts, `fromServiceError`), and a later caller (a CLI command, a campaign
 * runner) maps them its own way. Messages are for humans; callers switch on `code`.
 */

export const SERVICE_ERROR_CODES = [
  /** The thing named (device, task, webhook …) does not exist. */
  'NOT_FOUND',
  /** A task body that is wrong for the device (unknown path, value of the wrong type …). */
  'INVALID_TASK',
  /** Any other argument out of bounds (too many devices for one call, a bad URL …). */
  'INVALID_ARGUMENT',
  /** The thing exists but is in a state that does not allow it (retrying a running task). */
  'CONFLICT',
  /** A feature this server runs without (connection requests disabled). */
  'UNAVAILABLE',
  /** A rate limit holds the request back; `retryAfterMs` says for how long. */
  'RATE_LIMITED',
  /** A policy (or draft) that does not parse: `position` says where. */
  'INVALID_POLICY',
  /** A body (an uploaded file) over its size limit. */
  'TOO_LARGE',
  /** A campaign definition that does not hold: `position.field` names the member. */
  'INVALID_CAMPAIGN',
] as const;

export type ServiceErrorCode = (typeof SERVICE_ERROR_CODES)[number];

export class ServiceError extends Error {
  override readonly name = 'ServiceError';

  constructor(
    readonly code: ServiceErrorCode,
    message: string,
    /** Only with RATE_LIMITED: how long until a retry can pass. */
    readonly retryAfterMs?: number,
    /** Where in the input the error is (INVALID_POLICY): a member path, and a line and column in text. */
    readonly position?: { field: string; line?: number; column?: number },
  ) {
    super(message);
  }
}

export const notFound = (what: string): ServiceError => new ServiceError('NOT_FOUND', `${what} not found`);
export const invalidArgument = (message: string): ServiceError => new ServiceError('INVALID_ARGUMENT', message);
export const conflict = (message: string): ServiceError => new ServiceError('CONFLICT', message);
export const unavailable = (message: string): ServiceError => new ServiceError('UNAVAILABLE', message);
