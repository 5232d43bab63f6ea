/**
 * `flotilla migrate` moves the repository's bytes with its rows: SQLite (a directory, and the
 * odd file kept in the store's chunks) → PostgreSQL (chunked rows every process serves) → SQLite
 * again, each file read back byte for byte, and a source whose bytes do not match their record
 * stops the copy with the file named and leaves the target empty.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { fileMover } from '../../src/cli/migrate-files.js';
import { DirBlobs, StoreBlobs } from '../../src/files/blobs.js';
import { FileRepository } from '../../src/files/repository.js';
import { migrateStore, verifyStores } from '../../src/store/migrate.js';
import { createPostgresStore } from '../../src/store/postgres/index.js';
import { createSqliteStore } from '../../src/store/sqlite/index.js';
import type { FileRecord, Store } from '../../src/store/types.js';
import { claimPgShared, createTestDatabase, describePg, sql, type TestDatabase } from '../store/pg-helpers.js';

const describeWithPg = await describePg();

async function bytesOf(blobs: DirBlobs | StoreBlobs, f: FileRecord): Promise<Buffer> {
  if (f.size === 0) return Buffer.alloc(0);
  const parts: Buffer[] = [];
  for await (const p of blobs.read(f, 0, f.size - 1)) parts.push(p as Buffer);
  return Buffer.concat(parts);
}

async function migrateWithContent(from: string, to: string): Promise<{ files: number; bytes: number }> {
  const mover = fileMover(from, to);
  try {
    const report = await migrateStore(from, to, { onFile: mover.onFile });
    expect(report.ok).toBe(true);
    return { ...mover.copied };
  } catch (e) {
    await mover.discard();
    throw e;
  } finally {
    await mover.close();
  }
}

describeWithPg('file content across flotilla migrate', () => {
  let release: () => void = () => undefined;
  const dirs: string[] = [];
  const dbs: TestDatabase[] = [];
  const contents = new Map<string, Buffer>();
  let source = '';

  beforeAll(async () => {
    release = await claimPgShared();
    source = await mkdtemp(join(tmpdir(), 'flotilla-migrate-files-'));
    dirs.push(source);
    const store = await createSqliteStore({ dataDir: source });
    const repo = new FileRepository({ store, blobs: new DirBlobs(join(source, 'files')) });
    const add = async (name: string, bytes: Buffer, inStore = false) => {
      const f = await repo.upload({ name, fileType: '1 Firmware Upgrade Image', version: name }, (async function* () {
        // In pieces, as a request body arrives.
        for (let at = 0; at < bytes.length; at += 65_536) yield bytes.subarray(at, at + 65_536);
      })(), { maxBytes: 10 << 20, inStore });
      contents.set(f.id, bytes);
    };
    await add('fw-2.0.bin', randomBytes(700_001)); // several 256 KiB chunks and a partial one
    await add('config.xml', Buffer.from('<config>grüße</config>'), true); // kept in SQLite's chunks
    await add('empty.bin', Buffer.alloc(0));
    await store.close();
  }, 120_000);

  afterAll(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
    for (const d of dbs) await d.drop();
    release();
  });

  const readAll = async (store: Store, blobs: DirBlobs | StoreBlobs) => {
    const out = new Map<string, Buffer>();
    for (const f of await store.listFiles({ limit: 100 })) out.set(f.id, await bytesOf(blobs, f));
    return out;
  };

  it('copies every byte SQLite → PostgreSQL → SQLite, where each target keeps files', async () => {
    const db = await createTestDatabase();
    dbs.push(db);
    const total = [...contents.values()].reduce((a, b) => a + b.length, 0);
    expect(await migrateWithContent(`sqlite:${source}`, db.url)).toEqual({ files: 3, bytes: total });

    const pg = await createPostgresStore({ url: db.url });
    try {
      const files = await pg.listFiles({ limit: 100 });
      expect(files.map((f) => f.storage)).toEqual(['store', 'store', 'store']);
      expect(await readAll(pg, new StoreBlobs(pg))).toEqual(contents);
    } finally {
      await pg.close();
    }
    // The rows' location columns differ between the two; the verification does not count them.
    expect((await verifyStores(`sqlite:${source}`, db.url)).ok).toBe(true);

    const back = await mkdtemp(join(tmpdir(), 'flotilla-migrate-files-'));
    dirs.push(back);
    expect(await migrateWithContent(db.url, `sqlite:${back}`)).toEqual({ files: 3, bytes: total });
    const sqlite = await createSqliteStore({ dataDir: back });
    try {
      const files = await sqlite.listFiles({ limit: 100 });
      expect(files.map((f) => f.storage)).toEqual(['dir', 'dir', 'dir']);
      expect(await readAll(sqlite, new DirBlobs(join(back, 'files')))).toEqual(contents);
      const fw = files.find((f) => f.name === 'fw-2.0.bin')!;
      expect((await readFile(join(back, 'files', fw.id))).equals(contents.get(fw.id)!)).toBe(true);
    } finally {
      await sqlite.close();
    }
  });

  it('stops at a file whose bytes differ from its record, names it, and leaves the target empty', async () => {
    const store = await createSqliteStore({ dataDir: source });
    const fw = (await store.listFiles({ limit: 100 })).find((f) => f.name === 'fw-2.0.bin')!;
    await store.close();
    const path = join(source, 'files', fw.id);
    const good = await readFile(path);
    const bad = Buffer.from(good);
    bad[123_456] = bad[123_456]! ^ 0xff;
    await writeFile(path, bad);
    try {
      for (const broken of [bad, null]) {
        if (broken === null) await rm(path);
        const db = await createTestDatabase();
        dbs.push(db);
        const failed = migrateWithContent(`sqlite:${source}`, db.url);
        await expect(failed).rejects.toThrow(new RegExp(`file ${fw.id} \\(fw-2\\.0\\.bin\\)`));
        expect(await sql(db.url, 'SELECT id FROM files')).toEqual([]);
        expect(await sql(db.url, 'SELECT file_id FROM file_chunks')).toEqual([]);
        expect(await sql(db.url, 'SELECT id FROM devices')).toEqual([]);
      }
    } finally {
      await writeFile(path, good);
    }
  });
});
