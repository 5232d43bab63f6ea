/**
 * GenieACS's NBI shapes (src/nbi/genieacs.ts): the translation on its own, then over real
 * HTTP, where a GenieACS body or query must give the same result as its native twin.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromGenieQuery, fromGenieTaskBody, regexToMatch } from '../../src/nbi/genieacs.js';
import { ApiError } from '../../src/nbi/errors.js';
import { Api, SimFleet, startStack, inPath, type Stack } from './helpers.js';

describe('translation', () => {
  it('task bodies: name → type, object paths get their final dot, native bodies pass untouched', () => {
    expect(fromGenieTaskBody({ name: 'reboot' })).toEqual({ type: 'reboot' });
    expect(fromGenieTaskBody({ name: 'refreshObject', objectName: 'Device.WiFi' })).toEqual({ type: 'refresh', objectName: 'Device.WiFi.' });
    expect(fromGenieTaskBody({ name: 'deleteObject', objectName: 'Device.X.2' })).toEqual({ type: 'deleteObject', objectName: 'Device.X.2.' });
    expect(fromGenieTaskBody({ name: 'addObject', objectName: 'Device.X.' })).toEqual({ type: 'addObject', objectName: 'Device.X.' });
    expect(fromGenieTaskBody({ name: 'download', fileType: '1 Firmware Upgrade Image', url: 'http://f/x.bin', fileName: 'x.bin' })).toEqual({
      type: 'download',
      fileType: '1 Firmware Upgrade Image',
      url: 'http://f/x.bin',
      targetFileName: 'x.bin',
    });
    const native = { type: 'reboot', name: 'kept for the schema to refuse' };
    expect(fromGenieTaskBody(native)).toBe(native);
    for (const bad of [{ name: 'nope' }, { name: 42 }, { name: '__proto__' }, { name: 'download', file: 'id-in-gridfs' }, { name: 'refreshObject', objectName: '' }]) {
      expect(() => fromGenieTaskBody(bad)).toThrow(ApiError);
    }
  });

  it('regular expressions become eq, prefix or glob, or are refused', () => {
    expect(regexToMatch('^SIM0001$')).toEqual({ op: 'eq', value: 'SIM0001' });
    expect(regexToMatch('^SIM00')).toEqual({ op: 'prefix', value: 'SIM00' });
    expect(regexToMatch('SIM')).toEqual({ op: 'glob', value: '*SIM*' });
    expect(regexToMatch('^1\\.2\\..*-beta$')).toEqual({ op: 'glob', value: '1.2.*-beta' });
    expect(regexToMatch('^a.c')).toEqual({ op: 'glob', value: 'a?c*' });
    for (const bad of ['a|b', '[0-9]+', '(x)', 'a\\d', 'x{2}', 'a\\*']) expect(() => regexToMatch(bad), bad).toThrow(ApiError);
  });

  it('queries: fields, operators, $and; hostile or unsupported ones are 400s', () => {
    expect(
      fromGenieQuery(
        JSON.stringify({
          _id: 'A-B-C',
          '_deviceId._SerialNumber': { $regex: '^SIM' },
          _tags: 'lab',
          _lastInform: { $gt: '2026-01-01T00:00:00Z' },
          'Device.DeviceInfo.SoftwareVersion._value': { $ne: '1.0' },
          $and: [{ 'Device.X.Y': { $exists: true } }, { 'Device.N': { $gte: 3, $lt: 10 } }],
        }),
      ),
    ).toEqual([
      { field: 'id', op: 'eq', value: 'A-B-C' },
      { field: 'serialNumber', op: 'prefix', value: 'SIM' },
      { field: 'tag', op: 'eq', value: 'lab' },
      { field: 'lastInform', op: 'gt', value: Date.parse('2026-01-01T00:00:00Z') },
      { field: 'parameter', path: 'Device.DeviceInfo.SoftwareVersion', op: 'ne', value: '1.0' },
      { field: 'parameter', path: 'Device.X.Y', op: 'exists' },
      { field: 'parameter', path: 'Device.N', op: 'ge', value: '3' },
      { field: 'parameter', path: 'Device.N', op: 'lt', value: '10' },
    ]);
    for (const bad of [
      'not json',
      '[]',
      '"x"',
      '{"$or":[{"_id":"a"}]}',
      '{"_id":{"$where":"1"}}',
      '{"_unknown":1}',
      '{"Device.X":{"$regex":"a","$options":"i"}}',
      '{"Device.X":{"$in":["a"]}}',
      '{"_lastInform":{"$gt":"yesterday"}}',
      '{"__proto__":{"x":1}}',
      '{"Device..X":"1"}',
      '{"Device.X":{"a":1}}',
      JSON.stringify({ $and: [{ $and: [{ $and: [{ $and: [{ $and: [{ $and: [{ _id: 'x' }] }] }] }] }] }] }),
      JSON.stringify(Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`Device.P${i}`, 'x']))),
      'x'.repeat(9000),
    ]) {
      expect(() => fromGenieQuery(bad), bad.slice(0, 60)).toThrow(ApiError);
    }
  });
});

describe('over HTTP: the same results as native requests', () => {
  let s: Stack;
  let fleet: SimFleet;
  let api: Api;
  const ids: string[] = [];

  beforeAll(async () => {
    s = await startStack();
    api = s.api;
    fleet = new SimFleet(s.acs.cwmpUrl);
    for (const [sn, version] of [
      ['GNA001', '1.0'],
      ['GNA002', '2.0'],
      ['GNB003', '2.5'],
    ] as const) {
      ids.push((await fleet.add(sn, { 'Device.DeviceInfo.SoftwareVersion': version })).id);
    }
    await api.post(`/devices/${inPath(ids[0]!)}/tags`, { add: ['lab'] });
  });
  afterAll(async () => {
    await fleet?.close();
    await s?.close();
  });

  const idsOf = (r: { status: number; body: { devices: { id: string }[] } }): string[] => {
    expect(r.status).toBe(200);
    return r.body.devices.map((d) => d.id);
  };

  it('queries', async () => {
    const pairs: [Record<string, unknown>, string[]][] = [
      [{ 'Device.DeviceInfo.SoftwareVersion': '2.0' }, ['Device.DeviceInfo.SoftwareVersion = 2.0']],
      [{ 'Device.DeviceInfo.SoftwareVersion._value': { $eq: '2.0' } }, ['Device.DeviceInfo.SoftwareVersion = 2.0']],
      [{ 'Device.DeviceInfo.SoftwareVersion': { $ne: '2.0' } }, ['Device.DeviceInfo.SoftwareVersion != 2.0']],
      [{ 'Device.DeviceInfo.SoftwareVersion': { $gt: 1.5 } }, ['Device.DeviceInfo.SoftwareVersion > 1.5']],
      [{ 'Device.DeviceInfo.SoftwareVersion': { $lt: 2.2 } }, ['Device.DeviceInfo.SoftwareVersion < 2.2']],
      [{ '_deviceId._SerialNumber': { $regex: '^GNA' } }, ['serialNumber ^= GNA']],
      [{ '_deviceId._SerialNumber': { $regex: 'B0' } }, ['serialNumber ~= *B0*']],
      [{ _tags: 'lab' }, ['tag = lab']],
      [{ _tags: { $ne: 'lab' } }, ['tag != lab']],
      [{ _lastInform: { $gt: new Date(Date.now() - 3_600_000).toISOString() } }, ['lastInform > -1h']],
      [{ _lastInform: { $lt: new Date(Date.now() - 3_600_000).toISOString() } }, ['lastInform < -1h']],
    ];
    for (const [query, filters] of pairs) {
      const genie = idsOf(await api.get(`/devices/?query=${encodeURIComponent(JSON.stringify(query))}`));
      const native = idsOf(await api.get(`/devices?${filters.map((f) => `filter=${encodeURIComponent(f)}`).join('&')}`));
      expect(genie, JSON.stringify(query)).toEqual(native);
    }
    expect(idsOf(await api.get(`/devices/?query=${encodeURIComponent('{"Device.DeviceInfo.SoftwareVersion":{"$gt":1.5}}')}`))).toEqual([ids[1], ids[2]]);
    const bad = await api.get(`/devices/?query=${encodeURIComponent('{"$or":[]}')}`);
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe('INVALID_FILTER');
  });

  it('projection names fields as GenieACS does', async () => {
    const r = await api.get(`/devices?query=${encodeURIComponent(JSON.stringify({ _id: ids[0] }))}&projection=_id,_tags,Device.DeviceInfo.SoftwareVersion._value`);
    expect(r.status).toBe(200);
    expect(r.body.devices[0]).toMatchObject({ id: ids[0], tags: ['lab'], parameters: { 'Device.DeviceInfo.SoftwareVersion': expect.objectContaining({ value: '1.0' }) } });
  });

  it('task bodies with ?connection_request and ?timeout run as their native twins', async () => {
    const id = inPath(ids[1]!);
    const cases: [Record<string, unknown>, Record<string, unknown>][] = [
      [{ name: 'getParameterValues', parameterNames: ['Device.DeviceInfo.UpTime'] }, { type: 'getParameterValues', parameterNames: ['Device.DeviceInfo.UpTime'] }],
      [{ name: 'setParameterValues', parameterValues: [['Device.DeviceInfo.ProvisioningCode', 'genie']] }, { type: 'setParameterValues', parameterValues: [['Device.DeviceInfo.ProvisioningCode', 'genie']] }],
      [{ name: 'refreshObject', objectName: 'Device.DeviceInfo' }, { type: 'refresh', objectName: 'Device.DeviceInfo.' }],
    ];
    for (const [genie, native] of cases) {
      const g = await api.post(`/devices/${id}/tasks?connection_request&timeout=10000`, genie);
      const n = await api.post(`/devices/${id}/tasks?connectionRequest=true&wait=10`, native);
      expect(g.status, JSON.stringify(genie)).toBe(200);
      expect(n.status).toBe(200);
      expect(g.body.state).toBe('done');
      const same = (b: { task: unknown; state: string; fault: unknown; response: { method: string } | null }) => ({
        task: b.task,
        state: b.state,
        fault: b.fault,
        method: b.response?.method,
      });
      expect(same(g.body)).toEqual(same(n.body));
    }
    const reboot = await api.post(`/devices/${id}/tasks`, { name: 'reboot' });
    expect(reboot.status).toBe(202);
    expect(reboot.body.task).toMatchObject({ type: 'reboot' });
    const bulk = await api.post('/tasks', { filter: [`id = ${ids[2]}`], task: { name: 'factoryReset' } });
    expect(bulk.status).toBe(201);
    expect(bulk.body.count).toBe(1);
  });

  it('hostile GenieACS bodies are 400s and queue nothing', async () => {
    const id = inPath(ids[2]!);
    const before = (await api.get(`/devices/${id}/tasks`)).body.total;
    for (const body of [{ name: 'reboot', extra: 1 }, { name: 'nope' }, { name: 'download', file: 'x' }, { name: 'getParameterValues', parameterNames: 'x' }, { name: null }]) {
      const r = await api.post(`/devices/${id}/tasks`, body);
      expect(r.status, JSON.stringify(body)).toBe(400);
    }
    expect((await api.post(`/devices/${id}/tasks?timeout=-1`, { name: 'reboot' })).status).toBe(400);
    expect((await api.get(`/devices/${id}/tasks`)).body.total).toBe(before);
  });
});
