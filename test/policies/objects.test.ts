/**
 * Object declarations without a network: the pure resolution (./src/policies/objects.ts), the
 * parser's handling of hostile names, and the policy program across a session that dies right
 * after its AddObject (the next session sets the same instance up, never adds another).
 */
import { describe, expect, it } from 'vitest';
import type { RpcOutcome } from '../../src/cwmp/acs-session.js';
import type { Inform, ParameterValue } from '../../src/cwmp/types.js';
import { PolicySet } from '../../src/policies/engine.js';
import { resolveObjects, refOf, type ObjectClaim } from '../../src/policies/objects.js';
import { policyProgram, DEFAULT_POLICY_SESSION_SETTINGS } from '../../src/policies/program.js';
import { parsePolicyDefinition } from '../../src/policies/validate.js';
import type { Program, ProgramContext } from '../../src/session/program.js';
import type { Known, Reader } from '../../src/session/programs/converge.js';
import type { PolicyCommit, PolicyRecord, StoredParameter } from '../../src/store/types.js';

const T = 'Device.NAT.PortMapping.';
const WEB = { object: `${T}{i}`, key: { ExternalPort: '8080', Protocol: 'TCP' }, values: { InternalPort: '80' } };

function readerOf(values: Record<string, string>): Reader {
  return (path) => (path in values ? ({ value: values[path]!, type: 'xsd:string', at: 0 } satisfies Known) : undefined);
}

const claim = (decl: ObjectClaim['decl'], policyId = 'a', rank = 0, active = true): ObjectClaim => ({ policyId, rank, active, decl });

describe('resolveObjects', () => {
  it('an unknown table is read first; an absent one faults the policy', () => {
    const unknown = resolveObjects([claim(WEB)], readerOf({}), () => undefined, () => undefined);
    expect(unknown.unknown).toEqual([T]);
    expect(unknown.add).toEqual([]);
    const absent = resolveObjects([claim(WEB)], readerOf({}), () => null, () => undefined);
    expect(absent.errors.get('a')).toMatchObject({ faultCode: 9005, path: T });
  });

  it('an empty table: one add, named by the keys whatever their order', () => {
    const p = resolveObjects([claim(WEB)], readerOf({}), () => [], () => undefined);
    expect(p.add).toEqual([{ table: T, ref: refOf(T, { Protocol: 'TCP', ExternalPort: '8080' }), policyId: 'a' }]);
    expect(p.values).toEqual([]);
  });

  it('a key with an Alias carries it on the add (AddObject "Table.[alias]." where the device resolves aliases); one unfit for a path does not', () => {
    const p = resolveObjects([claim({ object: `${T}{i}`, key: { Alias: 'web' } })], readerOf({}), () => [], () => undefined);
    expect(p.add).toEqual([{ table: T, ref: refOf(T, { Alias: 'web' }), policyId: 'a', alias: 'web' }]);
    for (const bad of ['', 'a.b', '[x]', 'a*']) {
      const q = resolveObjects([claim({ object: `${T}{i}`, key: { Alias: bad } })], readerOf({}), () => [], () => undefined);
      expect(q.add[0]!.alias).toBeUndefined();
    }
  });

  it('duplicates: the lowest number kept and given the values, the others deleted', () => {
    const values = { [`${T}7.ExternalPort`]: '8080', [`${T}7.Protocol`]: 'TCP', [`${T}2.ExternalPort`]: '8080', [`${T}2.Protocol`]: 'TCP', [`${T}3.ExternalPort`]: '22', [`${T}3.Protocol`]: 'TCP' };
    const p = resolveObjects([claim(WEB)], readerOf(values), () => [`${T}7.`, `${T}2.`, `${T}3.`], () => undefined);
    expect(p.remove).toEqual([{ path: `${T}7.`, policyId: 'a' }]);
    expect(p.values.map((v) => [v.path, v.value])).toEqual([
      [`${T}2.ExternalPort`, '8080'],
      [`${T}2.Protocol`, 'TCP'],
      [`${T}2.InternalPort`, '80'],
    ]);
  });

  it('an instance whose keys are unknown is read, not guessed', () => {
    const p = resolveObjects([claim(WEB)], readerOf({ [`${T}1.ExternalPort`]: '8080' }), () => [`${T}1.`], () => undefined);
    expect(p.unknown).toEqual([`${T}1.`]);
    expect(p.add).toEqual([]);
    expect(p.open.get('a')).toEqual([refOf(T, WEB.key)]);
  });

  it('an instance we made is set up, not added again; read first when its keys are unknown', () => {
    const ref = refOf(T, WEB.key);
    const p = resolveObjects([claim(WEB)], readerOf({}), () => [`${T}4.`], (r) => (r === ref ? `${T}4.` : undefined));
    expect(p.add).toEqual([]);
    expect(p.unknown).toEqual([`${T}4.`]);
    const q = resolveObjects([claim(WEB)], readerOf({ [`${T}4.ExternalPort`]: '0', [`${T}4.Protocol`]: 'UDP' }), () => [`${T}4.`], (r) => (r === ref ? `${T}4.` : undefined));
    expect(q.add).toEqual([]);
    expect(q.values.map((v) => v.path)).toEqual([`${T}4.ExternalPort`, `${T}4.Protocol`, `${T}4.InternalPort`]);
  });

  it('only: deletes what no entry keeps, except what an exactly-one claim keeps (reported)', () => {
    const values = { [`${T}1.ExternalPort`]: '8080', [`${T}1.Protocol`]: 'TCP', [`${T}2.ExternalPort`]: '22', [`${T}2.Protocol`]: 'TCP', [`${T}3.ExternalPort`]: '9', [`${T}3.Protocol`]: 'UDP' };
    const list = claim({ object: `${T}{i}`, only: [{ ExternalPort: '22' }] }, 'b', 1);
    const p = resolveObjects([claim(WEB, 'a', 0, false), list], readerOf(values), () => [`${T}1.`, `${T}2.`, `${T}3.`], () => undefined);
    expect(p.remove).toEqual([{ path: `${T}3.`, policyId: 'b' }]);
    expect(p.overruled).toEqual([{ path: `${T}1.`, keptBy: 'a', policyId: 'b' }]);
    // An inactive exactly-one claim neither adds nor deletes, but it still protects.
    expect(p.add).toEqual([]);
  });
});

describe('the parser', () => {
  it('keeps a "__proto__" name as a name (no prototype change), and the catalogue-free parse accepts numbers and booleans', () => {
    const input = JSON.parse(`{"name":"p","declarations":[{"object":"${T}{i}","key":{"__proto__":"1","ExternalPort":8080},"values":{"Enable":true}}]}`) as unknown;
    const def = parsePolicyDefinition(input, () => ({ field: 'tag', op: 'eq', value: 'x' }));
    const d = def.declarations[0] as { key: Record<string, string>; values: Record<string, string> };
    expect(Object.hasOwn(d.key, '__proto__')).toBe(true);
    expect(Object.getPrototypeOf(d.key)).toBe(Object.prototype);
    expect(d.key.ExternalPort).toBe('8080');
    expect(d.values).toEqual({ Enable: 'true' });
  });
});

/** A policy program in a fake session: the view over given stored rows and memo, answers by hand. */
function session(policies: PolicyRecord[], opts: { memo: string | null; stored: StoredParameter[]; event?: string }) {
  const commits: PolicyCommit[] = [];
  const learnt = new Map<string, ParameterValue>();
  const stored = new Map(opts.stored.map((r) => [r.path, r]));
  const inform: Inform = {
    method: 'Inform',
    deviceId: { manufacturer: 'M', oui: '000000', productClass: 'P', serialNumber: 'S1' },
    event: [{ eventCode: opts.event ?? '2 PERIODIC', commandKey: '' }],
    maxEnvelopes: 1,
    currentTime: '2026-12-03T00:00:00Z',
    retryCount: 0,
    parameterList: [],
  };
  const ctx: ProgramContext = {
    view: {
      deviceId: 'M-P-S1',
      inform,
      device: null,
      policyMemo: opts.memo,
      auth: 'anyone',
      credentials: null,
      startedAt: 1000,
      learnt: (p) => learnt.get(p),
      learntUnder: (prefix) => [...learnt.keys()].filter((p) => p.startsWith(prefix)),
      stored: (p) => stored.get(p),
      storedUnder: (prefix) => [...stored.values()].filter((r) => r.path.startsWith(prefix)),
      now: () => 1000,
    },
    queue: [],
    record: { settle() {}, link() {}, policy: (c) => commits.push(c), credentials() {}, progress() {}, samples() {} },
    opened: { subscriber: null },
  };
  const program = policyProgram(ctx, new PolicySet(policies), DEFAULT_POLICY_SESSION_SETTINGS) as Program;
  return { program, commits };
}

const ok = (response: RpcOutcome & { ok: true }): RpcOutcome => response;

describe('the policy program across a session that dies after AddObject', () => {
  const policy: PolicyRecord = { id: 'p1', revision: 1, name: 'web', filter: [], filters: [], triggers: [], priority: 0, enabled: true, declarations: [WEB], createdAt: 0, updatedAt: 0, author: 't' };

  it('remembers the instance at once, and the next session sets it up without adding another', () => {
    const one = session([policy], { memo: null, stored: [] });
    const read = one.program.next();
    expect(read?.request).toEqual({ method: 'GetParameterValues', parameterNames: [T] });
    one.program.learn(ok({ ok: true, response: { method: 'GetParameterValuesResponse', parameterList: [] } }));
    const add = one.program.next();
    expect(add?.request).toMatchObject({ method: 'AddObject', objectName: T });
    one.program.learn(ok({ ok: true, response: { method: 'AddObjectResponse', instanceNumber: 5, status: 0 } }));
    // The session dies here: what it recorded so far is what its commit writes.
    expect(one.commits).toHaveLength(1);
    const memo = one.commits.at(-1)!.memo;
    expect(JSON.parse(memo)).toMatchObject({ h: '', made: { [refOf(T, WEB.key)]: `${T}5.` } });

    // The next session: the store has the instance's row (the AddObject), no values under it.
    const two = session([policy], { memo, stored: [{ path: `${T}5.`, object: true, value: null, type: null, writable: true, valueAt: null, notification: null, accessList: null, namesAt: 1, attributesAt: null }] });
    const methods: string[] = [];
    for (let i = 0; i < 10; i++) {
      const rpc = two.program.next();
      if (rpc === null) break;
      methods.push(rpc.request.method);
      if (rpc.request.method === 'GetParameterValues') {
        const names = rpc.request.parameterNames;
        const all: ParameterValue[] = [
          { name: `${T}5.ExternalPort`, value: names.includes(T) || names.includes(`${T}5.`) ? '0' : '8080', type: 'xsd:unsignedInt' },
          { name: `${T}5.Protocol`, value: names.includes(T) || names.includes(`${T}5.`) ? 'UDP' : 'TCP', type: 'xsd:string' },
          { name: `${T}5.InternalPort`, value: names.includes(T) || names.includes(`${T}5.`) ? '0' : '80', type: 'xsd:unsignedInt' },
        ];
        const subtree = names.some((n) => n.endsWith('.'));
        two.program.learn(ok({ ok: true, response: { method: 'GetParameterValuesResponse', parameterList: subtree ? all : all.filter((p) => names.includes(p.name)) } }));
      } else if (rpc.request.method === 'SetParameterValues') {
        expect(rpc.request.parameterList.map((p) => [p.name, p.value, p.type])).toEqual([
          [`${T}5.ExternalPort`, '8080', 'xsd:unsignedInt'],
          [`${T}5.Protocol`, 'TCP', 'xsd:string'],
          [`${T}5.InternalPort`, '80', 'xsd:unsignedInt'],
        ]);
        two.program.learn(ok({ ok: true, response: { method: 'SetParameterValuesResponse', status: 0 } }));
      } else {
        two.program.learn(ok({ ok: true, response: { method: 'SetParameterAttributesResponse' } } as never));
      }
    }
    expect(methods).not.toContain('AddObject');
    expect(methods).toContain('SetParameterValues');
    const last = two.commits.at(-1)!;
    expect(last.compliance).toEqual([expect.objectContaining({ policyId: 'p1', state: 'compliant' })]);
    // Set up: nothing left to remember.
    expect(JSON.parse(last.memo).made).toBeUndefined();
  });
});
