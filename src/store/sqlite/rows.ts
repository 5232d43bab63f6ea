/**
 * Row shapes as SQLite returns them, and their mapping to the store's plain types.
 * The SELECT lists live here too so every reader of a table maps the same columns.
 */
import type { EventStruct } from '../../cwmp/types.js';
import type { CpeCredential, DeviceSummary, StoredParameter } from '../types.js';
import type { Db } from './db.js';

export interface DeviceRow {
  id: string;
  manufacturer: string;
  oui: string;
  product_class: string;
  serial_number: string;
  first_inform: number;
  last_inform: number;
  last_boot: number | null;
  last_bootstrap: number | null;
  last_events: string;
  /** JSON array, from a correlated subquery. */
  tags: string;
}

/** Device columns plus its tags as a JSON array (sorted), for one-query summaries. */
export const DEVICE_COLUMNS = `d.id, d.manufacturer, d.oui, d.product_class, d.serial_number,
  d.first_inform, d.last_inform, d.last_boot, d.last_bootstrap, d.last_events,
  (SELECT json_group_array(tag) FROM (SELECT tag FROM device_tags t WHERE t.device_id = d.id ORDER BY tag)) AS tags`;

export function toDeviceSummary(r: DeviceRow): DeviceSummary {
  return {
    id: r.id,
    deviceId: {
      manufacturer: r.manufacturer,
      oui: r.oui,
      productClass: r.product_class,
      serialNumber: r.serial_number,
    },
    firstInform: r.first_inform,
    lastInform: r.last_inform,
    lastBoot: r.last_boot,
    lastBootstrap: r.last_bootstrap,
    lastEvents: JSON.parse(r.last_events) as EventStruct[],
    tags: JSON.parse(r.tags) as string[],
  };
}

export interface ParameterRow {
  path: string;
  object: number;
  value: string | null;
  type: string | null;
  writable: number | null;
  notification: number | null;
  access_list: string | null;
  value_at: number | null;
  names_at: number | null;
  attributes_at: number | null;
}

export const PARAMETER_COLUMNS =
  'path, object, value, type, writable, notification, access_list, value_at, names_at, attributes_at';

export function toStoredParameter(r: ParameterRow): StoredParameter {
  return {
    path: r.path,
    object: r.object !== 0,
    value: r.value,
    type: r.type,
    writable: r.writable === null ? null : r.writable !== 0,
    notification: r.notification,
    accessList: r.access_list === null ? null : (JSON.parse(r.access_list) as string[]),
    valueAt: r.value_at,
    namesAt: r.names_at,
    attributesAt: r.attributes_at,
  };
}

/** Paths in SQLite's TEXT order (BINARY: UTF-8 bytes, i.e. code points); JS compares UTF-16 code units, the same but for astral characters against U+E000–U+FFFF. */
export const byPath = (a: { path: string }, b: { path: string }): number => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);

// Task rows are mapped in tasks.ts.

export interface CredentialRow {
  device_id: string;
  username: string;
  realm: string;
  ha1: string;
}

export const toCredential = (r: CredentialRow): CpeCredential => ({ username: r.username, realm: r.realm, ha1: r.ha1 });

const SUMMARY = `SELECT ${DEVICE_COLUMNS} FROM devices d WHERE d.id = @id`;

export function getSummary(db: Db, id: string): DeviceSummary | null {
  const row = db.get<DeviceRow>(SUMMARY, { id });
  return row ? toDeviceSummary(row) : null;
}
