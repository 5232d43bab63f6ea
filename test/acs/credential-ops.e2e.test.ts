/**
 * Operators' side of per-device credentials over the real API: a simulated CPE gets its own
 * credentials; the API shows their names (never a secret); `expect-reset` opens a bounded
 * window for the shared bootstrap credential, and closing it shuts it again; `rotate` hands
 * out a new set at the next session that replaces the old once used; factory credentials
 * imported from procurement (all rows or none) let a device in; re-sealing moves stored
 * secrets to a new key. Roles and hostile input on every route.
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Sealer } from '../../src/auth/sealing.js';
import type { Cpe } from '../../src/cpe/client/cpe.js';
import type { SessionReport } from '../../src/cpe/client/runtime.js';
import { Fleet } from '../../src/cpe/sim/fleet.js';
import { CredentialService } from '../../src/services/credentials.js';
import { deviceIdOf } from '../../src/store/device-id.js';
import { inPath, startStack, type Api, type Stack } from '../nbi/helpers.js';
import { ScriptedCpe, informBody } from '../helpers/scripted-cpe.js';

const BOOT = { username: 'boot', password: 'strap-secret' };
let stack: Stack;
let fleet: Fleet;
let reports: SessionReport[];
let readOnly: Api;
const scripted: ScriptedCpe[] = [];

async function until<T>(what: () => T | null | undefined | false | Promise<T | null | undefined | false>, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await what();
    if (v !== null && v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}

const param = (cpe: Cpe, name: string): string => cpe.model.get(`${cpe.model.root}ManagementServer.${name}`)?.value ?? '';
const info = (cpe: Cpe, p: string): string => cpe.model.get(`${cpe.model.root}DeviceInfo.${p}`)?.value ?? '';
const idOf = (cpe: Cpe): string => deviceIdOf({ oui: info(cpe, 'ManufacturerOUI'), productClass: info(cpe, 'ProductClass'), serialNumber: cpe.serialNumber });

/** A scripted CPE informing with this identity and credential: the Inform's HTTP status. */
async function informAs(identity: { oui: string; productClass: string; serialNumber: string }, creds: { username: string; password: string }, events = ['0 BOOTSTRAP']): Promise<number> {
  const c = new ScriptedCpe(stack.acs.cwmpUrl, creds);
  scripted.push(c);
  const body = informBody({ serial: identity.serialNumber, events });
  body.deviceId = { manufacturer: 'Acme', ...identity };
  const r = await c.post(body);
  if (r.status === 200) await c.post(null);
  c.close();
  return r.status;
}
const identityOf = (cpe: Cpe) => ({ oui: info(cpe, 'ManufacturerOUI'), productClass: info(cpe, 'ProductClass'), serialNumber: cpe.serialNumber });

async function nextSession(cpe: Cpe): Promise<SessionReport> {
  const before = reports.filter((r) => r.serialNumber === cpe.serialNumber).length;
  cpe.inform('6 CONNECTION REQUEST');
  return until(() => reports.filter((r) => r.serialNumber === cpe.serialNumber).slice(before)[0]);
}

beforeEach(async () => {
  reports = [];
  stack = await startStack({ acs: { allowUnauthenticatedCpes: false, cpeCredentials: BOOT, discoverOnBootstrap: false } });
  const t = await stack.api.post('/tokens', { name: 'ro', role: 'read-only' });
  readOnly = stack.api.as(t.body.token);
  fleet = new Fleet({ acsUrl: stack.acs.cwmpUrl, count: 1, model: 'tr181-router', serialPrefix: 'OPS-', credentials: BOOT, connectionRequests: 'off', observer: { sessionEnded: (r) => reports.push(r) } });
  await fleet.start();
  await until(() => reports.some((r) => r.ok) && param(fleet.cpes[0]!, 'Username') !== BOOT.username);
});

afterEach(async () => {
  for (const c of scripted.splice(0)) c.close();
  await fleet.stop();
  await stack.close();
});

describe('credential operations', () => {
  it('shows names, never secrets; expect-reset opens a bounded window, and closing it shuts it', async () => {
    const cpe = fleet.cpes[0]!;
    const id = idOf(cpe);
    const s = await readOnly.get(`/devices/${inPath(id)}/credentials`);
    expect(s.status).toBe(200);
    expect(s.body).toMatchObject({ own: true, username: param(cpe, 'Username'), connectionRequestUsername: param(cpe, 'ConnectionRequestUsername'), pendingUsername: null, bootstrapAcceptedUntil: null });
    for (const secret of [param(cpe, 'Password'), param(cpe, 'ConnectionRequestPassword')]) expect(s.text).not.toContain(secret);
    expect(s.text).not.toMatch(/ha1|sealed/i);

    // The reset dilemma: a reset device comes back with the shared credential only.
    expect(await informAs(identityOf(cpe), BOOT)).toBe(401);
    expect((await readOnly.post(`/devices/${inPath(id)}/expect-reset`, { hours: 2 })).status).toBe(403);
    for (const bad of [{ hours: 0 }, { hours: 100_000 }, { hours: 'x' }, { hours: 1, evil: true }]) {
      const r = await stack.api.post(`/devices/${inPath(id)}/expect-reset`, bad);
      expect(r.status, JSON.stringify(bad)).toBe(400);
    }
    expect((await stack.api.post(`/devices/${inPath('A1B2C3-Gateway-NOPE')}/expect-reset`, { hours: 1 })).status).toBe(404);
    expect(await informAs(identityOf(cpe), BOOT)).toBe(401); // nothing above opened it
    const open = await stack.api.post(`/devices/${inPath(id)}/expect-reset`, { hours: 2 });
    expect(open.status).toBe(200);
    const until2h = Date.parse(open.body.bootstrapAcceptedUntil) - Date.now();
    expect(until2h).toBeGreaterThan(1.9 * 3_600_000);
    expect(until2h).toBeLessThanOrEqual(2 * 3_600_000);
    expect(await informAs(identityOf(cpe), BOOT)).toBe(200);
    // The ACS takes that session to hand out credentials; the scripted CPE never acknowledged
    // them, so the window is still open until it is closed.
    const closed = await stack.api.del(`/devices/${inPath(id)}/expect-reset`);
    expect(closed.status).toBe(200);
    expect(closed.body.bootstrapAcceptedUntil).toBeNull();
    expect(await informAs(identityOf(cpe), BOOT)).toBe(401);
  });

  it('rotate: a new set at the next session, the old one refused once the new one is used', async () => {
    const cpe = fleet.cpes[0]!;
    const id = idOf(cpe);
    const old = { username: param(cpe, 'Username'), password: param(cpe, 'Password') };
    expect((await readOnly.post(`/devices/${inPath(id)}/credentials/rotate`)).status).toBe(403);
    const r = await stack.api.post(`/devices/${inPath(id)}/credentials/rotate`);
    expect(r.status).toBe(200);
    expect(r.body.rotateRequested).toBe(true);
    expect((await nextSession(cpe)).ok).toBe(true);
    const fresh = param(cpe, 'Username');
    expect(fresh).not.toBe(old.username);
    const mid = await readOnly.get(`/devices/${inPath(id)}/credentials`);
    expect(mid.body).toMatchObject({ pendingUsername: fresh, rotateRequested: false });
    // Until the new set is used, the old still opens a session (a CPE that missed the change is not locked out).
    expect(await informAs(identityOf(cpe), old, ['2 PERIODIC'])).toBe(200);
    expect((await nextSession(cpe)).ok).toBe(true); // the CPE uses its new set: it becomes current
    const after = await readOnly.get(`/devices/${inPath(id)}/credentials`);
    expect(after.body).toMatchObject({ username: fresh, pendingUsername: null });
    expect(await informAs(identityOf(cpe), old, ['2 PERIODIC'])).toBe(401);
    // A device without credentials of its own cannot be rotated.
    expect((await stack.api.post(`/devices/${inPath('A1B2C3-Gateway-NOPE')}/credentials/rotate`)).status).toBe(404);
  });

  it('imports factory credentials all or nothing; a device comes in with them; admin only; hostile files refused', async () => {
    const fac = (n: number) => ({ oui: 'A1B2C3', productClass: 'Gateway', serialNumber: `FAC${n}` });
    const header = 'oui,productClass,serialNumber,username,password,connectionRequestUsername,connectionRequestPassword';
    const row = (n: number, user = `fac-user-${n}`) => `A1B2C3,Gateway,FAC${n},${user},fac-pass-${n},cr-${n},"cr,pass-${n}"`;
    const csv = (rows: string[]) => ({ raw: [header, ...rows].join('\r\n'), contentType: 'text/csv' });

    expect((await readOnly.req('POST', '/credentials/import', undefined, csv([row(1)]))).status).toBe(403);
    const refused: Array<[string, { raw: string; contentType: string }, RegExp]> = [
      ['duplicate username', csv([row(1), row(2, 'fac-user-1')]), /row 2: username fac-user-1 appears twice/],
      ['same device twice', csv([row(1), row(1, 'other')]), /appears twice/],
      ['no password column', { raw: 'deviceId,username\nA1B2C3-Gateway-FAC1,u', contentType: 'text/csv' }, /no "password" column/],
      ['short row', csv(['A1B2C3,Gateway,FAC1,u']), /4 fields, the header has 7/],
      ['unclosed quote', csv(['A1B2C3,Gateway,FAC1,u,"p,,,']), /unclosed quote/],
      ['space in password', csv(['A1B2C3,Gateway,FAC1,u,p w,,']), /printable characters without spaces/],
      ['half a connection-request pair', csv(['A1B2C3,Gateway,FAC1,u,p,cr,']), /go together/],
      ['bad device id', { raw: 'deviceId,username,password\n--,u,p', contentType: 'text/csv' }, /not a device id/],
      ['JSON without rows', { raw: '{"rows": 5}', contentType: 'application/json' }, /CSV body/],
      ['JSON row of the wrong shape', { raw: '{"rows": [{"deviceId": 1}]}', contentType: 'application/json' }, /rows\[0\]/],
      ['header only', { raw: header, contentType: 'text/csv' }, /at least one row/],
    ];
    for (const [what, body, error] of refused) {
      const r = await stack.api.req('POST', '/credentials/import', undefined, body);
      expect(r.status, what).toBe(400);
      expect(r.body.message, what).toMatch(error);
    }
    // Nothing of the refused files was kept.
    expect(await informAs(fac(1), { username: 'fac-user-1', password: 'fac-pass-1' })).toBe(401);
    const big = await stack.api.req('POST', '/credentials/import', undefined, { raw: `${header}\n${'x'.repeat(33 * 1024 * 1024)}`, contentType: 'text/csv' });
    expect(big.status).toBe(413);

    const ok = await stack.api.req('POST', '/credentials/import', undefined, csv([row(1), row(2)]));
    expect(ok.status, ok.text).toBe(200);
    expect(ok.body).toEqual({ imported: 2 });
    expect(await informAs(fac(1), { username: 'fac-user-1', password: 'fac-pass-1' })).toBe(200);
    // The audit log says who imported which devices, and keeps no password of the files.
    const audit = await stack.api.get('/audit?action=POST%20%2Fcredentials%2Fimport&limit=100');
    expect(audit.status).toBe(200);
    expect(audit.body.entries.length).toBeGreaterThanOrEqual(refused.length + 2);
    expect(audit.text).toContain(deviceIdOf(fac(2)));
    expect(audit.text).not.toMatch(/fac-pass|cr,pass/);
    expect(await informAs(fac(2), BOOT)).toBe(401); // it has credentials of its own now
    expect(await informAs(fac(2), { username: 'fac-user-1', password: 'fac-pass-1' })).toBe(401); // another device's
    // JSON works as well, and a username already another device's current one refuses it all.
    const clash = await stack.api.post('/credentials/import', { rows: [{ deviceId: deviceIdOf(fac(3)), username: 'fac-user-3', password: 'p3' }, { deviceId: deviceIdOf(fac(4)), username: 'fac-user-2', password: 'p4' }] });
    expect(clash.status).toBe(409);
    expect(await informAs(fac(3), { username: 'fac-user-3', password: 'p3' })).toBe(401);
  });

  it('re-seals every stored connection-request password under a new key', async () => {
    const cpe = fleet.cpes[0]!;
    const id = idOf(cpe);
    const oldSealer = stack.acs.sealer!;
    const newKey = randomBytes(32);
    const before = (await stack.store.getDeviceCredentials(id))!.current.connectionRequest!.sealed;
    expect(oldSealer.open(before, id)).toBe(param(cpe, 'ConnectionRequestPassword'));
    // The key the ACS generated in its data directory (hex), listed after a new one: the new one seals.
    const oldKey = Buffer.from((await readFile(join(stack.dir, 'credential-keys'), 'utf8')).trim(), 'hex');
    const both = new Sealer([newKey, oldKey]);
    const r = await new CredentialService({ store: stack.store, sealer: both, realm: 'Flotilla' }).reseal();
    expect(r).toMatchObject({ devices: 1, resealed: 1, unreadable: 0 });
    const after = (await stack.store.getDeviceCredentials(id))!.current.connectionRequest!.sealed;
    expect(after).not.toBe(before);
    expect(new Sealer([newKey]).open(after, id)).toBe(param(cpe, 'ConnectionRequestPassword'));
    // Again: nothing left to do.
    expect(await new CredentialService({ store: stack.store, sealer: both, realm: 'Flotilla' }).reseal()).toMatchObject({ resealed: 0 });
  });
});
