/**
 * The transfer endpoint's edges: HTTPS with the existing TLS options (Basic with the device's
 * own credential is accepted over TLS, refused over plain HTTP), the cap on transfers at once
 * (503 with Retry-After while a slow client holds the only slot), and the shared byte budget's
 * arithmetic (a fake clock: no timing in pass/fail).
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { connect } from 'node:tls';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { makeCredential } from '../../src/auth/server.js';
import { DirBlobs } from '../../src/files/blobs.js';
import { FileRepository } from '../../src/files/repository.js';
import { UrlSigner } from '../../src/files/signing.js';
import { ByteRate, parseRange, startTransferServer } from '../../src/files/transfer.js';
import { deviceIdOf } from '../../src/store/device-id.js';
import { createSqliteStore } from '../../src/store/sqlite/index.js';
import type { FileRecord, Store } from '../../src/store/types.js';

let dir: string;
let store: Store;
let repo: FileRepository;
let file: FileRecord;
const signer = UrlSigner.random();
const DEV = deviceIdOf({ oui: '00D09E', productClass: 'IGD', serialNumber: 'L1' });

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'flotilla-transfer-'));
  store = await createSqliteStore({ dataDir: dir });
  repo = new FileRepository({ store, blobs: new DirBlobs(join(dir, 'files')) });
  const bytes = randomBytes(8 * 1024 * 1024);
  file = await repo.upload({ name: 'big.bin', fileType: '1 Firmware Upgrade Image' }, (async function* () {
    yield bytes;
  })(), { maxBytes: bytes.length });
  await store.setCpeCredential(DEV, makeCredential('dev-l1', 'pw-l1', 'Flotilla'));
});

afterAll(async () => {
  await store?.close();
  await rm(dir, { recursive: true, force: true });
});

const basic = `Basic ${Buffer.from('dev-l1:pw-l1').toString('base64')}`;

describe('transfer endpoint limits and TLS', () => {
  it('HTTPS: Basic with the device credential works over TLS; over plain HTTP Basic is refused (Digest only)', async () => {
    const cert = join(dir, 'cert.pem');
    const key = join(dir, 'key.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1'], { stdio: 'ignore' });
    const tls = await startTransferServer({ repo, signer, host: '127.0.0.1', port: 0, realm: 'Flotilla', tls: { cert, key } });
    const plain = await startTransferServer({ repo, signer, host: '127.0.0.1', port: 0, realm: 'Flotilla' });
    try {
      expect(tls.url).toMatch(/^https:/);
      const got = await new Promise<{ status: number; bytes: number }>((resolve, reject) => {
        https
          .get(`${tls.url}/files/${file.id}`, { rejectUnauthorized: false, headers: { authorization: basic, range: 'bytes=0-1023' } }, (res) => {
            let n = 0;
            res.on('data', (c: Buffer) => (n += c.length));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, bytes: n }));
          })
          .on('error', reject);
      });
      expect(got).toEqual({ status: 206, bytes: 1024 });
      const refused = await fetch(`${plain.url}/files/${file.id}`, { headers: { authorization: basic } });
      expect(refused.status).toBe(401);
      expect(refused.headers.get('www-authenticate')).toMatch(/^Digest /);
      expect(refused.headers.get('www-authenticate')).not.toMatch(/Basic/);
      // The same modern TLS settings as the CWMP endpoint (src/auth/tls-settings.ts).
      const port = Number(new URL(tls.url).port);
      const suite = (opts: { ciphers?: string; maxVersion?: 'TLSv1.2'; minVersion?: 'TLSv1.3' }) =>
        new Promise<string>((resolve) => {
          const s = connect({ host: '127.0.0.1', port, rejectUnauthorized: false, ...opts });
          s.once('secureConnect', () => {
            resolve(s.getCipher().name);
            s.destroy();
          });
          s.once('error', () => resolve('refused'));
        });
      expect(await suite({ minVersion: 'TLSv1.3' })).toMatch(/^TLS_/);
      expect(await suite({ maxVersion: 'TLSv1.2', ciphers: 'ECDHE-RSA-AES256-GCM-SHA384' })).toBe('ECDHE-RSA-AES256-GCM-SHA384');
      for (const weak of ['AES128-SHA', 'AES256-SHA256', 'ECDHE-RSA-AES128-SHA']) expect(await suite({ maxVersion: 'TLSv1.2', ciphers: weak }), weak).toBe('refused');
    } finally {
      await tls.close();
      await plain.close();
    }
  });

  it('a second transfer while the only slot is held gets 503 with Retry-After; the slot frees when the first ends', async () => {
    const server = await startTransferServer({ repo, signer, host: '127.0.0.1', port: 0, realm: 'Flotilla', maxConcurrent: 1 });
    const url = (n: number) => `${server.url}/files/${file.id}?${signer.query({ fileId: file.id, deviceId: DEV, commandKey: `k${n}`, expires: Math.ceil(Date.now() / 1000) + 60, action: 'get' })}`;
    try {
      // A client that reads nothing: the server's writes back up and the transfer stays open.
      const slow = http.get(url(1));
      const res = await new Promise<http.IncomingMessage>((resolve) => slow.on('response', resolve));
      res.pause();
      await vi.waitFor(() => expect(server.active()).toBe(1));
      const second = await fetch(url(2));
      expect(second.status).toBe(503);
      expect(second.headers.get('retry-after')).toBe('30');
      slow.destroy();
      await vi.waitFor(() => expect(server.active()).toBe(0));
      const third = await fetch(url(3), { method: 'HEAD' });
      expect(third.status).toBe(200);
    } finally {
      await server.close();
    }
  });

  it('the shared byte budget: a quarter second of burst, then waits in proportion', () => {
    vi.useFakeTimers({ now: 1_000_000 });
    try {
      const rate = new ByteRate(1000);
      expect(rate.take(250)).toBe(0);
      expect(rate.take(500)).toBe(500);
      vi.advanceTimersByTime(500);
      expect(rate.take(0)).toBe(0);
      expect(rate.take(1000)).toBe(1000);
    } finally {
      vi.useRealTimers();
    }
  });

  it('Range parsing: one range, open ends, suffixes, and what falls back to the whole file', () => {
    expect(parseRange('bytes=0-9', 100)).toEqual({ start: 0, end: 9 });
    expect(parseRange('bytes=90-', 100)).toEqual({ start: 90, end: 99 });
    expect(parseRange('bytes=-10', 100)).toEqual({ start: 90, end: 99 });
    expect(parseRange('bytes=50-500', 100)).toEqual({ start: 50, end: 99 });
    expect(parseRange('bytes=100-', 100)).toBe('unsatisfiable');
    expect(parseRange('bytes=-0', 100)).toBe('unsatisfiable');
    for (const h of [undefined, 'bytes=0-1,5-6', 'items=0-1', 'bytes=9-3', 'bytes=-', 'bytes=abc']) expect(parseRange(h, 100)).toBeNull();
  });
});
