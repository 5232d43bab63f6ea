/**
 * SOAP Faults carrying a CWMP fault (TR-069 A.5): faultcode "Client" or "Server",
 * faultstring "CWMP fault", and a cwmp:Fault detail with FaultCode, FaultString and, for
 * SetParameterValues, one SetParameterValuesFault per rejected parameter (A.5.1).
 */
import { faultString as standardFaultString, ProtocolError } from '../errors.js';
import type { Fault, SetParameterValuesFault } from '../types.js';
import type { XmlElement } from '../xml.js';
import { child, int, isCwmpNamespace, n, name, raw, t, type BuildCtx } from './shared.js';

/**
 * Who is at fault, per the fault code tables of TR-069 A.5.1/A.5.2: the requester ("Client")
 * for invalid arguments, names, types, values and non-writable parameters, for unknown or
 * mismatched software modules and for an un-cancelable transfer; the responder ("Server")
 * for everything it failed to do itself (internal errors, resources, transfers, 9000/8000).
 */
const CLIENT_FAULTS = new Set([8003, 8006, 9003, 9005, 9006, 9007, 9008, 9021, 9022, 9023, 9024, 9025, 9026, 9028, 9029, 9030, 9031, 9032]);

export function faultcodeFor(faultCode: number): 'Client' | 'Server' {
  return CLIENT_FAULTS.has(faultCode) ? 'Client' : 'Server';
}

/** A Fault body for a CWMP fault code, with the standard strings unless told otherwise. */
export function faultBody(faultCode: number, faultString?: string, setParameterValuesFault: SetParameterValuesFault[] = []): Fault {
  return {
    method: 'Fault',
    faultcode: faultcodeFor(faultCode),
    faultstring: 'CWMP fault',
    detail: { faultCode, faultString: faultString ?? standardFaultString(faultCode), setParameterValuesFault },
  };
}

/** The cwmp:Fault element inside detail, preferring one in a CWMP namespace. */
export function findCwmpFault(fault: XmlElement): XmlElement | undefined {
  const detail = child(fault, 'detail') ?? child(fault, 'Detail');
  if (!detail) return undefined;
  return detail.children.find((c) => c.local === 'Fault' && isCwmpNamespace(c.uri)) ?? child(detail, 'Fault');
}

/**
 * Read a SOAP Fault. faultcode is a QName ("SOAP-ENV:Client", "Client", "soap:Server.Busy"):
 * the prefix and any refinement are dropped. A SOAP fault without a cwmp:Fault detail is not a CWMP fault: NOT_CWMP.
 */
export function parseFault(el: XmlElement): Fault {
  const code = raw(el, 'faultcode').trim();
  // SOAP 1.1 §4.4.1 allows dotted refinements ("Server.Busy"): the class is the first part.
  const local = code.slice(code.indexOf(':') + 1).split('.')[0]!;
  const detail = findCwmpFault(el);
  if (!detail) {
    throw new ProtocolError('NOT_CWMP', `SOAP fault without a CWMP detail (${local.slice(0, 64)}: ${raw(el, 'faultstring').slice(0, 200)})`);
  }
  if (!child(detail, 'FaultCode')) throw new ProtocolError('INVALID_MESSAGE', 'cwmp:Fault without FaultCode');
  const spv: SetParameterValuesFault[] = [];
  for (const c of detail.children) {
    if (c.local === 'SetParameterValuesFault') {
      spv.push({ parameterName: name(c, 'ParameterName'), faultCode: int(c, 'FaultCode'), faultString: raw(c, 'FaultString') });
    }
  }
  return {
    method: 'Fault',
    faultcode: local.toLowerCase() === 'server' ? 'Server' : 'Client',
    faultstring: raw(el, 'faultstring'),
    detail: { faultCode: int(detail, 'FaultCode'), faultString: raw(detail, 'FaultString'), setParameterValuesFault: spv },
  };
}

/**
 * The whole <soap-env:Fault> element. faultcode is written unprefixed ("Client"), as in
 * TR-069's own examples and what CPE parsers compare against.
 */
export function buildFaultElement(ctx: BuildCtx, f: Fault): string {
  let spv = '';
  for (const s of f.detail.setParameterValuesFault) {
    spv += '<SetParameterValuesFault>' + t('ParameterName', s.parameterName) + n('FaultCode', s.faultCode) + t('FaultString', s.faultString) + '</SetParameterValuesFault>';
  }
  const e = ctx.env;
  return (
    '<' + e + ':Fault>' +
    t('faultcode', f.faultcode) +
    t('faultstring', f.faultstring) +
    '<detail><' + ctx.cwmp + ':Fault>' +
    n('FaultCode', f.detail.faultCode) +
    t('FaultString', f.detail.faultString) +
    spv +
    '</' + ctx.cwmp + ':Fault></detail></' + e + ':Fault>'
  );
}
