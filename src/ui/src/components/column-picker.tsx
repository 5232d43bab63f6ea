/** Choose the devices table's columns: built-ins, the virtual parameters, and any parameter path as a column. */
import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { BUILTIN, DEFAULT_COLUMNS } from '../columns';
import { Button, Dialog, Field } from './ui';

export interface VirtualColumn {
  path: string;
  description?: string;
}

export function ColumnPicker({
  open,
  current,
  virtual = [],
  onSave,
  onClose,
}: {
  open: boolean;
  current: string[];
  /** Virtual parameters (GET /virtual-parameters): computed by sessions, kept like any parameter. */
  virtual?: VirtualColumn[];
  onSave: (keys: string[]) => void;
  onClose: () => void;
}): JSX.Element {
  const [keys, setKeys] = useState(current);
  const [path, setPath] = useState('');
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    if (open) setKeys(current);
  }, [open]);
  const custom = keys.filter((k) => !BUILTIN.some((b) => b.key === k) && !virtual.some((v) => v.path === k));
  const toggle = (k: string, on: boolean): void => setKeys(on ? [...keys, k] : keys.filter((x) => x !== k));
  const add = (): void => {
    const p = path.trim();
    if (!/^[^\s.][^\s]*[^.\s]$/.test(p) || !p.includes('.')) return setError('A parameter path such as Device.WiFi.SSID.1.SSID');
    if (!keys.includes(p)) setKeys([...keys, p]);
    setPath('');
    setError(null);
  };
  return (
    <Dialog
      open={open}
      title="Columns"
      onClose={onClose}
      footer={
        <>
          <Button variant="ghost" onClick={() => setKeys(DEFAULT_COLUMNS)}>
            Defaults
          </Button>
          <Button onClick={onClose}>Cancel</Button>
          <Button
            variant="primary"
            onClick={() =>
              onSave(
                BUILTIN.map((b) => b.key)
                  .filter((k) => keys.includes(k))
                  .concat(virtual.map((v) => v.path).filter((k) => keys.includes(k)), custom),
              )
            }
          >
            Apply
          </Button>
        </>
      }
    >
      <fieldset class="checks">
        <legend>Device fields</legend>
        {BUILTIN.map((b) => (
          <label key={b.key} class="check">
            <input type="checkbox" checked={keys.includes(b.key)} onChange={(e) => toggle(b.key, e.currentTarget.checked)} />
            {b.label}
          </label>
        ))}
      </fieldset>
      {virtual.length > 0 ? (
        <fieldset class="checks">
          <legend>Virtual parameters</legend>
          {virtual.map((v) => (
            <label key={v.path} class="check" title={v.description}>
              <input type="checkbox" checked={keys.includes(v.path)} onChange={(e) => toggle(v.path, e.currentTarget.checked)} />
              <code>{v.path}</code>
            </label>
          ))}
        </fieldset>
      ) : null}
      <fieldset class="checks">
        <legend>Parameters</legend>
        {custom.length === 0 ? <p class="muted small">None yet.</p> : null}
        {custom.map((k) => (
          <label key={k} class="check">
            <input type="checkbox" checked onChange={() => toggle(k, false)} />
            <code>{k}</code>
          </label>
        ))}
        <div class="row">
          <Field label="Add a parameter column" error={error}>
            {(p) => (
              <input
                {...p}
                value={path}
                placeholder="Device.WiFi.SSID.1.SSID"
                onInput={(e) => setPath(e.currentTarget.value)}
                onKeyDown={(e) => {
                  if (e.key === 'Enter') {
                    e.preventDefault();
                    add();
                  }
                }}
              />
            )}
          </Field>
          <Button onClick={add}>Add</Button>
        </div>
      </fieldset>
    </Dialog>
  );
}
