/**
 * How the CPE side's timers land on the wire, against a real ACS on loopback: a fleet's
 * power-on ramp and run bound, periodic informs, and retry back-off after failed sessions.
 * The pass/fail tests (test/cpe/e2e-fleet.test.ts, test/cpe/client-cpe.test.ts,
 * test/cpe/e2e.test.ts) assert the delays the CPEs asked for; this prints when things
 * actually happened, as figures and ratios to what was asked.
 *
 *   npx tsc && node dist/bench/fleet-timers.js
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAcs } from '../src/acs/server.js';
import { buildEnvelope } from '../src/cwmp/codec.js';
import { createCpe } from '../src/cpe/client/create.js';
import { CpeRuntime } from '../src/cpe/client/runtime.js';
import { loadModel } from '../src/cpe/model/load.js';
import { Fleet } from '../src/cpe/sim/fleet.js';

const dir = await mkdtemp(join(tmpdir(), 'flotilla-bench-timers-'));
const acs = await startAcs({ dataDir: dir, host: '127.0.0.1', cwmpPort: 0, allowUnauthenticatedCpes: true });

// A fleet: 10 CPEs, 1 s ramp, 1 s periodic interval, stopped by a 2.5 s bound.
const firsts = new Map<string, number>();
const periodic = new Map<string, number[]>();
const fleet = new Fleet({
  acsUrl: acs.cwmpUrl,
  count: 10,
  model: 'tr181-router',
  rampSeconds: 1,
  informInterval: 1,
  informJitter: 0,
  durationMs: 2_500,
  observer: {
    sessionEnded: (r) => {
      if (!firsts.has(r.serialNumber)) firsts.set(r.serialNumber, r.startedAt);
      if (r.events.includes('2 PERIODIC')) periodic.set(r.serialNumber, [...(periodic.get(r.serialNumber) ?? []), r.startedAt]);
    },
  },
});
const t0 = performance.now();
const summary = await fleet.run();
const wall = performance.now() - t0;
const starts = [...firsts.values()].sort((a, b) => a - b);
const spread = starts[starts.length - 1]! - starts[0]!;
const gaps = [...periodic.values()].flatMap((ts) => ts.slice(1).map((t, i) => t - ts[i]!));
const meanGap = gaps.reduce((a, b) => a + b, 0) / Math.max(1, gaps.length);

// One CPE against an ACS that fails its first three Informs: back-off 50-100, 100-200, 200-400 ms.
const fails = { left: 3 };
const arrivals: number[] = [];
const failing = http.createServer((req, res) => {
  let body = '';
  req.on('data', (c: Buffer) => (body += c.toString()));
  req.on('end', () => {
    if (body === '') return void res.writeHead(204).end(); // the CPE's empty POST: session over
    arrivals.push(performance.now());
    if (fails.left-- > 0) return void res.writeHead(500).end();
    const reply = buildEnvelope({ namespace: 'urn:dslforum-org:cwmp-1-0', header: { id: '1' }, body: { method: 'InformResponse', maxEnvelopes: 1 } });
    res.writeHead(200, { 'content-type': 'text/xml' }).end(reply);
  });
});
await new Promise<void>((r) => failing.listen(0, '127.0.0.1', r));
let done: () => void = () => undefined;
const ok = new Promise<void>((r) => (done = r));
const runtime = new CpeRuntime({ retry: { minimumWait: 0.05, multiplier: 2000 }, observer: { sessionEnded: (r) => r.ok && done() } });
const cpe = createCpe({
  template: loadModel('tr181-router'),
  serialNumber: 'RETRY1',
  overrides: { 'Device.ManagementServer.URL': `http://127.0.0.1:${(failing.address() as AddressInfo).port}/` },
  runtime,
});
cpe.start();
await ok;
cpe.stop();
runtime.scheduler.stop();
const retryGaps = arrivals.slice(1, 4).map((t, i) => t - arrivals[i]!);

console.log('CPE timers on the wire (ms):\n');
console.log('| what | asked | measured | measured / asked |');
console.log('|---|---|---|---|');
console.log(`| fleet run bound (durationMs) | 2500 | ${wall.toFixed(0)} (wall), ${summary.durationMs} (summary) | ${(wall / 2500).toFixed(2)} |`);
console.log(`| ramp: first to last power-on session | 900 | ${spread} | ${(spread / 900).toFixed(2)} |`);
console.log(`| periodic interval (mean of ${gaps.length}) | 1000 | ${meanGap.toFixed(0)} | ${(meanGap / 1000).toFixed(2)} |`);
[[50, 100], [100, 200], [200, 400]].forEach(([lo, hi], i) => {
  const g = retryGaps[i] ?? NaN;
  console.log(`| retry ${i + 1} back-off (inform to inform, includes the failed exchange) | ${lo}-${hi} | ${g.toFixed(0)} | ${(g / hi!).toFixed(2)} of the upper bound |`);
});
failing.close();
await acs.close();
await rm(dir, { recursive: true, force: true });
