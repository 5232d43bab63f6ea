/**
 * Device search over HTTP on a few thousand devices: every filter kind, sorting, cursor and
 * offset paging, the total, and field projection — each answer checked against the same
 * question asked of the seed data in TypeScript.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deviceIdOf } from '../../src/store/device-id.js';
import { Api, startStack, type Json, type Stack } from './helpers.js';

const N = 3000;
const SW = 'Device.DeviceInfo.SoftwareVersion'; // searchable by default
const MODEL = 'Device.DeviceInfo.ModelName'; // searchable by default
const UP = 'Device.X_Test.Counter'; // not searchable

interface Seed {
  id: string;
  serial: string;
  sw: string;
  model: string;
  counter: number;
  tags: string[];
  lastInform: number;
}

let s: Stack;
let api: Api;
const seeds: Seed[] = [];
const T0 = Date.now() - N * 1000;

beforeAll(async () => {
  s = await startStack();
  api = s.api;
  for (let i = 0; i < N; i++) {
    const serial = `Q${String(i).padStart(5, '0')}`;
    const seed: Seed = {
      id: deviceIdOf({ oui: '00AA00', productClass: i % 2 === 0 ? 'Even' : 'Odd', serialNumber: serial }),
      serial,
      sw: ['1.0.0', '1.1.0', '2.0.0-rc1'][i % 3]!,
      model: `M${i % 5}`,
      counter: (i * 7919) % 1000,
      tags: i % 10 === 0 ? ['gold'] : i % 10 === 1 ? ['silver', 'lab'] : [],
      lastInform: T0 + i * 1000,
    };
    seeds.push(seed);
    await s.store.openSession({ deviceId: seed.id, lockOwner: 'seed', lockTtlMs: 10_000, now: seed.lastInform });
    await s.store.commitSession({
      deviceId: seed.id,
      lockOwner: 'seed',
      identity: { manufacturer: 'Acme', oui: '00AA00', productClass: i % 2 === 0 ? 'Even' : 'Odd', serialNumber: serial },
      informAt: seed.lastInform,
      events: [{ eventCode: i % 4 === 0 ? '1 BOOT' : '2 PERIODIC', commandKey: '' }],
      parameterOps: [
        {
          op: 'setValues',
          at: seed.lastInform,
          touch: false,
          params: [
            { name: SW, value: seed.sw, type: 'xsd:string' },
            { name: MODEL, value: seed.model, type: 'xsd:string' },
            ...(i % 6 === 5 ? [] : [{ name: UP, value: String(seed.counter), type: 'xsd:unsignedInt' }]),
          ],
        },
      ],
      requestOutcomes: [],
      cpeMessages: [],
      log: { deviceId: seed.id, startedAt: seed.lastInform, endedAt: seed.lastInform, events: [], rpcs: [], cpeRequests: [], outcome: 'ok', linkedRequests: [] },
      releaseLock: true,
    });
    if (seed.tags.length > 0) await s.store.setTags(seed.id, seed.tags, []);
  }
}, 120_000);

afterAll(async () => {
  await s?.close();
});

const hasCounter = (i: number): boolean => i % 6 !== 5;
const byId = (a: Seed, b: Seed): number => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

async function search(params: Record<string, string | string[]>): Promise<{ status: number; body: Json }> {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) for (const x of Array.isArray(v) ? v : [v]) q.append(k, x);
  return api.get(`/devices?${q.toString()}`);
}

/** Every id a filter matches, walked with cursors (limit 1000), in the order asked. */
async function all(filter: string[], sort?: string): Promise<string[]> {
  const out: string[] = [];
  let cursor: string | null = null;
  do {
    const r = await search({ filter, limit: '1000', fields: 'id', ...(sort ? { sort } : {}), ...(cursor ? { cursor } : {}) });
    expect(r.status).toBe(200);
    out.push(...r.body.devices.map((d: { id: string }) => d.id));
    cursor = r.body.next;
  } while (cursor !== null);
  return out;
}

const expectIds = (pred: (d: Seed, i: number) => boolean): string[] =>
  seeds
    .filter(pred)
    .sort(byId)
    .map((d) => d.id);

describe(`device search over ${N} devices`, () => {
  it('counts them all and pages 100 by default', async () => {
    const r = await search({});
    expect(r.body.total).toBe(N);
    expect(r.body.devices).toHaveLength(100);
    expect(r.body.devices[0].id).toBe([...seeds].sort(byId)[0]!.id);
    expect(r.body.next).toEqual(expect.any(String));
  });

  it('parameter equality, searchable or not, with its total', async () => {
    const r = await search({ filter: `${SW} = 1.1.0`, limit: '5' });
    expect(r.body.total).toBe(seeds.filter((d) => d.sw === '1.1.0').length);
    expect(r.body.devices).toHaveLength(5);
    expect(await all([`${SW} = 1.1.0`])).toEqual(expectIds((d) => d.sw === '1.1.0'));
    expect(await all([`${UP} = 42`])).toEqual(expectIds((d, i) => hasCounter(i) && d.counter === 42));
    expect(await all([`${SW} != 1.0.0`, `${MODEL} = M3`])).toEqual(expectIds((d) => d.sw !== '1.0.0' && d.model === 'M3'));
  });

  it('numeric comparisons, prefix, glob, exists', async () => {
    expect(await all([`${UP} >= 990`])).toEqual(expectIds((d, i) => hasCounter(i) && d.counter >= 990));
    expect(await all([`${UP} < 5`, 'productClass = Even'])).toEqual(expectIds((d, i) => hasCounter(i) && d.counter < 5 && i % 2 === 0));
    expect(await all([`${SW} ^= 2.`])).toEqual(expectIds((d) => d.sw.startsWith('2.')));
    expect(await all([`${SW} ~= "*-rc?"`])).toEqual(expectIds((d) => d.sw.endsWith('-rc1')));
    expect(await all(['serialNumber ~= Q0001?'])).toEqual(expectIds((d) => /^Q0001\d$/.test(d.serial)));
    expect(await all([`!exists(${UP})`])).toEqual(expectIds((_d, i) => !hasCounter(i)));
    expect((await search({ filter: `exists(${UP})`, limit: '0' })).body.total).toBe(seeds.filter((_d, i) => hasCounter(i)).length);
  });

  it('tags and times', async () => {
    expect(await all(['tag = gold'])).toEqual(expectIds((d) => d.tags.includes('gold')));
    expect(await all(['tag = lab', `${MODEL} = M1`])).toEqual(expectIds((d) => d.tags.includes('lab') && d.model === 'M1'));
    const cut = T0 + 2500 * 1000;
    expect(await all([`lastInform >= ${new Date(cut).toISOString()}`])).toEqual(expectIds((d) => d.lastInform >= cut));
    expect(await all([`lastInform < ${T0 + 10_000}`])).toEqual(expectIds((d) => d.lastInform < T0 + 10_000));
    const recent = (await search({ filter: 'lastInform > -10m', limit: '0' })).body.total;
    expect(recent).toBeGreaterThan(550);
    expect(recent).toBeLessThanOrEqual(600);
    expect((await search({ filter: 'exists(lastBoot)', limit: '0' })).body.total).toBe(N / 4);
  });

  it('sorts, and cursor paging walks a sort completely and in order', async () => {
    const newest = await search({ sort: '-lastInform', limit: '3', fields: 'id,lastInform' });
    expect(newest.body.devices.map((d: { id: string }) => d.id)).toEqual(seeds.slice(-3).reverse().map((d) => d.id));
    expect(Object.keys(newest.body.devices[0]).sort()).toEqual(['id', 'lastInform']);
    const walked = await all([`${SW} = 2.0.0-rc1`], `-${UP}`);
    const expected = seeds
      .filter((d) => d.sw === '2.0.0-rc1')
      .map((d, _i) => ({ d, key: hasCounter(seeds.indexOf(d)) ? String(d.counter) : '' }))
      .sort((a, b) => (a.key > b.key ? -1 : a.key < b.key ? 1 : a.d.id > b.d.id ? -1 : 1))
      .map((x) => x.d.id);
    expect(walked).toEqual(expected);
  });

  it('offset paging agrees with cursor paging', async () => {
    const filter = 'productClass = Odd';
    const first = await search({ filter, sort: 'serialNumber', limit: '50', offset: '100', fields: 'id' });
    const viaCursor = await all([filter], 'serialNumber');
    expect(first.body.total).toBe(N / 2);
    expect(first.body.devices.map((d: { id: string }) => d.id)).toEqual(viaCursor.slice(100, 150));
  });

  it('projects only the fields asked for: no tree unless a path is named', async () => {
    const r = await search({ filter: 'serialNumber = Q00007', fields: `id,tags,${SW},${UP}` });
    expect(r.body.devices).toEqual([
      {
        id: seeds[7]!.id,
        tags: [],
        parameters: {
          [SW]: expect.objectContaining({ value: seeds[7]!.sw, type: 'xsd:string' }),
          [UP]: expect.objectContaining({ value: String(seeds[7]!.counter), type: 'xsd:unsignedInt' }),
        },
      },
    ]);
    const sub = await search({ filter: 'serialNumber = Q00008', fields: 'Device.DeviceInfo.' });
    expect(Object.keys(sub.body.devices[0].parameters).sort()).toEqual([MODEL, SW].sort());
    const plain = await search({ filter: 'serialNumber = Q00008' });
    expect(plain.body.devices[0]).not.toHaveProperty('parameters');
    expect(plain.body.devices[0]).toMatchObject({ id: seeds[8]!.id, deviceId: { serialNumber: 'Q00008' }, tags: [] });
  });

  it('refuses bad filters, sorts, fields and cursors with 400', async () => {
    const cases: Record<string, string>[] = [
      { filter: 'colour = red' },
      { filter: 'serialNumber' },
      { filter: 'lastInform ^= 2020' },
      { filter: 'lastInform > yesterday' },
      { filter: 'tag < x' },
      { sort: 'colour' },
      { fields: 'id,colour' },
      { cursor: 'not-a-cursor' },
    ];
    for (const params of cases) {
      const r = await search(params);
      expect([r.status, r.body.code], JSON.stringify(params)).toEqual([400, expect.stringMatching(/INVALID_FILTER|BAD_REQUEST/)]);
    }
    const page = await search({ sort: 'lastInform', limit: '10' });
    const wrongSort = await search({ sort: 'serialNumber', cursor: page.body.next });
    expect(wrongSort.status).toBe(400);
  });
});
