/**
 * The device store: one narrow async interface per concern (src/store/concerns/), with
 * SQLite (default) and PostgreSQL behind each. `Store` is their intersection plus the
 * lifecycle; nothing here names a backend, and types are plain data so every backend can
 * fill them from rows. docs/architecture.md says how to add a concern.
 *
 * Round trips are the currency: an idle periodic session costs exactly two calls,
 * `openSession` (lock + device + queue) and `commitSession` (all writes + unlock), each one
 * transaction. Every other call is one round trip too, except the administrative
 * `migrate` and `setSearchablePaths`. Times are milliseconds since the epoch.
 */
import type { AuditStore } from './concerns/audit.js';
import type { CampaignStore } from './concerns/campaigns.js';
import type { CredentialStore } from './concerns/credentials.js';
import type { DeviceStore } from './concerns/devices.js';
import type { FileStore } from './concerns/files.js';
import type { HistoryStore } from './concerns/history.js';
import type { PolicyStore } from './concerns/policies.js';
import type { QuirkStore } from './concerns/quirks.js';
import type { TaskStore } from './concerns/tasks.js';
import type { SubscriberStore } from './concerns/subscribers.js';
import type { TokenStore } from './concerns/tokens.js';
import type { WebhookStore } from './concerns/webhooks.js';
import type { SeriesStore } from './concerns/series.js';
import type { AlarmStore } from './concerns/alarms.js';
import type { UserStore } from './concerns/users.js';
import type { ProcessStore } from './concerns/processes.js';
import type { VirtualParameterStore } from './concerns/virtual-parameters.js';

export type * from './concerns/audit.js';
export type * from './concerns/campaigns.js';
export type * from './concerns/credentials.js';
export type * from './concerns/devices.js';
export type * from './concerns/files.js';
export type * from './concerns/history.js';
export type * from './concerns/virtual-parameters.js';
export type * from './concerns/policies.js';
export type * from './concerns/quirks.js';
export type * from './concerns/tasks.js';
export type * from './concerns/subscribers.js';
export type * from './concerns/tokens.js';
export type * from './concerns/webhooks.js';
export type * from './concerns/series.js';
export type * from './concerns/alarms.js';
export type * from './concerns/users.js';
export type * from './concerns/processes.js';

/** Opening and closing a backend: not a concern of its own. */
export interface StoreLifecycle {
  /** Run pending migrations; idempotent. */
  migrate(): Promise<void>;
  close(): Promise<void>;
}

export type Store = StoreLifecycle & DeviceStore & CredentialStore & TaskStore & HistoryStore & TokenStore & WebhookStore & AuditStore & SubscriberStore & PolicyStore & CampaignStore & FileStore & SeriesStore & QuirkStore & AlarmStore & UserStore & ProcessStore & VirtualParameterStore;
