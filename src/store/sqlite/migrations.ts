/**
 * Versioned schema migrations. Each entry is applied once, in version order, and recorded
 * in schema_migrations; never edit an applied entry — append a new one.
 *
 * Conventions that keep the PostgreSQL twin (postgres/migrations.ts) able to mirror this:
 * ids are TEXT, times are INTEGER milliseconds since the epoch, JSON is TEXT, booleans are
 * 0/1, and no row id ever leaves the backend (session_log.id and cpe_messages.id only order
 * rows). There are no foreign keys on device rows: a session lock or a queued request may
 * exist before the device's first Inform, and deleteDevice removes every table's rows
 * explicitly. (Webhook deliveries, version 4, reference their webhook.)
 */
import type { Db } from './db.js';

export interface Migration {
  version: number;
  name: string;
  up: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'initial schema',
    up: `
CREATE TABLE devices (
  id TEXT NOT NULL PRIMARY KEY,
  manufacturer TEXT NOT NULL,
  oui TEXT NOT NULL,
  product_class TEXT NOT NULL,
  serial_number TEXT NOT NULL,
  first_inform INTEGER NOT NULL,
  last_inform INTEGER NOT NULL,
  last_boot INTEGER,
  last_bootstrap INTEGER,
  last_events TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE device_tags (
  device_id TEXT NOT NULL,
  tag TEXT NOT NULL,
  PRIMARY KEY (device_id, tag)
) WITHOUT ROWID;
CREATE INDEX device_tags_by_tag ON device_tags (tag, device_id);

-- One row per node (objects end with "."). The primary key clusters a device's tree in
-- path order, so a subtree is one contiguous range.
CREATE TABLE parameters (
  device_id TEXT NOT NULL,
  path TEXT NOT NULL,
  object INTEGER NOT NULL,
  value TEXT,
  type TEXT,
  writable INTEGER,
  notification INTEGER,
  access_list TEXT,
  value_at INTEGER,
  names_at INTEGER,
  attributes_at INTEGER,
  PRIMARY KEY (device_id, path)
) WITHOUT ROWID;
-- "Which devices have path = value": the NBI's device search. (Dropped by version 2.)
CREATE INDEX parameters_by_value ON parameters (path, value);

CREATE TABLE cpe_credentials (
  device_id TEXT NOT NULL PRIMARY KEY,
  username TEXT NOT NULL UNIQUE,
  realm TEXT NOT NULL,
  ha1 TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE session_locks (
  device_id TEXT NOT NULL PRIMARY KEY,
  owner TEXT NOT NULL,
  expires_at INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE acs_requests (
  id TEXT NOT NULL PRIMARY KEY,
  device_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  request TEXT NOT NULL,
  command_key TEXT,
  state TEXT NOT NULL CHECK (state IN ('queued', 'done', 'fault', 'expired')),
  response TEXT,
  fault TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  expires_at INTEGER,
  UNIQUE (device_id, seq)
);
-- openSession reads only the queued ones; done requests pile up beside them.
CREATE INDEX acs_requests_queued ON acs_requests (device_id, seq) WHERE state = 'queued';

CREATE TABLE session_log (
  id INTEGER PRIMARY KEY,
  device_id TEXT NOT NULL,
  started_at INTEGER NOT NULL,
  ended_at INTEGER NOT NULL,
  events TEXT NOT NULL,
  rpcs TEXT NOT NULL,
  cpe_requests TEXT NOT NULL,
  outcome TEXT NOT NULL,
  linked_requests TEXT NOT NULL
);
CREATE INDEX session_log_by_device ON session_log (device_id, id);

CREATE TABLE cpe_messages (
  id INTEGER PRIMARY KEY,
  device_id TEXT NOT NULL,
  at INTEGER NOT NULL,
  message TEXT NOT NULL
);
CREATE INDEX cpe_messages_by_device ON cpe_messages (device_id, id);
`,
  },
  {
    version: 2,
    name: 'drop the fleet-wide (path, value) index',
    // Measured: it made a 5,000-parameter bootstrap 3-4x slower (its entries land all over
    // one fleet-wide index) and doubled the size of the parameter table. Searchable
    // parameters will get partial indexes instead — ON parameters (value) WHERE path = '…'
    // — from a later migration or from configuration.
    up: 'DROP INDEX IF EXISTS parameters_by_value',
  },
  {
    version: 3,
    name: 'tasks, NBI tokens, webhooks, search indexes',
    // The request queue becomes the task queue. acs_requests only ever held requests queued
    // through the store API by tests (no API could create them), so it is dropped rather
    // than converted. 'running' is new: openSession marks what it hands out.
    up: `
DROP TABLE IF EXISTS acs_requests;

CREATE TABLE tasks (
  id TEXT NOT NULL PRIMARY KEY,
  device_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  type TEXT NOT NULL,
  task TEXT NOT NULL,
  command_key TEXT,
  state TEXT NOT NULL CHECK (state IN ('queued', 'running', 'done', 'fault', 'expired')),
  response TEXT,
  fault TEXT,
  attempts INTEGER NOT NULL DEFAULT 0,
  connection_request TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  expires_at INTEGER,
  UNIQUE (device_id, seq)
);
-- openSession reads only the pending ones; finished tasks pile up beside them.
CREATE INDEX tasks_pending ON tasks (device_id, seq) WHERE state IN ('queued', 'running');
-- Fleet-wide listings (faults, every task) in creation order, and the expiry sweep.
CREATE INDEX tasks_by_state ON tasks (state, created_at);
CREATE INDEX tasks_by_created ON tasks (created_at, seq);
CREATE INDEX tasks_expiring ON tasks (expires_at) WHERE state = 'queued' AND expires_at IS NOT NULL;

-- Device listing sorted or filtered by these answers from an index, not a scan.
CREATE INDEX devices_by_last_inform ON devices (last_inform);
CREATE INDEX devices_by_serial ON devices (serial_number);

-- Which parameters have a search index (a partial index named index_name on parameters).
CREATE TABLE search_paths (
  path TEXT NOT NULL PRIMARY KEY,
  index_name TEXT NOT NULL UNIQUE
) WITHOUT ROWID;

CREATE TABLE api_tokens (
  id TEXT NOT NULL PRIMARY KEY,
  name TEXT NOT NULL,
  role TEXT NOT NULL CHECK (role IN ('read-only', 'operator', 'admin')),
  lookup TEXT NOT NULL UNIQUE,
  hash TEXT NOT NULL,
  created_at INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE webhooks (
  id TEXT NOT NULL PRIMARY KEY,
  url TEXT NOT NULL,
  secret TEXT NOT NULL,
  events TEXT NOT NULL,
  created_at INTEGER NOT NULL
) WITHOUT ROWID;
`,
  },
  {
    version: 4,
    name: 'webhook deliveries',
    // Deliveries wait here rather than in the dispatcher's memory, so a restart loses none
    // and any process can send what another left behind (src/nbi/events.ts). The one foreign
    // key of the schema: a delivery has no meaning without its webhook, and the cascade
    // (db.ts turns foreign_keys on) removes them with it.
    up: `
CREATE TABLE webhook_deliveries (
  id TEXT NOT NULL PRIMARY KEY,
  webhook_id TEXT NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
  event TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  state TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'failed')),
  next_at INTEGER NOT NULL,
  lease_until INTEGER,
  last_error TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
) WITHOUT ROWID;
-- The claim reads only what is pending; sent deliveries pile up beside them until pruned.
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_at) WHERE state = 'pending';
-- A webhook's deliveries newest first, and the cascade's lookup.
CREATE INDEX webhook_deliveries_by_webhook ON webhook_deliveries (webhook_id, created_at);
CREATE INDEX webhook_deliveries_finished ON webhook_deliveries (updated_at) WHERE state <> 'pending';
`,
  },
  {
    version: 10,
    name: 'per-device credentials: connection-request secret, pending and factory sets, bootstrap window, rotation',
    // Sets other than the current CPE→ACS one are JSON ({cpe: {username, realm, ha1},
    // connectionRequest: {username, sealed} | null}); sealed secrets are AES-GCM (src/auth/sealing.ts).
    up: `
ALTER TABLE cpe_credentials ADD COLUMN connection_request TEXT;
ALTER TABLE cpe_credentials ADD COLUMN pending TEXT;
ALTER TABLE cpe_credentials ADD COLUMN factory TEXT;
ALTER TABLE cpe_credentials ADD COLUMN bootstrap_until INTEGER;
ALTER TABLE cpe_credentials ADD COLUMN rotate_requested INTEGER NOT NULL DEFAULT 0;
ALTER TABLE cpe_credentials ADD COLUMN issued_at INTEGER;
`,
  },
  {
    version: 15,
    name: 'audit log (append-only)',
    up: `
CREATE TABLE audit_log (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  at INTEGER NOT NULL,
  actor_kind TEXT NOT NULL,
  actor_id TEXT NOT NULL,
  actor_name TEXT NOT NULL,
  source TEXT NOT NULL,
  action TEXT NOT NULL,
  target TEXT,
  status INTEGER NOT NULL,
  before_json TEXT,
  after_json TEXT
);
CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX audit_log_target ON audit_log (target, id) WHERE target IS NOT NULL;
CREATE INDEX audit_log_actor ON audit_log (actor_id, id);
-- Append-only: history is not rewritten, whatever the code above asks.
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
`,
  },
  {
    version: 21,
    name: 'quirk profiles (operator and learnt)',
    // src/store/concerns/quirks.ts. match, settings and evidence are JSON: a new setting needs
    // no migration. A handful of rows: read whole by every ACS process.
    up: `
CREATE TABLE quirk_profiles (
  id TEXT NOT NULL PRIMARY KEY,
  name TEXT NOT NULL,
  source TEXT NOT NULL,
  match TEXT NOT NULL,
  settings TEXT NOT NULL,
  evidence TEXT NOT NULL,
  enabled INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
) WITHOUT ROWID;
`,
  },
  {
    version: 25,
    name: 'provisioning policies: policies, revisions, compliance, per-device memo',
    up: `
-- definition: the PolicyDefinition as JSON (name, filter, triggers, declarations …), so new
-- kinds of declaration need no migration; priority and name are columns for ordering.
CREATE TABLE policies (
  id TEXT NOT NULL PRIMARY KEY,
  name TEXT NOT NULL,
  priority INTEGER NOT NULL,
  revision INTEGER NOT NULL,
  definition TEXT NOT NULL,
  author TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE policy_revisions (
  policy_id TEXT NOT NULL,
  revision INTEGER NOT NULL,
  definition TEXT NOT NULL,
  author TEXT NOT NULL,
  at INTEGER NOT NULL,
  PRIMARY KEY (policy_id, revision)
) WITHOUT ROWID;
CREATE TABLE policy_compliance (
  device_id TEXT NOT NULL,
  policy_id TEXT NOT NULL,
  revision INTEGER NOT NULL,
  state TEXT NOT NULL,
  fault TEXT,
  at INTEGER NOT NULL,
  PRIMARY KEY (device_id, policy_id)
) WITHOUT ROWID;
CREATE INDEX policy_compliance_by_policy ON policy_compliance (policy_id, state, revision);
-- What the engine needs to tell an unchanged device from a changed one without reading its
-- tree (src/policies/memo.ts): read by openSession, written by commitSession.
CREATE TABLE device_policy (
  device_id TEXT NOT NULL PRIMARY KEY,
  memo TEXT NOT NULL
) WITHOUT ROWID;
`,
  },
  {
    version: 30,
    name: 'file repository: files, chunked content, transfer log',
    // src/store/concerns/files.ts. Content lives in file_chunks only where the store is where
    // the bytes are (PostgreSQL by default; SQLite keeps them under the data directory).
    // applicability: {oui, productClass, fromVersions} as JSON; device_id: a device's own
    // upload (backup, log), null for the operators' repository.
    up: `
CREATE TABLE files (
  id TEXT NOT NULL PRIMARY KEY,
  name TEXT NOT NULL,
  file_type TEXT NOT NULL,
  version TEXT NOT NULL,
  size INTEGER NOT NULL,
  sha256 TEXT NOT NULL,
  target_file_name TEXT NOT NULL,
  applicability TEXT NOT NULL,
  storage TEXT NOT NULL,
  chunk_size INTEGER NOT NULL,
  device_id TEXT,
  created_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX files_by_created ON files (created_at, id) WHERE device_id IS NULL;
CREATE INDEX files_by_device ON files (device_id, created_at, id) WHERE device_id IS NOT NULL;
CREATE TABLE file_chunks (
  file_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  data BLOB NOT NULL,
  PRIMARY KEY (file_id, seq)
) WITHOUT ROWID;
CREATE TABLE file_transfers (
  id INTEGER PRIMARY KEY,
  at INTEGER NOT NULL,
  device_id TEXT,
  file_id TEXT,
  method TEXT NOT NULL,
  status INTEGER NOT NULL,
  bytes INTEGER NOT NULL,
  outcome TEXT NOT NULL,
  auth TEXT NOT NULL,
  remote TEXT NOT NULL,
  command_key TEXT,
  duration_ms INTEGER NOT NULL
);
CREATE INDEX file_transfers_by_file ON file_transfers (file_id, id);
CREATE INDEX file_transfers_by_device ON file_transfers (device_id, id);
`,
  },
  {
    version: 31,
    name: 'transfer log by time (retention)',
    up: `CREATE INDEX file_transfers_at ON file_transfers (at);`,
  },
  {
    version: 33,
    name: 'firmware campaigns and their device rows',
    // src/store/concerns/campaigns.ts. definition, target and wave_sizes are JSON, so new
    // campaign options need no migration. A campaign is due for a runner at next_at; a runner
    // holds it until lease_until. Device rows go with their campaign (ON DELETE CASCADE).
    up: `
CREATE TABLE campaigns (
  id TEXT NOT NULL PRIMARY KEY,
  name TEXT NOT NULL,
  file_id TEXT NOT NULL,
  definition TEXT NOT NULL,
  target TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('running', 'paused', 'done', 'aborted')),
  reason TEXT,
  wave INTEGER NOT NULL,
  wave_sizes TEXT NOT NULL,
  ack_failed INTEGER NOT NULL,
  resumed_at INTEGER NOT NULL,
  revision INTEGER NOT NULL,
  author TEXT NOT NULL,
  next_at INTEGER,
  lease_owner TEXT,
  lease_until INTEGER,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX campaigns_due ON campaigns (next_at) WHERE next_at IS NOT NULL;
CREATE INDEX campaigns_by_file ON campaigns (file_id);
CREATE TABLE campaign_devices (
  campaign_id TEXT NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
  device_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  wave INTEGER NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('pending', 'scheduled', 'downloading', 'installing', 'succeeded', 'failed', 'skipped')),
  reason TEXT,
  fault TEXT,
  task_id TEXT,
  attempts INTEGER NOT NULL,
  from_version TEXT,
  zone TEXT,
  scheduled_at INTEGER,
  downloading_at INTEGER,
  finished_at INTEGER,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (campaign_id, device_id)
) WITHOUT ROWID;
CREATE UNIQUE INDEX campaign_devices_by_seq ON campaign_devices (campaign_id, seq);
-- The runner's reads: pending and in-flight rows in order, and the starts of the last minute.
CREATE INDEX campaign_devices_by_state ON campaign_devices (campaign_id, state, seq);
CREATE INDEX campaign_devices_scheduled ON campaign_devices (campaign_id, scheduled_at) WHERE scheduled_at IS NOT NULL;
-- Device deletion, and "which campaigns is this device in".
CREATE INDEX campaign_devices_by_device ON campaign_devices (device_id);
`,
  },
  {
    version: 36,
    name: 'device KPI time series: raw samples, hourly roll-ups, sampling profiles',
    // src/store/concerns/series.ts. `metric` is what roll-ups and aggregates count (a
    // counter's rate, anything else's number); retention deletes by `at` on its index.
    up: `
CREATE TABLE samples (
  device_id TEXT NOT NULL,
  path TEXT NOT NULL,
  at INTEGER NOT NULL,
  value TEXT NOT NULL,
  num REAL,
  rate REAL,
  metric REAL,
  source TEXT NOT NULL,
  PRIMARY KEY (device_id, path, at)
) WITHOUT ROWID;
CREATE INDEX samples_at ON samples (at);
CREATE INDEX samples_path_at ON samples (path, at);
CREATE TABLE sample_hours (
  device_id TEXT NOT NULL,
  path TEXT NOT NULL,
  hour INTEGER NOT NULL,
  n INTEGER NOT NULL,
  min REAL,
  max REAL,
  sum REAL,
  PRIMARY KEY (device_id, path, hour)
) WITHOUT ROWID;
CREATE INDEX sample_hours_hour ON sample_hours (hour);
CREATE TABLE series_state (
  key TEXT NOT NULL PRIMARY KEY,
  value INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE sampling_profiles (
  id TEXT NOT NULL PRIMARY KEY,
  name TEXT NOT NULL,
  enabled INTEGER NOT NULL,
  interval_seconds INTEGER NOT NULL,
  definition TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
) WITHOUT ROWID;
`,
  },
  {
    version: 37,
    name: 'alarm rules (operators\' own, and their changes of the built-in ones), alarms, their history, event counts',
    // src/store/concerns/alarms.ts. At most one active alarm per rule and device: the partial
    // unique index makes raising atomic. Built-in rules live in code (src/store/alarm-rows.ts);
    // a row here with a built-in's id is an operator's change of it.
    up: `
CREATE TABLE alarm_rules (
  id TEXT NOT NULL PRIMARY KEY,
  name TEXT NOT NULL,
  enabled INTEGER NOT NULL,
  severity TEXT NOT NULL,
  definition TEXT NOT NULL,
  builtin INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE alarms (
  id TEXT NOT NULL PRIMARY KEY,
  rule_id TEXT NOT NULL,
  device_id TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('active', 'cleared')),
  severity TEXT NOT NULL,
  text TEXT NOT NULL,
  raised_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  cleared_at INTEGER,
  acknowledged_at INTEGER,
  acknowledged_by TEXT,
  count INTEGER NOT NULL
) WITHOUT ROWID;
CREATE UNIQUE INDEX alarms_one_active ON alarms (rule_id, device_id) WHERE state = 'active';
CREATE INDEX alarms_by_update ON alarms (updated_at);
CREATE INDEX alarms_by_state ON alarms (state, severity);
CREATE INDEX alarms_by_device ON alarms (device_id);
CREATE TABLE alarm_history (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  alarm_id TEXT NOT NULL,
  at INTEGER NOT NULL,
  action TEXT NOT NULL,
  severity TEXT NOT NULL,
  text TEXT NOT NULL,
  actor TEXT
);
CREATE INDEX alarm_history_by_alarm ON alarm_history (alarm_id, seq);
CREATE TABLE alarm_counts (
  rule_id TEXT NOT NULL,
  device_id TEXT NOT NULL,
  at INTEGER NOT NULL
);
CREATE INDEX alarm_counts_by_key ON alarm_counts (rule_id, device_id, at);
`,
  },
  {
    version: 40,
    name: 'api tokens: when each was last used',
    up: 'ALTER TABLE api_tokens ADD COLUMN last_used_at INTEGER;',
  },
  {
    version: 45,
    name: 'subscribers, bindings, service templates',
    // Subscribers and what hangs off them (src/store/concerns/subscribers.ts). `search` is
    // the lower-cased text the help desk searches (external id, name, phone, e-mail).
    up: `
CREATE TABLE subscribers (
  id TEXT NOT NULL PRIMARY KEY,
  external_id TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  search TEXT NOT NULL,
  contact TEXT NOT NULL,
  services TEXT NOT NULL,
  revision INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE TABLE subscriber_devices (
  id TEXT NOT NULL PRIMARY KEY,
  subscriber_id TEXT NOT NULL REFERENCES subscribers (id) ON DELETE CASCADE,
  device_id TEXT,
  claim_kind TEXT NOT NULL CHECK (claim_kind IN ('device', 'serial', 'code')),
  claim_value TEXT NOT NULL,
  replaces TEXT,
  applied_revision INTEGER,
  statuses TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  bound_at INTEGER
);
-- A device belongs to one subscriber; a pending claim to one binding.
CREATE UNIQUE INDEX subscriber_devices_by_device ON subscriber_devices (device_id) WHERE device_id IS NOT NULL;
CREATE UNIQUE INDEX subscriber_devices_pending ON subscriber_devices (claim_kind, claim_value) WHERE device_id IS NULL;
CREATE INDEX subscriber_devices_by_subscriber ON subscriber_devices (subscriber_id);
CREATE TABLE subscriber_history (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  subscriber_id TEXT NOT NULL REFERENCES subscribers (id) ON DELETE CASCADE,
  at INTEGER NOT NULL,
  action TEXT NOT NULL,
  device_id TEXT,
  detail TEXT NOT NULL
);
CREATE INDEX subscriber_history_by_subscriber ON subscriber_history (subscriber_id, seq);
CREATE TABLE service_templates (
  id TEXT NOT NULL PRIMARY KEY,
  definition TEXT NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE TABLE activation_codes (
  hash TEXT NOT NULL PRIMARY KEY,
  subscriber_id TEXT NOT NULL REFERENCES subscribers (id) ON DELETE CASCADE,
  expires_at INTEGER NOT NULL,
  used_at INTEGER,
  created_at INTEGER NOT NULL
);
CREATE TABLE subscriber_tokens (
  id TEXT NOT NULL PRIMARY KEY,
  subscriber_id TEXT NOT NULL REFERENCES subscribers (id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  lookup TEXT NOT NULL UNIQUE,
  hash TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
`,
  },
  {
    version: 50,
    name: 'users for people and their console sessions',
    // src/store/concerns/users.ts. Sessions die with their user (and are pruned when expired).
    up: `
CREATE TABLE users (
  id TEXT NOT NULL PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  role TEXT NOT NULL CHECK (role IN ('read-only', 'operator', 'admin')),
  source TEXT NOT NULL CHECK (source IN ('local', 'ldap')),
  password_hash TEXT,
  totp_secret TEXT,
  totp_pending TEXT,
  totp_last_step INTEGER,
  disabled INTEGER NOT NULL DEFAULT 0,
  failed_attempts INTEGER NOT NULL DEFAULT 0,
  locked_until INTEGER,
  scope TEXT,
  last_sign_in_at INTEGER,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE TABLE user_sessions (
  id TEXT NOT NULL PRIMARY KEY,
  user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  source TEXT NOT NULL
);
CREATE INDEX user_sessions_by_user ON user_sessions (user_id);
CREATE INDEX user_sessions_by_expiry ON user_sessions (expires_at);
`,
  },
  {
    version: 51,
    name: 'api tokens: the part of the fleet a token may see',
    // JSON {filter?, tag?} (src/store/concerns/users.ts PrincipalScope); null: the whole fleet.
    up: 'ALTER TABLE api_tokens ADD COLUMN scope TEXT;',
  },
  {
    version: 55,
    name: 'ACS processes and their heartbeats (stale session locks)',
    // src/store/concerns/processes.ts: a dead process's session locks are freed at once.
    up: `
CREATE TABLE acs_processes (
  id TEXT NOT NULL PRIMARY KEY,
  host TEXT NOT NULL,
  pid INTEGER NOT NULL,
  started_at INTEGER NOT NULL,
  heartbeat_at INTEGER NOT NULL
) WITHOUT ROWID;
`,
  },
  {
    version: 60,
    name: 'virtual parameters',
    // src/store/concerns/virtual-parameters.ts: definitions only; values live in the device tree.
    up: `
CREATE TABLE virtual_parameters (
  name TEXT NOT NULL PRIMARY KEY,
  revision INTEGER NOT NULL,
  definition TEXT NOT NULL,
  author TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
) WITHOUT ROWID;
`,
  },
  {
    version: 65,
    name: 'capabilities of tokens and users (provision)',
    // A JSON array of capability names beside the role (src/auth/tokens.ts): roles keep their
    // CHECK and order, so no table is rebuilt (users is referenced by user_sessions).
    up: `
ALTER TABLE api_tokens ADD COLUMN capabilities TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(capabilities) AND json_type(capabilities) = 'array');
ALTER TABLE users ADD COLUMN capabilities TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(capabilities) AND json_type(capabilities) = 'array');
`,
  },
  {
    version: 80,
    name: 'tasks waiting across sessions stay running (expiry index)',
    // A task with a recorded step (a Download answered with status 1, a diagnostic requested)
    // stays `running` between sessions (src/store/sqlite/apply.ts REQUEUE); the expiry sweep
    // finds those by this index beside tasks_expiring.
    up: `CREATE INDEX tasks_expiring_waiting ON tasks (expires_at) WHERE state = 'running' AND response IS NOT NULL AND expires_at IS NOT NULL;`,
  },
  {
    version: 81,
    name: 'webhooks: the part of the fleet a webhook hears',
    // JSON {filter?, tag?} (src/store/concerns/tokens.ts PrincipalScope); null: the whole fleet.
    up: 'ALTER TABLE webhooks ADD COLUMN scope TEXT;',
  },
  {
    version: 82,
    name: 'tree sections: a discovered tree as documents per top-level object',
    // sections.ts: written only with the treeSections option; read always (none by default).
    up: `
CREATE TABLE tree_sections (
  device_id TEXT NOT NULL,
  section TEXT NOT NULL,
  names_at INTEGER NOT NULL,
  values_at INTEGER,
  doc TEXT NOT NULL,
  PRIMARY KEY (device_id, section)
) WITHOUT ROWID;`,
  },
  {
    version: 83,
    name: "tree sections: entries keyed by the rest of the path after the section's name",
    // sections.ts: "Device.WiFi.SSID.1.SSID" is "SSID" in section "Device.WiFi.SSID.1.".
    up: `
UPDATE tree_sections SET doc = (
  SELECT json_group_object(substr(j.key, length(tree_sections.section) + 1), json(j.value)) FROM json_each(tree_sections.doc) AS j
);`,
  },
  {
    version: 84,
    name: 'tree sections: documents in a rowid table, their (device, section) key in its own index',
    // WITHOUT ROWID keeps each row in the key's B-tree: up to ~1 kB of every document (2 kB on
    // average, 35 kB at most) in its leaves, four rows a page, so a bootstrap's 124 inserts
    // among other devices' keys split pages and move those cells. With a rowid the documents
    // append at the table's end and only the small key index takes inserts in key order
    // (bootstrap storm, two runs of four alternated pairs: 1.07x and 1.12x sessions/s;
    // docs/scaling.md).
    up: `
CREATE TABLE tree_sections_rowid (
  device_id TEXT NOT NULL,
  section TEXT NOT NULL,
  names_at INTEGER NOT NULL,
  values_at INTEGER,
  doc TEXT NOT NULL,
  PRIMARY KEY (device_id, section)
);
INSERT INTO tree_sections_rowid (device_id, section, names_at, values_at, doc) SELECT device_id, section, names_at, values_at, doc FROM tree_sections;
DROP TABLE tree_sections;
ALTER TABLE tree_sections_rowid RENAME TO tree_sections;`,
  },
  {
    version: 85,
    name: "tree sections: a model's documents shared, each device's section the entries that differ",
    // sections.ts: a base is never changed once written and its id never reused (AUTOINCREMENT),
    // so a process that remembers one can only find it gone (the foreign key says so), never
    // different. A base goes with the last section that refers to it (the triggers).
    up: `
CREATE TABLE section_bases (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  section TEXT NOT NULL,
  doc TEXT NOT NULL
);
ALTER TABLE tree_sections ADD COLUMN base_id INTEGER REFERENCES section_bases (id);
CREATE INDEX tree_sections_by_base ON tree_sections (base_id) WHERE base_id IS NOT NULL;
CREATE TRIGGER tree_sections_base_dropped AFTER DELETE ON tree_sections WHEN old.base_id IS NOT NULL
BEGIN
  DELETE FROM section_bases WHERE id = old.base_id AND NOT EXISTS (SELECT 1 FROM tree_sections WHERE base_id = old.base_id);
END;
CREATE TRIGGER tree_sections_base_replaced AFTER UPDATE OF base_id ON tree_sections WHEN old.base_id IS NOT NULL AND old.base_id IS NOT new.base_id
BEGIN
  DELETE FROM section_bases WHERE id = old.base_id AND NOT EXISTS (SELECT 1 FROM tree_sections WHERE base_id = old.base_id);
END;`,
  },
  {
    version: 86,
    name: "tree sections: one row per device, its sections' entries in one JSONB document on the model's base",
    // sections.ts: a bootstrap wrote ~124 section rows; their count, not their bytes, was the
    // cost (docs/scaling.md). Each device's sections become one document, every section whole
    // (its base laid under it); devices find new bases as they are discovered again. A base
    // goes with the last device that refers to it (the triggers).
    up: `
CREATE TABLE tree_bases (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  doc BLOB NOT NULL
);
CREATE TABLE tree_docs (
  device_id TEXT NOT NULL UNIQUE,
  base_id INTEGER REFERENCES tree_bases (id),
  doc BLOB NOT NULL
);
CREATE INDEX tree_docs_by_base ON tree_docs (base_id) WHERE base_id IS NOT NULL;
INSERT INTO tree_docs (device_id, doc)
SELECT s.device_id, jsonb_group_object(s.section, json_array(s.names_at, s.values_at, 0,
  json(CASE WHEN s.base_id IS NULL THEN s.doc ELSE json_patch(b.doc, s.doc) END)))
FROM tree_sections s LEFT JOIN section_bases b ON b.id = s.base_id GROUP BY s.device_id;
DROP TABLE tree_sections;
DROP TABLE section_bases;
CREATE TRIGGER tree_docs_base_dropped AFTER DELETE ON tree_docs WHEN old.base_id IS NOT NULL
BEGIN
  DELETE FROM tree_bases WHERE id = old.base_id AND NOT EXISTS (SELECT 1 FROM tree_docs WHERE base_id = old.base_id);
END;
CREATE TRIGGER tree_docs_base_replaced AFTER UPDATE OF base_id ON tree_docs WHEN old.base_id IS NOT NULL AND old.base_id IS NOT new.base_id
BEGIN
  DELETE FROM tree_bases WHERE id = old.base_id AND NOT EXISTS (SELECT 1 FROM tree_docs WHERE base_id = old.base_id);
END;`,
  },
];

const BOOKKEEPING = `CREATE TABLE IF NOT EXISTS schema_migrations (
  version INTEGER NOT NULL PRIMARY KEY,
  name TEXT NOT NULL,
  applied_at INTEGER NOT NULL
)`;

/**
 * Apply the pending migrations in one IMMEDIATE transaction (so two processes starting
 * together cannot both apply one) and return the versions applied. Refuses a database
 * written by a newer Flotilla rather than guessing at a schema it does not know.
 */
export function runMigrations(db: Db, migrations: readonly Migration[] = MIGRATIONS, now = Date.now()): number[] {
  for (let i = 1; i < migrations.length; i++) {
    if (migrations[i]!.version <= migrations[i - 1]!.version) {
      throw new Error(`migrations out of order at version ${migrations[i]!.version}`);
    }
  }
  db.raw.exec(BOOKKEEPING);
  return db.immediate(() => {
    const applied = new Set(
      db.raw
        .prepare('SELECT version FROM schema_migrations')
        .all()
        .map((r) => (r as { version: number }).version),
    );
    const known = migrations.at(-1)?.version ?? 0;
    const newest = Math.max(0, ...applied);
    if (newest > known) {
      throw new Error(`database schema version ${newest} is newer than this Flotilla knows (${known})`);
    }
    const done: number[] = [];
    const record = db.raw.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)');
    for (const m of migrations) {
      if (applied.has(m.version)) continue;
      db.raw.exec(m.up);
      record.run(m.version, m.name, now);
      done.push(m.version);
    }
    return done;
  });
}

/** Versions recorded as applied, ascending (for tests and `flotilla` diagnostics). */
export function appliedVersions(db: Db): number[] {
  db.raw.exec(BOOKKEEPING);
  return db.raw
    .prepare('SELECT version FROM schema_migrations ORDER BY version')
    .all()
    .map((r) => (r as { version: number }).version);
}
