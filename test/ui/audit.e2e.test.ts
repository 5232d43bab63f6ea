/**
 * The audit log's console page in Chromium (issue 10): an admin sees who changed what, filters
 * by actor, action (a prefix with *) and time, opens an entry's before/after (secrets masked),
 * and exports the filtered entries as CSV; non-admins have no such page. Entries are made
 * through the API (real requests, a failed sign-in); the console reads them through the API.
 * Mandatory when CI=true; elsewhere skipped with one line when /usr/bin/chromium is missing.
 */
import { readFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBrowser, SKIP_BROWSER, type ConsoleBrowser } from './browser.js';
import { ensureConsoleBuilt, startUiStack, type UiStack } from './helpers.js';

const HOOK_SECRET = 'audit-page-hook-secret-123';

describe.skipIf(SKIP_BROWSER)('console: audit log', () => {
  let stack: UiStack;
  let browser: ConsoleBrowser;
  let page: Page;

  const api = (method: string, path: string, token: string, body?: unknown): Promise<Response> =>
    fetch(`${stack.url}/api/v1${path}`, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });

  beforeAll(async () => {
    ensureConsoleBuilt();
    stack = await startUiStack();
    // Some history: an admin's changes, an operator's refused one, a failed sign-in.
    expect((await api('POST', '/webhooks', stack.tokens.admin, { url: 'http://127.0.0.1:9/hook', secret: HOOK_SECRET })).status).toBe(201);
    expect((await api('POST', '/tokens', stack.tokens.admin, { name: 'audit-page-bot', role: 'read-only' })).status).toBe(201);
    expect((await api('POST', '/tokens', stack.tokens.operator, { name: 'not-allowed', role: 'admin' })).status).toBe(403);
    expect((await fetch(`${stack.url}/api/v1/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'mallory', password: 'guessing-passwords' }) })).status).toBe(401);
    browser = await openBrowser({ acceptDownloads: true });
    page = await browser.newTab();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.close();
  });

  const signIn = async (token: string): Promise<void> => {
    page = await browser.signIn(stack.url, token, page);
  };

  const rows = (): Promise<string[]> => page.getByRole('table', { name: 'Audit entries' }).locator('tbody tr').allTextContents();

  it('lists entries newest first; filters by actor, action prefix and time; shows before/after masked', async () => {
    await signIn(stack.tokens.admin);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Audit' }).click();
    await page.getByRole('heading', { name: 'Audit log' }).waitFor();
    await expect.poll(async () => (await rows()).length).toBe(4);
    const all = await rows();
    expect(all[0]).toContain('sign-in-failed');
    expect(all[0]).toContain('mallory');
    expect(all[1]).toMatch(/POST \/tokens.*403/);
    expect(all[3]).toContain('POST /webhooks');

    await page.getByLabel('Actor').fill('mallory');
    await page.getByRole('button', { name: 'Filter' }).click();
    await expect.poll(async () => (await rows()).length).toBe(1);
    await page.getByLabel('Actor').fill('');
    await page.getByLabel('Action').fill('POST /tokens*');
    await page.getByRole('button', { name: 'Filter' }).click();
    await expect.poll(async () => (await rows()).length).toBe(2);
    expect((await rows()).every((r) => r.includes('POST /tokens'))).toBe(true);

    // A window in the future holds nothing.
    await page.getByLabel('Action').fill('');
    await page.getByLabel('From').fill('2099-01-01T00:00');
    await page.getByRole('button', { name: 'Filter' }).click();
    await expect.poll(async () => (await rows()).join('')).toContain('No entries match');
    await page.getByRole('button', { name: 'Clear' }).click();
    await expect.poll(async () => (await rows()).length).toBe(4);

    // The webhook's entry: its secret masked in what the page shows.
    await page.getByRole('table', { name: 'Audit entries' }).locator('tbody tr').nth(3).getByRole('button', { name: 'Details' }).click();
    const detail = page.locator('.audit-detail');
    await detail.waitFor();
    expect(await detail.textContent()).toContain('http://127.0.0.1:9/hook');
    expect(await detail.textContent()).not.toContain(HOOK_SECRET);
  });

  it('exports the filtered entries as CSV; other roles have no audit page', async () => {
    await page.getByLabel('Action').fill('sign-in*');
    await page.getByRole('button', { name: 'Filter' }).click();
    await expect.poll(async () => (await rows()).length).toBe(1);
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export CSV' }).click()]);
    expect(download.suggestedFilename()).toBe('flotilla-audit.csv');
    const csv = readFileSync((await download.path())!, 'utf8').trim().split('\n');
    expect(csv[0]).toContain('actor_name');
    expect(csv).toHaveLength(2);
    expect(csv[1]).toContain('mallory');
    expect(csv[1]).not.toContain('guessing-passwords');

    await signIn(stack.tokens.operator);
    expect(await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Audit' }).count()).toBe(0);
    await page.goto(`${stack.url}/audit`);
    await expect.poll(() => page.locator('main').textContent()).toMatch(/FORBIDDEN|admin/);
    expect(browser.errors).toEqual([]);
  });
});
