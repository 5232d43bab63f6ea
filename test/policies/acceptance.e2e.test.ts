/**
 * Provisioning policies end to end: the API over real HTTP, simulated CPEs (src/cpe) over
 * loopback, SQLite in a temp dir. The shapes here are the ones the acceptance checks use.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countingStore, type CountingStore } from '../../src/store/counting.js';
import { createSqliteStore } from '../../src/store/sqlite/index.js';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Api, SimFleet, inPath, startStack, until, type Stack } from '../nbi/helpers.js';

let s: Stack;
let api: Api;
let fleet: SimFleet;
let counted: CountingStore;

beforeAll(async () => {
  const dir = await mkdtemp(join(tmpdir(), 'flotilla-policies-'));
  counted = countingStore(await createSqliteStore({ dataDir: dir }));
  s = await startStack({ store: counted, acs: { discoverOnBootstrap: false } });
  api = s.api;
  fleet = new SimFleet(s.acs.cwmpUrl);
});

afterAll(async () => {
  await fleet?.close();
  await s?.close();
});

const NTP = 'Device.Time.NTPServer1';

async function lastSession(id: string) {
  return (await api.get(`/devices/${inPath(id)}/sessions?limit=1`)).body.sessions[0];
}

async function periodic(serial: string): Promise<void> {
  const cpe = fleet.cpes.get(serial)!;
  const before = fleet.sessionsOf(serial).length;
  cpe.inform('2 PERIODIC');
  await until(() => fleet.sessionsOf(serial).length > before);
}

describe('a policy configures a new device in its first session', () => {
  let policyId = '';

  it('POST /policies answers 201 with the policy and its id', async () => {
    const r = await api.post('/policies', {
      name: 'ntp',
      filter: ['productClass ~= *'],
      declarations: [{ path: NTP, value: 'ntp.flotilla.test' }],
    });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ id: expect.any(String), name: 'ntp', revision: 1, triggers: [], priority: 0 });
    policyId = r.body.id;
  });

  it('the device receives the value in the session of its 0 BOOTSTRAP Inform; the next periodic one has no RPC and 2 round trips', async () => {
    const { cpe, id } = await fleet.add('POL0001');
    expect(cpe.model.get(NTP)?.value).toBe('ntp.flotilla.test');
    const first = fleet.sessionsOf('POL0001');
    expect(first).toHaveLength(1);
    expect(first[0]!.events).toContain('0 BOOTSTRAP');
    expect(first[0]!.rpcs.map((r) => r.method)).toContain('SetParameterValues');

    counted.reset();
    await periodic('POL0001');
    expect(counted.byMethod()).toEqual({ openSession: 1, commitSession: 1 });
    const second = fleet.sessionsOf('POL0001').at(-1)!;
    expect(second.rpcs).toEqual([]);
    expect((await lastSession(id)).rpcs).toEqual([]);

    const c = await api.get(`/policies/${policyId}/compliance`);
    expect(c.status).toBe(200);
    expect(c.body).toEqual({ compliant: 1, pending: 0, faulted: 0, notApplicable: 0 });
  });

  it('dry runs: POST /policies/{id}/plan and GET /devices/{id}/plan', async () => {
    const id = (await api.get('/devices?limit=1')).body.devices[0].id as string;
    const plan = await api.post(`/policies/${policyId}/plan`, {});
    expect(plan.status).toBe(200);
    expect(plan.body.devices).toEqual([expect.objectContaining({ id, set: [] })]);
    const draft = await api.post(`/policies/${policyId}/plan`, { name: 'ntp', declarations: [{ path: NTP, value: 'other.test' }] });
    expect(draft.body.devices[0]).toMatchObject({ id, set: [{ path: NTP, value: 'other.test', current: 'ntp.flotilla.test' }] });
    const device = await api.get(`/devices/${inPath(id)}/plan`);
    expect(device.status).toBe(200);
    expect(device.body).toMatchObject({ id, set: [], policies: [policyId] });
  });

  it('a changed policy reaches the device at its next session', async () => {
    const id = (await api.get('/devices?limit=1')).body.devices[0].id as string;
    const r = await api.req('PUT', `/policies/${policyId}`, { name: 'ntp', declarations: [{ path: NTP, value: 'ntp2.flotilla.test' }] });
    expect(r.status).toBe(200);
    expect(r.body.revision).toBe(2);
    await periodic('POL0001');
    expect(fleet.cpes.get('POL0001')!.model.get(NTP)?.value).toBe('ntp2.flotilla.test');
    expect((await api.get(`/policies/${policyId}/compliance`)).body).toEqual({ compliant: 1, pending: 0, faulted: 0, notApplicable: 0 });
    expect((await api.get(`/devices/${inPath(id)}/policies`)).body.compliance).toEqual([expect.objectContaining({ policyId, revision: 2, state: 'compliant' })]);
    const revs = await api.get(`/policies/${policyId}/revisions`);
    expect(revs.body.revisions.map((x: { revision: number }) => x.revision)).toEqual([2, 1]);
    await api.del(`/policies/${policyId}`);
  });
});

describe('bad input', () => {
  it('a malformed filter, an unknown trigger, a bad path: 400 with the position, nothing saved', async () => {
    const before = (await api.get('/policies')).body.policies.length;
    const f = await api.post('/policies', { name: 'x', filter: ['productClass'], declarations: [] });
    expect(f.status).toBe(400);
    expect(f.body).toMatchObject({ code: 'INVALID_POLICY', position: { field: 'filter[0]' } });
    const t = await api.post('/policies', { name: 'x', triggers: ['0 BOOTSTRAP', '9 NOPE'], declarations: [] });
    expect(t.body).toMatchObject({ code: 'INVALID_POLICY', position: { field: 'triggers[1]' } });
    const p = await api.post('/policies', { name: 'x', declarations: [{ path: 'Device..Bad', value: '1' }] });
    expect(p.body).toMatchObject({ code: 'INVALID_POLICY', position: { field: 'declarations[0].path' } });
    const u = await api.post('/policies', { name: 'x', declarations: [], extra: 1 });
    expect(u.body).toMatchObject({ code: 'INVALID_POLICY', position: { field: 'extra' } });
    expect((await api.post('/policies', [1, 2])).status).toBe(400);
    expect((await api.req('POST', '/policies', undefined, { raw: '{"name":' })).status).toBe(400);
    expect((await api.post('/policies', { name: 'x'.repeat(300), declarations: [] })).status).toBe(400);
    expect((await api.get('/policies')).body.policies.length).toBe(before);
  });
});
