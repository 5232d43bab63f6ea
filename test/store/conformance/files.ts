/**
 * Concern: the file repository (src/store/concerns/files.ts): metadata, chunked content,
 * the in-use query, the transfer log.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import type { FileRecord, Store, TransferLogEntry } from '../../../src/store/types.js';
import { T0, harness, idOf, type StoreFixture } from './harness.js';

export const fileOf = (id: string, over: Partial<FileRecord> = {}): FileRecord => ({
  id,
  name: `${id}.bin`,
  fileType: '1 Firmware Upgrade Image',
  version: '2.0.0',
  size: 10,
  sha256: 'ab'.repeat(32),
  targetFileName: `${id}.bin`,
  oui: '00D09E',
  productClass: 'IGD',
  fromVersions: ['1.0.0', '1.1.0'],
  storage: 'store',
  chunkSize: 4,
  deviceId: null,
  createdAt: T0,
  ...over,
});

export function filesConformance(name: string, factory: () => Promise<StoreFixture>): void {
  describe(`Store conformance, files: ${name}`, () => {
    const h = harness(factory);
    let store: Store;
    beforeEach(() => {
      store = h.store;
    });

    it('files: create, get (applicability round-trips), list newest first per owner and type, delete', async () => {
      const a = fileOf('fa', { createdAt: T0 });
      const b = fileOf('fb', { createdAt: T0 + 1, fileType: '3 Vendor Configuration File', version: '', fromVersions: [] });
      const mine = fileOf('fc', { createdAt: T0 + 2, deviceId: idOf('S1'), fileType: '1 Vendor Configuration File' });
      for (const f of [a, b, mine]) await store.createFile(f);
      expect(await store.getFile('fa')).toEqual(a);
      expect(await store.getFile('nope')).toBeNull();
      await expect(store.createFile(a)).rejects.toThrow();
      expect((await store.listFiles({})).map((f) => f.id)).toEqual(['fb', 'fa']);
      expect((await store.listFiles({ fileType: '1 Firmware Upgrade Image' })).map((f) => f.id)).toEqual(['fa']);
      expect((await store.listFiles({ limit: 1 })).map((f) => f.id)).toEqual(['fb']);
      expect((await store.listFiles({ before: { createdAt: b.createdAt, id: b.id } })).map((f) => f.id)).toEqual(['fa']);
      expect(await store.listFiles({ deviceId: idOf('S1') })).toEqual([mine]);
      expect(await store.listFiles({ deviceId: idOf('S2') })).toEqual([]);
      expect(await store.deleteFile('fa')).toBe(true);
      expect(await store.deleteFile('fa')).toBe(false);
      expect(await store.getFile('fa')).toBeNull();
    });

    it('chunks: written in batches, read back in order by window, deleted with the file or alone', async () => {
      const bytes = Buffer.from('0123456789');
      await store.putFileChunks('fa', [
        { seq: 0, data: bytes.subarray(0, 4) },
        { seq: 1, data: bytes.subarray(4, 8) },
      ]);
      await store.putFileChunks('fa', [{ seq: 2, data: bytes.subarray(8) }]);
      await store.putFileChunks('fb', [{ seq: 0, data: Buffer.from([0, 255, 1]) }]);
      expect(Buffer.concat(await store.readFileChunks('fa', 0, 10)).toString()).toBe('0123456789');
      expect((await store.readFileChunks('fa', 1, 1)).map((b) => b.toString())).toEqual(['4567']);
      expect(await store.readFileChunks('fa', 3, 2)).toEqual([]);
      expect([...(await store.readFileChunks('fb', 0, 1))[0]!]).toEqual([0, 255, 1]);
      await store.createFile(fileOf('fa'));
      expect(await store.deleteFile('fa')).toBe(true);
      expect(await store.readFileChunks('fa', 0, 10)).toEqual([]);
      await store.deleteFileChunks('fb');
      expect(await store.readFileChunks('fb', 0, 10)).toEqual([]);
    });

    it('countPendingFileTasks: queued or running download tasks naming the file, not finished ones or other files', async () => {
      const dev = idOf('S1');
      const download = (fileId: string) => ({
        type: 'download' as const,
        fileId,
        commandKey: 'k',
        fileType: '1 Firmware Upgrade Image',
        url: 'http://x/',
        username: '',
        password: '',
        fileSize: 10,
        targetFileName: 'f',
        delaySeconds: 0,
        successURL: '',
        failureURL: '',
      });
      const [t1] = await store.createTasks([{ deviceId: dev, task: download('fa') }, { deviceId: dev, task: download('fa') }, { deviceId: dev, task: download('fz') }], T0);
      expect(await store.countPendingFileTasks('fa')).toBe(2);
      expect(await store.countPendingFileTasks('fz')).toBe(1);
      expect(await store.countPendingFileTasks('nothing')).toBe(0);
      expect(await store.deleteTask(t1!.id)).toBe(true);
      expect(await store.countPendingFileTasks('fa')).toBe(1);
    });

    it("deleteDevice takes the device's own files and their chunks, and nothing else", async () => {
      const dev = idOf('S1');
      await h.inform(dev);
      await store.putFileChunks('own', [{ seq: 0, data: Buffer.from('cfg') }]);
      await store.createFile(fileOf('own', { deviceId: dev, storage: 'store' }));
      await store.putFileChunks('shared', [{ seq: 0, data: Buffer.from('fw') }]);
      await store.createFile(fileOf('shared'));
      await store.createFile(fileOf('other', { deviceId: idOf('S2') }));
      expect(await store.deleteDevice(dev)).toBe(true);
      expect(await store.getFile('own')).toBeNull();
      expect(await store.readFileChunks('own', 0, 1)).toEqual([]);
      expect((await store.getFile('shared'))?.id).toBe('shared');
      expect((await store.readFileChunks('shared', 0, 1)).length).toBe(1);
      expect((await store.getFile('other'))?.id).toBe('other');
    });

    it('transfer log: appended, listed newest first, by file and by device', async () => {
      const e = (n: number, over: Partial<TransferLogEntry> = {}): TransferLogEntry => ({
        at: T0 + n,
        deviceId: idOf('S1'),
        fileId: 'fa',
        method: 'GET',
        status: 200,
        bytes: 100 * n,
        outcome: 'complete',
        auth: 'signed',
        remote: '127.0.0.1',
        commandKey: 'k1',
        durationMs: 5,
        ...over,
      });
      await store.appendTransferLog(e(1));
      await store.appendTransferLog(e(2, { fileId: 'fb', status: 206, outcome: 'aborted' }));
      await store.appendTransferLog(e(3, { deviceId: null, fileId: null, status: 401, bytes: 0, outcome: 'refused: no credentials', auth: 'none', commandKey: null }));
      expect(await store.listTransferLog({})).toEqual([e(3, { deviceId: null, fileId: null, status: 401, bytes: 0, outcome: 'refused: no credentials', auth: 'none', commandKey: null }), e(2, { fileId: 'fb', status: 206, outcome: 'aborted' }), e(1)]);
      expect((await store.listTransferLog({ fileId: 'fa' })).map((x) => x.at)).toEqual([T0 + 1]);
      expect((await store.listTransferLog({ deviceId: idOf('S1') })).map((x) => x.at)).toEqual([T0 + 2, T0 + 1]);
      expect((await store.listTransferLog({ limit: 1 })).map((x) => x.at)).toEqual([T0 + 3]);
      // Retention: older than the bound goes, the rest stays.
      expect(await store.pruneTransferLog(T0 + 3)).toBe(2);
      expect((await store.listTransferLog({})).map((x) => x.at)).toEqual([T0 + 3]);
      expect(await store.pruneTransferLog(T0)).toBe(0);
    });
  });
}
