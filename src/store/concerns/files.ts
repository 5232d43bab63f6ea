/**
 * Store concern: the file repository's metadata, its content as chunked rows (used where the
 * bytes must be reachable from every ACS process: PostgreSQL), and the transfer log.
 * Backends: sqlite/files.ts, postgres/files.ts; suite: test/store/conformance/files.ts.
 *
 * The bytes themselves are streamed by src/files (never one call holding a whole file): a
 * writer appends chunks of `chunkSize` bytes in order and creates the metadata row last, so a
 * file is listed only once every byte is stored; a reader asks for a few chunks at a time.
 */

/** TR-069 file types (A.3.2.8), the numbered forms as the CPE is sent them. */
export type FileType = string;

export interface FileApplicability {
  /** Empty: any OUI. */
  oui: string;
  /** Empty: any product class. */
  productClass: string;
  /** SoftwareVersions the file upgrades from; empty: any. */
  fromVersions: string[];
}

export interface FileRecord extends FileApplicability {
  id: string;
  name: string;
  /** "1 Firmware Upgrade Image", "3 Vendor Configuration File", … */
  fileType: FileType;
  /** The SoftwareVersion the file installs ("" when it installs none: a configuration). */
  version: string;
  size: number;
  /** SHA-256 of the content, lower-case hex. */
  sha256: string;
  /** The TargetFileName a Download names (default: the name). */
  targetFileName: string;
  /** Where the bytes are: a file under the data directory, or chunked rows in the store. */
  storage: 'dir' | 'store';
  /** Bytes per stored chunk (storage 'store'). */
  chunkSize: number;
  /** A file a device sent (Upload: a configuration backup, a log); null: uploaded by an operator. */
  deviceId: string | null;
  createdAt: number;
}

export interface FileListQuery {
  /** Only files of this device (its backups and logs); absent: the operators' repository. */
  deviceId?: string;
  fileType?: string;
  limit?: number;
  /** Files created before this one in listing order (newest first): cursor is `createdAt`, `id`. */
  before?: { createdAt: number; id: string };
}

/** One request served by the transfer endpoint (src/files/transfer.ts). */
export interface TransferLogEntry {
  at: number;
  /** Whoever was let in (null: refused before we knew). */
  deviceId: string | null;
  fileId: string | null;
  /** GET, HEAD, PUT, POST. */
  method: string;
  /** The HTTP status answered. */
  status: number;
  /** Body bytes sent (GET) or received (PUT/POST). */
  bytes: number;
  /** "complete", "aborted", "refused: …", "range 100-199" … */
  outcome: string;
  /** How the device proved itself: digest, basic, signed, or none. */
  auth: string;
  remote: string;
  /** The CommandKey of the task whose signed URL was used, when one was. */
  commandKey: string | null;
  durationMs: number;
}

export interface TransferLogQuery {
  fileId?: string;
  deviceId?: string;
  limit?: number;
}

export interface FileStore {
  /** The metadata row, once every chunk (if any) is stored. Throws on a duplicate id. */
  createFile(file: FileRecord): Promise<void>;
  getFile(id: string): Promise<FileRecord | null>;
  /** Newest first. */
  listFiles(query: FileListQuery): Promise<FileRecord[]>;
  /** The metadata row and any chunks; false when there was none. */
  deleteFile(id: string): Promise<boolean>;
  /** Append chunks (seq from 0, in order) of a file being written; the row may not exist yet. */
  putFileChunks(fileId: string, chunks: { seq: number; data: Buffer }[]): Promise<void>;
  /** `count` chunks from `fromSeq`, in order (fewer at the end). */
  readFileChunks(fileId: string, fromSeq: number, count: number): Promise<Buffer[]>;
  /** Chunks of a write that failed (nothing else stored for it). */
  deleteFileChunks(fileId: string): Promise<void>;
  /**
   * Tasks not finished (queued or running) whose body names this file (`fileId`): a file in
   * use cannot be deleted (src/files/repository.ts adds the other users, e.g. campaigns).
   */
  countPendingFileTasks(fileId: string): Promise<number>;
  appendTransferLog(entry: TransferLogEntry): Promise<void>;
  /** Newest first. */
  listTransferLog(query: TransferLogQuery): Promise<TransferLogEntry[]>;
  /** Retention: drop log entries older than `before` (ms); returns how many went. */
  pruneTransferLog(before: number): Promise<number>;
}
