/**
 * `--config flotilla.yaml`: a command's options from a file, below flags and environment
 * variables (flags > FLOTILLA_* > file > defaults). Keys are the long flag names without the
 * dashes (`cwmp-port: 7547`, or camelCase `cwmpPort` as in the agent's file); a negatable flag
 * takes a boolean (`stun: false`). The file goes
 * through each option's own parser, so a bad value in the file is refused as it would be on the
 * command line, with the key named.
 *
 * YAML because operators already write it (compose files, Kubernetes, Ansible), and it is a
 * superset of JSON, so `flotilla.json` works too.
 */
import { readFileSync } from 'node:fs';
import { InvalidArgumentError, type Command, type Option } from 'commander';
import { parse as parseYaml } from 'yaml';

export class ConfigFileError extends Error {}

/** The file's key for an option: its long flag without dashes, without a `no-` prefix. */
export function configKey(option: Option): string | null {
  const long = option.long;
  if (long === undefined) return null;
  return long.replace(/^--/, '').replace(/^no-/, '');
}

/** Reads a YAML (or JSON) file of option values; refuses anything but a mapping of scalars and lists. */
export function readConfigFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ConfigFileError(`config file ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  let doc: unknown;
  try {
    // No custom tags, no merge keys: plain data only.
    doc = parseYaml(text, { schema: 'core', merge: false, maxAliasCount: 0 });
  } catch (e) {
    throw new ConfigFileError(`config file ${path}: ${(e as Error).message.split('\n')[0]}`);
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new ConfigFileError(`config file ${path}: expected a mapping of option names to values`);
  return doc as Record<string, unknown>;
}

/**
 * Sets every option the file names whose value did not come from a flag or the environment.
 * Unknown keys are refused (a typo must not be silently ignored).
 */
export function applyConfigFile(cmd: Command, file: Record<string, unknown>, path: string): void {
  const byKey = new Map<string, Option>();
  for (const o of cmd.options) {
    const k = configKey(o);
    if (k === null || k === 'config') continue;
    byKey.set(k, o);
    // camelCase too, as `flotilla agent --config` spells them (cwmpPort: 7547).
    byKey.set(o.attributeName(), o);
  }
  for (const [key, raw] of Object.entries(file)) {
    const o = byKey.get(key);
    // `key:` with no value (or null) leaves the option as it is: templates can list every key.
    if (raw === null && o !== undefined) continue;
    if (o === undefined) {
      throw new ConfigFileError(`config file ${path}: unknown option "${key}" (known: ${[...new Set([...byKey.values()].map((x) => configKey(x)!))].sort().join(', ')})`);
    }
    const attr = o.attributeName();
    const source = cmd.getOptionValueSource(attr);
    if (source === 'cli' || source === 'env') continue;
    cmd.setOptionValueWithSource(attr, convert(o, key, raw, path), 'config');
  }
}

function convert(o: Option, key: string, raw: unknown, path: string): unknown {
  const where = `config file ${path}: ${key}`;
  const takesValue = o.required || o.optional;
  if (!takesValue) {
    // A switch: `--allow-x` is true/false; `--no-stun` is written `stun: false`.
    if (typeof raw !== 'boolean') throw new ConfigFileError(`${where}: expected true or false`);
    return raw;
  }
  let text: string;
  if (Array.isArray(raw)) {
    if (!raw.every((x) => typeof x === 'string' || typeof x === 'number')) throw new ConfigFileError(`${where}: expected a list of strings`);
    text = raw.join(',');
  } else if (typeof raw === 'string' || typeof raw === 'number') {
    text = String(raw);
  } else if (typeof raw === 'boolean' && o.argChoices === undefined) {
    throw new ConfigFileError(`${where}: expected a value, not ${String(raw)}`);
  } else {
    throw new ConfigFileError(`${where}: expected a string, a number or a list`);
  }
  if (o.argChoices !== undefined && !o.argChoices.includes(text)) {
    throw new ConfigFileError(`${where}: expected one of ${o.argChoices.join(', ')}`);
  }
  if (o.parseArg === undefined) return text;
  try {
    return o.parseArg(text, undefined);
  } catch (e) {
    if (e instanceof InvalidArgumentError) throw new ConfigFileError(`${where}: ${e.message}`);
    throw e;
  }
}

/** Options whose values are secrets: never printed. */
const SECRET_OPTION = /password|secret|token/i;

/** A value fit to print: secrets masked (a user:password pair whole), a store URL without its password. */
export function printableValue(key: string, value: unknown, redactUrl: (url: string) => string): unknown {
  if (value === undefined) return null;
  if (SECRET_OPTION.test(key) || (key.endsWith('credentials') && typeof value === 'object' && value !== null)) return '***';
  if (key === 'db' && typeof value === 'string') return redactUrl(value);
  return value;
}

/** The effective configuration of a parsed command: every option, its value and where it came from. */
export function effectiveConfig(cmd: Command, redactUrl: (url: string) => string): Array<{ key: string; value: unknown; source: string }> {
  const out: Array<{ key: string; value: unknown; source: string }> = [];
  const seen = new Set<string>();
  for (const o of cmd.options) {
    const key = configKey(o);
    if (key === null || key === 'config' || seen.has(key)) continue;
    seen.add(key);
    const attr = o.attributeName();
    out.push({ key, value: printableValue(key, cmd.getOptionValue(attr), redactUrl), source: cmd.getOptionValueSource(attr) ?? 'unset' });
  }
  return out;
}
