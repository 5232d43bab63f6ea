/**
 * The files concern (../concerns/files.ts) on PostgreSQL: metadata, the content as chunked
 * bytea rows (so every ACS process and host serves every file), transfer log. Every call is
 * one statement.
 */
import { FILE_COLUMNS, fileValues, MAX_FILE_LIST, toFile, toTransfer, TRANSFER_COLUMNS, transferValues, type FileRow, type TransferRow } from '../file-rows.js';
import type { FileListQuery, FileRecord, TransferLogEntry, TransferLogQuery } from '../types.js';
import type { PgDb } from './db.js';

const placeholders = (n: number, from = 1): string => Array.from({ length: n }, (_, i) => `$${i + from}`).join(', ');

export async function createFile(db: PgDb, f: FileRecord): Promise<void> {
  await db.run(`INSERT INTO files (${FILE_COLUMNS}) VALUES (${placeholders(12)})`, fileValues(f));
}

export async function getFile(db: PgDb, id: string): Promise<FileRecord | null> {
  const [row] = await db.query<FileRow>(`SELECT ${FILE_COLUMNS} FROM files WHERE id = $1`, [id]);
  return row ? toFile(row) : null;
}

/** One statement whatever the query: absent bounds are NULL and drop out. */
const LIST = `SELECT ${FILE_COLUMNS} FROM files
WHERE (CASE WHEN $1::text IS NULL THEN device_id IS NULL ELSE device_id = $1 END)
  AND ($2::text IS NULL OR file_type = $2)
  AND ($3::bigint IS NULL OR created_at < $3 OR (created_at = $3 AND id < $4))
ORDER BY created_at DESC, id DESC LIMIT $5`;

export async function listFiles(db: PgDb, q: FileListQuery): Promise<FileRecord[]> {
  const limit = Math.max(0, Math.min(q.limit ?? MAX_FILE_LIST, MAX_FILE_LIST));
  const rows = await db.query<FileRow>(LIST, [q.deviceId ?? null, q.fileType ?? null, q.before?.createdAt ?? null, q.before?.id ?? '', limit]);
  return rows.map(toFile);
}

const DELETE = `WITH c AS (DELETE FROM file_chunks WHERE file_id = $1) DELETE FROM files WHERE id = $1`;

export async function deleteFile(db: PgDb, id: string): Promise<boolean> {
  return (await db.run(DELETE, [id])) > 0;
}

const PUT_CHUNKS = `INSERT INTO file_chunks (file_id, seq, data) SELECT $1, s, d FROM unnest($2::int[], $3::bytea[]) AS t(s, d)`;

export async function putFileChunks(db: PgDb, fileId: string, chunks: { seq: number; data: Buffer }[]): Promise<void> {
  if (chunks.length === 0) return;
  await db.run(PUT_CHUNKS, [fileId, chunks.map((c) => c.seq), chunks.map((c) => c.data)]);
}

export async function readFileChunks(db: PgDb, fileId: string, fromSeq: number, count: number): Promise<Buffer[]> {
  const rows = await db.query<{ data: Buffer }>('SELECT data FROM file_chunks WHERE file_id = $1 AND seq >= $2 AND seq < $3 ORDER BY seq', [
    fileId,
    fromSeq,
    fromSeq + Math.max(0, count),
  ]);
  return rows.map((r) => r.data);
}

export async function deleteFileChunks(db: PgDb, fileId: string): Promise<void> {
  await db.run('DELETE FROM file_chunks WHERE file_id = $1', [fileId]);
}

export async function countPendingFileTasks(db: PgDb, fileId: string): Promise<number> {
  const [row] = await db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM tasks WHERE state IN ('queued', 'running') AND type IN ('download', 'scheduleDownload') AND task->>'fileId' = $1`,
    [fileId],
  );
  return row?.n ?? 0;
}

export async function appendTransferLog(db: PgDb, e: TransferLogEntry): Promise<void> {
  await db.run(`INSERT INTO file_transfers (${TRANSFER_COLUMNS}) VALUES (${placeholders(11)})`, transferValues(e));
}

const LIST_TRANSFERS = `SELECT ${TRANSFER_COLUMNS} FROM file_transfers
WHERE ($1::text IS NULL OR file_id = $1) AND ($2::text IS NULL OR device_id = $2) ORDER BY id DESC LIMIT $3`;

export async function listTransferLog(db: PgDb, q: TransferLogQuery): Promise<TransferLogEntry[]> {
  const limit = Math.max(0, Math.min(q.limit ?? MAX_FILE_LIST, MAX_FILE_LIST));
  return (await db.query<TransferRow>(LIST_TRANSFERS, [q.fileId ?? null, q.deviceId ?? null, limit])).map(toTransfer);
}

export async function pruneTransferLog(db: PgDb, before: number): Promise<number> {
  return db.run('DELETE FROM file_transfers WHERE at < $1', [before]);
}
