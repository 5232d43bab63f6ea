/**
 * Child processes for the benchmarks: `flotilla serve` from dist/ and the floor server,
 * each on its own process (and so its own core) as in production. Every wait is bounded.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** dist/ (this file is dist/bench/storm/procs.js once built). */
export const DIST = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
/** `flotilla serve` of this build, or of the build STORM_SERVE_CLI names (ab.js --acs-only). */
export const CLI = process.env['STORM_SERVE_CLI'] ?? resolve(DIST, 'src/cli/main.js');
export const FLOOR = resolve(DIST, 'bench/storm/floor.js');

export interface Child {
  process: ChildProcess;
  url: string;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

/** Resolves once `port` accepts TCP connections. */
async function waitForPort(port: number, child: ChildProcess, timeoutMs: number, stderr: () => string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (child.exitCode !== null) throw new Error(`child exited with ${child.exitCode}: ${stderr()}`);
    const up = await new Promise<boolean>((r) => {
      const sock = net.connect(port, '127.0.0.1', () => (sock.destroy(), r(true)));
      sock.on('error', () => r(false));
    });
    if (up) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nothing listening on ${port} after ${timeoutMs} ms: ${stderr()}`);
}

function stopper(child: ChildProcess): () => Promise<void> {
  return async () => {
    if (child.exitCode !== null) return;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  };
}

/** Resolves once every port in `ports` listens; the URL is the first port's. */
async function spawnListening(args: string[], ports: number[]): Promise<Child> {
  // STORM_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" profiles the children (not allowed in NODE_OPTIONS).
  const nodeArgs = (process.env.STORM_NODE_ARGS ?? '').split(' ').filter((a) => a !== '');
  const child = spawn(process.execPath, [...nodeArgs, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr?.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-4000)));
  try {
    for (const port of ports) await waitForPort(port, child, 20_000, () => err);
  } catch (e) {
    child.kill('SIGKILL');
    throw e;
  }
  return { process: child, url: `http://127.0.0.1:${ports[0]}/`, stop: stopper(child) };
}

export function requireBuild(): void {
  if (!existsSync(CLI) || !existsSync(FLOOR)) throw new Error(`build first (npm run build): ${CLI} not found`);
}

/** `flotilla serve` on SQLite in `dataDir`, CPEs unauthenticated (the load is what we measure). */
export async function startServe(dataDir: string, opts: { discover: boolean; extra?: string[] }): Promise<Child> {
  const port = await freePort();
  const apiPort = await freePort();
  const args = [
    CLI,
    'serve',
    '--host',
    '127.0.0.1',
    '--cwmp-port',
    String(port),
    '--api-port',
    String(apiPort),
    '--data-dir',
    dataDir,
    '--allow-unauthenticated-cpes',
    '--log-level',
    'warn',
  ];
  if (!opts.discover) args.push('--no-discover-on-bootstrap');
  args.push(...(opts.extra ?? []));
  // The REST API starts after the CWMP endpoint: wait for it too, so that its start-up (route
  // schemas compiled, modules loaded: about a second of CPU) is not counted as the load's.
  return spawnListening(args, [port, apiPort]);
}

export async function startFloorChild(): Promise<Child> {
  const port = await freePort();
  return spawnListening([FLOOR, String(port)], [port]);
}

/** A process as /proc/<pid>/stat shows it: CPU so far (user + system, every thread) in ms. */
export interface ProcStat {
  pid: number;
  ppid: number;
  comm: string;
  cpuMs: number;
  /** Of cpuMs, the kernel's share (system calls, page faults). */
  sysMs: number;
  /** Page faults served without I/O so far: fresh memory touched (field 10). */
  minorFaults: number;
}

/** Every process's CPU so far, from /proc (fields 14 and 15, in ticks of 1/100 s); none where /proc is missing. */
export function procStats(): ProcStat[] {
  const out: ProcStat[] = [];
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((p) => /^\d+$/.test(p));
  } catch {
    return out;
  }
  for (const p of pids) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${p}/stat`, 'utf8');
    } catch {
      continue; // gone meanwhile
    }
    // The command name (field 2) may hold spaces; the fields after its ")" are plain.
    const close = stat.lastIndexOf(')');
    const rest = stat.slice(close + 2).split(' ');
    out.push({
      pid: Number(p),
      ppid: Number(rest[1]),
      comm: stat.slice(stat.indexOf('(') + 1, close),
      cpuMs: (Number(rest[11]) + Number(rest[12])) * 10,
      sysMs: Number(rest[12]) * 10,
      minorFaults: Number(rest[7]),
    });
  }
  return out;
}

/** The pids of `root` and its descendants among `all`. */
export function processTree(all: readonly ProcStat[], root: number): Set<number> {
  const tree = new Set([root]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const p of all) {
      if (tree.has(p.pid) || !tree.has(p.ppid)) continue;
      tree.add(p.pid);
      grew = true;
    }
  }
  return tree;
}

/**
 * CPU time a child and its descendants (the workers of `serve --workers`) have used so far, in
 * ms, with the kernel's share and the minor page faults; 0 where /proc is missing. A descendant
 * that exited meanwhile is no longer counted (none does in a benchmark run).
 */
export function usageOf(pid: number): { cpuMs: number; sysMs: number; minorFaults: number } {
  const all = procStats();
  const tree = processTree(all, pid);
  const sum = { cpuMs: 0, sysMs: 0, minorFaults: 0 };
  for (const p of all) {
    if (!tree.has(p.pid)) continue;
    sum.cpuMs += p.cpuMs;
    sum.sysMs += p.sysMs;
    sum.minorFaults += p.minorFaults;
  }
  return sum;
}
