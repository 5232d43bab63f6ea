/**
 * A campaign as an operator writes it (JSON from the API) → a CampaignDefinition with every
 * default filled in, or a CampaignInputError naming the member that is wrong. Unknown
 * members are errors: a misspelt "stopRule" must not silently run a campaign without brakes.
 */
import { Cron } from 'croner';
import type { CampaignDefinition, WaveSpec, WindowSpec } from './types.js';

export const CAMPAIGN_LIMITS = {
  name: 200,
  filters: 32,
  filter: 1000,
  waves: 100,
  waveSize: 10_000_000,
  cron: 120,
  windowMinutes: 7 * 24 * 60,
  cap: 1_000_000,
  deadlineSeconds: 30 * 86_400,
} as const;

export const DEFAULTS = { deadlineSeconds: 3600, offlineSeconds: 86_400 } as const;

export class CampaignInputError extends Error {
  override readonly name = 'CampaignInputError';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
  }
}

function fail(field: string, message: string): never {
  throw new CampaignInputError(field, message);
}

function obj(v: unknown, field: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(field, 'must be an object');
  return v as Record<string, unknown>;
}

function only(o: Record<string, unknown>, allowed: readonly string[], field: string): void {
  for (const k of Object.keys(o)) if (!allowed.includes(k)) fail(field === '' ? k : `${field}.${k}`, 'unknown member');
}

function str(v: unknown, field: string, max: number): string {
  if (typeof v !== 'string') fail(field, 'must be a string');
  if (v.length > max) fail(field, `longer than ${max} characters`);
  return v;
}

function int(v: unknown, field: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v)) fail(field, 'must be an integer');
  if (v < min || v > max) fail(field, `must be between ${min} and ${max}`);
  return v;
}

function optInt(v: unknown, field: string, min: number, max: number): number | null {
  return v === undefined || v === null ? null : int(v, field, min, max);
}

/** True when `name` is a time zone this runtime knows (IANA names, "UTC"). */
export function isTimeZone(name: string): boolean {
  if (name.length === 0 || name.length > 64) return false;
  try {
    new Intl.DateTimeFormat('en', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

/** Parses as croner does when the window is evaluated, so a bad expression fails at creation. */
export function checkCron(expr: string, field: string): void {
  try {
    new Cron(expr, { timezone: 'UTC' });
  } catch (e) {
    fail(field, `not a cron expression (${e instanceof Error ? e.message : String(e)})`);
  }
}

function wave(v: unknown, field: string): WaveSpec {
  const o = obj(v, field);
  only(o, ['size', 'percent'], field);
  if ((o.size === undefined) === (o.percent === undefined)) fail(field, 'needs exactly one of size or percent');
  if (o.size !== undefined) return { size: int(o.size, `${field}.size`, 1, CAMPAIGN_LIMITS.waveSize) };
  const p = o.percent;
  if (typeof p !== 'number' || !Number.isFinite(p) || p <= 0 || p > 100) fail(`${field}.percent`, 'must be a number above 0 and at most 100');
  return { percent: p };
}

function windowOf(v: unknown): WindowSpec | null {
  if (v === undefined || v === null) return null;
  const o = obj(v, 'window');
  only(o, ['cron', 'durationMinutes', 'timezone'], 'window');
  const cron = str(o.cron, 'window.cron', CAMPAIGN_LIMITS.cron).trim();
  checkCron(cron, 'window.cron');
  const durationMinutes = int(o.durationMinutes, 'window.durationMinutes', 1, CAMPAIGN_LIMITS.windowMinutes);
  const timezone = o.timezone === undefined ? 'UTC' : str(o.timezone, 'window.timezone', 64);
  if (timezone !== 'device' && !isTimeZone(timezone)) fail('window.timezone', `"${timezone}" is not a time zone (UTC, an IANA name, or "device")`);
  return { cron, durationMinutes, timezone };
}

/**
 * `checkFilter` parses one filter expression (the NBI's language) and throws with a message
 * when it does not; the definition keeps the text, the runner parses it again.
 */
export function parseCampaignDefinition(input: unknown, checkFilter: (expr: string) => void): CampaignDefinition {
  const o = obj(input, 'body');
  only(o, ['name', 'fileId', 'filter', 'waves', 'window', 'limits', 'successCheck', 'offlineSeconds', 'stopRules', 'backupFirst'], '');
  if (o.backupFirst !== undefined && typeof o.backupFirst !== 'boolean') fail('backupFirst', 'must be true or false');
  const name = str(o.name, 'name', CAMPAIGN_LIMITS.name).trim();
  if (name === '') fail('name', 'must not be empty');
  const fileId = str(o.fileId, 'fileId', 128);
  if (fileId === '') fail('fileId', 'must not be empty');

  const list = o.filter === undefined ? [] : typeof o.filter === 'string' ? [o.filter] : o.filter;
  if (!Array.isArray(list)) fail('filter', 'must be a string or an array of strings');
  if (list.length > CAMPAIGN_LIMITS.filters) fail('filter', `at most ${CAMPAIGN_LIMITS.filters} expressions`);
  const filter = list.map((f, i) => {
    const text = str(f, `filter[${i}]`, CAMPAIGN_LIMITS.filter).trim();
    try {
      checkFilter(text);
    } catch (e) {
      fail(`filter[${i}]`, e instanceof Error ? e.message : String(e));
    }
    return text;
  });

  const wavesIn = o.waves === undefined ? [{ percent: 100 }] : o.waves;
  if (!Array.isArray(wavesIn) || wavesIn.length === 0) fail('waves', 'must be a non-empty array');
  if (wavesIn.length > CAMPAIGN_LIMITS.waves) fail('waves', `at most ${CAMPAIGN_LIMITS.waves} waves`);
  const waves = wavesIn.map((w, i) => wave(w, `waves[${i}]`));

  const limitsIn = o.limits === undefined ? {} : obj(o.limits, 'limits');
  only(limitsIn, ['maxConcurrent', 'startsPerMinute'], 'limits');
  const successIn = o.successCheck === undefined ? {} : obj(o.successCheck, 'successCheck');
  only(successIn, ['deadlineSeconds'], 'successCheck');
  const rulesIn = o.stopRules === undefined ? {} : obj(o.stopRules, 'stopRules');
  only(rulesIn, ['maxFailureRatio', 'maxConsecutiveFailures'], 'stopRules');
  const ratio = rulesIn.maxFailureRatio;
  if (ratio !== undefined && ratio !== null && (typeof ratio !== 'number' || !Number.isFinite(ratio) || ratio < 0 || ratio > 1)) {
    fail('stopRules.maxFailureRatio', 'must be a number from 0 to 1');
  }

  return {
    name,
    fileId,
    filter,
    waves,
    window: windowOf(o.window),
    limits: {
      maxConcurrent: optInt(limitsIn.maxConcurrent, 'limits.maxConcurrent', 1, CAMPAIGN_LIMITS.cap),
      startsPerMinute: optInt(limitsIn.startsPerMinute, 'limits.startsPerMinute', 1, CAMPAIGN_LIMITS.cap),
    },
    successCheck: { deadlineSeconds: optInt(successIn.deadlineSeconds, 'successCheck.deadlineSeconds', 1, CAMPAIGN_LIMITS.deadlineSeconds) ?? DEFAULTS.deadlineSeconds },
    offlineSeconds: optInt(o.offlineSeconds, 'offlineSeconds', 1, CAMPAIGN_LIMITS.deadlineSeconds) ?? DEFAULTS.offlineSeconds,
    stopRules: {
      maxFailureRatio: typeof ratio === 'number' ? ratio : null,
      maxConsecutiveFailures: optInt(rulesIn.maxConsecutiveFailures, 'stopRules.maxConsecutiveFailures', 1, CAMPAIGN_LIMITS.cap),
    },
    backupFirst: o.backupFirst === true,
  };
}
