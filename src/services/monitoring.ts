/**
 * Monitoring under the API (docs/monitoring.md): sampling profiles, a device's KPI series,
 * aggregates of a parameter over the devices a filter matches, and TR-232 bulk data reports.
 * Profiles changed here reach every process's sessions through the `sampling.changed` event.
 */
import type { EventBus } from '../events/bus.js';
import { isSecretPath } from '../secrets/rules.js';
import type { DeviceFilter, HourPoint, NewSamplingProfile, SamplePoint, SamplingProfile, SeriesAggregate, Store } from '../store/types.js';
import { invalidArgument, notFound } from './errors.js';

const PATH = /^[A-Za-z_][A-Za-z0-9_-]*(\.([A-Za-z_][A-Za-z0-9_-]*|\d+))*\.?$/;
export const PROFILE_LIMITS = { name: 128, parameters: 64, path: 256, minIntervalSeconds: 1, maxIntervalSeconds: 7 * 86_400 };
/** Devices an aggregate may span (a filter matching more is refused: narrow it). */
export const AGGREGATE_MAX_DEVICES = 100_000;
const PAGE = 5_000;

export interface MonitoringServiceOptions {
  store: Store;
  bus: EventBus;
  now: () => number;
}

/** A path a series may be kept of: well formed, and never a secret. */
export function checkSeriesPath(path: string, field: string): void {
  if (path.length === 0 || path.length > PROFILE_LIMITS.path || !PATH.test(path)) throw invalidArgument(`${field}: "${path.slice(0, 80)}" is not a parameter path`);
  if (isSecretPath(path)) throw invalidArgument(`${field}: ${path} is a secret; it is never sampled or shown`);
}

export class MonitoringService {
  readonly #o: MonitoringServiceOptions;

  constructor(opts: MonitoringServiceOptions) {
    this.#o = opts;
  }

  listProfiles(): Promise<SamplingProfile[]> {
    return this.#o.store.listSamplingProfiles();
  }

  async createProfile(input: NewSamplingProfile): Promise<SamplingProfile> {
    const p = await this.#o.store.createSamplingProfile(checkProfile(input), this.#o.now());
    this.#changed(p.id);
    return p;
  }

  async updateProfile(id: string, input: NewSamplingProfile): Promise<SamplingProfile> {
    const p = await this.#o.store.updateSamplingProfile(id, checkProfile(input), this.#o.now());
    if (p === null) throw notFound(`sampling profile ${id}`);
    this.#changed(id);
    return p;
  }

  async deleteProfile(id: string): Promise<void> {
    if (!(await this.#o.store.deleteSamplingProfile(id))) throw notFound(`sampling profile ${id}`);
    this.#changed(id);
  }

  #changed(profileId: string): void {
    this.#o.bus.publish({ type: 'sampling.changed', at: this.#o.now(), deviceId: '', data: { profileId } });
  }

  async #device(deviceId: string): Promise<void> {
    const page = await this.#o.store.listDevices({ filters: [{ field: 'id', op: 'eq', value: deviceId }], limit: 0 });
    if (page.total === 0) throw notFound(`device ${deviceId}`);
  }

  async paths(deviceId: string): Promise<string[]> {
    await this.#device(deviceId);
    // Secrets are never sampled; a path that was (before it became one) is still not shown.
    return (await this.#o.store.listSeriesPaths(deviceId)).filter((p) => !isSecretPath(p));
  }

  async series(
    deviceId: string,
    path: string,
    q: { from: number; to: number; resolution: 'raw' | 'hour'; limit: number },
  ): Promise<{ resolution: 'raw'; points: SamplePoint[] } | { resolution: 'hour'; points: HourPoint[] }> {
    checkSeriesPath(path, 'path');
    if (q.to <= q.from) throw invalidArgument('to must be after from');
    await this.#device(deviceId);
    const query = { deviceId, path, from: q.from, to: q.to, limit: q.limit };
    if (q.resolution === 'hour') return { resolution: 'hour', points: await this.#o.store.listSampleHours(query) };
    return { resolution: 'raw', points: await this.#o.store.listSamples(query) };
  }

  /** One path over the devices `filters` match (none: every device) and a time range. */
  async aggregate(q: { path: string; filters: DeviceFilter[]; from: number; to: number; percentiles: number[] }): Promise<SeriesAggregate & { matched: number | null }> {
    checkSeriesPath(q.path, 'path');
    if (q.to <= q.from) throw invalidArgument('to must be after from');
    for (const p of q.percentiles) if (!(p > 0 && p <= 100)) throw invalidArgument(`percentile ${p} is not in (0, 100]`);
    let deviceIds: string[] | null = null;
    if (q.filters.length > 0) {
      deviceIds = [];
      let after: { key: string | number; id: string } | undefined;
      do {
        const page = await this.#o.store.listDevices({ filters: q.filters, limit: PAGE, ...(after ? { after } : {}) });
        deviceIds.push(...page.devices.map((d) => d.id));
        if (deviceIds.length > AGGREGATE_MAX_DEVICES) throw invalidArgument(`the filter matches more than ${AGGREGATE_MAX_DEVICES} devices; narrow it`);
        after = page.next ?? undefined;
      } while (after !== undefined);
    }
    const result = await this.#o.store.aggregateSamples({ path: q.path, from: q.from, to: q.to, deviceIds, percentiles: q.percentiles });
    return { ...result, matched: deviceIds === null ? null : deviceIds.length };
  }
}

function checkProfile(p: NewSamplingProfile): NewSamplingProfile {
  const name = p.name.trim();
  if (name === '' || name.length > PROFILE_LIMITS.name) throw invalidArgument(`name: 1-${PROFILE_LIMITS.name} characters`);
  if (!Number.isInteger(p.intervalSeconds) || p.intervalSeconds < PROFILE_LIMITS.minIntervalSeconds || p.intervalSeconds > PROFILE_LIMITS.maxIntervalSeconds) {
    throw invalidArgument(`intervalSeconds: a whole number from ${PROFILE_LIMITS.minIntervalSeconds} to ${PROFILE_LIMITS.maxIntervalSeconds}`);
  }
  if (p.parameters.length === 0 || p.parameters.length > PROFILE_LIMITS.parameters) throw invalidArgument(`parameters: 1-${PROFILE_LIMITS.parameters}`);
  const seen = new Set<string>();
  p.parameters.forEach((param, i) => {
    checkSeriesPath(param.path, `parameters[${i}].path`);
    if (seen.has(param.path)) throw invalidArgument(`parameters[${i}].path: ${param.path} is listed twice`);
    seen.add(param.path);
  });
  if (p.bulkData !== undefined) {
    const { encoding, reportFormat } = p.bulkData;
    const fits = encoding === 'JSON' ? reportFormat === 'NameValuePair' || reportFormat === 'ObjectHierarchy' : reportFormat === 'ParameterPerRow' || reportFormat === 'ParameterPerColumn';
    if (!fits) throw invalidArgument(`bulkData: ${encoding} has no report format ${reportFormat}`);
  }
  return { ...p, name };
}
