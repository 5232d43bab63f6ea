/**
 * Storm benchmark: `flotilla serve` (SQLite, child process from dist/) against the
 * simulator on this machine.
 *
 *   periodic storm   N CPEs informing every second (far more than the ACS can take), idle
 *                    sessions (Inform, empty POST, 204): completed sessions per second in
 *                    steady state, and the same load against the floor server, whose figure
 *                    is the machine's limit; we print ours as a fraction of it.
 *   with policies    the periodic storm again, with 20 active policies (one declaration each, every
 *                    device matching; the last one's value computed by a script in the QuickJS
 *                    sandbox): the devices converge in their first session, after which each
 *                    periodic session must cost what an idle one does (printed side by side, as
 *                    a ratio, with the time the first sessions took in each run).
 *   with sampling    the periodic storm again, with a sampling profile of 5 parameters (2 counters)
 *                    every device matches, at a 1 s interval, so every periodic session is due a
 *                    sample: one GetParameterValues more, and the samples (rates worked out) in
 *                    the commit; printed beside the plain storm of the same run, as a ratio.
 *   bootstrap storm  M new CPEs of a ~5,000-parameter TR-181 model (after W others of it, outside the
 *                    figures: --bootstrap-warmup 0 measures a cold ACS): full discovery
 *                    (GetParameterNames + GetParameterValues of the tree), then 10 queued
 *                    SetParameterValues each: completed sessions per second, with the CPU time
 *                    the ACS spent (the serve child's utime + stime from /proc) per bootstrap and
 *                    per bootstrapped parameter, and the simulator's own (this process), so the
 *                    ACS's share is visible when both share the cores.
 *
 * Bounded in count and time. Usage (after `npm run build`):
 *   node dist/bench/storm/run.js [--periodic-cpes 4000] [--window 15] [--bootstrap-cpes 400] [--bootstrap-warmup 50] [--reuse-connections]
 *                                [--skip-floor] [--skip-bootstrap]   (only the periodic runs, with and without policies)
 *                                [--sampling-only]   (only the periodic runs, with and without 5 sampled parameters)
 *                                [--bootstrap-only]  (only the bootstrap storm)
 *                                [--workers 2]  (the bootstrap storm against `serve --workers 2`)
 *                                [--tree-sections]  (passed to serve: the default on SQLite since 23e658d; for A/B against older builds)
 *                                [--tree-rows]  (the bootstrap storm against `serve --tree-rows`: a row per parameter)
 *                                [--cold-acs]  (the warm-up against a serve of its own: the storm's serve is cold, the simulator warm)
 *
 * By default every session opens its own TCP connection, as real CPEs do; with
 * --reuse-connections the simulator hands connections from one session to the next.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Fleet } from '../../src/cpe/sim/fleet.js';
import { loadModel } from '../../src/cpe/model/load.js';
import type { Template, TParam } from '../../src/cpe/model/template.js';
import { createSqliteStore } from '../../src/store/sqlite/index.js';
import { deviceIdOf } from '../../src/store/device-id.js';
import { taskFromRequest } from '../../src/tasks/rpc.js';
import type { AcsRequest } from '../../src/cwmp/types.js';
import { requireBuild, usageOf, startFloorChild, startServe, type Child } from './procs.js';

/** A positive number option (or 0 where `zero` allows it); `dflt` when absent or out of range. */
function arg(name: string, dflt: number, zero = false): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : NaN;
  return Number.isFinite(v) && (v > 0 || (zero && v === 0)) ? v : dflt;
}

const REUSE = process.argv.includes('--reuse-connections');
const SKIP_FLOOR = process.argv.includes('--skip-floor');
const SKIP_BOOTSTRAP = process.argv.includes('--skip-bootstrap');
/** Only the plain storm and the one with sampling (the KPI figure), nothing else. */
const SAMPLING_ONLY = process.argv.includes('--sampling-only');
/** Only the bootstrap storm (the figure discovery and the store's tree writes are tuned against). */
const BOOTSTRAP_ONLY = process.argv.includes('--bootstrap-only');
/** `serve --tree-sections` named (the default since 23e658d; older builds need it named). */
const SECTIONS = process.argv.includes('--tree-sections');
/** The warm-up warms the simulator only: the storm meets a serve just started. */
const COLD_ACS = process.argv.includes('--cold-acs');
/** The bootstrap storm against `serve --tree-rows` (a row per parameter). */
const ROWS = process.argv.includes('--tree-rows');
/** CWMP worker processes of the bootstrap storm's serve (SQLite runs 2 at most). */
const WORKERS = arg('workers', 1);

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until(what: () => boolean, timeoutMs: number, label: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!what()) {
    if (Date.now() > end) throw new Error(`${label}: not done within ${timeoutMs} ms`);
    await sleep(50);
  }
}

interface PeriodicFigure {
  cpes: number;
  /** Until every CPE's first session (with policies: the sessions that configure it). */
  bootSeconds: number;
  windowSeconds: number;
  sessions: number;
  failures: number;
  sessionsPerSecond: number;
  p50ms: number;
  p99ms: number;
}

/** Boot N CPEs (not measured), then count the sessions completed in a steady window. */
async function periodicStorm(url: string, template: Template, cpes: number, windowMs: number, prefix: string): Promise<PeriodicFigure> {
  const fleet = new Fleet({
    acsUrl: url,
    count: cpes,
    model: template,
    serialPrefix: prefix,
    informInterval: 1,
    informJitter: 0.2,
    maxConcurrentSessions: 64,
    connectionRequests: 'off',
    reuseConnections: REUSE,
    drainMs: 10_000,
  });
  try {
    const b0 = Date.now();
    await fleet.start();
    await until(() => fleet.stats.sessions >= cpes, 180_000, 'boot sessions');
    const bootSeconds = Math.round((Date.now() - b0) / 100) / 10;
    const s0 = fleet.stats.sessions;
    const f0 = fleet.stats.failures;
    const t0 = Date.now();
    await sleep(windowMs);
    const dt = (Date.now() - t0) / 1000;
    const sessions = fleet.stats.sessions - s0;
    const summary = fleet.summary();
    return {
      cpes,
      bootSeconds,
      windowSeconds: Math.round(dt * 10) / 10,
      sessions,
      failures: fleet.stats.failures - f0,
      sessionsPerSecond: Math.round((sessions / dt) * 10) / 10,
      p50ms: summary.latencyMs.p50,
      p99ms: summary.latencyMs.p99,
    };
  } finally {
    await fleet.stop();
  }
}

/** Ten writable, unconstrained string parameters to set on every device. */
function tenParameters(t: Template): string[] {
  const out: string[] = [];
  for (const [path, node] of t.index) {
    if (node.kind !== 'param') continue;
    const p = node as TParam;
    if (!p.writable || p.type !== 'xsd:string' || p.enumeration !== undefined || /ManagementServer|Password|Key|URL|Alias/i.test(path)) continue;
    if (p.maxLength !== undefined && p.maxLength < 16) continue;
    out.push(path);
    if (out.length === 10) break;
  }
  return out;
}

/**
 * 20 policies, each declaring one parameter for every device (as the API would store them);
 * the last one's value comes from a script, run in the sandbox in each device's first session.
 */
async function seedPolicies(dir: string, template: Template): Promise<number> {
  const names: string[] = [];
  for (const [path, node] of template.index) {
    if (node.kind !== 'param') continue;
    const p = node as TParam;
    if (!p.writable || p.type !== 'xsd:string' || p.enumeration !== undefined || /ManagementServer|Password|Key|URL|Alias/i.test(path)) continue;
    if (p.maxLength !== undefined && p.maxLength < 16) continue;
    names.push(path);
    if (names.length === 20) break;
  }
  const store = await createSqliteStore({ dataDir: dir });
  const now = Date.now();
  for (const [i, path] of names.entries()) {
    await store.createPolicy({
      id: `storm-${i}`,
      name: `storm ${i}`,
      filter: ['productClass ~= *'],
      filters: [{ field: 'productClass', op: 'glob', value: '*' }],
      triggers: [],
      priority: i,
      enabled: true,
      declarations: [i === names.length - 1 ? { path, from: { script: 'return "storm-" + device.serialNumber.toLowerCase()' } } : { path, value: `policy-${i}` }],
      revision: 1,
      createdAt: now,
      updatedAt: now,
      author: 'bench',
    });
  }
  await store.close();
  return names.length;
}

/** KPIs a NOC samples: WAN bytes both ways (counters), CPU, free memory, Wi-Fi associations. */
const SAMPLED = [
  { path: 'Device.IP.Interface.1.Stats.BytesReceived', counter: true },
  { path: 'Device.IP.Interface.1.Stats.BytesSent', counter: true },
  { path: 'Device.DeviceInfo.ProcessStatus.CPUUsage' },
  { path: 'Device.DeviceInfo.MemoryStatus.Free' },
  { path: 'Device.WiFi.AccessPoint.1.AssociatedDeviceNumberOfEntries' },
];

/** One sampling profile of 5 parameters for every device, due in every session (1 s; devices inform every ~1 s). */
async function seedSampling(dir: string): Promise<number> {
  const store = await createSqliteStore({ dataDir: dir });
  await store.createSamplingProfile({ name: 'storm', enabled: true, intervalSeconds: 1, parameters: SAMPLED, match: {} }, Date.now());
  await store.close();
  return SAMPLED.length;
}

/** Samples of one of the parameters the storm wrote (the sampled sessions really sampled). */
async function countSamples(dir: string): Promise<number> {
  const store = await createSqliteStore({ dataDir: dir });
  try {
    return (await store.aggregateSamples({ path: SAMPLED[2]!.path, from: 0, to: Date.now() + 60_000, deviceIds: null, percentiles: [] })).count;
  } finally {
    await store.close();
  }
}

interface BootstrapFigure {
  cpes: number;
  /** Devices of the model bootstrapped before the measured storm, outside its figures. */
  warmup: number;
  parameters: number;
  seconds: number;
  sessions: number;
  failures: number;
  sessionsPerSecond: number;
  setParameterValuesDone: number;
  setParameterValuesQueued: number;
  /** CPU of the serve child (all its threads) from the fleet's start to the last session, per bootstrap. */
  acsCpuMsPerBootstrap: number;
  /** The same per bootstrapped parameter (bootstraps × the model's parameters). */
  acsCpuUsPerParameter: number;
  /**
   * Of acsCpuMsPerBootstrap, the kernel's share, and the serve child's minor page faults per
   * bootstrap: on VMs where a fault costs microseconds, fresh memory (a half-megabyte string, a
   * heap that grows) is a visible part of the ACS's CPU.
   */
  acsSysMsPerBootstrap: number;
  acsPageFaultsPerBootstrap: number;
  /** CPU of this process (the simulator) over the same span, per bootstrap. */
  simCpuMsPerBootstrap: number;
}

async function bootstrapStorm(template: Template, cpes: number, warmup: number): Promise<BootstrapFigure> {
  const dir = await mkdtemp(join(tmpdir(), 'flotilla-storm-boot-'));
  let serve: Child | null = null;
  const prefix = 'BOOT';
  const names = tenParameters(template);
  const idsOf = (serialPrefix: string, count: number): string[] => {
    if (count === 0) return [];
    const fleet0 = new Fleet({ acsUrl: 'http://127.0.0.1:1/', count, model: template, serialPrefix });
    return Array.from({ length: count }, (_, i) =>
      deviceIdOf({ oui: template.deviceId.oui, productClass: template.deviceId.productClass, serialNumber: fleet0.serialNumber(i) }),
    );
  };
  const ids = idsOf(prefix, cpes);
  const warmIds = idsOf('WARM', warmup);
  // The ten SetParameterValues queued before the devices exist: they run in the bootstrap session.
  const queue = async (into: string, devices: readonly string[]): Promise<void> => {
    const store = await createSqliteStore({ dataDir: into });
    await store.migrate();
    for (const id of devices) {
      for (const [i, name] of names.entries()) {
        const req: AcsRequest = { method: 'SetParameterValues', parameterList: [{ name, value: `storm-${i}`, type: 'xsd:string' }], parameterKey: `storm-${i}` };
        await store.createTasks([{ deviceId: id, task: taskFromRequest(req) }], Date.now());
      }
    }
    await store.close();
  };
  /** The storm's simulated fleet (the warm-up's too): devices of the model, as many sessions at once as a real storm brings. */
  const stormFleet = (acsUrl: string, count: number, serialPrefix: string): Fleet =>
    new Fleet({ acsUrl, count, model: template, serialPrefix, maxConcurrentSessions: 32, connectionRequests: 'off', reuseConnections: REUSE, drainMs: 10_000 });
  const serveArgs = { discover: true, extra: [...(WORKERS > 1 ? ['--workers', String(WORKERS)] : []), ...(SECTIONS ? ['--tree-sections'] : []), ...(ROWS ? ['--tree-rows'] : [])] };
  try {
    await queue(dir, COLD_ACS ? ids : [...ids, ...warmIds]);
    if (warmup > 0) {
      // Devices of the model bootstrapped first, outside the figures: a storm at fleet scale
      // meets an ACS whose code is compiled and that has seen the model (its answers remembered,
      // its base written), and a window of a few seconds would otherwise weigh its first second.
      // With --cold-acs the warm-up is the simulator's alone: against a serve of its own, stopped
      // before the storm's serve starts.
      const warmDir = COLD_ACS ? await mkdtemp(join(tmpdir(), 'flotilla-storm-warm-')) : dir;
      if (COLD_ACS) await queue(warmDir, warmIds);
      serve = await startServe(warmDir, serveArgs);
      const warm = stormFleet(serve.url, warmup, 'WARM');
      await warm.start();
      await until(() => warm.stats.sessions >= warmup, 300_000, 'warm-up bootstrap sessions');
      await warm.stop();
      if (COLD_ACS) {
        await serve.stop();
        serve = null;
        await rm(warmDir, { recursive: true, force: true });
      }
    }
    serve ??= await startServe(dir, serveArgs);
    const fleet = stormFleet(serve.url, cpes, prefix);
    const pid = serve.process.pid ?? 0;
    const acs0 = usageOf(pid);
    const sim0 = process.cpuUsage();
    const t0 = Date.now();
    await fleet.start();
    await until(() => fleet.stats.sessions >= cpes, 300_000, 'bootstrap sessions');
    const seconds = (Date.now() - t0) / 1000;
    const acs1 = usageOf(pid);
    const acsMs = acs1.cpuMs - acs0.cpuMs;
    const sim = process.cpuUsage(sim0);
    const simMs = (sim.user + sim.system) / 1000;
    const stats = { sessions: fleet.stats.sessions, failures: fleet.stats.failures };
    await fleet.stop();
    await serve.stop();
    serve = null;
    const check = await createSqliteStore({ dataDir: dir });
    let done = 0;
    for (const id of ids) done += (await check.listTasks({ deviceId: id })).tasks.filter((r) => r.state === 'done').length;
    await check.close();
    return {
      cpes,
      warmup,
      parameters: template.parameterCount,
      seconds: Math.round(seconds * 10) / 10,
      ...stats,
      sessionsPerSecond: Math.round((stats.sessions / seconds) * 10) / 10,
      setParameterValuesDone: done,
      setParameterValuesQueued: cpes * names.length,
      acsCpuMsPerBootstrap: Math.round((acsMs / stats.sessions) * 10) / 10,
      acsCpuUsPerParameter: Math.round(((acsMs * 1000) / (stats.sessions * template.parameterCount)) * 100) / 100,
      acsSysMsPerBootstrap: Math.round(((acs1.sysMs - acs0.sysMs) / stats.sessions) * 10) / 10,
      acsPageFaultsPerBootstrap: Math.round((acs1.minorFaults - acs0.minorFaults) / stats.sessions),
      simCpuMsPerBootstrap: Math.round((simMs / stats.sessions) * 10) / 10,
    };
  } finally {
    await serve?.stop();
    // STORM_KEEP=1 leaves the storm's data directory to look at (its path on stderr).
    if (process.env['STORM_KEEP'] === '1') process.stderr.write(`storm data kept in ${dir}\n`);
    else await rm(dir, { recursive: true, force: true });
  }
}

function bootstrapLine(boot: BootstrapFigure): string {
  return (
    `bootstrap storm: ${boot.sessionsPerSecond} sessions/s (${WORKERS > 1 ? `serve --workers ${WORKERS}, ` : ''}${ROWS ? 'tree rows, ' : 'tree sections, '}${boot.cpes} CPEs × ${boot.parameters} parameters discovered + 10 SetParameterValues` +
    `${boot.warmup > 0 ? (COLD_ACS ? `, cold ACS (simulator warmed by ${boot.warmup} bootstraps)` : ` after ${boot.warmup} warm-up bootstraps of the model`) : ', cold'}; ` +
    `${boot.setParameterValuesDone}/${boot.setParameterValuesQueued} done, ${boot.failures} failed sessions); ` +
    `ACS CPU ${boot.acsCpuMsPerBootstrap} ms per bootstrap (${boot.acsSysMsPerBootstrap} ms of it in the kernel, ${boot.acsPageFaultsPerBootstrap} page faults), ${boot.acsCpuUsPerParameter} µs per parameter; simulator CPU ${boot.simCpuMsPerBootstrap} ms per bootstrap\n`
  );
}

async function main(): Promise<void> {
  requireBuild();
  // Each informs every second: 4,000/s offered, more than the floor server takes here.
  const periodicCpes = arg('periodic-cpes', 4000);
  const windowMs = arg('window', 15) * 1000;
  const bootstrapCpes = arg('bootstrap-cpes', 400);
  const bootstrapWarmup = arg('bootstrap-warmup', 50, true);
  const light = loadModel('tr181-router');
  const large = loadModel('tr181-large');
  if (BOOTSTRAP_ONLY) {
    const boot = await bootstrapStorm(large, bootstrapCpes, bootstrapWarmup);
    process.stdout.write(`${bootstrapLine(boot)}${JSON.stringify({ reuseConnections: REUSE, bootstrap: boot })}\n`);
    return;
  }

  const dir = await mkdtemp(join(tmpdir(), 'flotilla-storm-periodic-'));
  let acs: PeriodicFigure;
  const serve = await startServe(dir, { discover: false });
  try {
    acs = await periodicStorm(serve.url, light, periodicCpes, windowMs, 'PER');
  } finally {
    await serve.stop();
    await rm(dir, { recursive: true, force: true });
  }
  const samplingDir = await mkdtemp(join(tmpdir(), 'flotilla-storm-sampling-'));
  let withSampling: PeriodicFigure;
  let sampled: number;
  let samples: number;
  try {
    sampled = await seedSampling(samplingDir);
    const served = await startServe(samplingDir, { discover: false });
    try {
      withSampling = await periodicStorm(served.url, light, periodicCpes, windowMs, 'KPI');
    } finally {
      await served.stop();
    }
    samples = await countSamples(samplingDir);
  } finally {
    await rm(samplingDir, { recursive: true, force: true });
  }
  const samplingLine =
    `periodic storm with ${sampled} sampled parameters per device (every session due a sample): ${withSampling.sessionsPerSecond} sessions/s, ` +
    `without: ${acs.sessionsPerSecond} (ratio ${acs.sessionsPerSecond > 0 ? (withSampling.sessionsPerSecond / acs.sessionsPerSecond).toFixed(3) : '-'}); ` +
    `p99 ${withSampling.p99ms} ms vs ${acs.p99ms} ms; ${samples.toLocaleString('en')} samples of one parameter stored\n`;
  const samplingJson = { parameters: sampled, samples, ...withSampling };
  if (SAMPLING_ONLY) {
    process.stdout.write(`periodic storm: ${acs.sessionsPerSecond} sessions/s against flotilla serve (SQLite)\n${samplingLine}`);
    process.stdout.write(`${JSON.stringify({ reuseConnections: REUSE, periodic: { acs, withSampling: samplingJson } })}\n`);
    return;
  }
  const policyDir = await mkdtemp(join(tmpdir(), 'flotilla-storm-policies-'));
  let withPolicies: PeriodicFigure;
  let policies: number;
  let scriptCompliance: { compliant: number; faulted: number; pending: number };
  try {
    policies = await seedPolicies(policyDir, light);
    const served = await startServe(policyDir, { discover: false });
    try {
      withPolicies = await periodicStorm(served.url, light, periodicCpes, windowMs, 'POL');
    } finally {
      await served.stop();
    }
    // The figure counts only if the policies did their work: every device compliant with the script's policy.
    const check = await createSqliteStore({ dataDir: policyDir });
    scriptCompliance = await check.policyCompliance(`storm-${policies - 1}`, 1);
    await check.close();
  } finally {
    await rm(policyDir, { recursive: true, force: true });
  }
  let floor: PeriodicFigure | null = null;
  if (!SKIP_FLOOR) {
    const floorChild = await startFloorChild();
    try {
      floor = await periodicStorm(floorChild.url, light, periodicCpes, windowMs, 'FLR');
    } finally {
      await floorChild.stop();
    }
  }
  const boot = SKIP_BOOTSTRAP ? null : await bootstrapStorm(large, bootstrapCpes, bootstrapWarmup);
  const fraction = floor !== null && floor.sessionsPerSecond > 0 ? Math.round((acs.sessionsPerSecond / floor.sessionsPerSecond) * 1000) / 1000 : 0;
  const ratio = acs.sessionsPerSecond > 0 ? (withPolicies.sessionsPerSecond / acs.sessionsPerSecond).toFixed(3) : '-';
  process.stdout.write(
    (floor !== null
      ? `periodic storm: ${acs.sessionsPerSecond} sessions/s against flotilla serve (SQLite), ${floor.sessionsPerSecond} against the floor server: ${(fraction * 100).toFixed(1)} % of the floor\n`
      : `periodic storm: ${acs.sessionsPerSecond} sessions/s against flotilla serve (SQLite)\n`) +
      `periodic storm with ${policies} active policies (one with a script): ${withPolicies.sessionsPerSecond} sessions/s, without: ${acs.sessionsPerSecond} (ratio ${ratio}); ` +
      `p99 ${withPolicies.p99ms} ms vs ${acs.p99ms} ms; first sessions of ${periodicCpes} CPEs took ${withPolicies.bootSeconds} s with the policies, ${acs.bootSeconds} s without; ` +
      `compliant with the script's policy: ${scriptCompliance.compliant}/${periodicCpes} (${scriptCompliance.faulted} faulted)\n` +
      samplingLine +
      (boot !== null ? bootstrapLine(boot) : ''),
  );
  process.stdout.write(`${JSON.stringify({ reuseConnections: REUSE, periodic: { acs, floor, fractionOfFloor: fraction, withPolicies: { policies, ...withPolicies, scriptCompliance }, withSampling: samplingJson }, bootstrap: boot })}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`storm: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
