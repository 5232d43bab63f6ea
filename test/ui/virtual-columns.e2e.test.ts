/**
 * The device list's column picker lists the virtual parameters (GET /virtual-parameters), and
 * a virtual parameter picked as a column shows each device's computed value, in Chromium.
 * Mandatory when CI=true; elsewhere skipped with one line when /usr/bin/chromium is missing.
 */
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeConsole, openConsole, SKIP_BROWSER, type ConsoleBrowser } from './browser.js';
import { ARTIFACTS, Fleet, type UiStack } from './helpers.js';

describe.skipIf(SKIP_BROWSER)('console: virtual parameters as device list columns', () => {
  let stack: UiStack;
  let fleet: Fleet;
  let browser: ConsoleBrowser;
  let page: Page;
  let ip = '';

  beforeAll(async () => {
    ({ stack, fleet, browser, page } = await openConsole({ browser: { viewport: { width: 1280, height: 860 } } }));
    const res = await fetch(`${stack.url}/api/v1/virtual-parameters`, {
      method: 'POST',
      headers: { authorization: `Bearer ${stack.tokens.admin}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'WanIp', description: 'the WAN address', read: 'return param("Device.IP.Interface.1.IPv4Address.1.IPAddress")' }),
    });
    expect(res.status).toBe(201);
    const { cpe, id } = await fleet.add('UIVP0001');
    ip = cpe.model.get('Device.IP.Interface.1.IPv4Address.1.IPAddress')!.value;
    // The ACS reloads its policy set on the change event; should the first session have come
    // before that, the next one computes the value (no memo yet: the device is evaluated).
    const computed = async (): Promise<boolean> => {
      const r = await stack.store.readParameters(id, ['VirtualParameters.WanIp']);
      return r.some((p) => p.value === ip);
    };
    for (let i = 0; i < 5 && !(await computed()); i++) {
      const before = fleet.sessions.length;
      cpe.inform('2 PERIODIC');
      while (fleet.sessions.length === before) await new Promise((r) => setTimeout(r, 20));
    }
    expect(await computed()).toBe(true);
  }, 120_000);

  afterAll(async () => {
    await closeConsole({ stack, fleet, browser });
  });

  it('the picker lists VirtualParameters.WanIp; picked, the column shows the computed address', async () => {
    await page.goto(`${stack.url}/`);
    await page.getByLabel('API token').fill(stack.tokens.operator);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Devices' }).click();
    await page.getByRole('button', { name: 'Columns' }).click();
    const dialog = page.getByRole('dialog');
    const group = dialog.getByRole('group', { name: 'Virtual parameters' });
    await group.waitFor();
    const box = group.getByRole('checkbox', { name: 'VirtualParameters.WanIp' });
    expect(await box.isChecked()).toBe(false);
    await box.check();
    await dialog.getByRole('button', { name: 'Apply' }).click();
    await expect.poll(async () => page.getByRole('table').textContent(), { timeout: 10_000 }).toContain(ip);
    await page.screenshot({ path: join(ARTIFACTS, 'virtual-columns.png') });
    expect(browser.errors).toEqual([]);
  });
});
