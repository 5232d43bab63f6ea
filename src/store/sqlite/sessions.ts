/**
 * The two round trips of a session, each one IMMEDIATE transaction, and the lock calls.
 *
 * The lock is a row (device_id, owner, expires_at). It is taken when absent, expired, or
 * already ours, by one upsert whose DO UPDATE … WHERE encodes exactly that rule; RETURNING
 * tells whether we got it (PostgreSQL reads it the same way).
 */
import type { SessionCommit, SessionOpenInput, SessionOpenResult } from '../types.js';
import type { Db } from './db.js';
import { getCredential, getSummary, upsertDevice } from './devices.js';
import { appendCpeMessages, appendSessionLog } from './history.js';
import { applyParameterOps } from './parameters.js';
import { recordOutcomes, recordTransferOutcomes, requeueRunning, takeTasks } from './tasks.js';

const TAKE_LOCK = `
INSERT INTO session_locks (device_id, owner, expires_at) VALUES (@device, @owner, @expiresAt)
ON CONFLICT (device_id) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at
WHERE session_locks.owner = excluded.owner OR session_locks.expires_at <= @now
RETURNING owner`;
/** Extending a lapsed lock that nobody took is fine: nobody else ran a session meanwhile. */
const EXTEND_LOCK = 'UPDATE session_locks SET expires_at = @expiresAt WHERE device_id = @device AND owner = @owner';
const RELEASE_LOCK = 'DELETE FROM session_locks WHERE device_id = @device AND owner = @owner';

export interface HistoryLimits {
  sessionsPerDevice: number;
  cpeMessagesPerDevice: number;
}

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
    const credential = getCredential(db, device);
    // A busy device's queue belongs to the session that holds it: neither read nor expire it.
    if (got === undefined) return { lock: 'busy', device: summary, credential, queue: [] };
    return { lock: 'acquired', device: summary, credential, queue: takeTasks(db, device, input.now) };
  });
}

export function extendLock(db: Db, device: string, owner: string, ttlMs: number, now: number): boolean {
  return db.run(EXTEND_LOCK, { device, owner, expiresAt: now + ttlMs }) > 0;
}

/** Freeing our lock without a commit (the session failed): the tasks it held go back to the queue. */
export function releaseLock(db: Db, device: string, owner: string, now = Date.now()): void {
  db.immediate(() => {
    if (db.run(RELEASE_LOCK, { device, owner }) > 0) requeueRunning(db, device, now);
  });
}

/**
 * Every write of a session, all or nothing. If our lock lapsed and another owner took it,
 * the writes still happen — they are what the CPE really said and did — but the other
 * owner's lock is left alone (RELEASE_LOCK matches on owner).
 */
export function commitSession(db: Db, c: SessionCommit, limits: HistoryLimits): void {
  db.immediate(() => {
    upsertDevice(db, c.deviceId, c.identity, c.informAt, c.events);
    applyParameterOps(db, c.deviceId, c.parameterOps);
    recordOutcomes(db, c.deviceId, c.requestOutcomes, c.log.endedAt);
    recordTransferOutcomes(db, c.deviceId, c.cpeMessages);
    appendCpeMessages(db, c.deviceId, c.cpeMessages, limits.cpeMessagesPerDevice);
    // Filed under the commit's device whatever the record says, so deleteDevice finds it.
    appendSessionLog(db, { ...c.log, deviceId: c.deviceId }, limits.sessionsPerDevice);
    if (c.releaseLock) db.run(RELEASE_LOCK, { device: c.deviceId, owner: c.lockOwner });
  });
}
