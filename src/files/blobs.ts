/**
 * Where a file's bytes live. Two places, one interface: a directory (the default next to
 * SQLite: one file per id, written under a temporary name and renamed when complete), or the
 * store's chunked rows (PostgreSQL: every ACS process and host serves every file). Both are
 * streamed both ways: a writer holds one chunk, a reader a few.
 */
import { createReadStream } from 'node:fs';
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import type { FileRecord, FileStore } from '../store/types.js';

export interface BlobStore {
  readonly kind: FileRecord['storage'];
  /** Bytes per chunk in the store (0 for a directory). */
  readonly chunkSize: number;
  /**
   * Store every byte `source` yields under `id`. Throws (with nothing kept) if the source
   * throws; `discard` removes what a completed write stored when a later check fails.
   */
  write(id: string, source: AsyncIterable<Buffer>): Promise<void>;
  discard(id: string): Promise<void>;
  /** Bytes [start, end] (inclusive) of a stored file. */
  read(file: Pick<FileRecord, 'id' | 'size' | 'chunkSize' | 'storage'>, start: number, end: number): Readable;
}

/** `<dir>/<id>`; ids are our own (random, url-safe), never a name someone sent. */
export class DirBlobs implements BlobStore {
  readonly kind = 'dir' as const;
  readonly chunkSize = 0;
  readonly #dir: string;

  constructor(dir: string) {
    this.#dir = dir;
  }

  #path(id: string): string {
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(id)) throw new Error(`not a file id: ${id}`);
    return join(this.#dir, id);
  }

  async write(id: string, source: AsyncIterable<Buffer>): Promise<void> {
    await mkdir(this.#dir, { recursive: true });
    const part = `${this.#path(id)}.part`;
    // Opened before the copy starts: a stream that opens its own file may still be opening it
    // when a failed source has the pipeline give up, and would create it after the rm below.
    const file = await open(part, 'w', 0o600);
    try {
      await pipeline(Readable.from(source), file.createWriteStream());
      await rename(part, this.#path(id));
    } catch (e) {
      await file.close().catch(() => undefined);
      await rm(part, { force: true });
      throw e;
    }
  }

  async discard(id: string): Promise<void> {
    await rm(this.#path(id), { force: true });
    await rm(`${this.#path(id)}.part`, { force: true });
  }

  read(file: Pick<FileRecord, 'id'>, start: number, end: number): Readable {
    return createReadStream(this.#path(file.id), { start, end, highWaterMark: 256 * 1024 });
  }

  /** Whether the bytes exist (for start-up checks and tests). */
  async has(id: string): Promise<boolean> {
    return stat(this.#path(id)).then(
      () => true,
      () => false,
    );
  }
}

/** Chunks of the store's file_chunks table; a write flushes `batch` chunks per statement. */
export class StoreBlobs implements BlobStore {
  readonly kind = 'store' as const;
  readonly chunkSize: number;
  readonly #store: FileStore;
  readonly #batch: number;

  constructor(store: FileStore, opts: { chunkSize?: number; batch?: number } = {}) {
    this.#store = store;
    this.chunkSize = opts.chunkSize ?? 256 * 1024;
    this.#batch = Math.max(1, opts.batch ?? 4);
  }

  async write(id: string, source: AsyncIterable<Buffer>): Promise<void> {
    const size = this.chunkSize;
    let pending: { seq: number; data: Buffer }[] = [];
    let seq = 0;
    let parts: Buffer[] = [];
    let have = 0;
    const cut = (): void => {
      const all = parts.length === 1 ? parts[0]! : Buffer.concat(parts, have);
      let at = 0;
      while (all.length - at >= size) {
        pending.push({ seq: seq++, data: Buffer.from(all.subarray(at, at + size)) });
        at += size;
      }
      parts = at < all.length ? [Buffer.from(all.subarray(at))] : [];
      have = all.length - at;
    };
    try {
      for await (const piece of source) {
        parts.push(piece);
        have += piece.length;
        if (have >= size) cut();
        if (pending.length >= this.#batch) {
          await this.#store.putFileChunks(id, pending);
          pending = [];
        }
      }
      if (have > 0) pending.push({ seq: seq++, data: parts.length === 1 ? parts[0]! : Buffer.concat(parts, have) });
      if (pending.length > 0) await this.#store.putFileChunks(id, pending);
    } catch (e) {
      await this.#store.deleteFileChunks(id).catch(() => undefined);
      throw e;
    }
  }

  async discard(id: string): Promise<void> {
    await this.#store.deleteFileChunks(id);
  }

  read(file: Pick<FileRecord, 'id' | 'chunkSize'>, start: number, end: number): Readable {
    const store = this.#store;
    const size = file.chunkSize;
    const batch = this.#batch;
    async function* chunks(): AsyncGenerator<Buffer> {
      let seq = Math.floor(start / size);
      let offset = seq * size;
      while (offset <= end) {
        const got = await store.readFileChunks(file.id, seq, batch);
        if (got.length === 0) throw new Error(`file ${file.id}: content missing at chunk ${seq}`);
        for (const c of got) {
          const from = Math.max(0, start - offset);
          const to = Math.min(c.length, end - offset + 1);
          if (to > from) yield from === 0 && to === c.length ? c : c.subarray(from, to);
          offset += c.length;
          seq++;
          if (offset > end) return;
        }
      }
    }
    return Readable.from(chunks(), { objectMode: false, highWaterMark: 1 });
  }
}
