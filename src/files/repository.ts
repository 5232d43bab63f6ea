/**
 * The file repository: files uploaded by operators (firmware, configurations …) and files
 * devices send (backups, logs). The content is streamed in — hashed (SHA-256) and counted as
 * it passes, never held whole — to a BlobStore (./blobs.ts), checked against what the caller
 * expected, and only then given its metadata row, so a refused or broken upload leaves
 * nothing behind and a listed file always has all its bytes.
 *
 * A file something still needs (a pending download task; a campaign, through `addUsageCheck`)
 * cannot be deleted.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { FileApplicability, FileListQuery, FileRecord, Store } from '../store/types.js';
import type { BlobStore } from './blobs.js';
import { StoreBlobs } from './blobs.js';

export type FileErrorCode = 'TOO_LARGE' | 'MISMATCH' | 'TRUNCATED' | 'NOT_FOUND' | 'IN_USE' | 'INVALID';

export class FileError extends Error {
  override readonly name = 'FileError';
  constructor(
    readonly code: FileErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** TR-069 A.3.2.8 download file types, and the upload types of A.3.2.9 (with 1.4's numbered forms). */
export const DOWNLOAD_FILE_TYPES = ['1 Firmware Upgrade Image', '2 Web Content', '3 Vendor Configuration File', '4 Tone File', '5 Ringer File'] as const;

export interface NewFile extends Partial<FileApplicability> {
  name: string;
  fileType: string;
  version?: string;
  targetFileName?: string;
  /** A device's own upload (backup, log). */
  deviceId?: string | null;
  /** The id to store it under (an Upload's URL names it in advance); default: a new one. */
  id?: string;
}

export interface UploadChecks {
  /** Refuse (nothing stored) past this many bytes. */
  maxBytes: number;
  /** Expected SHA-256 (hex, any case): refused on a mismatch. */
  sha256?: string;
  /** Expected size: refused on a mismatch. */
  size?: number;
  /** The request's Content-Length, when it had one: fewer bytes is a truncated upload. */
  declaredLength?: number;
  /**
   * Keep the bytes in the store's rows whatever the repository's default (a device's uploads:
   * small, and gone with the device when it is deleted).
   */
  inStore?: boolean;
}

/** Answers why a file may not be deleted now, or null. */
export type UsageCheck = (file: FileRecord) => Promise<string | null>;

export interface FileRepositoryOptions {
  store: Store;
  /** Where new files' bytes go (default: the store's chunked rows). */
  blobs?: BlobStore;
  now?: () => number;
}

export const newFileId = (): string => randomBytes(12).toString('base64url');

export class FileRepository {
  readonly store: Store;
  readonly #blobs: BlobStore;
  readonly #byKind: Map<FileRecord['storage'], BlobStore>;
  readonly #checks: UsageCheck[] = [];
  readonly #now: () => number;

  constructor(opts: FileRepositoryOptions) {
    this.store = opts.store;
    const inStore = opts.blobs?.kind === 'store' ? opts.blobs : new StoreBlobs(opts.store);
    this.#blobs = opts.blobs ?? inStore;
    this.#byKind = new Map<FileRecord['storage'], BlobStore>([['store', inStore]]);
    if (this.#blobs.kind === 'dir') this.#byKind.set('dir', this.#blobs);
    this.#now = opts.now ?? Date.now;
    this.addUsageCheck(async (f) => {
      const n = await this.store.countPendingFileTasks(f.id);
      return n > 0 ? `${n} pending task${n === 1 ? '' : 's'} use${n === 1 ? 's' : ''} it` : null;
    });
  }

  /** Another reason a file may be in use (campaigns add theirs). */
  addUsageCheck(check: UsageCheck): void {
    this.#checks.push(check);
  }

  /** Stream `body` in as a new file; refused (nothing stored) on any failed check. */
  async upload(meta: NewFile, body: AsyncIterable<Buffer>, checks: UploadChecks): Promise<FileRecord> {
    const id = meta.id ?? newFileId();
    const blobs = checks.inStore === true ? this.#byKind.get('store')! : this.#blobs;
    if (meta.id !== undefined && (await this.store.getFile(id)) !== null) throw new FileError('IN_USE', `file ${id} exists already`);
    const hash = createHash('sha256');
    let size = 0;
    let tooLarge = false;
    async function* counted(): AsyncGenerator<Buffer> {
      for await (const piece of body) {
        const buf = typeof piece === 'string' ? Buffer.from(piece) : piece;
        size += buf.length;
        if (size > checks.maxBytes) {
          tooLarge = true;
          throw new FileError('TOO_LARGE', `the file is larger than ${checks.maxBytes} bytes`);
        }
        hash.update(buf);
        yield buf;
      }
    }
    try {
      await blobs.write(id, counted());
    } catch (e) {
      if (e instanceof FileError) throw e;
      if (tooLarge) throw new FileError('TOO_LARGE', `the file is larger than ${checks.maxBytes} bytes`);
      // The request ended before its body did (the client went away, the connection broke).
      throw new FileError('TRUNCATED', `the upload broke off after ${size} bytes: nothing stored`);
    }
    const sha256 = hash.digest('hex');
    const refuse = async (code: FileErrorCode, message: string): Promise<never> => {
      await blobs.discard(id).catch(() => undefined);
      throw new FileError(code, message);
    };
    if (checks.declaredLength !== undefined && size !== checks.declaredLength) {
      await refuse('TRUNCATED', `received ${size} of ${checks.declaredLength} bytes: nothing stored`);
    }
    if (checks.size !== undefined && size !== checks.size) await refuse('MISMATCH', `size is ${size}, expected ${checks.size}: nothing stored`);
    if (checks.sha256 !== undefined && sha256 !== checks.sha256.toLowerCase()) {
      await refuse('MISMATCH', `sha256 is ${sha256}, expected ${checks.sha256.toLowerCase()}: nothing stored`);
    }
    const record: FileRecord = {
      id,
      name: meta.name,
      fileType: meta.fileType,
      version: meta.version ?? '',
      size,
      sha256,
      targetFileName: meta.targetFileName ?? meta.name,
      oui: meta.oui ?? '',
      productClass: meta.productClass ?? '',
      fromVersions: meta.fromVersions ?? [],
      storage: blobs.kind,
      chunkSize: blobs.chunkSize,
      deviceId: meta.deviceId ?? null,
      createdAt: this.#now(),
    };
    try {
      await this.store.createFile(record);
    } catch (e) {
      await blobs.discard(id).catch(() => undefined);
      throw e;
    }
    return record;
  }

  async get(id: string): Promise<FileRecord> {
    const f = await this.store.getFile(id);
    if (f === null) throw new FileError('NOT_FOUND', `file ${id} not found`);
    return f;
  }

  list(query: FileListQuery): Promise<FileRecord[]> {
    return this.store.listFiles(query);
  }

  /** Why the file may not be deleted now (every reason), or [] */
  async usage(file: FileRecord): Promise<string[]> {
    const reasons = await Promise.all(this.#checks.map((c) => c(file)));
    return reasons.filter((r): r is string => r !== null);
  }

  async delete(id: string): Promise<FileRecord> {
    const file = await this.get(id);
    const reasons = await this.usage(file);
    if (reasons.length > 0) throw new FileError('IN_USE', `file ${id} is in use: ${reasons.join('; ')}`);
    await this.store.deleteFile(id);
    await this.#byKind.get(file.storage)?.discard(id);
    return file;
  }

  /** Bytes [start, end] (inclusive) of a file. */
  open(file: FileRecord, start = 0, end = file.size - 1): Readable {
    const blobs = this.#byKind.get(file.storage);
    if (blobs === undefined) throw new FileError('NOT_FOUND', `file ${file.id}: its content is in a ${file.storage} this process does not have`);
    return blobs.read(file, start, end);
  }
}

/** Why `file` is not for a device, or null (empty applicability fields match anything). */
export function notApplicable(file: FileApplicability, device: { oui: string; productClass: string; softwareVersion?: string | null }): string | null {
  if (file.oui !== '' && file.oui.toUpperCase() !== device.oui.toUpperCase()) return `the file is for OUI ${file.oui}, the device's is ${device.oui}`;
  if (file.productClass !== '' && file.productClass !== device.productClass) return `the file is for product class ${file.productClass}, the device's is ${device.productClass}`;
  const v = device.softwareVersion;
  if (file.fromVersions.length > 0 && v !== undefined && v !== null && !file.fromVersions.includes(v)) {
    return `the file upgrades from ${file.fromVersions.join(', ')}, the device runs ${v}`;
  }
  return null;
}
