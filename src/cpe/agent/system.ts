/**
 * Reading the host: files under /proc and /sys, and short commands (`ip -j`, `ping`)
 * with a time limit and a bounded output. Nothing here goes through a shell: arguments are
 * passed as a list, so no value the ACS wrote can become a command.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';

export async function readText(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return null;
  }
}

export async function readTrim(path: string): Promise<string | null> {
  const t = await readText(path);
  return t === null ? null : t.trim();
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run `file args…`; resolves with the exit code (-1 when it could not start or timed out). */
export function run(file: string, args: readonly string[], opts: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(
      file,
      args,
      { timeout: opts.timeoutMs ?? 10_000, maxBuffer: 4 * 1024 * 1024, env: opts.env ?? process.env, encoding: 'utf8' },
      (err, stdout, stderr) => {
        const code = err === null ? 0 : typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : -1;
        resolve({ code, stdout: String(stdout), stderr: String(stderr) });
      },
    );
  });
}

/** `ip -j …` parsed; [] when ip is missing or says nothing. */
export async function ipJson(args: readonly string[]): Promise<unknown[]> {
  const r = await run('ip', ['-j', ...args], { timeoutMs: 5_000 });
  if (r.code !== 0 || r.stdout.trim() === '') return [];
  try {
    const v: unknown = JSON.parse(r.stdout);
    return Array.isArray(v) ? v : [];
  } catch {
    return [];
  }
}

/** Prefix length → dotted mask ("24" → "255.255.255.0"). */
export function maskOf(prefixLength: number): string {
  const bits = prefixLength <= 0 ? 0 : prefixLength >= 32 ? 0xffffffff : (0xffffffff << (32 - prefixLength)) >>> 0;
  return [24, 16, 8, 0].map((s) => (bits >>> s) & 255).join('.');
}

/** dateTime without milliseconds, as CWMP values carry it. */
export function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export const bool = (b: boolean): string => (b ? 'true' : 'false');
