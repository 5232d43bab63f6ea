/**
 * The memo of repeated GetParameterNames answers (src/cwmp/answer-memo.ts), differentially:
 * whatever the bytes, AnswerMemo.read answers exactly what decodeBody + parseEnvelope answer
 * (the same Envelope, or an error of the same code). Repeats are answered from the memo,
 * and nothing one message's bytes taught it reaches a message whose bytes differ.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AnswerMemo } from '../../src/cwmp/answer-memo.js';
import { recalledOf } from '../../src/cwmp/recalled.js';
import { decodeBody } from '../../src/cwmp/charset.js';
import { buildEnvelope, parseEnvelope } from '../../src/cwmp/envelope.js';
import type { Result } from '../../src/cwmp/errors.js';
import type { ParseLimits } from '../../src/cwmp/xml.js';
import type { Envelope, ParameterInfo, ParameterValue } from '../../src/cwmp/types.js';

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

/** A device's values: most alike across devices, a few of its own (`own` goes in every 97th). */
function valueList(n: number, own: string): ParameterValue[] {
  const out: ParameterValue[] = [];
  for (let i = 0; out.length < n; i++) {
    out.push({ name: `Device.IP.Interface.${i}.Enable`, value: '1', type: 'xsd:boolean' });
    out.push({ name: `Device.IP.Interface.${i}.Name`, value: i % 97 === 3 ? `${own}-${i}` : `eth${i} & <lan>`, type: 'xsd:string' });
    out.push({ name: `Device.IP.Interface.${i}.MaxMTUSize`, value: String(1500 - (i % 3)), type: 'xsd:unsignedInt' });
  }
  return out;
}

/** A GetParameterValuesResponse as a CPE that indents its structs sends it. */
function valuesMessage(id: string, list: ParameterValue[]): Buffer {
  const xml = buildEnvelope({ namespace: NS, header: { id }, body: { method: 'GetParameterValuesResponse', parameterList: list } });
  return Buffer.from(xml.replaceAll('<ParameterValueStruct>', '\n    <ParameterValueStruct>').replace('</ParameterList>', '\n  </ParameterList>'));
}

function reference(bytes: Uint8Array, contentType: string | undefined, limits: Partial<ParseLimits> = LIMITS): Result<Envelope> {
  const text = decodeBody(bytes, contentType);
  return text.ok ? parseEnvelope(text.value, limits) : text;
}

/** memo.read answers what the reference answers. */
function expectSame(memo: AnswerMemo, bytes: Uint8Array, contentType: string | undefined = CT, limits: Partial<ParseLimits> = LIMITS): Result<Envelope> {
  const got = memo.read(bytes, contentType, limits);
  const want = reference(bytes, contentType, limits);
  if (want.ok) expect(got).toEqual(want);
  else {
    expect(got.ok).toBe(false);
    if (!got.ok) expect(got.error.code).toBe(want.error.code);
  }
  return got;
}

/** expectSame, counting whether the memo answered (hits) or the message was parsed (misses). */
function tally(memo: AnswerMemo, bytes: Uint8Array, ct: string | undefined, ways: { hits: number; misses: number }): void {
  const before = memo.stats().hits;
  expectSame(memo, bytes, ct);
  if (memo.stats().hits > before) ways.hits++;
  else ways.misses++;
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
    const ways = { hits: 0, misses: 0 };
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
        tally(memo, bytes, ct, ways);
      }),
      { seed: 20261206, numRuns: 400 },
    );
    // Both paths were exercised.
    expect(ways.hits).toBeGreaterThan(20);
    expect(ways.misses).toBeGreaterThan(20);
  });

  it('never remembers a cut that is not the ID, even when its text equals the ID', () => {
    const memo = new AnswerMemo();
    // The same text in a header entry the reader ignores, before the ID: the first match is there.
    const bytes = message('n-1', LIST, '<cwmp:Note xmlns:cwmp="urn:dslforum-org:cwmp-1-2">n-1</cwmp:Note>');
    for (let i = 0; i < 3; i++) expectSame(memo, bytes);
    expect(memo.stats()).toMatchObject({ remembered: 0, hits: 0 });
  });

  it("a device's answer that differs by one flag gets its own flag (that struct parsed again), and another Content-Type is another key", () => {
    const memo = new AnswerMemo();
    memo.read(message('a-1', LIST), CT, LIMITS);
    memo.read(message('a-2', LIST), CT, LIMITS);
    const other = LIST.map((p, i) => (i === 1500 ? { ...p, writable: !p.writable } : p));
    const got = expectSame(memo, message('b-1', other));
    expect(memo.stats()).toMatchObject({ hits: 1, reparsed: 1 });
    expect(got.ok && got.value.body.method === 'GetParameterNamesResponse' && got.value.body.parameterList[1500]!.writable).toBe(other[1500]!.writable);
    expectSame(memo, message('a-3', LIST), 'text/xml; charset=iso-8859-1');
    expect(memo.stats().hits).toBe(1);
  });

  it("notes a device's recalled values as the remembered list with its own entries where its structs differed", () => {
    const memo = new AnswerMemo();
    memo.read(valuesMessage('v-1', valueList(2000, 'one')), CT, LIMITS);
    const second = memo.read(valuesMessage('v-2', valueList(2000, 'two')), CT, LIMITS);
    const mine = valueList(2000, 'three');
    const got = expectSame(memo, valuesMessage('v-3', mine));
    expect(memo.stats().hits).toBe(1);
    if (!got.ok || got.value.body.method !== 'GetParameterValuesResponse' || !second.ok || second.value.body.method !== 'GetParameterValuesResponse') throw new Error('not values');
    const list = got.value.body.parameterList;
    const recalled = recalledOf(list)!;
    expect(recalled.base).toEqual(second.value.body.parameterList);
    expect(Object.isFrozen(recalled.base)).toBe(true);
    // Its own entries are exactly the structs of its own (the 'three-' names), the rest the remembered ones.
    expect(recalled.changed).toEqual(mine.flatMap((p, k) => (p.value.startsWith('three-') ? [k] : [])));
    for (const k of recalled.changed) expect(list[k]!.value).toBe(mine[k]!.value);
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
    const types = ['text/xml', 'text/xml; charset=utf-8', 'text/xml; charset=iso-8859-1'];
    for (const ct of types) {
      memo.read(message('1', LIST), ct, LIMITS);
      memo.read(message('2', LIST), ct, LIMITS);
    }
    expect(memo.stats()).toMatchObject({ remembered: 3, entries: 2 });
    // The oldest went.
    memo.read(message('3', LIST), types[0], LIMITS);
    expect(memo.stats().hits).toBe(0);
    memo.read(message('3', LIST), types[2], LIMITS);
    expect(memo.stats().hits).toBe(1);

    const tight = new AnswerMemo({ totalBytes: 10_000 });
    for (const id of ['1', '2', '3']) expectSame(tight, message(id, LIST));
    expect(tight.stats()).toMatchObject({ entries: 0, hits: 0 });

    // Small answers are parsed each time.
    const small = new AnswerMemo();
    for (const id of ['1', '2', '3']) expectSame(small, message(id, listing(20)));
    expect(small.stats().remembered).toBe(0);
  });

  it('leaves alone what it cannot cut safely: no ID, UTF-16, non-ASCII text', () => {
    const memo = new AnswerMemo();
    for (let i = 0; i < 3; i++) expectSame(memo, message(undefined, LIST));
    const xml = message('u-1', LIST).toString();
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(xml, 'utf16le')]);
    for (let i = 0; i < 3; i++) expectSame(memo, utf16, 'text/xml');
    const latin = listing(1000).map((p, i) => (i === 7 ? { ...p, name: 'Device.IP.Interface.1.X_Café' } : p));
    for (const id of ['l-1', 'l-2', 'l-3']) expectSame(memo, Buffer.from(message(id, latin).toString(), 'latin1'), 'text/xml; charset=iso-8859-1');
    expect(memo.stats()).toMatchObject({ remembered: 0, hits: 0 });
  });

  it("answers a device's values from another's: only the structs that differ are parsed, each device gets its own", () => {
    const memo = new AnswerMemo();
    memo.read(valuesMessage('v-1', valueList(3000, 'SN1')), CT, LIMITS);
    memo.read(valuesMessage('v-2', valueList(3000, 'SN2')), CT, LIMITS);
    expect(memo.stats().remembered).toBe(1);
    const mine = valueList(3000, 'SERIAL-0003');
    const got = expectSame(memo, valuesMessage('v-3', mine));
    expect(memo.stats()).toMatchObject({ hits: 1, reparsed: 11 });
    expect(got.ok && got.value.body.method === 'GetParameterValuesResponse' && got.value.body.parameterList.filter((p) => p.value.startsWith('SERIAL-0003')).length).toBe(11);
    // Structs added and taken away.
    const moved = [...mine.slice(0, 100), { name: 'Device.X_New', value: 'n', type: 'xsd:string' }, ...mine.slice(103), { name: 'Device.X_Last', value: '', type: '' }];
    expectSame(memo, valuesMessage('v-4', moved));
    expect(memo.stats().hits).toBe(2);
    // Too many differences: parsed as usual.
    expectSame(memo, valuesMessage('v-5', valueList(3000, 'x').map((p) => ({ ...p, value: `${p.value}!` }))));
    expect(memo.stats().hits).toBe(2);
  });

  it('answers what the parser answers whatever a struct is replaced with (hostile structs, fuzzed)', () => {
    const memo = new AnswerMemo();
    const list = valueList(600, 'A');
    memo.read(valuesMessage('h-1', list), CT, LIMITS);
    memo.read(valuesMessage('h-2', valueList(600, 'B')), CT, LIMITS);
    expect(memo.stats().remembered).toBe(1);
    const base = valuesMessage('h-3', list).toString('latin1');
    const open = base.indexOf('<ParameterValueStruct>');
    const close = base.lastIndexOf('</ParameterList>');
    const structs = base.slice(open, close).split(/(?=<ParameterValueStruct>)/);
    const head = base.slice(0, open);
    const tail = base.slice(close);
    const S = '<ParameterValueStruct>';
    const E = '</ParameterValueStruct>';
    const replacement = fc.constantFrom(
      (t: string) => t.replace(/>([^<]*)<\/Value>/, '>changed value</Value>'),
      (t: string) => t.replace(/>([^<]*)<\/Value>/, '>a &amp; b &#x41; &#66;</Value>'),
      (t: string) => t.replace(/>([^<]*)<\/Value>/, '>a &bogus; b</Value>'),
      (t: string) => t.replace(/>([^<]*)<\/Value>/, '>end ]]> here</Value>'),
      (t: string) => t.replace(/>([^<]*)<\/Value>/, '>caf\u00e9</Value>'),
      (t: string) => t.replace(/>([^<]*)<\/Value>/, '>esc\u001b$B</Value>'),
      (t: string) => t.replace(/>([^<]*)<\/Value>/, '>cr\r\nlf</Value>'),
      (t: string) => t.replace(/<Value [^>]*>/, '<Value xsi:type="xsd:boolean">').replace(/>([^<]*)<\/Value>/, '>true</Value>'),
      (t: string) => t.replace(/<Value [^>]*>/, '<Value xsi:type="xsd:int" extra="x > y">'),
      (t: string) => t.replace(/<Value [^>]*>[^<]*<\/Value>/, '<Value/>'),
      (t: string) => t.replace(/<Value [^>]*>[^<]*<\/Value>/, '<Value><x>1</x></Value>'),
      (t: string) => t.replace(/<Value [^>]*>[^<]*<\/Value>/, '<Value><![CDATA[<b>]]></Value>'),
      (t: string) => t.replace(/<Name>[^<]*<\/Name>/, ''),
      (t: string) => t.replace(/<Name>/, '<Name><!-- c -->'),
      (t: string) => `<!-- ${t}`,
      (t: string) => `${t} -->`,
      (t: string) => `<!-- ${E} -->${t}`,
      (t: string) => `${t}${t}`,
      () => '',
      (t: string) => `${S}${t}`,
      (t: string) => `${t}${E}`,
      (t: string) => t.replaceAll('ParameterValueStruct', 'cwmp:ParameterValueStruct'),
      (t: string) => t.replace(S, '<ParameterValueStruct xmlns="urn:other">'),
      (t: string) => t.replace(S, '<ParameterValueStruct xmlns:xsi="urn:not-xsi">'),
      (t: string) => t.replace(S, '<ParameterValueStruct/>'),
      (t: string) => t.replace(E, '</ParameterValueStruct >'),
      (t: string) => t.replace(E, '</ParameterValueStruct>\t \n'),
      (t: string) => t.replace(E, ''),
      (t: string) => t.replace('<Name>', '<Name >').replace('</Name>', '</Name\n>'),
      (t: string) => t.replace('Device.', 'Device.X_\u00c4.'),
      (t: string) => t.replace(/<Value [^>]*>/, '<Value xsi:type="xsd:string" xsi:type="xsd:int">'),
    );
    const edits = fc.array(fc.record({ at: fc.nat(structs.length - 1), edit: replacement }), { minLength: 1, maxLength: 4 });
    const ways = { hits: 0, misses: 0 };
    fc.assert(
      fc.property(edits, fc.constantFrom(CT, CT, CT, CT, undefined, 'text/xml; charset=iso-8859-1'), (es, ct) => {
        const edited = structs.slice();
        for (const { at, edit } of es) edited[at] = edit(edited[at]!);
        const bytes = Buffer.from(head + edited.join('') + tail, 'latin1');
        tally(memo, bytes, ct, ways);
      }),
      { seed: 20261207, numRuns: 600 },
    );
    // Both ways were taken, often.
    expect(ways.hits).toBeGreaterThan(40);
    expect(ways.misses).toBeGreaterThan(40);
  });

  it('keeps the element limit: structs added past it fail as the parser fails them', () => {
    const list = valueList(1200, 'L');
    const limits = { maxBytes: 4 * 1024 * 1024, maxElements: 3 * 1200 + 12 };
    const memo = new AnswerMemo();
    expectSame(memo, valuesMessage('e-1', list), CT, limits);
    expectSame(memo, valuesMessage('e-2', list), CT, limits);
    expect(memo.stats().remembered).toBe(1);
    const more = [...list, ...list.slice(0, 5).map((p) => ({ ...p, name: `${p.name}X` }))];
    const got = expectSame(memo, valuesMessage('e-3', more), CT, limits);
    expect(got.ok).toBe(false);
    const fewer = list.slice(0, 1100);
    expect(expectSame(memo, valuesMessage('e-4', fewer), CT, limits).ok).toBe(true);
  });
});
