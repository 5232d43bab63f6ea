/**
 * Quirk profiles (/quirks, docs/conformance.md): every profile in force with its origin
 * (shipped, learnt with its evidence, an operator's, an operator's override of a shipped or
 * learnt one), what it matches and what it changes. Operators create a profile in a form or as
 * JSON, edit and delete their own, and override or disable a shipped or learnt one (a PUT on its
 * id, as the API models it; deleting the override restores a shipped one). Reading needs the
 * read-only role, changing the operator role: others see no edit controls. The API checks every
 * value; its message shows beside the form and nothing is saved. `?profile=<id>` (the device
 * page's link) marks one profile.
 */
import type { JSX } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, errorText, roleAllows } from '../api';
import { useApp } from '../app-context';
import { useLiveList } from '../live-list';
import { Badge, Button, Confirm, EDITOR_VIEWS, ErrorBox, Loading, Tabs, type EditorView } from '../components/ui';
import { ago, localTime } from '../format';
import { BOOLEAN_SETTINGS, bodyOf, draftBody, draftOf, EMPTY_DRAFT, matchText, SETTING_LABELS, settingsText, type Draft, type QuirkBody, type QuirkProfile } from '../quirks';
import { deviceHref } from '../router';

const NEEDS_OPERATOR = 'Changing quirk profiles needs the operator role.';

function writeErrorText(e: unknown): string {
  if (e instanceof ApiError && e.status === 403) return `You may not change quirk profiles. ${NEEDS_OPERATOR} (${e.text})`;
  return errorText(e);
}

/** What the editor is doing: a new profile, an operator's profile, or taking over a shipped or learnt one. */
type Editing = { mode: 'create' } | { mode: 'edit' | 'override'; profile: QuirkProfile };

function Origin({ p }: { p: QuirkProfile }): JSX.Element {
  if (p.source === 'shipped') return <Badge tone="info">shipped</Badge>;
  if (p.source === 'learnt') return <Badge tone="warn">learnt</Badge>;
  return (
    <>
      <Badge tone="ok">operator</Badge>
      {p.overrides !== null ? (
        <>
          {' '}
          <Badge tone="muted" title={`This operator’s profile replaces the ${p.overrides} profile with the same id`}>
            overrides {p.overrides}
          </Badge>
        </>
      ) : null}
    </>
  );
}

export function QuirksPage({ marked }: { marked: string | null }): JSX.Element {
  const { api, role } = useApp();
  const canWrite = roleAllows(role, 'operator');
  // Learnt profiles appear (and change) while the page is open.
  const { items: list, error, reload } = useLiveList<QuirkProfile>('/quirks', 'profiles', 'quirks.changed');
  const [editing, setEditing] = useState<Editing | null>(null);
  const [removing, setRemoving] = useState<QuirkProfile | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [rowError, setRowError] = useState<string | null>(null);
  const markedRow = useRef<HTMLTableRowElement>(null);
  const scrolled = useRef(false);
  useEffect(() => {
    if (list !== null && markedRow.current !== null && !scrolled.current) {
      scrolled.current = true;
      markedRow.current.scrollIntoView({ block: 'center' });
    }
  }, [list]);
  if (error) return <div class="page"><ErrorBox error={error} onRetry={reload} /></div>;
  if (list === null) return <Loading what="quirk profiles" />;
  const disable = (p: QuirkProfile): void => {
    setRowError(null);
    api.put<QuirkProfile>(`/quirks/${encodeURIComponent(p.id)}`, { ...bodyOf(p), enabled: false }).then(
      () => (setNotice(`${p.name} is switched off by an operator’s override.`), reload()),
      (e) => setRowError(writeErrorText(e)),
    );
  };
  const order: Record<QuirkProfile['source'], number> = { operator: 0, learnt: 1, shipped: 2 };
  const rows = [...list].sort((a, b) => order[a.source] - order[b.source] || a.name.localeCompare(b.name));
  return (
    <div class="page">
      <header class="page-head">
        <h1>Quirk profiles</h1>
        <span class="muted">how sessions talk to devices that need it: shipped with Flotilla, learnt by sessions, or operators’</span>
        {canWrite ? (
          <Button variant="primary" onClick={() => (setNotice(null), setEditing({ mode: 'create' }))}>
            New profile
          </Button>
        ) : null}
      </header>
      {canWrite ? null : (
        <p class="message message-info" role="note" data-testid="quirks-read-only">
          You can read quirk profiles. {NEEDS_OPERATOR}
        </p>
      )}
      {notice !== null ? (
        <p class="message message-info" role="status">
          {notice}
        </p>
      ) : null}
      {rowError !== null ? (
        <p class="message message-bad" role="alert">
          {rowError}
        </p>
      ) : null}
      {editing !== null && canWrite ? (
        <QuirkEditor
          key={editing.mode === 'create' ? 'new' : `${editing.mode}:${editing.profile.id}`}
          editing={editing}
          onCancel={() => setEditing(null)}
          onSaved={(p) => (setEditing(null), setNotice(`Saved ${p.name}.`), reload())}
        />
      ) : null}
      <div class="table-wrap">
        <table class="table" aria-label="Quirk profiles">
          <thead>
            <tr>
              <th scope="col">Profile</th>
              <th scope="col">Origin</th>
              <th scope="col">Matches</th>
              <th scope="col">Settings</th>
              <th scope="col">Evidence</th>
              {canWrite ? (
                <th scope="col">
                  <span class="visually-hidden">Actions</span>
                </th>
              ) : null}
            </tr>
          </thead>
          <tbody>
            {rows.map((p) => (
              <tr key={p.id} data-profile={p.id} ref={p.id === marked ? markedRow : undefined} class={p.id === marked ? 'selected' : undefined} aria-current={p.id === marked ? 'true' : undefined}>
                <td class="wrap">
                  <strong>{p.name}</strong> {p.enabled ? null : <Badge tone="muted">disabled</Badge>}
                  <div>
                    <code class="wrap">{p.id}</code>
                  </div>
                  <div class="muted" title={localTime(p.updatedAt)}>
                    changed {ago(p.updatedAt)}
                  </div>
                </td>
                <td>
                  <Origin p={p} />
                </td>
                <td class="wrap" data-testid="match">
                  {matchText(p.match)}
                </td>
                <td class="wrap" data-testid="settings">
                  {settingsText(p.settings)}
                </td>
                <td class="wrap">
                  {p.evidence.length === 0 ? (
                    <span class="muted">none</span>
                  ) : (
                    <details open={p.id === marked}>
                      <summary>
                        {p.evidence.length} piece{p.evidence.length === 1 ? '' : 's'}
                      </summary>
                      <ul aria-label={`Evidence for ${p.name}`}>
                        {p.evidence.map((e, i) => (
                          <li key={i}>
                            <span title={localTime(e.at)}>{p.source === 'shipped' || p.overrides === 'shipped' ? '' : `${ago(e.at)}: `}</span>
                            {e.what}
                            {e.deviceId ? (
                              <>
                                {' '}
                                (<a href={deviceHref(e.deviceId, 'conformance')}>{e.deviceId}</a>)
                              </>
                            ) : null}
                          </li>
                        ))}
                      </ul>
                    </details>
                  )}
                </td>
                {canWrite ? (
                  <td>
                    <div class="actions">
                      {p.source === 'operator' ? (
                        <>
                          <Button small onClick={() => (setNotice(null), setEditing({ mode: 'edit', profile: p }))}>
                            Edit
                          </Button>
                          <Button small variant="danger" onClick={() => setRemoving(p)}>
                            {p.overrides === 'shipped' ? 'Restore shipped' : 'Delete'}
                          </Button>
                        </>
                      ) : (
                        <>
                          <Button small onClick={() => (setNotice(null), setEditing({ mode: 'override', profile: p }))}>
                            Override
                          </Button>
                          {p.enabled ? (
                            <Button small onClick={() => disable(p)}>
                              Disable
                            </Button>
                          ) : null}
                        </>
                      )}
                    </div>
                  </td>
                ) : null}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <Confirm
        open={removing !== null}
        title={removing?.overrides === 'shipped' ? 'Restore the shipped profile?' : 'Delete this quirk profile?'}
        action={removing?.overrides === 'shipped' ? 'Restore shipped' : 'Delete'}
        danger
        onClose={() => setRemoving(null)}
        onConfirm={async () => {
          const p = removing!;
          try {
            await api.del(`/quirks/${encodeURIComponent(p.id)}`);
            setRowError(null);
            setNotice(p.overrides === 'shipped' ? `The shipped profile ${p.id} is back in force.` : `Deleted ${p.name}.`);
          } catch (e) {
            setRowError(writeErrorText(e));
          }
          setRemoving(null);
          reload();
        }}
      >
        {removing === null ? null : removing.overrides === 'shipped' ? (
          <p>The override “{removing.name}” goes, and the profile shipped with Flotilla applies again.</p>
        ) : removing.overrides === 'learnt' ? (
          <p>“{removing.name}” goes; sessions may learn this model’s quirks afresh.</p>
        ) : (
          <p>“{removing.name}” ({matchText(removing.match)}) goes; devices it matched lose its settings at their next session.</p>
        )}
      </Confirm>
    </div>
  );
}

function QuirkEditor({ editing, onCancel, onSaved }: { editing: Editing; onCancel: () => void; onSaved: (p: QuirkProfile) => void }): JSX.Element {
  const { api } = useApp();
  const initial: QuirkBody = editing.mode === 'create' ? draftBody(EMPTY_DRAFT) : bodyOf(editing.profile);
  const [draft, setDraft] = useState<Draft>(() => draftOf(initial));
  const [view, setView] = useState<EditorView>('form');
  const [json, setJson] = useState(() => JSON.stringify(initial, null, 2));
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const title =
    editing.mode === 'create' ? 'New operator profile' : editing.mode === 'edit' ? `Edit ${editing.profile.name}` : `Override ${editing.profile.source} profile ${editing.profile.name}`;

  /** The body as the current view has it; the JSON view's text goes as it is, for the API to judge. */
  const current = (): unknown => {
    if (view === 'form') return draftBody(draft);
    try {
      return JSON.parse(json) as unknown;
    } catch (e) {
      setProblem(`JSON: ${e instanceof Error ? e.message : String(e)}`);
      return undefined;
    }
  };
  const switchTo = (next: EditorView): void => {
    if (next === view) return;
    if (next === 'json') setJson(JSON.stringify(draftBody(draft), null, 2));
    else {
      const b = current();
      if (b === undefined) return;
      if (typeof b !== 'object' || b === null || Array.isArray(b)) {
        setProblem('JSON: a profile is an object');
        return;
      }
      setDraft(draftOf(b as QuirkBody));
    }
    setProblem(null);
    setView(next);
  };
  const save = (): void => {
    const body = current();
    if (body === undefined) return;
    setBusy(true);
    setProblem(null);
    const done = editing.mode === 'create' ? api.post<QuirkProfile>('/quirks', body) : api.put<QuirkProfile>(`/quirks/${encodeURIComponent(editing.profile.id)}`, body);
    done.then(
      (p) => (setBusy(false), onSaved(p)),
      (e) => (setBusy(false), setProblem(writeErrorText(e))),
    );
  };
  const text = (k: 'name' | 'oui' | 'productClass' | 'firmwareMin' | 'firmwareMax' | 'maxGetNames', label: string, hint?: string): JSX.Element => (
    <label class="field">
      {label}
      <input aria-label={label} value={draft[k]} onInput={(e) => setDraft({ ...draft, [k]: (e.target as HTMLInputElement).value })} />
      {hint ? <span class="hint">{hint}</span> : null}
    </label>
  );
  return (
    <section class="card" aria-label="Quirk profile editor">
      <header class="card-head">
        <h2>{title}</h2>
      </header>
      {editing.mode === 'override' ? (
        <p class="muted">
          Saving makes an operator’s profile with the id <code>{editing.profile.id}</code> that takes the place of the {editing.profile.source} one
          {editing.profile.source === 'shipped' ? ' (deleting it later brings the shipped one back)' : ' (learning leaves it alone)'}.
        </p>
      ) : null}
      <Tabs tabs={EDITOR_VIEWS} current={view} label="Editor view" onChange={(v) => switchTo(v as EditorView)} />
      <form
        aria-label="Quirk profile"
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          save();
        }}
      >
        <div role="tabpanel" id={`panel-${view}`} aria-labelledby={`tab-${view}`}>
          {view === 'form' ? (
            <>
              <div class="form-grid">
                {text('name', 'Name')}
                {text('oui', 'OUI', '6 hex digits; empty: any')}
                {text('productClass', 'ProductClass', 'exact; empty: any')}
                {text('firmwareMin', 'Firmware from', 'inclusive, compared version-wise')}
                {text('firmwareMax', 'Firmware to', 'inclusive')}
              </div>
              <fieldset class="field">
                <legend>Settings (not set: left to other profiles)</legend>
                <div class="form-grid">
                  {text('maxGetNames', SETTING_LABELS.maxGetNames, 'a whole number; empty: not set')}
                  <label class="field">
                    {SETTING_LABELS.booleans}
                    <select aria-label={SETTING_LABELS.booleans} value={draft.booleans} onChange={(e) => setDraft({ ...draft, booleans: (e.target as HTMLSelectElement).value as Draft['booleans'] })}>
                      <option value="">not set</option>
                      <option value="digits">1 / 0</option>
                      <option value="words">true / false</option>
                    </select>
                  </label>
                  {BOOLEAN_SETTINGS.map((k) => (
                    <label key={k} class="field">
                      {SETTING_LABELS[k]}
                      <select aria-label={SETTING_LABELS[k]} value={draft.flags[k]} onChange={(e) => setDraft({ ...draft, flags: { ...draft.flags, [k]: (e.target as HTMLSelectElement).value as Draft['flags'][typeof k] } })}>
                        <option value="">not set</option>
                        <option value="true">yes</option>
                        <option value="false">no</option>
                      </select>
                    </label>
                  ))}
                </div>
              </fieldset>
              <label class="check">
                <input type="checkbox" aria-label="Enabled" checked={draft.enabled} onChange={(e) => setDraft({ ...draft, enabled: (e.target as HTMLInputElement).checked })} /> Enabled
              </label>
            </>
          ) : (
            <label class="field">
              The profile as JSON
              <textarea aria-label="Profile JSON" class="code" rows={14} spellcheck={false} value={json} onInput={(e) => setJson((e.target as HTMLTextAreaElement).value)} />
            </label>
          )}
        </div>
        {problem ? (
          <p class="message message-bad" role="alert" data-testid="quirk-problem">
            {problem}
          </p>
        ) : null}
        <div class="actions">
          <Button variant="primary" type="submit" busy={busy}>
            {editing.mode === 'create' ? 'Create profile' : editing.mode === 'edit' ? 'Save profile' : 'Save override'}
          </Button>
          <Button onClick={onCancel}>Cancel</Button>
        </div>
      </form>
    </section>
  );
}
