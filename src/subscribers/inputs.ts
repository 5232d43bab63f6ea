/**
 * A service's inputs, checked against its template's declarations, and masked for answers:
 * secret inputs are write-only (never returned, never logged).
 */
import type { ServiceTemplate, TemplateInput } from './template.js';

export const MASK = '***';

export interface InputError {
  input: string;
  message: string;
}

const HOST = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)*[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$|^\[?[0-9A-Fa-f:.]+\]?$/;

/**
 * The inputs as strings (CWMP values), defaults filled in; or every problem found. Unknown
 * inputs are errors, so a misspelt name never silently does nothing.
 */
export function checkInputs(template: ServiceTemplate, given: unknown): { ok: true; values: Record<string, string> } | { ok: false; errors: InputError[] } {
  const errors: InputError[] = [];
  if (given === null || typeof given !== 'object' || Array.isArray(given)) {
    return { ok: false, errors: [{ input: '', message: 'inputs must be an object' }] };
  }
  const raw = given as Record<string, unknown>;
  const known = new Map(template.inputs.map((i) => [i.name, i]));
  for (const name of Object.keys(raw)) if (!known.has(name)) errors.push({ input: name, message: `unknown input (the template takes ${template.inputs.map((i) => i.name).join(', ')})` });
  const values: Record<string, string> = {};
  for (const input of template.inputs) {
    const v = raw[input.name];
    if (v === undefined || v === null || v === '') {
      if (input.default !== undefined) values[input.name] = input.default;
      else if (input.required) errors.push({ input: input.name, message: 'required' });
      continue;
    }
    const problem = checkOne(input, v);
    if (problem !== null) errors.push({ input: input.name, message: problem });
    else values[input.name] = String(v);
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, values };
}

function checkOne(input: TemplateInput, v: unknown): string | null {
  switch (input.type) {
    case 'integer': {
      const n = typeof v === 'number' ? v : typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : NaN;
      if (!Number.isSafeInteger(n)) return 'must be an integer';
      if (input.min !== undefined && n < input.min) return `must be at least ${input.min}`;
      if (input.max !== undefined && n > input.max) return `must be at most ${input.max}`;
      return null;
    }
    case 'boolean':
      return v === true || v === false || v === 'true' || v === 'false' ? null : 'must be true or false';
    case 'enum':
      return typeof v === 'string' && (input.values ?? []).includes(v) ? null : `must be one of ${(input.values ?? []).join(', ')}`;
    case 'host':
      if (typeof v !== 'string' || v.length > 253 || !HOST.test(v)) return 'must be a host name or an IP address';
      return null;
    case 'string':
    case 'secret': {
      if (typeof v !== 'string') return 'must be a string';
      if ([...v].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f)) return 'must not contain control characters';
      if (input.minLength !== undefined && v.length < input.minLength) return `must be at least ${input.minLength} characters`;
      if (v.length > (input.maxLength ?? 256)) return `must be at most ${input.maxLength ?? 256} characters`;
      return null;
    }
  }
}

/** Inputs as answers show them: secrets replaced by a mask. */
export function maskInputs(template: ServiceTemplate | undefined, values: Readonly<Record<string, string>>): Record<string, string> {
  const secret = new Set((template?.inputs ?? []).filter((i) => i.type === 'secret').map((i) => i.name));
  const out: Record<string, string> = {};
  // A template that is gone no longer says which inputs are secret: mask them all.
  for (const [k, v] of Object.entries(values)) out[k] = template === undefined || secret.has(k) ? MASK : v;
  return out;
}

/** Keep a stored secret when an update sends the mask (or omits it) back. */
export function mergeSecrets(template: ServiceTemplate, next: Record<string, unknown>, previous: Readonly<Record<string, string>> | undefined): Record<string, unknown> {
  const out = { ...next };
  for (const i of template.inputs) {
    if (i.type !== 'secret' || previous?.[i.name] === undefined) continue;
    if (out[i.name] === undefined || out[i.name] === MASK) out[i.name] = previous[i.name];
  }
  return out;
}
