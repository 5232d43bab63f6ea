/**
 * STUN Binding Requests as TR-069 Annex G uses them (RFC 5389 framing plus two attributes of
 * TR-111 Part 2):
 *
 *   CONNECTION-REQUEST-BINDING (0xC001): value "dslforum.org/TR-111 " (20 bytes). The CPE puts
 *     it in the Binding Requests it sends from its UDP connection-request port, so the server
 *     knows this binding is where connection requests go.
 *   BINDING-CHANGE (0xC002): empty. The CPE adds it when it saw its binding change since the
 *     last request.
 *
 * The `stun` package frames responses (stun-server.ts) and the CPE reads them with it, but
 * its decoder gives 0xC001 another meaning (ICE NOMINATION, 4 bytes) and throws on the Annex G
 * value, so requests are read here: a bounded walk over the attributes, never throwing, that
 * also finds the bytes MESSAGE-INTEGRITY covers. Pure: no sockets, no clocks.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { crc32 } from 'node:zlib';

export const MAGIC_COOKIE = 0x2112a442;
export const BINDING_REQUEST = 0x0001;
export const BINDING_SUCCESS = 0x0101;
export const BINDING_ERROR = 0x0111;

export const ATTR = {
  MAPPED_ADDRESS: 0x0001,
  USERNAME: 0x0006,
  MESSAGE_INTEGRITY: 0x0008,
  ERROR_CODE: 0x0009,
  XOR_MAPPED_ADDRESS: 0x0020,
  FINGERPRINT: 0x8028,
  CONNECTION_REQUEST_BINDING: 0xc001,
  BINDING_CHANGE: 0xc002,
} as const;

/** The value TR-111 fixes for CONNECTION-REQUEST-BINDING (note the trailing space). */
export const CONNECTION_REQUEST_BINDING_VALUE = 'dslforum.org/TR-111 ';

/** Larger than any Binding Request a CPE sends; anything bigger is not one. */
export const MAX_STUN_BYTES = 1_024;
const HEADER = 20;
const FINGERPRINT_XOR = 0x5354554e;

export interface BindingRequest {
  transactionId: Buffer;
  username: string | null;
  connectionRequestBinding: boolean;
  bindingChange: boolean;
  /** Bytes MESSAGE-INTEGRITY covers (header length already adjusted) and the HMAC given; null without one. */
  integrity: { covered: Buffer; hmac: Buffer } | null;
}

export type StunParse = { ok: true; request: BindingRequest } | { ok: false; reason: StunRejectReason };
export type StunRejectReason = 'not-stun' | 'too-large' | 'not-binding-request' | 'bad-length' | 'bad-attribute' | 'bad-fingerprint';

/** Whether a datagram looks like STUN at all (first two bits zero, magic cookie): the CPE's socket also gets connection requests. */
export function isStun(b: Buffer): boolean {
  return b.length >= HEADER && (b[0]! & 0xc0) === 0 && b.readUInt32BE(4) === MAGIC_COOKIE;
}

/** Read a Binding Request; never throws. */
export function parseBindingRequest(b: Buffer): StunParse {
  if (b.length > MAX_STUN_BYTES) return { ok: false, reason: 'too-large' };
  if (!isStun(b)) return { ok: false, reason: 'not-stun' };
  const length = b.readUInt16BE(2);
  if (length % 4 !== 0 || HEADER + length !== b.length) return { ok: false, reason: 'bad-length' };
  if (b.readUInt16BE(0) !== BINDING_REQUEST) return { ok: false, reason: 'not-binding-request' };
  const request: BindingRequest = {
    transactionId: Buffer.from(b.subarray(8, HEADER)),
    username: null,
    connectionRequestBinding: false,
    bindingChange: false,
    integrity: null,
  };
  let at = HEADER;
  let afterIntegrity = false;
  while (at < b.length) {
    if (at + 4 > b.length) return { ok: false, reason: 'bad-attribute' };
    const type = b.readUInt16BE(at);
    const len = b.readUInt16BE(at + 2);
    const start = at + 4;
    const next = start + len + ((4 - (len % 4)) % 4);
    if (next > b.length) return { ok: false, reason: 'bad-attribute' };
    const value = b.subarray(start, start + len);
    // RFC 5389 15.4: only FINGERPRINT may follow MESSAGE-INTEGRITY; the rest is ignored.
    if (afterIntegrity && type !== ATTR.FINGERPRINT) {
      at = next;
      continue;
    }
    switch (type) {
      case ATTR.USERNAME:
        if (len === 0 || len > 513) return { ok: false, reason: 'bad-attribute' };
        request.username = value.toString('utf8');
        break;
      case ATTR.CONNECTION_REQUEST_BINDING:
        request.connectionRequestBinding = true;
        break;
      case ATTR.BINDING_CHANGE:
        request.bindingChange = true;
        break;
      case ATTR.MESSAGE_INTEGRITY: {
        if (len !== 20) return { ok: false, reason: 'bad-attribute' };
        const covered = Buffer.from(b.subarray(0, at));
        covered.writeUInt16BE(next - HEADER, 2);
        request.integrity = { covered, hmac: Buffer.from(value) };
        afterIntegrity = true;
        break;
      }
      case ATTR.FINGERPRINT: {
        if (len !== 4 || next !== b.length) return { ok: false, reason: 'bad-attribute' };
        if (value.readUInt32BE(0) !== fingerprintOf(b.subarray(0, at))) return { ok: false, reason: 'bad-fingerprint' };
        break;
      }
      default:
        // Comprehension-optional and unknown comprehension-required attributes alike are
        // skipped: a Binding Request carries nothing we must act on besides the above.
        break;
    }
    at = next;
  }
  return { ok: true, request };
}

/** CRC-32 of the message up to FINGERPRINT, with the header length already covering it, XOR 0x5354554e. */
function fingerprintOf(upTo: Buffer): number {
  return (crc32(upTo) ^ FINGERPRINT_XOR) >>> 0;
}

/** RFC 5389 short-term credential: HMAC-SHA1 keyed with the password. */
export function integrityMatches(req: BindingRequest, password: string): boolean {
  if (req.integrity === null) return false;
  const expected = createHmac('sha1', password).update(req.integrity.covered).digest();
  return timingSafeEqual(expected, req.integrity.hmac);
}

function attribute(type: number, value: Buffer): Buffer {
  const pad = (4 - (value.length % 4)) % 4;
  const out = Buffer.alloc(4 + value.length + pad);
  out.writeUInt16BE(type, 0);
  out.writeUInt16BE(value.length, 2);
  value.copy(out, 4);
  return out;
}

export interface BindingRequestFields {
  transactionId: Buffer;
  username?: string;
  /** Signs the request (MESSAGE-INTEGRITY); needs `username`. */
  password?: string;
  connectionRequestBinding?: boolean;
  bindingChange?: boolean;
}

/** The CPE's Binding Request; ends with MESSAGE-INTEGRITY (when signed) and FINGERPRINT. */
export function buildBindingRequest(f: BindingRequestFields): Buffer {
  if (f.transactionId.length !== 12) throw new Error('a STUN transaction id is 12 bytes');
  const parts: Buffer[] = [];
  if (f.username !== undefined) parts.push(attribute(ATTR.USERNAME, Buffer.from(f.username, 'utf8')));
  if (f.connectionRequestBinding === true) parts.push(attribute(ATTR.CONNECTION_REQUEST_BINDING, Buffer.from(CONNECTION_REQUEST_BINDING_VALUE, 'latin1')));
  if (f.bindingChange === true) parts.push(attribute(ATTR.BINDING_CHANGE, Buffer.alloc(0)));
  const header = Buffer.alloc(HEADER);
  header.writeUInt16BE(BINDING_REQUEST, 0);
  header.writeUInt32BE(MAGIC_COOKIE, 4);
  f.transactionId.copy(header, 8);
  let body = Buffer.concat(parts);
  if (f.password !== undefined) {
    header.writeUInt16BE(body.length + 24, 2);
    const hmac = createHmac('sha1', f.password).update(Buffer.concat([header, body])).digest();
    body = Buffer.concat([body, attribute(ATTR.MESSAGE_INTEGRITY, hmac)]);
  }
  header.writeUInt16BE(body.length + 8, 2);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(fingerprintOf(Buffer.concat([header, body])), 0);
  return Buffer.concat([header, body, attribute(ATTR.FINGERPRINT, crc)]);
}
