/**
 * The subscriber pages in Chromium: an operator creates a subscriber with Wi-Fi and a serial
 * to claim, the device connects and gets its Wi-Fi, the help desk finds the subscriber by the
 * serial, changes the Wi-Fi password with one click and sees the outcome; the templates page
 * lists the shipped templates; a subscriber's own token signs in to the self-service page at
 * phone width, renames the Wi-Fi and sees nothing of the operator console.
 *
 * Mandatory when CI=true; elsewhere skipped with one line when /usr/bin/chromium is missing.
 */
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeConsole, openConsole, SKIP_BROWSER, type ConsoleBrowser } from './browser.js';
import { ARTIFACTS, Fleet, until, type UiStack } from './helpers.js';

describe.skipIf(SKIP_BROWSER)('subscriber pages in Chromium', () => {
  let stack: UiStack;
  let fleet: Fleet;
  let browser: ConsoleBrowser;
  let page: Page;
  const api = async (method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> => { // eslint-disable-line @typescript-eslint/no-explicit-any
    const r = await fetch(`${stack.url}/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${stack.tokens.admin}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await r.text();
    return { status: r.status, body: text ? JSON.parse(text) : undefined };
  };

  beforeAll(async () => {
    ({ stack, fleet, browser, page } = await openConsole({ browser: { viewport: { width: 1280, height: 860 }, colorScheme: 'light' } }));
  }, 120_000);

  afterAll(async () => {
    await closeConsole({ stack, fleet, browser });
  });

  it('creates a subscriber, the device is claimed and configured, the help desk finds it and changes the Wi-Fi password', async () => {
    await page.goto(`${stack.url}/`);
    await page.getByLabel('API token').fill(stack.tokens.operator);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Subscribers' }).click();
    const form = page.getByRole('form', { name: 'New subscriber' });
    await form.getByLabel('External id').fill('CRM-UI-1');
    await form.getByLabel('Name', { exact: true }).fill('Greta Imhof');
    await form.getByLabel('Phone').fill('+41 31 555 00 11');
    await form.getByLabel('Wi-Fi name (SSID)').fill('Imhof');
    await form.getByLabel('Wi-Fi passphrase').fill('imhof-pass-1');
    await form.getByLabel('Device serial number').fill('UISUB0001');
    await form.getByRole('button', { name: 'Create' }).click();
    await page.getByRole('heading', { name: 'Greta Imhof' }).waitFor();
    await page.getByText('Waiting for the device with serial', { exact: false }).first().waitFor();

    const { cpe } = await fleet.add('UISUB0001');
    await until(() => cpe.model.get('Device.WiFi.SSID.1.SSID')?.value === 'Imhof');

    // The help desk: search by the device's serial.
    await page.getByRole('link', { name: 'Subscribers' }).click();
    await page.getByLabel('Find a subscriber').fill('UISUB0001');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByRole('table', { name: 'Subscribers' }).getByRole('link', { name: 'Greta Imhof' }).click();
    const device = page.getByLabel('Device UISUB0001');
    await device.waitFor();
    await expect(device.getByRole('list', { name: 'Service status' }).textContent()).resolves.toContain('applied');
    // The passphrase is never shown.
    expect(await page.content()).not.toContain('imhof-pass-1');
    await page.getByLabel('New Wi-Fi password').fill('imhof-pass-2');
    await page.getByRole('button', { name: 'Change', exact: true }).click();
    await page.getByText('Change the Wi-Fi password: done.').waitFor();
    await until(() => cpe.model.get('Device.WiFi.AccessPoint.1.Security.KeyPassphrase')?.value === 'imhof-pass-2');
    await page.screenshot({ path: join(ARTIFACTS, 'subscriber-helpdesk.png'), fullPage: true });

    await page.getByRole('link', { name: 'Templates' }).click();
    const templates = page.getByRole('table', { name: 'Service templates' });
    await templates.waitFor();
    for (const id of ['wifi', 'internet-pppoe', 'voip-sip', 'iptv', 'management-server']) await expect(templates.getByText(id, { exact: true }).count()).resolves.toBe(1);
    expect(browser.errors).toEqual([]);
  });

  it('signs a subscriber in to the self-service page at phone width, and nothing else', async () => {
    const list = await api('GET', '/subscribers?search=CRM-UI-1');
    const id = list.body.subscribers[0].id as string;
    const tok = await api('POST', `/subscribers/${id}/tokens`, { name: 'phone' });
    expect(tok.status).toBe(201);
    const phone = await browser.newTab();
    await phone.setViewportSize({ width: 390, height: 844 });
    await phone.goto(`${stack.url}/`);
    await phone.getByLabel('API token').fill(tok.body.token);
    await phone.getByRole('button', { name: 'Sign in' }).click();
    await phone.getByRole('heading', { name: 'Hello, Greta Imhof' }).waitFor();
    expect(await phone.getByRole('navigation', { name: 'Main' }).count()).toBe(0);
    const wifi = phone.getByRole('form', { name: 'Wi-Fi' });
    await wifi.getByLabel('Wi-Fi name').fill('Imhof-5');
    await wifi.getByRole('button', { name: 'Save' }).click();
    await phone.getByText('Your Wi-Fi settings are saved').waitFor();
    const cpe = fleet.cpes.get('UISUB0001')!;
    await until(() => cpe.model.get('Device.WiFi.SSID.1.SSID')?.value === 'Imhof-5');
    // Nothing of the page overflows the phone's width.
    const overflow = await phone.evaluate(() => (globalThis as any).document.documentElement.scrollWidth); // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(overflow).toBeLessThanOrEqual(390);
    await phone.screenshot({ path: join(ARTIFACTS, 'self-service-phone.png'), fullPage: true });
    await phone.close();
    expect(browser.errors).toEqual([]);
  });
});
