/**
 * The interop defects of issue 11, each with a scripted CPE that behaves like the real client
 * that exposed it (real HTTP on loopback, a real SQLite store). Each case failed before its fix.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startAcs, type AcsServer } from '../../src/acs/server.js';
import type { ParameterValue } from '../../src/cwmp/types.js';
import { sendConnectionRequest } from '../../src/reach/http.js';
import { deviceIdOf } from '../../src/store/device-id.js';
import type { Task } from '../../src/tasks/types.js';
import { queueRpc } from '../helpers/queue.js';
import { DEVICE, ScriptedCpe, informBody, type Reply } from '../helpers/scripted-cpe.js';

const USER = 'boot';
const PASS = 'strap-secret';
const ID = deviceIdOf(DEVICE);
const MS = 'Device.ManagementServer.';

let dir: string;
let acs: AcsServer;
const cpes: ScriptedCpe[] = [];
const servers: Server[] = [];

async function start(config: Parameters<typeof startAcs>[0] = {}): Promise<AcsServer> {
  acs = await startAcs({
    dataDir: dir,
    host: '127.0.0.1',
    cwmpPort: 0,
    cpeCredentials: { username: USER, password: PASS },
    discoverOnBootstrap: false,
    // Scripted to the message: no per-device credentials handed out.
    perDeviceCredentials: false,
    ...config,
  });
  return acs;
}

function cpe(opts: ConstructorParameters<typeof ScriptedCpe>[1] = {}): ScriptedCpe {
  const c = new ScriptedCpe(acs.cwmpUrl, { username: USER, password: PASS, ...opts });
  cpes.push(c);
  return c;
}

async function queueTask(task: Task): Promise<string> {
  const [t] = await acs.store.createTasks([{ deviceId: ID, task, expiresAt: null }], Date.now());
  return t!.id;
}

const method = (r: Reply): string | undefined => r.envelope?.body.method;
const faultCode = (r: Reply): number | undefined => (r.envelope?.body.method === 'Fault' ? r.envelope.body.detail.faultCode : undefined);

async function storedValue(path: string): Promise<string | null | undefined> {
  const [row] = await acs.store.readParameters(ID, [path]);
  return row?.value;
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'flotilla-interop-'));
});

afterEach(async () => {
  for (const c of cpes.splice(0)) c.close();
  for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
  await acs?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('1. AddObject is never repeated after it succeeded', () => {
  const addWifi: Task = {
    type: 'addObject',
    objectName: 'Device.WiFi.SSID.',
    parameterValues: [['SSID', 'guest', 'xsd:string']],
    parameterKey: 'k1',
  };

  it('continues with the instance made when the session died after AddObjectResponse', async () => {
    await start();
    const taskId = await queueTask(addWifi);
    // A client whose answer to the follow-up SetParameterValues is malformed.
    const c = cpe();
    await c.post(informBody());
    const add = await c.post(null);
    expect(add.envelope?.body).toMatchObject({ method: 'AddObject', objectName: 'Device.WiFi.SSID.' });
    const spv = await c.answer(add, { method: 'AddObjectResponse', instanceNumber: 3, status: 0 });
    expect(spv.envelope?.body).toMatchObject({ method: 'SetParameterValues', parameterList: [{ name: 'Device.WiFi.SSID.3.SSID', value: 'guest' }] });
    expect((await c.postRaw('<soap:Envelope><broken')).status).toBe(400);
    // Half done (the instance exists, its values are not set): in progress, with the step kept.
    expect(await acs.store.getTask(taskId)).toMatchObject({ state: 'running', response: { method: 'AddObjectResponse', instanceNumber: 3 } });

    // Next session: the values of instance 3, no second AddObject.
    c.reconnect();
    c.cookie = undefined;
    await c.post(informBody());
    const again = await c.post(null);
    expect(again.envelope?.body).toMatchObject({ method: 'SetParameterValues', parameterList: [{ name: 'Device.WiFi.SSID.3.SSID', value: 'guest' }] });
    expect((await c.answer(again, { method: 'SetParameterValuesResponse', status: 0 })).status).toBe(204);
    const done = await acs.store.getTask(taskId);
    expect(done?.state).toBe('done');
    expect(done?.response).toEqual({ method: 'AddObjectResponse', instanceNumber: 3, status: 0 });
    const rpcs = (await acs.store.listSessions(ID)).flatMap((s) => s.rpcs.map((r) => r.method));
    expect(rpcs.filter((m) => m === 'AddObject')).toHaveLength(1);
  });

  it('faults a task after too many sessions without an outcome instead of sending it forever', async () => {
    await start({ maxTaskAttempts: 2 });
    const taskId = await queueRpc(acs.store, ID, { method: 'GetRPCMethods' });
    const c = cpe();
    for (let i = 0; i < 2; i++) {
      c.reconnect();
      c.cookie = undefined;
      await c.post(informBody());
      expect(method(await c.post(null))).toBe('GetRPCMethods');
      expect((await c.postRaw('not xml at all <')).status).toBe(400);
    }
    c.reconnect();
    c.cookie = undefined;
    await c.post(informBody());
    expect((await c.post(null)).status).toBe(204);
    const given = await acs.store.getTask(taskId.id);
    expect(given?.state).toBe('fault');
    expect(given?.fault?.faultString).toMatch(/2 sessions/);
  });
});

describe('2. a password the ACS set survives reads that answer ""', () => {
  const blank = (name: string): ParameterValue => ({ name, value: '', type: 'xsd:string' });

  /** The end of a session; a new device's discovery (when on) is refused, which ends it. */
  async function finish(c: ScriptedCpe, reply: Reply): Promise<void> {
    if (method(reply) === 'GetParameterNames') {
      const detail = { faultCode: 9002, faultString: 'Internal error', setParameterValuesFault: [] };
      reply = await c.answer(reply, { method: 'Fault', faultcode: 'Server', faultstring: 'CWMP fault', detail });
    }
    expect(reply.status).toBe(204);
  }

  async function setPassword(c: ScriptedCpe): Promise<void> {
    await queueTask({ type: 'setParameterValues', parameterValues: [[`${MS}ConnectionRequestPassword`, 'cr-secret', 'xsd:string']], parameterKey: '' });
    await c.post(informBody());
    const spv = await c.post(null);
    expect(method(spv)).toBe('SetParameterValues');
    await finish(c, await c.answer(spv, { method: 'SetParameterValuesResponse', status: 0 }));
    expect(await storedValue(`${MS}ConnectionRequestPassword`)).toBe('cr-secret');
  }

  it('a refresh of ManagementServer. keeps it', async () => {
    await start();
    const c = cpe();
    await setPassword(c);
    await queueTask({ type: 'refresh', objectName: MS });
    await c.post(informBody());
    const gpn = await c.post(null);
    expect(method(gpn)).toBe('GetParameterNames');
    const names = ['ConnectionRequestUsername', 'ConnectionRequestPassword', 'Password'].map((n) => ({ name: `${MS}${n}`, writable: true }));
    const gpv = await c.answer(gpn, { method: 'GetParameterNamesResponse', parameterList: names });
    expect(method(gpv)).toBe('GetParameterValues');
    const end = await c.answer(gpv, {
      method: 'GetParameterValuesResponse',
      parameterList: [{ name: `${MS}ConnectionRequestUsername`, value: 'cr-user', type: 'xsd:string' }, blank(`${MS}ConnectionRequestPassword`), blank(`${MS}Password`)],
    });
    expect(end.status).toBe(204);
    expect(await storedValue(`${MS}ConnectionRequestPassword`)).toBe('cr-secret');
    expect(await storedValue(`${MS}ConnectionRequestUsername`)).toBe('cr-user');
  });

  it('a bootstrap rediscovery keeps it (and a Wi-Fi key, a catalogue password type)', async () => {
    await start({ discoverOnBootstrap: true });
    const c = cpe();
    await setPassword(c);
    await queueTask({ type: 'setParameterValues', parameterValues: [['Device.WiFi.AccessPoint.1.Security.KeyPassphrase', 'wifi-secret', 'xsd:string']], parameterKey: '' });
    await c.post(informBody());
    const spv = await c.post(null);
    await finish(c, await c.answer(spv, { method: 'SetParameterValuesResponse', status: 0 }));

    await c.post(informBody({ events: ['0 BOOTSTRAP', '1 BOOT'] }));
    const gpn = await c.post(null);
    expect(gpn.envelope?.body).toMatchObject({ method: 'GetParameterNames', parameterPath: 'Device.' });
    const paths = [`${MS}ConnectionRequestPassword`, 'Device.WiFi.AccessPoint.1.Security.KeyPassphrase', 'Device.DeviceInfo.SoftwareVersion'];
    const gpv = await c.answer(gpn, { method: 'GetParameterNamesResponse', parameterList: paths.map((name) => ({ name, writable: true })) });
    const end = await c.answer(gpv, {
      method: 'GetParameterValuesResponse',
      parameterList: [blank(paths[0]!), blank(paths[1]!), { name: paths[2]!, value: '2.0', type: 'xsd:string' }],
    });
    expect(end.status).toBe(204);
    expect(await storedValue(paths[0]!)).toBe('cr-secret');
    expect(await storedValue(paths[1]!)).toBe('wifi-secret');
    expect(await storedValue(paths[2]!)).toBe('2.0');
  });
});

describe('3. connection requests send a capitalised Authorization header', () => {
  it('answers a CPE that matches "Authorization: Digest" byte for byte', async () => {
    // The embedded C client: challenges, then looks for the exact header name in the raw request.
    const seen: string[][] = [];
    const server = createServer((req: IncomingMessage, res) => {
      seen.push(req.rawHeaders.filter((_, i) => i % 2 === 0));
      const i = req.rawHeaders.indexOf('Authorization');
      if (i >= 0 && req.rawHeaders[i + 1]?.startsWith('Digest ')) {
        res.writeHead(200).end();
        return;
      }
      res.writeHead(401, { 'WWW-Authenticate': 'Digest realm="cpe", nonce="n0nce", qop="auth", algorithm=MD5' }).end();
    });
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/cr`;
    const result = await sendConnectionRequest(url, { username: 'u', password: 'p' });
    expect(result).toMatchObject({ outcome: 'answered', status: 200 });
    expect(seen[1]).toContain('Authorization');
    expect(seen[1]).not.toContain('authorization');
  });
});

describe('4. a CPE that crashed mid-session is not locked out', () => {
  it('a new authenticated Inform ends the stale session, its unanswered task requeued and sent again', async () => {
    await start();
    const taskId = (await queueRpc(acs.store, ID, { method: 'GetRPCMethods' })).id;
    const c = cpe();
    await c.post(informBody());
    expect(method(await c.post(null))).toBe('GetRPCMethods');
    // The CPE dies: a new connection, no cookie, a fresh Inform.
    c.reconnect();
    c.cookie = undefined;
    const again = await c.post(informBody({ events: ['1 BOOT'] }));
    expect(again.status).toBe(200);
    expect(method(again)).toBe('InformResponse');
    const req = await c.post(null);
    expect(method(req)).toBe('GetRPCMethods');
    expect((await c.answer(req, { method: 'GetRPCMethodsResponse', methodList: [] })).status).toBe(204);
    expect((await acs.store.getTask(taskId))?.state).toBe('done');
    const outcomes = (await acs.store.listSessions(ID)).map((s) => s.outcome).sort();
    expect(outcomes).toEqual(['ok', 'superseded']);
  });

  it('a protocol error frees the device at once, and the session log keeps the error', async () => {
    await start();
    await queueRpc(acs.store, ID, { method: 'GetRPCMethods' });
    const c = cpe();
    await c.post(informBody());
    const req = await c.post(null);
    // The wrong response to our request.
    const wrong = await c.answer(req, { method: 'SetParameterValuesResponse', status: 0 });
    expect(wrong.status).toBe(400);
    expect(acs.activeSessions()).toBe(0);
    const [log] = await acs.store.listSessions(ID);
    expect(log?.outcome).toMatch(/^protocol-error: expected GetRPCMethodsResponse/);
    // Another ACS-side view of "free": a second, unrelated client may open a session at once.
    const other = cpe();
    expect(method(await other.post(informBody()))).toBe('InformResponse');
  });
});

describe('5. HoldRequests never costs the CPE its requests', () => {
  it('is not set just because tasks are queued', async () => {
    await start();
    await queueRpc(acs.store, ID, { method: 'GetRPCMethods' });
    const c = cpe();
    const ir = await c.post(informBody());
    expect(ir.envelope?.header.holdRequests).toBeUndefined();
  });

  it('a TransferComplete sent first is answered and recorded, with tasks queued', async () => {
    await start();
    const download = await queueTask({
      type: 'download',
      commandKey: 'fw-1',
      fileType: '1 Firmware Upgrade Image',
      url: 'http://files.example/fw.bin',
      username: '',
      password: '',
      fileSize: 0,
      targetFileName: '',
      delaySeconds: 0,
      successURL: '',
      failureURL: '',
    });
    await queueRpc(acs.store, ID, { method: 'GetRPCMethods' });
    const c = cpe();
    await c.post(informBody({ events: ['7 TRANSFER COMPLETE', { eventCode: 'M Download', commandKey: 'fw-1' }] }));
    const tc = await c.post({
      method: 'TransferComplete',
      commandKey: 'fw-1',
      faultStruct: { faultCode: 0, faultString: '' },
      startTime: '2026-11-21T10:00:00Z',
      completeTime: '2026-11-21T10:01:00Z',
    });
    expect(tc.status).toBe(200);
    expect(method(tc)).toBe('TransferCompleteResponse');
    const req = await c.post(null);
    expect(method(req)).toBe('GetRPCMethods');
    expect((await c.answer(req, { method: 'GetRPCMethodsResponse', methodList: [] })).status).toBe(204);
    const messages = await acs.store.listCpeMessages(ID);
    expect(messages.map((m) => m.message.method)).toEqual(['TransferComplete']);
    expect((await acs.store.getTask(download))?.state).toBe('done');
  });

  it('a CPE that obeys a hold still gets its request in after the ACS has finished', async () => {
    await start();
    await queueRpc(acs.store, ID, { method: 'GetRPCMethods' });
    const c = cpe();
    // No event announces it: a client retrying a request whose event was already delivered.
    const ir = await c.post(informBody());
    if (ir.envelope?.header.holdRequests === true) {
      const req = await c.post(null);
      const end = await c.answer(req, { method: 'GetRPCMethodsResponse', methodList: [] });
      expect(end.status).toBe(204);
      const own = await c.post({ method: 'GetRPCMethods' });
      expect(method(own)).toBe('GetRPCMethodsResponse');
      expect((await c.post(null)).status).toBe(204);
    } else {
      const own = await c.post({ method: 'GetRPCMethods' });
      expect(method(own)).toBe('GetRPCMethodsResponse');
      const req = await c.post(null);
      expect((await c.answer(req, { method: 'GetRPCMethodsResponse', methodList: [] })).status).toBe(204);
    }
    const [log] = await acs.store.listSessions(ID);
    expect(log?.cpeRequests).toEqual(['GetRPCMethods']);
    expect(faultCode(ir)).toBeUndefined();
  });
});
