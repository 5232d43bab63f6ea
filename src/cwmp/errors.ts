/**
 * One catalogue of protocol errors. Each has a stable `code`, says who broke the protocol
 * (`remote`: the peer sent something wrong; `local`: we were asked to do something wrong),
 * and carries the HTTP status and CWMP fault code to answer with where they apply.
 *
 * The codec never throws these at its callers: parse functions return a `Result`, so a
 * hostile or malformed body is a value to handle, not a crash.
 */

export type ProtocolErrorCode =
  | 'BODY_TOO_LARGE'
  | 'DOCTYPE_FORBIDDEN'
  | 'ENTITY_FORBIDDEN'
  | 'XML_MALFORMED'
  | 'XML_TOO_DEEP'
  | 'XML_TOO_MANY_ELEMENTS'
  | 'NOT_SOAP_ENVELOPE'
  | 'NO_BODY'
  | 'NOT_CWMP'
  | 'INVALID_MESSAGE'
  | 'UNSUPPORTED_ENCODING'
  | 'UNEXPECTED_MESSAGE'
  | 'ILLEGAL_STATE';

const DEFAULTS: Record<ProtocolErrorCode, { httpStatus: number; cwmpFault: number }> = {
  BODY_TOO_LARGE: { httpStatus: 413, cwmpFault: 8004 },
  DOCTYPE_FORBIDDEN: { httpStatus: 400, cwmpFault: 8003 },
  ENTITY_FORBIDDEN: { httpStatus: 400, cwmpFault: 8003 },
  XML_MALFORMED: { httpStatus: 400, cwmpFault: 8003 },
  XML_TOO_DEEP: { httpStatus: 400, cwmpFault: 8004 },
  XML_TOO_MANY_ELEMENTS: { httpStatus: 400, cwmpFault: 8004 },
  NOT_SOAP_ENVELOPE: { httpStatus: 400, cwmpFault: 8003 },
  NO_BODY: { httpStatus: 400, cwmpFault: 8003 },
  NOT_CWMP: { httpStatus: 400, cwmpFault: 8003 },
  INVALID_MESSAGE: { httpStatus: 400, cwmpFault: 8003 },
  UNSUPPORTED_ENCODING: { httpStatus: 415, cwmpFault: 8003 },
  UNEXPECTED_MESSAGE: { httpStatus: 400, cwmpFault: 8003 },
  ILLEGAL_STATE: { httpStatus: 500, cwmpFault: 8002 },
};

export class ProtocolError extends Error {
  readonly code: ProtocolErrorCode;
  readonly side: 'remote' | 'local';
  readonly httpStatus: number;
  readonly cwmpFault: number;

  constructor(code: ProtocolErrorCode, message: string, side: 'remote' | 'local' = 'remote') {
    super(message);
    this.name = 'ProtocolError';
    this.code = code;
    this.side = side;
    this.httpStatus = DEFAULTS[code].httpStatus;
    this.cwmpFault = DEFAULTS[code].cwmpFault;
  }
}

export type Result<T, E = ProtocolError> = { ok: true; value: T } | { ok: false; error: E };

export const ok = <T>(value: T): Result<T, never> => ({ ok: true, value });
export const err = <E>(error: E): Result<never, E> => ({ ok: false, error });

/** CWMP fault codes and their standard strings (TR-069 A.5.1 and A.5.2). */
export const FAULT_STRINGS: Readonly<Record<number, string>> = {
  8000: 'Method not supported',
  8001: 'Request denied',
  8002: 'Internal error',
  8003: 'Invalid arguments',
  8004: 'Resources exceeded',
  8005: 'Retry request',
  8006: 'ACS version incompatible with CPE',
  9000: 'Method not supported',
  9001: 'Request denied',
  9002: 'Internal error',
  9003: 'Invalid arguments',
  9004: 'Resources exceeded',
  9005: 'Invalid parameter name',
  9006: 'Invalid parameter type',
  9007: 'Invalid parameter value',
  9008: 'Attempt to set a non-writable parameter',
  9009: 'Notification request rejected',
  9010: 'Download failure',
  9011: 'Upload failure',
  9012: 'File transfer server authentication failure',
  9013: 'Unsupported protocol for file transfer',
  9014: 'Download failure: unable to join multicast group',
  9015: 'Download failure: unable to contact file server',
  9016: 'Download failure: unable to access file',
  9017: 'Download failure: unable to complete download',
  9018: 'Download failure: file corrupted',
  9019: 'Download failure: file authentication failure',
  9020: 'Download failure: unable to complete download within specified time windows',
  9021: 'Cancelation of file transfer not permitted in current transfer state',
  9022: 'Invalid UUID format',
  9023: 'Unknown Execution Environment',
  9024: 'Disabled Execution Environment',
  9025: 'Deployment Unit to Execution Environment mismatch',
  9026: 'Duplicate Deployment Unit',
  9027: 'System resources exceeded',
  9028: 'Unknown Deployment Unit',
  9029: 'Invalid Deployment Unit state',
  9030: 'Invalid Deployment Unit Update: downgrade not permitted',
  9031: 'Invalid Deployment Unit Update: version not specified',
  9032: 'Invalid Deployment Unit Update: version already exists',
};

export function faultString(code: number): string {
  return FAULT_STRINGS[code] ?? (code >= 9800 && code <= 9899 ? 'Vendor fault' : 'Fault');
}
