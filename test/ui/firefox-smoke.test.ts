/**
 * The console in Firefox: Debian's Firefox ESR renders the built console served by
 * `flotilla serve` (playwright-core cannot drive Debian's Firefox, so this is a rendering
 * smoke test; the interactive tests run in Chromium). A console whose JavaScript failed to
 * run in Firefox leaves an empty page, which this tells apart from the rendered sign-in by
 * comparing with a screenshot of a blank page taken the same way.
 * Mandatory when CI=true; elsewhere skips with one line if firefox-esr or dist/ is missing.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT } from './helpers.js';

const FIREFOX = '/usr/bin/firefox-esr';
const main = join(ROOT, 'dist/src/cli/main.js');
const ready = existsSync(main) && existsSync(join(ROOT, 'dist/ui/index.html')) && (existsSync(FIREFOX) || process.env.CI === 'true');
if (!ready) console.log('test/ui: Firefox smoke test skipped: needs /usr/bin/firefox-esr and a built dist/ (npm run build)');

describe.skipIf(!ready)('the console in Firefox ESR', () => {
  const dir = mkdtempSync(join(tmpdir(), 'flotilla-firefox-'));
  let child: ChildProcess | undefined;
  afterAll(() => {
    child?.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  function screenshot(url: string, name: string): string {
    const file = join(dir, name);
    execFileSync(FIREFOX, ['--headless', '--no-remote', '--profile', mkdtempSync(join(dir, 'profile-')), '--window-size=1280,800', '--screenshot', file, url], {
      env: { ...process.env, HOME: dir, MOZ_DISABLE_AUTO_SAFE_MODE: '1' },
      stdio: 'ignore',
      timeout: 60_000,
    });
    return file;
  }

  it('renders the sign-in page of the built console', async () => {
    const api = await new Promise<string>((done, fail) => {
      child = spawn(process.execPath, [main, 'serve'], {
        env: { ...process.env, FLOTILLA_CWMP_PORT: '0', FLOTILLA_API_PORT: '0', FLOTILLA_HOST: '127.0.0.1', FLOTILLA_DATA_DIR: dir, FLOTILLA_ADMIN_TOKEN: 'firefox-smoke-admin-token-0123' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      const timer = setTimeout(() => fail(new Error(`serve did not start:\n${out}`)), 20_000);
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
    });
    const blank = screenshot('about:blank', 'blank.png');
    const console_ = screenshot(`${api}/`, 'console.png');
    const png = readFileSync(console_);
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    // The rendered sign-in card (text, input, button) compresses far worse than a blank page.
    expect(statSync(console_).size).toBeGreaterThan(2 * statSync(blank).size);
    if (existsSync(join(ROOT, 'test-artifacts'))) {
      execFileSync('cp', [console_, join(ROOT, 'test-artifacts', 'ui', '17-firefox-sign-in.png')]);
    }
  });
});
