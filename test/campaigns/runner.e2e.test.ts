/**
 * The campaign runner end to end in one process: real HTTP (CWMP, the API, connection
 * requests, the firmware download), SQLite, simulated CPEs that download and install.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CampaignFile } from '../../src/services/campaigns.js';
import type { Task } from '../../src/tasks/types.js';
import { SimFleet, startStack, until, type Json, type Stack } from '../nbi/helpers.js';

const SV = 'Device.DeviceInfo.SoftwareVersion';

let stack: Stack;
let fleet: SimFleet;
let fw: Server;
let fwBase: string;
/** Serials whose install fails (the simulator's failure injection): fault 9010, or gone for good. */
const failing = new Map<string, 9010 | 'vanish'>();
const downloads = new Map<string, number>();
/** What each device sent and fetched, in order ("backup", "download"). */
const transfers = new Map<string, string[]>();

function backupTask(deviceId: string, commandKey: string): Task {
  return { type: 'upload', commandKey, fileType: '1 Vendor Configuration File', url: `${fwBase}/backup?d=${encodeURIComponent(serialOf(deviceId))}`, username: '', password: '', delaySeconds: 0 };
}

const files = new Map<string, CampaignFile>([
  ['fw2', { id: 'fw2', version: '2.0', fileType: '1 Firmware Upgrade Image', applicability: null }],
  ['fw1', { id: 'fw1', version: '1.0', fileType: '1 Firmware Upgrade Image', applicability: null }],
  ['other', { id: 'other', version: '9.9', fileType: '1 Firmware Upgrade Image', applicability: { productClass: ['NotThis'] } }],
]);

const serialOf = (deviceId: string): string => decodeURIComponent(deviceId.split('-').pop()!);

function downloadTask(file: CampaignFile, deviceId: string, commandKey: string): Task {
  const serial = serialOf(deviceId);
  return { type: 'download', commandKey, fileType: file.fileType, url: `${fwBase}/fw-${file.version}.bin?d=${encodeURIComponent(serial)}`, username: '', password: '', fileSize: 0, targetFileName: '', delaySeconds: 0, successURL: '', failureURL: '' };
}

beforeEach(async () => {
  failing.clear();
  downloads.clear();
  transfers.clear();
  fw = createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://x');
    const d = u.searchParams.get('d') ?? '';
    const seen = transfers.get(d) ?? [];
    transfers.set(d, seen);
    if (req.method === 'PUT' || req.method === 'POST') {
      const body: Buffer[] = [];
      req.on('data', (b: Buffer) => body.push(b));
      req.on('end', () => {
        seen.push(Buffer.concat(body).length > 0 ? 'backup' : 'empty backup');
        res.writeHead(201).end();
      });
      return;
    }
    seen.push('download');
    downloads.set(d, (downloads.get(d) ?? 0) + 1);
    res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(Buffer.alloc(1024, 7));
  });
  await new Promise<void>((r) => fw.listen(0, '127.0.0.1', r));
  fwBase = `http://127.0.0.1:${(fw.address() as AddressInfo).port}`;
  stack = await startStack({ campaigns: { files: { get: async (id) => files.get(id) ?? null }, downloadTask, backupTask, tickMs: 100 } });
  fleet = new SimFleet(stack.acs.cwmpUrl, { rebootDelayMs: 20 });
  fleet.runtime.installFailure = (serial) => failing.get(serial) ?? null;
});

afterEach(async () => {
  await fleet.close();
  await stack.close();
  await new Promise<void>((r) => fw.close(() => r()));
});

async function addDevices(n: number, version = '1.0'): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) ids.push((await fleet.add(`S${String(i).padStart(3, '0')}`, { [SV]: version })).id);
  return ids;
}

const versionOf = (serial: string): string | undefined => fleet.cpes.get(serial)!.model.get(SV)?.value;

describe('campaign runner', () => {
  it('upgrades a small fleet in waves; a dry run says the same beforehand', async () => {
    await addDevices(6);
    await fleet.add('ON2', { [SV]: '2.0' });
    const body = { name: 'to 2.0', fileId: 'fw2', waves: [{ size: 2 }, { percent: 50 }, { percent: 50 }], stopRules: { maxFailureRatio: 0.3 } };
    const dry = await stack.api.post('/campaigns?dryRun=true', body);
    expect(dry.status).toBe(200);
    expect(dry.body).toMatchObject({ dryRun: true, matched: 7, eligible: 6, waves: [{ wave: 0, size: 2 }, { wave: 1, size: 3 }, { wave: 2, size: 1 }], skipped: { total: 1, reasons: { 'already on the version': 1 } } });
    expect((await stack.api.get('/campaigns')).body.total).toBe(0);

    const created = await stack.api.post('/campaigns', body);
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    expect(created.body).toMatchObject({ state: 'running', version: '2.0', counts: { total: 7, skipped: 1 } });
    const done = await until(async () => {
      const r = await stack.api.get(`/campaigns/${id}`);
      return r.body.state === 'done' ? r.body : null;
    }, 30_000);
    expect(done.counts).toMatchObject({ succeeded: 6, skipped: 1, failed: 0, pending: 0, total: 7 });
    for (let i = 0; i < 6; i++) expect(versionOf(`S00${i}`)).toBe('2.0');
    expect([...downloads.values()].every((n) => n === 1)).toBe(true);
    expect(downloads.size).toBe(6);
    const devices = (await stack.api.get(`/campaigns/${id}/devices?limit=100`)).body.devices as Json[];
    expect(devices.filter((d) => d.state === 'succeeded').every((d) => d.attempts === 1 && d.taskId !== null)).toBe(true);
  });

  it('with backupFirst, each device uploads its configuration right before its download, once; without it, no backup', async () => {
    await addDevices(4);
    const body = { name: 'backed up', fileId: 'fw2', waves: [{ size: 1 }, { percent: 100 }], backupFirst: true };
    expect((await stack.api.post('/campaigns', { ...body, backupFirst: 'yes' })).status).toBe(400);
    const id = (await stack.api.post('/campaigns', body)).body.id as string;
    expect((await stack.api.get(`/campaigns/${id}`)).body).toMatchObject({ definition: { backupFirst: true } });
    await until(async () => (await stack.api.get(`/campaigns/${id}`)).body.state === 'done', 30_000);
    for (let i = 0; i < 4; i++) {
      expect(versionOf(`S00${i}`)).toBe('2.0');
      expect(transfers.get(`S00${i}`)).toEqual(['backup', 'download']);
    }
    // The backup is a task of its own, done, beside the download.
    const [device] = (await stack.store.listDevices({})).devices;
    const uploads = (await stack.store.listTasks({ deviceId: device!.id, types: ['upload'] })).tasks;
    expect(uploads.map((t) => [t.state, t.commandKey])).toEqual([['done', `camp:${id}:1:bak`]]);

    transfers.clear();
    await fleet.add('LATE', { [SV]: '1.0' });
    const plain = (await stack.api.post('/campaigns', { name: 'plain', fileId: 'fw2', filter: 'serialNumber = LATE' })).body.id as string;
    await until(async () => (await stack.api.get(`/campaigns/${plain}`)).body.state === 'done', 30_000);
    expect(transfers.get('LATE')).toEqual(['download']);
  });

  it('pauses on the stop rule in the wave where it trips, starts no later wave, and finishes after retry and resume', async () => {
    await addDevices(10);
    failing.set('S000', 9010);
    failing.set('S003', 9010);
    const created = await stack.api.post('/campaigns', { name: 'stop', fileId: 'fw2', waves: [{ size: 4 }, { percent: 100 }], stopRules: { maxFailureRatio: 0.3 } });
    const id = created.body.id as string;
    const paused = await until(async () => {
      const r = await stack.api.get(`/campaigns/${id}`);
      return r.body.state === 'paused' ? r.body : null;
    }, 30_000);
    expect(paused.reason).toMatch(/stop rule: 2 of 4 devices failed in wave 1/);
    // Let the in-flight devices settle; nothing of wave 2 may have started.
    await until(async () => (await stack.api.get(`/campaigns/${id}`)).body.waves[0].pending + (await stack.api.get(`/campaigns/${id}`)).body.waves[0].scheduled === 0);
    const now = (await stack.api.get(`/campaigns/${id}`)).body;
    expect(now.waves[1]).toMatchObject({ pending: 6, scheduled: 0, downloading: 0, succeeded: 0 });
    const failed = (await stack.api.get(`/campaigns/${id}/devices?state=failed`)).body.devices as Json[];
    expect(failed.map((d) => d.deviceId).sort()).toEqual([...(await stack.store.listDevices({})).devices.map((d) => d.id)].filter((d) => /S00[03]$/.test(d)).sort());
    expect(failed[0]).toMatchObject({ reason: expect.stringMatching(/^CPE fault 9010: /), fault: { code: 9010 } });

    failing.clear();
    expect((await stack.api.post(`/campaigns/${id}/retry-failed`)).body.retried).toBe(2);
    expect((await stack.api.post(`/campaigns/${id}/resume`)).status).toBe(200);
    await until(async () => (await stack.api.get(`/campaigns/${id}`)).body.state === 'done', 30_000);
    for (let i = 0; i < 10; i++) expect(versionOf(`S00${i}`)).toBe('2.0');
    const rows = (await stack.api.get(`/campaigns/${id}/devices`)).body.devices as Json[];
    expect(rows.find((d) => d.deviceId.endsWith('S000')).attempts).toBe(2);
  });

  it('starts devices only inside their own maintenance window (device time zones)', async () => {
    const hour = new Date().getUTCHours();
    // A: UTC; B: UTC+6 (POSIX "-6"), so a window opening at this UTC hour local time opened 6 hours ago for B; C: no zone (UTC).
    const a = (await fleet.add('ZA', { [SV]: '1.0', 'Device.Time.LocalTimeZone': 'UTC0' })).id;
    const b = (await fleet.add('ZB', { [SV]: '1.0', 'Device.Time.LocalTimeZone': 'XXX-6' })).id;
    const c = (await fleet.add('ZC', { [SV]: '1.0', 'Device.Time.LocalTimeZone': '' })).id;
    const created = await stack.api.post('/campaigns', { name: 'night', fileId: 'fw2', window: { cron: `0 ${hour} * * *`, durationMinutes: 120, timezone: 'device' } });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    await until(async () => (await stack.api.get(`/campaigns/${id}`)).body.counts.succeeded === 2, 30_000);
    const rows = new Map(((await stack.api.get(`/campaigns/${id}/devices`)).body.devices as Json[]).map((d) => [d.deviceId, d]));
    expect(rows.get(a).state).toBe('succeeded');
    expect(rows.get(c).state).toBe('succeeded');
    expect(rows.get(b)).toMatchObject({ state: 'pending', attempts: 0, taskId: null });
    expect(versionOf('ZB')).toBe('1.0');
    // The download of a device in its window expires when the window closes.
    const task = await stack.store.getTask(rows.get(a).taskId);
    const top = new Date();
    top.setUTCMinutes(0, 0, 0);
    expect(task!.expiresAt).toBe(top.getTime() + 120 * 60_000);
    expect((await stack.api.get(`/campaigns/${id}`)).body.state).toBe('running');
  });

  it('keeps transfers at once under the cap, and says every step on the event stream and to webhooks', async () => {
    const got: Json[] = [];
    const receiver = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        got.push(JSON.parse(Buffer.concat(chunks).toString()));
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    try {
      const hook = await stack.api.post('/webhooks', { url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`, events: ['campaign.changed'], secret: 'campaign-hook-secret-0123456789' });
      expect(hook.status).toBe(201);
      await addDevices(8);
      const events: Json[] = [];
      const states = new Map<string, string>();
      let most = 0;
      const off = stack.bus.subscribe((e) => {
        if (!e.type.startsWith('campaign.')) return;
        events.push(e);
        if (e.type !== 'campaign.device') return;
        states.set(e.deviceId, String(e.data.state));
        most = Math.max(most, [...states.values()].filter((s) => s === 'scheduled' || s === 'downloading').length);
      });
      const id = (await stack.api.post('/campaigns', { name: 'capped', fileId: 'fw2', waves: [{ size: 3 }, { percent: 100 }], limits: { maxConcurrent: 2 } })).body.id as string;
      await until(async () => (await stack.api.get(`/campaigns/${id}`)).body.state === 'done', 30_000);
      off();
      expect(most).toBe(2);
      expect([...states.values()].every((s) => s === 'succeeded')).toBe(true);
      const actions = events.filter((e) => e.type === 'campaign.changed').map((e) => e.data.action);
      expect(actions).toEqual(['created', 'wave', 'done']);
      expect(events.filter((e) => e.type === 'campaign.device' && e.data.state === 'succeeded')).toHaveLength(8);
      const last = events.filter((e) => e.type === 'campaign.progress').at(-1);
      expect(last.data).toMatchObject({ campaignId: id, state: 'done', counts: { succeeded: 8 } });
      await until(() => got.some((e) => e.data.action === 'done'));
      expect(got.map((e) => e.data.action)).toEqual(['created', 'wave', 'done']);
    } finally {
      await new Promise<void>((r) => receiver.close(() => r()));
    }
  });

  it('fails a device that never comes back after its download, once the deadline passes', async () => {
    await addDevices(3);
    failing.set('S001', 'vanish');
    const id = (await stack.api.post('/campaigns', { name: 'gone', fileId: 'fw2', successCheck: { deadlineSeconds: 2 } })).body.id as string;
    const done = await until(async () => {
      const r = await stack.api.get(`/campaigns/${id}`);
      return r.body.state === 'done' ? r.body : null;
    }, 30_000);
    expect(done.counts).toMatchObject({ succeeded: 2, failed: 1 });
    const failed = (await stack.api.get(`/campaigns/${id}/devices?state=failed`)).body.devices as Json[];
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({ reason: 'did not come back', fault: null });
    expect(failed[0].deviceId).toMatch(/S001$/);
    expect(versionOf('S001')).toBe('1.0');
  });
});
