/**
 * TR-232 bulk data profiles on the device, as a session program (docs/monitoring.md). A
 * sampling profile with `bulkData` is reported by the device itself: this program makes the
 * device's `Device.BulkData.Profile.{i}` say so — HTTP, the encoding and report format, the
 * interval, one Parameter.{j}.Reference per parameter, and the URL of the ACS's receiver
 * signed for this device and profile — and removes the profiles the ACS made that no longer
 * apply. The ACS's profiles are known by their Alias, `flotilla-<profile id>`.
 *
 * When it runs (decided at the Inform, with no store read, so an idle session stays at two
 * round trips): a new device, 0 BOOTSTRAP or 1 BOOT, a profile (or the set) changed since the
 * device's previous Inform, or the first session of a UTC day (repairs drift, renews the URL's
 * signature well before it expires). Then it reads `BulkData.` from the device (the device's
 * word, not the stored tree), and sends only what differs.
 */
import type { RpcOutcome } from '../../cwmp/acs-session.js';
import { EV, hasEvent } from '../../cwmp/events.js';
import type { AcsRequest, ParameterValue } from '../../cwmp/types.js';
import type { SamplingProfile } from '../../store/types.js';
import type { Program, ProgramContext, ProgramRpc, SessionView } from '../program.js';

export const ALIAS_PREFIX = 'flotilla-';
const DAY_MS = 86_400_000;
const KEY = 'bulkdata';

export interface BulkDataProgramOptions {
  /** The URL a device posts a profile's reports to, signed for it. */
  reportUrl(deviceId: string, profileId: string, now: number): string;
}

/** Whether this session checks the device's bulk data profiles. */
export function bulkDataDue(view: SessionView, profiles: readonly SamplingProfile[], setChangedAt: number): boolean {
  const last = view.device?.lastInform ?? null;
  if (last === null) return profiles.length > 0;
  const events = view.inform.event;
  if (hasEvent(events, EV.BOOTSTRAP) || hasEvent(events, EV.BOOT)) return profiles.length > 0;
  if (setChangedAt > last) return true;
  if (profiles.length === 0) return false;
  if (profiles.some((p) => p.updatedAt > last)) return true;
  return Math.floor(view.startedAt / DAY_MS) !== Math.floor(last / DAY_MS);
}

/** What a profile's instance should hold, relative to `…BulkData.Profile.{i}.`. */
export function desiredValues(p: SamplingProfile, url: string): [string, string, string][] {
  const b = p.bulkData!;
  const json = b.encoding === 'JSON';
  return [
    ['Alias', `${ALIAS_PREFIX}${p.id}`, 'xsd:string'],
    ['Name', p.name.slice(0, 255), 'xsd:string'],
    ['Protocol', 'HTTP', 'xsd:string'],
    ['EncodingType', b.encoding, 'xsd:string'],
    ['ReportingInterval', String(p.intervalSeconds), 'xsd:unsignedInt'],
    ['HTTP.URL', url, 'xsd:string'],
    ['HTTP.Method', 'POST', 'xsd:string'],
    ['HTTP.UseDateHeader', 'true', 'xsd:boolean'],
    json ? ['JSONEncoding.ReportFormat', b.reportFormat, 'xsd:string'] : ['CSVEncoding.ReportFormat', b.reportFormat, 'xsd:string'],
    json ? ['JSONEncoding.ReportTimestamp', 'Unix-Epoch', 'xsd:string'] : ['CSVEncoding.RowTimestamp', 'Unix-Epoch', 'xsd:string'],
    ['Enable', 'true', 'xsd:boolean'],
  ];
}

/** The device's profiles, from a GetParameterValues of `…BulkData.`: instance → relative name → value. */
export function instancesOf(values: readonly ParameterValue[], profileTable: string): Map<number, Map<string, string>> {
  const out = new Map<number, Map<string, string>>();
  for (const v of values) {
    if (!v.name.startsWith(profileTable)) continue;
    const rest = v.name.slice(profileTable.length);
    const m = /^(\d+)\.(.+)$/.exec(rest);
    if (m === null) continue;
    const i = Number(m[1]);
    let inst = out.get(i);
    if (inst === undefined) out.set(i, (inst = new Map()));
    inst.set(m[2]!, v.value);
  }
  return out;
}

const references = (inst: Map<string, string>): string[] =>
  [...inst.entries()]
    .filter(([k]) => /^Parameter\.\d+\.Reference$/.test(k))
    .map(([, v]) => v)
    .sort();

type Step = Generator<ProgramRpc, void, RpcOutcome>;

export class BulkDataProgram implements Program {
  readonly name = 'bulkdata';
  readonly #ctx: ProgramContext;
  readonly #profiles: readonly SamplingProfile[];
  readonly #opts: BulkDataProgramOptions;
  readonly #root: string;
  readonly #steps: Step;
  #answer: RpcOutcome | undefined;
  #started = false;

  constructor(ctx: ProgramContext, profiles: readonly SamplingProfile[], root: string, opts: BulkDataProgramOptions) {
    this.#ctx = ctx;
    this.#profiles = profiles.filter((p) => p.bulkData !== undefined);
    this.#root = root;
    this.#opts = opts;
    this.#steps = this.#run();
  }

  next(): ProgramRpc | null {
    const r = this.#started ? this.#steps.next(this.#answer!) : this.#steps.next(undefined as unknown as RpcOutcome);
    this.#started = true;
    this.#answer = undefined;
    return r.done === true ? null : r.value;
  }

  learn(answer: RpcOutcome): void {
    this.#answer = answer;
  }

  *#run(): Step {
    const base = `${this.#root}BulkData.`;
    const table = `${base}Profile.`;
    const read = yield rpc({ method: 'GetParameterValues', parameterNames: [base] });
    // A model without bulk data (9005), or a CPE that refuses: nothing to do this session.
    if (!read.ok || read.response.method !== 'GetParameterValuesResponse') return;
    const values = read.response.parameterList;
    const instances = instancesOf(values, table);
    const byAlias = new Map<string, number>();
    for (const [i, inst] of instances) {
      const alias = inst.get('Alias') ?? '';
      if (alias.startsWith(ALIAS_PREFIX)) byAlias.set(alias, i);
    }
    const now = this.#ctx.view.now();
    const wanted = new Set(this.#profiles.map((p) => `${ALIAS_PREFIX}${p.id}`));
    const sets: ParameterValue[] = [];
    const blank: ParameterValue[] = [];
    const set = (name: string, value: string, type: string): void => {
      sets.push({ name, value, type: type as ParameterValue['type'] });
      blank.push({ name, value: name.endsWith('.HTTP.URL') ? '' : value, type: type as ParameterValue['type'] });
    };
    // Ours that no longer apply go first (a device has few profile slots).
    for (const [alias, i] of byAlias) {
      if (!wanted.has(alias)) yield rpc({ method: 'DeleteObject', objectName: `${table}${i}.`, parameterKey: KEY });
    }
    const enabled = values.find((v) => v.name === `${base}Enable`)?.value;
    if (this.#profiles.length > 0 && enabled !== undefined && !/^(true|1)$/i.test(enabled)) set(`${base}Enable`, 'true', 'xsd:boolean');
    for (const p of this.#profiles) {
      const url = this.#opts.reportUrl(this.#ctx.view.deviceId, p.id, now);
      const desired = desiredValues(p, url);
      const paths = p.parameters.map((x) => x.path);
      let i = byAlias.get(`${ALIAS_PREFIX}${p.id}`);
      let inst = i === undefined ? undefined : instances.get(i);
      // A different list of references: start the instance afresh (its Parameter table too).
      if (i !== undefined && inst !== undefined && references(inst).join('\n') !== [...paths].sort().join('\n')) {
        const del = yield rpc({ method: 'DeleteObject', objectName: `${table}${i}.`, parameterKey: KEY });
        if (!del.ok) continue;
        i = undefined;
        inst = undefined;
      }
      if (i === undefined) {
        const add = yield rpc({ method: 'AddObject', objectName: table, parameterKey: KEY });
        if (!add.ok || add.response.method !== 'AddObjectResponse') return; // no room, or no support
        i = add.response.instanceNumber;
        let complete = true;
        for (const path of paths) {
          const addParam = yield rpc({ method: 'AddObject', objectName: `${table}${i}.Parameter.`, parameterKey: KEY });
          if (!addParam.ok || addParam.response.method !== 'AddObjectResponse') {
            complete = false;
            break;
          }
          set(`${table}${i}.Parameter.${addParam.response.instanceNumber}.Reference`, path, 'xsd:string');
        }
        if (!complete) {
          yield rpc({ method: 'DeleteObject', objectName: `${table}${i}.`, parameterKey: KEY });
          continue;
        }
        for (const [rel, value, type] of desired) set(`${table}${i}.${rel}`, value, type);
        continue;
      }
      for (const [rel, value, type] of desired) if (inst?.get(rel) !== value) set(`${table}${i}.${rel}`, value, type);
    }
    if (sets.length === 0) return;
    // One SetParameterValues: applied whole or not at all. The stored tree keeps the URL blank
    // (a signed URL is a credential: src/secrets/rules.ts).
    yield {
      request: { method: 'SetParameterValues', parameterList: sets, parameterKey: KEY },
      requestId: null,
      recordAs: { method: 'SetParameterValues', parameterList: blank, parameterKey: KEY },
    };
  }
}

function rpc(request: AcsRequest): ProgramRpc {
  return { request, requestId: null };
}
