/**
 * The bootstrap storm of two builds, alternated, as ratios: this checkout against another one
 * (a worktree of the commit to compare with, built). On a shared VM one build's runs vary by
 * ±20 % and drift with the neighbours, so a figure alone says little; runs of the two builds
 * back to back, in ABBA order (base, this, this, base, …) so a drift weighs on both alike,
 * and the ratio of each pair, say what a change did.
 *
 * Usage (after `npm run build` here and in the other checkout):
 *   git worktree add /tmp/base <commit> && (cd /tmp/base && npm ci && npm run build)
 *   node dist/bench/storm/ab.js --base /tmp/base [--pairs 4] [--acs-only] [-- <bootstrap storm flags: --tree-sections, --workers 2, --bootstrap-cpes 200>]
 *
 * --acs-only runs this build's benchmark and simulator against each build's `flotilla serve`
 * (STORM_SERVE_CLI), so only the ACS differs (and the base gets this benchmark's options).
 *
 * Prints each run, then per pair this / base for sessions per second and for the ACS's and the
 * simulator's CPU per bootstrap, and the median of each ratio.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { DIST } from './procs.js';

interface Figure {
  sessionsPerSecond: number;
  acsCpuMsPerBootstrap: number;
  simCpuMsPerBootstrap: number;
  failures: number;
}

const KEYS = ['sessionsPerSecond', 'acsCpuMsPerBootstrap', 'simCpuMsPerBootstrap'] as const;
const LABELS: Record<(typeof KEYS)[number], string> = {
  sessionsPerSecond: 'sessions/s',
  acsCpuMsPerBootstrap: 'ACS CPU per bootstrap',
  simCpuMsPerBootstrap: 'simulator CPU per bootstrap',
};

function option(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

/**
 * One bootstrap storm of the build whose dist/ is `dist`, as run.js reports it (its JSON line);
 * with `serveFrom`, this build's benchmark and simulator against that build's `flotilla serve`.
 */
function storm(dist: string, flags: readonly string[], serveFrom?: string): Promise<Figure> {
  return new Promise((resolveRun, reject) => {
    const env = serveFrom === undefined ? process.env : { ...process.env, STORM_SERVE_CLI: resolve(serveFrom, 'src/cli/main.js') };
    const child = spawn(process.execPath, [resolve(dist, 'bench/storm/run.js'), '--bootstrap-only', ...flags], { stdio: ['ignore', 'pipe', 'pipe'], env });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (code !== 0 || line === undefined) {
        reject(new Error(`storm of ${dist} failed (exit ${code}): ${err.slice(-500)}`));
        return;
      }
      resolveRun((JSON.parse(line) as { bootstrap: Figure }).bootstrap);
    });
  });
}

/** Only the ACS differs: this build's benchmark and simulator run against both builds' serve. */
const ownArgs = process.argv.includes('--') ? process.argv.slice(0, process.argv.indexOf('--')) : process.argv;
const ACS_ONLY = ownArgs.includes('--acs-only');

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

async function main(): Promise<void> {
  const base = option('base');
  const pairs = Math.max(1, Math.min(50, Number(option('pairs') ?? 3) || 3));
  const dashes = process.argv.indexOf('--');
  const flags = dashes >= 0 ? process.argv.slice(dashes + 1) : [];
  if (base === undefined) throw new Error('--base <checkout> is required: a worktree of the build to compare with, built (npm run build)');
  const baseDist = resolve(base, 'dist');
  if (!existsSync(resolve(baseDist, 'bench/storm/run.js'))) throw new Error(`${baseDist}/bench/storm/run.js is missing: build the base checkout first`);
  const runs: { base: Figure; head: Figure }[] = [];
  for (let i = 0; i < pairs; i++) {
    // ABBA: even pairs run the base first, odd pairs this build first.
    const order = i % 2 === 0 ? (['base', 'head'] as const) : (['head', 'base'] as const);
    const pair: Partial<Record<'base' | 'head', Figure>> = {};
    for (const which of order) {
      const f = ACS_ONLY ? await storm(DIST, flags, which === 'base' ? baseDist : undefined) : await storm(which === 'base' ? baseDist : DIST, flags);
      pair[which] = f;
      process.stdout.write(
        `pair ${i + 1} ${which === 'base' ? 'base' : 'this'}: ${f.sessionsPerSecond} sessions/s, ACS ${f.acsCpuMsPerBootstrap} ms, simulator ${f.simCpuMsPerBootstrap} ms per bootstrap${f.failures > 0 ? `, ${f.failures} failed sessions` : ''}\n`,
      );
    }
    runs.push({ base: pair.base!, head: pair.head! });
  }
  const summary: Record<string, { ratios: number[]; median: number }> = {};
  for (const key of KEYS) {
    const ratios = runs.map((r) => (r.base[key] > 0 ? r.head[key] / r.base[key] : NaN)).map((x) => Math.round(x * 1000) / 1000);
    summary[key] = { ratios, median: median(ratios) };
    process.stdout.write(`${LABELS[key]}, this / base: ${ratios.map((x) => x.toFixed(3)).join(' ')} (median ${median(ratios).toFixed(3)})\n`);
  }
  process.stdout.write(`${JSON.stringify({ base, flags, pairs: runs, ratios: summary })}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`storm ab: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
