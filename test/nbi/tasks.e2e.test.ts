/**
 * Every task type end to end: POST over real HTTP to the NBI, a real HTTP connection request
 * (Digest) to a simulated CPE (src/cpe), a real CWMP session, and then what both sides hold —
 * the task's outcome through the API, the device tree through the API, the CPE's own model.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Cpe } from '../../src/cpe/client/cpe.js';
import { Api, SimFleet, startStack, until, inPath, type Stack } from './helpers.js';

let s: Stack;
let fleet: SimFleet;
let api: Api;
let files: http.Server;
let filesUrl = '';
const uploads: { path: string; body: string }[] = [];

beforeAll(async () => {
  s = await startStack();
  api = s.api;
  fleet = new SimFleet(s.acs.cwmpUrl);
  files = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method === 'PUT') {
        uploads.push({ path: req.url ?? '', body: Buffer.concat(chunks).toString() });
        return void res.writeHead(204).end();
      }
      if (req.url === '/fw-2.4.6.bin') return void res.end(Buffer.alloc(2048, 1));
      res.writeHead(404).end();
    });
  });
  await new Promise<void>((r) => files.listen(0, '127.0.0.1', r));
  filesUrl = `http://127.0.0.1:${(files.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await fleet?.close();
  await s?.close();
  files?.closeAllConnections();
  await new Promise((r) => files?.close(r));
});

let serial = 0;
async function device(): Promise<{ cpe: Cpe; id: string; serial: string }> {
  const sn = `TASK${String(++serial).padStart(3, '0')}`;
  const { cpe, id } = await fleet.add(sn);
  return { cpe, id, serial: sn };
}

/** POST a task with a connection request, waiting for its outcome. */
async function run(id: string, task: Record<string, unknown>, wait = 15) {
  const r = await api.post(`/devices/${inPath(id)}/tasks?connectionRequest=true&wait=${wait}`, task);
  expect(r.body.connectionRequest?.outcome).toBe('answered');
  return r;
}

async function stored(id: string, path: string): Promise<Record<string, unknown> | undefined> {
  const r = await api.get(`/devices/${inPath(id)}?subtree=${encodeURIComponent(path)}`);
  return r.body.parameters?.[path];
}

describe('reads', () => {
  it('getParameterValues: 200 once done, values in the answer and in the tree', async () => {
    const { cpe, id } = await device();
    cpe.model.setInternal('Device.DeviceInfo.ProvisioningCode', 'READ.ME');
    const r = await run(id, { type: 'getParameterValues', parameterNames: ['Device.DeviceInfo.ProvisioningCode', 'Device.DeviceInfo.UpTime'] });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ state: 'done', type: 'getParameterValues', attempts: 1, fault: null });
    const values = Object.fromEntries((r.body.response.parameterList as { name: string; value: string }[]).map((p) => [p.name, p.value]));
    expect(values['Device.DeviceInfo.ProvisioningCode']).toBe('READ.ME');
    expect(await stored(id, 'Device.DeviceInfo.ProvisioningCode')).toMatchObject({ value: 'READ.ME', type: 'xsd:string' });
    expect((await api.get(`/tasks/${r.body.id}`)).body.state).toBe('done');
  });

  it('several queued reads go out as one GetParameterValues', async () => {
    const { id } = await device();
    const names = ['Device.DeviceInfo.UpTime', 'Device.DeviceInfo.SoftwareVersion', 'Device.DeviceInfo.HardwareVersion'];
    const queued = [];
    for (const n of names.slice(0, 2)) queued.push((await api.post(`/devices/${inPath(id)}/tasks`, { type: 'getParameterValues', parameterNames: [n] })).body);
    expect(queued.map((t) => t.state)).toEqual(['queued', 'queued']);
    const last = await run(id, { type: 'getParameterValues', parameterNames: [names[2]] });
    expect(last.status).toBe(200);
    for (const t of queued) expect((await api.get(`/tasks/${t.id}`)).body.state).toBe('done');
    const [session] = (await api.get(`/devices/${inPath(id)}/sessions?limit=1`)).body.sessions;
    expect(session.events.map((e: { eventCode: string }) => e.eventCode)).toContain('6 CONNECTION REQUEST');
    expect(session.rpcs).toHaveLength(1);
    expect(session.rpcs[0]).toMatchObject({ method: 'GetParameterValues', outcome: 'done' });
    expect(session.rpcs[0].taskIds.sort()).toEqual([...queued.map((t) => t.id), last.body.id].sort());
  });

  it('getParameterNames', async () => {
    const { id } = await device();
    const r = await run(id, { type: 'getParameterNames', parameterPath: 'Device.DeviceInfo.', nextLevel: true });
    expect(r.body.state).toBe('done');
    expect(r.body.response.parameterList).toContainEqual({ name: 'Device.DeviceInfo.SoftwareVersion', writable: false });
  });

  it('refresh re-reads a subtree the CPE changed by itself', async () => {
    const { cpe, id } = await device();
    cpe.model.setInternal('Device.Time.NTPServer1', 'ntp.changed.example');
    expect((await stored(id, 'Device.Time.NTPServer1'))?.value).not.toBe('ntp.changed.example');
    const r = await run(id, { type: 'refresh', objectName: 'Device.Time.' });
    expect(r.body.state).toBe('done');
    expect(r.body.response.parameterList.length).toBeGreaterThan(1);
    expect((await stored(id, 'Device.Time.NTPServer1'))?.value).toBe('ntp.changed.example');
    const [session] = (await api.get(`/devices/${inPath(id)}/sessions?limit=1`)).body.sessions;
    expect(session.rpcs.map((x: { method: string }) => x.method)).toEqual(['GetParameterNames', 'GetParameterValues']);
  });
});

describe('writes', () => {
  it('setParameterValues: the type comes from the tree; the CPE and the tree both change', async () => {
    const { cpe, id } = await device();
    const r = await run(id, {
      type: 'setParameterValues',
      parameterValues: [
        ['Device.DeviceInfo.ProvisioningCode', 'NBI.1'],
        ['Device.ManagementServer.PeriodicInformInterval', 7200],
      ],
      parameterKey: 'nbi-1',
    });
    expect(r.status).toBe(200);
    expect(r.body.task.parameterValues).toEqual([
      ['Device.DeviceInfo.ProvisioningCode', 'NBI.1', 'xsd:string'],
      ['Device.ManagementServer.PeriodicInformInterval', '7200', 'xsd:unsignedInt'],
    ]);
    expect(r.body).toMatchObject({ state: 'done', response: { method: 'SetParameterValuesResponse', status: 0 } });
    expect(cpe.model.get('Device.DeviceInfo.ProvisioningCode')!.value).toBe('NBI.1');
    expect(cpe.model.get('Device.ManagementServer.ParameterKey')!.value).toBe('nbi-1');
    expect((await stored(id, 'Device.ManagementServer.PeriodicInformInterval'))?.value).toBe('7200');
  });

  it('a CPE fault is kept with its per-parameter detail, listed in /faults, retried, and cleared', async () => {
    const { id } = await device();
    // A path the standard has (so the ACS's catalogue check lets it through) on an instance the CPE lacks.
    const r = await run(id, { type: 'setParameterValues', parameterValues: [['Device.WiFi.SSID.99.SSID', 'X']] });
    expect(r.status).toBe(200);
    expect(r.body.state).toBe('fault');
    expect(r.body.fault.faultCode).toBe(9003);
    expect(r.body.fault.setParameterValuesFault[0]).toMatchObject({ parameterName: 'Device.WiFi.SSID.99.SSID', faultCode: 9005 });
    const faults = await api.get(`/faults?deviceId=${encodeURIComponent(id)}`);
    expect(faults.body.tasks.map((t: { id: string }) => t.id)).toEqual([r.body.id]);
    expect((await api.get(`/devices/${inPath(id)}/faults`)).body.total).toBe(1);
    // Retry: queued again, runs again, faults again.
    const retried = await api.post(`/tasks/${r.body.id}/retry`);
    expect(retried.status).toBe(200);
    expect(retried.body).toMatchObject({ state: 'queued', fault: null });
    expect((await api.post(`/tasks/${r.body.id}/retry`)).status).toBe(409);
    await api.post(`/devices/${inPath(id)}/connection-request`);
    const again = await until(async () => {
      const t = (await api.get(`/tasks/${r.body.id}`)).body;
      return t.state === 'fault' ? t : null;
    });
    // A retry starts the count again (the cap on sessions without an outcome counts from it).
    expect(again.attempts).toBe(1);
    expect((await api.del(`/faults/${r.body.id}`)).status).toBe(204);
    expect((await api.get(`/tasks/${r.body.id}`)).status).toBe(404);
    expect((await api.get('/faults')).body.tasks.some((t: { id: string }) => t.id === r.body.id)).toBe(false);
  });

  it('set/getParameterAttributes', async () => {
    const { cpe, id } = await device();
    const path = 'Device.Time.NTPServer1';
    const set = await run(id, { type: 'setParameterAttributes', parameterAttributes: [{ name: path, notification: 2, accessList: ['Subscriber'] }] });
    expect(set.body.state).toBe('done');
    const attrs = cpe.model.handle({ method: 'GetParameterAttributes', parameterNames: [path] }).response;
    expect(attrs).toMatchObject({ parameterList: [{ name: path, notification: 2, accessList: ['Subscriber'] }] });
    const get = await run(id, { type: 'getParameterAttributes', parameterNames: [path] });
    expect(get.body.response.parameterList).toEqual([{ name: path, notification: 2, accessList: ['Subscriber'] }]);
    expect(await stored(id, path)).toMatchObject({ notification: 2, accessList: ['Subscriber'] });
  });

  it('addObject with initial values (typed like the other instances), then deleteObject', async () => {
    const { cpe, id } = await device();
    // The CPE refuses a port declared xsd:string (the value fits the standard, so the ACS lets it
    // through), and the fault keeps the instance number.
    const untyped = await run(id, { type: 'addObject', objectName: 'Device.NAT.PortMapping.', parameterValues: [['ExternalPort', '8080', 'xsd:string']] });
    expect(untyped.body).toMatchObject({ state: 'fault', response: { method: 'AddObjectResponse' } });
    expect(untyped.body.fault.setParameterValuesFault[0]).toMatchObject({ faultCode: 9006 });
    // Untyped, with no instance to learn from: the standard's type (xsd:unsignedInt) goes out.
    const first = await run(id, {
      type: 'addObject',
      objectName: 'Device.NAT.PortMapping.',
      parameterValues: [['ExternalPort', '8080']],
    });
    expect(first.body.state).toBe('done');
    expect(first.body.task.parameterValues[0]).toEqual(['ExternalPort', '8080', 'xsd:unsignedInt']);
    // Now the tree knows the type from that instance.
    const add = await run(id, {
      type: 'addObject',
      objectName: 'Device.NAT.PortMapping.',
      parameterValues: [
        ['Description', 'nbi mapping'],
        ['ExternalPort', '8080'],
      ],
    });
    expect(add.body).toMatchObject({ state: 'done', response: { method: 'AddObjectResponse' } });
    const inst = `Device.NAT.PortMapping.${add.body.response.instanceNumber}.`;
    expect(cpe.model.get(`${inst}Description`)!.value).toBe('nbi mapping');
    expect(cpe.model.get(`${inst}ExternalPort`)!.value).toBe('8080');
    expect(add.body.task.parameterValues[1]).toEqual(['ExternalPort', '8080', 'xsd:unsignedInt']);
    expect(await stored(id, `${inst}Description`)).toMatchObject({ value: 'nbi mapping' });
    const del = await run(id, { type: 'deleteObject', objectName: inst });
    expect(del.body.state).toBe('done');
    expect(cpe.model.get(`${inst}Description`)).toBeUndefined();
    expect((await api.get(`/devices/${inPath(id)}?subtree=${encodeURIComponent(inst)}`)).body.parameters).toEqual({});
  });
});

describe('device operations', () => {
  it('reboot: done, then a 1 BOOT session with M Reboot and its CommandKey', async () => {
    const { id, serial: sn } = await device();
    const n = fleet.sessionsOf(sn).length;
    const r = await run(id, { type: 'reboot', commandKey: 'nbi-rb' });
    expect(r.body).toMatchObject({ state: 'done', commandKey: 'nbi-rb', response: { method: 'RebootResponse' } });
    const boot = await until(() => fleet.sessionsOf(sn).slice(n).find((x) => x.events.includes('1 BOOT')));
    expect(boot.events).toContain('M Reboot nbi-rb');
  });

  it('factoryReset: done, then 0 BOOTSTRAP and a fresh tree', async () => {
    const { cpe, id, serial: sn } = await device();
    await run(id, { type: 'setParameterValues', parameterValues: [['Device.DeviceInfo.ProvisioningCode', 'BEFORE']] });
    const n = fleet.sessionsOf(sn).length;
    const r = await run(id, { type: 'factoryReset' });
    expect(r.body.state).toBe('done');
    await until(() => fleet.sessionsOf(sn).slice(n).find((x) => x.events.includes('0 BOOTSTRAP') && x.ok));
    expect(cpe.model.get('Device.DeviceInfo.ProvisioningCode')!.value).not.toBe('BEFORE');
    await until(async () => (await stored(id, 'Device.DeviceInfo.ProvisioningCode'))?.value !== 'BEFORE');
  });

  it('scheduleInform: done, then a 3 SCHEDULED session', async () => {
    const { id, serial: sn } = await device();
    const n = fleet.sessionsOf(sn).length;
    const r = await run(id, { type: 'scheduleInform', delaySeconds: 1 });
    expect(r.body.state).toBe('done');
    expect(r.body.commandKey).toMatch(/^flotilla-/);
    const later = await until(() => fleet.sessionsOf(sn).slice(n).find((x) => x.events.includes('3 SCHEDULED')));
    expect(later.events).toContain(`M ScheduleInform ${r.body.commandKey}`);
  });

  it('download: accepted (status 1), fetched, reported by TransferComplete; a failed one faults the task', async () => {
    const { cpe, id } = await device();
    const ok = await run(id, { type: 'download', fileType: '1 Firmware Upgrade Image', url: `${filesUrl}/fw-2.4.6.bin`, fileSize: 2048, commandKey: 'fw-ok' });
    expect(ok.body).toMatchObject({ state: 'done', response: { method: 'DownloadResponse', status: 1 } });
    await until(() => cpe.model.get('Device.DeviceInfo.SoftwareVersion')!.value === '2.4.6');
    const messages = await until(async () => {
      const m = (await api.get(`/devices/${inPath(id)}/messages`)).body.messages as { message: { method: string; commandKey: string } }[];
      return m.some((x) => x.message.method === 'TransferComplete' && x.message.commandKey === 'fw-ok') ? m : null;
    });
    expect(messages.length).toBeGreaterThan(0);
    expect((await api.get(`/tasks/${ok.body.id}`)).body.state).toBe('done');

    const bad = await run(id, { type: 'download', fileType: '3 Vendor Configuration File', url: `${filesUrl}/missing.xml`, commandKey: 'fw-bad' });
    expect(bad.body.state).toBe('done');
    const faulted = await until(async () => {
      const t = (await api.get(`/tasks/${bad.body.id}`)).body;
      return t.state === 'fault' ? t : null;
    });
    expect(faulted.fault.faultCode).toBe(9016);
  });

  it('upload: the CPE PUTs its file', async () => {
    const { id, serial: sn } = await device();
    const r = await run(id, { type: 'upload', fileType: '2 Vendor Log File', url: `${filesUrl}/logs/${sn}.log` });
    expect(r.body).toMatchObject({ state: 'done', response: { method: 'UploadResponse' } });
    const up = await until(() => uploads.find((u) => u.path === `/logs/${sn}.log`));
    expect(up.body).toContain(sn);
  });

  it('scheduleDownload, getQueuedTransfers, getAllQueuedTransfers, cancelTransfer', async () => {
    const { id } = await device();
    const sd = await run(id, {
      type: 'scheduleDownload',
      fileType: '1 Firmware Upgrade Image',
      url: `${filesUrl}/fw-2.4.6.bin`,
      commandKey: 'later',
      timeWindows: [{ windowStart: 3600, windowEnd: 7200, windowMode: '1 At Any Time' }],
    });
    expect(sd.body).toMatchObject({ state: 'done', response: { method: 'ScheduleDownloadResponse' } });
    const q = await run(id, { type: 'getQueuedTransfers' });
    expect(q.body.response.transferList).toContainEqual({ commandKey: 'later', state: 1 });
    const all = await run(id, { type: 'getAllQueuedTransfers' });
    expect(all.body.response.transferList[0]).toMatchObject({ commandKey: 'later', isDownload: true, fileType: '1 Firmware Upgrade Image' });
    const cancel = await run(id, { type: 'cancelTransfer', commandKey: 'later' });
    expect(cancel.body.state).toBe('done');
    expect((await run(id, { type: 'getQueuedTransfers' })).body.response.transferList).toEqual([]);
    expect((await run(id, { type: 'cancelTransfer', commandKey: 'later' })).body.fault.faultCode).toBe(9021);
  });

  it('getRPCMethods; the RPCs this CPE lacks (changeDUState, setVouchers, getOptions) fault 9000', async () => {
    const { id } = await device();
    expect((await run(id, { type: 'getRPCMethods' })).body.response.methodList).toContain('ScheduleDownload');
    for (const task of [
      { type: 'changeDUState', operations: [{ op: 'Install', url: `${filesUrl}/du.tar`, uuid: '' }] },
      { type: 'setVouchers', voucherList: ['dm91Y2hlcg=='] },
      { type: 'getOptions', optionName: 'x' },
    ]) {
      const r = await run(id, task);
      expect([r.status, r.body.state, r.body.fault?.faultCode]).toEqual([200, 'fault', 9000]);
    }
  });
});

describe('many devices in one call', () => {
  it('queues a task on every device a filter matches, wakes them, and each one runs it', async () => {
    const tagged = [await device(), await device(), await device()];
    const other = await device();
    for (const d of tagged) expect((await api.post(`/devices/${inPath(d.id)}/tags`, { add: ['wave-1'] })).status).toBe(200);
    const r = await api.post('/tasks', {
      filter: ['tag = wave-1'],
      task: { type: 'setParameterValues', parameterValues: [['Device.DeviceInfo.ProvisioningCode', 'WAVE.1']] },
      connectionRequest: true,
    });
    expect(r.status).toBe(201);
    expect(r.body.count).toBe(3);
    expect(r.body.tasks.map((t: { deviceId: string }) => t.deviceId).sort()).toEqual(tagged.map((d) => d.id).sort());
    for (const t of r.body.tasks as { id: string }[]) {
      await until(async () => (await api.get(`/tasks/${t.id}`)).body.state === 'done');
    }
    for (const d of tagged) expect(d.cpe.model.get('Device.DeviceInfo.ProvisioningCode')!.value).toBe('WAVE.1');
    expect(other.cpe.model.get('Device.DeviceInfo.ProvisioningCode')!.value).not.toBe('WAVE.1');
    expect((await api.get(`/devices/${inPath(other.id)}/tasks`)).body.total).toBe(0);
  });

  it('an invalid task for any matching device queues nothing', async () => {
    const d = await device();
    await api.post(`/devices/${inPath(d.id)}/tags`, { add: ['bad-wave'] });
    const before = (await api.get('/tasks?limit=0')).body.total;
    const r = await api.post('/tasks', {
      filter: ['tag = bad-wave'],
      task: { type: 'setParameterValues', parameterValues: [['Device.ManagementServer.PeriodicInformInterval', 'soon']] },
    });
    expect(r.status).toBe(400);
    expect(r.body.code).toBe('INVALID_TASK');
    expect((await api.get('/tasks?limit=0')).body.total).toBe(before);
  });
});
