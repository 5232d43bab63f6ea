/**
 * CWMP version negotiation (TR-069 Amendment 5+, A.2.1 and the SupportedCWMPVersions /
 * UseCWMPVersion headers of A.4.1).
 *
 * A 1.4 CPE lists the versions it speaks in the Inform's SupportedCWMPVersions header; the ACS
 * answers with UseCWMPVersion (the highest version both speak) and both sides use that
 * version's namespace for the rest of the session. No version in common: the ACS answers the
 * Inform with fault 8006. A CPE that sends no list is an older CPE: the ACS answers in the
 * namespace it used, without UseCWMPVersion, as before.
 *
 * Versions map onto namespaces as the schemas say: 1.0 → cwmp-1-0, 1.1 → cwmp-1-1, and 1.2,
 * 1.3 and 1.4 all keep cwmp-1-2 (cwmp-1-3.xsd and cwmp-1-4.xsd have that targetNamespace).
 */
import type { CwmpNamespace } from './types.js';

/** Every version this code base speaks, oldest first. */
export const CWMP_VERSIONS = ['1.0', '1.1', '1.2', '1.3', '1.4'] as const;

/** The longest header we read; a real list is "1.0,1.1,1.2,1.3,1.4" (19 characters). */
const MAX_HEADER = 256;
const VERSION = /^(\d{1,3})\.(\d{1,3})$/;

/** "1.0, 1.4 ,x,1.4" → ["1.0", "1.4"]: well-formed versions, each once, in the order given. */
export function parseVersionList(header: string): string[] {
  const out: string[] = [];
  for (const raw of header.slice(0, MAX_HEADER).split(',')) {
    const m = VERSION.exec(raw.trim());
    if (m === null) continue;
    // "01.4" and "1.4" are one version.
    const v = `${Number(m[1])}.${Number(m[2])}`;
    if (!out.includes(v)) out.push(v);
  }
  return out;
}

/** Numeric order: 1.10 is after 1.9. */
export function compareVersions(a: string, b: string): number {
  const [am = 0, an = 0] = a.split('.').map(Number);
  const [bm = 0, bn = 0] = b.split('.').map(Number);
  return am - bm || an - bn;
}

/** The highest of a list, or null for an empty one. */
export function highestVersion(list: readonly string[]): string | null {
  let best: string | null = null;
  for (const v of list) if (best === null || compareVersions(v, best) > 0) best = v;
  return best;
}

/** The namespace a version is spoken in (null: a version we do not know). */
export function namespaceForVersion(version: string): CwmpNamespace | null {
  switch (version) {
    case '1.0':
      return 'urn:dslforum-org:cwmp-1-0';
    case '1.1':
      return 'urn:dslforum-org:cwmp-1-1';
    case '1.2':
    case '1.3':
    case '1.4':
      return 'urn:dslforum-org:cwmp-1-2';
    default:
      return null;
  }
}

/** Whether a version is spoken in this namespace (a 1.2 namespace carries 1.2 to 1.4). */
export function versionFitsNamespace(version: string, namespace: CwmpNamespace): boolean {
  return namespaceForVersion(version) === namespace;
}

export type Negotiated =
  /** The CPE sent no list (or an empty one): an older CPE; nothing to say. */
  | { kind: 'none' }
  | { kind: 'agreed'; version: string; namespace: CwmpNamespace }
  /** A list with nothing we speak: fault 8006. */
  | { kind: 'incompatible'; offered: string[] };

/**
 * The ACS's choice for a CPE's SupportedCWMPVersions header: the highest version in both
 * lists. `ours` defaults to every version we speak (an operator may narrow it).
 */
export function negotiateVersion(header: string | undefined, ours: readonly string[] = CWMP_VERSIONS): Negotiated {
  if (header === undefined || header.trim() === '') return { kind: 'none' };
  const offered = parseVersionList(header);
  const common = offered.filter((v) => ours.includes(v) && namespaceForVersion(v) !== null);
  const version = highestVersion(common);
  if (version === null) return { kind: 'incompatible', offered };
  return { kind: 'agreed', version, namespace: namespaceForVersion(version) as CwmpNamespace };
}

/**
 * Check a list of versions given as configuration ("1.0,1.4"): every entry known. Returns the
 * versions, or a message naming the unknown one.
 */
export function checkVersionList(list: string): { ok: true; versions: string[] } | { ok: false; message: string } {
  const parts = list.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (parts.length === 0) return { ok: false, message: 'an empty list of CWMP versions' };
  for (const p of parts) {
    if (!(CWMP_VERSIONS as readonly string[]).includes(p)) return { ok: false, message: `unknown CWMP version "${p.slice(0, 20)}"; known: ${CWMP_VERSIONS.join(', ')}` };
  }
  return { ok: true, versions: [...new Set(parts)] };
}
