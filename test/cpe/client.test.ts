/** Small parts of the CPE client: auth, cookies, events, back-off, the timer heap, the gate, quirks. */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { basicAuthorization, DigestResponder, DigestVerifier, parseChallenges, respondTo } from '../../src/auth/client.js';

/** The parameters of an Authorization header we built. */
const params = (header: string): Record<string, string> => parseChallenges(header)[0]!.params;
import { CookieJar } from '../../src/cpe/client/cookies.js';
import { EV, addEvent, afterInform, afterTransferComplete, retryDelayMs } from '../../src/cpe/client/events.js';
import { buildOptions, parseQuirks } from '../../src/cpe/client/quirks.js';
import { SessionGate } from '../../src/cpe/client/runtime.js';
import { HeapScheduler } from '../../src/cpe/client/scheduler.js';
import { versionFrom } from '../../src/cpe/client/transfer-job.js';
import type { EventStruct } from '../../src/cwmp/types.js';

const md5 = (s: string): string => createHash('md5').update(s).digest('hex');

describe('auth', () => {
  it('parses one or several challenges, joined or not', () => {
    const joined = parseChallenges('Digest realm="r, x", nonce="n1", qop="auth,auth-int", algorithm=MD5, Basic realm="b"');
    expect(joined).toEqual([
      { scheme: 'digest', params: { realm: 'r, x', nonce: 'n1', qop: 'auth,auth-int', algorithm: 'MD5' } },
      { scheme: 'basic', params: { realm: 'b' } },
    ]);
    expect(parseChallenges(['Basic realm="a"', 'Digest realm="d", nonce="z"']).map((c) => c.scheme)).toEqual(['basic', 'digest']);
    expect(parseChallenges(undefined)).toEqual([]);
    expect(parseChallenges('Digest realm="a\\"b", nonce=x')[0]!.params.realm).toBe('a"b');
  });

  it('answers Digest with qop=auth the way RFC 7616 computes it, counting nc up', () => {
    const creds = { username: 'Mufasa', password: 'Circle Of Life' };
    const d = DigestResponder.from({ scheme: 'digest', params: { realm: 'testrealm@host.com', nonce: 'dcd98b71', qop: 'auth', opaque: 'op' } }, creds)!;
    const h1 = params(d.authorization('GET', '/dir/index.html'));
    const h2 = params(d.authorization('GET', '/dir/index.html'));
    expect(h1.nc).toBe('00000001');
    expect(h2.nc).toBe('00000002');
    expect(h1.opaque).toBe('op');
    const ha1 = md5('Mufasa:testrealm@host.com:Circle Of Life');
    const ha2 = md5('GET:/dir/index.html');
    expect(h1.response).toBe(md5(`${ha1}:dcd98b71:00000001:${h1.cnonce}:auth:${ha2}`));
  });

  it('falls back to RFC 2069 Digest without qop, and to Basic when only Basic is offered', () => {
    const creds = { username: 'u', password: 'p' };
    const legacy = respondTo(parseChallenges('Digest realm="r", nonce="n"'), creds)!('POST', '/');
    const p = params(legacy);
    expect(p.qop).toBeUndefined();
    expect(p.response).toBe(md5(`${md5('u:r:p')}:n:${md5('POST:/')}`));
    expect(respondTo(parseChallenges('Basic realm="r"'), creds)!('POST', '/')).toBe(basicAuthorization(creds));
    expect(respondTo(parseChallenges('Negotiate'), creds)).toBeNull();
    // Digest is preferred when both are offered.
    expect(respondTo(parseChallenges('Basic realm="r", Digest realm="r", nonce="n"'), creds)!('GET', '/')).toMatch(/^Digest /);
  });

  it('verifies its own Digest challenges, refuses wrong passwords and forged nonces, flags old ones stale', () => {
    const v = new DigestVerifier('cpe', { maxAgeMs: 1000 });
    const creds = { username: 'acs', password: 'secret' };
    const challenge = parseChallenges(v.challenge(10_000));
    const auth = respondTo(challenge, creds)!('GET', '/SN1');
    expect(v.verify(auth, 'GET', creds, 10_500)).toBe('ok');
    expect(v.verify(auth, 'GET', creds, 12_000)).toBe('stale');
    expect(v.verify(auth, 'GET', { username: 'acs', password: 'nope' }, 10_500)).toBe('denied');
    expect(v.verify(auth, 'POST', creds, 10_500)).toBe('denied');
    expect(v.verify(auth.replace(/nonce="[^"]*"/, 'nonce="1.forged"'), 'GET', creds, 10_500)).toBe('denied');
    expect(v.verify(undefined, 'GET', creds, 10_500)).toBe('denied');
    expect(v.verify(basicAuthorization(creds), 'GET', creds, 10_500)).toBe('denied');
    // Another instance (another secret) does not accept this one's nonces.
    expect(new DigestVerifier('cpe').verify(auth, 'GET', creds, 10_500)).toBe('denied');
  });
});

describe('CookieJar', () => {
  it('returns cookies by path, replaces by name, drops session cookies at the end of a session', () => {
    const jar = new CookieJar();
    jar.store(['sid=1; Path=/; HttpOnly', 'keep=x; Max-Age=3600', 'deep=y; Path=/acs/'], 0);
    expect(jar.header('/', 0)).toBe('sid=1; keep=x');
    expect(jar.header('/acs/x', 0)).toBe('sid=1; keep=x; deep=y');
    jar.store(['sid=2'], 0);
    expect(jar.header('/', 0)).toBe('keep=x; sid=2');
    jar.endSession(0);
    expect(jar.header('/', 0)).toBe('keep=x');
    expect(jar.header('/', 3_600_001)).toBeUndefined();
    jar.store(['keep=; Max-Age=0'], 10);
    expect(jar.size).toBe(0);
    jar.store(['garbage', '=novalue'], 0);
    expect(jar.size).toBe(0);
  });
});

describe('events', () => {
  it('keeps single events once and method events once per CommandKey, BOOTSTRAP first', () => {
    let ev = addEvent(null, EV.BOOT);
    ev = addEvent(ev, EV.BOOT);
    ev = addEvent(ev, EV.M_REBOOT, 'a');
    ev = addEvent(ev, EV.M_REBOOT, 'b');
    ev = addEvent(ev, EV.M_REBOOT, 'a');
    ev = addEvent(ev, EV.BOOTSTRAP);
    expect(ev.map((e) => `${e.eventCode}/${e.commandKey}`)).toEqual(['0 BOOTSTRAP/', '1 BOOT/', 'M Reboot/a', 'M Reboot/b']);
  });

  it('drops what an Inform delivered, but keeps transfer events until their TransferComplete is acknowledged', () => {
    const ev: EventStruct[] = [EV.BOOT, EV.TRANSFER_COMPLETE].map((eventCode) => ({ eventCode, commandKey: '' }));
    ev.push({ eventCode: EV.M_DOWNLOAD, commandKey: 'dl' });
    const sent = ev.slice();
    const later = { eventCode: EV.CONNECTION_REQUEST, commandKey: '' };
    ev.push(later);
    const after = afterInform(ev, sent, new Set(['dl']));
    expect(after!.map((e) => e.eventCode)).toEqual([EV.TRANSFER_COMPLETE, EV.M_DOWNLOAD, EV.CONNECTION_REQUEST]);
    const acked = afterTransferComplete(after, 'dl', new Set());
    expect(acked!.map((e) => e.eventCode)).toEqual([EV.CONNECTION_REQUEST]);
    expect(afterInform(sent, sent, new Set())).toBeNull();
  });

  it('backs off m·(k/1000)^(n-1) … m·(k/1000)^n seconds, n capped at 10', () => {
    const lo = (n: number): number => retryDelayMs(n, undefined, () => 0);
    const hi = (n: number): number => retryDelayMs(n, undefined, () => 1);
    expect([lo(1), hi(1)]).toEqual([5_000, 10_000]);
    expect([lo(2), hi(2)]).toEqual([10_000, 20_000]);
    expect([lo(10), hi(10)]).toEqual([2_560_000, 5_120_000]);
    expect([lo(15), hi(15)]).toEqual([2_560_000, 5_120_000]);
    expect(retryDelayMs(3, { minimumWait: 10, multiplier: 1500 }, () => 0)).toBe(22_500);
    for (let i = 0; i < 100; i++) {
      const d = retryDelayMs(4);
      expect(d).toBeGreaterThanOrEqual(40_000);
      expect(d).toBeLessThanOrEqual(80_000);
    }
  });
});

describe('HeapScheduler', () => {
  it('fires in time order, skips cancelled entries, and keeps one Node timer', async () => {
    const s = new HeapScheduler();
    const fired: string[] = [];
    const target = { onTimer: (k: string) => fired.push(k) };
    const now = Date.now();
    s.at(now + 30, target, 'c');
    s.at(now + 10, target, 'a');
    const b = s.at(now + 20, target, 'b');
    s.at(now + 10, target, 'a2');
    s.cancel(b);
    expect(s.size).toBe(3);
    await new Promise((r) => setTimeout(r, 80));
    expect(fired).toEqual(['a', 'a2', 'c']);
    expect(s.size).toBe(0);
    s.cancel(b); // harmless twice
  });

  it('survives a throwing target and thousands of cancellations', async () => {
    const errors: unknown[] = [];
    const s = new HeapScheduler({ onError: (e) => errors.push(e) });
    let n = 0;
    const ok = { onTimer: () => n++ };
    const bad = {
      onTimer: () => {
        throw new Error('boom');
      },
    };
    const now = Date.now();
    const entries = Array.from({ length: 5000 }, (_, i) => s.at(now + 5 + (i % 7), ok, 'x'));
    for (let i = 0; i < 4000; i++) s.cancel(entries[i]);
    s.at(now + 1, bad, 'y');
    await new Promise((r) => setTimeout(r, 60));
    expect(n).toBe(1000);
    expect(errors).toHaveLength(1);
    s.stop();
  });
});

describe('SessionGate', () => {
  it('admits up to its limit and starts the next one as a slot frees', () => {
    const gate = new SessionGate(2);
    const started: number[] = [];
    const who = (i: number): { beginSession(): void } => ({ beginSession: () => started.push(i) });
    for (let i = 0; i < 5; i++) gate.enter(who(i));
    expect(started).toEqual([0, 1]);
    expect(gate.waiting).toBe(3);
    gate.leave();
    expect(started).toEqual([0, 1, 2]);
    gate.leave();
    gate.leave();
    expect(started).toEqual([0, 1, 2, 3, 4]);
    expect(gate.active).toBe(2);
  });
});

describe('quirks', () => {
  it('parses names into codec and transport switches', () => {
    const q = parseQuirks('drop-cookies, chunked,no-xsi-type,padded-array-size,soap-env-prefix,cwmp-1-2');
    expect(q).toMatchObject({ dropCookies: true, chunked: true, omitXsiType: true, arraySize: 'padded', namespace: 'urn:dslforum-org:cwmp-1-2' });
    expect(buildOptions(q)).toEqual({ omitXsiType: true, arraySize: 'padded', prefixes: { soapenv: 'SOAP-ENV', cwmp: 'cwmp' } });
    expect(() => parseQuirks('nope')).toThrow(/unknown quirk "nope"/);
    expect(parseQuirks('')).toEqual({});
  });
});

describe('firmware version from a file name', () => {
  it('finds the version in names and URLs', () => {
    expect(versionFrom('fw-2.1.0.bin')).toBe('2.1.0');
    expect(versionFrom('http://files/x/V3.4.5-rc1.img?token=1.2')).toBe('3.4.5-rc1');
    expect(versionFrom('firmware.bin')).toBeNull();
  });
});
