/**
 * Devices: identity and Inform times, tags, parameter reads, CPE credentials, deletion.
 */
import { EV, hasEvent } from '../../cwmp/events.js';
import type { DeviceIdStruct, EventStruct } from '../../cwmp/types.js';
import type { CpeCredential, DeviceRecord, DeviceSummary } from '../types.js';
import { json, type Db } from './db.js';
import {
  DEVICE_COLUMNS,
  PARAMETER_COLUMNS,
  toCredential,
  toDeviceSummary,
  toStoredParameter,
  type CredentialRow,
  type DeviceRow,
  type ParameterRow,
} from './rows.js';
import { prefixUpperBound, subtreePrefix } from '../tree.js';

/**
 * first_inform is only written on insert; boot times only move when the Inform says so.
 * oui, product_class and serial_number are not updated: the id is made of them (device-id.ts),
 * so they cannot change for a row, and leaving them out of the SET list keeps SQLite from
 * rewriting the devices_by_serial index on every Inform (measured: +20 µs per commit).
 */
const UPSERT_DEVICE = `
INSERT INTO devices (id, manufacturer, oui, product_class, serial_number,
  first_inform, last_inform, last_boot, last_bootstrap, last_events)
VALUES (@id, @manufacturer, @oui, @productClass, @serialNumber, @at, @at, @boot, @bootstrap, @events)
ON CONFLICT (id) DO UPDATE SET
  manufacturer = excluded.manufacturer,
  last_inform = excluded.last_inform,
  last_boot = coalesce(excluded.last_boot, devices.last_boot),
  last_bootstrap = coalesce(excluded.last_bootstrap, devices.last_bootstrap),
  last_events = excluded.last_events`;

const SUMMARY = `SELECT ${DEVICE_COLUMNS} FROM devices d WHERE d.id = @id`;

const PARAMS_ALL = `SELECT ${PARAMETER_COLUMNS} FROM parameters WHERE device_id = @id ORDER BY path`;
/** [path, hi) bounds the index range; the OR only drops look-alikes such as "X.a-b" for "X.a". */
const PARAMS_RANGE = `SELECT ${PARAMETER_COLUMNS} FROM parameters
WHERE device_id = @id AND path >= @path AND path < @hi AND (path = @path OR path >= @lo) ORDER BY path`;

const DELETE_DEVICE = 'DELETE FROM devices WHERE id = @id';
/** Everything keyed by device, besides the device row itself. */
const DEPENDENTS = [
  'device_tags',
  'parameters',
  'cpe_credentials',
  'session_locks',
  'tasks',
  'session_log',
  'cpe_messages',
].map((table) => `DELETE FROM ${table} WHERE device_id = @id`);

const DEVICE_EXISTS = 'SELECT 1 AS x FROM devices WHERE id = @id';
const ADD_TAG = 'INSERT INTO device_tags (device_id, tag) VALUES (@id, @tag) ON CONFLICT DO NOTHING';
const REMOVE_TAG = 'DELETE FROM device_tags WHERE device_id = @id AND tag = @tag';

const CREDENTIAL = 'SELECT device_id, username, realm, ha1 FROM cpe_credentials WHERE device_id = @id';
const CREDENTIAL_BY_USER = 'SELECT device_id, username, realm, ha1 FROM cpe_credentials WHERE username = @username';
const SET_CREDENTIAL = `INSERT INTO cpe_credentials (device_id, username, realm, ha1)
VALUES (@id, @username, @realm, @ha1)
ON CONFLICT (device_id) DO UPDATE SET username = excluded.username, realm = excluded.realm, ha1 = excluded.ha1`;


export function upsertDevice(
  db: Db,
  id: string,
  identity: DeviceIdStruct,
  informAt: number,
  events: readonly EventStruct[],
): void {
  db.run(UPSERT_DEVICE, {
    id,
    manufacturer: identity.manufacturer,
    oui: identity.oui,
    productClass: identity.productClass,
    serialNumber: identity.serialNumber,
    at: informAt,
    boot: hasEvent(events, EV.BOOT) ? informAt : null,
    bootstrap: hasEvent(events, EV.BOOTSTRAP) ? informAt : null,
    events: json(events),
  });
}

export function getSummary(db: Db, id: string): DeviceSummary | null {
  const row = db.get<DeviceRow>(SUMMARY, { id });
  return row ? toDeviceSummary(row) : null;
}

/**
 * `subtree` "X.Y." selects that object and everything under it; a parameter path selects
 * that parameter. Rows come in byte order of path.
 */
export function getDevice(db: Db, id: string, subtree?: string): DeviceRecord | null {
  // One snapshot for the summary and the rows (a read transaction in WAL mode).
  return db.read(() => {
      const summary = getSummary(db, id);
      if (summary === null) return null;
      let rows: ParameterRow[];
      const lo = subtree === undefined ? '' : subtreePrefix(subtree);
      const hi = prefixUpperBound(lo);
      if (hi === null) rows = db.all<ParameterRow>(PARAMS_ALL, { id });
      else rows = db.all<ParameterRow>(PARAMS_RANGE, { id, path: subtree ?? lo, lo, hi });
      return { ...summary, parameters: rows.map(toStoredParameter) };
  });
}

// Listing (filters, sort, paging, projection) is query.ts.

export function deleteDevice(db: Db, id: string): boolean {
  return db.immediate(() => {
    const existed = db.run(DELETE_DEVICE, { id }) > 0;
    for (const sql of DEPENDENTS) db.run(sql, { id });
    return existed;
  });
}

export function setTags(db: Db, id: string, add: readonly string[], remove: readonly string[]): boolean {
  return db.immediate(() => {
    if (db.get(DEVICE_EXISTS, { id }) === undefined) return false;
    for (const tag of remove) db.run(REMOVE_TAG, { id, tag });
    for (const tag of add) db.run(ADD_TAG, { id, tag });
    return true;
  });
}

export function getCredential(db: Db, id: string): CpeCredential | null {
  const row = db.get<CredentialRow>(CREDENTIAL, { id });
  return row ? toCredential(row) : null;
}

export function getCredentialByUsername(
  db: Db,
  username: string,
): { deviceId: string; credential: CpeCredential } | null {
  const row = db.get<CredentialRow>(CREDENTIAL_BY_USER, { username });
  return row ? { deviceId: row.device_id, credential: toCredential(row) } : null;
}

/** Throws if another device already uses the username (it must identify one device). */
export function setCredential(db: Db, id: string, c: CpeCredential): void {
  db.run(SET_CREDENTIAL, { id, username: c.username, realm: c.realm, ha1: c.ha1 });
}
