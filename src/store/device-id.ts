/**
 * Device ids: `<OUI>-<ProductClass>-<SerialNumber>`, ProductClass omitted when empty.
 *
 * Encoding rule (one id per device, and every id parses back):
 *  - Each part is taken as UTF-8. Every byte outside the RFC 3986 "unreserved" set minus
 *    `-` — that is, every byte except `A–Z a–z 0–9 . _ ~` — is written `%XX` with upper-case
 *    hex. So `-` is `%2D`, `/` is `%2F`, `%` is `%25`, a space is `%20`, `é` is `%C3%A9`.
 *  - The only `-` left in an id are the separators, so an id is safe in a URL path segment
 *    and splits unambiguously: two parts = OUI and serial, three = OUI, class and serial.
 *  - Lone UTF-16 surrogates (impossible in XML, hence in an Inform) become U+FFFD.
 *
 * Typical ids need no escaping at all ("00D09E-IGD-1234567"), so the fast path is a test.
 */
import type { DeviceIdStruct } from '../cwmp/types.js';

const PLAIN = /^[A-Za-z0-9._~]*$/;
/** What encodeURIComponent leaves alone but we still escape. */
const EXTRA = /[-!'()*]/g;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
const CANONICAL_PART = /^(?:[A-Za-z0-9._~]|%[0-9A-F]{2})*$/;

export function encodeIdPart(part: string): string {
  if (PLAIN.test(part)) return part;
  const wellFormed = part.replace(LONE_SURROGATE, '\uFFFD');
  return encodeURIComponent(wellFormed).replace(
    EXTRA,
    (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0'),
  );
}

export function deviceIdOf(d: Pick<DeviceIdStruct, 'oui' | 'productClass' | 'serialNumber'>): string {
  const oui = encodeIdPart(d.oui);
  const serial = encodeIdPart(d.serialNumber);
  return d.productClass === '' ? `${oui}-${serial}` : `${oui}-${encodeIdPart(d.productClass)}-${serial}`;
}

export type ParsedDeviceId = Pick<DeviceIdStruct, 'oui' | 'productClass' | 'serialNumber'>;

function decodePart(part: string): string | null {
  if (!CANONICAL_PART.test(part)) return null;
  let decoded: string;
  try {
    decoded = decodeURIComponent(part);
  } catch {
    return null; // %XX sequences that are not UTF-8
  }
  // Reject non-canonical spellings ("%41" for "A") so that id ↔ device stays one-to-one.
  return encodeIdPart(decoded) === part ? decoded : null;
}

/** Inverse of deviceIdOf; null when `id` is not a canonical device id. */
export function parseDeviceId(id: string): ParsedDeviceId | null {
  const parts = id.split('-');
  if (parts.length === 2) {
    const [oui, serial] = parts.map(decodePart);
    if (oui == null || serial == null) return null;
    return { oui, productClass: '', serialNumber: serial };
  }
  if (parts.length === 3) {
    const [oui, productClass, serial] = parts.map(decodePart);
    // An empty middle part is spelt by omission, so "OUI--SN" is not canonical.
    if (oui == null || productClass == null || serial == null || productClass === '') return null;
    return { oui, productClass, serialNumber: serial };
  }
  return null;
}
