/**
 * Bad and hostile input at the CWMP endpoint: each gets a clear 4xx or SOAP fault, the
 * server stays up for everyone else, and nothing reaches the store.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startAcs, type AcsServer } from '../../src/acs/server.js';
import { buildEnvelope } from '../../src/cwmp/codec.js';
import { deviceIdOf } from '../../src/store/device-id.js';
import { DEVICE, ScriptedCpe, informBody } from '../helpers/scripted-cpe.js';
import { deviceTasks, queueRpc } from '../helpers/queue.js';

const ID = deviceIdOf(DEVICE);
let dir: string;
let acs: AcsServer;
const cpes: ScriptedCpe[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'flotilla-hostile-'));
  acs = await startAcs({
    dataDir: dir,
    host: '127.0.0.1',
    cwmpPort: 0,
    allowUnauthenticatedCpes: true,
    discoverOnBootstrap: false,
    maxBodyBytes: 64 * 1024,
    bodyTimeoutMs: 500,
  });
});

afterEach(async () => {
  for (const c of cpes.splice(0)) c.close();
  await acs.close();
  await rm(dir, { recursive: true, force: true });
});

function cpe(): ScriptedCpe {
  const c = new ScriptedCpe(acs.cwmpUrl);
  cpes.push(c);
  return c;
}

/** A healthy session still works: the server survived whatever came before. */
async function stillServes(serial = 'HEALTHY'): Promise<void> {
  const c = cpe();
  expect((await c.post(informBody({ serial }))).status).toBe(200);
  expect((await c.post(null)).status).toBe(204);
}

const validInform = (): string =>
  buildEnvelope({ namespace: 'urn:dslforum-org:cwmp-1-0', header: { id: '1' }, body: informBody() });

describe('hostile and malformed bodies', () => {
  it('answers a malformed envelope with 400 and a SOAP fault, writing nothing', async () => {
    const r = await cpe().postRaw('<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><cwmp:Inform>');
    expect(r.status).toBe(400);
    expect(r.text).toContain('<FaultCode>8003</FaultCode>');
    expect(await acs.store.getDevice(ID)).toBeNull();
    await stillServes();
  });

  it('refuses an XML entity attack (billion laughs) and a DOCTYPE', async () => {
    const lol =
      '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;">' +
      '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;">]>' +
      validInform().replace('<SerialNumber>SN0001</SerialNumber>', '<SerialNumber>&lol3;</SerialNumber>').replace(/^<\?xml[^>]*>/, '');
    const r = await cpe().postRaw(lol);
    expect(r.status).toBe(400);
    expect(r.text).toContain('Fault');
    const xxe = '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>' + validInform().replace(/^<\?xml[^>]*>/, '');
    expect((await cpe().postRaw(xxe)).status).toBe(400);
    expect((await acs.store.listDevices()).total).toBe(0);
    await stillServes();
  });

  it('refuses an oversized body with 413, also when gzip hides the size', async () => {
    const huge = validInform().replace('1.0.0', 'x'.repeat(200 * 1024));
    const r = await cpe().postRaw(huge);
    expect(r.status).toBe(413);
    const bomb = gzipSync(Buffer.alloc(10 * 1024 * 1024, 0x20));
    expect(bomb.length).toBeLessThan(64 * 1024);
    const r2 = await cpe().postRaw(bomb, { 'Content-Encoding': 'gzip' });
    expect(r2.status).toBe(413);
    expect((await acs.store.listDevices()).total).toBe(0);
    await stillServes();
  });

  it('accepts a gzip-encoded Inform', async () => {
    const c = cpe();
    const r = await c.postRaw(gzipSync(Buffer.from(validInform())), { 'Content-Encoding': 'gzip' });
    expect(r.status).toBe(200);
    expect((await c.post(null)).status).toBe(204);
    expect((await acs.store.getDevice(ID))?.deviceId.manufacturer).toBe('Acme');
  });

  it('cuts off a slow client and keeps serving others', async () => {
    const address = new URL(acs.cwmpUrl);
    const socket = connect(Number(address.port), address.hostname);
    await new Promise<void>((r) => socket.once('connect', () => r()));
    socket.write(`POST / HTTP/1.1\r\nHost: x\r\nContent-Type: text/xml\r\nContent-Length: 5000\r\n\r\n<soap`);
    const received: Buffer[] = [];
    socket.on('data', (d: Buffer) => received.push(d));
    const closed = new Promise<void>((r) => socket.once('close', () => r()));
    await stillServes('DURING-SLOW');
    await closed;
    expect(Buffer.concat(received).toString()).toMatch(/^HTTP\/1\.1 408/);
    expect(await acs.store.getDevice(ID)).toBeNull();
  });

  it('rejects a session that does not start with Inform, and non-POST methods', async () => {
    const r = await cpe().post({ method: 'GetRPCMethods' });
    expect(r.status).toBe(400);
    const empty = await cpe().post(null);
    expect(empty.status).toBe(400);
    const get = await fetch(acs.cwmpUrl);
    expect(get.status).toBe(405);
    await stillServes();
  });

  it('ends a session on a malformed message mid-session, keeping what was valid', async () => {
    const c = cpe();
    await queueRpc(acs.store, ID, { method: 'GetRPCMethods' });
    expect((await c.post(informBody())).status).toBe(200);
    expect((await c.post(null)).envelope?.body.method).toBe('GetRPCMethods');
    const bad = await c.postRaw('<not-xml');
    expect(bad.status).toBe(400);
    await new Promise((r) => setTimeout(r, 50));
    expect(acs.activeSessions()).toBe(0);
    const device = await acs.store.getDevice(ID);
    expect(device?.parameters.find((p) => p.path === 'Device.DeviceInfo.SoftwareVersion')?.value).toBe('1.0.0');
    expect((await deviceTasks(acs.store, ID))[0]?.state).toBe('queued');
  });
});

const fixture = resolve(__dirname, '../../../shared/fixtures/raw-http/chunked-inform-request.txt');
describe.skipIf(!existsSync(fixture))('a Thomson device over the wire (shared fixture)', () => {
  it('accepts the chunked ISO-8859-1 Inform exactly as the device sent it', async () => {
    const raw = await readFile(fixture);
    const address = new URL(acs.cwmpUrl);
    const socket = connect(Number(address.port), address.hostname);
    // The capture has LF line ends; HTTP wants CRLF in the head and chunk framing.
    const text = raw.toString('latin1').replace(/\r?\n/g, '\r\n');
    socket.write(Buffer.from(text.endsWith('\r\n\r\n') ? text : `${text}\r\n`, 'latin1'));
    const response = await new Promise<string>((r) => {
      let buf = '';
      socket.on('data', (d: Buffer) => {
        buf += d.toString();
        if (buf.includes('</SOAP-ENV:Envelope>') || buf.includes('Envelope>')) r(buf);
      });
      setTimeout(() => r(buf), 3000);
    });
    socket.destroy();
    expect(response).toMatch(/^HTTP\/1\.1 200/);
    expect(response).toContain('InformResponse');
    expect(response).toContain('urn:dslforum-org:cwmp-1-0');
    const thomson = await acs.store.getDevice(deviceIdOf({ oui: '00147F', productClass: 'SpeedTouch 780', serialNumber: 'CP0644JTHJ4' }));
    // The session is still open (no empty POST), so nothing is committed yet; closing ends it by timeout.
    expect(thomson).toBeNull();
  });
});
if (!existsSync(fixture)) console.log('skipping shared-fixture interop: ../shared/fixtures not found');
