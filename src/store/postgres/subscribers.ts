/**
 * The subscribers concern (../concerns/subscribers.ts) on PostgreSQL. The session's part
 * (its binding, a claim) is in openSession's one statement (./sessions.ts, SESSION_SUBSCRIBER).
 */
import {
  BINDING_COLUMNS,
  SUBSCRIBER_COLUMNS,
  searchText,
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
  SubscriberContact,
  SubscriberHistoryEntry,
  SubscriberQuery,
  SubscriberRecord,
  SubscriberService,
  SubscriberTokenRecord,
} from '../types.js';
import type { PgDb } from './db.js';

const isUnique = (e: unknown): boolean => (e as { code?: string }).code === '23505';

export async function createSubscriber(db: PgDb, s: SubscriberRecord): Promise<boolean> {
  try {
    await db.run(`INSERT INTO subscribers (${SUBSCRIBER_COLUMNS}, search) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, [
      s.id,
      s.externalId,
      s.name,
      JSON.stringify(s.contact),
      JSON.stringify(s.services),
      s.revision,
      s.createdAt,
      s.updatedAt,
      searchText(s),
    ]);
    return true;
  } catch (e) {
    if (isUnique(e)) return false;
    throw e;
  }
}

export async function getSubscriber(db: PgDb, id: string): Promise<SubscriberRecord | null> {
  const [row] = await db.query<SubscriberRow>(`SELECT ${SUBSCRIBER_COLUMNS} FROM subscribers WHERE id = $1`, [id]);
  return row ? toSubscriber(row) : null;
}

export async function updateSubscriber(
  db: PgDb,
  id: string,
  patch: { name?: string; contact?: SubscriberContact; services?: SubscriberService[] },
  now: number,
): Promise<SubscriberRecord | null> {
  return db.transaction(async (tx) => {
    const [row] = await tx.query<SubscriberRow>(`SELECT ${SUBSCRIBER_COLUMNS} FROM subscribers WHERE id = $1 FOR UPDATE`, [id]);
    if (row === undefined) return null;
    const cur = toSubscriber(row);
    const servicesChanged = patch.services !== undefined && JSON.stringify(patch.services) !== JSON.stringify(cur.services);
    const next: SubscriberRecord = {
      ...cur,
      ...(patch.name !== undefined ? { name: patch.name } : {}),
      ...(patch.contact !== undefined ? { contact: patch.contact } : {}),
      ...(patch.services !== undefined ? { services: patch.services } : {}),
      revision: cur.revision + (servicesChanged ? 1 : 0),
      updatedAt: now,
    };
    await tx.query('UPDATE subscribers SET name = $2, contact = $3, services = $4, revision = $5, updated_at = $6, search = $7 WHERE id = $1', [
      id,
      next.name,
      JSON.stringify(next.contact),
      JSON.stringify(next.services),
      next.revision,
      now,
      searchText(next),
    ]);
    return next;
  });
}

export async function listSubscribers(db: PgDb, q: SubscriberQuery): Promise<{ subscribers: SubscriberRecord[]; total: number }> {
  const search = q.search?.toLowerCase() ?? '';
  const where =
    search === ''
      ? ''
      : `WHERE strpos(s.search, $1) > 0 OR s.id IN (SELECT b.subscriber_id FROM subscriber_devices b WHERE b.device_id = $2 OR b.claim_value = $2
           OR b.device_id IN (SELECT d.id FROM devices d WHERE d.serial_number = $2))`;
  const params = search === '' ? [] : [search, q.search ?? ''];
  const [{ n }] = (await db.query<{ n: string }>(`SELECT count(*) AS n FROM subscribers s ${where}`, params)) as [{ n: string }];
  const rows = await db.query<SubscriberRow>(
    `SELECT ${SUBSCRIBER_COLUMNS.split(', ').map((c) => `s.${c}`).join(', ')} FROM subscribers s ${where} ORDER BY s.name, s.id LIMIT $${params.length + 1} OFFSET $${params.length + 2}`,
    [...params, q.limit ?? 50, q.offset ?? 0],
  );
  return { subscribers: rows.map(toSubscriber), total: Number(n) };
}

export async function deleteSubscriber(db: PgDb, id: string): Promise<boolean> {
  return (await db.run('DELETE FROM subscribers WHERE id = $1', [id])) > 0;
}

export async function addBinding(db: PgDb, b: DeviceBinding): Promise<'ok' | 'taken'> {
  if (b.deviceId !== null) {
    const [cur] = await db.query<{ subscriber_id: string }>('SELECT subscriber_id FROM subscriber_devices WHERE device_id = $1', [b.deviceId]);
    if (cur !== undefined) return cur.subscriber_id === b.subscriberId ? 'ok' : 'taken';
  }
  try {
    await db.run(`INSERT INTO subscriber_devices (${BINDING_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`, [
      b.id,
      b.subscriberId,
      b.deviceId,
      b.claimKind,
      b.claimValue,
      b.replaces,
      b.appliedRevision,
      JSON.stringify(b.statuses),
      b.createdAt,
      b.boundAt,
    ]);
    return 'ok';
  } catch (e) {
    if (isUnique(e)) return 'taken';
    throw e;
  }
}

export async function removeBinding(db: PgDb, subscriberId: string, bindingId: string): Promise<DeviceBinding | null> {
  const [row] = await db.query<BindingRow>(`DELETE FROM subscriber_devices WHERE id = $1 AND subscriber_id = $2 RETURNING ${BINDING_COLUMNS}`, [bindingId, subscriberId]);
  return row ? toBinding(row) : null;
}

export async function listBindings(db: PgDb, subscriberId: string): Promise<DeviceBinding[]> {
  return (await db.query<BindingRow>(`SELECT ${BINDING_COLUMNS} FROM subscriber_devices WHERE subscriber_id = $1 ORDER BY created_at, id`, [subscriberId])).map(toBinding);
}

export async function bindingOfDevice(db: PgDb, deviceId: string): Promise<DeviceBinding | null> {
  const [row] = await db.query<BindingRow>(`SELECT ${BINDING_COLUMNS} FROM subscriber_devices WHERE device_id = $1`, [deviceId]);
  return row ? toBinding(row) : null;
}

export async function recordServiceStatus(db: PgDb, bindingId: string, revision: number, statuses: ServiceStatus[]): Promise<void> {
  await db.run('UPDATE subscriber_devices SET applied_revision = $2, statuses = $3 WHERE id = $1', [bindingId, revision, JSON.stringify(statuses)]);
}

export async function appendSubscriberHistory(db: PgDb, e: SubscriberHistoryEntry): Promise<void> {
  await db.run('INSERT INTO subscriber_history (subscriber_id, at, action, device_id, detail) VALUES ($1, $2, $3, $4, $5)', [e.subscriberId, e.at, e.action, e.deviceId, e.detail]);
}

export async function listSubscriberHistory(db: PgDb, subscriberId: string, limit: number): Promise<SubscriberHistoryEntry[]> {
  return (
    await db.query<HistoryRow>('SELECT subscriber_id, at, action, device_id, detail FROM subscriber_history WHERE subscriber_id = $1 ORDER BY seq DESC LIMIT $2', [subscriberId, limit])
  ).map(toHistory);
}

export async function putServiceTemplate(db: PgDb, t: ServiceTemplate, now: number): Promise<void> {
  await db.run(
    'INSERT INTO service_templates (id, definition, updated_at) VALUES ($1, $2, $3) ON CONFLICT (id) DO UPDATE SET definition = excluded.definition, updated_at = excluded.updated_at',
    [t.id, JSON.stringify(t), now],
  );
}

export async function listServiceTemplates(db: PgDb): Promise<ServiceTemplate[]> {
  return (await db.query<{ definition: unknown }>('SELECT definition FROM service_templates ORDER BY id')).map((r) => toTemplate(r.definition));
}

export async function deleteServiceTemplate(db: PgDb, id: string): Promise<boolean> {
  return (await db.run('DELETE FROM service_templates WHERE id = $1', [id])) > 0;
}

export async function countTemplateUses(db: PgDb, id: string): Promise<number> {
  const [row] = await db.query<{ n: string }>("SELECT count(*) AS n FROM subscribers s WHERE EXISTS (SELECT 1 FROM json_array_elements(s.services) e WHERE e->>'template' = $1)", [id]);
  return Number(row?.n ?? 0);
}

export async function createActivationCode(db: PgDb, c: { hash: string; subscriberId: string; expiresAt: number; createdAt: number }): Promise<void> {
  await db.run('INSERT INTO activation_codes (hash, subscriber_id, expires_at, created_at) VALUES ($1, $2, $3, $4)', [c.hash, c.subscriberId, c.expiresAt, c.createdAt]);
}

export async function redeemActivationCode(db: PgDb, hash: string, now: number): Promise<string | null> {
  const [row] = await db.query<{ subscriber_id: string }>(
    'UPDATE activation_codes SET used_at = $2 WHERE hash = $1 AND used_at IS NULL AND expires_at > $2 RETURNING subscriber_id',
    [hash, now],
  );
  return row?.subscriber_id ?? null;
}

export async function createSubscriberToken(db: PgDb, t: SubscriberTokenRecord): Promise<void> {
  await db.run('INSERT INTO subscriber_tokens (id, subscriber_id, name, lookup, hash, created_at) VALUES ($1, $2, $3, $4, $5, $6)', [t.id, t.subscriberId, t.name, t.lookup, t.hash, t.createdAt]);
}

export async function findSubscriberToken(db: PgDb, lookup: string): Promise<SubscriberTokenRecord | null> {
  const [row] = await db.query<SubscriberTokenRow>('SELECT id, subscriber_id, name, lookup, hash, created_at FROM subscriber_tokens WHERE lookup = $1', [lookup]);
  return row ? toSubscriberToken(row) : null;
}

/**
 * openSession's CTEs for the device's subscriber ($1 device, $4 now, $5 serial, $6 codes):
 * its binding, else a pending claim bound now (its predecessor unbound, both in the
 * history). Every data-modifying CTE here only runs when the lock was taken.
 */
export const SESSION_SUBSCRIBER_CTES = `
, bound AS (
  SELECT ${BINDING_COLUMNS} FROM subscriber_devices WHERE device_id = $1
), claimed AS (
  UPDATE subscriber_devices b SET device_id = $1, bound_at = $4
  WHERE b.id = (
    SELECT c.id FROM subscriber_devices c
    WHERE c.device_id IS NULL AND NOT EXISTS (SELECT 1 FROM bound) AND EXISTS (SELECT 1 FROM lock)
      AND ((c.claim_kind = 'serial' AND c.claim_value = $5 AND $5 <> '') OR (c.claim_kind = 'code' AND c.claim_value = ANY ($6::text[])))
    ORDER BY c.claim_kind = 'serial' DESC LIMIT 1)
  RETURNING ${BINDING_COLUMNS.split(', ').map((c) => `b.${c}`).join(', ')}
), unbound AS (
  DELETE FROM subscriber_devices d USING claimed c
  WHERE d.subscriber_id = c.subscriber_id AND d.device_id = c.replaces
  RETURNING d.subscriber_id, d.device_id
), claim_history AS (
  INSERT INTO subscriber_history (subscriber_id, at, action, device_id, detail)
  SELECT c.subscriber_id, $4, 'claimed', $1, CASE WHEN c.claim_kind = 'serial' THEN 'claimed by its serial number' ELSE 'claimed by its claim code' END FROM claimed c
  UNION ALL
  SELECT u.subscriber_id, $4, 'unbound', u.device_id, 'replaced by ' || $1 FROM unbound u
  RETURNING 1
), subscriber_binding AS (
  SELECT x.*, false AS claimed_now FROM bound x UNION ALL SELECT y.*, true FROM claimed y
)`;

export const SESSION_SUBSCRIBER_SELECT = `(
  SELECT json_build_object('binding', row_to_json(x), 'revision', s.revision, 'services', s.services,
    'templates', (SELECT coalesce(json_agg(t.definition), '[]'::json) FROM service_templates t
                  WHERE t.id IN (SELECT e->>'template' FROM json_array_elements(s.services) e)))
  FROM subscriber_binding x JOIN subscribers s ON s.id = x.subscriber_id LIMIT 1) AS subscriber`;

export interface SessionSubscriberJson {
  binding: BindingRow & { claimed_now: boolean };
  revision: number | string;
  services: SubscriberService[];
  templates: ServiceTemplate[];
}

export const toSessionSubscriber = (j: SessionSubscriberJson | null): SessionSubscriber | null =>
  j === null
    ? null
    : {
        binding: toBinding(j.binding),
        subscriberId: j.binding.subscriber_id,
        revision: Number(j.revision),
        services: j.services,
        templates: j.templates,
        claimedNow: j.binding.claimed_now,
      };
