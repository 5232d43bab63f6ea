/**
 * Schedule triggers without a network: windows in the device's zone (kept in its memo) or a
 * named one; a policy applies in a session inside its window, once per window, and a session
 * outside it (or after it applied) does nothing; the parser refuses bad schedules by position.
 */
import { describe, expect, it } from 'vitest';
import type { RpcOutcome } from '../../src/cwmp/acs-session.js';
import type { Inform } from '../../src/cwmp/types.js';
import { PolicySet } from '../../src/policies/engine.js';
import { digest, formatMemo } from '../../src/policies/memo.js';
import { DEFAULT_POLICY_SESSION_SETTINGS, policyProgram } from '../../src/policies/program.js';
import { openWindow, windowMinutes } from '../../src/policies/schedule.js';
import { parsePolicyDefinition, PolicyInputError } from '../../src/policies/validate.js';
import type { ProgramContext } from '../../src/session/program.js';
import type { PolicyCommit, PolicyRecord, PolicySchedule } from '../../src/store/types.js';

const NTP = 'Device.Time.NTPServer1';
const at = (iso: string): number => Date.parse(iso);

function policy(schedule: PolicySchedule): PolicyRecord {
  return { id: 'p1', revision: 1, name: 'night', filter: [], filters: [], triggers: [schedule], priority: 0, enabled: true, declarations: [{ path: NTP, value: 'night.ntp.test' }], createdAt: 0, updatedAt: 0, author: 't' };
}

/** One periodic session at `now`: the RPC methods it sends (NTP answered "old" until set) and what it commits. */
function session(p: PolicyRecord, memo: string | null, now: number): { methods: string[]; commit: PolicyCommit | undefined } {
  const commits: PolicyCommit[] = [];
  const inform: Inform = {
    method: 'Inform',
    deviceId: { manufacturer: 'M', oui: '000000', productClass: 'P', serialNumber: 'S1' },
    event: [{ eventCode: '2 PERIODIC', commandKey: '' }],
    maxEnvelopes: 1,
    currentTime: new Date(now).toISOString(),
    retryCount: 0,
    parameterList: [],
  };
  const ctx: ProgramContext = {
    view: {
      deviceId: 'M-P-S1',
      inform,
      device: null,
      policyMemo: memo,
      auth: 'anyone',
      credentials: null,
      startedAt: now,
      learnt: () => undefined,
      learntUnder: () => [],
      stored: () => undefined,
      storedUnder: () => [],
      now: () => now,
    },
    queue: [],
    record: { settle() {}, link() {}, policy: (c) => commits.push(c), credentials() {}, progress() {}, samples() {} },
    opened: { subscriber: null },
  };
  const program = policyProgram(ctx, new PolicySet([p], { scripts: null }), DEFAULT_POLICY_SESSION_SETTINGS);
  const methods: string[] = [];
  let value = 'old.ntp.test';
  for (let i = 0; program !== null && i < 20; i++) {
    const rpc = program.next();
    if (rpc === null) break;
    methods.push(rpc.request.method);
    let answer: RpcOutcome;
    if (rpc.request.method === 'SetParameterValues') {
      value = rpc.request.parameterList[0]!.value;
      answer = { ok: true, response: { method: 'SetParameterValuesResponse', status: 0 } };
    } else if (rpc.request.method === 'GetParameterValues') {
      answer = { ok: true, response: { method: 'GetParameterValuesResponse', parameterList: [{ name: NTP, value, type: 'xsd:string' }] } };
    } else throw new Error(`unexpected ${rpc.request.method}`);
    program.learn(answer);
  }
  return { methods, commit: commits.at(-1) };
}

describe('schedule windows', () => {
  it('window lengths, wrapping midnight; malformed ones refused', () => {
    expect(windowMinutes('01:00-05:00')).toBe(240);
    expect(windowMinutes('22:00-02:00')).toBe(240);
    expect(windowMinutes(undefined)).toBe(60);
    for (const bad of ['1:00-05:00', '01:00-24:00', '01:00', '01:60-02:00', '']) expect(windowMinutes(bad), bad).toBeNull();
  });

  it("in the device's zone (Europe/Paris: 00:30 UTC is 01:30 there), UTC when it is unknown, or a named zone", () => {
    const p = policy({ cron: '0 1 * * *', window: '01:00-05:00', timeZone: 'device' });
    expect(openWindow(p, 'Europe/Paris', at('2026-12-03T00:30:00Z'))).toBe(at('2026-12-03T00:00:00Z'));
    expect(openWindow(p, null, at('2026-12-03T00:30:00Z'))).toBeNull();
    expect(openWindow(p, null, at('2026-12-03T01:30:00Z'))).toBe(at('2026-12-03T01:00:00Z'));
    expect(openWindow(p, 'Europe/Paris', at('2026-12-03T12:00:00Z'))).toBeNull();
    // TR-098 style offsets and POSIX strings are understood too.
    expect(openWindow(p, '+01:00', at('2026-12-03T00:30:00Z'))).toBe(at('2026-12-03T00:00:00Z'));
    const ny = policy({ cron: '0 1 * * *', window: '01:00-05:00', timeZone: 'America/New_York' });
    expect(openWindow(ny, 'Europe/Paris', at('2026-12-03T07:00:00Z'))).toBe(at('2026-12-03T06:00:00Z'));
    // Weekdays only: Saturday 2026-12-05 has no window.
    const weekdays = policy({ cron: '0 1 * * 1-5', window: '01:00-05:00', timeZone: 'UTC' });
    expect(openWindow(weekdays, null, at('2026-12-05T02:00:00Z'))).toBeNull();
    expect(openWindow(weekdays, null, at('2026-12-04T02:00:00Z'))).toBe(at('2026-12-04T01:00:00Z'));
  });
});

describe('a scheduled policy in sessions', () => {
  const p = policy({ cron: '0 1 * * *', window: '01:00-05:00', timeZone: 'device' });
  const set = new PolicySet([p], { scripts: null });
  // A device already evaluated once, in Paris: its Inform and tags unchanged since.
  const idle = formatMemo({ h: digest(set.key, [], []), due: null, n: 0, z: 'Europe/Paris' });

  it('outside the window: no program at all', () => {
    expect(session(p, idle, at('2026-12-03T12:00:00Z'))).toEqual({ methods: [], commit: undefined });
    // 00:30 UTC is inside the window in Paris, not in UTC: the zone kept in the memo decides.
    const utc = formatMemo({ h: digest(set.key, [], []), due: null, n: 0 });
    expect(session(p, utc, at('2026-12-03T00:30:00Z')).methods).toEqual([]);
  });

  it('inside the window: applied once; later sessions in the same window are idle; the next night applies again', () => {
    const first = session(p, idle, at('2026-12-03T00:30:00Z'));
    expect(first.methods).toEqual(['GetParameterValues', 'SetParameterValues', 'GetParameterValues']);
    expect(first.commit!.compliance).toEqual([expect.objectContaining({ policyId: 'p1', state: 'compliant' })]);
    const memo = first.commit!.memo;
    expect(JSON.parse(memo)).toMatchObject({ z: 'Europe/Paris', w: { p1: at('2026-12-03T00:00:00Z') } });
    expect(session(p, memo, at('2026-12-03T02:00:00Z'))).toEqual({ methods: [], commit: undefined });
    const next = session(p, memo, at('2026-12-04T00:10:00Z'));
    expect(next.methods[0]).toBe('GetParameterValues');
    expect(JSON.parse(next.commit!.memo).w).toEqual({ p1: at('2026-12-04T00:00:00Z') });
  });
});

describe('schedule triggers in the parser', () => {
  const parse = (triggers: unknown[]) => parsePolicyDefinition({ name: 'n', triggers, declarations: [] }, () => ({ field: 'tag', op: 'eq', value: 'x' }));
  it('accepted forms', () => {
    expect(parse(['0 BOOTSTRAP', { cron: '0 1 * * *', window: '01:00-05:00', timeZone: 'device' }, { cron: '*/5 * * * *', timeZone: 'Europe/Paris' }]).triggers).toEqual([
      '0 BOOTSTRAP',
      { cron: '0 1 * * *', window: '01:00-05:00', timeZone: 'device' },
      { cron: '*/5 * * * *', timeZone: 'Europe/Paris' },
    ]);
  });
  const bad: [unknown, string][] = [
    [{ cron: 'every night' }, 'triggers[0].cron'],
    [{ cron: '0 1 * * *', window: '1-5' }, 'triggers[0].window'],
    [{ cron: '0 1 * * *', timeZone: 'Mars/Olympus' }, 'triggers[0].timeZone'],
    [{ cron: '0 1 * * *', at: 'now' }, 'triggers[0].at'],
    [{ window: '01:00-05:00' }, 'triggers[0].cron'],
    [{ cron: 5 }, 'triggers[0].cron'],
  ];
  for (const [t, field] of bad) {
    it(`refuses ${JSON.stringify(t)} at ${field}`, () => {
      let error: unknown;
      try {
        parse([t]);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(PolicyInputError);
      expect((error as PolicyInputError).position.field).toBe(field);
    });
  }
});
