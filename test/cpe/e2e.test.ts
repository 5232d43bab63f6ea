/**
 * The simulator against the real ACS over loopback (SQLite in a temp dir): each ACS RPC,
 * each event and each quirk, asserting what both sides stored — the CPE's model values and
 * the ACS store (device tree, request outcomes, TransferCompletes, session events).
 *
 * Requests reach a CPE the way they would in the field: queued in the store, then a real
 * HTTP connection request (Digest) to the ConnectionRequestURL the ACS learnt from the Inform.
 */
import http from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAcs, type AcsServer } from '../../src/acs/server.js';
import type { AcsRequest, CpeResponse } from '../../src/cwmp/types.js';
import { parseChallenges, respondTo } from '../../src/auth/client.js';
import type { Cpe } from '../../src/cpe/client/cpe.js';
import type { SessionReport } from '../../src/cpe/client/runtime.js';
import { parseQuirks } from '../../src/cpe/client/quirks.js';
import { createDevice } from '../../src/cpe/device.js';
import { Fleet } from '../../src/cpe/sim/fleet.js';
import { deviceIdOf } from '../../src/store/device-id.js';
import type { TaskRecord } from '../../src/store/types.js';
import { RecordingScheduler } from '../helpers/recording-scheduler.js';
import { queueRpc } from '../helpers/queue.js';

const OUI = 'F2F107';
const CLASS = 'HGW-181';

let dir: string;
let acs: AcsServer;
let fleet: Fleet;
let files: http.Server;
let filesUrl = '';
const uploads: { path: string; body: string }[] = [];
const reports = new Map<string, SessionReport[]>();

const idOf = (cpe: Cpe): string => deviceIdOf({ oui: OUI, productClass: CLASS, serialNumber: cpe.serialNumber });
const sessionsOf = (cpe: Cpe): SessionReport[] => reports.get(cpe.serialNumber) ?? [];

async function until<T>(what: () => T | null | undefined | false | Promise<T | null | undefined | false>, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  while (true) {
    const v = await what();
    if (v !== null && v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function storedValue(cpe: Cpe, path: string): Promise<string | null | undefined> {
  const dev = await acs.store.getDevice(idOf(cpe), { subtree: path });
  return dev?.parameters.find((p) => p.path === path)?.value;
}

/** GET the ConnectionRequestURL the ACS stored, answering the Digest challenge. */
async function connectionRequest(cpe: Cpe): Promise<number> {
  const url = await storedValue(cpe, 'Device.ManagementServer.ConnectionRequestURL');
  if (!url) throw new Error('no ConnectionRequestURL stored');
  const creds = cpe.connectionRequestCredentials();
  const get = (authorization?: string): Promise<http.IncomingMessage> =>
    new Promise((resolve, reject) => {
      const req = http.get(url, { headers: authorization ? { authorization } : {} }, (res) => {
        res.resume();
        resolve(res);
      });
      req.on('error', reject);
    });
  const first = await get();
  if (first.statusCode !== 401) return first.statusCode ?? 0;
  const answer = respondTo(parseChallenges(first.headers['www-authenticate']), creds)!;
  return (await get(answer('GET', new URL(url).pathname))).statusCode ?? 0;
}

/** Queue a request in the ACS store, wake the CPE, wait for the outcome. */
async function rpc(cpe: Cpe, request: AcsRequest): Promise<TaskRecord> {
  const q = await queueRpc(acs.store, idOf(cpe), request);
  expect(await connectionRequest(cpe)).toBe(200);
  const done = await until(async () => {
    const r = await acs.store.getTask(q.id);
    return r !== null && (r.state === 'done' || r.state === 'fault' || r.state === 'expired') ? r : null;
  });
  // The ACS commits before it answers 204, so the CPE may still be closing that session:
  // wait for it, so the caller's session counts start from a settled CPE.
  await until(() => cpe.phase !== 'session');
  return done;
}

function response<M extends CpeResponse['method']>(q: TaskRecord, method: M): Extract<CpeResponse, { method: M }> {
  expect(q.state).toBe('done');
  expect(q.response?.method).toBe(method);
  return q.response as Extract<CpeResponse, { method: M }>;
}

/** Wait for a session of `cpe` (after the n-th) whose events include all of `codes`. */
async function sessionWith(cpe: Cpe, codes: string[], after = 0): Promise<SessionReport> {
  return until(() => sessionsOf(cpe).slice(after).find((r) => r.ok && codes.every((c) => r.events.includes(c))));
}

let next = 0;
/** A CPE no other test has touched (its bootstrap done). */
/** The fleet's timer, recording what each CPE scheduled and how far ahead. */
const scheduler = new RecordingScheduler();

async function freshCpe(): Promise<Cpe> {
  const cpe = fleet.cpes[next++]!;
  await sessionWith(cpe, ['0 BOOTSTRAP']);
  await until(() => acs.store.getDevice(idOf(cpe)));
  return cpe;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'flotilla-sim-e2e-'));
  acs = await startAcs({ dataDir: dir, host: '127.0.0.1', cwmpPort: 0, allowUnauthenticatedCpes: true });
  files = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method === 'PUT') {
        uploads.push({ path: req.url ?? '', body: Buffer.concat(chunks).toString() });
        return void res.writeHead(204).end();
      }
      if (req.url === '/fw-2.4.6.bin') return void res.end(Buffer.alloc(2048, 1));
      if (req.url === '/config.xml') {
        return void res.end('<Config root="Device.">\n  <Parameter name="Device.DeviceInfo.ProvisioningCode" type="xsd:string">FROM.FILE</Parameter>\n</Config>\n');
      }
      res.writeHead(404).end();
    });
  });
  await new Promise<void>((r) => files.listen(0, '127.0.0.1', r));
  filesUrl = `http://127.0.0.1:${(files.address() as AddressInfo).port}`;
  fleet = new Fleet({
    scheduler,
    acsUrl: acs.cwmpUrl,
    count: 24,
    model: 'tr181-router',
    serialPrefix: 'E2E',
    rebootDelayMs: 50,
    connectionRequestRateLimit: { burst: 100, refillSeconds: 1 },
    maxConcurrentSessions: 8,
    observer: {
      sessionEnded: (r) => {
        const list = reports.get(r.serialNumber) ?? [];
        list.push(r);
        reports.set(r.serialNumber, list);
      },
    },
  });
  await fleet.start();
});

afterAll(async () => {
  await fleet?.stop();
  await acs?.close();
  files?.closeAllConnections();
  await new Promise((r) => files?.close(r));
  await rm(dir, { recursive: true, force: true });
});

describe('bootstrap', () => {
  it('each CPE bootstraps once (0 BOOTSTRAP, 1 BOOT) and the ACS discovers its whole tree', async () => {
    const cpe = await freshCpe();
    const first = sessionsOf(cpe)[0]!;
    expect(first.events).toEqual(['0 BOOTSTRAP', '1 BOOT']);
    expect(first.rpcs[0]!.method).toBe('GetParameterNames');
    const dev = await acs.store.getDevice(idOf(cpe));
    expect(dev!.deviceId).toEqual({ manufacturer: 'Flotilla', oui: OUI, productClass: CLASS, serialNumber: cpe.serialNumber });
    expect(dev!.lastEvents.map((e) => e.eventCode)).toEqual(['0 BOOTSTRAP', '1 BOOT']);
    // The device's own tree, and the ACS's note of where its sessions come from.
    const leaves = dev!.parameters.filter((p) => !p.object && !p.path.startsWith('Flotilla.'));
    expect(leaves.length).toBe(fleet.template.parameterCount);
    expect(dev!.parameters.find((p) => p.path === 'Flotilla.SessionSourceAddress')?.value).toBe('127.0.0.1');
    expect(await storedValue(cpe, 'Device.DeviceInfo.SerialNumber')).toBe(cpe.serialNumber);
  });
});

describe('every ACS RPC', () => {
  it('GetRPCMethods', async () => {
    const cpe = await freshCpe();
    expect(response(await rpc(cpe, { method: 'GetRPCMethods' }), 'GetRPCMethodsResponse').methodList).toContain('ScheduleDownload');
    await sessionWith(cpe, ['6 CONNECTION REQUEST']);
  });

  it('SetParameterValues then GetParameterValues: the CPE model and the ACS store agree', async () => {
    const cpe = await freshCpe();
    const path = 'Device.DeviceInfo.ProvisioningCode';
    const set = await rpc(cpe, { method: 'SetParameterValues', parameterList: [{ name: path, value: 'E2E.1', type: 'xsd:string' }], parameterKey: 'pk-1' });
    expect(response(set, 'SetParameterValuesResponse').status).toBe(0);
    expect(cpe.model.get(path)!.value).toBe('E2E.1');
    expect(cpe.model.get('Device.ManagementServer.ParameterKey')!.value).toBe('pk-1');
    const got = response(await rpc(cpe, { method: 'GetParameterValues', parameterNames: [path] }), 'GetParameterValuesResponse');
    expect(got.parameterList).toEqual([{ name: path, value: 'E2E.1', type: 'xsd:string' }]);
    expect(await until(async () => (await storedValue(cpe, path)) === 'E2E.1')).toBe(true);
  });

  it('SetParameterValues of a read-only parameter is faulted and changes nothing', async () => {
    const cpe = await freshCpe();
    const q = await rpc(cpe, { method: 'SetParameterValues', parameterList: [{ name: 'Device.DeviceInfo.SerialNumber', value: 'X', type: 'xsd:string' }], parameterKey: '' });
    expect(q.state).toBe('fault');
    expect(q.fault!.faultCode).toBe(9003);
    expect(q.fault!.setParameterValuesFault[0]).toMatchObject({ parameterName: 'Device.DeviceInfo.SerialNumber', faultCode: 9008 });
    expect(cpe.model.get('Device.DeviceInfo.SerialNumber')!.value).toBe(cpe.serialNumber);
  });

  it('GetParameterNames', async () => {
    const cpe = await freshCpe();
    const names = response(await rpc(cpe, { method: 'GetParameterNames', parameterPath: 'Device.DeviceInfo.', nextLevel: true }), 'GetParameterNamesResponse');
    expect(names.parameterList).toContainEqual({ name: 'Device.DeviceInfo.SoftwareVersion', writable: false });
  });

  it('SetParameterAttributes then GetParameterAttributes', async () => {
    const cpe = await freshCpe();
    const path = 'Device.Time.NTPServer1';
    await rpc(cpe, { method: 'SetParameterAttributes', parameterList: [{ name: path, notificationChange: true, notification: 1, accessListChange: true, accessList: ['Subscriber'] }] });
    const attrs = response(await rpc(cpe, { method: 'GetParameterAttributes', parameterNames: [path] }), 'GetParameterAttributesResponse');
    expect(attrs.parameterList).toEqual([{ name: path, notification: 1, accessList: ['Subscriber'] }]);
    const dev = await acs.store.getDevice(idOf(cpe), { subtree: path });
    expect(dev!.parameters.find((p) => p.path === path)).toMatchObject({ notification: 1, accessList: ['Subscriber'] });
  });

  it('AddObject and DeleteObject', async () => {
    const cpe = await freshCpe();
    const add = response(await rpc(cpe, { method: 'AddObject', objectName: 'Device.NAT.PortMapping.', parameterKey: 'add' }), 'AddObjectResponse');
    const inst = `Device.NAT.PortMapping.${add.instanceNumber}.`;
    expect(cpe.model.get(`${inst}Enable`)).toBeDefined();
    await until(async () => (await acs.store.getDevice(idOf(cpe), { subtree: inst }))?.parameters.some((p) => p.path === inst));
    response(await rpc(cpe, { method: 'DeleteObject', objectName: inst, parameterKey: 'del' }), 'DeleteObjectResponse');
    expect(cpe.model.get(`${inst}Enable`)).toBeUndefined();
    await until(async () => !(await acs.store.getDevice(idOf(cpe), { subtree: inst }))?.parameters.some((p) => p.path === inst));
  });

  it('Reboot: a new session with 1 BOOT and M Reboot <CommandKey>', async () => {
    const cpe = await freshCpe();
    const n = sessionsOf(cpe).length;
    response(await rpc(cpe, { method: 'Reboot', commandKey: 'rb-42' }), 'RebootResponse');
    const boot = await sessionWith(cpe, ['1 BOOT', 'M Reboot rb-42'], n);
    expect(boot.events).not.toContain('0 BOOTSTRAP');
    const dev = await until(async () => {
      const d = await acs.store.getDevice(idOf(cpe));
      return d?.lastEvents.some((e) => e.eventCode === 'M Reboot') ? d : null;
    });
    expect(dev.lastEvents).toContainEqual({ eventCode: 'M Reboot', commandKey: 'rb-42' });
  });

  it('FactoryReset: back to the model defaults, then 0 BOOTSTRAP', async () => {
    const cpe = await freshCpe();
    const path = 'Device.DeviceInfo.ProvisioningCode';
    await rpc(cpe, { method: 'SetParameterValues', parameterList: [{ name: path, value: 'BEFORE.RESET', type: 'xsd:string' }], parameterKey: 'x' });
    const n = sessionsOf(cpe).length;
    response(await rpc(cpe, { method: 'FactoryReset' }), 'FactoryResetResponse');
    await sessionWith(cpe, ['0 BOOTSTRAP', '1 BOOT'], n);
    const factory = createDevice(fleet.template, { serialNumber: cpe.serialNumber });
    expect(cpe.model.get(path)!.value).toBe(factory.get(path)!.value);
    expect(cpe.model.get('Device.ManagementServer.URL')!.value).toBe(acs.cwmpUrl);
    await until(async () => (await storedValue(cpe, path)) !== 'BEFORE.RESET');
  });

  it('Download: fetches the file, installs the firmware, reboots, reports TransferComplete', async () => {
    const cpe = await freshCpe();
    const n = sessionsOf(cpe).length;
    const dl = response(
      await rpc(cpe, {
        method: 'Download',
        commandKey: 'fw-1',
        fileType: '1 Firmware Upgrade Image',
        url: `${filesUrl}/fw-2.4.6.bin`,
        username: '',
        password: '',
        fileSize: 2048,
        targetFileName: '',
        delaySeconds: 0,
        successURL: '',
        failureURL: '',
      }),
      'DownloadResponse',
    );
    expect(dl.status).toBe(1);
    const s = await sessionWith(cpe, ['1 BOOT', '7 TRANSFER COMPLETE', 'M Download fw-1'], n);
    expect(s.events).not.toContain('0 BOOTSTRAP');
    expect(cpe.model.get('Device.DeviceInfo.SoftwareVersion')!.value).toBe('2.4.6');
    const tc = await until(async () => (await acs.store.listCpeMessages(idOf(cpe))).find((m) => m.message.method === 'TransferComplete'));
    expect(tc.message).toMatchObject({ method: 'TransferComplete', commandKey: 'fw-1', faultStruct: { faultCode: 0 } });
    await until(async () => (await storedValue(cpe, 'Device.DeviceInfo.SoftwareVersion')) === '2.4.6');
  });

  it('Download failures carry their fault code in TransferComplete (404 → 9016, wrong size → 9018)', async () => {
    const cpe = await freshCpe();
    const dl = (commandKey: string, url: string, fileSize: number): AcsRequest => ({
      method: 'Download',
      commandKey,
      fileType: '3 Vendor Configuration File',
      url,
      username: '',
      password: '',
      fileSize,
      targetFileName: '',
      delaySeconds: 0,
      successURL: '',
      failureURL: '',
    });
    await rpc(cpe, dl('missing', `${filesUrl}/nothing-here`, 0));
    await rpc(cpe, dl('short', `${filesUrl}/fw-2.4.6.bin`, 9999));
    const tcs = await until(async () => {
      const all = (await acs.store.listCpeMessages(idOf(cpe))).map((m) => m.message);
      return all.length >= 2 ? all : null;
    });
    const codes = Object.fromEntries(tcs.map((m) => (m.method === 'TransferComplete' ? [m.commandKey, m.faultStruct.faultCode] : ['', 0])));
    expect(codes).toMatchObject({ missing: 9016, short: 9018 });
  });

  it('a vendor configuration file Download is applied to the model', async () => {
    const cpe = await freshCpe();
    await rpc(cpe, {
      method: 'Download',
      commandKey: 'cfg',
      fileType: '3 Vendor Configuration File',
      url: `${filesUrl}/config.xml`,
      username: '',
      password: '',
      fileSize: 0,
      targetFileName: '',
      delaySeconds: 0,
      successURL: '',
      failureURL: '',
    });
    await sessionWith(cpe, ['7 TRANSFER COMPLETE', 'M Download cfg']);
    expect(cpe.model.get('Device.DeviceInfo.ProvisioningCode')!.value).toBe('FROM.FILE');
  });

  it('Upload: PUTs a configuration file and a log file', async () => {
    const cpe = await freshCpe();
    await rpc(cpe, { method: 'Upload', commandKey: 'up-cfg', fileType: '1 Vendor Configuration File', url: `${filesUrl}/up/${cpe.serialNumber}.xml`, username: '', password: '', delaySeconds: 0 });
    await sessionWith(cpe, ['7 TRANSFER COMPLETE', 'M Upload up-cfg']);
    await rpc(cpe, { method: 'Upload', commandKey: 'up-log', fileType: '2 Vendor Log File', url: `${filesUrl}/up/${cpe.serialNumber}.log`, username: '', password: '', delaySeconds: 0 });
    await sessionWith(cpe, ['M Upload up-log']);
    const cfg = uploads.find((u) => u.path === `/up/${cpe.serialNumber}.xml`)!;
    expect(cfg.body).toContain('<Parameter name="Device.ManagementServer.PeriodicInformInterval"');
    expect(uploads.find((u) => u.path === `/up/${cpe.serialNumber}.log`)!.body).toContain(cpe.serialNumber);
    const tcs = await until(async () => {
      const m = await acs.store.listCpeMessages(idOf(cpe));
      return m.length >= 2 ? m : null;
    });
    for (const m of tcs) expect(m.message).toMatchObject({ method: 'TransferComplete', faultStruct: { faultCode: 0 } });
  });

  it('ScheduleInform: 3 SCHEDULED and M ScheduleInform after the delay', async () => {
    const cpe = await freshCpe();
    const asked = scheduler.delays('scheduleInform').length;
    response(await rpc(cpe, { method: 'ScheduleInform', delaySeconds: 1, commandKey: 'si-1' }), 'ScheduleInformResponse');
    await sessionWith(cpe, ['3 SCHEDULED', 'M ScheduleInform si-1']);
    // The session came from a timer set DelaySeconds ahead (the delay is read a few ms late).
    const delay = scheduler.delays('scheduleInform')[asked];
    expect(delay).toBeGreaterThan(1000 - 50);
    expect(delay).toBeLessThanOrEqual(1000);
  });

  it('ScheduleDownload within its window', async () => {
    const cpe = await freshCpe();
    response(
      await rpc(cpe, {
        method: 'ScheduleDownload',
        commandKey: 'sd-1',
        fileType: '1 Firmware Upgrade Image',
        url: `${filesUrl}/fw-2.4.6.bin`,
        username: '',
        password: '',
        fileSize: 2048,
        targetFileName: '',
        timeWindowList: [{ windowStart: 0, windowEnd: 60, windowMode: '1 At Any Time', userMessage: '', maxRetries: 0 }],
      }),
      'ScheduleDownloadResponse',
    );
    await sessionWith(cpe, ['7 TRANSFER COMPLETE', 'M ScheduleDownload sd-1']);
    const tc = await until(async () => (await acs.store.listCpeMessages(idOf(cpe)))[0]);
    expect(tc.message).toMatchObject({ commandKey: 'sd-1', faultStruct: { faultCode: 0 } });
  });

  it('GetQueuedTransfers, GetAllQueuedTransfers and CancelTransfer of a delayed Download', async () => {
    const cpe = await freshCpe();
    await rpc(cpe, {
      method: 'Download',
      commandKey: 'later',
      fileType: '1 Firmware Upgrade Image',
      url: `${filesUrl}/fw-2.4.6.bin`,
      username: '',
      password: '',
      fileSize: 2048,
      targetFileName: 'fw.bin',
      delaySeconds: 3600,
      successURL: '',
      failureURL: '',
    });
    expect(response(await rpc(cpe, { method: 'GetQueuedTransfers' }), 'GetQueuedTransfersResponse').transferList).toEqual([{ commandKey: 'later', state: 1 }]);
    const all = response(await rpc(cpe, { method: 'GetAllQueuedTransfers' }), 'GetAllQueuedTransfersResponse');
    expect(all.transferList).toEqual([{ commandKey: 'later', state: 1, isDownload: true, fileType: '1 Firmware Upgrade Image', fileSize: 2048, targetFileName: 'fw.bin' }]);
    response(await rpc(cpe, { method: 'CancelTransfer', commandKey: 'later' }), 'CancelTransferResponse');
    expect(cpe.queuedTransfers).toHaveLength(0);
    const again = await rpc(cpe, { method: 'CancelTransfer', commandKey: 'later' });
    expect(again.fault?.faultCode).toBe(9021);
  });

  it('methods the device does not implement are faulted 9000', async () => {
    const cpe = await freshCpe();
    const q = await rpc(cpe, { method: 'GetOptions', optionName: '' });
    expect(q.state).toBe('fault');
    expect(q.fault!.faultCode).toBe(9000);
  });
});

describe('events', () => {
  it('4 VALUE CHANGE: active notification opens a session carrying the new value; passive waits for the next one', async () => {
    const cpe = await freshCpe();
    const active = 'Device.DeviceInfo.HostName';
    const passive = 'Device.Time.NTPServer1';
    await rpc(cpe, {
      method: 'SetParameterAttributes',
      parameterList: [
        { name: active, notificationChange: true, notification: 2, accessListChange: false, accessList: [] },
        { name: passive, notificationChange: true, notification: 1, accessListChange: false, accessList: [] },
      ],
    });
    let n = sessionsOf(cpe).length;
    cpe.setValue(passive, 'ntp.changed.example');
    await new Promise((r) => setTimeout(r, 200));
    expect(sessionsOf(cpe).length).toBe(n);
    expect(cpe.pendingEvents.map((e) => e.eventCode)).toEqual(['4 VALUE CHANGE']);
    cpe.setValue(active, 'renamed-by-user');
    const s = await sessionWith(cpe, ['4 VALUE CHANGE'], n);
    expect(s.events).toEqual(['4 VALUE CHANGE']);
    await until(async () => (await storedValue(cpe, active)) === 'renamed-by-user');
    expect(await storedValue(cpe, passive)).toBe('ntp.changed.example');
    // Delivered: the next session carries neither the event nor the parameters.
    n = sessionsOf(cpe).length;
    await rpc(cpe, { method: 'GetRPCMethods' });
    expect((await sessionWith(cpe, ['6 CONNECTION REQUEST'], n)).events).toEqual(['6 CONNECTION REQUEST']);
  });

  it('8 DIAGNOSTICS COMPLETE after DiagnosticsState = Requested, with results the ACS reads', async () => {
    const cpe = await freshCpe();
    const p = 'Device.IP.Diagnostics.IPPing.';
    const n = sessionsOf(cpe).length;
    await rpc(cpe, {
      method: 'SetParameterValues',
      parameterList: [
        { name: `${p}Host`, value: 'acs.example.net', type: 'xsd:string' },
        { name: `${p}NumberOfRepetitions`, value: '5', type: 'xsd:unsignedInt' },
        { name: `${p}DiagnosticsState`, value: 'Requested', type: 'xsd:string' },
      ],
      parameterKey: 'diag',
    });
    await sessionWith(cpe, ['8 DIAGNOSTICS COMPLETE'], n);
    const results = response(await rpc(cpe, { method: 'GetParameterValues', parameterNames: [`${p}DiagnosticsState`, `${p}SuccessCount`] }), 'GetParameterValuesResponse');
    expect(results.parameterList.map((x) => x.value)).toEqual(['Complete', '5']);
    await until(async () => (await storedValue(cpe, `${p}SuccessCount`)) === '5');
  });

  it('2 PERIODIC at the PeriodicInformInterval the ACS sets', async () => {
    const cpe = await freshCpe();
    await rpc(cpe, { method: 'SetParameterValues', parameterList: [{ name: 'Device.ManagementServer.PeriodicInformInterval', value: '1', type: 'xsd:unsignedInt' }], parameterKey: 'p' });
    const n = sessionsOf(cpe).length;
    await sessionWith(cpe, ['2 PERIODIC'], n);
    await rpc(cpe, { method: 'SetParameterValues', parameterList: [{ name: 'Device.ManagementServer.PeriodicInformInterval', value: '3600', type: 'xsd:unsignedInt' }], parameterKey: 'p2' });
  });

  it('connection requests are rate-limited with 503', async () => {
    const cpe = await freshCpe();
    let limited = 0;
    for (let i = 0; i < 120; i++) if ((await connectionRequest(cpe)) === 503) limited++;
    expect(limited).toBeGreaterThan(0);
  });
});

describe('quirks against the real ACS', () => {
  const quirkSets = ['drop-cookies', 'no-more-requests', 'no-array-size', 'wrong-array-size', 'padded-array-size', 'no-xsi-type', 'chunked', 'soap-env-prefix', 'cwmp-1-2', 'boolean-words'];
  let qfleets: Fleet[] = [];
  const qreports: SessionReport[] = [];

  beforeAll(async () => {
    // Quirks are fleet-wide, so one single-CPE fleet per quirk, all sharing the template.
    qfleets = quirkSets.map(
      (q, i) =>
        new Fleet({
          acsUrl: acs.cwmpUrl,
          count: 1,
          model: fleet.template,
          serialPrefix: `Q${i}X`,
          quirks: parseQuirks(q),
          connectionRequestRateLimit: { burst: 100, refillSeconds: 1 },
          observer: { sessionEnded: (r) => qreports.push(r) },
        }),
    );
    await Promise.all(qfleets.map((f) => f.start()));
  });

  afterAll(async () => {
    await Promise.all(qfleets.map((f) => f.stop()));
  });

  for (const [i, q] of quirkSets.entries()) {
    it(`${q}: bootstrap, set and read back a value`, async () => {
      const cpe = qfleets[i]!.cpes[0]!;
      await until(() => qreports.find((r) => r.serialNumber === cpe.serialNumber && r.ok));
      await until(() => acs.store.getDevice(idOf(cpe)));
      const path = 'Device.ManagementServer.PeriodicInformEnable';
      const set = await rpc(cpe, { method: 'SetParameterValues', parameterList: [{ name: path, value: 'false', type: 'xsd:boolean' }], parameterKey: q });
      expect(set.state).toBe('done');
      expect(cpe.model.get(path)!.value).toMatch(/^(0|false)$/);
      const got = response(await rpc(cpe, { method: 'GetParameterValues', parameterNames: [path, 'Device.DeviceInfo.UpTime'] }), 'GetParameterValuesResponse');
      expect(got.parameterList).toHaveLength(2);
      await until(async () => /^(0|false)$/.test((await storedValue(cpe, path)) ?? ''));
      expect(qreports.filter((r) => r.serialNumber === cpe.serialNumber).every((r) => r.ok)).toBe(true);
    });
  }
});
