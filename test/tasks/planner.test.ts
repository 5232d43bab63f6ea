/**
 * The planner in memory: which RPCs a device's ordered tasks become, and which outcome each
 * task gets from which answer. A fake CPE answers from a small tree and can fault names.
 */
import { describe, expect, it } from 'vitest';
import type { RpcOutcome } from '../../src/cwmp/acs-session.js';
import type { AcsRequest, ParameterValue } from '../../src/cwmp/types.js';
import type { RequestOutcome, TaskRecord } from '../../src/store/types.js';
import { TaskPlan, type PlanOutcome } from '../../src/tasks/planner.js';
import type { Task } from '../../src/tasks/types.js';

let n = 0;
function rec(task: Task): TaskRecord {
  n++;
  return {
    id: `t${n}`,
    deviceId: 'D',
    task,
    seq: n,
    createdAt: 0,
    expiresAt: null,
    state: 'running',
    commandKey: 'commandKey' in task ? task.commandKey : null,
    response: null,
    fault: null,
    updatedAt: 0,
    attempts: 1,
    connectionRequest: null,
  };
}

const TREE: Record<string, string> = {
  'Device.DeviceInfo.UpTime': '7',
  'Device.DeviceInfo.SoftwareVersion': '1.0',
  'Device.WiFi.SSID.1.SSID': 'home',
  'Device.WiFi.SSID.1.Enable': 'true',
  'Device.WiFi.SSID.2.SSID': 'guest',
};

const fault = (code: number) => ({ faultCode: code, faultString: `fault ${code}`, setParameterValuesFault: [] });

/** Answers like a CPE: GetParameterValues faults 9005 if any name is unknown. */
function answer(req: AcsRequest, opts: { instance?: number; spvFault?: boolean; refuse?: string } = {}): RpcOutcome {
  const values = (names: string[]): ParameterValue[] | null => {
    const out: ParameterValue[] = [];
    for (const name of names) {
      const hits = Object.keys(TREE).filter((p) => p === name || (name.endsWith('.') && p.startsWith(name)));
      if (hits.length === 0) return null;
      for (const p of hits) out.push({ name: p, value: TREE[p]!, type: 'xsd:string' });
    }
    return out;
  };
  switch (req.method) {
    case 'GetParameterValues': {
      const list = values(req.parameterNames);
      return list === null ? { ok: false, faultcode: 'Client', fault: fault(9005) } : { ok: true, response: { method: 'GetParameterValuesResponse', parameterList: list } };
    }
    case 'GetParameterAttributes': {
      const list = values(req.parameterNames);
      return list === null
        ? { ok: false, faultcode: 'Client', fault: fault(9005) }
        : { ok: true, response: { method: 'GetParameterAttributesResponse', parameterList: list.map((v) => ({ name: v.name, notification: 0, accessList: [] })) } };
    }
    case 'GetParameterNames': {
      const hits = Object.keys(TREE).filter((p) => p.startsWith(req.parameterPath));
      if (hits.length === 0) return { ok: false, faultcode: 'Client', fault: fault(9005) };
      return { ok: true, response: { method: 'GetParameterNamesResponse', parameterList: [{ name: req.parameterPath, writable: false }, ...hits.map((name) => ({ name, writable: true }))] } };
    }
    case 'AddObject':
      return { ok: true, response: { method: 'AddObjectResponse', instanceNumber: opts.instance ?? 3, status: 0 } };
    case 'SetParameterValues':
      // `refuse`: a name this CPE will not take (the whole request faults, nothing applied).
      if (opts.refuse !== undefined && req.parameterList.some((p) => p.name === opts.refuse)) return { ok: false, faultcode: 'Client', fault: fault(9007) };
      return opts.spvFault === true ? { ok: false, faultcode: 'Client', fault: fault(9007) } : { ok: true, response: { method: 'SetParameterValuesResponse', status: 0 } };
    case 'Reboot':
      return { ok: true, response: { method: 'RebootResponse' } };
    default:
      return { ok: false, faultcode: 'Client', fault: fault(9000) };
  }
}

/** Run a plan to the end: the RPCs sent (with tags) and every outcome. */
function run(tasks: TaskRecord[], opts: { batchSize?: number; instance?: number; spvFault?: boolean; refuse?: string } = {}) {
  const plan = new TaskPlan(tasks, { batchSize: opts.batchSize ?? 100 });
  const rpcs: { request: AcsRequest; tag: string }[] = [];
  const outcomes: RequestOutcome[] = [];
  const progress: PlanOutcome[] = [];
  for (let rpc = plan.next(); rpc !== null; rpc = plan.next()) {
    rpcs.push(rpc);
    for (const o of plan.learn(answer(rpc.request, opts), 1)) (o.state === 'progress' ? progress : outcomes).push(o as RequestOutcome);
    if (rpcs.length > 100) throw new Error('runaway plan');
  }
  const byTask = new Map(outcomes.map((o) => [o.requestId, o]));
  return { rpcs, outcomes, byTask, progress };
}

const gpv = (...parameterNames: string[]): Task => ({ type: 'getParameterValues', parameterNames });
const spv = (parameterKey: string, ...values: [string, string][]): Task => ({
  type: 'setParameterValues',
  parameterValues: values.map(([name, value]) => [name, value, 'xsd:string']),
  parameterKey,
});

describe('TaskPlan', () => {
  it('merges adjacent getParameterValues into one RPC and gives each task its own values', () => {
    const a = rec(gpv('Device.DeviceInfo.UpTime'));
    const b = rec(gpv('Device.WiFi.SSID.1.', 'Device.DeviceInfo.UpTime'));
    const { rpcs, byTask } = run([a, b]);
    expect(rpcs.map((r) => r.request)).toEqual([
      { method: 'GetParameterValues', parameterNames: ['Device.DeviceInfo.UpTime', 'Device.WiFi.SSID.1.'] },
    ]);
    expect(rpcs[0]!.tag).toBe(`${a.id},${b.id}`);
    expect(byTask.get(a.id)).toMatchObject({ state: 'done', response: { parameterList: [{ name: 'Device.DeviceInfo.UpTime', value: '7' }] } });
    const bValues = (byTask.get(b.id) as { response: { parameterList: ParameterValue[] } }).response.parameterList.map((p) => p.name);
    expect(bValues.sort()).toEqual(['Device.DeviceInfo.UpTime', 'Device.WiFi.SSID.1.Enable', 'Device.WiFi.SSID.1.SSID']);
  });

  it('keeps order: a write between reads splits them', () => {
    const tasks = [rec(gpv('Device.DeviceInfo.UpTime')), rec({ type: 'reboot', commandKey: 'k' }), rec(gpv('Device.DeviceInfo.SoftwareVersion'))];
    expect(run(tasks).rpcs.map((r) => r.request.method)).toEqual(['GetParameterValues', 'Reboot', 'GetParameterValues']);
  });

  it('refresh: GetParameterNames of the subtree, then its leaves read together with neighbouring reads', () => {
    const r = rec({ type: 'refresh', objectName: 'Device.WiFi.' });
    const g = rec(gpv('Device.DeviceInfo.UpTime'));
    const { rpcs, byTask } = run([g, r]);
    expect(rpcs.map((x) => x.request)).toEqual([
      { method: 'GetParameterNames', parameterPath: 'Device.WiFi.', nextLevel: false },
      {
        method: 'GetParameterValues',
        parameterNames: ['Device.DeviceInfo.UpTime', 'Device.WiFi.SSID.1.SSID', 'Device.WiFi.SSID.1.Enable', 'Device.WiFi.SSID.2.SSID'],
      },
    ]);
    expect((byTask.get(r.id) as { response: { parameterList: unknown[] } }).response.parameterList).toHaveLength(3);
    expect(byTask.get(g.id)?.state).toBe('done');
  });

  it('batches by size, each name once; a task spanning batches is done after its last', () => {
    const a = rec(gpv('Device.DeviceInfo.UpTime', 'Device.DeviceInfo.SoftwareVersion', 'Device.WiFi.SSID.1.SSID'));
    const b = rec(gpv('Device.DeviceInfo.SoftwareVersion'));
    const { rpcs, outcomes } = run([a, b], { batchSize: 2 });
    expect(rpcs.map((r) => (r.request as { parameterNames: string[] }).parameterNames)).toEqual([
      ['Device.DeviceInfo.UpTime', 'Device.DeviceInfo.SoftwareVersion'],
      ['Device.WiFi.SSID.1.SSID'],
    ]);
    expect(outcomes.map((o) => [o.requestId, o.state])).toEqual([
      [b.id, 'done'],
      [a.id, 'done'],
    ]);
  });

  it('a fault on a merged read is split so it lands on its own task only', () => {
    const good = rec(gpv('Device.DeviceInfo.UpTime'));
    const bad = rec(gpv('Device.Nope'));
    const alsoGood = rec(gpv('Device.WiFi.SSID.2.SSID'));
    const { rpcs, byTask } = run([good, bad, alsoGood]);
    expect(rpcs.map((r) => (r.request as { parameterNames: string[] }).parameterNames)).toEqual([
      ['Device.DeviceInfo.UpTime', 'Device.Nope', 'Device.WiFi.SSID.2.SSID'],
      ['Device.DeviceInfo.UpTime'],
      ['Device.Nope'],
      ['Device.WiFi.SSID.2.SSID'],
    ]);
    expect([byTask.get(good.id)?.state, byTask.get(bad.id)?.state, byTask.get(alsoGood.id)?.state]).toEqual(['done', 'fault', 'done']);
    expect(byTask.get(bad.id)).toMatchObject({ fault: { faultCode: 9005 } });
  });

  it('a refresh of a subtree the CPE does not have faults at GetParameterNames; the rest goes on', () => {
    const r = rec({ type: 'refresh', objectName: 'Device.Nope.' });
    const g = rec(gpv('Device.DeviceInfo.UpTime'));
    const { rpcs, byTask } = run([r, g]);
    expect(rpcs.map((x) => x.request.method)).toEqual(['GetParameterNames', 'GetParameterValues']);
    expect(byTask.get(r.id)).toMatchObject({ state: 'fault', fault: { faultCode: 9005 } });
    expect(byTask.get(g.id)?.state).toBe('done');
  });

  it('merges getParameterAttributes alike, but not with getParameterValues', () => {
    const tasks = [
      rec({ type: 'getParameterAttributes', parameterNames: ['Device.DeviceInfo.UpTime'] }),
      rec({ type: 'getParameterAttributes', parameterNames: ['Device.WiFi.SSID.1.SSID'] }),
      rec(gpv('Device.DeviceInfo.UpTime')),
    ];
    const { rpcs, outcomes } = run(tasks);
    expect(rpcs.map((r) => r.request.method)).toEqual(['GetParameterAttributes', 'GetParameterValues']);
    expect(outcomes.every((o) => o.state === 'done')).toBe(true);
  });

  it('merges adjacent setParameterValues of different names into one, with the last ParameterKey; each task gets the answer', () => {
    const a = rec(spv('k1', ['Device.WiFi.SSID.1.SSID', 'a']));
    const b = rec(spv('k2', ['Device.WiFi.SSID.2.SSID', 'b'], ['Device.WiFi.SSID.1.Enable', 'false']));
    const { rpcs, byTask } = run([a, b]);
    expect(rpcs.map((r) => r.request)).toEqual([
      {
        method: 'SetParameterValues',
        parameterList: [
          { name: 'Device.WiFi.SSID.1.SSID', value: 'a', type: 'xsd:string' },
          { name: 'Device.WiFi.SSID.2.SSID', value: 'b', type: 'xsd:string' },
          { name: 'Device.WiFi.SSID.1.Enable', value: 'false', type: 'xsd:string' },
        ],
        parameterKey: 'k2',
      },
    ]);
    expect(rpcs[0]!.tag).toBe(`${a.id},${b.id}`);
    for (const t of [a, b]) expect(byTask.get(t.id)).toMatchObject({ state: 'done', response: { method: 'SetParameterValuesResponse', status: 0 } });
  });

  it('a merged setParameterValues that faults is sent again task by task, so the fault lands on its owner', () => {
    const a = rec(spv('k1', ['Device.WiFi.SSID.1.SSID', 'a']));
    const bad = rec(spv('k2', ['Device.Nope', 'x']));
    const c = rec(spv('k3', ['Device.WiFi.SSID.2.SSID', 'c']));
    const { rpcs, byTask } = run([a, bad, c], { refuse: 'Device.Nope' });
    expect(rpcs.map((r) => [r.tag, (r.request as { parameterList: { name: string }[] }).parameterList.map((p) => p.name), (r.request as { parameterKey: string }).parameterKey])).toEqual([
      [`${a.id},${bad.id},${c.id}`, ['Device.WiFi.SSID.1.SSID', 'Device.Nope', 'Device.WiFi.SSID.2.SSID'], 'k3'],
      [a.id, ['Device.WiFi.SSID.1.SSID'], 'k1'],
      [bad.id, ['Device.Nope'], 'k2'],
      [c.id, ['Device.WiFi.SSID.2.SSID'], 'k3'],
    ]);
    expect([byTask.get(a.id)?.state, byTask.get(bad.id)?.state, byTask.get(c.id)?.state]).toEqual(['done', 'fault', 'done']);
    expect(byTask.get(bad.id)).toMatchObject({ fault: { faultCode: 9007 } });
  });

  it('does not merge setParameterValues that set the same name, or across another task, or beyond the batch size', () => {
    const same = [rec(spv('k1', ['Device.WiFi.SSID.1.SSID', 'a'])), rec(spv('k2', ['Device.WiFi.SSID.1.SSID', 'b']))];
    expect(run(same).rpcs.map((r) => r.tag)).toEqual(same.map((t) => t.id));
    const across = [rec(spv('k1', ['Device.WiFi.SSID.1.SSID', 'a'])), rec(gpv('Device.DeviceInfo.UpTime')), rec(spv('k2', ['Device.WiFi.SSID.2.SSID', 'b']))];
    expect(run(across).rpcs.map((r) => r.request.method)).toEqual(['SetParameterValues', 'GetParameterValues', 'SetParameterValues']);
    const big = [rec(spv('k1', ['Device.A', '1'], ['Device.B', '2'])), rec(spv('k2', ['Device.C', '3'])), rec(spv('k3', ['Device.D', '4']))];
    expect(run(big, { batchSize: 3 }).rpcs.map((r) => r.tag)).toEqual([`${big[0]!.id},${big[1]!.id}`, big[2]!.id]);
  });

  it('addObject with values: AddObject, then SetParameterValues on the new instance', () => {
    const t = rec({ type: 'addObject', objectName: 'Device.WiFi.SSID.', parameterValues: [['SSID', 'lab', 'xsd:string']], parameterKey: 'pk' });
    const { rpcs, byTask } = run([t], { instance: 7 });
    expect(rpcs.map((r) => r.request)).toEqual([
      { method: 'AddObject', objectName: 'Device.WiFi.SSID.', parameterKey: 'pk' },
      { method: 'SetParameterValues', parameterList: [{ name: 'Device.WiFi.SSID.7.SSID', value: 'lab', type: 'xsd:string' }], parameterKey: 'pk' },
    ]);
    expect(byTask.get(t.id)).toMatchObject({ state: 'done', response: { method: 'AddObjectResponse', instanceNumber: 7 } });
  });

  it('addObject records the instance as progress the moment AddObject succeeds', () => {
    const t = rec({ type: 'addObject', objectName: 'Device.WiFi.SSID.', parameterValues: [['SSID', 'lab', 'xsd:string']], parameterKey: 'pk' });
    const { progress } = run([t], { instance: 7 });
    expect(progress).toEqual([{ requestId: t.id, state: 'progress', response: { method: 'AddObjectResponse', instanceNumber: 7, status: 0 }, at: 1 }]);
  });

  it('addObject with an instance recorded by an earlier session sets its values, never AddObject again', () => {
    const t = rec({ type: 'addObject', objectName: 'Device.WiFi.SSID.', parameterValues: [['SSID', 'lab', 'xsd:string']], parameterKey: 'pk' });
    const { rpcs, byTask } = run([{ ...t, response: { method: 'AddObjectResponse', instanceNumber: 4, status: 0 } }]);
    expect(rpcs.map((r) => r.request)).toEqual([
      { method: 'SetParameterValues', parameterList: [{ name: 'Device.WiFi.SSID.4.SSID', value: 'lab', type: 'xsd:string' }], parameterKey: 'pk' },
    ]);
    expect(byTask.get(t.id)).toMatchObject({ state: 'done', response: { method: 'AddObjectResponse', instanceNumber: 4 } });
  });

  it('addObject whose values are refused faults, and keeps the AddObject answer (the instance exists)', () => {
    const t = rec({ type: 'addObject', objectName: 'Device.WiFi.SSID.', parameterValues: [['SSID', 'x', 'xsd:string']], parameterKey: '' });
    const { byTask } = run([t], { spvFault: true });
    expect(byTask.get(t.id)).toMatchObject({ state: 'fault', fault: { faultCode: 9007 }, response: { method: 'AddObjectResponse', instanceNumber: 3 } });
  });

  it('addObject without values is one RPC', () => {
    const t = rec({ type: 'addObject', objectName: 'Device.WiFi.SSID.', parameterValues: [], parameterKey: '' });
    expect(run([t]).rpcs).toHaveLength(1);
  });

  it('every other task is one RPC, faulted by the CPE when it says so', () => {
    const t = rec({ type: 'getOptions', optionName: 'x' });
    const { rpcs, byTask } = run([t]);
    expect(rpcs.map((r) => r.request)).toEqual([{ method: 'GetOptions', optionName: 'x' }]);
    expect(byTask.get(t.id)).toMatchObject({ state: 'fault', fault: { faultCode: 9000 } });
  });

  it('skipFaultedBatches: a refresh whose batch faults goes on with its other batches and is done with what was read', () => {
    const refresh = rec({ type: 'refresh', objectName: 'Device.' });
    const plan = new TaskPlan([refresh], { batchSize: 2, skipFaultedBatches: true });
    const sent: AcsRequest[] = [];
    const outcomes: PlanOutcome[] = [];
    for (let rpc = plan.next(); rpc !== null; rpc = plan.next()) {
      sent.push(rpc.request);
      // The first values batch faults; everything else is answered from the tree.
      const outcome: RpcOutcome = sent.length === 2 ? { ok: false, faultcode: 'Client', fault: fault(9005) } : answer(rpc.request);
      outcomes.push(...plan.learn(outcome, 1));
    }
    expect(sent.map((r) => r.method)).toEqual(['GetParameterNames', 'GetParameterValues', 'GetParameterValues', 'GetParameterValues']);
    expect(outcomes).toHaveLength(1);
    const [o] = outcomes;
    expect(o?.state).toBe('done');
    const read = o?.state === 'done' && o.response.method === 'GetParameterValuesResponse' ? o.response.parameterList.map((p) => p.name) : [];
    expect(read).toEqual(Object.keys(TREE).slice(2));
    // Without the option the same fault ends the refresh.
    const strict = new TaskPlan([rec({ type: 'refresh', objectName: 'Device.' })]);
    const gpn = strict.next()!;
    strict.learn(answer(gpn.request), 1);
    strict.next();
    expect(strict.learn({ ok: false, faultcode: 'Client', fault: fault(9005) }, 1)[0]?.state).toBe('fault');
  });

  it('wholeTree: a lone refresh of a small enough tree reads every listed leaf with one optional GetParameterValues of its object', () => {
    const refresh = rec({ type: 'refresh', objectName: 'Device.' });
    const plan = new TaskPlan([refresh], { batchSize: 2, skipFaultedBatches: true, wholeTree: 5 });
    const sent: { request: AcsRequest; optional?: boolean }[] = [];
    const outcomes: PlanOutcome[] = [];
    for (let rpc = plan.next(); rpc !== null; rpc = plan.next()) {
      sent.push(rpc);
      const a = answer(rpc.request);
      // A hostile CPE adds a value the GetParameterNames did not list: not part of the answer.
      if (a.ok && a.response.method === 'GetParameterValuesResponse') a.response.parameterList.push({ name: 'Device.Unlisted', value: 'x', type: 'xsd:string' });
      outcomes.push(...plan.learn(a, 1));
    }
    expect(sent.map((r) => r.request)).toEqual([
      { method: 'GetParameterNames', parameterPath: 'Device.', nextLevel: false },
      { method: 'GetParameterValues', parameterNames: ['Device.'] },
    ]);
    expect(sent[1]!.optional).toBe(true);
    expect(outcomes).toHaveLength(1);
    const o = outcomes[0];
    const read = o?.state === 'done' && o.response.method === 'GetParameterValuesResponse' ? o.response.parameterList.map((p) => p.name) : [];
    expect(read).toEqual(Object.keys(TREE));
  });

  it('wholeTree: the whole read is the listed leaves, each once, whether the CPE answers in listing order, out of order, or with a name listed twice', () => {
    const readOf = (edit: (listing: { name: string; writable: boolean }[], values: ParameterValue[]) => void): string[] => {
      const plan = new TaskPlan([rec({ type: 'refresh', objectName: 'Device.' })], { batchSize: 2, skipFaultedBatches: true, wholeTree: 8 });
      const outcomes: PlanOutcome[] = [];
      let listing: { name: string; writable: boolean }[] = [];
      for (let rpc = plan.next(); rpc !== null; rpc = plan.next()) {
        const a = answer(rpc.request);
        if (a.ok && a.response.method === 'GetParameterNamesResponse') listing = a.response.parameterList;
        if (a.ok && a.response.method === 'GetParameterValuesResponse') edit(listing, a.response.parameterList);
        outcomes.push(...plan.learn(a, 1));
      }
      const o = outcomes[0];
      return o?.state === 'done' && o.response.method === 'GetParameterValuesResponse' ? o.response.parameterList.map((p) => p.name) : [];
    };
    const leaves = Object.keys(TREE);
    expect(readOf(() => undefined)).toEqual(leaves);
    expect(readOf((_, values) => values.reverse())).toEqual([...leaves].reverse());
    // The listing itself names a leaf twice (and the values follow it): one item for it.
    const twice = readOf((listing, values) => {
      listing.push({ name: leaves[0]!, writable: true });
      values.push({ name: leaves[0]!, value: 'again', type: 'xsd:string' });
    });
    expect(twice).toEqual(leaves);
  });

  it('answers false (discovery): the same requests, whole or in batches, and outcomes that carry no values', () => {
    for (const wholeTree of [0, 8]) {
      const run = (answers: boolean): { sent: AcsRequest[]; outcomes: PlanOutcome[] } => {
        const plan = new TaskPlan([rec({ type: 'refresh', objectName: 'Device.' })], { batchSize: 2, skipFaultedBatches: true, wholeTree, answers });
        const sent: AcsRequest[] = [];
        const outcomes: PlanOutcome[] = [];
        for (let rpc = plan.next(); rpc !== null; rpc = plan.next()) {
          sent.push(rpc.request);
          outcomes.push(...plan.learn(answer(rpc.request), 1));
        }
        return { sent, outcomes };
      };
      const kept = run(true);
      const bare = run(false);
      expect(bare.sent).toEqual(kept.sent);
      expect(kept.sent.length).toBe(wholeTree > 0 ? 2 : 1 + Math.ceil(Object.keys(TREE).length / 2));
      expect(bare.outcomes.map((o) => o.state)).toEqual(['done']);
      const o = bare.outcomes[0];
      expect(o?.state === 'done' && o.response.method === 'GetParameterValuesResponse' ? o.response.parameterList : null).toEqual([]);
      const k = kept.outcomes[0];
      expect(k?.state === 'done' && k.response.method === 'GetParameterValuesResponse' ? k.response.parameterList.length : 0).toBe(Object.keys(TREE).length);
    }
  });

  it('wholeTree: a faulted (or refused) whole read falls back to batches; a bigger tree, or a refresh among other reads, is read in batches', () => {
    const whole = new TaskPlan([rec({ type: 'refresh', objectName: 'Device.' })], { batchSize: 2, skipFaultedBatches: true, wholeTree: 5 });
    const sent: AcsRequest[] = [];
    const outcomes: PlanOutcome[] = [];
    for (let rpc = whole.next(); rpc !== null; rpc = whole.next()) {
      sent.push(rpc.request);
      const partial = rpc.request.method === 'GetParameterValues' && rpc.request.parameterNames.includes('Device.');
      outcomes.push(...whole.learn(partial ? { ok: false, faultcode: 'Server', fault: fault(9002) } : answer(rpc.request), 1));
    }
    expect(sent.map((r) => (r.method === 'GetParameterValues' ? r.parameterNames.length : r.method))).toEqual(['GetParameterNames', 1, 2, 2, 1]);
    expect(outcomes).toHaveLength(1);
    const o = outcomes[0];
    expect(o?.state === 'done' && o.response.method === 'GetParameterValuesResponse' ? o.response.parameterList.length : 0).toBe(5);

    const big = new TaskPlan([rec({ type: 'refresh', objectName: 'Device.' })], { batchSize: 2, wholeTree: 4 });
    const b = run2(big);
    expect(b.every((r) => r.optional !== true)).toBe(true);
    expect(b.map((r) => (r.request.method === 'GetParameterValues' ? r.request.parameterNames.length : 0))).toEqual([0, 2, 2, 1]);

    const mixed = new TaskPlan([rec({ type: 'refresh', objectName: 'Device.WiFi.' }), rec({ type: 'getParameterValues', parameterNames: ['Device.DeviceInfo.UpTime'] })], { wholeTree: 100 });
    expect(run2(mixed).some((r) => r.optional === true)).toBe(false);
  });

  it('an empty plan sends nothing', () => {
    expect(new TaskPlan([]).next()).toBeNull();
  });
});

/** Every RPC of a plan, each answered from the tree. */
function run2(plan: TaskPlan): { request: AcsRequest; optional?: boolean }[] {
  const sent: { request: AcsRequest; optional?: boolean }[] = [];
  for (let rpc = plan.next(); rpc !== null; rpc = plan.next()) {
    sent.push(rpc);
    plan.learn(answer(rpc.request), 1);
  }
  return sent;
}
