/**
 * Quirk profiles end to end: a simulated CPE that answers 9002 to a GetParameterValues of
 * more than 40 names, or of the root (more than 40 values: the behaviour of embedded
 * clients with a fixed response buffer) is discovered by a real ACS over HTTP. Discovery's
 * read of the whole tree in one GetParameterValues faults, so it reads in batches. The first session learns the limit (halving until it
 * fits) and records it with its evidence; the next session of the same model and firmware —
 * another device — starts with it and never sees a 9002. Operators list, override, disable
 * and delete profiles through the API, and a device's effective settings are shown.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Cpe } from '../../src/cpe/client/cpe.js';
import { Device } from '../../src/cpe/model/device.js';
import { failed } from '../../src/cpe/rpc/faults.js';
import { issueToken } from '../../src/auth/tokens.js';
import { Api, SimFleet, inPath, startStack, until, type Stack } from './helpers.js';

let s: Stack;
let api: Api;
let fleet: SimFleet;
const LIMIT = 40;
/** Sizes of every GetParameterValues each CPE was sent, and how many it refused. */
const seen = new Map<string, { sizes: number[]; refused: number; partial: number }>();

const realHandle = Device.prototype.handle;

beforeAll(async () => {
  // Simulated devices with serial QUIRK… answer 9002 to a GetParameterValues above LIMIT names,
  // from their first session on (their bootstrap discovery).
  Device.prototype.handle = function (this: Device, req) {
    const serial = this.deviceId().serialNumber;
    if (serial.startsWith('QUIRK') && req.method === 'GetParameterValues') {
      const log = seen.get(serial) ?? { sizes: [], refused: 0, partial: 0 };
      seen.set(serial, log);
      log.sizes.push(req.parameterNames.length);
      // The whole tree (the simulator's own reads of small subtrees go through here too).
      const partial = req.parameterNames.includes('Device.');
      if (partial) log.partial++;
      if (req.parameterNames.length > LIMIT || partial) {
        log.refused++;
        return failed(9002);
      }
    }
    return realHandle.call(this, req);
  };
  s = await startStack();
  api = s.api;
  fleet = new SimFleet(s.acs.cwmpUrl);
});

afterAll(async () => {
  Device.prototype.handle = realHandle;
  await fleet?.close();
  await s?.close();
});

/** A simulated CPE whose GetParameterValues fails with 9002 above LIMIT names. */
async function limited(serial: string): Promise<{ cpe: Cpe; id: string }> {
  return fleet.add(serial);
}

async function discovered(id: string): Promise<void> {
  await until(async () => {
    const r = await api.get(`/devices/${inPath(id)}?subtree=${encodeURIComponent('Device.ManagementServer.')}`);
    return r.status === 200 && Object.keys(r.body.parameters ?? {}).length > 5 ? true : null;
  });
}

describe('a learnt quirk', () => {
  it('is learnt from 9002s in the first session, recorded with evidence, and used by the next device of that model and firmware', async () => {
    const first = await limited('QUIRK001');
    await discovered(first.id);
    const a = seen.get('QUIRK001')!;
    expect(a.refused).toBeGreaterThan(1);
    // First the whole tree in one read (refused), then batches, refused until halved small enough.
    expect(a.partial).toBe(1);
    // The whole tree was read all the same: the refused batches were retried in halves.
    const leaves = first.cpe.model.handle({ method: 'GetParameterNames', parameterPath: 'Device.', nextLevel: false });
    const names = leaves.response.method === 'GetParameterNamesResponse' ? leaves.response.parameterList.filter((p) => !p.name.endsWith('.')) : [];
    const stored = await api.get(`/devices/${inPath(first.id)}`);
    expect(Object.keys(stored.body.parameters).filter((p) => !p.endsWith('.') && p.startsWith('Device.')).length).toBeGreaterThanOrEqual(names.length);

    const profiles = await until(async () => {
      const r = await api.get('/quirks');
      return r.body.profiles.find((p: { source: string }) => p.source === 'learnt') ?? null;
    });
    expect(profiles.settings.maxGetNames).toBeLessThanOrEqual(LIMIT);
    const ident = (first.cpe.model as unknown as Device).deviceId();
    expect(profiles.match).toMatchObject({ oui: ident.oui, productClass: ident.productClass });
    expect(profiles.evidence[0].what).toMatch(/9002 answering a GetParameterValues of \d+ names/);
    expect(profiles.evidence[0].deviceId).toBe(first.id);

    const second = await limited('QUIRK002');
    await discovered(second.id);
    const b = seen.get('QUIRK002')!;
    expect(b.refused).toBe(0);
    // With the limit known, the whole-tree read is not even sent.
    expect(b.partial).toBe(0);
    expect(Math.max(...b.sizes)).toBeLessThanOrEqual(LIMIT);
    const eff = await api.get(`/devices/${inPath(second.id)}/quirks`);
    expect(eff.status).toBe(200);
    expect(eff.body.settings.maxGetNames).toBe(profiles.settings.maxGetNames);
    expect(eff.body.profiles).toEqual([profiles.id]);
  });
});

describe('operators and profiles', () => {
  it('list shipped profiles, create, override a shipped one, disable, delete; bad input is a 400', async () => {
    const list = (await api.get('/quirks')).body.profiles;
    const thomson = list.find((p: { id: string }) => p.id === 'shipped:thomson-speedtouch-780');
    expect(thomson).toMatchObject({ source: 'shipped', match: { oui: '00147F', productClass: 'SpeedTouch 780' }, enabled: true });
    expect(thomson.evidence.length).toBeGreaterThan(0);

    const created = await api.post('/quirks', { name: 'lab gateways', match: { productClass: 'LabGW', firmwareMin: '2.0', firmwareMax: '2.9.9' }, settings: { oneParameterPerSet: true, booleans: 'words' } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ source: 'operator', enabled: true, settings: { oneParameterPerSet: true, booleans: 'words' } });
    expect((await api.get(`/quirks/${created.body.id}`)).body.name).toBe('lab gateways');

    const off = await api.put('/quirks/shipped:thomson-speedtouch-780', { name: 'Thomson, off here', match: { oui: '00147F' }, settings: {}, enabled: false });
    expect(off.status).toBe(200);
    expect(off.body).toMatchObject({ id: 'shipped:thomson-speedtouch-780', source: 'operator', enabled: false });
    expect(off.body.evidence).toEqual(thomson.evidence);
    expect((await api.del('/quirks/shipped:thomson-speedtouch-780')).status).toBe(204);
    expect((await api.get('/quirks/shipped:thomson-speedtouch-780')).body).toMatchObject({ source: 'shipped', enabled: true });
    expect((await api.del('/quirks/shipped:thomson-speedtouch-780')).status).toBe(400);
    expect((await api.del(`/quirks/${created.body.id}`)).status).toBe(204);
    expect((await api.del(`/quirks/${created.body.id}`)).status).toBe(404);

    for (const [body, why] of [
      [{ name: 'x', match: {}, settings: {} }, /at least one/],
      [{ name: 'x', match: { oui: 'nothex' }, settings: {} }, /6 hex digits/],
      [{ name: 'x', match: { productClass: 'P' }, settings: { maxGetNames: 0 } }, /maxGetNames/],
      [{ name: 'x', match: { productClass: 'P' }, settings: { teleport: true } }, /unknown member "teleport"/],
      [{ name: 'x', match: { productClass: 'P' }, settings: { booleans: 'yes' } }, /digits/],
      [{ name: '<script>', match: { productClass: 'P' } }, /name/],
      [{ name: 'x', match: { productClass: 'P' }, extra: 1 }, /unknown member "extra"/],
    ] as const) {
      const r = await api.post('/quirks', body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.message).toMatch(why);
    }
    expect((await api.post('/quirks', [1, 2])).status).toBe(400);
    expect((await api.post('/quirks', { name: 'x'.repeat(200), match: { productClass: 'P' } })).status).toBe(400);
    expect((await api.get('/devices/nope/quirks')).status).toBe(404);
    const { token } = await issueToken(s.store, 'quirk-reader', 'read-only');
    expect((await api.as(token).get('/quirks')).status).toBe(200);
    expect((await api.as(token).post('/quirks', { name: 'x', match: { productClass: 'P' } })).status).toBe(403);
    const doc = (await api.get('/openapi.json')).body;
    expect(doc.paths['/api/v1/quirks']?.post).toBeDefined();
    expect(doc.paths['/api/v1/devices/{id}/quirks']?.get).toBeDefined();
  });
});

describe('overriding and hostile bodies', () => {
  it('says what an operator’s profile overrides: a shipped one, a learnt one, or nothing', async () => {
    const listed = async (id: string) => ((await api.get('/quirks')).body.profiles as { id: string; overrides: string | null; source: string }[]).find((p) => p.id === id);
    expect((await listed('shipped:huawei-eg8145v5'))?.overrides).toBeNull();
    const own = await api.post('/quirks', { name: 'own', match: { productClass: 'OwnGW' }, settings: { xsiType: true } });
    expect(own.body.overrides).toBeNull();
    const over = await api.put('/quirks/shipped:huawei-eg8145v5', { name: 'Huawei, words here', match: { oui: '00259E', productClass: 'EG8145V5' }, settings: { booleans: 'words' } });
    expect(over.body).toMatchObject({ source: 'operator', overrides: 'shipped', settings: { booleans: 'words' } });
    expect((await listed('shipped:huawei-eg8145v5'))?.overrides).toBe('shipped');
    expect((await api.get('/quirks/shipped:huawei-eg8145v5')).body.overrides).toBe('shipped');
    // A learnt profile taken over by an operator (the learner leaves it alone since).
    const learnt = await until(async () => ((await api.get('/quirks')).body.profiles as { id: string; source: string; match: object }[]).find((p) => p.source === 'learnt') ?? null);
    const off = await api.put(`/quirks/${encodeURIComponent(learnt.id)}`, { name: 'learnt, off', match: learnt.match, settings: {}, enabled: false });
    expect(off.status).toBe(200);
    expect(off.body).toMatchObject({ overrides: 'learnt', enabled: false });
    // Deleting the override of a shipped profile brings it back, plain.
    expect((await api.del('/quirks/shipped:huawei-eg8145v5')).status).toBe(204);
    expect(await listed('shipped:huawei-eg8145v5')).toMatchObject({ source: 'shipped', overrides: null });
    expect((await api.del(`/quirks/${own.body.id}`)).status).toBe(204);
  });

  it('refuses malformed, oversized and hostile bodies with a 4xx and saves nothing', async () => {
    const before = await s.store.listQuirkProfiles();
    const ok = { name: 'x', match: { productClass: 'P' } };
    const bad: [string, string, unknown, RegExp | null][] = [
      ['POST', '/quirks', JSON.parse('{"name":"x","match":{"productClass":"P"},"__proto__":{"enabled":false}}'), /not valid JSON|unknown member "__proto__"/],
      ['POST', '/quirks', { name: 'x', match: { productClass: 'P', constructor: 'x' } }, /match: unknown member "constructor"/],
      ['POST', '/quirks', { name: 'x', match: { productClass: 'P' }, settings: { maxGetNames: 1.5 } }, /maxGetNames/],
      ['POST', '/quirks', { name: 'x', match: { productClass: 'P' }, settings: { maxGetNames: '64' } }, /maxGetNames/],
      ['POST', '/quirks', { name: 'x', match: { productClass: 'P' }, settings: { maxGetNames: 1e9 } }, /maxGetNames/],
      ['POST', '/quirks', { name: 'x', match: { productClass: 'P' }, settings: { xsiType: 'yes' } }, /xsiType: true or false/],
      ['POST', '/quirks', { name: 'x', match: { productClass: 'P\u0000' } }, /match.productClass/],
      ['POST', '/quirks', { name: 'x', match: { firmwareMin: 'v'.repeat(129) } }, /match.firmwareMin/],
      ['POST', '/quirks', { name: 'x', match: 'P' }, /match/],
      ['POST', '/quirks', { name: 'x', match: { productClass: 'P' }, settings: [] }, /settings/],
      ['POST', '/quirks', { name: 'x', match: { productClass: 'P' }, enabled: 'no' }, /enabled/],
      ['POST', '/quirks', { name: 'a\nb', match: { productClass: 'P' } }, /name/],
      ['POST', '/quirks', { match: { productClass: 'P' } }, /name/],
      ['POST', '/quirks', null, null],
      ['POST', '/quirks', 'text', null],
      ['PUT', '/quirks/shipped:zte-zxhn-h199a', { name: 'x', match: {}, settings: {} }, /at least one/],
      ['PUT', '/quirks/shipped:zte-zxhn-h199a', { name: 'x', match: { oui: 'C0B101' }, settings: { booleans: 1 } }, /booleans/],
    ];
    for (const [method, path, body, why] of bad) {
      const r = await api.req(method, path, body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      if (why !== null) expect(r.body.message).toMatch(why);
    }
    // Not JSON, deeply nested, or far too large.
    expect((await api.req('POST', '/quirks', undefined, { raw: '{"name": "x", "match": {' })).status).toBe(400);
    const deep = `${'{"a":'.repeat(2000)}1${'}'.repeat(2000)}`;
    expect((await api.req('POST', '/quirks', undefined, { raw: `{"name":"x","match":{"productClass":"P"},"settings":${deep}}` })).status).toBe(400);
    const big = await api.post('/quirks', { name: 'x', match: { productClass: 'P'.repeat(20_000) } });
    expect(big.status).toBe(413);
    expect((await api.req('PUT', '/quirks/shipped:zte-zxhn-h199a', { name: 'x'.repeat(20_000), match: { oui: 'C0B101' } })).status).toBe(413);
    // An id that is not in force is not created by a put.
    expect((await api.put('/quirks/made-up', ok)).status).toBe(404);
    expect(await s.store.listQuirkProfiles()).toEqual(before);
    expect((await api.get('/quirks/shipped:zte-zxhn-h199a')).body).toMatchObject({ source: 'shipped', overrides: null });
  });
});
