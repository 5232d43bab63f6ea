/**
 * Reaching devices that HTTP cannot, end to end on loopback with real parts: the API asks
 * for a connection request; the ACS picks the path from what it knows (src/reach/path-choice.ts):
 * UDP to the binding its STUN server learnt (Annex G), or an IQ through a real XMPP server
 * (Debian's prosody, fresh config per run; Annex K). Simulated CPEs keep STUN bindings the
 * API configured, log into the same XMPP server, and refuse senders or credentials they do
 * not know. (The same through a real NAT: nat.e2e.test.ts.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { client, xml } from '@xmpp/client';
import { Fleet } from '../../src/cpe/index.js';
import { fleetStun } from '../../src/cpe/sim/stun.js';
import { XmppConnectionRequestListener, type XmppRequestOutcome } from '../../src/cpe/client/xmpp-connection-request.js';
import { StunCredentials } from '../../src/reach/stun-credentials.js';
import { StunServer } from '../../src/reach/stun-server.js';
import { XmppConnectionRequester } from '../../src/reach/xmpp.js';
import { deviceIdOf } from '../../src/store/device-id.js';
import { SqliteReachStore } from '../../src/store/sqlite/reach.js';
import { join } from 'node:path';
import { CR_PASS, CR_USER, inPath, routerTemplate, startStack, until, type Stack } from '../nbi/helpers.js';
import { prosodyMissing, startProsody, type Prosody } from '../helpers/prosody.js';

const missing = prosodyMissing();
if (missing !== null && process.env.CI === 'true') throw new Error(`CI needs prosody: ${missing}`);
if (missing !== null) console.warn(`skipping XMPP cases: ${missing}`);

const XMPP_PW = 'cpe-xmpp-pw';
let stack: Stack;
let stun: StunServer;
let reach: SqliteReachStore;
let prosody: Prosody | null = null;
let xmpp: XmppConnectionRequester | null = null;
const creds = new StunCredentials(Buffer.alloc(32, 9));
const fleets: Fleet[] = [];

beforeAll(async () => {
  if (missing === null) {
    prosody = await startProsody();
    await prosody.register('acs', 'acs-pw');
    for (const u of ['xmpp000001', 'xmpp000002', 'xmpp000003']) await prosody.register(u, XMPP_PW);
    xmpp = await XmppConnectionRequester.connect({ service: prosody.service, jid: `acs@${prosody.domain}`, password: 'acs-pw', timeoutMs: 3000 });
  }
  const dir = (await import('node:fs/promises')).mkdtemp(join((await import('node:os')).tmpdir(), 'flotilla-reach-'));
  reach = SqliteReachStore.open(join(await dir, 'flotilla.db'));
  stun = await StunServer.listen({ host: '127.0.0.1', port: 0, credentials: creds, reach, natDetected: async () => true });
  stack = await startStack({
    dir: await dir,
    nbi: {
      connectionRequests: {
        defaultCredentials: { username: CR_USER, password: CR_PASS },
        timeoutMs: 1_000,
        perDevice: { burst: 1000, perSecond: 1000 },
        reach,
        // From the STUN port, as `flotilla serve` sends them (NATs filter by address and port).
        udp: { copies: 2, intervalMs: 20, send: (d, port, host) => stun.sendFrom(d, port, host) },
        ...(xmpp !== null ? { xmpp } : {}),
      },
      reach: { store: reach, stunCredentials: creds, ...(prosody !== null ? { xmppJid: `acs@${prosody.domain}` } : {}) },
    },
  });
}, 60_000);

afterAll(async () => {
  for (const f of fleets) await f.stop();
  await xmpp?.close();
  await stun?.close();
  await stack?.close();
  await reach?.close();
  await prosody?.close();
});

async function fleet(prefix: string, extra: Partial<ConstructorParameters<typeof Fleet>[0]>): Promise<{ f: Fleet; ids: string[] }> {
  const f = new Fleet({
    acsUrl: stack.acs.cwmpUrl,
    count: 1,
    model: routerTemplate(),
    serialPrefix: prefix,
    connectionRequests: 'off',
    connectionRequestCredentials: { username: CR_USER, password: CR_PASS },
    connectionRequestRateLimit: { burst: 100, refillSeconds: 0.01 },
    informInterval: 3600,
    retry: { minimumWait: 0.05 },
    ...extra,
  });
  fleets.push(f);
  await f.prepare();
  const ids = f.cpes.map((c) => deviceIdOf(c.model.deviceId()));
  await f.start();
  for (const id of ids) await until(async () => (await stack.store.getDevice(id)) !== null);
  return { f, ids };
}

describe('UDP through the STUN binding (Annex G)', () => {
  it('the API configures STUN; the CPE binds, the ACS learns it and reaches the device over UDP', async () => {
    const { f, ids } = await fleet('STUN', { stun: fleetStun('127.0.0.1', stun.port, 1) });
    const id = ids[0]!;
    // Before: the device has STUN on but no credentials; its requests teach nothing.
    const configure = await stack.api.post(`/devices/${inPath(id)}/reach/configure?connectionRequest=false`, { stun: { serverAddress: '127.0.0.1', serverPort: stun.port, keepAliveSeconds: 1 } });
    expect(configure.status).toBe(201);
    expect(JSON.stringify(configure.body)).not.toContain(creds.password(id));
    // The device takes the task at its next session (a VALUE CHANGE after the binding, or now).
    f.cpes[0]!.inform('6 CONNECTION REQUEST');
    await until(async () => (await stack.api.get(`/tasks/${configure.body.id}`)).body.state === 'done');
    const binding = await until(async () => (await stack.api.get(`/devices/${inPath(id)}/reach`)).body.binding, 10_000);
    expect(binding).toMatchObject({ address: expect.stringMatching(/^127\.0\.0\.1:\d+$/), natDetected: true, changes: 1 });
    expect(f.cpes[0]!.model.get('Device.ManagementServer.UDPConnectionRequestAddress')?.value).toBe(binding.address);

    const res = await stack.api.post(`/devices/${inPath(id)}/tasks?connectionRequest=true&wait=10`, { type: 'getRPCMethods' });
    expect(res.body).toMatchObject({ state: 'done', connectionRequest: { outcome: 'udp-sent', path: 'udp' } });
    const after = (await stack.api.get(`/devices/${inPath(id)}/reach`)).body;
    expect(after.lastPath).toBe('udp');
    expect(typeof after.lastSuccessAt).toBe('string');
  });

  it('rejects hostile configure bodies', async () => {
    const { ids } = await fleet('STUNBAD', {});
    const id = inPath(ids[0]!);
    for (const body of [{}, { stun: {} }, { stun: { serverAddress: 'a b' } }, { stun: { serverAddress: 'x', serverPort: 70000 } }, { other: 1 }, { xmpp: { allowedJids: ['a,b'] } }]) {
      expect((await stack.api.post(`/devices/${id}/reach/configure`, body)).status).toBe(400);
    }
    expect((await stack.api.post(`/devices/nope/reach/configure`, { stun: { serverAddress: 'x' } })).status).toBe(404);
    expect((await stack.api.get(`/devices/${id}/reach`)).body).toEqual({ binding: null, lastPath: null, lastSuccessAt: null });
  });

  it('deleting a device through the API forgets its binding and reach history', async () => {
    const { f, ids } = await fleet('STUNDEL', {});
    const id = ids[0]!;
    await f.stop();
    await reach.recordBinding(id, { host: '198.51.100.9', port: 41000, natDetected: true }, Date.now());
    await reach.recordSuccess(id, 'udp', Date.now());
    expect((await stack.api.get(`/devices/${inPath(id)}/reach`)).body.lastPath).toBe('udp');
    expect((await stack.api.del(`/devices/${inPath(id)}`)).status).toBe(204);
    expect(await reach.get(id)).toBeNull();
  });
});

describe.skipIf(missing !== null)('XMPP connection requests (Annex K, real prosody)', () => {
  it('reaches a device over XMPP and names the path', async () => {
    const { ids } = await fleet('XMPP', { xmpp: { service: prosody!.service, domain: prosody!.domain, password: () => XMPP_PW } });
    const res = await stack.api.post(`/devices/${inPath(ids[0]!)}/tasks?connectionRequest=true&wait=10`, { type: 'getRPCMethods' });
    expect(res.body).toMatchObject({ state: 'done', connectionRequest: { outcome: 'answered', path: 'xmpp' } });
    expect((await stack.api.get(`/devices/${inPath(ids[0]!)}/reach`)).body.lastPath).toBe('xmpp');
  });

  it('a JID not in ConnReqAllowedJabberIDs is refused; wrong credentials are not-authorized', async () => {
    const { ids: [other] } = await fleet('XMPP', { firstIndex: 2, xmpp: { service: prosody!.service, domain: prosody!.domain, password: () => XMPP_PW, allowedJids: `someone@${prosody!.domain}` } });
    const r1 = await stack.api.post(`/devices/${inPath(other!)}/connection-request`);
    expect(r1.body).toMatchObject({ outcome: 'refused', detail: expect.stringMatching(/XMPP service-unavailable$/) });
    const { ids: [wrong] } = await fleet('XMPP', {
      firstIndex: 3,
      connectionRequestCredentials: { username: CR_USER, password: 'not-what-the-acs-knows' },
      xmpp: { service: prosody!.service, domain: prosody!.domain, password: () => XMPP_PW },
    });
    const r2 = await stack.api.post(`/devices/${inPath(wrong!)}/connection-request`);
    expect(r2.body).toMatchObject({ outcome: 'auth-failed', detail: expect.stringMatching(/XMPP not-authorized$/) });
  });

  it('stanzas in unknown namespaces are answered with an error, counted, and start nothing', async () => {
    await prosody!.register('lonecpe', 'lone-pw');
    await prosody!.register('stranger', 'stranger-pw');
    const outcomes: XmppRequestOutcome[] = [];
    let sessions = 0;
    const listener = await XmppConnectionRequestListener.connect(
      { connectionRequest: () => sessions++, connectionRequestCredentials: () => ({ username: 'u', password: 'p' }), allowedJabberIds: () => '' },
      { service: prosody!.service, jid: `lonecpe@${prosody!.domain}/cwmp`, password: 'lone-pw', onRequest: (o) => outcomes.push(o) },
    );
    const stranger = client({ service: prosody!.service, domain: prosody!.domain, username: 'stranger', password: 'stranger-pw', resource: 'x' });
    stranger.on('error', () => undefined);
    await stranger.start();
    try {
      const to = `lonecpe@${prosody!.domain}/cwmp`;
      await expect(stranger.iqCaller.request(xml('iq', { type: 'get', to }, xml('query', { xmlns: 'urn:example:unknown' })), 3000)).rejects.toMatchObject({ condition: 'service-unavailable' });
      await stranger.send(xml('message', { to }, xml('body', {}, 'hello')));
      // Same element name, wrong namespace: not a connection request.
      await expect(
        stranger.iqCaller.request(xml('iq', { type: 'get', to }, xml('connectionRequest', { xmlns: 'urn:example:fake' }, xml('username', {}, 'u'), xml('password', {}, 'p'))), 3000),
      ).rejects.toMatchObject({ condition: 'service-unavailable' });
      // Malformed: no password.
      await expect(
        stranger.iqCaller.request(xml('iq', { type: 'get', to }, xml('connectionRequest', { xmlns: 'urn:broadband-forum-org:cwmp:xmppConnReq-1-0' }, xml('username', {}, 'u'))), 3000),
      ).rejects.toMatchObject({ condition: 'bad-request' });
      // The real thing works.
      await stranger.iqCaller.request(xml('iq', { type: 'get', to }, xml('connectionRequest', { xmlns: 'urn:broadband-forum-org:cwmp:xmppConnReq-1-0' }, xml('username', {}, 'u'), xml('password', {}, 'p'))), 3000);
      await until(() => listener.unknownStanzas >= 3);
      expect(listener.unknownStanzas).toBe(3);
      expect(outcomes).toEqual(['malformed', 'accepted']);
      expect(sessions).toBe(1);
    } finally {
      await stranger.stop();
      await listener.close();
    }
  });
});
