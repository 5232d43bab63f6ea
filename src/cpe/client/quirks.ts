/**
 * Ways real CPEs deviate from TR-069 that an ACS has to survive, as switches on the
 * simulated device. Each is something seen in the field (see cwmp-primer.md and the
 * captures in shared/fixtures); the defaults are conformant.
 */
import type { BuildOptions } from '../../cwmp/codec.js';
import type { CwmpNamespace } from '../../cwmp/types.js';

export interface Quirks {
  /** Never return the ACS's cookies (the ACS must tie the session to the connection). */
  dropCookies?: boolean;
  /** Put the deprecated NoMoreRequests=1 header on the Inform (CWMP 1.0 devices). */
  noMoreRequests?: boolean;
  /** SOAP-ENC:arrayType sizes: exact, none, wrong (N+1) or zero-padded ("[0008]"). */
  arraySize?: 'exact' | 'none' | 'wrong' | 'padded';
  /** No xsi:type on values. */
  omitXsiType?: boolean;
  /** Request bodies with Transfer-Encoding: chunked and no Content-Length (Thomson). */
  chunked?: boolean;
  /** Other namespace prefixes, e.g. { soapenv: 'SOAP-ENV', cwmp: 'cwmp' }. */
  prefixes?: { soapenv?: string; cwmp?: string };
  /** The CWMP namespace the device speaks (default cwmp-1-0, still the most common). */
  namespace?: CwmpNamespace;
  /** Booleans as true/false words instead of 1/0. */
  booleanWords?: boolean;
}

/** Names accepted by `--quirks` (comma-separated) and what each turns on. */
export const QUIRK_NAMES = {
  'drop-cookies': { dropCookies: true },
  'no-more-requests': { noMoreRequests: true },
  'no-array-size': { arraySize: 'none' },
  'wrong-array-size': { arraySize: 'wrong' },
  'padded-array-size': { arraySize: 'padded' },
  'no-xsi-type': { omitXsiType: true },
  chunked: { chunked: true },
  'soap-env-prefix': { prefixes: { soapenv: 'SOAP-ENV', cwmp: 'cwmp' } },
  'cwmp-1-1': { namespace: 'urn:dslforum-org:cwmp-1-1' },
  'cwmp-1-2': { namespace: 'urn:dslforum-org:cwmp-1-2' },
  'boolean-words': { booleanWords: true },
} as const satisfies Record<string, Quirks>;

export type QuirkName = keyof typeof QUIRK_NAMES;

/** Parse "drop-cookies,chunked"; unknown names are an error listing the known ones. */
export function parseQuirks(list: string): Quirks {
  const out: Quirks = {};
  for (const raw of list.split(',')) {
    const name = raw.trim();
    if (name === '') continue;
    if (!Object.prototype.hasOwnProperty.call(QUIRK_NAMES, name)) {
      throw new Error(`unknown quirk "${name}"; known: ${Object.keys(QUIRK_NAMES).join(', ')}`);
    }
    Object.assign(out, QUIRK_NAMES[name as QuirkName]);
  }
  return out;
}

/** The codec options a set of quirks implies. */
export function buildOptions(q: Quirks): BuildOptions {
  const o: BuildOptions = {};
  if (q.omitXsiType === true) o.omitXsiType = true;
  if (q.arraySize !== undefined) o.arraySize = q.arraySize;
  if (q.prefixes !== undefined) o.prefixes = q.prefixes;
  if (q.booleanWords === true) o.booleans = 'words';
  return o;
}
