/**
 * The domain rules and the write-op planner (src/store/rules.ts, src/store/session-writes.ts):
 * pure, so tested here once for every backend; the conformance suites check that each
 * backend applies the ops to the same effect.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CpeMessageRecord, ParameterOp, SessionCommit } from '../../src/store/types.js';
import { planCommit, planParameterOps, releaseOps } from '../../src/store/session-writes.js';
import { TRANSFER_TASK_TYPES } from '../../src/store/rules.js';
import { sectionFor } from '../../src/store/tree.js';

const T0 = 1_700_000_000_000;
const LIMITS = { sessionsPerDevice: 7, cpeMessagesPerDevice: 3 };
const identity = { manufacturer: 'Acme', oui: '00D09E', productClass: 'IGD', serialNumber: 'S1' };

function commit(over: Partial<SessionCommit> = {}): SessionCommit {
  return {
    deviceId: 'D',
    lockOwner: 'me',
    identity,
    informAt: T0,
    events: [{ eventCode: '2 PERIODIC', commandKey: '' }],
    parameterOps: [],
    requestOutcomes: [],
    cpeMessages: [],
    log: { deviceId: 'elsewhere', startedAt: T0, endedAt: T0 + 9, events: [], rpcs: [], cpeRequests: [], outcome: 'ok', linkedRequests: [] },
    releaseLock: true,
    ...over,
  };
}

const kinds = (c: SessionCommit) => planCommit(c, LIMITS).map((o) => o.k);

describe('planCommit', () => {
  it('an idle periodic session: the device, its values, requeue, the log, the unlock — in that order', () => {
    const ops = planCommit(
      commit({ parameterOps: [{ op: 'setValues', at: T0, touch: false, params: [{ name: 'X.a', value: '1', type: 'xsd:int' }] }] }),
      LIMITS,
    );
    expect(ops.map((o) => o.k)).toEqual(['device', 'values', 'requeue', 'log', 'unlock']);
    expect(ops[0]).toMatchObject({ at: T0, boot: null, bootstrap: null, ...identity });
    expect(ops[2]).toEqual({ k: 'requeue', at: T0 + 9 });
    // Filed under the commit's device, whatever the record says.
    expect(ops[3]).toMatchObject({ k: 'log', keep: 7 });
    expect(ops[3]).not.toHaveProperty('log.deviceId');
    expect(ops[4]).toEqual({ k: 'unlock', owner: 'me', requeueAt: null });
    expect(kinds(commit({ releaseLock: false }))).toEqual(['device', 'requeue', 'log']);
  });

  it('1 BOOT sets lastBoot and 0 BOOTSTRAP lastBootstrap to the Inform time; other events set neither', () => {
    const device = (codes: string[]) =>
      planCommit(commit({ events: codes.map((eventCode) => ({ eventCode, commandKey: '' })) }), LIMITS)[0];
    expect(device(['1 BOOT'])).toMatchObject({ boot: T0, bootstrap: null });
    expect(device(['0 BOOTSTRAP', '1 BOOT'])).toMatchObject({ boot: T0, bootstrap: T0 });
    expect(device(['M Reboot', '4 VALUE CHANGE'])).toMatchObject({ boot: null, bootstrap: null });
  });

  it('a failed TransferComplete faults the transfer task of its CommandKey; a successful one does not', () => {
    const tc = (faultCode: number, commandKey: string, at: number): CpeMessageRecord => ({
      at,
      message: { method: 'TransferComplete', commandKey, faultStruct: { faultCode, faultString: faultCode ? 'Download failed' : '' }, startTime: '', completeTime: '' },
    });
    const ops = planCommit(commit({ cpeMessages: [tc(9010, 'fw-1', T0 + 1), tc(0, 'fw-2', T0 + 2)] }), LIMITS);
    expect(ops.filter((o) => o.k === 'fault_transfer')).toEqual([
      {
        k: 'fault_transfer',
        taskTypes: TRANSFER_TASK_TYPES,
        commandKey: 'fw-1',
        fault: { faultCode: 9010, faultString: 'Download failed', setParameterValuesFault: [] },
        at: T0 + 1,
      },
    ]);
    expect(ops.find((o) => o.k === 'cpe_messages')).toMatchObject({ keep: 3 });
  });

  it('outcomes: the last per task wins, a fault keeps an earlier step’s answer, then the rest is requeued', () => {
    const response = { method: 'AddObjectResponse' as const, instanceNumber: 3, status: 0 as const };
    const fault = { faultCode: 9003, faultString: 'Invalid arguments', setParameterValuesFault: [] };
    const ops = planCommit(
      commit({
        requestOutcomes: [
          { requestId: 't1', state: 'fault', fault, at: T0 + 1 },
          { requestId: 't2', state: 'fault', fault, at: T0 + 2, response },
          { requestId: 't1', state: 'done', response, at: T0 + 3 },
        ],
      }),
      LIMITS,
    );
    expect(ops.map((o) => o.k)).toEqual(['device', 'outcomes', 'requeue', 'log', 'unlock']);
    expect(ops[1]).toEqual({
      k: 'outcomes',
      items: [
        { id: 't2', state: 'fault', response, fault, at: T0 + 2 },
        { id: 't1', state: 'done', response, fault: null, at: T0 + 3 },
      ],
    });
  });

  it('a listing and the reads right after it become one nodes op per read for the rows both name; the rest stay names and values ops', () => {
    const steps = planParameterOps([
      { op: 'clearTree' },
      { op: 'setNames', at: 1, root: 'A.', nextLevel: false, params: [{ name: 'A.', writable: false }, { name: 'A.B.x', writable: true }, { name: 'A.B.y', writable: false }] },
      { op: 'setValues', at: 2, touch: true, params: [{ name: 'A.B.x', value: '1', type: 'xsd:int' }, { name: 'Z.q', value: 'q', type: 'xsd:string' }] },
      { op: 'setValues', at: 3, touch: true, params: [{ name: 'A.B.y', value: '2', type: 'xsd:int' }] },
      { op: 'deleteObject', path: 'A.B.' },
      { op: 'setValues', at: 4, touch: false, params: [{ name: 'A.B.x', value: '5', type: 'xsd:int' }] },
    ]);
    expect(steps.map((s) => s.k)).toEqual(['clear', 'prune', 'names', 'ensure', 'nodes', 'values', 'nodes', 'delete', 'values']);
    // Right after the clear nothing under A. can exist: the prune keeps nothing by name.
    expect(steps[1]).toMatchObject({ k: 'prune', lo: 'A.', keep: [] });
    // A listed node no read answers (the object) is a names item.
    expect(steps[2]).toEqual({ k: 'names', at: 1, items: [['A.', false]] });
    expect(steps[3]).toEqual({ k: 'ensure', at: 1, items: ['A.B.'] });
    expect(steps[4]).toEqual({ k: 'nodes', at: 1, valuesAt: 2, touch: true, items: [['A.B.x', true, '1', 'xsd:int']] });
    expect(steps[5]).toEqual({ k: 'values', at: 2, touch: true, items: [['Z.q', 'q', 'xsd:string']] });
    expect(steps[6]).toEqual({ k: 'nodes', at: 1, valuesAt: 3, touch: true, items: [['A.B.y', false, '2', 'xsd:int']] });
    // After a delete, a read is on its own again.
    expect(steps[8]).toEqual({ k: 'values', at: 4, touch: false, items: [['A.B.x', '5', 'xsd:int']] });
    const names = planParameterOps([
      { op: 'setNames', at: 1, root: 'A.', nextLevel: true, params: [{ name: 'A.B.', writable: false }, { name: 'A.c', writable: true }] },
      { op: 'setValues', at: 2, touch: false, params: [{ name: 'A.c', value: '1', type: 'xsd:int' }] },
    ]);
    expect(names.map((s) => s.k)).toEqual(['prune_children', 'names', 'ensure', 'nodes']);
    expect(names[1]).toEqual({ k: 'names', at: 1, items: [['A.B.', false]] });
  });

  it('a listing merged with reads in any order (duplicates, unlisted names, objects) plans what a name-by-name merge plans', () => {
    const pathArb = fc.constantFrom('A.', 'A.B.', 'A.B.x', 'A.B.y', 'A.C.', 'A.C.z', 'A.C.Password', 'A.C.wpaKEY', 'A.D.1.q', 'Z.q', 'A.C.pin');
    fc.assert(
      fc.property(
        fc.array(fc.record({ name: pathArb, writable: fc.boolean() }), { maxLength: 12 }),
        fc.array(fc.array(fc.record({ name: pathArb, value: fc.constantFrom('', '1', 'v') }), { maxLength: 12 }), { maxLength: 3 }),
        fc.boolean(),
        (listing, reads, clear) => {
          const ops: ParameterOp[] = [...(clear ? [{ op: 'clearTree' as const }] : []), { op: 'setNames', at: 1, root: 'A.', nextLevel: false, params: listing }];
          reads.forEach((r, i) => ops.push({ op: 'setValues', at: 2 + i, touch: true, params: r.map((p) => ({ ...p, type: 'xsd:string' })) }));
          const steps = planParameterOps(ops);
          // The reference: maps name by name, last value wins, first position kept.
          const writable = new Map<string, boolean>();
          for (const p of listing) writable.set(p.name, p.writable);
          const read = new Set<string>();
          const expected: unknown[] = [];
          reads.forEach((r, i) => {
            const last = new Map<string, string>();
            for (const p of r) last.set(p.name, p.value);
            const nodes = [...last].filter(([n]) => writable.has(n)).map(([n, v]) => [n, writable.get(n), v, 'xsd:string']);
            const values = [...last].filter(([n]) => !writable.has(n)).map(([n, v]) => [n, v, 'xsd:string']);
            for (const [n] of last) read.add(n);
            if (nodes.length > 0) expected.push({ k: 'nodes', at: 1, valuesAt: 2 + i, touch: true, items: nodes });
            if (values.length > 0) expected.push({ k: 'values', at: 2 + i, touch: true, items: values });
          });
          const names = [...writable].filter(([n]) => !read.has(n));
          const got = steps.filter((s) => s.k === 'nodes' || s.k === 'values');
          expect(got).toEqual(expected);
          expect(steps.find((s) => s.k === 'names')?.items ?? []).toEqual(names);
          if (clear) {
            // After the clear only secrets can remain: the keep list is the listed (or implied) ones.
            const keep = (steps.find((s) => s.k === 'prune') as { keep: string[] }).keep;
            for (const k of keep) expect(/(password|passphrase|key|psk|secret|pin)$/i.test(k)).toBe(true);
            for (const p of listing) if (/(password|key|pin)$/i.test(p.name)) expect(keep).toContain(p.name);
          }
        },
      ),
      { seed: 20261204, numRuns: 800 },
    );
  });

  it('after a clear, each listed node and unlisted ancestor goes in the section its own path gives it (hostile names, rows kept), the rest stay rows', () => {
    // Paths in every shape the section rule tells apart: the root's own leaves, two levels,
    // instances at the fourth, deeper leaves, names a JSON path cannot quote (in the leaf or in a
    // parent), secrets the clear keeps and a path that must stay a row; listed in any order, with
    // parents left out.
    const pathArb = fc.constantFrom(
      'D.', 'D.r', 'D.W.', 'D.W.n', 'D.W.m', 'D.W.S.', 'D.W.S.1.', 'D.W.S.1.a', 'D.W.S.1.b', 'D.W.S.1.Password', 'D.W.S.2.a',
      'D.W.S.x.a', 'D.W.S.1.T.1.z', 'D.W.S.1.T.1.y', 'D.W.q"', 'D.W.p', 'D.Q"x.a', 'D.Q"x.b', 'D.W.S.1.c\\d', 'D.I.1.v', 'D.I.1.w', 'D.W.Searched',
    );
    const staysRow = new Set(['D.W.Searched']);
    fc.assert(
      fc.property(fc.array(pathArb, { maxLength: 24 }), (listing) => {
        const ops: ParameterOp[] = [{ op: 'clearTree' }, { op: 'setNames', at: 1, root: 'D.', nextLevel: false, params: listing.map((name) => ({ name, writable: true })) }];
        const steps = planParameterOps(ops, { sectionOf: (path) => (staysRow.has(path) ? null : sectionFor(path)) });
        const inSections = new Map<string, string>();
        for (const step of steps) if (step.k === 'sections') for (const i of step.entries.order) inSections.set(step.entries.name[i]!, step.entries.section[i]!);
        const rows = new Set<string>();
        for (const step of steps) {
          if (step.k === 'names') for (const [name] of step.items) rows.add(name);
          if (step.k === 'ensure') for (const name of step.items) rows.add(name);
        }
        // The reference: every listed path and every ancestor of one under the root, judged alone.
        const nodes = new Set<string>(listing);
        for (const name of listing) {
          const parts = name.split('.');
          for (let i = parts.length - (name.endsWith('.') ? 2 : 1); i > 0; i--) nodes.add(`${parts.slice(0, i).join('.')}.`);
        }
        for (const node of nodes) {
          const kept = /(password|passphrase|key|psk|secret|pin)$/i.test(node);
          const section = kept || staysRow.has(node) ? null : sectionFor(node);
          if (section === null) {
            expect(rows.has(node), node).toBe(true);
            expect(inSections.has(node), node).toBe(false);
          } else {
            expect(inSections.get(node), node).toBe(section);
            expect(rows.has(node), node).toBe(false);
          }
        }
        expect(new Set([...rows, ...inSections.keys()])).toEqual(nodes);
      }),
      { seed: 20261205, numRuns: 1500 },
    );
  });

  it('a frozen listing shared by many commits (its columns worked out once) plans what a fresh copy plans, whatever each commit wrote before it', () => {
    const pathArb = fc.constantFrom('D.', 'D.r', 'D.W.', 'D.W.n', 'D.W.S.1.a', 'D.W.S.1.Password', 'D.W.S.2.a', 'D.Q"x.a', 'D.I.1.v', 'D.W.Searched', 'D.X.pin');
    const rules = { sectionOf: (path: string) => (path === 'D.W.Searched' ? null : sectionFor(path)) };
    const otherRules = { sectionOf: (path: string) => (path.startsWith('D.W.') ? null : sectionFor(path)) };
    const commitArb = fc.record({
      clear: fc.boolean(),
      nextLevel: fc.boolean(),
      before: fc.array(pathArb, { maxLength: 4 }),
      reads: fc.array(fc.array(fc.record({ name: pathArb, value: fc.constantFrom('', '1') }), { maxLength: 8 }), { maxLength: 2 }),
      rules: fc.constantFrom(null, rules, otherRules),
    });
    fc.assert(
      fc.property(fc.array(fc.record({ name: pathArb, writable: fc.boolean() }), { maxLength: 16 }), fc.array(commitArb, { minLength: 1, maxLength: 4 }), (listing, commits) => {
        const shared = Object.freeze(listing.map((p) => Object.freeze({ ...p })));
        for (const c of commits) {
          const ops = (params: Extract<ParameterOp, { op: 'setNames' }>['params']): ParameterOp[] => [
            ...(c.clear ? [{ op: 'clearTree' as const }] : []),
            { op: 'setValues', at: 1, touch: false, params: c.before.map((name) => ({ name, value: 'v', type: 'xsd:string' })) },
            { op: 'setNames', at: 2, root: 'D.', nextLevel: c.nextLevel, params },
            ...c.reads.map((r, i): ParameterOp => ({ op: 'setValues', at: 3 + i, touch: true, params: r.map((p) => ({ ...p, type: 'xsd:string' })) })),
          ];
          const fresh = planParameterOps(ops(listing.map((p) => ({ ...p }))), c.rules);
          expect(planParameterOps(ops(shared as Extract<ParameterOp, { op: 'setNames' }>['params']), c.rules)).toEqual(fresh);
        }
      }),
      { seed: 20261206, numRuns: 600 },
    );
  });

  it("a whole-subtree prune lists every listed node and ancestor, or after the commit's clear only those that can exist: secrets the clear kept, rows written since", () => {
    const listing = { op: 'setNames' as const, at: 1, root: 'A.', nextLevel: false, params: ['A.', 'A.B.x', 'A.B.Password', 'A.C.y'].map((name) => ({ name, writable: true })) };
    const keepOf = (steps: ReturnType<typeof planParameterOps>) => steps.find((s) => s.k === 'prune')!;
    expect(keepOf(planParameterOps([listing]))).toMatchObject({ keep: ['A.', 'A.B.x', 'A.B.Password', 'A.C.y', 'A.B.', 'A.C.'] });
    const bootstrap = planParameterOps([{ op: 'clearTree' }, { op: 'setValues', at: 1, touch: false, params: [{ name: 'A.C.y', value: '1', type: 'xsd:int' }] }, { op: 'addObject', at: 1, path: 'A.B.' }, listing]);
    expect(keepOf(bootstrap)).toMatchObject({ keep: ['A.', 'A.B.Password', 'A.C.y', 'A.B.'] });
  });

  it('releasing without a commit requeues only if the lock was ours', () => {
    expect(releaseOps('me', T0)).toEqual([{ k: 'unlock', owner: 'me', requeueAt: T0 }]);
  });
});
