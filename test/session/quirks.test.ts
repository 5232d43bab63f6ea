/**
 * The quirk adapter (src/session/quirks.ts) between a program and the wire, against a
 * simulated device's data model answering every RPC: what goes on the wire, and what the
 * program gets back (one merged answer, as if nothing had been reshaped).
 */
import { describe, expect, it } from 'vitest';
import type { RpcOutcome } from '../../src/cwmp/acs-session.js';
import type { AcsRequest, CpeResponse as Answer, Fault } from '../../src/cwmp/types.js';
import { createDevice } from '../../src/cpe/device.js';
import { loadModel } from '../../src/cpe/model/load.js';
import { compareVersions, matches, parseQuirkInput, resolveQuirks, SHIPPED_QUIRKS, type QuirkProfile, type QuirkSettings } from '../../src/datamodel/quirks.js';
import type { Program, ProgramRpc } from '../../src/session/program.js';
import { MAX_WALK, PARTIAL_FALLBACK, QuirkedProgram } from '../../src/session/quirks.js';
import { DiscoveryProgram } from '../../src/session/programs/discovery.js';

type CpeResponse = Answer | Fault;

const router = loadModel('tr181-router');

/** A program that sends the given requests in turn and keeps what it learns. */
class Script implements Program {
  readonly name = 'script';
  readonly learnt: RpcOutcome[] = [];
  constructor(readonly requests: AcsRequest[]) {}
  next(): ProgramRpc | null {
    const r = this.requests[this.learnt.length];
    return r === undefined ? null : { request: r, requestId: 't1' };
  }
  learn(a: RpcOutcome): void {
    this.learnt.push(a);
  }
}

/** Drive a program against a device: what went on the wire, in order. */
function run(program: Program, answer: (req: AcsRequest) => CpeResponse): AcsRequest[] {
  const wire: AcsRequest[] = [];
  for (let rpc = program.next(); rpc !== null; rpc = program.next()) {
    wire.push(rpc.request);
    const r = answer(rpc.request);
    program.learn(r.method === 'Fault' ? { ok: false, fault: r.detail, faultcode: r.faultcode } : { ok: true, response: r });
    if (wire.length > 2 * MAX_WALK) throw new Error('runaway');
  }
  return wire;
}

const deviceAnswers = () => {
  const d = createDevice(router, { serialNumber: 'Q1' });
  return { d, answer: (req: AcsRequest) => d.handle(req).response };
};

describe('QuirkedProgram', () => {
  it('maxGetNames: a big GetParameterValues goes in chunks; the program gets one answer with every value', () => {
    const { answer } = deviceAnswers();
    const names = ['Device.DeviceInfo.SoftwareVersion', 'Device.DeviceInfo.UpTime', 'Device.ManagementServer.URL', 'Device.ManagementServer.PeriodicInformInterval', 'Device.DeviceInfo.SerialNumber'];
    const inner = new Script([{ method: 'GetParameterValues', parameterNames: names }]);
    const wire = run(new QuirkedProgram(inner, { maxGetNames: 2 }), answer);
    expect(wire.map((r) => (r.method === 'GetParameterValues' ? r.parameterNames.length : 0))).toEqual([2, 2, 1]);
    expect(inner.learnt).toHaveLength(1);
    const got = inner.learnt[0]!;
    expect(got.ok && got.response.method === 'GetParameterValuesResponse' && got.response.parameterList.map((p) => p.name)).toEqual(names);
  });

  it('learns from a 9002 on a big GetParameterValues: retried in halves at once, reported once', () => {
    const { answer } = deviceAnswers();
    const names = Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? 'Device.DeviceInfo.UpTime' : 'Device.DeviceInfo.SoftwareVersion'));
    const learnt: { s: QuirkSettings; what: string }[] = [];
    const inner = new Script([{ method: 'GetParameterValues', parameterNames: names }]);
    const limited = (req: AcsRequest): CpeResponse =>
      req.method === 'GetParameterValues' && req.parameterNames.length > 3
        ? { method: 'Fault', faultcode: 'Server', faultstring: 'CWMP fault', detail: { faultCode: 9002, faultString: 'Internal error', setParameterValuesFault: [] } }
        : answer(req);
    const wire = run(new QuirkedProgram(inner, {}, { learnt: (s, what) => learnt.push({ s, what }) }), limited);
    expect(wire.map((r) => (r.method === 'GetParameterValues' ? r.parameterNames.length : 0))).toEqual([10, 5, 3, 3, 3, 1]);
    expect(inner.learnt).toHaveLength(1);
    expect(inner.learnt[0]!.ok).toBe(true);
    expect(learnt.map((l) => l.s.maxGetNames)).toEqual([5, 3]);
    expect(learnt[0]!.what).toBe('9002 answering a GetParameterValues of 10 names');
  });

  it('a fault that is not 9002, or on one name, reaches the program as is', () => {
    const inner = new Script([{ method: 'GetParameterValues', parameterNames: ['A.B'] }]);
    const fault: CpeResponse = { method: 'Fault', faultcode: 'Server', faultstring: 'CWMP fault', detail: { faultCode: 9002, faultString: 'x', setParameterValuesFault: [] } };
    const wire = run(new QuirkedProgram(inner, {}), () => fault);
    expect(wire).toHaveLength(1);
    expect(inner.learnt[0]).toMatchObject({ ok: false, fault: { faultCode: 9002 } });
  });

  it('gpnNextLevelOnly: NextLevel false becomes a level walk; the program gets the whole subtree', () => {
    const { answer } = deviceAnswers();
    const whole = answer({ method: 'GetParameterNames', parameterPath: 'Device.ManagementServer.', nextLevel: false });
    const inner = new Script([{ method: 'GetParameterNames', parameterPath: 'Device.ManagementServer.', nextLevel: false }]);
    const wire = run(new QuirkedProgram(inner, { gpnNextLevelOnly: true }), answer);
    expect(wire.every((r) => r.method === 'GetParameterNames' && r.nextLevel)).toBe(true);
    expect(wire.length).toBeGreaterThan(1);
    const got = inner.learnt[0]!;
    const names = (x: CpeResponse) => (x.method === 'GetParameterNamesResponse' ? x.parameterList.map((p) => p.name).sort() : []);
    expect(got.ok && names(got.response)).toEqual(names(whole));
  });

  it('a hostile level walk (children outside the node asked, repeats) does not loop', () => {
    const inner = new Script([{ method: 'GetParameterNames', parameterPath: 'Device.', nextLevel: false }]);
    const evil = (req: AcsRequest): CpeResponse => ({
      method: 'GetParameterNamesResponse',
      parameterList: [{ name: 'Device.', writable: false }, { name: 'Other.', writable: false }, { name: `${req.method === 'GetParameterNames' ? req.parameterPath : ''}A.`, writable: false }],
    });
    const wire = run(new QuirkedProgram(inner, { gpnNextLevelOnly: true }), evil);
    expect(wire.length).toBeLessThanOrEqual(MAX_WALK);
    expect(inner.learnt).toHaveLength(1);
  });

  it('oneParameterPerSet, booleans and xsiType: one value per SetParameterValues, rewritten; one answer; the first fault ends it', () => {
    const { d, answer } = deviceAnswers();
    const set: AcsRequest = {
      method: 'SetParameterValues',
      parameterKey: 'k1',
      parameterList: [
        { name: 'Device.ManagementServer.PeriodicInformEnable', value: 'true', type: 'xsd:boolean' },
        { name: 'Device.DeviceInfo.ProvisioningCode', value: 'Q', type: '' },
      ],
    };
    const inner = new Script([set]);
    const wire = run(new QuirkedProgram(inner, { oneParameterPerSet: true, booleans: 'digits', xsiType: true }), answer);
    expect(wire).toEqual([
      { method: 'SetParameterValues', parameterKey: 'k1', parameterList: [{ name: 'Device.ManagementServer.PeriodicInformEnable', value: '1', type: 'xsd:boolean' }] },
      { method: 'SetParameterValues', parameterKey: 'k1', parameterList: [{ name: 'Device.DeviceInfo.ProvisioningCode', value: 'Q', type: 'xsd:string' }] },
    ]);
    expect(inner.learnt).toEqual([{ ok: true, response: { method: 'SetParameterValuesResponse', status: 0 } }]);
    expect(d.get('Device.DeviceInfo.ProvisioningCode')?.value).toBe('Q');

    const bad = new Script([{ ...set, parameterList: [{ name: 'Device.DeviceInfo.SerialNumber', value: 'X', type: 'xsd:string' }, set.parameterList[1]!] }]);
    const wire2 = run(new QuirkedProgram(bad, { oneParameterPerSet: true }), answer);
    expect(wire2).toHaveLength(1);
    expect(bad.learnt[0]).toMatchObject({ ok: false, fault: { faultCode: 9003 } });
  });

  it('a session that ends with a big GetParameterValues unanswered teaches half its size; CPE requests reach the program', () => {
    const learnt: { s: QuirkSettings; what: string }[] = [];
    const names = Array.from({ length: 9 }, (_, i) => `Device.X.${i}`);
    const seen: string[] = [];
    const inner = new Script([{ method: 'GetParameterValues', parameterNames: names }]);
    Object.assign(inner, { cpeRequest: (r: { method: string }) => seen.push(r.method) });
    const q = new QuirkedProgram(inner, {}, { learnt: (s, what) => learnt.push({ s, what }) });
    q.cpeRequest({ method: 'TransferComplete', commandKey: 'k', faultStruct: { faultCode: 0, faultString: '' }, startTime: '', completeTime: '' });
    expect(seen).toEqual(['TransferComplete']);
    expect(q.next()?.request).toMatchObject({ parameterNames: names });
    q.interrupted('timeout');
    expect(learnt).toEqual([{ s: { maxGetNames: 5 }, what: 'no answer to a GetParameterValues of 9 names (timeout)' }]);
    // An answered request teaches nothing when the session ends later.
    const other = new QuirkedProgram(new Script([{ method: 'GetParameterValues', parameterNames: names }]), {}, { learnt: (s, what) => learnt.push({ s, what }) });
    other.next();
    other.learn({ ok: true, response: { method: 'GetParameterValuesResponse', parameterList: [] } });
    other.interrupted('timeout');
    expect(learnt).toHaveLength(1);
  });

  it("discovery's optional whole-tree read: sent to a device without a names limit, refused (not sent) to one with, which then gets batches in chunks", () => {
    const { answer } = deviceAnswers();
    const leaves = (() => {
      const r = answer({ method: 'GetParameterNames', parameterPath: 'Device.', nextLevel: false });
      return r.method === 'GetParameterNamesResponse' ? r.parameterList.filter((p) => !p.name.endsWith('.')).length : 0;
    })();
    const gpvSizes = (wire: AcsRequest[]): (number | string)[] => wire.filter((r) => r.method === 'GetParameterValues').map((r) => (r.method === 'GetParameterValues' ? (r.parameterNames[0] === 'Device.' ? 'root' : r.parameterNames.length) : 0));

    const free = new DiscoveryProgram('Device.', 256, 100_000);
    expect(gpvSizes(run(new QuirkedProgram(free, {}), answer))).toEqual(['root']);

    const limited = new DiscoveryProgram('Device.', 256, 100_000);
    const sizes = gpvSizes(run(new QuirkedProgram(limited, { maxGetNames: 100 }), answer));
    expect(sizes).not.toContain('root');
    expect(sizes.reduce<number>((a, b) => a + Number(b), 0)).toBe(leaves);
    expect(Math.max(...sizes.map(Number))).toBe(100);
  });

  it('a session that ends with the whole-tree read unanswered teaches the batch size, so the next session reads in batches', () => {
    const learnt: { s: QuirkSettings; what: string }[] = [];
    const q = new QuirkedProgram(new DiscoveryProgram('Device.', 256, 100_000), {}, { learnt: (s, what) => learnt.push({ s, what }) });
    const gpn = q.next()!;
    q.learn({ ok: true, response: { method: 'GetParameterNamesResponse', parameterList: [{ name: 'Device.A', writable: false }, { name: 'Device.B', writable: true }] } });
    expect(gpn.request.method).toBe('GetParameterNames');
    expect(q.next()?.request).toEqual({ method: 'GetParameterValues', parameterNames: ['Device.'] });
    q.interrupted('timeout');
    expect(learnt).toEqual([{ s: { maxGetNames: PARTIAL_FALLBACK }, what: 'no answer to a GetParameterValues of the subtree Device. (timeout)' }]);
  });

  it('without settings, requests go out untouched', () => {
    const { answer } = deviceAnswers();
    const req: AcsRequest = { method: 'SetParameterValues', parameterKey: '', parameterList: [{ name: 'Device.ManagementServer.PeriodicInformEnable', value: 'true', type: 'xsd:boolean' }] };
    const inner = new Script([req]);
    expect(run(new QuirkedProgram(inner, {}), answer)).toEqual([req]);
  });
});

describe('profiles', () => {
  it('versions compare by number runs', () => {
    expect(compareVersions('3.16.0', '3.9.2')).toBe(1);
    expect(compareVersions('V5R020C00S280', 'V5R020C10S100')).toBe(-1);
    expect(compareVersions('1.0', '1.0')).toBe(0);
    expect(compareVersions('1.0', '1.0.1')).toBe(-1);
  });

  it('match by OUI (any case), ProductClass, firmware range; merge shipped < learnt < operator', () => {
    const id = { oui: '00259e', productClass: 'EG8145V5', softwareVersion: 'V5R020C00S280' };
    expect(matches({ oui: '00259E', firmwareMin: 'V5R019', firmwareMax: 'V5R020C99' }, id)).toBe(true);
    expect(matches({ firmwareMin: 'V5R021' }, id)).toBe(false);
    expect(matches({ firmwareMin: 'V1' }, { ...id, softwareVersion: null })).toBe(false);
    const p = (x: Partial<QuirkProfile>): QuirkProfile => ({ id: 'x', name: 'x', source: 'operator', match: {}, settings: {}, evidence: [], enabled: true, createdAt: 0, updatedAt: 0, ...x });
    const r = resolveQuirks(
      [
        ...SHIPPED_QUIRKS,
        p({ id: 'op', source: 'operator', match: { productClass: 'EG8145V5' }, settings: { booleans: 'words' } }),
        p({ id: 'l', source: 'learnt', match: { oui: '00259E' }, settings: { maxGetNames: 32, booleans: 'digits' } }),
        p({ id: 'off', source: 'operator', match: { oui: '00259E' }, settings: { oneParameterPerSet: true }, enabled: false }),
      ],
      id,
    );
    expect(r).toEqual({ settings: { booleans: 'words', maxGetNames: 32 }, profiles: ['shipped:huawei-eg8145v5', 'l', 'op'] });
  });

  it('operator input is checked member by member', () => {
    expect(parseQuirkInput({ name: 'a', match: { oui: 'abcdef' }, settings: { maxGetNames: 5 } })).toEqual({ name: 'a', match: { oui: 'abcdef' }, settings: { maxGetNames: 5 }, enabled: true });
    expect(() => parseQuirkInput(null)).toThrow(/object/);
    expect(() => parseQuirkInput({ name: 'a', match: { oui: 'abcdef', productClass: 'a\u0000' } })).toThrow(/productClass/);
    expect(() => parseQuirkInput({ name: 'a', match: { oui: 'abcdef' }, enabled: 'yes' })).toThrow(/enabled/);
  });
});
