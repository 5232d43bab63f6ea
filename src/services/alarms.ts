/**
 * Alarms under the API (docs/monitoring.md): rules (the built-in ones and operators' own, in
 * one form), alarms with filters, counts by severity, history, acknowledgement. The evaluation
 * is a background job (./alarm-engine.ts); every transition it makes, and every
 * acknowledgement made here, is an `alarm.*` event: on the event stream and to webhooks, once.
 */
import { EVENT_TYPES, type EventBus } from '../events/bus.js';
import { isSecretPath } from '../secrets/rules.js';
import { SEVERITIES } from '../store/concerns/alarms.js';
import type { Alarm, AlarmCondition, AlarmCounts, AlarmHistoryEntry, AlarmQuery, AlarmRule, DeviceFilter, EventMatch, NewAlarmRule, Severity, Store } from '../store/types.js';
import { conflict, invalidArgument, notFound } from './errors.js';

export const RULE_LIMITS = { name: 128, dataKeys: 8, dataValues: 16, value: 128, maxPeriods: 1000, maxSeconds: 30 * 86_400, maxCount: 100_000 };
const PATH = /^[A-Za-z_][A-Za-z0-9_-]*(\.([A-Za-z_][A-Za-z0-9_-]*|\d+))*$/;
/** Alarms do not fire on alarms (no loops). */
const MATCHABLE = EVENT_TYPES.filter((t) => !t.startsWith('alarm.') && t !== 'sampling.changed' && t !== 'policy.changed');

export interface AlarmServiceOptions {
  store: Store;
  bus: EventBus;
  now: () => number;
  /** Told when rules change here (this process's evaluator reloads them at once; others at their next sweep). */
  onRulesChanged?: () => void;
}

/** The body of an alarm.* event: enough for a receiver to act without asking back. */
export function alarmEventData(alarm: Alarm, rule: Pick<AlarmRule, 'id' | 'name'> | null): Record<string, unknown> {
  return {
    alarmId: alarm.id,
    ruleId: alarm.ruleId,
    ruleName: rule?.name ?? null,
    state: alarm.state,
    severity: alarm.severity,
    text: alarm.text,
    raisedAt: alarm.raisedAt,
    clearedAt: alarm.clearedAt,
    acknowledgedBy: alarm.acknowledgedBy,
    count: alarm.count,
  };
}

export class AlarmService {
  readonly #o: AlarmServiceOptions;

  constructor(opts: AlarmServiceOptions) {
    this.#o = opts;
  }

  listRules(): Promise<AlarmRule[]> {
    return this.#o.store.listAlarmRules();
  }

  async createRule(input: unknown): Promise<AlarmRule> {
    const r = await this.#o.store.createAlarmRule(parseAlarmRule(input), this.#o.now());
    this.#o.onRulesChanged?.();
    return r;
  }

  async updateRule(id: string, input: unknown): Promise<AlarmRule> {
    const r = await this.#o.store.updateAlarmRule(id, parseAlarmRule(input), this.#o.now());
    if (r === null) throw notFound(`alarm rule ${id}`);
    this.#o.onRulesChanged?.();
    return r;
  }

  async deleteRule(id: string): Promise<void> {
    const rule = (await this.#o.store.listAlarmRules()).find((r) => r.id === id);
    if (rule === undefined) throw notFound(`alarm rule ${id}`);
    if (rule.builtin) throw conflict('a built-in rule cannot be deleted; disable it instead');
    await this.#o.store.deleteAlarmRule(id);
    this.#o.onRulesChanged?.();
  }

  list(q: AlarmQuery): Promise<{ total: number; alarms: Alarm[] }> {
    return this.#o.store.listAlarms(q);
  }

  /** With `devices`: over the devices those filters match only (a scoped principal's view). */
  counts(devices?: readonly DeviceFilter[]): Promise<AlarmCounts> {
    return this.#o.store.alarmCounts(devices);
  }

  async get(id: string): Promise<{ alarm: Alarm; history: AlarmHistoryEntry[] }> {
    const alarm = await this.#o.store.getAlarm(id);
    if (alarm === null) throw notFound(`alarm ${id}`);
    return { alarm, history: await this.#o.store.alarmHistory(id) };
  }

  /** Acknowledged by `actor`; once (a second acknowledgement changes nothing and announces nothing). */
  async acknowledge(id: string, actor: string): Promise<{ alarm: Alarm; changed: boolean }> {
    const at = this.#o.now();
    const r = await this.#o.store.acknowledgeAlarm(id, actor, at);
    if (r === null) throw notFound(`alarm ${id}`);
    if (r.changed) {
      const rule = (await this.#o.store.listAlarmRules()).find((x) => x.id === r.alarm.ruleId) ?? null;
      this.#o.bus.publish({ type: 'alarm.acknowledged', at, deviceId: r.alarm.deviceId, data: alarmEventData(r.alarm, rule) });
    }
    return r;
  }
}

// ---------------------------------------------------------------------------
// Rule validation: strict, with a message naming the field.
// ---------------------------------------------------------------------------

type Obj = Record<string, unknown>;

function obj(v: unknown, field: string): Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw invalidArgument(`${field}: an object`);
  return v as Obj;
}
function only(o: Obj, keys: string[], field: string): void {
  for (const k of Object.keys(o)) if (!keys.includes(k)) throw invalidArgument(`${field || 'body'}: unknown field "${k.slice(0, 40)}"`);
}
function int(v: unknown, field: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw invalidArgument(`${field}: a whole number from ${min} to ${max}`);
  return v;
}
function finite(v: unknown, field: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw invalidArgument(`${field}: a number`);
  return v;
}

function parseMatch(v: unknown, field: string): EventMatch {
  const o = obj(v, field);
  only(o, ['type', 'data'], field);
  if (typeof o.type !== 'string' || !(MATCHABLE as readonly string[]).includes(o.type)) throw invalidArgument(`${field}.type: one of ${MATCHABLE.join(', ')}`);
  if (o.data === undefined) return { type: o.type };
  const d = obj(o.data, `${field}.data`);
  const keys = Object.keys(d);
  if (keys.length > RULE_LIMITS.dataKeys) throw invalidArgument(`${field}.data: at most ${RULE_LIMITS.dataKeys} fields`);
  const data: Record<string, string[]> = {};
  for (const k of keys) {
    if (!/^[A-Za-z][A-Za-z0-9]{0,63}$/.test(k)) throw invalidArgument(`${field}.data: "${k.slice(0, 40)}" is not a field name`);
    const list = d[k];
    if (!Array.isArray(list) || list.length === 0 || list.length > RULE_LIMITS.dataValues || !list.every((x) => typeof x === 'string' && x.length > 0 && x.length <= RULE_LIMITS.value)) {
      throw invalidArgument(`${field}.data.${k}: 1-${RULE_LIMITS.dataValues} strings of 1-${RULE_LIMITS.value} characters ("x*": starts with x)`);
    }
    data[k] = list as string[];
  }
  return { type: o.type, data };
}

function parseCondition(v: unknown): AlarmCondition {
  const o = obj(v, 'condition');
  switch (o.kind) {
    case 'offline':
      only(o, ['kind', 'periods'], 'condition');
      return { kind: 'offline', periods: int(o.periods, 'condition.periods', 1, RULE_LIMITS.maxPeriods) };
    case 'threshold': {
      only(o, ['kind', 'path', 'above', 'below', 'forSeconds'], 'condition');
      if (typeof o.path !== 'string' || o.path.length > 256 || !PATH.test(o.path)) throw invalidArgument('condition.path: a parameter path');
      if (isSecretPath(o.path)) throw invalidArgument(`condition.path: ${o.path} is a secret; it is never sampled`);
      if (o.above === undefined && o.below === undefined) throw invalidArgument('condition: give above, below or both');
      const c: AlarmCondition = { kind: 'threshold', path: o.path, forSeconds: int(o.forSeconds ?? 0, 'condition.forSeconds', 0, RULE_LIMITS.maxSeconds) };
      if (o.above !== undefined) c.above = finite(o.above, 'condition.above');
      if (o.below !== undefined) c.below = finite(o.below, 'condition.below');
      return c;
    }
    case 'event': {
      only(o, ['kind', 'raise', 'clear', 'count', 'windowSeconds'], 'condition');
      const c: AlarmCondition = { kind: 'event', raise: parseMatch(o.raise, 'condition.raise') };
      if (o.clear !== undefined) c.clear = parseMatch(o.clear, 'condition.clear');
      if ((o.count === undefined) !== (o.windowSeconds === undefined)) throw invalidArgument('condition: count and windowSeconds go together');
      if (o.count !== undefined) {
        c.count = int(o.count, 'condition.count', 1, RULE_LIMITS.maxCount);
        c.windowSeconds = int(o.windowSeconds, 'condition.windowSeconds', 1, RULE_LIMITS.maxSeconds);
      }
      return c;
    }
    default:
      throw invalidArgument('condition.kind: offline, threshold or event');
  }
}

export function parseAlarmRule(input: unknown): NewAlarmRule {
  const o = obj(input, 'body');
  only(o, ['name', 'enabled', 'severity', 'condition'], '');
  if (typeof o.name !== 'string' || o.name.trim() === '' || o.name.length > RULE_LIMITS.name) throw invalidArgument(`name: 1-${RULE_LIMITS.name} characters`);
  if (o.enabled !== undefined && typeof o.enabled !== 'boolean') throw invalidArgument('enabled: true or false');
  if (typeof o.severity !== 'string' || !(SEVERITIES as readonly string[]).includes(o.severity)) throw invalidArgument(`severity: one of ${SEVERITIES.join(', ')}`);
  return { name: o.name.trim(), enabled: o.enabled ?? true, severity: o.severity as Severity, condition: parseCondition(o.condition) };
}
