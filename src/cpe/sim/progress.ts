/**
 * The live progress line of `flotilla sim`: rewritten in place once a second, only when the
 * output is a terminal (a pipe or a CI log gets the JSON summary alone).
 */
import type { Fleet } from './fleet.js';

export interface ProgressStream {
  isTTY?: boolean;
  write(s: string): boolean;
}

export function progressLine(fleet: Fleet, now: number, last: { at: number; sessions: number }): string {
  const s = fleet.stats;
  const seconds = fleet.startedAt > 0 ? Math.max(0, (now - fleet.startedAt) / 1000) : 0;
  const dt = (now - last.at) / 1000;
  const rate = dt > 0 ? (s.sessions - last.sessions) / dt : 0;
  const gate = fleet.runtime.gate;
  return (
    `sim ${seconds.toFixed(0)}s  cpes ${fleet.cpes.length}  sessions ${s.sessions}  failures ${s.failures}  ` +
    `faults ${s.faults}  ${rate.toFixed(1)}/s  active ${gate.active}  queued ${gate.waiting}`
  );
}

/** Start the line; returns a function that stops it and clears the line. */
export function startProgress(fleet: Fleet, out: ProgressStream, everyMs = 1000): () => void {
  if (out.isTTY !== true) return () => undefined;
  const last = { at: Date.now(), sessions: 0 };
  const timer = setInterval(() => {
    const now = Date.now();
    out.write(`\r\x1b[K${progressLine(fleet, now, last)}`);
    last.at = now;
    last.sessions = fleet.stats.sessions;
  }, everyMs);
  timer.unref();
  return () => {
    clearInterval(timer);
    out.write('\r\x1b[K');
  };
}
