/**
 * The alarms concern (../concerns/alarms.ts) on SQLite, migration 37. Raising runs in one
 * IMMEDIATE transaction (one writer at a time), so "is one active?" and the insert cannot race.
 */
import { randomUUID } from 'node:crypto';
import { ALARM_COLUMNS, isBuiltin, RULE_COLUMNS, toAlarm, toHistory, toRule, withBuiltins, type AlarmRow, type AlarmRuleRow, type HistoryRow } from '../alarm-rows.js';
import { SEVERITIES, type Alarm, type AlarmCounts, type AlarmHistoryEntry, type AlarmQuery, type AlarmRule, type NewAlarmRule, type RaiseResult, type Severity } from '../concerns/alarms.js';
import type { DeviceFilter } from '../concerns/devices.js';
import { bool, json, type Db, type Params } from './db.js';
import { devicesMatching } from './query.js';

export function createAlarmRule(db: Db, r: NewAlarmRule, now: number): AlarmRule {
  const id = randomUUID();
  db.run(`INSERT INTO alarm_rules (${RULE_COLUMNS}) VALUES (@id, @name, @enabled, @severity, @definition, 0, @now, @now)`, {
    id,
    name: r.name,
    enabled: bool(r.enabled),
    severity: r.severity,
    definition: json(r.condition),
    now,
  });
  return { ...r, id, builtin: false, createdAt: now, updatedAt: now };
}

export function updateAlarmRule(db: Db, id: string, r: NewAlarmRule, now: number): AlarmRule | null {
  const p = { id, name: r.name, enabled: bool(r.enabled), severity: r.severity, definition: json(r.condition), now };
  // A built-in rule's first change makes its row.
  const n = isBuiltin(id)
    ? db.run(
        `INSERT INTO alarm_rules (${RULE_COLUMNS}) VALUES (@id, @name, @enabled, @severity, @definition, 1, 0, @now)
         ON CONFLICT (id) DO UPDATE SET name = excluded.name, enabled = excluded.enabled, severity = excluded.severity, definition = excluded.definition, updated_at = excluded.updated_at`,
        p,
      )
    : db.run(`UPDATE alarm_rules SET name = @name, enabled = @enabled, severity = @severity, definition = @definition, updated_at = @now WHERE id = @id`, p);
  if (n === 0) return null;
  return toRule(db.get<AlarmRuleRow>(`SELECT ${RULE_COLUMNS} FROM alarm_rules WHERE id = @id`, { id })!);
}

export function listAlarmRules(db: Db): AlarmRule[] {
  return withBuiltins(db.all<AlarmRuleRow>(`SELECT ${RULE_COLUMNS} FROM alarm_rules`).map(toRule));
}

export function deleteAlarmRule(db: Db, id: string): boolean {
  return db.immediate(() => {
    if (isBuiltin(id)) return false;
    const gone = db.run('DELETE FROM alarm_rules WHERE id = @id', { id }) > 0;
    if (gone) db.run('DELETE FROM alarm_counts WHERE rule_id = @id', { id });
    return gone;
  });
}

const ACTIVE = `SELECT ${ALARM_COLUMNS} FROM alarms WHERE rule_id = @ruleId AND device_id = @deviceId AND state = 'active'`;
const HISTORY = `INSERT INTO alarm_history (alarm_id, at, action, severity, text, actor) VALUES (@id, @at, @action, @severity, @text, @actor)`;

export function raiseAlarm(db: Db, i: { ruleId: string; deviceId: string; severity: Severity; text: string; at: number }): RaiseResult {
  return db.immediate(() => {
    const active = db.get<AlarmRow>(ACTIVE, i);
    if (active === undefined) {
      const id = randomUUID();
      db.run(
        `INSERT INTO alarms (${ALARM_COLUMNS}) VALUES (@id, @ruleId, @deviceId, 'active', @severity, @text, @at, @at, NULL, NULL, NULL, 1)`,
        { ...i, id },
      );
      db.run(HISTORY, { id, at: i.at, action: 'raised', severity: i.severity, text: i.text, actor: null });
      return { transition: 'raised' as const, alarm: toAlarm(db.get<AlarmRow>(`SELECT ${ALARM_COLUMNS} FROM alarms WHERE id = @id`, { id })!) };
    }
    const changed = active.severity !== i.severity || active.text !== i.text;
    db.run(`UPDATE alarms SET severity = @severity, text = @text, updated_at = @at, count = count + 1 WHERE id = @id`, { ...i, id: active.id });
    if (changed) db.run(HISTORY, { id: active.id, at: i.at, action: 'updated', severity: i.severity, text: i.text, actor: null });
    return {
      transition: changed ? ('updated' as const) : ('none' as const),
      alarm: toAlarm(db.get<AlarmRow>(`SELECT ${ALARM_COLUMNS} FROM alarms WHERE id = @id`, { id: active.id })!),
    };
  });
}

export function clearAlarm(db: Db, i: { ruleId: string; deviceId: string; text: string; at: number }): Alarm | null {
  return db.immediate(() => {
    const active = db.get<AlarmRow>(ACTIVE, i);
    if (active === undefined) return null;
    db.run(`UPDATE alarms SET state = 'cleared', cleared_at = @at, updated_at = @at WHERE id = @id`, { id: active.id, at: i.at });
    db.run(HISTORY, { id: active.id, at: i.at, action: 'cleared', severity: active.severity, text: i.text, actor: null });
    return toAlarm(db.get<AlarmRow>(`SELECT ${ALARM_COLUMNS} FROM alarms WHERE id = @id`, { id: active.id })!);
  });
}

export function acknowledgeAlarm(db: Db, id: string, actor: string, at: number): { alarm: Alarm; changed: boolean } | null {
  return db.immediate(() => {
    const row = db.get<AlarmRow>(`SELECT ${ALARM_COLUMNS} FROM alarms WHERE id = @id`, { id });
    if (row === undefined) return null;
    if (row.acknowledged_at !== null) return { alarm: toAlarm(row), changed: false };
    db.run(`UPDATE alarms SET acknowledged_at = @at, acknowledged_by = @actor WHERE id = @id`, { id, at, actor });
    db.run(HISTORY, { id, at, action: 'acknowledged', severity: row.severity, text: row.text, actor });
    return { alarm: toAlarm(db.get<AlarmRow>(`SELECT ${ALARM_COLUMNS} FROM alarms WHERE id = @id`, { id })!), changed: true };
  });
}

export function getAlarm(db: Db, id: string): Alarm | null {
  const row = db.get<AlarmRow>(`SELECT ${ALARM_COLUMNS} FROM alarms WHERE id = @id`, { id });
  return row === undefined ? null : toAlarm(row);
}

export function listAlarms(db: Db, q: AlarmQuery): { total: number; alarms: Alarm[] } {
  const where: string[] = [];
  const p: Params = {};
  const add = (sql: string, key: string, value: string | number): void => {
    where.push(sql);
    p[key] = value;
  };
  if (q.devices !== undefined) where.push(devicesMatching(db, 'device_id', q.devices, p));
  if (q.state !== undefined) add('state = @state', 'state', q.state);
  if (q.deviceId !== undefined) add('device_id = @deviceId', 'deviceId', q.deviceId);
  if (q.ruleId !== undefined) add('rule_id = @ruleId', 'ruleId', q.ruleId);
  if (q.acknowledged !== undefined) where.push(q.acknowledged ? 'acknowledged_at IS NOT NULL' : 'acknowledged_at IS NULL');
  if (q.severities !== undefined) add('severity IN (SELECT value FROM json_each(@severities))', 'severities', json(q.severities));
  const w = where.length > 0 ? `WHERE ${where.join(' AND ')}` : '';
  return db.read(() => {
    const total = db.get<{ n: number }>(`SELECT count(*) AS n FROM alarms ${w}`, p)?.n ?? 0;
    const rows = db.all<AlarmRow>(`SELECT ${ALARM_COLUMNS} FROM alarms ${w} ORDER BY updated_at DESC, id LIMIT @limit OFFSET @offset`, { ...p, limit: q.limit, offset: q.offset ?? 0 });
    return { total, alarms: rows.map(toAlarm) };
  });
}

export function activeAlarmsOf(db: Db, ruleId: string, limit: number): Alarm[] {
  return db.all<AlarmRow>(`SELECT ${ALARM_COLUMNS} FROM alarms WHERE rule_id = @ruleId AND state = 'active' ORDER BY raised_at LIMIT @limit`, { ruleId, limit }).map(toAlarm);
}

export function alarmCounts(db: Db, devices?: readonly DeviceFilter[]): AlarmCounts {
  const active = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
  const p: Params = {};
  const scope = devices === undefined ? '' : `AND ${devicesMatching(db, 'device_id', devices, p)}`;
  return db.read(() => {
    for (const r of db.all<{ severity: Severity; n: number }>(`SELECT severity, count(*) AS n FROM alarms WHERE state = 'active' ${scope} GROUP BY severity`, p)) active[r.severity] = r.n;
    const unacknowledged = db.get<{ n: number }>(`SELECT count(*) AS n FROM alarms WHERE state = 'active' AND acknowledged_at IS NULL ${scope}`, p)?.n ?? 0;
    return { active, unacknowledged };
  });
}

export function alarmHistory(db: Db, id: string): AlarmHistoryEntry[] {
  return db.all<HistoryRow>(`SELECT at, action, severity, text, actor FROM alarm_history WHERE alarm_id = @id ORDER BY seq`, { id }).map(toHistory);
}

export function countAlarmEvents(db: Db, ruleId: string, deviceId: string, at: number | null, since: number): number {
  return db.immediate(() => {
    if (at !== null) db.run('INSERT INTO alarm_counts (rule_id, device_id, at) VALUES (@ruleId, @deviceId, @at)', { ruleId, deviceId, at });
    db.run('DELETE FROM alarm_counts WHERE rule_id = @ruleId AND device_id = @deviceId AND at < @since', { ruleId, deviceId, since });
    return db.get<{ n: number }>('SELECT count(*) AS n FROM alarm_counts WHERE rule_id = @ruleId AND device_id = @deviceId', { ruleId, deviceId })?.n ?? 0;
  });
}
