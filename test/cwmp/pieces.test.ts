/** buildEnvelopePieces: the same text as buildEnvelope, cut so a sender can encode it piece by piece. */
import { describe, expect, it } from 'vitest';
import { buildEnvelope, buildEnvelopePieces, type BuildOptions } from '../../src/cwmp/codec.js';
import type { CwmpBody, Envelope } from '../../src/cwmp/types.js';

const NS0 = 'urn:dslforum-org:cwmp-1-0';
/** The pieces as one text: the entries come as UTF-8 bytes, the envelope around them as strings. */
const text = (pieces: readonly (string | Buffer)[]): string => Buffer.concat(pieces.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : p))).toString('utf8');
const env = (body: CwmpBody, header: Envelope['header'] = { id: 'a&b' }): Envelope => ({ namespace: NS0, header, body });

// Names and values that need escaping, non-ASCII text and a character XML cannot carry.
const values = Array.from({ length: 3000 }, (_, i) => ({
  name: `Device.X_T.${i}.N<${i % 7}>&`,
  value: i % 5 === 0 ? `caf\u00e9 \u{1F600} "q" \u0001\r` : String(i),
  type: i % 3 === 0 ? '' : i % 3 === 1 ? 'xsd:string' : 'xsd:unsignedInt',
}));
const names = values.map((v, i) => ({ name: v.name, writable: i % 2 === 0 }));

const OPTIONS: BuildOptions[] = [
  {},
  { omitXsiType: true },
  { arraySize: 'none' },
  { arraySize: 'wrong' },
  { arraySize: 'padded', booleans: 'words' },
  { prefixes: { soapenv: 'SOAP-ENV', cwmp: 'c' } },
];

describe('buildEnvelopePieces', () => {
  for (const opts of OPTIONS) {
    it(`joins to buildEnvelope's text for both big list answers (${JSON.stringify(opts)})`, () => {
      for (const body of [
        { method: 'GetParameterValuesResponse', parameterList: values },
        { method: 'GetParameterNamesResponse', parameterList: names },
      ] as CwmpBody[]) {
        const pieces = buildEnvelopePieces(env(body), opts);
        expect(pieces.length).toBeGreaterThan(5);
        expect(text(pieces)).toBe(buildEnvelope(env(body), opts));
        // Each piece stays small (one entry past the threshold at most).
        for (const p of pieces) expect(p.length).toBeLessThan(20_000);
      }
    });
  }

  it('writes a frozen list of frozen entries once per build context, and each envelope around it as its own', () => {
    const frozenValues = Object.freeze(values.map((v) => Object.freeze({ ...v })));
    const frozenNames = Object.freeze(names.map((n) => Object.freeze({ ...n })));
    for (const opts of OPTIONS) {
      for (const [id, i] of [['one', 0], ['two&', 1], ['one', 2]] as const) {
        for (const body of [
          { method: 'GetParameterValuesResponse', parameterList: frozenValues },
          { method: 'GetParameterNamesResponse', parameterList: frozenNames },
        ] as CwmpBody[]) {
          const pieces = buildEnvelopePieces(env(body, { id }), opts);
          expect(text(pieces), `${JSON.stringify(opts)} ${i}`).toBe(buildEnvelope(env(body, { id }), opts));
          for (const p of pieces) expect(p.length).toBeLessThan(20_000);
        }
      }
    }
  });

  it('does not reuse the text of a frozen list whose entries can still change', () => {
    const entries = values.slice(0, 50).map((v) => ({ ...v }));
    const list = Object.freeze(entries);
    const body = (): CwmpBody => ({ method: 'GetParameterValuesResponse', parameterList: list as unknown as typeof values });
    expect(text(buildEnvelopePieces(env(body()), {}))).toBe(buildEnvelope(env(body()), {}));
    entries[3]!.value = 'changed';
    const after = text(buildEnvelopePieces(env(body()), {}));
    expect(after).toContain('>changed</Value>');
    expect(after).toBe(buildEnvelope(env(body()), {}));
  });

  it('a list of shared frozen entries and entries of its own: the same text as buildEnvelope, whatever surrounds each run', () => {
    // Devices of one model: the template's structs shared (frozen), each device's own values
    // fresh, at places that differ from list to list; runs that start mid-way, shifted by one,
    // cut short by the list's end, reordered, or made of the same entries twice.
    const shared = values.map((v) => Object.freeze({ ...v }));
    let seed = 7;
    const random = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    const lists: (typeof values)[] = [];
    for (let k = 0; k < 12; k++) {
      const list = shared.map((e, i) => (random(40) === 0 ? { ...e, value: `own ${k} ${i} <&>` } : e));
      lists.push(list);
    }
    lists.push(shared.slice(1), shared.slice(5, 900), shared.slice(0, 31), [...shared.slice(64, 128), ...shared.slice(0, 64)], [...shared.slice(0, 40), ...shared.slice(0, 40)]);
    lists.push(shared.map((e, i) => (i % 33 === 0 ? { ...e } : e)));
    for (const opts of OPTIONS) {
      for (const list of [...lists, ...lists.slice().reverse()]) {
        const body = { method: 'GetParameterValuesResponse', parameterList: list } as CwmpBody;
        const pieces = buildEnvelopePieces(env(body), opts);
        expect(text(pieces)).toBe(buildEnvelope(env(body), opts));
        for (const p of pieces) expect(p.length).toBeLessThan(20_000);
      }
    }
    // An entry of its own is written from what it holds now, not from an earlier list's text.
    const mutable = { ...values[3]! };
    const list = [...shared.slice(0, 3), mutable, ...shared.slice(4, 100)];
    const body = (): CwmpBody => ({ method: 'GetParameterValuesResponse', parameterList: list } as CwmpBody);
    buildEnvelopePieces(env(body()), {});
    mutable.value = 'changed';
    expect(text(buildEnvelopePieces(env(body()), {}))).toBe(buildEnvelope(env(body()), {}));
    expect(text(buildEnvelopePieces(env(body()), {}))).toContain('>changed</Value>');
  });

  it('keeps the exact text of a short list', () => {
    const body: CwmpBody = { method: 'GetParameterValuesResponse', parameterList: [{ name: 'A.B', value: '1<2', type: 'xsd:string' }] };
    expect(text(buildEnvelopePieces(env(body, {}), {}))).toBe(
      '<?xml version="1.0" encoding="UTF-8"?><soap-env:Envelope xmlns:soap-env="http://schemas.xmlsoap.org/soap/envelope/" ' +
        'xmlns:soap-enc="http://schemas.xmlsoap.org/soap/encoding/" xmlns:xsd="http://www.w3.org/2001/XMLSchema" ' +
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:cwmp="urn:dslforum-org:cwmp-1-0"><soap-env:Body>' +
        '<cwmp:GetParameterValuesResponse><ParameterList soap-enc:arrayType="cwmp:ParameterValueStruct[1]">' +
        '<ParameterValueStruct><Name>A.B</Name><Value xsi:type="xsd:string">1&lt;2</Value></ParameterValueStruct>' +
        '</ParameterList></cwmp:GetParameterValuesResponse></soap-env:Body></soap-env:Envelope>',
    );
  });

  it('an empty list and any other message are one piece, as buildEnvelope writes them', () => {
    for (const body of [
      { method: 'GetParameterNamesResponse', parameterList: [] },
      { method: 'SetParameterValuesResponse', status: 0 },
      { method: 'GetRPCMethods' },
    ] as CwmpBody[]) {
      expect(buildEnvelopePieces(env(body), {})).toEqual([buildEnvelope(env(body), {})]);
    }
  });
});
