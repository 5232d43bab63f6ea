/**
 * Headless Chromium for the console's tests: whether the tests run at all (mandatory when
 * CI=true, else skipped with one line when the browser is missing), a fresh profile per test
 * file, page errors of every tab collected, and signing in with a token in a fresh tab.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type BrowserContextOptions, type Page } from 'playwright-core';
import { ARTIFACTS, CHROMIUM } from './helpers.js';

export const HAVE_CHROMIUM = existsSync(CHROMIUM);
/** `describe.skipIf(SKIP_BROWSER)`: without Chromium and outside CI, the file is skipped. */
export const SKIP_BROWSER = !HAVE_CHROMIUM && process.env.CI !== 'true';
if (SKIP_BROWSER) console.log(`test/ui: browser tests skipped: ${CHROMIUM} is missing (apt-get install -y chromium)`);

export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

export interface ConsoleBrowser {
  readonly ctx: BrowserContext;
  /** Uncaught errors of every tab opened through this object: a test ends expecting none. */
  readonly errors: string[];
  newTab(): Promise<Page>;
  /**
   * A fresh tab signed in with an API token (closing `previous`): the token lives in a tab's
   * sessionStorage, so a new tab starts signed out (reloading a signed-in tab with its live
   * stream open proved slow to show the form in CI).
   */
  signIn(url: string, token: string, previous?: Page): Promise<Page>;
  close(): Promise<void>;
}

/** Launch Chromium (after the console is built and the stack is up); throws in CI without it. */
export async function openBrowser(options: Omit<BrowserContextOptions, 'executablePath'> = {}): Promise<ConsoleBrowser> {
  if (!HAVE_CHROMIUM) throw new Error(`CI=true: the browser tests need ${CHROMIUM} (apt-get install -y chromium)`);
  mkdirSync(ARTIFACTS, { recursive: true });
  const profile = mkdtempSync(join(tmpdir(), 'flotilla-chromium-'));
  const ctx = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1280, height: 860 },
    ...options,
  });
  const errors: string[] = [];
  const newTab = async (): Promise<Page> => {
    const page = await ctx.newPage();
    page.on('pageerror', (e) => errors.push(e.message));
    return page;
  };
  return {
    ctx,
    errors,
    newTab,
    async signIn(url, token, previous) {
      await previous?.close();
      const page = await newTab();
      await page.goto(`${url}/`);
      await page.getByLabel('API token').fill(token);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('navigation', { name: 'Main' }).waitFor();
      return page;
    },
    async close() {
      await ctx.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
