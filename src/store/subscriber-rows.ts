/**
 * Subscribers, bindings and their history as rows: one mapping for every SQL backend.
 * JSON columns arrive as text from SQLite and as values from PostgreSQL's json.
 */
import type { ServiceTemplate } from '../subscribers/template.js';
import type { DeviceBinding, SubscriberContact, SubscriberHistoryEntry, SubscriberRecord, SubscriberTokenRecord } from './types.js';

const json = <T>(v: unknown): T => (typeof v === 'string' ? (JSON.parse(v) as T) : (v as T));

export const SUBSCRIBER_COLUMNS = 'id, external_id, name, contact, services, revision, created_at, updated_at';
export interface SubscriberRow {
  id: string;
  external_id: string;
  name: string;
  contact: unknown;
  services: unknown;
  revision: number | string;
  created_at: number | string;
  updated_at: number | string;
}
export const toSubscriber = (r: SubscriberRow): SubscriberRecord => ({
  id: r.id,
  externalId: r.external_id,
  name: r.name,
  contact: json(r.contact),
  services: json(r.services),
  revision: Number(r.revision),
  createdAt: Number(r.created_at),
  updatedAt: Number(r.updated_at),
});

export const BINDING_COLUMNS = 'id, subscriber_id, device_id, claim_kind, claim_value, replaces, applied_revision, statuses, created_at, bound_at';
export interface BindingRow {
  id: string;
  subscriber_id: string;
  device_id: string | null;
  claim_kind: DeviceBinding['claimKind'];
  claim_value: string;
  replaces: string | null;
  applied_revision: number | string | null;
  statuses: unknown;
  created_at: number | string;
  bound_at: number | string | null;
}
export const toBinding = (r: BindingRow): DeviceBinding => ({
  id: r.id,
  subscriberId: r.subscriber_id,
  deviceId: r.device_id,
  claimKind: r.claim_kind,
  claimValue: r.claim_value,
  replaces: r.replaces,
  appliedRevision: r.applied_revision === null ? null : Number(r.applied_revision),
  statuses: json(r.statuses),
  createdAt: Number(r.created_at),
  boundAt: r.bound_at === null ? null : Number(r.bound_at),
});

export interface HistoryRow {
  subscriber_id: string;
  at: number | string;
  action: SubscriberHistoryEntry['action'];
  device_id: string | null;
  detail: string;
}
export const toHistory = (r: HistoryRow): SubscriberHistoryEntry => ({
  subscriberId: r.subscriber_id,
  at: Number(r.at),
  action: r.action,
  deviceId: r.device_id,
  detail: r.detail,
});

export const toTemplate = (definition: unknown): ServiceTemplate => json(definition);

export interface SubscriberTokenRow {
  id: string;
  subscriber_id: string;
  name: string;
  lookup: string;
  hash: string;
  created_at: number | string;
}
export const toSubscriberToken = (r: SubscriberTokenRow): SubscriberTokenRecord => ({
  id: r.id,
  subscriberId: r.subscriber_id,
  name: r.name,
  lookup: r.lookup,
  hash: r.hash,
  createdAt: Number(r.created_at),
});

/** The template ids a subscriber's services use. */
export const templateIds = (services: readonly { template: string }[]): string[] => [...new Set(services.map((s) => s.template))];

/** The lower-cased text a subscriber search matches (external id, name, phone, e-mail), one per line. */
export const searchText = (s: { externalId: string; name: string; contact: SubscriberContact }): string =>
  [s.externalId, s.name, s.contact.phone ?? '', s.contact.email ?? ''].join('\n').toLowerCase();
