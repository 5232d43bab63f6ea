/**
 * Today's programs, in today's order: the device's queued tasks, then discovery of a new or
 * bootstrapped device; diagnostic tasks have their own program (they span sessions). Later
 * programs (policies, quirks) join this list.
 */
import { EV, hasEvent } from '../../cwmp/events.js';
import type { Program, ProgramFactory } from '../program.js';
import { DiagnosticsProgram, splitDiagnostics } from './diagnostics.js';
import { DiscoveryProgram, rootOf } from './discovery.js';
import { BUILTIN_TEMPLATES } from '../../subscribers/builtin.js';
import { ServicesProgram, type ServicesApplied } from './services.js';
import { TasksProgram } from './tasks.js';

export interface DefaultProgramSettings {
  /** Read the whole tree of a new or bootstrapped device. */
  discoverOnBootstrap: boolean;
  /** GetParameterValues batch size during discovery. */
  discoveryBatchSize: number;
  /** GetParameterValues / GetParameterAttributes batch size of the task planner. */
  taskBatchSize: number;
  /** Subscribers' services on their bound devices; absent: never applied. */
  services?: { applied: (r: ServicesApplied) => void };
}

const BUILTIN = new Map(BUILTIN_TEMPLATES.map((t) => [t.id, t]));

export function defaultPrograms(settings: DefaultProgramSettings): ProgramFactory {
  return (ctx) => {
    const { inform, device } = ctx.view;
    const { diagnostics, others } = splitDiagnostics(ctx.queue);
    const programs: Program[] = [new TasksProgram({ ...ctx, queue: others }, { batchSize: settings.taskBatchSize })];
    if (diagnostics.length > 0) {
      const root = rootOf(inform.parameterList.map((p) => p.name)) === 'Device.' ? 'Device.' : 'InternetGatewayDevice.';
      programs.push(new DiagnosticsProgram(ctx, diagnostics, root));
    }
    if (settings.discoverOnBootstrap && (hasEvent(inform.event, EV.BOOTSTRAP) || device === null)) {
      programs.push(new DiscoveryProgram(rootOf(inform.parameterList.map((p) => p.name)), settings.discoveryBatchSize));
    }
    // A bound device gets its subscriber's services when it is new to them (claimed now, or
    // reset: its configuration is gone) or they changed since it last got them.
    const sub = ctx.opened.subscriber;
    const bootstrap = hasEvent(inform.event, EV.BOOTSTRAP) || device === null;
    if (settings.services && sub && (bootstrap || sub.claimedNow || sub.binding.appliedRevision !== sub.revision)) {
      const custom = new Map(sub.templates.map((t) => [t.id, t]));
      const services = new ServicesProgram(
        ctx.view,
        sub,
        { templates: (id) => BUILTIN.get(id) ?? custom.get(id), applied: settings.services.applied },
        // A bootstrap's discovery reads the tree anew; otherwise the stored rows are current.
        !(bootstrap && settings.discoverOnBootstrap),
      );
      programs.push(services);
    }
    return programs;
  };
}
