/**
 * LiveModel in memory: providers' declarations become a tree every RPC of src/cpe/rpc
 * answers; writes reach the commit hook once all entries passed; instance numbers stay
 * stable across restarts and are never reused; notifications follow what the system shows.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LiveModel } from '../../src/cpe/agent/model.js';
import type { Provider } from '../../src/cpe/agent/provider.js';
import { StateFile } from '../../src/cpe/agent/state.js';
import { ManagementServerProvider } from '../../src/cpe/agent/providers/management-server.js';

const dirs: string[] = [];
const tmp = (): string => {
  const d = mkdtempSync(path.join(tmpdir(), 'flotilla-live-'));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** A table of "links" the test changes, like interfaces appearing and going. */
function linksProvider(links: { names: string[] }, commits: [string, string][][]): Provider {
  return {
    name: 'links',
    async refresh() {},
    declare(d, ctx) {
      d.object('Device.X_T_Links.', { table: true });
      for (const n of links.names) {
        const pre = `Device.X_T_Links.${ctx.instance('Device.X_T_Links.', n)}.`;
        d.object(pre);
        d.param(`${pre}Name`, { type: 'string' }, n);
      }
      d.object('Device.X_T_Conf.');
      d.param('Device.X_T_Conf.Level', { type: 'unsignedInt', writable: true, max: '9' }, ctx.stored('Level') ?? '1');
      d.param('Device.X_T_Conf.Label', { type: 'string', writable: true }, ctx.stored('Label') ?? '');
    },
    check: (p, v) => (p.endsWith('.Label') && v === 'nope' ? 9007 : 0),
    commit(writes, ctx) {
      commits.push(writes.map(([p, v]) => [p, v]));
      for (const [p, v] of writes) ctx.store(p.split('.').pop()!, v);
    },
  };
}

describe('LiveModel', () => {
  it('instance numbers: stable across a restart, never reused for another row', async () => {
    const dir = tmp();
    const links = { names: ['lo', 'eth0', 'wlan0'] };
    const m1 = new LiveModel({ providers: [linksProvider(links, [])], state: new StateFile(dir) });
    await m1.refresh();
    const names = (m: LiveModel): Record<string, string> => {
      const r = m.handle({ method: 'GetParameterValues', parameterNames: ['Device.X_T_Links.'] });
      if (r.response.method !== 'GetParameterValuesResponse') throw new Error('fault');
      return Object.fromEntries(r.response.parameterList.map((p) => [p.value, p.name]));
    };
    expect(names(m1)).toEqual({ lo: 'Device.X_T_Links.1.Name', eth0: 'Device.X_T_Links.2.Name', wlan0: 'Device.X_T_Links.3.Name' });
    links.names = ['wlan0', 'usb0', 'lo'];
    const m2 = new LiveModel({ providers: [linksProvider(links, [])], state: new StateFile(dir) });
    await m2.refresh();
    expect(names(m2)).toEqual({ lo: 'Device.X_T_Links.1.Name', wlan0: 'Device.X_T_Links.3.Name', usb0: 'Device.X_T_Links.4.Name' });
  });

  it('SetParameterValues: checked whole, committed once, ParameterKey kept', async () => {
    const dir = tmp();
    const commits: [string, string][][] = [];
    const state = new StateFile(dir);
    const m = new LiveModel({ providers: [linksProvider({ names: [] }, commits)], state });
    await m.refresh();
    const bad = m.handle({ method: 'SetParameterValues', parameterKey: 'k1', parameterList: [{ name: 'Device.X_T_Conf.Level', value: '5', type: 'xsd:unsignedInt' }, { name: 'Device.X_T_Conf.Label', value: 'nope', type: 'xsd:string' }] });
    expect(bad.response.method).toBe('Fault');
    const big = m.handle({ method: 'SetParameterValues', parameterKey: 'k1', parameterList: [{ name: 'Device.X_T_Conf.Level', value: '10', type: 'xsd:unsignedInt' }] });
    expect(big.response.method === 'Fault' && big.response.detail.setParameterValuesFault[0]?.faultCode).toBe(9007);
    expect(commits).toEqual([]);
    const ok = m.handle({ method: 'SetParameterValues', parameterKey: 'k2', parameterList: [{ name: 'Device.X_T_Conf.Level', value: '5', type: 'xsd:unsignedInt' }, { name: 'Device.X_T_Conf.Label', value: 'x', type: 'xsd:string' }] });
    expect(ok.response.method).toBe('SetParameterValuesResponse');
    expect(commits).toEqual([[['Device.X_T_Conf.Level', '5'], ['Device.X_T_Conf.Label', 'x']]]);
    expect(m.get('Device.X_T_Conf.Level')?.value).toBe('5');
    const again = new LiveModel({ providers: [linksProvider({ names: [] }, [])], state: new StateFile(dir) });
    expect(again.get('Device.X_T_Conf.Label')?.value).toBe('x');
    expect(new StateFile(dir).state.parameterKey).toBe('k2');
  });

  it('notification: a change the system shows is noticed on refresh; active sets hasActiveChange', async () => {
    let v = 'a';
    const p: Provider = { name: 'v', declare: (d) => d.param('Device.X_T_V', { type: 'string' }, () => v) };
    const m = new LiveModel({ providers: [p], state: new StateFile(tmp()) });
    await m.refresh();
    m.handle({ method: 'SetParameterAttributes', parameterList: [{ name: 'Device.X_T_V', notificationChange: true, notification: 1, accessListChange: false, accessList: [] }] });
    expect(await m.refresh()).toEqual([]);
    v = 'b';
    expect(await m.refresh()).toEqual([['Device.X_T_V', 'b']]);
    expect(m.hasValueChange()).toBe(true);
    expect(m.hasActiveChange()).toBe(false);
    expect(m.informParameters().map((x) => x.name)).toContain('Device.X_T_V');
    m.markInformed();
    m.handle({ method: 'SetParameterAttributes', parameterList: [{ name: 'Device.X_T_V', notificationChange: true, notification: 2, accessListChange: false, accessList: [] }] });
    v = 'c';
    await m.refresh();
    expect(m.hasActiveChange()).toBe(true);
  });

  it('a provider that throws keeps the rest of the tree, and is reported', async () => {
    const errors: string[] = [];
    const broken: Provider = {
      name: 'broken',
      refresh: () => Promise.reject(new Error('no /proc')),
      declare: () => {
        throw new Error('bad declare');
      },
    };
    const fine: Provider = { name: 'fine', declare: (d) => d.param('Device.X_T_Ok', { type: 'boolean' }, 'true') };
    const m = new LiveModel({ providers: [broken, fine], state: new StateFile(tmp()), onError: (n, e) => errors.push(`${n}: ${(e as Error).message}`) });
    await m.refresh();
    expect(m.get('Device.X_T_Ok')?.value).toBe('true');
    expect(errors).toEqual(expect.arrayContaining(['broken: no /proc', 'broken: bad declare']));
  });

  it('ManagementServer.HeartbeatPolicy (Annex O): declared, checked, written through and kept across a restart', async () => {
    const dir = tmp();
    const settings = { url: 'http://acs.example/', username: 'u', password: 'p', periodicInformInterval: 3600, connectionRequestUsername: 'c', connectionRequestPassword: 'd' };
    const provider = (): ManagementServerProvider => new ManagementServerProvider(settings, () => '');
    const m = new LiveModel({ providers: [provider()], state: new StateFile(dir) });
    await m.refresh();
    expect(m.get('Device.ManagementServer.HeartbeatPolicy.Enable')?.value).toBe('false');
    const short = m.handle({ method: 'SetParameterValues', parameterKey: 'h', parameterList: [{ name: 'Device.ManagementServer.HeartbeatPolicy.ReportingInterval', value: '10', type: 'xsd:unsignedInt' }] });
    expect(short.response.method).toBe('Fault');
    const set = m.handle({
      method: 'SetParameterValues',
      parameterKey: 'h',
      parameterList: [
        { name: 'Device.ManagementServer.HeartbeatPolicy.Enable', value: 'true', type: 'xsd:boolean' },
        { name: 'Device.ManagementServer.HeartbeatPolicy.ReportingInterval', value: '60', type: 'xsd:unsignedInt' },
      ],
    });
    expect(set.response.method).toBe('SetParameterValuesResponse');
    // What the client library reads to schedule heartbeats, and reschedules on.
    expect(set.effects).toContainEqual({ kind: 'managementServerChanged' });
    const again = new LiveModel({ providers: [provider()], state: new StateFile(dir) });
    await again.refresh();
    expect([again.get('Device.ManagementServer.HeartbeatPolicy.Enable')?.value, again.get('Device.ManagementServer.HeartbeatPolicy.ReportingInterval')?.value]).toEqual(['true', '60']);
  });
});
