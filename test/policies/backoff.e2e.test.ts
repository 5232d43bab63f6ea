/**
 * Back-off per device and policy, end to end (simulated CPEs over loopback, SQLite): a
 * faulted policy shows when it is tried again, waits that long even when the device is
 * evaluated for another policy's change, and the device list filters on compliance.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Api, SimFleet, inPath, startStack, until, type Stack } from '../nbi/helpers.js';

let s: Stack;
let api: Api;
let fleet: SimFleet;
const BASE = 60 * 60_000;

beforeAll(async () => {
  s = await startStack({ acs: { discoverOnBootstrap: false, policyRetryBaseMs: BASE } });
  api = s.api;
  fleet = new SimFleet(s.acs.cwmpUrl);
});

afterAll(async () => {
  await fleet?.close();
  await s?.close();
});

async function session(serial: string): Promise<void> {
  const before = fleet.sessionsOf(serial).length;
  fleet.cpes.get(serial)!.inform('2 PERIODIC');
  await until(() => fleet.sessionsOf(serial).length > before && fleet.sessionsOf(serial).at(-1)!.ok);
}

const REFUSED = 'Device.WiFi.AccessPoint.1.Security.ModeEnabled';

describe('back-off per device and policy', () => {
  it('the faulted policy waits; the other policy of the device goes on; compliance says when; the list filters on it', async () => {
    const bad = (await api.post('/policies', { name: 'refused', filter: ['serialNumber ^= POLB'], declarations: [{ path: REFUSED, value: 'WEP-64' }] })).body.id as string;
    const good = (await api.post('/policies', { name: 'ntp', filter: ['serialNumber ^= POLB'], declarations: [{ path: 'Device.Time.NTPServer4', value: 'a.ntp.test' }] })).body.id as string;
    const t0 = Date.now();
    const { cpe, id } = await fleet.add('POLB001');
    await fleet.add('POLB002');
    const rows = (await api.get(`/devices/${inPath(id)}/policies`)).body.compliance as { policyId: string; state: string; fault: { retryAt?: number } | null }[];
    const faulted = rows.find((r) => r.policyId === bad)!;
    expect(faulted.state).toBe('faulted');
    expect(faulted.fault!.retryAt).toBeGreaterThanOrEqual(t0 + BASE);
    expect(faulted.fault!.retryAt).toBeLessThanOrEqual(Date.now() + BASE);
    expect(rows.find((r) => r.policyId === good)).toMatchObject({ state: 'compliant', fault: null });

    // The device list by compliance: both devices are faulted on one policy, compliant on the other.
    const list = async (filter: string) => ((await api.get(`/devices?filter=${encodeURIComponent(filter)}`)).body.devices as { id: string }[]).map((d) => d.id).sort();
    expect(await list(`policy.${bad} = faulted`)).toHaveLength(2);
    expect(await list(`policy.${good} = faulted`)).toEqual([]);
    expect(await list(`policy.${good} != faulted`)).toHaveLength(2);
    expect(await list(`policy.${bad} = faulted`)).toContain(id);
    for (const f of [`policy.${bad} = broken`, `policy.${bad} > faulted`, 'policy.<x> = faulted', `policy.${'a'.repeat(65)} = faulted`]) {
      const r = await api.get(`/devices?filter=${encodeURIComponent(f)}`);
      expect(r.status, f).toBe(400);
      expect(r.body.code).toBe('INVALID_FILTER');
    }
    // A policy cannot be filtered on compliance (it would chase itself).
    const self = await api.post('/policies', { name: 'x', filter: [`policy.${bad} = faulted`], declarations: [] });
    expect(self.status).toBe(400);
    expect(self.body.position).toMatchObject({ field: 'filter[0]' });

    // Another policy changes: the device is evaluated at its next session, the faulted one is
    // not tried again (inside its back-off), the changed one is applied.
    const put = await api.put(`/policies/${good}`, { name: 'ntp', filter: ['serialNumber ^= POLB'], declarations: [{ path: 'Device.Time.NTPServer4', value: 'b.ntp.test' }] });
    expect(put.status).toBe(200);
    await until(async () => (await api.get(`/policies/${good}`)).body.revision === 2);
    await new Promise((r) => setTimeout(r, 200)); // the ACS reloads its policy set on the change event
    await session('POLB001');
    const last = fleet.sessionsOf('POLB001').at(-1)!;
    expect(cpe.model.get('Device.Time.NTPServer4')?.value).toBe('b.ntp.test');
    const sets = last.rpcs.filter((r) => r.method === 'SetParameterValues');
    expect(sets).toHaveLength(1);
    expect(cpe.model.get(REFUSED)?.value).not.toBe('WEP-64');
    const after = (await api.get(`/devices/${inPath(id)}/policies`)).body.compliance as { policyId: string; state: string; fault: { retryAt?: number } | null }[];
    // Its row is as it was: same retry time, not a second fault.
    expect(after.find((r) => r.policyId === bad)!.fault!.retryAt).toBe(faulted.fault!.retryAt);
    expect(after.find((r) => r.policyId === good)).toMatchObject({ state: 'compliant', revision: 2 });
  });
});
