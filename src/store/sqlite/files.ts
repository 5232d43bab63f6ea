/**
 * The files concern (../concerns/files.ts) on SQLite: metadata, chunked content (when a
 * repository keeps its bytes in the store rather than under the data directory), transfer log.
 */
import { FILE_COLUMNS, fileValues, MAX_FILE_LIST, toFile, toTransfer, TRANSFER_COLUMNS, transferValues, type FileRow, type TransferRow } from '../file-rows.js';
import type { FileListQuery, FileRecord, TransferLogEntry, TransferLogQuery } from '../types.js';
import type { Db, Params } from './db.js';

const named = (cols: string): string =>
  cols
    .split(', ')
    .map((c) => `@${c}`)
    .join(', ');
const params = (cols: string, values: (string | number | null)[]): Params => Object.fromEntries(cols.split(', ').map((c, i) => [c, values[i] ?? null]));

export function createFile(db: Db, f: FileRecord): void {
  db.run(`INSERT INTO files (${FILE_COLUMNS}) VALUES (${named(FILE_COLUMNS)})`, params(FILE_COLUMNS, fileValues(f)));
}

export function getFile(db: Db, id: string): FileRecord | null {
  const row = db.get<FileRow>(`SELECT ${FILE_COLUMNS} FROM files WHERE id = @id`, { id });
  return row ? toFile(row) : null;
}

export function listFiles(db: Db, q: FileListQuery): FileRecord[] {
  const where = [q.deviceId !== undefined ? 'device_id = @device' : 'device_id IS NULL'];
  const p: Params = { limit: Math.max(0, Math.min(q.limit ?? MAX_FILE_LIST, MAX_FILE_LIST)) };
  if (q.deviceId !== undefined) p.device = q.deviceId;
  if (q.fileType !== undefined) {
    where.push('file_type = @type');
    p.type = q.fileType;
  }
  if (q.before !== undefined) {
    where.push('(created_at < @bAt OR (created_at = @bAt AND id < @bId))');
    p.bAt = q.before.createdAt;
    p.bId = q.before.id;
  }
  return db.all<FileRow>(`SELECT ${FILE_COLUMNS} FROM files WHERE ${where.join(' AND ')} ORDER BY created_at DESC, id DESC LIMIT @limit`, p).map(toFile);
}

export function deleteFile(db: Db, id: string): boolean {
  return db.immediate(() => {
    db.run('DELETE FROM file_chunks WHERE file_id = @id', { id });
    return db.run('DELETE FROM files WHERE id = @id', { id }) > 0;
  });
}

export function putFileChunks(db: Db, fileId: string, chunks: { seq: number; data: Buffer }[]): void {
  db.immediate(() => {
    for (const c of chunks) db.run('INSERT INTO file_chunks (file_id, seq, data) VALUES (@id, @seq, @data)', { id: fileId, seq: c.seq, data: c.data });
  });
}

export function readFileChunks(db: Db, fileId: string, fromSeq: number, count: number): Buffer[] {
  return db
    .all<{ data: Buffer }>('SELECT data FROM file_chunks WHERE file_id = @id AND seq >= @from AND seq < @to ORDER BY seq', {
      id: fileId,
      from: fromSeq,
      to: fromSeq + Math.max(0, count),
    })
    .map((r) => r.data);
}

export function deleteFileChunks(db: Db, fileId: string): void {
  db.run('DELETE FROM file_chunks WHERE file_id = @id', { id: fileId });
}

export function countPendingFileTasks(db: Db, fileId: string): number {
  const row = db.get<{ n: number }>(
    `SELECT count(*) AS n FROM tasks WHERE state IN ('queued', 'running') AND type IN ('download', 'scheduleDownload')
       AND json_extract(task, '$.fileId') = @id`,
    { id: fileId },
  );
  return row?.n ?? 0;
}

export function appendTransferLog(db: Db, e: TransferLogEntry): void {
  db.run(`INSERT INTO file_transfers (${TRANSFER_COLUMNS}) VALUES (${named(TRANSFER_COLUMNS)})`, params(TRANSFER_COLUMNS, transferValues(e)));
}

export function listTransferLog(db: Db, q: TransferLogQuery): TransferLogEntry[] {
  const where: string[] = [];
  const p: Params = { limit: Math.max(0, Math.min(q.limit ?? MAX_FILE_LIST, MAX_FILE_LIST)) };
  if (q.fileId !== undefined) {
    where.push('file_id = @file');
    p.file = q.fileId;
  }
  if (q.deviceId !== undefined) {
    where.push('device_id = @device');
    p.device = q.deviceId;
  }
  const sql = `SELECT ${TRANSFER_COLUMNS} FROM file_transfers ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT @limit`;
  return db.all<TransferRow>(sql, p).map(toTransfer);
}

export function pruneTransferLog(db: Db, before: number): number {
  return db.run('DELETE FROM file_transfers WHERE at < @before', { before });
}
