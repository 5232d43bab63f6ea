/**
 * Provisioning policies: the list with each policy's compliance counts; a policy's page with
 * an editor in two views (a form for name, filter, triggers, priority and plain values; the
 * whole definition as JSON for everything else: objects by key, scripts, notifications,
 * backups), a dry run before saving (the devices it matches, what each would receive, the
 * conflicts), and the revision history with rollback. Reading needs an operator; changing a
 * policy an admin or an operator granted the `provision` capability (api.ts canProvision). Those
 * who cannot change policies see no edit controls and are told why; a 403 (a grant taken away
 * since sign-in) is shown with what it needs.
 */
import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { ApiError, canProvision, errorText } from '../api';
import { useApp } from '../app-context';
import { useLiveList } from '../live-list';
import { Badge, Button, EDITOR_VIEWS, ErrorBox, Loading, Tabs, type EditorView } from '../components/ui';
import { ago, count, localTime } from '../format';
import { deviceHref, navigate } from '../router';

const NEEDS_PROVISION = 'Changing policies needs the admin role, or the operator role with the provision capability: ask an administrator to grant it.';

/** A refused change says what it needs, beside the server's own words. */
export function writeErrorText(e: unknown): string {
  if (e instanceof ApiError && e.status === 403) return `You may not change policies. ${NEEDS_PROVISION} (${e.text})`;
  return errorText(e);
}

/** Shown to those who read policies but may not change them. */
function ReadOnlyNote(): JSX.Element {
  return (
    <p class="message message-info" role="note" data-testid="policies-read-only">
      You can read policies and preview them. {NEEDS_PROVISION}
    </p>
  );
}

export const TRIGGERS = ['0 BOOTSTRAP', '1 BOOT', '2 PERIODIC', '4 VALUE CHANGE', '6 CONNECTION REQUEST', '7 TRANSFER COMPLETE'] as const;

/** A definition as the API takes it (members the console does not know are kept as they are). */
export type Definition = {
  name: string;
  description?: string;
  filter: string[];
  triggers: string[];
  priority: number;
  enabled: boolean;
  declarations: Record<string, unknown>[];
} & Record<string, unknown>;

interface Counts {
  compliant: number;
  pending: number;
  faulted: number;
  notApplicable: number;
}

interface Policy extends Definition {
  id: string;
  revision: number;
  author: string;
  updatedAt: string;
  compliance?: Counts;
}

interface Revision {
  revision: number;
  author: string;
  at: string;
  definition: Definition;
}

interface PlannedDevice {
  id: string;
  set: { path: string; value: string; current: string | null; policyId: string }[];
  unknown: string[];
  faults: { policyId: string; fault: { faultCode: number; faultString: string } }[];
  conflicts: { path: string; winner: { policyId: string; value: string }; overruled: { policyId: string; value: string }[] }[];
  add: unknown[];
  remove: unknown[];
}

interface Plan {
  devices: PlannedDevice[];
  total: number;
  truncated: boolean;
}

const DRAFT = '(this draft)';

const EMPTY: Definition = { name: '', filter: [], triggers: [], priority: 0, enabled: true, declarations: [] };

/** Only what the API takes back (ids and bookkeeping dropped). */
function definitionOf(p: Record<string, unknown>): Definition {
  const { id: _i, revision: _r, author: _a, createdAt: _c, updatedAt: _u, compliance: _k, ...def } = p;
  return { ...EMPTY, ...(def as Partial<Definition>) } as Definition;
}

const isPlainValue = (d: Record<string, unknown>): boolean => typeof d.path === 'string' && typeof d.value === 'string' && Object.keys(d).every((k) => k === 'path' || k === 'value' || k === 'type');

export function PoliciesPage(): JSX.Element {
  const { role, capabilities } = useApp();
  const canWrite = canProvision(role, capabilities);
  const { items: list, error, reload } = useLiveList<Policy>('/policies', 'policies', 'policy.changed');
  if (error) return <div class="page"><ErrorBox error={error} onRetry={reload} /></div>;
  if (list === null) return <Loading what="policies" />;
  return (
    <div class="page">
      <header class="page-head">
        <h1>Policies</h1>
        <span class="muted">the state devices are kept in, applied in their sessions</span>
        {canWrite ? (
          <Button variant="primary" onClick={() => navigate('/policies/new')}>
            New policy
          </Button>
        ) : null}
      </header>
      {canWrite ? null : <ReadOnlyNote />}
      {list.length === 0 ? (
        <p class="muted">No policies yet.</p>
      ) : (
        <div class="table-wrap">
          <table class="table" aria-label="Policies">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Priority</th>
                <th scope="col">Triggers</th>
                <th scope="col">Compliant</th>
                <th scope="col">Pending</th>
                <th scope="col">Faulted</th>
                <th scope="col">Revision</th>
              </tr>
            </thead>
            <tbody>
              {list.map((p) => (
                <tr key={p.id} data-policy={p.id}>
                  <td>
                    <a href={`/policies/${encodeURIComponent(p.id)}`}>{p.name}</a> {p.enabled ? null : <Badge tone="muted">disabled</Badge>}
                  </td>
                  <td>{p.priority}</td>
                  <td class="wrap">{p.triggers.length === 0 ? 'every session' : p.triggers.join(', ')}</td>
                  <td>{count(p.compliance?.compliant ?? 0)}</td>
                  <td>{count(p.compliance?.pending ?? 0)}</td>
                  <td>{(p.compliance?.faulted ?? 0) > 0 ? <Badge tone="bad">{count(p.compliance!.faulted)}</Badge> : '0'}</td>
                  <td title={`by ${p.author}, ${localTime(p.updatedAt)}`}>
                    {p.revision} <span class="muted">{ago(p.updatedAt)}</span>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}

/** `/policies/new` (id null) or `/policies/<id>`. */
export function PolicyPage({ id }: { id: string | null }): JSX.Element {
  const { api, role, capabilities } = useApp();
  const [policy, setPolicy] = useState<Policy | null>(null);
  const [changeError, setChangeError] = useState<string | null>(null);
  const [revisions, setRevisions] = useState<Revision[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [n, setN] = useState(0);
  useEffect(() => {
    if (id === null) return;
    Promise.all([api.get<Policy>(`/policies/${encodeURIComponent(id)}`), api.get<Counts>(`/policies/${encodeURIComponent(id)}/compliance`), api.get<{ revisions: Revision[] }>(`/policies/${encodeURIComponent(id)}/revisions`)]).then(
      ([p, c, r]) => (setPolicy({ ...p, compliance: c }), setRevisions(r.revisions), setError(null)),
      (e) => setError(errorText(e)),
    );
  }, [id, n]);
  if (error) return <div class="page"><ErrorBox error={error} onRetry={() => setN((x) => x + 1)} /></div>;
  if (id !== null && policy === null) return <Loading what="the policy" />;
  const canWrite = canProvision(role, capabilities);
  return (
    <div class="page">
      <header class="page-head">
        <h1>{policy === null ? 'New policy' : policy.name}</h1>
        {policy !== null ? <span class="muted">revision {policy.revision}, by {policy.author} {ago(policy.updatedAt)}</span> : null}
        <a href="/policies">All policies</a>
      </header>
      {canWrite ? null : <ReadOnlyNote />}
      {changeError !== null ? (
        <p class="message message-bad" role="alert">
          {changeError}
        </p>
      ) : null}
      {policy?.compliance ? (
        <div class="stats" role="list" aria-label="Compliance">
          {(['compliant', 'pending', 'faulted', 'notApplicable'] as const).map((k) => (
            <div key={k} class="stat" role="listitem">
              <span class="stat-label">{k === 'notApplicable' ? 'not applicable' : k}</span>
              <span class={`stat-value${k === 'faulted' && policy.compliance![k] > 0 ? ' tone-bad' : ''}`}>{count(policy.compliance![k])}</span>
            </div>
          ))}
          <a class="stat" role="listitem" href={`/devices?filter=${encodeURIComponent(`policy.${policy.id} = faulted`)}`}>
            <span class="stat-label">faulted devices</span>
            <span class="stat-value">list ›</span>
          </a>
        </div>
      ) : null}
      <PolicyEditor
        key={`${policy?.id ?? 'new'}@${policy?.revision ?? 0}`}
        initial={policy === null ? EMPTY : definitionOf(policy)}
        id={policy?.id ?? null}
        revision={policy?.revision ?? null}
        canWrite={canWrite}
        onSaved={(saved) => (saved.id === id ? setN((x) => x + 1) : navigate(`/policies/${encodeURIComponent(saved.id)}`))}
      />
      {policy !== null ? (
        <section aria-label="Revisions">
          <h2>Revisions</h2>
          <ol class="history" aria-label="Revision history">
            {revisions.map((r) => (
              <li key={r.revision} data-revision={r.revision}>
                <strong>revision {r.revision}</strong> by {r.author} <span title={localTime(r.at)}>{ago(r.at)}</span>: {r.definition.declarations.length} declarations, priority {r.definition.priority}
                {canWrite && r.revision !== policy.revision ? (
                  <>
                    {' '}
                    <Button
                      small
                      onClick={() =>
                        api.post<Policy>(`/policies/${encodeURIComponent(policy.id)}/rollback`, { revision: r.revision }).then(
                          () => (setChangeError(null), setN((x) => x + 1)),
                          (e) => setChangeError(writeErrorText(e)),
                        )
                      }
                    >
                      Roll back to {r.revision}
                    </Button>
                  </>
                ) : null}
              </li>
            ))}
          </ol>
          {canWrite ? (
            <Button
              variant="danger"
              small
              onClick={() => {
                if (!confirm(`Delete the policy "${policy.name}" with its revisions and compliance?`)) return;
                api.del(`/policies/${encodeURIComponent(policy.id)}`).then(
                  () => navigate('/policies'),
                  (e) => setChangeError(writeErrorText(e)),
                );
              }}
            >
              Delete policy
            </Button>
          ) : null}
        </section>
      ) : null}
    </div>
  );
}

function PolicyEditor({ initial, id, revision, canWrite, onSaved }: { initial: Definition; id: string | null; revision: number | null; canWrite: boolean; onSaved: (p: Policy) => void }): JSX.Element {
  const { api } = useApp();
  const [def, setDef] = useState<Definition>(initial);
  const [view, setView] = useState<EditorView>('form');
  const [json, setJson] = useState(JSON.stringify(initial, null, 2));
  const [problem, setProblem] = useState<string | null>(null);
  const [plan, setPlan] = useState<Plan | null>(null);
  const [busy, setBusy] = useState(false);
  const [saved, setSaved] = useState<string | null>(null);

  /** The definition as it stands in the current view (the JSON view may not parse). */
  const current = (): Definition | null => {
    if (view === 'form') return def;
    try {
      const parsed = JSON.parse(json) as unknown;
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('the definition must be a JSON object');
      return definitionOf(parsed as Record<string, unknown>);
    } catch (e) {
      setProblem(`JSON: ${e instanceof Error ? e.message : String(e)}`);
      return null;
    }
  };
  const switchTo = (next: EditorView): void => {
    if (next === view) return;
    if (next === 'json') setJson(JSON.stringify(def, null, 2));
    else {
      const d = current();
      if (d === null) return;
      setDef(d);
    }
    setProblem(null);
    setView(next);
  };
  const edit = (change: Partial<Definition>): void => (setDef({ ...def, ...change }), setPlan(null));
  const plain = def.declarations.filter(isPlainValue) as { path: string; value: string; type?: string }[];
  const others = def.declarations.filter((d) => !isPlainValue(d));
  const setPlain = (rows: { path: string; value: string; type?: string }[]): void => edit({ declarations: [...rows, ...others] });

  const preview = (): void => {
    const d = current();
    if (d === null) return;
    setBusy(true);
    setProblem(null);
    api.post<Plan>(id === null ? '/policies/plan' : `/policies/${encodeURIComponent(id)}/plan`, d).then(
      (p) => (setPlan(p), setBusy(false)),
      (e) => (setProblem(errorText(e)), setPlan(null), setBusy(false)),
    );
  };
  const save = (): void => {
    const d = current();
    if (d === null) return;
    setBusy(true);
    setProblem(null);
    const done = api[id === null ? 'post' : 'put']<Policy>(id === null ? '/policies' : `/policies/${encodeURIComponent(id)}?revision=${revision ?? 1}`, d);
    done.then(
      (p) => (setBusy(false), setSaved(`Saved as revision ${p.revision}.`), onSaved(p)),
      (e) => (setProblem(writeErrorText(e)), setBusy(false)),
    );
  };

  return (
    <section class="card" aria-label="Policy editor">
      <Tabs tabs={EDITOR_VIEWS} current={view} label="Editor view" onChange={(v) => switchTo(v as EditorView)} />
      <div role="tabpanel" id={`panel-${view}`} aria-labelledby={`tab-${view}`}>
        {view === 'form' ? (
          <form class="form" aria-label="Policy" onSubmit={(e) => e.preventDefault()}>
            <label class="field">
              Name <input aria-label="Name" value={def.name} required maxLength={200} readOnly={!canWrite} onInput={(e) => edit({ name: (e.target as HTMLInputElement).value })} />
            </label>
            <label class="field">
              Filter (one expression per line; empty: every device)
              <textarea aria-label="Filter" rows={2} value={def.filter.join('\n')} readOnly={!canWrite} onInput={(e) => edit({ filter: (e.target as HTMLTextAreaElement).value.split('\n').map((l) => l.trim()).filter((l) => l !== '') })} />
            </label>
            <fieldset class="field">
              <legend>Triggers (none: every session)</legend>
              {TRIGGERS.map((t) => (
                <label key={t} class="check">
                  <input type="checkbox" disabled={!canWrite} checked={def.triggers.includes(t)} onChange={(e) => edit({ triggers: (e.target as HTMLInputElement).checked ? [...def.triggers, t] : def.triggers.filter((x) => x !== t) })} /> {t}
                </label>
              ))}
            </fieldset>
            <label class="field">
              Priority (higher wins a conflict) <input aria-label="Priority" type="number" step={1} value={def.priority} readOnly={!canWrite} onInput={(e) => edit({ priority: Number((e.target as HTMLInputElement).value) || 0 })} />
            </label>
            <label class="check">
              <input type="checkbox" aria-label="Enabled" disabled={!canWrite} checked={def.enabled} onChange={(e) => edit({ enabled: (e.target as HTMLInputElement).checked })} /> Enabled
            </label>
            <fieldset class="field">
              <legend>Values</legend>
              <table class="table" aria-label="Declared values">
                <thead>
                  <tr>
                    <th scope="col">Parameter</th>
                    <th scope="col">Value</th>
                    <th scope="col"><span class="visually-hidden">Remove</span></th>
                  </tr>
                </thead>
                <tbody>
                  {plain.map((d, i) => (
                    <tr key={i}>
                      <td>
                        <input aria-label={`Parameter ${i + 1}`} value={d.path} readOnly={!canWrite} onInput={(e) => setPlain(plain.map((x, j) => (j === i ? { ...x, path: (e.target as HTMLInputElement).value } : x)))} />
                      </td>
                      <td>
                        <input aria-label={`Value ${i + 1}`} value={d.value} readOnly={!canWrite} onInput={(e) => setPlain(plain.map((x, j) => (j === i ? { ...x, value: (e.target as HTMLInputElement).value } : x)))} />
                      </td>
                      <td>
                        {canWrite ? (
                          <Button small variant="ghost" onClick={() => setPlain(plain.filter((_, j) => j !== i))}>
                            Remove
                          </Button>
                        ) : null}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
              {canWrite ? (
                <Button small onClick={() => setPlain([...plain, { path: '', value: '' }])}>
                  Add a value
                </Button>
              ) : null}
              {others.length > 0 || def.script !== undefined || def.backups !== undefined ? (
                <p class="muted">
                  {others.length} other declaration{others.length === 1 ? '' : 's'}
                  {def.script !== undefined ? ', a script' : ''}
                  {def.backups !== undefined ? ', backups' : ''} (edit them in the JSON view).
                </p>
              ) : null}
            </fieldset>
          </form>
        ) : (
          <label class="field">
            The policy as JSON
            <textarea aria-label="Policy JSON" class="code" rows={18} spellcheck={false} value={json} readOnly={!canWrite} onInput={(e) => (setJson((e.target as HTMLTextAreaElement).value), setPlan(null))} />
          </label>
        )}
      </div>
      {problem ? (
        <p class="message message-bad" role="alert">
          {problem}
        </p>
      ) : null}
      {saved ? (
        <p class="message message-info" role="status">
          {saved}
        </p>
      ) : null}
      <div class="actions">
        <Button busy={busy} onClick={preview}>
          Preview
        </Button>
        {canWrite ? (
          <Button variant="primary" busy={busy} disabled={plan === null} title={plan === null ? 'Preview first: see what the policy would do' : undefined} onClick={save}>
            {id === null ? 'Create policy' : 'Save as a new revision'}
          </Button>
        ) : null}
      </div>
      {plan !== null ? <PlanView plan={plan} self={id ?? 'draft'} /> : null}
    </section>
  );
}

function PlanView({ plan, self }: { plan: Plan; self: string }): JSX.Element {
  const changing = plan.devices.filter((d) => d.set.some((s) => s.policyId === self) || d.add.length + d.remove.length > 0);
  const conflicts = plan.devices.flatMap((d) => d.conflicts.map((c) => ({ device: d.id, ...c })));
  const faults = plan.devices.flatMap((d) => d.faults.filter((f) => f.policyId === self).map((f) => ({ device: d.id, ...f })));
  return (
    <section aria-label="Dry run">
      <h2>Dry run</h2>
      <p role="status" class="plan-summary">
        {count(plan.total)} matching device{plan.total === 1 ? '' : 's'}
        {plan.truncated ? ` (the first ${count(plan.devices.length)} shown)` : ''}; {count(changing.length)} would change; {count(conflicts.length)} conflict{conflicts.length === 1 ? '' : 's'}
        {faults.length > 0 ? `; ${count(faults.length)} could not be computed` : ''}.
      </p>
      {conflicts.length > 0 ? (
        <ul aria-label="Conflicts" class="conflicts">
          {conflicts.slice(0, 50).map((c, i) => (
            <li key={i}>
              {c.device}: {c.path} — {c.winner.policyId === self ? DRAFT : c.winner.policyId} wins with "{c.winner.value}" over {c.overruled.map((o) => `${o.policyId === self ? DRAFT : o.policyId} ("${o.value}")`).join(', ')}
            </li>
          ))}
        </ul>
      ) : null}
      {changing.length > 0 ? (
        <div class="table-wrap">
          <table class="table" aria-label="What each device would receive">
            <thead>
              <tr>
                <th scope="col">Device</th>
                <th scope="col">Would set</th>
              </tr>
            </thead>
            <tbody>
              {changing.slice(0, 50).map((d) => (
                <tr key={d.id}>
                  <td>
                    <a href={deviceHref(d.id, 'policies')}>{d.id}</a>
                  </td>
                  <td class="wrap">
                    {d.set
                      .filter((s) => s.policyId === self)
                      .map((s) => `${s.path} = ${s.value}${s.current === null ? ' (unknown now)' : ` (now ${s.current})`}`)
                      .join('; ')}
                    {d.add.length > 0 ? ` + ${d.add.length} instance(s)` : ''}
                    {d.remove.length > 0 ? ` − ${d.remove.length} instance(s)` : ''}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </section>
  );
}

/** The device page's Policies tab: this device's standing against each policy, and what would change now. */
export function DevicePolicies({ id }: { id: string }): JSX.Element {
  const { api } = useApp();
  const [rows, setRows] = useState<{ policyId: string; revision: number; state: string; fault: { faultCode: number; faultString: string; path?: string } | null; at: string }[] | null>(null);
  const [plan, setPlan] = useState<PlannedDevice | null>(null);
  const [names, setNames] = useState<Record<string, string>>({});
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    const enc = encodeURIComponent(id);
    Promise.all([
      api.get<{ compliance: NonNullable<typeof rows> }>(`/devices/${enc}/policies`),
      api.get<PlannedDevice>(`/devices/${enc}/plan`),
      api.get<{ policies: Policy[] }>('/policies?compliance=false'),
    ]).then(
      ([c, p, l]) => (setRows(c.compliance), setPlan(p), setNames(Object.fromEntries(l.policies.map((x) => [x.id, x.name])))),
      (e) => setError(errorText(e)),
    );
  }, [id]);
  if (error) return <ErrorBox error={error} />;
  if (rows === null || plan === null) return <Loading what="policies" />;
  const name = (pid: string): JSX.Element => <a href={`/policies/${encodeURIComponent(pid)}`}>{names[pid] ?? pid}</a>;
  return (
    <div>
      {rows.length === 0 ? (
        <p class="muted">No policy has been evaluated on this device yet.</p>
      ) : (
        <table class="table" aria-label="Policy compliance">
          <thead>
            <tr>
              <th scope="col">Policy</th>
              <th scope="col">State</th>
              <th scope="col">Fault</th>
              <th scope="col">Evaluated</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.policyId} data-policy={r.policyId}>
                <td>{name(r.policyId)}</td>
                <td>
                  <Badge tone={r.state === 'compliant' ? 'ok' : r.state === 'faulted' ? 'bad' : 'warn'}>{r.state}</Badge>
                </td>
                <td class="wrap">{r.fault ? `${r.fault.faultCode} ${r.fault.faultString}${r.fault.path ? ` (${r.fault.path})` : ''}` : ''}</td>
                <td title={localTime(r.at)}>
                  {ago(r.at)} <span class="muted">(revision {r.revision})</span>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h3>Would change now</h3>
      {plan.set.length + plan.add.length + plan.remove.length === 0 ? (
        <p class="muted" role="status">
          Nothing: the stored values already match every policy{plan.unknown.length > 0 ? ` (${plan.unknown.length} values are not stored yet and will be read first)` : ''}.
        </p>
      ) : (
        <ul aria-label="Pending changes">
          {plan.set.map((s) => (
            <li key={s.path}>
              {s.path} = {s.value} <span class="muted">(now {s.current ?? 'unknown'}; {name(s.policyId)})</span>
            </li>
          ))}
        </ul>
      )}
      {plan.conflicts.length > 0 ? (
        <ul aria-label="Conflicts">
          {plan.conflicts.map((c) => (
            <li key={c.path}>
              {c.path}: {name(c.winner.policyId)} wins with "{c.winner.value}" over {c.overruled.map((o) => `${names[o.policyId] ?? o.policyId} ("${o.value}")`).join(', ')}
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}
