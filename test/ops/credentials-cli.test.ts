/**
 * `flotilla credentials import` and `reseal` on a data directory, as processes: all rows or
 * none, the counts on stdout, the secrets sealed under the directory's key.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { loadSealer } from '../../src/acs/credential-key.js';
import { md5 } from '../../src/auth/server.js';
import { createSqliteStore } from '../../src/store/sqlite/index.js';

const main = resolve(__dirname, '../../dist/src/cli/main.js');
let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'flotilla-cred-cli-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});
const cli = (args: string[]) => spawnSync(process.execPath, [main, ...args, '--data-dir', dir], { encoding: 'utf8', timeout: 60_000 });

it('imports a procurement CSV (or nothing of a bad one), then re-seals', async () => {
  const file = join(dir, 'factory.csv');
  await writeFile(file, 'deviceId,username,password,connectionRequestUsername,connectionRequestPassword\nA1B2C3-Gw-S1,u1,p1,c1,cp1\nA1B2C3-Gw-S2,u1,p2,,\n');
  const bad = cli(['credentials', 'import', file]);
  expect(bad.status).toBe(1);
  expect(bad.stderr).toMatch(/row 2: username u1 appears twice/);
  await writeFile(file, 'deviceId,username,password,connectionRequestUsername,connectionRequestPassword\nA1B2C3-Gw-S1,u1,p1,c1,cp1\nA1B2C3-Gw-S2,u2,p2,,\n');
  const ok = cli(['credentials', 'import', file]);
  expect(ok.status, ok.stderr).toBe(0);
  expect(JSON.parse(ok.stdout)).toEqual({ imported: 2 });
  expect(ok.stdout + ok.stderr).not.toMatch(/p1|cp1/);
  const reseal = cli(['credentials', 'reseal']);
  expect(reseal.status, reseal.stderr).toBe(0);
  expect(JSON.parse(reseal.stdout)).toMatchObject({ devices: 2, resealed: 0, unreadable: 0 });
  const store = await createSqliteStore({ dataDir: dir });
  try {
    const c = await store.getDeviceCredentials('A1B2C3-Gw-S1');
    expect(c?.current.cpe).toEqual({ username: 'u1', realm: 'Flotilla', ha1: md5('u1:Flotilla:p1') });
    expect(c?.factory?.cpe.username).toBe('u1');
    expect((await loadSealer(dir, {})).open(c!.current.connectionRequest!.sealed, 'A1B2C3-Gw-S1')).toBe('cp1');
    expect((await store.getDeviceCredentials('A1B2C3-Gw-S2'))?.current.connectionRequest).toBeNull();
  } finally {
    await store.close();
  }
});
