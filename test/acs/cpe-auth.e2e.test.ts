/**
 * CPE authentication happens before the store is touched: real HTTP on loopback, a real
 * SQLite store behind a counting wrapper (every Store call is one round trip), the NBI for
 * the task's state as an operator sees it. A refused CPE must cost no lock and no attempt.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startAcs } from '../../src/acs/server.js';
import { makeCredential } from '../../src/auth/server.js';
import { countingStore, type CountingStore } from '../../src/store/counting.js';
import { deviceIdOf } from '../../src/store/device-id.js';
import { createSqliteStore } from '../../src/store/sqlite/index.js';
import { DEVICE, ScriptedCpe, informBody } from '../helpers/scripted-cpe.js';
import { inPath, startStack, type Stack } from '../nbi/helpers.js';

const USER = 'boot';
const PASS = 'strap-secret';
const ID = deviceIdOf(DEVICE);
const OWN = { username: 'dev-SN0001', password: 'own-secret' };

let dir: string;
let s: Stack;
let counted: CountingStore;
const cpes: ScriptedCpe[] = [];

function cpe(username: string, password: string, serial?: string): { c: ScriptedCpe; inform: () => ReturnType<ScriptedCpe['post']> } {
  const c = new ScriptedCpe(s.acs.cwmpUrl, { username, password });
  cpes.push(c);
  return { c, inform: () => c.post(informBody(serial === undefined ? {} : { serial })) };
}

/** One whole idle session; returns the status of the Inform's answer. */
async function session(username: string, password: string, serial?: string): Promise<number> {
  const { c, inform } = cpe(username, password, serial);
  const r = await inform();
  if (r.status === 200) expect((await c.post(null)).status).toBe(204);
  return r.status;
}

/**
 * The store calls a CWMP session can make. The NBI shares the store and polls it in the
 * background (webhook deliveries, task expiry); those calls are not the session's.
 */
const ACS_METHODS = new Set(['openSession', 'commitSession', 'releaseLock', 'extendLock', 'getCpeCredential', 'getCpeCredentialByUsername', 'getDeviceCredentials', 'listDevices']);
const acsCalls = (): Record<string, number> => Object.fromEntries(Object.entries(counted.byMethod()).filter(([m]) => ACS_METHODS.has(m)));

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'flotilla-cpe-auth-'));
  counted = countingStore(await createSqliteStore({ dataDir: dir }));
  s = await startStack({
    dir,
    store: counted,
    // Credentials set by hand here: the ACS hands out none of its own (test/acs/credentials.e2e.test.ts).
    acs: { allowUnauthenticatedCpes: false, cpeCredentials: { username: USER, password: PASS }, discoverOnBootstrap: false, perDeviceCredentials: false },
  });
  // Known device, so the NBI takes tasks for it.
  expect(await session(USER, PASS)).toBe(200);
});

afterEach(async () => {
  for (const c of cpes.splice(0)) c.close();
  await s.close();
  await rm(dir, { recursive: true, force: true });
});

describe('CPE authentication before the store', () => {
  it('a wrong password gets 401; the queued task keeps its state and attempts; no lock was taken', async () => {
    const t = (await s.api.post(`/devices/${inPath(ID)}/tasks`, { type: 'reboot', commandKey: 'r1' })).body;
    expect(t.state).toBe('queued');
    counted.reset();
    const { inform } = cpe(USER, 'wrong-password');
    expect((await inform()).status).toBe(401);
    expect(acsCalls().openSession).toBeUndefined();
    expect(acsCalls().releaseLock).toBeUndefined();
    const after = (await s.api.get(`/tasks/${t.id}`)).body;
    expect(after).toMatchObject({ state: 'queued', attempts: 0 });
    // The right password then runs it, on its first attempt.
    const { c, inform: again } = cpe(USER, PASS);
    expect((await again()).status).toBe(200);
    expect((await s.api.get(`/tasks/${t.id}`)).body).toMatchObject({ state: 'running', attempts: 1 });
    const reboot = await c.post(null);
    expect(reboot.envelope?.body.method).toBe('Reboot');
    expect((await c.answer(reboot, { method: 'RebootResponse' })).status).toBe(204);
    expect((await s.api.get(`/tasks/${t.id}`)).body).toMatchObject({ state: 'done', attempts: 1 });
  });

  it('an unknown username gets 401 without a lock', async () => {
    counted.reset();
    expect(await session('nobody', 'x')).toBe(401);
    expect(acsCalls()).toEqual({ getDeviceCredentials: 1 });
  });

  it('refuses the bootstrap credential of a device with its own, without a lock (one read)', async () => {
    await s.store.setCpeCredential(ID, makeCredential(OWN.username, OWN.password, 'Flotilla'));
    // A second ACS on the same store knows nothing yet: it reads the device's credential once.
    const other = await startAcs({ store: counted, dataDir: s.dir, host: '127.0.0.1', cwmpPort: 0, cpeCredentials: { username: USER, password: PASS }, discoverOnBootstrap: false, perDeviceCredentials: false });
    try {
      counted.reset();
      const c = new ScriptedCpe(other.cwmpUrl, { username: USER, password: PASS });
      cpes.push(c);
      expect((await c.post(informBody())).status).toBe(401);
      expect(acsCalls()).toEqual({ getDeviceCredentials: 1 });
      // Its own credential works; the bootstrap one is then refused after one fresh read (as a
      // wrong password is): an operator may have marked the device expecting a reset elsewhere.
      const own = new ScriptedCpe(other.cwmpUrl, OWN);
      cpes.push(own);
      expect((await own.post(informBody())).status).toBe(200);
      expect((await own.post(null)).status).toBe(204);
      counted.reset();
      const again = new ScriptedCpe(other.cwmpUrl, { username: USER, password: PASS });
      cpes.push(again);
      expect((await again.post(informBody())).status).toBe(401);
      expect(acsCalls()).toEqual({ getDeviceCredentials: 1 });
    } finally {
      await other.close();
    }
  });

  it('a credential set elsewhere after this process cached "none" is still enforced at openSession', async () => {
    // This process saw the device use the bootstrap credential; another sets its own.
    await s.store.setCpeCredential(ID, makeCredential(OWN.username, OWN.password, 'Flotilla'));
    counted.reset();
    expect(await session(USER, PASS)).toBe(401);
    // The race fallback: the lock was taken and given back, nothing committed.
    expect(acsCalls()).toEqual({ openSession: 1, releaseLock: 1 });
    expect(await session(OWN.username, OWN.password)).toBe(200);
  });

  it("a device's own credential: 2 round trips per idle session; a rotated password works at once; another device's credential does not", async () => {
    await s.store.setCpeCredential(ID, makeCredential(OWN.username, OWN.password, 'Flotilla'));
    expect(await session(OWN.username, OWN.password)).toBe(200);
    counted.reset();
    expect(await session(OWN.username, OWN.password)).toBe(200);
    expect(acsCalls()).toEqual({ openSession: 1, commitSession: 1 });
    // Rotated by another process: the cached credential fails, the store is read once more.
    await s.store.setCpeCredential(ID, makeCredential(OWN.username, 'rotated', 'Flotilla'));
    counted.reset();
    expect(await session(OWN.username, 'rotated')).toBe(200);
    expect(acsCalls()).toEqual({ getDeviceCredentials: 1, openSession: 1, commitSession: 1 });
    // The old password: refused, no lock.
    counted.reset();
    expect(await session(OWN.username, OWN.password)).toBe(401);
    expect(acsCalls().openSession).toBeUndefined();
    // Another device may not use this device's credential.
    counted.reset();
    expect(await session(OWN.username, 'rotated', 'SN0002')).toBe(401);
    expect(acsCalls().openSession).toBeUndefined();
    expect(await s.store.getDevice(deviceIdOf({ ...DEVICE, serialNumber: 'SN0002' }))).toBeNull();
  });

  it('an idle periodic session with the bootstrap credential costs 2 round trips', async () => {
    counted.reset();
    expect(await session(USER, PASS)).toBe(200);
    expect(acsCalls()).toEqual({ openSession: 1, commitSession: 1 });
  });
});
