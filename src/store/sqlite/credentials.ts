/**
 * The credentials concern (../concerns/credentials.ts) on SQLite.
 */
import type { CpeCredential } from '../types.js';
import type { Db } from './db.js';
import { toCredential, type CredentialRow } from './rows.js';

const CREDENTIAL = 'SELECT device_id, username, realm, ha1 FROM cpe_credentials WHERE device_id = @id';
const CREDENTIAL_BY_USER = 'SELECT device_id, username, realm, ha1 FROM cpe_credentials WHERE username = @username';
const SET_CREDENTIAL = `INSERT INTO cpe_credentials (device_id, username, realm, ha1)
VALUES (@id, @username, @realm, @ha1)
ON CONFLICT (device_id) DO UPDATE SET username = excluded.username, realm = excluded.realm, ha1 = excluded.ha1`;

export function getCpeCredential(db: Db, id: string): CpeCredential | null {
  const row = db.get<CredentialRow>(CREDENTIAL, { id });
  return row ? toCredential(row) : null;
}

export function getCpeCredentialByUsername(
  db: Db,
  username: string,
): { deviceId: string; credential: CpeCredential } | null {
  const row = db.get<CredentialRow>(CREDENTIAL_BY_USER, { username });
  return row ? { deviceId: row.device_id, credential: toCredential(row) } : null;
}

/** Throws if another device already uses the username (it must identify one device). */
export function setCpeCredential(db: Db, id: string, c: CpeCredential): void {
  db.run(SET_CREDENTIAL, { id, username: c.username, realm: c.realm, ha1: c.ha1 });
}
