/**
 * Rows of the alarms concern (concerns/alarms.ts) as both backends read them, and the rules
 * Flotilla ships (migration 37 inserts them; ids fixed, so operators' changes survive upgrades).
 */
import type { Alarm, AlarmCondition, AlarmHistoryEntry, AlarmRule, Severity } from './concerns/alarms.js';

export interface AlarmRuleRow {
  id: string;
  name: string;
  enabled: number | boolean;
  severity: string;
  definition: string | AlarmCondition;
  builtin: number | boolean;
  created_at: number | string;
  updated_at: number | string;
}

export const RULE_COLUMNS = 'id, name, enabled, severity, definition, builtin, created_at, updated_at';

export function toRule(r: AlarmRuleRow): AlarmRule {
  return {
    id: r.id,
    name: r.name,
    enabled: r.enabled === true || r.enabled === 1,
    severity: r.severity as Severity,
    condition: typeof r.definition === 'string' ? (JSON.parse(r.definition) as AlarmCondition) : r.definition,
    builtin: r.builtin === true || r.builtin === 1,
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
  };
}

export interface AlarmRow {
  id: string;
  rule_id: string;
  device_id: string;
  state: string;
  severity: string;
  text: string;
  raised_at: number | string;
  updated_at: number | string;
  cleared_at: number | string | null;
  acknowledged_at: number | string | null;
  acknowledged_by: string | null;
  count: number | string;
}

export const ALARM_COLUMNS = 'id, rule_id, device_id, state, severity, text, raised_at, updated_at, cleared_at, acknowledged_at, acknowledged_by, count';

const num = (v: number | string | null): number | null => (v === null ? null : Number(v));

export function toAlarm(r: AlarmRow): Alarm {
  return {
    id: r.id,
    ruleId: r.rule_id,
    deviceId: r.device_id,
    state: r.state as Alarm['state'],
    severity: r.severity as Severity,
    text: r.text,
    raisedAt: Number(r.raised_at),
    updatedAt: Number(r.updated_at),
    clearedAt: num(r.cleared_at),
    acknowledgedAt: num(r.acknowledged_at),
    acknowledgedBy: r.acknowledged_by,
    count: Number(r.count),
  };
}

export interface HistoryRow {
  at: number | string;
  action: string;
  severity: string;
  text: string;
  actor: string | null;
}

export const toHistory = (r: HistoryRow): AlarmHistoryEntry => ({
  at: Number(r.at),
  action: r.action as AlarmHistoryEntry['action'],
  severity: r.severity as Severity,
  text: r.text,
  actor: r.actor,
});

/** The rules Flotilla ships, in the form operators write their own. */
export const BUILTIN_RULES: { id: string; name: string; severity: Severity; condition: AlarmCondition }[] = [
  { id: 'builtin-offline', name: 'Offline longer than 2 periodic intervals', severity: 'major', condition: { kind: 'offline', periods: 2 } },
  { id: 'builtin-boots', name: 'More than 3 boots in an hour', severity: 'minor', condition: { kind: 'event', raise: { type: 'device.booted' }, count: 3, windowSeconds: 3600 } },
  {
    id: 'builtin-cpu',
    name: 'CPU above 90 % for 10 minutes',
    severity: 'warning',
    condition: { kind: 'threshold', path: 'Device.DeviceInfo.ProcessStatus.CPUUsage', above: 90, forSeconds: 600 },
  },
  {
    id: 'builtin-diagnostic-failed',
    name: 'A diagnostic failed',
    severity: 'warning',
    condition: {
      kind: 'event',
      raise: { type: 'task.done', data: { diagnosticsState: ['Error*'] } },
      clear: { type: 'task.done', data: { diagnosticsState: ['Complete', 'Completed'] } },
    },
  },
  {
    id: 'builtin-campaign-failed',
    name: 'A campaign device failed',
    severity: 'major',
    condition: { kind: 'event', raise: { type: 'campaign.device', data: { state: ['failed'] } }, clear: { type: 'campaign.device', data: { state: ['succeeded'] } } },
  },
  {
    id: 'builtin-policy-faulted',
    name: 'A policy faulted',
    severity: 'minor',
    condition: { kind: 'event', raise: { type: 'policy.compliance', data: { state: ['faulted'] } }, clear: { type: 'policy.compliance', data: { state: ['compliant'] } } },
  },
];

/**
 * The rules as operators see them: the stored ones, and each built-in rule as shipped unless a
 * stored row (an operator's change of it) replaces it. Built-ins live in code, not in a
 * migration, so a new store is empty (flotilla migrate copies only into an empty one) and a
 * new release's built-ins appear without a migration.
 */
export function withBuiltins(stored: AlarmRule[]): AlarmRule[] {
  const have = new Set(stored.map((r) => r.id));
  const shipped: AlarmRule[] = BUILTIN_RULES.filter((b) => !have.has(b.id)).map((b) => ({ ...b, enabled: true, builtin: true, createdAt: 0, updatedAt: 0 }));
  const byName = (a: AlarmRule, b: AlarmRule): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.id < b.id ? -1 : 1);
  const all = [...stored.map((r) => (isBuiltin(r.id) ? { ...r, builtin: true } : r)), ...shipped];
  return [...all.filter((r) => r.builtin).sort(byName), ...all.filter((r) => !r.builtin).sort(byName)];
}

export const isBuiltin = (id: string): boolean => BUILTIN_RULES.some((b) => b.id === id);
