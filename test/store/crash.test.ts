/**
 * Crash consistency: a writer killed with SIGKILL at random moments never leaves a device
 * between two sessions. The writer is test/store/crash-child.ts, run by vite-node (a
 * dependency of vitest, so it is there wherever the tests run; no build step needed).
 *
 * After each kill the database is reopened (WAL recovery) and every device must be
 * entirely at one session: all its parameters carry that session's marker, there are all
 * of them, and last_inform is that session. And nothing the writer had reported as
 * committed may be lost.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deviceIdOf } from '../../src/store/device-id.js';
import { createSqliteStore } from '../../src/store/sqlite/index.js';

const DEVICES = 6;
const PARAMS = 2000;
const KILLS = 6;

const here = dirname(fileURLToPath(import.meta.url));
const CHILD = join(here, 'crash-child.ts');
// vite-node's package root, from its main entry (dist/index.mjs).
const VITE_NODE = join(dirname(createRequire(import.meta.url).resolve('vite-node')), '..', 'vite-node.mjs');

const deviceId = (d: number) => deviceIdOf({ oui: '00D09E', productClass: 'Crash', serialNumber: `D${d}` });

interface RunResult {
  /** The last session the child reported as committed for every device. */
  reported: number;
}

/** Start the writer, let it commit for a random while, kill -9 it. */
function runAndKill(file: string, base: number, minSessions: number): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [VITE_NODE, CHILD, file, String(DEVICES), String(PARAMS), String(base)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let reported = base;
    let buffered = '';
    let stderr = '';
    let killTimer: NodeJS.Timeout | undefined;
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.stdout.on('data', (b: Buffer) => {
      buffered += b.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const line of lines) {
        if (/^\d+$/.test(line)) reported = Number(line);
      }
      if (killTimer === undefined && reported >= base + minSessions) {
        // Sessions take tens of ms, mostly inside the commit: a random delay lands mid-write.
        killTimer = setTimeout(() => child.kill('SIGKILL'), Math.floor(Math.random() * 250));
      }
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (signal !== 'SIGKILL') reject(new Error(`writer exited early (${code ?? signal}): ${stderr}`));
      else resolve({ reported });
    });
  });
}

describe('SQLite crash consistency', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'flotilla-crash-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it(`survives ${KILLS} kill -9 during big commits with every device at exactly one session`, async () => {
    const file = join(dir, 'crash.db');
    let base = 0;
    for (let run = 0; run < KILLS; run++) {
      const { reported } = await runAndKill(file, base, 1 + (run % 3));
      const store = await createSqliteStore({ file });
      let newest = base;
      for (let d = 0; d < DEVICES; d++) {
        const dev = await store.getDevice(deviceId(d));
        expect(dev, `device ${d} after run ${run}`).not.toBeNull();
        const marker = String(dev!.lastInform);
        const off = dev!.parameters.filter((p) => p.value !== marker);
        expect(off, `device ${d} (session ${marker}) has parameters from another session`).toEqual([]);
        expect(dev!.parameters).toHaveLength(PARAMS);
        expect(dev!.lastInform).toBeGreaterThanOrEqual(reported);
        newest = Math.max(newest, dev!.lastInform);
      }
      await store.close();
      // Every run uses fresh session numbers, so no marker can be confused with an older one.
      base = (Math.floor(newest / 1_000_000) + 1) * 1_000_000;
    }
  }, 120_000);
});
