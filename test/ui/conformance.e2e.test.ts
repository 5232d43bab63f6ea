/**
 * The console's Conformance tab in Chromium: a simulated CPE discovered by a real ACS, its
 * report drawn (claims, counts, findings) with the quirk settings its sessions apply, and the
 * findings exported as CSV. Mandatory when CI=true; elsewhere skipped with one line when
 * /usr/bin/chromium is missing.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARTIFACTS, CHROMIUM, ensureConsoleBuilt, Fleet, startUiStack, type UiStack } from './helpers.js';

const HAVE_CHROMIUM = existsSync(CHROMIUM);
const MANDATORY = process.env.CI === 'true';
if (!HAVE_CHROMIUM && !MANDATORY) console.log(`test/ui: browser tests skipped: ${CHROMIUM} is missing (apt-get install -y chromium)`);

describe.skipIf(!HAVE_CHROMIUM && !MANDATORY)('console: conformance tab', () => {
  let stack: UiStack;
  let fleet: Fleet;
  let ctx: BrowserContext;
  let profile: string;
  let page: Page;
  let id = '';
  const errors: string[] = [];

  beforeAll(async () => {
    if (!HAVE_CHROMIUM) throw new Error(`CI=true: the browser tests need ${CHROMIUM} (apt-get install -y chromium)`);
    ensureConsoleBuilt();
    mkdirSync(ARTIFACTS, { recursive: true });
    stack = await startUiStack();
    fleet = new Fleet(stack.acs.cwmpUrl);
    id = (await fleet.add('UICONF001')).id;
    profile = mkdtempSync(join(tmpdir(), 'flotilla-chromium-'));
    ctx = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
      viewport: { width: 1280, height: 860 },
      acceptDownloads: true,
    });
    page = await ctx.newPage();
    page.on('pageerror', (e) => errors.push(e.message));
  }, 120_000);

  afterAll(async () => {
    await ctx?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
    await fleet?.close();
    await stack?.close();
  });

  it('shows the claims, counts and quirks, and exports the findings as CSV', async () => {
    await page.goto(`${stack.url}/`);
    await page.getByLabel('API token').fill(stack.tokens.readOnly);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('navigation', { name: 'Main' }).waitFor();
    await page.goto(`${stack.url}/devices/${encodeURIComponent(id)}?tab=conformance`);
    await page.getByRole('tab', { name: 'Conformance' }).waitFor();
    const claimed = page.getByTestId('claimed');
    await claimed.waitFor();
    expect(await claimed.textContent()).toMatch(/Device:2.*Baseline:1.*implied/);
    expect(await page.getByTestId('quirks').textContent()).toContain('none');
    const counts = page.getByRole('table', { name: 'Conformance counts' });
    expect(await counts.locator('tr[data-kind="wrongType"] td.num').textContent()).toBe('0');
    await page.screenshot({ path: join(ARTIFACTS, 'conformance-tab.png'), fullPage: true });
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export findings as CSV' }).click()]);
    const lines = readFileSync(await download.path(), 'utf8').trim().split('\r\n');
    expect(lines[0]).toBe('kind,path,reported,expected,detail');
    expect(errors).toEqual([]);
  });
});
