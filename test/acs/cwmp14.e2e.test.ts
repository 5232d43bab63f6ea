/**
 * CWMP 1.4 (TR-069 Amendments 5 and 6) between the ACS and the simulator over loopback, SQLite
 * in a temp dir: version negotiation (a recording proxy between them shows the namespaces on
 * the wire), fault 8006, and older CPEs unchanged.
 */
import http from 'node:http';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAcs, type AcsServer } from '../../src/acs/server.js';
import type { SessionReport } from '../../src/cpe/client/runtime.js';
import { Fleet, type FleetOptions } from '../../src/cpe/sim/fleet.js';
import { deviceIdOf } from '../../src/store/device-id.js';
import { ScriptedCpe, informBody } from '../helpers/scripted-cpe.js';
import { countingStore } from '../../src/store/counting.js';
import { createSqliteStore } from '../../src/store/sqlite/index.js';
import { queueRpc } from '../helpers/queue.js';
import { RecordingScheduler } from '../helpers/recording-scheduler.js';
import type { Task } from '../../src/tasks/types.js';
import type { TaskRecord } from '../../src/store/types.js';

const OUI = 'F2F107';
const CLASS = 'HGW-181';
const NS1 = 'urn:dslforum-org:cwmp-1-1';
const NS2 = 'urn:dslforum-org:cwmp-1-2';

let dir: string;
const closers: (() => Promise<unknown>)[] = [];

async function until<T>(what: () => T | null | undefined | false | Promise<T | null | undefined | false>, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  while (true) {
    const v = await what();
    if (v !== null && v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function acsWith(name: string, config: Parameters<typeof startAcs>[0] = {}): Promise<AcsServer> {
  const acs = await startAcs({ dataDir: join(dir, name), host: '127.0.0.1', cwmpPort: 0, allowUnauthenticatedCpes: true, ...config });
  closers.push(() => acs.close());
  return acs;
}

/** A fleet whose session reports are kept. */
async function fleetWith(
  acsUrl: string,
  prefix: string,
  opts: Partial<FleetOptions> = {},
): Promise<{ fleet: Fleet; reports: SessionReport[] }> {
  const reports: SessionReport[] = [];
  const fleet = new Fleet({
    acsUrl,
    count: 1,
    model: 'tr181-router',
    serialPrefix: prefix,
    rebootDelayMs: 50,
    retry: { minimumWait: 3600 },
    observer: { sessionEnded: (r) => reports.push(r) },
    ...opts,
  });
  closers.push(() => fleet.stop());
  await fleet.start();
  return { fleet, reports };
}

/** Between the CPE and the ACS: every request and response body, in order. */
async function recordingProxy(target: string): Promise<{ url: string; bodies: { dir: 'cpe' | 'acs'; text: string }[] }> {
  const bodies: { dir: 'cpe' | 'acs'; text: string }[] = [];
  const to = new URL(target);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      bodies.push({ dir: 'cpe', text: body.toString() });
      const headers = { ...req.headers, host: to.host };
      const up = http.request({ host: to.hostname, port: to.port, path: req.url, method: req.method, headers, agent }, (r) => {
        const back: Buffer[] = [];
        r.on('data', (c: Buffer) => back.push(c));
        r.on('end', () => {
          const text = Buffer.concat(back);
          bodies.push({ dir: 'acs', text: text.toString() });
          res.writeHead(r.statusCode ?? 502, r.headers);
          res.end(text);
        });
      });
      up.on('error', () => res.destroy());
      up.end(body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  closers.push(async () => {
    agent.destroy();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, bodies };
}

const nsOf = (xml: string): string | undefined => /xmlns:cwmp="([^"]+)"/.exec(xml)?.[1];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'flotilla-cwmp14-'));
});

afterAll(async () => {
  for (const c of closers.reverse()) await c().catch(() => undefined);
  await rm(dir, { recursive: true, force: true });
});

describe('SupportedCWMPVersions / UseCWMPVersion', () => {
  it('a 1.4 simulator and the ACS agree on 1.4 and run a whole bootstrap (discovery) in cwmp-1-2', async () => {
    const acs = await acsWith('v14');
    const proxy = await recordingProxy(acs.cwmpUrl);
    const { fleet, reports } = await fleetWith(proxy.url, 'V14', { cwmpVersions: ['1.0', '1.1', '1.2', '1.3', '1.4'] });
    const first = await until(() => reports.find((r) => r.ok));
    expect(first.events).toContain('0 BOOTSTRAP');
    expect(first.rpcs.length).toBeGreaterThan(1);
    const cpe = fleet.cpes[0]!;
    const dev = await acs.store.getDevice(deviceIdOf({ oui: OUI, productClass: CLASS, serialNumber: cpe.serialNumber }));
    expect(dev?.parameters.length).toBeGreaterThan(100);
    const inform = proxy.bodies.find((b) => b.dir === 'cpe' && b.text.includes(':Inform>'))!;
    expect(inform.text).toContain('SupportedCWMPVersions soap-env:mustUnderstand="0">1.0,1.1,1.2,1.3,1.4<');
    expect(nsOf(inform.text)).toBe(NS2);
    const ir = proxy.bodies.find((b) => b.dir === 'acs' && b.text.includes('InformResponse'))!;
    expect(ir.text).toContain('UseCWMPVersion soap-env:mustUnderstand="1">1.4<');
    expect(new Set(proxy.bodies.filter((b) => b.text !== '').map((b) => nsOf(b.text)))).toEqual(new Set([NS2]));
  });

  it('an ACS narrowed to 1.0,1.1 answers 1.1: the simulator switches to cwmp-1-1 for the rest of the session', async () => {
    const acs = await acsWith('v11', { cwmpVersions: ['1.0', '1.1'] });
    const proxy = await recordingProxy(acs.cwmpUrl);
    const { reports } = await fleetWith(proxy.url, 'V11', { cwmpVersions: ['1.0', '1.1', '1.2', '1.3', '1.4'] });
    await until(() => reports.find((r) => r.ok));
    const messages = proxy.bodies.filter((b) => b.text !== '');
    // The Inform in the CPE's best namespace; everything after it in the agreed one.
    expect(nsOf(messages[0]!.text)).toBe(NS2);
    expect(messages[1]!.text).toContain('UseCWMPVersion soap-env:mustUnderstand="1">1.1<');
    const after = messages.slice(1).map((m) => nsOf(m.text));
    expect(after.length).toBeGreaterThan(4);
    expect(new Set(after)).toEqual(new Set([NS1]));
    // Both directions: the CPE's answers too.
    expect(messages.slice(2).some((m) => m.dir === 'cpe' && m.text.includes('GetParameterNamesResponse'))).toBe(true);
  });

  it('nothing in common: fault 8006, the device is not stored, the simulator reports the fault and backs off', async () => {
    const acs = await acsWith('v8006', { cwmpVersions: ['1.0', '1.1'] });
    const { fleet, reports } = await fleetWith(acs.cwmpUrl, 'V8006', { cwmpVersions: ['1.3', '1.4'] });
    const r = await until(() => reports[0]);
    expect(r.ok).toBe(false);
    expect(r.error).toMatch(/^acs-fault 8006: ACS version incompatible with CPE/);
    expect(r.error).toContain('1.3,1.4');
    const id = deviceIdOf({ oui: OUI, productClass: CLASS, serialNumber: fleet.cpes[0]!.serialNumber });
    expect(await acs.store.getDevice(id)).toBeNull();
    expect(acs.activeSessions()).toBe(0);
    expect(fleet.cpes[0]!.pendingEvents.map((e) => e.eventCode)).toContain('0 BOOTSTRAP');
  });

  it('the wire form of 8006: a Client fault in the namespace of the Inform, answered with HTTP 500', async () => {
    const acs = await acsWith('wire8006', { cwmpVersions: ['1.0'] });
    const cpe = new ScriptedCpe(acs.cwmpUrl, { namespace: NS2 });
    closers.push(async () => cpe.close());
    const reply = await cpe.post(informBody({ events: ['1 BOOT'] }), { supportedCwmpVersions: '1.4' });
    expect(reply.status).toBe(500);
    expect(nsOf(reply.text)).toBe(NS2);
    expect(reply.envelope?.body).toMatchObject({ method: 'Fault', faultcode: 'Client', detail: { faultCode: 8006 } });
    // Hostile headers: a huge or junk list is an 8006 too, never a crash.
    const junk = await cpe.post(informBody({ events: ['1 BOOT'] }), { supportedCwmpVersions: 'x'.repeat(50_000) });
    expect(junk.envelope?.body).toMatchObject({ method: 'Fault', detail: { faultCode: 8006 } });
    expect(await acs.store.getDevice(deviceIdOf({ ...informBody().deviceId }))).toBeNull();
  });

  it('an older CPE (no header) is answered as before: its namespace, no UseCWMPVersion', async () => {
    const acs = await acsWith('old', { cwmpVersions: ['1.4'] });
    const proxy = await recordingProxy(acs.cwmpUrl);
    const { reports } = await fleetWith(proxy.url, 'OLD', { quirks: { namespace: NS1 } });
    await until(() => reports.find((r) => r.ok));
    expect(proxy.bodies.some((b) => b.text.includes('CWMPVersion'))).toBe(false);
    expect(new Set(proxy.bodies.filter((b) => b.text !== '').map((b) => nsOf(b.text)))).toEqual(new Set([NS1]));
  });
});

describe('13 WAKEUP and 14 HEARTBEAT (Annex O)', () => {
  it('the ACS enables HeartbeatPolicy with a task; heartbeats come alone, run nothing, cost two round trips like an idle periodic session', async () => {
    const store = countingStore(await createSqliteStore({ dataDir: join(dir, 'hb') }));
    closers.push(() => store.close());
    const acs = await acsWith('hb', { store });
    const scheduler = new RecordingScheduler();
    const { fleet, reports } = await fleetWith(acs.cwmpUrl, 'HB', { scheduler, cwmpVersions: ['1.0', '1.1', '1.2', '1.3', '1.4'] });
    const cpe = fleet.cpes[0]!;
    const id = deviceIdOf({ oui: OUI, productClass: CLASS, serialNumber: cpe.serialNumber });
    await until(() => reports.find((r) => r.ok));
    await until(() => cpe.phase === 'idle');

    // An idle periodic session, for the reference count.
    store.reset();
    cpe.inform('2 PERIODIC');
    await until(() => reports.find((r) => r.ok && r.events.includes('2 PERIODIC')));
    await until(() => (store.byMethod().commitSession ?? 0) === 1);
    const periodic = store.byMethod();
    expect(periodic).toEqual({ openSession: 1, commitSession: 1 });

    // The policy, set by an ordinary task: the first heartbeat 2.5 s from now, then every 30 s
    // (a slow machine that misses the first gets the next, 30 s later).
    const first = Date.now() + 2500;
    const set = await queueRpc(acs.store, id, {
      method: 'SetParameterValues',
      parameterList: [
        { name: 'Device.ManagementServer.HeartbeatPolicy.Enable', value: '1', type: 'xsd:boolean' },
        { name: 'Device.ManagementServer.HeartbeatPolicy.ReportingInterval', value: '30', type: 'xsd:unsignedInt' },
        { name: 'Device.ManagementServer.HeartbeatPolicy.InitiationTime', value: new Date(first).toISOString().replace(/\.\d{3}Z$/, 'Z'), type: 'xsd:dateTime' },
      ],
      parameterKey: 'hb-1',
    });
    cpe.connectionRequest();
    await until(async () => (await acs.store.getTask(set.id))?.state === 'done');
    await until(() => cpe.phase === 'idle');
    // A task queued now waits: the heartbeat session hands out nothing.
    const waiting = await queueRpc(acs.store, id, { method: 'GetParameterValues', parameterNames: ['Device.DeviceInfo.UpTime'] });
    store.reset();
    const hb = await until(() => reports.find((r) => r.events.includes('14 HEARTBEAT')), 45_000);
    expect(hb.ok).toBe(true);
    expect(hb.events).toEqual(['14 HEARTBEAT']);
    expect(hb.rpcs).toEqual([]);
    await until(() => (store.byMethod().commitSession ?? 0) === 1);
    const heartbeat = store.byMethod();
    expect(heartbeat).toEqual({ openSession: 1, commitSession: 1 });
    expect(heartbeat.openSession! + heartbeat.commitSession!).toBeLessThanOrEqual(periodic.openSession! + periodic.commitSession!);
    const task = await acs.store.getTask(waiting.id);
    expect([task?.state, task?.attempts]).toEqual(['queued', 0]);
    const dev = await acs.store.getDevice(id);
    expect(dev?.lastEvents.map((e) => e.eventCode)).toEqual(['14 HEARTBEAT']);
    // The next one is scheduled a reporting interval later.
    const delays = scheduler.delays('heartbeat');
    expect(delays.at(-1)).toBeGreaterThan(29_000);
    expect(delays.at(-1)).toBeLessThanOrEqual(30_000);
  }, 90_000);

  it('13 WAKEUP is an ordinary session: queued work runs in it', async () => {
    const acs = await acsWith('wake');
    const { fleet, reports } = await fleetWith(acs.cwmpUrl, 'WAKE');
    const cpe = fleet.cpes[0]!;
    const id = deviceIdOf({ oui: OUI, productClass: CLASS, serialNumber: cpe.serialNumber });
    await until(() => reports.find((r) => r.ok));
    await until(() => cpe.phase === 'idle');
    const q = await queueRpc(acs.store, id, { method: 'GetParameterValues', parameterNames: ['Device.DeviceInfo.UpTime'] });
    cpe.inform('13 WAKEUP');
    const woke = await until(() => reports.find((r) => r.events.includes('13 WAKEUP')));
    expect(woke.rpcs.map((r) => r.method)).toEqual(['GetParameterValues']);
    expect((await acs.store.getTask(q.id))?.state).toBe('done');
  });
});

/** One device behind a recording proxy, bootstrapped; `setup` runs on its model before it starts. */
async function device(name: string, setup: Record<string, string> = {}) {
  const acs = await acsWith(name);
  const proxy = await recordingProxy(acs.cwmpUrl);
  // The shipped router with some values changed, as a model file of its own.
  const model = JSON.parse(await readFile(join(process.cwd(), 'models', 'tr181-router.json'), 'utf8')) as { parameters: { path: string; value?: string }[] };
  for (const p of model.parameters) if (setup[p.path] !== undefined) p.value = setup[p.path];
  const file = join(dir, `${name}.json`);
  await writeFile(file, JSON.stringify(model));
  const { fleet, reports } = await fleetWith(proxy.url, name.toUpperCase(), { model: file });
  const cpe = fleet.cpes[0]!;
  const id = deviceIdOf({ oui: OUI, productClass: CLASS, serialNumber: cpe.serialNumber });
  await until(() => reports.find((r) => r.ok));
  await until(() => cpe.phase === 'idle');
  /** Queue tasks, wake the CPE, wait for every outcome. */
  const run = async (...tasks: Task[]): Promise<TaskRecord[]> => {
    const made = await acs.store.createTasks(tasks.map((task) => ({ deviceId: id, task, expiresAt: null })), Date.now());
    proxy.bodies.length = 0;
    cpe.connectionRequest();
    const out: TaskRecord[] = [];
    for (const m of made) out.push(await until(async () => {
      const r = await acs.store.getTask(m.id);
      return r !== null && (r.state === 'done' || r.state === 'fault') ? r : null;
    }));
    await until(() => cpe.phase === 'idle');
    return out;
  };
  const sent = (): string => proxy.bodies.filter((b) => b.dir === 'acs').map((b) => b.text).join('\n');
  const cpeSent = (): string => proxy.bodies.filter((b) => b.dir === 'cpe').map((b) => b.text).join('\n');
  const stored = async (path: string) => (await acs.store.getDevice(id, { subtree: path }))?.parameters.find((p) => p.path === path)?.value;
  return { acs, cpe, id, run, sent, cpeSent, stored };
}

const valuesOf = (t: TaskRecord): [string, string][] =>
  t.response?.method === 'GetParameterValuesResponse' ? t.response.parameterList.map((p) => [p.name, p.value]) : [];

describe('instance wildcards in GetParameterValues', () => {
  it('a device declaring InstanceWildcardsSupported is sent Device.WiFi.SSID.*.SSID as it is', async () => {
    const d = await device('wild');
    expect(await d.stored('Device.ManagementServer.InstanceWildcardsSupported')).toBe('true');
    const [t] = await d.run({ type: 'getParameterValues', parameterNames: ['Device.WiFi.SSID.*.SSID'] });
    expect(t!.state).toBe('done');
    expect(valuesOf(t!)).toEqual([['Device.WiFi.SSID.1.SSID', 'Flotilla-2G'], ['Device.WiFi.SSID.2.SSID', 'Flotilla-5G']]);
    expect(d.sent()).toContain('<string>Device.WiFi.SSID.*.SSID</string>');
    expect(d.sent()).not.toContain('GetParameterNames');
  });

  it('a device without them: the ACS lists the table and reads the matching names (same answer)', async () => {
    const d = await device('tame', { 'Device.ManagementServer.InstanceWildcardsSupported': 'false' });
    const [t] = await d.run({ type: 'getParameterValues', parameterNames: ['Device.WiFi.SSID.*.SSID'] });
    expect(t!.state).toBe('done');
    expect(valuesOf(t!).sort()).toEqual([['Device.WiFi.SSID.1.SSID', 'Flotilla-2G'], ['Device.WiFi.SSID.2.SSID', 'Flotilla-5G']]);
    expect(d.sent()).not.toContain('*');
    expect(d.sent()).toContain('<ParameterPath>Device.WiFi.SSID.</ParameterPath>');
  });
});

describe('alias-based addressing', () => {
  it('a device declaring AliasBasedAddressing gets [alias] paths as they are: add, set, auto-create', async () => {
    const d = await device('alias');
    const [add, set, read] = await d.run(
      { type: 'addObject', objectName: 'Device.NAT.PortMapping.[web].', parameterValues: [['InternalPort', '80', 'xsd:unsignedInt']], parameterKey: 'a1' },
      { type: 'setParameterValues', parameterValues: [['Device.NAT.PortMapping.[web].ExternalPort', '8080', 'xsd:unsignedInt']], parameterKey: 'a2' },
      { type: 'getParameterValues', parameterNames: ['Device.NAT.PortMapping.[web].ExternalPort'] },
    );
    expect([add!.state, set!.state, read!.state]).toEqual(['done', 'done', 'done']);
    expect(valuesOf(read!)).toEqual([['Device.NAT.PortMapping.1.ExternalPort', '8080']]);
    expect(d.sent()).toContain('<ObjectName>Device.NAT.PortMapping.[web].</ObjectName>');
    expect(d.sent()).toContain('<Name>Device.NAT.PortMapping.[web].ExternalPort</Name>');
    expect([d.cpe.model.get('Device.NAT.PortMapping.1.Alias')?.value, d.cpe.model.get('Device.NAT.PortMapping.1.ExternalPort')?.value, d.cpe.model.get('Device.NAT.PortMapping.1.InternalPort')?.value]).toEqual(['web', '8080', '80']);
    // The stored tree has the instance by number, never an alias row.
    expect(await d.stored('Device.NAT.PortMapping.1.InternalPort')).toBe('80');
    const dev = await d.acs.store.getDevice(d.id, { subtree: 'Device.NAT.' });
    expect(dev!.parameters.some((p) => p.path.includes('['))).toBe(false);
    // AutoCreateInstances on: a Set naming a new alias creates its instance.
    const [auto, made] = await d.run(
      { type: 'setParameterValues', parameterValues: [['Device.ManagementServer.AutoCreateInstances', 'true', 'xsd:boolean']], parameterKey: 'a3' },
      { type: 'setParameterValues', parameterValues: [['Device.NAT.PortMapping.[ssh].ExternalPort', '2222', 'xsd:unsignedInt']], parameterKey: 'a4' },
    );
    expect([auto!.state, made!.state]).toEqual(['done', 'done']);
    expect([d.cpe.model.get('Device.NAT.PortMapping.2.Alias')?.value, d.cpe.model.get('Device.NAT.PortMapping.2.ExternalPort')?.value]).toEqual(['ssh', '2222']);
  });

  it('a device without it: the ACS names the instance through Alias and resolves aliases from what it stored', async () => {
    const d = await device('plain', { 'Device.ManagementServer.AliasBasedAddressing': 'false' });
    const [add] = await d.run({ type: 'addObject', objectName: 'Device.NAT.PortMapping.[web].', parameterValues: [['InternalPort', '80', 'xsd:unsignedInt']], parameterKey: 'p1' });
    expect(add!.state).toBe('done');
    expect(d.sent()).toContain('<ObjectName>Device.NAT.PortMapping.</ObjectName>');
    expect(d.sent()).not.toContain('[web]');
    expect(await d.stored('Device.NAT.PortMapping.1.Alias')).toBe('web');
    const [set, read] = await d.run(
      { type: 'setParameterValues', parameterValues: [['Device.NAT.PortMapping.[web].ExternalPort', '8443', 'xsd:unsignedInt']], parameterKey: 'p2' },
      { type: 'getParameterValues', parameterNames: ['Device.NAT.PortMapping.[web].ExternalPort'] },
    );
    expect([set!.state, read!.state]).toEqual(['done', 'done']);
    expect(d.sent()).toContain('<Name>Device.NAT.PortMapping.1.ExternalPort</Name>');
    expect(valuesOf(read!)).toEqual([['Device.NAT.PortMapping.1.ExternalPort', '8443']]);
    const [unknown] = await d.run({ type: 'setParameterValues', parameterValues: [['Device.NAT.PortMapping.[nope].ExternalPort', '1', 'xsd:unsignedInt']], parameterKey: 'p3' });
    expect(unknown!.state).toBe('fault');
    expect(unknown!.fault).toMatchObject({ faultCode: 9005, faultString: expect.stringContaining('[nope]') });
  });

  it('a device in InstanceMode InstanceAlias: answers named by alias are placed by number; unknown aliases make the ACS ask for numbers once', async () => {
    const d = await device('named', { 'Device.ManagementServer.InstanceMode': 'InstanceAlias', 'Device.ManagementServer.AutoCreateInstances': 'true' });
    // AutoCreateInstances relied upon: one SetParameterValues, sent as is, makes the instance.
    const [auto] = await d.run({ type: 'setParameterValues', parameterValues: [['Device.NAT.PortMapping.[web].ExternalPort', '8080', 'xsd:unsignedInt']], parameterKey: 'n1' });
    expect(auto!.state).toBe('done');
    expect(d.sent()).toContain('<Name>Device.NAT.PortMapping.[web].ExternalPort</Name>');
    expect(d.sent()).not.toContain('AddObject');
    expect(d.cpe.model.get('Device.NAT.PortMapping.1.Alias')?.value).toBe('web');
    // A refresh: the device names the new instance [web], which the ACS cannot place (its number
    // was never seen). It sets InstanceMode to InstanceNumber and reads again.
    const [refresh] = await d.run({ type: 'refresh', objectName: 'Device.NAT.PortMapping.' });
    expect(refresh!.state).toBe('done');
    expect(d.sent()).toContain('<Name>Device.ManagementServer.InstanceMode</Name>');
    expect(d.cpe.model.get('Device.ManagementServer.InstanceMode')?.value).toBe('InstanceNumber');
    expect(await d.stored('Device.NAT.PortMapping.1.ExternalPort')).toBe('8080');
    expect(await d.stored('Device.NAT.PortMapping.1.Alias')).toBe('web');
    expect(await d.stored('Device.ManagementServer.InstanceMode')).toBe('InstanceNumber');
    const rows = async () => (await d.acs.store.getDevice(d.id, { subtree: 'Device.' }))!.parameters;
    expect((await rows()).some((p) => p.path.includes('['))).toBe(false);
    // Back in InstanceAlias (an operator's choice): aliases the ACS stored place the answers
    // with no switch; the task answers with numbers either way.
    const [mode] = await d.run({ type: 'setParameterValues', parameterValues: [['Device.ManagementServer.InstanceMode', 'InstanceAlias', 'xsd:string']], parameterKey: 'n2' });
    expect(mode!.state).toBe('done');
    const [read] = await d.run({ type: 'getParameterValues', parameterNames: ['Device.NAT.PortMapping.[web].ExternalPort', 'Device.NAT.PortMapping.1.Alias'] });
    expect(read!.state).toBe('done');
    expect(valuesOf(read!)).toEqual([['Device.NAT.PortMapping.1.ExternalPort', '8080'], ['Device.NAT.PortMapping.1.Alias', 'web']]);
    expect(d.sent()).not.toContain('InstanceMode');
    expect(d.cpe.model.get('Device.ManagementServer.InstanceMode')?.value).toBe('InstanceAlias');
    // The wire really carried aliases in the answer.
    expect(d.cpeSent()).toContain('<Name>Device.NAT.PortMapping.[web].ExternalPort</Name>');
    // A second auto-created instance read by alias in the same kind of session: placed after the switch.
    const [ssh, sshRead] = await d.run(
      { type: 'setParameterValues', parameterValues: [['Device.NAT.PortMapping.[ssh].ExternalPort', '2222', 'xsd:unsignedInt']], parameterKey: 'n3' },
      { type: 'getParameterValues', parameterNames: ['Device.NAT.PortMapping.[ssh].'] },
    );
    expect([ssh!.state, sshRead!.state]).toEqual(['done', 'done']);
    expect(valuesOf(sshRead!)).toContainEqual(['Device.NAT.PortMapping.2.ExternalPort', '2222']);
    expect(await d.stored('Device.NAT.PortMapping.2.ExternalPort')).toBe('2222');
    expect((await rows()).some((p) => p.path.includes('['))).toBe(false);
  });
});
