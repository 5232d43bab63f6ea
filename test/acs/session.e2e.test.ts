/**
 * The CWMP endpoint over real HTTP on loopback, against a real SQLite store in a temp dir.
 * Every case asserts the protocol outcome and then what the store holds.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startAcs, type AcsServer } from '../../src/acs/server.js';
import { makeCredential } from '../../src/auth/server.js';
import { EventBus, type FlotillaEvent } from '../../src/events/bus.js';
import { deviceIdOf } from '../../src/store/device-id.js';
import { DEVICE, ScriptedCpe, informBody } from '../helpers/scripted-cpe.js';
import { deviceTasks, queueRpc } from '../helpers/queue.js';

const USER = 'boot';
const PASS = 'strap-secret';
const ID = deviceIdOf(DEVICE);

let dir: string;
let acs: AcsServer;
const cpes: ScriptedCpe[] = [];

async function start(config: Parameters<typeof startAcs>[0] = {}): Promise<AcsServer> {
  acs = await startAcs({
    dataDir: dir,
    host: '127.0.0.1',
    cwmpPort: 0,
    cpeCredentials: { username: USER, password: PASS },
    discoverOnBootstrap: false,
    // These exchanges are scripted to the message: no credentials handed out (credentials.e2e.test.ts).
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

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'flotilla-acs-'));
});

afterEach(async () => {
  for (const c of cpes.splice(0)) c.close();
  await acs?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('CWMP session over HTTP', () => {
  it('runs a full session with a queued request and a commit', async () => {
    await start();
    await queueRpc(acs.store, ID, { method: 'GetParameterValues', parameterNames: ['Device.DeviceInfo.UpTime'] });
    const c = cpe();
    const r1 = await c.post(informBody({ events: ['1 BOOT'] }));
    expect(r1.status).toBe(200);
    expect(r1.envelope?.body.method).toBe('InformResponse');
    expect(r1.envelope?.header.holdRequests).toBeUndefined();
    expect(c.cookie).toMatch(/^flotilla_session=/);
    const r2 = await c.post(null);
    expect(r2.envelope?.body).toEqual({ method: 'GetParameterValues', parameterNames: ['Device.DeviceInfo.UpTime'] });
    const r3 = await c.answer(r2, {
      method: 'GetParameterValuesResponse',
      parameterList: [{ name: 'Device.DeviceInfo.UpTime', value: '4242', type: 'xsd:unsignedInt' }],
    });
    expect(r3.status).toBe(204);

    const device = await acs.store.getDevice(ID);
    expect(device?.deviceId.serialNumber).toBe('SN0001');
    expect(device?.lastBoot).not.toBeNull();
    const byPath = new Map(device?.parameters.map((p) => [p.path, p]));
    expect(byPath.get('Device.DeviceInfo.UpTime')?.value).toBe('4242');
    expect(byPath.get('Device.DeviceInfo.SoftwareVersion')?.value).toBe('1.0.0');
    const [req] = await deviceTasks(acs.store, ID);
    expect(req?.state).toBe('done');
    expect(req?.response?.method).toBe('GetParameterValuesResponse');
    const [log] = await acs.store.listSessions(ID);
    expect(log?.outcome).toBe('ok');
    expect(log?.rpcs).toEqual([{ method: 'GetParameterValues', requestId: req?.id, outcome: 'done' }]);
  });

  it('answers every CPE request, records it, and faults an unknown method with 8000', async () => {
    await start();
    const c = cpe({ namespace: 'urn:dslforum-org:cwmp-1-2' });
    expect((await c.post(informBody({ events: ['7 TRANSFER COMPLETE', { eventCode: 'M Download', commandKey: 'fw1' }] }))).status).toBe(200);
    const tc = await c.post({
      method: 'TransferComplete',
      commandKey: 'fw1',
      faultStruct: { faultCode: 9010, faultString: 'Download failure' },
      startTime: '2026-11-21T10:00:00Z',
      completeTime: '2026-11-21T10:00:05Z',
    });
    expect(tc.envelope?.body.method).toBe('TransferCompleteResponse');
    expect(tc.envelope?.namespace).toBe('urn:dslforum-org:cwmp-1-2');
    const rpc = await c.post({ method: 'GetRPCMethods' });
    expect(rpc.envelope?.body).toMatchObject({ method: 'GetRPCMethodsResponse' });
    const rd = await c.post({ method: 'RequestDownload', fileType: '1 Firmware Upgrade Image', fileTypeArg: [] });
    expect(rd.envelope?.body.method).toBe('RequestDownloadResponse');
    const kicked = await c.post({ method: 'Kicked', command: 'x', referer: 'r', arg: 'a', next: 'http://next/' });
    expect(kicked.envelope?.body).toEqual({ method: 'KickedResponse', nextURL: 'http://next/' });
    const du = await c.post({ method: 'DUStateChangeComplete', results: [], commandKey: 'du' });
    expect(du.envelope?.body.method).toBe('DUStateChangeCompleteResponse');
    const unknown = await c.post({ method: 'Unknown', name: 'X_ACME_Hello', namespaceUri: 'urn:dslforum-org:cwmp-1-2' });
    expect(unknown.envelope?.body.method).toBe('Fault');
    if (unknown.envelope?.body.method === 'Fault') expect(unknown.envelope.body.detail.faultCode).toBe(8000);
    expect((await c.post(null)).status).toBe(204);

    const messages = await acs.store.listCpeMessages(ID);
    expect(messages.map((m) => m.message.method).sort()).toEqual(
      ['DUStateChangeComplete', 'GetRPCMethods', 'Kicked', 'RequestDownload', 'TransferComplete'].sort(),
    );
    const transfer = messages.find((m) => m.message.method === 'TransferComplete')?.message;
    expect(transfer?.method === 'TransferComplete' && transfer.faultStruct.faultCode).toBe(9010);
    const [log] = await acs.store.listSessions(ID);
    expect(log?.cpeRequests).toContain('X_ACME_Hello');
  });

  it('records transfers the CPE made on its own (AutonomousTransferComplete) and tells the event stream', async () => {
    const bus = new EventBus();
    const seen: FlotillaEvent[] = [];
    bus.subscribe((e) => void seen.push(e));
    await start({ events: bus });
    const c = cpe();
    expect((await c.post(informBody({ events: ['10 AUTONOMOUS TRANSFER COMPLETE'] }))).status).toBe(200);
    const autonomous = {
      method: 'AutonomousTransferComplete' as const,
      announceURL: '',
      transferURL: 'http://fw.example.net/2.0.bin',
      isDownload: true,
      fileType: '1 Firmware Upgrade Image',
      fileSize: 1_048_576,
      targetFileName: '2.0.bin',
      faultStruct: { faultCode: 9010, faultString: 'Download failure' },
      startTime: '2026-11-21T10:00:00Z',
      completeTime: '2026-11-21T10:00:07Z',
    };
    expect((await c.post(autonomous)).envelope?.body.method).toBe('AutonomousTransferCompleteResponse');
    const tc = { method: 'TransferComplete' as const, commandKey: 'not-ours', faultStruct: { faultCode: 0, faultString: '' }, startTime: '2026-11-21T10:00:00Z', completeTime: '2026-11-21T10:00:01Z' };
    expect((await c.post(tc)).envelope?.body.method).toBe('TransferCompleteResponse');
    expect((await c.post(null)).status).toBe(204);

    const kept = (await acs.store.listCpeMessages(ID)).map((m) => m.message);
    expect(kept).toEqual(expect.arrayContaining([autonomous, tc]));
    const transfers = seen.filter((e) => e.type === 'device.transfer');
    expect(transfers.map((e) => [e.deviceId, e.data])).toEqual([
      [ID, { autonomous: true, announceURL: '', transferURL: 'http://fw.example.net/2.0.bin', isDownload: true, fileType: '1 Firmware Upgrade Image', fileSize: 1_048_576, targetFileName: '2.0.bin', faultCode: 9010, faultString: 'Download failure', startTime: '2026-11-21T10:00:00Z', completeTime: '2026-11-21T10:00:07Z' }],
      [ID, { autonomous: false, commandKey: 'not-ours', faultCode: 0, faultString: '', startTime: '2026-11-21T10:00:00Z', completeTime: '2026-11-21T10:00:01Z' }],
    ]);
  });

  it('keeps a CPE fault on the request and in the session log', async () => {
    await start();
    const queued = await queueRpc(acs.store, ID, {
      method: 'SetParameterValues',
      parameterList: [{ name: 'Device.WiFi.SSID.1.SSID', value: 'x'.repeat(40), type: 'xsd:string' }],
      parameterKey: 'k1',
    });
    const c = cpe();
    await c.post(informBody());
    const spv = await c.post(null);
    expect(spv.envelope?.body.method).toBe('SetParameterValues');
    const end = await c.answer(spv, {
      method: 'Fault',
      faultcode: 'Client',
      faultstring: 'CWMP fault',
      detail: {
        faultCode: 9003,
        faultString: 'Invalid arguments',
        setParameterValuesFault: [{ parameterName: 'Device.WiFi.SSID.1.SSID', faultCode: 9007, faultString: 'Invalid parameter value' }],
      },
    });
    expect(end.status).toBe(204);
    const stored = await acs.store.getTask(queued.id);
    expect(stored?.state).toBe('fault');
    expect(stored?.fault?.faultCode).toBe(9003);
    expect(stored?.fault?.setParameterValuesFault[0]).toEqual({
      parameterName: 'Device.WiFi.SSID.1.SSID',
      faultCode: 9007,
      faultString: 'Invalid parameter value',
    });
    const device = await acs.store.getDevice(ID);
    expect(device?.parameters.find((p) => p.path === 'Device.WiFi.SSID.1.SSID')).toBeUndefined();
    const [log] = await acs.store.listSessions(ID);
    expect(log?.rpcs[0]).toMatchObject({ method: 'SetParameterValues', outcome: 'fault', faultCode: 9003 });
  });
});

describe('CPE authentication', () => {
  it('challenges with Digest, refuses a wrong password and accepts the right one', async () => {
    await start();
    const anonymous = new ScriptedCpe(acs.cwmpUrl);
    cpes.push(anonymous);
    const r = await anonymous.post(informBody());
    expect(r.status).toBe(401);
    expect(String(r.headers['www-authenticate'])).toMatch(/Digest realm="Flotilla".*qop="auth"/);
    expect(String(r.headers['www-authenticate'])).not.toMatch(/Basic/);

    const wrong = cpe({ password: 'nope' });
    expect((await wrong.post(informBody())).status).toBe(401);
    const right = cpe();
    expect((await right.post(informBody())).status).toBe(200);
    expect((await right.post(null)).status).toBe(204);
    expect(await acs.store.getDevice(ID)).not.toBeNull();
  });

  it('refuses Basic over plain HTTP unless explicitly allowed', async () => {
    await start();
    const basic = cpe({ basic: true });
    expect((await basic.post(informBody())).status).toBe(401);
    expect(await acs.store.getDevice(ID)).toBeNull();
    await acs.close();
    await start({ allowBasicOverHttp: true });
    const allowed = cpe({ basic: true });
    expect((await allowed.post(informBody())).status).toBe(200);
  });

  it('uses the device credential once it has one, and then refuses the bootstrap one', async () => {
    await start();
    await acs.store.setCpeCredential(ID, makeCredential('dev-SN0001', 'own-secret', 'Flotilla'));
    expect((await cpe().post(informBody())).status).toBe(401);
    const own = cpe({ username: 'dev-SN0001', password: 'own-secret' });
    expect((await own.post(informBody())).status).toBe(200);
  });

  it('accepts anyone only with --allow-unauthenticated-cpes', async () => {
    await start({ cpeCredentials: undefined, allowUnauthenticatedCpes: true });
    const anonymous = new ScriptedCpe(acs.cwmpUrl);
    cpes.push(anonymous);
    expect((await anonymous.post(informBody())).status).toBe(200);
  });

  it('generates a bootstrap credential on first start and keeps only its hash', async () => {
    await start({ cpeCredentials: undefined });
    const generated = acs.bootstrap.generated;
    expect(generated?.username).toBe('cpe-bootstrap');
    expect(generated?.password.length).toBeGreaterThan(16);
    const { readFile } = await import('node:fs/promises');
    const file = await readFile(join(dir, 'cpe-bootstrap-credential.json'), 'utf8');
    expect(file).not.toContain(generated?.password ?? '???');
    const c = new ScriptedCpe(acs.cwmpUrl, { username: generated?.username ?? '', password: generated?.password ?? '' });
    cpes.push(c);
    expect((await c.post(informBody())).status).toBe(200);
    await acs.close();
    await start({ cpeCredentials: undefined });
    expect(acs.bootstrap.generated).toBeNull();
  });
});

describe('sessions across connections', () => {
  it('finds a session by its connection when the CPE drops cookies', async () => {
    await start();
    await queueRpc(acs.store, ID, { method: 'GetRPCMethods' });
    const c = cpe({ dropCookies: true });
    await c.post(informBody());
    const req = await c.post(null);
    expect(req.envelope?.body.method).toBe('GetRPCMethods');
    const end = await c.answer(req, { method: 'GetRPCMethodsResponse', methodList: ['GetParameterValues'] });
    expect(end.status).toBe(204);
    expect((await deviceTasks(acs.store, ID))[0]?.state).toBe('done');
  });

  it('carries a session on when the CPE reconnects with its cookie', async () => {
    await start();
    await queueRpc(acs.store, ID, { method: 'GetRPCMethods' });
    const c = cpe();
    await c.post(informBody());
    c.reconnect();
    const req = await c.post(null);
    expect(req.envelope?.body.method).toBe('GetRPCMethods');
    c.reconnect();
    expect((await c.answer(req, { method: 'GetRPCMethodsResponse', methodList: [] })).status).toBe(204);
    expect((await deviceTasks(acs.store, ID))[0]?.state).toBe('done');
  });

  it('allows one session per device: a second authenticated Inform ends the first (a CPE that restarted)', async () => {
    await start();
    const first = cpe();
    const second = cpe();
    expect((await first.post(informBody())).status).toBe(200);
    expect((await second.post(informBody())).status).toBe(200);
    // The first is over: its next message finds no session.
    expect((await first.post(null)).status).toBe(400);
    expect((await second.post(null)).status).toBe(204);
    expect((await acs.store.listSessions(ID)).map((s) => s.outcome).sort()).toEqual(['ok', 'superseded']);
  });

  it('gives 8005 while another process holds the device', async () => {
    await start();
    expect((await acs.store.openSession({ deviceId: ID, lockOwner: 'elsewhere', lockTtlMs: 60_000, now: Date.now() })).lock).toBe('acquired');
    const busy = await cpe().post(informBody());
    expect(busy.status).toBe(500);
    expect(busy.envelope?.body.method === 'Fault' && busy.envelope.body.detail.faultCode).toBe(8005);
  });

  it('ends an idle session after the timeout and frees the device', async () => {
    await start({ sessionTimeoutMs: 200 });
    const c = cpe();
    expect((await c.post(informBody())).status).toBe(200);
    await new Promise((r) => setTimeout(r, 500));
    expect(acs.activeSessions()).toBe(0);
    const [log] = await acs.store.listSessions(ID);
    expect(log?.outcome).toBe('timeout');
    const again = cpe();
    expect((await again.post(informBody())).status).toBe(200);
  });
});

describe('events', () => {
  it('0 BOOTSTRAP forgets the old tree', async () => {
    await start();
    const c = cpe();
    await c.post(informBody({ params: [{ name: 'Device.Old.Param', value: '1', type: 'xsd:string' }] }));
    await c.post(null);
    const c2 = cpe();
    await c2.post(informBody({ events: ['0 BOOTSTRAP', '1 BOOT'] }));
    await c2.post(null);
    const device = await acs.store.getDevice(ID);
    expect(device?.parameters.some((p) => p.path === 'Device.Old.Param')).toBe(false);
    expect(device?.lastBootstrap).not.toBeNull();
    expect(device?.lastEvents.map((e) => e.eventCode)).toEqual(['0 BOOTSTRAP', '1 BOOT']);
  });

  it('reads event codes without case or padding, as the store does ("0 Bootstrap ")', async () => {
    await start();
    const c = cpe();
    await c.post(informBody({ params: [{ name: 'Device.Old.Param', value: '1', type: 'xsd:string' }] }));
    await c.post(null);
    const c2 = cpe();
    await c2.post(informBody({ events: [' 0 Bootstrap ', '1 boot'] }));
    await c2.post(null);
    const device = await acs.store.getDevice(ID);
    expect(device?.parameters.some((p) => p.path === 'Device.Old.Param')).toBe(false);
    expect(device?.lastBootstrap).not.toBeNull();
    expect(device?.lastBoot).not.toBeNull();
  });

  it('links an M Reboot event to the queued Reboot by CommandKey instead of rebooting again', async () => {
    await start();
    const reboot = await queueRpc(acs.store, ID, { method: 'Reboot', commandKey: 'reboot-42' });
    const c = cpe();
    const r = await c.post(informBody({ events: ['1 BOOT', { eventCode: 'M Reboot', commandKey: 'reboot-42' }] }));
    expect(r.envelope?.header.holdRequests).toBeUndefined();
    expect((await c.post(null)).status).toBe(204);
    const stored = await acs.store.getTask(reboot.id);
    expect(stored?.state).toBe('done');
    const [log] = await acs.store.listSessions(ID);
    expect(log?.linkedRequests).toEqual([reboot.id]);
  });

  it('discovers the whole tree of a bootstrapping device in batches when it is bigger than discoveryWholeTree', async () => {
    await start({ discoverOnBootstrap: true, discoveryBatchSize: 2, discoveryWholeTree: 2 });
    const c = cpe();
    await c.post(informBody({ events: ['0 BOOTSTRAP'] }));
    const gpn = await c.post(null);
    expect(gpn.envelope?.body).toEqual({ method: 'GetParameterNames', parameterPath: 'Device.', nextLevel: false });
    const names = ['Device.DeviceInfo.SoftwareVersion', 'Device.DeviceInfo.UpTime', 'Device.WiFi.SSID.1.SSID'];
    const gpv1 = await c.answer(gpn, {
      method: 'GetParameterNamesResponse',
      parameterList: [
        { name: 'Device.', writable: false },
        { name: 'Device.DeviceInfo.', writable: false },
        ...names.map((name) => ({ name, writable: name.endsWith('SSID') })),
      ],
    });
    expect(gpv1.envelope?.body).toEqual({ method: 'GetParameterValues', parameterNames: names.slice(0, 2) });
    const gpv2 = await c.answer(gpv1, {
      method: 'GetParameterValuesResponse',
      parameterList: [
        { name: names[0] as string, value: '2.0', type: 'xsd:string' },
        { name: names[1] as string, value: '7', type: 'xsd:unsignedInt' },
      ],
    });
    expect(gpv2.envelope?.body).toEqual({ method: 'GetParameterValues', parameterNames: names.slice(2) });
    const end = await c.answer(gpv2, {
      method: 'GetParameterValuesResponse',
      parameterList: [{ name: names[2] as string, value: 'home', type: 'xsd:string' }],
    });
    expect(end.status).toBe(204);
    const device = await acs.store.getDevice(ID);
    const ssid = device?.parameters.find((p) => p.path === 'Device.WiFi.SSID.1.SSID');
    expect(ssid).toMatchObject({ value: 'home', writable: true, object: false });
    expect(device?.parameters.find((p) => p.path === 'Device.DeviceInfo.')?.object).toBe(true);
  });

  it('discovers a tree of up to discoveryWholeTree leaves with one GetParameterValues of the root; if that faults, in batches', async () => {
    await start({ discoverOnBootstrap: true, discoveryBatchSize: 2 });
    const names = ['Device.DeviceInfo.SoftwareVersion', 'Device.DeviceInfo.UpTime', 'Device.WiFi.SSID.1.SSID'];
    const listed = {
      method: 'GetParameterNamesResponse' as const,
      parameterList: [{ name: 'Device.', writable: false }, { name: 'Device.DeviceInfo.', writable: false }, ...names.map((name) => ({ name, writable: name.endsWith('SSID') }))],
    };
    const values = names.map((name, i) => ({ name, value: `v${i}`, type: 'xsd:string' }));
    const c = cpe();
    await c.post(informBody({ events: ['0 BOOTSTRAP'] }));
    const gpn = await c.post(null);
    const gpv = await c.answer(gpn, listed);
    expect(gpv.envelope?.body).toEqual({ method: 'GetParameterValues', parameterNames: ['Device.'] });
    expect((await c.answer(gpv, { method: 'GetParameterValuesResponse', parameterList: values })).status).toBe(204);
    const device = await acs.store.getDevice(ID);
    expect(device?.parameters.find((p) => p.path === 'Device.WiFi.SSID.1.SSID')).toMatchObject({ value: 'v2', writable: true, object: false });
    expect(device?.parameters.filter((p) => p.value !== null && p.path.startsWith('Device.')).map((p) => p.path).sort()).toEqual([...names].sort());

    // Bootstrapped again, it faults the whole read (its answer would not fit its buffer): batches.
    const d = cpe();
    await d.post(informBody({ events: ['0 BOOTSTRAP'] }));
    const gpn2 = await d.post(null);
    const whole = await d.answer(gpn2, listed);
    expect(whole.envelope?.body).toEqual({ method: 'GetParameterValues', parameterNames: ['Device.'] });
    const b1 = await d.answer(whole, { method: 'Fault', faultcode: 'Server', faultstring: 'CWMP fault', detail: { faultCode: 9002, faultString: 'Internal error', setParameterValuesFault: [] } });
    expect(b1.envelope?.body).toEqual({ method: 'GetParameterValues', parameterNames: names.slice(0, 2) });
    const b2 = await d.answer(b1, { method: 'GetParameterValuesResponse', parameterList: values.slice(0, 2) });
    expect(b2.envelope?.body).toEqual({ method: 'GetParameterValues', parameterNames: names.slice(2) });
    expect((await d.answer(b2, { method: 'GetParameterValuesResponse', parameterList: values.slice(2) })).status).toBe(204);
  });
});
