/**
 * A scoped user in the console (issue 10: tenants, regions), in Chromium: a user whose role is
 * scoped to a tag signs in with name and password; the overview loads without an error and
 * counts only the devices, faults and alarms of the scope; the device list shows only them,
 * even when searched for another device. Mandatory when CI=true; elsewhere skipped with one
 * line when Chromium is missing.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeConsole, openConsole, SKIP_BROWSER, type ConsoleBrowser } from './browser.js';
import { Fleet, type UiStack } from './helpers.js';

const PASSWORD = 'north region password';

describe.skipIf(SKIP_BROWSER)('console: a user scoped to part of the fleet', () => {
  let stack: UiStack;
  let fleet: Fleet;
  let browser: ConsoleBrowser;
  let page: Page;
  let north = '';
  let south = '';

  beforeAll(async () => {
    ({ stack, fleet, browser, page } = await openConsole());
    north = (await fleet.add('SCN000001')).id;
    south = (await fleet.add('SCS000001')).id;
    await fleet.add('SCS000002');
    await stack.store.setTags(north, ['north'], []);
    // Alarms on both sides: the scoped overview counts only its own.
    await stack.store.raiseAlarm({ ruleId: 'builtin-offline', deviceId: north, severity: 'minor', text: 'offline', at: Date.now() });
    await stack.store.raiseAlarm({ ruleId: 'builtin-offline', deviceId: south, severity: 'critical', text: 'offline', at: Date.now() });
    await stack.nbi.services.users.create({ name: 'nora', role: 'operator', password: PASSWORD, scope: { tag: 'north' } });
  }, 120_000);

  afterAll(async () => {
    await closeConsole({ stack, fleet, browser });
  });

  it('signs in; the overview loads without error and counts only the devices and alarms in scope', async () => {
    await page.goto(`${stack.url}/`);
    await page.getByLabel('Name', { exact: true }).fill('nora');
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('navigation', { name: 'Main' }).waitFor();
    await expect.poll(() => page.locator('.user-name').textContent()).toBe('nora');
    expect(await page.locator('.role-badge').textContent()).toContain('scoped');
    // Fleet-wide configuration is not offered (the API would answer 403).
    const nav = page.getByRole('navigation', { name: 'Main' });
    expect(await nav.getByRole('link').allTextContents()).toEqual(['Overview', 'Devices', 'Faults', 'Alarms']);
    const stat = (label: string) => page.getByRole('listitem').filter({ hasText: label }).first().locator('.stat-value');
    await expect.poll(() => stat('Devices').textContent()).toBe('1');
    const alarms = page.getByRole('list', { name: 'Active alarms' });
    await expect.poll(() => alarms.getByRole('listitem').filter({ hasText: 'minor alarms' }).locator('.stat-value').textContent()).toBe('1');
    expect(await alarms.getByRole('listitem').filter({ hasText: 'critical alarms' }).locator('.stat-value').textContent()).toBe('0');
    // No refusal shown anywhere on the page (a fleet-wide call answered 403 would say so).
    expect(await page.locator('.message-error, [role=alert]').count()).toBe(0);
    await expect.poll(() => page.locator('.live').textContent()).toContain('Live');
    // The alarms page lists only the alarm in scope.
    await nav.getByRole('link', { name: 'Alarms' }).click();
    const rows = page.getByRole('table', { name: 'Alarms' }).locator('tbody tr');
    await expect.poll(() => rows.count()).toBe(1);
    expect(await rows.first().textContent()).toContain('SCN000001');
    expect(await page.locator('.message-error, [role=alert]').count()).toBe(0);
    expect(browser.errors).toEqual([]);
  });

  it('the device list shows only the device in scope, whatever is searched', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Devices' }).click();
    await expect.poll(() => page.locator('table.table-devices tbody tr').count()).toBe(1);
    expect(await page.locator('table.table-devices tbody tr').first().textContent()).toContain('SCN000001');
    // The device in scope opens with its tabs, and nothing on it is refused.
    await page.getByRole('link', { name: north }).click();
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe(north);
    await expect.poll(() => page.locator('.device-head .status').textContent()).toContain('online');
    expect(await page.locator('.message-error, [role=alert]').count()).toBe(0);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Devices' }).click();
    await expect.poll(() => page.locator('table.table-devices tbody tr').count()).toBe(1);
    await page.getByRole('searchbox', { name: 'Search' }).fill('SCS*');
    await page.getByRole('searchbox', { name: 'Search' }).press('Enter');
    await expect.poll(() => page.locator('.page-head').textContent()).toContain('0 devices');
    expect(await page.locator('table.table-devices tbody tr').filter({ hasText: 'SCS' }).count()).toBe(0);
    // A device out of scope, opened by its address, is not there.
    await page.goto(`${stack.url}/devices/${encodeURIComponent(south)}`);
    await expect.poll(() => page.locator('main').textContent()).toMatch(/No device/);
    expect(browser.errors).toEqual([]);
  });
});
