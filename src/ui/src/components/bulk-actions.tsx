/**
 * Bulk actions on the devices table (operator and admin): on the selected rows or on every
 * device the filter matches. Each action asks for what it needs, then confirms with the number
 * of devices it will touch.
 */
import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { useApp } from '../app-context';
import { bulkTags, bulkTask, type Scope } from '../bulk';
import { count } from '../format';
import { checkValue } from '../xsd';
import { Button, Confirm, Field } from './ui';

type Action = 'tag' | 'untag' | 'reboot' | 'refresh' | 'set';
const TITLES: Record<Action, string> = { tag: 'Add tag', untag: 'Remove tag', reboot: 'Reboot', refresh: 'Refresh parameters', set: 'Set parameter' };
const TYPES = ['', 'xsd:string', 'xsd:boolean', 'xsd:int', 'xsd:unsignedInt', 'xsd:long', 'xsd:unsignedLong', 'xsd:dateTime', 'xsd:base64', 'xsd:hexBinary'];

export function BulkActions({ selected, filters, total, onDone, onClear }: { selected: string[]; filters: string[]; total: number; onDone: () => void; onClear: () => void }): JSX.Element {
  const app = useApp();
  const [scopeKind, setScopeKind] = useState<'selection' | 'filter'>('selection');
  const [action, setAction] = useState<Action | null>(null);
  const [tag, setTag] = useState('');
  const [path, setPath] = useState('');
  const [value, setValue] = useState('');
  const [type, setType] = useState('');
  const [objectName, setObjectName] = useState('Device.');
  const [error, setError] = useState<string | null>(null);

  const kind = selected.length > 0 ? scopeKind : 'filter';
  const n = kind === 'selection' ? selected.length : total;
  const scope: Scope = kind === 'selection' ? { kind, ids: selected } : { kind, filter: filters, total };
  const what = kind === 'selection' ? `the ${count(n)} selected ${n === 1 ? 'device' : 'devices'}` : `all ${count(n)} ${n === 1 ? 'device' : 'devices'} matching ${filters.length > 0 ? 'the filter' : '(no filter: the whole fleet)'}`;

  const validate = (): string | null => {
    if (action === 'tag' || action === 'untag') return /^[^\s,]{1,128}$/.test(tag.trim()) ? null : 'A tag: no blanks or commas, at most 128 characters';
    if (action === 'set') {
      if (!/^[^\s.][^\s]*[^.\s]$/.test(path.trim())) return 'A parameter path, e.g. Device.ManagementServer.PeriodicInformInterval';
      const c = checkValue(type || 'xsd:string', value);
      return c.ok ? null : c.error;
    }
    if (action === 'refresh') return /^[^\s.][^\s]*$/.test(objectName.trim()) ? null : 'An object path such as Device. or Device.WiFi.';
    return null;
  };

  const run = async (): Promise<void> => {
    const a = action;
    setAction(null);
    if (a === null) return;
    if (a === 'tag') await bulkTags(app, scope, [tag.trim()], []);
    else if (a === 'untag') await bulkTags(app, scope, [], [tag.trim()]);
    else if (a === 'reboot') void bulkTask(app, scope, { type: 'reboot' }, 'Reboot');
    else if (a === 'refresh') void bulkTask(app, scope, { type: 'refresh', objectName: objectName.trim() }, `Refresh ${objectName.trim()}`);
    else {
      const c = checkValue(type || 'xsd:string', value);
      const v = c.ok ? c.value : value;
      void bulkTask(app, scope, { type: 'setParameterValues', parameterValues: [type ? [path.trim(), v, type] : [path.trim(), v]] }, `Set ${path.trim()} = ${v}`);
    }
    onDone();
  };

  return (
    <div class="bulkbar" role="region" aria-label="Bulk actions">
      <fieldset class="scope">
        <legend class="visually-hidden">Act on</legend>
        <label class="check">
          <input type="radio" name="scope" value="selection" checked={kind === 'selection'} disabled={selected.length === 0} onChange={() => setScopeKind('selection')} />
          Selected ({count(selected.length)})
        </label>
        <label class="check">
          <input type="radio" name="scope" value="filter" checked={kind === 'filter'} onChange={() => setScopeKind('filter')} />
          All matching ({count(total)})
        </label>
        {selected.length > 0 ? (
          <Button small variant="ghost" onClick={onClear}>
            Clear selection
          </Button>
        ) : null}
      </fieldset>
      <div class="bulk-buttons">
        {(Object.keys(TITLES) as Action[]).map((a) => (
          <Button
            key={a}
            small
            disabled={n === 0}
            variant={a === 'reboot' ? 'danger' : 'default'}
            onClick={() => {
              setError(null);
              setAction(a);
            }}
          >
            {TITLES[a]}…
          </Button>
        ))}
      </div>
      <Confirm
        open={action !== null}
        title={action ? `${TITLES[action]}: ${count(n)} ${n === 1 ? 'device' : 'devices'}` : ''}
        action={action === 'reboot' ? `Reboot ${count(n)} ${n === 1 ? 'device' : 'devices'}` : `Apply to ${count(n)} ${n === 1 ? 'device' : 'devices'}`}
        danger={action === 'reboot'}
        onClose={() => setAction(null)}
        onConfirm={() => {
          const e = validate();
          if (e !== null) {
            setError(e);
            return;
          }
          return run();
        }}
      >
        <p class="confirm-count">
          This acts on <strong>{what}</strong>.
        </p>
        {kind === 'filter' && filters.length > 0 ? (
          <ul class="chips">
            {filters.map((f) => (
              <li key={f} class="chip">
                <code>{f}</code>
              </li>
            ))}
          </ul>
        ) : null}
        {action === 'tag' || action === 'untag' ? (
          <Field label="Tag" error={error}>
            {(p) => <input {...p} value={tag} onInput={(e) => setTag(e.currentTarget.value)} autoFocus />}
          </Field>
        ) : null}
        {action === 'refresh' ? (
          <Field label="Object to re-read" hint="The subtree is read again from each device (GetParameterNames + GetParameterValues)." error={error}>
            {(p) => <input {...p} value={objectName} onInput={(e) => setObjectName(e.currentTarget.value)} />}
          </Field>
        ) : null}
        {action === 'set' ? (
          <>
            <Field label="Parameter path">{(p) => <input {...p} value={path} placeholder="Device.ManagementServer.PeriodicInformInterval" onInput={(e) => setPath(e.currentTarget.value)} />}</Field>
            <Field label="Value" error={error}>
              {(p) => <input {...p} value={value} onInput={(e) => setValue(e.currentTarget.value)} />}
            </Field>
            <Field label="Type" hint="Empty: each device's stored type for the parameter">
              {(p) => (
                <select {...p} value={type} onChange={(e) => setType(e.currentTarget.value)}>
                  {TYPES.map((t) => (
                    <option key={t} value={t}>
                      {t || '(as stored)'}
                    </option>
                  ))}
                </select>
              )}
            </Field>
          </>
        ) : null}
        {action === 'reboot' ? <p>Each device is asked to connect now and reboots in that session; offline devices reboot when they next inform.</p> : null}
      </Confirm>
    </div>
  );
}
