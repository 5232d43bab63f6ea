/**
 * Discovery of a new (or factory-reset) device's whole tree, as a session program: a refresh
 * of the data-model root, planned by the task planner like any refresh task (GetParameterNames
 * of the root with NextLevel false, then GetParameterValues of every leaf in batches). A tree
 * of at most `wholeTree` leaves is read with one GetParameterValues of the root instead — one
 * round trip rather than ~20 for 5,000 parameters — sent as optional: on a fault, or where
 * the device's quirks limit the names per read (../quirks.ts refuses it), in batches. Its
 * outcome is not a task's, so nothing is settled; the answers reach the stored tree through
 * the driver's parameter ops, as every answer does.
 */
import type { RpcOutcome } from '../../cwmp/acs-session.js';
import { TaskPlan } from '../../tasks/planner.js';
import type { Program, ProgramRpc } from '../program.js';

export class DiscoveryProgram implements Program {
  readonly name = 'discovery';
  readonly #plan: TaskPlan;

  constructor(root: string, batchSize: number, wholeTree = 0) {
    // A faulted batch is skipped, not the end of discovery; a faulted GetParameterNames is.
    this.#plan = new TaskPlan([{ id: 'discovery', task: { type: 'refresh', objectName: root } }], { batchSize, skipFaultedBatches: true, wholeTree, answers: false });
  }

  next(): ProgramRpc | null {
    const planned = this.#plan.next();
    if (planned === null) return null;
    // The log names tasks; discovery is the ACS's own work.
    return { request: planned.request, requestId: null, ...(planned.optional === true ? { optional: true } : {}) };
  }

  learn(answer: RpcOutcome): void {
    this.#plan.learn(answer, 0);
  }
}

/** The data-model root a CPE uses, from the names it sent in its Inform. */
export function rootOf(names: readonly string[]): string {
  for (const name of names) {
    const dot = name.indexOf('.');
    if (dot > 0) return name.slice(0, dot + 1);
  }
  return 'InternetGatewayDevice.';
}
