/**
 * The issue's end-to-end campaign: 200 simulated CPEs (the in-process simulator fleet, real
 * HTTP for CWMP, connection requests and the file transfer endpoint), a canary of 10 then
 * waves of 50 %. With 20 % of the fleet failing its install, the campaign pauses in the wave
 * where the stop rule trips and no later wave starts; with the failing fraction set to 0,
 * the failed devices retried and the campaign resumed, it finishes with every device on the
 * new version, each upgraded once.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { failsInstall, Fleet } from '../../src/cpe/index.js';
import { ADMIN, CR_PASS, CR_USER, startStack, until, type Json, type Stack } from '../nbi/helpers.js';

const COUNT = 200;
const FRACTION = 0.2;
const RATIO = 0.1;
const VERSION = '3.0.0';
const SV = 'Device.DeviceInfo.SoftwareVersion';

let stack: Stack;
let fleet: Fleet;
/** Firmware installs per serial: [succeeded, failed]. */
const installs = new Map<string, [number, number]>();

beforeAll(async () => {
  stack = await startStack({ campaigns: { tickMs: 200 } });
  fleet = new Fleet({
    acsUrl: stack.acs.cwmpUrl,
    count: COUNT,
    model: 'tr181-router',
    serialPrefix: 'FW',
    connectionRequests: 'shared',
    connectionRequestCredentials: { username: CR_USER, password: CR_PASS },
    rebootDelayMs: 50,
    retry: { minimumWait: 0.05, multiplier: 2000 },
    installFailures: { fraction: FRACTION, mode: 9010 },
    observer: {
      transferDone: (r) => {
        if (!r.fileType.startsWith('1 ')) return;
        const n = installs.get(r.serialNumber) ?? [0, 0];
        n[r.faultCode === 0 ? 0 : 1]++;
        installs.set(r.serialNumber, n);
      },
    },
  });
  await fleet.start();
  await until(async () => (await stack.store.listDevices({ limit: 0 })).total === COUNT, 60_000);
}, 120_000);

afterAll(async () => {
  await fleet?.stop();
  await stack?.close();
});

const get = async (id: string): Promise<Json> => (await stack.api.get(`/campaigns/${id}`)).body;

describe('a 200-CPE campaign with stop rules', () => {
  it('pauses in the wave where the rule trips, starts no later wave, then finishes with every device upgraded once', async () => {
    const image = randomBytes(96 * 1024);
    const up = await fetch(`${stack.nbi.url}/api/v1/files?${new URLSearchParams({ name: `fw-${VERSION}.bin`, fileType: '1 Firmware Upgrade Image', version: VERSION })}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/octet-stream' },
      body: image,
    });
    expect(up.status).toBe(201);
    const file = (await up.json()) as { id: string };

    // What the rule must do, from the fleet's own choice of failing devices: waves are taken in id order.
    // (Every device shares OUI and ProductClass, so id order is serial order.)
    const serials = fleet.cpes.map((c) => c.serialNumber).sort();
    const sizes = [10, 100, 90];
    let start = 0;
    let trips = -1;
    for (let w = 0; w < sizes.length && trips < 0; w++) {
      const failing = serials.slice(start, start + sizes[w]!).filter((s) => failsInstall({ fraction: FRACTION }, s)).length;
      if (failing / sizes[w]! > RATIO) trips = w;
      start += sizes[w]!;
    }
    expect(trips).toBeGreaterThanOrEqual(0);

    const created = await stack.api.post('/campaigns', { name: 'fleet to 3.0.0', fileId: file.id, waves: [{ size: 10 }, { percent: 50 }, { percent: 50 }], stopRules: { maxFailureRatio: RATIO } });
    expect(created.status).toBe(201);
    expect(created.body.plan.waves.map((w: Json) => w.size)).toEqual(sizes);
    const id = created.body.id as string;

    const paused = await until(async () => {
      const c = await get(id);
      return c.state === 'paused' ? c : null;
    }, 120_000);
    expect(paused.reason).toContain(`failed in wave ${trips + 1}`);
    // Devices already under way finish; nothing after the tripping wave starts.
    const settled = await until(async () => {
      const c = await get(id);
      return c.counts.scheduled + c.counts.downloading + c.counts.installing === 0 ? c : null;
    }, 60_000);
    expect(settled.state).toBe('paused');
    for (const w of settled.waves.slice(trips + 1)) expect(w).toMatchObject({ pending: w.size, succeeded: 0, failed: 0 });
    const failed = (await stack.api.get(`/campaigns/${id}/devices?state=failed&limit=1000`)).body.devices as Json[];
    expect(failed.length).toBeGreaterThan(0);
    for (const d of failed) {
      expect(d.fault).toMatchObject({ code: 9010 });
      expect(d.wave).toBeLessThanOrEqual(trips);
      expect(failsInstall({ fraction: FRACTION }, decodeURIComponent(d.deviceId.split('-').pop()))).toBe(true);
    }

    fleet.setInstallFailures({ fraction: 0 });
    expect((await stack.api.post(`/campaigns/${id}/retry-failed`)).body.retried).toBe(failed.length);
    expect((await stack.api.post(`/campaigns/${id}/resume`)).body.state).toBe('running');
    const done = await until(async () => {
      const c = await get(id);
      return c.state === 'done' ? c : null;
    }, 180_000);
    expect(done.counts).toMatchObject({ succeeded: COUNT, failed: 0, skipped: 0, total: COUNT });
    for (const cpe of fleet.cpes) expect(cpe.model.get(SV)?.value, cpe.serialNumber).toBe(VERSION);
    // Each device installed the image exactly once; the failing ones failed exactly once before.
    for (const s of serials) {
      const [ok, bad] = installs.get(s) ?? [0, 0];
      expect(ok, s).toBe(1);
      expect(bad, s).toBe(failed.some((d) => d.deviceId.endsWith(s)) ? 1 : 0);
    }
  }, 400_000);
});
