/**
 * `flotilla user …` as a real process on a data directory (like `flotilla token create`):
 * the user it makes signs in over HTTP; the password comes from stdin or a file, never an
 * argument, and is never printed; bad input exits non-zero and changes nothing.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNbi, type Nbi } from '../../src/nbi/server.js';
import { createSqliteStore } from '../../src/store/sqlite/index.js';
import type { Store } from '../../src/store/types.js';

const main = resolve(__dirname, '../../dist/src/cli/main.js');
const PASSWORD = 'a long enough password';
let dir: string;

const cli = (args: string[], input?: string): { status: number | null; stdout: string; stderr: string } => {
  const env = { ...process.env };
  delete env.FLOTILLA_USER_PASSWORD;
  const r = spawnSync(process.execPath, [main, ...args], { input: input ?? '', encoding: 'utf8', env, timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'flotilla-user-cli-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe.skipIf(!existsSync(main))('flotilla user', () => {
  it('create (stdin or file), list, set; the user signs in; bad input refused', async () => {
    const made = cli(['user', 'create', '--name', 'olga', '--role', 'operator', '--data-dir', dir], `${PASSWORD}\n`);
    expect(made.status, made.stderr).toBe(0);
    expect(made.stdout.trim()).toMatch(/^[0-9a-f-]{36}$/);
    expect(made.stderr).toContain('operator user "olga"');
    expect(made.stdout + made.stderr).not.toContain(PASSWORD);
    const file = join(dir, 'pw');
    writeFileSync(file, `${PASSWORD}-2\n`);
    expect(cli(['user', 'create', '--name', 'pete', '--password-file', file, '--scope-tag', 'north', '--data-dir', dir]).status).toBe(0);
    // Refused: a taken name, a short password, a bad role, a bad scope filter.
    expect(cli(['user', 'create', '--name', 'olga', '--data-dir', dir], `${PASSWORD}\n`).status).not.toBe(0);
    expect(cli(['user', 'create', '--name', 'quinn', '--data-dir', dir], 'short\n').status).not.toBe(0);
    expect(cli(['user', 'create', '--name', 'quinn', '--role', 'root', '--data-dir', dir], `${PASSWORD}\n`).status).not.toBe(0);
    expect(cli(['user', 'create', '--name', 'quinn', '--scope-filter', 'a ~~ "', '--data-dir', dir], `${PASSWORD}\n`).status).not.toBe(0);
    const list = cli(['user', 'list', '--data-dir', dir]);
    expect(list.stdout).toMatch(/operator\s+local\s+olga/);
    expect(list.stdout).toMatch(/read-only\s+local\s+pete/);
    expect(list.stdout).not.toContain('quinn');
    expect(cli(['user', 'set', 'pete', '--role', 'admin', '--disable', '--data-dir', dir]).status).toBe(0);
    expect(cli(['user', 'set', 'nobody', '--enable', '--data-dir', dir]).status).not.toBe(0);
    // Capabilities: granted at creation or later, listed, refused for read-only.
    expect(cli(['user', 'create', '--name', 'rita', '--role', 'operator', '--capability', 'provision', '--data-dir', dir], `${PASSWORD}\n`).status).toBe(0);
    expect(cli(['user', 'create', '--name', 'quinn', '--capability', 'provision', '--data-dir', dir], `${PASSWORD}\n`).status).not.toBe(0);
    expect(cli(['user', 'set', 'olga', '--capability', 'provision', '--data-dir', dir]).status).toBe(0);
    expect(cli(['user', 'list', '--data-dir', dir]).stdout).toMatch(/olga \[provision\]/);
    expect(cli(['user', 'set', 'olga', '--clear-capabilities', '--data-dir', dir]).status).toBe(0);
    expect(cli(['user', 'list', '--data-dir', dir]).stdout).toMatch(/olga\n/);

    const store: Store = await createSqliteStore({ dataDir: dir });
    let nbi: Nbi | undefined;
    try {
      nbi = await startNbi({ store, host: '127.0.0.1', port: 0, generateAdminToken: false });
      const signIn = (name: string, password: string): Promise<Response> =>
        fetch(`${nbi!.url}/api/v1/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name, password }) });
      const ok = await signIn('olga', PASSWORD);
      expect(ok.status).toBe(200);
      expect(await ok.json()).toMatchObject({ kind: 'user', role: 'operator', capabilities: [] });
      expect(await (await signIn('rita', PASSWORD)).json()).toMatchObject({ kind: 'user', role: 'operator', capabilities: ['provision'] });
      expect((await signIn('pete', `${PASSWORD}-2`)).status).toBe(401); // disabled
      const audit = await store.listAudit({ limit: 100 });
      expect(audit.entries.map((e) => e.action)).toEqual(expect.arrayContaining(['user-created', 'user-changed', 'sign-in', 'sign-in-failed']));
      expect(JSON.stringify(audit)).not.toContain(PASSWORD);
    } finally {
      await nbi?.close();
      await store.close();
    }
  }, 180_000); // ten CLI processes, each a cold Node start: slow on a loaded machine, not a hang
});
