/**
 * A memo of the big answers of a bootstrap: GetParameterNames and GetParameterValues.
 *
 * Devices of one model and firmware answer a discovery alike: the GetParameterNames answer byte
 * for byte, the GetParameterValues answer but for a few dozen values (serial number, addresses,
 * counters), and the envelopes but for the header's cwmp:ID. In a bootstrap storm the ACS reads
 * the same half-megabyte answers thousands of times. Decoding and scanning one costs
 * milliseconds and thousands of objects; comparing its bytes with a remembered answer, struct by
 * struct, costs a memcmp per struct, and only the structs that differ are parsed.
 *
 * A remembered answer is kept as its bytes, cut at the ID's text and at each struct of its
 * list (where the scanner found them), with its parsed entries, frozen. A message is answered
 * from it when it has the same bytes before and after the ID (same Content-Type, same limits),
 * a plain ID, and the same bytes after the list; in between, each stretch of bytes equal to a
 * remembered struct's stands for that struct's entry, and each stretch that is not must be one
 * element holding only text-only elements (so that it is balanced on its own and the structs
 * around it read as they would alone), all such stretches parsed together in the remembered
 * envelope. A remembered answer is ASCII read one character per byte, and what a message
 * brings of its own (the ID, the structs that differ) is printable ASCII, so the message's bytes
 * are its characters in the charset the remembered one was read in. A message that fits none of this is parsed as usual,
 * and test/cwmp/answer-memo.test.ts checks differentially that both ways answer the same.
 *
 * Nothing crosses between devices: every entry a message is given stands for bytes of that
 * message, equal to the bytes the entry was read from.
 *
 * The ID's cut is checked rather than trusted: an answer is remembered only when its frame
 * comes a second time (one-off answers cost a fingerprint, not a copy), and only after its bytes
 * with another ID in place of this one parse to the same message with that other ID.
 *
 * Pure: no I/O and no clock; bounded in entries and bytes.
 */
import { isAscii } from 'node:buffer';
import { decodeBody } from './charset.js';
import { noteRecalled } from './recalled.js';
import { parseEnvelope, parseEnvelopeScanned, resolveLimits } from './envelope.js';
import type { Result } from './errors.js';
import type { ScanMarks } from './scan.js';
import type { CwmpHeader, Envelope, GetParameterNamesResponse, GetParameterValuesResponse, ParameterInfo, ParameterValue } from './types.js';
import type { ParseLimits } from './xml.js';

export interface AnswerMemoOptions {
  /** Answers remembered at most (the least recently used one goes first). */
  entries?: number;
  /** Bytes of remembered answers at most, all entries together. */
  totalBytes?: number;
  /** Smaller answers are parsed each time (the scan is cheap, the memo is not worth it). */
  minBytes?: number;
  /** Larger answers are never remembered. */
  maxBytes?: number;
  /** Called for each message answered from the memo (a metric's counter). */
  onRecall?: () => void;
}

type ListBody = GetParameterNamesResponse | GetParameterValuesResponse;
type ListEntry = ParameterInfo | ParameterValue;

/** An ID the memo can stand in: characters that are themselves in every ASCII-compatible decoder and in XML text. */
const PLAIN_ID = /^[A-Za-z0-9._:+/=-]{1,64}$/;
const MAX_ID = 64;
/** One element whose children are text-only elements, whitespace around it: balanced by its shape alone. */
const ONE_STRUCT = /^[ \t\n]*<([A-Za-z_][A-Za-z0-9_.:-]*)(?:[ \t\n][^<>]*[^<>/])?>(?:[ \t\n]*<([A-Za-z_][A-Za-z0-9_.:-]*)(?:[ \t\n][^<>]*[^<>/])?>[^<]*<\/\2[ \t\n]*>)*[ \t\n]*<\/\1[ \t\n]*>[ \t\n]*$/;
const LT = 0x3c;

interface Entry {
  method: ListBody['method'];
  contentType: string;
  limits: string;
  /** The remembered answer's bytes. */
  bytes: Buffer;
  idStart: number;
  idEnd: number;
  /**
   * The digits of the list's arrayType ("…[5225]"), which CPEs with more or fewer structs
   * change (readers ignore it); null when the list has none.
   */
  count: { start: number; end: number } | null;
  /** Where each struct begins, then where the list's close tag begins (struct k is starts[k]..starts[k+1]). */
  starts: Int32Array;
  /** Elements outside the list's structs, and in each struct. */
  frameElements: number;
  structElements: Int32Array;
  /** The first struct's close tag, where a struct that differs is cut. */
  close: Buffer;
  namespace: Envelope['namespace'];
  /** The header without its ID (each recall sets its own). */
  header: Readonly<CwmpHeader>;
  /** The parsed entries, frozen. */
  list: readonly ListEntry[];
  body: ListBody;
}

/** Structs compared at once while they are equal. */
const CHUNK = 32;

/** How far ahead a struct that differs looks for the next equal one (structs taken away). */
const RESYNC = 16;

/** Frames seen once, remembered by fingerprint only. */
const MAX_SIGHTINGS = 64;

export class AnswerMemo {
  readonly #entries: Entry[] = [];
  readonly #sightings = new Set<string>();
  #bytes = 0;
  readonly #maxEntries: number;
  readonly #totalBytes: number;
  readonly #minBytes: number;
  readonly #maxBytes: number;
  readonly #onRecall: (() => void) | undefined;
  #hits = 0;
  #remembered = 0;
  #reparsed = 0;

  constructor(options: AnswerMemoOptions = {}) {
    this.#maxEntries = options.entries ?? 32;
    this.#totalBytes = options.totalBytes ?? 32 * 1024 * 1024;
    this.#minBytes = options.minBytes ?? 16 * 1024;
    this.#maxBytes = options.maxBytes ?? 4 * 1024 * 1024;
    this.#onRecall = options.onRecall;
  }

  /**
   * Decode and parse a message's bytes (as decodeBody then parseEnvelope would), answering a
   * repeated answer from the memo. The bytes are only read during the call.
   */
  read(bytes: Uint8Array, contentType: string | undefined, limits: Partial<ParseLimits>): Result<Envelope> {
    if (bytes.length < this.#minBytes || bytes.length > this.#maxBytes) return decodeAndParse(bytes, contentType, limits);
    const recalled = this.#recall(bytes, contentType, limits);
    if (recalled !== undefined) return { ok: true, value: recalled };
    const text = decodeBody(bytes, contentType);
    if (!text.ok) return text;
    const marks: ScanMarks = { starts: [], elements: 0, exact: false };
    const parsed = parseEnvelope(text.value, limits, marks);
    if (parsed.ok && marks.exact && text.value.length === bytes.length) this.#consider(bytes, contentType, limits, parsed.value, marks);
    return parsed;
  }

  /** The message these bytes (of a size the memo takes) are, from a remembered answer; undefined when none fits. */
  #recall(bytes: Uint8Array, contentType: string | undefined, limits: Partial<ParseLimits>): Envelope | undefined {
    const ct = contentType ?? '';
    const lk = limitsKey(limits);
    for (let k = 0; k < this.#entries.length; k++) {
      const e = this.#entries[k]!;
      if (e.contentType !== ct || e.limits !== lk) continue;
      const got = this.#fit(e, bytes, limits);
      if (got === undefined) continue;
      if (k > 0) {
        this.#entries.splice(k, 1);
        this.#entries.unshift(e);
      }
      this.#hits++;
      this.#onRecall?.();
      return got;
    }
    return undefined;
  }

  /** Answers recalled, answers remembered, structs parsed again in recalls (for tests and the benchmark). */
  stats(): { hits: number; remembered: number; reparsed: number; entries: number; bytes: number } {
    return { hits: this.#hits, remembered: this.#remembered, reparsed: this.#reparsed, entries: this.#entries.length, bytes: this.#bytes };
  }

  #fit(e: Entry, bytes: Uint8Array, limits: Partial<ParseLimits>): Envelope | undefined {
    const n = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
    const r = e.bytes;
    const tailLength = r.length - e.starts[e.starts.length - 1]!;
    // Before the ID, the ID (plain, up to the next "<"), after it to the first struct, after the list.
    if (!sameBytes(n, 0, r, 0, e.idStart)) return undefined;
    const idEnd = n.indexOf(LT, e.idStart);
    if (idEnd < 0 || idEnd - e.idStart > MAX_ID) return undefined;
    const id = plainId(n, e.idStart, idEnd);
    if (id === undefined) return undefined;
    const first = e.starts[0]!;
    const end = n.length - tailLength;
    if (!sameBytes(n, end, r, r.length - tailLength, tailLength)) return undefined;
    // From the ID to the first struct: equal, but for the list's arrayType count, if it has one.
    let at: number;
    if (e.count === null) {
      at = idEnd + (first - e.idEnd);
      if (!sameBytes(n, idEnd, r, e.idEnd, first - e.idEnd)) return undefined;
    } else {
      const digitsAt = idEnd + (e.count.start - e.idEnd);
      if (!sameBytes(n, idEnd, r, e.idEnd, e.count.start - e.idEnd)) return undefined;
      let digitsEnd = digitsAt;
      while (digitsEnd < end && digitsEnd - digitsAt <= 10 && n[digitsEnd]! >= 0x30 && n[digitsEnd]! <= 0x39) digitsEnd++;
      if (digitsEnd === digitsAt || digitsEnd - digitsAt > 10) return undefined;
      at = digitsEnd + (first - e.count.end);
      if (!sameBytes(n, digitsEnd, r, e.count.end, first - e.count.end)) return undefined;
    }
    if (at > end) return undefined;
    const lim = resolveLimits(limits);
    if (n.length > lim.maxBytes) return undefined;

    // The whole list as remembered (a listing): one comparison.
    const structs = e.starts.length - 1;
    const listLength = e.starts[structs]! - first;
    if (end - at === listLength && sameBytes(n, at, r, first, listLength)) return { namespace: e.namespace, header: { ...e.header, id }, body: e.body };

    // The structs: equal ones by reference, the others cut out to be parsed together.
    const out: ListEntry[] = [];
    const cuts: Buffer[] = [];
    const places: number[] = [];
    let elements = e.frameElements;
    let i = 0;
    // A quarter of the structs may differ, and 16 more: a message of another tree (or cut out of
    // step) gives up after a few dozen structs, not after reading them all.
    let matched = 0;
    while (at < end) {
      // Runs of equal structs are compared CHUNK at a time (most of a device's values are its
      // model's); in a run that differs somewhere, the equal structs before the difference are
      // taken in halves (16, 8, 4, 2, 1: five comparisons, not two per struct).
      if (i + CHUNK <= structs) {
        let whole = false;
        for (let span = CHUNK; span >= 1; span >>= 1) {
          const from = e.starts[i]!;
          const length = e.starts[i + span]! - from;
          if (at + length > end || !sameBytes(n, at, r, from, length)) continue;
          for (let k = i; k < i + span; k++) {
            out.push(e.list[k]!);
            elements += e.structElements[k]!;
          }
          matched += span;
          at += length;
          i += span;
          whole = span === CHUNK;
          if (whole) break;
        }
        if (whole) continue;
      }
      if (i < structs && this.#equal(e, n, at, end, i)) {
        out.push(e.list[i]!);
        elements += e.structElements[i]!;
        matched++;
        at += e.starts[i + 1]! - e.starts[i]!;
        i++;
        continue;
      }
      // A struct that differs: up to the remembered struct's close tag, and whitespace after it.
      const close = n.indexOf(e.close, at);
      if (close < 0 || close + e.close.length > end || cuts.length >= 16 + (matched >> 2)) return undefined;
      let stop = close + e.close.length;
      while (stop < end && (n[stop] === 0x20 || n[stop] === 0x0a || n[stop] === 0x09)) stop++;
      const cut = n.subarray(at, stop);
      if (!printable(cut)) return undefined;
      const text = cut.toString('latin1');
      if (!ONE_STRUCT.test(text)) return undefined;
      elements += openTags(text);
      places.push(out.length);
      out.push(e.list[0]!);
      cuts.push(cut);
      at = stop;
      // Back in step: this remembered struct (one inserted before it), the next (this one
      // replaced) or one a few further on (some taken away).
      if (i < structs && !this.#equal(e, n, at, end, i)) {
        if (this.#equal(e, n, at, end, i + 1)) i++;
        else {
          const stop = Math.min(structs, i + RESYNC);
          let j = i + 2;
          while (j < stop && !this.#equal(e, n, at, end, j)) j++;
          i = j < stop ? j : i + 1;
        }
      }
    }
    if (at !== end || elements > lim.maxElements) return undefined;

    let list: readonly ListEntry[] = out;
    if (cuts.length === 0) {
      // The whole list is the remembered one: its frozen array (the commit plan keys on it).
      if (out.length === structs) list = e.list;
    } else {
      // The structs that differ, in the remembered envelope: as the message reads them.
      const doc = Buffer.concat([r.subarray(0, first), ...cuts, r.subarray(e.starts[structs]!)]);
      const text = doc.toString('latin1');
      const parsed = parseEnvelopeScanned(text, limits) ?? parseEnvelope(text, limits);
      if (!parsed.ok || parsed.value.body.method !== e.method) return undefined;
      const got = (parsed.value.body as ListBody).parameterList;
      if (got.length !== cuts.length) return undefined;
      for (let k = 0; k < places.length; k++) out[places[k]!] = got[k]!;
      this.#reparsed += cuts.length;
    }
    // What is asked of every entry of the answer is then asked only of its own (./recalled.ts).
    if (list !== e.list) noteRecalled(list, e.list);
    const body = (list === e.list ? e.body : { method: e.method, parameterList: list }) as ListBody;
    return { namespace: e.namespace, header: { ...e.header, id }, body };
  }

  /** Whether n[at…] holds remembered struct i's bytes (before `end`). */
  #equal(e: Entry, n: Buffer, at: number, end: number, i: number): boolean {
    if (i >= e.starts.length - 1) return false;
    const from = e.starts[i]!;
    const length = e.starts[i + 1]! - from;
    return at + length <= end && sameBytes(n, at, e.bytes, from, length);
  }

  /** After a parse of these (ASCII) bytes: remember the answer when its frame comes a second time and the cut checks out. */
  #consider(bytes: Uint8Array, contentType: string | undefined, limits: Partial<ParseLimits>, envelope: Envelope, marks: ScanMarks): void {
    const body = envelope.body;
    if (body.method !== 'GetParameterNamesResponse' && body.method !== 'GetParameterValuesResponse') return;
    const starts = marks.starts;
    if (body.parameterList.length < 1 || starts.length !== body.parameterList.length + 1) return;
    const id = envelope.header.id;
    if (id === undefined || !PLAIN_ID.test(id)) return;
    const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
    if (!isAscii(buf)) return;
    const at = buf.indexOf(`>${id}<`, 0, 'latin1');
    if (at < 0 || at + 1 + id.length > starts[0]!) return;
    const idStart = at + 1;
    const idEnd = idStart + id.length;
    // An XML declaration must end before the ID (the charset it names must not depend on it).
    if (buf[0] === LT && buf[1] === 0x3f && buf.subarray(0, idStart).indexOf('?>', 0, 'latin1') < 0) return;
    const ct = contentType ?? '';
    const lk = limitsKey(limits);
    const list = body.parameterList as readonly ListEntry[];
    const sighting = fingerprint(buf, idStart, idEnd, starts[0]!, starts[starts.length - 1]!, `${body.method}/${list.length}/${list[0]!.name}/${list.at(-1)!.name}/${lk}/${ct}`);
    if (!this.#sightings.has(sighting)) {
      if (this.#sightings.size >= MAX_SIGHTINGS) this.#sightings.delete(this.#sightings.values().next().value!);
      this.#sightings.add(sighting);
      return;
    }
    this.#sightings.delete(sighting);
    // The same bytes with another ID must parse to the same message with that ID.
    const other = id.length < MAX_ID ? `${id}0` : `${id.slice(0, -1)}${id.endsWith('0') ? '1' : '0'}`;
    const copy = Buffer.from(buf);
    // And with another count in the list's arrayType, when the last "[digits]" quoted before the
    // first struct is one (the same check proves those digits change nothing either).
    const mid = copy.toString('latin1', idEnd, starts[0]!);
    let count: { start: number; end: number } | null = null;
    for (const m of mid.matchAll(/\[([0-9]{1,10})\]["']/g)) count = { start: idEnd + m.index + 1, end: idEnd + m.index + 1 + m[1]!.length };
    const parts = [copy.subarray(0, idStart), Buffer.from(other, 'latin1')];
    if (count === null) parts.push(copy.subarray(idEnd));
    else parts.push(copy.subarray(idEnd, count.start), Buffer.from(`${Number(copy.toString('latin1', count.start, count.end)) + 1}`, 'latin1'), copy.subarray(count.end));
    const alt = decodeAndParse(Buffer.concat(parts), contentType, limits);
    if (!alt.ok || alt.value.header.id !== other || !sameMessage(alt.value, envelope)) return;
    const first = copy.subarray(starts[0]!, starts[1]!).toString('latin1').trimEnd();
    const closeAt = first.lastIndexOf('</');
    if (closeAt < 0) return;
    const structElements = new Int32Array(starts.length - 1);
    for (let k = 0; k < structElements.length; k++) structElements[k] = openTags(copy.toString('latin1', starts[k]!, starts[k + 1]!));
    const { id: _own, ...header } = envelope.header;
    const size = copy.length;
    while (this.#entries.length > 0 && (this.#entries.length >= this.#maxEntries || this.#bytes + size > this.#totalBytes)) {
      const gone = this.#entries.pop()!;
      this.#bytes -= gone.bytes.length;
    }
    if (size > this.#totalBytes) return;
    const altBody = alt.value.body as ListBody;
    const frozen = Object.freeze((altBody.parameterList as ListEntry[]).map((p) => Object.freeze(p)));
    this.#entries.unshift({
      method: body.method,
      contentType: ct,
      limits: lk,
      bytes: copy,
      idStart,
      idEnd,
      count,
      // After the ID, offsets in the remembered bytes are the scan's.
      starts: Int32Array.from(starts),
      frameElements: marks.elements - structElements.reduce((a, b) => a + b, 0),
      structElements,
      close: Buffer.from(first.slice(closeAt), 'latin1'),
      namespace: envelope.namespace,
      header: Object.freeze(header),
      list: frozen,
      body: Object.freeze({ method: body.method, parameterList: frozen }) as ListBody,
    });
    this.#bytes += size;
    this.#remembered++;
  }
}

function decodeAndParse(bytes: Uint8Array, contentType: string | undefined, limits: Partial<ParseLimits>): Result<Envelope> {
  const text = decodeBody(bytes, contentType);
  return text.ok ? parseEnvelope(text.value, limits) : text;
}

function limitsKey(l: Partial<ParseLimits>): string {
  return `${l.maxBytes}/${l.maxDepth}/${l.maxElements}`;
}

/** a[aAt, aAt + length) equals b[bAt, bAt + length). */
function sameBytes(a: Uint8Array, aAt: number, b: Buffer, bAt: number, length: number): boolean {
  if (aAt < 0 || bAt < 0 || aAt + length > a.length || bAt + length > b.length) return false;
  return b.compare(a, aAt, aAt + length, bAt, bAt + length) === 0;
}

/** The ID in bytes[from, to) as a string, when it is plain. */
function plainId(bytes: Uint8Array, from: number, to: number): string | undefined {
  let id = '';
  for (let i = from; i < to; i++) id += String.fromCharCode(bytes[i]!);
  return PLAIN_ID.test(id) ? id : undefined;
}

/**
 * Printable ASCII, tab and line feed only: bytes every decoder a remembered answer was read with
 * (one character per byte) reads as themselves; no escape can switch a stateful one's state.
 */
function printable(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (b > 0x7e || (b < 0x20 && b !== 0x09 && b !== 0x0a)) return false;
  }
  return true;
}

/** Element open tags in a balanced stretch of markup ("<" then a name). */
function openTags(text: string): number {
  let n = 0;
  for (let i = text.indexOf('<'); i >= 0; i = text.indexOf('<', i + 1)) if (text.charCodeAt(i + 1) !== 0x2f) n++;
  return n;
}

/**
 * The answer's frame: the bytes around the ID up to the list and after it, hashed, with what
 * is given (method, count, first and last names, limits, charset). A collision only costs a
 * check that fails.
 */
function fingerprint(bytes: Buffer, idStart: number, idEnd: number, listStart: number, listEnd: number, what: string): string {
  let h = 0x811c9dc5;
  const mix = (from: number, to: number): void => {
    for (let i = from; i < to; i++) h = Math.imul(h ^ bytes[i]!, 0x01000193);
  };
  mix(0, idStart);
  mix(idEnd, listStart);
  mix(listEnd, bytes.length);
  return `${idStart}/${listStart - idEnd}/${bytes.length - listEnd}/${h >>> 0}/${what}`;
}

/** Same namespace, header (but the ID) and list. */
function sameMessage(a: Envelope, b: Envelope): boolean {
  if (a.namespace !== b.namespace || a.body.method !== b.body.method) return false;
  const ka = (Object.keys(a.header) as (keyof CwmpHeader)[]).filter((k) => k !== 'id');
  const kb = (Object.keys(b.header) as (keyof CwmpHeader)[]).filter((k) => k !== 'id');
  if (ka.length !== kb.length || ka.some((k) => a.header[k] !== b.header[k])) return false;
  if (a.body.method !== 'GetParameterNamesResponse' && a.body.method !== 'GetParameterValuesResponse') return false;
  const la = a.body.parameterList as readonly ListEntry[];
  const lb = (b.body as ListBody).parameterList as readonly ListEntry[];
  if (la.length !== lb.length) return false;
  for (let i = 0; i < la.length; i++) if (!sameEntry(la[i]!, lb[i]!)) return false;
  return true;
}

/** Entries of one method: every field equal (a listing's have no value or type, a read's no writable). */
function sameEntry(x: ListEntry, y: ListEntry): boolean {
  const px = x as Partial<ParameterInfo & ParameterValue>;
  const py = y as Partial<ParameterInfo & ParameterValue>;
  return px.name === py.name && px.writable === py.writable && px.value === py.value && px.type === py.type;
}
