/**
 * Reaching devices behind a NAT (src/reach), three figures:
 *
 * 1. STUN Binding Requests answered per second by one process: the STUN server alone in a
 *    child process (real SQLite reach store), this process sending signed Annex G keep-alives
 *    (USERNAME + MESSAGE-INTEGRITY + CONNECTION-REQUEST-BINDING) from many sockets with a
 *    bounded window.
 * 2. 10,000 simulated CPEs keeping their bindings alive every 30 s (the CPE's own STUN client,
 *    src/cpe/client/stun-client.ts, one UDP socket each), over a bounded run: the STUN
 *    process's CPU share.
 * 3. Time from an API task with connectionRequest=true to the device's Inform (the start of
 *    its 6 CONNECTION REQUEST session), per path: HTTP, UDP through the STUN binding, and
 *    XMPP through a real prosody when it is installed. p50 and p99.
 *
 * Usage: node dist/bench/reach.js [--seconds 5] [--cpes 10000] [--keepalive-run 65] [--requests 200]
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startAcs } from '../src/acs/server.js';
import { buildBindingRequest } from '../src/cwmp/stun-message.js';
import { StunBindingClient } from '../src/cpe/client/stun-client.js';
import { Fleet } from '../src/cpe/sim/fleet.js';
import { fleetStun } from '../src/cpe/sim/stun.js';
import type { SessionReport } from '../src/cpe/client/runtime.js';
import { EventBus } from '../src/events/bus.js';
import { startNbi } from '../src/nbi/server.js';
import { StunCredentials } from '../src/reach/stun-credentials.js';
import { StunServer } from '../src/reach/stun-server.js';
import { XmppConnectionRequester } from '../src/reach/xmpp.js';
import { deviceIdOf } from '../src/store/device-id.js';
import { SqliteReachStore } from '../src/store/sqlite/reach.js';
import { createSqliteStore } from '../src/store/sqlite/index.js';
import { prosodyMissing, startProsody } from './lib/prosody.js';

const SECRET = Buffer.alloc(32, 3);
const arg = (name: string, dflt: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};

// ---- the STUN server's process -------------------------------------------------------------
if (process.argv.includes('--stun-child')) {
  const dir = await mkdtemp(join(tmpdir(), 'flotilla-bench-stun-'));
  const reach = SqliteReachStore.open(join(dir, 'flotilla.db'));
  const server = await StunServer.listen({ host: '127.0.0.1', port: 0, credentials: new StunCredentials(SECRET), reach, natDetected: async () => true });
  process.on('message', (m: string) => {
    if (m === 'cpu') process.send?.({ cpu: process.cpuUsage(), counters: server.counters });
    if (m === 'stop') void server.close().then(() => reach.close()).then(() => rm(dir, { recursive: true, force: true })).then(() => process.exit(0));
  });
  process.send?.({ port: server.port });
} else {
  await main();
}

async function stunChild(): Promise<{ child: ChildProcess; port: number; cpu: () => Promise<{ cpuMs: number; answered: number; learnt: number }>; stop: () => Promise<void> }> {
  const child = fork(fileURLToPath(import.meta.url), ['--stun-child'], { stdio: 'inherit' });
  const port = await new Promise<number>((resolve) => child.once('message', (m: { port: number }) => resolve(m.port)));
  return {
    child,
    port,
    cpu: () =>
      new Promise((resolve) => {
        child.once('message', (m: { cpu: NodeJS.CpuUsage; counters: { answered: number; bindingsLearnt: number } }) =>
          resolve({ cpuMs: (m.cpu.user + m.cpu.system) / 1000, answered: m.counters.answered, learnt: m.counters.bindingsLearnt }),
        );
        child.send('cpu');
      }),
    stop: () => new Promise((resolve) => {
      child.once('exit', () => resolve());
      child.send('stop');
    }),
  };
}

async function bindingRate(seconds: number): Promise<void> {
  const srv = await stunChild();
  const creds = new StunCredentials(SECRET);
  const sockets = 32;
  const window = 16;
  let answered = 0;
  const end = Date.now() + seconds * 1000;
  const before = await srv.cpu();
  const t0 = Date.now();
  await Promise.all(
    Array.from({ length: sockets }, async (_, i) => {
      const s = dgram.createSocket('udp4');
      await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
      const id = `BENCH-Box-${i}`;
      const send = (): void => {
        if (Date.now() > end) return;
        s.send(buildBindingRequest({ transactionId: randomBytes(12), username: id, password: creds.password(id), connectionRequestBinding: true }), srv.port, '127.0.0.1');
      };
      await new Promise<void>((resolve) => {
        let inFlight = 0;
        const pump = (): void => {
          while (inFlight < window && Date.now() <= end) {
            inFlight++;
            send();
          }
          if (Date.now() > end) resolve();
        };
        s.on('message', () => {
          answered++;
          inFlight--;
          pump();
        });
        // A lost datagram must not stall the window.
        const refill = setInterval(() => {
          inFlight = Math.min(inFlight, window / 2);
          pump();
          if (Date.now() > end) {
            clearInterval(refill);
            resolve();
          }
        }, 50);
        pump();
      });
      s.close();
    }),
  );
  const wall = Date.now() - t0;
  const after = await srv.cpu();
  await srv.stop();
  const rate = answered / (wall / 1000);
  console.log(`STUN Binding Requests (signed, Annex G) answered by one process: ${rate.toFixed(0)}/s over ${(wall / 1000).toFixed(1)} s`);
  console.log(`  STUN process CPU: ${(((after.cpuMs - before.cpuMs) / wall) * 100).toFixed(0)}% of one core; ${(((after.cpuMs - before.cpuMs) * 1000) / Math.max(1, after.answered - before.answered)).toFixed(1)} µs per request`);
}

async function keepAlives(cpes: number, runSeconds: number): Promise<void> {
  const srv = await stunChild();
  const creds = new StunCredentials(SECRET);
  const sockets: dgram.Socket[] = [];
  const clients: StunBindingClient[] = [];
  let bound = 0;
  for (let i = 0; i < cpes; i++) {
    const s = dgram.createSocket('udp4');
    await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
    const id = `KEEP-Box-${i}`;
    const c = new StunBindingClient({
      config: () => ({ enabled: true, host: '127.0.0.1', port: srv.port, username: id, password: creds.password(id), keepAliveSeconds: 30 }),
      send: (d, port, host) => s.send(d, port, host),
      localHost: '127.0.0.1',
      onBinding: () => bound++,
      retryMs: 5_000,
    });
    s.on('message', (m) => c.handle(m));
    sockets.push(s);
    clients.push(c);
  }
  const before = await srv.cpu();
  const t0 = Date.now();
  // Power-on spread over the first period, as a fleet that has been up for a while.
  clients.forEach((c, i) => c.start(Math.round((30_000 * i) / cpes)));
  // First period: every binding is new (one store write each); after it, keep-alives only.
  const firstSeconds = Math.min(30, runSeconds);
  await new Promise((r) => setTimeout(r, firstSeconds * 1000));
  const mid = await srv.cpu();
  const t1 = Date.now();
  await new Promise((r) => setTimeout(r, Math.max(0, runSeconds - firstSeconds) * 1000));
  const after = await srv.cpu();
  const t2 = Date.now();
  for (const c of clients) c.stop();
  for (const s of sockets) s.close();
  await srv.stop();
  const line = (label: string, a: typeof before, b: typeof before, ms: number): void => {
    const requests = b.answered - a.answered;
    console.log(
      `  ${label}: ${(ms / 1000).toFixed(0)} s, ${requests} requests (${(requests / (ms / 1000)).toFixed(0)}/s), ${b.learnt - a.learnt} bindings written; ` +
        `STUN process CPU share ${(((b.cpuMs - a.cpuMs) / ms) * 100).toFixed(2)}% of one core`,
    );
  };
  console.log(`${cpes} CPEs keeping STUN bindings alive every 30 s (${bound} bindings discovered):`);
  line('first period (discovery)', before, mid, t1 - t0);
  if (t2 - t1 > 1000) line('then (keep-alives only)', mid, after, t2 - t1);
}

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
}

async function crToInform(requests: number): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'flotilla-bench-cr-'));
  const store = await createSqliteStore({ dataDir: dir });
  const reach = SqliteReachStore.open(join(dir, 'flotilla.db'));
  const creds = new StunCredentials(SECRET);
  const stun = await StunServer.listen({ host: '127.0.0.1', port: 0, credentials: creds, reach, natDetected: async () => true });
  const why = prosodyMissing();
  const prosody = why === null ? await startProsody() : null;
  let xmpp: XmppConnectionRequester | null = null;
  if (prosody !== null) {
    await prosody.register('acs', 'acs-pw');
    await prosody.register('xmpp000001', 'pw');
    xmpp = await XmppConnectionRequester.connect({ service: prosody.service, jid: `acs@${prosody.domain}`, password: 'acs-pw' });
  }
  const bus = new EventBus();
  const acs = await startAcs({ store, events: bus, dataDir: dir, host: '127.0.0.1', cwmpPort: 0, allowUnauthenticatedCpes: true });
  const token = 'bench-token-0123456789abcdef';
  const nbi = await startNbi({
    store,
    bus,
    host: '127.0.0.1',
    port: 0,
    adminToken: token,
    connectionRequests: {
      defaultCredentials: { username: 'cr', password: 'crpw' },
      perDevice: { burst: 1e6, perSecond: 1e6 },
      global: { burst: 1e6, perSecond: 1e6 },
      reach,
      udp: { copies: 1, send: (d, port, host) => stun.sendFrom(d, port, host) },
      ...(xmpp !== null ? { xmpp } : {}),
    },
  });
  const reports: SessionReport[] = [];
  const fleet = (prefix: string, extra: Partial<ConstructorParameters<typeof Fleet>[0]>): Fleet =>
    new Fleet({
      acsUrl: acs.cwmpUrl,
      count: 1,
      model: 'tr181-router',
      serialPrefix: prefix,
      connectionRequestCredentials: { username: 'cr', password: 'crpw' },
      connectionRequestRateLimit: { burst: 1e6, refillSeconds: 1e-6 },
      informInterval: 86400,
      observer: { sessionEnded: (r) => reports.push(r) },
      ...extra,
    });
  const paths: { name: string; f: Fleet }[] = [
    { name: 'http', f: fleet('HTTP', { connectionRequests: 'shared' }) },
    { name: 'udp', f: fleet('UDP', { connectionRequests: 'off', stun: fleetStun('127.0.0.1', stun.port, 30, () => null) }) },
  ];
  if (prosody !== null) paths.push({ name: 'xmpp', f: fleet('XMPP', { connectionRequests: 'off', xmpp: { service: prosody.service, domain: prosody.domain, password: () => 'pw' } }) });
  for (const p of paths) {
    await p.f.prepare();
    const cpe = p.f.cpes[0]!;
    if (p.name === 'udp') {
      const id = deviceIdOf(cpe.model.deviceId());
      cpe.model.setInternal('Device.ManagementServer.STUNUsername', creds.username(id));
      cpe.model.setInternal('Device.ManagementServer.STUNPassword', creds.password(id));
      // No HTTP URL: a device behind a NAT.
      cpe.model.setInternal('Device.ManagementServer.ConnectionRequestURL', '');
    }
    await p.f.start();
  }
  const ids = paths.map((p) => deviceIdOf(p.f.cpes[0]!.model.deviceId()));
  const waitFor = async (ok: () => boolean | Promise<boolean>): Promise<void> => {
    const end = Date.now() + 20_000;
    while (!(await ok())) {
      if (Date.now() > end) throw new Error('timed out');
      await new Promise((r) => setTimeout(r, 5));
    }
  };
  for (const id of ids) await waitFor(async () => (await store.getDevice(id)) !== null);
  await waitFor(async () => (await reach.get(ids[1]!))?.binding != null);
  console.log(`Connection request (API task) → the device's Inform, ${requests} requests per path, one at a time:`);
  for (const [i, p] of paths.entries()) {
    const serial = p.f.cpes[0]!.serialNumber;
    const times: number[] = [];
    for (let n = 0; n < requests; n++) {
      const seen = reports.length;
      const t0 = Date.now();
      const res = await fetch(`${nbi.url}/api/v1/devices/${encodeURIComponent(ids[i]!)}/tasks?connectionRequest=true`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ type: 'getRPCMethods' }),
      });
      await res.arrayBuffer();
      await waitFor(() => reports.slice(seen).some((r) => r.serialNumber === serial && r.events.includes('6 CONNECTION REQUEST')));
      const r = reports.slice(seen).find((x) => x.serialNumber === serial && x.events.includes('6 CONNECTION REQUEST'))!;
      times.push(r.startedAt - t0);
      // The session ends before the next request, so each request is a fresh one.
      await waitFor(() => p.f.runtime.gate.active === 0);
    }
    console.log(`  ${p.name.padEnd(5)} p50 ${pct(times, 50).toFixed(1)} ms   p99 ${pct(times, 99).toFixed(1)} ms`);
  }
  if (prosody === null) console.log(`  xmpp  not measured: ${why}`);
  for (const p of paths) await p.f.stop();
  await nbi.close();
  await acs.close();
  await xmpp?.close();
  await stun.close();
  await reach.close();
  await store.close();
  await prosody?.close();
  await rm(dir, { recursive: true, force: true });
}

async function main(): Promise<void> {
  await bindingRate(arg('seconds', 5));
  await keepAlives(arg('cpes', 10_000), arg('keepalive-run', 65));
  await crToInform(arg('requests', 200));
}
