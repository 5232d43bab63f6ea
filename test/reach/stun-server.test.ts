/**
 * The built-in STUN server (TR-069 Annex G) on real UDP sockets on loopback, with a real
 * SQLite reach store: RFC 5389 answers read by the `stun` package's own client, bindings
 * learnt from signed Annex G requests (written on change only), and hostile datagrams.
 */
import dgram from 'node:dgram';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import stun from 'stun';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildBindingRequest, parseBindingRequest, BINDING_ERROR, BINDING_SUCCESS } from '../../src/cwmp/stun-message.js';
import { StunCredentials } from '../../src/reach/stun-credentials.js';
import { StunServer } from '../../src/reach/stun-server.js';
import { SqliteReachStore } from '../../src/store/sqlite/reach.js';

let dir: string;
let reach: SqliteReachStore;
let server: StunServer;
const creds = new StunCredentials(Buffer.alloc(32, 7));
const learnt: { deviceId: string; port: number; reported: boolean }[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'flotilla-stun-'));
  reach = SqliteReachStore.open(join(dir, 'flotilla.db'));
  server = await StunServer.listen({
    host: '127.0.0.1',
    port: 0,
    credentials: creds,
    reach,
    natDetected: async () => true,
    onBinding: (deviceId, b, reported) => learnt.push({ deviceId, port: b.port, reported }),
  });
});
afterAll(async () => {
  await server?.close();
  await reach?.close();
  await rm(dir, { recursive: true, force: true });
});

async function socket(): Promise<dgram.Socket> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  return s;
}

/** Send one datagram from `s` and wait for the answer (or null after `ms`). */
function exchange(s: dgram.Socket, msg: Buffer, ms = 1000): Promise<Buffer | null> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      s.off('message', on);
      resolve(null);
    }, ms);
    const on = (m: Buffer): void => {
      clearTimeout(timer);
      s.off('message', on);
      resolve(m);
    };
    s.on('message', on);
    s.send(msg, server.port, '127.0.0.1');
  });
}

/**
 * ERROR-CODE read from the bytes: the stun package's decoder computes class × (number + 100),
 * which turns 401 into 404 (its encoder is right), so the test does not lean on it.
 */
function errorCode(msg: Buffer): number | null {
  for (let at = 20; at + 4 <= msg.length; ) {
    const type = msg.readUInt16BE(at);
    const len = msg.readUInt16BE(at + 2);
    if (type === 0x0009) return (msg[at + 6]! & 0x07) * 100 + msg[at + 7]!;
    at += 4 + len + ((4 - (len % 4)) % 4);
  }
  return null;
}

const until = async (f: () => boolean | Promise<boolean>, ms = 3000): Promise<void> => {
  const end = Date.now() + ms;
  while (!(await f())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe('STUN server', () => {
  it('answers an RFC 5389 Binding Request (the stun package as client) with XOR-MAPPED-ADDRESS', async () => {
    const res = await stun.request(`127.0.0.1:${server.port}`, {});
    expect(res.type).toBe(BINDING_SUCCESS);
    const mapped = res.getXorAddress();
    expect(mapped?.address).toBe('127.0.0.1');
    expect(mapped?.port).toBeGreaterThan(0);
  });

  it('learns the binding of a signed CONNECTION-REQUEST-BINDING, writes keep-alives only when the binding changes', async () => {
    const s = await socket();
    const deviceId = 'A1B2C3-Box-SN1';
    const signed = (change = false): Buffer =>
      buildBindingRequest({ transactionId: randomBytes(12), username: creds.username(deviceId), password: creds.password(deviceId), connectionRequestBinding: true, bindingChange: change });
    const answer = await exchange(s, signed());
    const decoded = stun.decode(answer!);
    expect(decoded.type).toBe(BINDING_SUCCESS);
    expect(stun.validateMessageIntegrity(decoded, creds.password(deviceId))).toBe(true);
    expect(decoded.getXorAddress()?.port).toBe(s.address().port);
    await until(async () => (await reach.get(deviceId)) !== null);
    const first = await reach.get(deviceId);
    expect(first?.binding).toMatchObject({ host: '127.0.0.1', port: s.address().port, natDetected: true, changes: 1 });
    const written = server.counters.bindingsLearnt;
    for (let i = 0; i < 5; i++) await exchange(s, signed());
    expect(server.counters.bindingsLearnt).toBe(written);
    // The "NAT" gives the device another port: a new binding, counted as a change.
    const s2 = await socket();
    await exchange(s2, signed(true));
    await until(async () => (await reach.get(deviceId))?.binding?.port === s2.address().port);
    expect((await reach.get(deviceId))?.binding?.changes).toBe(2);
    expect(learnt.filter((l) => l.deviceId === deviceId).map((l) => l.reported)).toEqual([false, true]);
    s.close();
    s2.close();
  });

  it('rewrites an unchanged binding once per refresh period, without asking about the NAT again', async () => {
    let clock = 1_000_000;
    let asked = 0;
    const srv = await StunServer.listen({ host: '127.0.0.1', port: 0, credentials: creds, reach, now: () => clock, refreshMs: 60_000, natDetected: async () => (asked++, true) });
    const s = await socket();
    const id = 'A1B2C3-Box-REFRESH';
    const req = (): Buffer => buildBindingRequest({ transactionId: randomBytes(12), username: id, password: creds.password(id), connectionRequestBinding: true });
    const send = (): Promise<void> =>
      new Promise((resolve) => {
        s.once('message', () => resolve());
        s.send(req(), srv.port, '127.0.0.1');
      });
    await send();
    await until(() => srv.counters.bindingsLearnt === 1);
    clock += 30_000;
    await send();
    expect(srv.counters.bindingsLearnt).toBe(1);
    clock += 31_000;
    await send();
    await until(() => srv.counters.bindingsLearnt === 2);
    expect((await reach.get(id))?.binding).toMatchObject({ changedAt: 1_000_000, seenAt: 1_061_000, changes: 1 });
    expect(asked).toBe(1);
    s.close();
    await srv.close();
  });

  it('refuses a wrong MESSAGE-INTEGRITY with 401 and learns nothing', async () => {
    const s = await socket();
    const before = server.counters.badIntegrity;
    const bad = buildBindingRequest({ transactionId: randomBytes(12), username: 'A1B2C3-Box-EVIL', password: 'guessed', connectionRequestBinding: true });
    const raw = (await exchange(s, bad))!;
    expect(stun.decode(raw).type).toBe(BINDING_ERROR);
    expect(errorCode(raw)).toBe(401);
    expect(server.counters.badIntegrity).toBe(before + 1);
    expect(await reach.get('A1B2C3-Box-EVIL')).toBeNull();
    // A signed request with no MESSAGE-INTEGRITY at all is the same.
    const unsigned = buildBindingRequest({ transactionId: randomBytes(12), username: 'A1B2C3-Box-EVIL', connectionRequestBinding: true });
    expect(errorCode((await exchange(s, unsigned))!)).toBe(401);
    s.close();
  });

  it('drops and counts malformed datagrams, and keeps answering', async () => {
    const s = await socket();
    const before = server.counters.malformed;
    const valid = buildBindingRequest({ transactionId: randomBytes(12) });
    const flipped = Buffer.from(valid);
    flipped[flipped.length - 1]! ^= 0xff; // fingerprint no longer matches
    const truncated = valid.subarray(0, valid.length - 3);
    const badLength = Buffer.from(valid);
    badLength.writeUInt16BE(400, 2);
    const attrOverrun = Buffer.concat([valid.subarray(0, 20), Buffer.from([0x00, 0x06, 0xff, 0xff])]);
    attrOverrun.writeUInt16BE(4, 2);
    const junk = [Buffer.from('GET / HTTP/1.1\r\n\r\n'), Buffer.alloc(0), Buffer.alloc(4000, 1), flipped, truncated, badLength, attrOverrun];
    for (const j of junk) expect(await exchange(s, j, 150)).toBeNull();
    expect(server.counters.malformed).toBe(before + junk.length);
    expect(stun.decode((await exchange(s, valid))!).type).toBe(BINDING_SUCCESS);
    s.close();
  });
});

describe('STUN parser (fuzz)', () => {
  it('never throws on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 1200 }), (bytes) => {
        parseBindingRequest(Buffer.from(bytes));
      }),
      { seed: 1717, numRuns: 3000 },
    );
  });

  it('never throws on mutated valid requests, and reads unmutated ones back', () => {
    fc.assert(
      fc.property(
        fc.record({ user: fc.string({ minLength: 1, maxLength: 60 }), change: fc.boolean(), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
        ({ user, change, at, byte }) => {
          const msg = buildBindingRequest({ transactionId: randomBytes(12), username: user, password: 'pw', connectionRequestBinding: true, bindingChange: change });
          const ok = parseBindingRequest(msg);
          expect(ok.ok && ok.request.username === user && ok.request.bindingChange === change && ok.request.connectionRequestBinding).toBe(true);
          const mutated = Buffer.from(msg);
          mutated[at % mutated.length] = byte;
          parseBindingRequest(mutated);
        },
      ),
      { seed: 4242, numRuns: 2000 },
    );
  });
});
