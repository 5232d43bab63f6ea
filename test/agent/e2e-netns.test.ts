/**
 * `flotilla agent` end to end: the real CLI inside a network namespace of its own (one
 * veth link, wan0, with addresses this test chose), against a real ACS and REST API on the
 * host side of the link. The model it reports is therefore known exactly: interfaces,
 * addresses, the route, the resolver, the neighbour. Diagnostics really run (ping over the
 * link, an HTTP download from a source the test serves), a test provider's writable value
 * goes through its commit hook and survives a restart, Reboot without a hook is refused.
 *
 * Needs root and `ip netns`; skips with one line elsewhere, mandatory when CI=true.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deviceIdOf } from '../../src/store/device-id.js';
import { CR_PASS, CR_USER, inPath, startStack, until, type Json, type Stack } from '../nbi/helpers.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const main = path.join(repoRoot, 'dist/src/cli/main.js');

const tag = `${process.pid % 100000}`;
const NS = `flt-agent-${tag}`;
const HOST_IF = `fa${tag}h`;
const NS_IF_TMP = `fa${tag}n`;
const NET = `10.213.${Math.floor(Math.random() * 256)}`; // a /29: .1 the ACS side, .2 the agent, .3 nobody
const HOST_IP = `${NET}.1`;
const AGENT_IP = `${NET}.2`;
const HOST_MAC = '02:F1:07:00:00:01';
const AGENT_MAC = '02:F1:07:00:00:02';
const SERIAL = `AGENT-E2E-${tag}`;
const OUI = 'F1A6E7';
const BLOB = 256 * 1024;

const ip = (...args: string[]): void => void execFileSync('ip', args, { stdio: 'pipe' });

/** Build the namespace; null when this machine does not allow it. */
function setUpNamespace(): string | null {
  try {
    ip('netns', 'add', NS);
  } catch (e) {
    return e instanceof Error ? e.message.split('\n')[0]! : String(e);
  }
  ip('link', 'add', HOST_IF, 'address', HOST_MAC, 'type', 'veth', 'peer', 'name', NS_IF_TMP);
  ip('link', 'set', NS_IF_TMP, 'netns', NS);
  ip('-n', NS, 'link', 'set', NS_IF_TMP, 'name', 'wan0');
  ip('-n', NS, 'link', 'set', 'wan0', 'address', AGENT_MAC);
  // No IPv6 in there, so every address the agent reports is one this test gave.
  execFileSync('ip', ['netns', 'exec', NS, 'sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1']);
  ip('addr', 'add', `${HOST_IP}/29`, 'dev', HOST_IF);
  ip('link', 'set', HOST_IF, 'up');
  ip('-n', NS, 'addr', 'add', `${AGENT_IP}/29`, 'dev', 'wan0');
  ip('-n', NS, 'link', 'set', 'wan0', 'up');
  ip('-n', NS, 'link', 'set', 'lo', 'up');
  // `ip netns exec` mounts this over /etc/resolv.conf inside the namespace.
  mkdirSync(`/etc/netns/${NS}`, { recursive: true });
  writeFileSync(`/etc/netns/${NS}/resolv.conf`, `nameserver ${HOST_IP}\n`);
  return null;
}

function tearDownNamespace(): void {
  try {
    ip('netns', 'del', NS); // takes wan0 and its peer with it
  } catch {
    // never made
  }
  try {
    ip('link', 'del', HOST_IF);
  } catch {
    // gone with the namespace
  }
  rmSync(`/etc/netns/${NS}`, { recursive: true, force: true });
}

const isRoot = process.getuid?.() === 0;
let refused: string | null = isRoot ? null : 'not root';
let dir = '';
let stack: Stack | undefined;
let source: http.Server | undefined;
let sourceUrl = '';
let agent: ChildProcess | null = null;
let output = '';
const id = deviceIdOf({ oui: OUI, productClass: 'LinuxHost', serialNumber: SERIAL });
const providerFile = (): string => path.join(dir, 'testapp-provider.mjs');
const commitLog = (): string => path.join(dir, 'testapp-commits.json');

const TEST_PROVIDER = (logFile: string): string => `
import { writeFileSync } from 'node:fs';
// A device application's own settings: a provider with a commit hook that applies writes.
export default {
  name: 'testapp',
  declare(d, ctx) {
    d.object('Device.X_${OUI}_TestApp.');
    d.param('Device.X_${OUI}_TestApp.Greeting', { type: 'string', writable: true, maxLength: 32 }, ctx.stored('Greeting') ?? 'hello');
    d.param('Device.X_${OUI}_TestApp.Volume', { type: 'unsignedInt', writable: true, max: '10' }, ctx.stored('Volume') ?? '5');
  },
  check(path, value) { return path.endsWith('.Greeting') && value.includes('forbidden') ? 9007 : 0; },
  commit(writes, ctx) {
    for (const [p, v] of writes) ctx.store(p.split('.').pop(), v);
    writeFileSync(${JSON.stringify(logFile)}, JSON.stringify(writes));
  },
};
`;

function startAgent(): ChildProcess {
  const child = spawn(
    'ip',
    [
      'netns', 'exec', NS, process.execPath, main, 'agent',
      '--acs', stack!.acs.cwmpUrl,
      '--serial', SERIAL,
      '--oui', OUI,
      '--state-dir', path.join(dir, 'state'),
      '--connection-request-port', '7547',
      '--cr-username', CR_USER,
      '--cr-rate-limit', '100:0.1',
      '--provider', providerFile(),
      '--retry-min-wait', '1',
    ],
    // The password through the environment, as the docs advise (argv is public).
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FLOTILLA_CR_PASSWORD: CR_PASS } },
  );
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  return child;
}

async function stopAgent(): Promise<number | null> {
  const child = agent;
  agent = null;
  if (child === null || child.exitCode !== null) return child?.exitCode ?? null;
  const exited = new Promise<number | null>((r) => child.once('exit', r));
  child.kill('SIGTERM');
  return exited;
}

async function device(): Promise<Json> {
  const r = await stack!.api.get(`/devices/${inPath(id)}`);
  return r.status === 200 ? r.body : null;
}

/** A task through the API with a connection request, waiting for its outcome. */
async function task(body: Record<string, unknown>): Promise<Json> {
  const r = await stack!.api.post(`/devices/${inPath(id)}/tasks?connectionRequest=true&wait=20`, body);
  expect(r.status, r.text).toBeLessThan(300);
  return until(async () => {
    const t = (await stack!.api.get(`/tasks/${r.body.id}`)).body;
    return t.state === 'done' || t.state === 'fault' ? t : null;
  });
}

async function values(names: string[]): Promise<Record<string, string>> {
  const t = await task({ type: 'getParameterValues', parameterNames: names });
  expect(t.state).toBe('done');
  return Object.fromEntries((t.response.parameterList as { name: string; value: string }[]).map((p) => [p.name, p.value]));
}

/** Request a diagnostic and read its object once the agent says it is done. */
async function diagnose(obj: string, inputs: [string, string][]): Promise<Record<string, string>> {
  const set = await task({ type: 'setParameterValues', parameterValues: [...inputs.map(([k, v]) => [obj + k, v]), [`${obj}DiagnosticsState`, 'Requested']] });
  expect(set.state).toBe('done');
  return until(async () => {
    const v = await values([obj]);
    return v[`${obj}DiagnosticsState`] !== 'Requested' ? v : null;
  }, 30_000);
}

const ready = existsSync(main);

describe('flotilla agent in a network namespace', () => {
  beforeAll(async () => {
    if (!ready) return;
    if (refused === null) refused = setUpNamespace();
    if (refused !== null) {
      tearDownNamespace();
      if (process.env.CI === 'true') throw new Error(`ip netns is not allowed here (${refused}); mandatory when CI=true`);
      console.log(`skipped: flotilla agent e2e needs root and ip netns (${refused})`);
      return;
    }
    dir = mkdtempSync(path.join(tmpdir(), 'flotilla-agent-e2e-'));
    writeFileSync(providerFile(), TEST_PROVIDER(commitLog()));
    stack = await startStack({ acs: { host: HOST_IP } });
    // The HTTP source and sink the diagnostics run against (TR-143 endpoints of our own).
    source = http.createServer((req, res) => {
      req.resume();
      if (req.method === 'GET' && req.url === '/blob') return void res.writeHead(200, { 'content-length': String(BLOB) }).end(Buffer.alloc(BLOB, 7));
      if (req.method === 'PUT') return void req.on('end', () => res.writeHead(204).end());
      res.writeHead(404).end();
    });
    await new Promise<void>((r) => source!.listen(0, HOST_IP, r));
    sourceUrl = `http://${HOST_IP}:${(source.address() as AddressInfo).port}`;
    agent = startAgent();
  });

  afterAll(async () => {
    await stopAgent().catch(() => undefined);
    await stack?.close();
    await new Promise<void>((r) => (source ? source.close(() => r()) : r()));
    tearDownNamespace();
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  });

  const run = (name: string, fn: () => Promise<void>): void => {
    it(name, async (ctx) => {
      if (!ready || refused !== null) return ctx.skip();
      await fn();
    });
  };

  run('registers, and the bootstrap discovery shows exactly the namespace: lo and wan0 with their addresses', async () => {
    const dev = await until(async () => {
      const d = await device();
      return d?.parameters?.['Device.DeviceInfo.UpTime'] !== undefined && d.parameters['Device.IP.Interface.1.Name'] !== undefined ? d : null;
    }, 30_000);
    expect(dev.deviceId).toMatchObject({ oui: OUI, productClass: 'LinuxHost', serialNumber: SERIAL });
    expect(dev.lastEvents.map((e: Json) => e.eventCode)).toContain('0 BOOTSTRAP');
    const p = dev.parameters as Record<string, { value: string; type: string; writable: boolean }>;
    expect(Number(p['Device.DeviceInfo.UpTime']!.value)).toBeGreaterThan(0);
    expect(p['Device.DeviceInfo.UpTime']!.type).toBe('xsd:unsignedInt');
    // Interfaces: exactly the namespace's two, each with exactly its address.
    const ifs = Object.keys(p).filter((k) => /^Device\.IP\.Interface\.\d+\.Name$/.test(k)).map((k) => [k.slice(0, -'Name'.length), p[k]!.value] as const);
    expect(ifs.map(([, n]) => n).sort()).toEqual(['lo', 'wan0']);
    const at = (name: string): string => ifs.find(([, n]) => n === name)![0];
    const addrs = (pre: string): string[] => Object.keys(p).filter((k) => k.startsWith(`${pre}IPv4Address.`) && k.endsWith('.IPAddress')).map((k) => p[k]!.value);
    expect(addrs(at('lo'))).toEqual(['127.0.0.1']);
    expect(addrs(at('wan0'))).toEqual([AGENT_IP]);
    expect(p[`${at('wan0')}IPv4Address.1.SubnetMask`]!.value).toBe('255.255.255.248');
    expect(p[`${at('wan0')}IPv6AddressNumberOfEntries`]!.value).toBe('0');
    expect(p[`${at('lo')}Type`]!.value).toBe('Loopback');
    expect(p['Device.IP.InterfaceNumberOfEntries']!.value).toBe('2');
    // Ethernet: wan0 only (lo is no Ethernet link), with the MAC the test gave it.
    expect(p['Device.Ethernet.InterfaceNumberOfEntries']!.value).toBe('1');
    expect(p['Device.Ethernet.Interface.1.Name']!.value).toBe('wan0');
    expect(p['Device.Ethernet.Interface.1.MACAddress']!.value).toBe(AGENT_MAC);
    expect(p[`${at('wan0')}LowerLayers`]!.value).toBe('Device.Ethernet.Interface.1');
    // The one route, the resolver, the connection-request URL on the namespace's address.
    expect(p['Device.Routing.Router.1.IPv4ForwardingNumberOfEntries']!.value).toBe('1');
    expect(p['Device.Routing.Router.1.IPv4Forwarding.1.DestIPAddress']!.value).toBe(`${NET}.0`);
    expect(p['Device.Routing.Router.1.IPv4Forwarding.1.Interface']!.value).toBe(at('wan0').slice(0, -1));
    expect(p['Device.DNS.Client.Server.1.DNSServer']!.value).toBe(HOST_IP);
    expect(p['Device.DNS.Client.ServerNumberOfEntries']!.value).toBe('1');
    expect(p['Device.ManagementServer.ConnectionRequestURL']!.value).toBe(`http://${AGENT_IP}:7547/`);
    // Passwords are hidden from the ACS: the agent reads back "", which the ACS does not
    // store as a value (a blank read of a secret tells nothing), so the value stays unknown.
    expect(p['Device.ManagementServer.ConnectionRequestPassword']!.value).toBeNull();
    expect(p['Device.ManagementServer.ConnectionRequestPassword']!.writable).toBe(true);
  });

  run('the neighbour table shows the ACS side of the link', async () => {
    const v = await until(async () => {
      const h = await values(['Device.Hosts.']);
      return Object.values(h).includes(HOST_IP) ? h : null;
    });
    const row = Object.keys(v).find((k) => k.endsWith('.IPAddress') && v[k] === HOST_IP)!.slice(0, -'IPAddress'.length);
    expect(v[`${row}PhysAddress`]).toBe(HOST_MAC);
    expect(v[`${row}Layer3Interface`]).toMatch(/^Device\.IP\.Interface\.\d+$/);
  });

  run('Reboot with the default hook is refused with a fault, and the agent carries on', async () => {
    const t = await task({ type: 'reboot' });
    expect(t.state).toBe('fault');
    expect(t.fault.faultCode).toBe(9001);
    const fr = await task({ type: 'factoryReset' });
    expect(fr.state).toBe('fault');
    expect(fr.fault.faultCode).toBe(9001);
    expect(agent!.exitCode).toBeNull();
  });

  run('IPPing really pings across the link', async () => {
    const obj = 'Device.IP.Diagnostics.IPPing.';
    const wan0 = Object.entries(await values(['Device.IP.Interface.'])).find(([k, v]) => k.endsWith('.Name') && v === 'wan0')![0].slice(0, -'.Name'.length);
    const v = await diagnose(obj, [['Host', HOST_IP], ['NumberOfRepetitions', '3'], ['Timeout', '2000'], ['Interface', wan0]]);
    expect(v[`${obj}DiagnosticsState`]).toBe('Complete');
    expect(v[`${obj}SuccessCount`]).toBe('3');
    expect(v[`${obj}FailureCount`]).toBe('0');
    expect(v[`${obj}IPAddressUsed`]).toBe(AGENT_IP);
    expect(Number(v[`${obj}MinimumResponseTimeDetailed`])).toBeGreaterThan(0);
    expect(Number(v[`${obj}MaximumResponseTimeDetailed`])).toBeGreaterThanOrEqual(Number(v[`${obj}MinimumResponseTimeDetailed`]));
    // An address on the link that nobody holds: every echo fails.
    const lost = await diagnose(obj, [['Host', `${NET}.3`], ['NumberOfRepetitions', '2'], ['Timeout', '1000']]);
    expect(lost[`${obj}SuccessCount`]).toBe('0');
    expect(lost[`${obj}FailureCount`]).toBe('2');
    const unknown = await diagnose(obj, [['Host', 'no-such-host.invalid']]);
    expect(unknown[`${obj}DiagnosticsState`]).toBe('Error_CannotResolveHostName');
    // The namespace has no default route.
    const away = await diagnose(obj, [['Host', '192.0.2.1'], ['Interface', '']]);
    expect(away[`${obj}DiagnosticsState`]).toBe('Error_NoRouteToHost');
    // Option injection through Host is refused before anything runs.
    const hostile = await diagnose(obj, [['Host', '-f 127.0.0.1']]);
    expect(hostile[`${obj}DiagnosticsState`]).toBe('Error_CannotResolveHostName');
  });

  run('TraceRoute finds the one hop, NSLookup asks the resolver the ACS named', async () => {
    const tr = 'Device.IP.Diagnostics.TraceRoute.';
    const v = await diagnose(tr, [['Host', HOST_IP], ['NumberOfTries', '1'], ['Timeout', '2000'], ['MaxHopCount', '3']]);
    expect(v[`${tr}DiagnosticsState`]).toBe('Complete');
    expect(v[`${tr}RouteHopsNumberOfEntries`]).toBe('1');
    expect(v[`${tr}RouteHops.1.HostAddress`]).toBe(HOST_IP);
    expect(v[`${tr}IPAddressUsed`]).toBe(AGENT_IP);
    const ns = 'Device.DNS.Diagnostics.NSLookupDiagnostics.';
    // Nothing answers DNS on the ACS side: a real query, a real refusal.
    const n = await diagnose(ns, [['HostName', 'example.test'], ['DNSServer', HOST_IP], ['Timeout', '1000']]);
    expect(n[`${ns}DiagnosticsState`]).toBe('Complete');
    expect(n[`${ns}SuccessCount`]).toBe('0');
    expect(n[`${ns}ResultNumberOfEntries`]).toBe('1');
    expect(n[`${ns}Result.1.DNSServerIP`]).toBe(HOST_IP);
    expect(['Error_DNSServerNotAvailable', 'Error_Timeout']).toContain(n[`${ns}Result.1.Status`]);
  });

  run('DownloadDiagnostics and UploadDiagnostics move real bytes and report real times', async () => {
    const obj = 'Device.IP.Diagnostics.DownloadDiagnostics.';
    const v = await diagnose(obj, [['DownloadURL', `${sourceUrl}/blob`]]);
    expect(v[`${obj}DiagnosticsState`]).toBe('Complete');
    expect(v[`${obj}TestBytesReceived`]).toBe(String(BLOB));
    expect(Number(v[`${obj}TotalBytesReceived`])).toBeGreaterThan(BLOB);
    expect(v[`${obj}IPAddressUsed`]).toBe(AGENT_IP);
    const t = (k: string): number => Date.parse(v[obj + k]!);
    expect(t('ROMTime')).toBeGreaterThan(Date.now() - 120_000);
    expect(t('TCPOpenResponseTime')).toBeGreaterThanOrEqual(t('TCPOpenRequestTime'));
    expect(t('EOMTime')).toBeGreaterThanOrEqual(t('BOMTime'));
    expect(t('BOMTime')).toBeGreaterThanOrEqual(t('ROMTime'));
    const up = 'Device.IP.Diagnostics.UploadDiagnostics.';
    const u = await diagnose(up, [['UploadURL', `${sourceUrl}/sink`], ['TestFileLength', '100000']]);
    expect(u[`${up}DiagnosticsState`]).toBe('Complete');
    expect(u[`${up}TestBytesSent`]).toBe('100000');
    expect(Number(u[`${up}TotalBytesSent`])).toBeGreaterThan(100000);
    const refusedConn = await diagnose(obj, [['DownloadURL', `http://${HOST_IP}:9/blob`]]);
    expect(refusedConn[`${obj}DiagnosticsState`]).toBe('Error_InitConnectionFailed');
  });

  run('a test provider applies a SetParameterValues through its commit hook, and it survives a restart', async () => {
    const bad = await task({ type: 'setParameterValues', parameterValues: [[`Device.X_${OUI}_TestApp.Greeting`, 'forbidden word']] });
    expect(bad.state).toBe('fault');
    expect(bad.fault.setParameterValuesFault[0].faultCode).toBe(9007);
    const tooLoud = await task({ type: 'setParameterValues', parameterValues: [[`Device.X_${OUI}_TestApp.Volume`, '11', 'xsd:unsignedInt']] });
    expect(tooLoud.state).toBe('fault');
    expect(existsSync(commitLog())).toBe(false); // nothing reached the hook

    const set = await task({ type: 'setParameterValues', parameterValues: [[`Device.X_${OUI}_TestApp.Greeting`, 'bonjour'], [`Device.X_${OUI}_TestApp.Volume`, '7', 'xsd:unsignedInt']], parameterKey: 'pk-e2e-1' });
    expect(set.state).toBe('done');
    expect(JSON.parse(readFileSync(commitLog(), 'utf8'))).toEqual([[`Device.X_${OUI}_TestApp.Greeting`, 'bonjour'], [`Device.X_${OUI}_TestApp.Volume`, '7']]);
    const stateFile = path.join(dir, 'state', 'state.json');
    expect(statSync(stateFile).mode & 0o777).toBe(0o600);

    expect(await stopAgent()).toBe(0);
    const before = (await device()).lastInform;
    agent = startAgent();
    const dev = await until(async () => {
      const d = await device();
      return d.lastInform !== before ? d : null;
    }, 30_000);
    // Known to this ACS: a boot, not a bootstrap; ParameterKey kept (it is in every Inform).
    const events = dev.lastEvents.map((e: Json) => e.eventCode);
    expect(events).toContain('1 BOOT');
    expect(events).not.toContain('0 BOOTSTRAP');
    expect(dev.parameters['Device.ManagementServer.ParameterKey'].value).toBe('pk-e2e-1');
    const v = await values([`Device.X_${OUI}_TestApp.`]);
    expect(v).toEqual({ [`Device.X_${OUI}_TestApp.Greeting`]: 'bonjour', [`Device.X_${OUI}_TestApp.Volume`]: '7' });
  });

  run('never logs a password', () => {
    expect(output).toContain('agent started');
    expect(output).not.toContain(CR_PASS);
    return Promise.resolve();
  });
});
