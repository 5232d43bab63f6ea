/**
 * Store concern: subscribers, the services they bought, the devices bound to them, the
 * operators' own service templates, activation codes and self-service tokens.
 * Backends: sqlite/subscribers.ts, postgres/subscribers.ts; suite:
 * test/store/conformance/subscribers.ts. Templates are the domain's (src/subscribers),
 * stored as JSON; the store never interprets them.
 */
import type { ServiceTemplate } from '../../subscribers/template.js';

export interface SubscriberContact {
  email?: string;
  phone?: string;
  address?: string;
}

/** One service a subscriber has: a template and its checked inputs (secrets included: masked in answers). */
export interface SubscriberService {
  template: string;
  inputs: Record<string, string>;
}

export interface SubscriberRecord {
  id: string;
  /** The OSS/BSS's id: unique. */
  externalId: string;
  name: string;
  contact: SubscriberContact;
  services: SubscriberService[];
  /** Bumped whenever `services` change: a bound device whose applied revision differs gets them again. */
  revision: number;
  createdAt: number;
  updatedAt: number;
}

/**
 * How a device is (or will be) bound: by its id; by a serial number registered before the
 * device is seen; by a claim code it reports (ProvisioningCode or another configured parameter).
 */
export type ClaimKind = 'device' | 'serial' | 'code';

export type ServiceState = 'applied' | 'not-supported' | 'faulted';

export interface ServiceStatus {
  template: string;
  state: ServiceState;
  /** not-supported: what the device lacks. */
  reason?: string;
  /** faulted: the CPE's fault. */
  fault?: { code: number; message: string };
  at: number;
}

export interface DeviceBinding {
  id: string;
  subscriberId: string;
  /** null while a serial or code claim waits for its device. */
  deviceId: string | null;
  claimKind: ClaimKind;
  claimValue: string;
  /** A device this one replaces: unbound when this binding is claimed (a swap). */
  replaces: string | null;
  /** The subscriber revision last applied to the device (null: never). */
  appliedRevision: number | null;
  statuses: ServiceStatus[];
  createdAt: number;
  boundAt: number | null;
}

export type SubscriberHistoryAction = 'created' | 'updated' | 'bound' | 'claimed' | 'unbound' | 'services-applied' | 'activation-code';

export interface SubscriberHistoryEntry {
  subscriberId: string;
  at: number;
  action: SubscriberHistoryAction;
  deviceId: string | null;
  detail: string;
}

export interface SubscriberQuery {
  /** Matches the external id, name, phone or e-mail (case-insensitive substring), or a bound device's id or serial. */
  search?: string;
  limit?: number;
  offset?: number;
}

/** What openSession tells a session about the device's subscriber (src/session/programs/services.ts). */
export interface SessionSubscriber {
  binding: DeviceBinding;
  subscriberId: string;
  revision: number;
  services: SubscriberService[];
  /** The operator templates the services use (built-in ones are in code). */
  templates: ServiceTemplate[];
  /** The binding was claimed by this very session (a new or swapped device). */
  claimedNow: boolean;
}

/** The claims a session's Inform makes (SessionOpenInput.claims). */
export interface SubscriberClaims {
  serialNumber: string;
  codes: string[];
}

export interface SubscriberTokenRecord {
  id: string;
  subscriberId: string;
  name: string;
  lookup: string;
  hash: string;
  createdAt: number;
}

export interface SubscriberStore {
  /** false: the external id is taken. */
  createSubscriber(s: SubscriberRecord): Promise<boolean>;
  getSubscriber(id: string): Promise<SubscriberRecord | null>;
  /** Replace name, contact and services; `revision` bumps when services change. null: no such subscriber. */
  updateSubscriber(id: string, patch: { name?: string; contact?: SubscriberContact; services?: SubscriberService[] }, now: number): Promise<SubscriberRecord | null>;
  listSubscribers(q: SubscriberQuery): Promise<{ subscribers: SubscriberRecord[]; total: number }>;
  /** Deletes its bindings, codes, tokens and history too. */
  deleteSubscriber(id: string): Promise<boolean>;

  /**
   * 'taken': the device is bound to a subscriber already, or the serial/code is pending for
   * another binding. A 'device' binding of a device bound to the same subscriber is 'ok' (idempotent).
   */
  addBinding(b: DeviceBinding): Promise<'ok' | 'taken'>;
  removeBinding(subscriberId: string, bindingId: string): Promise<DeviceBinding | null>;
  listBindings(subscriberId: string): Promise<DeviceBinding[]>;
  bindingOfDevice(deviceId: string): Promise<DeviceBinding | null>;
  /** The outcome of applying `revision` to the binding's device. */
  recordServiceStatus(bindingId: string, revision: number, statuses: ServiceStatus[]): Promise<void>;

  appendSubscriberHistory(e: SubscriberHistoryEntry): Promise<void>;
  listSubscriberHistory(subscriberId: string, limit: number): Promise<SubscriberHistoryEntry[]>;

  /** Operator templates (insert or replace). */
  putServiceTemplate(t: ServiceTemplate, now: number): Promise<void>;
  listServiceTemplates(): Promise<ServiceTemplate[]>;
  deleteServiceTemplate(id: string): Promise<boolean>;
  /** Subscribers whose services use the template. */
  countTemplateUses(id: string): Promise<number>;

  /** Activation codes are kept as hashes, single use. */
  createActivationCode(c: { hash: string; subscriberId: string; expiresAt: number; createdAt: number }): Promise<void>;
  /** The subscriber of an unused, unexpired code, marking it used; null otherwise. */
  redeemActivationCode(hash: string, now: number): Promise<string | null>;

  createSubscriberToken(t: SubscriberTokenRecord): Promise<void>;
  findSubscriberToken(lookup: string): Promise<SubscriberTokenRecord | null>;
}
