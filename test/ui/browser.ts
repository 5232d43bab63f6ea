/**
 * Headless Chromium for the console's tests: whether the tests run at all (mandatory when
 * CI=true, else skipped with one line when the browser is missing), a fresh profile per test
 * file, page errors of every tab collected, signing in with a token in a fresh tab, and the
 * usual set-up of a console test (openConsole, closeConsole).
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type BrowserContextOptions, type Page } from 'playwright-core';
import { ARTIFACTS, CHROMIUM, ensureConsoleBuilt, Fleet, startUiStack, type UiStack } from './helpers.js';

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

/** What a console test drives: the ACS and the API, simulated CPEs, Chromium and a first tab. */
export interface ConsoleRig {
  stack: UiStack;
  fleet: Fleet;
  browser: ConsoleBrowser;
  page: Page;
}

/**
 * The usual beforeAll of a console test: the console built, the stack up, a fleet on it,
 * Chromium with one tab. Whatever it opened is closed again if a later step fails.
 */
export async function openConsole(opts: { stack?: Parameters<typeof startUiStack>[0]; browser?: Omit<BrowserContextOptions, 'executablePath'> } = {}): Promise<ConsoleRig> {
  ensureConsoleBuilt();
  const stack = await startUiStack(opts.stack);
  const fleet = new Fleet(stack.acs.cwmpUrl);
  try {
    const browser = await openBrowser(opts.browser);
    return { stack, fleet, browser, page: await browser.newTab() };
  } catch (e) {
    await closeConsole({ stack, fleet });
    throw e;
  }
}

/** The usual afterAll: each part closed if it was opened (a failed beforeAll leaves some undefined). */
export async function closeConsole(rig: Partial<ConsoleRig>): Promise<void> {
  await rig.browser?.close();
  await rig.fleet?.close();
  await rig.stack?.close();
}
