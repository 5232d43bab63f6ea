import { describe, expect, it } from 'vitest';
import { checkValue, declaredTypeCompatible, normalizeType, zeroValue } from '../../src/datamodel/values.js';

describe('checkValue', () => {
  it('integers: lexical form is a type error, bounds are a value error', () => {
    expect(checkValue('xsd:unsignedInt', '42')).toBe(0);
    expect(checkValue('xsd:unsignedInt', 'abc')).toBe(9006);
    expect(checkValue('xsd:unsignedInt', '4.2')).toBe(9006);
    expect(checkValue('xsd:unsignedInt', '')).toBe(9006);
    expect(checkValue('xsd:unsignedInt', '-1')).toBe(9007);
    expect(checkValue('xsd:unsignedInt', '4294967295')).toBe(0);
    expect(checkValue('xsd:unsignedInt', '4294967296')).toBe(9007);
    expect(checkValue('xsd:int', '-2147483648')).toBe(0);
    expect(checkValue('xsd:int', '2147483648')).toBe(9007);
    expect(checkValue('xsd:long', '-9223372036854775808')).toBe(0);
    expect(checkValue('xsd:unsignedLong', '18446744073709551615')).toBe(0);
    expect(checkValue('xsd:unsignedLong', '18446744073709551616')).toBe(9007);
    expect(checkValue('xsd:unsignedInt', '70000', { min: '0', max: '65535' })).toBe(9007);
    expect(checkValue('xsd:unsignedInt', '0', { min: '1' })).toBe(9007);
  });

  it('booleans accept exactly true/false/1/0', () => {
    for (const v of ['true', 'false', '1', '0']) expect(checkValue('xsd:boolean', v)).toBe(0);
    for (const v of ['yes', 'TRUE', '2', '']) expect(checkValue('xsd:boolean', v)).toBe(9006);
  });

  it('dateTime, base64 and hexBinary content errors are 9007', () => {
    expect(checkValue('xsd:dateTime', '2024-02-29T12:00:00Z')).toBe(0);
    expect(checkValue('xsd:dateTime', '2024-02-29T12:00:00')).toBe(0); // no zone: real devices do that
    expect(checkValue('xsd:dateTime', '2024-02-29T12:00:00.123+02:00')).toBe(0);
    expect(checkValue('xsd:dateTime', '2024-13-01T00:00:00Z')).toBe(9007);
    expect(checkValue('xsd:dateTime', 'yesterday')).toBe(9007);
    expect(checkValue('xsd:base64', 'aGVsbG8=')).toBe(0);
    expect(checkValue('xsd:base64', 'a$b=')).toBe(9007);
    expect(checkValue('xsd:hexBinary', '0aFF')).toBe(0);
    expect(checkValue('xsd:hexBinary', 'abc')).toBe(9007);
  });

  it('strings: enumerations (also per list item) and maxLength', () => {
    expect(checkValue('xsd:string', 'Requested', { enumeration: ['Requested', 'Canceled'] })).toBe(0);
    expect(checkValue('xsd:string', 'Complete', { enumeration: ['Requested', 'Canceled'] })).toBe(9007);
    expect(checkValue('xsd:string', 'g,n', { enumeration: ['b', 'g', 'n'], list: true })).toBe(0);
    expect(checkValue('xsd:string', 'g,11bgn', { enumeration: ['b', 'g', 'n'], list: true })).toBe(9007);
    expect(checkValue('xsd:string', '', { enumeration: ['b'], list: true })).toBe(0);
    expect(checkValue('xsd:string', 'abcd', { maxLength: 3 })).toBe(9007);
  });

  it('types: normalization, zero values, declared-type compatibility', () => {
    expect(normalizeType('unsignedInt')).toBe('xsd:unsignedInt');
    expect(normalizeType('')).toBe('xsd:string');
    expect(normalizeType('xsd:nonsense')).toBe('xsd:string');
    expect(zeroValue('xsd:dateTime')).toBe('0001-01-01T00:00:00Z');
    expect(zeroValue('xsd:boolean')).toBe('false');
    expect(declaredTypeCompatible('', 'xsd:boolean')).toBe(true);
    expect(declaredTypeCompatible('xsd:int', 'xsd:unsignedInt')).toBe(true);
    expect(declaredTypeCompatible('xsd:string', 'xsd:unsignedInt')).toBe(false);
    expect(declaredTypeCompatible('xsd:boolean', 'xsd:string')).toBe(false);
  });
});
