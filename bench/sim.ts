/**
 * Simulator benchmark: many virtual CPEs in one process. Prints the heap the shared template
 * takes, what each CPE costs beyond it (powered off, and after its sessions ran), and the
 * sessions per second the fleet completes against the floor server (a child process that
 * answers with canned bytes, so the figure is the simulator's own).
 *
 *   node --expose-gc dist/bench/sim.js [--count 10000] [--window 10] [--model tr181-router] [--interval 2] [--reuse-connections]
 */
import { spawnSync } from 'node:child_process';
import { Fleet } from '../src/cpe/sim/fleet.js';
import { loadModel } from '../src/cpe/model/load.js';
import { requireBuild, startFloorChild } from './storm/procs.js';

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : dflt;
}

const gc = (globalThis as { gc?: () => void }).gc;

/** Heap in use after a full collection (twice: weak references and finalizers settle). */
function heap(): number {
  gc?.();
  gc?.();
  return process.memoryUsage().heapUsed;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<void> {
  requireBuild();
  const count = Number(arg('count', '10000'));
  const windowMs = Number(arg('window', '10')) * 1000;
  const modelName = arg('model', 'tr181-router');
  const base = heap();
  const template = loadModel(modelName);
  const withTemplate = heap();
  const floor = await startFloorChild();
  try {
    const fleet = new Fleet({
      acsUrl: floor.url,
      count,
      model: template,
      // Every CPE informs every 2 s (10,000 CPEs: 5,000/s offered), more than one process can
      // serve, so the rate measured is the simulator's ceiling, not the offered load.
      informInterval: Number(arg('interval', '2')),
      informJitter: 0.2,
      rampSeconds: 2,
      maxConcurrentSessions: 128,
      connectionRequests: 'shared',
      reuseConnections: process.argv.includes('--reuse-connections'),
      drainMs: 10_000,
    });
    await fleet.prepare();
    const prepared = heap();
    await fleet.start();
    const bootEnd = Date.now() + 120_000;
    while (fleet.stats.sessions < count && Date.now() < bootEnd) await sleep(100);
    const s0 = fleet.stats.sessions;
    const t0 = Date.now();
    await sleep(windowMs);
    const dt = (Date.now() - t0) / 1000;
    const sessions = fleet.stats.sessions - s0;
    const running = heap();
    await fleet.stop();
    const after = heap();
    const perCpe = (bytes: number): number => Math.round(bytes / count);
    const result = {
      cpes: count,
      model: modelName,
      templateParameters: template.parameterCount,
      templateBytes: withTemplate - base,
      bytesPerCpePoweredOff: perCpe(prepared - withTemplate),
      bytesPerCpeRunning: perCpe(running - withTemplate),
      bytesPerCpeAfterSessions: perCpe(after - withTemplate),
      rssMB: Math.round(process.memoryUsage().rss / 1048576),
      reuseConnections: process.argv.includes('--reuse-connections'),
      sessionsPerSecond: Math.round((sessions / dt) * 10) / 10,
      failures: fleet.stats.failures,
      latencyMs: fleet.summary().latencyMs,
    };
    process.stdout.write(
      `${count} CPEs (${modelName}, ${template.parameterCount} parameters): template ${(result.templateBytes / 1048576).toFixed(1)} MB shared; ` +
        `${result.bytesPerCpePoweredOff} B per CPE powered off, ${result.bytesPerCpeRunning} B running; ${result.sessionsPerSecond} sessions/s against the floor server\n`,
    );
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    await floor.stop();
  }
}

if (gc === undefined) {
  // Memory figures need explicit collections: run again with --expose-gc.
  const r = spawnSync(process.execPath, ['--expose-gc', ...process.execArgv, ...process.argv.slice(1)], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
} else {
  main().catch((e: unknown) => {
    process.stderr.write(`bench/sim: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  });
}
