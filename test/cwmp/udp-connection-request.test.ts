/**
 * UDP connection requests (TR-069 Annex G), the pure part: the datagram an ACS builds is
 * the one a CPE parses; a CPE takes it only with its username and password, once, and never
 * an older one; anything malformed is refused with a reason, never a throw.
 */
import fc from 'fast-check';
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  buildUdpConnectionRequest,
  checkUdpConnectionRequest,
  MAX_UDP_REQUEST_BYTES,
  parseUdpConnectionRequest,
  remember,
  udpSignature,
  type UdpReplayState,
} from '../../src/cwmp/udp-connection-request.js';

const creds = { username: 'CPE57689', password: 'secret' };
const fields = { ts: 1120673700, id: '1234', un: 'CPE57689', cn: 'XTGRWIPC6D3IPXS3' };
const fresh = (): UdpReplayState => ({ lastTs: 0, lastId: null });

function parse(text: string) {
  const r = parseUdpConnectionRequest(text);
  if (!r.ok) throw new Error(r.reason);
  return r.request;
}

describe('building and parsing', () => {
  it('has the Annex G shape: a GET request line with ts, id, un, cn and sig, and a Host header', () => {
    const text = buildUdpConnectionRequest('10.1.1.1:8080', fields, creds.password);
    const [line, host] = text.split('\r\n');
    expect(line).toMatch(/^GET http:\/\/10\.1\.1\.1:8080\?ts=1120673700&id=1234&un=CPE57689&cn=XTGRWIPC6D3IPXS3&sig=[0-9A-F]{40} HTTP\/1\.1$/);
    expect(host).toBe('Host: 10.1.1.1:8080');
    // The signature is HMAC-SHA1 keyed by the password over ts, id, un and cn in that order.
    const expected = createHmac('sha1', 'secret').update('1120673700' + '1234' + 'CPE57689' + 'XTGRWIPC6D3IPXS3').digest('hex');
    expect(parse(text).sig.toLowerCase()).toBe(expected);
    expect(parse(text)).toMatchObject({ host: '10.1.1.1:8080', ...fields });
  });

  it('round-trips any fields, including characters that need escaping', () => {
    fc.assert(
      fc.property(fc.nat({ max: 2 ** 40 }), fc.string({ minLength: 1, maxLength: 20 }), fc.string({ maxLength: 30 }), fc.string({ minLength: 1, maxLength: 20 }), fc.string(), (ts, id, un, cn, password) => {
        const f = { ts, id, un, cn };
        const request = parse(buildUdpConnectionRequest('[2001:db8::1]:7547', f, password));
        expect(request).toMatchObject(f);
        expect(checkUdpConnectionRequest(request, { username: un, password }, fresh())).toBe('accept');
      }),
    );
  });

  it('reads what devices and other ACSes send: a path, lower-case hex, bare line feeds, HTTP/1.0', () => {
    const sig = udpSignature(fields, 'secret').toLowerCase();
    const text = `GET http://192.0.2.7:3478/?ts=1120673700&id=1234&un=CPE57689&cn=XTGRWIPC6D3IPXS3&sig=${sig} HTTP/1.0\nHost: 192.0.2.7:3478\n\n`;
    expect(checkUdpConnectionRequest(parse(text), creds, fresh())).toBe('accept');
  });

  it('refuses what is not a request, with a reason', () => {
    const good = buildUdpConnectionRequest('h:1', fields, 'secret');
    const cases: [string | Buffer, RegExp][] = [
      ['', /request line/],
      ['POST http://h:1?ts=1 HTTP/1.1\r\n', /request line/],
      ['GET /relative?ts=1 HTTP/1.1\r\n', /absolute/],
      [good.replace(/&cn=[^&]+/, ''), /no cn/],
      [good.replace(/ts=\d+/, 'ts=yesterday'), /ts/],
      [good.replace(/sig=[0-9A-F]+/, 'sig=abc'), /HMAC/],
      [Buffer.alloc(MAX_UDP_REQUEST_BYTES + 1, 0x41), /too large/],
      [Buffer.from([0xff, 0xfe, 0x00, 0x01]), /request line/],
    ];
    for (const [input, reason] of cases) {
      const r = parseUdpConnectionRequest(input);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.reason).toMatch(reason);
    }
  });
});

describe('what a CPE takes', () => {
  const request = () => parse(buildUdpConnectionRequest('h:1', fields, 'secret'));

  it('only its own username and password', () => {
    expect(checkUdpConnectionRequest(request(), { username: 'someone-else', password: 'secret' }, fresh())).toBe('wrong-username');
    expect(checkUdpConnectionRequest(request(), { ...creds, password: 'guess' }, fresh())).toBe('bad-signature');
    // Any field changed after signing breaks the signature.
    for (const tamper of [{ ts: fields.ts + 1 }, { id: '1235' }, { cn: 'X' }]) {
      expect(checkUdpConnectionRequest({ ...request(), ...tamper }, creds, fresh())).toBe('bad-signature');
    }
  });

  it('each request once (copies share an id), and never one older than the last it took', () => {
    const state = fresh();
    const first = request();
    expect(checkUdpConnectionRequest(first, creds, state)).toBe('accept');
    remember(state, first);
    expect(checkUdpConnectionRequest(first, creds, state)).toBe('duplicate');
    const older = parse(buildUdpConnectionRequest('h:1', { ...fields, ts: fields.ts - 60, id: '99' }, 'secret'));
    expect(checkUdpConnectionRequest(older, creds, state)).toBe('stale');
    const sameSecond = parse(buildUdpConnectionRequest('h:1', { ...fields, id: '1235' }, 'secret'));
    expect(checkUdpConnectionRequest(sameSecond, creds, state)).toBe('accept');
  });
});
