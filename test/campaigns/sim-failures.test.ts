/**
 * The simulator's install-failure option: which devices fail (a stable fraction by serial),
 * and the `flotilla sim` flags that set it.
 */
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { flagsToOptions, registerSimCommand } from '../../src/cli/sim.js';
import { failsInstall, Fleet, serialShare } from '../../src/cpe/index.js';

function parse(args: string[]): ReturnType<typeof flagsToOptions> {
  let captured: ReturnType<typeof flagsToOptions> | null = null;
  const program = new Command().exitOverride();
  registerSimCommand(program);
  const sim = program.commands.find((c) => c.name() === 'sim')!;
  sim.exitOverride();
  sim.configureOutput({ writeErr: () => undefined });
  sim.action((flags: Parameters<typeof flagsToOptions>[0]) => {
    captured = flagsToOptions(flags);
  });
  program.parse(['node', 'flotilla', 'sim', '--acs', 'http://127.0.0.1:7547/', ...args]);
  return captured!;
}

describe('install failures', () => {
  const serials = Array.from({ length: 2000 }, (_, i) => `SIM${String(i + 1).padStart(6, '0')}`);

  it('picks about the fraction asked, the same devices every time, nested as the fraction grows', () => {
    const at = (fraction: number) => serials.filter((s) => failsInstall({ fraction }, s));
    const fifth = at(0.2);
    expect(fifth.length).toBeGreaterThan(320);
    expect(fifth.length).toBeLessThan(480);
    expect(at(0.2)).toEqual(fifth);
    // Whoever fails at 10% also fails at 20%: raising the fraction adds devices.
    expect(at(0.1).every((s) => fifth.includes(s))).toBe(true);
    expect(at(0)).toEqual([]);
    expect(at(1)).toHaveLength(serials.length);
    expect(serials.every((s) => serialShare(s) >= 0 && serialShare(s) < 1)).toBe(true);
  });

  it('the fleet option drives the runtime, and can be changed while running', () => {
    const fleet = new Fleet({ acsUrl: 'http://127.0.0.1:9/', count: 50, model: 'tr181-router', installFailures: { fraction: 0.3, mode: 9018 } });
    const failing = serials.slice(0, 50).filter((s) => failsInstall({ fraction: 0.3 }, s));
    expect(failing.length).toBeGreaterThan(0);
    expect(fleet.runtime.installFailure?.(failing[0]!)).toBe(9018);
    expect(fleet.runtime.installFailure?.(serials.find((s) => !failsInstall({ fraction: 0.3 }, s))!)).toBeNull();
    fleet.setInstallFailures({ fraction: 1, mode: 'vanish' });
    expect(fleet.runtime.installFailure?.('anything')).toBe('vanish');
    fleet.setInstallFailures({ fraction: 0 });
    expect(fleet.runtime.installFailure).toBeUndefined();
    expect(() => fleet.setInstallFailures({ fraction: 1.5 })).toThrow(/between 0 and 1/);
  });

  it('flotilla sim --install-failures / --install-failure', () => {
    expect(parse(['--install-failures', '0.2']).installFailures).toEqual({ fraction: 0.2, mode: 9010 });
    expect(parse(['--install-failures', '0.05', '--install-failure', 'vanish']).installFailures).toEqual({ fraction: 0.05, mode: 'vanish' });
    expect(parse(['--install-failures', '1', '--install-failure', '9018']).installFailures).toEqual({ fraction: 1, mode: 9018 });
    expect(parse([]).installFailures).toBeUndefined();
    expect(() => parse(['--install-failures', '1.5'])).toThrow(/fraction/);
    expect(() => parse(['--install-failures', 'lots'])).toThrow(/fraction/);
    expect(() => parse(['--install-failures', '0.1', '--install-failure', '9999'])).toThrow(/9010, 9018 or vanish/);
  });
});
