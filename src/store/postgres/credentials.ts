/**
 * The credentials concern (../concerns/credentials.ts) on PostgreSQL.
 */
import type { CpeCredential } from '../types.js';
import type { PgDb } from './db.js';
import { toCredential, type CredentialRow } from './rows.js';

const CREDENTIAL = 'SELECT device_id, username, realm, ha1 FROM cpe_credentials WHERE device_id = $1';
const CREDENTIAL_BY_USER = 'SELECT device_id, username, realm, ha1 FROM cpe_credentials WHERE username = $1';
const SET_CREDENTIAL = `INSERT INTO cpe_credentials (device_id, username, realm, ha1) VALUES ($1, $2, $3, $4)
ON CONFLICT (device_id) DO UPDATE SET username = excluded.username, realm = excluded.realm, ha1 = excluded.ha1`;

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
