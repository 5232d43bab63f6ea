/**
 * Concern: subscribers (src/store/concerns/subscribers.ts), and the claim openSession makes.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import type { DeviceBinding, Store, SubscriberRecord } from '../../../src/store/types.js';
import type { ServiceTemplate } from '../../../src/subscribers/template.js';
import { A, T0, TTL, harness, idOf, type StoreFixture } from './harness.js';

const sub = (id: string, externalId: string, extra: Partial<SubscriberRecord> = {}): SubscriberRecord => ({
  id,
  externalId,
  name: `Name ${id}`,
  contact: { phone: '+41 79 000 00 00' },
  services: [{ template: 'wifi', inputs: { ssid: 'home', passphrase: 'secret-pass' } }],
  revision: 1,
  createdAt: T0,
  updatedAt: T0,
  ...extra,
});

const binding = (id: string, subscriberId: string, extra: Partial<DeviceBinding>): DeviceBinding => ({
  id,
  subscriberId,
  deviceId: null,
  claimKind: 'serial',
  claimValue: 'SN',
  replaces: null,
  appliedRevision: null,
  statuses: [],
  createdAt: T0,
  boundAt: null,
  ...extra,
});

const custom: ServiceTemplate = { id: 'acme-x', name: 'X', inputs: [], mappings: { 'Device.': { set: [{ path: 'Device.X.Y', value: '1' }] } } };

export function subscribersConformance(name: string, factory: () => Promise<StoreFixture>): void {
  describe(`Store conformance, subscribers: ${name}`, () => {
    const h = harness(factory);
    let store: Store;
    beforeEach(() => {
      store = h.store;
    });

    it('subscribers: create (external ids unique), get, update bumps the revision only when services change, search, delete', async () => {
      expect(await store.createSubscriber(sub('s1', 'EXT-1'))).toBe(true);
      expect(await store.createSubscriber(sub('s2', 'EXT-1'))).toBe(false);
      expect(await store.createSubscriber(sub('s2', 'EXT-2', { name: 'Zoë Keller' }))).toBe(true);
      expect(await store.getSubscriber('s1')).toEqual(sub('s1', 'EXT-1'));
      expect(await store.getSubscriber('nope')).toBeNull();
      const renamed = await store.updateSubscriber('s1', { name: 'Anna' }, T0 + 1);
      expect(renamed).toMatchObject({ name: 'Anna', revision: 1, updatedAt: T0 + 1 });
      const same = await store.updateSubscriber('s1', { services: sub('s1', 'EXT-1').services }, T0 + 2);
      expect(same?.revision).toBe(1);
      const changed = await store.updateSubscriber('s1', { services: [] }, T0 + 3);
      expect(changed?.revision).toBe(2);
      expect(await store.updateSubscriber('nope', { name: 'x' }, T0)).toBeNull();
      expect((await store.listSubscribers({})).total).toBe(2);
      expect((await store.listSubscribers({ search: 'zoë' })).subscribers.map((s) => s.id)).toEqual(['s2']);
      expect((await store.listSubscribers({ search: 'ext-1' })).subscribers.map((s) => s.id)).toEqual(['s1']);
      expect((await store.listSubscribers({ search: '+41 79' })).total).toBe(2);
      expect((await store.listSubscribers({ limit: 1, offset: 1 })).subscribers.map((s) => s.id)).toEqual(['s2']);
      expect(await store.deleteSubscriber('s1')).toBe(true);
      expect(await store.deleteSubscriber('s1')).toBe(false);
    });

    it('bindings: a device belongs to one subscriber, a pending claim to one binding; status and history are kept', async () => {
      await store.createSubscriber(sub('s1', 'E1'));
      await store.createSubscriber(sub('s2', 'E2'));
      const dev = idOf('D1');
      expect(await store.addBinding(binding('b1', 's1', { deviceId: dev, claimKind: 'device', claimValue: dev, boundAt: T0 }))).toBe('ok');
      expect(await store.addBinding(binding('b1x', 's1', { deviceId: dev, claimKind: 'device', claimValue: dev, boundAt: T0 }))).toBe('ok');
      expect(await store.addBinding(binding('b2', 's2', { deviceId: dev, claimKind: 'device', claimValue: dev, boundAt: T0 }))).toBe('taken');
      expect(await store.addBinding(binding('b3', 's1', { claimValue: 'SER-9' }))).toBe('ok');
      expect(await store.addBinding(binding('b4', 's2', { claimValue: 'SER-9' }))).toBe('taken');
      expect((await store.listBindings('s1')).map((b) => b.id)).toEqual(['b1', 'b3']);
      expect((await store.bindingOfDevice(dev))?.id).toBe('b1');
      await store.recordServiceStatus('b1', 3, [{ template: 'wifi', state: 'applied', at: T0 }]);
      expect(await store.bindingOfDevice(dev)).toMatchObject({ appliedRevision: 3, statuses: [{ template: 'wifi', state: 'applied', at: T0 }] });
      expect((await store.listSubscribers({ search: dev })).subscribers.map((s) => s.id)).toEqual(['s1']);
      expect((await store.removeBinding('s2', 'b1'))).toBeNull();
      expect((await store.removeBinding('s1', 'b1'))?.deviceId).toBe(dev);
      expect(await store.bindingOfDevice(dev)).toBeNull();
      await store.appendSubscriberHistory({ subscriberId: 's1', at: T0, action: 'bound', deviceId: dev, detail: 'a' });
      await store.appendSubscriberHistory({ subscriberId: 's1', at: T0 + 1, action: 'unbound', deviceId: dev, detail: 'b' });
      expect((await store.listSubscriberHistory('s1', 10)).map((e) => e.detail)).toEqual(['b', 'a']);
      expect(await store.deleteSubscriber('s1')).toBe(true);
      expect(await store.listBindings('s1')).toEqual([]);
      expect(await store.listSubscriberHistory('s1', 10)).toEqual([]);
    });

    it('openSession claims a pending serial for the device, unbinds the one it replaces, and returns the services', async () => {
      await store.createSubscriber(sub('s1', 'E1'));
      const old = idOf('OLD');
      const dev = idOf('NEW');
      await store.addBinding(binding('b-old', 's1', { deviceId: old, claimKind: 'device', claimValue: old, boundAt: T0, appliedRevision: 1 }));
      await store.addBinding(binding('b-new', 's1', { claimValue: 'NEW', replaces: old }));
      await store.putServiceTemplate(custom, T0);
      await store.updateSubscriber('s1', { services: [...sub('s1', 'E1').services, { template: 'acme-x', inputs: {} }] }, T0);
      // Without claims nothing is bound.
      const plain = await store.openSession({ deviceId: dev, lockOwner: A, lockTtlMs: TTL, now: T0 });
      expect(plain.subscriber ?? null).toBeNull();
      await store.releaseLock(dev, A);
      const r = await store.openSession({ deviceId: dev, lockOwner: A, lockTtlMs: TTL, now: T0 + 10, claims: { serialNumber: 'NEW', codes: [] } });
      expect(r.subscriber).toMatchObject({ subscriberId: 's1', revision: 2, claimedNow: true, binding: { id: 'b-new', deviceId: dev, boundAt: T0 + 10 } });
      expect(r.subscriber?.services.map((s) => s.template)).toEqual(['wifi', 'acme-x']);
      expect(r.subscriber?.templates).toEqual([custom]);
      await store.releaseLock(dev, A);
      expect(await store.bindingOfDevice(old)).toBeNull();
      const actions = (await store.listSubscriberHistory('s1', 10)).map((e) => `${e.action} ${e.deviceId}`);
      expect(actions).toEqual(expect.arrayContaining([`claimed ${dev}`, `unbound ${old}`]));
      // The next session finds the binding by the device, not by a claim.
      const again = await store.openSession({ deviceId: dev, lockOwner: A, lockTtlMs: TTL, now: T0 + 20, claims: { serialNumber: 'NEW', codes: [] } });
      expect(again.subscriber).toMatchObject({ claimedNow: false, binding: { id: 'b-new' } });
      await store.releaseLock(dev, A);
      // A code claim works the same way; a claim pending elsewhere is not taken by a device that has a binding.
      await store.addBinding(binding('b-code', 's1', { claimKind: 'code', claimValue: 'PC-77' }));
      const other = idOf('OTHER');
      const byCode = await store.openSession({ deviceId: other, lockOwner: A, lockTtlMs: TTL, now: T0 + 30, claims: { serialNumber: 'OTHER', codes: ['PC-77'] } });
      expect(byCode.subscriber?.binding.id).toBe('b-code');
      await store.releaseLock(other, A);
    });

    it('templates, activation codes (single use, expiring) and self-service tokens', async () => {
      await store.createSubscriber(sub('s1', 'E1'));
      await store.putServiceTemplate(custom, T0);
      await store.putServiceTemplate({ ...custom, name: 'X2' }, T0 + 1);
      expect(await store.listServiceTemplates()).toEqual([{ ...custom, name: 'X2' }]);
      expect(await store.countTemplateUses('acme-x')).toBe(0);
      expect(await store.countTemplateUses('wifi')).toBe(1);
      expect(await store.deleteServiceTemplate('acme-x')).toBe(true);
      expect(await store.deleteServiceTemplate('acme-x')).toBe(false);
      await store.createActivationCode({ hash: 'h1', subscriberId: 's1', expiresAt: T0 + 100, createdAt: T0 });
      await store.createActivationCode({ hash: 'h2', subscriberId: 's1', expiresAt: T0 + 100, createdAt: T0 });
      expect(await store.redeemActivationCode('h1', T0 + 1)).toBe('s1');
      expect(await store.redeemActivationCode('h1', T0 + 2)).toBeNull();
      expect(await store.redeemActivationCode('h2', T0 + 100)).toBeNull();
      expect(await store.redeemActivationCode('nope', T0)).toBeNull();
      const tok = { id: 'k1', subscriberId: 's1', name: 'app', lookup: 'abcd', hash: 'f'.repeat(64), createdAt: T0 };
      await store.createSubscriberToken(tok);
      expect(await store.findSubscriberToken('abcd')).toEqual(tok);
      expect(await store.findSubscriberToken('zzzz')).toBeNull();
    });
  });
}
