/**
 * The audit log is append-only in the database itself: UPDATE and DELETE on audit_log fail
 * on SQLite (triggers) and PostgreSQL (a trigger), whoever sends them.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPostgresStore } from '../../src/store/postgres/index.js';
import { createSqliteStore, DATABASE_FILE } from '../../src/store/sqlite/index.js';
import type { NewAuditEntry } from '../../src/store/types.js';
import { claimPgShared, createTestDatabase, describePg, sql, type TestDatabase } from './pg-helpers.js';

const describeWithPg = await describePg();
const E: NewAuditEntry = { at: 1, actor: { kind: 'token', id: 't', name: 'alice' }, source: '::1', action: 'DELETE /devices/{id}', target: 'd', status: 204, before: null, after: null };

describe('audit log append-only: sqlite', () => {
  it('refuses UPDATE and DELETE', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'flotilla-audit-'));
    const store = await createSqliteStore({ dataDir: dir });
    try {
      await store.appendAudit(E);
      const db = new Database(join(dir, DATABASE_FILE));
      expect(() => db.prepare("UPDATE audit_log SET actor_name = 'mallory'").run()).toThrow(/append-only/);
      expect(() => db.prepare('DELETE FROM audit_log').run()).toThrow(/append-only/);
      db.close();
      expect((await store.listAudit({ limit: 5 })).entries[0]?.actor.name).toBe('alice');
    } finally {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describeWithPg('audit log append-only: postgres', () => {
  let db: TestDatabase;
  let release: () => void;
  beforeAll(async () => {
    release = await claimPgShared();
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db?.drop();
    release?.();
  });
  it('refuses UPDATE and DELETE', async () => {
    const store = await createPostgresStore({ url: db.url });
    try {
      await store.appendAudit(E);
      await expect(sql(db.url, "UPDATE audit_log SET actor_name = 'mallory'")).rejects.toThrow(/append-only/);
      await expect(sql(db.url, 'DELETE FROM audit_log')).rejects.toThrow(/append-only/);
      expect((await store.listAudit({ limit: 5 })).entries[0]?.actor.name).toBe('alice');
    } finally {
      await store.close();
    }
  });
});
