/**
 * Background jobs: work that runs on a timer or off the event bus rather than per request.
 * `flotilla serve` starts them (every process: jobs share their work through the store,
 * with leases where two processes must not do the same thing), never the REST API, so an
 * API process can be started without them (tests, a read-only replica) and new jobs
 * (firmware campaigns, alarms, time-series roll-ups) join here, not inside the API.
 *
 * Today: the webhook dispatcher (src/events/webhooks.ts; its pump also prunes old
 * deliveries), the task-expiry sweep, the firmware campaign runner (./campaign-runner.ts) and
 * policies' scheduled backups (./backup-schedule.ts).
 */
import type { Logger } from 'pino';
import type { EventBus } from '../events/bus.js';
import { WebhookDispatcher, type WebhookOptions } from '../events/webhooks.js';
import type { Store } from '../store/types.js';
import { CampaignRunner, type CampaignRunnerOptions } from './campaign-runner.js';
import { AlarmEngine, type AlarmEngineOptions } from './alarm-engine.js';
import { BackupSchedule, type BackupScheduleOptions } from './backup-schedule.js';
import { PolicyWake, type PolicyWakeOptions } from './policy-wake.js';

export interface JobsOptions {
  store: Store;
  bus: EventBus;
  webhooks?: WebhookOptions;
  /** The campaign runner's options; absent: this process runs no campaigns. */
  campaigns?: Omit<CampaignRunnerOptions, 'store' | 'bus' | 'logger' | 'now'>;
  /** How often expired tasks are swept (default 60 s). */
  expirySweepMs?: number;
  /** The file transfer log is kept this long (default 30 days; docs/files.md). */
  transferLogRetentionMs?: number;
  /** The alarm evaluator's options (./alarm-engine.ts). */
  alarms?: Omit<AlarmEngineOptions, 'store' | 'bus' | 'logger' | 'now'>;
  /** Policies' scheduled backups (./backup-schedule.ts); absent: none are queued by this process. */
  backups?: Omit<BackupScheduleOptions, 'store' | 'logger' | 'now'>;
  /** Connection requests to devices whose policies' schedule windows their own Informs would miss (./policy-wake.ts); absent: none. */
  policyWake?: Omit<PolicyWakeOptions, 'store' | 'logger' | 'now'>;
  /** KPI series upkeep: roll-ups and retention (docs/monitoring.md). */
  series?: Partial<SeriesUpkeep>;
  logger?: Logger;
  now?: () => number;
}

export interface SeriesUpkeep {
  /** Raw samples are kept this long (default 7 days). */
  rawRetentionMs: number;
  /** Hourly roll-ups are kept this long (default 90 days). */
  hourlyRetentionMs: number;
  /** How often (default 10 minutes; the first run a few seconds after the start). */
  everyMs: number;
}

export const DEFAULT_SERIES_UPKEEP: SeriesUpkeep = { rawRetentionMs: 7 * 86_400_000, hourlyRetentionMs: 90 * 86_400_000, everyMs: 10 * 60_000 };

/** Roll up ended hours and apply retention, on a timer. Returns what stops it. */
export function startSeriesUpkeep(opts: { store: Store; upkeep: SeriesUpkeep; logger?: Logger; now: () => number }): () => void {
  const { store, upkeep, logger, now } = opts;
  let running = false;
  const run = (): void => {
    if (running) return;
    running = true;
    store
      .maintainSeries({ now: now(), rawRetentionMs: upkeep.rawRetentionMs, hourlyRetentionMs: upkeep.hourlyRetentionMs })
      .then(
        (r) => {
          if (r.rawDropped + r.hoursDropped > 0) logger?.info(r, 'KPI series retention applied');
        },
        (e: unknown) => logger?.error({ err: e }, 'KPI series upkeep failed'),
      )
      .finally(() => {
        running = false;
      });
  };
  const first = setTimeout(run, Math.min(5_000, upkeep.everyMs));
  first.unref();
  const timer = setInterval(run, upkeep.everyMs);
  timer.unref();
  return () => {
    clearTimeout(first);
    clearInterval(timer);
  };
}

export interface Jobs {
  readonly webhooks: WebhookDispatcher;
  readonly alarms: AlarmEngine;
  readonly campaigns: CampaignRunner | null;
  /** Stop every job; waits for the work in hand as each job allows (webhook POSTs: closeTimeoutMs). */
  close(): Promise<void>;
}

/**
 * Expired tasks leave the queue even for devices that never come back: every `everyMs`,
 * mark them expired and publish task.expired. Returns what stops it.
 */
export function startTaskExpirySweep(opts: { store: Store; bus: EventBus; everyMs: number; logger?: Logger; now: () => number }): () => void {
  const { store, bus, now, logger } = opts;
  const timer = setInterval(() => {
    store.expireTasks(now()).then(
      (expired) => {
        for (const t of expired) bus.publish({ type: 'task.expired', at: now(), deviceId: t.deviceId, data: { taskId: t.id, taskType: t.task.type } });
      },
      (e: unknown) => logger?.error({ err: e }, 'task expiry sweep failed'),
    );
  }, opts.everyMs);
  timer.unref();
  return () => clearInterval(timer);
}

/** Drop transfer-log entries past their retention, every 10 minutes. Returns what stops it. */
export function startTransferLogRetention(opts: { store: Store; retentionMs: number; logger?: Logger; now: () => number }): () => void {
  const timer = setInterval(() => {
    opts.store.pruneTransferLog(opts.now() - opts.retentionMs).then(
      (n) => {
        if (n > 0) opts.logger?.info({ dropped: n }, 'file transfer log retention applied');
      },
      (e: unknown) => opts.logger?.error({ err: e }, 'file transfer log retention failed'),
    );
  }, 10 * 60_000);
  timer.unref();
  return () => clearInterval(timer);
}

export function startJobs(opts: JobsOptions): Jobs {
  const log = opts.logger;
  const webhooks = new WebhookDispatcher(opts.store, opts.bus, { ...(log ? { logger: log } : {}), ...opts.webhooks });
  const stopSweep = startTaskExpirySweep({
    store: opts.store,
    bus: opts.bus,
    everyMs: opts.expirySweepMs ?? 60_000,
    now: opts.now ?? Date.now,
    ...(log ? { logger: log } : {}),
  });
  const alarms = new AlarmEngine({ store: opts.store, bus: opts.bus, ...opts.alarms, ...(log ? { logger: log } : {}), ...(opts.now ? { now: opts.now } : {}) });
  alarms.start();
  const stopSeries = startSeriesUpkeep({
    store: opts.store,
    upkeep: { ...DEFAULT_SERIES_UPKEEP, ...opts.series },
    now: opts.now ?? Date.now,
    ...(log ? { logger: log } : {}),
  });
  const stopTransferLog = startTransferLogRetention({
    store: opts.store,
    retentionMs: opts.transferLogRetentionMs ?? 30 * 86_400_000,
    now: opts.now ?? Date.now,
    ...(log ? { logger: log } : {}),
  });
  const backups = opts.backups === undefined ? null : new BackupSchedule({ store: opts.store, ...opts.backups, ...(log ? { logger: log } : {}), ...(opts.now ? { now: opts.now } : {}) });
  backups?.start();
  const policyWake = opts.policyWake === undefined ? null : new PolicyWake({ store: opts.store, ...opts.policyWake, ...(log ? { logger: log } : {}), ...(opts.now ? { now: opts.now } : {}) });
  policyWake?.start();
  const campaigns =
    opts.campaigns === undefined
      ? null
      : new CampaignRunner({ store: opts.store, bus: opts.bus, ...opts.campaigns, ...(log ? { logger: log } : {}), ...(opts.now ? { now: opts.now } : {}) });
  return {
    webhooks,
    alarms,
    campaigns,
    close: async () => {
      stopSweep();
      stopSeries();
      stopTransferLog();
      backups?.stop();
      policyWake?.stop();
      await alarms.close();
      await campaigns?.close();
      await webhooks.close();
    },
  };
}
