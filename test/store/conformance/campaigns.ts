/**
 * Concern: firmware campaigns and their device rows (src/store/concerns/campaigns.ts).
 */
import { beforeEach, describe, expect, it } from 'vitest';
import type { CampaignRecord, NewCampaignDevice, Store } from '../../../src/store/types.js';
import { T0, harness, idOf, type StoreFixture } from './harness.js';

const SV = 'InternetGatewayDevice.DeviceInfo.SoftwareVersion';

export function campaign(id: string, over: Partial<CampaignRecord> = {}): CampaignRecord {
  return {
    id,
    definition: {
      name: `campaign ${id}`,
      fileId: 'file-1',
      filter: ['oui = 00D09E'],
      waves: [{ size: 2 }, { percent: 100 }],
      window: null,
      limits: { maxConcurrent: null, startsPerMinute: null },
      successCheck: { deadlineSeconds: 600 },
      offlineSeconds: 3600,
      stopRules: { maxFailureRatio: 0.3, maxConsecutiveFailures: null },
    },
    target: { fileId: 'file-1', version: '2.0', fileType: '1 Firmware Upgrade Image' },
    state: 'running',
    reason: null,
    wave: 0,
    waveSizes: [2, 3],
    ackFailed: 0,
    resumedAt: T0,
    revision: 1,
    author: 'alice',
    createdAt: T0,
    updatedAt: T0,
    ...over,
  };
}

const rows = (ids: string[], waves: number[]): NewCampaignDevice[] =>
  ids.map((deviceId, i) => ({ deviceId, wave: waves[i]!, state: 'pending', reason: null, fromVersion: '1.0', zone: i === 0 ? 'Europe/Berlin' : null }));

export function campaignsConformance(name: string, factory: () => Promise<StoreFixture>): void {
  describe(`Store conformance, campaigns: ${name}`, () => {
    const h = harness(factory);
    let store: Store;
    beforeEach(() => {
      store = h.store;
    });
    const D = ['A1', 'A2', 'A3', 'A4', 'A5'].map((s) => idOf(s));

    it('creates a campaign with its rows in order, reads it back and counts per wave', async () => {
      const c = campaign('c1');
      const devices = rows(D, [0, 0, 1, 1, 1]);
      devices[4] = { ...devices[4]!, state: 'skipped', reason: 'already on the version' };
      await store.createCampaign(c, devices, T0);
      expect(await store.getCampaign('c1')).toEqual(c);
      expect(await store.getCampaign('nope')).toBeNull();
      const listed = await store.listCampaignDevices('c1', { limit: 10 });
      expect(listed.map((r) => [r.deviceId, r.seq, r.wave, r.state])).toEqual([
        [D[0], 0, 0, 'pending'],
        [D[1], 1, 0, 'pending'],
        [D[2], 2, 1, 'pending'],
        [D[3], 3, 1, 'pending'],
        [D[4], 4, 1, 'skipped'],
      ]);
      expect(listed[0]).toMatchObject({ campaignId: 'c1', zone: 'Europe/Berlin', fromVersion: '1.0', attempts: 0, taskId: null, fault: null, finishedAt: null });
      expect(listed[4]).toMatchObject({ reason: 'already on the version', finishedAt: T0 });
      expect((await store.listCampaignDevices('c1', { wave: 1, states: ['pending'], limit: 10 })).map((r) => r.deviceId)).toEqual([D[2], D[3]]);
      expect((await store.listCampaignDevices('c1', { afterSeq: 2, limit: 1 })).map((r) => r.seq)).toEqual([3]);
      const snap = await store.campaignSnapshot('c1', T0);
      expect(snap!.waves[0]).toMatchObject({ pending: 2, skipped: 0 });
      expect(snap!.waves[1]).toMatchObject({ pending: 2, skipped: 1 });
      expect(snap!.startsSince).toBe(0);
      expect(await store.campaignSnapshot('nope', T0)).toBeNull();
    });

    it('a device in two campaigns, and one campaign id twice, refused whole', async () => {
      await store.createCampaign(campaign('c1'), rows(D.slice(0, 2), [0, 0]), T0);
      await store.createCampaign(campaign('c2', { createdAt: T0 + 1 }), rows(D.slice(0, 2), [0, 0]), T0);
      await expect(store.createCampaign(campaign('c1'), rows(D.slice(2, 3), [0]), T0)).rejects.toThrow();
      expect((await store.listCampaignDevices('c1', { limit: 10 })).length).toBe(2);
      const list = await store.listCampaigns({ limit: 10 });
      expect(list.total).toBe(2);
      expect(list.campaigns.map((c) => c.id)).toEqual(['c2', 'c1']);
    });

    it('lists by state, newest first, paged', async () => {
      await store.createCampaign(campaign('c1'), [], null);
      await store.createCampaign(campaign('c2', { createdAt: T0 + 1, state: 'paused' }), [], null);
      await store.createCampaign(campaign('c3', { createdAt: T0 + 2, state: 'done' }), [], null);
      expect((await store.listCampaigns({ limit: 10, states: ['running', 'paused'] })).campaigns.map((c) => c.id)).toEqual(['c2', 'c1']);
      const page = await store.listCampaigns({ limit: 1, offset: 1 });
      expect(page.total).toBe(3);
      expect(page.campaigns.map((c) => c.id)).toEqual(['c2']);
      expect((await store.listCampaigns({ limit: 5, states: ['aborted'] })).total).toBe(0);
    });

    it('updates by revision only', async () => {
      await store.createCampaign(campaign('c1'), [], null);
      const u = await store.updateCampaign('c1', 1, { state: 'paused', reason: 'stop rule: x', ackFailed: 2 }, T0 + 5);
      expect(u).toMatchObject({ state: 'paused', reason: 'stop rule: x', ackFailed: 2, revision: 2, updatedAt: T0 + 5, wave: 0 });
      expect(await store.updateCampaign('c1', 1, { state: 'running' }, T0 + 6)).toBeNull();
      const v = await store.updateCampaign('c1', 2, { state: 'running', reason: null, wave: 1, resumedAt: T0 + 7 }, T0 + 7);
      expect(v).toMatchObject({ state: 'running', reason: null, wave: 1, resumedAt: T0 + 7, ackFailed: 2, revision: 3 });
      expect(await store.updateCampaign('nope', 1, { state: 'running' }, T0)).toBeNull();
    });

    it('leases due campaigns to one owner at a time', async () => {
      await store.createCampaign(campaign('c1'), [], T0);
      await store.createCampaign(campaign('c2'), [], T0 + 100);
      await store.createCampaign(campaign('c3'), [], null);
      expect(await store.claimCampaigns('a', T0 - 1, 1000, 10)).toEqual([]);
      expect((await store.claimCampaigns('a', T0, 1000, 10)).map((c) => c.id)).toEqual(['c1']);
      // Held by a: b gets nothing; a may take it again (renewing its lease).
      expect(await store.claimCampaigns('b', T0 + 50, 1000, 10)).toEqual([]);
      expect((await store.claimCampaigns('b', T0 + 200, 1000, 10)).map((c) => c.id)).toEqual(['c2']);
      expect((await store.claimCampaigns('a', T0 + 200, 1000, 10)).map((c) => c.id)).toEqual(['c1']);
      // The lease lapses: another owner takes over.
      expect((await store.claimCampaigns('b', T0 + 1201, 1000, 10)).map((c) => c.id).sort()).toEqual(['c1', 'c2']);
      // Release: only the holder, and it sets when the campaign is next due.
      await store.releaseCampaign('c1', 'a', 1, T0);
      expect(await store.claimCampaigns('a', T0 + 1300, 1000, 10)).toEqual([]);
      await store.releaseCampaign('c1', 'b', 1, T0 + 5000);
      await store.releaseCampaign('c2', 'b', 1, null);
      expect(await store.claimCampaigns('a', T0 + 4999, 1000, 10)).toEqual([]);
      expect((await store.claimCampaigns('a', T0 + 5000, 1000, 10)).map((c) => c.id)).toEqual(['c1']);
      // A release by a holder whose view is stale (an operator changed the campaign meanwhile)
      // keeps the due time the change set.
      const held = (await store.claimCampaigns('a', T0 + 5000, 1000, 10))[0]!;
      const changed = await store.updateCampaign('c1', held.revision, { state: 'paused', nextAt: T0 + 5001 }, T0 + 5001);
      await store.releaseCampaign('c1', 'a', held.revision, null);
      expect((await store.claimCampaigns('b', T0 + 6001, 1000, 10)).map((c) => [c.id, c.revision])).toEqual([['c1', changed!.revision]]);
      await store.releaseCampaign('c1', 'b', changed!.revision, null);
      // An update can make it due again.
      const c2 = await store.getCampaign('c2');
      await store.updateCampaign('c2', c2!.revision, { nextAt: T0 + 5500 }, T0 + 5500);
      expect((await store.claimCampaigns('b', T0 + 5500, 1000, 5)).map((c) => c.id)).toEqual(['c2']);
    });

    it('moves device rows only from the states named, keeping fields left out', async () => {
      await store.createCampaign(campaign('c1'), rows(D.slice(0, 3), [0, 0, 1]), T0);
      const changed = await store.transitionCampaignDevices(
        'c1',
        [
          { deviceId: D[1]!, from: ['pending'], to: 'scheduled', attempt: true, scheduledAt: T0 + 10 },
          { deviceId: D[0]!, from: ['pending'], to: 'scheduled', attempt: true, scheduledAt: T0 + 10 },
          { deviceId: D[2]!, from: ['downloading'], to: 'failed' },
          { deviceId: idOf('ZZ'), from: ['pending'], to: 'scheduled' },
        ],
        T0 + 10,
      );
      expect(changed).toEqual([D[1], D[0]]);
      // A second runner doing the same finds nothing to change.
      expect(await store.transitionCampaignDevices('c1', [{ deviceId: D[0]!, from: ['pending'], to: 'scheduled', attempt: true }], T0 + 11)).toEqual([]);
      expect(await store.transitionCampaignDevices('c1', [{ deviceId: D[0]!, from: ['scheduled'], to: 'scheduled', taskId: 't-1' }], T0 + 12)).toEqual([D[0]]);
      const fault = { code: 9010, message: 'Download failure: "bad" ünïcode' };
      await store.transitionCampaignDevices('c1', [{ deviceId: D[1]!, from: ['scheduled'], to: 'failed', reason: 'CPE fault 9010', fault, finishedAt: T0 + 20 }], T0 + 20);
      const [r0, r1, r2] = await store.listCampaignDevices('c1', { limit: 10 });
      expect(r0).toMatchObject({ state: 'scheduled', taskId: 't-1', attempts: 1, scheduledAt: T0 + 10, updatedAt: T0 + 12, reason: null });
      expect(r1).toMatchObject({ state: 'failed', attempts: 1, scheduledAt: T0 + 10, reason: 'CPE fault 9010', fault, finishedAt: T0 + 20 });
      expect(r2).toMatchObject({ state: 'pending', attempts: 0, updatedAt: T0 });
      // Retry: back to pending with the fault and reason cleared, the attempt count kept.
      await store.transitionCampaignDevices('c1', [{ deviceId: D[1]!, from: ['failed'], to: 'pending', reason: null, fault: null, finishedAt: null, taskId: null }], T0 + 30);
      expect((await store.listCampaignDevices('c1', { limit: 10 }))[1]).toMatchObject({ state: 'pending', reason: null, fault: null, finishedAt: null, taskId: null, attempts: 1 });
      const snap = await store.campaignSnapshot('c1', T0 + 10);
      expect(snap!.startsSince).toBe(2);
      expect((await store.campaignSnapshot('c1', T0 + 11))!.startsSince).toBe(0);
      expect(snap!.waves[0]).toMatchObject({ scheduled: 1, pending: 1 });
    });

    it('reads in-flight rows with their task and their device; candidates with their version', async () => {
      const d1 = await h.device({ serial: 'A1', at: T0, boot: true, params: { [SV]: '1.0' } });
      const d2 = await h.device({ serial: 'A2', at: T0, params: { 'Device.DeviceInfo.SoftwareVersion': '1.1' } });
      const d3 = idOf('A3'); // never informed
      await store.createCampaign(campaign('c1'), rows([d1, d2, d3], [0, 0, 1]), T0);
      const [t1, t2] = await store.createTasks(
        [
          { deviceId: d1, task: { type: 'download', commandKey: 'k1', fileType: '1 Firmware Upgrade Image', url: 'http://x/f', username: '', password: '', fileSize: 1, targetFileName: '', delaySeconds: 0, successURL: '', failureURL: '' } },
          { deviceId: d2, task: { type: 'download', commandKey: 'k2', fileType: '1 Firmware Upgrade Image', url: 'http://x/f', username: '', password: '', fileSize: 1, targetFileName: '', delaySeconds: 0, successURL: '', failureURL: '' }, expiresAt: T0 + 5 },
        ],
        T0,
      );
      await store.transitionCampaignDevices(
        'c1',
        [
          { deviceId: d1, from: ['pending'], to: 'scheduled', taskId: t1!.id, scheduledAt: T0 },
          { deviceId: d2, from: ['pending'], to: 'scheduled', taskId: t2!.id, scheduledAt: T0 },
        ],
        T0,
      );
      let p = await store.campaignProgress('c1', 10);
      expect(p.map((r) => [r.deviceId, r.task?.state, r.version])).toEqual([
        [d1, 'queued', '1.0'],
        [d2, 'queued', '1.1'],
      ]);
      expect(p[0]!.lastBoot).toBe(T0);
      expect(p[1]!.lastBoot).toBeNull();
      // The device takes its task (running), then faults it; the other one's task expires.
      const opened = await h.open(d1, 'acs-a', T0 + 100);
      expect(opened.queue.map((t) => t.id)).toEqual([t1!.id]);
      expect((await store.campaignProgress('c1', 10))[0]!.task?.state).toBe('running');
      await store.releaseLock(d1, 'acs-a');
      await store.expireTasks(T0 + 10);
      const o2 = await h.open(d1, 'acs-a', T0 + 200);
      await store.commitSession({
        ...(await import('./harness.js')).commitOf(d1, { informAt: T0 + 200 }),
        requestOutcomes: [{ requestId: o2.queue[0]!.id, state: 'fault', fault: { faultCode: 9010, faultString: 'Download failure', setParameterValuesFault: [] }, at: T0 + 200 }],
      });
      p = await store.campaignProgress('c1', 10);
      expect(p[0]!.task).toEqual({ state: 'fault', fault: { code: 9010, message: 'Download failure' } });
      expect(p[1]!.task).toEqual({ state: 'expired', fault: null });
      await store.deleteTask(t2!.id);
      expect((await store.campaignProgress('c1', 10))[1]!.task).toBeNull();
      expect(await store.campaignProgress('c1', 1)).toHaveLength(1);

      const cands = await store.campaignCandidates('c1', 1, 10);
      expect(cands.map((r) => [r.deviceId, r.version])).toEqual([[d3, null]]);
      expect(await store.campaignCandidates('c1', 0, 10)).toEqual([]);
    });

    it('recent outcomes since a time, newest first', async () => {
      await store.createCampaign(campaign('c1'), rows(D, [0, 0, 0, 0, 0]), T0);
      const fin = (i: number, to: 'succeeded' | 'failed', at: number) => store.transitionCampaignDevices('c1', [{ deviceId: D[i]!, from: ['pending'], to, finishedAt: at }], at);
      await fin(0, 'failed', T0 + 1);
      await fin(1, 'succeeded', T0 + 2);
      await fin(2, 'failed', T0 + 3);
      await fin(3, 'failed', T0 + 4);
      expect(await store.recentCampaignOutcomes('c1', T0, 10)).toEqual(['failed', 'failed', 'succeeded', 'failed']);
      expect(await store.recentCampaignOutcomes('c1', T0 + 2, 2)).toEqual(['failed', 'failed']);
      expect(await store.recentCampaignOutcomes('c1', T0 + 5, 10)).toEqual([]);
    });

    it('knows which active campaigns use a file; deletes only finished campaigns, with their rows; device deletion drops its rows', async () => {
      const d1 = await h.device({ serial: 'A1', at: T0 });
      await store.createCampaign(campaign('c1'), rows([d1, D[1]!], [0, 0]), T0);
      await store.createCampaign(campaign('c2', { state: 'done' }), rows([D[2]!], [0]), null);
      expect(await store.campaignsUsingFile('file-1')).toEqual(['c1']);
      expect(await store.campaignsUsingFile('other')).toEqual([]);
      expect(await store.deleteCampaign('c1')).toBe(false);
      expect(await store.deleteCampaign('c2')).toBe(true);
      expect(await store.getCampaign('c2')).toBeNull();
      expect(await store.listCampaignDevices('c2', { limit: 10 })).toEqual([]);
      expect(await store.deleteDevice(d1)).toBe(true);
      expect((await store.listCampaignDevices('c1', { limit: 10 })).map((r) => r.deviceId)).toEqual([D[1]]);
    });
  });
}
