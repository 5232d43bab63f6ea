/**
 * The CWMP codec's public face: parse and build every CWMP message of cwmp-1-0 … cwmp-1-4.
 * Pure (no I/O, no store): the ACS and the CPE simulator both go through it.
 *
 *   parseEnvelope(xml) → Result<Envelope>          (never throws)
 *   buildEnvelope(env, quirks?) → string
 *   buildFault(ns, id, code, …) → string             (a SOAP Fault with cwmp:Fault detail)
 *   decodeBody(bytes, contentType) → Result<string>  (charset handling before parsing)
 *   new AnswerMemo().read(bytes, contentType, limits) → Result<Envelope>
 *                                                    (decode + parse; repeated listings parsed once)
 */
import { buildEnvelope } from './envelope.js';
import { faultBody } from './rpc/fault.js';
import type { CwmpNamespace, SetParameterValuesFault } from './types.js';

export { parseEnvelope, parseEnvelopeFull, buildEnvelope, buildEnvelopePieces, KNOWN_METHODS, type BuildOptions } from './envelope.js';
export { DEFAULT_LIMITS, type ParseLimits } from './xml.js';
export { decodeBody } from './charset.js';
export { AnswerMemo, type AnswerMemoOptions } from './answer-memo.js';
export { parseBoolean, parseInteger, parseCwmpDateTime, formatCwmpDateTime, normalizeValue } from './value.js';
export { faultcodeFor, faultBody } from './rpc/fault.js';

/**
 * A complete SOAP Fault envelope for a CWMP fault (TR-069 A.5). faultcode is "Client" for
 * argument faults (8003, 9003, 9005–9008, …) and "Server" otherwise (see faultcodeFor);
 * faultString defaults to the standard string for the code. `id` is the cwmp:ID of the
 * request being answered.
 */
export function buildFault(
  namespace: CwmpNamespace,
  id: string | undefined,
  faultCode: number,
  faultString?: string,
  setParameterValuesFault?: SetParameterValuesFault[],
): string {
  return buildEnvelope({
    namespace,
    header: id === undefined ? {} : { id },
    body: faultBody(faultCode, faultString, setParameterValuesFault),
  });
}
