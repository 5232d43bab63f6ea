/** SQLite side of the reach concern (../reach.ts): one table, created if missing, own connection. */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { reachFromRow, type DeviceReach, type ReachPath, type ReachRow, type ReachStore, type StunBinding } from '../reach.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS device_reach (
  device_id TEXT NOT NULL PRIMARY KEY,
  binding_host TEXT,
  binding_port INTEGER,
  nat_detected INTEGER,
  binding_changed_at INTEGER,
  binding_seen_at INTEGER,
  binding_changes INTEGER NOT NULL DEFAULT 0,
  last_path TEXT,
  last_success_at INTEGER
) WITHOUT ROWID`;

const RECORD_BINDING = `
INSERT INTO device_reach (device_id, binding_host, binding_port, nat_detected, binding_changed_at, binding_seen_at, binding_changes)
VALUES (@id, @host, @port, @nat, @now, @now, 1)
ON CONFLICT (device_id) DO UPDATE SET
  binding_changes = binding_changes + (CASE WHEN binding_host IS excluded.binding_host AND binding_port IS excluded.binding_port THEN 0 ELSE 1 END),
  binding_changed_at = CASE WHEN binding_host IS excluded.binding_host AND binding_port IS excluded.binding_port THEN binding_changed_at ELSE excluded.binding_changed_at END,
  binding_host = excluded.binding_host,
  binding_port = excluded.binding_port,
  nat_detected = excluded.nat_detected,
  binding_seen_at = excluded.binding_seen_at`;

const RECORD_SUCCESS = `
INSERT INTO device_reach (device_id, last_path, last_success_at) VALUES (@id, @path, @at)
ON CONFLICT (device_id) DO UPDATE SET last_path = excluded.last_path, last_success_at = excluded.last_success_at`;

export class SqliteReachStore implements ReachStore {
  readonly #db: Database.Database;

  private constructor(db: Database.Database) {
    this.#db = db;
  }

  static open(file: string): SqliteReachStore {
    mkdirSync(dirname(file), { recursive: true });
    const db = new Database(file);
    db.pragma('journal_mode = WAL');
    db.pragma('busy_timeout = 5000');
    db.exec(SCHEMA);
    return new SqliteReachStore(db);
  }

  async recordBinding(deviceId: string, b: StunBinding, now: number): Promise<void> {
    this.#db.prepare(RECORD_BINDING).run({ id: deviceId, host: b.host, port: b.port, nat: b.natDetected ? 1 : 0, now });
  }

  async recordSuccess(deviceId: string, path: ReachPath, at: number): Promise<void> {
    this.#db.prepare(RECORD_SUCCESS).run({ id: deviceId, path, at });
  }

  async get(deviceId: string): Promise<DeviceReach | null> {
    const row = this.#db.prepare('SELECT * FROM device_reach WHERE device_id = ?').get(deviceId) as ReachRow | undefined;
    return row === undefined ? null : reachFromRow(row);
  }

  async forget(deviceId: string): Promise<boolean> {
    return this.#db.prepare('DELETE FROM device_reach WHERE device_id = ?').run(deviceId).changes > 0;
  }

  async close(): Promise<void> {
    this.#db.close();
  }
}
