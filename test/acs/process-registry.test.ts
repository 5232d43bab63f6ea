/**
 * Which registered processes of this host are certainly dead (src/acs/process-registry.ts):
 * plain inputs, the liveness check given.
 */
import { describe, expect, it } from 'vitest';
import { deadOnThisHost, leaderOf, pidAlive } from '../../src/acs/process-registry.js';
import type { AcsProcess } from '../../src/store/types.js';

const self = { id: 'me', host: 'h1', pid: 50, processStartedAt: 10_000 };
const row = (id: string, over: Partial<AcsProcess>): AcsProcess => ({ id, host: 'h1', pid: 1, startedAt: 0, heartbeatAt: 0, ...over });

describe('dead processes of this host', () => {
  it('a pid that is gone is dead; an alive pid is left to the heartbeat; other hosts are never judged here', () => {
    const alive = new Set([60, 70]);
    const rows = [
      row('me', { pid: 50, startedAt: 10_500 }),
      row('gone', { pid: 61 }),
      row('running', { pid: 60 }),
      row('elsewhere', { host: 'h2', pid: 99 }),
    ];
    expect(deadOnThisHost(rows, self, (p) => alive.has(p))).toEqual(['gone']);
  });

  it('our own pid before we started is a predecessor (a container restarted with the same pid); after, a sibling in this process', () => {
    const rows = [row('before', { pid: 50, startedAt: 9_000 }), row('sibling', { pid: 50, startedAt: 10_200 })];
    expect(deadOnThisHost(rows, self, () => true)).toEqual(['before']);
  });

  it('pidAlive: this process is, a pid that cannot exist is not', () => {
    expect(pidAlive(process.pid)).toBe(true);
    expect(pidAlive(0)).toBe(false);
    expect(pidAlive(-1)).toBe(false);
    expect(pidAlive(2 ** 31 - 2)).toBe(false);
  });
});

describe('the leader', () => {
  it('is the live process with the smallest id; a silent one is passed over; we count as live even before our first heartbeat', () => {
    const now = 100_000;
    const rows = [row('b', { heartbeatAt: now - 1_000 }), row('a', { heartbeatAt: now - 60_000 }), row('c', { heartbeatAt: now })];
    expect(leaderOf(rows, 'c', now, 30_000)).toBe('b');
    expect(leaderOf(rows, 'a', now, 30_000)).toBe('a');
    expect(leaderOf([], 'z', now, 30_000)).toBe('z');
    expect(leaderOf(rows.slice(0, 1).map((r) => ({ ...r, heartbeatAt: 0 })), 'z', now, 30_000)).toBe('z');
  });
});
