/**
 * The credentials concern (../concerns/credentials.ts) on SQLite. Sets other than the current
 * CPE→ACS credential are JSON text columns (migration 10).
 */
import type { CpeCredential, CredentialSet, DeviceCredentials, ImportedCredentials } from '../types.js';
import { json, type Db } from './db.js';
import { toCredential, type CredentialRow } from './rows.js';

const CREDENTIAL = 'SELECT device_id, username, realm, ha1 FROM cpe_credentials WHERE device_id = @id';
const CREDENTIAL_BY_USER = 'SELECT device_id, username, realm, ha1 FROM cpe_credentials WHERE username = @username';
const SET_CREDENTIAL = `INSERT INTO cpe_credentials (device_id, username, realm, ha1)
VALUES (@id, @username, @realm, @ha1)
ON CONFLICT (device_id) DO UPDATE SET username = excluded.username, realm = excluded.realm, ha1 = excluded.ha1`;
const STATE = `SELECT device_id, username, realm, ha1, connection_request, pending, factory, bootstrap_until, rotate_requested, issued_at
FROM cpe_credentials WHERE device_id = @id`;
const IMPORT = `INSERT INTO cpe_credentials (device_id, username, realm, ha1, connection_request, factory)
VALUES (@id, @username, @realm, @ha1, @cr, @set)
ON CONFLICT (device_id) DO UPDATE SET factory = excluded.factory`;
const WINDOW = 'UPDATE cpe_credentials SET bootstrap_until = @until WHERE device_id = @id';
const ROTATE = 'UPDATE cpe_credentials SET rotate_requested = 1 WHERE device_id = @id';
const LIST = 'SELECT device_id FROM cpe_credentials WHERE device_id > @after ORDER BY device_id LIMIT @limit';
const RESEAL = 'UPDATE cpe_credentials SET connection_request = @cr, pending = @pending, factory = @factory WHERE device_id = @id';

export interface StateRow extends CredentialRow {
  connection_request: string | null;
  pending: string | null;
  factory: string | null;
  bootstrap_until: number | null;
  rotate_requested: number;
  issued_at: number | null;
}

const parse = <T>(text: string | null): T | null => (text === null ? null : (JSON.parse(text) as T));

export function toDeviceCredentials(r: StateRow): DeviceCredentials {
  return {
    current: { cpe: toCredential(r), connectionRequest: parse(r.connection_request) },
    pending: parse<CredentialSet>(r.pending),
    factory: parse<CredentialSet>(r.factory),
    bootstrapUntil: r.bootstrap_until,
    rotateRequested: r.rotate_requested !== 0,
    issuedAt: r.issued_at,
  };
}

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

export function getDeviceCredentials(db: Db, id: string): DeviceCredentials | null {
  const row = db.get<StateRow>(STATE, { id });
  return row ? toDeviceCredentials(row) : null;
}

export function importCredentials(db: Db, items: readonly ImportedCredentials[]): void {
  db.immediate(() => {
    for (const { deviceId, set } of items) {
      const { cpe, connectionRequest } = set;
      db.run(IMPORT, { id: deviceId, ...cpe, cr: connectionRequest === null ? null : json(connectionRequest), set: json(set) });
    }
  });
}

export function setBootstrapWindow(db: Db, id: string, until: number | null): boolean {
  return db.run(WINDOW, { id, until }) > 0;
}

export function requestCredentialRotation(db: Db, id: string): boolean {
  return db.run(ROTATE, { id }) > 0;
}

export function listCredentialDevices(db: Db, after: string | null, limit: number): string[] {
  return db.all<{ device_id: string }>(LIST, { after: after ?? '', limit }).map((r) => r.device_id);
}

export function resealCredentials(db: Db, id: string, next: Pick<DeviceCredentials, 'current' | 'pending' | 'factory'>): boolean {
  const cr = next.current.connectionRequest;
  return (
    db.run(RESEAL, {
      id,
      cr: cr === null ? null : json(cr),
      pending: next.pending === null ? null : json(next.pending),
      factory: next.factory === null ? null : json(next.factory),
    }) > 0
  );
}
