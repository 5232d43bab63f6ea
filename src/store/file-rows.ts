/**
 * The files concern as rows: the same columns and mapping in every SQL backend.
 */
import type { FileApplicability, FileRecord, TransferLogEntry } from './types.js';

export interface FileRow {
  id: string;
  name: string;
  file_type: string;
  version: string;
  size: number;
  sha256: string;
  target_file_name: string;
  /** JSON text (SQLite) or already parsed (PostgreSQL json). */
  applicability: string | FileApplicability;
  storage: string;
  chunk_size: number;
  device_id: string | null;
  created_at: number;
}

export const FILE_COLUMNS = 'id, name, file_type, version, size, sha256, target_file_name, applicability, storage, chunk_size, device_id, created_at';

export function toFile(r: FileRow): FileRecord {
  const a = (typeof r.applicability === 'string' ? JSON.parse(r.applicability) : r.applicability) as Partial<FileApplicability>;
  return {
    id: r.id,
    name: r.name,
    fileType: r.file_type,
    version: r.version,
    size: Number(r.size),
    sha256: r.sha256,
    targetFileName: r.target_file_name,
    oui: a.oui ?? '',
    productClass: a.productClass ?? '',
    fromVersions: a.fromVersions ?? [],
    storage: r.storage === 'dir' ? 'dir' : 'store',
    chunkSize: r.chunk_size,
    deviceId: r.device_id,
    createdAt: Number(r.created_at),
  };
}

/** The row's values in FILE_COLUMNS order. */
export function fileValues(f: FileRecord): (string | number | null)[] {
  const applicability = JSON.stringify({ oui: f.oui, productClass: f.productClass, fromVersions: f.fromVersions });
  return [f.id, f.name, f.fileType, f.version, f.size, f.sha256, f.targetFileName, applicability, f.storage, f.chunkSize, f.deviceId, f.createdAt];
}

export interface TransferRow {
  at: number;
  device_id: string | null;
  file_id: string | null;
  method: string;
  status: number;
  bytes: number;
  outcome: string;
  auth: string;
  remote: string;
  command_key: string | null;
  duration_ms: number;
}

export const TRANSFER_COLUMNS = 'at, device_id, file_id, method, status, bytes, outcome, auth, remote, command_key, duration_ms';

export const toTransfer = (r: TransferRow): TransferLogEntry => ({
  at: Number(r.at),
  deviceId: r.device_id,
  fileId: r.file_id,
  method: r.method,
  status: r.status,
  bytes: Number(r.bytes),
  outcome: r.outcome,
  auth: r.auth,
  remote: r.remote,
  commandKey: r.command_key,
  durationMs: Number(r.duration_ms),
});

export const transferValues = (e: TransferLogEntry): (string | number | null)[] => [
  e.at,
  e.deviceId,
  e.fileId,
  e.method,
  e.status,
  e.bytes,
  e.outcome,
  e.auth,
  e.remote,
  e.commandKey,
  e.durationMs,
];

/** Listing bounds: at most this many rows per call. */
export const MAX_FILE_LIST = 1000;
