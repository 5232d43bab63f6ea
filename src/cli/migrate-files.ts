/**
 * The bytes of the repository's files (firmware, backups, logs) for `flotilla migrate`:
 * src/store/migrate.ts copies rows and calls this for each file row. Each file is streamed from
 * where the source keeps it (a directory under the source's data directory, or the source
 * store's chunks) to where the target keeps files (PostgreSQL: chunked rows, so every ACS
 * process can serve it; SQLite: the target's data directory), its size and SHA-256 checked
 * against the row on the way. A failed check aborts the copy and removes what was written.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { DirBlobs, StoreBlobs, type BlobStore } from '../files/blobs.js';
import type { MigratedFile } from '../store/migrate.js';
import { openStore, storeKind } from '../store/open.js';
import type { Store } from '../store/types.js';

export interface FileMover {
  onFile: (file: MigratedFile) => Promise<{ storage: string; chunkSize: number }>;
  /** Files copied and their bytes. */
  readonly copied: { files: number; bytes: number };
  /** After a failed copy: remove the bytes written so far from the target. */
  discard(): Promise<void>;
  close(): Promise<void>;
}

const sqliteDir = (location: string): string | null => (location.startsWith('sqlite:') ? location.slice('sqlite:'.length) : null);

/** `from` and `to` as `flotilla migrate` takes them: `sqlite:<dir>` or `postgres://…`. */
export function fileMover(from: string, to: string): FileMover {
  const opened: Store[] = [];
  const written: string[] = [];
  const copied = { files: 0, bytes: 0 };
  // Stores are opened on first use, after migrateStore has opened (and migrated) the target.
  const lazyStore = (location: string): (() => Promise<Store>) => {
    let store: Promise<Store> | undefined;
    return () => {
      store ??= openStore({ db: location, dataDir: sqliteDir(location) ?? '', migrate: false }).then((s) => {
        opened.push(s);
        return s;
      });
      return store;
    };
  };
  const sourceStore = lazyStore(from);
  const targetStore = lazyStore(to);
  const sourceDir = sqliteDir(from);
  const targetDir = sqliteDir(to);
  let target: Promise<BlobStore> | undefined;
  const targetBlobs = (): Promise<BlobStore> =>
    (target ??= storeKind(to) === 'postgres' ? targetStore().then((s) => new StoreBlobs(s)) : Promise.resolve(new DirBlobs(join(targetDir!, 'files'))));

  async function sourceBlobs(file: MigratedFile): Promise<BlobStore> {
    if (file.storage === 'store') return new StoreBlobs(await sourceStore());
    if (sourceDir === null) throw new Error(`file ${file.id} (${file.name}) is kept in a directory, but the source is not a SQLite data directory`);
    return new DirBlobs(join(sourceDir, 'files'));
  }

  return {
    copied,
    async onFile(file) {
      const src = await sourceBlobs(file);
      const dst = await targetBlobs();
      const hash = createHash('sha256');
      let size = 0;
      const bytes = file.size === 0 ? [] : src.read({ id: file.id, size: file.size, chunkSize: file.chunkSize, storage: file.storage as 'dir' | 'store' }, 0, file.size - 1);
      async function* checked(): AsyncGenerator<Buffer> {
        for await (const piece of bytes as AsyncIterable<Buffer>) {
          size += piece.length;
          hash.update(piece);
          yield piece;
        }
      }
      written.push(file.id);
      try {
        await dst.write(file.id, checked());
      } catch (e) {
        throw new Error(`file ${file.id} (${file.name}): its content could not be copied: ${(e as Error).message}`, { cause: e });
      }
      const sha256 = hash.digest('hex');
      if (size !== file.size || sha256 !== file.sha256) {
        throw new Error(`file ${file.id} (${file.name}): the source's content does not match its record (${size} bytes, sha256 ${sha256}; recorded ${file.size} bytes, ${file.sha256})`);
      }
      copied.files++;
      copied.bytes += size;
      return { storage: dst.kind, chunkSize: dst.chunkSize };
    },
    async discard() {
      const dst = await targetBlobs();
      for (const id of written) await dst.discard(id).catch(() => undefined);
    },
    async close() {
      await Promise.all(opened.map((s) => s.close()));
    },
  };
}
