/**
 * The connection-request client against real loopback servers (HTTP and HTTPS, Digest and
 * Basic, slow, refusing, redirecting), and the token buckets that limit it.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendConnectionRequest } from '../../src/reach/http.js';
import { ConnectionRequestLimiter } from '../../src/reach/rate-limit.js';
import { DigestVerifier } from '../../src/auth/client.js';

const creds = { username: 'cr', password: 'pw-123' };
const verifier = new DigestVerifier('cpe');
const seen: http.IncomingHttpHeaders[] = [];

/** Resolved when a /slow request's connection is closed (by the client giving up). */
const slowClosed: (() => void)[] = [];

function handler(req: http.IncomingMessage, res: http.ServerResponse): void {
  seen.push(req.headers);
  const path = req.url ?? '/';
  if (path === '/basic') {
    const ok = req.headers.authorization === `Basic ${Buffer.from('cr:pw-123').toString('base64')}`;
    return void res.writeHead(ok ? 200 : 401, ok ? {} : { 'www-authenticate': 'Basic realm="cpe"' }).end();
  }
  if (path === '/busy') return void res.writeHead(503, { 'retry-after': '10' }).end();
  if (path === '/moved') return void res.writeHead(302, { location: 'http://127.0.0.1:1/elsewhere' }).end();
  if (path === '/slow') {
    // Never answers; the client must give up and close the connection.
    req.socket.once('close', () => slowClosed.splice(0).forEach((resolve) => resolve()));
    return;
  }
  if (path === '/open') return void res.writeHead(204).end();
  const verdict = verifier.verify(req.headers.authorization, 'GET', creds, Date.now());
  if (verdict !== 'ok') return void res.writeHead(401, { 'www-authenticate': verifier.challenge(Date.now()) }).end();
  res.writeHead(200).end('ignored body');
}

let dir: string;
let plain: http.Server;
let secure: https.Server;
let httpUrl = '';
let httpsUrl = '';

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'flotilla-cr-'));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'k.pem'), '-out', join(dir, 'c.pem'), '-days', '1', '-subj', '/CN=127.0.0.1'], {
    stdio: 'ignore',
  });
  plain = http.createServer(handler);
  secure = https.createServer({ key: readFileSync(join(dir, 'k.pem')), cert: readFileSync(join(dir, 'c.pem')) }, handler);
  await new Promise<void>((r) => plain.listen(0, '127.0.0.1', r));
  await new Promise<void>((r) => secure.listen(0, '127.0.0.1', r));
  httpUrl = `http://127.0.0.1:${(plain.address() as AddressInfo).port}`;
  httpsUrl = `https://127.0.0.1:${(secure.address() as AddressInfo).port}`;
});

afterAll(async () => {
  plain.closeAllConnections();
  secure.closeAllConnections();
  await new Promise((r) => plain.close(r));
  await new Promise((r) => secure.close(r));
  rmSync(dir, { recursive: true, force: true });
});

describe('sendConnectionRequest', () => {
  it('answers a Digest challenge, over HTTP and HTTPS, and never sends the password', async () => {
    seen.length = 0;
    expect(await sendConnectionRequest(`${httpUrl}/cr?x=1`, creds)).toEqual({ outcome: 'answered', status: 200 });
    expect(await sendConnectionRequest(`${httpsUrl}/cr`, creds)).toEqual({ outcome: 'answered', status: 200 });
    expect(seen.map((h) => h.authorization?.split(' ')[0])).toEqual([undefined, 'Digest', undefined, 'Digest']);
    expect(JSON.stringify(seen)).not.toContain('pw-123');
    expect(seen[1]!.authorization).toContain('uri="/cr?x=1"');
  });

  it('wrong credentials or none: auth-failed', async () => {
    expect(await sendConnectionRequest(`${httpUrl}/cr`, { username: 'cr', password: 'nope' })).toEqual({ outcome: 'auth-failed', status: 401 });
    expect(await sendConnectionRequest(`${httpUrl}/cr`, null)).toMatchObject({ outcome: 'auth-failed', status: 401 });
  });

  it('Basic only when allowed', async () => {
    expect(await sendConnectionRequest(`${httpUrl}/basic`, creds)).toMatchObject({ outcome: 'auth-failed', detail: expect.stringMatching(/only Basic/) });
    expect(await sendConnectionRequest(`${httpUrl}/basic`, creds, { allowBasic: true })).toEqual({ outcome: 'answered', status: 200 });
  });

  it('a CPE that refuses (503), a redirect (not followed), no auth needed', async () => {
    expect(await sendConnectionRequest(`${httpUrl}/busy`, creds)).toEqual({ outcome: 'refused', status: 503 });
    expect(await sendConnectionRequest(`${httpUrl}/moved`, creds)).toEqual({ outcome: 'refused', status: 302 });
    expect(await sendConnectionRequest(`${httpUrl}/open`, null)).toEqual({ outcome: 'answered', status: 204 });
  });

  it('times out, and refuses URLs that are not http(s)', async () => {
    // The outcome, and the connection closed by the client (not left open): how close to
    // 300 ms it gives up is bench/connection-request.ts's figure, not a pass/fail matter.
    const closed = new Promise<void>((resolve) => slowClosed.push(resolve));
    expect(await sendConnectionRequest(`${httpUrl}/slow`, creds, { timeoutMs: 300 })).toEqual({ outcome: 'unreachable', detail: 'timeout after 300 ms' });
    await closed;
    for (const url of ['ftp://127.0.0.1/x', 'file:///etc/passwd', 'not a url', '']) {
      expect((await sendConnectionRequest(url, creds)).outcome).toBe('no-url');
    }
  });
});

describe('ConnectionRequestLimiter', () => {
  it('per device: a burst, then one per interval; devices do not share', () => {
    const l = new ConnectionRequestLimiter({ device: { burst: 2, perSecond: 1 }, global: { burst: 100, perSecond: 100 } }, 0);
    expect([l.take('a', 0).ok, l.take('a', 0).ok]).toEqual([true, true]);
    expect(l.take('a', 0)).toEqual({ ok: false, scope: 'device', retryAfterMs: 1000 });
    expect(l.take('b', 0).ok).toBe(true);
    expect(l.take('a', 999).ok).toBe(false);
    expect(l.take('a', 1000).ok).toBe(true);
  });

  it('global: the whole ACS shares one bucket; a refused request costs the device nothing', () => {
    const l = new ConnectionRequestLimiter({ device: { burst: 5, perSecond: 1 }, global: { burst: 3, perSecond: 10 } }, 0);
    expect(['a', 'b', 'c'].map((d) => l.take(d, 0).ok)).toEqual([true, true, true]);
    expect(l.take('d', 0)).toEqual({ ok: false, scope: 'global', retryAfterMs: 100 });
    expect(l.take('d', 100).ok).toBe(true);
    const one = new ConnectionRequestLimiter({ device: { burst: 1, perSecond: 0.001 }, global: { burst: 1, perSecond: 10 } }, 0);
    expect(one.take('a', 0).ok).toBe(true);
    expect(one.take('d', 0)).toMatchObject({ ok: false, scope: 'global' });
    // d's own token survived the global refusal …
    expect(one.take('d', 100).ok).toBe(true);
    // … and is spent now.
    expect(one.take('d', 10_000)).toMatchObject({ ok: false, scope: 'device' });
  });
});
