/**
 * The memo of repeated GetParameterNames answers (src/cwmp/answer-memo.ts), differentially:
 * whatever the bytes, AnswerMemo.read answers exactly what decodeBody + parseEnvelope answer
 * (the same Envelope, or an error of the same code). Repeats are answered from the memo,
 * and nothing one message's bytes taught it reaches a message whose bytes differ.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AnswerMemo } from '../../src/cwmp/answer-memo.js';
import { decodeBody } from '../../src/cwmp/charset.js';
import { buildEnvelope, parseEnvelope } from '../../src/cwmp/envelope.js';
import type { Result } from '../../src/cwmp/errors.js';
import type { Envelope, ParameterInfo } from '../../src/cwmp/types.js';

const LIMITS = { maxBytes: 4 * 1024 * 1024 };
const CT = 'text/xml; charset="utf-8"';
const NS = 'urn:dslforum-org:cwmp-1-2';

/** A TR-181-like listing: objects and leaves in tree order, some writable. */
function listing(n: number, salt = ''): ParameterInfo[] {
  const out: ParameterInfo[] = [{ name: 'Device.', writable: false }];
  for (let i = 1; out.length < n; i++) {
    out.push({ name: `Device.IP.Interface.${i}.`, writable: false });
    for (const leaf of ['Enable', 'Alias', 'Name', `LowerLayers${salt}`, 'IPv4AddressNumberOfEntries']) {
      out.push({ name: `Device.IP.Interface.${i}.${leaf}`, writable: leaf !== 'IPv4AddressNumberOfEntries' });
    }
  }
  return out;
}

function message(id: string | undefined, list: ParameterInfo[], extraHeader = ''): Buffer {
  const xml = buildEnvelope({ namespace: NS, header: id === undefined ? {} : { id }, body: { method: 'GetParameterNamesResponse', parameterList: list } });
  return Buffer.from(extraHeader === '' ? xml : xml.replace('<soap-env:Header>', `<soap-env:Header>${extraHeader}`));
}

function reference(bytes: Uint8Array, contentType: string | undefined): Result<Envelope> {
  const text = decodeBody(bytes, contentType);
  return text.ok ? parseEnvelope(text.value, LIMITS) : text;
}

/** memo.read answers what the reference answers. */
function expectSame(memo: AnswerMemo, bytes: Uint8Array, contentType: string | undefined = CT): Result<Envelope> {
  const got = memo.read(bytes, contentType, LIMITS);
  const want = reference(bytes, contentType);
  if (want.ok) expect(got).toEqual(want);
  else {
    expect(got.ok).toBe(false);
    if (!got.ok) expect(got.error.code).toBe(want.error.code);
  }
  return got;
}

const LIST = listing(3000);

describe('AnswerMemo', () => {
  it('remembers a listing the second time its shape comes, then answers repeats with their own IDs', () => {
    expect(message('x', LIST).toString()).toContain('<soap-env:Header>');
    const memo = new AnswerMemo();
    expectSame(memo, message('flotilla-ab12-3', LIST));
    expect(memo.stats()).toMatchObject({ hits: 0, remembered: 0 });
    expectSame(memo, message('flotilla-cd34-3', LIST));
    expect(memo.stats()).toMatchObject({ hits: 0, remembered: 1, entries: 1 });
    for (const id of ['flotilla-ef56-3', '7', 'a.b:c+d/e=f_g-h', 'x'.repeat(64)]) {
      const got = expectSame(memo, message(id, LIST));
      expect(got.ok && got.value.header.id).toBe(id);
    }
    expect(memo.stats().hits).toBe(4);
  });

  it('answers what the parser answers for any bytes near a remembered shape (fuzzed)', () => {
    const memo = new AnswerMemo();
    const list = listing(800);
    memo.read(message('s-1', list), CT, LIMITS);
    memo.read(message('s-2', list), CT, LIMITS);
    expect(memo.stats().remembered).toBe(1);
    const base = message('s-3', list);
    const head = base.indexOf('>s-3<') + 1;
    const idChar = fc.constantFrom(...'aZ09._:+/=-'.split(''), ' ', '<', '&', '>', ']', 'é', '\u0000', '\n', '"');
    const mutation = fc.oneof(
      // Another ID, plain or not, of any length around the bound.
      fc.record({ kind: fc.constant('id' as const), id: fc.array(idChar, { minLength: 0, maxLength: 70 }).map((cs) => cs.join('')) }),
      // A byte changed, inserted or removed anywhere.
      fc.record({ kind: fc.constantFrom('set' as const, 'insert' as const, 'delete' as const), at: fc.nat(base.length - 1), byte: fc.nat(255) }),
      // Another Content-Type.
      fc.record({ kind: fc.constant('ct' as const), ct: fc.constantFrom(undefined, 'text/xml', 'text/xml; charset=iso-8859-1', 'text/xml; charset=utf-16', 'text/xml; charset=x-nonsense', CT) }),
    );
    let hits = 0;
    let misses = 0;
    fc.assert(
      fc.property(mutation, (m) => {
        let bytes: Buffer = base;
        let ct: string | undefined = CT;
        switch (m.kind) {
          case 'id':
            bytes = Buffer.concat([base.subarray(0, head), Buffer.from(m.id), base.subarray(head + 3)]);
            break;
          case 'set':
            bytes = Buffer.from(base);
            bytes[m.at] = m.byte;
            break;
          case 'insert':
            bytes = Buffer.concat([base.subarray(0, m.at), Buffer.from([m.byte]), base.subarray(m.at)]);
            break;
          case 'delete':
            bytes = Buffer.concat([base.subarray(0, m.at), base.subarray(m.at + 1)]);
            break;
          case 'ct':
            ct = m.ct;
            break;
        }
        const before = memo.stats().hits;
        expectSame(memo, bytes, ct);
        if (memo.stats().hits > before) hits++;
        else misses++;
      }),
      { seed: 20261206, numRuns: 400 },
    );
    // Both paths were exercised.
    expect(hits).toBeGreaterThan(20);
    expect(misses).toBeGreaterThan(20);
  });

  it('never remembers a cut that is not the ID, even when its text equals the ID', () => {
    const memo = new AnswerMemo();
    // The same text in a header entry the reader ignores, before the ID: the first match is there.
    const bytes = message('n-1', LIST, '<cwmp:Note xmlns:cwmp="urn:dslforum-org:cwmp-1-2">n-1</cwmp:Note>');
    for (let i = 0; i < 3; i++) expectSame(memo, bytes);
    expect(memo.stats()).toMatchObject({ remembered: 0, hits: 0 });
  });

  it("a device's answer that differs by one flag gets its own flag, not the remembered one", () => {
    const memo = new AnswerMemo();
    memo.read(message('a-1', LIST), CT, LIMITS);
    memo.read(message('a-2', LIST), CT, LIMITS);
    const other = LIST.map((p, i) => (i === 1500 ? { ...p, writable: !p.writable } : p));
    const got = expectSame(memo, message('b-1', other));
    expect(memo.stats().hits).toBe(0);
    expect(got.ok && got.value.body.method === 'GetParameterNamesResponse' && got.value.body.parameterList[1500]!.writable).toBe(other[1500]!.writable);
    // A different Content-Type is a different key too.
    expectSame(memo, message('a-3', LIST), 'text/xml; charset=iso-8859-1');
    expect(memo.stats().hits).toBe(0);
  });

  it('shares a frozen listing that no session can change', () => {
    const memo = new AnswerMemo();
    memo.read(message('f-1', LIST), CT, LIMITS);
    memo.read(message('f-2', LIST), CT, LIMITS);
    const got = memo.read(message('f-3', LIST), CT, LIMITS);
    if (!got.ok || got.value.body.method !== 'GetParameterNamesResponse') throw new Error('not a listing');
    const list = got.value.body.parameterList;
    expect(() => list.push({ name: 'Device.X_Evil', writable: true })).toThrow(TypeError);
    expect(() => {
      list[0]!.writable = true;
    }).toThrow(TypeError);
    // The header is each recall's own.
    got.value.header.id = 'changed';
    const again = memo.read(message('f-4', LIST), CT, LIMITS);
    expect(again.ok && again.value.header.id).toBe('f-4');
  });

  it('stays within its bounds', () => {
    const memo = new AnswerMemo({ entries: 2 });
    for (const salt of ['a', 'b', 'c']) {
      const list = listing(1000, salt);
      memo.read(message('1', list), CT, LIMITS);
      memo.read(message('2', list), CT, LIMITS);
    }
    expect(memo.stats()).toMatchObject({ remembered: 3, entries: 2 });
    // The oldest shape went.
    memo.read(message('3', listing(1000, 'a')), CT, LIMITS);
    expect(memo.stats().hits).toBe(0);
    memo.read(message('3', listing(1000, 'c')), CT, LIMITS);
    expect(memo.stats().hits).toBe(1);

    const tight = new AnswerMemo({ totalBytes: 10_000 });
    for (const id of ['1', '2', '3']) expectSame(tight, message(id, LIST));
    expect(tight.stats()).toMatchObject({ entries: 0, hits: 0 });

    // Small answers are parsed each time.
    const small = new AnswerMemo();
    for (const id of ['1', '2', '3']) expectSame(small, message(id, listing(20)));
    expect(small.stats().remembered).toBe(0);
  });

  it('leaves alone what it cannot cut safely (no ID, UTF-16) and cuts a Latin-1 answer', () => {
    const memo = new AnswerMemo();
    for (let i = 0; i < 3; i++) expectSame(memo, message(undefined, LIST));
    const xml = message('u-1', LIST).toString();
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(xml, 'utf16le')]);
    for (let i = 0; i < 3; i++) expectSame(memo, utf16, 'text/xml');
    // Latin-1 names in the tail do not stop it (the head is ASCII).
    const latin = listing(1000).map((p, i) => (i === 7 ? { ...p, name: 'Device.IP.Interface.1.X_Café' } : p));
    for (const id of ['l-1', 'l-2', 'l-3']) expectSame(memo, Buffer.from(message(id, latin).toString(), 'latin1'), 'text/xml; charset=iso-8859-1');
    expect(memo.stats()).toMatchObject({ remembered: 1, hits: 1 });
  });
});
