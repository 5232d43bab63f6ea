/**
 * Today's programs, in today's order: the device's own credentials (handed out on its first
 * session, rotated), its queued tasks, then discovery of a new or bootstrapped device;
 * diagnostic tasks and downloads of repository files have their own programs (they span sessions). Later programs (policies,
 * quirks) join this list.
 */
import { EV, hasEvent } from '../../cwmp/events.js';
import type { Program, ProgramContext, ProgramFactory, SessionRecorder } from '../program.js';
import { CredentialsProgram, type CredentialsProgramOptions } from './credentials.js';
import { DiagnosticsProgram, splitDiagnostics } from './diagnostics.js';
import { DiscoveryProgram, rootOf } from './discovery.js';
import { BUILTIN_TEMPLATES } from '../../subscribers/builtin.js';
import { ServicesProgram, type ServicesApplied } from './services.js';
import { TasksProgram } from './tasks.js';
import { splitFileDownloads, TransfersProgram } from './transfers.js';

export interface DefaultProgramSettings {
  /** Read the whole tree of a new or bootstrapped device. */
  discoverOnBootstrap: boolean;
  /** GetParameterValues batch size during discovery. */
  discoveryBatchSize: number;
  /**
   * Discovery reads a tree of at most this many leaves with one GetParameterValues of the root
   * (programs/discovery.ts); absent or 0: always in batches of discoveryBatchSize.
   */
  discoveryWholeTree?: number;
  /** GetParameterValues / GetParameterAttributes batch size of the task planner. */
  taskBatchSize: number;
  /** Sessions a task may be handed to without an outcome before it is faulted (default 5). */
  maxTaskAttempts?: number;
  /** Per-device credentials (absent: devices keep the credential they came with). */
  credentials?: CredentialsProgramOptions & {
    /** After a factoryReset task the CPE acknowledged, the bootstrap credential is accepted this long. */
    factoryResetWindowMs: number;
  };
  /** Subscribers' services on their bound devices; absent: never applied. */
  services?: { applied: (r: ServicesApplied) => void };
}

const BUILTIN = new Map(BUILTIN_TEMPLATES.map((t) => [t.id, t]));

export function defaultPrograms(settings: DefaultProgramSettings): ProgramFactory {
  return (given) => {
    const programs: Program[] = [];
    let ctx = given;
    const creds = settings.credentials;
    if (creds !== undefined) {
      programs.push(new CredentialsProgram(ctx, creds));
      ctx = watchFactoryResets(ctx, creds.factoryResetWindowMs);
    }
    const { inform, device } = ctx.view;
    const { diagnostics, others: rest } = splitDiagnostics(ctx.queue);
    // Downloads of repository files wait across sessions for their TransferComplete (transfers.ts).
    const { downloads, others } = splitFileDownloads(rest);
    programs.push(new TasksProgram({ ...ctx, queue: others }, { batchSize: settings.taskBatchSize, maxAttempts: settings.maxTaskAttempts ?? 5 }));
    if (downloads.length > 0) programs.push(new TransfersProgram(ctx, downloads, { maxAttempts: settings.maxTaskAttempts ?? 5 }));
    if (diagnostics.length > 0) {
      const root = rootOf(inform.parameterList.map((p) => p.name)) === 'Device.' ? 'Device.' : 'InternetGatewayDevice.';
      programs.push(new DiagnosticsProgram(ctx, diagnostics, root));
    }
    if (settings.discoverOnBootstrap && (hasEvent(inform.event, EV.BOOTSTRAP) || device === null)) {
      programs.push(new DiscoveryProgram(rootOf(inform.parameterList.map((p) => p.name)), settings.discoveryBatchSize, settings.discoveryWholeTree ?? 0));
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

/**
 * A factoryReset the ACS sent and the CPE acknowledged: the device comes back with only the
 * bootstrap credential, so that credential is accepted for it for a bounded time.
 */
function watchFactoryResets(ctx: ProgramContext, windowMs: number): ProgramContext {
  const inner = ctx.record;
  const record: SessionRecorder = {
    link: (taskId) => inner.link(taskId),
    credentials: (write) => inner.credentials(write),
    progress: (taskId, response) => inner.progress(taskId, response),
    samples: (list) => inner.samples(list),
    policy: (commit) => inner.policy(commit),
    settle: (outcome) => {
      inner.settle(outcome);
      if (outcome.state === 'done' && outcome.response.method === 'FactoryResetResponse' && windowMs > 0) {
        inner.credentials({ kind: 'bootstrapWindow', until: ctx.view.now() + windowMs });
      }
    },
  };
  return { ...ctx, record };
}
