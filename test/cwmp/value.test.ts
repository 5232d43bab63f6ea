/** The tolerant scalar readers of value.ts. */
import { describe, expect, it } from 'vitest';
import { formatCwmpDateTime, normalizeValue, parseBoolean, parseCwmpDateTime, parseInteger } from '../../src/cwmp/codec.js';

describe('parseBoolean', () => {
  it.each([
    ['true', true],
    ['false', false],
    ['1', true],
    ['0', false],
    ['TRUE', true],
    [' False\n', false],
    ['\t1 ', true],
  ])('%j → %s', (s, v) => expect(parseBoolean(s)).toBe(v));
  it.each(['', 'yes', '2', 'tru', '01'])('%j → null', (s) => expect(parseBoolean(s)).toBeNull());
});

describe('parseInteger', () => {
  it.each([
    ['05', 5],
    ['0008', 8],
    [' 42\n', 42],
    ['+3', 3],
    ['-1', -1],
    ['4294967295', 4294967295],
  ])('%j → %d', (s, v) => expect(parseInteger(s)).toBe(v));
  it.each(['', '1.5', '0x10', '1e3', 'abc', '99999999999999999999'])('%j → null', (s) => expect(parseInteger(s)).toBeNull());
});

describe('parseCwmpDateTime', () => {
  const iso = (s: string): string | undefined => parseCwmpDateTime(s)?.toISOString();
  it('UTC with Z', () => expect(iso('2024-02-29T12:34:56Z')).toBe('2024-02-29T12:34:56.000Z'));
  it('no zone is UTC', () => expect(iso('1970-01-02T00:08:34')).toBe('1970-01-02T00:08:34.000Z'));
  it('numeric offsets', () => expect(iso('2024-01-01T02:00:00+02:00')).toBe('2024-01-01T00:00:00.000Z'));
  it('offset without colon', () => expect(iso('2024-01-01T00:00:00-0130')).toBe('2024-01-01T01:30:00.000Z'));
  it('fractional seconds beyond milliseconds', () => expect(iso('2024-01-01T00:00:00.123456Z')).toBe('2024-01-01T00:00:00.123Z'));
  it('a space instead of T, surrounding whitespace', () => expect(iso(' 2024-01-01 10:00:00 ')).toBe('2024-01-01T10:00:00.000Z'));
  it('24:00:00 is the end of the day', () => expect(iso('2024-01-01T24:00:00Z')).toBe('2024-01-02T00:00:00.000Z'));
  it('the Unknown Time sentinel is a real instant', () => expect(iso('0001-01-01T00:00:00Z')).toBe('0001-01-01T00:00:00.000Z'));
  it.each(['0000-00-00T00:00:00', '2023-02-29T00:00:00Z', '2024-13-01T00:00:00Z', '2024-01-01T25:00:00Z', '2024-01-01T10:60:00Z', '2024-01-01', 'yesterday', '', '2024-01-01T00:00:00+15:00'])(
    '%j → null',
    (s) => expect(parseCwmpDateTime(s)).toBeNull(),
  );
  it('formatCwmpDateTime drops milliseconds', () => expect(formatCwmpDateTime(new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 678)))).toBe('2024-01-02T03:04:05Z'));
});

describe('normalizeValue', () => {
  it('booleans become true/false', () => {
    expect(normalizeValue('xsd:boolean', '1')).toBe('true');
    expect(normalizeValue('xsd:boolean', ' FALSE ')).toBe('false');
  });
  it('an unreadable boolean is left alone', () => expect(normalizeValue('xsd:boolean', 'maybe')).toBe('maybe'));
  it('other types are untouched, whitespace included', () => expect(normalizeValue('xsd:string', ' 1 ')).toBe(' 1 '));
  it('an untyped 1 stays 1', () => expect(normalizeValue('', '1')).toBe('1'));
});
