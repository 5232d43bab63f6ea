/** Choose the devices table's columns: built-ins, and any parameter path as a column. */
import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { BUILTIN, DEFAULT_COLUMNS } from '../columns';
import { Button, Dialog, Field } from './ui';

export function ColumnPicker({ open, current, onSave, onClose }: { open: boolean; current: string[]; onSave: (keys: string[]) => void; onClose: () => void }): JSX.Element {
  const [keys, setKeys] = useState(current);
  const [path, setPath] = useState('');
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    if (open) setKeys(current);
  }, [open]);
  const custom = keys.filter((k) => !BUILTIN.some((b) => b.key === k));
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
          <Button variant="primary" onClick={() => onSave(BUILTIN.map((b) => b.key).filter((k) => keys.includes(k)).concat(custom))}>
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
