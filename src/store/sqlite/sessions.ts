/**
 * The two round trips of a session, each one IMMEDIATE transaction, and the lock calls.
 *
 * The lock is a row (device_id, owner, expires_at). It is taken when absent, expired, or
 * already ours, by one upsert whose DO UPDATE … WHERE encodes exactly that rule; RETURNING
 * tells whether we got it (PostgreSQL reads it the same way).
 */
import { SOFTWARE_VERSION_PATHS } from '../campaign-rows.js';
import { planCommit, releaseOps, type HistoryLimits, type SectionRules } from '../session-writes.js';
import { sectionFor } from '../tree.js';
import type { SessionCommit, SessionOpenInput, SessionOpenResult } from '../types.js';
import { applyWrites } from './apply.js';
import { getDeviceCredentials } from './credentials.js';
import type { Db } from './db.js';
import { getSummary } from './rows.js';
import { searchableSet } from './search.js';
import { sessionSubscriber } from './subscribers.js';
import { takeTasks } from './tasks.js';

const TAKE_LOCK = `
INSERT INTO session_locks (device_id, owner, expires_at) VALUES (@device, @owner, @expiresAt)
ON CONFLICT (device_id) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at
WHERE session_locks.owner = excluded.owner OR session_locks.expires_at <= @now
RETURNING owner`;
const POLICY_MEMO = 'SELECT memo FROM device_policy WHERE device_id = @device';
/** Extending a lapsed lock that nobody took is fine: nobody else ran a session meanwhile. */
const EXTEND_LOCK = 'UPDATE session_locks SET expires_at = @expiresAt WHERE device_id = @device AND owner = @owner';

export function openSession(db: Db, input: SessionOpenInput): SessionOpenResult {
  const device = input.deviceId;
  return db.immediate(() => {
    const got = db.get(TAKE_LOCK, {
      device,
      owner: input.lockOwner,
      expiresAt: input.now + input.lockTtlMs,
      now: input.now,
    });
    const summary = getSummary(db, device);
    const credentials = getDeviceCredentials(db, device);
    const credential = credentials?.current.cpe ?? null;
    // A busy device's queue belongs to the session that holds it: neither read nor expire it.
    if (got === undefined) return { lock: 'busy', device: summary, credential, credentials, queue: [], policyMemo: null };
    const memo = db.get<{ memo: string }>(POLICY_MEMO, { device })?.memo ?? null;
    const queue = input.takeTasks === false ? [] : takeTasks(db, device, input.now);
    // Only a device with a subscriber carries the key (most have none).
    const subscriber = sessionSubscriber(db, device, input.claims, input.now);
    return { lock: 'acquired', device: summary, credential, credentials, queue, policyMemo: memo, ...(subscriber !== null ? { subscriber } : {}) };
  });
}

export function extendLock(db: Db, device: string, owner: string, ttlMs: number, now: number): boolean {
  return db.run(EXTEND_LOCK, { device, owner, expiresAt: now + ttlMs }) > 0;
}

/** Freeing our lock without a commit (the session failed): the tasks it held go back to the queue. */
export function releaseLock(db: Db, device: string, owner: string, now = Date.now()): void {
  db.immediate(() => applyWrites(db, device, releaseOps(owner, now)));
}

/**
 * Every write of a session, all or nothing: the planned ops (../session-writes.ts), applied in
 * order. With `treeSections`, a discovery after a clear keeps its tree in sections (sections.ts).
 */
export function commitSession(db: Db, c: SessionCommit, limits: HistoryLimits, treeSections = false): void {
  const ops = planCommit(c, limits, treeSections ? sectionRules(db) : null);
  db.immediate(() => applyWrites(db, c.deviceId, ops));
}

/**
 * Searchable paths (their partial indexes) and the campaigns' software version stay rows. One
 * rules object per set of searchable paths (a new set when they change): the commit plan keeps
 * the sections of a shared listing per rules object (session-writes.ts).
 */
function sectionRules(db: Db): SectionRules {
  const searchable = searchableSet(db);
  let rules = rulesOf.get(searchable);
  if (rules === undefined) {
    rules = { sectionOf: (path) => (searchable.has(path) || SOFTWARE_VERSIONS.has(path) ? null : sectionFor(path)) };
    rulesOf.set(searchable, rules);
  }
  return rules;
}

const rulesOf = new WeakMap<ReadonlySet<string>, SectionRules>();

const SOFTWARE_VERSIONS: ReadonlySet<string> = new Set(SOFTWARE_VERSION_PATHS);
