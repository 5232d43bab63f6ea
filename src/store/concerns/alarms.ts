/**
 * Store concern: alarm rules, alarms and their history (docs/monitoring.md).
 *
 * An alarm is one rule's condition on one device (or on the ACS itself: deviceId ""). At most
 * one is active per rule and device (a unique index), so raising is atomic across processes:
 * raiseAlarm says whether this call raised it, updated it (its severity or text changed) or
 * found it as it was — only the first two are transitions, and only the process that made a
 * transition announces it (one webhook per transition). Every transition and acknowledgement
 * is a history row. Cleared alarms stay, with their history, until their device is deleted.
 *
 * Event-count rules ("more than 3 boots in an hour") count in alarm_counts, per rule and
 * device, shared by every process.
 * Backends: sqlite/alarms.ts, postgres/alarms.ts; suite: test/store/conformance/alarms.ts.
 */

import type { DeviceFilter } from './devices.js';
export const SEVERITIES = ['critical', 'major', 'minor', 'warning'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** An event of the bus, optionally narrowed by data fields (each: one of the values; "x*" a prefix). */
export interface EventMatch {
  type: string;
  data?: Record<string, string[]>;
}

export type AlarmCondition =
  /** No Inform for longer than `periods` times the device's PeriodicInformInterval. */
  | { kind: 'offline'; periods: number }
  /** A KPI series' latest values outside [below, above] for `forSeconds`. */
  | { kind: 'threshold'; path: string; above?: number; below?: number; forSeconds: number }
  /**
   * An event raises it (with `count`: more than `count` within `windowSeconds`); `clear`
   * ends it (without: a count rule clears when the count falls back, others stay until acknowledged and cleared by hand).
   */
  | { kind: 'event'; raise: EventMatch; clear?: EventMatch; count?: number; windowSeconds?: number };

export interface AlarmRule {
  id: string;
  name: string;
  enabled: boolean;
  severity: Severity;
  condition: AlarmCondition;
  /** Shipped with Flotilla (can be disabled or changed, not deleted). */
  builtin: boolean;
  createdAt: number;
  updatedAt: number;
}

export type NewAlarmRule = Pick<AlarmRule, 'name' | 'enabled' | 'severity' | 'condition'>;

export type AlarmState = 'active' | 'cleared';

export interface Alarm {
  id: string;
  ruleId: string;
  deviceId: string;
  state: AlarmState;
  severity: Severity;
  /** What is wrong, in words ("offline for 3 h", "CPUUsage = 97 > 90"). */
  text: string;
  raisedAt: number;
  updatedAt: number;
  clearedAt: number | null;
  acknowledgedAt: number | null;
  acknowledgedBy: string | null;
  /** Times the condition was seen while active. */
  count: number;
}

export interface AlarmHistoryEntry {
  at: number;
  action: 'raised' | 'updated' | 'cleared' | 'acknowledged';
  severity: Severity;
  text: string;
  actor: string | null;
}

export interface AlarmQuery {
  state?: AlarmState;
  severities?: readonly Severity[];
  deviceId?: string;
  ruleId?: string;
  acknowledged?: boolean;
  /** Only alarms of the devices these filters all match (a scoped principal's view). */
  devices?: readonly DeviceFilter[];
  limit: number;
  offset?: number;
}

export interface AlarmCounts {
  /** Active alarms by severity. */
  active: Record<Severity, number>;
  unacknowledged: number;
}

export type RaiseResult = { transition: 'raised' | 'updated' | 'none'; alarm: Alarm };

export interface AlarmStore {
  createAlarmRule(rule: NewAlarmRule, now: number): Promise<AlarmRule>;
  updateAlarmRule(id: string, rule: NewAlarmRule, now: number): Promise<AlarmRule | null>;
  listAlarmRules(): Promise<AlarmRule[]>;
  /** False when unknown or built in. Its alarms stay (cleared ones as history). */
  deleteAlarmRule(id: string): Promise<boolean>;

  /** Raise, or update the active alarm of (rule, device): atomic across processes. */
  raiseAlarm(input: { ruleId: string; deviceId: string; severity: Severity; text: string; at: number }): Promise<RaiseResult>;
  /** Clear the active alarm of (rule, device), if there is one. */
  clearAlarm(input: { ruleId: string; deviceId: string; text: string; at: number }): Promise<Alarm | null>;
  /** null: no such alarm; `changed` false: it was acknowledged already. */
  acknowledgeAlarm(id: string, actor: string, at: number): Promise<{ alarm: Alarm; changed: boolean } | null>;
  getAlarm(id: string): Promise<Alarm | null>;
  listAlarms(q: AlarmQuery): Promise<{ total: number; alarms: Alarm[] }>;
  /** Active alarms of a rule (the evaluator re-checks them). */
  activeAlarmsOf(ruleId: string, limit: number): Promise<Alarm[]>;
  /** Active alarms by severity; with `devices`, of the devices those filters all match only. */
  alarmCounts(devices?: readonly DeviceFilter[]): Promise<AlarmCounts>;
  alarmHistory(id: string): Promise<AlarmHistoryEntry[]>;
  /**
   * Event-count rules: record one event at `at` (null: record none) and return how many of the
   * rule's events for the device are at or after `since`; older ones are forgotten.
   */
  countAlarmEvents(ruleId: string, deviceId: string, at: number | null, since: number): Promise<number>;
}
