/**
 * Property: for every message type, parseEnvelope(buildEnvelope(x, quirks)) deep-equals x,
 * whatever quirk knobs the builder uses (prefixes, array sizes, boolean style).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildEnvelope, parseEnvelope, type BuildOptions } from '../../src/cwmp/codec.js';
import type { CwmpBody, CwmpMethod } from '../../src/cwmp/types.js';
import { anyBody, bodies, envelope, parameterValue } from './arbitraries.js';

const buildOptions: fc.Arbitrary<BuildOptions> = fc.record(
  {
    arraySize: fc.constantFrom('exact' as const, 'none' as const, 'wrong' as const, 'padded' as const),
    prefixes: fc.record(
      { soapenv: fc.constantFrom('soap-env', 'SOAP-ENV', 'soapenv', 's'), cwmp: fc.constantFrom('cwmp', 'c', 'CWMP') },
      { requiredKeys: [] },
    ),
    booleans: fc.constantFrom('numeric' as const, 'words' as const),
  },
  { requiredKeys: [] },
);

describe('round trip of every CWMP message', () => {
  for (const method of Object.keys(bodies) as CwmpMethod[]) {
    it(method, () => {
      fc.assert(
        fc.property(envelope(bodies[method] as fc.Arbitrary<CwmpBody>), buildOptions, (env, opts) => {
          const xml = buildEnvelope(env, opts);
          const parsed = parseEnvelope(xml);
          if (!parsed.ok) throw parsed.error;
          expect(parsed.value).toEqual(env);
        }),
        { numRuns: 60 },
      );
    });
  }

  it('any message, more runs', () => {
    fc.assert(
      fc.property(envelope(anyBody), (env) => {
        const parsed = parseEnvelope(buildEnvelope(env));
        expect(parsed.ok && parsed.value).toEqual(env);
      }),
      { numRuns: 400 },
    );
  });

  it('omitXsiType drops every type and keeps the values', () => {
    fc.assert(
      fc.property(fc.array(parameterValue, { maxLength: 8 }), (parameterList) => {
        const xml = buildEnvelope(
          { namespace: 'urn:dslforum-org:cwmp-1-0', header: {}, body: { method: 'GetParameterValuesResponse', parameterList } },
          { omitXsiType: true },
        );
        expect(xml).not.toContain('xsi:type');
        const parsed = parseEnvelope(xml);
        const body = parsed.ok ? parsed.value.body : undefined;
        expect(body).toEqual({ method: 'GetParameterValuesResponse', parameterList: parameterList.map((p) => ({ ...p, type: '' })) });
      }),
      { numRuns: 100 },
    );
  });
});
