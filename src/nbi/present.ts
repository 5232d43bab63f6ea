/**
 * Store records → NBI JSON: times as ISO 8601, parameters as `{ "<path>": { … } }`, secrets
 * hidden (file-server passwords in tasks; secret parameters by the one list of
 * src/secrets/rules.ts, in the tree, task requests and CPE responses, session logs and CPE
 * messages). server.ts masks every answer once more on its way out.
 */
import type { DeviceListItem, DeviceSummary, SessionLogRecord, StoredParameter, TaskRecord } from '../store/types.js';
import { MASK, isSecretPath, maskSecrets } from '../secrets/rules.js';
import { redactTask } from '../tasks/validate.js';
import type { SummaryField } from './query.js';

export const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

export interface ParameterJson {
  object?: true;
  value?: string | null;
  type?: string | null;
  writable?: boolean | null;
  notification?: number | null;
  accessList?: string[] | null;
  valueAt?: string | null;
  namesAt?: string | null;
  attributesAt?: string | null;
}

export function presentParameter(p: StoredParameter): ParameterJson {
  const out: ParameterJson = {};
  if (p.object) out.object = true;
  else {
    out.value = p.value !== null && p.value !== '' && isSecretPath(p.path) ? MASK : p.value;
    out.type = p.type;
  }
  out.writable = p.writable;
  if (p.notification !== null) out.notification = p.notification;
  if (p.accessList !== null) out.accessList = p.accessList;
  if (!p.object) out.valueAt = iso(p.valueAt);
  out.namesAt = iso(p.namesAt);
  if (p.attributesAt !== null) out.attributesAt = iso(p.attributesAt);
  return out;
}

export function presentParameters(list: readonly StoredParameter[]): Record<string, ParameterJson> {
  const out: Record<string, ParameterJson> = {};
  for (const p of list) out[p.path] = presentParameter(p);
  return out;
}

export function presentSummary(d: DeviceSummary): Record<string, unknown> {
  return {
    id: d.id,
    deviceId: d.deviceId,
    firstInform: iso(d.firstInform),
    lastInform: iso(d.lastInform),
    lastBoot: iso(d.lastBoot),
    lastBootstrap: iso(d.lastBootstrap),
    lastEvents: d.lastEvents,
    tags: d.tags,
  };
}

/** A list item: every summary field, or only those `fields` named; parameters when projected. */
export function presentListItem(d: DeviceListItem, fields: Set<SummaryField> | null): Record<string, unknown> {
  const full = presentSummary(d);
  const out: Record<string, unknown> = fields === null ? full : Object.fromEntries([...fields].map((f) => [f, full[f]]));
  if (d.parameters !== undefined) out.parameters = presentParameters(d.parameters);
  return out;
}

export function presentTask(t: TaskRecord): Record<string, unknown> {
  return {
    id: t.id,
    deviceId: t.deviceId,
    type: t.task.type,
    task: redactTask(t.task),
    state: t.state,
    seq: t.seq,
    createdAt: iso(t.createdAt),
    updatedAt: iso(t.updatedAt),
    expiresAt: iso(t.expiresAt),
    attempts: t.attempts,
    commandKey: t.commandKey,
    response: maskSecrets(t.response),
    fault: maskSecrets(t.fault),
    connectionRequest: t.connectionRequest === null ? null : { ...t.connectionRequest, at: iso(t.connectionRequest.at) },
  };
}

export function presentSession(s: SessionLogRecord): Record<string, unknown> {
  return {
    startedAt: iso(s.startedAt),
    endedAt: iso(s.endedAt),
    events: s.events,
    rpcs: s.rpcs.map((r) => maskSecrets({ ...r, taskIds: r.requestId === null ? [] : r.requestId.split(',') })),
    cpeRequests: s.cpeRequests,
    outcome: s.outcome,
    linkedTasks: s.linkedRequests,
  };
}
