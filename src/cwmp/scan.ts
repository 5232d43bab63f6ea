/**
 * A fast path for the two big messages of a bootstrap: GetParameterValuesResponse and
 * GetParameterNamesResponse (5,000 entries and half a megabyte each on a TR-181 device).
 *
 * One pass over the string with indexOf and charCodeAt, straight to the typed list, without
 * the SAX events and element tree of the full parser (xml.ts), which cost most of the ACS's
 * parse time. It accepts only a plain subset of XML in the shape these messages have:
 * an optional XML declaration, the Envelope with an optional Header of text-only entries,
 * a Body holding only the method element, which holds only ParameterList, whose structs hold
 * only text-only elements; attributes anywhere, namespace prefixes resolved exactly as the
 * parser resolves them (declarations, the undeclared xsi/xsd/soap-enc spellings), the five
 * predefined entities and character references. Anything else — comments, CDATA, PIs, any
 * DOCTYPE, other entities, characters outside the plain XML 1.0 set, unusual names, text
 * where none belongs, a struct without Name, a bound exceeded, malformed input of any kind —
 * returns undefined and the caller runs the full parser, which decides (and reports the
 * error). So the scanner never accepts what the parser refuses and never answers
 * differently; test/cwmp/scan.test.ts checks that differentially.
 *
 * Pure: no I/O.
 */
import { isCwmpNamespace, isTypeAttr, normalizeType } from './rpc/shared.js';
import type { GetParameterNamesResponse, GetParameterValuesResponse, ParameterInfo, ParameterValue } from './types.js';
import { parseBoolean, normalizeValue } from './value.js';
import { EMPTY_SCOPE, NS, UNDECLARED_PREFIXES, trimQuirks, type NsScope, type ParseLimits, type XmlAttr, type XmlElement } from './xml.js';

/**
 * Where the list's structs are in the scanned text, for a caller that compares a later message
 * with this one (answer-memo.ts): `starts[k]` is where struct k begins, and its bytes run to
 * `starts[k + 1]` (whitespace after it included); the last start is where the list's close tag
 * begins. `exact` says the offsets are the input's (nothing trimmed or normalised before the
 * scan, and the scan succeeded); `elements` is the element count.
 */
export interface ScanMarks {
  starts: number[];
  elements: number;
  exact: boolean;
}

/** What the scanner read: the envelope's skeleton (for the header and namespace) and the body. */
export interface Scanned {
  /** Envelope → [Header →entries], Body → method; the method element has no children here. */
  root: XmlElement;
  method: XmlElement;
  body: GetParameterValuesResponse | GetParameterNamesResponse;
  /** Elements in the message. */
  elements: number;
}

const XML_NAMESPACE = 'http://www.w3.org/XML/1998/namespace';
const SOAP_URIS = new Set<string>([NS.soapEnv, NS.soapEnc]);

// Characters the plain subset leaves to the parser: those XML 1.0 forbids, and surrogates
// (valid in pairs, but the parser checks the pairing; rare in CWMP).
// eslint-disable-next-line no-control-regex -- matching the control characters is the point
const UNUSUAL_CHAR = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uD800-\uDFFF\uFFFE\uFFFF]/;
// The XML declaration as the parser accepts it, in its plain spellings only.
const XML_DECL = /^<\?xml[ \t\n]+version[ \t\n]*=[ \t\n]*(["'])1\.0\1(?:[ \t\n]+encoding[ \t\n]*=[ \t\n]*(["'])[A-Za-z][A-Za-z0-9._-]*\2)?(?:[ \t\n]+standalone[ \t\n]*=[ \t\n]*(["'])(?:yes|no)\3)?[ \t\n]*\?>/;

/** Thrown to leave the scan for the full parser; caught in scanParameterResponse only. */
class Unusual {}
const UNUSUAL = new Unusual();
function bail(): never {
  throw UNUSUAL;
}

const enum C {
  TAB = 9,
  LF = 10,
  SPACE = 32,
  QUOT = 34,
  AMP = 38,
  APOS = 39,
  DASH = 45,
  DOT = 46,
  SLASH = 47,
  COLON = 58,
  LT = 60,
  EQ = 61,
  GT = 62,
  UNDERSCORE = 95,
}

function isNameStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === C.UNDERSCORE;
}
function isNameChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === C.UNDERSCORE || c === C.DASH || c === C.DOT || c === C.COLON;
}
function isXmlChar(n: number): boolean {
  return n === 9 || n === 10 || n === 13 || (n >= 0x20 && n <= 0xd7ff) || (n >= 0xe000 && n <= 0xfffd) || (n >= 0x10000 && n <= 0x10ffff);
}

const PREDEFINED: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** Character data with entity and character references expanded as the parser does. */
function decodeText(raw: string): string {
  let amp = raw.indexOf('&');
  if (amp < 0) return raw;
  let out = '';
  let from = 0;
  while (amp >= 0) {
    const semi = raw.indexOf(';', amp + 1);
    if (semi < 0 || semi - amp > 12) bail();
    const name = raw.slice(amp + 1, semi);
    let rep: string | undefined;
    if (name.charCodeAt(0) === 35 /* # */) {
      let num = NaN;
      if (/^#x[0-9a-fA-F]{1,6}$/.test(name)) num = parseInt(name.slice(2), 16);
      else if (/^#[0-9]{1,7}$/.test(name)) num = parseInt(name.slice(1), 10);
      if (!isXmlChar(num)) bail();
      rep = String.fromCodePoint(num);
    } else {
      rep = Object.prototype.hasOwnProperty.call(PREDEFINED, name) ? PREDEFINED[name] : undefined;
      if (rep === undefined) bail();
    }
    out += raw.slice(from, amp) + rep;
    from = semi + 1;
    amp = raw.indexOf('&', from);
  }
  return out + raw.slice(from);
}

/** One open tag as read: names resolved, attributes kept raw for whoever needs them. */
interface Tag {
  qname: string;
  local: string;
  uri: string;
  scope: NsScope;
  selfClosing: boolean;
  /** Attribute qnames, values and resolved URIs/locals (namespace declarations excluded). */
  attrCount: number;
}

/** An item's open tag (structs and their fields), remembered by its exact text. */
interface ItemTag {
  text: string;
  qname: string;
  local: string;
  scope: NsScope;
  selfClosing: boolean;
  /** Its xsi:type as xsiType reads it ("" when none). */
  type: string;
}

/** How many distinct item tags are remembered per scope (a list uses a handful). */
const ITEM_CACHE = 16;

class Scanner {
  i = 0;
  count = 0;
  // The item tags seen under `cacheScope`: the same text under the same scope reads the same.
  private cache: ItemTag[] = [];
  private cacheScope: NsScope | undefined;
  // Reused attribute buffers (the hot loop must not allocate per attribute).
  private aName: string[] = [];
  private aValue: string[] = [];
  private aUri: string[] = [];
  private aLocal: string[] = [];
  private declPrefix: string[] = [];
  private declUri: string[] = [];
  readonly tag: Tag = { qname: '', local: '', uri: '', scope: EMPTY_SCOPE, selfClosing: false, attrCount: 0 };

  constructor(
    readonly s: string,
    readonly maxElements: number,
  ) {}

  skipWs(): void {
    const s = this.s;
    let i = this.i;
    for (;;) {
      const c = s.charCodeAt(i);
      if (c === C.SPACE || c === C.LF || c === C.TAB) i++;
      else break;
    }
    this.i = i;
  }

  /** At "</": true (not consumed); at "<" + name start: false; anything else is unusual. */
  atClose(): boolean {
    const s = this.s;
    if (s.charCodeAt(this.i) !== C.LT) bail();
    const c = s.charCodeAt(this.i + 1);
    if (c === C.SLASH) return true;
    if (!isNameStart(c)) bail();
    return false;
  }

  /** "</qname" S? ">" */
  close(qname: string): void {
    const s = this.s;
    const i = this.i + 2;
    if (!s.startsWith(qname, i)) bail();
    this.i = i + qname.length;
    this.skipWs();
    if (s.charCodeAt(this.i) !== C.GT) bail();
    this.i++;
  }

  private name(): string {
    const s = this.s;
    const start = this.i;
    let i = start;
    if (!isNameStart(s.charCodeAt(i))) bail();
    i++;
    while (isNameChar(s.charCodeAt(i))) i++;
    this.i = i;
    return s.slice(start, i);
  }

  /** Read "<name attrs…>" or "<name attrs…/>" into this.tag, with the scope the parser would give. */
  open(parent: NsScope): Tag {
    if (++this.count > this.maxElements) bail();
    const s = this.s;
    this.i++; // "<"
    const qname = this.name();
    let n = 0;
    let decls = 0;
    let selfClosing = false;
    for (;;) {
      const before = this.i;
      this.skipWs();
      const c = s.charCodeAt(this.i);
      if (c === C.GT) {
        this.i++;
        break;
      }
      if (c === C.SLASH) {
        if (s.charCodeAt(this.i + 1) !== C.GT) bail();
        this.i += 2;
        selfClosing = true;
        break;
      }
      if (this.i === before) bail(); // attributes need whitespace before them
      const an = this.name();
      this.skipWs();
      if (s.charCodeAt(this.i) !== C.EQ) bail();
      this.i++;
      this.skipWs();
      const q = s.charCodeAt(this.i);
      if (q !== C.QUOT && q !== C.APOS) bail();
      const end = s.indexOf(q === C.QUOT ? '"' : "'", this.i + 1);
      if (end < 0) bail();
      const value = s.slice(this.i + 1, end);
      // Entities, markup and whitespace normalisation in attribute values: the parser's job.
      if (value.indexOf('&') >= 0 || value.indexOf('<') >= 0 || value.indexOf('\n') >= 0 || value.indexOf('\t') >= 0) bail();
      this.i = end + 1;
      if (an === 'xmlns') {
        this.declPrefix[decls] = '';
        this.declUri[decls++] = value.trim();
      } else if (an.startsWith('xmlns:')) {
        const p = an.slice(6);
        const uri = value.trim();
        if (uri === '' || p === '' || p.indexOf(':') >= 0) bail();
        this.declPrefix[decls] = p;
        this.declUri[decls++] = uri;
      } else {
        this.aName[n] = an;
        this.aValue[n++] = value;
      }
    }
    let scope = parent;
    if (decls > 0) {
      const own = Object.create(null) as Record<string, string>;
      for (let k = 0; k < decls; k++) {
        const p = this.declPrefix[k]!;
        const uri = this.declUri[k]!;
        // Reserved prefixes and URIs have rules of their own; duplicates are errors.
        if (/^xml/i.test(p) || uri === XML_NAMESPACE || uri === NS.xmlns || Object.prototype.hasOwnProperty.call(own, p)) bail();
        own[p] = uri;
      }
      scope = Object.assign(Object.create(parent) as Record<string, string>, own);
    }
    const t = this.tag;
    const colon = qname.indexOf(':');
    if (colon < 0) {
      t.local = qname;
      t.uri = resolve(scope, '') ?? '';
    } else {
      const prefix = qname.slice(0, colon);
      const local = qname.slice(colon + 1);
      if (local === '' || local.indexOf(':') >= 0 || !isNameStart(local.charCodeAt(0)) || /^xml/i.test(prefix)) bail();
      const uri = resolve(scope, prefix);
      if (uri === undefined || uri === '') bail();
      t.local = local;
      t.uri = uri;
    }
    for (let k = 0; k < n; k++) {
      const an = this.aName[k]!;
      const c = an.indexOf(':');
      if (c < 0) {
        this.aUri[k] = '';
        this.aLocal[k] = an;
      } else {
        const p = an.slice(0, c);
        const local = an.slice(c + 1);
        if (local === '' || local.indexOf(':') >= 0 || !isNameStart(local.charCodeAt(0)) || /^xml/i.test(p)) bail();
        const uri = resolve(scope, p);
        if (uri === undefined || uri === '') bail();
        this.aUri[k] = uri;
        this.aLocal[k] = local;
      }
      // Duplicates (by expanded name) are errors for the parser.
      for (let j = 0; j < k; j++) if (this.aLocal[j] === this.aLocal[k] && this.aUri[j] === this.aUri[k]) bail();
    }
    t.qname = qname;
    t.scope = scope;
    t.selfClosing = selfClosing;
    t.attrCount = n;
    return t;
  }

  /**
   * open() for the items of a list: a tag whose exact text was read before under the same scope
   * is taken from the cache (parsing is a function of the text and the scope), so a list of
   * 5,000 structs parses a handful of distinct tags.
   */
  openItem(parent: NsScope): ItemTag {
    const s = this.s;
    const start = this.i;
    if (parent === this.cacheScope) {
      const c = this.cache;
      for (let k = 0; k < c.length; k++) {
        const e = c[k]!;
        if (s.startsWith(e.text, start)) {
          if (++this.count > this.maxElements) bail();
          this.i = start + e.text.length;
          return e;
        }
      }
    } else {
      this.cache = [];
      this.cacheScope = parent;
    }
    const t = this.open(parent);
    const e: ItemTag = { text: s.slice(start, this.i), qname: t.qname, local: t.local, scope: t.scope, selfClosing: t.selfClosing, type: this.xsiType() };
    if (this.cache.length < ITEM_CACHE) this.cache.push(e);
    return e;
  }

  attrs(): XmlAttr[] {
    const out: XmlAttr[] = [];
    for (let k = 0; k < this.tag.attrCount; k++) out.push({ uri: this.aUri[k]!, local: this.aLocal[k]!, value: this.aValue[k]! });
    return out;
  }

  /** xsi:type of the current tag, as xsiType (rpc/shared.ts) reads it from the element. */
  xsiType(): string {
    const t = this.tag;
    for (let k = 0; k < t.attrCount; k++) if (isTypeAttr(this.aUri[k]!, this.aLocal[k]!)) return normalizeType(this.aValue[k]!, t.scope);
    return '';
  }

  /** The text of a text-only element whose open tag was just read, and its close tag. */
  leafText(t: { selfClosing: boolean; qname: string } = this.tag): string {
    if (t.selfClosing) return '';
    const s = this.s;
    const lt = s.indexOf('<', this.i);
    if (lt < 0 || s.charCodeAt(lt + 1) !== C.SLASH) bail();
    const raw = s.slice(this.i, lt);
    this.i = lt;
    this.close(t.qname);
    return decodeText(raw);
  }

  element(t: Tag): XmlElement {
    return { uri: t.uri, local: t.local, attrs: this.attrs(), children: [], text: '', ns: t.scope };
  }
}

const OBJECT_KEYS: ReadonlySet<string> = new Set(Object.getOwnPropertyNames(Object.prototype));

/** A prefix as the parser resolves it: declarations in scope, then the undeclared spellings. */
function resolve(scope: NsScope, prefix: string): string | undefined {
  // Names Object.prototype carries ("constructor", "__proto__" …) resolve oddly in the parser.
  if (OBJECT_KEYS.has(prefix)) bail();
  const uri = scope[prefix];
  if (uri !== undefined) return uri;
  return Object.prototype.hasOwnProperty.call(UNDECLARED_PREFIXES, prefix) ? UNDECLARED_PREFIXES[prefix] : undefined;
}

/**
 * Read a GetParameterValuesResponse or GetParameterNamesResponse in the plain subset, or
 * undefined for anything else (another message, or anything unusual): then the full parser
 * decides. `limits` are the full parser's; exceeding one is left to it.
 */
export function scanParameterResponse(input: string, limits: ParseLimits, marks?: ScanMarks): Scanned | undefined {
  if (marks !== undefined) {
    marks.starts.length = 0;
    marks.exact = false;
  }
  if (typeof input !== 'string' || input.length > limits.maxBytes || limits.maxDepth < 6) return undefined;
  let s = trimQuirks(input);
  if (s.charCodeAt(0) === 0xfeff) return undefined;
  // XML end-of-line handling (CRLF and lone CR read as LF), as the parser applies it everywhere.
  if (s.indexOf('\r') >= 0) s = s.replace(/\r\n?/g, '\n');
  try {
    const scanned = scan(s, limits, marks?.starts);
    if (scanned !== undefined && marks !== undefined) marks.exact = s === input;
    return scanned;
  } catch {
    // UNUSUAL, or anything else that went wrong here: the parser decides either way.
    return undefined;
  }
}

function scan(s: string, limits: ParseLimits, starts: number[] | undefined): Scanned | undefined {
  const sc = new Scanner(s, limits.maxElements);
  if (s.startsWith('<?')) {
    const m = XML_DECL.exec(s);
    if (!m) return undefined;
    sc.i = m[0].length;
  }
  sc.skipWs();
  if (sc.atClose()) return undefined;

  // Envelope
  let t = sc.open(EMPTY_SCOPE);
  if (t.local !== 'Envelope' || !SOAP_URIS.has(t.uri) || t.selfClosing) return undefined;
  const root = sc.element(t);
  const envQName = t.qname;

  // [Header] Body
  sc.skipWs();
  if (sc.atClose()) return undefined;
  t = sc.open(root.ns);
  if (t.local === 'Header' && SOAP_URIS.has(t.uri)) {
    const header = sc.element(t);
    root.children.push(header);
    if (!t.selfClosing) {
      const headerQName = t.qname;
      for (;;) {
        sc.skipWs();
        if (sc.atClose()) break;
        t = sc.open(header.ns);
        const entry = sc.element(t);
        entry.text = sc.leafText();
        header.children.push(entry);
      }
      sc.close(headerQName);
    }
    sc.skipWs();
    if (sc.atClose()) return undefined;
    t = sc.open(root.ns);
  }
  if (t.local !== 'Body' || !SOAP_URIS.has(t.uri) || t.selfClosing) return undefined;
  const bodyEl = sc.element(t);
  const bodyQName = t.qname;
  root.children.push(bodyEl);

  // The method element, holding ParameterList only.
  sc.skipWs();
  if (sc.atClose()) return undefined;
  t = sc.open(bodyEl.ns);
  const values = t.local === 'GetParameterValuesResponse';
  if ((!values && t.local !== 'GetParameterNamesResponse') || (t.uri !== '' && !isCwmpNamespace(t.uri)) || t.selfClosing) return undefined;
  // Whole-document checks, once the message is known to be one of ours (other big messages
  // skip them): what they find is the parser's to judge. ("<!" and "<?" need no pass of their
  // own: after "<" the scan takes only "/" or a name, and "<" in an attribute value is declined.)
  if (s.indexOf(']]>') >= 0 || UNUSUAL_CHAR.test(s)) return undefined;
  const method = sc.element(t);
  const methodQName = t.qname;
  bodyEl.children.push(method);
  sc.skipWs();
  if (sc.atClose()) return undefined;
  t = sc.open(method.ns);
  if (t.local !== 'ParameterList' || t.selfClosing) return undefined;
  const listQName = t.qname;
  const listScope = t.scope;

  const body: Scanned['body'] = values ? readValues(sc, listScope, starts) : readInfos(sc, listScope, starts);
  sc.close(listQName);
  sc.skipWs();
  if (!sc.atClose()) return undefined;
  sc.close(methodQName);
  sc.skipWs();
  if (!sc.atClose()) return undefined;
  sc.close(bodyQName);
  sc.skipWs();
  if (!sc.atClose()) return undefined;
  sc.close(envQName);
  sc.skipWs();
  if (sc.i !== s.length) return undefined;
  return { root, method, body, elements: sc.count };
}

/**
 * The fast path for the structs of a list after the first: a bootstrap's 5,000 structs all have
 * the shape of the first (the same open tag, then Name, then one more field, whitespace aside),
 * so once the general path has read one of that shape, the next are each matched by one sticky
 * regular expression built from the tags' exact texts (one native match instead of a dozen string
 * comparisons, each a builtin call: bench/codec.ts, 5,000 entries, 0.64 → 0.41 µs per
 * GetParameterValues entry and 0.64 → 0.34 per GetParameterNames entry). The second field's open
 * tag (its xsi:type varies) is captured and must be one the general path has read under the same
 * scope — the openItem cache's rule — so every struct the regex takes reads exactly as the
 * general path would read it; any other struct is left to the general path.
 */
class StructRun {
  readonly #re: RegExp;
  readonly #structText: string;
  readonly #nameText: string;
  /** The second field's open tags seen in structs of this shape, by exact text. */
  readonly #second = new Map<string, ItemTag>();
  // The last match (read() returns true): fields instead of a fresh tuple per struct.
  name = '';
  tag: ItemTag | undefined;
  text = '';

  constructor(struct: ItemTag, nameTag: ItemTag, second: ItemTag) {
    this.#structText = struct.text;
    this.#nameText = nameTag.text;
    this.#second.set(second.text, second);
    const ws = '[ \\t\\n]*';
    this.#re = new RegExp(
      `${escapeRegExp(struct.text)}${ws}${escapeRegExp(nameTag.text)}([^<]*)</${escapeRegExp(nameTag.qname)}${ws}>${ws}` +
        `(<[^<>]*>)([^<]*)</([^ \\t\\n>]*)${ws}>${ws}</${escapeRegExp(struct.qname)}${ws}>`,
      'y',
    );
  }

  /** Whether a struct the general path read has this shape (then its second tag is remembered). */
  learn(struct: ItemTag, nameTag: ItemTag, second: ItemTag): boolean {
    if (struct.text !== this.#structText || nameTag.text !== this.#nameText) return false;
    if (!this.#second.has(second.text) && this.#second.size < ITEM_CACHE) this.#second.set(second.text, second);
    return true;
  }

  /** Read the struct at sc.i into name/tag/text and move past it; false (nothing moved) if it is not of this shape. */
  read(sc: Scanner): boolean {
    const re = this.#re;
    re.lastIndex = sc.i;
    const m = re.exec(sc.s);
    if (m === null) return false;
    // Most structs repeat the previous one's tag: one comparison instead of hashing the text.
    const text = m[2]!;
    const last = this.tag;
    const tag = last !== undefined && last.text === text ? last : this.#second.get(text);
    if (tag === undefined || tag.selfClosing || m[4] !== tag.qname) return false;
    sc.count += 3;
    if (sc.count > sc.maxElements) bail();
    this.name = decodeText(m[1]!);
    this.tag = tag;
    this.text = decodeText(m[3]!);
    sc.i = re.lastIndex;
    return true;
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&');
}

/**
 * Runs (regular expressions compiled) per list at most: CPEs send one shape, or a few; a
 * message whose every struct has a shape of its own (a hostile one) would otherwise cost a
 * compilation per struct. Past this, the general path reads the rest.
 */
const MAX_RUNS = 8;

/**
 * One list's struct runs, for both readers: the run that takes the next struct, the runs made
 * so far, and the fields of the struct the general path is reading (its first two open tags and
 * how many there were), from which a struct of Name then `secondLocal`, both with content,
 * keeps, replaces or starts the run.
 */
class ListRuns {
  #run: StructRun | null = null;
  #made = 0;
  #first: ItemTag | undefined;
  #second: ItemTag | undefined;
  #fields = 0;

  constructor(private readonly secondLocal: string) {}

  /** The run that read the struct at sc.i (its name, tag and text), or null: the general path reads it. */
  read(sc: Scanner): StructRun | null {
    const run = this.#run;
    return run !== null && run.read(sc) ? run : null;
  }

  /** The general path opens a struct. */
  begin(): void {
    this.#first = this.#second = undefined;
    this.#fields = 0;
  }

  /** The general path opened a field of it. */
  field(t: ItemTag): void {
    if (this.#fields === 0) this.#first = t;
    else if (this.#fields === 1) this.#second = t;
    this.#fields++;
  }

  /** The general path closed `struct`. */
  end(struct: ItemTag): void {
    const first = this.#first;
    const second = this.#second;
    if (this.#fields !== 2 || first === undefined || second === undefined || first.local !== 'Name' || second.local !== this.secondLocal || first.selfClosing || second.selfClosing) return;
    if (this.#run !== null && this.#run.learn(struct, first, second)) return;
    if (this.#made >= MAX_RUNS) return;
    this.#made++;
    this.#run = new StructRun(struct, first, second);
  }
}

/** ParameterValueStructs, as readParameterValues (rpc/shared.ts) reads them. */
function readValues(sc: Scanner, listScope: NsScope, starts: number[] | undefined): GetParameterValuesResponse {
  const out: ParameterValue[] = [];
  const runs = new ListRuns('Value');
  for (;;) {
    sc.skipWs();
    starts?.push(sc.i);
    if (sc.atClose()) break;
    const run = runs.read(sc);
    if (run !== null) {
      const type = run.tag!.type;
      const v = run.text;
      out.push({ name: run.name.trim(), value: type === '' ? v : normalizeValue(type, v), type });
      continue;
    }
    const st = sc.openItem(listScope);
    if (st.selfClosing) bail(); // no Name: the parser's INVALID_MESSAGE
    const structQName = st.qname;
    const structScope = st.scope;
    let name: string | undefined;
    let value: string | undefined;
    let type = '';
    runs.begin();
    for (;;) {
      sc.skipWs();
      if (sc.atClose()) break;
      const t = sc.openItem(structScope);
      runs.field(t);
      if (t.local === 'Name') {
        const text = sc.leafText(t);
        name ??= text;
      } else if (t.local === 'Value' && value === undefined) {
        type = t.type;
        value = sc.leafText(t);
      } else sc.leafText(t);
    }
    sc.close(structQName);
    if (name === undefined) bail();
    const v = value ?? '';
    out.push({ name: name.trim(), value: type === '' ? v : normalizeValue(type, v), type });
    runs.end(st);
  }
  return { method: 'GetParameterValuesResponse', parameterList: out };
}

/** ParameterInfoStructs, as the GetParameterNamesResponse reader (rpc/parameters.ts) reads them. */
function readInfos(sc: Scanner, listScope: NsScope, starts: number[] | undefined): GetParameterNamesResponse {
  const out: ParameterInfo[] = [];
  const runs = new ListRuns('Writable');
  for (;;) {
    sc.skipWs();
    starts?.push(sc.i);
    if (sc.atClose()) break;
    const run = runs.read(sc);
    if (run !== null) {
      out.push({ name: run.name.trim(), writable: parseBoolean(run.text) ?? false });
      continue;
    }
    const st = sc.openItem(listScope);
    if (st.selfClosing) bail();
    const structQName = st.qname;
    const structScope = st.scope;
    let name: string | undefined;
    let writable: string | undefined;
    runs.begin();
    for (;;) {
      sc.skipWs();
      if (sc.atClose()) break;
      const t = sc.openItem(structScope);
      runs.field(t);
      const local = t.local;
      const text = sc.leafText(t);
      if (local === 'Name') name ??= text;
      else if (local === 'Writable') writable ??= text;
    }
    sc.close(structQName);
    if (name === undefined) bail();
    out.push({ name: name.trim(), writable: writable === undefined ? false : (parseBoolean(writable) ?? false) });
    runs.end(st);
  }
  return { method: 'GetParameterNamesResponse', parameterList: out };
}
