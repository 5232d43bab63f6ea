/**
 * The console's Conformance tab in Chromium: a simulated CPE discovered by a real ACS, its
 * report drawn (claims, counts, findings) with the quirk settings its sessions apply, and the
 * findings exported as CSV. Mandatory when CI=true; elsewhere skipped with one line when
 * /usr/bin/chromium is missing.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeConsole, openConsole, SKIP_BROWSER, type ConsoleBrowser } from './browser.js';
import { ARTIFACTS, Fleet, type UiStack } from './helpers.js';

describe.skipIf(SKIP_BROWSER)('console: conformance tab', () => {
  let stack: UiStack;
  let fleet: Fleet;
  let browser: ConsoleBrowser;
  let page: Page;
  let id = '';

  beforeAll(async () => {
    ({ stack, fleet, browser, page } = await openConsole({ browser: { acceptDownloads: true } }));
    id = (await fleet.add('UICONF001')).id;
  }, 120_000);

  afterAll(async () => {
    await closeConsole({ stack, fleet, browser });
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
    expect(browser.errors).toEqual([]);
  });
});
