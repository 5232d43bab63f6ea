/**
 * Bytes → text for HTTP bodies, before the XML parser sees them.
 *
 * Precedence follows RFC 7303 §3.2 / WHATWG: a byte-order mark wins, then the `charset`
 * parameter of Content-Type, then the `encoding` of the XML declaration, then UTF-8.
 * Real CPEs declare `charset=ISO-8859-1` (the Thomson fixture) or nothing at all.
 *
 * ISO-8859-1 is decoded as windows-1252, as TextDecoder (the WHATWG Encoding Standard) does for
 * every latin1 label: devices that say latin1 usually mean cp1252, and the two agree on every
 * printable character.
 */
import { ProtocolError, err, ok, type Result } from './errors.js';

/** Aliases devices use that TextDecoder does not know, and the latin1 family spelled out. */
const LABELS: Readonly<Record<string, string>> = {
  'utf-8': 'utf-8',
  utf8: 'utf-8',
  'unicode-1-1-utf-8': 'utf-8',
  'us-ascii': 'windows-1252',
  ascii: 'windows-1252',
  'iso-8859-1': 'windows-1252',
  'iso8859-1': 'windows-1252',
  iso_8859_1: 'windows-1252',
  'iso_8859-1': 'windows-1252',
  latin1: 'windows-1252',
  l1: 'windows-1252',
  'windows-1252': 'windows-1252',
  cp1252: 'windows-1252',
  'utf-16': 'utf-16le',
  'utf-16le': 'utf-16le',
  'utf-16be': 'utf-16be',
};

// The global TextDecoder (no node: import): @types/node declares it as a value only.
type Decoder = InstanceType<typeof TextDecoder>;
const decoders = new Map<string, Decoder>();
/** A cached decoder; throws RangeError for a label the Encoding Standard does not know. */
function decoder(label: string, fatal: boolean): Decoder {
  const key = `${label}/${fatal}`;
  let d = decoders.get(key);
  if (!d) {
    d = new TextDecoder(label, { fatal });
    // Only labels TextDecoder accepted are cached, so the map stays bounded (~220 labels).
    decoders.set(key, d);
  }
  return d;
}

/** The charset parameter of a Content-Type header value, lower-cased, or undefined. */
export function charsetOf(contentType: string | undefined): string | undefined {
  if (!contentType) return undefined;
  const m = /;\s*charset\s*=\s*("?)([^";\s]*)\1/i.exec(contentType);
  return m?.[2] ? m[2].toLowerCase() : undefined;
}

/** The encoding named by an XML declaration at the start of the bytes (ASCII-compatible only). */
function xmlDeclEncoding(bytes: Uint8Array): string | undefined {
  // "<?xml" in ASCII; a declaration is at most a few dozen bytes, 256 is plenty.
  if (bytes[0] !== 0x3c || bytes[1] !== 0x3f || bytes[2] !== 0x78) return undefined;
  const head = decoder('windows-1252', false).decode(bytes.subarray(0, 256));
  const end = head.indexOf('?>');
  if (end < 0) return undefined;
  const m = /\sencoding\s*=\s*(["'])([A-Za-z0-9._-]+)\1/.exec(head.slice(0, end));
  return m?.[2]?.toLowerCase();
}

function bomLabel(bytes: Uint8Array): string | undefined {
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return 'utf-8';
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return 'utf-16le';
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return 'utf-16be';
  return undefined;
}

/**
 * Decode an HTTP body to a string. Unknown charsets are UNSUPPORTED_ENCODING (HTTP 415).
 * An undeclared body that is not valid UTF-8 is read as latin1 rather than refused: that is
 * what an old CPE that never heard of charsets sends.
 */
export function decodeBody(bytes: Uint8Array, contentType?: string): Result<string> {
  const bom = bomLabel(bytes);
  // TextDecoder strips the BOM itself (ignoreBOM defaults to false).
  if (bom) return ok(decoder(bom, false).decode(bytes));

  const declared = charsetOf(contentType) ?? xmlDeclEncoding(bytes);
  if (declared === undefined) {
    try {
      return ok(decoder('utf-8', true).decode(bytes));
    } catch {
      return ok(decoder('windows-1252', false).decode(bytes));
    }
  }
  const label = LABELS[declared] ?? declared;
  let d: Decoder;
  try {
    // Any other label the Encoding Standard knows (gbk, windows-1251, shift_jis, …) is accepted.
    d = decoder(label, false);
  } catch {
    return err(new ProtocolError('UNSUPPORTED_ENCODING', `unsupported charset "${declared.slice(0, 40)}"`));
  }
  return ok(d.decode(bytes));
}

/** A body that is empty or only whitespace is CWMP's "empty POST" (and the ACS's empty answer). */
export function isBlank(bytes: Uint8Array): boolean {
  for (const b of bytes) {
    if (b !== 0x20 && b !== 0x0a && b !== 0x0d && b !== 0x09) return false;
  }
  return true;
}
