/**
 * Connection requests go only to the device (issue 10, defect 4), end to end on loopback:
 * CPEs inform from 127.0.0.1 or 127.0.0.2 (two hosts as far as the ACS can tell) and report
 * ConnectionRequestURLs that point at listening sockets which count every connection. A
 * target that is not where the device's sessions come from is not contacted at all.
 */
import { createServer as createHttpServer, type IncomingMessage, type Server } from 'node:http';
import dgram from 'node:dgram';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConnectionRequester } from '../../src/reach/requester.js';
import type { Endpoint } from '../../src/reach/target-guard.js';
import { deviceIdOf } from '../../src/store/device-id.js';
import { DEVICE, ScriptedCpe, informBody } from '../helpers/scripted-cpe.js';
import { CR_PASS, CR_USER, inPath, startStack, type Stack } from '../nbi/helpers.js';

interface Counting {
  server: Server;
  port: number;
  connections: number;
  requests: IncomingMessage[];
}

/** An HTTP listener that counts connections and answers `status` (and headers). */
async function counting(status: number, headers: Record<string, string> = {}): Promise<Counting> {
  const c: Counting = { server: createHttpServer(), port: 0, connections: 0, requests: [] };
  c.server.on('connection', () => c.connections++);
  c.server.on('request', (req, res) => {
    c.requests.push(req);
    res.writeHead(status, headers);
    res.end();
  });
  await new Promise<void>((r) => c.server.listen(0, '127.0.0.1', r));
  c.port = (c.server.address() as AddressInfo).port;
  return c;
}

const own: Endpoint[] = [];
let stack: Stack;
const servers: Server[] = [];
let serial = 0;

beforeAll(async () => {
  stack = await startStack({
    acs: { discoverOnBootstrap: false },
    nbi: { connectionRequests: { defaultCredentials: { username: CR_USER, password: CR_PASS }, timeoutMs: 2_000, perDevice: { burst: 1000, perSecond: 1000 }, targets: { ownEndpoints: () => own } } },
  });
  for (const url of [stack.acs.cwmpUrl, stack.nbi.url]) {
    const u = new URL(url);
    own.push({ host: u.hostname, port: Number(u.port) });
  }
});

afterAll(async () => {
  for (const s of servers) s.close();
  await stack?.close();
});

async function listener(status: number, headers: Record<string, string> = {}): Promise<Counting> {
  const c = await counting(status, headers);
  servers.push(c.server);
  return c;
}

/** A device whose one session comes from `from` and reports these ManagementServer values. */
async function device(from: string, values: Record<string, string>): Promise<string> {
  const sn = `SSRF${++serial}`;
  const cpe = new ScriptedCpe(stack.acs.cwmpUrl, { localAddress: from });
  try {
    const params = Object.entries(values).map(([k, value]) => ({ name: `Device.ManagementServer.${k}`, value, type: 'xsd:string' }));
    expect((await cpe.post(informBody({ serial: sn, events: ['0 BOOTSTRAP'], params }))).status).toBe(200);
    expect((await cpe.post(null)).status).toBe(204);
  } finally {
    cpe.close();
  }
  return deviceIdOf({ ...DEVICE, serialNumber: sn });
}

const poke = async (id: string) => (await stack.api.post(`/devices/${inPath(id)}/connection-request`)).body;

describe('the acceptance checks', () => {
  it('a device whose sessions come from 127.0.0.2 with its URL on 127.0.0.1 gets no connection request; the URL is not contacted', async () => {
    const target = await listener(204);
    const id = await device('127.0.0.2', { ConnectionRequestURL: `http://127.0.0.1:${target.port}/cr` });
    expect(await poke(id)).toMatchObject({ outcome: 'blocked', detail: expect.stringContaining('not where the device is') });
    expect(target.connections).toBe(0);
  });

  it('a device whose sessions come from 127.0.0.1 with its URL on 127.0.0.1 is reached as before', async () => {
    const target = await listener(204);
    const id = await device('127.0.0.1', { ConnectionRequestURL: `http://127.0.0.1:${target.port}/cr` });
    expect(await poke(id)).toMatchObject({ outcome: 'answered', status: 204 });
    expect(target.connections).toBe(1);
  });
});

describe('targets refused without being contacted', () => {
  it('decimal, octal, hex, short and IPv6-mapped spellings of another loopback address', async () => {
    const target = await listener(204);
    const p = target.port;
    for (const url of [`http://2130706433:${p}/`, `http://0x7f.0.0.1:${p}/`, `http://0177.0.0.1:${p}/`, `http://127.1:${p}/`, `http://[::ffff:127.0.0.1]:${p}/`, `http://[::ffff:7f00:1]:${p}/`, `http://localhost:${p}/`]) {
      const id = await device('127.0.0.2', { ConnectionRequestURL: url });
      expect(await poke(id), url).toMatchObject({ outcome: 'blocked' });
    }
    expect(target.connections).toBe(0);
  });

  it("the ACS's own API and CWMP endpoints, even for a device on loopback", async () => {
    for (const url of [stack.nbi.url, stack.acs.cwmpUrl, stack.nbi.url.replace('127.0.0.1', '2130706433')]) {
      const id = await device('127.0.0.1', { ConnectionRequestURL: `${url}/api/v1/devices` });
      expect(await poke(id), url).toMatchObject({ outcome: 'blocked', detail: expect.stringContaining('is this ACS') });
    }
  });

  it('link-local and metadata addresses, whatever the session address', async () => {
    for (const url of ['http://169.254.169.254/latest/meta-data/', 'http://[fe80::1]/', 'http://0.0.0.0:1/', 'http://[fd00:ec2::254]/']) {
      const id = await device('127.0.0.1', { ConnectionRequestURL: url });
      expect(await poke(id), url).toMatchObject({ outcome: 'blocked' });
    }
  });

  it('redirects are not followed', async () => {
    const elsewhere = await listener(204);
    const redirecting = await listener(302, { location: `http://127.0.0.1:${elsewhere.port}/` });
    const id = await device('127.0.0.1', { ConnectionRequestURL: `http://127.0.0.1:${redirecting.port}/` });
    expect(await poke(id)).toMatchObject({ outcome: 'refused', status: 302 });
    expect(redirecting.connections).toBe(1);
    expect(elsewhere.connections).toBe(0);
  });
});

describe('credentials and allowed CIDRs', () => {
  it('an allowed CIDR lets a reported address be reached, but a fleet-wide default credential is never sent there', async () => {
    const challenger = await listener(401, { 'www-authenticate': 'Digest realm="cpe", qop="auth", nonce="abc", algorithm=MD5' });
    const id = await device('127.0.0.2', { ConnectionRequestURL: `http://127.0.0.1:${challenger.port}/` });
    const requester = new ConnectionRequester({
      store: stack.store,
      defaultCredentials: { username: 'fleet', password: 'fleet-wide-secret' },
      targets: { allowedCidrs: ['127.0.0.1/32'] },
      udp: false,
    });
    expect(await requester.request(id)).toMatchObject({ outcome: 'auth-failed', detail: 'no connection-request credentials known' });
    expect(challenger.connections).toBe(1);
    expect(challenger.requests.map((r) => r.headers.authorization)).toEqual([undefined]);
    // Where the device is seen, the default may go (it is the device, or whoever holds its session).
    const here = await device('127.0.0.1', { ConnectionRequestURL: `http://127.0.0.1:${challenger.port}/` });
    await requester.request(here);
    expect(challenger.requests.at(-1)?.headers.authorization).toMatch(/^Digest username="fleet"/);
  });

  it('a malformed allowed CIDR is refused at start', () => {
    expect(() => new ConnectionRequester({ store: stack.store, targets: { allowedCidrs: ['10.0.0.0/33'] } })).toThrow(/CIDR/);
    expect(() => new ConnectionRequester({ store: stack.store, targets: { allowedCidrs: ['nope'] } })).toThrow(/CIDR/);
  });
});

describe('UDP follows the same rules', () => {
  it('a UDPConnectionRequestAddress that is not where the device is gets no datagram', async () => {
    const socket = dgram.createSocket('udp4');
    let received = 0;
    socket.on('message', () => received++);
    await new Promise<void>((r) => socket.bind(0, '127.0.0.1', r));
    const port = socket.address().port;
    try {
      const requester = new ConnectionRequester({ store: stack.store, defaultCredentials: { username: CR_USER, password: CR_PASS }, udp: { copies: 1 } });
      const away = await device('127.0.0.2', { UDPConnectionRequestAddress: `127.0.0.1:${port}`, NATDetected: 'true' });
      expect(await requester.request(away)).toMatchObject({ outcome: 'blocked', path: 'udp' });
      const mapped = await device('127.0.0.2', { UDPConnectionRequestAddress: `[::ffff:127.0.0.1]:${port}`, NATDetected: 'true' });
      expect(await requester.request(mapped)).toMatchObject({ outcome: 'blocked', path: 'udp' });
      const meta = await device('127.0.0.1', { UDPConnectionRequestAddress: `169.254.169.254:${port}`, NATDetected: 'true' });
      expect(await requester.request(meta)).toMatchObject({ outcome: 'blocked', path: 'udp' });
      expect(received).toBe(0);
      // From the device's own address: sent.
      const here = await device('127.0.0.1', { UDPConnectionRequestAddress: `127.0.0.1:${port}`, NATDetected: 'true' });
      expect(await requester.request(here)).toMatchObject({ outcome: 'udp-sent', path: 'udp' });
    } finally {
      socket.close();
    }
  });
});
