/**
 * Firmware campaign benchmark: N simulated CPEs (default 10,000) upgraded by one campaign on
 * SQLite, everything real in one process — the CWMP endpoint, the file repository and its
 * transfer endpoint, the campaign runner, connection requests, and the simulator, whose CPEs
 * download the image, check its hash, reboot and report the new version.
 *
 * Prints upgrades per minute (from the campaign's creation to its last device confirmed) and
 * store round trips per upgraded device during the campaign: the runner's own (campaign
 * concern, task creation) and the sessions' (the Download session, the boot session with the
 * TransferComplete), each counted by a counting store.
 *
 *   node dist/bench/campaign.js [--count 10000] [--waves 100,50%,50%] [--cr-rate 500] [--reboot 0.5] [--image-kb 256]
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAcs } from '../src/acs/server.js';
import { Fleet } from '../src/cpe/sim/fleet.js';
import { EventBus } from '../src/events/bus.js';
import { DirBlobs } from '../src/files/blobs.js';
import { UrlSigner } from '../src/files/signing.js';
import { startTransferServer } from '../src/files/transfer.js';
import { parseFilter } from '../src/nbi/query.js';
import { createServices } from '../src/services/index.js';
import { startJobs } from '../src/services/jobs.js';
import { countingStore } from '../src/store/counting.js';
import { createSqliteStore } from '../src/store/sqlite/index.js';
import type { Store } from '../src/store/types.js';

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : dflt;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const CR = { username: 'bench-cr', password: 'bench-cr-secret' };
const VERSION = '9.9.9';

const CAMPAIGN_METHODS = new Set<keyof Store>([
  'createCampaign', 'getCampaign', 'listCampaigns', 'updateCampaign', 'claimCampaigns', 'releaseCampaign', 'campaignSnapshot',
  'listCampaignDevices', 'campaignProgress', 'campaignCandidates', 'transitionCampaignDevices', 'recentCampaignOutcomes', 'campaignsUsingFile',
]);
const SESSION_METHODS = new Set<keyof Store>(['openSession', 'commitSession', 'extendLock', 'releaseLock', 'readParameters']);

async function main(): Promise<void> {
  const count = Number(arg('count', '10000'));
  const waves = arg('waves', '100,50%,50%')
    .split(',')
    .map((w) => (w.endsWith('%') ? { percent: Number(w.slice(0, -1)) } : { size: Number(w) }));
  const crRate = Number(arg('cr-rate', '500'));
  const dir = mkdtempSync(join(tmpdir(), 'flotilla-bench-campaign-'));
  const raw = await createSqliteStore({ dataDir: dir });
  const store = countingStore(raw);
  const bus = new EventBus();
  const acs = await startAcs({ store, events: bus, dataDir: dir, host: '127.0.0.1', cwmpPort: 0, allowUnauthenticatedCpes: true, discoverOnBootstrap: false });
  const signer = UrlSigner.random();
  let filesUrl = '';
  const services = createServices({
    store,
    bus,
    parseFilter: (e) => parseFilter(e),
    connectionRequests: { defaultCredentials: CR, global: { burst: crRate, perSecond: crRate }, perDevice: { burst: 5, perSecond: 1 }, timeoutMs: 5_000, sealer: acs.sealer },
    repository: { blobs: new DirBlobs(join(dir, 'files')), signer, publicUrl: () => filesUrl },
  });
  const transfer = await startTransferServer({ repo: services.files.repo, signer, host: '127.0.0.1', port: 0, realm: acs.config.realm, maxConcurrent: 2000 });
  filesUrl = transfer.url;
  const jobs = startJobs({
    store,
    bus,
    campaigns: {
      files: services.files.campaignFiles(),
      downloadTask: (f, d, k, e) => services.files.downloadTask(f, d, k, e),
      requester: services.requester,
      owner: 'bench',
      tickMs: 500,
    },
  });
  const fleet = new Fleet({
    acsUrl: acs.cwmpUrl,
    count,
    model: 'tr181-router',
    serialPrefix: 'BENCH',
    connectionRequests: 'shared',
    connectionRequestCredentials: CR,
    rampSeconds: Math.max(1, count / 2000),
    rebootDelayMs: Number(arg('reboot', '0.5')) * 1000,
    maxConcurrentSessions: 256,
    retry: { minimumWait: 1, multiplier: 2000 },
  });
  try {
    const booted = Date.now();
    await fleet.start();
    while ((await raw.listDevices({ limit: 0 })).total < count) await sleep(250);
    console.log(`${count} CPEs registered in ${((Date.now() - booted) / 1000).toFixed(1)} s`);

    const image = randomBytes(Number(arg('image-kb', '256')) * 1024);
    const file = await services.files.repo.upload({ name: `fw-${VERSION}.bin`, fileType: '1 Firmware Upgrade Image', version: VERSION }, (async function* () {
      yield image;
    })(), { maxBytes: image.length });

    store.reset();
    const sessionsBefore = fleet.stats.sessions;
    const t0 = Date.now();
    const { campaign } = await services.campaigns.create({ name: 'bench', fileId: file.id, waves }, 'bench');
    let lastLine = 0;
    while (true) {
      const c = await raw.getCampaign(campaign.id);
      if (c?.state !== 'running') break;
      if (Date.now() - lastLine > 5000) {
        lastLine = Date.now();
        const snap = await raw.campaignSnapshot(campaign.id, 0);
        const done = snap?.waves.reduce((n, w) => n + w.succeeded, 0) ?? 0;
        console.log(`  ${((Date.now() - t0) / 1000).toFixed(0)} s: wave ${c.wave + 1}, ${done} upgraded`);
      }
      await sleep(200);
    }
    const ms = Date.now() - t0;
    const final = await raw.getCampaign(campaign.id);
    const snap = await raw.campaignSnapshot(campaign.id, 0);
    const upgraded = snap?.waves.reduce((n, w) => n + w.succeeded, 0) ?? 0;
    const by = store.byMethod();
    const sum = (pick: (m: keyof Store) => boolean): number => Object.entries(by).reduce((n, [m, v]) => n + (pick(m as keyof Store) ? (v ?? 0) : 0), 0);
    const campaignTrips = sum((m) => CAMPAIGN_METHODS.has(m));
    const sessionTrips = sum((m) => SESSION_METHODS.has(m));
    const total = store.roundTrips();
    const per = (n: number): string => (upgraded > 0 ? (n / upgraded).toFixed(2) : '-');
    console.log(`\ncampaign ${final?.state} (${final?.reason ?? 'no reason'}): ${upgraded} of ${count} upgraded, waves ${JSON.stringify(final?.waveSizes)}`);
    console.log(`| figure | value |`);
    console.log(`|---|---|`);
    console.log(`| devices upgraded | ${upgraded} |`);
    console.log(`| time, creation to last confirmed | ${(ms / 1000).toFixed(1)} s |`);
    console.log(`| upgrades per minute | ${Math.round((upgraded / ms) * 60_000)} |`);
    console.log(`| CWMP sessions during the campaign | ${fleet.stats.sessions - sessionsBefore} (${per(fleet.stats.sessions - sessionsBefore)} per device) |`);
    console.log(`| store round trips, all | ${total} (${per(total)} per device) |`);
    console.log(`| of which the runner's (campaign concern) | ${campaignTrips} (${per(campaignTrips)} per device) |`);
    console.log(`| of which sessions (open, commit, locks, reads) | ${sessionTrips} (${per(sessionTrips)} per device) |`);
    console.log(`| of which other (tasks, files, devices) | ${total - campaignTrips - sessionTrips} (${per(total - campaignTrips - sessionTrips)} per device) |`);
    console.log(`| connection-request global rate | ${crRate}/s |`);
    // Where the time goes, per device: queued → the CPE working on it → confirmed.
    const rows = await raw.listCampaignDevices(campaign.id, { states: ['succeeded'], limit: 1_000_000 });
    const med = (xs: number[]): string => {
      const v = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
      return v.length === 0 ? '-' : `${(v[Math.floor(v.length / 2)]! / 1000).toFixed(2)} s (p95 ${(v[Math.floor(v.length * 0.95)]! / 1000).toFixed(2)} s)`;
    };
    console.log(`| median queued → downloading | ${med(rows.map((r) => (r.downloadingAt ?? NaN) - (r.scheduledAt ?? NaN)))} |`);
    console.log(`| median downloading → confirmed | ${med(rows.map((r) => (r.finishedAt ?? NaN) - (r.downloadingAt ?? NaN)))} |`);
    const top = Object.entries(by).sort((a, b) => (b[1] ?? 0) - (a[1] ?? 0)).slice(0, 10).map(([m, v]) => `${m} ${v}`).join(', ');
    console.log(`\nround trips by method: ${top}`);
  } finally {
    await fleet.stop();
    await jobs.close();
    await transfer.close();
    await acs.close();
    await raw.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
