/**
 * The credentials concern (../concerns/credentials.ts) on PostgreSQL. Sets other than the
 * current CPE→ACS credential are json columns (migration 10).
 */
import type { CpeCredential, DeviceCredentials, ImportedCredentials } from '../types.js';
import type { PgDb } from './db.js';
import { DEVICE_CREDENTIALS_JSON, toCredential, type CredentialRow } from './rows.js';

const CREDENTIAL = 'SELECT device_id, username, realm, ha1 FROM cpe_credentials WHERE device_id = $1';
const CREDENTIAL_BY_USER = 'SELECT device_id, username, realm, ha1 FROM cpe_credentials WHERE username = $1';
const SET_CREDENTIAL = `INSERT INTO cpe_credentials (device_id, username, realm, ha1) VALUES ($1, $2, $3, $4)
ON CONFLICT (device_id) DO UPDATE SET username = excluded.username, realm = excluded.realm, ha1 = excluded.ha1`;
const STATE = `SELECT ${DEVICE_CREDENTIALS_JSON} AS s FROM cpe_credentials c WHERE c.device_id = $1`;
/** Every row in one statement (one transaction): all or nothing. */
const IMPORT = `INSERT INTO cpe_credentials AS c (device_id, username, realm, ha1, connection_request, factory)
SELECT e->>'deviceId', e->'set'->'cpe'->>'username', e->'set'->'cpe'->>'realm', e->'set'->'cpe'->>'ha1',
  flotilla_json(e->'set'->'connectionRequest'), e->'set'
FROM json_array_elements($1::json) AS e
ON CONFLICT (device_id) DO UPDATE SET factory = excluded.factory`;
const WINDOW = 'UPDATE cpe_credentials SET bootstrap_until = $2 WHERE device_id = $1';
const ROTATE = 'UPDATE cpe_credentials SET rotate_requested = true WHERE device_id = $1';
const LIST = 'SELECT device_id FROM cpe_credentials WHERE device_id > $1 ORDER BY device_id LIMIT $2';
const RESEAL = 'UPDATE cpe_credentials SET connection_request = $2::json, pending = $3::json, factory = $4::json WHERE device_id = $1';

export async function getCpeCredential(db: PgDb, id: string): Promise<CpeCredential | null> {
  const [row] = await db.query<CredentialRow>(CREDENTIAL, [id]);
  return row ? toCredential(row) : null;
}

export async function getCpeCredentialByUsername(
  db: PgDb,
  username: string,
): Promise<{ deviceId: string; credential: CpeCredential } | null> {
  const [row] = await db.query<CredentialRow>(CREDENTIAL_BY_USER, [username]);
  return row ? { deviceId: row.device_id, credential: toCredential(row) } : null;
}

/** Throws if another device already uses the username (it must identify one device). */
export async function setCpeCredential(db: PgDb, id: string, c: CpeCredential): Promise<void> {
  await db.run(SET_CREDENTIAL, [id, c.username, c.realm, c.ha1]);
}

export async function getDeviceCredentials(db: PgDb, id: string): Promise<DeviceCredentials | null> {
  const [row] = await db.query<{ s: DeviceCredentials }>(STATE, [id]);
  return row ? row.s : null;
}

export async function importCredentials(db: PgDb, items: readonly ImportedCredentials[]): Promise<void> {
  if (items.length === 0) return;
  await db.run(IMPORT, [JSON.stringify(items)]);
}

export async function setBootstrapWindow(db: PgDb, id: string, until: number | null): Promise<boolean> {
  return (await db.run(WINDOW, [id, until])) > 0;
}

export async function requestCredentialRotation(db: PgDb, id: string): Promise<boolean> {
  return (await db.run(ROTATE, [id])) > 0;
}

export async function listCredentialDevices(db: PgDb, after: string | null, limit: number): Promise<string[]> {
  return (await db.query<{ device_id: string }>(LIST, [after ?? '', limit])).map((r) => r.device_id);
}

export async function resealCredentials(db: PgDb, id: string, next: Pick<DeviceCredentials, 'current' | 'pending' | 'factory'>): Promise<boolean> {
  const j = (v: unknown): string | null => (v === null ? null : JSON.stringify(v));
  return (await db.run(RESEAL, [id, j(next.current.connectionRequest), j(next.pending), j(next.factory)])) > 0;
}
