/**
 * CWMP 1.4 instance selectors on the ACS side, pure: wildcard patterns, alias resolution from
 * stored rows, tasks made fit for a device, and the planner's two ways with wildcards.
 */
import { describe, expect, it } from 'vitest';
import type { RpcOutcome } from '../../src/cwmp/acs-session.js';
import type { AcsRequest, CpeResponse } from '../../src/cwmp/types.js';
import { AliasNumbers, aliasResolver, hasAlias, numberedEntries, hasWildcard, matchesPattern, wildcardPrefix } from '../../src/datamodel/instance-paths.js';
import { forDevice, usesAliases, usesWildcards } from '../../src/tasks/instance-selectors.js';
import { TaskPlan } from '../../src/tasks/planner.js';
import type { Task } from '../../src/tasks/types.js';

const rows = [
  { path: 'Device.NAT.PortMapping.3.Alias', value: 'web' },
  { path: 'Device.NAT.PortMapping.5.Alias', value: 'ssh' },
  { path: 'Device.NAT.PortMapping.5.ExternalPort', value: '22' },
  { path: 'Device.WiFi.AccessPoint.2.AssociatedDevice.7.Alias', value: 'phone' },
  { path: 'Device.WiFi.AccessPoint.2.Alias', value: 'guest' },
];

describe('paths', () => {
  it('recognises selectors and matches wildcard patterns segment by segment', () => {
    expect([hasWildcard('Device.WiFi.SSID.*.SSID'), hasWildcard('Device.X_*'), hasAlias('Device.NAT.PortMapping.[web].Enable'), hasAlias('Device.A.B')]).toEqual([true, false, true, false]);
    expect(wildcardPrefix('Device.WiFi.AccessPoint.*.AssociatedDevice.*.MACAddress')).toBe('Device.WiFi.AccessPoint.');
    expect(matchesPattern('Device.WiFi.SSID.*.SSID', 'Device.WiFi.SSID.12.SSID')).toBe(true);
    expect(matchesPattern('Device.WiFi.SSID.*.SSID', 'Device.WiFi.SSID.1.Stats.SSID')).toBe(false);
    expect(matchesPattern('Device.WiFi.SSID.*.SSID', 'Device.WiFi.SSID.x.SSID')).toBe(false);
    expect(matchesPattern('Device.WiFi.SSID.*.Stats.', 'Device.WiFi.SSID.2.Stats.BytesSent')).toBe(true);
    expect(matchesPattern('Device.WiFi.SSID.*.Stats.', 'Device.WiFi.SSID.2.Stats')).toBe(false);
    // What a device that resolved an alias answers.
    expect(matchesPattern('Device.NAT.PortMapping.[web].ExternalPort', 'Device.NAT.PortMapping.4.ExternalPort')).toBe(true);
  });

  it('resolves aliases, nested ones too, from stored Alias rows; unknown ones are null', () => {
    const r = aliasResolver(rows);
    expect(r('Device.NAT.PortMapping.[web].ExternalPort')).toBe('Device.NAT.PortMapping.3.ExternalPort');
    expect(r('Device.WiFi.AccessPoint.[guest].AssociatedDevice.[phone].MACAddress')).toBe('Device.WiFi.AccessPoint.2.AssociatedDevice.7.MACAddress');
    expect(r('Device.NAT.PortMapping.[rdp].Enable')).toBeNull();
    expect(r('Device.NAT.PortMapping.3.Enable')).toBe('Device.NAT.PortMapping.3.Enable');
  });
});

describe('tasks made fit for a device', () => {
  const spv: Task = { type: 'setParameterValues', parameterValues: [['Device.NAT.PortMapping.[ssh].ExternalPort', '2222', 'xsd:unsignedInt']], parameterKey: '' };

  it('a device that resolves aliases gets them as they are', () => {
    expect(usesAliases(spv)).toBe(true);
    expect(usesWildcards(spv)).toBe(false);
    expect(forDevice(spv, { aliases: true }, [])).toEqual({ ok: true, task: spv });
  });

  it('otherwise aliases become instance numbers; an unknown alias is refused with its path', () => {
    expect(forDevice(spv, { aliases: false }, rows)).toEqual({
      ok: true,
      task: { ...spv, parameterValues: [['Device.NAT.PortMapping.5.ExternalPort', '2222', 'xsd:unsignedInt']] },
    });
    const unknown: Task = { type: 'getParameterValues', parameterNames: ['Device.NAT.PortMapping.[rdp].'] };
    expect(forDevice(unknown, { aliases: false }, rows)).toEqual({ ok: false, path: 'Device.NAT.PortMapping.[rdp].' });
  });

  it('addObject "Table.[alias]." on such a device adds to Table and sets Alias first; an alias in use is refused', () => {
    const add: Task = { type: 'addObject', objectName: 'Device.NAT.PortMapping.[rdp].', parameterValues: [['ExternalPort', '3389', 'xsd:unsignedInt']], parameterKey: 'k' };
    expect(forDevice(add, { aliases: false }, rows)).toEqual({
      ok: true,
      task: { ...add, objectName: 'Device.NAT.PortMapping.', parameterValues: [['Alias', 'rdp', 'xsd:string'], ['ExternalPort', '3389', 'xsd:unsignedInt']] },
    });
    expect(forDevice({ ...add, objectName: 'Device.NAT.PortMapping.[web].' }, { aliases: false }, rows)).toMatchObject({ ok: false });
  });
});

describe('the planner with wildcards', () => {
  const task: Task = { type: 'getParameterValues', parameterNames: ['Device.WiFi.SSID.*.SSID', 'Device.DeviceInfo.UpTime'] };
  const value = (name: string, v: string) => ({ name, value: v, type: 'xsd:string' });
  const ok = (response: CpeResponse): RpcOutcome => ({ ok: true, response });

  it('a device that takes them is sent the wildcard, and the answer settles the task', () => {
    const plan = new TaskPlan([{ id: 't', task }], { wildcards: true });
    const rpc = plan.next()!;
    expect(rpc.request).toEqual({ method: 'GetParameterValues', parameterNames: ['Device.WiFi.SSID.*.SSID', 'Device.DeviceInfo.UpTime'] });
    const answer = [value('Device.WiFi.SSID.1.SSID', 'a'), value('Device.WiFi.SSID.2.SSID', 'b'), value('Device.DeviceInfo.UpTime', '9')];
    const out = plan.learn(ok({ method: 'GetParameterValuesResponse', parameterList: answer }), 1);
    expect(out).toMatchObject([{ requestId: 't', state: 'done', response: { parameterList: answer } }]);
    expect(plan.next()).toBeNull();
  });

  it('otherwise the table is listed first and only the matching names are read', () => {
    const plan = new TaskPlan([{ id: 't', task }], { wildcards: false });
    expect(plan.next()!.request).toEqual({ method: 'GetParameterNames', parameterPath: 'Device.WiFi.SSID.', nextLevel: false });
    const names = ['Device.WiFi.SSID.', 'Device.WiFi.SSID.1.', 'Device.WiFi.SSID.1.SSID', 'Device.WiFi.SSID.1.Enable', 'Device.WiFi.SSID.4.', 'Device.WiFi.SSID.4.SSID'];
    expect(plan.learn(ok({ method: 'GetParameterNamesResponse', parameterList: names.map((name) => ({ name, writable: true })) }), 1)).toEqual([]);
    const read = plan.next()!.request as Extract<AcsRequest, { method: 'GetParameterValues' }>;
    expect(read.parameterNames.sort()).toEqual(['Device.DeviceInfo.UpTime', 'Device.WiFi.SSID.1.SSID', 'Device.WiFi.SSID.4.SSID']);
    const answer = [value('Device.DeviceInfo.UpTime', '9'), value('Device.WiFi.SSID.1.SSID', 'a'), value('Device.WiFi.SSID.4.SSID', 'd')];
    expect(plan.learn(ok({ method: 'GetParameterValuesResponse', parameterList: answer }), 2)).toMatchObject([{ requestId: 't', state: 'done' }]);
  });

  it('a wildcard over an empty table settles with nothing read', () => {
    const plan = new TaskPlan([{ id: 't', task: { type: 'getParameterValues', parameterNames: ['Device.NAT.PortMapping.*.Enable'] } }], { wildcards: false });
    plan.next();
    const out = plan.learn(ok({ method: 'GetParameterNamesResponse', parameterList: [{ name: 'Device.NAT.PortMapping.', writable: true }] }), 1);
    expect(out).toMatchObject([{ requestId: 't', state: 'done', response: { method: 'GetParameterValuesResponse', parameterList: [] } }]);
    expect(plan.next()).toBeNull();
  });
});

describe('task checks', () => {
  it('an alias path is typed like any instance of its table', async () => {
    const { deviceContext, normalizeTask } = await import('../../src/tasks/validate.js');
    const ctx = deviceContext([{ path: 'Device.NAT.PortMapping.1.ExternalPort', type: 'xsd:unsignedInt' }]);
    const t = normalizeTask({ type: 'setParameterValues', parameterValues: [['Device.NAT.PortMapping.[web].ExternalPort', 8080]] }, ctx);
    expect(t).toMatchObject({ parameterValues: [['Device.NAT.PortMapping.[web].ExternalPort', '8080', 'xsd:unsignedInt']] });
  });
});

describe('AliasNumbers: answers named by alias (InstanceMode InstanceAlias) placed in a tree keyed by number', () => {
  it('learns from Alias values and from AddObject of "T.[alias]."; nested tables resolve level by level', () => {
    const a = new AliasNumbers();
    a.learnValue('Device.IP.Interface.2.Alias', 'lan');
    a.learnValue('Device.IP.Interface.3.Alias', '');
    a.learnValue('Device.IP.Interface.[x].Alias', 'x'); // an alias path teaches nothing
    a.learnAdded('Device.IP.Interface.[lan].IPv4Address.[main].', 4);
    a.learnAdded('Device.NAT.PortMapping.', 9); // unnamed: nothing to learn
    expect(a.toNumbers('Device.IP.Interface.[lan].IPv4Address.[main].IPAddress')).toBe('Device.IP.Interface.2.IPv4Address.4.IPAddress');
    expect(a.toNumbers('Device.IP.Interface.[lan].')).toBe('Device.IP.Interface.2.');
    expect(a.toNumbers('Device.IP.Interface.2.Enable')).toBe('Device.IP.Interface.2.Enable');
    expect(a.toNumbers('Device.IP.Interface.[wan].Enable')).toBeNull();
    expect(a.toNumbers('Device.IP.Interface.[x].Enable')).toBeNull();
    const { list, unplaced } = numberedEntries(
      [
        { name: 'Device.IP.Interface.[lan].Enable', value: '1' },
        { name: 'Device.IP.Interface.[wan].Enable', value: '0' },
        { name: 'Device.DeviceInfo.UpTime', value: '5' },
      ],
      a,
    );
    expect(list).toEqual([
      { name: 'Device.IP.Interface.2.Enable', value: '1' },
      { name: 'Device.DeviceInfo.UpTime', value: '5' },
    ]);
    expect(unplaced).toEqual(['Device.IP.Interface.[wan].Enable']);
  });
});
