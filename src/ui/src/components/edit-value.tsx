/** Edit one writable parameter: an input that fits its type, checked before anything is sent. */
import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { checkValue, inputKind } from '../xsd';
import type { TreeNode } from './param-tree';
import { Button, Dialog, Field } from './ui';

export function EditValue({ node, onSave, onClose }: { node: TreeNode | null; onSave: (node: TreeNode, value: string, type: string) => void; onClose: () => void }): JSX.Element {
  const [value, setValue] = useState('');
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    setValue(node?.param?.value ?? '');
    setError(null);
  }, [node]);
  const type = node?.param?.type ?? 'xsd:string';
  const kind = inputKind(type);
  const submit = (e: Event): void => {
    e.preventDefault();
    if (node === null) return;
    const c = checkValue(type, value);
    if (!c.ok) return setError(c.error);
    onSave(node, c.value, type);
  };
  return (
    <Dialog
      open={node !== null}
      title="Edit value"
      onClose={onClose}
      footer={
        <>
          <Button onClick={onClose}>Cancel</Button>
          <Button variant="primary" type="submit" form="edit-value-form">
            Save and send
          </Button>
        </>
      }
    >
      {node ? (
        <form id="edit-value-form" onSubmit={submit} noValidate>
          <p>
            <code class="path">{node.path}</code>
          </p>
          <p class="muted small">
            Type {type}. Current value: <code>{node.param?.value ?? ''}</code>. The device is asked to connect and gets a SetParameterValues.
          </p>
          <Field label={`New value (${type.replace(/^xsd:/, '')})`} error={error}>
            {(p) =>
              kind === 'boolean' ? (
                <select {...p} value={checkValue('boolean', value).ok ? (checkValue('boolean', value) as { value: string }).value : value} onChange={(e) => setValue(e.currentTarget.value)}>
                  <option value="true">true</option>
                  <option value="false">false</option>
                </select>
              ) : (
                <input
                  {...p}
                  value={value}
                  inputMode={kind === 'integer' ? 'numeric' : undefined}
                  spellcheck={false}
                  autoFocus
                  onInput={(e) => {
                    setValue(e.currentTarget.value);
                    const c = checkValue(type, e.currentTarget.value);
                    setError(c.ok ? null : c.error);
                  }}
                />
              )
            }
          </Field>
        </form>
      ) : null}
    </Dialog>
  );
}
