/**
 * Campaigns and their device rows as rows: the same columns and mapping in every SQL backend
 * (../concerns/campaigns.ts). SQLite returns JSON columns as text, PostgreSQL already parsed.
 */
import type {
  CampaignCandidate,
  CampaignDefinition,
  CampaignDeviceProgress,
  CampaignDeviceRecord,
  CampaignRecord,
  CampaignState,
  CampaignTarget,
  DeviceFault,
  DeviceState,
} from './types.js';

/** Where devices report their firmware version (TR-098, TR-181). */
export const SOFTWARE_VERSION_PATHS = ['InternetGatewayDevice.DeviceInfo.SoftwareVersion', 'Device.DeviceInfo.SoftwareVersion'] as const;

export const CAMPAIGN_COLUMNS =
  'id, name, file_id, definition, target, state, reason, wave, wave_sizes, ack_failed, resumed_at, revision, author, next_at, lease_owner, lease_until, created_at, updated_at';

export const CAMPAIGN_DEVICE_COLUMNS =
  'campaign_id, device_id, seq, wave, state, reason, fault, task_id, attempts, from_version, zone, scheduled_at, downloading_at, finished_at, updated_at';

export const columnsOf = (columns: string, alias: string): string =>
  columns
    .split(', ')
    .map((c) => `${alias}.${c}`)
    .join(', ');

const parsed = <T>(v: unknown): T => (typeof v === 'string' ? (JSON.parse(v) as T) : (v as T));

export interface CampaignRow {
  id: string;
  name: string;
  file_id: string;
  definition: string | CampaignDefinition;
  target: string | CampaignTarget;
  state: CampaignState;
  reason: string | null;
  wave: number;
  wave_sizes: string | number[];
  ack_failed: number;
  resumed_at: number;
  revision: number;
  author: string;
  next_at: number | null;
  lease_owner: string | null;
  lease_until: number | null;
  created_at: number;
  updated_at: number;
}

export const toCampaign = (r: CampaignRow): CampaignRecord => ({
  id: r.id,
  definition: parsed<CampaignDefinition>(r.definition),
  target: parsed<CampaignTarget>(r.target),
  state: r.state,
  reason: r.reason,
  wave: r.wave,
  waveSizes: parsed<number[]>(r.wave_sizes),
  ackFailed: r.ack_failed,
  resumedAt: r.resumed_at,
  revision: r.revision,
  author: r.author,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

export interface CampaignDeviceRow {
  campaign_id: string;
  device_id: string;
  seq: number;
  wave: number;
  state: DeviceState;
  reason: string | null;
  fault: string | DeviceFault | null;
  task_id: string | null;
  attempts: number;
  from_version: string | null;
  zone: string | null;
  scheduled_at: number | null;
  downloading_at: number | null;
  finished_at: number | null;
  updated_at: number;
}

export const toCampaignDevice = (r: CampaignDeviceRow): CampaignDeviceRecord => ({
  campaignId: r.campaign_id,
  deviceId: r.device_id,
  seq: r.seq,
  wave: r.wave,
  state: r.state,
  reason: r.reason,
  fault: r.fault === null ? null : parsed<DeviceFault>(r.fault),
  taskId: r.task_id,
  attempts: r.attempts,
  fromVersion: r.from_version,
  zone: r.zone,
  scheduledAt: r.scheduled_at,
  downloadingAt: r.downloading_at,
  finishedAt: r.finished_at,
  updatedAt: r.updated_at,
});

export interface ProgressRow extends CampaignDeviceRow {
  task_state: 'queued' | 'running' | 'done' | 'fault' | 'expired' | null;
  /** The task's fault as the tasks table keeps it: the cwmp Fault detail. */
  task_fault: string | { faultCode: number; faultString: string } | null;
  version: string | null;
  last_boot: number | null;
}

export function toProgress(r: ProgressRow): CampaignDeviceProgress {
  const f = r.task_fault === null ? null : parsed<{ faultCode: number; faultString: string }>(r.task_fault);
  return {
    ...toCampaignDevice(r),
    task: r.task_state === null ? null : { state: r.task_state, fault: f === null ? null : { code: Number(f.faultCode), message: String(f.faultString ?? '') } },
    version: r.version,
    lastBoot: r.last_boot,
  };
}

export const toCandidate = (r: CampaignDeviceRow & { version: string | null }): CampaignCandidate => ({ ...toCampaignDevice(r), version: r.version });

/** The values a new campaign row is written with. */
export function campaignValues(c: CampaignRecord, nextAt: number | null): unknown[] {
  return [
    c.id,
    c.definition.name,
    c.definition.fileId,
    JSON.stringify(c.definition),
    JSON.stringify(c.target),
    c.state,
    c.reason,
    c.wave,
    JSON.stringify(c.waveSizes),
    c.ackFailed,
    c.resumedAt,
    c.revision,
    c.author,
    nextAt,
    null,
    null,
    c.createdAt,
    c.updatedAt,
  ];
}
