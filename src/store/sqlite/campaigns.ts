/**
 * The campaigns concern (../concerns/campaigns.ts) on SQLite.
 */
import {
  CAMPAIGN_COLUMNS,
  CAMPAIGN_DEVICE_COLUMNS,
  campaignValues,
  columnsOf,
  SOFTWARE_VERSION_PATHS,
  toCampaign,
  toCampaignDevice,
  toCandidate,
  toProgress,
  type CampaignDeviceRow,
  type CampaignRow,
  type ProgressRow,
} from '../campaign-rows.js';
import type {
  CampaignCandidate,
  CampaignDeviceProgress,
  CampaignDeviceRecord,
  CampaignDeviceTransition,
  CampaignPatch,
  CampaignRecord,
  CampaignSnapshot,
  CampaignState,
  DeviceState,
  NewCampaignDevice,
} from '../types.js';
import { emptyCounts } from '../../campaigns/types.js';
import { json, type Db } from './db.js';

const INSERT_CAMPAIGN = `INSERT INTO campaigns (${CAMPAIGN_COLUMNS}) VALUES (${CAMPAIGN_COLUMNS.split(', ')
  .map((c) => `@${c}`)
  .join(', ')})`;

const INSERT_DEVICE = `INSERT INTO campaign_devices (${CAMPAIGN_DEVICE_COLUMNS})
VALUES (@campaignId, @deviceId, @seq, @wave, @state, @reason, NULL, NULL, 0, @fromVersion, @zone, NULL, NULL, @finishedAt, @now)`;

export function createCampaign(db: Db, c: CampaignRecord, devices: NewCampaignDevice[], nextAt: number | null): void {
  const values = campaignValues(c, nextAt);
  const row = Object.fromEntries(CAMPAIGN_COLUMNS.split(', ').map((col, i) => [col, values[i] as string | number | null]));
  db.immediate(() => {
    db.run(INSERT_CAMPAIGN, row);
    devices.forEach((d, seq) =>
      db.run(INSERT_DEVICE, {
        campaignId: c.id,
        deviceId: d.deviceId,
        seq,
        wave: d.wave,
        state: d.state,
        reason: d.reason,
        fromVersion: d.fromVersion,
        zone: d.zone,
        finishedAt: d.state === 'skipped' ? c.createdAt : null,
        now: c.createdAt,
      }),
    );
  });
}

export function getCampaign(db: Db, id: string): CampaignRecord | null {
  const r = db.get<CampaignRow>(`SELECT ${CAMPAIGN_COLUMNS} FROM campaigns WHERE id = @id`, { id });
  return r === undefined ? null : toCampaign(r);
}

export function listCampaigns(db: Db, q: { states?: CampaignState[]; limit: number; offset?: number }): { total: number; campaigns: CampaignRecord[] } {
  const states = q.states === undefined || q.states.length === 0 ? null : json(q.states);
  const where = `(@states IS NULL OR state IN (SELECT value FROM json_each(@states)))`;
  return db.read(() => {
    const total = db.get<{ n: number }>(`SELECT count(*) AS n FROM campaigns WHERE ${where}`, { states })!.n;
    const rows = db.all<CampaignRow>(`SELECT ${CAMPAIGN_COLUMNS} FROM campaigns WHERE ${where} ORDER BY created_at DESC, id DESC LIMIT @limit OFFSET @offset`, {
      states,
      limit: Math.max(0, Math.floor(q.limit)),
      offset: Math.max(0, Math.floor(q.offset ?? 0)),
    });
    return { total, campaigns: rows.map(toCampaign) };
  });
}

const UPDATE_CAMPAIGN = `UPDATE campaigns SET
  state = coalesce(@state, state),
  reason = CASE WHEN @setReason THEN @reason ELSE reason END,
  wave = coalesce(@wave, wave),
  ack_failed = coalesce(@ackFailed, ack_failed),
  resumed_at = coalesce(@resumedAt, resumed_at),
  next_at = CASE WHEN @setNextAt THEN @nextAt ELSE next_at END,
  revision = revision + 1,
  updated_at = @now
WHERE id = @id AND revision = @revision`;

export function updateCampaign(db: Db, id: string, revision: number, p: CampaignPatch, now: number): CampaignRecord | null {
  return db.immediate(() => {
    const n = db.run(UPDATE_CAMPAIGN, {
      id,
      revision,
      now,
      state: p.state ?? null,
      setReason: p.reason !== undefined ? 1 : 0,
      reason: p.reason ?? null,
      wave: p.wave ?? null,
      ackFailed: p.ackFailed ?? null,
      resumedAt: p.resumedAt ?? null,
      setNextAt: p.nextAt !== undefined ? 1 : 0,
      nextAt: p.nextAt ?? null,
    });
    return n === 0 ? null : getCampaign(db, id);
  });
}

const DUE_WHERE = `next_at IS NOT NULL AND next_at <= @now AND (lease_until IS NULL OR lease_until <= @now OR lease_owner = @owner)`;

/** Idle runners poll often: a read first, so an idle poll never takes the write lock. */
export function claimCampaigns(db: Db, owner: string, now: number, leaseMs: number, limit: number): CampaignRecord[] {
  if (limit <= 0) return [];
  if (db.get(`SELECT 1 AS x FROM campaigns WHERE ${DUE_WHERE} LIMIT 1`, { now, owner }) === undefined) return [];
  return db.immediate(() => {
    const rows = db.all<CampaignRow>(`SELECT ${CAMPAIGN_COLUMNS} FROM campaigns WHERE ${DUE_WHERE} ORDER BY next_at, id LIMIT @limit`, {
      now,
      owner,
      limit: Math.floor(limit),
    });
    for (const r of rows) db.run('UPDATE campaigns SET lease_owner = @owner, lease_until = @until WHERE id = @id', { id: r.id, owner, until: now + leaseMs });
    return rows.map(toCampaign);
  });
}

export function releaseCampaign(db: Db, id: string, owner: string, revision: number, nextAt: number | null): void {
  db.run(
    `UPDATE campaigns SET lease_owner = NULL, lease_until = NULL, next_at = CASE WHEN revision = @revision THEN @nextAt ELSE next_at END
     WHERE id = @id AND lease_owner = @owner`,
    { id, owner, revision, nextAt },
  );
}

export function campaignSnapshot(db: Db, id: string, since: number): CampaignSnapshot | null {
  return db.read(() => {
    const c = db.get<{ wave_sizes: string }>('SELECT wave_sizes FROM campaigns WHERE id = @id', { id });
    if (c === undefined) return null;
    const waves = (JSON.parse(c.wave_sizes) as number[]).map(() => emptyCounts());
    for (const r of db.all<{ wave: number; state: DeviceState; n: number }>(
      'SELECT wave, state, count(*) AS n FROM campaign_devices WHERE campaign_id = @id GROUP BY wave, state',
      { id },
    )) {
      const w = waves[r.wave];
      if (w !== undefined) w[r.state] += r.n;
    }
    const startsSince = db.get<{ n: number }>('SELECT count(*) AS n FROM campaign_devices WHERE campaign_id = @id AND scheduled_at >= @since', { id, since })!.n;
    return { waves, startsSince };
  });
}

export function listCampaignDevices(db: Db, id: string, q: { states?: DeviceState[]; wave?: number; afterSeq?: number; limit: number }): CampaignDeviceRecord[] {
  return db
    .all<CampaignDeviceRow>(
      `SELECT ${CAMPAIGN_DEVICE_COLUMNS} FROM campaign_devices
       WHERE campaign_id = @id AND (@states IS NULL OR state IN (SELECT value FROM json_each(@states)))
         AND (@wave IS NULL OR wave = @wave) AND seq > @after
       ORDER BY seq LIMIT @limit`,
      {
        id,
        states: q.states === undefined || q.states.length === 0 ? null : json(q.states),
        wave: q.wave ?? null,
        after: q.afterSeq ?? -1,
        limit: Math.max(0, Math.floor(q.limit)),
      },
    )
    .map(toCampaignDevice);
}

const VERSION_OF = (alias: string) =>
  `(SELECT p.value FROM parameters p WHERE p.device_id = ${alias}.device_id AND p.path IN ('${SOFTWARE_VERSION_PATHS.join("', '")}') ORDER BY p.path LIMIT 1)`;

const PROGRESS = `SELECT ${columnsOf(CAMPAIGN_DEVICE_COLUMNS, 'cd')}, t.state AS task_state, t.fault AS task_fault, d.last_boot AS last_boot, ${VERSION_OF('cd')} AS version
FROM campaign_devices cd
LEFT JOIN tasks t ON t.id = cd.task_id
LEFT JOIN devices d ON d.id = cd.device_id
WHERE cd.campaign_id = @id AND cd.state IN ('scheduled', 'downloading', 'installing')
ORDER BY cd.seq LIMIT @limit`;

export function campaignProgress(db: Db, id: string, limit: number): CampaignDeviceProgress[] {
  return db.all<ProgressRow>(PROGRESS, { id, limit: Math.max(0, Math.floor(limit)) }).map(toProgress);
}

const CANDIDATES = `SELECT ${columnsOf(CAMPAIGN_DEVICE_COLUMNS, 'cd')}, ${VERSION_OF('cd')} AS version
FROM campaign_devices cd
WHERE cd.campaign_id = @id AND cd.state = 'pending' AND cd.wave <= @maxWave
ORDER BY cd.seq LIMIT @limit`;

export function campaignCandidates(db: Db, id: string, maxWave: number, limit: number): CampaignCandidate[] {
  return db.all<CampaignDeviceRow & { version: string | null }>(CANDIDATES, { id, maxWave, limit: Math.max(0, Math.floor(limit)) }).map(toCandidate);
}

const TRANSITION = `UPDATE campaign_devices SET
  state = @to,
  reason = CASE WHEN @setReason THEN @reason ELSE reason END,
  fault = CASE WHEN @setFault THEN @fault ELSE fault END,
  task_id = CASE WHEN @setTask THEN @taskId ELSE task_id END,
  attempts = attempts + @attempt,
  scheduled_at = CASE WHEN @setScheduled THEN @scheduledAt ELSE scheduled_at END,
  downloading_at = CASE WHEN @setDownloading THEN @downloadingAt ELSE downloading_at END,
  finished_at = CASE WHEN @setFinished THEN @finishedAt ELSE finished_at END,
  updated_at = @now
WHERE campaign_id = @id AND device_id = @deviceId AND state IN (SELECT value FROM json_each(@from))`;

const has = (v: unknown): number => (v !== undefined ? 1 : 0);

export function transitionCampaignDevices(db: Db, id: string, transitions: CampaignDeviceTransition[], now: number): string[] {
  if (transitions.length === 0) return [];
  return db.immediate(() => {
    const changed: string[] = [];
    for (const t of transitions) {
      const n = db.run(TRANSITION, {
        id,
        now,
        deviceId: t.deviceId,
        from: json(t.from),
        to: t.to,
        setReason: has(t.reason),
        reason: t.reason ?? null,
        setFault: has(t.fault),
        fault: t.fault === undefined || t.fault === null ? null : json(t.fault),
        setTask: has(t.taskId),
        taskId: t.taskId ?? null,
        attempt: t.attempt === true ? 1 : 0,
        setScheduled: has(t.scheduledAt),
        scheduledAt: t.scheduledAt ?? null,
        setDownloading: has(t.downloadingAt),
        downloadingAt: t.downloadingAt ?? null,
        setFinished: has(t.finishedAt),
        finishedAt: t.finishedAt ?? null,
      });
      if (n > 0) changed.push(t.deviceId);
    }
    return changed;
  });
}

export function recentCampaignOutcomes(db: Db, id: string, since: number, limit: number): DeviceState[] {
  return db
    .all<{ state: DeviceState }>(
      `SELECT state FROM campaign_devices
       WHERE campaign_id = @id AND state IN ('succeeded', 'failed') AND finished_at >= @since
       ORDER BY finished_at DESC, seq DESC LIMIT @limit`,
      { id, since, limit: Math.max(0, Math.floor(limit)) },
    )
    .map((r) => r.state);
}

export function campaignsUsingFile(db: Db, fileId: string): string[] {
  return db.all<{ id: string }>(`SELECT id FROM campaigns WHERE file_id = @fileId AND state IN ('running', 'paused') ORDER BY id`, { fileId }).map((r) => r.id);
}

export function deleteCampaign(db: Db, id: string): boolean {
  return db.run(`DELETE FROM campaigns WHERE id = @id AND state IN ('done', 'aborted')`, { id }) > 0;
}
