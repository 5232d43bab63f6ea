/**
 * Backups by policy (src/services/backup-schedule.ts) on a real SQLite store with a hand-moved
 * clock: an upload is queued for each matching device whose newest backup is too old, once per
 * period, never beside one already pending, and not by a process that is not the leader.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseFilter } from '../../src/nbi/query.js';
import { parsePolicyDefinition, PolicyInputError } from '../../src/policies/validate.js';
import { BackupSchedule } from '../../src/services/backup-schedule.js';
import { createSqliteStore } from '../../src/store/sqlite/index.js';
import type { Store } from '../../src/store/types.js';
import type { Task } from '../../src/tasks/types.js';
import { commitOf, idOf, T0 } from '../store/conformance/harness.js';

const DAY = 86_400_000;
const CONFIG = '1 Vendor Configuration File';
let dir: string;
let store: Store;
let now = T0;

const uploadTask = (_deviceId: string, commandKey: string, fileType: string): Task => ({ type: 'upload', commandKey, fileType, url: 'http://acs.invalid/up', username: '', password: '', delaySeconds: 0 });

async function policy(input: Record<string, unknown>, id = 'p1'): Promise<void> {
  const def = parsePolicyDefinition({ name: id, declarations: [], ...input }, (e) => parseFilter(e));
  await store.createPolicy({ ...def, id, revision: 1, createdAt: now, updatedAt: now, author: 'test' });
}

async function backupOf(deviceId: string, at: number, fileType = CONFIG): Promise<void> {
  await store.createFile({ id: `f${at}${deviceId.length}${Math.random().toString(36).slice(2, 8)}`, name: 'config.xml', fileType, version: '', size: 1, sha256: '0'.repeat(64), targetFileName: 'config.xml', oui: '', productClass: '', fromVersions: [], storage: 'store', chunkSize: 262_144, deviceId, createdAt: at });
}

const pendingUploads = async (deviceId: string) => (await store.listTasks({ deviceId, types: ['upload'], states: ['queued', 'running'] })).tasks;

beforeEach(async () => {
  now = T0;
  dir = await mkdtemp(join(tmpdir(), 'flotilla-backups-'));
  store = await createSqliteStore({ dataDir: dir });
  for (const [serial, tag] of [['B1', 'weekly'], ['B2', 'weekly'], ['B3', 'other']] as const) {
    await store.commitSession(commitOf(idOf(serial), { informAt: T0 }));
    await store.setTags(idOf(serial), [tag], []);
  }
});

afterEach(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

describe('backups by policy', () => {
  it('queues one upload per matching device and period, none beside a pending one, none for a fresh backup', async () => {
    await policy({ filter: 'tag = weekly', backups: [{ fileType: CONFIG, every: 7 * 86_400 }] });
    const schedule = new BackupSchedule({ store, uploadTask, now: () => now });
    await backupOf(idOf('B2'), now - 2 * DAY); // B2 has a 2-day-old backup

    expect(await schedule.tick()).toEqual({ examined: 2, queued: 1 });
    const [task] = await pendingUploads(idOf('B1'));
    expect(task?.task).toMatchObject({ type: 'upload', fileType: CONFIG });
    expect(task?.expiresAt).toBe(now + 7 * DAY);
    expect(await pendingUploads(idOf('B2'))).toEqual([]);
    expect(await pendingUploads(idOf('B3'))).toEqual([]);

    // Nothing new while B1's upload is pending, even after it is forgotten (a new process).
    now += 2 * DAY;
    expect((await schedule.tick()).queued).toBe(0);
    expect((await new BackupSchedule({ store, uploadTask, now: () => now }).tick()).queued).toBe(0);

    // B1 sends its backup; B2's turns 7 days old on day 5 (its backup was from day -2).
    await store.deleteTasks({ deviceId: idOf('B1'), states: ['queued'] });
    await backupOf(idOf('B1'), now);
    now += 3 * DAY + 1;
    expect((await schedule.tick()).queued).toBe(1);
    expect((await pendingUploads(idOf('B2'))).length).toBe(1);
    expect(await pendingUploads(idOf('B1'))).toEqual([]);
    now += 3 * DAY; // day 8: B1's backup (day 2) is 6 days old, still fresh
    expect((await schedule.tick()).queued).toBe(0);
    now += 2 * DAY; // day 10: 8 days old; B2 is still waiting for its upload
    expect((await schedule.tick()).queued).toBe(1);
    expect((await pendingUploads(idOf('B1'))).length).toBe(1);
  });

  it('queues nothing for a disabled policy, a policy without backups, or a process that is not the leader', async () => {
    await policy({ filter: 'tag = weekly', enabled: false, backups: [{ fileType: CONFIG, every: 86_400 }] }, 'off');
    await policy({ filter: 'tag = weekly' }, 'plain');
    expect((await new BackupSchedule({ store, uploadTask, now: () => now }).tick()).queued).toBe(0);
    await policy({ backups: [{ fileType: '2 Vendor Log File', every: 3600 }] }, 'logs');
    expect((await new BackupSchedule({ store, uploadTask, now: () => now, isLeader: async () => false }).tick()).queued).toBe(0);
    expect((await new BackupSchedule({ store, uploadTask, now: () => now }).tick()).queued).toBe(3);
  });

  it('walks a large fleet a bounded number of devices per tick, and covers it all', async () => {
    for (let i = 0; i < 25; i++) {
      await store.commitSession(commitOf(idOf(`W${String(i).padStart(2, '0')}`), { informAt: T0 }));
      await store.setTags(idOf(`W${String(i).padStart(2, '0')}`), ['weekly'], []);
    }
    await policy({ filter: 'tag = weekly', backups: [{ fileType: CONFIG, every: 86_400 }] });
    const schedule = new BackupSchedule({ store, uploadTask, now: () => now, perTick: 10 });
    const ticks = [];
    for (let i = 0; i < 4; i++) ticks.push(await schedule.tick());
    expect(ticks.map((t) => t.examined)).toEqual([10, 10, 7, 10]);
    expect(ticks.reduce((n, t) => n + t.queued, 0)).toBe(27);
  });

  it('refuses a bad backups member with its position, and keeps a good one in the definition', () => {
    const parse = (backups: unknown) => parsePolicyDefinition({ name: 'x', declarations: [], backups }, (e) => parseFilter(e));
    for (const [bad, field] of [
      [{}, 'backups'],
      [[{ fileType: '3 Vendor Configuration File', every: 86_400 }], 'backups[0].fileType'],
      [[{ fileType: CONFIG, every: 60 }], 'backups[0].every'],
      [[{ fileType: CONFIG, every: 86_400, extra: 1 }], 'backups[0].extra'],
      [[{ fileType: CONFIG, every: 86_400 }, { fileType: CONFIG, every: 3600 }], 'backups[1].fileType'],
    ] as const) {
      try {
        parse(bad);
        expect.unreachable(`accepted ${JSON.stringify(bad)}`);
      } catch (e) {
        expect(e).toBeInstanceOf(PolicyInputError);
        expect((e as PolicyInputError).position.field).toBe(field);
      }
    }
    expect(parse([{ fileType: CONFIG, every: 604_800 }]).backups).toEqual([{ fileType: CONFIG, every: 604_800 }]);
  });
});
