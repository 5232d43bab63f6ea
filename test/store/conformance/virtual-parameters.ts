/**
 * Concern: virtual parameters (src/store/concerns/virtual-parameters.ts): definitions by name,
 * revisions that move one at a time, scripts kept as written.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import type { Store, VirtualParameterRecord } from '../../../src/store/types.js';
import { T0, harness, type StoreFixture } from './harness.js';

const vp = (over: Partial<VirtualParameterRecord> = {}): VirtualParameterRecord => ({
  name: 'WanIp',
  description: 'the WAN address, TR-098 or TR-181',
  read: 'return param("Device.IP.Interface.1.IPv4Address.1.IPAddress") ?? param("InternetGatewayDevice.WANDevice.1.WANConnectionDevice.1.WANIPConnection.1.ExternalIPAddress")',
  write: 'declare("Device.IP.Interface.1.IPv4Address.1.IPAddress", value)',
  revision: 1,
  createdAt: T0,
  updatedAt: T0,
  author: 'alice',
  ...over,
});

export function virtualParametersConformance(name: string, factory: () => Promise<StoreFixture>): void {
  describe(`Store conformance, virtual parameters: ${name}`, () => {
    const h = harness(factory);
    let store: Store;
    beforeEach(() => {
      store = h.store;
    });

    it('create (a taken name is refused), get, list by name, update with the next revision only, delete', async () => {
      const a = vp();
      const b = vp({ name: 'Ssid', read: 'return "x"', description: undefined, write: undefined });
      delete b.description;
      delete b.write;
      expect(await store.createVirtualParameter(a)).toBe(true);
      expect(await store.createVirtualParameter(b)).toBe(true);
      expect(await store.createVirtualParameter({ ...a, read: 'return 1' })).toBe(false);
      expect(await store.getVirtualParameter('WanIp')).toEqual(a);
      expect(await store.getVirtualParameter('Ssid')).toEqual(b);
      expect(await store.getVirtualParameter('nope')).toBeNull();
      expect((await store.listVirtualParameters()).map((v) => v.name)).toEqual(['Ssid', 'WanIp']);
      const v2 = { ...a, revision: 2, read: 'return "y"', author: 'bob', updatedAt: T0 + 5 };
      delete (v2 as Partial<VirtualParameterRecord>).write;
      expect(await store.updateVirtualParameter({ ...v2, revision: 3 })).toBe(false);
      expect(await store.updateVirtualParameter(v2)).toBe(true);
      expect(await store.updateVirtualParameter(v2)).toBe(false);
      expect(await store.updateVirtualParameter({ ...v2, name: 'Nope' })).toBe(false);
      expect(await store.getVirtualParameter('WanIp')).toEqual(v2);
      expect(await store.deleteVirtualParameter('WanIp')).toBe(true);
      expect(await store.deleteVirtualParameter('WanIp')).toBe(false);
      expect((await store.listVirtualParameters()).map((v) => v.name)).toEqual(['Ssid']);
    });
  });
}
