/**
 * Concern: alarms (src/store/concerns/alarms.ts): the built-in rules, rule CRUD, raise /
 * update / clear / acknowledge as transitions (one active alarm per rule and device, even when
 * raised concurrently), history, filters, counts, event counting, device deletion.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import type { Store } from '../../../src/store/types.js';
import { harness, idOf, T0, type StoreFixture } from './harness.js';

export function alarmsConformance(name: string, factory: () => Promise<StoreFixture>): void {
  describe(`Store conformance, alarms: ${name}`, () => {
    const h = harness(factory);
    let store: Store;
    beforeEach(() => {
      store = h.store;
    });

    it('ships the built-in rules, which can be changed and disabled but not deleted', async () => {
      const rules = await store.listAlarmRules();
      const ids = rules.filter((r) => r.builtin).map((r) => r.id);
      expect(ids).toEqual(expect.arrayContaining(['builtin-offline', 'builtin-boots', 'builtin-diagnostic-failed', 'builtin-campaign-failed', 'builtin-policy-faulted']));
      const offline = rules.find((r) => r.id === 'builtin-offline')!;
      expect(offline).toMatchObject({ enabled: true, severity: 'major', condition: { kind: 'offline', periods: 2 } });
      expect(await store.deleteAlarmRule('builtin-offline')).toBe(false);
      const changed = await store.updateAlarmRule('builtin-offline', { name: offline.name, enabled: false, severity: 'critical', condition: { kind: 'offline', periods: 3 } }, T0);
      expect(changed).toMatchObject({ id: 'builtin-offline', builtin: true, enabled: false, severity: 'critical', condition: { periods: 3 }, updatedAt: T0 });
      // The change is a row; the other built-ins are still as shipped.
      expect((await store.listAlarmRules()).find((r) => r.id === 'builtin-boots')).toMatchObject({ builtin: true, enabled: true, createdAt: 0 });
      await store.updateAlarmRule('builtin-offline', { name: offline.name, enabled: true, severity: 'major', condition: offline.condition }, offline.updatedAt);
    });

    it('creates, lists, updates and deletes operator rules', async () => {
      const r = await store.createAlarmRule({ name: 'hot', enabled: true, severity: 'minor', condition: { kind: 'threshold', path: 'X.T', above: 80, forSeconds: 60 } }, T0);
      expect(r).toMatchObject({ builtin: false, createdAt: T0, condition: { path: 'X.T', above: 80 } });
      expect((await store.listAlarmRules()).find((x) => x.id === r.id)).toEqual(r);
      expect(await store.updateAlarmRule('nope', { name: 'x', enabled: true, severity: 'minor', condition: { kind: 'offline', periods: 2 } }, T0)).toBeNull();
      expect(await store.deleteAlarmRule(r.id)).toBe(true);
      expect(await store.deleteAlarmRule(r.id)).toBe(false);
    });

    it('raise, update, clear and acknowledge are transitions, each in the history', async () => {
      const dev = idOf('AL1');
      const a = await store.raiseAlarm({ ruleId: 'builtin-cpu', deviceId: dev, severity: 'warning', text: 'CPU 95', at: T0 });
      expect(a.transition).toBe('raised');
      expect(a.alarm).toMatchObject({ state: 'active', severity: 'warning', text: 'CPU 95', raisedAt: T0, count: 1, acknowledgedAt: null, clearedAt: null });
      // The same condition again: no transition, seen once more.
      const same = await store.raiseAlarm({ ruleId: 'builtin-cpu', deviceId: dev, severity: 'warning', text: 'CPU 95', at: T0 + 1 });
      expect(same).toMatchObject({ transition: 'none', alarm: { id: a.alarm.id, count: 2, updatedAt: T0 + 1 } });
      const upd = await store.raiseAlarm({ ruleId: 'builtin-cpu', deviceId: dev, severity: 'major', text: 'CPU 99', at: T0 + 2 });
      expect(upd).toMatchObject({ transition: 'updated', alarm: { id: a.alarm.id, severity: 'major', text: 'CPU 99' } });
      const ack = await store.acknowledgeAlarm(a.alarm.id, 'alice', T0 + 3);
      expect(ack).toMatchObject({ changed: true, alarm: { acknowledgedAt: T0 + 3, acknowledgedBy: 'alice' } });
      expect((await store.acknowledgeAlarm(a.alarm.id, 'bob', T0 + 4))?.changed).toBe(false);
      expect(await store.acknowledgeAlarm('nope', 'bob', T0)).toBeNull();
      const cleared = await store.clearAlarm({ ruleId: 'builtin-cpu', deviceId: dev, text: 'CPU 40', at: T0 + 5 });
      expect(cleared).toMatchObject({ id: a.alarm.id, state: 'cleared', clearedAt: T0 + 5 });
      expect(await store.clearAlarm({ ruleId: 'builtin-cpu', deviceId: dev, text: 'x', at: T0 + 6 })).toBeNull();
      expect((await store.alarmHistory(a.alarm.id)).map((e) => [e.action, e.severity, e.text, e.actor])).toEqual([
        ['raised', 'warning', 'CPU 95', null],
        ['updated', 'major', 'CPU 99', null],
        ['acknowledged', 'major', 'CPU 99', 'alice'],
        ['cleared', 'major', 'CPU 40', null],
      ]);
      // Raised again after a clear: a new alarm.
      const again = await store.raiseAlarm({ ruleId: 'builtin-cpu', deviceId: dev, severity: 'warning', text: 'CPU 91', at: T0 + 7 });
      expect(again.transition).toBe('raised');
      expect(again.alarm.id).not.toBe(a.alarm.id);
      expect(await store.getAlarm(a.alarm.id)).toMatchObject({ state: 'cleared' });
    });

    it('one active alarm per rule and device, however many raise it at once', async () => {
      const dev = idOf('AL2');
      const results = await Promise.all(Array.from({ length: 8 }, (_, i) => store.raiseAlarm({ ruleId: 'builtin-boots', deviceId: dev, severity: 'minor', text: 'boots', at: T0 + i })));
      expect(results.filter((r) => r.transition === 'raised')).toHaveLength(1);
      expect(new Set(results.map((r) => r.alarm.id)).size).toBe(1);
      expect((await store.listAlarms({ deviceId: dev, limit: 10 })).total).toBe(1);
    });

    it('filters, pages and counts', async () => {
      const devs = [idOf('AL3'), idOf('AL4'), idOf('AL5')];
      await store.raiseAlarm({ ruleId: 'builtin-offline', deviceId: devs[0]!, severity: 'major', text: 'offline', at: T0 });
      await store.raiseAlarm({ ruleId: 'builtin-offline', deviceId: devs[1]!, severity: 'major', text: 'offline', at: T0 + 1 });
      const c = await store.raiseAlarm({ ruleId: 'builtin-boots', deviceId: devs[2]!, severity: 'critical', text: 'boots', at: T0 + 2 });
      await store.acknowledgeAlarm(c.alarm.id, 'ops', T0 + 3);
      await store.clearAlarm({ ruleId: 'builtin-offline', deviceId: devs[1]!, text: 'back', at: T0 + 4 });
      expect(await store.alarmCounts()).toEqual({ active: { critical: 1, major: 1, minor: 0, warning: 0 }, unacknowledged: 1 });
      expect((await store.listAlarms({ state: 'active', limit: 10 })).total).toBe(2);
      expect((await store.listAlarms({ severities: ['critical'], limit: 10 })).alarms.map((a) => a.deviceId)).toEqual([devs[2]]);
      expect((await store.listAlarms({ acknowledged: false, state: 'active', limit: 10 })).alarms.map((a) => a.deviceId)).toEqual([devs[0]]);
      expect((await store.listAlarms({ ruleId: 'builtin-offline', limit: 10 })).total).toBe(2);
      // Newest change first, paged.
      const page = await store.listAlarms({ limit: 1, offset: 1 });
      expect(page.total).toBe(3);
      expect(page.alarms).toHaveLength(1);
      expect((await store.activeAlarmsOf('builtin-offline', 10)).map((a) => a.deviceId)).toEqual([devs[0]]);
    });

    it("lists and counts narrowed to the devices some filters match (a scoped principal's view)", async () => {
      const north = await h.device({ serial: 'ALN', at: T0, tags: ['north'] });
      const south = await h.device({ serial: 'ALS', at: T0, tags: ['south'] });
      await store.raiseAlarm({ ruleId: 'builtin-offline', deviceId: north, severity: 'major', text: 'offline', at: T0 });
      await store.raiseAlarm({ ruleId: 'builtin-offline', deviceId: south, severity: 'major', text: 'offline', at: T0 + 1 });
      await store.raiseAlarm({ ruleId: 'builtin-boots', deviceId: south, severity: 'critical', text: 'boots', at: T0 + 2 });
      const tagNorth = [{ field: 'tag' as const, op: 'eq' as const, value: 'north' }];
      const mine = await store.listAlarms({ devices: tagNorth, limit: 10 });
      expect([mine.total, mine.alarms.map((a) => a.deviceId)]).toEqual([1, [north]]);
      expect((await store.listAlarms({ devices: tagNorth, severities: ['critical'], limit: 10 })).total).toBe(0);
      expect((await store.listAlarms({ devices: [{ field: 'tag', op: 'eq', value: 'south' }], state: 'active', limit: 1, offset: 1 })).alarms.map((a) => a.ruleId)).toEqual(['builtin-offline']);
      expect(await store.alarmCounts(tagNorth)).toEqual({ active: { critical: 0, major: 1, minor: 0, warning: 0 }, unacknowledged: 1 });
      expect(await store.alarmCounts([{ field: 'tag', op: 'eq', value: 'nowhere' }])).toEqual({ active: { critical: 0, major: 0, minor: 0, warning: 0 }, unacknowledged: 0 });
      expect((await store.alarmCounts()).active).toEqual({ critical: 1, major: 2, minor: 0, warning: 0 });
    });

    it('counts events in a window, forgetting older ones', async () => {
      const dev = idOf('AL6');
      expect(await store.countAlarmEvents('builtin-boots', dev, T0, T0 - 3600_000)).toBe(1);
      expect(await store.countAlarmEvents('builtin-boots', dev, T0 + 1000, T0 - 3600_000)).toBe(2);
      expect(await store.countAlarmEvents('builtin-boots', idOf('AL7'), T0, T0 - 3600_000)).toBe(1);
      expect(await store.countAlarmEvents('builtin-boots', dev, null, T0 + 500)).toBe(1);
    });

    it("deleting a device deletes its alarms and their history", async () => {
      const dev = idOf('AL8');
      await h.inform(dev);
      const a = await store.raiseAlarm({ ruleId: 'builtin-offline', deviceId: dev, severity: 'major', text: 'offline', at: T0 });
      expect(await store.deleteDevice(dev)).toBe(true);
      expect(await store.getAlarm(a.alarm.id)).toBeNull();
      expect(await store.alarmHistory(a.alarm.id)).toEqual([]);
    });
  });
}
