/**
 * /campaigns against malformed, oversized and hostile input: each gets a clear 4xx and
 * nothing is written; roles hold.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CampaignFile } from '../../src/services/campaigns.js';
import { SimFleet, startStack, type Stack } from '../nbi/helpers.js';

let stack: Stack;
let fleet: SimFleet;
const files = new Map<string, CampaignFile>([['fw2', { id: 'fw2', version: '2.0', fileType: '1 Firmware Upgrade Image', applicability: null }]]);
const good = { name: 'ok', fileId: 'fw2', waves: [{ size: 1 }, { percent: 100 }] };

beforeAll(async () => {
  stack = await startStack({
    campaigns: {
      files: { get: async (id) => files.get(id) ?? null },
      // The runner is not the subject here: a download nobody can fetch, and devices that never come.
      downloadTask: (f, _d, commandKey) => ({ type: 'download', commandKey, fileType: f.fileType, url: 'http://127.0.0.1:9/none', username: '', password: '', fileSize: 0, targetFileName: '', delaySeconds: 0, successURL: '', failureURL: '' }),
    },
  });
  fleet = new SimFleet(stack.acs.cwmpUrl);
  await fleet.add('H001', { 'Device.DeviceInfo.SoftwareVersion': '1.0' });
});

afterAll(async () => {
  await fleet.close();
  await stack.close();
});

async function tokenFor(role: 'read-only' | 'operator'): Promise<string> {
  const r = await stack.api.post('/tokens', { name: `${role} campaigns`, role });
  expect(r.status).toBe(201);
  return r.body.token as string;
}

const nothingStored = async () => expect((await stack.api.get('/campaigns')).body.total).toBe(0);

describe('POST /campaigns refuses bad input and stores nothing', () => {
  it.each([
    ['malformed JSON', { raw: '{"name": "x", ' }, 400, 'MALFORMED_JSON'],
    ['an array', { body: [good] }, 400, null],
    ['a string', { raw: '"campaign"' }, 400, null],
    ['an unknown member', { body: { ...good, stopRule: { maxFailureRatio: 0.1 } } }, 400, 'INVALID_CAMPAIGN'],
    ['__proto__ smuggling', { raw: '{"name":"x","fileId":"fw2","__proto__":{"state":"done"}}' }, 400, null],
    ['no name', { body: { fileId: 'fw2' } }, 400, 'INVALID_CAMPAIGN'],
    ['an unknown file', { body: { ...good, fileId: 'nope' } }, 400, 'INVALID_CAMPAIGN'],
    ["a filter that doesn't parse", { body: { ...good, filter: ['oui ~~ 1'] } }, 400, 'INVALID_CAMPAIGN'],
    ['a bad cron', { body: { ...good, window: { cron: '99 99 * * *', durationMinutes: 10 } } }, 400, 'INVALID_CAMPAIGN'],
    ['an unknown time zone', { body: { ...good, window: { cron: '0 2 * * *', durationMinutes: 10, timezone: '../../etc/passwd' } } }, 400, 'INVALID_CAMPAIGN'],
    ['a negative wave', { body: { ...good, waves: [{ size: -5 }] } }, 400, 'INVALID_CAMPAIGN'],
    ['a ratio as text', { body: { ...good, stopRules: { maxFailureRatio: '0.1; DROP TABLE campaigns' } } }, 400, 'INVALID_CAMPAIGN'],
    ['a huge wave count', { body: { ...good, waves: Array.from({ length: 5000 }, () => ({ size: 1 })) } }, 400, 'INVALID_CAMPAIGN'],
    ['a 10 kB name', { body: { ...good, name: 'n'.repeat(10_000) } }, 400, 'INVALID_CAMPAIGN'],
  ])('%s', async (_what, input: { body?: unknown; raw?: string }, status, code) => {
    const r = input.raw !== undefined ? await stack.api.req('POST', '/campaigns', undefined, { raw: input.raw }) : await stack.api.post('/campaigns', input.body);
    expect(r.status).toBe(status);
    expect(typeof r.body.message).toBe('string');
    if (code !== null) expect(r.body.code).toBe(code);
    await nothingStored();
  });

  it('names the member that is wrong', async () => {
    const r = await stack.api.post('/campaigns', { ...good, waves: [{ size: 1 }, { percent: 0 }] });
    expect(r.body).toMatchObject({ code: 'INVALID_CAMPAIGN', position: { field: 'waves[1].percent' } });
    const f = await stack.api.post('/campaigns', { ...good, filter: ['oui = 1', 'nonsense'] });
    expect(f.body.position).toEqual({ field: 'filter[1]' });
  });

  it('an oversized body is 413', async () => {
    const r = await stack.api.req('POST', '/campaigns', undefined, { raw: JSON.stringify({ ...good, name: 'x'.repeat(2_000_000) }) });
    expect(r.status).toBe(413);
    await nothingStored();
  });

  it('a dry run with bad input is refused the same way', async () => {
    expect((await stack.api.post('/campaigns?dryRun=true', { ...good, fileId: 'nope' })).status).toBe(400);
    expect((await stack.api.post('/campaigns?dryRun=maybe', good)).status).toBe(400);
    expect((await stack.api.post('/campaigns?dryRun=true&extra=1', good)).status).toBe(400);
    await nothingStored();
  });
});

describe('roles, unknown ids, bad queries, wrong states', () => {
  it('read-only reads but cannot create or act; no token is 401', async () => {
    const ro = stack.api.as(await tokenFor('read-only'));
    expect((await ro.post('/campaigns', good)).status).toBe(403);
    expect((await ro.get('/campaigns')).status).toBe(200);
    expect((await stack.api.as(null).get('/campaigns')).status).toBe(401);
    expect((await stack.api.as('wrong-token-0123456789').post('/campaigns', good)).status).toBe(401);
    await nothingStored();
    const op = stack.api.as(await tokenFor('operator'));
    const created = await op.post('/campaigns', good);
    expect(created.status).toBe(201);
    expect((await ro.post(`/campaigns/${created.body.id}/pause`)).status).toBe(403);
    expect((await ro.get(`/campaigns/${created.body.id}`)).body.state).toBe('running');
    expect((await op.post(`/campaigns/${created.body.id}/abort`)).body.state).toBe('aborted');
    expect((await op.del(`/campaigns/${created.body.id}`)).status).toBe(204);
  });

  it('unknown, hostile and overlong ids; bad list queries', async () => {
    for (const id of ['nope', encodeURIComponent("x' OR 1=1 --"), encodeURIComponent('../../etc')]) {
      expect((await stack.api.get(`/campaigns/${id}`)).status).toBe(404);
      expect((await stack.api.post(`/campaigns/${id}/pause`)).status).toBe(404);
      expect((await stack.api.get(`/campaigns/${id}/devices`)).status).toBe(404);
    }
    expect((await stack.api.get(`/campaigns/${'x'.repeat(200)}`)).status).toBe(400);
    for (const q of ['state=bogus', 'limit=0', 'limit=100000', 'offset=-1', 'extra=1']) expect((await stack.api.get(`/campaigns?${q}`)).status).toBe(400);
    const c = (await stack.api.post('/campaigns', good)).body;
    for (const q of ['state=bogus', 'wave=-1', 'limit=5000', 'after=abc']) expect((await stack.api.get(`/campaigns/${c.id}/devices?${q}`)).status).toBe(400);
    const devices = await stack.api.get(`/campaigns/${c.id}/devices?state=scheduled&state=pending&limit=1`);
    expect(devices.status).toBe(200);
  });

  it('actions in the wrong state are 409 and change nothing', async () => {
    const c = (await stack.api.post('/campaigns', good)).body;
    expect((await stack.api.post(`/campaigns/${c.id}/resume`)).status).toBe(409);
    expect((await stack.api.del(`/campaigns/${c.id}`)).status).toBe(409);
    expect((await stack.api.post(`/campaigns/${c.id}/pause`)).body.state).toBe('paused');
    expect((await stack.api.post(`/campaigns/${c.id}/pause`)).status).toBe(409);
    expect((await stack.api.post(`/campaigns/${c.id}/abort`)).body.state).toBe('aborted');
    expect((await stack.api.post(`/campaigns/${c.id}/abort`)).status).toBe(409);
    expect((await stack.api.post(`/campaigns/${c.id}/resume`)).status).toBe(409);
    expect((await stack.api.post(`/campaigns/${c.id}/retry-failed`)).status).toBe(409);
    const after = (await stack.api.get(`/campaigns/${c.id}`)).body;
    expect(after.state).toBe('aborted');
    expect(after.reason).toMatch(/aborted by/);
  });
});
