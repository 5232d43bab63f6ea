/** The simulator's own parts without an ACS: fleet layout, statistics, progress line, CLI flags, memory. */
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { flagsToOptions, registerSimCommand } from '../../src/cli/sim.js';
import { Fleet } from '../../src/cpe/sim/fleet.js';
import { progressLine, startProgress } from '../../src/cpe/sim/progress.js';
import { FleetStats } from '../../src/cpe/sim/stats.js';
import { runTransfer, type TransferRec } from '../../src/cpe/client/transfer-job.js';
import { CpeRuntime } from '../../src/cpe/client/runtime.js';
import { createDevice } from '../../src/cpe/device.js';
import { loadModel } from '../../src/cpe/model/load.js';

const template = loadModel('tr181-router');

describe('Fleet layout', () => {
  it('numbers serials, shares the template, and gives each device its own connection-request URL', async () => {
    const fleet = new Fleet({ acsUrl: 'http://127.0.0.1:9/acs', count: 3, model: template, serialPrefix: 'ABC', firstIndex: 7, informInterval: 60, credentials: { username: 'u', password: 'p' } });
    await fleet.prepare();
    try {
      expect(fleet.cpes.map((c) => c.serialNumber)).toEqual(['ABC000007', 'ABC000008', 'ABC000009']);
      const ms = (i: number, n: string): string => fleet.cpes[i]!.model.get(`Device.ManagementServer.${n}`)!.value;
      expect(ms(0, 'URL')).toBe('http://127.0.0.1:9/acs');
      expect(ms(1, 'Username')).toBe('u');
      expect(ms(2, 'PeriodicInformInterval')).toBe('60');
      expect(ms(0, 'ConnectionRequestURL')).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/ABC000007$/);
      expect(new URL(ms(0, 'ConnectionRequestURL')).port).toBe(new URL(ms(2, 'ConnectionRequestURL')).port);
      expect(fleet.cpes.every((c) => c.phase === 'off')).toBe(true);
      // Copy-on-write: every device reads the one template.
      expect(fleet.cpes[0]!.model.template).toBe(fleet.cpes[2]!.model.template);
    } finally {
      await fleet.stop();
    }
  });

  it('refuses a count that is not a positive integer', () => {
    expect(() => new Fleet({ acsUrl: 'http://x/', count: 0, model: template })).toThrow(/count/);
  });

  it('keeps an idle CPE to a few kilobytes beyond the template', async () => {
    const n = 2000;
    const gc = (globalThis as { gc?: () => void }).gc;
    gc?.();
    const before = process.memoryUsage().heapUsed;
    const fleet = new Fleet({ acsUrl: 'http://127.0.0.1:9/', count: n, model: template, connectionRequests: 'shared' });
    await fleet.prepare();
    gc?.();
    const per = (process.memoryUsage().heapUsed - before) / n;
    await fleet.stop();
    // Without --expose-gc garbage inflates the figure; the bound is loose on purpose (bench/sim.ts measures it properly).
    expect(per).toBeLessThan(4096);
  });
});

describe('FleetStats', () => {
  it('counts sessions, failures by cause, faults, events and latency percentiles', () => {
    const s = new FleetStats();
    const base = { serialNumber: 'S', startedAt: 0, exchanges: 2 };
    for (let i = 1; i <= 100; i++) s.sessionEnded({ ...base, ok: true, events: ['2 PERIODIC'], rpcs: [], durationMs: i });
    s.sessionEnded({ ...base, ok: false, error: 'connect: ECONNREFUSED 127.0.0.1:9', events: ['0 BOOTSTRAP', '1 BOOT'], rpcs: [], durationMs: 1 });
    s.sessionEnded({ ...base, ok: true, events: ['M Reboot key'], rpcs: [{ method: 'SetParameterValues', faultCode: 9007 }, { method: 'GetParameterValues', faultCode: 0 }], durationMs: 5 });
    s.transferDone({ serialNumber: 'S', kind: 'download', commandKey: 'k', fileType: '1 Firmware Upgrade Image', faultCode: 9016, bytes: 0 });
    s.connectionRequest('S', 'limited');
    const sum = s.summary(10, 2000);
    expect(sum).toMatchObject({ cpes: 10, sessions: 102, failures: 1, faults: 1, sessionsPerSecond: 51, errors: { connect: 1 } });
    expect(sum.events).toMatchObject({ '2 PERIODIC': 100, 'M Reboot': 1, '0 BOOTSTRAP': 1 });
    expect(sum.rpcs).toEqual({ SetParameterValues: 1, GetParameterValues: 1 });
    expect(sum.transfers).toEqual({ ok: 0, failed: 1, faultCodes: { '9016': 1 } });
    expect(sum.connectionRequests.limited).toBe(1);
    expect(sum.latencyMs.p50).toBeGreaterThanOrEqual(40);
    expect(sum.latencyMs.p50).toBeLessThanOrEqual(60);
    expect(sum.latencyMs.max).toBe(100);
  });
});

describe('progress line', () => {
  it('draws only on a terminal, and clears itself', async () => {
    const fleet = new Fleet({ acsUrl: 'http://127.0.0.1:9/', count: 1, model: template, connectionRequests: 'off' });
    await fleet.prepare();
    const written: string[] = [];
    const pipe = startProgress(fleet, { isTTY: false, write: (s) => (written.push(s), true) }, 5);
    await new Promise((r) => setTimeout(r, 30));
    pipe();
    expect(written).toEqual([]);
    const tty = startProgress(fleet, { isTTY: true, write: (s) => (written.push(s), true) }, 5);
    await new Promise((r) => setTimeout(r, 30));
    tty();
    expect(written.length).toBeGreaterThan(1);
    expect(written[0]!.startsWith('\r\x1b[K')).toBe(true);
    expect(written[0]!.slice(4)).toMatch(/^sim \d+s {2}cpes 1 {2}sessions 0 {2}failures 0/);
    expect(written.at(-1)).toBe('\r\x1b[K');
    expect(progressLine(fleet, Date.now(), { at: Date.now() - 1000, sessions: 0 })).toContain('0.0/s');
    await fleet.stop();
  });
});

describe('flotilla sim flags', () => {
  function parse(args: string[]): ReturnType<typeof flagsToOptions> {
    let captured: ReturnType<typeof flagsToOptions> | null = null;
    const program = new Command().exitOverride();
    registerSimCommand(program);
    const sim = program.commands.find((c) => c.name() === 'sim')!;
    sim.exitOverride();
    sim.action((flags: Parameters<typeof flagsToOptions>[0]) => {
      captured = flagsToOptions(flags);
    });
    program.parse(['node', 'flotilla', 'sim', ...args]);
    return captured!;
  }

  it('maps flags to fleet options', () => {
    const o = parse([
      '--acs', 'http://127.0.0.1:7547/', '--count', '50', '--model', 'tr098-gateway', '--serial-prefix', 'Z', '--inform-interval', '30',
      '--ramp', '10', '--username', 'u', '--password', 'p', '--quirks', 'chunked,drop-cookies', '--cr-mode', 'per-device', '--cr-port', '30000',
      '--duration', '60', '--sessions', '1000', '--concurrency', '64', '--no-bootstrap', '--reuse-connections',
    ]);
    expect(o).toMatchObject({
      acsUrl: 'http://127.0.0.1:7547/',
      count: 50,
      model: 'tr098-gateway',
      serialPrefix: 'Z',
      informInterval: 30,
      rampSeconds: 10,
      credentials: { username: 'u', password: 'p' },
      quirks: { chunked: true, dropCookies: true },
      connectionRequests: 'per-device',
      connectionRequestPort: 30000,
      durationMs: 60_000,
      sessions: 1000,
      maxConcurrentSessions: 64,
      bootstrap: false,
      reuseConnections: true,
    });
  });

  it('has defaults and refuses nonsense', () => {
    const o = parse(['--acs', 'http://a/']);
    expect(o).toMatchObject({ count: 1, model: 'tr181-router', serialPrefix: 'SIM', connectionRequests: 'shared', maxConcurrentSessions: 256, bootstrap: true });
    expect(() => parse(['--acs', 'http://a/', '--count', '0'])).toThrow(/positive integer/);
    expect(() => parse(['--acs', 'http://a/', '--cr-mode', 'both'])).toThrow(/shared, per-device or off/);
    expect(() => parse(['--acs', 'http://a/', '--username', 'u'])).toThrow(/go together/);
    expect(() => parse(['--acs', 'http://a/', '--quirks', 'bogus'])).toThrow(/unknown quirk/);
    expect(() => parse(['--count', '3'])).toThrow(/--acs/);
  });
});

describe('ScheduleDownload time window', () => {
  it('fails with 9020 once the window has passed', async () => {
    const model = createDevice(template, { serialNumber: 'S' });
    const t: TransferRec = {
      kind: 'scheduleDownload',
      commandKey: 'k',
      fileType: '1 Firmware Upgrade Image',
      url: 'http://127.0.0.1:9/fw.bin',
      username: '',
      password: '',
      fileSize: 0,
      targetFileName: '',
      state: 1,
      startAt: 0,
      windowEnd: Date.now() - 1,
      timer: null,
    };
    const r = await runTransfer(t, model, new CpeRuntime(), { serialNumber: 'S', bootedAt: 0, sessions: 0, lastEvents: [], now: Date.now() });
    expect(r.fault.faultCode).toBe(9020);
    expect(r.reboot).toBe(false);
  });
});
