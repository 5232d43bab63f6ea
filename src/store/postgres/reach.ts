/** PostgreSQL side of the reach concern (../reach.ts): one table, created if missing, a pool of two. */
import pg from 'pg';
import { reachFromRow, type DeviceReach, type ReachPath, type ReachRow, type ReachStore, type StunBinding } from '../reach.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS device_reach (
  device_id TEXT NOT NULL PRIMARY KEY,
  binding_host TEXT,
  binding_port INTEGER,
  nat_detected BOOLEAN,
  binding_changed_at BIGINT,
  binding_seen_at BIGINT,
  binding_changes INTEGER NOT NULL DEFAULT 0,
  last_path TEXT,
  last_success_at BIGINT
)`;

const RECORD_BINDING = `
INSERT INTO device_reach AS r (device_id, binding_host, binding_port, nat_detected, binding_changed_at, binding_seen_at, binding_changes)
VALUES ($1, $2, $3, $4, $5, $5, 1)
ON CONFLICT (device_id) DO UPDATE SET
  binding_changes = r.binding_changes + (CASE WHEN r.binding_host IS NOT DISTINCT FROM excluded.binding_host AND r.binding_port IS NOT DISTINCT FROM excluded.binding_port THEN 0 ELSE 1 END),
  binding_changed_at = CASE WHEN r.binding_host IS NOT DISTINCT FROM excluded.binding_host AND r.binding_port IS NOT DISTINCT FROM excluded.binding_port THEN r.binding_changed_at ELSE excluded.binding_changed_at END,
  binding_host = excluded.binding_host,
  binding_port = excluded.binding_port,
  nat_detected = excluded.nat_detected,
  binding_seen_at = excluded.binding_seen_at`;

const RECORD_SUCCESS = `
INSERT INTO device_reach AS r (device_id, last_path, last_success_at) VALUES ($1, $2, $3)
ON CONFLICT (device_id) DO UPDATE SET last_path = excluded.last_path, last_success_at = excluded.last_success_at`;

export class PgReachStore implements ReachStore {
  readonly #pool: pg.Pool;

  private constructor(pool: pg.Pool) {
    this.#pool = pool;
  }

  static async open(url: string): Promise<PgReachStore> {
    const pool = new pg.Pool({ connectionString: url, max: 2 });
    pool.on('error', () => undefined);
    try {
      await pool.query(SCHEMA);
    } catch (e) {
      // Two processes creating it at once: one wins, the other sees it exists.
      if ((e as { code?: string }).code !== '23505' && (e as { code?: string }).code !== '42P07') {
        await pool.end();
        throw e;
      }
    }
    return new PgReachStore(pool);
  }

  async recordBinding(deviceId: string, b: StunBinding, now: number): Promise<void> {
    await this.#pool.query(RECORD_BINDING, [deviceId, b.host, b.port, b.natDetected, now]);
  }

  async recordSuccess(deviceId: string, path: ReachPath, at: number): Promise<void> {
    await this.#pool.query(RECORD_SUCCESS, [deviceId, path, at]);
  }

  async get(deviceId: string): Promise<DeviceReach | null> {
    const rows = (await this.#pool.query<ReachRow>('SELECT * FROM device_reach WHERE device_id = $1', [deviceId])).rows;
    return rows[0] === undefined ? null : reachFromRow(rows[0]);
  }

  async forget(deviceId: string): Promise<boolean> {
    return ((await this.#pool.query('DELETE FROM device_reach WHERE device_id = $1', [deviceId])).rowCount ?? 0) > 0;
  }

  async close(): Promise<void> {
    await this.#pool.end();
  }
}
