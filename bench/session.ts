/**
 * Periodic-session benchmark over loopback: C concurrent CPEs each run Inform → empty POST
 * → 204 sessions against the real CWMP endpoint on a real SQLite store, for a fixed time.
 * Prints sessions per second and store round trips per session (counted at the Store
 * interface). With Digest auth and without, in one run, so the ratio is meaningful.
 *
 *   node dist/bench/session.js [--seconds 5] [--devices 200] [--concurrency 32]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startCwmpServer } from '../src/acs/server.js';
import { parseChallenges, respondTo } from '../src/auth/client.js';
import { buildEnvelope } from '../src/cwmp/codec.js';
import type { Inform } from '../src/cwmp/types.js';
import { countingStore } from '../src/store/counting.js';
import { createSqliteStore } from '../src/store/sqlite/index.js';

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '5' },
    devices: { type: 'string', default: '200' },
    concurrency: { type: 'string', default: '32' },
  },
});
const SECONDS = Number(args.seconds);
const DEVICES = Number(args.devices);
const CONCURRENCY = Number(args.concurrency);

function informXml(serial: string): string {
  const body: Inform = {
    method: 'Inform',
    deviceId: { manufacturer: 'Bench', oui: '00AA00', productClass: 'BenchBox', serialNumber: serial },
    event: [{ eventCode: '2 PERIODIC', commandKey: '' }],
    maxEnvelopes: 1,
    currentTime: new Date().toISOString(),
    retryCount: 0,
    parameterList: [
      ['Device.DeviceInfo.HardwareVersion', 'HW1'],
      ['Device.DeviceInfo.SoftwareVersion', '1.2.3'],
      ['Device.DeviceInfo.ProvisioningCode', ''],
      ['Device.ManagementServer.ParameterKey', 'k0'],
      ['Device.ManagementServer.ConnectionRequestURL', `http://10.0.0.1:7547/${serial}`],
      ['Device.IP.Interface.1.IPv4Address.1.IPAddress', '10.0.0.1'],
    ].map(([name, value]) => ({ name: name as string, value: value as string, type: 'xsd:string' })),
  };
  return buildEnvelope({ namespace: 'urn:dslforum-org:cwmp-1-2', header: { id: '1' }, body });
}

interface Exchange {
  status: number;
  cookie?: string;
  challenge?: string | string[];
}

function post(agent: Agent, url: URL, body: string, headers: Record<string, string>): Promise<Exchange> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', agent, headers: { 'Content-Type': 'text/xml', ...headers } }, (res) => {
      res.resume();
      res.on('end', () => {
        const cookie = res.headers['set-cookie']?.[0]?.split(';')[0];
        resolve({ status: res.statusCode ?? 0, ...(cookie ? { cookie } : {}), ...(res.headers['www-authenticate'] ? { challenge: res.headers['www-authenticate'] } : {}) });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function run(auth: boolean): Promise<{ sessions: number; failures: number; perSecond: number; roundTrips: number }> {
  const dir = await mkdtemp(join(tmpdir(), 'flotilla-bench-'));
  const inner = await createSqliteStore({ dataDir: dir });
  await inner.migrate();
  const store = countingStore(inner);
  const server = await startCwmpServer({
    store,
    config: {
      host: '127.0.0.1',
      cwmpPort: 0,
      dataDir: dir,
      allowUnauthenticatedCpes: !auth,
      ...(auth ? { cpeCredentials: { username: 'bench', password: 'bench-pass' } } : {}),
      discoverOnBootstrap: false,
    },
  });
  const url = new URL(server.cwmpUrl);
  const informs = Array.from({ length: DEVICES }, (_, i) => informXml(`SN${String(i).padStart(6, '0')}`));
  let sessions = 0;
  let failures = 0;
  let next = 0;

  /** One CPE connection running sessions back to back until `more()` says stop. */
  const worker = async (more: () => boolean): Promise<void> => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    let authorize: ((m: string, u: string) => string) | null = null;
    while (more()) {
      const body = informs[next++ % DEVICES] as string;
      const headers: Record<string, string> = {};
      if (authorize) headers.Authorization = authorize('POST', '/');
      let r = await post(agent, url, body, headers);
      if (r.status === 401 && auth) {
        authorize = respondTo(parseChallenges(r.challenge), { username: 'bench', password: 'bench-pass' });
        if (authorize === null) throw new Error('no usable challenge');
        r = await post(agent, url, body, { Authorization: authorize('POST', '/') });
      }
      if (r.status !== 200 || r.cookie === undefined) {
        failures++;
        continue;
      }
      const end = await post(agent, url, '', { Cookie: r.cookie });
      if (end.status === 204) sessions++;
      else failures++;
    }
    agent.destroy();
  };

  // Warm-up: every device informs once (its first session inserts it and its parameters),
  // so the timed part is all periodic sessions of known devices.
  await Promise.all(Array.from({ length: CONCURRENCY }, () => worker(() => next < DEVICES)));
  sessions = 0;
  failures = 0;
  store.reset();
  const t0 = Date.now();
  const until = t0 + SECONDS * 1000;
  await Promise.all(Array.from({ length: CONCURRENCY }, () => worker(() => Date.now() < until)));
  const elapsed = (Date.now() - t0) / 1000;
  const roundTrips = store.roundTrips() / Math.max(1, sessions);
  await server.close();
  await inner.close();
  await rm(dir, { recursive: true, force: true });
  return { sessions, failures, perSecond: sessions / elapsed, roundTrips };
}

async function main(): Promise<void> {
  console.log(`periodic sessions over loopback: ${DEVICES} devices, ${CONCURRENCY} concurrent CPEs, ${SECONDS}s per run`);
  const rows: Record<string, unknown>[] = [];
  for (const auth of [false, true]) {
    const r = await run(auth);
    rows.push({
      auth: auth ? 'digest' : 'none',
      sessions: r.sessions,
      failures: r.failures,
      'sessions/s': Math.round(r.perSecond),
      'store round trips/session': Number(r.roundTrips.toFixed(2)),
    });
  }
  console.table(rows);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
