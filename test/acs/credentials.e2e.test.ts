/**
 * Per-device credentials end to end: simulated CPEs (TR-181 and TR-098) against the real ACS
 * over loopback, a real SQLite store, and a scripted CPE posing as one of them with the shared
 * bootstrap credential. After a device's first session it has its own credentials (different
 * per device, CSPRNG), the bootstrap credential no longer opens a session for it (401 and a
 * `device.bootstrap-refused` event), and the simulator keeps working with what it was given.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startAcs, type AcsServer } from '../../src/acs/server.js';
import { md5 } from '../../src/auth/server.js';
import type { Cpe } from '../../src/cpe/client/cpe.js';
import type { SessionReport } from '../../src/cpe/client/runtime.js';
import { Fleet } from '../../src/cpe/sim/fleet.js';
import { EventBus, type FlotillaEvent } from '../../src/events/bus.js';
import { deviceIdOf } from '../../src/store/device-id.js';
import { ScriptedCpe, informBody } from '../helpers/scripted-cpe.js';

const BOOT = { username: 'boot', password: 'strap-secret' };

let dir: string;
let acs: AcsServer;
let bus: EventBus;
let events: FlotillaEvent[];
const fleets: Fleet[] = [];
const scripted: ScriptedCpe[] = [];
const reports: SessionReport[] = [];

async function until<T>(what: () => T | null | undefined | false | Promise<T | null | undefined | false>, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  while (true) {
    const v = await what();
    if (v !== null && v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function fleet(model: string, serialPrefix: string, count = 2): Promise<Fleet> {
  const f = new Fleet({
    acsUrl: acs.cwmpUrl,
    count,
    model,
    serialPrefix,
    credentials: BOOT,
    connectionRequests: 'off',
    observer: { sessionEnded: (r) => reports.push(r) },
  });
  fleets.push(f);
  await f.start();
  return f;
}

const sessionsOf = (cpe: Cpe): SessionReport[] => reports.filter((r) => r.serialNumber === cpe.serialNumber);
const param = (cpe: Cpe, name: string): string => cpe.model.get(`${cpe.model.root}ManagementServer.${name}`)?.value ?? '';

/** The device id a simulated CPE informs with. */
function idOf(cpe: Cpe): string {
  const get = (p: string): string => cpe.model.get(`${cpe.model.root}DeviceInfo.${p}`)?.value ?? '';
  return deviceIdOf({ oui: get('ManufacturerOUI'), productClass: get('ProductClass'), serialNumber: cpe.serialNumber });
}

/** A scripted CPE posing as `cpe` with `creds`: the Inform's HTTP status. */
async function impersonate(cpe: Cpe, creds: { username: string; password: string }, events = ['2 PERIODIC']): Promise<number> {
  const get = (p: string): string => cpe.model.get(`${cpe.model.root}DeviceInfo.${p}`)?.value ?? '';
  const c = new ScriptedCpe(acs.cwmpUrl, creds);
  scripted.push(c);
  const body = informBody({ serial: cpe.serialNumber, events });
  body.deviceId = { manufacturer: get('Manufacturer'), oui: get('ManufacturerOUI'), productClass: get('ProductClass'), serialNumber: cpe.serialNumber };
  body.parameterList = [{ name: `${cpe.model.root}ManagementServer.ConnectionRequestURL`, value: 'http://127.0.0.1:1/evil', type: 'xsd:string' }];
  const r = await c.post(body);
  if (r.status === 200) await c.post(null);
  return r.status;
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'flotilla-creds-e2e-'));
  bus = new EventBus();
  events = [];
  bus.subscribe((e) => events.push(e));
  reports.length = 0;
  acs = await startAcs({ dataDir: dir, host: '127.0.0.1', cwmpPort: 0, cpeCredentials: BOOT, discoverOnBootstrap: false, events: bus });
});

afterEach(async () => {
  for (const c of scripted.splice(0)) c.close();
  for (const f of fleets.splice(0)) await f.stop();
  await acs.close();
  await rm(dir, { recursive: true, force: true });
});

describe('per-device credentials', () => {
  it('first session: each device gets its own; then the bootstrap credential with its identity gets 401 (TR-181 and TR-098)', async () => {
    const tr181 = await fleet('tr181-router', 'C181-');
    const tr098 = await fleet('tr098-gateway', 'C098-');
    const cpes = [...tr181.cpes, ...tr098.cpes];
    for (const cpe of cpes) await until(() => sessionsOf(cpe).some((r) => r.ok));
    const seen = new Set<string>();
    for (const cpe of cpes) {
      const id = idOf(cpe);
      const username = param(cpe, 'Username');
      const password = param(cpe, 'Password');
      expect(username).not.toBe(BOOT.username);
      expect(password.length).toBeGreaterThanOrEqual(32);
      const crUser = param(cpe, 'ConnectionRequestUsername');
      const crPass = param(cpe, 'ConnectionRequestPassword');
      expect(crPass.length).toBeGreaterThanOrEqual(32);
      for (const v of [username, password, crUser, crPass]) {
        expect(seen.has(v)).toBe(false);
        seen.add(v);
      }
      const stored = await acs.store.getDeviceCredentials(id);
      expect(stored?.current.cpe).toEqual({ username, realm: 'Flotilla', ha1: md5(`${username}:Flotilla:${password}`) });
      expect(stored?.current.connectionRequest?.username).toBe(crUser);
      // Sealed, not in clear; and the tree never holds either password.
      expect(JSON.stringify(stored)).not.toContain(crPass);
      const tree = await acs.store.getDevice(id);
      const values = JSON.stringify(tree?.parameters ?? []);
      expect(values).not.toContain(password);
      expect(values).not.toContain(crPass);

      // The acceptance check: bootstrap credential + this device's identity → 401, an event.
      expect(await impersonate(cpe, BOOT)).toBe(401);
      expect(events.some((e) => e.type === 'device.bootstrap-refused' && e.deviceId === id)).toBe(true);
      // Nothing of the impostor reached the store.
      const url = (await acs.store.getDevice(id))?.parameters.find((p) => p.path.endsWith('ManagementServer.ConnectionRequestURL'))?.value;
      expect(url).not.toBe('http://127.0.0.1:1/evil');
    }

    // The simulator carries on with what it was given: its next session gets in.
    const cpe = tr181.cpes[0]!;
    const before = sessionsOf(cpe).length;
    cpe.inform('6 CONNECTION REQUEST');
    const next = await until(() => sessionsOf(cpe).slice(before).find((r) => r.events.includes('6 CONNECTION REQUEST')));
    expect(next.ok).toBe(true);
    // Its own credential is good only for itself.
    const other = tr181.cpes[1]!;
    expect(await impersonate(other, { username: param(cpe, 'Username'), password: param(cpe, 'Password') })).toBe(401);
  });

  it("even a 0 BOOTSTRAP Inform with the shared credential is refused for a device that has its own", async () => {
    const f = await fleet('tr181-router', 'CB-', 1);
    const cpe = f.cpes[0]!;
    await until(() => sessionsOf(cpe).some((r) => r.ok));
    expect(await impersonate(cpe, BOOT, ['0 BOOTSTRAP', '1 BOOT'])).toBe(401);
  });
});
