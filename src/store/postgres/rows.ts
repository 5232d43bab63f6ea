/**
 * What PostgreSQL hands back, and its mapping to the store's plain types.
 *
 * Statements that must return a device, its tags, its queue or its tree in ONE round trip
 * build JSON in the database with the expressions below, shaped like the store's types, so
 * the mapping is little more than a type assertion. int8 arrives as a number (db.ts), json
 * columns arrive parsed.
 */
import type { EventStruct } from '../../cwmp/types.js';
import type { CpeCredential, DeviceSummary, StoredParameter } from '../types.js';

/** A device summary as JSON; `d` is the devices row. */
export const DEVICE_JSON = `json_build_object(
  'id', d.id, 'manufacturer', d.manufacturer, 'oui', d.oui, 'productClass', d.product_class,
  'serialNumber', d.serial_number, 'firstInform', d.first_inform, 'lastInform', d.last_inform,
  'lastBoot', d.last_boot, 'lastBootstrap', d.last_bootstrap, 'lastEvents', d.last_events,
  'tags', (SELECT coalesce(json_agg(t.tag ORDER BY t.tag), '[]'::json) FROM device_tags t WHERE t.device_id = d.id))`;

export interface DeviceJson {
  id: string;
  manufacturer: string;
  oui: string;
  productClass: string;
  serialNumber: string;
  firstInform: number;
  lastInform: number;
  lastBoot: number | null;
  lastBootstrap: number | null;
  lastEvents: EventStruct[];
  tags: string[];
}

export function toDeviceSummary(j: DeviceJson): DeviceSummary {
  return {
    id: j.id,
    deviceId: { manufacturer: j.manufacturer, oui: j.oui, productClass: j.productClass, serialNumber: j.serialNumber },
    firstInform: j.firstInform,
    lastInform: j.lastInform,
    lastBoot: j.lastBoot,
    lastBootstrap: j.lastBootstrap,
    lastEvents: j.lastEvents,
    tags: j.tags,
  };
}

/** A parameters row as a StoredParameter; `p` is the row. */
export const PARAMETER_JSON = `json_build_object(
  'path', p.path, 'object', p.object, 'value', p.value, 'type', p.type, 'writable', p.writable,
  'notification', p.notification, 'accessList', p.access_list, 'valueAt', p.value_at,
  'namesAt', p.names_at, 'attributesAt', p.attributes_at)`;

export const toStoredParameter = (j: StoredParameter): StoredParameter => j;

/** A tasks row as a TaskRecord; `r` is the row. */
export const TASK_JSON = `json_build_object(
  'id', r.id, 'deviceId', r.device_id, 'task', r.task, 'seq', r.seq, 'createdAt', r.created_at,
  'expiresAt', r.expires_at, 'state', r.state, 'commandKey', r.command_key, 'response', r.response,
  'fault', r.fault, 'updatedAt', r.updated_at, 'attempts', r.attempts, 'connectionRequest', r.connection_request)`;

export interface CredentialRow {
  device_id: string;
  username: string;
  realm: string;
  ha1: string;
}

export const CREDENTIAL_JSON = `json_build_object('username', c.username, 'realm', c.realm, 'ha1', c.ha1)`;

/** A cpe_credentials row `c` as DeviceCredentials (../concerns/credentials.ts). */
export const DEVICE_CREDENTIALS_JSON = `json_build_object(
  'current', json_build_object('cpe', ${CREDENTIAL_JSON}, 'connectionRequest', c.connection_request),
  'pending', c.pending, 'factory', c.factory, 'bootstrapUntil', c.bootstrap_until,
  'rotateRequested', c.rotate_requested, 'issuedAt', c.issued_at)`;

export const toCredential = (r: CpeCredential | CredentialRow): CpeCredential => ({ username: r.username, realm: r.realm, ha1: r.ha1 });
