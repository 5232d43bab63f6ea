/**
 * SOAP 1.1 envelopes for CWMP: headers (TR-069 §3.4, cwmp-1-0 … cwmp-1-4.xsd) and dispatch of
 * the body to the RPC family that reads or writes it.
 *
 * Elements are matched on namespace URI and local name, never on prefixes. The envelope
 * elements are accepted in the SOAP envelope namespace and, for devices that confuse the two
 * (the Thomson `soap` prefix is bound to the encoding namespace), in the encoding namespace.
 */
import { ProtocolError, err, ok, type Result } from './errors.js';
import { buildFaultElement, findCwmpFault, parseFault } from './rpc/fault.js';
import { controlCodecs } from './rpc/control.js';
import { informCodecs } from './rpc/inform.js';
import { objectCodecs } from './rpc/objects.js';
import { parameterCodecs, parameterInfoStruct } from './rpc/parameters.js';
import { softwareCodecs } from './rpc/software.js';
import { transferCompleteCodecs } from './rpc/transfer-complete.js';
import { transferCodecs } from './rpc/transfers.js';
import { voucherCodecs } from './rpc/vouchers.js';
import { arrOpen, esc, isCwmpNamespace, parameterValueStruct, type BuildCtx, type CodecTable, type KnownBody, type KnownMethod, type MethodCodec } from './rpc/shared.js';
import { CWMP_NAMESPACES, type CwmpBody, type CwmpHeader, type CwmpNamespace, type Envelope, type ParameterInfo, type ParameterValue } from './types.js';
import { parseBoolean, parseInteger } from './value.js';
import { scanParameterResponse, type ScanMarks, type Scanned } from './scan.js';
import { DEFAULT_LIMITS, NS, parseXml, type ParseLimits, type XmlElement } from './xml.js';

/** Every known method, each with its reader and writer; the type makes the table complete. */
const CODECS: CodecTable<KnownMethod> = {
  ...informCodecs,
  ...parameterCodecs,
  ...objectCodecs,
  ...controlCodecs,
  ...transferCodecs,
  ...transferCompleteCodecs,
  ...softwareCodecs,
  ...voucherCodecs,
};
// A Map, so that body names like "constructor" or "__proto__" cannot reach Object.prototype.
const BY_NAME = new Map<string, MethodCodec<KnownMethod>>(Object.entries(CODECS) as [string, MethodCodec<KnownMethod>][]);

/** Names of the methods the codec reads and writes (everything but Fault and Unknown). */
export const KNOWN_METHODS: readonly KnownMethod[] = Object.keys(CODECS) as KnownMethod[];

const SOAP_URIS = new Set<string>([NS.soapEnv, NS.soapEnc]);

function soapChild(el: XmlElement, local: string): XmlElement | undefined {
  return el.children.find((c) => c.local === local && SOAP_URIS.has(c.uri));
}

// ---------------------------------------------------------------------------
// Parsing
// ---------------------------------------------------------------------------

/**
 * Parse one CWMP SOAP envelope. Never throws: malformed or hostile XML, a non-SOAP document,
 * an empty Body (NO_BODY) or a structurally broken message (INVALID_MESSAGE) come back as
 * `{ ok: false }`. A well-formed body whose method we do not know is `{ method: 'Unknown' }`,
 * so the caller can answer fault 8000/9000.
 */
export function parseEnvelope(xml: string, limits?: Partial<ParseLimits>, marks?: ScanMarks): Result<Envelope> {
  const l = resolveLimits(limits);
  // Big parameter responses (a bootstrap's discovery) take the scanner's fast path; it answers
  // exactly as the parser would, or leaves the message to the parser. `marks` (answer-memo.ts)
  // are filled when the scanner read the message.
  if (xml.length >= SCAN_MIN_LENGTH) {
    const scanned = scanParameterResponse(xml, l, marks);
    if (scanned) {
      if (marks !== undefined) marks.elements = scanned.elements;
      return read(scanned.root, scanned);
    }
  }
  if (marks !== undefined) marks.exact = false;
  return parseFull(xml, l);
}

/** Below this size the full parser is as quick, and the scanner's checks are not worth trying. */
const SCAN_MIN_LENGTH = 4096;

/** parseEnvelope through the full parser only (the reference the scanner is tested against). */
export function parseEnvelopeFull(xml: string, limits?: Partial<ParseLimits>): Result<Envelope> {
  return parseFull(xml, resolveLimits(limits));
}

function parseFull(xml: string, limits: ParseLimits): Result<Envelope> {
  const doc = parseXml(xml, limits);
  if (!doc.ok) return doc;
  return read(doc.value);
}

/** parseEnvelope with the scanner tried at any size; undefined when the scanner declined. */
export function parseEnvelopeScanned(xml: string, limits?: Partial<ParseLimits>): Result<Envelope> | undefined {
  const scanned = scanParameterResponse(xml, resolveLimits(limits));
  return scanned ? read(scanned.root, scanned) : undefined;
}

function read(root: XmlElement, scanned?: Scanned): Result<Envelope> {
  try {
    return ok(readEnvelope(root, scanned));
  } catch (e) {
    if (e instanceof ProtocolError) return err(e);
    // A reader bug must not take the server down; report it as the peer's bad message.
    return err(new ProtocolError('INVALID_MESSAGE', `unreadable message: ${(e instanceof Error ? e.message : String(e)).slice(0, 200)}`));
  }
}

/** Defaults for whatever the caller left out; an undefined or non-numeric limit must not lift the bound. */
export function resolveLimits(limits: Partial<ParseLimits> | undefined): ParseLimits {
  if (!limits) return DEFAULT_LIMITS;
  const pick = (v: number | undefined, d: number): number => (typeof v === 'number' && !Number.isNaN(v) ? v : d);
  return {
    maxBytes: pick(limits.maxBytes, DEFAULT_LIMITS.maxBytes),
    maxDepth: pick(limits.maxDepth, DEFAULT_LIMITS.maxDepth),
    maxElements: pick(limits.maxElements, DEFAULT_LIMITS.maxElements),
  };
}

function readEnvelope(root: XmlElement, scanned?: Scanned): Envelope {
  if (root.local !== 'Envelope' || !SOAP_URIS.has(root.uri)) {
    throw new ProtocolError('NOT_SOAP_ENVELOPE', `root element is {${root.uri.slice(0, 100)}}${root.local.slice(0, 100)}`);
  }
  const headerEl = soapChild(root, 'Header');
  const bodyEl = soapChild(root, 'Body');
  const method = bodyEl?.children[0];
  if (!method) throw new ProtocolError('NO_BODY', 'SOAP Body is missing or empty');
  const header = headerEl ? readHeader(headerEl) : {};

  if (method.local === 'Fault' && SOAP_URIS.has(method.uri)) {
    const fault = parseFault(method);
    return { namespace: inferNamespace(findCwmpFault(method)?.uri, headerEl, method), header, body: fault };
  }
  // Unqualified method elements are tolerated as CWMP; any other namespace is someone else's.
  const codec = method.uri === '' || isCwmpNamespace(method.uri) ? BY_NAME.get(method.local) : undefined;
  const body: CwmpBody =
    scanned?.method === method ? scanned.body : codec ? codec.parse(method) : { method: 'Unknown', name: method.local, namespaceUri: method.uri };
  return { namespace: inferNamespace(method.uri, headerEl, method), header, body };
}

/** The CWMP namespace in use: the method's, else a header's, else one declared in scope. */
function inferNamespace(uri: string | undefined, headerEl: XmlElement | undefined, method: XmlElement): CwmpNamespace {
  if (uri !== undefined && isCwmpNamespace(uri)) return uri;
  if (headerEl) for (const h of headerEl.children) if (isCwmpNamespace(h.uri)) return h.uri;
  for (const prefix in method.ns) {
    const u = method.ns[prefix]!;
    if (isCwmpNamespace(u)) return u;
  }
  return CWMP_NAMESPACES[0];
}

/** Header entries by local name in any namespace (some CPEs leave them unqualified). */
function readHeader(h: XmlElement): CwmpHeader {
  const out: CwmpHeader = {};
  for (const e of h.children) {
    switch (e.local) {
      case 'ID':
        // Kept exactly as sent: the response must echo the same ID.
        out.id = e.text;
        break;
      case 'HoldRequests': {
        const v = parseBoolean(e.text);
        if (v !== null) out.holdRequests = v;
        break;
      }
      case 'NoMoreRequests': {
        const v = parseBoolean(e.text);
        if (v !== null) out.noMoreRequests = v;
        break;
      }
      case 'SessionTimeout': {
        const v = parseInteger(e.text);
        if (v !== null) out.sessionTimeout = v;
        break;
      }
      case 'SupportedCWMPVersions':
        out.supportedCwmpVersions = e.text.trim();
        break;
      case 'UseCWMPVersion':
        out.useCwmpVersion = e.text.trim();
        break;
    }
  }
  return out;
}

// ---------------------------------------------------------------------------
// Building
// ---------------------------------------------------------------------------

/** Quirk knobs the CPE simulator uses to imitate real devices; the defaults are conformant. */
export interface BuildOptions {
  /** Leave xsi:type off parameter values (some CPEs never send it). */
  omitXsiType?: boolean;
  /** SOAP-ENC:arrayType size: exact N, none at all, N+1, or zero-padded to 4 digits ("[0008]"). */
  arraySize?: 'exact' | 'none' | 'wrong' | 'padded';
  /** Prefixes for the envelope and CWMP namespaces (defaults "soap-env" and "cwmp"). */
  prefixes?: { soapenv?: string; cwmp?: string };
  /** xsd:boolean arguments as 1/0 (default, what most CPEs send) or true/false. */
  booleans?: 'numeric' | 'words';
}

const NCNAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
const FIXED_PREFIXES = ['soap-enc', 'xsd', 'xsi'];

function prefix(p: string | undefined, dflt: string, what: string): string {
  if (p === undefined) return dflt;
  if (!NCNAME.test(p) || /^xml/i.test(p) || FIXED_PREFIXES.includes(p)) {
    throw new ProtocolError('INVALID_MESSAGE', `unusable ${what} prefix "${p}"`, 'local');
  }
  return p;
}

function context(opts: BuildOptions): BuildCtx {
  const env = prefix(opts.prefixes?.soapenv, 'soap-env', 'soapenv');
  const cwmp = prefix(opts.prefixes?.cwmp, 'cwmp', 'cwmp');
  if (env === cwmp) throw new ProtocolError('INVALID_MESSAGE', 'soapenv and cwmp prefixes must differ', 'local');
  return { env, cwmp, enc: 'soap-enc', omitXsiType: opts.omitXsiType ?? false, arraySize: opts.arraySize ?? 'exact', booleans: opts.booleans ?? 'numeric' };
}

function buildHeader(ctx: BuildCtx, h: CwmpHeader): string {
  const c = ctx.cwmp;
  const mu = (v: 0 | 1): string => ' ' + ctx.env + ':mustUnderstand="' + v + '">';
  let s = '';
  if (h.id !== undefined) s += '<' + c + ':ID' + mu(1) + esc(h.id) + '</' + c + ':ID>';
  if (h.holdRequests !== undefined) s += '<' + c + ':HoldRequests' + mu(1) + (h.holdRequests ? '1' : '0') + '</' + c + ':HoldRequests>';
  // Deprecated in 1.1; mustUnderstand 0 so a newer peer may ignore it.
  if (h.noMoreRequests !== undefined) s += '<' + c + ':NoMoreRequests' + mu(0) + (h.noMoreRequests ? '1' : '0') + '</' + c + ':NoMoreRequests>';
  if (h.sessionTimeout !== undefined) {
    const v = Number.isFinite(h.sessionTimeout) ? Math.trunc(h.sessionTimeout) : 0;
    s += '<' + c + ':SessionTimeout' + mu(0) + v + '</' + c + ':SessionTimeout>';
  }
  if (h.supportedCwmpVersions !== undefined) s += '<' + c + ':SupportedCWMPVersions' + mu(0) + esc(h.supportedCwmpVersions) + '</' + c + ':SupportedCWMPVersions>';
  if (h.useCwmpVersion !== undefined) s += '<' + c + ':UseCWMPVersion' + mu(1) + esc(h.useCwmpVersion) + '</' + c + ':UseCWMPVersion>';
  return s === '' ? '' : '<' + ctx.env + ':Header>' + s + '</' + ctx.env + ':Header>';
}

function buildBody(ctx: BuildCtx, env: Envelope): string {
  const body = env.body;
  switch (body.method) {
    case 'Fault':
      return buildFaultElement(ctx, body);
    case 'Unknown': {
      // For the simulator's "unsupported method" scenarios.
      if (!NCNAME.test(body.name)) throw new ProtocolError('INVALID_MESSAGE', `invalid element name "${body.name}"`, 'local');
      if (body.namespaceUri === env.namespace) return '<' + ctx.cwmp + ':' + body.name + '/>';
      if (body.namespaceUri === '') return '<' + body.name + '/>';
      return '<u:' + body.name + ' xmlns:u="' + esc(body.namespaceUri) + '"/>';
    }
    default: {
      const codec = CODECS[body.method] as unknown as MethodCodec<KnownMethod>;
      const inner = codec.build(body as KnownBody, ctx);
      const tag = ctx.cwmp + ':' + body.method;
      return inner === '' ? '<' + tag + '/>' : '<' + tag + '>' + inner + '</' + tag + '>';
    }
  }
}

/**
 * Serialise an envelope. Declares soap-env, soap-enc, xsd, xsi and cwmp on the Envelope,
 * escapes every text, and drops characters XML 1.0 cannot carry. Throws a `local`
 * ProtocolError only for caller mistakes (an unusable prefix or Unknown element name).
 */
export function buildEnvelope(env: Envelope, opts: BuildOptions = {}): string {
  const ctx = context(opts);
  return envelopeOpen(ctx, env) + buildBody(ctx, env) + envelopeClose(ctx);
}

function envelopeOpen(ctx: BuildCtx, env: Envelope): string {
  const e = ctx.env;
  return (
    '<?xml version="1.0" encoding="UTF-8"?>' +
    '<' + e + ':Envelope xmlns:' + e + '="' + NS.soapEnv + '" xmlns:soap-enc="' + NS.soapEnc +
    '" xmlns:xsd="' + NS.xsd + '" xmlns:xsi="' + NS.xsi + '" xmlns:' + ctx.cwmp + '="' + env.namespace + '">' +
    buildHeader(ctx, env.header) +
    '<' + e + ':Body>'
  );
}

function envelopeClose(ctx: BuildCtx): string {
  return '</' + ctx.env + ':Body></' + ctx.env + ':Envelope>';
}

/** Bytes per piece of buildEnvelopePieces: small enough to stay out of V8's and malloc's large-object paths. */
const PIECE_BYTES = 16 * 1024;

/**
 * buildEnvelope's text cut into pieces of at most about 16 KB (their concatenation, as UTF-8, is
 * exactly buildEnvelope's result), for a sender that writes them one after the other. A
 * 5,000-entry GetParameterValuesResponse is a megabyte: as one string and one Buffer, both are
 * fresh large allocations whose page faults cost more than building the text (three times as much
 * on this project's VMs); small pieces reuse memory the allocator already has, and most are the
 * remembered bytes of runs of entries (below). Only the two big list answers are cut, their
 * entries given as UTF-8 bytes; anything else is one string.
 *
 * A frozen parameter list cannot change, so its entries are written once per build context
 * and the pieces reused: the simulator answers every pristine device's GetParameterNames of
 * its whole tree with the same frozen list (src/cpe/rpc/params.ts).
 */
export function buildEnvelopePieces(env: Envelope, opts: BuildOptions = {}): (string | Buffer)[] {
  const body = env.body;
  if (body.method !== 'GetParameterValuesResponse' && body.method !== 'GetParameterNamesResponse') return [buildEnvelope(env, opts)];
  const list = body.parameterList;
  if (list.length === 0) return [buildEnvelope(env, opts)];
  const ctx = context(opts);
  const tag = ctx.cwmp + ':' + body.method;
  const values = body.method === 'GetParameterValuesResponse';
  const itemType = ctx.cwmp + (values ? ':ParameterValueStruct' : ':ParameterInfoStruct');
  const head = envelopeOpen(ctx, env) + '<' + tag + '>' + arrOpen(ctx, 'ParameterList', itemType, list.length);
  const entries = (Object.isFrozen(list) ? frozenEntryPieces(ctx, values, list) : null) ?? entryPieces(ctx, values, list);
  return [head, ...entries, '</ParameterList></' + tag + '>' + envelopeClose(ctx)];
}

/**
 * What frozen entries were written as, per build context: an entry that cannot change is
 * written once however many lists it is in, and so is a run of up to RUN of them that recurs
 * in the same order (kept as UTF-8: encoding a discovery's text for the socket cost as much as
 * the rest of the simulator's answer). The simulator answers each device's GetParameterValues
 * with one frozen entry per template parameter whose value is the template's
 * (src/cpe/rpc/params.ts), and entries of their own for the values that are the device's (its
 * serial number, MAC addresses worked out from it): the runs between those are the same objects
 * for every device of the model, so most of a discovery's 5,000 structs are neither escaped,
 * joined nor encoded again.
 */
interface Written {
  readonly entries: WeakMap<object, string>;
  /** By a run's first entry; checked entry by entry (by identity) before it is used. */
  readonly runs: WeakMap<object, { readonly entries: readonly object[]; readonly bytes: Buffer }>;
}

/** At most this many entries per run. */
const RUN = 32;

const WRITTEN = new Map<string, Written>();

function writtenFor(ctx: BuildCtx, values: boolean): Written {
  const key = ctxKey(ctx, values);
  let written = WRITTEN.get(key);
  if (written === undefined) WRITTEN.set(key, (written = { entries: new WeakMap(), runs: new WeakMap() }));
  return written;
}

const ctxKey = (ctx: BuildCtx, values: boolean): string => `${values}|${ctx.env}|${ctx.cwmp}|${ctx.enc}|${ctx.omitXsiType}|${ctx.arraySize}|${ctx.booleans}`;

/**
 * The entries of a list as UTF-8 pieces: each run of frozen entries its remembered bytes, as they
 * are (a sender writes them all at once: copying a discovery's runs into pieces of their own cost
 * the simulator more than the rest of its answer), and the entries of their own between runs
 * written together.
 */
function entryPieces(ctx: BuildCtx, values: boolean, list: readonly (ParameterValue | ParameterInfo)[]): Buffer[] {
  const pieces: Buffer[] = [];
  const written = writtenFor(ctx, values);
  // Entries of their own since the last run, joined and encoded once.
  let own: string[] = [];
  let ownBytes = 0;
  const flushOwn = (): void => {
    if (own.length === 0) return;
    pieces.push(Buffer.from(own.length === 1 ? own[0]! : own.join(''), 'utf8'));
    own = [];
    ownBytes = 0;
  };
  const textOf = (entry: ParameterValue | ParameterInfo, frozen: boolean): string => {
    let text = frozen ? written.entries.get(entry) : undefined;
    if (text === undefined) {
      text = values ? parameterValueStruct(ctx, entry as ParameterValue) : parameterInfoStruct(ctx, entry as ParameterInfo);
      if (frozen) written.entries.set(entry, text);
    }
    return text;
  };
  for (let i = 0; i < list.length; ) {
    const entry = list[i]!;
    if (!Object.isFrozen(entry)) {
      const text = textOf(entry, false);
      const bytes = Buffer.byteLength(text, 'utf8');
      if (ownBytes > 0 && ownBytes + bytes > PIECE_BYTES) flushOwn();
      own.push(text);
      ownBytes += bytes;
      i++;
      continue;
    }
    flushOwn();
    const run = written.runs.get(entry);
    if (run !== undefined && sameRun(list, i, run.entries)) {
      pieces.push(run.bytes);
      i += run.entries.length;
      continue;
    }
    // A run not written before: the frozen entries from here, up to RUN of them or PIECE_BYTES.
    const items: string[] = [];
    let end = i;
    let runChars = 0;
    while (end < list.length && end - i < RUN && runChars < PIECE_BYTES && Object.isFrozen(list[end])) {
      const text = textOf(list[end]!, true);
      items.push(text);
      runChars += text.length;
      end++;
    }
    const bytes = Buffer.from(items.length === 1 ? items[0]! : items.join(''), 'utf8');
    if (bytes.length <= PIECE_BYTES) written.runs.set(entry, { entries: list.slice(i, end), bytes });
    pieces.push(bytes);
    i = end;
  }
  flushOwn();
  return pieces;
}

/** Whether `list` holds exactly `entries` from `start` on. */
function sameRun(list: readonly unknown[], start: number, entries: readonly unknown[]): boolean {
  if (start + entries.length > list.length) return false;
  for (let k = 0; k < entries.length; k++) if (list[start + k] !== entries[k]) return false;
  return true;
}

/**
 * entryPieces of frozen lists of frozen entries (neither can change once checked), by list and
 * build context (what the entries' text depends on); null for a list with an entry that is not
 * frozen.
 */
const FROZEN_ENTRIES = new WeakMap<readonly unknown[], Map<string, readonly Buffer[]> | null>();

function frozenEntryPieces(ctx: BuildCtx, values: boolean, list: readonly (ParameterValue | ParameterInfo)[]): readonly Buffer[] | null {
  let byCtx = FROZEN_ENTRIES.get(list);
  if (byCtx === null) return null;
  if (byCtx === undefined) {
    byCtx = list.every((e) => Object.isFrozen(e)) ? new Map() : null;
    FROZEN_ENTRIES.set(list, byCtx);
    if (byCtx === null) return null;
  }
  const key = ctxKey(ctx, values);
  let pieces = byCtx.get(key);
  if (pieces === undefined) byCtx.set(key, (pieces = Object.freeze(entryPieces(ctx, values, list))));
  return pieces;
}
