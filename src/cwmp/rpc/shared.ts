/**
 * Helpers every RPC family uses: reading arguments out of the element tree, and writing
 * escaped XML with string concatenation (no DOM: the 1,000-parameter responses are hot).
 *
 * Reading policy (TR-069 A.2.1 types, with the field's quirks):
 * - arguments are matched by local name in any namespace (they should be unqualified);
 * - array contents are whatever element children the array holds: the SOAP-ENC:arrayType
 *   size is never trusted (devices send wrong, zero-padded or no sizes);
 * - names, numbers, booleans, dates, URLs and enumerations are trimmed; free text
 *   (parameter values, command keys, credentials, fault strings) is kept exactly as sent;
 * - a missing scalar takes its natural default ("" / 0 / false); a struct missing the
 *   name that identifies it is INVALID_MESSAGE (thrown here, caught by parseEnvelope).
 */
import { ProtocolError } from '../errors.js';
import { CWMP_NAMESPACES, type CwmpBody, type CwmpNamespace, type FaultStruct, type ParameterValue } from '../types.js';
import { parseBoolean, parseInteger, normalizeValue } from '../value.js';
import { childByLocal, NS, type NsScope, type XmlElement } from '../xml.js';

const CWMP_NS_SET: ReadonlySet<string> = new Set(CWMP_NAMESPACES);

/** urn:dslforum-org:cwmp-1-0, -1-1 or -1-2 (CWMP 1.3 and 1.4 keep -1-2). */
export function isCwmpNamespace(uri: string): uri is CwmpNamespace {
  return CWMP_NS_SET.has(uri);
}

// ---------------------------------------------------------------------------
// Method codec table
// ---------------------------------------------------------------------------

export type KnownBody = Exclude<CwmpBody, { method: 'Fault' } | { method: 'Unknown' }>;
export type KnownMethod = KnownBody['method'];
export type BodyOf<M extends CwmpBody['method']> = Extract<CwmpBody, { method: M }>;

/** Parse reads the method element's arguments; build returns the method element's inner XML. */
export interface MethodCodec<M extends KnownMethod> {
  parse(el: XmlElement): BodyOf<M>;
  build(body: BodyOf<M>, ctx: BuildCtx): string;
}
export type CodecTable<K extends KnownMethod> = { [M in K]: MethodCodec<M> };

/** For the many bodies without arguments (RebootResponse, FactoryReset, …). */
export function emptyCodec<M extends KnownMethod>(method: M): MethodCodec<M> {
  return { parse: () => ({ method }) as BodyOf<M>, build: () => '' };
}

// ---------------------------------------------------------------------------
// Reading
// ---------------------------------------------------------------------------

export function invalid(message: string): never {
  throw new ProtocolError('INVALID_MESSAGE', message);
}

export const child = childByLocal;

/** Child text exactly as sent; "" when absent. */
export function raw(el: XmlElement, local: string): string {
  return childByLocal(el, local)?.text ?? '';
}

/** Child text trimmed; "" when absent. */
export function str(el: XmlElement, local: string): string {
  const c = childByLocal(el, local);
  return c ? c.text.trim() : '';
}

/** Child integer; `dflt` when absent or not a number. */
export function int(el: XmlElement, local: string, dflt = 0): number {
  const c = childByLocal(el, local);
  return c ? (parseInteger(c.text) ?? dflt) : dflt;
}

export function bool(el: XmlElement, local: string, dflt = false): boolean {
  const c = childByLocal(el, local);
  return c ? (parseBoolean(c.text) ?? dflt) : dflt;
}

/** Status 0|1 (A.3.2.1 and friends): anything but 1 reads as 0. */
export function status(el: XmlElement): 0 | 1 {
  return int(el, 'Status') === 1 ? 1 : 0;
}

/** Element children of an array argument; [] when the argument is absent. */
export function items(el: XmlElement, local: string): XmlElement[] {
  return childByLocal(el, local)?.children ?? [];
}

/** A struct's identifying Name, required. */
export function name(el: XmlElement, local = 'Name'): string {
  const c = childByLocal(el, local);
  if (!c) invalid(`${el.local} without ${local}`);
  return c.text.trim();
}

export function strings(el: XmlElement, local: string): string[] {
  return items(el, local).map((s) => s.text.trim());
}

export function readFaultStruct(el: XmlElement, local: string): FaultStruct {
  const f = childByLocal(el, local);
  return f ? { faultCode: int(f, 'FaultCode'), faultString: raw(f, 'FaultString') } : { faultCode: 0, faultString: '' };
}

const XSI_URIS = new Set([NS.xsi, 'http://www.w3.org/1999/XMLSchema-instance', 'http://www.w3.org/2000/10/XMLSchema-instance']);
/** Namespaces whose simple types we report as "xsd:<local>" (SOAP-ENC mirrors the xsd types). */
const XSD_URIS = new Set<string>([NS.xsd, 'http://www.w3.org/1999/XMLSchema', 'http://www.w3.org/2000/10/XMLSchema', NS.soapEnc]);

/**
 * xsi:type normalised to "xsd:<local>" whatever prefix the sender bound to XML Schema
 * (including the 1999 namespaces). An unresolvable prefix is treated as XML Schema too; a
 * type from another namespace is kept as written. "" when the sender omitted xsi:type.
 */
export function xsiType(el: XmlElement): string {
  const a = el.attrs;
  for (let i = 0; i < a.length; i++) {
    const at = a[i]!;
    if (isTypeAttr(at.uri, at.local)) return normalizeType(at.value, el.ns);
  }
  return '';
}

/** Whether an attribute (namespace URI, local name) is the xsi:type the readers honour. */
export function isTypeAttr(uri: string, local: string): boolean {
  return local === 'type' && (uri === '' || XSI_URIS.has(uri));
}

/** An xsi:type value as xsiType reports it, given the namespace bindings in scope. */
export function normalizeType(qname: string, scope: NsScope): string {
  const v = qname.trim();
  if (v === '') return '';
  const colon = v.indexOf(':');
  if (colon < 0) return 'xsd:' + v;
  const local = v.slice(colon + 1);
  if (v.startsWith('xsd:') && scope.xsd === NS.xsd) return v; // the common case, fast
  const uri = scope[v.slice(0, colon)];
  return uri === undefined || XSD_URIS.has(uri) ? 'xsd:' + local : v;
}

/** ParameterValueStruct list (A.3.2.1, A.3.3.1): name trimmed, value as sent (booleans canonical). */
export function readParameterValues(el: XmlElement, local: string): ParameterValue[] {
  const list = items(el, local);
  const out: ParameterValue[] = new Array<ParameterValue>(list.length);
  for (let i = 0; i < list.length; i++) {
    const s = list[i]!;
    let n: XmlElement | undefined;
    let v: XmlElement | undefined;
    for (const c of s.children) {
      if (c.local === 'Name') n ??= c;
      else if (c.local === 'Value') v ??= c;
    }
    if (!n) invalid('ParameterValueStruct without Name');
    const type = v ? xsiType(v) : '';
    const value = v ? v.text : '';
    out[i] = { name: n.text.trim(), value: type === '' ? value : normalizeValue(type, value), type };
  }
  return out;
}

// ---------------------------------------------------------------------------
// Writing
// ---------------------------------------------------------------------------

/** Quirk knobs (see BuildOptions in envelope.ts), resolved to what the writers need. */
export interface BuildCtx {
  env: string;
  cwmp: string;
  enc: string;
  omitXsiType: boolean;
  arraySize: 'exact' | 'none' | 'wrong' | 'padded';
  booleans: 'numeric' | 'words';
}

// Characters that need work: markup, CR (else normalised to LF by the reader), and anything
// XML 1.0 cannot carry (C0 controls but TAB/LF/CR, U+FFFE/U+FFFF, lone surrogates).
// eslint-disable-next-line no-control-regex -- matching the control characters is the point
const NEEDS_ESCAPE = /[&<>"'\r\u0000-\u0008\u000B\u000C\u000E-\u001F\uD800-\uDFFF\uFFFE\uFFFF]/;
const NOT_XML_CHAR =
  // eslint-disable-next-line no-control-regex -- as above
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
const MARKUP = /[&<>"'\r\t\n]/g;
const TEXT_ENTITY: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;', '\r': '&#13;', '\t': '\t', '\n': '\n' };
const ATTR_ENTITY: Readonly<Record<string, string>> = { ...TEXT_ENTITY, '\t': '&#9;', '\n': '&#10;' };

/**
 * Escape character data. Characters XML 1.0 cannot represent at all (not even as character
 * references) are dropped: there is no way to send them, and a CPE would reject the envelope.
 */
export function esc(s: string): string {
  if (!NEEDS_ESCAPE.test(s)) return s;
  return s.replace(NOT_XML_CHAR, '').replace(MARKUP, (c) => TEXT_ENTITY[c]!);
}

/** Escape an attribute value; TAB/LF/CR become references so attribute normalisation keeps them. */
export function escAttr(s: string): string {
  if (!NEEDS_ESCAPE.test(s) && !/[\t\n]/.test(s)) return s;
  return s.replace(NOT_XML_CHAR, '').replace(MARKUP, (c) => ATTR_ENTITY[c]!);
}

/** <Local>escaped text</Local> */
export function t(local: string, value: string): string {
  return '<' + local + '>' + esc(value) + '</' + local + '>';
}

export function n(local: string, value: number): string {
  return '<' + local + '>' + (Number.isFinite(value) ? String(Math.trunc(value)) : '0') + '</' + local + '>';
}

export function b(ctx: BuildCtx, local: string, value: boolean): string {
  const v = ctx.booleans === 'words' ? (value ? 'true' : 'false') : value ? '1' : '0';
  return '<' + local + '>' + v + '</' + local + '>';
}

/** An array argument (A.2.1: SOAP-ENC:arrayType="type[N]", N shaped by the arraySize quirk). */
export function arr(ctx: BuildCtx, local: string, itemType: string, count: number, inner: string): string {
  return arrOpen(ctx, local, itemType, count) + inner + '</' + local + '>';
}

/** The start tag of an array argument (see arr). */
export function arrOpen(ctx: BuildCtx, local: string, itemType: string, count: number): string {
  let size: string;
  switch (ctx.arraySize) {
    case 'none':
      return '<' + local + '>';
    case 'wrong':
      size = String(count + 1);
      break;
    case 'padded':
      size = String(count).padStart(4, '0');
      break;
    case 'exact':
      size = String(count);
      break;
  }
  return '<' + local + ' ' + ctx.enc + ':arrayType="' + itemType + '[' + size + ']">';
}

/** An xsd:string[] array of `item` elements (ParameterNames, MethodList, AccessList). */
export function stringArr(ctx: BuildCtx, local: string, values: readonly string[], item = 'string'): string {
  let inner = '';
  for (const v of values) inner += t(item, v);
  return arr(ctx, local, 'xsd:string', values.length, inner);
}

export function buildFaultStruct(local: string, f: FaultStruct): string {
  return '<' + local + '>' + n('FaultCode', f.faultCode) + t('FaultString', f.faultString) + '</' + local + '>';
}

export function buildParameterValues(ctx: BuildCtx, local: string, list: readonly ParameterValue[]): string {
  let s = '';
  for (let i = 0; i < list.length; i++) s += parameterValueStruct(ctx, list[i]!);
  return arr(ctx, local, ctx.cwmp + ':ParameterValueStruct', list.length, s);
}

/** One <ParameterValueStruct> of a list. */
export function parameterValueStruct(ctx: BuildCtx, p: ParameterValue): string {
  return (
    '<ParameterValueStruct><Name>' +
    esc(p.name) +
    (!ctx.omitXsiType && p.type !== '' ? '</Name><Value xsi:type="' + escAttr(p.type) + '">' : '</Name><Value>') +
    esc(p.value) +
    '</Value></ParameterValueStruct>'
  );
}
