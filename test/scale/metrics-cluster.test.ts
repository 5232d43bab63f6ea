/**
 * /metrics under `flotilla serve --workers 2` (SQLite, the real CLI in child processes): a
 * scrape lands on either worker and always shows the sum over both, and the session counter
 * equals the sessions the simulated fleet ran, though both workers served them.
 */
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePrometheusText, type Exposition } from '../helpers/prom-text.js';
import { apiUrlOf, ensureBuilt, MODEL, runFleet, sessionsByPid, startServe, until, type ServeProcess } from './helpers.js';

const TOKEN = 'metrics-cluster-admin-token-0123456789abcdef';

/** One GET on a connection of its own, so the kernel may hand it to either worker. */
function scrape(base: string, token: string | null = TOKEN): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${base}/metrics`, { agent: false, headers: { Connection: 'close', ...(token !== null ? { authorization: `Bearer ${token}` } : {}) } }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('GET /metrics with --workers', () => {
  let serve: ServeProcess | undefined;
  beforeAll(async () => {
    await ensureBuilt();
  }, 180_000);
  afterAll(async () => {
    await serve?.kill();
  });

  it('sums every worker: sessions counted once each, whichever worker is scraped', async () => {
    serve = await startServe(['--workers', '2', '--allow-unauthenticated-cpes', '--log-level', 'debug', '--no-stun'], { FLOTILLA_ADMIN_TOKEN: TOKEN });
    const base = (await apiUrlOf(serve)).replace(/\/api\/v1$/, '');
    expect((await scrape(base, null)).status).toBe(401);

    const run = runFleet({ acsUrl: serve.url, count: 10, model: MODEL, informInterval: 1, connectionRequests: 'off', durationMs: 90_000, drainMs: 5_000 });
    // The primary hands connections round-robin to the workers that are free; under load a
    // worker still busy starting may get none for a while (seen in CI: every session on one).
    // The test's premise is sessions on both, so the fleet runs until both have served some.
    const out = serve;
    // On a timeout, say what was seen: which workers served sessions, how the CPEs' sessions
    // ended, and what serve warned about (a worker that failed to start, a busy database).
    const seen = (): string => {
      const text = out.output();
      const byPid = [...sessionsByPid(text)].map(([pid, n]) => `${pid}: ${n}`);
      const failed = run.reports.filter((r) => !r.ok);
      const warnings = text.split('\n').filter((l) => /"level":(40|50|60)/.test(l)).slice(-5);
      return `sessions served by both workers (sessions started per worker pid: ${byPid.join(', ') || 'none'}; CPE sessions ended: ${run.reports.length}, failed: ${failed.length}${failed.length > 0 ? `, last error: ${failed[failed.length - 1]!.error ?? '?'}` : ''}; serve's last warnings: ${warnings.join(' | ') || 'none'})`;
    };
    await until(() => sessionsByPid(out.output()).size === 2 && run.reports.length >= 31, 80_000, seen);
    run.fleet.requestStop();
    const summary = await run.done;
    expect(summary.failures).toBe(0);

    const ok = (m: Exposition) => m.value('flotilla_cwmp_sessions_total', { outcome: 'ok' });
    await until(async () => ok(parsePrometheusText((await scrape(base)).text)) >= summary.sessions, 15_000, 'every session counted');
    // Several scrapes on fresh connections (both workers answer some): the same totals each time.
    for (let i = 0; i < 6; i++) {
      const r = await scrape(base);
      expect(r.status).toBe(200);
      const m = parsePrometheusText(r.text);
      expect(ok(m)).toBe(summary.sessions);
      expect(m.value('flotilla_cwmp_informs_total', { event: '0 BOOTSTRAP' })).toBe(10);
      expect(m.value('flotilla_store_call_duration_seconds_count', { method: 'commitSession' })).toBe(summary.sessions);
      expect(m.value('flotilla_cwmp_sessions_active')).toBe(0);
      expect(r.text).not.toContain('did not answer');
    }
  }, 150_000);
});
