/**
 * Applies a list of write ops (../session-writes.ts) inside the caller's IMMEDIATE
 * transaction, in order. The tree upserts take many rows per statement (rows-insert.ts),
 * the other lists travel as a JSON array that `json_each` turns into rows inside SQLite, so a
 * 5,000-parameter bootstrap is not 5,000 crossings into the driver. The planner
 * de-duplicated lists (last item wins) and worked out ranges and ancestors; here each op is
 * fixed SQL.
 */
import type { SectionEntries, WriteOp } from '../session-writes.js';
import { bool, json, type Db } from './db.js';
import { RowsInsert } from './rows-insert.js';
import { sectionOf } from '../tree.js';
import { dropSections, hasSections, materializeRange, materializeSections, writeSections } from './sections.js';
import { insertSamples } from './series.js';

/**
 * Upsert values. The DO UPDATE … WHERE is what makes an idle periodic Inform cheap: a row
 * whose value and type are unchanged is not written at all (no page dirtied, value_at
 * kept), unless `touch` says the value was explicitly re-read. No ancestor rows are made
 * here: objects come from GetParameterNames (setNames) and AddObject, and an Inform must
 * stay as cheap as its list.
 *
 * The tree upserts are multi-row statements (rows-insert.ts) with positional parameters per
 * row: the driver runs in-process, so the items are neither encoded as JSON here nor picked
 * apart with ->> in SQL (measured on a 5,000-node discovery: one row per run was about a
 * quarter less than one json_each statement, and no 300 KB string per commit; many rows per
 * run cut the apply's CPU further). Row: path, object, value, type.
 */
const SET_VALUE = new RowsInsert(
  'INSERT INTO parameters (device_id, path, object, value, type, value_at)',
  '(@device, ?, ?, ?, ?, @at)',
  4,
  `ON CONFLICT (device_id, path) DO UPDATE
SET value = excluded.value, type = excluded.type, value_at = excluded.value_at
WHERE @touch OR parameters.value IS NOT excluded.value OR parameters.type IS NOT excluded.type`,
);

/** Row: path, object, writable. */
const SET_NAME = new RowsInsert(
  'INSERT INTO parameters (device_id, path, object, writable, names_at)',
  '(@device, ?, ?, ?, @at)',
  3,
  'ON CONFLICT (device_id, path) DO UPDATE SET writable = excluded.writable, names_at = excluded.names_at',
);

/**
 * A row listed and read in the same session (session-writes.ts `nodes`): one upsert with both.
 * value_at moves as the values upsert would move it: on touch, or when value or type changed.
 * Row: path, object, writable, value, type.
 */
const SET_NODE = new RowsInsert(
  'INSERT INTO parameters (device_id, path, object, writable, names_at, value, type, value_at)',
  '(@device, ?, ?, ?, @at, ?, ?, @valuesAt)',
  5,
  `ON CONFLICT (device_id, path) DO UPDATE
SET writable = excluded.writable, names_at = excluded.names_at, value = excluded.value, type = excluded.type,
  value_at = CASE WHEN @touch OR parameters.value IS NOT excluded.value OR parameters.type IS NOT excluded.type
    THEN excluded.value_at ELSE parameters.value_at END`,
);

/** Ancestor objects implied by a node; existing rows are left as they are. Row: path. */
const ENSURE_OBJECT = new RowsInsert(
  'INSERT INTO parameters (device_id, path, object, names_at)',
  '(@device, ?, 1, @at)',
  1,
  'ON CONFLICT (device_id, path) DO NOTHING',
);

const SET_ATTRIBUTES = `
INSERT INTO parameters (device_id, path, object, notification, access_list, attributes_at)
SELECT @device, j.value ->> 0, substr(j.value ->> 0, -1) = '.', j.value ->> 1, j.value ->> 2, @at
FROM json_each(@items) AS j WHERE true
ON CONFLICT (device_id, path) DO UPDATE
SET notification = excluded.notification, access_list = excluded.access_list, attributes_at = excluded.attributes_at`;

const ADD_OBJECT = `
INSERT INTO parameters (device_id, path, object, names_at) VALUES (@device, @path, 1, @at)
ON CONFLICT (device_id, path) DO UPDATE SET names_at = excluded.names_at`;

// Secrets the ACS set survive (session-writes.ts): their rows are kept when they hold a value.
const CLEAR_TREE = `DELETE FROM parameters WHERE device_id = @device
AND NOT (coalesce(parameters.value, '') <> ''
  AND EXISTS (SELECT 1 FROM json_each(@keep) AS k WHERE substr(lower(parameters.path), -length(k.value)) = lower(k.value))
  AND NOT EXISTS (SELECT 1 FROM json_each(@except) AS e WHERE substr(parameters.path, -length(e.value) - 1) = '.' || e.value))`;

// Range predicates: [lo, hi) is "starts with prefix"; hi is null only for the empty prefix.
const DELETE_RANGE = 'DELETE FROM parameters WHERE device_id = @device AND path >= @lo AND path < @hi';
const DELETE_ALL_FROM = 'DELETE FROM parameters WHERE device_id = @device AND path >= @lo';
const DELETE_EXACT = 'DELETE FROM parameters WHERE device_id = @device AND path = @path';
/** A child's subtree: every prefix ends with "." (0x2E), so "/" (0x2F) bounds its range. */

/** Strictly below root (path > root): the rows a whole-subtree answer judges. */
const RANGE_PATHS = 'SELECT path FROM parameters WHERE device_id = @device AND path > @lo AND path < @hi';
const RANGE_PATHS_ALL_FROM = 'SELECT path FROM parameters WHERE device_id = @device AND path > @lo';

/** Direct children of root (the rest of the path has no "." except a trailing one) not in keep. */
const CHILDREN_RANGE = `SELECT path FROM parameters WHERE device_id = @device AND path > @lo AND path < @hi
  AND instr(substr(path, length(@lo) + 1), '.') IN (0, length(path) - length(@lo))
  AND path NOT IN (SELECT value FROM json_each(@keep))`;
const CHILDREN_ALL_FROM = `SELECT path FROM parameters WHERE device_id = @device AND path > @lo
  AND instr(substr(path, length(@lo) + 1), '.') IN (0, length(path) - length(@lo))
  AND path NOT IN (SELECT value FROM json_each(@keep))`;

/**
 * first_inform is only written on insert; boot times only move when the op says so. The row
 * stays at the newest Inform: a session whose Inform is older than the stored one (it waited for
 * the lock while a later session of the device, on another process, committed) moves no time
 * back and leaves the newer events.
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
  last_inform = max(excluded.last_inform, devices.last_inform),
  last_boot = coalesce(max(excluded.last_boot, devices.last_boot), excluded.last_boot, devices.last_boot),
  last_bootstrap = coalesce(max(excluded.last_bootstrap, devices.last_bootstrap), excluded.last_bootstrap, devices.last_bootstrap),
  last_events = CASE WHEN excluded.last_inform >= devices.last_inform THEN excluded.last_events ELSE devices.last_events END`;

const OUTCOME = `UPDATE tasks SET state = @state, response = @response, fault = @fault, updated_at = @at
WHERE id = @id AND device_id = @device`;
/** Only a task this session still holds: an outcome (or a retry elsewhere) is not overwritten. */
const PROGRESS = `UPDATE tasks SET response = @response, updated_at = @at WHERE id = @id AND device_id = @device AND state = 'running'`;
/**
 * The tasks a session held go back to the queue, except those with a recorded step (a Download
 * answered with status 1, a diagnostic requested): they are in progress until the CPE's
 * TransferComplete or DIAGNOSTICS COMPLETE, or their deadline, and stay `running`.
 */
const REQUEUE = `UPDATE tasks SET state = 'queued', updated_at = @now WHERE device_id = @device AND state = 'running' AND response IS NULL`;
const TRANSFER_FAULT = `UPDATE tasks SET state = 'fault', fault = @fault, updated_at = @at
WHERE device_id = @device AND command_key = @commandKey AND type IN (SELECT value FROM json_each(@types))
  AND state IN ('done', 'running')`;

const INSERT_LOG = `INSERT INTO session_log
  (device_id, started_at, ended_at, events, rpcs, cpe_requests, outcome, linked_requests)
VALUES (@device, @startedAt, @endedAt, @events, @rpcs, @cpeRequests, @outcome, @linked)`;
/** Capped per device at write time, with one indexed DELETE that walks the newest `keep`. */
const PRUNE_LOG = `DELETE FROM session_log WHERE device_id = @device AND id <=
  (SELECT id FROM session_log WHERE device_id = @device ORDER BY id DESC LIMIT 1 OFFSET @keep)`;
const INSERT_MESSAGE = 'INSERT INTO cpe_messages (device_id, at, message) VALUES (@device, @at, @message)';
const PRUNE_MESSAGES = `DELETE FROM cpe_messages WHERE device_id = @device AND id <=
  (SELECT id FROM cpe_messages WHERE device_id = @device ORDER BY id DESC LIMIT 1 OFFSET @keep)`;
const RELEASE_LOCK = 'DELETE FROM session_locks WHERE device_id = @device AND owner = @owner';

/** Credential ops (../concerns/credentials.ts CredentialWrite); sets are JSON text. */
const CRED_REPLACE = `
INSERT INTO cpe_credentials (device_id, username, realm, ha1, connection_request, pending, bootstrap_until, rotate_requested, issued_at)
VALUES (@device, @username, @realm, @ha1, @cr, NULL, NULL, 0, @at)
ON CONFLICT (device_id) DO UPDATE SET username = excluded.username, realm = excluded.realm, ha1 = excluded.ha1,
  connection_request = excluded.connection_request, pending = NULL, bootstrap_until = NULL, rotate_requested = 0,
  issued_at = excluded.issued_at`;
const CRED_PENDING = `UPDATE cpe_credentials SET pending = @set, bootstrap_until = NULL, rotate_requested = 0, issued_at = @at
WHERE device_id = @device`;
const CRED_PROMOTE = `UPDATE cpe_credentials SET username = json_extract(pending, '$.cpe.username'),
  realm = json_extract(pending, '$.cpe.realm'), ha1 = json_extract(pending, '$.cpe.ha1'),
  connection_request = json_extract(pending, '$.connectionRequest'), pending = NULL
WHERE device_id = @device AND json_extract(pending, '$.cpe.username') = @username`;
const CRED_WINDOW = 'UPDATE cpe_credentials SET bootstrap_until = @until WHERE device_id = @device';
/** An unchanged memo and unchanged compliance rows are not rewritten (an evaluated but steady device). */
const SET_POLICY_MEMO = `INSERT INTO device_policy (device_id, memo) VALUES (@device, @memo)
ON CONFLICT (device_id) DO UPDATE SET memo = excluded.memo WHERE device_policy.memo IS NOT excluded.memo`;
const DROP_COMPLIANCE = `DELETE FROM policy_compliance WHERE device_id = @device
  AND policy_id IN (SELECT value FROM json_each(@evaluated))
  AND policy_id NOT IN (SELECT j.value ->> 0 FROM json_each(@items) AS j)`;
const SET_COMPLIANCE = `INSERT INTO policy_compliance (device_id, policy_id, revision, state, fault, at)
SELECT @device, j.value ->> 0, j.value ->> 1, j.value ->> 2, j.value ->> 3, @at FROM json_each(@items) AS j WHERE true
ON CONFLICT (device_id, policy_id) DO UPDATE
SET revision = excluded.revision, state = excluded.state, fault = excluded.fault, at = excluded.at
WHERE policy_compliance.revision IS NOT excluded.revision OR policy_compliance.state IS NOT excluded.state
  OR policy_compliance.fault IS NOT excluded.fault`;

export function applyWrites(db: Db, device: string, ops: readonly WriteOp[]): void {
  // Whether the device may have tree sections (sections.ts): asked once, when a tree write
  // comes, so a device without any pays one primary-key probe per commit.
  let sections: boolean | null = null;
  // The device's kind, from the commit's Inform: devices of one kind share a base (sections.ts).
  let model = '';
  const mayHaveSections = (): boolean => {
    sections ??= hasSections(db, device);
    return sections;
  };
  const touch = (paths: Iterable<string>): void => {
    if (!mayHaveSections()) return;
    const names = new Set<string>();
    for (const path of paths) {
      const s = sectionOf(path);
      if (s !== null) names.add(s);
    }
    materializeSections(db, device, names);
  };
  const touchRange = (lo: string, hi: string | null): void => {
    if (mayHaveSections()) materializeRange(db, device, lo, hi);
  };
  for (const op of ops) {
    switch (op.k) {
      case 'device':
        model = `${op.oui}-${op.productClass}`;
        db.run(UPSERT_DEVICE, {
          id: device,
          manufacturer: op.manufacturer,
          oui: op.oui,
          productClass: op.productClass,
          serialNumber: op.serialNumber,
          at: op.at,
          boot: op.boot,
          bootstrap: op.bootstrap,
          events: json(op.events),
        });
        break;
      case 'clear':
        // Sections hold no secret (the planner keeps those rows), so they all go.
        if (sections ?? true) dropSections(db, device);
        sections = false;
        db.run(CLEAR_TREE, { device, keep: json(op.keep), except: json(op.except) });
        break;
      case 'sections':
        // After a clear there are none. A second listing in the same commit that reaches a
        // section of the first turns it into rows through its ancestors' rows already; this
        // keeps a section from being replaced whatever the listing.
        touch(entryNames(op.entries));
        writeSections(db, device, model, op.namesAt, op.valuesAt, op.entries);
        sections = true;
        break;
      case 'values': {
        touch(firsts(op.items));
        const args: unknown[] = new Array(op.items.length * 4);
        let i = 0;
        for (const [path, value, type] of op.items) {
          args[i++] = path;
          args[i++] = objectFlag(path);
          args[i++] = value;
          args[i++] = type;
        }
        SET_VALUE.run(db, args, { device, at: op.at, touch: bool(op.touch) });
        break;
      }
      case 'names': {
        touch(firsts(op.items));
        const args: unknown[] = new Array(op.items.length * 3);
        let i = 0;
        for (const [path, writable] of op.items) {
          args[i++] = path;
          args[i++] = objectFlag(path);
          args[i++] = bool(writable);
        }
        SET_NAME.run(db, args, { device, at: op.at });
        break;
      }
      case 'nodes': {
        touch(firsts(op.items));
        const args: unknown[] = new Array(op.items.length * 5);
        let i = 0;
        for (const [path, writable, value, type] of op.items) {
          args[i++] = path;
          args[i++] = objectFlag(path);
          args[i++] = bool(writable);
          args[i++] = value;
          args[i++] = type;
        }
        SET_NODE.run(db, args, { device, at: op.at, valuesAt: op.valuesAt, touch: bool(op.touch) });
        break;
      }
      case 'ensure':
        touch(op.items);
        ENSURE_OBJECT.run(db, op.items, { device, at: op.at });
        break;
      case 'attrs':
        touch(firsts(op.items));
        db.run(SET_ATTRIBUTES, { device, at: op.at, items: json(op.items.map(([path, n, list]) => [path, n, json(list)])) });
        break;
      case 'add':
        touch([op.path]);
        db.run(ADD_OBJECT, { device, at: op.at, path: op.path });
        break;
      case 'delete':
        if (op.exact !== null) touch([op.exact]);
        touchRange(op.lo, op.hi);
        if (op.exact !== null) db.run(DELETE_EXACT, { device, path: op.exact });
        deleteRange(db, device, op.lo, op.hi);
        break;
      case 'prune': {
        touchRange(op.lo, op.hi);
        // The stored rows of the range are read and checked against the answer here: after a
        // clear (a bootstrap) there are next to none, where `NOT IN json_each(keep)` built a
        // 6,000-entry temporary index from a JSON text of every listed path first.
        const rows = op.hi === null ? db.all<{ path: string }>(RANGE_PATHS_ALL_FROM, { device, lo: op.lo }) : db.all<{ path: string }>(RANGE_PATHS, { device, lo: op.lo, hi: op.hi });
        if (rows.length === 0) break;
        const keep = new Set(op.keep);
        for (const { path } of rows) if (!keep.has(path)) db.run(DELETE_EXACT, { device, path });
        break;
      }
      case 'prune_children': {
        touchRange(op.lo, op.hi);
        const keep = json(op.keep);
        const children =
          op.hi === null
            ? db.all<{ path: string }>(CHILDREN_ALL_FROM, { device, lo: op.lo, keep })
            : db.all<{ path: string }>(CHILDREN_RANGE, { device, lo: op.lo, hi: op.hi, keep });
        for (const { path } of children) {
          const lo = path.endsWith('.') ? path : `${path}.`;
          if (lo !== path) db.run(DELETE_EXACT, { device, path });
          deleteRange(db, device, lo, `${lo.slice(0, -1)}/`);
        }
        break;
      }
      case 'outcomes':
        for (const o of op.items) {
          db.run(OUTCOME, {
            id: o.id,
            device,
            state: o.state,
            response: o.response === null ? null : json(o.response),
            fault: o.fault === null ? null : json(o.fault),
            at: o.at,
          });
        }
        break;
      case 'progress':
        for (const p of op.items) db.run(PROGRESS, { id: p.id, device, response: json(p.response), at: p.at });
        break;
      case 'requeue':
        db.run(REQUEUE, { device, now: op.at });
        break;
      case 'fault_transfer':
        db.run(TRANSFER_FAULT, { device, commandKey: op.commandKey, fault: json(op.fault), at: op.at, types: json(op.taskTypes) });
        break;
      case 'samples':
        insertSamples(db, device, op.items);
        break;
      case 'cpe_messages':
        for (const m of op.items) db.run(INSERT_MESSAGE, { device, at: m.at, message: json(m.message) });
        db.run(PRUNE_MESSAGES, { device, keep: op.keep });
        break;
      case 'log': {
        const l = op.log;
        db.run(INSERT_LOG, {
          device,
          startedAt: l.startedAt,
          endedAt: l.endedAt,
          events: json(l.events),
          rpcs: json(l.rpcs),
          cpeRequests: json(l.cpeRequests),
          outcome: l.outcome,
          linked: json(l.linkedRequests),
        });
        db.run(PRUNE_LOG, { device, keep: op.keep });
        break;
      }
      case 'unlock':
        if (db.run(RELEASE_LOCK, { device, owner: op.owner }) > 0 && op.requeueAt !== null) {
          db.run(REQUEUE, { device, now: op.requeueAt });
        }
        break;
      case 'cred_issue':
        if (op.mode === 'replace') {
          const { cpe, connectionRequest } = op.set;
          db.run(CRED_REPLACE, { device, ...cpe, cr: connectionRequest === null ? null : json(connectionRequest), at: op.at });
        } else db.run(CRED_PENDING, { device, set: json(op.set), at: op.at });
        break;
      case 'cred_promote':
        db.run(CRED_PROMOTE, { device, username: op.username });
        break;
      case 'cred_window':
        db.run(CRED_WINDOW, { device, until: op.until });
        break;
      case 'policy': {
        // A fault travels as JSON text inside the item, so json_each hands it back as text.
        const items = json(op.items.map(([id, rev, state, fault]) => [id, rev, state, fault === null ? null : json(fault)]));
        db.run(SET_POLICY_MEMO, { device, memo: op.memo });
        db.run(DROP_COMPLIANCE, { device, evaluated: json(op.evaluated), items });
        if (op.items.length > 0) db.run(SET_COMPLIANCE, { device, at: op.at, items });
        break;
      }
      default: {
        const never: never = op;
        throw new Error(`unknown write op ${JSON.stringify(never)}`);
      }
    }
  }
}

function* entryNames(entries: SectionEntries): Iterable<string> {
  for (const i of entries.order) yield entries.name[i]!;
}

/** The paths of an op's items (each item's first element). */
function* firsts(items: readonly (readonly [string, ...unknown[]])[]): Iterable<string> {
  for (const item of items) yield item[0];
}

/** The object column: objects end with ".". */
function objectFlag(path: string): number {
  return path.endsWith('.') ? 1 : 0;
}

function deleteRange(db: Db, device: string, lo: string, hi: string | null): void {
  if (hi === null) db.run(DELETE_ALL_FROM, { device, lo });
  else db.run(DELETE_RANGE, { device, lo, hi });
}
