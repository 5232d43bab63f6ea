/**
 * A real scheduler (timers fire as usual) that also records what was scheduled and how far
 * ahead: tests assert on the delays a CPE or a fleet asked for (back-off, periodic interval,
 * ramp), which are outcomes of the policy, instead of timing when things happened.
 */
import { HeapScheduler, type TimerEntry, type TimerTarget } from '../../src/cpe/client/scheduler.js';

export interface Scheduled {
  kind: unknown;
  /** How far ahead of now() it was scheduled (ms). */
  delayMs: number;
}

export class RecordingScheduler extends HeapScheduler {
  readonly scheduled: Scheduled[] = [];

  override at<K>(at: number, target: TimerTarget<K>, kind: K, arg?: unknown): TimerEntry {
    this.scheduled.push({ kind, delayMs: at - this.now() });
    return super.at(at, target, kind, arg);
  }

  /** The delays of one kind of timer, in the order they were asked for. */
  delays(kind: string): number[] {
    return this.scheduled.filter((s) => s.kind === kind).map((s) => s.delayMs);
  }
}
