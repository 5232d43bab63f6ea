/**
 * Digest done properly, end to end over real HTTP on loopback (issue 10, defects 5 and 6):
 * a captured Authorization header opens nothing for another device nor a second time, on a
 * new connection or another process with the same nonce secret; qop=auth is required; the
 * digest uri must name the request; nonces expire; and a cookie alone neither ends nor takes
 * over another session.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startAcs, type AcsServer } from '../../src/acs/server.js';
import { md5 } from '../../src/auth/server.js';
import { parseChallenges } from '../../src/auth/client.js';
import { deviceIdOf } from '../../src/store/device-id.js';
import { createSqliteStore } from '../../src/store/sqlite/index.js';
import type { Store } from '../../src/store/types.js';
import { DEVICE, ScriptedCpe, informBody } from '../helpers/scripted-cpe.js';

const USER = 'boot';
const PASS = 'strap-secret';
const REALM = 'Flotilla';

let dir: string;
let store: Store;
let acs: AcsServer;
let clock = 1_800_000_000_000;
const secret = randomBytes(32);
const cpes: ScriptedCpe[] = [];

const start = (): Promise<AcsServer> =>
  startAcs({ store, dataDir: dir, host: '127.0.0.1', cwmpPort: 0, cpeCredentials: { username: USER, password: PASS }, discoverOnBootstrap: false, perDeviceCredentials: false, now: () => clock, nonceSecret: secret });

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'flotilla-digest-'));
  store = await createSqliteStore({ dataDir: dir });
  acs = await start();
});

afterEach(async () => {
  for (const c of cpes.splice(0)) c.close();
  await acs.close();
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

function cpe(opts: ConstructorParameters<typeof ScriptedCpe>[1], url = acs.cwmpUrl): ScriptedCpe {
  const c = new ScriptedCpe(url, opts);
  cpes.push(c);
  return c;
}

/** The nonce the ACS hands a CPE that informs as `serial`. */
async function nonceFor(serial: string): Promise<string> {
  const r = await cpe({}).post(informBody({ serial }));
  expect(r.status).toBe(401);
  const digest = parseChallenges(r.headers['www-authenticate']).find((c) => c.scheme === 'digest');
  return digest!.params.nonce!;
}

/** An Authorization header computed by hand, so each field can be wrong on purpose. */
function digestHeader(o: { nonce: string; uri?: string; nc?: string; qop?: string | null; password?: string }): string {
  const uri = o.uri ?? '/';
  const nc = o.nc ?? '00000001';
  const cnonce = 'c0ffee';
  const ha1 = md5(`${USER}:${REALM}:${o.password ?? PASS}`);
  const ha2 = md5(`POST:${uri}`);
  const qop = o.qop === undefined ? 'auth' : o.qop;
  const response = qop === null ? md5(`${ha1}:${o.nonce}:${ha2}`) : md5(`${ha1}:${o.nonce}:${nc}:${cnonce}:${qop}:${ha2}`);
  const parts = [`username="${USER}"`, `realm="${REALM}"`, `nonce="${o.nonce}"`, `uri="${uri}"`, `response="${response}"`, 'algorithm=MD5'];
  if (qop !== null) parts.push(`qop=${qop}`, `nc=${nc}`, `cnonce="${cnonce}"`);
  return `Digest ${parts.join(', ')}`;
}

const informWith = (authorization: string, serial: string, extra: Partial<ConstructorParameters<typeof ScriptedCpe>[1]> = {}) =>
  cpe({ authorization, ...extra }).post(informBody({ serial }));

describe('Digest nonces', () => {
  it('a captured header opens no session for another device, on new connections', async () => {
    const header = digestHeader({ nonce: await nonceFor('SN-A') });
    expect((await informWith(header, 'SN-A')).status).toBe(200);
    for (const other of ['SN-B', 'SN-C', 'SN-D']) {
      const r = await informWith(header, other);
      expect(r.status).toBe(401);
      expect(await store.getDevice(deviceIdOf({ ...DEVICE, serialNumber: other }))).toBeNull();
    }
  });

  it('nor a second time for the same device (nc must grow), while a higher nc works', async () => {
    const nonce = await nonceFor('SN-A');
    const header = digestHeader({ nonce });
    const first = cpe({ authorization: header });
    expect((await first.post(informBody({ serial: 'SN-A' }))).status).toBe(200);
    expect((await first.post(null)).status).toBe(204);
    expect((await informWith(header, 'SN-A')).status).toBe(401);
    const next = cpe({ authorization: digestHeader({ nonce, nc: '00000002' }) });
    expect((await next.post(informBody({ serial: 'SN-A' }))).status).toBe(200);
    expect((await next.post(null)).status).toBe(204);
    // Lower again: refused.
    expect((await informWith(digestHeader({ nonce, nc: '00000001' }), 'SN-A')).status).toBe(401);
  });

  it('another ACS process with the same secret accepts the nonce for its device only', async () => {
    const other = await start();
    try {
      const nonce = await nonceFor('SN-A');
      expect((await cpe({ authorization: digestHeader({ nonce }) }, other.cwmpUrl).post(informBody({ serial: 'SN-B' }))).status).toBe(401);
      const r = await cpe({ authorization: digestHeader({ nonce }) }, other.cwmpUrl).post(informBody({ serial: 'SN-A' }));
      expect(r.status).toBe(200);
    } finally {
      await other.close();
    }
  });

  it('requires qop=auth: RFC 2069 Digest (no qop, no nc) is refused', async () => {
    const nonce = await nonceFor('SN-A');
    expect((await informWith(digestHeader({ nonce, qop: null }), 'SN-A')).status).toBe(401);
    expect((await informWith(digestHeader({ nonce, qop: 'auth-int' }), 'SN-A')).status).toBe(401);
    expect((await informWith(digestHeader({ nonce, nc: 'zz' }), 'SN-A')).status).toBe(401);
    expect(await store.getDevice(deviceIdOf({ ...DEVICE, serialNumber: 'SN-A' }))).toBeNull();
  });

  it('the digest uri must name the request', async () => {
    const nonce = await nonceFor('SN-A');
    expect((await informWith(digestHeader({ nonce, uri: '/elsewhere' }), 'SN-A')).status).toBe(401);
    // The absolute form of the same target is the same target (RFC 7616 3.4).
    const absolute = `${acs.cwmpUrl}`;
    expect((await informWith(digestHeader({ nonce, uri: absolute }), 'SN-A')).status).toBe(200);
  });

  it('nonces expire: an old one gets a fresh challenge with stale=true', async () => {
    const nonce = await nonceFor('SN-A');
    clock += 10 * 60_000;
    const r = await informWith(digestHeader({ nonce }), 'SN-A');
    expect(r.status).toBe(401);
    expect(String(r.headers['www-authenticate'])).toMatch(/stale=true/);
    // A forged nonce is not stale, only refused.
    const forged = await informWith(digestHeader({ nonce: `${nonce.slice(0, -3)}AAA` }), 'SN-A');
    expect(forged.status).toBe(401);
    expect(String(forged.headers['www-authenticate'])).not.toMatch(/stale=true/);
  });

  it('the library CPE (src/auth/client.ts) still gets in, session after session', async () => {
    const c = cpe({ username: USER, password: PASS });
    for (let i = 0; i < 3; i++) {
      expect((await c.post(informBody({ serial: 'SN-LIB' }))).status).toBe(200);
      expect((await c.post(null)).status).toBe(204);
    }
  });
});

describe('cookies', () => {
  it("an Inform with no credentials but a victim's cookie does not end the victim's session", async () => {
    const victim = cpe({ username: USER, password: PASS });
    expect((await victim.post(informBody({ serial: 'SN-V' }))).status).toBe(200);
    const attacker = cpe({});
    attacker.cookie = victim.cookie;
    expect((await attacker.post(informBody({ serial: 'SN-V' }))).status).toBe(401);
    expect((await attacker.post(informBody({ serial: 'SN-X' }))).status).toBe(401);
    expect(acs.activeSessions()).toBe(1);
    // The victim carries on: its empty POST ends its session normally.
    expect((await victim.post(null)).status).toBe(204);
    const log = await store.listSessions(deviceIdOf({ ...DEVICE, serialNumber: 'SN-V' }));
    expect(log.map((l) => l.outcome)).toEqual(['ok']);
  });

  it("another device's authenticated Inform with the victim's cookie does not end the victim's session", async () => {
    const victim = cpe({ username: USER, password: PASS });
    expect((await victim.post(informBody({ serial: 'SN-V' }))).status).toBe(200);
    const other = cpe({ username: USER, password: PASS });
    other.cookie = victim.cookie;
    expect((await other.post(informBody({ serial: 'SN-O' }))).status).toBe(200);
    expect((await other.post(null)).status).toBe(204);
    const v = await victim.post(null);
    expect(v.text).toBe('');
    expect(v.status).toBe(204);
  });

  it('a cookie from another address does not take a session over', async () => {
    const victim = cpe({ username: USER, password: PASS });
    expect((await victim.post(informBody({ serial: 'SN-V' }))).status).toBe(200);
    const thief = cpe({ localAddress: '127.0.0.2' });
    thief.cookie = victim.cookie;
    const r = await thief.post(null);
    expect(r.status).toBe(400);
    expect(acs.activeSessions()).toBe(1);
    expect((await victim.post(null)).status).toBe(204);
  });

  it('the same CPE reconnecting with its cookie carries on', async () => {
    const c = cpe({ username: USER, password: PASS });
    expect((await c.post(informBody({ serial: 'SN-R' }))).status).toBe(200);
    c.reconnect();
    expect((await c.post(null)).status).toBe(204);
  });
});
