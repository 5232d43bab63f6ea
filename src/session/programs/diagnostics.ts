/**
 * Diagnostic tasks as a session program. A diagnostic spans sessions:
 *   1. this session sets its inputs and DiagnosticsState = Requested (one SetParameterValues);
 *      the task keeps that answer as a step (`record.progress`) and stays open (back to queued);
 *   2. the CPE runs it after the session and opens a new one with "8 DIAGNOSTICS COMPLETE";
 *   3. that session reads the object back (one GetParameterValues for every waiting task) and
 *      settles each task whose DiagnosticsState is no longer Requested, `done` with the values
 *      (a device error such as Error_CannotResolveHostName is a failed run, src/tasks/diagnostics.ts);
 *   4. a task whose deadline passes first expires like any task.
 * A session without that event and with nothing to request sends nothing: waiting costs no RPC
 * and no store round trip (the task arrives with openSession's queue anyway).
 */
import type { RpcOutcome } from '../../cwmp/acs-session.js';
import { EV, hasEvent } from '../../cwmp/events.js';
import type { Fault, ParameterValue } from '../../cwmp/types.js';
import { diagnosticObject, outcomeOf, requestValues, type ModelRoot } from '../../tasks/diagnostics.js';
import { toParameterValues } from '../../tasks/rpc.js';
import { isDiagnosticTask, type DiagnosticTask, type TaskRecord } from '../../tasks/types.js';
import type { Program, ProgramContext, ProgramRpc, SessionRecorder } from '../program.js';

interface Run {
  record: TaskRecord;
  task: DiagnosticTask;
  /** Null: the device's model family has no such diagnostic. */
  object: string | null;
  /** Requested in an earlier session: waiting for its results. */
  requested: boolean;
}

type Step = { kind: 'read'; runs: Run[] } | { kind: 'request'; run: Run };

/** The device's queued tasks split: diagnostics for this program, the rest for the planner. */
export function splitDiagnostics(queue: readonly TaskRecord[]): { diagnostics: TaskRecord[]; others: TaskRecord[] } {
  const diagnostics: TaskRecord[] = [];
  const others: TaskRecord[] = [];
  for (const t of queue) (isDiagnosticTask(t.task) ? diagnostics : others).push(t);
  return { diagnostics, others };
}

/** An ACS-side fault (TR-069 A.5: 9000 method not supported is the nearest the CPE would say). */
function unsupported(type: string, root: string): Fault['detail'] {
  return { faultCode: 9000, faultString: `${root} data models have no ${type} diagnostic`, setParameterValuesFault: [] };
}

export class DiagnosticsProgram implements Program {
  readonly name = 'diagnostics';
  readonly #record: SessionRecorder;
  readonly #now: () => number;
  readonly #runs: Run[];
  /** Objects with a run in flight on the device: one run per object at a time. */
  readonly #busy = new Set<string>();
  #readDue: boolean;
  #step: Step | null = null;

  constructor(ctx: ProgramContext, tasks: readonly TaskRecord[], root: ModelRoot) {
    this.#record = ctx.record;
    this.#now = () => ctx.view.now();
    this.#runs = tasks.flatMap((record) => {
      if (!isDiagnosticTask(record.task)) return [];
      const requested = record.response?.method === 'SetParameterValuesResponse';
      return [{ record, task: record.task, object: diagnosticObject(record.task.type, root), requested }];
    });
    for (const r of this.#runs) if (r.requested && r.object !== null) this.#busy.add(r.object);
    // The event is the CPE's word that a test finished; after a reboot a test may have been
    // cut short (its state then is no longer Requested), so read then too.
    const events = ctx.view.inform.event;
    this.#readDue = (hasEvent(events, EV.DIAGNOSTICS_COMPLETE) || hasEvent(events, EV.BOOT)) && this.#runs.some((r) => r.requested);
    // A type the model family lacks is settled at once, with nothing sent.
    for (const r of this.#runs) {
      if (r.object === null) this.#record.settle({ requestId: r.record.id, state: 'fault', fault: unsupported(r.task.type, root), at: ctx.view.startedAt });
    }
  }

  holdRequests(): boolean {
    return this.#readDue || this.#runs.some((r) => !r.requested && r.object !== null);
  }

  next(): ProgramRpc | null {
    if (this.#readDue) {
      this.#readDue = false;
      const runs = this.#runs.filter((r) => r.requested && r.object !== null);
      const objects = [...new Set(runs.map((r) => r.object!))];
      this.#step = { kind: 'read', runs };
      return { request: { method: 'GetParameterValues', parameterNames: objects }, requestId: runs.map((r) => r.record.id).join(',') };
    }
    for (const run of this.#runs) {
      if (run.requested || run.object === null || this.#busy.has(run.object)) continue;
      this.#busy.add(run.object);
      run.requested = true;
      this.#step = { kind: 'request', run };
      const parameterKey = `diag-${run.record.id.slice(0, 27)}`;
      return {
        request: { method: 'SetParameterValues', parameterList: toParameterValues(requestValues(run.task, run.object)), parameterKey },
        requestId: run.record.id,
      };
    }
    return null;
  }

  learn(answer: RpcOutcome): void {
    const step = this.#step;
    this.#step = null;
    if (step === null) return;
    const at = this.#now();
    if (step.kind === 'request') {
      const id = step.run.record.id;
      if (answer.ok) this.#record.progress(id, answer.response);
      else {
        this.#busy.delete(step.run.object!);
        this.#record.settle({ requestId: id, state: 'fault', fault: answer.fault, at });
      }
      return;
    }
    if (!answer.ok) {
      for (const r of step.runs) this.#record.settle({ requestId: r.record.id, state: 'fault', fault: answer.fault, at });
      this.#release(step.runs);
      return;
    }
    if (answer.response.method !== 'GetParameterValuesResponse') return;
    const finished: Run[] = [];
    for (const r of step.runs) {
      const mine: ParameterValue[] = answer.response.parameterList.filter((p) => p.name.startsWith(r.object!));
      const state = mine.find((p) => p.name === `${r.object!}DiagnosticsState`)?.value ?? '';
      // Still running on the device (another test's completion woke us): keep waiting.
      if (outcomeOf(state) === 'pending') continue;
      this.#record.settle({ requestId: r.record.id, state: 'done', response: { method: 'GetParameterValuesResponse', parameterList: mine }, at });
      finished.push(r);
    }
    this.#release(finished);
  }

  /** Finished runs free their object for the next queued run of the same diagnostic. */
  #release(runs: Run[]): void {
    for (const r of runs) {
      if (r.object !== null) this.#busy.delete(r.object);
      this.#runs.splice(this.#runs.indexOf(r), 1);
    }
  }
}
