/**
 * Versioned schema migrations of the PostgreSQL backend. Each entry is applied once, in
 * version order, and recorded in schema_migrations; never edit an applied entry — append.
 *
 * The same schema concepts as sqlite/migrations.ts (same tables and columns, times in ms
 * since the epoch, no foreign keys but webhook deliveries → webhooks, no row id leaves the
 * backend), in PostgreSQL's types:
 *  - every id and path is `text COLLATE "C"`: byte order, so the subtree range predicates
 *    of ../tree.ts are exact (and comparisons skip the locale machinery);
 *  - parameters are one row per node, clustered by the primary key (device_id, path) —
 *    measured against one JSONB document per device (bench/pg-params.ts): rows make an idle
 *    periodic session write nothing and a changed value write one row, where a document is
 *    rewritten whole (47 kB of WAL per session for a 5,000-node tree). See docs/scaling.md;
 *  - JSON that is stored and read back whole (events, requests, answers, logs) is `json`,
 *    which keeps the text as written;
 *  - every table is keyed by its device first, so a distributed PostgreSQL (Citus) can shard
 *    all of them by device id and keep a device's rows on one node (docs/scaling.md).
 *
 * Round trips: openSession is one statement (sessions.ts) and commitSession one call of
 * flotilla_apply (migration 5), which applies the planned write ops inside the database —
 * one network round trip and one transaction however many ops there are. The functions only
 * run primitive ops that the client planned (../session-writes.ts), so the semantics live in
 * TypeScript, shared with SQLite. (Migrations 2 and 3 made the former commit function.)
 */
import type { PgDb } from './db.js';

export interface Migration {
  version: number;
  name: string;
  up: string;
}

const SCHEMA_V1 = `
-- Every text that is compared, sorted or range-scanned is COLLATE "C": byte order.
CREATE TABLE devices (
  id text COLLATE "C" NOT NULL PRIMARY KEY,
  manufacturer text COLLATE "C" NOT NULL,
  oui text COLLATE "C" NOT NULL,
  product_class text COLLATE "C" NOT NULL,
  serial_number text COLLATE "C" NOT NULL,
  first_inform bigint NOT NULL,
  last_inform bigint NOT NULL,
  last_boot bigint,
  last_bootstrap bigint,
  last_events json NOT NULL
) WITH (fillfactor = 90);
-- Device listing sorted or filtered by these answers from an index, not a scan. (The first
-- makes every session's device update a non-HOT one: one index entry per session.)
CREATE INDEX devices_by_last_inform ON devices (last_inform);
CREATE INDEX devices_by_serial ON devices (serial_number);

CREATE TABLE device_tags (
  device_id text COLLATE "C" NOT NULL,
  tag text COLLATE "C" NOT NULL,
  PRIMARY KEY (device_id, tag)
);
CREATE INDEX device_tags_by_tag ON device_tags (tag, device_id);

-- One row per node (objects end with "."). fillfactor leaves room on each page so that a
-- changed value is a HOT update (no index write).
CREATE TABLE parameters (
  device_id text COLLATE "C" NOT NULL,
  path text COLLATE "C" NOT NULL,
  object boolean NOT NULL,
  value text COLLATE "C",
  type text,
  writable boolean,
  notification smallint,
  access_list text[],
  value_at bigint,
  names_at bigint,
  attributes_at bigint,
  PRIMARY KEY (device_id, path)
) WITH (fillfactor = 90);

CREATE TABLE cpe_credentials (
  device_id text COLLATE "C" NOT NULL PRIMARY KEY,
  username text COLLATE "C" NOT NULL UNIQUE,
  realm text NOT NULL,
  ha1 text NOT NULL
);

-- Written twice per session (take, release): small, hot, mostly dead tuples.
CREATE TABLE session_locks (
  device_id text COLLATE "C" NOT NULL PRIMARY KEY,
  owner text COLLATE "C" NOT NULL,
  expires_at bigint NOT NULL
) WITH (fillfactor = 50, autovacuum_vacuum_scale_factor = 0.05);

-- seq orders one device's tasks; a sequence hands out increasing numbers to concurrent
-- creators in any number of processes without a read-modify-write of max(seq).
CREATE SEQUENCE tasks_seq;
CREATE TABLE tasks (
  device_id text COLLATE "C" NOT NULL,
  id text COLLATE "C" NOT NULL,
  seq bigint NOT NULL DEFAULT nextval('tasks_seq'),
  type text NOT NULL,
  task json NOT NULL,
  command_key text,
  state text NOT NULL CHECK (state IN ('queued', 'running', 'done', 'fault', 'expired')),
  response json,
  fault json,
  attempts integer NOT NULL DEFAULT 0,
  connection_request json,
  created_at bigint NOT NULL,
  updated_at bigint NOT NULL,
  expires_at bigint,
  PRIMARY KEY (device_id, id),
  UNIQUE (device_id, seq)
);
ALTER SEQUENCE tasks_seq OWNED BY tasks.seq;
CREATE INDEX tasks_by_id ON tasks (id);
-- openSession reads only the pending ones; finished tasks pile up beside them.
CREATE INDEX tasks_pending ON tasks (device_id, seq) WHERE state IN ('queued', 'running');
-- Fleet-wide listings (faults, every task) in creation order, and the expiry sweep.
CREATE INDEX tasks_by_state ON tasks (state, created_at);
CREATE INDEX tasks_by_created ON tasks (created_at, seq);
CREATE INDEX tasks_expiring ON tasks (expires_at) WHERE state = 'queued' AND expires_at IS NOT NULL;

CREATE TABLE session_log (
  device_id text COLLATE "C" NOT NULL,
  id bigserial NOT NULL,
  started_at bigint NOT NULL,
  ended_at bigint NOT NULL,
  events json NOT NULL,
  rpcs json NOT NULL,
  cpe_requests json NOT NULL,
  outcome text NOT NULL,
  linked_requests json NOT NULL,
  PRIMARY KEY (device_id, id)
);

CREATE TABLE cpe_messages (
  device_id text COLLATE "C" NOT NULL,
  id bigserial NOT NULL,
  at bigint NOT NULL,
  message json NOT NULL,
  PRIMARY KEY (device_id, id)
);

-- Which parameters have a search index (a partial index named index_name on parameters).
CREATE TABLE search_paths (
  path text COLLATE "C" NOT NULL PRIMARY KEY,
  index_name text NOT NULL UNIQUE
);

CREATE TABLE api_tokens (
  id text COLLATE "C" NOT NULL PRIMARY KEY,
  name text NOT NULL,
  role text NOT NULL CHECK (role IN ('read-only', 'operator', 'admin')),
  lookup text COLLATE "C" NOT NULL UNIQUE,
  hash text NOT NULL,
  created_at bigint NOT NULL
);

CREATE TABLE webhooks (
  id text COLLATE "C" NOT NULL PRIMARY KEY,
  url text NOT NULL,
  secret text NOT NULL,
  events json NOT NULL,
  created_at bigint NOT NULL
);

-- The number a decimal string denotes, else NULL (so it never compares true): device
-- filters compare values numerically when the operand is a decimal number.
CREATE FUNCTION flotilla_num(v text) RETURNS numeric LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT CASE WHEN v ~ '^-?[0-9]+([.][0-9]+)?$' THEN v::numeric END $$;
`;

/**
 * The whole commitSession. Arguments: the device, the lock owner, whether to release the
 * lock, the history caps, the device's identity row, the planned parameter steps (see
 * parameters.ts for their meaning), request outcomes, CPE messages and the session log.
 * JSON that is stored as-is travels as JSON *text* inside these arguments, so the stored
 * text is exactly what the client serialised.
 *
 * The text by version: v1 (migration 2), v2 (migration 3: a failed TransferComplete faults
 * the transfer task with its CommandKey; the client marks such messages `transferFault`).
 * A later change is a new version here and a new migration that replaces the function.
 */
const commitFunction = (version: 1 | 2): string => `
CREATE OR REPLACE FUNCTION flotilla_commit_session(
  p_device text, p_owner text, p_release boolean, p_keep_log integer, p_keep_messages integer,
  p_identity json, p_steps json, p_outcomes json, p_messages json, p_log json
) RETURNS void LANGUAGE plpgsql AS $fn$
DECLARE
  s json;
  v_at bigint;
  v_lo text;
  v_hi text;
  v_child text;
  v_prefix text;
BEGIN
  INSERT INTO devices AS d (id, manufacturer, oui, product_class, serial_number,
    first_inform, last_inform, last_boot, last_bootstrap, last_events)
  VALUES (p_device, p_identity->>'manufacturer', p_identity->>'oui', p_identity->>'productClass',
    p_identity->>'serialNumber', (p_identity->>'at')::bigint, (p_identity->>'at')::bigint,
    (p_identity->>'boot')::bigint, (p_identity->>'bootstrap')::bigint, (p_identity->>'events')::json)
  ON CONFLICT (id) DO UPDATE SET
    manufacturer = excluded.manufacturer, oui = excluded.oui,
    product_class = excluded.product_class, serial_number = excluded.serial_number,
    last_inform = excluded.last_inform,
    last_boot = coalesce(excluded.last_boot, d.last_boot),
    last_bootstrap = coalesce(excluded.last_bootstrap, d.last_bootstrap),
    last_events = excluded.last_events;

  FOR s IN SELECT value FROM json_array_elements(p_steps) LOOP
    v_at := (s->>'at')::bigint;
    v_lo := s->>'lo';
    v_hi := s->>'hi';
    CASE s->>'k'
    WHEN 'clear' THEN
      DELETE FROM parameters WHERE device_id = p_device;
    WHEN 'values' THEN
      IF (s->>'touch')::boolean THEN
        INSERT INTO parameters AS p (device_id, path, object, value, type, value_at)
        SELECT p_device, e->>0, right(e->>0, 1) = '.', e->>1, e->>2, v_at FROM json_array_elements(s->'items') AS e
        ON CONFLICT (device_id, path) DO UPDATE
        SET value = excluded.value, type = excluded.type, value_at = excluded.value_at;
      ELSE
        -- Unchanged rows are filtered out before the upsert: ON CONFLICT … WHERE false would
        -- still lock (and so dirty) each row, and an idle periodic session must write nothing.
        INSERT INTO parameters AS p (device_id, path, object, value, type, value_at)
        SELECT p_device, e->>0, right(e->>0, 1) = '.', e->>1, e->>2, v_at FROM json_array_elements(s->'items') AS e
        WHERE NOT EXISTS (SELECT 1 FROM parameters o WHERE o.device_id = p_device AND o.path = e->>0
          AND o.value IS NOT DISTINCT FROM e->>1 AND o.type IS NOT DISTINCT FROM e->>2)
        ON CONFLICT (device_id, path) DO UPDATE
        SET value = excluded.value, type = excluded.type, value_at = excluded.value_at
        WHERE p.value IS DISTINCT FROM excluded.value OR p.type IS DISTINCT FROM excluded.type;
      END IF;
    WHEN 'names' THEN
      INSERT INTO parameters AS p (device_id, path, object, writable, names_at)
      SELECT p_device, e->>0, right(e->>0, 1) = '.', (e->>1)::boolean, v_at FROM json_array_elements(s->'items') AS e
      ON CONFLICT (device_id, path) DO UPDATE SET writable = excluded.writable, names_at = excluded.names_at;
    WHEN 'ensure' THEN
      INSERT INTO parameters (device_id, path, object, names_at)
      SELECT p_device, e, true, v_at FROM json_array_elements_text(s->'items') AS e
      ON CONFLICT (device_id, path) DO NOTHING;
    WHEN 'attrs' THEN
      INSERT INTO parameters AS p (device_id, path, object, notification, access_list, attributes_at)
      SELECT p_device, e->>0, right(e->>0, 1) = '.', (e->>1)::smallint,
        CASE WHEN json_typeof(e->2) = 'array' THEN ARRAY(SELECT json_array_elements_text(e->2)) END, v_at
      FROM json_array_elements(s->'items') AS e
      ON CONFLICT (device_id, path) DO UPDATE
      SET notification = excluded.notification, access_list = excluded.access_list, attributes_at = excluded.attributes_at;
    WHEN 'add' THEN
      INSERT INTO parameters (device_id, path, object, names_at) VALUES (p_device, s->>'path', true, v_at)
      ON CONFLICT (device_id, path) DO UPDATE SET names_at = excluded.names_at;
    WHEN 'delete' THEN
      IF s->>'exact' IS NOT NULL THEN
        DELETE FROM parameters WHERE device_id = p_device AND path = s->>'exact';
      END IF;
      IF v_hi IS NULL THEN
        DELETE FROM parameters WHERE device_id = p_device AND path >= v_lo;
      ELSE
        DELETE FROM parameters WHERE device_id = p_device AND path >= v_lo AND path < v_hi;
      END IF;
    WHEN 'prune' THEN
      IF v_hi IS NULL THEN
        DELETE FROM parameters WHERE device_id = p_device AND path > v_lo
          AND path NOT IN (SELECT json_array_elements_text(s->'keep'));
      ELSE
        DELETE FROM parameters WHERE device_id = p_device AND path > v_lo AND path < v_hi
          AND path NOT IN (SELECT json_array_elements_text(s->'keep'));
      END IF;
    WHEN 'prune_children' THEN
      -- Direct children of lo that the answer did not vouch for go, with their subtrees.
      FOR v_child IN
        SELECT path FROM parameters WHERE device_id = p_device AND path > v_lo AND (v_hi IS NULL OR path < v_hi)
          AND strpos(substr(path, length(v_lo) + 1), '.') IN (0, length(path) - length(v_lo))
          AND path NOT IN (SELECT json_array_elements_text(s->'keep'))
      LOOP
        IF right(v_child, 1) <> '.' THEN
          DELETE FROM parameters WHERE device_id = p_device AND path = v_child;
          v_prefix := v_child || '.';
        ELSE
          v_prefix := v_child;
        END IF;
        -- Every prefix ends with "." (0x2E), so "/" (0x2F) bounds its range.
        DELETE FROM parameters WHERE device_id = p_device AND path >= v_prefix AND path < left(v_prefix, -1) || '/';
      END LOOP;
    ELSE
      RAISE EXCEPTION 'flotilla_commit_session: unknown step %', s->>'k';
    END CASE;
  END LOOP;

  -- An outcome is recorded whatever the task's state (if it expired or was retried meanwhile,
  -- the answer is still what happened on the device); then whatever is still running (sent
  -- but unanswered, or never sent) goes back to the queue.
  UPDATE tasks r SET state = o->>'state', response = (o->>'response')::json, fault = (o->>'fault')::json,
    updated_at = (o->>'at')::bigint
  FROM json_array_elements(p_outcomes) AS o
  WHERE r.device_id = p_device AND r.id = o->>'id';
  UPDATE tasks SET state = 'queued', updated_at = (p_log->>'endedAt')::bigint WHERE device_id = p_device AND state = 'running';
${
  version < 2
    ? ''
    : `
  -- A TransferComplete that reports a failure faults the transfer task with its CommandKey
  -- (that task was done when the CPE accepted the transfer, status 1).
  FOR s IN SELECT m FROM json_array_elements(p_messages) WITH ORDINALITY AS x(m, n) WHERE m->'transferFault' IS NOT NULL ORDER BY n LOOP
    UPDATE tasks SET state = 'fault', fault = (s->'transferFault'->>'fault')::json, updated_at = (s->>'at')::bigint
    WHERE device_id = p_device AND command_key = s->'transferFault'->>'commandKey'
      AND type IN ('download', 'upload', 'scheduleDownload') AND state IN ('done', 'running');
  END LOOP;
`
}
  IF json_array_length(p_messages) > 0 THEN
    INSERT INTO cpe_messages (device_id, at, message)
    SELECT p_device, (m->>'at')::bigint, (m->>'message')::json
    FROM json_array_elements(p_messages) WITH ORDINALITY AS x(m, n) ORDER BY n;
    DELETE FROM cpe_messages WHERE device_id = p_device AND id <=
      (SELECT id FROM cpe_messages WHERE device_id = p_device ORDER BY id DESC LIMIT 1 OFFSET p_keep_messages);
  END IF;

  INSERT INTO session_log (device_id, started_at, ended_at, events, rpcs, cpe_requests, outcome, linked_requests)
  VALUES (p_device, (p_log->>'startedAt')::bigint, (p_log->>'endedAt')::bigint, (p_log->>'events')::json,
    (p_log->>'rpcs')::json, (p_log->>'cpeRequests')::json, p_log->>'outcome', (p_log->>'linkedRequests')::json);
  DELETE FROM session_log WHERE device_id = p_device AND id <=
    (SELECT id FROM session_log WHERE device_id = p_device ORDER BY id DESC LIMIT 1 OFFSET p_keep_log);

  IF p_release THEN
    DELETE FROM session_locks WHERE device_id = p_device AND owner = p_owner;
  END IF;
END
$fn$;
`;

/**
 * Deliveries wait in the database rather than in a process's memory, so a restart loses none
 * and any process sends what another left behind (src/nbi/events.ts; claimed with FOR UPDATE
 * SKIP LOCKED, tokens.ts). The schema's one foreign key: a delivery means nothing without its
 * webhook, and the cascade removes them with it.
 */
const WEBHOOK_DELIVERIES = `
CREATE TABLE webhook_deliveries (
  id text COLLATE "C" NOT NULL PRIMARY KEY,
  webhook_id text COLLATE "C" NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
  event json NOT NULL,
  attempts integer NOT NULL DEFAULT 0,
  state text NOT NULL CHECK (state IN ('pending', 'delivered', 'failed')),
  next_at bigint NOT NULL,
  lease_until bigint,
  last_error text,
  created_at bigint NOT NULL,
  updated_at bigint NOT NULL
);
-- The claim reads only what is pending; sent deliveries pile up beside them until pruned.
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_at) WHERE state = 'pending';
-- A webhook's deliveries newest first, and the cascade's lookup.
CREATE INDEX webhook_deliveries_by_webhook ON webhook_deliveries (webhook_id, created_at);
CREATE INDEX webhook_deliveries_finished ON webhook_deliveries (updated_at) WHERE state <> 'pending';
`;

/**
 * Session writes as a list of typed ops (../session-writes.ts): flotilla_apply(device, ops)
 * runs flotilla_op_<k>(device, op) for each op in order, inside the caller's one statement
 * (one round trip, one transaction). Every op function has that same signature, so a new
 * kind of write is a migration that creates one more flotilla_op_<k>: the dispatcher and
 * the client's call never change (this migration's kinds are called directly, later ones
 * found by name with EXECUTE). A name is checked against [a-z_]+ and quoted (%I), so a list
 * can only call flotilla_op_ functions. The op bodies are the statements of the former
 * commit function (versions 1 and 2 above), one per op, with the op's fields decoded once.
 */
const opFunction = (kind: string, body: string, declare = ''): string => `
CREATE FUNCTION flotilla_op_${kind}(p_device text, o json) RETURNS void LANGUAGE plpgsql AS $fn$
DECLARE
  -- Decoded once: \`o->>'at'\` inside a statement would re-parse the whole op (thousands of
  -- items in a bootstrap) for every row.
  v_at bigint := (o->>'at')::bigint;
  v_items json := o->'items';
${declare}
BEGIN
${body}
END
$fn$;`;

const WRITE_OPS = `
DROP FUNCTION IF EXISTS flotilla_commit_session(text, text, boolean, integer, integer, json, json, json, json, json);

-- A JSON value as SQL: json null (or a missing key) is NULL.
CREATE FUNCTION flotilla_json(j json) RETURNS json LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT CASE WHEN json_typeof(j) = 'null' THEN NULL ELSE j END $$;

CREATE FUNCTION flotilla_apply(p_device text, p_ops json) RETURNS void LANGUAGE plpgsql AS $fn$
DECLARE
  o json;
  v_kind text;
BEGIN
  FOR o IN SELECT value FROM json_array_elements(p_ops) LOOP
    v_kind := o->>'k';
    -- The kinds of this migration are called directly (no statement to plan per op); any
    -- other is found by name, so a later kind needs only its flotilla_op_<k> function.
    CASE v_kind
      WHEN 'device' THEN PERFORM flotilla_op_device(p_device, o);
      WHEN 'values' THEN PERFORM flotilla_op_values(p_device, o);
      WHEN 'requeue' THEN PERFORM flotilla_op_requeue(p_device, o);
      WHEN 'log' THEN PERFORM flotilla_op_log(p_device, o);
      WHEN 'unlock' THEN PERFORM flotilla_op_unlock(p_device, o);
      WHEN 'outcomes' THEN PERFORM flotilla_op_outcomes(p_device, o);
      WHEN 'clear' THEN PERFORM flotilla_op_clear(p_device, o);
      WHEN 'names' THEN PERFORM flotilla_op_names(p_device, o);
      WHEN 'ensure' THEN PERFORM flotilla_op_ensure(p_device, o);
      WHEN 'attrs' THEN PERFORM flotilla_op_attrs(p_device, o);
      WHEN 'add' THEN PERFORM flotilla_op_add(p_device, o);
      WHEN 'delete' THEN PERFORM flotilla_op_delete(p_device, o);
      WHEN 'prune' THEN PERFORM flotilla_op_prune(p_device, o);
      WHEN 'prune_children' THEN PERFORM flotilla_op_prune_children(p_device, o);
      WHEN 'fault_transfer' THEN PERFORM flotilla_op_fault_transfer(p_device, o);
      WHEN 'cpe_messages' THEN PERFORM flotilla_op_cpe_messages(p_device, o);
      ELSE
        IF v_kind IS NULL OR v_kind !~ '^[a-z_]+$' THEN
          RAISE EXCEPTION 'flotilla_apply: bad op kind %', v_kind;
        END IF;
        EXECUTE format('SELECT %I($1, $2)', 'flotilla_op_' || v_kind) USING p_device, o;
    END CASE;
  END LOOP;
END
$fn$;
${opFunction(
  'device',
  `  -- first_inform only on insert; boot times only move when the op says so (rules.ts).
  INSERT INTO devices AS d (id, manufacturer, oui, product_class, serial_number,
    first_inform, last_inform, last_boot, last_bootstrap, last_events)
  VALUES (p_device, o->>'manufacturer', o->>'oui', o->>'productClass', o->>'serialNumber',
    v_at, v_at, (o->>'boot')::bigint, (o->>'bootstrap')::bigint, o->'events')
  ON CONFLICT (id) DO UPDATE SET
    manufacturer = excluded.manufacturer,
    last_inform = excluded.last_inform,
    last_boot = coalesce(excluded.last_boot, d.last_boot),
    last_bootstrap = coalesce(excluded.last_bootstrap, d.last_bootstrap),
    last_events = excluded.last_events;`,
)}
${opFunction('clear', '  DELETE FROM parameters WHERE device_id = p_device;')}
${opFunction(
  'values',
  `  IF (o->>'touch')::boolean THEN
    INSERT INTO parameters AS p (device_id, path, object, value, type, value_at)
    SELECT p_device, e->>0, right(e->>0, 1) = '.', e->>1, e->>2, v_at FROM json_array_elements(v_items) AS e
    ON CONFLICT (device_id, path) DO UPDATE
    SET value = excluded.value, type = excluded.type, value_at = excluded.value_at;
  ELSE
    -- Unchanged rows are filtered out before the upsert: ON CONFLICT … WHERE false would
    -- still lock (and so dirty) each row, and an idle periodic session must write nothing.
    INSERT INTO parameters AS p (device_id, path, object, value, type, value_at)
    SELECT p_device, e->>0, right(e->>0, 1) = '.', e->>1, e->>2, v_at FROM json_array_elements(v_items) AS e
    WHERE NOT EXISTS (SELECT 1 FROM parameters x WHERE x.device_id = p_device AND x.path = e->>0
      AND x.value IS NOT DISTINCT FROM e->>1 AND x.type IS NOT DISTINCT FROM e->>2)
    ON CONFLICT (device_id, path) DO UPDATE
    SET value = excluded.value, type = excluded.type, value_at = excluded.value_at
    WHERE p.value IS DISTINCT FROM excluded.value OR p.type IS DISTINCT FROM excluded.type;
  END IF;`,
)}
${opFunction(
  'names',
  `  INSERT INTO parameters AS p (device_id, path, object, writable, names_at)
  SELECT p_device, e->>0, right(e->>0, 1) = '.', (e->>1)::boolean, v_at FROM json_array_elements(v_items) AS e
  ON CONFLICT (device_id, path) DO UPDATE SET writable = excluded.writable, names_at = excluded.names_at;`,
)}
${opFunction(
  'ensure',
  `  INSERT INTO parameters (device_id, path, object, names_at)
  SELECT p_device, e, true, v_at FROM json_array_elements_text(v_items) AS e
  ON CONFLICT (device_id, path) DO NOTHING;`,
)}
${opFunction(
  'attrs',
  `  INSERT INTO parameters AS p (device_id, path, object, notification, access_list, attributes_at)
  SELECT p_device, e->>0, right(e->>0, 1) = '.', (e->>1)::smallint,
    CASE WHEN json_typeof(e->2) = 'array' THEN ARRAY(SELECT json_array_elements_text(e->2)) END, v_at
  FROM json_array_elements(v_items) AS e
  ON CONFLICT (device_id, path) DO UPDATE
  SET notification = excluded.notification, access_list = excluded.access_list, attributes_at = excluded.attributes_at;`,
)}
${opFunction(
  'add',
  `  INSERT INTO parameters (device_id, path, object, names_at) VALUES (p_device, o->>'path', true, v_at)
  ON CONFLICT (device_id, path) DO UPDATE SET names_at = excluded.names_at;`,
)}
${opFunction(
  'delete',
  `  IF o->>'exact' IS NOT NULL THEN
    DELETE FROM parameters WHERE device_id = p_device AND path = o->>'exact';
  END IF;
  IF v_hi IS NULL THEN
    DELETE FROM parameters WHERE device_id = p_device AND path >= v_lo;
  ELSE
    DELETE FROM parameters WHERE device_id = p_device AND path >= v_lo AND path < v_hi;
  END IF;`,
  `  v_lo text := o->>'lo';\n  v_hi text := o->>'hi';`,
)}
${opFunction(
  'prune',
  `  IF v_hi IS NULL THEN
    DELETE FROM parameters WHERE device_id = p_device AND path > v_lo
      AND path NOT IN (SELECT unnest(v_keep));
  ELSE
    DELETE FROM parameters WHERE device_id = p_device AND path > v_lo AND path < v_hi
      AND path NOT IN (SELECT unnest(v_keep));
  END IF;`,
  `  v_lo text := o->>'lo';\n  v_hi text := o->>'hi';\n  v_keep text[] := ARRAY(SELECT json_array_elements_text(o->'keep'));`,
)}
${opFunction(
  'prune_children',
  `  -- Direct children of lo that the answer did not vouch for go, with their subtrees.
  FOR v_child IN
    SELECT path FROM parameters WHERE device_id = p_device AND path > v_lo AND (v_hi IS NULL OR path < v_hi)
      AND strpos(substr(path, length(v_lo) + 1), '.') IN (0, length(path) - length(v_lo))
      AND path NOT IN (SELECT unnest(v_keep))
  LOOP
    IF right(v_child, 1) <> '.' THEN
      DELETE FROM parameters WHERE device_id = p_device AND path = v_child;
      v_prefix := v_child || '.';
    ELSE
      v_prefix := v_child;
    END IF;
    -- Every prefix ends with "." (0x2E), so "/" (0x2F) bounds its range.
    DELETE FROM parameters WHERE device_id = p_device AND path >= v_prefix AND path < left(v_prefix, -1) || '/';
  END LOOP;`,
  `  v_lo text := o->>'lo';\n  v_hi text := o->>'hi';\n  v_keep text[] := ARRAY(SELECT json_array_elements_text(o->'keep'));\n  v_child text;\n  v_prefix text;`,
)}
${opFunction(
  'outcomes',
  `  UPDATE tasks r SET state = e->>'state', response = flotilla_json(e->'response'), fault = flotilla_json(e->'fault'),
    updated_at = (e->>'at')::bigint
  FROM json_array_elements(v_items) AS e
  WHERE r.device_id = p_device AND r.id = e->>'id';`,
)}
${opFunction('requeue', `  UPDATE tasks SET state = 'queued', updated_at = v_at WHERE device_id = p_device AND state = 'running';`)}
${opFunction(
  'fault_transfer',
  `  UPDATE tasks SET state = 'fault', fault = o->'fault', updated_at = v_at
  WHERE device_id = p_device AND command_key = o->>'commandKey'
    AND type IN (SELECT json_array_elements_text(o->'taskTypes')) AND state IN ('done', 'running');`,
)}
${opFunction(
  'cpe_messages',
  `  INSERT INTO cpe_messages (device_id, at, message)
  SELECT p_device, (m->>'at')::bigint, m->'message'
  FROM json_array_elements(v_items) WITH ORDINALITY AS x(m, n) ORDER BY n;
  DELETE FROM cpe_messages WHERE device_id = p_device AND id <=
    (SELECT id FROM cpe_messages WHERE device_id = p_device ORDER BY id DESC LIMIT 1 OFFSET (o->>'keep')::integer);`,
)}
${opFunction(
  'log',
  `  INSERT INTO session_log (device_id, started_at, ended_at, events, rpcs, cpe_requests, outcome, linked_requests)
  VALUES (p_device, (o->'log'->>'startedAt')::bigint, (o->'log'->>'endedAt')::bigint, o->'log'->'events',
    o->'log'->'rpcs', o->'log'->'cpeRequests', o->'log'->>'outcome', o->'log'->'linkedRequests');
  DELETE FROM session_log WHERE device_id = p_device AND id <=
    (SELECT id FROM session_log WHERE device_id = p_device ORDER BY id DESC LIMIT 1 OFFSET (o->>'keep')::integer);`,
)}
${opFunction(
  'unlock',
  `  DELETE FROM session_locks WHERE device_id = p_device AND owner = o->>'owner';
  -- Released without a commit: the tasks the session held go back to the queue.
  IF FOUND AND o->>'requeueAt' IS NOT NULL THEN
    UPDATE tasks SET state = 'queued', updated_at = (o->>'requeueAt')::bigint WHERE device_id = p_device AND state = 'running';
  END IF;`,
)}
`;

/** Migration 20: a bootstrap's clear keeps the secrets the ACS set (session-writes.ts 'clear'). */
// src/store/concerns/quirks.ts: a handful of rows, read whole by every ACS process.
const QUIRK_PROFILES = `
CREATE TABLE quirk_profiles (
  id text NOT NULL PRIMARY KEY,
  name text NOT NULL,
  source text NOT NULL,
  match json NOT NULL,
  settings json NOT NULL,
  evidence json NOT NULL,
  enabled boolean NOT NULL,
  created_at bigint NOT NULL,
  updated_at bigint NOT NULL
)`;

const CLEAR_KEEPS_SECRETS = `
CREATE OR REPLACE FUNCTION flotilla_op_clear(p_device text, o json) RETURNS void LANGUAGE plpgsql AS $fn$
BEGIN
  DELETE FROM parameters p WHERE p.device_id = p_device
    AND NOT (coalesce(p.value, '') <> ''
      AND EXISTS (SELECT 1 FROM json_array_elements_text(coalesce(o->'keep', '[]'::json)) AS k(s) WHERE lower(right(p.path, length(k.s))) = lower(k.s))
      AND NOT EXISTS (SELECT 1 FROM json_array_elements_text(coalesce(o->'except', '[]'::json)) AS e(s) WHERE right(p.path, length(e.s) + 1) = '.' || e.s));
END
$fn$;
`;

/**
 * Per-device credentials (../concerns/credentials.ts): sets other than the current CPE→ACS
 * one are json; three op kinds of the session's commit (../session-writes.ts cred_*), found by
 * flotilla_apply by name.
 */
const DEVICE_CREDENTIALS = `
ALTER TABLE cpe_credentials ADD COLUMN connection_request json;
ALTER TABLE cpe_credentials ADD COLUMN pending json;
ALTER TABLE cpe_credentials ADD COLUMN factory json;
ALTER TABLE cpe_credentials ADD COLUMN bootstrap_until bigint;
ALTER TABLE cpe_credentials ADD COLUMN rotate_requested boolean NOT NULL DEFAULT false;
ALTER TABLE cpe_credentials ADD COLUMN issued_at bigint;
${opFunction(
  'cred_issue',
  `  IF o->>'mode' = 'replace' THEN
    INSERT INTO cpe_credentials AS c (device_id, username, realm, ha1, connection_request, pending, bootstrap_until, rotate_requested, issued_at)
    VALUES (p_device, o->'set'->'cpe'->>'username', o->'set'->'cpe'->>'realm', o->'set'->'cpe'->>'ha1',
      flotilla_json(o->'set'->'connectionRequest'), NULL, NULL, false, v_at)
    ON CONFLICT (device_id) DO UPDATE SET username = excluded.username, realm = excluded.realm, ha1 = excluded.ha1,
      connection_request = excluded.connection_request, pending = NULL, bootstrap_until = NULL, rotate_requested = false,
      issued_at = excluded.issued_at;
  ELSE
    UPDATE cpe_credentials SET pending = o->'set', bootstrap_until = NULL, rotate_requested = false, issued_at = v_at
    WHERE device_id = p_device;
  END IF;`,
)}
${opFunction(
  'cred_promote',
  `  UPDATE cpe_credentials SET username = pending->'cpe'->>'username', realm = pending->'cpe'->>'realm',
    ha1 = pending->'cpe'->>'ha1', connection_request = flotilla_json(pending->'connectionRequest'), pending = NULL
  WHERE device_id = p_device AND pending->'cpe'->>'username' = o->>'username';`,
)}
${opFunction('cred_window', `  UPDATE cpe_credentials SET bootstrap_until = (o->>'until')::bigint WHERE device_id = p_device;`)}
`;
/** Provisioning policies (src/policies): see sqlite/migrations.ts version 25. */
const POLICIES = `
CREATE TABLE policies (
  id text NOT NULL PRIMARY KEY,
  name text NOT NULL,
  priority integer NOT NULL,
  revision integer NOT NULL,
  definition json NOT NULL,
  author text NOT NULL,
  created_at bigint NOT NULL,
  updated_at bigint NOT NULL
);
CREATE TABLE policy_revisions (
  policy_id text NOT NULL,
  revision integer NOT NULL,
  definition json NOT NULL,
  author text NOT NULL,
  at bigint NOT NULL,
  PRIMARY KEY (policy_id, revision)
);
CREATE TABLE policy_compliance (
  device_id text NOT NULL,
  policy_id text NOT NULL,
  revision integer NOT NULL,
  state text NOT NULL,
  fault json,
  at bigint NOT NULL,
  PRIMARY KEY (device_id, policy_id)
);
CREATE INDEX policy_compliance_by_policy ON policy_compliance (policy_id, state, revision);
CREATE TABLE device_policy (
  device_id text NOT NULL PRIMARY KEY,
  memo text NOT NULL
);
`;

/** The "policy" write op (../session-writes.ts): found by flotilla_apply by name. */
const POLICY_OP = `${opFunction(
  'policy',
  `  INSERT INTO device_policy AS m (device_id, memo) VALUES (p_device, o->>'memo')
  ON CONFLICT (device_id) DO UPDATE SET memo = excluded.memo WHERE m.memo IS DISTINCT FROM excluded.memo;
  DELETE FROM policy_compliance WHERE device_id = p_device
    AND policy_id IN (SELECT json_array_elements_text(o->'evaluated'))
    AND policy_id NOT IN (SELECT e->>0 FROM json_array_elements(v_items) AS e);
  INSERT INTO policy_compliance AS c (device_id, policy_id, revision, state, fault, at)
  SELECT p_device, e->>0, (e->>1)::integer, e->>2, flotilla_json(e->3), v_at FROM json_array_elements(v_items) AS e
  ON CONFLICT (device_id, policy_id) DO UPDATE
  SET revision = excluded.revision, state = excluded.state, fault = excluded.fault, at = excluded.at
  WHERE c.revision <> excluded.revision OR c.state <> excluded.state OR c.fault::text IS DISTINCT FROM excluded.fault::text;`,
)}`;

/** Subscribers and what hangs off them (src/store/concerns/subscribers.ts); as on SQLite. */
/** Firmware campaigns (src/store/concerns/campaigns.ts); the SQLite twin is migration 33 there. */
const CAMPAIGNS = `
CREATE TABLE campaigns (
  id text COLLATE "C" NOT NULL PRIMARY KEY,
  name text NOT NULL,
  file_id text COLLATE "C" NOT NULL,
  definition json NOT NULL,
  target json NOT NULL,
  state text NOT NULL CHECK (state IN ('running', 'paused', 'done', 'aborted')),
  reason text,
  wave integer NOT NULL,
  wave_sizes json NOT NULL,
  ack_failed integer NOT NULL,
  resumed_at bigint NOT NULL,
  revision integer NOT NULL,
  author text NOT NULL,
  next_at bigint,
  lease_owner text,
  lease_until bigint,
  created_at bigint NOT NULL,
  updated_at bigint NOT NULL
);
CREATE INDEX campaigns_due ON campaigns (next_at) WHERE next_at IS NOT NULL;
CREATE INDEX campaigns_by_file ON campaigns (file_id);
CREATE TABLE campaign_devices (
  campaign_id text COLLATE "C" NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
  device_id text COLLATE "C" NOT NULL,
  seq integer NOT NULL,
  wave integer NOT NULL,
  state text NOT NULL CHECK (state IN ('pending', 'scheduled', 'downloading', 'installing', 'succeeded', 'failed', 'skipped')),
  reason text,
  fault json,
  task_id text COLLATE "C",
  attempts integer NOT NULL,
  from_version text,
  zone text,
  scheduled_at bigint,
  downloading_at bigint,
  finished_at bigint,
  updated_at bigint NOT NULL,
  PRIMARY KEY (campaign_id, device_id)
);
CREATE UNIQUE INDEX campaign_devices_by_seq ON campaign_devices (campaign_id, seq);
CREATE INDEX campaign_devices_by_state ON campaign_devices (campaign_id, state, seq);
CREATE INDEX campaign_devices_scheduled ON campaign_devices (campaign_id, scheduled_at) WHERE scheduled_at IS NOT NULL;
CREATE INDEX campaign_devices_by_device ON campaign_devices (device_id);
`;

const SUBSCRIBERS = `
CREATE TABLE subscribers (
  id text COLLATE "C" NOT NULL PRIMARY KEY,
  external_id text NOT NULL UNIQUE,
  name text NOT NULL,
  search text NOT NULL,
  contact json NOT NULL,
  services json NOT NULL,
  revision bigint NOT NULL,
  created_at bigint NOT NULL,
  updated_at bigint NOT NULL
);
CREATE TABLE subscriber_devices (
  id text COLLATE "C" NOT NULL PRIMARY KEY,
  subscriber_id text NOT NULL REFERENCES subscribers (id) ON DELETE CASCADE,
  device_id text,
  claim_kind text NOT NULL CHECK (claim_kind IN ('device', 'serial', 'code')),
  claim_value text NOT NULL,
  replaces text,
  applied_revision bigint,
  statuses json NOT NULL,
  created_at bigint NOT NULL,
  bound_at bigint
);
-- A device belongs to one subscriber; a pending claim to one binding.
CREATE UNIQUE INDEX subscriber_devices_by_device ON subscriber_devices (device_id) WHERE device_id IS NOT NULL;
CREATE UNIQUE INDEX subscriber_devices_pending ON subscriber_devices (claim_kind, claim_value) WHERE device_id IS NULL;
CREATE INDEX subscriber_devices_by_subscriber ON subscriber_devices (subscriber_id);
CREATE TABLE subscriber_history (
  seq bigserial PRIMARY KEY,
  subscriber_id text NOT NULL REFERENCES subscribers (id) ON DELETE CASCADE,
  at bigint NOT NULL,
  action text NOT NULL,
  device_id text,
  detail text NOT NULL
);
CREATE INDEX subscriber_history_by_subscriber ON subscriber_history (subscriber_id, seq);
CREATE TABLE service_templates (
  id text COLLATE "C" NOT NULL PRIMARY KEY,
  definition json NOT NULL,
  updated_at bigint NOT NULL
);
CREATE TABLE activation_codes (
  hash text COLLATE "C" NOT NULL PRIMARY KEY,
  subscriber_id text NOT NULL REFERENCES subscribers (id) ON DELETE CASCADE,
  expires_at bigint NOT NULL,
  used_at bigint,
  created_at bigint NOT NULL
);
CREATE TABLE subscriber_tokens (
  id text COLLATE "C" NOT NULL PRIMARY KEY,
  subscriber_id text NOT NULL REFERENCES subscribers (id) ON DELETE CASCADE,
  name text NOT NULL,
  lookup text NOT NULL UNIQUE,
  hash text NOT NULL,
  created_at bigint NOT NULL
);
`;

/** A step of a task spanning sessions (session-writes.ts `progress`); only while the session holds it. */
const PROGRESS_OP = opFunction(
  'progress',
  `  UPDATE tasks r SET response = e->'response', updated_at = (e->>'at')::bigint
  FROM json_array_elements(v_items) AS e
  WHERE r.device_id = p_device AND r.id = e->>'id' AND r.state = 'running';`,
);

const SERIES = `
CREATE TABLE samples (
  device_id text COLLATE "C" NOT NULL,
  path text COLLATE "C" NOT NULL,
  at bigint NOT NULL,
  value text NOT NULL,
  num double precision,
  rate double precision,
  metric double precision,
  source text NOT NULL,
  PRIMARY KEY (device_id, path, at)
) PARTITION BY RANGE (at);
-- Anything outside the day partitions maintainSeries makes (src/store/postgres/series.ts).
CREATE TABLE samples_default PARTITION OF samples DEFAULT;
CREATE INDEX samples_path_at ON samples (path, at);
CREATE TABLE sample_hours (
  device_id text COLLATE "C" NOT NULL,
  path text COLLATE "C" NOT NULL,
  hour bigint NOT NULL,
  n integer NOT NULL,
  min double precision,
  max double precision,
  sum double precision,
  PRIMARY KEY (device_id, path, hour)
);
CREATE INDEX sample_hours_hour ON sample_hours (hour);
CREATE TABLE series_state (
  key text PRIMARY KEY,
  value bigint NOT NULL
);
CREATE TABLE sampling_profiles (
  id text PRIMARY KEY,
  name text NOT NULL,
  enabled boolean NOT NULL,
  interval_seconds integer NOT NULL,
  definition json NOT NULL,
  created_at bigint NOT NULL,
  updated_at bigint NOT NULL
);
-- Items [path, at, value, num, counter 0/1, source] of one device, in time order; a counter's
-- rate against the series' previous sample (concerns/series.ts counterRate). Returns how many were new.
CREATE FUNCTION flotilla_samples_insert(p_device text, p_items json) RETURNS integer LANGUAGE plpgsql AS $fn$
DECLARE
  e json;
  v_path text;
  v_at bigint;
  v_num double precision;
  v_rate double precision;
  v_prev record;
  v_delta double precision;
  v_n integer := 0;
  v_added integer;
BEGIN
  FOR e IN SELECT * FROM json_array_elements(p_items) LOOP
    v_path := e->>0;
    v_at := (e->>1)::bigint;
    v_num := (e->>3)::double precision;
    v_rate := NULL;
    IF (e->>4)::int = 1 AND v_num IS NOT NULL THEN
      SELECT s.num, s.at INTO v_prev FROM samples s
        WHERE s.device_id = p_device AND s.path = v_path AND s.at < v_at AND s.num IS NOT NULL ORDER BY s.at DESC LIMIT 1;
      IF FOUND THEN
        v_delta := v_num - v_prev.num;
        IF v_delta < 0 THEN
          v_delta := CASE WHEN v_prev.num >= 2147483648 AND v_prev.num < 4294967296 THEN v_num + 4294967296 - v_prev.num ELSE v_num END;
        END IF;
        v_rate := v_delta / ((v_at - v_prev.at) / 1000.0);
      END IF;
    END IF;
    INSERT INTO samples (device_id, path, at, value, num, rate, metric, source)
    VALUES (p_device, v_path, v_at, e->>2, v_num, v_rate, CASE WHEN (e->>4)::int = 1 THEN v_rate ELSE v_num END, e->>5)
    ON CONFLICT (device_id, path, at) DO NOTHING;
    GET DIAGNOSTICS v_added = ROW_COUNT;
    v_n := v_n + v_added;
  END LOOP;
  RETURN v_n;
END
$fn$;
${opFunction('samples', '  PERFORM flotilla_samples_insert(p_device, v_items);')}
`;

const ALARMS = `
CREATE TABLE alarm_rules (
  id text PRIMARY KEY,
  name text NOT NULL,
  enabled boolean NOT NULL,
  severity text NOT NULL,
  definition json NOT NULL,
  builtin boolean NOT NULL,
  created_at bigint NOT NULL,
  updated_at bigint NOT NULL
);
CREATE TABLE alarms (
  id text PRIMARY KEY,
  rule_id text NOT NULL,
  device_id text COLLATE "C" NOT NULL,
  state text NOT NULL CHECK (state IN ('active', 'cleared')),
  severity text NOT NULL,
  text text NOT NULL,
  raised_at bigint NOT NULL,
  updated_at bigint NOT NULL,
  cleared_at bigint,
  acknowledged_at bigint,
  acknowledged_by text,
  count integer NOT NULL
);
CREATE UNIQUE INDEX alarms_one_active ON alarms (rule_id, device_id) WHERE state = 'active';
CREATE INDEX alarms_by_update ON alarms (updated_at);
CREATE INDEX alarms_by_state ON alarms (state, severity);
CREATE INDEX alarms_by_device ON alarms (device_id);
CREATE TABLE alarm_history (
  seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  alarm_id text NOT NULL,
  at bigint NOT NULL,
  action text NOT NULL,
  severity text NOT NULL,
  text text NOT NULL,
  actor text
);
CREATE INDEX alarm_history_by_alarm ON alarm_history (alarm_id, seq);
CREATE TABLE alarm_counts (
  rule_id text NOT NULL,
  device_id text COLLATE "C" NOT NULL,
  at bigint NOT NULL
);
CREATE INDEX alarm_counts_by_key ON alarm_counts (rule_id, device_id, at);
`;

const AUDIT_LOG = `
CREATE TABLE audit_log (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at bigint NOT NULL,
  actor_kind text NOT NULL,
  actor_id text NOT NULL,
  actor_name text NOT NULL,
  source text NOT NULL,
  action text COLLATE "C" NOT NULL,
  target text,
  status integer NOT NULL,
  before_json text,
  after_json text
);
CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX audit_log_target ON audit_log (target, id) WHERE target IS NOT NULL;
CREATE INDEX audit_log_actor ON audit_log (actor_id, id);
-- Append-only: history is not rewritten, whatever the code above asks.
CREATE FUNCTION flotilla_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'the audit log is append-only';
END $$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log FOR EACH ROW EXECUTE FUNCTION flotilla_audit_append_only();
`;

/** The file repository (src/store/concerns/files.ts): metadata, content as chunked rows, transfer log. */
const FILES = `
CREATE TABLE files (
  id text COLLATE "C" NOT NULL PRIMARY KEY,
  name text NOT NULL,
  file_type text NOT NULL,
  version text NOT NULL,
  size bigint NOT NULL,
  sha256 text NOT NULL,
  target_file_name text NOT NULL,
  applicability json NOT NULL,
  storage text NOT NULL,
  chunk_size integer NOT NULL,
  device_id text COLLATE "C",
  created_at bigint NOT NULL
);
CREATE INDEX files_by_created ON files (created_at, id) WHERE device_id IS NULL;
CREATE INDEX files_by_device ON files (device_id, created_at, id) WHERE device_id IS NOT NULL;
-- Every process serves every file: the bytes are rows, read a few chunks per statement.
CREATE TABLE file_chunks (
  file_id text COLLATE "C" NOT NULL,
  seq integer NOT NULL,
  data bytea NOT NULL,
  PRIMARY KEY (file_id, seq)
);
ALTER TABLE file_chunks ALTER COLUMN data SET STORAGE EXTERNAL;
CREATE TABLE file_transfers (
  id bigserial PRIMARY KEY,
  at bigint NOT NULL,
  device_id text COLLATE "C",
  file_id text COLLATE "C",
  method text NOT NULL,
  status integer NOT NULL,
  bytes bigint NOT NULL,
  outcome text NOT NULL,
  auth text NOT NULL,
  remote text NOT NULL,
  command_key text,
  duration_ms bigint NOT NULL
);
CREATE INDEX file_transfers_by_file ON file_transfers (file_id, id);
CREATE INDEX file_transfers_by_device ON file_transfers (device_id, id);
`;

const USERS = `
CREATE TABLE users (
  id text NOT NULL PRIMARY KEY,
  name text NOT NULL UNIQUE,
  role text NOT NULL CHECK (role IN ('read-only', 'operator', 'admin')),
  source text NOT NULL CHECK (source IN ('local', 'ldap')),
  password_hash text,
  totp_secret text,
  totp_pending text,
  totp_last_step bigint,
  disabled boolean NOT NULL DEFAULT false,
  failed_attempts integer NOT NULL DEFAULT 0,
  locked_until bigint,
  scope text,
  last_sign_in_at bigint,
  created_at bigint NOT NULL,
  updated_at bigint NOT NULL
);
CREATE TABLE user_sessions (
  id text NOT NULL PRIMARY KEY,
  user_id text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  created_at bigint NOT NULL,
  expires_at bigint NOT NULL,
  source text NOT NULL
);
CREATE INDEX user_sessions_by_user ON user_sessions (user_id);
CREATE INDEX user_sessions_by_expiry ON user_sessions (expires_at);
`;

/** src/store/concerns/processes.ts: a dead process's session locks are freed at once. */
const ACS_PROCESSES = `
CREATE TABLE acs_processes (
  id text COLLATE "C" NOT NULL PRIMARY KEY,
  host text NOT NULL,
  pid integer NOT NULL,
  started_at bigint NOT NULL,
  heartbeat_at bigint NOT NULL
);
`;

/** src/store/concerns/virtual-parameters.ts: definitions only; values live in the device tree. */
const CAPABILITIES = `
ALTER TABLE api_tokens ADD COLUMN capabilities text NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(capabilities::jsonb) = 'array');
ALTER TABLE users ADD COLUMN capabilities text NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(capabilities::jsonb) = 'array');
`;

const VIRTUAL_PARAMETERS = `
CREATE TABLE virtual_parameters (
  name text NOT NULL PRIMARY KEY,
  revision integer NOT NULL,
  definition json NOT NULL,
  author text NOT NULL,
  created_at bigint NOT NULL,
  updated_at bigint NOT NULL
);
`;

/**
 * Migration 80: a task with a recorded step (a Download answered with status 1, a diagnostic
 * requested) is in progress across sessions: the end of a session, or a session released
 * without a commit, leaves it `running` (only tasks without a step go back to `queued`), and
 * the expiry sweep finds it by its own index.
 */
/**
 * The "nodes" write op (../session-writes.ts): a row listed and read in the same session,
 * written once with its names and its value (found by flotilla_apply by name). value_at moves
 * as flotilla_op_values would move it: on touch, or when value or type changed.
 */
const NODES_OP = opFunction(
  'nodes',
  `  INSERT INTO parameters AS p (device_id, path, object, writable, names_at, value, type, value_at)
  SELECT p_device, e->>0, right(e->>0, 1) = '.', (e->>1)::boolean, v_at, e->>2, e->>3, v_values_at
  FROM json_array_elements(v_items) AS e
  ON CONFLICT (device_id, path) DO UPDATE
  SET writable = excluded.writable, names_at = excluded.names_at, value = excluded.value, type = excluded.type,
    value_at = CASE WHEN v_touch OR p.value IS DISTINCT FROM excluded.value OR p.type IS DISTINCT FROM excluded.type
      THEN excluded.value_at ELSE p.value_at END;`,
  `  v_values_at bigint := (o->>'valuesAt')::bigint;
  v_touch boolean := (o->>'touch')::boolean;`,
);

const WAITING_TASKS_RUN = `
CREATE INDEX tasks_expiring_waiting ON tasks (expires_at) WHERE state = 'running' AND response IS NOT NULL AND expires_at IS NOT NULL;
${opFunction('requeue', `  UPDATE tasks SET state = 'queued', updated_at = v_at WHERE device_id = p_device AND state = 'running' AND response IS NULL;`).replace('CREATE FUNCTION', 'CREATE OR REPLACE FUNCTION')}
${opFunction(
  'unlock',
  `  DELETE FROM session_locks WHERE device_id = p_device AND owner = o->>'owner';
  -- Released without a commit: the tasks the session held go back to the queue.
  IF FOUND AND o->>'requeueAt' IS NOT NULL THEN
    UPDATE tasks SET state = 'queued', updated_at = (o->>'requeueAt')::bigint WHERE device_id = p_device AND state = 'running' AND response IS NULL;
  END IF;`,
).replace('CREATE FUNCTION', 'CREATE OR REPLACE FUNCTION')}
`;

/**
 * Migration 85: the tree ops of a bootstrap read their op as jsonb, once. Their op is a json
 * value (text): every o->>'at' re-parsed the whole op (hundreds of KB in a discovery) and
 * every \`e->>0\` its item, about five parses per row. As jsonb the op is parsed once and an
 * item's fields are picked out of the binary form. Measured on a 5,944-node discovery
 * (bench/store-discovery.ts): the nodes op about 45 % less. prune decodes the paths the
 * answer vouched for only when the range holds a row (a bootstrap's range is empty after
 * the clear; decoding 6,000 paths into an array first cost more than the rest of the op).
 * Same statements otherwise, so the same effect.
 */
const treeOpB = (kind: string, body: string, declare = ''): string => `
CREATE OR REPLACE FUNCTION flotilla_op_${kind}(p_device text, o json) RETURNS void LANGUAGE plpgsql AS $fn$
DECLARE
  v jsonb := o::jsonb;
  v_at bigint := (v->>'at')::bigint;
${declare}
BEGIN
${body}
END
$fn$;`;

/**
 * The device op again, the row kept at the newest Inform: a session whose Inform is older than
 * the stored one (it waited for the lock while a later session of the device, on another
 * process, committed) moves no time back and leaves the newer events (sqlite/apply.ts alike).
 */
const DEVICE_NEWEST_INFORM = opFunction(
  'device',
  `  INSERT INTO devices AS d (id, manufacturer, oui, product_class, serial_number,
    first_inform, last_inform, last_boot, last_bootstrap, last_events)
  VALUES (p_device, o->>'manufacturer', o->>'oui', o->>'productClass', o->>'serialNumber',
    v_at, v_at, (o->>'boot')::bigint, (o->>'bootstrap')::bigint, o->'events')
  ON CONFLICT (id) DO UPDATE SET
    manufacturer = excluded.manufacturer,
    last_inform = greatest(d.last_inform, excluded.last_inform),
    last_boot = greatest(d.last_boot, excluded.last_boot),
    last_bootstrap = greatest(d.last_bootstrap, excluded.last_bootstrap),
    last_events = CASE WHEN excluded.last_inform >= d.last_inform THEN excluded.last_events ELSE d.last_events END;`,
).replace('CREATE FUNCTION', 'CREATE OR REPLACE FUNCTION');

const TREE_OPS_JSONB = `
${treeOpB(
  'values',
  `  IF (v->>'touch')::boolean THEN
    INSERT INTO parameters AS p (device_id, path, object, value, type, value_at)
    SELECT p_device, e.path, right(e.path, 1) = '.', e.value, e.type, v_at
    FROM (SELECT e->>0 AS path, e->>1 AS value, e->>2 AS type FROM jsonb_array_elements(v->'items') AS e) AS e
    ON CONFLICT (device_id, path) DO UPDATE
    SET value = excluded.value, type = excluded.type, value_at = excluded.value_at;
  ELSE
    -- Unchanged rows are filtered out before the upsert: ON CONFLICT … WHERE false would
    -- still lock (and so dirty) each row, and an idle periodic session must write nothing.
    INSERT INTO parameters AS p (device_id, path, object, value, type, value_at)
    SELECT p_device, e.path, right(e.path, 1) = '.', e.value, e.type, v_at
    FROM (SELECT e->>0 AS path, e->>1 AS value, e->>2 AS type FROM jsonb_array_elements(v->'items') AS e) AS e
    WHERE NOT EXISTS (SELECT 1 FROM parameters x WHERE x.device_id = p_device AND x.path = e.path
      AND x.value IS NOT DISTINCT FROM e.value AND x.type IS NOT DISTINCT FROM e.type)
    ON CONFLICT (device_id, path) DO UPDATE
    SET value = excluded.value, type = excluded.type, value_at = excluded.value_at
    WHERE p.value IS DISTINCT FROM excluded.value OR p.type IS DISTINCT FROM excluded.type;
  END IF;`,
)}
${treeOpB(
  'names',
  `  INSERT INTO parameters AS p (device_id, path, object, writable, names_at)
  SELECT p_device, e.path, right(e.path, 1) = '.', e.writable, v_at
  FROM (SELECT e->>0 AS path, (e->>1)::boolean AS writable FROM jsonb_array_elements(v->'items') AS e) AS e
  ON CONFLICT (device_id, path) DO UPDATE SET writable = excluded.writable, names_at = excluded.names_at;`,
)}
${treeOpB(
  'ensure',
  `  INSERT INTO parameters (device_id, path, object, names_at)
  SELECT p_device, e, true, v_at FROM jsonb_array_elements_text(v->'items') AS e
  ON CONFLICT (device_id, path) DO NOTHING;`,
)}
${treeOpB(
  'nodes',
  `  INSERT INTO parameters AS p (device_id, path, object, writable, names_at, value, type, value_at)
  SELECT p_device, e.path, right(e.path, 1) = '.', e.writable, v_at, e.value, e.type, v_values_at
  FROM (SELECT e->>0 AS path, (e->>1)::boolean AS writable, e->>2 AS value, e->>3 AS type
        FROM jsonb_array_elements(v->'items') AS e) AS e
  ON CONFLICT (device_id, path) DO UPDATE
  SET writable = excluded.writable, names_at = excluded.names_at, value = excluded.value, type = excluded.type,
    value_at = CASE WHEN v_touch OR p.value IS DISTINCT FROM excluded.value OR p.type IS DISTINCT FROM excluded.type
      THEN excluded.value_at ELSE p.value_at END;`,
  `  v_values_at bigint := (v->>'valuesAt')::bigint;
  v_touch boolean := (v->>'touch')::boolean;`,
)}
CREATE OR REPLACE FUNCTION flotilla_op_prune(p_device text, o json) RETURNS void LANGUAGE plpgsql AS $fn$
DECLARE
  -- Not as jsonb: the op is mostly keep, which is read only when the range holds a row.
  v_lo text := o->>'lo';
  v_hi text := o->>'hi';
BEGIN
  IF NOT EXISTS (SELECT 1 FROM parameters WHERE device_id = p_device AND path > v_lo AND (v_hi IS NULL OR path < v_hi)) THEN
    RETURN;
  END IF;
  IF v_hi IS NULL THEN
    DELETE FROM parameters WHERE device_id = p_device AND path > v_lo
      AND path NOT IN (SELECT json_array_elements_text(o->'keep'));
  ELSE
    DELETE FROM parameters WHERE device_id = p_device AND path > v_lo AND path < v_hi
      AND path NOT IN (SELECT json_array_elements_text(o->'keep'));
  END IF;
END
$fn$;
`;

export const MIGRATIONS: readonly Migration[] = [
  { version: 1, name: 'initial schema', up: SCHEMA_V1 },
  { version: 2, name: 'commit function', up: commitFunction(1) },
  { version: 3, name: 'commit function: failed TransferComplete faults its transfer task', up: commitFunction(2) },
  { version: 4, name: 'webhook deliveries', up: WEBHOOK_DELIVERIES },
  { version: 5, name: 'session writes as typed ops: flotilla_apply and flotilla_op_*', up: WRITE_OPS },
  { version: 10, name: 'per-device credentials: connection-request secret, pending and factory sets, bootstrap window, rotation', up: DEVICE_CREDENTIALS },
  { version: 15, name: 'audit log (append-only)', up: AUDIT_LOG },
  { version: 20, name: "a bootstrap's clear keeps the secrets the ACS set", up: CLEAR_KEEPS_SECRETS },
  { version: 21, name: 'quirk profiles (operator and learnt)', up: QUIRK_PROFILES },
  { version: 25, name: 'provisioning policies: policies, revisions, compliance, per-device memo', up: POLICIES },
  { version: 26, name: 'session write op: policy (memo and compliance)', up: POLICY_OP },
  { version: 30, name: 'file repository: files, chunked content, transfer log', up: FILES },
  { version: 31, name: 'transfer log by time (retention)', up: 'CREATE INDEX file_transfers_at ON file_transfers (at);' },
  { version: 33, name: 'firmware campaigns and their device rows', up: CAMPAIGNS },
  { version: 35, name: 'flotilla_op_progress: a step of a task spanning sessions (diagnostics)', up: PROGRESS_OP },
  { version: 36, name: 'device KPI time series (partitioned by day), hourly roll-ups, sampling profiles; session write op samples', up: SERIES },
  { version: 37, name: "alarm rules (operators' own, and their changes of the built-in ones), alarms, their history, event counts", up: ALARMS },
  { version: 40, name: 'api tokens: when each was last used', up: 'ALTER TABLE api_tokens ADD COLUMN last_used_at BIGINT;' },
  { version: 45, name: 'subscribers, bindings, service templates', up: SUBSCRIBERS },
  { version: 50, name: 'users for people and their console sessions', up: USERS },
  { version: 51, name: 'api tokens: the part of the fleet a token may see', up: 'ALTER TABLE api_tokens ADD COLUMN scope text;' },
  { version: 55, name: 'ACS processes and their heartbeats (stale session locks)', up: ACS_PROCESSES },
  { version: 60, name: 'virtual parameters', up: VIRTUAL_PARAMETERS },
  // A JSON array of capability names beside the role (src/auth/tokens.ts); roles keep their CHECK and order.
  { version: 65, name: 'capabilities of tokens and users (provision)', up: CAPABILITIES },
  { version: 70, name: 'the nodes write op: a row listed and read in one session, written once', up: NODES_OP },
  { version: 80, name: 'tasks waiting across sessions stay running (expiry index)', up: WAITING_TASKS_RUN },
  // JSON {filter?, tag?} as text, like api_tokens.scope; null: the whole fleet.
  { version: 81, name: 'webhooks: the part of the fleet a webhook hears', up: 'ALTER TABLE webhooks ADD COLUMN scope text;' },
  { version: 85, name: "a bootstrap's tree ops read their op as jsonb once", up: TREE_OPS_JSONB },
  { version: 86, name: 'the device row stays at the newest Inform', up: DEVICE_NEWEST_INFORM },
];

const BOOKKEEPING = `CREATE TABLE IF NOT EXISTS schema_migrations (
  version integer NOT NULL PRIMARY KEY,
  name text NOT NULL,
  applied_at bigint NOT NULL
)`;

/** Any constant: the key of the advisory lock that serialises migrators across processes. */
const MIGRATION_LOCK = 0x466c6f74; // "Flot"

/**
 * Apply the pending migrations in one transaction and return the versions applied. An
 * advisory transaction lock makes processes that start together take turns, so each
 * migration is applied once; DDL is transactional, so a failed migration leaves nothing.
 * Refuses a database written by a newer Flotilla.
 */
export async function runMigrations(db: PgDb, migrations: readonly Migration[] = MIGRATIONS, now = Date.now()): Promise<number[]> {
  for (let i = 1; i < migrations.length; i++) {
    if (migrations[i]!.version <= migrations[i - 1]!.version) {
      throw new Error(`migrations out of order at version ${migrations[i]!.version}`);
    }
  }
  return db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await tx.exec(BOOKKEEPING);
    const applied = new Set((await tx.query<{ version: number }>('SELECT version FROM schema_migrations')).map((r) => r.version));
    const known = migrations.at(-1)?.version ?? 0;
    const newest = Math.max(0, ...applied);
    if (newest > known) {
      throw new Error(`database schema version ${newest} is newer than this Flotilla knows (${known})`);
    }
    const done: number[] = [];
    for (const m of migrations) {
      if (applied.has(m.version)) continue;
      await tx.exec(m.up);
      await tx.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [m.version, m.name, now]);
      done.push(m.version);
    }
    return done;
  });
}

/** Versions recorded as applied, ascending. */
export async function appliedVersions(db: PgDb): Promise<number[]> {
  const exists = await db.query<{ t: string | null }>(`SELECT to_regclass('schema_migrations')::text AS t`);
  if (exists[0]?.t == null) return [];
  return (await db.query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version')).map((r) => r.version);
}
