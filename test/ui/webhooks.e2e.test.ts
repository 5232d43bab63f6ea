/**
 * The console's webhooks page in Chromium, against a real ACS and NBI, a simulated CPE and a
 * real HTTP receiver on loopback: an admin's malformed webhooks refused beside the form with
 * nothing saved; one created with two event types, its secret shown once — and the deliveries
 * the receiver gets are signed with exactly that secret; its deliveries listed as delivered; a
 * tag-scoped one shown with its scope and deleted. An admin scoped to a tag sees only her
 * scope's webhooks and makes webhooks of it without being asked. An operator has no Webhooks
 * link and the page says why. Each step checked through the API or the store, not only on
 * screen. Mandatory when CI=true; elsewhere skipped with one line when Chromium is missing.
 */
import { createHmac } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeConsole, openConsole, SKIP_BROWSER, type ConsoleBrowser } from './browser.js';
import { ARTIFACTS, Fleet, type UiStack } from './helpers.js';

interface Received {
  headers: http.IncomingHttpHeaders;
  body: string;
}

describe.skipIf(SKIP_BROWSER)('console: webhooks', () => {
  let stack: UiStack;
  let fleet: Fleet;
  let browser: ConsoleBrowser;
  let page: Page;
  let receiver: http.Server;
  let hookUrl = '';
  const received: Received[] = [];

  beforeAll(async () => {
    ({ stack, fleet, browser, page } = await openConsole());
    receiver = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/flotilla`;
  }, 120_000);

  afterAll(async () => {
    await closeConsole({ stack, fleet, browser });
    await new Promise((r) => receiver?.close(r));
  });

  const listed = async (): Promise<{ id: string; url: string; events: string[]; scope: unknown }[]> => {
    const r = await fetch(`${stack.url}/api/v1/webhooks`, { headers: { authorization: `Bearer ${stack.tokens.admin}` } });
    expect(r.status).toBe(200);
    return ((await r.json()) as { webhooks: { id: string; url: string; events: string[]; scope: unknown }[] }).webhooks;
  };

  it('refuses malformed webhooks, creates one whose shown secret signs the deliveries, lists them, deletes a scoped one', async () => {
    page = await browser.signIn(stack.url, stack.tokens.admin, page);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Webhooks' }).click();
    await page.getByText('No webhooks yet').waitFor();

    // Malformed: refused beside the form, nothing saved.
    await page.getByRole('button', { name: 'New webhook' }).click();
    const dialog = page.getByRole('dialog', { name: 'New webhook' });
    await dialog.getByLabel('URL').fill('ftp://oss.example.net/hook');
    await dialog.getByRole('button', { name: 'Create webhook' }).click();
    await expect.poll(() => dialog.getByRole('alert').textContent()).toContain('url: an http:// or https:// URL');
    await dialog.getByLabel('URL').fill(hookUrl);
    await dialog.getByLabel('Signing secret').fill('too short');
    await dialog.getByRole('button', { name: 'Create webhook' }).click();
    await expect.poll(() => dialog.getByRole('alert').textContent()).toContain('secret: 16 to 256 characters');
    expect(await stack.store.listWebhooks()).toEqual([]);

    // A good one: two event types, the secret generated and shown once.
    await dialog.getByLabel('Signing secret').fill('');
    await dialog.getByLabel('device.inform').check();
    await dialog.getByLabel('device.registered').check();
    await dialog.getByRole('button', { name: 'Create webhook' }).click();
    const shown = page.getByTestId('new-webhook-secret');
    await shown.waitFor();
    const secret = (await shown.textContent()) ?? '';
    expect(secret).toMatch(/^[A-Za-z0-9_-]{40,}$/);
    const [hook] = await listed();
    expect(hook).toMatchObject({ url: hookUrl, events: ['device.registered', 'device.inform'], scope: null });
    const row = page.getByRole('table', { name: 'Webhooks' }).locator(`tr[data-webhook="${hook!.id}"]`);
    expect(await row.textContent()).toMatch(/device\.registered, device\.inform.*whole fleet/);
    // The secret is in no answer of the API and nowhere else on the page once dismissed.
    expect(JSON.stringify(await listed())).not.toContain(secret);
    await page.getByRole('button', { name: 'Done' }).click();
    expect(await page.content()).not.toContain(secret);

    // A CPE's first session: the receiver gets both events, signed with the secret shown.
    const { id } = await fleet.add('UIWHK001');
    const types = (): string[] => [...new Set(received.map((r) => JSON.parse(r.body).type as string))].sort();
    await expect.poll(types, { timeout: 30_000 }).toEqual(['device.inform', 'device.registered']);
    expect(received.length).toBeGreaterThanOrEqual(2);
    for (const r of received) {
      const expected = `sha256=${createHmac('sha256', secret).update(`${String(r.headers['x-flotilla-timestamp'])}.${r.body}`).digest('hex')}`;
      expect(r.headers['x-flotilla-signature']).toBe(expected);
      expect(JSON.parse(r.body).deviceId).toBe(id);
    }

    // Its deliveries, as the receiver acknowledged them.
    await row.getByRole('button', { name: `Deliveries to ${hookUrl}` }).click();
    const deliveries = page.getByRole('region', { name: `Deliveries to ${hookUrl}` });
    const table = deliveries.getByRole('table');
    await expect
      .poll(async () => {
        await deliveries.getByRole('button', { name: 'Refresh' }).click();
        return (await table.locator('tbody tr').allTextContents()).join('\n');
      }, { timeout: 30_000 })
      .toMatch(/device\.inform.*delivered/);
    // One delivery per event the receiver got (a later session may add more meanwhile).
    expect(await table.locator('tbody tr').count()).toBeGreaterThanOrEqual(2);
    expect(await table.locator('tbody tr').count()).toBe(await table.getByRole('link', { name: id }).count());
    expect(await table.locator('tbody tr', { hasText: 'device.registered' }).count()).toBe(1);
    await page.screenshot({ path: join(ARTIFACTS, 'webhooks.png'), fullPage: true });
    await deliveries.getByLabel('State').selectOption('failed');
    await deliveries.getByText('No deliveries failed').waitFor();

    // A tag-scoped one, shown with its scope, then deleted.
    await page.getByRole('button', { name: 'New webhook' }).click();
    await dialog.getByLabel('URL').fill(`${hookUrl}/lab`);
    await dialog.getByLabel('Only devices with the tag').fill('lab');
    await dialog.getByRole('button', { name: 'Create webhook' }).click();
    await page.getByTestId('new-webhook-secret').waitFor();
    const scoped = (await listed()).find((w) => w.url === `${hookUrl}/lab`);
    expect(scoped).toMatchObject({ events: [], scope: { tag: 'lab' } });
    const scopedRow = page.locator(`tr[data-webhook="${scoped!.id}"]`);
    expect(await scopedRow.textContent()).toMatch(/all events.*tag lab/);
    await scopedRow.getByRole('button', { name: `Delete the webhook to ${hookUrl}/lab` }).click();
    await page.getByRole('dialog', { name: 'Delete webhook' }).getByRole('button', { name: 'Delete' }).click();
    await page.getByText(`Deleted the webhook to ${hookUrl}/lab`).waitFor();
    expect((await listed()).map((w) => w.url)).toEqual([hookUrl]);
  }, 120_000);

  it("an admin scoped to a tag sees and makes only webhooks of that scope; the form asks for none", async () => {
    const password = 'north region admin password';
    await stack.nbi.services.users.create({ name: 'ada', role: 'admin', password, scope: { tag: 'north' } });
    const tab = await browser.newTab();
    await tab.goto(`${stack.url}/`);
    await tab.getByLabel('Name', { exact: true }).fill('ada');
    await tab.getByLabel('Password', { exact: true }).fill(password);
    await tab.getByRole('button', { name: 'Sign in' }).click();
    try {
      await scopedAdmin(tab);
    } finally {
      // Her session is a cookie of the browser: signing out leaves the next test a signed-out
      // tab (also when an assertion above failed, so that one failure stays one).
      await tab.getByRole('button', { name: 'Sign out' }).click();
      await tab.getByLabel('Name', { exact: true }).waitFor();
      await tab.close();
    }
  }, 60_000);

  async function scopedAdmin(tab: Awaited<ReturnType<typeof browser.newTab>>): Promise<void> {
    await tab.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Webhooks' }).click();
    // The whole-fleet webhook made above is not hers to see.
    await tab.getByText('No webhooks yet').waitFor();
    await tab.getByRole('button', { name: 'New webhook' }).click();
    const dialog = tab.getByRole('dialog', { name: 'New webhook' });
    await dialog.getByText('the webhook gets the same scope').waitFor();
    expect(await dialog.getByLabel('Only devices with the tag').count()).toBe(0);
    await dialog.getByLabel('URL').fill(`${hookUrl}/north`);
    await dialog.getByRole('button', { name: 'Create webhook' }).click();
    await tab.getByTestId('new-webhook-secret').waitFor();
    const north = (await listed()).find((w) => w.url === `${hookUrl}/north`);
    expect(north).toMatchObject({ events: [], scope: { tag: 'north' } });
    // The list is fetched again after the create: its row, once there, is the only one.
    const rows = tab.getByRole('table', { name: 'Webhooks' }).locator('tbody tr');
    await rows.filter({ hasText: `${hookUrl}/north` }).waitFor();
    expect(await rows.count()).toBe(1);
    expect(await rows.first().textContent()).toContain('tag north');
    expect(browser.errors).toEqual([]);
  }

  it('an operator has no Webhooks link, and the page says who manages them', async () => {
    const op = await browser.signIn(stack.url, stack.tokens.operator);
    await op.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Devices' }).waitFor();
    expect(await op.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Webhooks' }).count()).toBe(0);
    await op.goto(`${stack.url}/webhooks`);
    await op.getByText('Only admins manage webhooks.').waitFor();
    await op.close();
  }, 60_000);
});
