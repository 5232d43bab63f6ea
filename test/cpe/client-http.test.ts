/**
 * The CPE's HTTP pieces against real loopback sockets: the connection-request endpoint,
 * file transfers with their TransferComplete fault codes, and diagnostics.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DigestVerifier, parseChallenges, respondTo } from '../../src/auth/client.js';
import { ConnectionRequestServer } from '../../src/cpe/client/connection-request.js';
import { runDiagnostic } from '../../src/cpe/client/diagnostics.js';
import { closeTransferAgents, request as httpRequest } from '../../src/cpe/client/http.js';
import { download, upload } from '../../src/cpe/client/transfer.js';
import { createDevice } from '../../src/cpe/device.js';
import { loadModel } from '../../src/cpe/model/load.js';

/** A file server: /file (10 bytes), /digest (Digest u:p), /basic (Basic u:p), /cut (dies mid-body), PUT /put. */
let files: http.Server;
let base = '';
const puts: { path: string; body: string; type: string | undefined }[] = [];
const verifier = new DigestVerifier('files');

beforeAll(async () => {
  files = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = req.url ?? '/';
      if (req.method === 'PUT') {
        if (url === '/put-fail') return void res.writeHead(500).end();
        if (url === '/put-auth' && verifier.verify(req.headers.authorization, 'PUT', { username: 'u', password: 'p' }, Date.now()) !== 'ok') {
          return void res.writeHead(401, { 'www-authenticate': verifier.challenge(Date.now()) }).end();
        }
        puts.push({ path: url, body: Buffer.concat(chunks).toString(), type: req.headers['content-type'] });
        return void res.writeHead(201).end();
      }
      switch (url) {
        case '/file':
        case '/fw-2.0.1.bin':
          return void res.end('0123456789');
        case '/digest':
          if (verifier.verify(req.headers.authorization, 'GET', { username: 'u', password: 'p' }, Date.now()) !== 'ok') {
            return void res.writeHead(401, { 'www-authenticate': verifier.challenge(Date.now()) }).end();
          }
          return void res.end('0123456789');
        case '/basic':
          if (req.headers.authorization !== `Basic ${Buffer.from('u:p').toString('base64')}`) {
            return void res.writeHead(401, { 'www-authenticate': 'Basic realm="files"' }).end();
          }
          return void res.end('0123456789');
        case '/cut':
          res.writeHead(200, { 'content-length': '1000' });
          res.write('partial');
          setTimeout(() => res.socket?.destroy(), 20);
          return;
        case '/big':
          return void res.end(Buffer.alloc(64 * 1024));
        default:
          return void res.writeHead(404).end();
      }
    });
  });
  await new Promise<void>((r) => files.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(files.address() as AddressInfo).port}`;
});

afterAll(async () => {
  closeTransferAgents();
  files.closeAllConnections();
  await new Promise((r) => files.close(r));
});

/** A port nobody listens on. */
async function deadPort(): Promise<number> {
  const s = http.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

describe('Download faults (TransferComplete FaultStruct)', () => {
  const dl = (path: string, extra: Partial<Parameters<typeof download>[0]> = {}): ReturnType<typeof download> =>
    download({ url: `${base}${path}`, username: '', password: '', fileSize: 0, fileType: '3 Vendor Configuration File', ...extra });

  it('succeeds with no size, the right size, and through Digest and Basic', async () => {
    expect((await dl('/file')).fault.faultCode).toBe(0);
    expect(await dl('/file', { fileSize: 10 })).toMatchObject({ fault: { faultCode: 0 }, bytes: 10 });
    expect((await dl('/digest', { username: 'u', password: 'p' })).fault.faultCode).toBe(0);
    expect((await dl('/basic', { username: 'u', password: 'p', keepBody: true })).body?.toString()).toBe('0123456789');
  });

  it('maps each failure to its code', async () => {
    expect((await dl('/file', { fileSize: 11 })).fault.faultCode).toBe(9018);
    expect((await dl('/digest', { username: 'u', password: 'wrong' })).fault.faultCode).toBe(9012);
    expect((await dl('/digest')).fault.faultCode).toBe(9012);
    expect((await dl('/missing')).fault.faultCode).toBe(9016);
    expect((await dl('/cut')).fault.faultCode).toBe(9017);
    expect((await dl('/big', { maxBytes: 1000 })).fault.faultCode).toBe(9010);
    expect((await dl('/file', { fileSize: 5000, maxBytes: 1000 })).fault.faultCode).toBe(9010);
    const port = await deadPort();
    expect((await download({ url: `http://127.0.0.1:${port}/x`, username: '', password: '', fileSize: 0, fileType: '1 Firmware Upgrade Image' })).fault.faultCode).toBe(9015);
    expect((await download({ url: 'ftp://127.0.0.1/x', username: '', password: '', fileSize: 0, fileType: '1 Firmware Upgrade Image' })).fault.faultCode).toBe(9013);
  });
});

describe('Upload', () => {
  it('PUTs the file, with Digest when challenged', async () => {
    const body = Buffer.from('<Config/>');
    expect((await upload({ url: `${base}/put`, username: '', password: '', body, contentType: 'text/xml' })).fault.faultCode).toBe(0);
    expect((await upload({ url: `${base}/put-auth`, username: 'u', password: 'p', body, contentType: 'text/xml' })).fault.faultCode).toBe(0);
    expect(puts.map((p) => [p.path, p.body, p.type])).toEqual([
      ['/put', '<Config/>', 'text/xml'],
      ['/put-auth', '<Config/>', 'text/xml'],
    ]);
  });

  it('reports 9011 for a server error and 9012 for refused credentials', async () => {
    const body = Buffer.from('x');
    expect((await upload({ url: `${base}/put-fail`, username: '', password: '', body, contentType: 'text/plain' })).fault.faultCode).toBe(9011);
    expect((await upload({ url: `${base}/put-auth`, username: 'u', password: 'no', body, contentType: 'text/plain' })).fault.faultCode).toBe(9012);
    expect((await upload({ url: `http://127.0.0.1:${await deadPort()}/`, username: '', password: '', body, contentType: 'text/plain' })).fault.faultCode).toBe(9011);
  });
});

describe('chunked request bodies (quirk)', () => {
  it('sends Transfer-Encoding: chunked and no Content-Length', async () => {
    const seen: http.IncomingHttpHeaders[] = [];
    const s = http.createServer((req, res) => {
      seen.push(req.headers);
      req.resume();
      req.on('end', () => res.end());
    });
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    const agent = new http.Agent();
    const url = new URL(`http://127.0.0.1:${(s.address() as AddressInfo).port}/`);
    await httpRequest({ method: 'POST', url, agent, body: '<x/>', chunked: true });
    await httpRequest({ method: 'POST', url, agent, body: '<x/>' });
    expect(seen[0]!['transfer-encoding']).toBe('chunked');
    expect(seen[0]!['content-length']).toBeUndefined();
    expect(seen[1]!['content-length']).toBe('4');
    agent.destroy();
    await new Promise((r) => s.close(r));
  });
});

describe('request bodies in pieces', () => {
  it('sends the pieces as one body, with its UTF-8 length, plain and chunked', async () => {
    const seen: { headers: http.IncomingHttpHeaders; body: Buffer }[] = [];
    const s = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        seen.push({ headers: req.headers, body: Buffer.concat(chunks) });
        res.end();
      });
    });
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    const agent = new http.Agent({ keepAlive: true });
    const url = new URL(`http://127.0.0.1:${(s.address() as AddressInfo).port}/`);
    const pieces = ['<a>caf\u00e9', 'x'.repeat(40_000), Buffer.from('\u{1F600}'), '</a>'];
    const whole = Buffer.concat(pieces.map((p) => (typeof p === 'string' ? Buffer.from(p) : p)));
    await httpRequest({ method: 'POST', url, agent, body: pieces });
    await httpRequest({ method: 'POST', url, agent, body: pieces, chunked: true });
    expect(seen[0]!.headers['content-length']).toBe(String(whole.length));
    expect(seen[0]!.body.equals(whole)).toBe(true);
    expect(seen[1]!.headers['transfer-encoding']).toBe('chunked');
    expect(seen[1]!.body.equals(whole)).toBe(true);
    agent.destroy();
    await new Promise((r) => s.close(r));
  });
});

describe('ConnectionRequestServer', () => {
  it('answers 401 with a Digest challenge, 200 with the right password, 503 past the rate limit', async () => {
    let calls = 0;
    const creds = { username: 'SN1', password: 'pw' };
    const srv = await ConnectionRequestServer.listen({ rateLimit: { burst: 2, refillSeconds: 60 } });
    const url = srv.register('SN1', { connectionRequest: () => calls++, connectionRequestCredentials: () => creds });
    expect(url).toBe(`http://127.0.0.1:${srv.port}/SN1`);
    const agent = new http.Agent();
    const get = async (auth?: string, path = url): Promise<{ status: number; challenge?: string }> => {
      const r = await httpRequest({ method: 'GET', url: new URL(path), agent, headers: auth ? { authorization: auth } : {} });
      const h = r.headers['www-authenticate'];
      return { status: r.status, challenge: typeof h === 'string' ? h : undefined };
    };
    const first = await get();
    expect(first.status).toBe(401);
    const sign = (challenge: string, c = creds): string => respondTo(parseChallenges(challenge), c)!('GET', '/SN1');
    expect((await get(sign(first.challenge!, { username: 'SN1', password: 'bad' }))).status).toBe(401);
    expect((await get(sign(first.challenge!))).status).toBe(200);
    expect((await get(sign(first.challenge!))).status).toBe(200);
    expect((await get(sign(first.challenge!))).status).toBe(503);
    expect(calls).toBe(2);
    expect((await get(undefined, `http://127.0.0.1:${srv.port}/other`)).status).toBe(404);
    const post = await httpRequest({ method: 'POST', url: new URL(url), agent, body: '' });
    expect(post.status).toBe(405);
    agent.destroy();
    await srv.close();
  });

  it('accepts without authentication when the device has no ConnectionRequestUsername', async () => {
    let calls = 0;
    const srv = await ConnectionRequestServer.listen();
    const url = srv.register('a/b c', { connectionRequest: () => calls++, connectionRequestCredentials: () => ({ username: '', password: '' }) });
    const agent = new http.Agent();
    expect((await httpRequest({ method: 'GET', url: new URL(url), agent })).status).toBe(200);
    expect(calls).toBe(1);
    agent.destroy();
    await srv.close();
  });
});

describe('diagnostics', () => {
  const template = loadModel('tr181-router');
  const ipping = 'Device.IP.Diagnostics.IPPing.';

  it('IPPing: plausible, stable per host, Complete; unresolvable hosts error', async () => {
    const d = createDevice(template, { serialNumber: 'SN1' });
    d.setInternal(`${ipping}Host`, 'acs.example.com');
    d.setInternal(`${ipping}NumberOfRepetitions`, '4');
    await runDiagnostic(d, ipping);
    const v = (n: string): string => d.get(`${ipping}${n}`)!.value;
    expect(v('DiagnosticsState')).toBe('Complete');
    expect(v('SuccessCount')).toBe('4');
    expect(v('FailureCount')).toBe('0');
    const [min, avg, max] = ['Minimum', 'Average', 'Maximum'].map((k) => Number(v(`${k}ResponseTimeDetailed`)));
    expect(min).toBeGreaterThan(0);
    expect(min!).toBeLessThanOrEqual(avg!);
    expect(avg!).toBeLessThanOrEqual(max!);
    d.setInternal(`${ipping}Host`, '192.0.2.1');
    await runDiagnostic(d, ipping);
    expect([v('DiagnosticsState'), v('SuccessCount'), v('FailureCount')]).toEqual(['Complete', '0', '4']);
    d.setInternal(`${ipping}Host`, 'nowhere.invalid');
    await runDiagnostic(d, ipping);
    expect(v('DiagnosticsState')).toBe('Error_CannotResolveHostName');
  });

  it('TraceRoute reports a response time and the hops the model can hold', async () => {
    const d = createDevice(template, { serialNumber: 'SN1' });
    const tr = 'Device.IP.Diagnostics.TraceRoute.';
    d.setInternal(`${tr}Host`, 'example.net');
    await runDiagnostic(d, tr);
    expect(d.get(`${tr}DiagnosticsState`)!.value).toBe('Complete');
    expect(Number(d.get(`${tr}ResponseTime`)!.value)).toBeGreaterThan(0);
  });

  it('Download and Upload diagnostics move real bytes and time them', async () => {
    const d = createDevice(template, { serialNumber: 'SN1' });
    const dd = 'Device.IP.Diagnostics.DownloadDiagnostics.';
    d.setInternal(`${dd}DownloadURL`, `${base}/big`);
    await runDiagnostic(d, dd);
    expect(d.get(`${dd}DiagnosticsState`)!.value).toBe('Complete');
    expect(d.get(`${dd}TestBytesReceived`)!.value).toBe(String(64 * 1024));
    expect(Date.parse(d.get(`${dd}EOMTime`)!.value)).toBeGreaterThanOrEqual(Date.parse(d.get(`${dd}BOMTime`)!.value));
    const ud = 'Device.IP.Diagnostics.UploadDiagnostics.';
    d.setInternal(`${ud}UploadURL`, `${base}/put-diag`);
    d.setInternal(`${ud}TestFileLength`, '5000');
    await runDiagnostic(d, ud);
    expect(d.get(`${ud}DiagnosticsState`)!.value).toBe('Complete');
    expect(d.get(`${ud}TestBytesSent`)!.value).toBe('5000');
    expect(puts.find((p) => p.path === '/put-diag')?.body.length).toBe(5000);
    d.setInternal(`${dd}DownloadURL`, `http://127.0.0.1:${await deadPort()}/`);
    await runDiagnostic(d, dd);
    expect(d.get(`${dd}DiagnosticsState`)!.value).toBe('Error_InitConnectionFailed');
  });
});
