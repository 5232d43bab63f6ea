/** The activity panel: every long action with its progress and outcome (a polite live region). */
import type { JSX } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import type { Activity } from '../activity';
import { useJobs } from '../activity';
import { deviceHref } from '../router';
import { Button, Progress, Spinner } from './ui';

export function ActivityPanel({ activity }: { activity: Activity }): JSX.Element {
  const jobs = useJobs(activity);
  const [collapsed, setCollapsed] = useState(true);
  const running = jobs.filter((j) => j.status === 'running').length;
  // A new job opens the panel, so every long action shows its progress.
  const newest = jobs[0]?.id ?? 0;
  const seen = useRef(newest);
  useEffect(() => {
    if (newest > seen.current) setCollapsed(false);
    seen.current = newest;
  }, [newest]);
  // Out of the way again a while after everything finished (unless the pointer or focus is in it).
  const box = useRef<HTMLElement>(null);
  useEffect(() => {
    if (collapsed || running > 0 || jobs.length === 0) return;
    const t = setTimeout(() => {
      if (!box.current?.matches(':hover, :focus-within')) setCollapsed(true);
    }, 10_000);
    return () => clearTimeout(t);
  }, [collapsed, running, jobs]);
  return (
    <aside ref={box} class={`activity${collapsed ? ' activity-collapsed' : ''}`} aria-label="Activity">
      <header class="activity-head">
        <button type="button" class="btn btn-ghost btn-sm" aria-expanded={!collapsed} aria-controls="activity-list" onClick={() => setCollapsed(!collapsed)}>
          Activity {running > 0 ? `(${running} running)` : jobs.length > 0 ? `(${jobs.length})` : ''}
        </button>
        {jobs.some((j) => j.status !== 'running') ? (
          <Button small variant="ghost" onClick={() => activity.clearFinished()}>
            Clear finished
          </Button>
        ) : null}
      </header>
      <ol id="activity-list" class="activity-list" aria-live="polite" hidden={collapsed}>
        {jobs.length === 0 ? <li class="muted">Nothing yet. Long actions show their progress here.</li> : null}
        {jobs.map((j) => (
          <li key={j.id} class={`job job-${j.status}`} data-status={j.status}>
            <div class="job-title">
              {j.status === 'running' ? <Spinner /> : <span aria-hidden="true">{j.status === 'done' ? '✓' : '✕'}</span>}
              <span>{j.title}</span>
              <button type="button" class="btn btn-ghost btn-sm job-dismiss" aria-label={`Dismiss ${j.title}`} onClick={() => activity.dismiss(j.id)}>
                ✕
              </button>
            </div>
            <div class="job-detail">
              <span class="visually-hidden">{j.status === 'failed' ? 'Failed: ' : j.status === 'done' ? 'Done: ' : 'In progress: '}</span>
              {j.detail}
            </div>
            {j.progress ? <Progress done={j.progress.done} total={j.progress.total} label={j.title} /> : null}
            {j.deviceId ? (
              <a class="job-link" href={deviceHref(j.deviceId)}>
                {j.deviceId}
              </a>
            ) : null}
          </li>
        ))}
      </ol>
    </aside>
  );
}
