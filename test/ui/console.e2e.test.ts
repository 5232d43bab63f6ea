/**
 * The console end to end: Debian's Chromium (playwright-core) against a real NBI + CWMP server
 * on loopback with simulated CPEs. Sign in, overview live, find a device, change a value and see
 * it reach the CPE, see a CPE fault and retry it, bulk-tag a filter, export CSV, read-only
 * users cannot edit, keyboard and accessibility basics, tablet width. Screenshots land in
 * test-artifacts/ui/.
 *
 * Mandatory when CI=true; elsewhere skipped with one line when /usr/bin/chromium is missing.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeConsole, openConsole, SKIP_BROWSER, type ConsoleBrowser } from './browser.js';
import { ARTIFACTS, Fleet, until, type UiStack } from './helpers.js';

// Code passed to page.evaluate runs in the browser; this program has no DOM lib (and should
// not get one globally), so the few browser globals it names are declared here, untyped.
/* eslint-disable @typescript-eslint/no-explicit-any */
declare const document: any, history: any, sessionStorage: any, getComputedStyle: any, dispatchEvent: any, PopStateEvent: any, window: any;
type HTMLElement = any;
type HTMLInputElement = any;
/* eslint-enable @typescript-eslint/no-explicit-any */

describe.skipIf(SKIP_BROWSER)('console in Chromium', () => {
  let stack: UiStack;
  let fleet: Fleet;
  let browser: ConsoleBrowser;
  let page: Page;
  const ids = new Map<string, string>();

  const shot = (name: string, p: Page = page): Promise<Buffer> => p.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });

  async function signIn(p: Page, token: string): Promise<void> {
    await p.goto(`${stack.url}/`);
    await p.getByLabel('API token').fill(token);
    await p.getByRole('button', { name: 'Sign in' }).click();
    await p.getByRole('navigation', { name: 'Main' }).waitFor();
  }

  async function go(p: Page, path: string): Promise<void> {
    await p.evaluate((href) => {
      history.pushState(null, '', href);
      dispatchEvent(new PopStateEvent('popstate'));
    }, path);
  }

  beforeAll(async () => {
    ({ stack, fleet, browser, page } = await openConsole({ browser: { acceptDownloads: true, colorScheme: 'light' } }));
    for (const serial of ['UIA000001', 'UIA000002', 'UIA000003', 'UIA000004', 'UIB000001', 'UIB000002']) {
      ids.set(serial, (await fleet.add(serial)).id);
    }
  }, 120_000);

  afterAll(async () => {
    await closeConsole({ stack, fleet, browser });
  });

  it('refuses a bad token and signs in with a good one; the overview counts the fleet', async () => {
    await page.goto(`${stack.url}/`);
    await shot('01-sign-in');
    await page.getByLabel('API token').fill('not-a-valid-token-at-all');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('not valid');
    // One message: no "no longer accepted" notice beside the form's own error.
    expect(await page.locator('.signin .message-warn').count()).toBe(0);
    await signIn(page, stack.tokens.operator);
    await expect.poll(() => page.locator('.role-badge').textContent()).toContain('operator');
    const devices = page.getByRole('listitem').filter({ hasText: 'Devices' }).locator('.stat-value');
    await expect.poll(() => devices.textContent()).toBe('6');
    await expect.poll(() => page.locator('.live').textContent()).toContain('Live');
    expect(await page.evaluate(() => sessionStorage.getItem('flotilla.token'))).toBe(stack.tokens.operator);
    expect(page.url()).not.toContain(stack.tokens.operator);
    await shot('02-overview');
  });

  it('updates the overview live when a new CPE informs', async () => {
    await fleet.add('UIC000001');
    const devices = page.getByRole('listitem').filter({ hasText: 'Devices' }).locator('.stat-value');
    await expect.poll(() => devices.textContent(), { timeout: 10_000 }).toBe('7');
  });

  it('finds a device by serial number and opens its page', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Devices' }).click();
    // A trailing * matches the serial number's prefix, as the hint under the box says.
    await page.getByRole('searchbox', { name: 'Search' }).fill('UIA00000*');
    await page.getByRole('searchbox', { name: 'Search' }).press('Enter');
    await expect.poll(() => page.locator('table.table-devices tbody tr').filter({ hasText: 'UIA000003' }).count()).toBe(1);
    await expect.poll(() => page.locator('table.table-devices tbody tr').filter({ hasText: 'UIB' }).count()).toBe(0);
    expect(await page.locator('.hint').filter({ hasText: 'SIM00010*' }).count()).toBe(1);
    await page.getByRole('searchbox', { name: 'Search' }).fill('UIA000003');
    await expect.poll(() => page.locator('table.table-devices tbody tr').count()).toBe(1);
    await expect.poll(() => page.locator('.page-head').textContent()).toContain('1 device');
    await shot('03-devices-search');
    await page.getByRole('link', { name: ids.get('UIA000003')! }).click();
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe(ids.get('UIA000003'));
    await expect.poll(() => page.locator('.device-head .status').textContent()).toContain('online');
  });

  it('summons the device (connection request)', async () => {
    await page.getByRole('button', { name: 'Summon' }).click();
    await expect.poll(() => page.getByRole('status').filter({ hasText: 'connection request' }).textContent()).toContain('answered');
    // The device page's reachability card names the path that worked (no STUN binding: not behind a NAT here).
    const reach = page.getByRole('region', { name: 'Reachability' });
    await expect.poll(() => reach.textContent()).toContain('none');
    await page.reload();
    await expect.poll(() => page.getByRole('region', { name: 'Reachability' }).textContent()).toMatch(/Last path that worked\s*HTTP/);
  });

  it('runs a ping from the Diagnostics tab: the run completes in a later session and is charted', async () => {
    await page.getByRole('tab', { name: 'Diagnostics' }).click();
    await page.getByLabel('Diagnostic', { exact: true }).selectOption('ipPing');
    await page.getByLabel('Host', { exact: true }).fill('127.0.0.1');
    await page.getByRole('button', { name: 'Run' }).click();
    const row = page.locator('table[aria-label="Diagnostic runs"] tbody tr').first();
    await expect.poll(() => row.getAttribute('data-state'), { timeout: 20_000 }).toBe('complete');
    await expect.poll(() => row.textContent()).toMatch(/0% loss, avg [\d.]+ ms/);
    await expect.poll(() => page.locator('.timechart canvas').count()).toBeGreaterThan(0);
    await shot('04-device-diagnostics');
    await page.getByRole('tab', { name: 'Parameters' }).click();
  });

  it('checks a value against its type, then changes it and the CPE gets it', async () => {
    const cpe = fleet.cpes.get('UIA000003')!;
    await page.getByRole('searchbox', { name: 'Search parameters' }).fill('PeriodicInformInterval');
    await page.locator('[role=treeitem][data-path="Device.ManagementServer.PeriodicInformInterval"]').click();
    await page.getByRole('button', { name: 'Edit value' }).click();
    const input = page.getByLabel('New value (unsignedInt)');
    await input.fill('soon');
    await expect.poll(() => page.getByRole('dialog').getByRole('alert').textContent()).toContain('unsignedInt: a whole number is needed');
    await shot('04-edit-type-check');
    await page.getByRole('button', { name: 'Save and send' }).click();
    expect(await page.getByRole('dialog').isVisible()).toBe(true);
    await page.getByRole('button', { name: 'Cancel' }).click();
    // While the modal dialog is open the rest of the page is inert: typing there is lost.
    await page.getByRole('dialog').waitFor({ state: 'hidden' });

    const path = 'Device.WiFi.SSID.1.SSID';
    const search = page.getByRole('searchbox', { name: 'Search parameters' });
    await search.fill('SSID.1.SSID');
    expect(await search.inputValue()).toBe('SSID.1.SSID');
    await page.locator(`[role=treeitem][data-path="${path}"]`).click();
    await page.getByRole('button', { name: 'Edit value' }).click();
    await page.getByLabel('New value (string)').fill('flotilla-e2e');
    await page.getByRole('button', { name: 'Save and send' }).click();
    // Progress, then the outcome, in the activity panel.
    const job = page.locator('.job').filter({ hasText: `Set ${path} = flotilla-e2e` });
    await job.waitFor();
    await expect.poll(() => job.getAttribute('data-status'), { timeout: 20_000 }).toBe('done');
    await until(() => cpe.model.get(path)?.value === 'flotilla-e2e');
    await expect.poll(() => page.locator(`[role=treeitem][data-path="${path}"] .node-value`).textContent()).toBe('flotilla-e2e');
    await shot('05-value-changed');
    await page.getByRole('tab', { name: 'Tasks' }).click();
    await expect.poll(() => page.locator('tr[data-state=done]').filter({ hasText: path }).count()).toBe(1);
    // A done task's outcome is drawn as a success, never in the fault colour.
    expect(await page.locator('tr[data-state=done] td.fault-text').count()).toBe(0);
    await shot('06-device-tasks');
  });

  it("shows the CPE's fault code and text, and retries the faulted task", async () => {
    const id = ids.get('UIB000001')!;
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Devices' }).click();
    await page.getByRole('searchbox', { name: 'Search' }).fill('UIB000001');
    await expect.poll(() => page.locator('table.table-devices tbody tr').count()).toBe(1);
    await page.getByRole('checkbox', { name: `Select ${id}` }).check();
    await page.getByRole('button', { name: 'Set parameter…' }).click();
    const dialog = page.getByRole('dialog');
    await expect.poll(() => dialog.textContent()).toContain('the 1 selected device');
    await dialog.getByLabel('Parameter path').fill('Device.DeviceInfo.X_ACME_Rogue');
    await dialog.getByLabel('Value').fill('Rogue');
    await dialog.getByRole('button', { name: 'Apply to 1 device' }).click();
    const job = page.locator('.job').filter({ hasText: 'Set Device.DeviceInfo.X_ACME_Rogue = Rogue' });
    await expect.poll(() => job.getAttribute('data-status'), { timeout: 20_000 }).toBe('failed');
    // The API refuses values that break the data model (Manufacturer is read-only: 400), so the CPE
    // fault comes from a vendor path the ACS cannot check: SetParameterValues faults as a whole
    // (9003) with the reason per parameter (9005: no such parameter).
    await expect.poll(() => job.textContent()).toContain('9003');
    await expect.poll(() => job.textContent()).toContain('Device.DeviceInfo.X_ACME_Rogue: 9005');
    await page.getByRole('link', { name: id }).first().click();
    await page.getByRole('tab', { name: 'Faults' }).click();
    const fault = page.locator('.fault').first();
    await expect.poll(() => fault.locator('.fault-code').textContent()).toBe('9003');
    expect((await fault.locator('.fault-string').textContent())?.length).toBeGreaterThan(3);
    await expect.poll(() => fault.getByRole('table', { name: 'Per-parameter faults' }).textContent()).toContain('Device.DeviceInfo.X_ACME_Rogue9005');
    await shot('07-device-fault');
    await fault.getByRole('button', { name: 'Retry' }).click();
    const status = page.getByRole('status').filter({ hasText: 'queued again' });
    await expect.poll(() => status.textContent()).toContain('connection request: answered');
    // The retried task faults again on the CPE (the parameter does not exist): still one fault; a
    // retry starts the attempt count over (src/store rules), so it is attempt 1 of the new try.
    await expect.poll(() => page.locator('.fault').first().textContent(), { timeout: 20_000 }).toContain('attempt 1');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Faults' }).click();
    await expect.poll(() => page.getByRole('table', { name: 'Faults' }).textContent()).toContain('Device.DeviceInfo.X_ACME_Rogue: 9005');
    await shot('08-faults');
  });

  it('bulk-tags every device the filter matches, after a confirmation with the count', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Devices' }).click();
    await page.getByRole('searchbox', { name: 'Search' }).fill('UIA');
    await expect.poll(() => page.locator('table.table-devices tbody tr').count()).toBe(4);
    await page.getByRole('radio', { name: /All matching/ }).check();
    await page.getByRole('button', { name: 'Add tag…' }).click();
    const dialog = page.getByRole('dialog');
    await expect.poll(() => dialog.getByRole('heading').textContent()).toBe('Add tag: 4 devices');
    await expect.poll(() => dialog.textContent()).toContain('all 4 devices matching the filter');
    await dialog.getByLabel('Tag').fill('wave1');
    await shot('09-bulk-tag-confirm');
    await dialog.getByRole('button', { name: 'Apply to 4 devices' }).click();
    const job = page.locator('.job').filter({ hasText: 'Tag wave1 on 4 devices' });
    await expect.poll(() => job.getAttribute('data-status'), { timeout: 20_000 }).toBe('done');
    const tagged = (await stack.store.listDevices({ filters: [{ field: 'tag', op: 'eq', value: 'wave1' }], limit: 100 })).devices.map((d) => d.id).sort();
    expect(tagged).toEqual(['UIA000001', 'UIA000002', 'UIA000003', 'UIA000004'].map((s) => ids.get(s)!).sort());
    await page.getByRole('button', { name: 'Next page' }).waitFor();
    await page.getByRole('searchbox', { name: 'Search' }).fill('tag = wave1');
    await expect.poll(() => page.locator('table.table-devices tbody tr').count()).toBe(4);
    await expect.poll(() => page.locator('table.table-devices .badge').filter({ hasText: 'wave1' }).count()).toBe(4);
    await shot('10-bulk-tagged');
  });

  it('exports the filtered devices as CSV', async () => {
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export CSV' }).click()]);
    const file = await download.path();
    const lines = readFileSync(file, 'utf8').replace(/^\ufeff/, '').trim().split('\r\n');
    expect(lines[0]).toContain('Serial number');
    expect(lines).toHaveLength(5);
    expect(lines.slice(1).every((l) => l.includes('wave1'))).toBe(true);
  });

  it('offers read-only users no edit, bulk or device actions', async () => {
    const viewer = await browser.newTab();
    await signIn(viewer, stack.tokens.readOnly);
    await expect.poll(() => viewer.locator('.role-badge').textContent()).toContain('read-only');
    await go(viewer, '/devices');
    await expect.poll(() => viewer.locator('table.table-devices tbody tr').count()).toBe(7);
    expect(await viewer.getByRole('region', { name: 'Bulk actions' }).count()).toBe(0);
    expect(await viewer.getByRole('checkbox').count()).toBe(0);
    await shot('11-read-only-devices', viewer);
    await viewer.getByRole('link', { name: ids.get('UIA000001')! }).click();
    await viewer.getByRole('tree', { name: 'Parameters' }).waitFor();
    for (const name of ['Summon', 'Refresh all', 'Reboot…', 'Factory reset…', 'Delete device…', 'Add']) {
      expect(await viewer.getByRole('button', { name, exact: true }).count(), name).toBe(0);
    }
    await viewer.getByRole('searchbox', { name: 'Search parameters' }).fill('SSID.1.SSID');
    const item = viewer.locator('[role=treeitem][data-path="Device.WiFi.SSID.1.SSID"]');
    await item.click();
    await item.press('Enter');
    expect(await viewer.getByRole('button', { name: 'Edit value' }).count()).toBe(0);
    expect(await viewer.getByRole('dialog').count()).toBe(0);
    await viewer.getByRole('tab', { name: 'Faults' }).click();
    await viewer.getByRole('tabpanel').waitFor();
    expect(await viewer.getByRole('button', { name: 'Retry' }).count()).toBe(0);
    await shot('12-read-only-device', viewer);
    // The API agrees: what the console does not offer, the token may not do.
    const r = await fetch(`${stack.url}/api/v1/devices/${encodeURIComponent(ids.get('UIA000001')!)}/tags`, {
      method: 'POST',
      headers: { authorization: `Bearer ${stack.tokens.readOnly}`, 'content-type': 'application/json' },
      body: JSON.stringify({ add: ['x'] }),
    });
    expect(r.status).toBe(403);
    await viewer.close();
  });

  it('lets an admin create a token (shown once, and it works), see when tokens were last used, and revoke one', async () => {
    const admin = await browser.newTab();
    await signIn(admin, stack.tokens.admin);
    await admin.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Tokens' }).click();
    const table = admin.getByRole('table', { name: 'API tokens' });
    await table.waitFor();
    // The admin's own token has been used (this sign-in); the read-only one was used above.
    await admin.getByRole('button', { name: 'New token' }).click();
    const dialog = admin.getByRole('dialog', { name: 'New API token' });
    await dialog.getByRole('button', { name: 'Create' }).click();
    await dialog.getByText('A name of 1 to 128 characters').waitFor();
    await dialog.getByLabel('Name', { exact: true }).fill('ui-billing-sync');
    await dialog.getByLabel('Role').selectOption('operator');
    await dialog.getByRole('button', { name: 'Create' }).click();
    const secret = (await admin.getByTestId('new-token').textContent())!.trim();
    expect(secret).toMatch(/^flt_/);
    const row = table.getByRole('row').filter({ hasText: 'ui-billing-sync' });
    await expect.poll(() => row.textContent()).toContain('never');
    expect(await row.textContent()).toContain('operator');
    // The new token works on the API, and the page then says it was used.
    const use = await fetch(`${stack.url}/api/v1/devices?limit=1`, { headers: { authorization: `Bearer ${secret}` } });
    expect(use.status).toBe(200);
    await admin.getByRole('button', { name: 'Done' }).click();
    expect(await admin.content()).not.toContain(secret);
    await expect
      .poll(async () => {
        await go(admin, '/overview');
        await go(admin, '/tokens');
        await table.waitFor();
        return row.textContent();
      })
      .not.toContain('never');
    await shot('13-tokens', admin);
    await row.getByRole('button', { name: 'Revoke ui-billing-sync' }).click();
    await admin.getByRole('dialog', { name: 'Revoke token' }).getByRole('button', { name: 'Revoke' }).click();
    await admin.getByText('Revoked ui-billing-sync').waitFor();
    await expect.poll(() => row.count()).toBe(0);
    await expect.poll(async () => (await fetch(`${stack.url}/api/v1/devices?limit=1`, { headers: { authorization: `Bearer ${secret}` } })).status).toBe(401);
    // Operators see no Tokens page in the menu.
    expect(await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Tokens' }).count()).toBe(0);
    await admin.close();
  });

  it('works from the keyboard, labels every control and keeps AA contrast in light and dark', async () => {
    await go(page, `/devices/${encodeURIComponent(ids.get('UIA000002')!)}`);
    const tree = page.getByRole('tree', { name: 'Parameters' });
    await tree.waitFor();
    // Tab into the tree, walk it with the arrow keys.
    await page.getByRole('searchbox', { name: 'Search parameters' }).focus();
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-path'))).toBe('Device.');
    // Down through the root's children (in path order: the model's tables come and go) to DeviceInfo.
    const active = (): Promise<string | null | undefined> => page.evaluate(() => document.activeElement?.getAttribute('data-path'));
    const seen: (string | null | undefined)[] = [];
    for (let i = 0; i < 12 && (seen.at(-1) ?? '') !== 'Device.DeviceInfo.'; i++) {
      await page.keyboard.press('ArrowDown');
      seen.push(await active());
    }
    expect(seen.at(-1)).toBe('Device.DeviceInfo.');
    await page.keyboard.press('ArrowRight');
    await expect.poll(() => page.locator('[data-path="Device.DeviceInfo."]').getAttribute('aria-expanded')).toBe('true');
    await page.keyboard.press('ArrowRight');
    expect(await page.evaluate(() => document.activeElement?.getAttribute('aria-level'))).toBe('3');
    await page.keyboard.press('ArrowLeft');
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-path'))).toBe('Device.DeviceInfo.');
    // Focus is visible.
    const outline = await page.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle);
    expect(outline).not.toBe('none');

    const unlabelled = (): Promise<string[]> =>
      page.evaluate(() => {
        const named = (el: HTMLElement): boolean => {
          if (el.getAttribute('aria-label')?.trim()) return true;
          const by = el.getAttribute('aria-labelledby');
          if (by && by.split(/\s+/).some((id: string) => document.getElementById(id)?.textContent?.trim())) return true;
          const labels = (el as HTMLInputElement).labels;
          if (labels && [...labels].some((l) => l.textContent?.trim())) return true;
          if (el.tagName === 'BUTTON' && el.textContent?.trim()) return true;
          return !!el.getAttribute('title')?.trim();
        };
        return ([...document.querySelectorAll('input, select, textarea, button, [role=tab], [role=treeitem]')] as HTMLElement[])
          .filter((el: HTMLElement) => el.offsetParent !== null && !named(el) && el.getAttribute('role') !== 'treeitem')
          .map((el: HTMLElement) => el.outerHTML.slice(0, 120) as string);
      });
    for (const path of ['/', '/devices', `/devices/${encodeURIComponent(ids.get('UIA000002')!)}`, '/faults']) {
      await go(page, path);
      await page.waitForTimeout(400);
      expect(await unlabelled(), path).toEqual([]);
    }

    const contrast = (): Promise<{ text: number; muted: number; link: number; button: number }> =>
      page.evaluate(() => {
        const rgb = (c: string): number[] => (c.match(/[\d.]+/g) ?? []).slice(0, 3).map(Number);
        const lum = (c: string): number => {
          const [r, g, b] = rgb(c).map((v) => {
            const s = v / 255;
            return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
          });
          return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
        };
        const ratio = (a: string, b: string): number => {
          const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p);
          return (x! + 0.05) / (y! + 0.05);
        };
        const css = getComputedStyle(document.documentElement);
        const v = (n: string): string => {
          const probe = document.createElement('span');
          probe.style.color = css.getPropertyValue(n);
          document.body.append(probe);
          const c = getComputedStyle(probe).color;
          probe.remove();
          return c;
        };
        const bg = getComputedStyle(document.body).backgroundColor;
        return {
          text: ratio(getComputedStyle(document.body).color, bg),
          muted: ratio(v('--muted'), v('--bg-2')),
          link: ratio(v('--accent'), bg),
          button: ratio(v('--accent-fg'), v('--accent')),
        };
      });
    for (const scheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      const c = await contrast();
      for (const [what, ratio] of Object.entries(c)) expect(ratio, `${scheme} ${what}`).toBeGreaterThanOrEqual(4.5);
    }
    await go(page, '/');
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.waitForTimeout(300);
    await shot('13-overview-dark');
    await page.emulateMedia({ colorScheme: 'light' });
  });

  it('is usable at tablet width', async () => {
    const tablet = await browser.newTab();
    await tablet.setViewportSize({ width: 820, height: 1180 });
    await signIn(tablet, stack.tokens.operator);
    await shot('14-tablet-overview', tablet);
    await go(tablet, `/devices/${encodeURIComponent(ids.get('UIA000003')!)}`);
    await tablet.getByRole('tree', { name: 'Parameters' }).waitFor();
    // Nothing wider than the screen except the scrollable tables.
    const overflow = await tablet.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await shot('15-tablet-device', tablet);
    await go(tablet, '/devices');
    await tablet.locator('table.table-devices tbody tr').first().waitFor();
    await shot('16-tablet-devices', tablet);
    await tablet.close();
    expect(browser.errors).toEqual([]);
  });
});
