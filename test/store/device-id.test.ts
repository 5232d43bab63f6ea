/** Device ids: the encoding rule, and that parse ∘ format is the identity. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { deviceIdOf, encodeIdPart, parseDeviceId } from '../../src/store/device-id.js';

/** Strings rich in the characters that matter: separators, escapes, non-ASCII. */
const part = fc.string({
  unit: fc.oneof(fc.constantFrom('-', '/', '%', '.', '_', '~', ' ', '+', '*', "'", '(', '!'), fc.string({ unit: 'binary', minLength: 1, maxLength: 1 })),
  maxLength: 12,
});

describe('device ids', () => {
  it('formats the usual ids without escaping', () => {
    expect(deviceIdOf({ oui: '00D09E', productClass: 'IGD', serialNumber: 'CP1234' })).toBe('00D09E-IGD-CP1234');
    expect(deviceIdOf({ oui: '00D09E', productClass: '', serialNumber: 'CP1234' })).toBe('00D09E-CP1234');
  });

  it('escapes everything but A–Z a–z 0–9 . _ ~, with upper-case hex', () => {
    expect(encodeIdPart('a-b/c%d e')).toBe('a%2Db%2Fc%25d%20e');
    expect(encodeIdPart("!*'()+,;=:@")).toBe('%21%2A%27%28%29%2B%2C%3B%3D%3A%40');
    expect(encodeIdPart('Zürich')).toBe('Z%C3%BCrich');
    expect(encodeIdPart('x.y_z~1')).toBe('x.y_z~1');
    expect(encodeIdPart('\uD800')).toBe('%EF%BF%BD'); // a lone surrogate becomes U+FFFD
  });

  it('round-trips every identity, and the id has only separator dashes', () => {
    fc.assert(
      fc.property(part, part, part, (oui, productClass, serialNumber) => {
        const id = deviceIdOf({ oui, productClass, serialNumber });
        expect(id.split('-')).toHaveLength(productClass === '' ? 2 : 3);
        expect(id).toMatch(/^[A-Za-z0-9._~%-]*$/);
        expect(parseDeviceId(id)).toEqual({ oui, productClass, serialNumber });
      }),
      { numRuns: 2000 },
    );
  });

  it('distinct identities never share an id', () => {
    fc.assert(
      fc.property(fc.tuple(part, part, part), fc.tuple(part, part, part), ([o1, p1, s1], [o2, p2, s2]) => {
        fc.pre(o1 !== o2 || p1 !== p2 || s1 !== s2);
        const a = deviceIdOf({ oui: o1, productClass: p1, serialNumber: s1 });
        const b = deviceIdOf({ oui: o2, productClass: p2, serialNumber: s2 });
        expect(a).not.toBe(b);
      }),
      { numRuns: 2000 },
    );
  });

  it('rejects what is not a canonical id', () => {
    for (const bad of ['nodash', 'a-b-c-d', 'a--b', 'a%2-b', 'a%zz-b', 'a%2d-b', 'a%41-b', 'a b-c', 'a%C3-b', 'a%ED%A0%80-b']) {
      expect(parseDeviceId(bad), bad).toBeNull();
    }
    expect(parseDeviceId('-')).toEqual({ oui: '', productClass: '', serialNumber: '' });
  });

  it('every canonical id parses and formats back to itself', () => {
    const chunk = fc.oneof(fc.constantFrom('A', 'z', '0', '.', '_', '~'), fc.integer({ min: 0, max: 0x7f }).map((b) => '%' + b.toString(16).toUpperCase().padStart(2, '0')));
    fc.assert(
      fc.property(fc.array(fc.array(chunk, { maxLength: 6 }).map((c) => c.join('')), { minLength: 2, maxLength: 3 }), (parts) => {
        const id = parts.join('-');
        const parsed = parseDeviceId(id);
        if (parsed !== null) expect(deviceIdOf(parsed)).toBe(id);
      }),
    );
  });
});
