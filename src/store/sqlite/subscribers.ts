/**
 * The subscribers concern (../concerns/subscribers.ts) on SQLite. `sessionSubscriber` is not a
 * concern method: openSession calls it inside its own transaction (./sessions.ts).
 */
import {
  BINDING_COLUMNS,
  SUBSCRIBER_COLUMNS,
  searchText,
  templateIds,
  toBinding,
  toHistory,
  toSubscriber,
  toSubscriberToken,
  toTemplate,
  type BindingRow,
  type HistoryRow,
  type SubscriberRow,
  type SubscriberTokenRow,
} from '../subscriber-rows.js';
import type { ServiceTemplate } from '../../subscribers/template.js';
import type {
  DeviceBinding,
  ServiceStatus,
  SessionSubscriber,
  SubscriberClaims,
  SubscriberContact,
  SubscriberHistoryEntry,
  SubscriberQuery,
  SubscriberRecord,
  SubscriberService,
  SubscriberTokenRecord,
} from '../types.js';
import type { Db } from './db.js';

const isUnique = (e: unknown): boolean => e instanceof Error && /UNIQUE constraint failed/.test(e.message);

export function createSubscriber(db: Db, s: SubscriberRecord): boolean {
  try {
    db.run(
      `INSERT INTO subscribers (${SUBSCRIBER_COLUMNS}, search) VALUES (@id, @externalId, @name, @contact, @services, @revision, @createdAt, @updatedAt, @search)`,
      { ...s, contact: JSON.stringify(s.contact), services: JSON.stringify(s.services), search: searchText(s) },
    );
    return true;
  } catch (e) {
    if (isUnique(e)) return false;
    throw e;
  }
}

export function getSubscriber(db: Db, id: string): SubscriberRecord | null {
  const row = db.get<SubscriberRow>(`SELECT ${SUBSCRIBER_COLUMNS} FROM subscribers WHERE id = @id`, { id });
  return row ? toSubscriber(row) : null;
}

export function updateSubscriber(
  db: Db,
  id: string,
  patch: { name?: string; contact?: SubscriberContact; services?: SubscriberService[] },
  now: number,
): SubscriberRecord | null {
  return db.immediate(() => {
    const cur = getSubscriber(db, id);
    if (cur === null) return null;
    const servicesChanged = patch.services !== undefined && JSON.stringify(patch.services) !== JSON.stringify(cur.services);
    const next: SubscriberRecord = {
      ...cur,
      ...(patch.name !== undefined ? { name: patch.name } : {}),
      ...(patch.contact !== undefined ? { contact: patch.contact } : {}),
      ...(patch.services !== undefined ? { services: patch.services } : {}),
      revision: cur.revision + (servicesChanged ? 1 : 0),
      updatedAt: now,
    };
    db.run('UPDATE subscribers SET name = @name, contact = @contact, services = @services, revision = @revision, updated_at = @updatedAt, search = @search WHERE id = @id', {
      id,
      name: next.name,
      contact: JSON.stringify(next.contact),
      services: JSON.stringify(next.services),
      revision: next.revision,
      updatedAt: now,
      search: searchText(next),
    });
    return next;
  });
}

export function listSubscribers(db: Db, q: SubscriberQuery): { subscribers: SubscriberRecord[]; total: number } {
  const search = q.search?.toLowerCase() ?? '';
  const where =
    search === ''
      ? ''
      : `WHERE instr(s.search, @search) > 0 OR s.id IN (SELECT b.subscriber_id FROM subscriber_devices b WHERE b.device_id = @exact OR b.claim_value = @exact
           OR b.device_id IN (SELECT d.id FROM devices d WHERE d.serial_number = @exact))`;
  const params = { search, exact: q.search ?? '', limit: q.limit ?? 50, offset: q.offset ?? 0 };
  const total = db.get<{ n: number }>(`SELECT count(*) AS n FROM subscribers s ${where}`, params)!.n;
  const rows = db.all<SubscriberRow>(`SELECT ${SUBSCRIBER_COLUMNS.split(', ').map((c) => `s.${c}`).join(', ')} FROM subscribers s ${where} ORDER BY s.name, s.id LIMIT @limit OFFSET @offset`, params);
  return { subscribers: rows.map(toSubscriber), total };
}

export function deleteSubscriber(db: Db, id: string): boolean {
  return db.run('DELETE FROM subscribers WHERE id = @id', { id }) > 0;
}

export function addBinding(db: Db, b: DeviceBinding): 'ok' | 'taken' {
  return db.immediate(() => {
    if (b.deviceId !== null) {
      const cur = db.get<{ subscriber_id: string }>('SELECT subscriber_id FROM subscriber_devices WHERE device_id = @d', { d: b.deviceId });
      if (cur !== undefined) return cur.subscriber_id === b.subscriberId ? 'ok' : 'taken';
    }
    try {
      db.run(`INSERT INTO subscriber_devices (${BINDING_COLUMNS}) VALUES (@id, @subscriberId, @deviceId, @claimKind, @claimValue, @replaces, @appliedRevision, @statuses, @createdAt, @boundAt)`, {
        ...b,
        statuses: JSON.stringify(b.statuses),
      });
      return 'ok';
    } catch (e) {
      if (isUnique(e)) return 'taken';
      throw e;
    }
  });
}

export function removeBinding(db: Db, subscriberId: string, bindingId: string): DeviceBinding | null {
  return db.immediate(() => {
    const row = db.get<BindingRow>(`SELECT ${BINDING_COLUMNS} FROM subscriber_devices WHERE id = @bindingId AND subscriber_id = @subscriberId`, { bindingId, subscriberId });
    if (row === undefined) return null;
    db.run('DELETE FROM subscriber_devices WHERE id = @bindingId', { bindingId });
    return toBinding(row);
  });
}

export function listBindings(db: Db, subscriberId: string): DeviceBinding[] {
  return db.all<BindingRow>(`SELECT ${BINDING_COLUMNS} FROM subscriber_devices WHERE subscriber_id = @subscriberId ORDER BY created_at, id`, { subscriberId }).map(toBinding);
}

export function bindingOfDevice(db: Db, deviceId: string): DeviceBinding | null {
  const row = db.get<BindingRow>(`SELECT ${BINDING_COLUMNS} FROM subscriber_devices WHERE device_id = @deviceId`, { deviceId });
  return row ? toBinding(row) : null;
}

export function recordServiceStatus(db: Db, bindingId: string, revision: number, statuses: ServiceStatus[]): void {
  db.run('UPDATE subscriber_devices SET applied_revision = @revision, statuses = @statuses WHERE id = @bindingId', { bindingId, revision, statuses: JSON.stringify(statuses) });
}

export function appendSubscriberHistory(db: Db, e: SubscriberHistoryEntry): void {
  db.run('INSERT INTO subscriber_history (subscriber_id, at, action, device_id, detail) VALUES (@subscriberId, @at, @action, @deviceId, @detail)', { ...e });
}

export function listSubscriberHistory(db: Db, subscriberId: string, limit: number): SubscriberHistoryEntry[] {
  return db
    .all<HistoryRow>('SELECT subscriber_id, at, action, device_id, detail FROM subscriber_history WHERE subscriber_id = @subscriberId ORDER BY seq DESC LIMIT @limit', { subscriberId, limit })
    .map(toHistory);
}

export function putServiceTemplate(db: Db, t: ServiceTemplate, now: number): void {
  db.run('INSERT INTO service_templates (id, definition, updated_at) VALUES (@id, @definition, @now) ON CONFLICT (id) DO UPDATE SET definition = excluded.definition, updated_at = excluded.updated_at', {
    id: t.id,
    definition: JSON.stringify(t),
    now,
  });
}

export function listServiceTemplates(db: Db): ServiceTemplate[] {
  return db.all<{ definition: string }>('SELECT definition FROM service_templates ORDER BY id').map((r) => toTemplate(r.definition));
}

export function deleteServiceTemplate(db: Db, id: string): boolean {
  return db.run('DELETE FROM service_templates WHERE id = @id', { id }) > 0;
}

export function countTemplateUses(db: Db, id: string): number {
  return db.get<{ n: number }>("SELECT count(*) AS n FROM subscribers s WHERE EXISTS (SELECT 1 FROM json_each(s.services) e WHERE json_extract(e.value, '$.template') = @id)", { id })!.n;
}

export function createActivationCode(db: Db, c: { hash: string; subscriberId: string; expiresAt: number; createdAt: number }): void {
  db.run('INSERT INTO activation_codes (hash, subscriber_id, expires_at, created_at) VALUES (@hash, @subscriberId, @expiresAt, @createdAt)', { ...c });
}

export function redeemActivationCode(db: Db, hash: string, now: number): string | null {
  const row = db.get<{ subscriber_id: string }>(
    'UPDATE activation_codes SET used_at = @now WHERE hash = @hash AND used_at IS NULL AND expires_at > @now RETURNING subscriber_id',
    { hash, now },
  );
  return row?.subscriber_id ?? null;
}

export function createSubscriberToken(db: Db, t: SubscriberTokenRecord): void {
  db.run('INSERT INTO subscriber_tokens (id, subscriber_id, name, lookup, hash, created_at) VALUES (@id, @subscriberId, @name, @lookup, @hash, @createdAt)', { ...t });
}

export function findSubscriberToken(db: Db, lookup: string): SubscriberTokenRecord | null {
  const row = db.get<SubscriberTokenRow>('SELECT id, subscriber_id, name, lookup, hash, created_at FROM subscriber_tokens WHERE lookup = @lookup', { lookup });
  return row ? toSubscriberToken(row) : null;
}

/**
 * Inside openSession's transaction: the device's binding, or the pending claim its Inform
 * matches (bound now, its predecessor unbound); then the subscriber's services and the
 * operator templates they use. Nothing at all for a device without a subscriber.
 */
export function sessionSubscriber(db: Db, deviceId: string, claims: SubscriberClaims | undefined, now: number): SessionSubscriber | null {
  let row = db.get<BindingRow>(`SELECT ${BINDING_COLUMNS} FROM subscriber_devices WHERE device_id = @deviceId`, { deviceId });
  let claimedNow = false;
  if (row === undefined && claims !== undefined) {
    const candidates: [string, string][] = [['serial', claims.serialNumber], ...claims.codes.map((c): [string, string] => ['code', c])];
    for (const [kind, value] of candidates) {
      if (value === '') continue;
      row = db.get<BindingRow>(
        `UPDATE subscriber_devices SET device_id = @deviceId, bound_at = @now WHERE device_id IS NULL AND claim_kind = @kind AND claim_value = @value RETURNING ${BINDING_COLUMNS}`,
        { deviceId, now, kind, value },
      );
      if (row !== undefined) break;
    }
    if (row !== undefined) {
      claimedNow = true;
      db.run("INSERT INTO subscriber_history (subscriber_id, at, action, device_id, detail) VALUES (@s, @now, 'claimed', @deviceId, @detail)", {
        s: row.subscriber_id,
        now,
        deviceId,
        detail: `claimed by its ${row.claim_kind === 'serial' ? 'serial number' : 'claim code'}`,
      });
      if (row.replaces !== null) {
        const gone = db.run('DELETE FROM subscriber_devices WHERE subscriber_id = @s AND device_id = @old', { s: row.subscriber_id, old: row.replaces });
        if (gone > 0) {
          db.run("INSERT INTO subscriber_history (subscriber_id, at, action, device_id, detail) VALUES (@s, @now, 'unbound', @old, @detail)", {
            s: row.subscriber_id,
            now,
            old: row.replaces,
            detail: `replaced by ${deviceId}`,
          });
        }
      }
    }
  }
  if (row === undefined) return null;
  const sub = db.get<{ revision: number; services: string }>('SELECT revision, services FROM subscribers WHERE id = @id', { id: row.subscriber_id });
  if (sub === undefined) return null;
  const services = JSON.parse(sub.services) as SubscriberService[];
  const ids = templateIds(services);
  const templates =
    ids.length === 0
      ? []
      : db.all<{ definition: string }>(`SELECT definition FROM service_templates WHERE id IN (${ids.map((_, i) => `@t${i}`).join(', ')})`, Object.fromEntries(ids.map((t, i) => [`t${i}`, t]))).map((r) => toTemplate(r.definition));
  return { binding: toBinding(row), subscriberId: row.subscriber_id, revision: Number(sub.revision), services, templates, claimedNow };
}
