/**
 * CWMP faults a CPE answers with (TR-069 A.5.1). The SOAP faultcode says who is to blame:
 * "Client" when the ACS's arguments are wrong, "Server" when the CPE cannot or will not.
 */
import type { CpeResponse, Fault, SetParameterValuesFault } from '../../cwmp/types.js';
import { faultString } from '../../cwmp/errors.js';
import type { CpeEffect, RpcOutcome } from '../types.js';

/** Fault codes caused by the request's arguments (TR-069 Table A.5.1 "Client"). */
const CLIENT_FAULTS: ReadonlySet<number> = new Set([9003, 9005, 9006, 9007, 9008, 9021, 9022, 9030, 9031, 9032]);

export function cwmpFault(code: number, setParameterValuesFault: SetParameterValuesFault[] = []): Fault {
  return {
    method: 'Fault',
    faultcode: CLIENT_FAULTS.has(code) ? 'Client' : 'Server',
    faultstring: 'CWMP fault',
    detail: { faultCode: code, faultString: faultString(code), setParameterValuesFault },
  };
}

export function spvFault(parameterName: string, faultCode: number): SetParameterValuesFault {
  return { parameterName, faultCode, faultString: faultString(faultCode) };
}

export function ok(response: CpeResponse, effects: CpeEffect[] = []): RpcOutcome {
  return { response, effects };
}

export function failed(code: number, spv: SetParameterValuesFault[] = []): RpcOutcome {
  return { response: cwmpFault(code, spv), effects: [] };
}
