/**
 * KPI samples in sessions that happen anyway (docs/monitoring.md): never a session of its
 * own, at most one GetParameterValues when a sampling profile is due, and nothing at all in
 * an idle session that is not (no store read: the device's last Inform, which openSession
 * already read, says whether a sample is due).
 *
 *  - A `4 VALUE CHANGE` Inform: every parameter it carries (active and passive notifications
 *    alike) is kept as a value change, except the identity and management values every Inform
 *    carries.
 *  - A sampling profile matching the device: its parameters that the Inform (or an earlier
 *    program this session) carries are kept in every session; the others are read once per
 *    profile interval — in the first session after an interval boundary — in one
 *    GetParameterValues, and kept. A batch the CPE refuses is read name by name once.
 *
 * Samples go to the store with the session's commit (concerns/series.ts), counters as rates.
 */
import type { RpcOutcome } from '../../cwmp/acs-session.js';
import { EV, hasEvent } from '../../cwmp/events.js';
import type { ParameterValue } from '../../cwmp/types.js';
import { isSecretPath } from '../../secrets/rules.js';
import type { CommitSample, SamplingProfile } from '../../store/types.js';
import type { Program, ProgramContext, ProgramRpc } from '../program.js';

/** Inform parameters that are identity or bookkeeping, not a device's KPIs. */
const NOT_CHANGES = /^[^.]+\.(DeviceInfo\.(Manufacturer|ManufacturerOUI|ProductClass|SerialNumber|HardwareVersion|SoftwareVersion|SpecVersion|ProvisioningCode)|ManagementServer\.[^.]+|DeviceSummary|RootDataModelVersion)$/;

/** Profiles that apply to the session's device: enabled, identity fields and tags as given. */
export function matchingProfiles(ctx: Pick<ProgramContext, 'view'>, profiles: readonly SamplingProfile[]): SamplingProfile[] {
  const id = ctx.view.inform.deviceId;
  const tags = new Set(ctx.view.device?.tags ?? []);
  return profiles.filter(
    (p) =>
      p.enabled &&
      (p.match.oui === undefined || p.match.oui === id.oui) &&
      (p.match.productClass === undefined || p.match.productClass === id.productClass) &&
      (p.match.manufacturer === undefined || p.match.manufacturer === id.manufacturer) &&
      (p.match.tags ?? []).every((t) => tags.has(t)),
  );
}

/** Due: no earlier session in the current interval (the device's previous Inform was in an earlier one). */
export function profileDue(profile: SamplingProfile, startedAt: number, lastInform: number | null): boolean {
  const every = Math.max(1, profile.intervalSeconds) * 1000;
  return lastInform === null || Math.floor(startedAt / every) !== Math.floor(lastInform / every);
}

export class MonitoringProgram implements Program {
  readonly name = 'monitoring';
  readonly #ctx: ProgramContext;
  /** path → counter, for every parameter of a matching profile. */
  readonly #watched = new Map<string, boolean>();
  /** Paths of due profiles, to read when not learnt otherwise. */
  readonly #due = new Set<string>();
  readonly #kept = new Set<string>();
  #asking: string[] | null = null;
  #singles: string[] | null = null;
  #started = false;

  constructor(ctx: ProgramContext, profiles: readonly SamplingProfile[]) {
    this.#ctx = ctx;
    const { view } = ctx;
    const last = view.device?.lastInform ?? null;
    for (const p of profiles) {
      const due = profileDue(p, view.startedAt, last);
      for (const param of p.parameters) {
        this.#watched.set(param.path, (this.#watched.get(param.path) ?? false) || param.counter === true);
        if (due) this.#due.add(param.path);
      }
    }
    const samples: CommitSample[] = [];
    const changes = hasEvent(view.inform.event, EV.VALUE_CHANGE);
    for (const p of view.inform.parameterList) {
      // Secrets never enter a series (src/secrets/rules.ts), whatever the CPE or a profile says.
      if (isSecretPath(p.name)) continue;
      if (changes && !NOT_CHANGES.test(p.name)) samples.push(this.#sample(p, view.startedAt, 'change'));
      else if (this.#watched.has(p.name)) samples.push(this.#sample(p, view.startedAt, 'sample'));
    }
    if (samples.length > 0) ctx.record.samples(samples);
  }

  next(): ProgramRpc | null {
    if (!this.#started) {
      this.#started = true;
      // Values other programs read this session are samples as they are.
      const learnt: CommitSample[] = [];
      const missing: string[] = [];
      for (const path of this.#due) {
        if (this.#kept.has(path)) continue;
        const v = path.endsWith('.') ? undefined : this.#ctx.view.learnt(path);
        if (v !== undefined && !isSecretPath(path)) learnt.push(this.#sample(v, this.#ctx.view.now(), 'sample'));
        else missing.push(path);
      }
      if (learnt.length > 0) this.#ctx.record.samples(learnt);
      if (missing.length > 0) return this.#ask(missing);
      return null;
    }
    if (this.#singles !== null && this.#singles.length > 0) return this.#ask([this.#singles.shift()!]);
    return null;
  }

  learn(answer: RpcOutcome): void {
    const names = this.#asking ?? [];
    this.#asking = null;
    if (answer.ok && answer.response.method === 'GetParameterValuesResponse') {
      const at = this.#ctx.view.now();
      const wanted = (name: string): boolean => names.some((n) => (n.endsWith('.') ? name.startsWith(n) : name === n));
      // Only what was asked for: a CPE cannot slip other paths into the series.
      const samples = answer.response.parameterList.filter((p) => wanted(p.name) && !isSecretPath(p.name)).map((p) => this.#sample(p, at, 'sample'));
      if (samples.length > 0) this.#ctx.record.samples(samples);
    } else if (names.length > 1 && this.#singles === null) {
      // The batch was refused (a name the model lacks): each name once on its own.
      this.#singles = [...names];
    }
  }

  #ask(names: string[]): ProgramRpc {
    this.#asking = names;
    return { request: { method: 'GetParameterValues', parameterNames: names }, requestId: null };
  }

  #sample(p: ParameterValue, at: number, source: 'sample' | 'change'): CommitSample {
    this.#kept.add(p.name);
    const counter = this.#watched.get(p.name) ?? this.#counterUnder(p.name);
    return { path: p.name, at, value: p.value, source, ...(counter ? { counter: true } : {}) };
  }

  /** A leaf under a watched subtree ("X.Stats.") takes the subtree's counter flag. */
  #counterUnder(path: string): boolean {
    for (const [watched, counter] of this.#watched) if (watched.endsWith('.') && path.startsWith(watched)) return counter;
    return false;
  }
}
