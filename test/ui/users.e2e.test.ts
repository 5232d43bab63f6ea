/**
 * People signing in to the console in Chromium (issue 10): name and password, the session in
 * an HttpOnly cookie the page cannot read, a reload keeps it, changes carry the CSRF token
 * (making a token from the console works), sign-out ends it on the server; a wrong password
 * shows one message; a TOTP account asks for its code. API tokens still sign in.
 * Mandatory when CI=true; elsewhere skipped with one line when Chromium is missing.
 */
import { generate } from 'otplib';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBrowser, SKIP_BROWSER, type ConsoleBrowser } from './browser.js';
import { ensureConsoleBuilt, startUiStack, type UiStack } from './helpers.js';

const PASSWORD = 'console user password';

describe.skipIf(SKIP_BROWSER)('console: users sign in', () => {
  let stack: UiStack;
  let browser: ConsoleBrowser;
  let page: Page;

  beforeAll(async () => {
    ensureConsoleBuilt();
    stack = await startUiStack();
    await stack.nbi.services.users.create({ name: 'olivia', role: 'admin', password: PASSWORD });
    await stack.nbi.services.users.create({ name: 'tom', role: 'read-only', password: PASSWORD });
    browser = await openBrowser();
    page = await browser.newTab();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.close();
  });

  async function fillUser(name: string, password: string): Promise<void> {
    await page.getByLabel('Name', { exact: true }).fill(name);
    await page.getByLabel('Password', { exact: true }).fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
  }

  it('a wrong password gets one message; the right one signs in with an HttpOnly cookie that survives a reload', async () => {
    await page.goto(`${stack.url}/`);
    await fillUser('olivia', 'not her password');
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('not right');
    await fillUser('olivia', PASSWORD);
    await page.getByRole('navigation', { name: 'Main' }).waitFor();
    await expect.poll(() => page.locator('.role-badge').textContent()).toContain('admin');
    expect(await page.locator('.user-name').textContent()).toBe('olivia');
    // The page cannot read the session; nothing of it is stored where scripts reach.
    expect(await page.evaluate<string>('document.cookie')).not.toContain('flotilla_session');
    expect(await page.evaluate<string | null>("sessionStorage.getItem('flotilla.token')")).toBeNull();
    const cookie = (await browser.ctx.cookies(stack.url)).find((c) => c.name === 'flotilla_session');
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict' });
    await expect.poll(() => page.locator('.live').textContent()).toContain('Live'); // the event stream with the cookie
    await page.reload();
    await page.getByRole('navigation', { name: 'Main' }).waitFor();
    expect(await page.locator('.user-name').textContent()).toBe('olivia');
  });

  it('a change from the console carries the CSRF token (a new API token is made); sign-out ends the session', async () => {
    await page.goto(`${stack.url}/tokens`);
    await page.getByRole('button', { name: 'New token' }).click();
    await page.getByRole('dialog').getByLabel('Name').fill('made-by-olivia');
    await page.getByRole('dialog').getByRole('button', { name: 'Create' }).click();
    await expect.poll(() => page.getByTestId('new-token').textContent()).toMatch(/^flt_/);
    const audit = await stack.store.listAudit({ limit: 50, action: 'POST /tokens' });
    expect(audit.entries[0]).toMatchObject({ actor: { kind: 'user', name: 'olivia' }, status: 201 });
    const before = (await browser.ctx.cookies(stack.url)).find((c) => c.name === 'flotilla_session')!.value;
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('API token').waitFor();
    // The old cookie no longer opens anything on the server.
    const r = await fetch(`${stack.url}/api/v1/devices`, { headers: { cookie: `flotilla_session=${before}` } });
    expect(r.status).toBe(401);
    await page.reload();
    await page.getByLabel('API token').waitFor();
  });

  it('an account with TOTP asks for its code; a read-only user sees a read-only console; a token still signs in', async () => {
    // Tom turns TOTP on through the API with his own session.
    const signIn = await fetch(`${stack.url}/api/v1/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'tom', password: PASSWORD }) });
    const cookie = /flotilla_session=[^;]+/.exec(signIn.headers.get('set-cookie')!)![0];
    const { csrfToken } = (await signIn.json()) as { csrfToken: string };
    const headers = { cookie, 'x-csrf-token': csrfToken, 'content-type': 'application/json' };
    const { secret } = (await (await fetch(`${stack.url}/api/v1/session/totp`, { method: 'POST', headers, body: '{}' })).json()) as { secret: string };
    const code0 = await generate({ secret, epoch: Math.floor(Date.now() / 1000) - 30 });
    expect((await fetch(`${stack.url}/api/v1/session/totp/confirm`, { method: 'POST', headers, body: JSON.stringify({ totp: code0 }) })).status).toBe(204);

    await fillUser('tom', PASSWORD);
    await page.getByLabel('Authenticator code').waitFor();
    await page.getByLabel('Authenticator code').fill(await generate({ secret }));
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('navigation', { name: 'Main' }).waitFor();
    await expect.poll(() => page.locator('.role-badge').textContent()).toContain('read-only');
    expect(await page.getByRole('navigation', { name: 'Main' }).getByText('Tokens').count()).toBe(0);
    await page.getByRole('button', { name: 'Sign out' }).click();

    await page.getByLabel('API token').fill(stack.tokens.operator);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('navigation', { name: 'Main' }).waitFor();
    await expect.poll(() => page.locator('.role-badge').textContent()).toContain('operator');
    expect(browser.errors).toEqual([]);
  });
});
