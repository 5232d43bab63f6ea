/**
 * The TR-143 test endpoints (src/measure/server.ts) over real sockets: sizes as asked, uploads
 * counted, UDPEcho plus fields filled, and what a hostile client gets (bad sizes, too large,
 * wrong methods and paths, too many at once).
 */
import dgram from 'node:dgram';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMeasure, type MeasureServer } from '../../src/measure/server.js';

let m: MeasureServer;
beforeAll(async () => {
  m = await startMeasure({ host: '127.0.0.1', port: 0, maxBytes: 8 * 1024 * 1024, maxConcurrent: 2 });
});
afterAll(async () => m?.close());

describe('HTTP', () => {
  it('GET /download?size=N and /download/N stream exactly N bytes', async () => {
    for (const path of ['/download?size=1000003', '/download/70000', '/download?size=0']) {
      const r = await fetch(`${m.url}${path}`);
      expect(r.status).toBe(200);
      const n = Number(/(\d+)$/.exec(path)![1]);
      expect(r.headers.get('content-length')).toBe(String(n));
      expect((await r.arrayBuffer()).byteLength).toBe(n);
    }
  });

  it('PUT /upload drains the body and says how much came', async () => {
    const before = m.counters.bytesReceived;
    const r = await fetch(`${m.url}/upload`, { method: 'PUT', body: Buffer.alloc(300_000, 1) });
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({ bytes: 300_000 });
    expect(m.counters.bytesReceived - before).toBe(300_000);
  });

  it('refuses malformed and oversized requests, other paths and methods', async () => {
    const cases: [string, RequestInit, number][] = [
      ['/download?size=-1', {}, 400],
      ['/download?size=1e9', {}, 400],
      ['/download?size=', {}, 400],
      ['/download?size=99999999999999999999', {}, 400],
      [`/download?size=${8 * 1024 * 1024 + 1}`, {}, 413],
      ['/download/../../etc/passwd', {}, 404],
      ['/download?size=10', { method: 'POST', body: 'x' }, 405],
      ['/download/12abc', {}, 400],
      ['/upload', { method: 'GET' }, 405],
      ['/upload', { method: 'PUT', body: Buffer.alloc(8 * 1024 * 1024 + 10) }, 413],
      ['/', {}, 404],
      ['/api/v1/devices', {}, 404],
    ];
    for (const [path, init, status] of cases) {
      const r = await fetch(`${m.url}${path}`, init).catch(() => null);
      // An upload cut off mid-body may surface as a reset rather than the 413.
      if (r === null && status === 413) continue;
      expect(r?.status, path).toBe(status);
    }
  });

  it('a lying Content-Length is refused before the body', async () => {
    const reply = await new Promise<string>((resolve) => {
      const sock = net.connect(m.port, '127.0.0.1', () => sock.write('PUT /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 999999999999\r\n\r\n'));
      let text = '';
      sock.on('data', (d) => (text += d.toString()));
      sock.on('close', () => resolve(text));
      sock.on('error', () => resolve(text));
    });
    expect(reply).toMatch(/^HTTP\/1\.1 413/);
  });
});

describe('UDP echo', () => {
  it('echoes; a datagram of 20 bytes or more gets the UDPEcho plus fields after its TestGenSN', async () => {
    const sock = dgram.createSocket('udp4');
    await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
    const ask = (b: Buffer): Promise<Buffer> =>
      new Promise((resolve) => {
        sock.once('message', (msg) => resolve(msg));
        sock.send(b, m.port, '127.0.0.1');
      });
    expect((await ask(Buffer.from('hello'))).toString()).toBe('hello');
    const plus = Buffer.alloc(32);
    plus.writeUInt32BE(77, 0);
    plus.write('payload', 20);
    const a = await ask(plus);
    const b = await ask(plus);
    expect(a.length).toBe(32);
    expect(a.readUInt32BE(0)).toBe(77);
    expect(b.readUInt32BE(4)).toBe(a.readUInt32BE(4) + 1);
    expect(a.readUInt32BE(16)).toBe(0);
    expect(a.subarray(20, 27).toString()).toBe('payload');
    sock.close();
  });
});
