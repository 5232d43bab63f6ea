/**
 * What the ACS knows about reaching each device behind a NAT (TR-069 Annex G/K): the public
 * binding its STUN Binding Requests came from, whether it sits behind a NAT, and which
 * connection-request path last worked. A concern of its own, beside the main Store: its own
 * table (`device_reach`, created if missing: this file's whole migration), its own small
 * connection, so the session path (2 round trips per idle periodic session) never touches it.
 * Every ACS process shares it through the same database.
 *
 * Written only when something changes (a new binding, a path that worked), and an unchanged
 * binding once an hour per process (so a binding the device stopped keeping can be told
 * apart): STUN keep-alives in between cost nothing here (stun-server.ts remembers what it wrote).
 */
import { join } from 'node:path';
import { storeKind, type StoreLocation } from './open.js';

export type ReachPath = 'http' | 'udp' | 'xmpp';

export interface StunBinding {
  /** Public address and port, as the STUN server saw them. */
  host: string;
  port: number;
  /** The public address differs from the one the CPE has on its own interface (TR-069 NATDetected). */
  natDetected: boolean;
}

export interface DeviceReach {
  deviceId: string;
  /** `seenAt`: the last write of it (new, changed, or the hourly refresh of an unchanged one). */
  binding: (StunBinding & { changedAt: number; seenAt: number; changes: number }) | null;
  lastPath: ReachPath | null;
  lastSuccessAt: number | null;
}

export interface ReachStore {
  /** Upsert the binding; `seenAt` is `now`; `changedAt` moves (and `changes` counts) only when host or port differ. */
  recordBinding(deviceId: string, binding: StunBinding, now: number): Promise<void>;
  /** The path that reached the device, and when. */
  recordSuccess(deviceId: string, path: ReachPath, at: number): Promise<void>;
  get(deviceId: string): Promise<DeviceReach | null>;
  /** A deleted device leaves no binding behind (true when there was one). */
  forget(deviceId: string): Promise<boolean>;
  close(): Promise<void>;
}

export interface ReachRow {
  device_id: string;
  binding_host: string | null;
  binding_port: number | string | null;
  nat_detected: number | boolean | null;
  binding_changed_at: number | string | null;
  binding_seen_at: number | string | null;
  binding_changes: number | string;
  last_path: string | null;
  last_success_at: number | string | null;
}

export function reachFromRow(r: ReachRow): DeviceReach {
  const path = r.last_path === 'http' || r.last_path === 'udp' || r.last_path === 'xmpp' ? r.last_path : null;
  return {
    deviceId: r.device_id,
    binding:
      r.binding_host === null || r.binding_port === null
        ? null
        : {
            host: r.binding_host,
            port: Number(r.binding_port),
            natDetected: r.nat_detected === true || r.nat_detected === 1,
            changedAt: Number(r.binding_changed_at ?? 0),
            seenAt: Number(r.binding_seen_at ?? r.binding_changed_at ?? 0),
            changes: Number(r.binding_changes),
          },
    lastPath: path,
    lastSuccessAt: r.last_success_at === null ? null : Number(r.last_success_at),
  };
}

/** Open the reach concern next to the main store (same database, own connection). */
export async function openReachStore(where: StoreLocation): Promise<ReachStore> {
  if (storeKind(where.db) === 'postgres') {
    const { PgReachStore } = await import('./postgres/reach.js');
    return PgReachStore.open(where.db as string);
  }
  const { SqliteReachStore } = await import('./sqlite/reach.js');
  const { DATABASE_FILE } = await import('./sqlite/index.js');
  const dir = where.db?.startsWith('sqlite:') ? where.db.slice('sqlite:'.length) : where.dataDir;
  return SqliteReachStore.open(join(dir, DATABASE_FILE));
}
