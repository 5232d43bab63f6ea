/**
 * Downloads of repository files and uploads to the ACS's transfer endpoint (tasks with a
 * `fileId`) as a session program. Such a task spans sessions, like a diagnostic (an Upload
 * the same way, with UploadResponse and "M Upload"):
 *   1. a session sends the Download (the URL, size and names were filled in when the task was
 *      made: src/services/files.ts); DownloadResponse status 1 keeps the answer as a step
 *      (`record.progress`) and the task stays open; status 0 (done at once) settles it;
 *   2. the CPE fetches the file from the transfer endpoint, installs it (a firmware image
 *      reboots the device) and opens a session with "7 TRANSFER COMPLETE" and "M Download";
 *   3. its TransferComplete (the CPE sends it before the ACS's turn) settles the task: `done`
 *      with StartTime/CompleteTime, or `fault` with the CPE's FaultCode and the same times.
 * A session that brings no TransferComplete for a waiting task sends nothing for it: waiting
 * costs no RPC and no store round trip. An "M Download" of a task whose DownloadResponse was
 * never recorded (the ACS failed mid-session) means the CPE has it: it is not sent again.
 */
import type { RpcOutcome } from '../../cwmp/acs-session.js';
import { EV, eventKey } from '../../cwmp/events.js';
import type { CpeRequest, DownloadResponse, Inform, UploadResponse } from '../../cwmp/types.js';
import { requestFor } from '../../tasks/rpc.js';
import type { TaskRecord } from '../../tasks/types.js';
import type { Program, ProgramContext, ProgramRpc, SessionRecorder } from '../program.js';
import { TOO_MANY_ATTEMPTS } from './tasks.js';

type FileTransfer = Extract<TaskRecord['task'], { type: 'download' | 'upload' }>;

/** Downloads of repository files and uploads to the ACS (tasks with a `fileId`) for this program, the rest for the planner. */
export function splitFileDownloads(queue: readonly TaskRecord[]): { downloads: TaskRecord[]; others: TaskRecord[] } {
  const downloads: TaskRecord[] = [];
  const others: TaskRecord[] = [];
  for (const t of queue) ((t.task.type === 'download' || t.task.type === 'upload') && t.task.fileId !== undefined ? downloads : others).push(t);
  return { downloads, others };
}

export class TransfersProgram implements Program {
  readonly name = 'transfers';
  readonly #record: SessionRecorder;
  readonly #now: () => number;
  /** Not sent yet, in queue order. */
  readonly #toSend: TaskRecord[] = [];
  /** Sent (or carried out by the CPE): waiting for its TransferComplete, by CommandKey. */
  readonly #waiting = new Map<string, TaskRecord>();
  #sent: TaskRecord | null = null;

  constructor(ctx: ProgramContext, tasks: readonly TaskRecord[], opts: { maxAttempts: number }) {
    this.#record = ctx.record;
    this.#now = () => ctx.view.now();
    const carriedOut = methodEventKeys(ctx.view.inform);
    for (const t of tasks) {
      const key = t.commandKey ?? (t.task as FileTransfer).commandKey;
      if (t.response?.method === 'DownloadResponse' || t.response?.method === 'UploadResponse' || carriedOut.has(key)) {
        this.#waiting.set(key, t);
      } else if (t.attempts > opts.maxAttempts) {
        ctx.record.settle({
          requestId: t.id,
          state: 'fault',
          fault: { faultCode: TOO_MANY_ATTEMPTS, faultString: `no answer to the Download after ${opts.maxAttempts} sessions: given up (retry the task to try again)`, setParameterValuesFault: [] },
          at: ctx.view.startedAt,
        });
      } else this.#toSend.push(t);
    }
  }

  holdRequests(): boolean {
    return false;
  }

  cpeRequest(request: Exclude<CpeRequest, Inform>): void {
    if (request.method !== 'TransferComplete') return;
    const task = this.#waiting.get(request.commandKey) ?? this.#toSend.find((t) => t.commandKey === request.commandKey);
    if (task === undefined) return;
    this.#waiting.delete(request.commandKey);
    const queued = this.#toSend.indexOf(task);
    if (queued >= 0) this.#toSend.splice(queued, 1);
    const at = this.#now();
    const times = { status: 0 as const, startTime: request.startTime, completeTime: request.completeTime };
    const response: DownloadResponse | UploadResponse = task.task.type === 'upload' ? { method: 'UploadResponse', ...times } : { method: 'DownloadResponse', ...times };
    if (request.faultStruct.faultCode === 0) {
      this.#record.settle({ requestId: task.id, state: 'done', response, at });
    } else {
      const fault = { faultCode: request.faultStruct.faultCode, faultString: request.faultStruct.faultString, setParameterValuesFault: [] };
      this.#record.settle({ requestId: task.id, state: 'fault', fault, at, response });
    }
  }

  next(): ProgramRpc | null {
    const task = this.#toSend.shift();
    if (task === undefined) return null;
    this.#sent = task;
    return { request: requestFor(task.task as FileTransfer), requestId: task.id };
  }

  learn(answer: RpcOutcome): void {
    const task = this.#sent;
    this.#sent = null;
    if (task === null) return;
    const at = this.#now();
    if (!answer.ok) {
      this.#record.settle({ requestId: task.id, state: 'fault', fault: answer.fault, at });
      return;
    }
    const r = answer.response;
    if (r.method !== 'DownloadResponse' && r.method !== 'UploadResponse') return;
    // Status 0: the CPE finished the transfer (and its effect) before answering.
    if (r.status === 0) this.#record.settle({ requestId: task.id, state: 'done', response: r, at });
    else {
      this.#record.progress(task.id, r);
      this.#waiting.set(task.commandKey ?? '', task);
    }
  }
}

/** CommandKeys of the Inform's "M Download" and "M Upload" events. */
function methodEventKeys(inform: Inform): Set<string> {
  const keys = new Set<string>();
  for (const e of inform.event) {
    const k = eventKey(e.eventCode);
    if (k === eventKey(EV.M_DOWNLOAD) || k === eventKey(EV.M_UPLOAD)) keys.add(e.commandKey);
  }
  return keys;
}
