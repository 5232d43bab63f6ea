/**
 * The console's policies in Chromium: create one in the form with a dry run first, change it
 * (a new revision), roll back from the history, read it in the JSON view, see a bad definition
 * refused with its position, and follow a device's standing on its Policies tab (a conflict
 * with a lower-priority policy, then compliant after a session). An operator reads and is told
 * why it cannot change anything; an operator granted `provision` writes, signed in with a token
 * or as a user; a grant taken away after sign-in gets a 403 that says what is needed.
 * Mandatory when CI=true; elsewhere skipped with one line without Chromium.
 */
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueToken } from '../../src/auth/tokens.js';
import { closeConsole, openConsole, SKIP_BROWSER, type ConsoleBrowser } from './browser.js';
import { ARTIFACTS, Fleet, until, type UiStack } from './helpers.js';

const NTP = 'Device.Time.NTPServer1';

describe.skipIf(SKIP_BROWSER)('console: policies', () => {
  let stack: UiStack;
  let fleet: Fleet;
  let browser: ConsoleBrowser;
  let page: Page;
  const ids: string[] = [];

  beforeAll(async () => {
    ({ stack, fleet, browser, page } = await openConsole({ browser: { viewport: { width: 1280, height: 900 } } }));
    for (const serial of ['UIPOL001', 'UIPOL002']) ids.push((await fleet.add(serial)).id);
  }, 120_000);

  afterAll(async () => {
    if (page && browser && browser.errors.length > 0) await page.screenshot({ path: join(ARTIFACTS, 'policies-errors.png') }).catch(() => undefined);
    await closeConsole({ stack, fleet, browser });
  });

  async function signIn(token: string): Promise<void> {
    await page.close();
    page = await browser.newTab();
    await page.goto(`${stack.url}/`);
    await page.getByLabel('API token').fill(token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('navigation', { name: 'Main' }).waitFor();
  }

  const api = async (method: string, path: string, body?: unknown) => {
    const r = await fetch(`${stack.url}/api/v1${path}`, { method, headers: { authorization: `Bearer ${stack.tokens.admin}`, 'content-type': 'application/json' }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
    return { status: r.status, body: (await r.json().catch(() => null)) as Record<string, unknown> };
  };

  it('an admin creates a policy after a dry run, changes it, and rolls back from the history', async () => {
    await signIn(stack.tokens.admin);
    await page.getByRole('link', { name: 'Policies' }).click();
    await page.getByText('No policies yet.').waitFor();
    await page.getByRole('button', { name: 'New policy' }).click();
    await page.getByRole('heading', { name: 'New policy' }).waitFor();
    const create = page.getByRole('button', { name: 'Create policy' });
    expect(await create.isDisabled(), 'saving waits for a dry run').toBe(true);
    await page.getByLabel('Name').fill('NTP for everyone');
    await page.getByLabel('Priority').fill('10');
    await page.getByRole('button', { name: 'Add a value' }).click();
    await page.getByLabel('Parameter 1').fill(NTP);
    await page.getByLabel('Value 1').fill('ntp.example.net');
    await page.getByRole('button', { name: 'Preview' }).click();
    const summary = page.getByRole('region', { name: 'Dry run' }).getByRole('status');
    await expect.poll(() => summary.textContent()).toMatch(/^2 matching devices; 2 would change; 0 conflicts/);
    const table = page.getByRole('table', { name: 'What each device would receive' });
    expect(await table.textContent()).toContain(`${NTP} = ntp.example.net`);
    // Nothing is saved by a dry run.
    expect((await api('GET', '/policies')).body.policies).toEqual([]);
    await create.click();
    await page.getByRole('heading', { name: 'NTP for everyone' }).waitFor();
    const [stored] = (await api('GET', '/policies')).body.policies as { id: string; revision: number; declarations: unknown[]; priority: number }[];
    expect(stored).toMatchObject({ revision: 1, priority: 10, declarations: [{ path: NTP, value: 'ntp.example.net' }] });
    expect(page.url()).toContain(`/policies/${stored!.id}`);

    // A change is a new revision; the history rolls back to the first.
    await page.getByLabel('Value 1').fill('ntp2.example.net');
    await page.getByRole('button', { name: 'Preview' }).click();
    await expect.poll(() => page.getByRole('region', { name: 'Dry run' }).getByRole('status').textContent()).toMatch(/2 would change/);
    await page.getByRole('button', { name: 'Save as a new revision' }).click();
    const history = page.getByRole('list', { name: 'Revision history' });
    await expect.poll(async () => history.getByRole('listitem').count()).toBe(2);
    expect((await api('GET', `/policies/${stored!.id}`)).body).toMatchObject({ revision: 2, declarations: [{ value: 'ntp2.example.net' }] });
    await history.getByRole('button', { name: 'Roll back to 1' }).click();
    await expect.poll(async () => history.getByRole('listitem').count()).toBe(3);
    expect((await api('GET', `/policies/${stored!.id}`)).body).toMatchObject({ revision: 3, declarations: [{ value: 'ntp.example.net' }] });
    await expect.poll(() => page.getByLabel('Value 1').inputValue()).toBe('ntp.example.net');
  });

  it('the JSON view edits the whole definition, and a bad one is refused with its position', async () => {
    const [policy] = (await api('GET', '/policies')).body.policies as { id: string }[];
    await page.goto(`${stack.url}/policies/${policy!.id}`);
    await page.getByRole('tab', { name: 'JSON' }).click();
    const json = page.getByLabel('Policy JSON');
    const text = JSON.parse(await json.inputValue()) as Record<string, unknown>;
    expect(text).toMatchObject({ name: 'NTP for everyone', priority: 10, declarations: [{ path: NTP, value: 'ntp.example.net' }] });
    expect(text).not.toHaveProperty('id');
    await json.fill('{ "name": "x", ');
    await page.getByRole('button', { name: 'Preview' }).click();
    await expect.poll(() => page.getByRole('alert').first().textContent()).toMatch(/^JSON: /);
    await json.fill(JSON.stringify({ ...text, triggers: ['3 SOMETHING'] }));
    await page.getByRole('button', { name: 'Preview' }).click();
    await expect.poll(() => page.getByRole('alert').first().textContent()).toMatch(/triggers\[0\].*unknown trigger "3 SOMETHING"/);
    expect((await api('GET', `/policies/${policy!.id}`)).body.revision).toBe(3);
  });

  it("a device's Policies tab shows the conflict and what would change, then compliance after a session", async () => {
    const [winner] = (await api('GET', '/policies')).body.policies as { id: string }[];
    const loser = (await api('POST', '/policies', { name: 'Old NTP', priority: 1, declarations: [{ path: NTP, value: 'old.example.net' }] })).body as { id: string };
    await page.goto(`${stack.url}/devices/${encodeURIComponent(ids[0]!)}?tab=policies`);
    const pending = page.getByRole('list', { name: 'Pending changes' });
    await pending.waitFor();
    expect(await pending.textContent()).toContain(`${NTP} = ntp.example.net`);
    expect(await page.getByRole('list', { name: 'Conflicts' }).textContent()).toMatch(/NTP for everyone wins with "ntp\.example\.net" over Old NTP \("old\.example\.net"\)/);

    // A session applies it: compliant, nothing left to change.
    fleet.cpes.get('UIPOL001')!.connectionRequest();
    await until(async () => ((await api('GET', `/devices/${encodeURIComponent(ids[0]!)}/policies`)).body.compliance as { policyId: string; state: string }[]).some((c) => c.policyId === winner!.id && c.state === 'compliant'));
    expect(fleet.cpes.get('UIPOL001')!.model.get(NTP)?.value).toBe('ntp.example.net');
    await page.reload();
    const rows = page.getByRole('table', { name: 'Policy compliance' });
    await rows.waitFor();
    expect(await rows.locator(`tr[data-policy="${winner!.id}"]`).textContent()).toContain('compliant');
    await expect.poll(() => page.getByRole('status').filter({ hasText: 'Nothing' }).count()).toBe(1);
    await api('DELETE', `/policies/${loser.id}`);
  });

  it('an operator reads policies but cannot change them', async () => {
    await signIn(stack.tokens.operator);
    await page.getByRole('link', { name: 'Policies' }).click();
    const table = page.getByRole('table', { name: 'Policies' });
    await table.waitFor();
    expect(await table.textContent()).toContain('NTP for everyone');
    expect(await page.getByRole('button', { name: 'New policy' }).count()).toBe(0);
    await table.getByRole('link', { name: 'NTP for everyone' }).click();
    await page.getByRole('list', { name: 'Revision history' }).waitFor();
    expect(await page.getByRole('button', { name: /Save|Roll back|Delete/ }).count()).toBe(0);
    expect(await page.getByLabel('Value 1').getAttribute('readonly')).not.toBeNull();
    // Told why, on the list and on the policy.
    expect(await page.getByRole('note').textContent()).toContain('needs the admin role, or the operator role with the provision capability');
    expect(browser.errors).toEqual([]);
  });

  it('an operator with the provision capability changes a policy', async () => {
    const { token } = await issueToken(stack.store, 'ui provisioner', 'operator', Date.now(), null, ['provision']);
    await signIn(token);
    await expect.poll(() => page.locator('.role-badge').textContent()).toContain('operator + provision');
    await page.getByRole('link', { name: 'Policies' }).click();
    await page.getByRole('button', { name: 'New policy' }).waitFor();
    expect(await page.getByRole('note').count()).toBe(0);
    await page.getByRole('table', { name: 'Policies' }).getByRole('link', { name: 'NTP for everyone' }).click();
    await page.getByLabel('Value 1').fill('ntp3.example.net');
    await page.getByRole('button', { name: 'Preview' }).click();
    await expect.poll(() => page.getByRole('region', { name: 'Dry run' }).getByRole('status').textContent()).toMatch(/would change/);
    await page.getByRole('button', { name: 'Save as a new revision' }).click();
    const history = page.getByRole('list', { name: 'Revision history' });
    await expect.poll(async () => history.getByRole('listitem').count()).toBe(4);
    const [policy] = (await api('GET', '/policies')).body.policies as { id: string; revision: number; author: string; declarations: { value: string }[] }[];
    expect(policy).toMatchObject({ revision: 4, author: 'ui provisioner', declarations: [{ value: 'ntp3.example.net' }] });
    expect(await history.textContent()).toContain('revision 4 by ui provisioner');
    expect(browser.errors).toEqual([]);
  });

  it('a user whose grant is taken away after sign-in is told, on saving, what the change needs', async () => {
    const password = 'a long enough password';
    const made = await api('POST', '/users', { name: 'prov-olga', role: 'operator', password, capabilities: ['provision'] });
    expect(made.status).toBe(201);
    await page.close();
    page = await browser.newTab();
    await page.goto(`${stack.url}/`);
    await page.getByLabel('Name', { exact: true }).fill('prov-olga');
    await page.getByLabel('Password', { exact: true }).fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('navigation', { name: 'Main' }).waitFor();
    const [policy] = (await api('GET', '/policies')).body.policies as { id: string }[];
    await page.goto(`${stack.url}/policies/${policy!.id}`);
    await page.getByLabel('Value 1').fill('ntp4.example.net');
    await page.getByRole('button', { name: 'Preview' }).click();
    await expect.poll(() => page.getByRole('region', { name: 'Dry run' }).getByRole('status').textContent()).toMatch(/would change/);
    // An administrator takes the grant away while the page is open.
    expect((await api('PATCH', `/users/${made.body.id as string}`, { capabilities: [] })).status).toBe(200);
    await page.getByRole('button', { name: 'Save as a new revision' }).click();
    await expect.poll(() => page.getByRole('alert').first().textContent()).toMatch(/You may not change policies\. Changing policies needs the admin role, or the operator role with the provision capability.*FORBIDDEN/);
    expect((await api('GET', `/policies/${policy!.id}`)).body.revision).toBe(4);
    // Signed in again, the page no longer offers the change.
    await page.reload();
    await page.getByRole('note').waitFor();
    expect(await page.getByRole('button', { name: /Save|Roll back|Delete/ }).count()).toBe(0);
    expect(browser.errors).toEqual([]);
  });
});
