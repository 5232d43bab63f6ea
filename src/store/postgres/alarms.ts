/**
 * The alarms concern (../concerns/alarms.ts) on PostgreSQL, migration 37. Raising locks the
 * active row (FOR UPDATE); two processes inserting the first one at once meet the unique
 * index on active (rule, device), and the one that loses updates the winner's row instead.
 */
import { randomUUID } from 'node:crypto';
import { ALARM_COLUMNS, isBuiltin, RULE_COLUMNS, toAlarm, toHistory, toRule, withBuiltins, type AlarmRow, type AlarmRuleRow, type HistoryRow } from '../alarm-rows.js';
import { SEVERITIES, type Alarm, type AlarmCounts, type AlarmHistoryEntry, type AlarmQuery, type AlarmRule, type NewAlarmRule, type RaiseResult, type Severity } from '../concerns/alarms.js';
import type { DeviceFilter } from '../concerns/devices.js';
import type { PgDb, Tx } from './db.js';
import { devicesMatching } from './query.js';
import { searchableSet } from './search.js';

export async function createAlarmRule(db: PgDb, r: NewAlarmRule, now: number): Promise<AlarmRule> {
  const id = randomUUID();
  await db.run(`INSERT INTO alarm_rules (${RULE_COLUMNS}) VALUES ($1, $2, $3, $4, $5, false, $6, $6)`, [id, r.name, r.enabled, r.severity, JSON.stringify(r.condition), now]);
  return { ...r, id, builtin: false, createdAt: now, updatedAt: now };
}

export async function updateAlarmRule(db: PgDb, id: string, r: NewAlarmRule, now: number): Promise<AlarmRule | null> {
  const values = [id, r.name, r.enabled, r.severity, JSON.stringify(r.condition), now];
  // A built-in rule's first change makes its row.
  const rows = isBuiltin(id)
    ? await db.query<AlarmRuleRow>(
        `INSERT INTO alarm_rules (${RULE_COLUMNS}) VALUES ($1, $2, $3, $4, $5, true, 0, $6)
         ON CONFLICT (id) DO UPDATE SET name = excluded.name, enabled = excluded.enabled, severity = excluded.severity, definition = excluded.definition, updated_at = excluded.updated_at
         RETURNING ${RULE_COLUMNS}`,
        values,
      )
    : await db.query<AlarmRuleRow>(`UPDATE alarm_rules SET name = $2, enabled = $3, severity = $4, definition = $5, updated_at = $6 WHERE id = $1 RETURNING ${RULE_COLUMNS}`, values);
  return rows[0] === undefined ? null : toRule(rows[0]);
}

export async function listAlarmRules(db: PgDb): Promise<AlarmRule[]> {
  return withBuiltins((await db.query<AlarmRuleRow>(`SELECT ${RULE_COLUMNS} FROM alarm_rules`)).map(toRule));
}

export async function deleteAlarmRule(db: PgDb, id: string): Promise<boolean> {
  if (isBuiltin(id)) return false;
  const rows = await db.query<{ ok: boolean }>(
    `WITH gone AS (DELETE FROM alarm_rules WHERE id = $1 RETURNING id), c AS (DELETE FROM alarm_counts WHERE rule_id IN (SELECT id FROM gone))
     SELECT EXISTS (SELECT 1 FROM gone) AS ok`,
    [id],
  );
  return rows[0]?.ok === true;
}

const ACTIVE_FOR_UPDATE = `SELECT ${ALARM_COLUMNS} FROM alarms WHERE rule_id = $1 AND device_id = $2 AND state = 'active' FOR UPDATE`;
const HISTORY = `INSERT INTO alarm_history (alarm_id, at, action, severity, text, actor) VALUES ($1, $2, $3, $4, $5, $6)`;

async function byId(tx: Tx, id: string): Promise<Alarm> {
  const rows = await tx.query<AlarmRow>(`SELECT ${ALARM_COLUMNS} FROM alarms WHERE id = $1`, [id]);
  return toAlarm(rows[0]!);
}

export async function raiseAlarm(db: PgDb, i: { ruleId: string; deviceId: string; severity: Severity; text: string; at: number }): Promise<RaiseResult> {
  return db.transaction(async (tx) => {
    let active = (await tx.query<AlarmRow>(ACTIVE_FOR_UPDATE, [i.ruleId, i.deviceId]))[0];
    if (active === undefined) {
      const id = randomUUID();
      const inserted = await tx.query<{ id: string }>(
        `INSERT INTO alarms (${ALARM_COLUMNS}) VALUES ($1, $2, $3, 'active', $4, $5, $6, $6, NULL, NULL, NULL, 1)
         ON CONFLICT (rule_id, device_id) WHERE state = 'active' DO NOTHING RETURNING id`,
        [id, i.ruleId, i.deviceId, i.severity, i.text, i.at],
      );
      if (inserted.length > 0) {
        await tx.query(HISTORY, [id, i.at, 'raised', i.severity, i.text, null]);
        return { transition: 'raised' as const, alarm: await byId(tx, id) };
      }
      // Another process raised it a moment ago: this is an update of theirs.
      active = (await tx.query<AlarmRow>(ACTIVE_FOR_UPDATE, [i.ruleId, i.deviceId]))[0]!;
    }
    const changed = active.severity !== i.severity || active.text !== i.text;
    await tx.query(`UPDATE alarms SET severity = $2, text = $3, updated_at = $4, count = count + 1 WHERE id = $1`, [active.id, i.severity, i.text, i.at]);
    if (changed) await tx.query(HISTORY, [active.id, i.at, 'updated', i.severity, i.text, null]);
    return { transition: changed ? ('updated' as const) : ('none' as const), alarm: await byId(tx, active.id) };
  });
}

export async function clearAlarm(db: PgDb, i: { ruleId: string; deviceId: string; text: string; at: number }): Promise<Alarm | null> {
  return db.transaction(async (tx) => {
    const active = (await tx.query<AlarmRow>(ACTIVE_FOR_UPDATE, [i.ruleId, i.deviceId]))[0];
    if (active === undefined) return null;
    await tx.query(`UPDATE alarms SET state = 'cleared', cleared_at = $2, updated_at = $2 WHERE id = $1`, [active.id, i.at]);
    await tx.query(HISTORY, [active.id, i.at, 'cleared', active.severity, i.text, null]);
    return byId(tx, active.id);
  });
}

export async function acknowledgeAlarm(db: PgDb, id: string, actor: string, at: number): Promise<{ alarm: Alarm; changed: boolean } | null> {
  return db.transaction(async (tx) => {
    const row = (await tx.query<AlarmRow>(`SELECT ${ALARM_COLUMNS} FROM alarms WHERE id = $1 FOR UPDATE`, [id]))[0];
    if (row === undefined) return null;
    if (row.acknowledged_at !== null) return { alarm: toAlarm(row), changed: false };
    await tx.query(`UPDATE alarms SET acknowledged_at = $2, acknowledged_by = $3 WHERE id = $1`, [id, at, actor]);
    await tx.query(HISTORY, [id, at, 'acknowledged', row.severity, row.text, actor]);
    return { alarm: await byId(tx, id), changed: true };
  });
}

export async function getAlarm(db: PgDb, id: string): Promise<Alarm | null> {
  const rows = await db.query<AlarmRow>(`SELECT ${ALARM_COLUMNS} FROM alarms WHERE id = $1`, [id]);
  return rows[0] === undefined ? null : toAlarm(rows[0]);
}

export async function listAlarms(db: PgDb, q: AlarmQuery): Promise<{ total: number; alarms: Alarm[] }> {
  const where: string[] = [];
  const v: unknown[] = [];
  const add = (sql: string, value: unknown): void => {
    v.push(value);
    where.push(sql.replace('?', `$${v.length}`));
  };
  if (q.devices !== undefined) where.push(devicesMatching('device_id', q.devices, await searchableSet(db), v));
  if (q.state !== undefined) add('state = ?', q.state);
  if (q.deviceId !== undefined) add('device_id = ?', q.deviceId);
  if (q.ruleId !== undefined) add('rule_id = ?', q.ruleId);
  if (q.severities !== undefined) add('severity = ANY (?::text[])', [...q.severities]);
  if (q.acknowledged !== undefined) where.push(q.acknowledged ? 'acknowledged_at IS NOT NULL' : 'acknowledged_at IS NULL');
  const w = where.length > 0 ? `WHERE ${where.join(' AND ')}` : '';
  const [rows, count] = await Promise.all([
    db.queryUnprepared<AlarmRow>(`SELECT ${ALARM_COLUMNS} FROM alarms ${w} ORDER BY updated_at DESC, id LIMIT $${v.length + 1} OFFSET $${v.length + 2}`, [...v, q.limit, q.offset ?? 0]),
    db.queryUnprepared<{ n: string }>(`SELECT count(*) AS n FROM alarms ${w}`, v),
  ]);
  return { total: Number(count[0]?.n ?? 0), alarms: rows.map(toAlarm) };
}

export async function activeAlarmsOf(db: PgDb, ruleId: string, limit: number): Promise<Alarm[]> {
  return (await db.query<AlarmRow>(`SELECT ${ALARM_COLUMNS} FROM alarms WHERE rule_id = $1 AND state = 'active' ORDER BY raised_at LIMIT $2`, [ruleId, limit])).map(toAlarm);
}

export async function alarmCounts(db: PgDb, devices?: readonly DeviceFilter[]): Promise<AlarmCounts> {
  const active = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
  const v: unknown[] = [];
  const scope = devices === undefined ? '' : `AND ${devicesMatching('device_id', devices, await searchableSet(db), v)}`;
  const sql = `SELECT severity, count(*) AS n, count(*) FILTER (WHERE acknowledged_at IS NULL) AS unack FROM alarms WHERE state = 'active' ${scope} GROUP BY severity`;
  const rows = devices === undefined ? await db.query<{ severity: Severity; n: string; unack: string }>(sql) : await db.queryUnprepared<{ severity: Severity; n: string; unack: string }>(sql, v);
  let unacknowledged = 0;
  for (const r of rows) {
    active[r.severity] = Number(r.n);
    unacknowledged += Number(r.unack);
  }
  return { active, unacknowledged };
}

export async function alarmHistory(db: PgDb, id: string): Promise<AlarmHistoryEntry[]> {
  return (await db.query<HistoryRow>(`SELECT at, action, severity, text, actor FROM alarm_history WHERE alarm_id = $1 ORDER BY seq`, [id])).map(toHistory);
}

export async function countAlarmEvents(db: PgDb, ruleId: string, deviceId: string, at: number | null, since: number): Promise<number> {
  return db.transaction(async (tx) => {
    if (at !== null) await tx.query('INSERT INTO alarm_counts (rule_id, device_id, at) VALUES ($1, $2, $3)', [ruleId, deviceId, at]);
    await tx.query('DELETE FROM alarm_counts WHERE rule_id = $1 AND device_id = $2 AND at < $3', [ruleId, deviceId, since]);
    const rows = await tx.query<{ n: string }>('SELECT count(*) AS n FROM alarm_counts WHERE rule_id = $1 AND device_id = $2', [ruleId, deviceId]);
    return Number(rows[0]?.n ?? 0);
  });
}
