/**
 * The one XML adapter of the project: `saxes` (a non-validating, namespace-aware SAX parser)
 * turned into a light element tree. Everything that reads XML goes through `parseXml`, so the
 * parser can be swapped or benchmarked in one place (bench/codec.ts).
 *
 * Hostile input is a value, not a crash: every failure is an `{ ok: false }` carrying a
 * ProtocolError, and nothing escapes as an exception. The defences, and why:
 * - any DOCTYPE is refused (CWMP never needs one; DTDs are how entity-expansion and XXE
 *   attacks get in), so the internal subset is never interpreted;
 * - only the five predefined entities and character references are expanded (saxes knows no
 *   others and reports "undefined entity", which we map to ENTITY_FORBIDDEN);
 * - size, depth and element count are bounded before and while parsing, so a deeply nested
 *   or huge document costs at most `maxBytes` of scanning.
 */
import { SaxesParser, type SaxesTagNS } from 'saxes';
import { ProtocolError, err, ok, type ProtocolErrorCode, type Result } from './errors.js';

export interface ParseLimits {
  /** Upper bound on the document length, in UTF-16 code units (≈ bytes for the ASCII XML CWMP uses). */
  maxBytes: number;
  /** Maximum element nesting depth (a CWMP message needs about 8). */
  maxDepth: number;
  /** Maximum number of elements (a 6,500-parameter GetParameterValuesResponse has ~20,000). */
  maxElements: number;
}

export const DEFAULT_LIMITS: ParseLimits = Object.freeze({
  maxBytes: 4 * 1024 * 1024,
  maxDepth: 64,
  maxElements: 250_000,
});

/** In-scope namespace bindings (prefix → URI), chained through prototypes to the parent's. */
export type NsScope = Readonly<Record<string, string>>;

export interface XmlAttr {
  uri: string;
  local: string;
  value: string;
}

export interface XmlElement {
  /** Namespace URI; "" for an unqualified element. */
  uri: string;
  local: string;
  /** Attributes other than namespace declarations. */
  attrs: XmlAttr[];
  children: XmlElement[];
  /** All character data directly inside the element (text and CDATA), entities expanded. */
  text: string;
  /** Namespace bindings in scope, to resolve QName-valued attributes such as xsi:type. */
  ns: NsScope;
}

export const NS = {
  soapEnv: 'http://schemas.xmlsoap.org/soap/envelope/',
  soapEnc: 'http://schemas.xmlsoap.org/soap/encoding/',
  xsd: 'http://www.w3.org/2001/XMLSchema',
  xsi: 'http://www.w3.org/2001/XMLSchema-instance',
  xmlns: 'http://www.w3.org/2000/xmlns/',
} as const;

/**
 * Prefixes some CPEs use without declaring them (seen in the field with xsi:type on values).
 * saxes consults this only for prefixes that are not bound, so a declaration always wins.
 */
export const UNDECLARED_PREFIXES: Readonly<Record<string, string>> = {
  xsi: NS.xsi,
  xsd: NS.xsd,
  'soap-enc': NS.soapEnc,
  'SOAP-ENC': NS.soapEnc,
  soapenc: NS.soapEnc,
};

export const EMPTY_SCOPE: NsScope = Object.freeze(Object.create(null) as Record<string, string>);

/** Thrown inside saxes callbacks to stop parsing at once; caught in parseXml. */
class Abort {
  constructor(readonly error: ProtocolError) {}
}

function abort(code: ProtocolErrorCode, message: string): never {
  throw new Abort(new ProtocolError(code, message));
}

/** Parse one XML document into an element tree, within `limits`. Never throws. */
export function parseXml(xml: string, limits: ParseLimits = DEFAULT_LIMITS): Result<XmlElement> {
  if (typeof xml !== 'string') return err(new ProtocolError('XML_MALFORMED', 'body is not a string'));
  if (xml.length > limits.maxBytes) {
    return err(new ProtocolError('BODY_TOO_LARGE', `body of ${xml.length} exceeds ${limits.maxBytes}`));
  }
  xml = trimQuirks(xml);
  let root: XmlElement | undefined;
  let cur: XmlElement | undefined;
  const stack: XmlElement[] = [];
  let count = 0;

  const parser = new SaxesParser({
    xmlns: true,
    position: false,
    resolvePrefix: (prefix: string) => UNDECLARED_PREFIXES[prefix],
  });
  parser.on('doctype', () => abort('DOCTYPE_FORBIDDEN', 'DOCTYPE declarations are not accepted'));
  parser.on('error', (e: Error) => {
    if (e.message.includes('undefined entity')) abort('ENTITY_FORBIDDEN', 'entity references other than the XML predefined ones are not accepted');
    // saxes quotes the offending input; keep log lines bounded.
    abort('XML_MALFORMED', e.message.slice(0, 200));
  });
  parser.on('opentag', (tag: SaxesTagNS) => {
    if (++count > limits.maxElements) abort('XML_TOO_MANY_ELEMENTS', `more than ${limits.maxElements} elements`);
    if (stack.length >= limits.maxDepth) abort('XML_TOO_DEEP', `nesting deeper than ${limits.maxDepth}`);
    const parentScope = cur ? cur.ns : EMPTY_SCOPE;
    let scope = parentScope;
    for (const _prefix in tag.ns) {
      // Only elements that declare namespaces get a scope of their own.
      scope = Object.assign(Object.create(parentScope) as Record<string, string>, tag.ns);
      break;
    }
    const attrs: XmlAttr[] = [];
    const a = tag.attributes;
    for (const name in a) {
      const at = a[name]!;
      if (at.uri === NS.xmlns) continue;
      attrs.push({ uri: at.uri, local: at.local, value: at.value });
    }
    const el: XmlElement = { uri: tag.uri, local: tag.local, attrs, children: [], text: '', ns: scope };
    if (cur) cur.children.push(el);
    else root = el;
    stack.push(el);
    cur = el;
  });
  parser.on('closetag', () => {
    stack.pop();
    cur = stack[stack.length - 1];
  });
  const onText = (t: string): void => {
    if (cur) cur.text += t;
  };
  parser.on('text', onText);
  parser.on('cdata', onText);

  try {
    parser.write(xml);
    parser.close();
  } catch (e) {
    if (e instanceof Abort) return err(classifyPrologError(e.error, xml, root));
    return err(new ProtocolError('XML_MALFORMED', e instanceof Error ? e.message.slice(0, 200) : 'unparseable XML'));
  }
  if (!root) return err(new ProtocolError('XML_MALFORMED', 'no root element'));
  return ok(root);
}

/**
 * Two harmless framing quirks of embedded HTTP stacks: whitespace before the XML declaration
 * (which XML forbids), and the C string terminator counted into Content-Length.
 */
export function trimQuirks(xml: string): string {
  // Plain loops, not regexes: a hostile run of spaces or NULs must stay linear.
  let end = xml.length;
  while (end > 0 && xml.charCodeAt(end - 1) === 0) end--;
  let start = 0;
  while (start < end && xml.charCodeAt(start) <= 0x20 && /\s/.test(xml[start]!)) start++;
  if (start > 0 && !xml.startsWith('<?xml', start)) start = 0;
  return start === 0 && end === xml.length ? xml : xml.slice(start, end);
}

/**
 * A DOCTYPE that never completes (truncated, or an internal subset saxes gives up on) fails as
 * malformed before the `doctype` event fires; report it as what it is.
 */
function classifyPrologError(e: ProtocolError, xml: string, root: XmlElement | undefined): ProtocolError {
  if (root === undefined && e.code === 'XML_MALFORMED' && xml.includes('<!DOCTYPE')) {
    return new ProtocolError('DOCTYPE_FORBIDDEN', 'DOCTYPE declarations are not accepted');
  }
  return e;
}

// ---------------------------------------------------------------------------
// Tree readers shared by the envelope and RPC modules
// ---------------------------------------------------------------------------

/** First child with this local name, in any namespace (CWMP argument elements are unqualified). */
export function childByLocal(el: XmlElement, local: string): XmlElement | undefined {
  const c = el.children;
  for (let i = 0; i < c.length; i++) if (c[i]!.local === local) return c[i];
  return undefined;
}
