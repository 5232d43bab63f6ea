/**
 * The PostgreSQL driver is loaded only when a postgres:// URL asks for it: a SQLite
 * deployment — the store, the CLI's serve module with its event relay, the data migrator —
 * never loads `pg`. Checked in a fresh Node process on the built code (dist/, made by
 * `npm test`'s pretest), which lists the CommonJS modules it loaded.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const DIST = resolve('dist/src');
const built = existsSync(join(DIST, 'store/open.js'));
const CI = process.env.CI === 'true' || process.env.CI === '1';
if (!built && !CI) console.log('dist/ is not built: skipping the lazy-pg check (run npm run build; mandatory with CI=true)');

const script = `
import { createRequire } from 'node:module';
const [dist, dir, url] = process.argv.slice(1);
await import(dist + '/cli/serve.js');
await import(dist + '/store/migrate.js');
const { openStore } = await import(dist + '/store/open.js');
const store = await openStore({ db: url === '-' ? undefined : url, dataDir: dir });
await store.close();
const loaded = Object.keys(createRequire(import.meta.url).cache);
console.log(JSON.stringify(loaded.some((f) => /[\\\\/]node_modules[\\\\/]pg[\\\\/]/.test(f))));
`;

async function loadsPg(url: string | undefined, dir: string): Promise<boolean> {
  const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script, DIST, dir, url ?? '-'], {
    cwd: process.cwd(),
  });
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as boolean;
}

describe.skipIf(!built && !CI)('pg is loaded lazily', () => {
  it('opening SQLite (default or sqlite:<dir>) loads no pg; the probe does see pg when a postgres:// store is opened', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'flotilla-lazy-pg-'));
    try {
      expect(await loadsPg(undefined, dir)).toBe(false);
      expect(await loadsPg(`sqlite:${dir}`, dir)).toBe(false);
      const { createTestDatabase, pgReachable } = await import('./pg-helpers.js');
      if (CI || (await pgReachable())) {
        const db = await createTestDatabase();
        try {
          expect(await loadsPg(db.url, dir)).toBe(true);
        } finally {
          await db.drop();
        }
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
