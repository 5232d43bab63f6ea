/**
 * A virtual parameter as an operator writes it (JSON from the API) → a definition, or a
 * PolicyInputError that says where (`read`, `write`, with the line and column of a syntax
 * error). The scripts are compiled here, never run. How a virtual parameter is computed and
 * written is the engine's (./engine.ts): its value is what `read` returns; a value declared on
 * it becomes what `write` declares (`declare(path, value)`) on real parameters.
 */
import type { VirtualParameterDefinition } from '../store/types.js';
import { PolicyInputError, type ScriptChecker } from './validate.js';
import { MAX_SCRIPT_LENGTH } from './sandbox.js';

export const VIRTUAL_NAME = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;

function fail(field: string, message: string): never {
  throw new PolicyInputError(message, { field });
}

function script(v: unknown, field: string, check: ScriptChecker | undefined): string {
  if (typeof v !== 'string') fail(field, 'must be a string');
  if (v.length > MAX_SCRIPT_LENGTH) fail(field, `longer than ${MAX_SCRIPT_LENGTH} characters`);
  if (v.trim() === '') fail(field, 'must not be empty');
  const bad = check?.(v) ?? null;
  if (bad !== null) throw new PolicyInputError(bad.message, { field, line: bad.line, column: bad.column });
  return v;
}

/** `name` comes from the URL on a replace (then the body may omit it, or must agree). */
export function parseVirtualParameter(input: unknown, check: ScriptChecker | undefined, name?: string): VirtualParameterDefinition {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) fail('body', 'must be an object');
  const o = input as Record<string, unknown>;
  for (const k of Object.keys(o)) if (!['name', 'description', 'read', 'write'].includes(k)) fail(k, 'unknown member');
  const n = o.name ?? name;
  if (typeof n !== 'string' || !VIRTUAL_NAME.test(n)) fail('name', 'a letter, then letters, digits or "_" (at most 64): the parameter is VirtualParameters.<name>');
  if (name !== undefined && n !== name) fail('name', `must be "${name}", the name in the URL`);
  if (o.description !== undefined && (typeof o.description !== 'string' || o.description.length > 2000)) fail('description', 'a string of at most 2000 characters');
  return {
    name: n,
    ...(o.description !== undefined ? { description: o.description as string } : {}),
    read: script(o.read, 'read', check),
    ...(o.write !== undefined ? { write: script(o.write, 'write', check) } : {}),
  };
}
