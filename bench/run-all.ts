/**
 * Every benchmark in turn, each in its own process so one's heap and sockets do not skew
 * the next. `npm run bench` (after `npm run build`). Each prints its own table.
 */
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const runs: { script: string; args: string[]; node?: string[] }[] = [
  { script: 'codec.js', args: [] },
  { script: 'hostile.js', args: [] },
  { script: 'overload.js', args: [] },
  { script: 'store.js', args: [] },
  { script: 'session.js', args: ['--seconds', '5'] },
  { script: 'cpe-model.js', args: [], node: ['--expose-gc'] },
  { script: 'sim.js', args: [], node: ['--expose-gc'] },
  { script: join('storm', 'run.js'), args: [] },
  { script: 'nbi-query.js', args: [] },
  { script: 'connection-request.js', args: [] },
  { script: 'fleet-timers.js', args: [] },
  { script: 'agent.js', args: [] },
  { script: 'reach.js', args: [] },
  { script: 'campaign.js', args: ['--count', '2000'] },
  { script: 'files-transfer.js', args: [] },
  { script: 'series.js', args: [] },
  { script: 'webhook-scope.js', args: ['--events', '6000'] },
];

let failed = 0;
for (const run of runs) {
  console.log(`\n### bench/${run.script.replace(/\.js$/, '.ts')}`);
  const r = spawnSync(process.execPath, [...(run.node ?? []), join(here, run.script), ...run.args], { stdio: 'inherit' });
  if (r.status !== 0) failed++;
}
process.exitCode = failed === 0 ? 0 : 1;
