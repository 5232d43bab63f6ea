/**
 * Is a value the ACS is about to write acceptable to the standard and to the device? The
 * check a setParameterValues task (and a policy declaration) passes before it is queued, so
 * that a mistake is a 400 naming the path and what is allowed, not a CPE fault a session later.
 *
 * The standard's word (the BBF catalogue) decides for standard paths: the path exists, the
 * type, range, string length, enumeration, and writability. The device's own word decides
 * where the standard says nothing: vendor paths (a segment starting with "X_") and names the
 * device reported that the standard lacks pass on the type and writability it reported. Where
 * the two disagree the device wins when it is more permissive about itself (a read-only
 * parameter it reports writable, an enumeration value it already holds): that is a
 * conformance finding (conformance.ts), not a reason to refuse an operator.
 */
import type { CatalogueSet } from './bbf.js';
import { checkValue } from './values.js';

/** What the store knows of one path on the device. */
export interface DeviceParamView {
  type: string | null;
  writable: boolean | null;
  value: string | null;
}

/** True when any segment is a vendor extension (TR-106: "X_<vendor>_Name"). */
export function isVendorPath(path: string): boolean {
  return path.split('.').some((s) => s.startsWith('X_'));
}

/** A human description of what the standard allows for a parameter. */
export function describeAllowed(p: { type: string; min?: string; max?: string; maxLength?: number; enumeration?: readonly string[]; list?: boolean }): string {
  const parts: string[] = [p.list ? `a comma-separated list of ${p.type.slice(4)}` : p.type.slice(4)];
  if (p.min !== undefined || p.max !== undefined) parts.push(`from ${p.min ?? '-∞'} to ${p.max ?? '∞'}`);
  if (p.maxLength !== undefined) parts.push(`at most ${p.maxLength} characters`);
  if (p.enumeration && p.enumeration.length > 0) {
    const shown = p.enumeration.slice(0, 24).map((e) => JSON.stringify(e)).join(', ');
    parts.push(`one of ${shown}${p.enumeration.length > 24 ? ` … (${p.enumeration.length} values)` : ''}`);
  }
  return parts.join(', ');
}

export interface SetCheckInput {
  path: string;
  value: string;
  /** The device's stored row for `path`, if it reported one. */
  device?: DeviceParamView | undefined;
  /** Say "the value" rather than quoting it (secrets are never echoed). */
  secret?: boolean;
}

/**
 * Null when the value may be written; otherwise the reason, starting with the path. The
 * lexical check against the wire type (the caller's xsd type or the device's) is the task
 * validator's; this one adds the standard's type and facets, existence and writability.
 */
export function checkSetParameter(cats: CatalogueSet, input: SetCheckInput): string | null {
  const { path, value, device } = input;
  const shown = input.secret === true ? 'the value' : JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value);
  if (isVendorPath(path)) {
    if (device?.writable === false) return `${path} is read-only (the device reports it so)`;
    return null;
  }
  const located = cats.locate(path);
  const p = cats.parameter(path);
  if (p === undefined) {
    if (device !== undefined) {
      if (device.writable === false) return `${path} is read-only (the device reports it so)`;
      return null;
    }
    if (located !== undefined && cats.object(path) !== undefined) return `${path} is an object in ${located.catalogue.model}, not a parameter`;
    const where = located !== undefined ? located.catalogue.model : 'any data model the ACS knows';
    return `${path} is not a parameter of ${where} nor of the device's reported tree (vendor extensions are named X_…)`;
  }
  if (p.access === 'readOnly' && device?.writable !== true) return `${path} is read-only in ${p.model}`;
  if (p.readOnlyValues?.includes(value)) return `${path}: ${shown} is set by the device, not written (${p.model})`;
  // The device's own current value is accepted even when the standard lacks it ("11bgn").
  if (device?.value === value) return null;
  const code = checkValue(p.type, value, p);
  if (code !== 0) return `${path}: ${shown} is not allowed; ${p.model} says ${describeAllowed(p)}`;
  return null;
}
