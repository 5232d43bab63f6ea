/**
 * `flotilla backup`: an online copy of a SQLite store that another process keeps writing to;
 * the copy opens as a store with every device committed before it started. It never
 * overwrites a file, and says so when there is no store.
 */
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { createSqliteStore } from '../../src/store/sqlite/index.js';
import { commitOf } from './conformance/harness.js';

const main = resolve(__dirname, '../../dist/src/cli/main.js');
let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'flotilla-backup-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function cli(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const c = spawn(process.execPath, [main, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    c.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    c.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    c.once('exit', (status) => done({ status, stdout, stderr }));
  });
}

async function commit(store: Awaited<ReturnType<typeof createSqliteStore>>, serial: string): Promise<void> {
  const id = `A1B2C3-Gw-${serial}`;
  await store.openSession({ deviceId: id, lockOwner: 'test-acs-a', lockTtlMs: 60_000, now: 1 });
  await store.commitSession(commitOf(id, { parameterOps: [{ op: 'setValues', at: 1, touch: true, params: [{ name: 'Device.DeviceInfo.SerialNumber', value: serial, type: 'xsd:string' }] }] }));
}

it('copies a store that is being written to, consistently, and never overwrites', async () => {
  const data = join(dir, 'data');
  const store = await createSqliteStore({ dataDir: data });
  try {
    for (let i = 0; i < 200; i++) await commit(store, `B${i}`);
    // Writes go on while the backup runs (WAL: the backup sees a snapshot).
    let writing = true;
    let n = 0;
    const writer = (async () => {
      while (writing) {
        await commit(store, `W${n++}`);
        await new Promise((r) => setImmediate(r));
      }
    })();
    const target = join(dir, 'copy.db');
    const r = await cli(['backup', '--data-dir', data, '--to', target]);
    writing = false;
    await writer;
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ file: target });
    // The copy is a whole store: open it as one.
    const restored = join(dir, 'restored');
    mkdirSync(restored);
    copyFileSync(target, join(restored, 'flotilla.db'));
    const copy = await createSqliteStore({ dataDir: restored });
    try {
      const page = await copy.listDevices({ filters: [{ field: 'serialNumber', op: 'prefix', value: 'B' }] });
      expect(page.total).toBe(200);
      const d = await copy.getDevice('A1B2C3-Gw-B7');
      expect(d?.parameters.find((p) => p.path === 'Device.DeviceInfo.SerialNumber')?.value).toBe('B7');
    } finally {
      await copy.close();
    }
    // Never overwrites.
    const again = await cli(['backup', '--data-dir', data, '--to', target]);
    expect(again.status).toBe(1);
    expect(again.stderr).toMatch(/exists: a backup never overwrites/);
  } finally {
    await store.close();
  }
  const none = await cli(['backup', '--data-dir', join(dir, 'nothing'), '--to', join(dir, 'x.db')]);
  expect(none.status).toBe(1);
  expect(none.stderr).toMatch(/no store at/);
  expect(existsSync(join(dir, 'x.db'))).toBe(false);
});
