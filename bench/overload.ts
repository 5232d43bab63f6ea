/**
 * Overload storm: ten times more CPEs than `--max-sessions` start a session at the same
 * instant against `flotilla serve` (SQLite, a child process from dist/), once with the cap and
 * once without, so the two can be compared.
 *
 * The CPEs are a light client on raw HTTP (so the client, on the same machine, is not the
 * bottleneck): Inform, then a pause as a slow CPE or a long link makes (--think ms), then the
 * empty POST that ends the session. Sessions therefore overlap on the server as in a real
 * storm. A CPE refused with 503 waits its Retry-After and tries again, until every CPE has
 * had one session.
 *
 * Printed per run: CPEs served and when the last one was, 503s answered, other failures, the
 * latency of accepted sessions (Inform round trip, and the whole session less the pause), the
 * most sessions the server held at once (client side), and the ACS process's resident memory
 * (idle before the storm, peak during it) sampled from /proc every 50 ms; and whether the ACS
 * survived.
 *
 *   npm run build && node dist/bench/overload.js [--cap 100] [--factor 10] [--think 1000] [--retry-after 1]
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildEnvelope } from '../src/cwmp/codec.js';
import { requireBuild, startServe, type Child } from './storm/procs.js';

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : NaN;
  return Number.isFinite(v) && v > 0 ? v : dflt;
}

const CAP = Math.floor(arg('cap', 100));
const FACTOR = arg('factor', 10);
const THINK_MS = arg('think', 1000);
const RETRY_AFTER = arg('retry-after', 1);
const LIMIT_MS = arg('limit-seconds', 180) * 1000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Resident set of a process in MiB (Linux /proc), or NaN elsewhere. */
function rssMiB(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

function pct(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function informXml(serial: string): string {
  return buildEnvelope({
    namespace: 'urn:dslforum-org:cwmp-1-0',
    header: { id: '1' },
    body: {
      method: 'Inform',
      deviceId: { manufacturer: 'Bench', oui: 'B0B0B0', productClass: 'Storm', serialNumber: serial },
      event: [{ eventCode: '2 PERIODIC', commandKey: '' }],
      maxEnvelopes: 1,
      currentTime: new Date().toISOString(),
      retryCount: 0,
      parameterList: [
        { name: 'Device.DeviceInfo.SoftwareVersion', value: '1.0', type: 'xsd:string' },
        { name: 'Device.ManagementServer.ConnectionRequestURL', value: 'http://127.0.0.1:1/', type: 'xsd:string' },
        { name: 'Device.RootDataModelVersion', value: '2.15', type: 'xsd:string' },
      ],
    },
  });
}

interface Reply {
  status: number;
  retryAfter: number | null;
}

function post(url: string, agent: Agent, body: string | null): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', agent, headers: { 'Content-Type': 'text/xml; charset="utf-8"', 'Content-Length': String(body === null ? 0 : Buffer.byteLength(body)) } }, (res) => {
      res.resume();
      res.on('end', () => {
        const ra = Number(res.headers['retry-after']);
        resolve({ status: res.statusCode ?? 0, retryAfter: Number.isFinite(ra) ? ra : null });
      });
      res.on('error', reject);
    });
    req.setTimeout(60_000, () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end(body ?? undefined);
  });
}

interface Figures {
  label: string;
  cpes: number;
  served: number;
  lastServedS: number | null;
  refused503: number;
  otherFailures: Record<string, number>;
  informMs: number[];
  sessionMs: number[];
  concurrent: number;
  idleRss: number;
  peakRss: number;
  alive: boolean;
}

async function storm(label: string, maxSessions: number): Promise<Figures> {
  const cpes = Math.round(CAP * FACTOR);
  const dir = await mkdtemp(join(tmpdir(), 'flotilla-bench-overload-'));
  const extra = ['--overload-retry-after', String(RETRY_AFTER), '--session-timeout', '60', '--max-sessions', String(maxSessions)];
  let acs: Child | null = null;
  try {
    acs = await startServe(dir, { discover: false, extra });
    const pid = acs.process.pid!;
    const url = acs.url;
    // Warm up (first store writes, JIT) with one session, then the idle figure.
    {
      const agent = new Agent({ keepAlive: true, maxSockets: 1 });
      await post(url, agent, informXml('WARMUP'));
      await post(url, agent, null);
      agent.destroy();
    }
    await sleep(500);
    const idleRss = rssMiB(pid);
    let peakRss = idleRss;
    const sampler = setInterval(() => {
      const r = rssMiB(pid);
      if (r > peakRss) peakRss = r;
    }, 50);
    const informMs: number[] = [];
    const sessionMs: number[] = [];
    const otherFailures: Record<string, number> = {};
    let refused503 = 0;
    let served = 0;
    let open = 0;
    let concurrent = 0;
    let lastServedS: number | null = null;
    const t0 = Date.now();
    const fail = (why: string): void => {
      otherFailures[why] = (otherFailures[why] ?? 0) + 1;
    };

    const cpe = async (i: number): Promise<void> => {
      const serial = `S${String(i).padStart(6, '0')}`;
      const xml = informXml(serial);
      while (Date.now() - t0 < LIMIT_MS) {
        const agent = new Agent({ keepAlive: true, maxSockets: 1 });
        try {
          const s0 = performance.now();
          const first = await post(url, agent, xml);
          const informed = performance.now();
          if (first.status === 503) {
            refused503++;
            await sleep((first.retryAfter ?? RETRY_AFTER) * 1000 * (1 + Math.random()));
            continue;
          }
          if (first.status !== 200) {
            fail(`inform ${first.status}`);
            await sleep(1000);
            continue;
          }
          open++;
          concurrent = Math.max(concurrent, open);
          try {
            await sleep(THINK_MS);
            const t1 = performance.now();
            const last = await post(url, agent, null);
            if (last.status !== 204) {
              fail(`end ${last.status}`);
              continue;
            }
            informMs.push(informed - s0);
            sessionMs.push(informed - s0 + (performance.now() - t1));
          } finally {
            open--;
          }
          served++;
          lastServedS = (Date.now() - t0) / 1000;
          return;
        } catch (e) {
          fail((e as Error).message.slice(0, 40));
          await sleep(1000);
        } finally {
          agent.destroy();
        }
      }
    };
    await Promise.all(Array.from({ length: cpes }, (_, i) => cpe(i)));
    clearInterval(sampler);
    return {
      label,
      cpes,
      served,
      lastServedS,
      refused503,
      otherFailures,
      informMs: informMs.sort((a, b) => a - b),
      sessionMs: sessionMs.sort((a, b) => a - b),
      concurrent,
      idleRss,
      peakRss,
      alive: acs.process.exitCode === null && acs.process.signalCode === null,
    };
  } finally {
    await acs?.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

requireBuild();
const runs = [await storm(`cap ${CAP}`, CAP), await storm('no cap', 1_000_000)];
const cpes = Math.round(CAP * FACTOR);
console.log(`Overload storm: ${cpes} CPEs start a session at once (${FACTOR}x --max-sessions ${CAP}); each holds it ${THINK_MS} ms; Retry-After ${RETRY_AFTER}-${RETRY_AFTER * 2} s\n`);
console.log('| run | served | last served after | 503s | other failures | Inform p50 / p95 / max ms | session less pause p50 / p95 / max ms | most sessions at once | ACS RSS idle / peak MiB | ACS alive |');
console.log('|---|---|---|---|---|---|---|---|---|---|');
const ms = (a: number[]) => `${Math.round(pct(a, 50))} / ${Math.round(pct(a, 95))} / ${Math.round(a.at(-1) ?? NaN)}`;
for (const f of runs) {
  const other = Object.entries(f.otherFailures).map(([k, v]) => `${k}: ${v}`).join('; ') || '0';
  console.log(
    `| ${f.label} | ${f.served}/${f.cpes} | ${f.lastServedS === null ? '-' : `${f.lastServedS.toFixed(1)} s`} | ${f.refused503} | ${other} | ${ms(f.informMs)} | ${ms(f.sessionMs)} | ${f.concurrent} | ${f.idleRss.toFixed(0)} / ${f.peakRss.toFixed(0)} | ${f.alive ? 'yes' : 'NO'} |`,
  );
}
if (runs.some((f) => !f.alive)) process.exitCode = 1;
