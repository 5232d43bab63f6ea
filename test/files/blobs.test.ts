/**
 * Where a file's bytes live (src/files/blobs.ts), both ways: written in pieces of any size,
 * read back by any range — across chunk boundaries in the store's rows (the PostgreSQL layout,
 * here with small chunks on SQLite and on the real PostgreSQL), and from a directory. A write
 * that fails leaves nothing.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DirBlobs, StoreBlobs, type BlobStore } from '../../src/files/blobs.js';
import { createSqliteStore } from '../../src/store/sqlite/index.js';
import type { Store } from '../../src/store/types.js';
import { createPostgresStore } from '../../src/store/postgres/index.js';
import { createTestDatabase, describePg, type TestDatabase } from '../store/pg-helpers.js';

const describeWithPg = await describePg();
const BYTES = randomBytes(10_000);

/** `bytes` cut into pieces of the given sizes (the rest as one last piece). */
async function* pieces(bytes: Buffer, sizes: number[]): AsyncGenerator<Buffer> {
  let at = 0;
  for (const s of sizes) {
    if (at >= bytes.length) return;
    yield bytes.subarray(at, at + s);
    at += s;
  }
  if (at < bytes.length) yield bytes.subarray(at);
}

async function readAll(blobs: BlobStore, id: string, size: number, start: number, end: number, chunkSize: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of blobs.read({ id, size, chunkSize, storage: blobs.kind }, start, end)) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

function roundTrips(name: string, make: () => { blobs: BlobStore; chunkSize: number }): void {
  it(`${name}: any split in, any range out`, async () => {
    const { blobs, chunkSize } = make();
    let n = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 1, max: 3000 }), { maxLength: 8 }), fc.integer({ min: 0, max: 9_999 }), fc.integer({ min: 0, max: 9_999 }), async (sizes, a, b) => {
        const id = `f${n++}`;
        await blobs.write(id, pieces(BYTES, sizes));
        const [start, end] = a <= b ? [a, b] : [b, a];
        expect((await readAll(blobs, id, BYTES.length, start, end, chunkSize)).equals(BYTES.subarray(start, end + 1))).toBe(true);
        expect((await readAll(blobs, id, BYTES.length, 0, BYTES.length - 1, chunkSize)).equals(BYTES)).toBe(true);
        await blobs.discard(id);
      }),
      { numRuns: 25 },
    );
  });

  it(`${name}: a source that throws midway leaves nothing`, async () => {
    const { blobs, chunkSize } = make();
    async function* broken(): AsyncGenerator<Buffer> {
      yield BYTES.subarray(0, 4000);
      throw new Error('connection reset');
    }
    await expect(blobs.write('broken', broken())).rejects.toThrow('connection reset');
    await expect(readAll(blobs, 'broken', 4000, 0, 3999, chunkSize)).rejects.toThrow();
  });
}

describe('blobs on SQLite and a directory', () => {
  let dir: string;
  let store: Store;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'flotilla-blobs-'));
    store = await createSqliteStore({ dataDir: dir });
  });
  afterAll(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });
  roundTrips('store rows (1000-byte chunks, 3 per statement)', () => ({ blobs: new StoreBlobs(store, { chunkSize: 1000, batch: 3 }), chunkSize: 1000 }));
  roundTrips('directory', () => ({ blobs: new DirBlobs(join(dir, 'files')), chunkSize: 0 }));
  it('the directory keeps no partial file after a failed write', async () => {
    expect((await readdir(join(dir, 'files'))).filter((f) => f.startsWith('broken'))).toEqual([]);
  });
});

describeWithPg('blobs on PostgreSQL', () => {
  let db: TestDatabase;
  let store: Store;
  beforeAll(async () => {
    db = await createTestDatabase();
    store = await createPostgresStore({ url: db.url, poolSize: 2 });
  });
  afterAll(async () => {
    await store?.close();
    await db?.drop();
  });
  roundTrips('store rows (1000-byte chunks, 3 per statement)', () => ({ blobs: new StoreBlobs(store, { chunkSize: 1000, batch: 3 }), chunkSize: 1000 }));
});
