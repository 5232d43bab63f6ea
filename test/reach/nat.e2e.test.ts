/**
 * Through a real NAT (network namespaces, nft masquerade with random ports; test/helpers/netns.ts):
 * `flotilla serve` and a prosody XMPP server in the "isp" namespace, `flotilla sim` CPEs in
 * "home" behind the gateway's NAT. It shows that
 *   - HTTP connection requests are not even sent (the CPE's URL is a private address, not
 *     where its sessions come from: src/reach/target-guard.ts);
 *   - XMPP connection requests do (the CPE keeps its own connection out);
 *   - the STUN binding the ACS learns lets UDP connection requests in;
 *   - after the NAT forgets its mappings, the CPE binds again (another port), reports the
 *     change, and the next request reaches it at the new binding.
 * Mandatory in CI; elsewhere skipped with one line when not root or without `ip netns`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildNat, natMissing, type Nat } from '../helpers/netns.js';
import { prosodyMissing, startProsody, type Prosody } from '../helpers/prosody.js';

const main = resolve(__dirname, '../../dist/src/cli/main.js');
const why = natMissing() ?? prosodyMissing() ?? (existsSync(main) ? null : 'dist/ is not built (npm run build)');
if (why !== null && process.env.CI === 'true') throw new Error(`CI needs the NAT test: ${why}`);
if (why !== null) console.warn(`skipping the NAT test: ${why}`);

const CR = { user: 'cr-user', pass: 'cr-pass-123' };
const XMPP_PW = 'cpe-xmpp-pw';
let nat: Nat | null = null;
let prosody: Prosody | null = null;
let dir = '';
const children: ChildProcess[] = [];
let api = '';

function start(ns: string, args: string[], env: Record<string, string> = {}): { child: ChildProcess; output: () => string } {
  const child = spawn('ip', ['netns', 'exec', ns, process.execPath, main, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  children.push(child);
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-20_000)));
  child.stderr?.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-20_000)));
  return { child, output: () => out };
}

async function until<T>(what: () => Promise<T | null | undefined | false>, ms: number, label: string): Promise<T> {
  const end = Date.now() + ms;
  while (true) {
    const v = await what().catch(() => null);
    if (v !== null && v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out: ${label}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const get = async (path: string): Promise<any> => (await fetch(`${api}${path}`)).json(); // eslint-disable-line @typescript-eslint/no-explicit-any
const post = async (path: string, body: unknown = {}): Promise<any> => // eslint-disable-line @typescript-eslint/no-explicit-any
  (await fetch(`${api}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })).json();

describe.skipIf(why !== null)('connection requests through a real NAT', () => {
  let acsOut: () => string = () => '';
  beforeAll(async () => {
    nat = buildNat();
    dir = await mkdtemp(join(tmpdir(), 'flotilla-nat-'));
    prosody = await startProsody({ netns: nat.isp, host: nat.ispWanAddress });
    await prosody.register('acs', 'acs-pw');
    for (const u of ['nat000001', 'nat000002']) await prosody.register(u, XMPP_PW);
    const acs = start(
      nat.isp,
      ['serve', '--host', '0.0.0.0', '--data-dir', dir, '--api-open', '--allow-unauthenticated-cpes', '--stun-port', '3478',
        '--connection-request-credentials', `${CR.user}:${CR.pass}`, '--xmpp-service', prosody.service, '--xmpp-jid', `acs@${prosody.domain}`],
      { FLOTILLA_XMPP_PASSWORD: 'acs-pw' },
    );
    acsOut = acs.output;
    api = `http://${nat.ispApiAddress}:7557/api/v1`;
    await until(async () => (await fetch(`${api}/devices`)).ok, 30_000, 'the ACS API');
    start(nat.home, [
      'sim', '--acs', `http://${nat.ispWanAddress}:7547/`, '--count', '2', '--serial-prefix', 'NAT', '--inform-interval', '3600',
      '--cr-host', nat.homeAddress, '--cr-username', CR.user, '--cr-password', CR.pass, '--retry-min-wait', '1',
      '--stun', `${nat.ispWanAddress}:3478`, '--stun-keepalive', '1',
      '--xmpp-service', prosody.service, '--xmpp-domain', prosody.domain, '--xmpp-password', XMPP_PW,
    ]);
    await until(async () => (await get('/devices')).total === 2 || false, 30_000, 'both CPEs informed');
  }, 120_000);

  afterAll(async () => {
    for (const c of children) {
      if (c.exitCode === null) c.kill('SIGKILL');
    }
    await prosody?.close().catch(() => undefined);
    nat?.destroy();
    if (dir !== '') await rm(dir, { recursive: true, force: true });
  });

  it('HTTP fails from outside, XMPP gets in, STUN gives UDP a way in, and a flushed NAT is rebound', async () => {
    const devices = (await get('/devices')).devices as { id: string }[];
    const [one, two] = devices.map((d) => encodeURIComponent(d.id)) as [string, string];

    // 1. HTTP may not go to a private address the device only reported (its sessions come
    // from the NAT's public one: src/reach/target-guard.ts); XMPP gets in. (No binding yet;
    // XMPP goes first when the CPE already reported NATDetected, which depends on timing.)
    const viaXmpp = await post(`/devices/${two}/tasks?connectionRequest=true&wait=15`, { type: 'getRPCMethods' });
    expect(viaXmpp.connectionRequest).toMatchObject({ outcome: 'answered', path: 'xmpp', detail: expect.stringMatching(/^HTTP target \S+ is not where the device is|^IQ result$/) });
    expect(viaXmpp.state).toBe('done');

    // 2. Configure STUN on device one (the shipped policy); XMPP brings it to take the task.
    const configured = await post(`/devices/${one}/reach/configure?connectionRequest=true`, { stun: { serverAddress: nat!.ispWanAddress, serverPort: 3478, keepAliveSeconds: 1 } });
    expect(configured.connectionRequest).toMatchObject({ path: 'xmpp' });
    const first = await until(async () => (await get(`/devices/${one}/reach`)).binding, 20_000, `a STUN binding\n${acsOut()}`);
    // The binding is the NAT's public address, not the CPE's own.
    expect(first).toMatchObject({ address: expect.stringMatching(new RegExp(`^${nat!.gwWanAddress.replace(/\./g, '\\.')}:\\d+$`)), natDetected: true });

    // 3. UDP through the binding: first choice for a device behind a NAT.
    const viaUdp = await post(`/devices/${one}/tasks?connectionRequest=true&wait=15`, { type: 'getRPCMethods' });
    expect(viaUdp.connectionRequest).toMatchObject({ outcome: 'udp-sent', path: 'udp' });
    expect(viaUdp.state).toBe('done');
    const sessions = (await get(`/devices/${one}/sessions?limit=1`)).sessions;
    expect(JSON.stringify(sessions[0].events)).toContain('6 CONNECTION REQUEST');

    // 4. The NAT forgets its mappings: the next keep-alive goes out on another port.
    nat!.flushMappings();
    const rebound = await until(
      async () => {
        const b = (await get(`/devices/${one}/reach`)).binding;
        return b !== null && b.address !== first.address ? b : null;
      },
      20_000,
      'a new binding after the flush',
    );
    expect(rebound.changes).toBeGreaterThanOrEqual(2);
    // The CPE reported it (4 VALUE CHANGE, UDPConnectionRequestAddress under Active notification).
    await until(
      async () => (await get(`/devices/${one}`)).parameters['Device.ManagementServer.UDPConnectionRequestAddress']?.value === rebound.address,
      20_000,
      'the CPE reporting its new UDPConnectionRequestAddress',
    );
    const again = await post(`/devices/${one}/tasks?connectionRequest=true&wait=15`, { type: 'getRPCMethods' });
    expect(again.connectionRequest).toMatchObject({ outcome: 'udp-sent', path: 'udp', detail: expect.stringContaining(rebound.address) });
    expect(again.state).toBe('done');
  }, 120_000);
});
