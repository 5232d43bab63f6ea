/**
 * Property: whatever an ACS (or the device's own firmware) does to one device — sets,
 * attribute changes, adds, deletes, resets, valid or not — the shared template and every
 * other device over it are untouched, and AddObject never hands out a number twice.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AcsRequest, Notification } from '../../src/cwmp/types.js';
import { createDevice } from '../../src/cpe/device.js';
import { loadModel, toModelJson, type CpeDevice, type TObject } from '../../src/cpe/model/index.js';

const t = loadModel('tr098-gateway');
const templateSnapshot = JSON.stringify(toModelJson(t));
const params = [...t.index].filter(([, n]) => n.kind === 'param').map(([p]) => p);
const writable = [...t.index].filter(([, n]) => n.kind === 'param' && n.writable).map(([p]) => p);
const tables = [...t.index].filter(([, n]) => n.kind === 'object' && n.table).map(([p]) => p);
const writableTables = tables.filter((p) => (t.index.get(p) as TObject).writable);

const snapshot = (d: CpeDevice) => {
  const v = d.handle({ method: 'GetParameterValues', parameterNames: [''] }).response;
  const a = d.handle({ method: 'GetParameterAttributes', parameterNames: [''] }).response;
  const n = d.handle({ method: 'GetParameterNames', parameterPath: '', nextLevel: false }).response;
  return JSON.stringify([v, a, n, d.informParameters(), d.hasActiveChange()]);
};

type Op =
  | { k: 'spv'; list: { p: string; v: string }[] }
  | { k: 'add'; table: string }
  | { k: 'addNested'; table: string }
  | { k: 'del'; table: string; n: number }
  | { k: 'internal'; p: string; v: string }
  | { k: 'spa'; p: string; n: number }
  | { k: 'reset' };

const value = fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom('0', '1', 'true', 'false', '-1', '65536', '4294967296', 'Requested', '2024-01-01T00:00:00Z'));
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ k: fc.constant('spv' as const), list: fc.array(fc.record({ p: fc.constantFrom(...writable, 'InternetGatewayDevice.Nope'), v: value }), { maxLength: 4 }) }) },
  { weight: 3, arbitrary: fc.record({ k: fc.constant('add' as const), table: fc.constantFrom(...writableTables) }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('addNested' as const), table: fc.constantFrom('PortMapping.', 'WANPPPConnection.', 'DHCPStaticAddress.') }) },
  { weight: 3, arbitrary: fc.record({ k: fc.constant('del' as const), table: fc.constantFrom(...tables), n: fc.integer({ min: 1, max: 5 }) }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('internal' as const), p: fc.constantFrom(...params), v: value }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('spa' as const), p: fc.constantFrom(...params), n: fc.integer({ min: 0, max: 6 }) }) },
  { weight: 1, arbitrary: fc.constant({ k: 'reset' as const }) },
);

function apply(d: CpeDevice, o: Op, added: string[], seen: Map<string, Set<number>>): void {
  let req: AcsRequest;
  switch (o.k) {
    case 'spv':
      req = { method: 'SetParameterValues', parameterKey: 'p', parameterList: o.list.map(({ p, v }) => ({ name: p, value: v, type: '' })) };
      break;
    case 'add':
    case 'addNested': {
      // addNested: a table inside an instance this run added (or a template one when none fits).
      const table = o.k === 'add' ? o.table : ([...added].reverse().map((i) => i + o.table).find((p) => d.has(p)) ?? writableTables[0]!);
      const r = d.handle({ method: 'AddObject', objectName: table, parameterKey: 'p' }).response;
      if (r.method === 'AddObjectResponse') {
        const used = seen.get(table) ?? seen.set(table, new Set()).get(table)!;
        expect(used.has(r.instanceNumber), `${table}${r.instanceNumber} reused`).toBe(false);
        used.add(r.instanceNumber);
        added.push(`${table}${r.instanceNumber}.`);
        expect(d.has(`${table}${r.instanceNumber}.`)).toBe(true);
      }
      return;
    }
    case 'del':
      req = { method: 'DeleteObject', objectName: `${o.table}${o.n}.`, parameterKey: 'p' };
      break;
    case 'internal':
      d.setInternal(o.p, o.v);
      return;
    case 'spa':
      req = { method: 'SetParameterAttributes', parameterList: [{ name: o.p, notificationChange: true, notification: o.n as Notification, accessListChange: false, accessList: [] }] };
      break;
    case 'reset':
      d.reset();
      seen.clear(); // numbering restarts only at factory reset
      return;
  }
  const before = snapshot(d);
  const out = d.handle(req);
  // A fault changes nothing on the device itself either (every RPC is atomic).
  if (out.response.method === 'Fault') expect(snapshot(d)).toBe(before);
}

describe('device isolation (fast-check)', () => {
  it('any sequence of Set/Add/Delete/attributes/internal/reset on one device leaves the template and other devices as they were', () => {
    const other = createDevice(t, { serialNumber: 'OTHER' });
    const otherBefore = snapshot(other);
    const fresh = snapshot(createDevice(t, { serialNumber: 'ACTOR' }));
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 25 }), (ops) => {
        const actor = createDevice(t, { serialNumber: 'ACTOR' });
        const added: string[] = [];
        const seen = new Map<string, Set<number>>();
        for (const o of ops) apply(actor, o, added, seen);
        expect(snapshot(other)).toBe(otherBefore);
        actor.reset();
        actor.markInformed();
        expect(snapshot(actor)).toBe(fresh);
        expect(actor.overlaySize()).toBe(0);
      }),
      { numRuns: 150 },
    );
    expect(JSON.stringify(toModelJson(t))).toBe(templateSnapshot);
  });
});
