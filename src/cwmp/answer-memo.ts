/**
 * A memo of repeated GetParameterNames answers.
 *
 * Devices of one model and firmware list their tree byte for byte alike: in a bootstrap storm
 * the ACS reads the same half-megabyte answer thousands of times, and only the header's
 * cwmp:ID differs. Decoding and scanning it costs milliseconds and thousands of objects per
 * session; comparing its bytes with a remembered copy costs a memcmp.
 *
 * What is remembered is the answer cut in three: the bytes before the ID's text (`head`), the
 * ID, and the bytes after it (`tail`). A message whose bytes are `head`, then a plain ID, then
 * `tail` (same Content-Type, same parse limits) parses exactly as the remembered one with its
 * own ID: XML text made only of plain characters changes nothing but that text, and the
 * decoders treat those ASCII bytes as themselves wherever they stand, since the head before
 * them is plain ASCII too. Equal bytes give an equal parse, so one device's answer can only
 * ever stand for another device's identical bytes: nothing crosses between devices.
 *
 * The cut is checked rather than trusted. An answer is remembered only when the same shape
 * comes a second time (one-off answers cost a fingerprint, not a copy), and only after the
 * bytes with another ID in place of this one parse to the same message with that other ID,
 * which proves the cut is the ID's text and nothing else. The remembered message is deeply
 * frozen: the sessions that share it cannot change it.
 *
 * Pure: no I/O and no clock; bounded in entries and bytes.
 */
import { decodeBody } from './charset.js';
import { parseEnvelope } from './envelope.js';
import type { Result } from './errors.js';
import type { CwmpHeader, Envelope, GetParameterNamesResponse } from './types.js';
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

/** An ID the memo can stand in: characters that are themselves in every ASCII-compatible decoder and in XML text. */
const PLAIN_ID = /^[A-Za-z0-9._:+/=-]{1,64}$/;
const MAX_ID = 64;

interface Entry {
  contentType: string;
  limits: string;
  head: Buffer;
  tail: Buffer;
  namespace: Envelope['namespace'];
  /** The header without its ID (each recall sets its own). */
  header: Readonly<CwmpHeader>;
  body: GetParameterNamesResponse;
}

/** Shapes seen once, remembered by fingerprint only. */
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

  constructor(options: AnswerMemoOptions = {}) {
    this.#maxEntries = options.entries ?? 32;
    this.#totalBytes = options.totalBytes ?? 64 * 1024 * 1024;
    this.#minBytes = options.minBytes ?? 16 * 1024;
    this.#maxBytes = options.maxBytes ?? 4 * 1024 * 1024;
    this.#onRecall = options.onRecall;
  }

  /**
   * Decode and parse a message's bytes (as decodeBody then parseEnvelope would), answering a
   * repeated GetParameterNames answer from the memo. The bytes are only read during the call.
   */
  read(bytes: Uint8Array, contentType: string | undefined, limits: Partial<ParseLimits>): Result<Envelope> {
    const recalled = this.recall(bytes, contentType, limits);
    if (recalled !== undefined) return { ok: true, value: recalled };
    const parsed = decodeAndParse(bytes, contentType, limits);
    if (parsed.ok) this.consider(bytes, contentType, limits, parsed.value);
    return parsed;
  }

  /** The remembered message these bytes repeat, with their own ID; undefined when none. */
  recall(bytes: Uint8Array, contentType: string | undefined, limits: Partial<ParseLimits>): Envelope | undefined {
    if (bytes.length < this.#minBytes || bytes.length > this.#maxBytes) return undefined;
    const ct = contentType ?? '';
    const lk = limitsKey(limits);
    for (let k = 0; k < this.#entries.length; k++) {
      const e = this.#entries[k]!;
      const idLength = bytes.length - e.head.length - e.tail.length;
      if (idLength < 1 || idLength > MAX_ID || e.contentType !== ct || e.limits !== lk) continue;
      if (!sameBytes(bytes, 0, e.head) || !sameBytes(bytes, bytes.length - e.tail.length, e.tail)) continue;
      const id = plainId(bytes, e.head.length, e.head.length + idLength);
      if (id === undefined) continue;
      if (k > 0) {
        this.#entries.splice(k, 1);
        this.#entries.unshift(e);
      }
      this.#hits++;
      this.#onRecall?.();
      return { namespace: e.namespace, header: { ...e.header, id }, body: e.body };
    }
    return undefined;
  }

  /** After a parse of these bytes: remember the answer when its shape comes a second time and the cut checks out. */
  consider(bytes: Uint8Array, contentType: string | undefined, limits: Partial<ParseLimits>, envelope: Envelope): void {
    if (envelope.body.method !== 'GetParameterNamesResponse') return;
    if (bytes.length < this.#minBytes || bytes.length > this.#maxBytes) return;
    const id = envelope.header.id;
    if (id === undefined || !PLAIN_ID.test(id)) return;
    const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
    const at = buf.indexOf(`>${id}</`, 0, 'latin1');
    if (at < 0) return;
    const idStart = at + 1;
    const idEnd = idStart + id.length;
    // The head must be plain ASCII so that its bytes are its characters, whatever the charset;
    // an XML declaration must end in it (the charset it names must not depend on the ID).
    if (!plainAscii(buf, 0, idStart)) return;
    if (buf[0] === 0x3c && buf[1] === 0x3f && buf.subarray(0, idStart).indexOf('?>', 0, 'latin1') < 0) return;
    const ct = contentType ?? '';
    const lk = limitsKey(limits);
    const sighting = fingerprint(buf, idStart, idEnd, ct, lk);
    if (!this.#sightings.has(sighting)) {
      if (this.#sightings.size >= MAX_SIGHTINGS) this.#sightings.delete(this.#sightings.values().next().value!);
      this.#sightings.add(sighting);
      return;
    }
    this.#sightings.delete(sighting);
    // The same bytes with another ID must parse to the same message with that ID.
    const other = id.length < MAX_ID ? `${id}0` : `${id.slice(0, -1)}${id.endsWith('0') ? '1' : '0'}`;
    const head = Buffer.from(buf.subarray(0, idStart));
    const tail = Buffer.from(buf.subarray(idEnd));
    const alt = decodeAndParse(Buffer.concat([head, Buffer.from(other, 'latin1'), tail]), contentType, limits);
    if (!alt.ok || alt.value.header.id !== other || !sameMessage(alt.value, envelope)) return;
    const { id: _own, ...header } = envelope.header;
    const size = head.length + tail.length;
    while (this.#entries.length > 0 && (this.#entries.length >= this.#maxEntries || this.#bytes + size > this.#totalBytes)) {
      const gone = this.#entries.pop()!;
      this.#bytes -= gone.head.length + gone.tail.length;
    }
    if (size > this.#totalBytes) return;
    this.#entries.unshift({ contentType: ct, limits: lk, head, tail, namespace: envelope.namespace, header: Object.freeze(header), body: freezeListing(alt.value.body as GetParameterNamesResponse) });
    this.#bytes += size;
    this.#remembered++;
  }

  /** Recalls answered, and answers remembered so far (for tests and the storm benchmark). */
  stats(): { hits: number; remembered: number; entries: number; bytes: number } {
    return { hits: this.#hits, remembered: this.#remembered, entries: this.#entries.length, bytes: this.#bytes };
  }
}

function decodeAndParse(bytes: Uint8Array, contentType: string | undefined, limits: Partial<ParseLimits>): Result<Envelope> {
  const text = decodeBody(bytes, contentType);
  return text.ok ? parseEnvelope(text.value, limits) : text;
}

function limitsKey(l: Partial<ParseLimits>): string {
  return `${l.maxBytes}/${l.maxDepth}/${l.maxElements}`;
}

function sameBytes(bytes: Uint8Array, at: number, want: Buffer): boolean {
  return want.compare(bytes, at, at + want.length) === 0;
}

function plainAscii(bytes: Uint8Array, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const b = bytes[i]!;
    if (b > 0x7e || (b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d)) return false;
  }
  return true;
}

/** The ID in bytes[from, to) as a string, when it is plain. */
function plainId(bytes: Uint8Array, from: number, to: number): string | undefined {
  let id = '';
  for (let i = from; i < to; i++) id += String.fromCharCode(bytes[i]!);
  return PLAIN_ID.test(id) ? id : undefined;
}

/**
 * The answer's shape without its ID: lengths, charset, limits and a hash of the head and of
 * bytes sampled along the tail. A collision only costs a check that fails.
 */
function fingerprint(bytes: Buffer, idStart: number, idEnd: number, ct: string, lk: string): string {
  let h = 0x811c9dc5;
  const mix = (b: number): void => {
    h = Math.imul(h ^ b, 0x01000193);
  };
  for (let i = 0; i < idStart; i++) mix(bytes[i]!);
  const tail = bytes.length - idEnd;
  const step = Math.max(1, Math.floor(tail / 4096));
  for (let i = idEnd; i < bytes.length; i += step) mix(bytes[i]!);
  return `${idStart}/${tail}/${h >>> 0}/${lk}/${ct}`;
}

/** Same namespace, header (but the ID) and listing. */
function sameMessage(a: Envelope, b: Envelope): boolean {
  if (a.namespace !== b.namespace || a.body.method !== 'GetParameterNamesResponse' || b.body.method !== 'GetParameterNamesResponse') return false;
  const ka = (Object.keys(a.header) as (keyof CwmpHeader)[]).filter((k) => k !== 'id');
  const kb = (Object.keys(b.header) as (keyof CwmpHeader)[]).filter((k) => k !== 'id');
  if (ka.length !== kb.length || ka.some((k) => a.header[k] !== b.header[k])) return false;
  const la = a.body.parameterList;
  const lb = b.body.parameterList;
  if (la.length !== lb.length) return false;
  for (let i = 0; i < la.length; i++) if (la[i]!.name !== lb[i]!.name || la[i]!.writable !== lb[i]!.writable) return false;
  return true;
}

function freezeListing(body: GetParameterNamesResponse): GetParameterNamesResponse {
  for (const p of body.parameterList) Object.freeze(p);
  Object.freeze(body.parameterList);
  return Object.freeze(body);
}
