/** decodeBody: BOM, Content-Type charset, XML declaration, UTF-8 default. */
import { describe, expect, it } from 'vitest';
import { decodeBody } from '../../src/cwmp/codec.js';

const bytes = (...parts: (number[] | string)[]): Uint8Array =>
  new Uint8Array(parts.flatMap((p) => (typeof p === 'string' ? [...new TextEncoder().encode(p)] : p)));
const text = (r: ReturnType<typeof decodeBody>): string => {
  if (!r.ok) throw r.error;
  return r.value;
};

describe('decodeBody', () => {
  it('UTF-8 by default', () => expect(text(decodeBody(bytes('<a>é中</a>')))).toBe('<a>é中</a>'));
  it('a UTF-8 BOM is removed', () => expect(text(decodeBody(bytes([0xef, 0xbb, 0xbf], '<a/>')))).toBe('<a/>'));
  it('UTF-16LE with BOM', () => expect(text(decodeBody(new Uint8Array([0xff, 0xfe, 0x3c, 0, 0x61, 0, 0x2f, 0, 0x3e, 0])))).toBe('<a/>'));
  it('charset=ISO-8859-1 from Content-Type', () => expect(text(decodeBody(bytes('<a>', [0xe9], '</a>'), 'text/xml; charset=ISO-8859-1'))).toBe('<a>é</a>'));
  it('a quoted charset', () => expect(text(decodeBody(bytes('<a>', [0xfc], '</a>'), 'text/xml; charset="latin1"'))).toBe('<a>ü</a>'));
  it('latin1 from the XML declaration', () =>
    expect(text(decodeBody(bytes("<?xml version='1.0' encoding='ISO-8859-1'?><a>", [0xe9], '</a>')))).toBe("<?xml version='1.0' encoding='ISO-8859-1'?><a>é</a>"));
  it('Content-Type wins over the XML declaration', () =>
    expect(text(decodeBody(bytes('<?xml version="1.0" encoding="ISO-8859-1"?><a>é</a>'), 'text/xml; charset=utf-8'))).toContain('<a>é</a>'));
  it('an undeclared body that is not UTF-8 is read as latin1', () => expect(text(decodeBody(bytes('<a>', [0xe9], '</a>')))).toBe('<a>é</a>'));
  it('other charsets the Encoding Standard knows', () => expect(text(decodeBody(new Uint8Array([0xcf, 0xf0]), 'text/xml; charset=windows-1251'))).toBe('Пр'));
  it('an unknown charset is UNSUPPORTED_ENCODING', () => {
    const r = decodeBody(bytes('<a/>'), 'text/xml; charset=klingon-8');
    expect(r.ok ? 'ok' : r.error.code).toBe('UNSUPPORTED_ENCODING');
  });
  it('an unknown encoding in the XML declaration too', () => {
    const r = decodeBody(bytes('<?xml version="1.0" encoding="EBCDIC-XYZ"?><a/>'));
    expect(r.ok ? 'ok' : r.error.code).toBe('UNSUPPORTED_ENCODING');
  });
  it('an empty body', () => expect(text(decodeBody(new Uint8Array(0)))).toBe(''));
});
