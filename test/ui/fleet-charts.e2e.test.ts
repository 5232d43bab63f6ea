/**
 * The overview's fleet charts in Chromium: sessions per minute (live, from the event stream)
 * and one KPI across the devices a filter matches (the series aggregate API per bucket, uPlot).
 * Samples are put in the store directly; the console sees them through the API only.
 * Mandatory when CI=true; elsewhere skipped with one line when /usr/bin/chromium is missing.
 */
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeConsole, openConsole, SKIP_BROWSER, type ConsoleBrowser } from './browser.js';
import { ARTIFACTS, Fleet, type UiStack } from './helpers.js';

const CPU = 'Device.DeviceInfo.ProcessStatus.CPUUsage';
const BYTES = 'Device.IP.Interface.1.Stats.BytesReceived';

describe.skipIf(SKIP_BROWSER)('console: fleet charts on the overview', () => {
  let stack: UiStack;
  let fleet: Fleet;
  let browser: ConsoleBrowser;
  let page: Page;
  const ids: string[] = [];

  beforeAll(async () => {
    ({ stack, fleet, browser, page } = await openConsole({ browser: { viewport: { width: 1280, height: 1400 } } }));
    ids.push((await fleet.add('UIFLT001')).id, (await fleet.add('UIFLT002')).id);
    const now = Date.now();
    // CPU: device 1 at 10, 20, 30; device 2 at 70, 80, 90 (minutes apart, within the last hour).
    await stack.store.appendSamples(
      ids.flatMap((id, d) => [0, 1, 2].map((i) => ({ deviceId: id, path: CPU, at: now - (40 - i * 10) * 60_000, value: String(d * 60 + (i + 1) * 10), source: 'sample' as const }))),
    );
    // A counter: charted as its rate (1000 per second between the two samples).
    await stack.store.appendSamples(
      [0, 1].map((i) => ({ deviceId: ids[0]!, path: BYTES, at: now - (20 - i * 10) * 60_000, value: String(i * 600_000), counter: true, source: 'bulk' as const })),
    );
    await page.goto(`${stack.url}/`);
    await page.getByLabel('API token').fill(stack.tokens.readOnly);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('navigation', { name: 'Main' }).waitFor();
  }, 120_000);

  afterAll(async () => {
    await closeConsole({ stack, fleet, browser });
  });

  async function chart(path: string, filter: string, stat: string): Promise<string> {
    const form = page.getByRole('form', { name: 'Fleet KPI' });
    await form.getByLabel('KPI parameter').fill(path);
    await form.getByLabel('Device filter').fill(filter);
    await form.getByLabel('Window').selectOption({ label: '1 hour' });
    await form.getByLabel('Statistic').selectOption(stat);
    const before = (await page.getByTestId('fleet-kpi-summary').textContent().catch(() => null)) ?? '';
    await form.getByRole('button', { name: 'Chart' }).click();
    await expect.poll(async () => (await page.getByTestId('fleet-kpi-summary').textContent().catch(() => '')) ?? '', { timeout: 20_000 }).not.toBe(before);
    await expect.poll(async () => form.getByRole('button', { name: 'Chart' }).isEnabled(), { timeout: 20_000 }).toBe(true);
    return (await page.getByTestId('fleet-kpi-summary').textContent()) ?? '';
  }

  it('charts a KPI across the whole fleet, then across a filter', async () => {
    const all = await chart(CPU, '', 'avg');
    expect(all).toMatch(/2 with samples · 6 samples · avg 50\.00 · median 30\.00 · p95 90\.00 · max 90\.00/);
    const card = page.locator('section.card', { has: page.getByRole('heading', { name: 'KPI across the fleet' }) });
    await expect.poll(async () => card.locator('canvas').count()).toBeGreaterThan(0);
    expect(await card.getByRole('img').getAttribute('aria-label')).toMatch(/avg of Device\.DeviceInfo\.ProcessStatus\.CPUUsage across the fleet: 24 points/);
    await page.screenshot({ path: join(ARTIFACTS, 'fleet-kpi.png'), fullPage: true });

    const one = await chart(CPU, `id = ${JSON.stringify(ids[1])}`, 'max');
    expect(one).toMatch(/^1 devices match · 1 with samples · 3 samples · avg 80\.00 .* max 90\.00/);

    const rate = await chart(BYTES, '', 'avg');
    expect(rate).toMatch(/1 with samples · 1 samples · avg 1,000/);
  });

  it('an empty window says so, and a bad filter is an error, not a crash', async () => {
    const none = await chart('Device.DeviceInfo.MemoryStatus.Free', '', 'avg');
    expect(none).toMatch(/0 with samples · 0 samples/);
    expect(await page.getByText('No samples of this parameter in the window.').count()).toBe(1);
    const form = page.getByRole('form', { name: 'Fleet KPI' });
    await form.getByLabel('Device filter').fill('this is not a filter ((');
    await form.getByRole('button', { name: 'Chart' }).click();
    await page.getByRole('alert').first().waitFor();
    expect(browser.errors).toEqual([]);
  });

  it('counts sessions per minute as they happen', async () => {
    const line = page.getByTestId('fleet-sessions');
    const seen = Number(/^(\d+)/.exec((await line.textContent()) ?? '')?.[1]);
    for (const cpe of fleet.cpes.values()) cpe.inform('2 PERIODIC');
    await expect.poll(async () => Number(/^(\d+)/.exec((await line.textContent()) ?? '')?.[1]), { timeout: 20_000 }).toBe(seen + 2);
    expect(browser.errors).toEqual([]);
  });
});
