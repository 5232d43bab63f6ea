/**
 * The file service: the repository (src/files/repository.ts) under the API, and what a
 * download task of a repository file needs — the URL the device fetches (signed for it, the
 * task's CommandKey and an expiry: src/files/signing.ts), FileSize, TargetFileName, FileType.
 * It knows nothing of HTTP: the route hands it a query and the request's body as a stream.
 */
import { FileError, newFileId, notApplicable, type FileRepository, type NewFile } from '../files/repository.js';
import type { UrlSigner } from '../files/signing.js';
import { parseDeviceId } from '../store/device-id.js';
import type { FileListQuery, FileRecord, TransferLogEntry, TransferLogQuery } from '../store/types.js';
import type { Task } from '../tasks/types.js';
import { conflict, invalidArgument, notFound, ServiceError } from './errors.js';
import type { CampaignFile, CampaignFiles } from './campaigns.js';
import { unifiedDiff, type DiffResult } from './diff.js';

export interface FileServiceOptions {
  repo: FileRepository;
  signer: UrlSigner;
  /** The transfer endpoint's base URL as devices reach it (no trailing slash); may be known only after listening. */
  publicUrl: () => string;
  /** Largest file accepted (bytes). */
  maxUploadBytes: number;
  now?: () => number;
}

export type DownloadTask = Extract<Task, { type: 'download' }>;
export type UploadTask = Extract<Task, { type: 'upload' }>;

/** A campaign's view of a repository file, with what its download task needs besides. */
export type RepositoryCampaignFile = CampaignFile & Pick<FileRecord, 'size' | 'targetFileName'>;

/** A signed URL outlives its task by this much (a transfer started just before the deadline finishes). */
const URL_GRACE_MS = 86_400_000;
/** Largest file a diff reads (configuration files are kilobytes; logs rarely more). */
/** The FileType of a device's configuration backup (TR-069 Table A.8: Upload). */
export const CONFIG_FILE_TYPE = '1 Vendor Configuration File';
export const DIFF_MAX_BYTES = 4 * 1024 * 1024;
/** A task without a deadline gets a URL valid this long. */
const URL_DEFAULT_MS = 30 * 86_400_000;

export function serviceErrorOf(e: unknown): unknown {
  if (!(e instanceof FileError)) return e;
  switch (e.code) {
    case 'NOT_FOUND':
      return new ServiceError('NOT_FOUND', e.message);
    case 'IN_USE':
      return conflict(e.message);
    case 'TOO_LARGE':
      return new ServiceError('TOO_LARGE', e.message);
    default:
      return invalidArgument(e.message);
  }
}

async function mapped<T>(p: Promise<T>): Promise<T> {
  try {
    return await p;
  } catch (e) {
    throw serviceErrorOf(e);
  }
}

export class FileService {
  readonly repo: FileRepository;
  readonly #o: FileServiceOptions;
  readonly #now: () => number;

  constructor(opts: FileServiceOptions) {
    this.repo = opts.repo;
    this.#o = opts;
    this.#now = opts.now ?? Date.now;
  }

  get maxUploadBytes(): number {
    return this.#o.maxUploadBytes;
  }

  upload(meta: NewFile, body: AsyncIterable<Buffer>, checks: { sha256?: string; size?: number; declaredLength?: number }): Promise<FileRecord> {
    if (checks.declaredLength !== undefined && checks.declaredLength > this.#o.maxUploadBytes) {
      return Promise.reject(new ServiceError('TOO_LARGE', `the file is larger than ${this.#o.maxUploadBytes} bytes`));
    }
    return mapped(this.repo.upload(meta, body, { ...checks, maxBytes: this.#o.maxUploadBytes }));
  }

  get(id: string): Promise<FileRecord> {
    return mapped(this.repo.get(id));
  }

  list(query: FileListQuery): Promise<FileRecord[]> {
    return this.repo.list(query);
  }

  delete(id: string): Promise<FileRecord> {
    return mapped(this.repo.delete(id));
  }

  /** A device's own files (backups, logs), newest first. */
  deviceFiles(deviceId: string, query: Omit<FileListQuery, 'deviceId'>): Promise<FileRecord[]> {
    return this.repo.list({ ...query, deviceId });
  }

  /** One of the device's own files; NOT_FOUND for another device's (no telling which exist). */
  async deviceFile(deviceId: string, fileId: string): Promise<FileRecord> {
    const f = await this.get(fileId);
    if (f.deviceId !== deviceId) throw notFound(`file ${fileId} of device ${deviceId}`);
    return f;
  }

  /** The whole content of a (small) file, refused past `max` bytes. */
  async text(file: FileRecord, max = DIFF_MAX_BYTES): Promise<string> {
    if (file.size > max) throw invalidArgument(`file ${file.id} is ${file.size} bytes; diffs take files of at most ${max}`);
    const parts: Buffer[] = [];
    for await (const c of this.repo.open(file)) parts.push(c as Buffer);
    return Buffer.concat(parts).toString('utf8');
  }

  /** A text diff of two of a device's files, older first. */
  async diff(deviceId: string, fromId: string, toId: string): Promise<{ from: FileRecord; to: FileRecord; diff: DiffResult }> {
    const from = await this.deviceFile(deviceId, fromId);
    const to = await this.deviceFile(deviceId, toId);
    const label = (f: FileRecord): string => `${f.name} (${new Date(f.createdAt).toISOString()}, sha256 ${f.sha256.slice(0, 12)})`;
    return { from, to, diff: unifiedDiff(await this.text(from), await this.text(to), { from: label(from), to: label(to) }) };
  }

  /** Whatever still uses the file (pending tasks, campaigns …). */
  async usage(id: string): Promise<string[]> {
    return this.repo.usage(await this.get(id));
  }

  transfers(query: TransferLogQuery): Promise<TransferLogEntry[]> {
    return this.repo.store.listTransferLog(query);
  }

  /** The URL that lets `deviceId` fetch `file` until `expiresMs`. */
  signedUrl(file: FileRecord, deviceId: string, commandKey: string, expiresMs: number): string {
    const query = this.#o.signer.query({ fileId: file.id, deviceId, commandKey, expires: Math.ceil(expiresMs / 1000), action: 'get' });
    return `${this.#o.publicUrl()}/files/${file.id}?${query}`;
  }

  /**
   * An upload task without a URL, for one device: the URL on the transfer endpoint that lets
   * this device send this FileType once, stored under a new file id (kept on the task).
   */
  prepareUpload(task: UploadTask, deviceId: string, taskExpiresAt: number | null): UploadTask {
    const fileId = newFileId();
    const expires = taskExpiresAt !== null ? taskExpiresAt + URL_GRACE_MS : this.#now() + URL_DEFAULT_MS;
    const query = this.#o.signer.query({ fileId, deviceId, commandKey: task.commandKey, expires: Math.ceil(expires / 1000), action: 'put', fileType: task.fileType });
    return { ...task, fileId, url: `${this.#o.publicUrl()}/uploads/${fileId}?${query}` };
  }

  /**
   * The backup of a device's configuration (or its logs, with another FileType): an upload
   * task signed for this device, as campaigns (`backupFirst`) and scheduled backups queue it.
   */
  backupTask(deviceId: string, commandKey: string, fileType: string, taskExpiresAt: number | null): UploadTask {
    return this.prepareUpload({ type: 'upload', commandKey, fileType, url: '', username: '', password: '', delaySeconds: 0 }, deviceId, taskExpiresAt);
  }

  /** The repository as campaigns see it (src/services/campaigns.ts): version, type, applicability, and size and name for the task. */
  campaignFiles(): CampaignFiles & { get(id: string): Promise<RepositoryCampaignFile | null> } {
    return {
      get: async (id) => {
        const f = await this.repo.store.getFile(id);
        if (f === null || f.deviceId !== null) return null;
        const applicability = {
          ...(f.oui !== '' ? { oui: [f.oui] } : {}),
          ...(f.productClass !== '' ? { productClass: [f.productClass] } : {}),
          ...(f.fromVersions.length > 0 ? { fromVersions: f.fromVersions } : {}),
        };
        return { id: f.id, version: f.version, fileType: f.fileType, applicability: Object.keys(applicability).length > 0 ? applicability : null, size: f.size, targetFileName: f.targetFileName };
      },
    };
  }

  /**
   * A campaign's download task for one device (src/services/campaign-runner.ts
   * DownloadTaskFactory), from a file `campaignFiles().get` returned: the signed URL, size and
   * names filled in, as `prepareDownload` does for the API's tasks.
   */
  downloadTask(file: CampaignFile, deviceId: string, commandKey: string, taskExpiresAt: number | null = null): DownloadTask {
    const f = file as Partial<RepositoryCampaignFile> & CampaignFile;
    // The URL outlives the task (a device that took it late still gets its file).
    const expires = taskExpiresAt !== null ? Math.max(taskExpiresAt + URL_GRACE_MS, this.#now() + URL_GRACE_MS) : this.#now() + URL_DEFAULT_MS;
    const query = this.#o.signer.query({ fileId: f.id, deviceId, commandKey, expires: Math.ceil(expires / 1000), action: 'get' });
    return {
      type: 'download',
      fileId: f.id,
      commandKey,
      fileType: f.fileType,
      url: `${this.#o.publicUrl()}/files/${f.id}?${query}`,
      username: '',
      password: '',
      fileSize: f.size ?? 0,
      targetFileName: f.targetFileName ?? '',
      delaySeconds: 0,
      successURL: '',
      failureURL: '',
    };
  }

  /**
   * A download task of a repository file, filled in for one device: refused when the file is
   * missing, or made for another OUI/ProductClass, or another device's own file. `files`
   * caches lookups across the devices of one bulk call.
   */
  async prepareDownload(task: DownloadTask, deviceId: string, taskExpiresAt: number | null, files?: Map<string, FileRecord>): Promise<DownloadTask> {
    const fileId = task.fileId;
    if (fileId === undefined) return task;
    let file = files?.get(fileId);
    if (file === undefined) {
      const found = await this.repo.store.getFile(fileId);
      if (found === null) throw new ServiceError('INVALID_TASK', `fileId: no file ${fileId}`);
      file = found;
      files?.set(fileId, file);
    }
    if (file.deviceId !== null && file.deviceId !== deviceId) throw new ServiceError('INVALID_TASK', `fileId: file ${fileId} belongs to another device`);
    const parsed = parseDeviceId(deviceId);
    if (parsed === null) throw notFound(`device ${deviceId}`);
    const why = notApplicable({ ...file, fromVersions: [] }, parsed);
    if (why !== null) throw new ServiceError('INVALID_TASK', `fileId: ${why}`);
    const expires = taskExpiresAt !== null ? taskExpiresAt + URL_GRACE_MS : this.#now() + URL_DEFAULT_MS;
    return {
      ...task,
      fileType: task.fileType !== '' ? task.fileType : file.fileType,
      url: this.signedUrl(file, deviceId, task.commandKey, expires),
      fileSize: file.size,
      targetFileName: task.targetFileName !== '' ? task.targetFileName : file.targetFileName,
    };
  }
}
