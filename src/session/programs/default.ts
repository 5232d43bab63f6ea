/**
 * Today's programs, in today's order: the device's queued tasks, then discovery of a new or
 * bootstrapped device; diagnostic tasks have their own program (they span sessions). Later
 * programs (policies, quirks) join this list.
 */
import { EV, hasEvent } from '../../cwmp/events.js';
import type { Program, ProgramFactory } from '../program.js';
import { DiagnosticsProgram, splitDiagnostics } from './diagnostics.js';
import { DiscoveryProgram, rootOf } from './discovery.js';
import { TasksProgram } from './tasks.js';

export interface DefaultProgramSettings {
  /** Read the whole tree of a new or bootstrapped device. */
  discoverOnBootstrap: boolean;
  /** GetParameterValues batch size during discovery. */
  discoveryBatchSize: number;
  /** GetParameterValues / GetParameterAttributes batch size of the task planner. */
  taskBatchSize: number;
}

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
    return programs;
  };
}
