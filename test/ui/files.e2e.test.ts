/**
 * The file pages in Chromium: an operator uploads a firmware image through the Files page
 * (the bytes arrive intact, listed with their applicability), a viewer sees the list but no
 * upload form; on a device's "Backups & logs" tab the operator takes two configuration
 * backups of a simulated CPE (through the transfer endpoint), compares them, downloads one and
 * restores the older, which the CPE applies.
 *
 * Mandatory when CI=true; elsewhere skipped with one line when /usr/bin/chromium is missing.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UrlSigner } from '../../src/files/signing.js';
import { startTransferServer, type TransferServer } from '../../src/files/transfer.js';
import { openBrowser, SKIP_BROWSER, type ConsoleBrowser } from './browser.js';
import { ARTIFACTS, ensureConsoleBuilt, Fleet, startUiStack, until, type UiStack } from './helpers.js';

const PC = 'Device.DeviceInfo.ProvisioningCode';

describe.skipIf(SKIP_BROWSER)('file pages in Chromium', () => {
  let stack: UiStack;
  let fleet: Fleet;
  let transfer: TransferServer;
  let browser: ConsoleBrowser;
  let page: Page;
  let filesUrl = '';
  const signer = UrlSigner.random();

  beforeAll(async () => {
    ensureConsoleBuilt();
    stack = await startUiStack({ repository: { signer, publicUrl: () => filesUrl } });
    transfer = await startTransferServer({ repo: stack.nbi.services.files.repo, signer, host: '127.0.0.1', port: 0, realm: stack.acs.config.realm });
    filesUrl = transfer.url;
    fleet = new Fleet(stack.acs.cwmpUrl);
    browser = await openBrowser({ viewport: { width: 1280, height: 900 }, colorScheme: 'light', acceptDownloads: true });
    page = await browser.newTab();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await fleet?.close();
    await transfer?.close();
    await stack?.close();
  });

  const signInAs = async (token: string): Promise<void> => {
    await page.goto(`${stack.url}/`);
    await page.getByLabel('API token').fill(token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('navigation', { name: 'Main' }).waitFor();
  };

  it('uploads a firmware image with its applicability; the list shows it; a viewer has no upload form', async () => {
    await signInAs(stack.tokens.operator);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Files' }).click();
    await page.getByRole('heading', { name: 'Files', level: 1 }).waitFor();
    const image = randomBytes(700_000);
    const path = join(ARTIFACTS, 'router-fw.bin');
    writeFileSync(path, image);
    const form = page.getByRole('form', { name: 'Upload a file' });
    await form.getByLabel('File', { exact: true }).setInputFiles(path);
    await form.getByLabel('Version it installs').fill('4.2.0');
    await form.getByLabel('OUI').fill('00D09E');
    await form.getByLabel('Upgrades from').fill('4.1.0, 4.1.1');
    await form.getByRole('button', { name: 'Upload' }).click();
    await page.getByRole('status').filter({ hasText: 'Uploaded router-fw.bin' }).waitFor();
    const sha = createHash('sha256').update(image).digest('hex');
    const row = page.getByRole('table', { name: 'Files' }).getByRole('row').filter({ hasText: 'router-fw.bin' });
    await row.waitFor();
    expect(await row.textContent()).toContain('4.2.0');
    expect(await row.textContent()).toContain('OUI 00D09E');
    expect(await row.textContent()).toContain('from 4.1.0, 4.1.1');
    expect(await row.textContent()).toContain(sha.slice(0, 12));
    const listed = (await (await fetch(`${stack.url}/api/v1/files`, { headers: { authorization: `Bearer ${stack.tokens.admin}` } })).json()) as { files: { sha256: string; size: number }[] };
    expect(listed.files).toMatchObject([{ sha256: sha, size: image.length }]);
    await page.screenshot({ path: join(ARTIFACTS, 'files.png'), fullPage: true });

    await page.getByRole('button', { name: 'Sign out' }).click();
    await signInAs(stack.tokens.readOnly);
    await page.goto(`${stack.url}/files`);
    await page.getByRole('table', { name: 'Files' }).getByRole('row').filter({ hasText: 'router-fw.bin' }).waitFor();
    expect(await page.getByRole('form', { name: 'Upload a file' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Delete' }).count()).toBe(0);
    await page.getByRole('button', { name: 'Sign out' }).click();
  });

  it("backs up a device's configuration twice, compares the two, downloads one and restores the older", async () => {
    const { cpe, id } = await fleet.add('UIFILES01');
    cpe.model.setInternal(PC, 'first');
    await signInAs(stack.tokens.operator);
    await page.goto(`${stack.url}/devices/${encodeURIComponent(id)}?tab=files`);
    await page.getByText('No backups or logs from this device yet.').waitFor();
    await page.getByRole('button', { name: 'Back up configuration' }).click();
    await page.getByRole('status').filter({ hasText: 'Back up: done' }).waitFor({ timeout: 30_000 });
    cpe.model.setInternal(PC, 'second');
    await page.getByRole('button', { name: 'Back up configuration' }).click();
    await page.getByRole('status').filter({ hasText: 'Back up: done' }).waitFor({ timeout: 30_000 });
    await until(async () => (await page.getByRole('table', { name: 'Backups and logs' }).getByRole('row').count()) === 3, 30_000);
    const rows = page.getByRole('table', { name: 'Backups and logs' }).getByRole('row');
    // Newest first: the second backup, then the first. (Three connection requests in all: the
    // stack's per-device limit lets three through at once.)
    await rows.nth(1).getByRole('checkbox').check();
    await rows.nth(2).getByRole('checkbox').check();
    await page.getByRole('button', { name: 'Compare selected' }).click();
    const diff = page.getByLabel('Differences', { exact: true });
    await diff.waitFor();
    const text = (await diff.textContent()) ?? '';
    expect(text).toContain(`-  <Parameter name="${PC}" type="xsd:string">first</Parameter>`);
    expect(text).toContain(`+  <Parameter name="${PC}" type="xsd:string">second</Parameter>`);
    await page.screenshot({ path: join(ARTIFACTS, 'device-backups.png'), fullPage: true });

    const [download] = await Promise.all([page.waitForEvent('download'), rows.nth(2).getByRole('button', { name: 'Download' }).click()]);
    const saved = await download.path();
    expect(readFileSync(saved!, 'utf8')).toContain(`>first</Parameter>`);

    await rows.nth(2).getByRole('button', { name: 'Restore' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Restore' }).click();
    await page.getByRole('status').filter({ hasText: 'Restore: done' }).waitFor({ timeout: 30_000 });
    expect(cpe.model.get(PC)?.value).toBe('first');
    expect(browser.errors).toEqual([]);
  });
});
