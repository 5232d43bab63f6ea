/**
 * The agent's operations and notifications, in process against a real ACS and API on
 * loopback: Download staged, size- and SHA-256-checked, then handed to the install hook;
 * Upload of the configuration and of the log; Reboot through a hook, with "M Reboot"
 * delivered after it; active notification of a value the system changed; ScheduleInform;
 * the retry back-off against an ACS that is down; state kept across a restart.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent, type AgentOptions } from '../../src/cpe/agent/agent.js';
import type { Provider } from '../../src/cpe/agent/provider.js';
import type { SessionReport } from '../../src/cpe/client/runtime.js';
import { parseChallenges, respondTo } from '../../src/auth/client.js';
import { deviceIdOf } from '../../src/store/device-id.js';
import { CR_PASS, CR_USER, inPath, startStack, until, type Json, type Stack } from '../nbi/helpers.js';

const OUI = 'F1A6E8';
const FW = Buffer.alloc(4096, 3);
const FW_SHA = createHash('sha256').update(FW).digest('hex');

let dir: string;
let stack: Stack;
let files: http.Server;
let filesUrl = '';
const uploads: { url: string; body: string }[] = [];
const agents: Agent[] = [];

/** A value the "system" changes by itself (a counter an application keeps). */
let systemValue = 'a';
const watched: Provider = {
  name: 'watched',
  declare(d) {
    d.object(`Device.X_${OUI}_App.`);
    d.param(`Device.X_${OUI}_App.Mode`, { type: 'string' }, () => systemValue);
  },
};

async function agentFor(serial: string, extra: Partial<AgentOptions> = {}): Promise<{ agent: Agent; id: string; sessions: SessionReport[] }> {
  const sessions: SessionReport[] = [];
  const agent = await Agent.start({
    acsUrl: stack.acs.cwmpUrl,
    serialNumber: serial,
    stateDir: path.join(dir, serial),
    identity: { oui: OUI },
    connectionRequest: { host: '127.0.0.1', port: 0, username: CR_USER, password: CR_PASS, rateLimit: { burst: 100, refillSeconds: 0.01 } },
    builtinProviders: false,
    providers: [watched],
    pollInterval: 1,
    rebootDelayMs: 200,
    onSession: (r) => sessions.push(r),
    ...extra,
  });
  agents.push(agent);
  await until(() => sessions.some((s) => s.ok));
  return { agent, id: deviceIdOf({ oui: OUI, productClass: 'LinuxHost', serialNumber: serial }), sessions };
}

async function task(id: string, body: Record<string, unknown>): Promise<Json> {
  const r = await stack.api.post(`/devices/${inPath(id)}/tasks?connectionRequest=true&wait=20`, body);
  expect(r.status, r.text).toBeLessThan(300);
  return until(async () => {
    const t = (await stack.api.get(`/tasks/${r.body.id}`)).body;
    return t.state === 'done' || t.state === 'fault' ? t : null;
  });
}

const sessionWith = (sessions: SessionReport[], code: string, after = 0): Promise<SessionReport> =>
  until(() => sessions.slice(after).find((s) => s.ok && s.events.some((e) => e === code || e.startsWith(`${code} `))), 20_000);

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'flotilla-agent-ops-'));
  stack = await startStack();
  files = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method === 'PUT') {
        uploads.push({ url: req.url ?? '', body: Buffer.concat(chunks).toString() });
        return void res.writeHead(204).end();
      }
      if (req.url === '/fw-2.0.bin') return void res.end(FW);
      res.writeHead(404).end();
    });
  });
  await new Promise<void>((r) => files.listen(0, '127.0.0.1', r));
  filesUrl = `http://127.0.0.1:${(files.address() as AddressInfo).port}`;
});

afterAll(async () => {
  for (const a of agents) await a.stop();
  await stack?.close();
  await new Promise<void>((r) => files.close(() => r()));
  rmSync(dir, { recursive: true, force: true });
});

describe('agent operations', () => {
  it('Download: staged, checked, installed by the hook; a wrong SHA-256 or size never reaches it', async () => {
    const installed = path.join(dir, 'installed.bin');
    const hook = ['sh', '-c', 'cp "$FLOTILLA_FILE" "$0" && echo "$FLOTILLA_FILE_TYPE|$FLOTILLA_SHA256" > "$0.meta"', installed];
    const { id, sessions } = await agentFor('OPS-DL', { hooks: { install: hook } });
    const n = sessions.length;
    const ok = await task(id, { type: 'download', fileType: '1 Firmware Upgrade Image', url: `${filesUrl}/fw-2.0.bin#sha256=${FW_SHA}`, fileSize: FW.length, commandKey: 'dl-ok' });
    expect(ok.state).toBe('done');
    await sessionWith(sessions, 'M Download', n);
    expect(readFileSync(installed).equals(FW)).toBe(true);
    expect(readFileSync(`${installed}.meta`, 'utf8').trim()).toBe(`1 Firmware Upgrade Image|${FW_SHA}`);
    rmSync(installed);

    const badHash = await task(id, { type: 'download', fileType: '1 Firmware Upgrade Image', url: `${filesUrl}/fw-2.0.bin#sha256=${'0'.repeat(64)}`, commandKey: 'dl-hash' });
    const faulted = await until(async () => {
      const t = (await stack.api.get(`/tasks/${badHash.id}`)).body;
      return t.state === 'fault' ? t : null;
    });
    expect(faulted.fault.faultCode).toBe(9018);
    const badSize = await task(id, { type: 'download', fileType: '1 Firmware Upgrade Image', url: `${filesUrl}/fw-2.0.bin`, fileSize: 10, commandKey: 'dl-size' });
    const sized = await until(async () => {
      const t = (await stack.api.get(`/tasks/${badSize.id}`)).body;
      return t.state === 'fault' ? t : null;
    });
    expect(sized.fault.faultCode).toBe(9018);
    expect(existsSync(installed)).toBe(false);
  });

  it('Download, Reboot and FactoryReset without hooks are refused', async () => {
    const { id } = await agentFor('OPS-NOHOOK');
    for (const body of [{ type: 'download', fileType: '1 Firmware Upgrade Image', url: `${filesUrl}/fw-2.0.bin` }, { type: 'reboot' }, { type: 'factoryReset' }]) {
      const t = await task(id, body);
      expect(t.state, body.type).toBe('fault');
      expect(t.fault.faultCode).toBe(9001);
    }
  });

  it('Upload sends the configuration (no passwords) and the recent log', async () => {
    const { id, sessions } = await agentFor('OPS-UP', { password: 'acs-secret-1' });
    const n = sessions.length;
    await task(id, { type: 'upload', fileType: '1 Vendor Configuration File', url: `${filesUrl}/cfg`, commandKey: 'up-cfg' });
    await task(id, { type: 'upload', fileType: '2 Vendor Log File', url: `${filesUrl}/log`, commandKey: 'up-log' });
    await until(() => uploads.some((u) => u.url === '/log') && uploads.some((u) => u.url === '/cfg'));
    const cfg = uploads.find((u) => u.url === '/cfg')!.body;
    expect(cfg).toContain('Device.ManagementServer.PeriodicInformInterval');
    expect(cfg).not.toContain('acs-secret-1');
    expect(cfg).not.toContain(CR_PASS);
    expect(uploads.find((u) => u.url === '/log')!.body).toMatch(/session done/);
    await sessionWith(sessions, 'M Upload', n);
  });

  it('Reboot runs the hook, and "M Reboot" with its CommandKey arrives after it', async () => {
    const marker = path.join(dir, 'rebooted');
    const { id, sessions } = await agentFor('OPS-RB', { hooks: { reboot: ['sh', '-c', 'echo yes > "$0"', marker] } });
    const n = sessions.length;
    const t = await task(id, { type: 'reboot', commandKey: 'rb-1' });
    expect(t.state).toBe('done');
    const after = await sessionWith(sessions, 'M Reboot', n);
    expect(after.events).toEqual(expect.arrayContaining(['1 BOOT', 'M Reboot rb-1']));
    expect(readFileSync(marker, 'utf8').trim()).toBe('yes');
  });

  it('active notification: a value the system changed opens a session with 4 VALUE CHANGE', async () => {
    const { agent, id, sessions } = await agentFor('OPS-VC');
    const path_ = `Device.X_${OUI}_App.Mode`;
    const set = await task(id, { type: 'setParameterAttributes', parameterAttributes: [{ name: path_, notification: 2 }] });
    expect(set.state).toBe('done');
    // Counters cannot be made active (they would open a session every tick).
    const denied = await task(id, { type: 'setParameterAttributes', parameterAttributes: [{ name: 'Device.DeviceInfo.UpTime', notification: 2 }] });
    expect(denied.fault.faultCode).toBe(9009);
    const n = sessions.length;
    systemValue = 'b';
    const s = await sessionWith(sessions, '4 VALUE CHANGE', n);
    expect(s.events).not.toContain('6 CONNECTION REQUEST');
    const stored = await until(async () => {
      const d = (await stack.api.get(`/devices/${inPath(id)}`)).body;
      return d.parameters?.[path_]?.value === 'b' ? d : null;
    });
    expect(stored.parameters[path_].value).toBe('b');
    // The attribute is kept across a restart.
    await agent.stop();
    const again = await agentFor('OPS-VC');
    expect(again.agent.state.state.attributes[path_]?.notification).toBe(2);
  });

  it('ScheduleInform opens a session later with 3 SCHEDULED and M ScheduleInform', async () => {
    const { id, sessions } = await agentFor('OPS-SI');
    const n = sessions.length;
    const t = await task(id, { type: 'scheduleInform', delaySeconds: 1, commandKey: 'si-1' });
    expect(t.state).toBe('done');
    const s = await sessionWith(sessions, '3 SCHEDULED', n);
    expect(s.events).toContain('M ScheduleInform si-1');
  });

  it('retries with the TR-069 back-off while the ACS is down', async () => {
    const down = http.createServer((_q, r) => r.writeHead(503).end());
    await new Promise<void>((r) => down.listen(0, '127.0.0.1', r));
    const sessions: SessionReport[] = [];
    const agent = await Agent.start({
      acsUrl: `http://127.0.0.1:${(down.address() as AddressInfo).port}/`,
      serialNumber: 'OPS-DOWN',
      stateDir: path.join(dir, 'OPS-DOWN'),
      connectionRequest: { host: '127.0.0.1', port: 0 },
      builtinProviders: false,
      retry: { minimumWait: 0.05, multiplier: 2000 },
      onSession: (r) => sessions.push(r),
    });
    agents.push(agent);
    await until(() => sessions.length >= 3);
    expect(sessions.every((s) => !s.ok && s.error === 'http 503')).toBe(true);
    expect(agent.cpe.retryCount).toBeGreaterThanOrEqual(3);
    // The n-th retry waits at least m·k^(n-1) (50 ms, then 100 ms): lower bounds, which a loaded
    // machine can only exceed (comparing two measured gaps failed when load stretched the first).
    const gaps = sessions.slice(1, 3).map((s, i) => s.startedAt - sessions[i]!.startedAt);
    expect(gaps[0]!).toBeGreaterThanOrEqual(49);
    expect(gaps[1]!).toBeGreaterThanOrEqual(99);
    await new Promise<void>((r) => down.close(() => r()));
  });

  it('connection requests: Digest with the configured credentials, rate-limited, nothing else', async () => {
    const { agent } = await agentFor('OPS-CR', { connectionRequest: { host: '127.0.0.1', port: 0, username: CR_USER, password: CR_PASS, rateLimit: { burst: 2, refillSeconds: 600 } } });
    const url = agent.connectionRequestUrl;
    const get = async (authorization?: string, method = 'GET'): Promise<Response> => fetch(url, { method, headers: authorization ? { authorization } : {} });
    const first = await get();
    expect(first.status).toBe(401);
    const challenge = parseChallenges(first.headers.get('www-authenticate') ?? '');
    expect(challenge[0]!.scheme).toBe('digest');
    const wrong = respondTo(challenge, { username: CR_USER, password: 'not-it' })!;
    expect((await get(wrong('GET', new URL(url).pathname))).status).toBe(401);
    const right = respondTo(challenge, { username: CR_USER, password: CR_PASS })!;
    expect((await get(right('GET', new URL(url).pathname))).status).toBe(200);
    expect((await get(right('GET', new URL(url).pathname))).status).toBe(200);
    const limited = await get(right('GET', new URL(url).pathname));
    expect(limited.status).toBe(503);
    expect(limited.headers.get('retry-after')).toBe('600');
    expect((await fetch(`${url}x/../../etc/passwd`)).status).toBe(404);
  });

  it('hostile writes are refused whole: bad URL, oversized and mistyped values', async () => {
    const { id } = await agentFor('OPS-HOSTILE');
    const spv = (pv: unknown[][]): Promise<Json> => task(id, { type: 'setParameterValues', parameterValues: pv });
    const url = await spv([['Device.ManagementServer.URL', 'ftp://evil.example/'], ['Device.ManagementServer.PeriodicInformInterval', '60', 'xsd:unsignedInt']]);
    expect(url.state).toBe('fault');
    expect(url.fault.setParameterValuesFault.map((f: Json) => [f.parameterName, f.faultCode])).toEqual([['Device.ManagementServer.URL', 9007]]);
    // What the data model forbids (too long, read-only) the API refuses before the agent sees it.
    for (const [pv, why] of [
      [['Device.DeviceInfo.ProvisioningCode', 'x'.repeat(65)], /ProvisioningCode.*at most 64/],
      [['Device.DeviceInfo.SerialNumber', 'STOLEN'], /SerialNumber/],
    ] as const) {
      const r = await stack.api.post(`/devices/${inPath(id)}/tasks`, { type: 'setParameterValues', parameterValues: [pv] });
      expect(r.status, r.text).toBe(400);
      expect(r.body.message).toMatch(why);
    }
    // The agent's own check holds for what the catalogue cannot know: a vendor path it does not have.
    const unknown = await spv([['Device.DeviceInfo.X_ACME_Nope', 'x']]);
    expect(unknown.state).toBe('fault');
    expect(unknown.fault.setParameterValuesFault.map((f: Json) => f.faultCode)).toEqual([9005]);
    const v = await task(id, { type: 'getParameterValues', parameterNames: ['Device.ManagementServer.PeriodicInformInterval', 'Device.DeviceInfo.SerialNumber'] });
    expect(v.response.parameterList.map((p: Json) => p.value)).toEqual(['3600', 'OPS-HOSTILE']);
    // Objects the host owns take no AddObject.
    const add = await task(id, { type: 'addObject', objectName: 'Device.DeviceInfo.Processor.' });
    expect(add.state).toBe('fault');
  });

  it('a state file someone mangled is read as far as it makes sense', async () => {
    const write = (serial: string, text: string): void => {
      mkdirSync(path.join(dir, serial), { recursive: true });
      writeFileSync(path.join(dir, serial, 'state.json'), text);
    };
    // Not JSON at all: a fresh start, so a bootstrap.
    write('OPS-TRUNC', '{"parameterKey": "k", "events": [');
    const trunc = await agentFor('OPS-TRUNC');
    expect(trunc.sessions[0]!.events).toContain('0 BOOTSTRAP');
    // JSON with junk in it: the good parts kept (a pending "M Reboot"), the rest dropped.
    write('OPS-JUNK', JSON.stringify({ parameterKey: 42, bootstrappedWith: stack.acs.cwmpUrl, events: [{ eventCode: 'M Reboot', commandKey: 'old' }, 'junk', { eventCode: 7 }], attributes: { x: { notification: 99 } }, instances: { t: { a: 'b' } } }));
    const junk = await agentFor('OPS-JUNK');
    expect(junk.sessions[0]!.events).toEqual(expect.arrayContaining(['1 BOOT', 'M Reboot old']));
    expect(junk.sessions[0]!.events).not.toContain('0 BOOTSTRAP');
    expect(junk.agent.state.state.parameterKey).toBe('');
    expect(junk.agent.state.state.attributes).toEqual({});
  });
});
