/**
 * Connection requests against devices that cannot answer: how long a request is held by a
 * CPE that accepts the connection and never replies (the timeout), by a closed port, and how
 * long a UDP request (three copies, 100 ms apart) takes to leave. The pass/fail tests
 * (test/nbi/connection-request.test.ts, test/nbi/api.test.ts) assert the outcomes only.
 *
 *   npx tsc && node dist/bench/connection-request.js [runs]
 */
import { createServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { sendConnectionRequest } from '../src/reach/http.js';
import { sendUdpConnectionRequest } from '../src/reach/udp.js';

const runs = Math.max(1, Number(process.argv[2] ?? 5));
const creds = { username: 'cr', password: 'pw' };

const sockets: Socket[] = [];
const hole = createServer((s) => sockets.push(s));
await new Promise<void>((r) => hole.listen(0, '127.0.0.1', r));
const holePort = (hole.address() as AddressInfo).port;
const closed = createServer();
await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
const closedPort = (closed.address() as AddressInfo).port;
await new Promise<void>((r) => closed.close(() => r()));

async function time(what: () => Promise<{ outcome: string }>): Promise<{ ms: number; outcome: string }> {
  const t0 = performance.now();
  const r = await what();
  return { ms: performance.now() - t0, outcome: r.outcome };
}

const cases: [string, number | null, () => Promise<{ outcome: string }>][] = [
  ['HTTP, never answers, timeout 300 ms', 300, () => sendConnectionRequest(`http://127.0.0.1:${holePort}/cr`, creds, { timeoutMs: 300 })],
  ['HTTP, never answers, timeout 1000 ms', 1000, () => sendConnectionRequest(`http://127.0.0.1:${holePort}/cr`, creds, { timeoutMs: 1000 })],
  ['HTTP, closed port', null, () => sendConnectionRequest(`http://127.0.0.1:${closedPort}/cr`, creds, { timeoutMs: 1000 })],
  ['UDP, 3 copies 100 ms apart', 200, () => sendUdpConnectionRequest(`127.0.0.1:${closedPort}`, creds)],
];

console.log(`Connection requests to devices that cannot answer, ${runs} runs each:\n`);
console.log('| case | outcome | expected ms | median ms | max ms | median / expected |');
console.log('|---|---|---|---|---|---|');
for (const [name, expected, run] of cases) {
  const results: { ms: number; outcome: string }[] = [];
  for (let i = 0; i < runs; i++) results.push(await time(run));
  const ms = results.map((r) => r.ms).sort((a, b) => a - b);
  const median = ms[Math.floor(ms.length / 2)]!;
  const ratio = expected === null ? '—' : (median / expected).toFixed(2);
  console.log(`| ${name} | ${results[0]!.outcome} | ${expected ?? '—'} | ${median.toFixed(1)} | ${ms[ms.length - 1]!.toFixed(1)} | ${ratio} |`);
}
for (const s of sockets) s.destroy();
hole.close();
