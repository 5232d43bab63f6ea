/**
 * `flotilla agent` on this host: what reading the system costs before each session (every
 * built-in provider: /proc, /sys, `ip -j` ×4, resolv.conf) and how fast the live model
 * answers a GetParameterValues of the whole tree and a GetParameterNames.
 *
 *   npx tsc && node dist/bench/agent.js [rounds]
 *
 * Prints one line per figure and a JSON summary as the last line.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent } from '../src/cpe/agent/agent.js';

const rounds = Number(process.argv[2] ?? 20);
const dir = mkdtempSync(join(tmpdir(), 'flotilla-bench-agent-'));
// An ACS nobody answers (discard port) and retries far apart: only the model is measured.
const agent = await Agent.start({ acsUrl: 'http://127.0.0.1:9/', stateDir: dir, serialNumber: 'BENCH', connectionRequest: { host: '127.0.0.1', port: 0 }, retry: { minimumWait: 3600 } });

const time = async (fn: () => unknown): Promise<number> => {
  await fn(); // warm up
  const t = performance.now();
  for (let i = 0; i < rounds; i++) await fn();
  return (performance.now() - t) / rounds;
};

const refreshMs = await time(() => agent.model.refresh());
let parameters = 0;
const gpvMs = await time(() => {
  const r = agent.model.handle({ method: 'GetParameterValues', parameterNames: ['Device.'] });
  if (r.response.method === 'GetParameterValuesResponse') parameters = r.response.parameterList.length;
});
const gpnMs = await time(() => agent.model.handle({ method: 'GetParameterNames', parameterPath: 'Device.', nextLevel: false }));
await agent.stop();
rmSync(dir, { recursive: true, force: true });

console.log(`system read before a session (all providers): ${refreshMs.toFixed(1)} ms`);
console.log(`GetParameterValues "Device." (${parameters} parameters): ${gpvMs.toFixed(2)} ms`);
console.log(`GetParameterNames "Device." (whole tree): ${gpnMs.toFixed(2)} ms`);
console.log(JSON.stringify({ refreshMs: +refreshMs.toFixed(1), gpvMs: +gpvMs.toFixed(2), gpnMs: +gpnMs.toFixed(2), parameters, rssMB: Math.round(process.memoryUsage().rss / 1e6) }));
