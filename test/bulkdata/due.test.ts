/**
 * When a session checks the device's bulk data profiles (src/session/programs/bulkdata.ts):
 * decided from what the session opened with, so an idle periodic session runs no program and
 * makes no extra store call.
 */
import { describe, expect, it } from 'vitest';
import { bulkDataDue } from '../../src/session/programs/bulkdata.js';
import type { SessionView } from '../../src/session/program.js';
import type { SamplingProfile } from '../../src/store/types.js';

const DAY = 86_400_000;
const T = Date.UTC(2026, 11, 3, 12);
const profile = (updatedAt: number): SamplingProfile => ({
  id: 'p',
  name: 'p',
  enabled: true,
  intervalSeconds: 60,
  parameters: [{ path: 'Device.X' }],
  match: {},
  bulkData: { encoding: 'CSV', reportFormat: 'ParameterPerRow' },
  createdAt: 0,
  updatedAt,
});
const view = (events: string[], lastInform: number | null, startedAt = T): SessionView =>
  ({
    startedAt,
    inform: { event: events.map((eventCode) => ({ eventCode, commandKey: '' })) },
    device: lastInform === null ? null : { lastInform },
  }) as unknown as SessionView;

describe('bulkDataDue', () => {
  it('an idle periodic session of a configured device: no', () => {
    expect(bulkDataDue(view(['2 PERIODIC'], T - 60_000), [profile(T - DAY / 2)], 0)).toBe(false);
    expect(bulkDataDue(view(['2 PERIODIC'], T - 60_000), [], 0)).toBe(false);
  });
  it('a new device, a bootstrap, a boot: yes, when a profile applies', () => {
    expect(bulkDataDue(view(['0 BOOTSTRAP'], null), [profile(0)], 0)).toBe(true);
    expect(bulkDataDue(view(['0 BOOTSTRAP', '1 BOOT'], T - 60_000), [profile(0)], 0)).toBe(true);
    expect(bulkDataDue(view(['1 BOOT'], T - 60_000), [profile(0)], 0)).toBe(true);
    expect(bulkDataDue(view(['1 BOOT'], T - 60_000), [], 0)).toBe(false);
  });
  it('a profile changed since the last Inform, or the set (one deleted): yes', () => {
    expect(bulkDataDue(view(['2 PERIODIC'], T - 60_000), [profile(T - 30_000)], 0)).toBe(true);
    expect(bulkDataDue(view(['2 PERIODIC'], T - 60_000), [], T - 30_000)).toBe(true);
    expect(bulkDataDue(view(['2 PERIODIC'], T - 60_000), [], T - 90_000)).toBe(false);
  });
  it('the first session of a UTC day: yes', () => {
    const midnight = Date.UTC(2026, 11, 4);
    expect(bulkDataDue(view(['2 PERIODIC'], midnight - 60_000, midnight + 60_000), [profile(0)], 0)).toBe(true);
  });
});
