/**
 * Property: for random policies (values, port mappings by key, `only` lists, priorities and
 * conflicts) against a simulated TR-181 device (src/cpe, with random instances of its own),
 * running the policy program on the device and planning again gives an empty plan: nothing to
 * set, add or delete, nothing unknown, no fault. The program answers are the device's own
 * (its RPC handler), without HTTP, so many cases run in a second.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { RpcOutcome } from '../../src/cwmp/acs-session.js';
import type { AcsRequest, Inform } from '../../src/cwmp/types.js';
import { createDevice } from '../../src/cpe/device.js';
import { loadModel } from '../../src/cpe/model/load.js';
import type { CpeDevice } from '../../src/cpe/model/device.js';
import { PolicySet } from '../../src/policies/engine.js';
import { DEFAULT_POLICY_SESSION_SETTINGS, policyProgram } from '../../src/policies/program.js';
import type { ProgramContext } from '../../src/session/program.js';
import { sameValue, type Known } from '../../src/session/programs/converge.js';
import type { Declaration, PolicyRecord } from '../../src/store/types.js';

const template = loadModel('tr181-router');
const PM = 'Device.NAT.PortMapping.';

/** One request to the simulated device, answered as the ACS's session machine would see it. */
function ask(device: CpeDevice, request: AcsRequest): RpcOutcome {
  const r = device.handle(request).response;
  return r.method === 'Fault' ? { ok: false, fault: r.detail, faultcode: r.faultcode } : { ok: true, response: r };
}

/** One session of the policy program against the device (bootstrap: nothing stored is trusted). */
function runSession(device: CpeDevice, policies: PolicyRecord[]): string[] {
  const inform: Inform = {
    method: 'Inform',
    deviceId: device.deviceId(),
    event: [{ eventCode: '0 BOOTSTRAP', commandKey: '' }],
    maxEnvelopes: 1,
    currentTime: '2026-12-03T00:00:00Z',
    retryCount: 0,
    parameterList: [],
  };
  const ctx: ProgramContext = {
    view: {
      deviceId: 'dev',
      inform,
      device: null,
      policyMemo: null,
      auth: 'anyone',
      credentials: null,
      startedAt: 0,
      learnt: () => undefined,
      learntUnder: () => [],
      stored: () => undefined,
      storedUnder: () => [],
      now: () => 0,
    },
    queue: [],
    record: { settle() {}, link() {}, policy() {}, credentials() {}, progress() {}, samples() {} },
    opened: { subscriber: null },
  };
  const program = policyProgram(ctx, new PolicySet(policies, { scripts: null }), DEFAULT_POLICY_SESSION_SETTINGS);
  const methods: string[] = [];
  for (let i = 0; program !== null && i < 200; i++) {
    const rpc = program.next();
    if (rpc === null) break;
    methods.push(rpc.request.method);
    program.learn(ask(device, rpc.request));
  }
  return methods;
}

/** The plan of the same policies against the device as it is now, everything known. */
function planAgainst(device: CpeDevice, policies: PolicyRecord[]) {
  const set = new PolicySet(policies, { scripts: null });
  const read = (path: string): Known | null => {
    const v = device.get(path);
    return v === undefined ? null : { value: v.value, type: v.type, at: 0 };
  };
  const tables = (table: string): string[] | null => {
    const r = ask(device, { method: 'GetParameterValues', parameterNames: [table] });
    if (!r.ok || r.response.method !== 'GetParameterValuesResponse') return null;
    return [...new Set(r.response.parameterList.map((p) => `${table}${p.name.slice(table.length).split('.')[0]!}.`))];
  };
  const facts = { id: 'dev', identity: device.deviceId(), tags: [], firstInform: 0, lastInform: 0, lastBoot: null, lastBootstrap: null };
  const e = set.evaluate(facts, read, () => true, 0, { tables });
  const differing = e.desired.filter((d) => {
    const have = read(d.path);
    return have === null || !sameValue(have.value, d.value, have.type);
  });
  return { differing, add: e.add, remove: e.remove, unknown: e.unknown, errors: [...e.errors.values()] };
}

const word = fc.stringMatching(/^[a-z][a-z0-9.-]{0,15}$/);
const port = fc.integer({ min: 1, max: 65535 }).map(String);
const protocol = fc.constantFrom('TCP', 'UDP');
const key = fc.record({ ExternalPort: port, Protocol: protocol });

const valueDecl: fc.Arbitrary<Declaration> = fc.oneof(
  fc.record({ path: fc.constantFrom('Device.Time.NTPServer1', 'Device.Time.NTPServer2', 'Device.WiFi.SSID.1.SSID', 'Device.WiFi.SSID.2.SSID'), value: word }),
  fc.record({ path: fc.constant('Device.ManagementServer.PeriodicInformInterval'), value: fc.integer({ min: 1, max: 86400 }).map(String) }),
);
const objectDecl: fc.Arbitrary<Declaration> = fc.record(
  { object: fc.constant(`${PM}{i}`), key, values: fc.record({ InternalPort: port, Description: word }, { requiredKeys: [] }) },
  { requiredKeys: ['object', 'key'] },
);
const onlyDecl: fc.Arbitrary<Declaration> = fc.record({ object: fc.constant(`${PM}{i}`), only: fc.array(fc.oneof(key, fc.record({ ExternalPort: port })), { minLength: 0, maxLength: 3 }) });

/** A policy's declarations, as the parser would accept them: one claim per path, per key, one `only` list. */
function distinct(list: Declaration[]): Declaration[] {
  const seen = new Set<string>();
  return list.filter((d) => {
    const k = 'object' in d ? ('only' in d ? 'only' : `k${JSON.stringify(Object.entries(d.key).sort())}`) : `v${d.path}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

const policies = fc
  .array(fc.record({ priority: fc.integer({ min: 0, max: 3 }), declarations: fc.array(fc.oneof(valueDecl, objectDecl, objectDecl, onlyDecl), { minLength: 1, maxLength: 6 }) }), {
    minLength: 1,
    maxLength: 3,
  })
  .map((list) =>
    list.map(
      (p, i): PolicyRecord => ({
        id: `p${i}`,
        revision: 1,
        name: `p${i}`,
        filter: [],
        filters: [],
        triggers: [],
        priority: p.priority,
        enabled: true,
        declarations: distinct(p.declarations),
        createdAt: 0,
        updatedAt: 0,
        author: 't',
      }),
    ),
  );

/** Instances the device had before (made on it locally): some duplicate what policies want. */
const existing = fc.array(fc.record({ ExternalPort: port, Protocol: protocol, Description: word }), { maxLength: 4 });

describe('property: apply the plan, plan again, nothing is left', () => {
  it('random policies against a simulated device with instances of its own', () => {
    const seen = new Map<string, number>();
    fc.assert(
      fc.property(policies, existing, (list, local) => {
        const device = createDevice(template, { serialNumber: 'PROP1' });
        for (const inst of local) {
          const added = ask(device, { method: 'AddObject', objectName: PM, parameterKey: '' });
          if (!added.ok || added.response.method !== 'AddObjectResponse') throw new Error('no instance');
          const n = added.response.instanceNumber;
          for (const [k, v] of Object.entries(inst)) device.setInternal(`${PM}${n}.${k}`, v);
        }
        const methods = runSession(device, list);
        for (const m of new Set(methods)) seen.set(m, (seen.get(m) ?? 0) + 1);
        const again = planAgainst(device, list);
        expect(again.errors).toEqual([]);
        expect(again.unknown).toEqual([]);
        expect(again.differing).toEqual([]);
        expect(again.add).toEqual([]);
        expect(again.remove).toEqual([]);
        // And a second session against the converged device changes nothing.
        const second = runSession(device, list);
        expect(second.filter((m) => m !== 'GetParameterValues')).toEqual([]);
        return methods.length <= 200;
      }),
      { numRuns: 150, seed: 20261203 },
    );
    // The cases did exercise every kind of work (a generator gone dull would pass vacuously).
    for (const m of ['SetParameterValues', 'AddObject', 'DeleteObject']) expect(seen.get(m) ?? 0, m).toBeGreaterThan(10);
  });
});
