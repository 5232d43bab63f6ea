/**
 * The console's quirk profiles in Chromium, against a real ACS and NBI with a simulated CPE:
 * the shipped profiles listed; an operator's profile created in the form, a bad one refused with
 * the API's message and nothing saved, edited in the JSON view, a shipped one overridden and
 * restored, the device page linking to the profile it applies, and the profile deleted — each
 * step checked through the API (GET /devices/{id}/quirks). A read-only token sees no edit
 * controls. Mandatory when CI=true; elsewhere skipped with one line when Chromium is missing.
 */
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { learntId } from '../../src/datamodel/quirks.js';
import { closeConsole, openConsole, SKIP_BROWSER, type ConsoleBrowser } from './browser.js';
import { ARTIFACTS, Fleet, type UiStack } from './helpers.js';

interface Applied {
  oui: string;
  productClass: string;
  softwareVersion: string | null;
  settings: Record<string, unknown>;
  profiles: string[];
}

describe.skipIf(SKIP_BROWSER)('console: quirk profiles', () => {
  let stack: UiStack;
  let fleet: Fleet;
  let browser: ConsoleBrowser;
  let page: Page;
  let id = '';

  beforeAll(async () => {
    ({ stack, fleet, browser, page } = await openConsole());
    id = (await fleet.add('UIQRK001')).id;
  }, 120_000);

  afterAll(async () => {
    await closeConsole({ stack, fleet, browser });
  });

  /** What the device's sessions apply, as the API says (not the console). */
  const applied = async (): Promise<Applied> => {
    const r = await fetch(`${stack.url}/api/v1/devices/${encodeURIComponent(id)}/quirks`, { headers: { authorization: `Bearer ${stack.tokens.readOnly}` } });
    expect(r.status).toBe(200);
    return (await r.json()) as Applied;
  };

  it('lists shipped profiles; creates, refuses, edits, overrides and deletes; the device links to its profile', async () => {
    const before = await applied();
    expect(before.profiles).toEqual([]);
    page = await browser.signIn(stack.url, stack.tokens.operator, page);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Quirks' }).click();
    const table = page.getByRole('table', { name: 'Quirk profiles' });
    await table.waitFor();
    const thomson = table.locator('tr[data-profile="shipped:thomson-speedtouch-780"]');
    expect(await thomson.textContent()).toMatch(/Thomson SpeedTouch 780.*shipped.*OUI 00147F, ProductClass SpeedTouch 780.*maxGetNames: 64/);
    expect(await table.locator('tbody tr').count()).toBe(3);
    // The evidence that made us ship it.
    await thomson.getByText('2 pieces').click();
    expect(await thomson.getByRole('list').textContent()).toContain('fixtures/thomson-speedtouch-780/Inform.xml');

    // A bad profile: the API's message beside the form, nothing saved.
    await page.getByRole('button', { name: 'New profile' }).click();
    const editor = page.getByRole('region', { name: 'Quirk profile editor' });
    await editor.getByLabel('Name', { exact: true }).fill('lab routers');
    await editor.getByLabel('ProductClass', { exact: true }).fill(before.productClass);
    await editor.getByLabel('Most names per GetParameterValues').fill('0');
    await editor.getByRole('button', { name: 'Create profile' }).click();
    const problem = editor.getByTestId('quirk-problem');
    await expect.poll(() => problem.textContent()).toContain('settings.maxGetNames: an integer from 1 to 100000');
    expect(await stack.store.listQuirkProfiles()).toEqual([]);
    await editor.getByLabel('OUI', { exact: true }).fill('xyz');
    await editor.getByLabel('Most names per GetParameterValues').fill('32');
    await editor.getByRole('button', { name: 'Create profile' }).click();
    await expect.poll(() => problem.textContent()).toContain('match.oui: 6 hex digits');
    expect(await stack.store.listQuirkProfiles()).toEqual([]);

    // Fixed: created, and the device's sessions apply it.
    await editor.getByLabel('OUI', { exact: true }).fill('');
    await editor.getByLabel('xsi:type on every SetParameterValues value').selectOption('true');
    await editor.getByRole('button', { name: 'Create profile' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved lab routers.' }).waitFor();
    const stored = await stack.store.listQuirkProfiles();
    expect(stored).toHaveLength(1);
    const pid = stored[0]!.id;
    const row = table.locator(`tr[data-profile="${pid}"]`);
    expect(await row.textContent()).toMatch(/lab routers.*operator.*ProductClass .*maxGetNames: 32, xsiType: true/);
    expect(await applied()).toMatchObject({ settings: { maxGetNames: 32, xsiType: true }, profiles: [pid] });

    // Edited in the JSON view: an unknown member is refused with the API's words, then a good edit.
    await row.getByRole('button', { name: 'Edit' }).click();
    await editor.getByRole('tab', { name: 'JSON' }).click();
    const json = editor.getByLabel('Profile JSON');
    expect(JSON.parse(await json.inputValue())).toEqual({ name: 'lab routers', match: { productClass: before.productClass }, settings: { maxGetNames: 32, xsiType: true }, enabled: true });
    await json.fill(JSON.stringify({ name: 'lab routers', match: { productClass: before.productClass }, settings: { maxGetNames: 16, teleport: true } }));
    await editor.getByRole('button', { name: 'Save profile' }).click();
    await expect.poll(() => problem.textContent()).toContain('settings: unknown member "teleport"');
    expect((await applied()).settings).toEqual({ maxGetNames: 32, xsiType: true });
    await json.fill(JSON.stringify({ name: 'lab routers v2', match: { productClass: before.productClass }, settings: { maxGetNames: 16, booleans: 'words' } }));
    // The form shows what the JSON says.
    await editor.getByRole('tab', { name: 'Form' }).click();
    expect(await editor.getByLabel('Most names per GetParameterValues').inputValue()).toBe('16');
    expect(await editor.getByLabel('Booleans written as').inputValue()).toBe('words');
    await editor.getByRole('button', { name: 'Save profile' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved lab routers v2.' }).waitFor();
    expect(await applied()).toMatchObject({ settings: { maxGetNames: 16, booleans: 'words' }, profiles: [pid] });

    // The device page's quirk panel links to the profile it applies.
    await page.goto(`${stack.url}/devices/${encodeURIComponent(id)}?tab=conformance`);
    const quirks = page.getByTestId('quirks');
    await expect.poll(() => quirks.textContent()).toContain('maxGetNames: 16');
    await quirks.getByRole('link', { name: pid }).click();
    const marked = page.locator('tr[aria-current="true"]');
    await marked.waitFor();
    expect(await marked.getAttribute('data-profile')).toBe(pid);

    // A shipped profile overridden (switched off here), then restored.
    await thomson.getByRole('button', { name: 'Override' }).click();
    expect(await editor.getByLabel('OUI', { exact: true }).inputValue()).toBe('00147F');
    await editor.getByLabel('Enabled').uncheck();
    await editor.getByRole('button', { name: 'Save override' }).click();
    await expect.poll(() => thomson.textContent()).toMatch(/disabled.*operator.*overrides shipped/);
    expect((await stack.store.listQuirkProfiles()).map((p) => p.id).sort()).toEqual([pid, 'shipped:thomson-speedtouch-780'].sort());
    await thomson.getByRole('button', { name: 'Restore shipped' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Restore shipped' }).click();
    // Waits for the override to go ("shipped" is in the override's row too).
    await expect.poll(() => thomson.textContent()).not.toContain('overrides');
    expect(await thomson.textContent()).toMatch(/shipped/);
    expect(await thomson.getByRole('button', { name: 'Override' }).count()).toBe(1);

    await page.screenshot({ path: join(ARTIFACTS, 'quirks.png'), fullPage: true });
    // Deleted: the device applies nothing again.
    await row.getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete' }).click();
    await expect.poll(() => row.count()).toBe(0);
    expect(await stack.store.listQuirkProfiles()).toEqual([]);
    expect(await applied()).toMatchObject({ settings: {}, profiles: [] });
    expect(browser.errors).toEqual([]);
  });

  it('a read-only token reads profiles and sees no edit controls', async () => {
    page = await browser.signIn(stack.url, stack.tokens.readOnly, page);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Quirks' }).click();
    const table = page.getByRole('table', { name: 'Quirk profiles' });
    await table.waitFor();
    await expect.poll(() => table.locator('tbody tr').count()).toBe(3);
    await page.getByTestId('quirks-read-only').waitFor();
    for (const name of ['New profile', 'Edit', 'Override', 'Disable', 'Delete', 'Restore shipped']) expect(await page.getByRole('button', { name }).count(), name).toBe(0);
    expect(await page.getByRole('region', { name: 'Quirk profile editor' }).count()).toBe(0);
    expect(browser.errors).toEqual([]);
  });

  it('a learnt profile shows its evidence; an operator disables it, and the device stops applying it', async () => {
    const who = await applied();
    const lid = learntId(who);
    const at = Date.now() - 60_000;
    await stack.store.putQuirkProfile({
      id: lid,
      name: `learnt: ${who.productClass}`,
      source: 'learnt',
      match: { oui: who.oui, productClass: who.productClass },
      settings: { maxGetNames: 20 },
      evidence: [{ at, what: '9002 answering a GetParameterValues of 40 names', deviceId: id }],
      enabled: true,
      createdAt: at,
      updatedAt: at,
    });
    expect(await applied()).toMatchObject({ settings: { maxGetNames: 20 }, profiles: [lid] });
    page = await browser.signIn(stack.url, stack.tokens.operator, page);
    await page.goto(`${stack.url}/quirks?profile=${encodeURIComponent(lid)}`);
    const row = page.locator(`tr[data-profile="${lid}"]`);
    await row.waitFor();
    expect(await row.getAttribute('aria-current')).toBe('true');
    expect(await row.textContent()).toMatch(/learnt.*maxGetNames: 20/);
    // The evidence of the marked profile is open, with a link to the device it was seen on.
    const evidence = row.getByRole('list', { name: /Evidence for/ });
    expect(await evidence.textContent()).toContain('9002 answering a GetParameterValues of 40 names');
    expect(await evidence.getByRole('link', { name: id }).getAttribute('href')).toBe(`/devices/${encodeURIComponent(id)}?tab=conformance`);
    await row.getByRole('button', { name: 'Disable' }).click();
    await expect.poll(() => row.textContent()).toMatch(/disabled.*operator.*overrides learnt/);
    expect(await stack.store.listQuirkProfiles()).toMatchObject([{ id: lid, source: 'operator', enabled: false, evidence: [{ what: '9002 answering a GetParameterValues of 40 names' }] }]);
    expect(await applied()).toMatchObject({ settings: {}, profiles: [] });
    // Deleting the override lets learning start afresh: nothing of it is left.
    await row.getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete' }).click();
    await expect.poll(() => row.count()).toBe(0);
    expect(await stack.store.listQuirkProfiles()).toEqual([]);
    expect(browser.errors).toEqual([]);
  });
});
