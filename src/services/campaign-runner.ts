/**
 * The campaign runner: a background job (./jobs.ts) in every `flotilla serve` process that
 * moves firmware campaigns on. Each step leases one campaign in the store (claimCampaigns),
 * so processes share the campaigns between them and a campaign has one mover at a time;
 * when a process dies its lease lapses and another takes over from what the store says.
 *
 * One step of a campaign:
 *  1. follow the devices in flight: read their download task and their device (one read),
 *     decide each one's state (src/campaigns/rules.ts `assess`), record the changes;
 *  2. apply the stop rules to the current wave: pause with the reason when one trips;
 *  3. when every device of the current wave is final, enter the next wave (or finish);
 *  4. start devices of the current wave within the window and the caps: a device already
 *     on the version is skipped; the others go pending → scheduled (compare-and-set, so no
 *     device is started twice), get a download task, and a connection request.
 *
 * Crash safety: a device row becomes `scheduled` before its task exists, and gets the
 * task's id after. A row found scheduled without a task by a later step (the process died
 * between the two) is matched to its task by CommandKey (campaign id and attempt), or given
 * one then — never two. Outcomes come from the store (task state, stored SoftwareVersion,
 * last boot), so nothing a process held in memory is needed to go on.
 *
 * Events wake it early (a task finished, a device informed, an operator acted); a timer
 * covers the rest (deadlines, windows opening).
 */
import type { Logger } from 'pino';
import {
  assess,
  emptyCounts,
  FINAL_DEVICE_STATES,
  inFlight,
  nextWave,
  SKIP,
  startBudget,
  stopReason,
  UTC,
  windowAt,
  zoneOf,
  type DeviceState,
  type StateCounts,
} from '../campaigns/index.js';
import type { EventBus } from '../events/bus.js';
import type { ConnectionRequester } from '../reach/requester.js';
import type { CampaignDeviceProgress, CampaignDeviceTransition, CampaignRecord, NewTask, Store } from '../store/types.js';
import type { Task } from '../tasks/types.js';
import type { CampaignFile, CampaignFiles } from './campaigns.js';

/**
 * The download task a device gets for the campaign's file (the file repository fills in its
 * URL, size and names); `expiresAt` is the task's. Throwing refuses this device: it is
 * skipped with the error's message.
 */
export type DownloadTaskFactory = (file: CampaignFile, deviceId: string, commandKey: string, expiresAt: number | null) => Task | Promise<Task>;
/** A configuration backup (an upload task to the ACS) for campaigns with `backupFirst`. */
export type BackupTaskFactory = (deviceId: string, commandKey: string, expiresAt: number | null) => Task | Promise<Task>;

export interface CampaignRunnerOptions {
  store: Store;
  bus: EventBus;
  files: CampaignFiles;
  downloadTask: DownloadTaskFactory;
  /** Without it, `backupFirst` campaigns upgrade without the backup (and say so in the log). */
  backupTask?: BackupTaskFactory;
  requester?: ConnectionRequester | null;
  /** This process, as lease owner (unique per process). */
  owner: string;
  /** Step interval while a campaign has work (default 1000 ms). */
  tickMs?: number;
  /** How long a claim holds a campaign (default 30 s). */
  leaseMs?: number;
  /** Most devices read or started per step (default 500). */
  batch?: number;
  /**
   * A device whose download is still queued this long after its last connection request is
   * asked again (default 60 s): a request lost to a busy CPE or network does not leave it
   * waiting for its next periodic Inform.
   */
  repokeMs?: number;
  logger?: Logger;
  now?: () => number;
}

/** `camp:<id>:<attempt>` — unique per device and attempt, and within CWMP's 32 characters. */
export const commandKeyOf = (campaignId: string, attempt: number): string => `camp:${campaignId}:${attempt}`;
/** The CommandKey of the backup taken before an attempt's download (`backupFirst`). */
export const backupKeyOf = (campaignId: string, attempt: number): string => `camp:${campaignId}:${attempt}:bak`;

/** Connection requests in flight at once per step (each waits on a CPE's HTTP answer; the requester's rate limits still hold). */
const POKE_CONCURRENCY = 16;

/** campaign.changed actions that come from an operator (the service), not from a runner. */
const OPERATOR_ACTIONS = new Set(['created', 'paused', 'resumed', 'aborted', 'retried']);

export class CampaignRunner {
  readonly #o: CampaignRunnerOptions;
  readonly #now: () => number;
  readonly #tickMs: number;
  readonly #leaseMs: number;
  readonly #batch: number;
  #timer: NodeJS.Timeout | null = null;
  #running: Promise<void> | null = null;
  #again = false;
  #closed = false;
  readonly #unsubscribe: () => void;
  /** Connection requests under way (not awaited by a step). */
  readonly #pokes = new Set<Promise<unknown>>();
  /** When this process last sent a connection request per campaign and device. */
  readonly #poked = new Map<string, number>();
  /** The counts this process last published per campaign (progress events only on change). */
  readonly #lastProgress = new Map<string, string>();

  constructor(opts: CampaignRunnerOptions) {
    this.#o = opts;
    this.#now = opts.now ?? Date.now;
    this.#tickMs = opts.tickMs ?? 1000;
    this.#leaseMs = opts.leaseMs ?? 30_000;
    this.#batch = opts.batch ?? 500;
    this.#unsubscribe = opts.bus.subscribe((e) => {
      if (e.type === 'task.done' || e.type === 'task.faulted' || e.type === 'device.booted' || (e.type === 'campaign.changed' && OPERATOR_ACTIONS.has(String(e.data.action)))) this.wake();
    });
    this.#schedule(0);
  }

  /** Run a step soon (coalesced). */
  wake(): void {
    if (this.#closed) return;
    if (this.#running !== null) {
      this.#again = true;
      return;
    }
    this.#schedule(20);
  }

  #schedule(ms: number): void {
    if (this.#closed) return;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.#running = this.step()
        .catch((e: unknown) => this.#o.logger?.error({ err: e }, 'campaign step failed'))
        .finally(() => {
          this.#running = null;
          const again = this.#again;
          this.#again = false;
          this.#schedule(again ? 0 : this.#tickMs);
        });
    }, ms);
    this.#timer.unref();
  }

  /** One pass over the campaigns due now (tests call it directly). */
  async step(): Promise<void> {
    const { store, owner } = this.#o;
    const claimed = await store.claimCampaigns(owner, this.#now(), this.#leaseMs, 16);
    for (const c of claimed) {
      let next: { at: number | null; revision: number } = { at: this.#now() + this.#tickMs, revision: c.revision };
      try {
        next = await this.#advance(c);
      } catch (e) {
        this.#o.logger?.error({ err: e, campaignId: c.id }, 'campaign step failed');
      } finally {
        await store.releaseCampaign(c.id, owner, next.revision, next.at).catch(() => undefined);
      }
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#unsubscribe();
    if (this.#timer !== null) clearTimeout(this.#timer);
    await this.#running;
    await Promise.allSettled([...this.#pokes]);
  }

  /**
   * One step of one campaign; returns when it is next due (null: when an operator acts) and
   * the campaign's revision as this step left it.
   */
  async #advance(c0: CampaignRecord): Promise<{ at: number | null; revision: number }> {
    let rev = c0.revision;
    const at = await this.#step(c0, (u) => {
      rev = u.revision;
    });
    return { at, revision: rev };
  }

  async #step(c0: CampaignRecord, saw: (c: CampaignRecord) => void): Promise<number | null> {
    const { store } = this.#o;
    let c = c0;
    const now = this.#now();
    const file = await this.#o.files.get(c.target.fileId);

    // 1. Devices in flight.
    const progress = await store.campaignProgress(c.id, this.#batch * 4);
    const changes: CampaignDeviceTransition[] = [];
    for (const row of progress) {
      if (row.taskId === null) {
        await this.#recover(c, row, file, now);
        continue;
      }
      const a = assess(
        { state: row.state, scheduledAt: row.scheduledAt ?? now, downloadingAt: row.downloadingAt, task: row.task, version: row.version, lastBoot: row.lastBoot },
        c.target.version,
        c.definition,
        now,
      );
      if (a === null) continue;
      const final = (FINAL_DEVICE_STATES as readonly string[]).includes(a.state);
      changes.push({
        deviceId: row.deviceId,
        from: [row.state],
        to: a.state,
        ...(a.reason !== undefined ? { reason: a.reason } : {}),
        ...(a.fault !== undefined ? { fault: a.fault } : {}),
        ...(row.downloadingAt === null && a.state !== 'scheduled' ? { downloadingAt: now } : {}),
        ...(final ? { finishedAt: now } : {}),
      });
    }
    await this.#apply(c, changes, now, progress);
    this.#repoke(c, progress, now);

    // 2. Where the campaign stands.
    const snap = await store.campaignSnapshot(c.id, now - 60_000);
    if (snap === null) return null;
    const all = emptyCounts();
    for (const w of snap.waves) for (const s of Object.keys(all) as DeviceState[]) all[s] += w[s];
    const busy = inFlight(all);
    const followUp = busy > 0 ? now + this.#tickMs : null;
    if (c.state === 'aborted' || c.state === 'done') return followUp;

    if (c.state === 'running') {
      const cur = snap.waves[c.wave] ?? emptyCounts();
      const rules = c.definition.stopRules;
      const recent = rules.maxConsecutiveFailures !== null ? await store.recentCampaignOutcomes(c.id, c.resumedAt, rules.maxConsecutiveFailures) : [];
      const reason = stopReason(rules, c.wave, { waveSize: c.waveSizes[c.wave] ?? 0, failedInWave: Math.max(0, cur.failed - c.ackFailed), recentOutcomes: recent });
      if (reason !== null) {
        const u = await store.updateCampaign(c.id, c.revision, { state: 'paused', reason }, now);
        if (u !== null) saw(u);
        if (u !== null) this.#changed(u, 'paused');
        return followUp;
      }
    }
    if (c.state !== 'running') return followUp;

    // 3. The wave's verdict: every device of this wave and the ones before it final.
    let unfinished = 0;
    for (let w = 0; w <= c.wave && w < snap.waves.length; w++) unfinished += snap.waves[w]!.pending + inFlight(snap.waves[w]!);
    if (unfinished === 0) {
      const next = nextWave(c.waveSizes, c.wave);
      if (next === 'done') {
        const u = await store.updateCampaign(c.id, c.revision, { state: 'done', reason: null }, now);
        if (u !== null) saw(u);
        if (u !== null) this.#changed(u, 'done');
        this.#progress(u ?? c, snap.waves);
        return followUp;
      }
      const u = await store.updateCampaign(c.id, c.revision, { wave: next, ackFailed: 0 }, now);
      if (u !== null) saw(u);
      if (u === null) return now;
      c = u;
      this.#changed(c, 'wave');
    }

    // 4. Start devices.
    if (file === null) {
      const u = await store.updateCampaign(c.id, c.revision, { state: 'paused', reason: `file ${c.target.fileId} is gone` }, now);
      if (u !== null) saw(u);
      if (u !== null) this.#changed(u, 'paused');
      return followUp;
    }
    const def = c.definition;
    let windowNext: number | null = null;
    let budget = Math.min(this.#batch, startBudget(def.limits, all.scheduled + all.downloading, snap.startsSince));
    const perDeviceZone = def.window !== null && def.window.timezone === 'device';
    if (def.window !== null && !perDeviceZone) {
      const ws = windowAt(def.window, { timezone: def.window.timezone }, now);
      if (!ws.open) {
        budget = 0;
        windowNext = ws.opensAt;
      }
    }
    let started = 0;
    if (budget > 0) {
      const candidates = await store.campaignCandidates(c.id, c.wave, perDeviceZone ? this.#batch : budget);
      const skip: CampaignDeviceTransition[] = [];
      const go: { deviceId: string; attempt: number; closesAt: number | null }[] = [];
      for (const row of candidates) {
        if (go.length >= budget) break;
        if (row.version !== null && row.version === c.target.version) {
          skip.push({ deviceId: row.deviceId, from: ['pending'], to: 'skipped', reason: SKIP.onVersion, finishedAt: now });
          continue;
        }
        let closesAt: number | null = null;
        if (def.window !== null) {
          const ws = windowAt(def.window, perDeviceZone ? (zoneOf(row.zone) ?? UTC) : { timezone: def.window.timezone }, now);
          if (!ws.open) {
            if (ws.opensAt !== null) windowNext = windowNext === null ? ws.opensAt : Math.min(windowNext, ws.opensAt);
            continue;
          }
          closesAt = ws.closesAt;
        }
        go.push({ deviceId: row.deviceId, attempt: row.attempts + 1, closesAt });
      }
      await this.#apply(c, skip, now, []);
      started = await this.#start(c, file, go, now);
    }
    this.#progress(c, (await store.campaignSnapshot(c.id, now))?.waves ?? snap.waves);
    if (started > 0 || busy > 0) return now + this.#tickMs;
    const pendingNow = snap.waves.slice(0, c.wave + 1).reduce((n, w) => n + w.pending, 0);
    if (pendingNow > 0 && windowNext === null) return now + this.#tickMs;
    return windowNext ?? now + this.#tickMs;
  }

  /** pending → scheduled (compare-and-set), then the tasks, then their ids on the rows. */
  async #start(c: CampaignRecord, file: CampaignFile, go: { deviceId: string; attempt: number; closesAt: number | null }[], now: number): Promise<number> {
    if (go.length === 0) return 0;
    const { store } = this.#o;
    const won = new Set(
      await store.transitionCampaignDevices(
        c.id,
        go.map((g) => ({ deviceId: g.deviceId, from: ['pending'], to: 'scheduled', attempt: true, scheduledAt: now, downloadingAt: null, taskId: null })),
        now,
      ),
    );
    const mine = go.filter((g) => won.has(g.deviceId));
    if (mine.length === 0) return 0;
    const offlineUntil = now + c.definition.offlineSeconds * 1000;
    const tasks: NewTask[] = [];
    const refused: CampaignDeviceTransition[] = [];
    const backups: NewTask[] = [];
    const backupTask = c.definition.backupFirst === true ? this.#o.backupTask : undefined;
    if (c.definition.backupFirst === true && backupTask === undefined) this.#o.logger?.warn({ campaignId: c.id }, 'campaign: backupFirst without a backup task factory; upgrading without backups');
    for (const g of mine) {
      const expiresAt = g.closesAt === null ? offlineUntil : Math.min(offlineUntil, g.closesAt);
      try {
        const download = await this.#o.downloadTask(file, g.deviceId, commandKeyOf(c.id, g.attempt), expiresAt);
        // Queued before the download, so the CPE uploads its configuration before it installs.
        if (backupTask !== undefined) backups.push({ deviceId: g.deviceId, task: await backupTask(g.deviceId, backupKeyOf(c.id, g.attempt), expiresAt), expiresAt });
        tasks.push({ deviceId: g.deviceId, task: download, expiresAt });
      } catch (e) {
        refused.push({ deviceId: g.deviceId, from: ['scheduled'], to: 'skipped', reason: `${SKIP.notApplicable}: ${e instanceof Error ? e.message : String(e)}`, finishedAt: now });
      }
    }
    await this.#apply(c, refused, now, []);
    if (backups.length > 0) await store.createTasks(backups, now);
    const created = await store.createTasks(tasks, now);
    await store.transitionCampaignDevices(
      c.id,
      created.map((t) => ({ deviceId: t.deviceId, from: ['scheduled'], to: 'scheduled', taskId: t.id })),
      now,
    );
    for (const t of created) this.#device(c, t.deviceId, 'scheduled', { taskId: t.id });
    this.#poke(c, created.map((t) => ({ deviceId: t.deviceId, taskId: t.id })));
    return created.length;
  }

  /**
   * A row scheduled without a task id: its step died between the compare-and-set and the
   * task's id landing. Its task, if made, carries the attempt's CommandKey.
   */
  async #recover(c: CampaignRecord, row: CampaignDeviceProgress, file: CampaignFile | null, now: number): Promise<void> {
    const { store } = this.#o;
    // A step of this process may be between the two writes right now: leave fresh rows be.
    if (row.scheduledAt !== null && now - row.scheduledAt < this.#leaseMs) return;
    const key = commandKeyOf(c.id, row.attempts);
    const { tasks } = await store.listTasks({ deviceId: row.deviceId, types: ['download'], newestFirst: true, limit: 50 });
    let task = tasks.find((t) => t.commandKey === key) ?? null;
    if (task === null) {
      if (file === null) return;
      const expiresAt = now + c.definition.offlineSeconds * 1000;
      let body: Task;
      try {
        body = await this.#o.downloadTask(file, row.deviceId, key, expiresAt);
      } catch (e) {
        await this.#apply(c, [{ deviceId: row.deviceId, from: ['scheduled'], to: 'skipped', reason: `${SKIP.notApplicable}: ${e instanceof Error ? e.message : String(e)}`, finishedAt: now }], now, []);
        return;
      }
      task = (await store.createTasks([{ deviceId: row.deviceId, task: body, expiresAt }], now))[0] ?? null;
    }
    if (task === null) return;
    await store.transitionCampaignDevices(c.id, [{ deviceId: row.deviceId, from: ['scheduled'], to: 'scheduled', taskId: task.id, scheduledAt: now }], now);
    this.#o.logger?.info({ campaignId: c.id, deviceId: row.deviceId, taskId: task.id }, 'campaign: recovered a device left without its task id');
  }

  async #apply(c: CampaignRecord, changes: CampaignDeviceTransition[], now: number, rows: readonly CampaignDeviceProgress[]): Promise<void> {
    if (changes.length === 0) return;
    const done = new Set(await this.#o.store.transitionCampaignDevices(c.id, changes, now));
    const byId = new Map(rows.map((r) => [r.deviceId, r]));
    for (const t of changes) {
      if (!done.has(t.deviceId)) continue;
      const r = byId.get(t.deviceId);
      this.#device(c, t.deviceId, t.to, {
        ...(t.reason !== undefined && t.reason !== null ? { reason: t.reason } : {}),
        ...(t.fault !== undefined && t.fault !== null ? { fault: t.fault } : {}),
        ...(r !== undefined ? { wave: r.wave, taskId: r.taskId, version: r.version } : {}),
      });
    }
  }

  /** Ask again the devices whose download is still queued long after their last connection request. */
  #repoke(c: CampaignRecord, rows: readonly CampaignDeviceProgress[], now: number): void {
    const every = this.#o.repokeMs ?? 60_000;
    const again: { deviceId: string; taskId: string }[] = [];
    for (const r of rows) {
      if (again.length >= 100) break;
      if (r.state !== 'scheduled' || r.taskId === null || r.task?.state !== 'queued') continue;
      const last = this.#poked.get(`${c.id} ${r.deviceId}`) ?? r.scheduledAt ?? now;
      if (now - last >= every) again.push({ deviceId: r.deviceId, taskId: r.taskId });
    }
    if (again.length > 0) this.#poke(c, again);
  }

  #poke(c: CampaignRecord, list: { deviceId: string; taskId: string }[]): void {
    if (this.#poked.size > 200_000) this.#poked.clear();
    const at = this.#now();
    for (const x of list) this.#poked.set(`${c.id} ${x.deviceId}`, at);
    const requester = this.#o.requester;
    if (requester === null || requester === undefined || list.length === 0) return;
    let i = 0;
    const worker = async (): Promise<void> => {
      while (i < list.length && !this.#closed) {
        const x = list[i++]!;
        await requester.request(x.deviceId, [x.taskId], { paceGlobal: true }).catch(() => undefined);
      }
    };
    const p = Promise.all(Array.from({ length: Math.min(POKE_CONCURRENCY, list.length) }, worker));
    this.#pokes.add(p);
    void p.finally(() => this.#pokes.delete(p));
  }

  #device(c: CampaignRecord, deviceId: string, state: DeviceState, data: Record<string, unknown>): void {
    this.#o.bus.publish({ type: 'campaign.device', at: this.#now(), deviceId, data: { campaignId: c.id, state, ...data } });
  }

  #changed(c: CampaignRecord, action: string): void {
    this.#o.bus.publish({
      type: 'campaign.changed',
      at: this.#now(),
      deviceId: '',
      data: { campaignId: c.id, name: c.definition.name, action, state: c.state, wave: c.wave, reason: c.reason },
    });
  }

  /** Counts, when they changed since this process last said. */
  #progress(c: CampaignRecord, waves: StateCounts[]): void {
    const counts = emptyCounts();
    for (const w of waves) for (const s of Object.keys(counts) as DeviceState[]) counts[s] += w[s];
    const key = JSON.stringify([c.state, c.wave, counts]);
    if (this.#lastProgress.get(c.id) === key) return;
    this.#lastProgress.set(c.id, key);
    this.#o.bus.publish({ type: 'campaign.progress', at: this.#now(), deviceId: '', data: { campaignId: c.id, state: c.state, wave: c.wave, counts } });
  }
}

