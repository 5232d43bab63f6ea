/**
 * The campaign service under the API: create a firmware campaign (or only plan it: a dry
 * run), read it with its counts and devices, pause, resume, abort, retry its failed devices.
 * The work of moving a campaign on is the runner's (./campaign-runner.ts), a background job;
 * this service only writes the operator's intent to the store and wakes the runners (every
 * change is published as `campaign.changed`). The rules are src/campaigns/.
 */
import { randomBytes } from 'node:crypto';
import {
  CampaignInputError,
  emptyCounts,
  parseCampaignDefinition,
  planWaves,
  SKIP,
  skipReason,
  totalOf,
  type Applicability,
  type CampaignDefinition,
  type DeviceState,
  type StateCounts,
} from '../campaigns/index.js';
import type { EventBus } from '../events/bus.js';
import type { FilterParser } from '../policies/validate.js';
import { SOFTWARE_VERSION_PATHS } from '../store/campaign-rows.js';
import type { CampaignDeviceRecord, CampaignRecord, DeviceFilter, NewCampaignDevice, Store, StoredParameter } from '../store/types.js';
import { conflict, notFound, ServiceError } from './errors.js';

/** What a campaign needs to know of a file in the repository. */
export interface CampaignFile {
  id: string;
  /** SoftwareVersion a device reports once the file is installed. */
  version: string;
  fileType: string;
  applicability: Applicability | null;
}

/** The file repository as campaigns see it (src/files/ provides it; tests may give a map). */
export interface CampaignFiles {
  get(id: string): Promise<CampaignFile | null>;
}

/** Where devices report their zone for "device" windows (TR-181 then TR-098). */
export const ZONE_PATHS = ['Device.Time.LocalTimeZoneName', 'Device.Time.LocalTimeZone', 'InternetGatewayDevice.Time.LocalTimeZoneName', 'InternetGatewayDevice.Time.LocalTimeZone'] as const;

export interface CampaignServiceOptions {
  store: Store;
  bus: EventBus;
  files: CampaignFiles;
  parseFilter: FilterParser;
  now?: () => number;
  /** Most devices one campaign may target. */
  maxDevices?: number;
}

export interface CampaignPlan {
  /** Devices the filter matches. */
  matched: number;
  /** Devices the campaign would upgrade. */
  eligible: number;
  waves: { wave: number; size: number }[];
  skipped: { total: number; reasons: Record<string, number> };
}

export interface CampaignView {
  campaign: CampaignRecord;
  counts: StateCounts & { total: number };
  waves: (StateCounts & { wave: number; size: number; total: number })[];
}

const PAGE = 1000;

const valueOf = (params: readonly StoredParameter[] | undefined, paths: readonly string[]): string | null => {
  for (const p of paths) {
    const v = params?.find((x) => x.path === p)?.value;
    if (v !== undefined && v !== null && v !== '') return v;
  }
  return null;
};

/** Campaign ids are short: they go into download CommandKeys (32 characters at most). */
const newCampaignId = (): string => randomBytes(8).toString('hex');

export class CampaignService {
  readonly #o: CampaignServiceOptions;
  readonly #now: () => number;

  constructor(opts: CampaignServiceOptions) {
    this.#o = opts;
    this.#now = opts.now ?? Date.now;
  }

  parse(input: unknown): CampaignDefinition {
    try {
      return parseCampaignDefinition(input, (f) => void this.#o.parseFilter(f));
    } catch (e) {
      if (e instanceof CampaignInputError) throw new ServiceError('INVALID_CAMPAIGN', e.message, undefined, { field: e.field });
      throw e;
    }
  }

  async #file(id: string) {
    const f = await this.#o.files.get(id);
    if (f === null) throw new ServiceError('INVALID_CAMPAIGN', `fileId: file ${id} not found`, undefined, { field: 'fileId' });
    return f;
  }

  /**
   * The devices the filter matches, in id order, each pending in its wave or skipped with
   * its reason. Read in pages; the plan is what a campaign created now would hold.
   */
  async #members(def: CampaignDefinition, file: CampaignFile): Promise<{ plan: CampaignPlan; devices: NewCampaignDevice[] }> {
    const { store } = this.#o;
    const filters: DeviceFilter[] = def.filter.map((f) => this.#o.parseFilter(f));
    const max = this.#o.maxDevices ?? 1_000_000;
    const first = await store.listDevices({ filters, limit: 0 });
    if (first.total > max) throw new ServiceError('INVALID_CAMPAIGN', `filter: matches ${first.total} devices; at most ${max} per campaign`, undefined, { field: 'filter' });
    const wantZone = def.window?.timezone === 'device';
    const paths = [...SOFTWARE_VERSION_PATHS, ...(wantZone ? ZONE_PATHS : [])];
    const eligible: NewCampaignDevice[] = [];
    const skipped: NewCampaignDevice[] = [];
    const reasons: Record<string, number> = {};
    let after: { key: string | number; id: string } | undefined;
    while (true) {
      const page = await store.listDevices({ filters, parameters: paths, limit: PAGE, ...(after ? { after } : {}) });
      for (const d of page.devices) {
        const version = valueOf(d.parameters, SOFTWARE_VERSION_PATHS);
        const zone = wantZone ? valueOf(d.parameters, ZONE_PATHS) : null;
        const why = skipReason({ oui: d.deviceId.oui, productClass: d.deviceId.productClass, version }, file.version, file.applicability);
        const row: NewCampaignDevice = { deviceId: d.id, wave: 0, state: why === null ? 'pending' : 'skipped', reason: why, fromVersion: version, zone };
        if (why === null) eligible.push(row);
        else {
          skipped.push(row);
          reasons[why] = (reasons[why] ?? 0) + 1;
        }
      }
      if (page.next === null) break;
      after = page.next;
    }
    const sizes = planWaves(eligible.length, def.waves);
    let i = 0;
    sizes.forEach((n, w) => {
      for (let k = 0; k < n; k++) eligible[i++]!.wave = w;
    });
    return {
      plan: {
        matched: eligible.length + skipped.length,
        eligible: eligible.length,
        waves: sizes.map((size, wave) => ({ wave, size })),
        skipped: { total: skipped.length, reasons },
      },
      devices: [...eligible, ...skipped.map((s) => ({ ...s, wave: Math.max(0, sizes.length - 1) }))],
    };
  }

  /** A dry run: what a campaign created now would do. Nothing is written. */
  async plan(input: unknown): Promise<CampaignPlan> {
    const def = this.parse(input);
    return (await this.#members(def, await this.#file(def.fileId))).plan;
  }

  /** Create and start at once: due for a runner now. */
  async create(input: unknown, author: string): Promise<{ campaign: CampaignRecord; plan: CampaignPlan }> {
    const def = this.parse(input);
    const file = await this.#file(def.fileId);
    const { plan, devices } = await this.#members(def, file);
    const now = this.#now();
    const campaign: CampaignRecord = {
      id: newCampaignId(),
      definition: def,
      target: { fileId: file.id, version: file.version, fileType: file.fileType },
      state: 'running',
      reason: null,
      wave: 0,
      waveSizes: plan.waves.map((w) => w.size),
      ackFailed: 0,
      resumedAt: now,
      revision: 1,
      author,
      createdAt: now,
      updatedAt: now,
    };
    await this.#o.store.createCampaign(campaign, devices, now);
    this.#changed(campaign, 'created');
    return { campaign, plan };
  }

  async list(q: { states?: CampaignRecord['state'][]; limit: number; offset?: number }): Promise<{ total: number; campaigns: CampaignView[] }> {
    const page = await this.#o.store.listCampaigns(q);
    const out: CampaignView[] = [];
    for (const c of page.campaigns) out.push(await this.#view(c));
    return { total: page.total, campaigns: out };
  }

  async get(id: string): Promise<CampaignView> {
    const c = await this.#o.store.getCampaign(id);
    if (c === null) throw notFound(`campaign ${id}`);
    return this.#view(c);
  }

  async #view(c: CampaignRecord): Promise<CampaignView> {
    const snap = await this.#o.store.campaignSnapshot(c.id, this.#now());
    const waves = (snap?.waves ?? []).map((w, i) => ({ wave: i, size: c.waveSizes[i] ?? 0, ...w, total: totalOf(w) }));
    const counts = emptyCounts();
    for (const w of snap?.waves ?? []) for (const s of Object.keys(counts) as DeviceState[]) counts[s] += w[s];
    return { campaign: c, counts: { ...counts, total: totalOf(counts) }, waves };
  }

  async devices(id: string, q: { states?: DeviceState[]; wave?: number; afterSeq?: number; limit: number }): Promise<CampaignDeviceRecord[]> {
    if ((await this.#o.store.getCampaign(id)) === null) throw notFound(`campaign ${id}`);
    return this.#o.store.listCampaignDevices(id, q);
  }

  /** Apply a change to the campaign's current revision, reading it again if another writer moved it. */
  async #update(id: string, change: (c: CampaignRecord) => Parameters<Store['updateCampaign']>[2]): Promise<CampaignRecord> {
    for (let i = 0; i < 5; i++) {
      const c = await this.#o.store.getCampaign(id);
      if (c === null) throw notFound(`campaign ${id}`);
      const patch = change(c);
      const u = await this.#o.store.updateCampaign(id, c.revision, { ...patch, nextAt: this.#now() }, this.#now());
      if (u !== null) return u;
    }
    throw conflict(`campaign ${id} keeps changing; try again`);
  }

  async pause(id: string, who: string): Promise<CampaignRecord> {
    const c = await this.#update(id, (c) => {
      if (c.state !== 'running') throw conflict(`campaign is ${c.state}; only a running campaign can be paused`);
      return { state: 'paused', reason: `paused by ${who}` };
    });
    this.#changed(c, 'paused', { by: who });
    return c;
  }

  /** Failures so far in the current wave are accepted (the ratio rule counts only new ones); "in a row" starts over. */
  async resume(id: string, who: string): Promise<CampaignRecord> {
    const { store } = this.#o;
    for (let i = 0; i < 5; i++) {
      const c = await store.getCampaign(id);
      if (c === null) throw notFound(`campaign ${id}`);
      if (c.state !== 'paused') throw conflict(`campaign is ${c.state}; only a paused campaign can be resumed`);
      const failed = (await store.campaignSnapshot(id, this.#now()))?.waves[c.wave]?.failed ?? 0;
      const now = this.#now();
      const u = await store.updateCampaign(id, c.revision, { state: 'running', reason: null, ackFailed: failed, resumedAt: now, nextAt: now }, now);
      if (u !== null) {
        this.#changed(u, 'resumed', { by: who });
        return u;
      }
    }
    throw conflict(`campaign ${id} keeps changing; try again`);
  }

  /**
   * Stop for good: devices not started are skipped, queued downloads withdrawn; devices
   * already transferring are still followed to their outcome.
   */
  async abort(id: string, who: string): Promise<CampaignRecord> {
    const c = await this.#update(id, (c) => {
      if (c.state === 'aborted' || c.state === 'done') throw conflict(`campaign is ${c.state}`);
      return { state: 'aborted', reason: `aborted by ${who}` };
    });
    const { store } = this.#o;
    const now = this.#now();
    let afterSeq = -1;
    while (true) {
      const rows = await store.listCampaignDevices(id, { states: ['pending', 'scheduled'], afterSeq, limit: PAGE });
      if (rows.length === 0) break;
      afterSeq = rows.at(-1)!.seq;
      const moves = [];
      for (const r of rows) {
        if (r.state === 'scheduled' && r.taskId !== null) {
          const t = await store.getTask(r.taskId);
          // A download the device has started is left to finish; the runner records it.
          if (t !== null && t.state !== 'queued') continue;
          if (t !== null) await store.deleteTask(t.id);
        }
        moves.push({ deviceId: r.deviceId, from: [r.state], to: 'skipped' as const, reason: SKIP.aborted, finishedAt: now });
      }
      await store.transitionCampaignDevices(id, moves, now);
    }
    this.#changed(c, 'aborted', { by: who });
    return c;
  }

  /** Failed devices start over (a new download each), in their waves; a finished campaign runs again. */
  async retryFailed(id: string, who: string): Promise<{ campaign: CampaignRecord; retried: number }> {
    const { store } = this.#o;
    const c0 = await store.getCampaign(id);
    if (c0 === null) throw notFound(`campaign ${id}`);
    if (c0.state === 'aborted') throw conflict('campaign is aborted');
    const now = this.#now();
    let retried = 0;
    let afterSeq = -1;
    while (true) {
      const rows = await store.listCampaignDevices(id, { states: ['failed'], afterSeq, limit: PAGE });
      if (rows.length === 0) break;
      afterSeq = rows.at(-1)!.seq;
      const moved = await store.transitionCampaignDevices(
        id,
        rows.map((r) => ({ deviceId: r.deviceId, from: ['failed' as const], to: 'pending' as const, reason: null, fault: null, taskId: null, finishedAt: null, downloadingAt: null })),
        now,
      );
      retried += moved.length;
    }
    const c = await this.#update(id, (c) => ({ ackFailed: 0, resumedAt: now, ...(c.state === 'done' ? { state: 'running' as const, reason: null } : {}) }));
    this.#changed(c, 'retried', { retried, by: who });
    return { campaign: c, retried };
  }

  async delete(id: string): Promise<void> {
    const c = await this.#o.store.getCampaign(id);
    if (c === null) throw notFound(`campaign ${id}`);
    if (!(await this.#o.store.deleteCampaign(id))) throw conflict(`campaign is ${c.state}; only a done or aborted campaign can be deleted`);
  }

  /** Campaigns still using a file (the file repository refuses to delete it while any does). */
  usingFile(fileId: string): Promise<string[]> {
    return this.#o.store.campaignsUsingFile(fileId);
  }

  #changed(c: CampaignRecord, action: string, extra: Record<string, unknown> = {}): void {
    this.#o.bus.publish({
      type: 'campaign.changed',
      at: this.#now(),
      deviceId: '',
      data: { campaignId: c.id, name: c.definition.name, action, state: c.state, wave: c.wave, reason: c.reason, ...extra },
    });
  }
}

