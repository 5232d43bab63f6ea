import { describe, expect, it } from 'vitest';
import {
  assess,
  CampaignInputError,
  nextWave,
  parseCampaignDefinition,
  planWaves,
  skipReason,
  startBudget,
  stopReason,
  waveOf,
  windowAt,
  zoneOf,
  type InFlightFacts,
} from '../../src/campaigns/index.js';

const anyFilter = (): void => undefined;
const parse = (o: unknown) => parseCampaignDefinition(o, anyFilter);
const base = { name: 'fw 2.0', fileId: 'f1' };

describe('campaign definition', () => {
  it('fills defaults and keeps what was given', () => {
    const d = parse({ ...base, filter: 'oui = 00D09E', waves: [{ size: 2 }, { percent: 100 }], stopRules: { maxFailureRatio: 0.3 } });
    expect(d.filter).toEqual(['oui = 00D09E']);
    expect(d.waves).toEqual([{ size: 2 }, { percent: 100 }]);
    expect(d.stopRules).toEqual({ maxFailureRatio: 0.3, maxConsecutiveFailures: null });
    expect(d.limits).toEqual({ maxConcurrent: null, startsPerMinute: null });
    expect(d.successCheck.deadlineSeconds).toBe(3600);
    expect(d.window).toBeNull();
    expect(parse(base).waves).toEqual([{ percent: 100 }]);
  });

  it.each([
    [{ ...base, name: '' }, 'name'],
    [{ ...base, name: 'x'.repeat(201) }, 'name'],
    [{ name: 'a' }, 'fileId'],
    [{ ...base, waves: [] }, 'waves'],
    [{ ...base, waves: [{ size: 0 }] }, 'waves[0].size'],
    [{ ...base, waves: [{ size: 1.5 }] }, 'waves[0].size'],
    [{ ...base, waves: [{ percent: 101 }] }, 'waves[0].percent'],
    [{ ...base, waves: [{ size: 1, percent: 5 }] }, 'waves[0]'],
    [{ ...base, waves: Array.from({ length: 101 }, () => ({ size: 1 })) }, 'waves'],
    [{ ...base, stopRule: {} }, 'stopRule'],
    [{ ...base, stopRules: { maxFailureRatio: 2 } }, 'stopRules.maxFailureRatio'],
    [{ ...base, stopRules: { maxFailureRatio: '0.1' } }, 'stopRules.maxFailureRatio'],
    [{ ...base, stopRules: { maxConsecutiveFailures: 0 } }, 'stopRules.maxConsecutiveFailures'],
    [{ ...base, window: { cron: 'not a cron', durationMinutes: 60 } }, 'window.cron'],
    [{ ...base, window: { cron: '0 2 * * *', durationMinutes: 0 } }, 'window.durationMinutes'],
    [{ ...base, window: { cron: '0 2 * * *', durationMinutes: 60, timezone: 'Mars/Olympus' } }, 'window.timezone'],
    [{ ...base, limits: { maxConcurrent: -1 } }, 'limits.maxConcurrent'],
    [{ ...base, filter: 42 }, 'filter'],
    [[], 'body'],
    [null, 'body'],
  ])('refuses %j at %s', (input, field) => {
    try {
      parse(input);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(CampaignInputError);
      expect((e as CampaignInputError).field).toBe(field);
    }
  });

  it('reports a filter the parser refuses, with its index', () => {
    const strict = (f: string) => {
      if (f.includes('!')) throw new Error('bad operator');
    };
    expect(() => parseCampaignDefinition({ ...base, filter: ['a = 1', 'b ! 2'] }, strict)).toThrow(/filter\[1\]: bad operator/);
  });
});

describe('waves', () => {
  it('canary of 10 then 50% waves over 200 devices', () => {
    expect(planWaves(200, [{ size: 10 }, { percent: 50 }, { percent: 50 }])).toEqual([10, 100, 90]);
  });
  it('the last wave takes what is left; waves past the end are empty', () => {
    expect(planWaves(5, [{ size: 2 }, { size: 2 }])).toEqual([2, 3]);
    expect(planWaves(3, [{ size: 2 }, { size: 5 }, { percent: 100 }])).toEqual([2, 1, 0]);
    expect(planWaves(0, [{ size: 2 }, { percent: 100 }])).toEqual([0, 0]);
    expect(planWaves(7, [{ percent: 10 }, { percent: 100 }])).toEqual([1, 6]);
  });
  it('assigns positions to waves', () => {
    const sizes = [2, 3, 0, 1];
    expect([0, 1, 2, 4, 5].map((i) => waveOf(i, sizes))).toEqual([0, 0, 1, 1, 3]);
    expect(nextWave(sizes, 1)).toBe(3);
    expect(nextWave(sizes, 3)).toBe('done');
  });
});

describe('windows', () => {
  const at = (iso: string) => Date.parse(iso);
  const w = { cron: '0 2 * * *', durationMinutes: 120, timezone: 'UTC' };
  it('is open from the cron time for its duration', () => {
    expect(windowAt(w, { timezone: 'UTC' }, at('2026-01-05T02:30:00Z'))).toEqual({ open: true, opensAt: at('2026-01-05T02:00:00Z'), closesAt: at('2026-01-05T04:00:00Z') });
    expect(windowAt(w, { timezone: 'UTC' }, at('2026-01-05T02:00:00Z')).open).toBe(true);
    const closed = windowAt(w, { timezone: 'UTC' }, at('2026-01-05T04:00:00Z'));
    expect(closed).toEqual({ open: false, closesAt: null, opensAt: at('2026-01-06T02:00:00Z') });
  });
  it('reads the cron in the device zone', () => {
    // 02:00 in Berlin in January is 01:00 UTC.
    expect(windowAt(w, { timezone: 'Europe/Berlin' }, at('2026-01-05T01:30:00Z')).open).toBe(true);
    expect(windowAt(w, { timezone: 'Europe/Berlin' }, at('2026-01-05T03:30:00Z')).open).toBe(false);
    expect(windowAt(w, { utcOffset: 60 }, at('2026-01-05T01:30:00Z')).open).toBe(true);
  });
  it('understands what devices report as their zone', () => {
    expect(zoneOf('Europe/Berlin')).toEqual({ timezone: 'Europe/Berlin' });
    expect(zoneOf('CET-1CEST,M3.5.0,M10.5.0/3')).toEqual({ utcOffset: 60 });
    expect(zoneOf('EST5EDT')).toEqual({ utcOffset: -300 });
    expect(zoneOf('<+0530>-5:30')).toEqual({ utcOffset: 330 });
    expect(zoneOf('+01:00')).toEqual({ utcOffset: 60 });
    expect(zoneOf('-03:30')).toEqual({ utcOffset: -210 });
    expect(zoneOf('')).toBeNull();
    expect(zoneOf('rubbish')).toBeNull();
    expect(zoneOf('Nowhere/Atlantis')).toBeNull();
    expect(zoneOf(null)).toBeNull();
  });
});

describe('applicability', () => {
  const dev = { oui: '00D09E', productClass: 'IGD', version: '1.0' };
  it('skips devices on the version or outside the file', () => {
    expect(skipReason(dev, '2.0', null)).toBeNull();
    expect(skipReason({ ...dev, version: '2.0' }, '2.0', null)).toBe('already on the version');
    expect(skipReason(dev, '2.0', { oui: ['AABBCC'] })).toMatch(/not applicable \(OUI/);
    expect(skipReason(dev, '2.0', { productClass: ['Other'] })).toMatch(/product class/);
    expect(skipReason(dev, '2.0', { fromVersions: ['0.9'] })).toMatch(/version 1.0/);
    expect(skipReason(dev, '2.0', { oui: ['00D09E'], productClass: [], fromVersions: ['1.0'] })).toBeNull();
    // A downgrade is the same rule with an older version.
    expect(skipReason({ ...dev, version: '2.0' }, '1.0', null)).toBeNull();
  });
});

describe('device outcomes', () => {
  const def = { successCheck: { deadlineSeconds: 60 } };
  const T = 1_000_000;
  const f = (over: Partial<InFlightFacts>): InFlightFacts => ({
    state: 'scheduled',
    scheduledAt: T,
    downloadingAt: null,
    task: { state: 'queued', fault: null },
    version: '1.0',
    lastBoot: T - 5000,
    ...over,
  });
  it('follows the task through the download', () => {
    expect(assess(f({}), '2.0', def, T + 1000)).toBeNull();
    expect(assess(f({ task: { state: 'running', fault: null } }), '2.0', def, T + 1000)).toEqual({ state: 'downloading' });
    expect(assess(f({ state: 'downloading', downloadingAt: T, task: { state: 'running', fault: null }, lastBoot: T + 10 }), '2.0', def, T + 1000)).toEqual({ state: 'installing' });
  });
  it('succeeds on the version after a boot since the download', () => {
    expect(assess(f({ state: 'downloading', task: { state: 'done', fault: null }, version: '2.0', lastBoot: T + 10 }), '2.0', def, T + 1000)).toEqual({ state: 'succeeded' });
    // The version without a boot since: not yet.
    expect(assess(f({ state: 'downloading', downloadingAt: T, task: { state: 'done', fault: null }, version: '2.0', lastBoot: T - 1 }), '2.0', def, T + 1000)).toEqual({ state: 'installing' });
  });
  it('fails with the CPE fault', () => {
    const a = assess(f({ state: 'downloading', task: { state: 'fault', fault: { code: 9010, message: 'Download failure' } } }), '2.0', def, T + 1000);
    expect(a).toEqual({ state: 'failed', reason: 'CPE fault 9010: Download failure', fault: { code: 9010, message: 'Download failure' } });
  });
  it('fails a device that does not come back within the deadline', () => {
    const silent = f({ state: 'downloading', downloadingAt: T, task: { state: 'running', fault: null } });
    expect(assess(silent, '2.0', def, T + 60_000)).toBeNull();
    expect(assess(silent, '2.0', def, T + 60_001)).toEqual({ state: 'failed', reason: 'did not come back' });
    expect(assess(f({ state: 'installing', downloadingAt: T, task: { state: 'done', fault: null }, lastBoot: T + 5, version: '1.5' }), '2.0', def, T + 1000)).toEqual({
      state: 'failed',
      reason: 'came back with version 1.5',
    });
  });
  it('skips a device whose task expired unreached, fails one whose task vanished', () => {
    expect(assess(f({ task: { state: 'expired', fault: null } }), '2.0', def, T)).toEqual({ state: 'skipped', reason: 'offline past the window' });
    expect(assess(f({ task: null }), '2.0', def, T)?.state).toBe('failed');
  });
});

describe('stop rules and caps', () => {
  const rules = { maxFailureRatio: 0.1, maxConsecutiveFailures: 3 };
  it('pauses when more than the ratio of a wave failed', () => {
    expect(stopReason(rules, 0, { waveSize: 10, failedInWave: 1, recentOutcomes: ['failed', 'succeeded'] })).toBeNull();
    expect(stopReason(rules, 0, { waveSize: 10, failedInWave: 2, recentOutcomes: [] })).toMatch(/2 of 10 devices failed in wave 1/);
  });
  it('pauses after N failures in a row', () => {
    expect(stopReason(rules, 2, { waveSize: 1000, failedInWave: 3, recentOutcomes: ['failed', 'failed', 'succeeded', 'failed'] })).toBeNull();
    expect(stopReason(rules, 2, { waveSize: 1000, failedInWave: 3, recentOutcomes: ['failed', 'failed', 'failed', 'succeeded'] })).toBe('stop rule: 3 failures in a row');
    expect(stopReason({ maxFailureRatio: null, maxConsecutiveFailures: null }, 0, { waveSize: 1, failedInWave: 1, recentOutcomes: ['failed'] })).toBeNull();
  });
  it('caps starts by transfers at once and by starts per minute', () => {
    expect(startBudget({ maxConcurrent: null, startsPerMinute: null }, 5, 5)).toBe(Number.MAX_SAFE_INTEGER);
    expect(startBudget({ maxConcurrent: 10, startsPerMinute: null }, 7, 0)).toBe(3);
    expect(startBudget({ maxConcurrent: 10, startsPerMinute: 4 }, 0, 3)).toBe(1);
    expect(startBudget({ maxConcurrent: 10, startsPerMinute: 4 }, 12, 0)).toBe(0);
  });
});
