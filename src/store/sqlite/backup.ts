/**
 * An online backup of the SQLite store (`flotilla backup`): SQLite's backup API copies a
 * consistent snapshot page by page while `flotilla serve` keeps writing (WAL mode: writers
 * are not blocked), into a new file that is itself a complete store.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { DATABASE_FILE } from './index.js';

export class BackupError extends Error {}

export async function backupSqlite(dataDir: string, target: string): Promise<{ bytes: number; pages: number }> {
  const file = join(dataDir, DATABASE_FILE);
  if (!existsSync(file)) throw new BackupError(`no store at ${file}`);
  if (existsSync(target)) throw new BackupError(`${target} exists: a backup never overwrites`);
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    // Pages in steps, yielding between them, so a big store does not hold the writer's lock long.
    const r = await db.backup(target, { progress: () => 1000 });
    const out = new Database(target, { readonly: true });
    try {
      const check = out.pragma('quick_check', { simple: true });
      if (check !== 'ok') throw new BackupError(`the backup fails its integrity check: ${String(check)}`);
      const bytes = (out.pragma('page_count', { simple: true }) as number) * (out.pragma('page_size', { simple: true }) as number);
      return { bytes, pages: r.totalPages };
    } finally {
      out.close();
    }
  } finally {
    db.close();
  }
}
