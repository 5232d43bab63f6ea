/**
 * The console's alarms in Chromium: counts by severity on the overview, the alarms page with
 * its filters, acknowledge (operators only) and history, and a device's KPI chart (uPlot).
 * Alarms and samples are put in the store directly; the console sees them through the API only.
 * Mandatory when CI=true; elsewhere skipped with one line when /usr/bin/chromium is missing.
 */
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeConsole, openConsole, SKIP_BROWSER, type ConsoleBrowser } from './browser.js';
import { ARTIFACTS, Fleet, type UiStack } from './helpers.js';

const CPU = 'Device.DeviceInfo.ProcessStatus.CPUUsage';
const BYTES = 'Device.IP.Interface.1.Stats.BytesReceived';

describe.skipIf(SKIP_BROWSER)('console: alarms and KPIs', () => {
  let stack: UiStack;
  let fleet: Fleet;
  let browser: ConsoleBrowser;
  let page: Page;
  let id = '';
  let critical = '';

  beforeAll(async () => {
    ({ stack, fleet, browser, page } = await openConsole({ browser: { viewport: { width: 1280, height: 860 } } }));
    id = (await fleet.add('UIALM001')).id;
    const now = Date.now();
    await stack.store.appendSamples([
      ...[20, 35, 97].map((v, i) => ({ deviceId: id, path: CPU, at: now - (3 - i) * 60_000, value: String(v), source: 'sample' as const })),
      ...[1000, 61000, 181000].map((v, i) => ({ deviceId: id, path: BYTES, at: now - (3 - i) * 60_000, value: String(v), counter: true, source: 'sample' as const })),
    ]);
    critical = (await stack.store.raiseAlarm({ ruleId: 'builtin-cpu', deviceId: id, severity: 'critical', text: `${CPU} = 97 for 12 min`, at: now - 1000 })).alarm.id;
    await stack.store.raiseAlarm({ ruleId: 'builtin-boots', deviceId: id, severity: 'minor', text: '4 × device.booted within 1.0 h', at: now - 500 });
  }, 120_000);

  afterAll(async () => {
    await closeConsole({ stack, fleet, browser });
  });

  const signIn = async (token: string): Promise<void> => {
    page = await browser.signIn(stack.url, token, page);
  };

  it('overview counts by severity; the list filters, shows history, and an operator acknowledges', async () => {
    await signIn(stack.tokens.operator);
    const overview = page.getByRole('list', { name: 'Active alarms' });
    await overview.waitFor();
    await expect.poll(async () => overview.textContent()).toMatch(/critical alarms\s*1/);
    expect(await overview.textContent()).toMatch(/minor alarms\s*1/);

    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Alarms' }).click();
    const table = page.getByRole('table', { name: 'Alarms' });
    await table.waitFor();
    await expect.poll(async () => table.locator('tbody tr').count()).toBe(2);
    await page.getByRole('combobox', { name: 'Severity' }).selectOption('critical');
    await expect.poll(async () => table.locator('tbody tr').count()).toBe(1);
    const row = table.locator(`tr[data-alarm="${critical}"]`);
    expect(await row.textContent()).toContain('= 97');
    await row.getByRole('button', { name: 'Acknowledge' }).click();
    await expect.poll(async () => row.textContent()).toContain('acknowledged');
    expect(await row.getByRole('button', { name: 'Acknowledge' }).count()).toBe(0);
    expect((await stack.store.getAlarm(critical))?.acknowledgedAt).not.toBeNull();
    await row.getByRole('button', { name: 'History' }).click();
    const history = page.getByRole('list', { name: /History of/ });
    await history.waitFor();
    expect(await history.textContent()).toMatch(/raised[\s\S]*acknowledged/);
    await page.screenshot({ path: join(ARTIFACTS, 'alarms.png'), fullPage: true });
    expect(browser.errors).toEqual([]);
  });

  it('a read-only viewer sees alarms but cannot acknowledge', async () => {
    await signIn(stack.tokens.readOnly);
    await page.goto(`${stack.url}/alarms`);
    const table = page.getByRole('table', { name: 'Alarms' });
    await table.waitFor();
    await expect.poll(async () => table.locator('tbody tr').count()).toBe(2);
    expect(await table.getByRole('button', { name: 'Acknowledge' }).count()).toBe(0);
  });

  it("charts a device's KPIs: values, and counters as rates", async () => {
    await page.goto(`${stack.url}/devices/${encodeURIComponent(id)}?tab=kpis`);
    const select = page.getByLabel('KPI parameter');
    await select.waitFor();
    expect(await select.locator('option').allTextContents()).toEqual([CPU, BYTES]);
    await page.locator('.timechart canvas, .uplot canvas').first().waitFor();
    await expect.poll(async () => page.getByTestId('kpi-summary').textContent()).toMatch(/3 samples · latest 97/);
    await select.selectOption(BYTES);
    // 61000 → 181000 in a minute: 2000 per second.
    await expect.poll(async () => page.getByTestId('kpi-summary').textContent()).toMatch(/latest 181000 \(2000\.0\/s\)/);
    await page.screenshot({ path: join(ARTIFACTS, 'device-kpis.png'), fullPage: true });
    expect(browser.errors).toEqual([]);
  });
});
