/**
 * `flotilla serve` (the built CLI, as `npm install && npx flotilla serve` runs it) serves the
 * console from dist/ui on the API port, next to the API. Needs `npm run build` (skips with one
 * line otherwise; CI builds first).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ensureConsoleBuilt, ROOT } from './helpers.js';

const main = join(ROOT, 'dist/src/cli/main.js');
if (!existsSync(main)) console.log('test/ui: flotilla serve test skipped: dist/ is not built (npm run build)');

describe.skipIf(!existsSync(main))('flotilla serve with the console', () => {
  let child: ChildProcess | undefined;
  const dir = mkdtempSync(join(tmpdir(), 'flotilla-serve-ui-'));
  afterAll(() => {
    child?.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves the console at / and its routes, and the API beside it', async () => {
    ensureConsoleBuilt();
    const token = 'serve-cli-admin-token-0123456789';
    const api = await new Promise<string>((done, fail) => {
      child = spawn(process.execPath, [main, 'serve'], {
        env: { ...process.env, FLOTILLA_CWMP_PORT: '0', FLOTILLA_API_PORT: '0', FLOTILLA_HOST: '127.0.0.1', FLOTILLA_DATA_DIR: dir, FLOTILLA_ADMIN_TOKEN: token },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      const timer = setTimeout(() => fail(new Error(`serve did not start:\n${out}`)), 40_000);
      const onData = (d: Buffer): void => {
        out += d.toString();
        const m = /"api":"([^"]+)\/api\/v1"/.exec(out);
        if (m?.[1]) {
          clearTimeout(timer);
          done(m[1]);
        }
      };
      child.stdout?.on('data', onData);
      child.stderr?.on('data', onData);
      child.once('exit', (code) => fail(new Error(`serve exited with ${code}:\n${out}`)));
    });
    const home = await fetch(`${api}/`);
    expect(home.status).toBe(200);
    const html = await home.text();
    expect(html).toContain('<div id="app">');
    const script = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    expect(script).toBeDefined();
    const js = await fetch(`${api}${script}`);
    expect(js.status).toBe(200);
    expect(js.headers.get('cache-control')).toContain('immutable');
    expect((await fetch(`${api}/devices/some-device?tab=tasks`)).status).toBe(200);
    expect((await fetch(`${api}/api/v1/devices`)).status).toBe(401);
    expect((await fetch(`${api}/api/v1/devices`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
  });
});
