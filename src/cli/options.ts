/**
 * Flag helpers: every flag also reads FLOTILLA_<FLAG> (upper case, dashes to underscores),
 * the contract in design.md.
 */
import { InvalidArgumentError, Option } from 'commander';
import { checkVersionList } from '../cwmp/versions.js';

export function envName(flag: string): string {
  return `FLOTILLA_${flag.replace(/^--/, '').replace(/-/g, '_').toUpperCase()}`;
}

/** `--name <value>` with its environment variable; `flags` like "--cwmp-port <port>". */
export function opt(flags: string, description: string): Option {
  const long = flags.split(/[ ,]+/).find((f) => f.startsWith('--')) ?? flags;
  return new Option(flags, description).env(envName(long));
}

export function parsePort(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError(`not a port: ${value}`);
  return n;
}

export function parsePositive(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`not a positive number: ${value}`);
  return n;
}

export function parseCredentials(value: string): { username: string; password: string } {
  const colon = value.indexOf(':');
  if (colon <= 0 || colon === value.length - 1) throw new InvalidArgumentError('expected user:password');
  return { username: value.slice(0, colon), password: value.slice(colon + 1) };
}

/** "host:port" (a v6 host in brackets). */
export function parseHostPort(value: string): { host: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]\s]+)):(\d{1,5})$/.exec(value.trim());
  const port = m === null ? NaN : Number(m[3]);
  if (m === null || port < 1 || port > 65535) throw new InvalidArgumentError('expected host:port');
  return { host: m[1] ?? m[2]!, port };
}

/** "1.0,1.4": CWMP versions, each one this code speaks (src/cwmp/versions.ts). */
export function parseCwmpVersions(value: string): string[] {
  const checked = checkVersionList(value);
  if (!checked.ok) throw new InvalidArgumentError(checked.message);
  return checked.versions;
}
