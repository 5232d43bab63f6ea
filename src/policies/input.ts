/**
 * What every part of the policy parser (./validate.ts, ./validate-objects.ts) reports errors
 * with: the member that is wrong and, for text, the column.
 */
export interface InputPosition {
  field: string;
  /** In a script: its line (1-based); elsewhere text is one line. */
  line?: number;
  column?: number;
}

export class PolicyInputError extends Error {
  override readonly name = 'PolicyInputError';
  constructor(
    message: string,
    readonly position: InputPosition,
  ) {
    super(`${position.field}${position.line !== undefined ? ` (line ${position.line})` : ''}${position.column !== undefined ? ` (column ${position.column})` : ''}: ${message}`);
  }
}

export function fail(field: string, message: string, column?: number): never {
  throw new PolicyInputError(message, column === undefined ? { field } : { field, column });
}

export function obj(v: unknown, field: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(field, 'must be an object');
  return v as Record<string, unknown>;
}

export function only(o: Record<string, unknown>, allowed: readonly string[], field: string): void {
  for (const k of Object.keys(o)) if (!allowed.includes(k)) fail(field === '' ? k : `${field}.${k}`, 'unknown member');
}

export function str(v: unknown, field: string, max: number): string {
  if (typeof v !== 'string') fail(field, 'must be a string');
  if (v.length > max) fail(field, `longer than ${max} characters`);
  return v;
}

