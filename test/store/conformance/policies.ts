/**
 * Concern: provisioning policies (src/store/concerns/policies.ts), and the policy part of a
 * session: the memo openSession returns and the `policy` write of commitSession.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import type { DeviceFilter, PolicyRecord, Store } from '../../../src/store/types.js';
import { A, T0, TTL, commitOf, harness, idOf, type StoreFixture } from './harness.js';

const policy = (over: Partial<PolicyRecord> = {}): PolicyRecord => ({
  id: 'p1',
  name: 'ntp',
  filter: ['productClass = IGD'],
  filters: [{ field: 'productClass', op: 'eq', value: 'IGD' }],
  triggers: ['0 BOOTSTRAP'],
  priority: 5,
  enabled: true,
  declarations: [{ path: 'Device.Time.NTPServer1', value: 'ntp.test' }],
  revision: 1,
  createdAt: T0,
  updatedAt: T0,
  author: 'alice',
  ...over,
});

export function policiesConformance(name: string, factory: () => Promise<StoreFixture>): void {
  describe(`Store conformance, policies: ${name}`, () => {
    const h = harness(factory);
    let store: Store;
    beforeEach(() => {
      store = h.store;
    });

    it('create, get, list by priority, update with the next revision only, revisions newest first, delete', async () => {
      const p1 = policy();
      // Scripts (a value source, a policy-level script) are kept as written.
      const p2 = policy({
        id: 'p2',
        name: 'wifi',
        priority: 9,
        description: 'ssid',
        declarations: [{ path: 'Device.WiFi.SSID.1.SSID', from: { script: 'return "w-" + device.serialNumber' } }],
        script: 'declare("Device.Time.NTPServer2", param("Device.X"))',
      });
      await store.createPolicy(p1);
      await store.createPolicy(p2);
      expect(await store.getPolicy('p1')).toEqual(p1);
      expect(await store.getPolicy('p2')).toEqual(p2);
      expect(await store.getPolicy('nope')).toBeNull();
      expect((await store.listPolicies()).map((p) => p.id)).toEqual(['p2', 'p1']);
      await expect(store.createPolicy(p1)).rejects.toThrow();
      const v2 = { ...p1, revision: 2, priority: 1, author: 'bob', updatedAt: T0 + 10, declarations: [] };
      expect(await store.updatePolicy({ ...v2, revision: 3 })).toBe(false);
      expect(await store.updatePolicy(v2)).toBe(true);
      expect(await store.updatePolicy(v2)).toBe(false);
      expect(await store.updatePolicy({ ...v2, id: 'nope' })).toBe(false);
      expect(await store.getPolicy('p1')).toEqual(v2);
      const revs = await store.listPolicyRevisions('p1');
      expect(revs.map((r) => [r.revision, r.author, r.at])).toEqual([
        [2, 'bob', T0 + 10],
        [1, 'alice', T0],
      ]);
      expect(revs[1]!.definition.declarations).toEqual(p1.declarations);
      expect(await store.deletePolicy('p1')).toBe(true);
      expect(await store.deletePolicy('p1')).toBe(false);
      expect(await store.listPolicyRevisions('p1')).toEqual([]);
    });

    it('a session commit writes the memo (read back by openSession) and compliance rows; counts by revision', async () => {
      await store.createPolicy(policy());
      await store.createPolicy(policy({ id: 'p2' }));
      const d1 = idOf('S1');
      const d2 = idOf('S2');
      const open = async (d: string) => store.openSession({ deviceId: d, lockOwner: A, lockTtlMs: TTL, now: T0 });
      expect((await open(d1)).policyMemo).toBeNull();
      const fault = { faultCode: 9007, faultString: 'Invalid parameter value', path: 'Device.Time.NTPServer1' };
      await store.commitSession(
        commitOf(d1, {
          policy: {
            memo: 'memo-1',
            evaluated: ['p1', 'p2'],
            compliance: [
              { policyId: 'p1', revision: 1, state: 'compliant', fault: null, at: T0 },
              { policyId: 'p2', revision: 1, state: 'faulted', fault, at: T0 },
            ],
          },
        }),
      );
      expect((await open(d1)).policyMemo).toBe('memo-1');
      await store.commitSession(commitOf(d1));
      // Read without a lock, in bulk, for background jobs: only devices that have one.
      expect(await store.policyMemos([d1, d2, 'nope'])).toEqual({ [d1]: 'memo-1' });
      expect(await store.policyMemos([])).toEqual({});
      await expect(store.policyMemos(Array.from({ length: 1001 }, (_, i) => `d${i}`))).rejects.toThrow();
      await open(d2);
      await store.commitSession(
        commitOf(d2, { policy: { memo: 'memo-2', evaluated: ['p1'], compliance: [{ policyId: 'p1', revision: 0, state: 'compliant', fault: null, at: T0 }] } }),
      );
      expect(await store.policyCompliance('p1', 1)).toEqual({ compliant: 1, faulted: 0, pending: 1 });
      expect(await store.policyCompliance('p2', 1)).toEqual({ compliant: 0, faulted: 1, pending: 0 });
      // The device list filtered by compliance (policy.<id> = state in the NBI).
      const ids = async (filters: DeviceFilter[]) => (await store.listDevices({ filters })).devices.map((d) => d.id).sort();
      expect(await ids([{ field: 'policy', policyId: 'p2', op: 'eq', value: 'faulted' }])).toEqual([d1]);
      expect(await ids([{ field: 'policy', policyId: 'p1', op: 'eq', value: 'compliant' }])).toEqual([d1, d2].sort());
      expect(await ids([{ field: 'policy', policyId: 'p2', op: 'ne', value: 'faulted' }])).toEqual([d2]);
      expect(await ids([{ field: 'policy', policyId: 'p1', op: 'eq', value: 'faulted' }])).toEqual([]);
      expect(await ids([{ field: 'policy', policyId: "x' OR 1=1 --", op: 'eq', value: 'faulted' }])).toEqual([]);
      const rows = await store.deviceCompliance(d1);
      expect(rows.map((r) => [r.policyId, r.state])).toEqual([
        ['p1', 'compliant'],
        ['p2', 'faulted'],
      ]);
      expect(rows[1]!.fault).toEqual(fault);
      // Evaluated again, p2 no longer applies: its row goes, p1's stays.
      expect((await open(d1)).policyMemo).toBe('memo-1');
      await store.commitSession(
        commitOf(d1, { policy: { memo: 'memo-3', evaluated: ['p2'], compliance: [] } }),
      );
      expect((await store.deviceCompliance(d1)).map((r) => r.policyId)).toEqual(['p1']);
      expect(await store.deletePolicy('p1')).toBe(true);
      expect(await store.deviceCompliance(d1)).toEqual([]);
      expect(await store.deleteDevice(d1)).toBe(true);
      expect((await open(d1)).policyMemo).toBeNull();
    });
  });
}
