/**
 * CWMP 1.4 paths through the API: tasks with instance wildcards and [alias] segments are
 * checked against the catalogue like any other (the alias or wildcard stands for an instance),
 * refused with a 400 naming the path when wrong, and carried out by a simulated router.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Api, SimFleet, inPath, startStack, until, type Stack } from './helpers.js';

let s: Stack;
let api: Api;
let fleet: SimFleet;

beforeAll(async () => {
  s = await startStack();
  api = s.api;
  fleet = new SimFleet(s.acs.cwmpUrl);
});

afterAll(async () => {
  await fleet?.close();
  await s?.close();
});

describe('wildcard and alias paths in tasks', () => {
  it('are accepted, checked like numbered instances, and run with a connection request', async () => {
    const { id, cpe } = await fleet.add('C14-1');
    await until(async () => {
      const r = await api.get(`/devices/${inPath(id)}?subtree=${encodeURIComponent('Device.ManagementServer.')}`);
      return r.status === 200 && Object.keys(r.body.parameters ?? {}).length > 5 ? true : null;
    });
    const tasks = `/devices/${inPath(id)}/tasks`;
    // Out of range through an alias: the catalogue's word, naming the path as given.
    const bad = await api.post(tasks, { type: 'setParameterValues', parameterValues: [['Device.NAT.PortMapping.[web].ExternalPort', 99999, 'xsd:unsignedInt']] });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toContain('Device.NAT.PortMapping.[web].ExternalPort');
    // Hostile spellings are refused before anything is queued.
    for (const path of ['Device.NAT.PortMapping.[we b].ExternalPort', 'Device.NAT.PortMapping.[web]..ExternalPort']) {
      expect((await api.post(tasks, { type: 'getParameterValues', parameterNames: [path] })).status, path).toBe(400);
    }
    expect((await api.get(tasks)).body.tasks).toEqual([]);

    const add = await api.post(`${tasks}?connectionRequest=true&wait=20`, {
      type: 'addObject',
      objectName: 'Device.NAT.PortMapping.[web].',
      parameterValues: [['ExternalPort', 8080, 'xsd:unsignedInt']],
    });
    expect(add.status, JSON.stringify(add.body)).toBeLessThan(300);
    await until(async () => ((await api.get(tasks)).body.tasks as { state: string }[]).every((t) => t.state === 'done') || null);
    expect(cpe.model.get('Device.NAT.PortMapping.1.Alias')?.value).toBe('web');
    const read = await api.post(`${tasks}?connectionRequest=true&wait=20`, { type: 'getParameterValues', parameterNames: ['Device.NAT.PortMapping.[web].ExternalPort', 'Device.WiFi.SSID.*.SSID'] });
    expect(read.status).toBeLessThan(300);
    const done = await until(async () => {
      const list = (await api.get(tasks)).body.tasks as { state: string; type?: string; response?: { parameterList?: { name: string; value: string }[] } }[];
      return list.find((t) => t.state === 'done' && t.response?.parameterList?.some((p) => p.name.endsWith('SSID'))) ?? null;
    });
    expect(done.response!.parameterList!.map((p) => [p.name, p.value])).toEqual([
      ['Device.NAT.PortMapping.1.ExternalPort', '8080'],
      ['Device.WiFi.SSID.1.SSID', 'Flotilla-2G'],
      ['Device.WiFi.SSID.2.SSID', 'Flotilla-5G'],
    ]);
  });
});
