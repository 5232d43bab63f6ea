/**
 * The transfer endpoint's throughput: N concurrent downloads of one file (default 200 of a
 * 32 MiB file) from src/files/transfer.ts — each with its own signed URL, checked, logged —
 * against a floor in the same run: node:http answering every GET with fs.createReadStream of
 * the same bytes, no auth, no log. The clients are a child process (node:http, bodies counted
 * and dropped), so both servers get the same CPU. Printed as MB/s each and their ratio.
 *
 *   npx tsc && node dist/bench/files-transfer.js [--count 200] [--mib 32] [--store dir|sqlite-chunks] [--rounds 1]
 *
 * `--store sqlite-chunks` serves the bytes from the store's chunk rows (what PostgreSQL does)
 * instead of the data directory. Prints a JSON summary as the last line.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DirBlobs, StoreBlobs } from '../src/files/blobs.js';
import { FileRepository } from '../src/files/repository.js';
import { UrlSigner } from '../src/files/signing.js';
import { startTransferServer } from '../src/files/transfer.js';
import { createSqliteStore } from '../src/store/sqlite/index.js';

const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
};

/** The child: fetch every URL at once, count the bytes, print the total and the time. */
if (process.argv[2] === '--client') {
  const urls = JSON.parse(process.argv[3]!) as string[];
  const agent = new http.Agent({ keepAlive: false, maxSockets: urls.length });
  const t0 = performance.now();
  const sizes = await Promise.all(
    urls.map(
      (u) =>
        new Promise<number>((resolve, reject) => {
          http
            .get(u, { agent }, (res) => {
              if (res.statusCode !== 200) reject(new Error(`HTTP ${res.statusCode} for ${u}`));
              let n = 0;
              res.on('data', (c: Buffer) => (n += c.length));
              res.on('end', () => resolve(n));
              res.on('error', reject);
            })
            .on('error', reject);
        }),
    ),
  );
  const ms = performance.now() - t0;
  process.stdout.write(JSON.stringify({ bytes: sizes.reduce((a, b) => a + b, 0), ms }));
  process.exit(0);
}

const count = Number(arg('count', '200'));
const mib = Number(arg('mib', '32'));
const storeKind = arg('store', 'dir');
const rounds = Number(arg('rounds', '1'));
const size = mib * 1024 * 1024;

const dir = await mkdtemp(join(tmpdir(), 'flotilla-bench-files-'));
const store = await createSqliteStore({ dataDir: dir });
const blobs = storeKind === 'dir' ? new DirBlobs(join(dir, 'files')) : new StoreBlobs(store);
const repo = new FileRepository({ store, blobs });
const signer = UrlSigner.random();
// The file, streamed in 1 MiB pieces (as an upload would arrive).
const file = await repo.upload(
  { name: 'bench.bin', fileType: '1 Firmware Upgrade Image', version: '9.9.9' },
  (async function* () {
    for (let left = size; left > 0; left -= 1024 * 1024) yield randomBytes(Math.min(left, 1024 * 1024));
  })(),
  { maxBytes: size },
);
const acs = await startTransferServer({ repo, signer, host: '127.0.0.1', port: 0, realm: 'bench', maxConcurrent: count * 2 });
// The floor: the same bytes from the same place, nothing else (chunk rows have no file: a copy on disk).
const floorPath = storeKind === 'dir' ? join(dir, 'files', file.id) : join(dir, 'floor.bin');
if (storeKind !== 'dir') {
  const { createWriteStream } = await import('node:fs');
  const { pipeline } = await import('node:stream/promises');
  await pipeline(repo.open(file), createWriteStream(floorPath));
}
const floor = http.createServer((_req, res) => {
  res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(size) });
  createReadStream(floorPath).pipe(res);
});
await new Promise<void>((r) => floor.listen(0, '127.0.0.1', r));
const floorUrl = `http://127.0.0.1:${(floor.address() as AddressInfo).port}/f`;

const expires = Math.ceil(Date.now() / 1000) + 3600;
const acsUrls = Array.from({ length: count }, (_, i) => {
  const deviceId = `BENCH-CPE-${String(i).padStart(5, '0')}`;
  return `${acs.url}/files/${file.id}?${signer.query({ fileId: file.id, deviceId, commandKey: `k${i}`, expires, action: 'get' })}`;
});
const floorUrls = Array.from({ length: count }, () => floorUrl);

const self = fileURLToPath(import.meta.url);
function clients(urls: string[]): Promise<{ bytes: number; ms: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [self, '--client', JSON.stringify(urls)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out) as { bytes: number; ms: number }) : reject(new Error(`client exited ${code}`))));
  });
}

const mbps = (r: { bytes: number; ms: number }): number => r.bytes / 1e6 / (r.ms / 1000);
const best = { acs: 0, floor: 0 };
for (let i = 0; i < rounds; i++) {
  const f = await clients(floorUrls);
  if (f.bytes !== size * count) throw new Error(`floor: ${f.bytes} bytes, expected ${size * count}`);
  const a = await clients(acsUrls);
  if (a.bytes !== size * count) throw new Error(`acs: ${a.bytes} bytes, expected ${size * count}`);
  best.floor = Math.max(best.floor, mbps(f));
  best.acs = Math.max(best.acs, mbps(a));
  console.log(`round ${i + 1}: floor ${mbps(f).toFixed(0)} MB/s (${(f.ms / 1000).toFixed(1)} s), transfer endpoint ${mbps(a).toFixed(0)} MB/s (${(a.ms / 1000).toFixed(1)} s)`);
}
// Every request was logged (written as each ends): the log is part of the cost.
const logged = (await store.listTransferLog({ fileId: file.id, limit: 1000 })).length;
await acs.close();
await new Promise<void>((r) => floor.close(() => r()));
await store.close();
await rm(dir, { recursive: true, force: true });

const ratio = best.acs / best.floor;
console.log(`${count} concurrent downloads of ${mib} MiB (${storeKind}): transfer endpoint ${best.acs.toFixed(0)} MB/s, floor (node:http + fs.createReadStream, no auth) ${best.floor.toFixed(0)} MB/s`);
console.log(`ratio transfer endpoint / floor: ${ratio.toFixed(2)}`);
console.log(JSON.stringify({ count, mib, store: storeKind, acsMBps: +best.acs.toFixed(1), floorMBps: +best.floor.toFixed(1), ratio: +ratio.toFixed(3), logged: Math.min(logged, 1000) }));
