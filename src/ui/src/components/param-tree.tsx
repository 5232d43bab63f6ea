/**
 * The parameter tree of one device: a WAI-ARIA tree (arrow keys, Home/End, Enter) that renders
 * only what is expanded, a search over paths and values, and an inspector for the selected
 * node with its type, writable flag, value age and actions (edit, refresh, add/delete instance).
 */
import type { JSX } from 'preact';
import { useMemo, useRef, useState } from 'preact/hooks';
import type { Parameter } from '../api';
import { ago, localTime } from '../format';
import { baseType } from '../xsd';
import { Badge, Button, Field } from './ui';

export interface TreeNode {
  name: string;
  /** Objects end with "."; parameters do not. */
  path: string;
  object: boolean;
  param: Parameter | null;
  children: TreeNode[];
}

const segmentOrder = (a: TreeNode, b: TreeNode): number => {
  const na = Number(a.name);
  const nb = Number(b.name);
  if (Number.isInteger(na) && Number.isInteger(nb)) return na - nb;
  return a.name.localeCompare(b.name);
};

export function buildTree(params: Record<string, Parameter>): TreeNode[] {
  const root: TreeNode = { name: '', path: '', object: true, param: null, children: [] };
  const index = new Map<string, TreeNode>([['', root]]);
  const ensure = (path: string): TreeNode => {
    const found = index.get(path);
    if (found) return found;
    const trimmed = path.slice(0, -1);
    const cut = trimmed.lastIndexOf('.');
    const parent = ensure(cut < 0 ? '' : trimmed.slice(0, cut + 1));
    const node: TreeNode = { name: trimmed.slice(cut + 1), path, object: true, param: null, children: [] };
    parent.children.push(node);
    index.set(path, node);
    return node;
  };
  for (const path of Object.keys(params)) {
    // The ACS's own bookkeeping (Flotilla.SessionSourceAddress …) is not the device's data model.
    if (path.startsWith('Flotilla.')) continue;
    const p = params[path]!;
    if (path.endsWith('.')) ensure(path).param = p;
    else {
      const cut = path.lastIndexOf('.');
      const parent = ensure(cut < 0 ? '' : path.slice(0, cut + 1));
      const node: TreeNode = { name: path.slice(cut + 1), path, object: false, param: p, children: [] };
      parent.children.push(node);
      index.set(path, node);
    }
  }
  const sort = (n: TreeNode): void => {
    n.children.sort((a, b) => (a.object === b.object ? segmentOrder(a, b) : a.object ? 1 : -1));
    n.children.forEach(sort);
  };
  sort(root);
  return root.children;
}

/** A table (AddObject target): a writable object whose children are instances, or none yet. */
export const isTable = (n: TreeNode): boolean =>
  n.object && n.param?.writable === true && !/\.\d+\.$/.test(n.path) && (n.children.length === 0 || n.children.every((c) => c.object && /^\d+$/.test(c.name)));
/** An instance (DeleteObject target). */
export const isInstance = (n: TreeNode): boolean => n.object && /\.\d+\.$/.test(n.path) && n.param?.writable === true;

interface Row {
  node: TreeNode;
  level: number;
  pos: number;
  size: number;
  label: string;
}

function visible(nodes: TreeNode[], expanded: Set<string>, level = 1, out: Row[] = []): Row[] {
  nodes.forEach((n, i) => {
    out.push({ node: n, level, pos: i + 1, size: nodes.length, label: n.name });
    if (n.object && expanded.has(n.path)) visible(n.children, expanded, level + 1, out);
  });
  return out;
}

function search(params: Record<string, Parameter>, q: string, limit = 300): Row[] {
  const needle = q.toLowerCase();
  const out: Row[] = [];
  for (const [path, p] of Object.entries(params)) {
    if (path.toLowerCase().includes(needle) || (p.value ?? '').toLowerCase().includes(needle)) {
      out.push({ node: { name: path, path, object: path.endsWith('.'), param: p, children: [] }, level: 1, pos: out.length + 1, size: 0, label: path });
      if (out.length >= limit) break;
    }
  }
  return out.map((r) => ({ ...r, size: out.length }));
}

export interface TreeActions {
  canEdit: boolean;
  pending: Map<string, string>;
  onEdit: (n: TreeNode) => void;
  onRefresh: (path: string) => void;
  onAdd: (n: TreeNode) => void;
  onDelete: (n: TreeNode) => void;
}

export function ParamTree({ params, actions }: { params: Record<string, Parameter>; actions: TreeActions }): JSX.Element {
  const tree = useMemo(() => buildTree(params), [params]);
  const [expanded, setExpanded] = useState<Set<string>>(() => new Set(tree.length === 1 ? [tree[0]!.path] : []));
  const [focus, setFocus] = useState<string | null>(null);
  const [query, setQuery] = useState('');
  const box = useRef<HTMLUListElement>(null);
  const rows = useMemo(() => (query.trim() ? search(params, query.trim()) : visible(tree, expanded)), [tree, expanded, query, params]);
  const current = rows.find((r) => r.node.path === focus) ?? rows[0] ?? null;
  const selected = current && focus !== null ? current.node : null;

  const toggle = (path: string, open?: boolean): void => {
    const next = new Set(expanded);
    if (open ?? !next.has(path)) next.add(path);
    else next.delete(path);
    setExpanded(next);
  };
  const focusRow = (path: string): void => {
    setFocus(path);
    const find = (): HTMLElement | null | undefined => box.current?.querySelector<HTMLElement>(`[data-path="${CSS.escape(path)}"]`);
    // Rows on screen take focus at once (fast key repeats stay in step); new ones after the render.
    const el = find();
    if (el) el.focus();
    else requestAnimationFrame(() => find()?.focus());
  };
  const onKey = (e: KeyboardEvent, r: Row, i: number): void => {
    const n = r.node;
    switch (e.key) {
      case 'ArrowDown':
        if (rows[i + 1]) focusRow(rows[i + 1]!.node.path);
        break;
      case 'ArrowUp':
        if (rows[i - 1]) focusRow(rows[i - 1]!.node.path);
        break;
      case 'Home':
        if (rows[0]) focusRow(rows[0].node.path);
        break;
      case 'End':
        if (rows.length) focusRow(rows[rows.length - 1]!.node.path);
        break;
      case 'ArrowRight':
        if (n.object && !query) {
          if (!expanded.has(n.path)) toggle(n.path, true);
          else if (n.children[0]) focusRow(n.children[0].path);
        }
        break;
      case 'ArrowLeft':
        if (n.object && expanded.has(n.path) && !query) toggle(n.path, false);
        else {
          for (let j = i - 1; j >= 0; j--) {
            if (rows[j]!.level < r.level) {
              focusRow(rows[j]!.node.path);
              break;
            }
          }
        }
        break;
      case 'Enter':
      case ' ':
        setFocus(n.path);
        if (n.object && !query) toggle(n.path);
        else if (e.key === 'Enter' && !n.object && n.param?.writable && actions.canEdit) actions.onEdit(n);
        break;
      default:
        return;
    }
    e.preventDefault();
  };

  return (
    <div class="tree-layout">
      <div class="tree-pane">
        <Field label="Search parameters" hint="Matches paths and values" inline>
          {(p) => <input {...p} type="search" value={query} placeholder="SSID, Device.WiFi., 192.168" onInput={(e) => setQuery(e.currentTarget.value)} />}
        </Field>
        {query && rows.length === 0 ? <p class="muted">No parameter matches.</p> : null}
        <ul class="tree" role="tree" aria-label="Parameters" ref={box}>
          {rows.map((r, i) => {
            const n = r.node;
            const open = n.object && expanded.has(n.path);
            const isCurrent = current?.node.path === n.path;
            const pending = actions.pending.get(n.path);
            return (
              <li
                key={n.path}
                role="treeitem"
                data-path={n.path}
                aria-level={r.level}
                aria-posinset={r.pos}
                aria-setsize={r.size}
                aria-expanded={n.object && !query ? open : undefined}
                aria-selected={selected?.path === n.path}
                tabIndex={isCurrent ? 0 : -1}
                class={`tree-row${selected?.path === n.path ? ' is-selected' : ''}`}
                style={{ paddingLeft: `${(r.level - 1) * 16 + 4}px` }}
                onClick={(e) => {
                  e.stopPropagation();
                  setFocus(n.path);
                  if (n.object && !query) toggle(n.path);
                }}
                onFocus={() => setFocus(n.path)}
                onKeyDown={(e) => onKey(e, r, i)}
              >
                <span class="twisty" aria-hidden="true">
                  {n.object && !query ? (open ? '▾' : '▸') : ''}
                </span>
                <span class={n.object ? 'node-name node-object' : 'node-name'}>{r.label}</span>
                {!n.object ? (
                  <>
                    <span class="node-value" title={n.param?.value ?? ''}>
                      {n.param?.value ?? ''}
                    </span>
                    <span class="node-type">{baseType(n.param?.type)}</span>
                    {n.param?.writable ? (
                      <span class="node-w" title="writable">
                        W
                      </span>
                    ) : null}
                  </>
                ) : null}
                {pending ? <Badge tone={/fault|fail/.test(pending) ? 'bad' : 'warn'}>{pending}</Badge> : null}
              </li>
            );
          })}
        </ul>
      </div>
      <Inspector node={selected} actions={actions} />
    </div>
  );
}

function Inspector({ node, actions }: { node: TreeNode | null; actions: TreeActions }): JSX.Element {
  if (node === null)
    return (
      <aside class="inspector" aria-label="Selected parameter">
        <p class="muted">Select a parameter or object to see its details and actions. Keys: arrows move and open, Enter edits a writable value.</p>
      </aside>
    );
  const p = node.param;
  const pending = actions.pending.get(node.path);
  return (
    <aside class="inspector" aria-label="Selected parameter">
      <h3 class="inspector-path">
        <code>{node.path}</code>
      </h3>
      <dl class="facts">
        {!node.object ? (
          <>
            <dt>Value</dt>
            <dd class="value-cell">
              <code>{p?.value ?? ''}</code>
            </dd>
            <dt>Type</dt>
            <dd>{p?.type ?? 'unknown'}</dd>
          </>
        ) : (
          <>
            <dt>Kind</dt>
            <dd>{isTable(node) ? 'table (instances can be added)' : isInstance(node) ? 'instance (can be deleted)' : 'object'}</dd>
          </>
        )}
        <dt>Writable</dt>
        <dd>{p?.writable === true ? 'yes' : p?.writable === false ? 'no' : 'unknown'}</dd>
        {!node.object ? (
          <>
            <dt>Value read</dt>
            <dd title={localTime(p?.valueAt)}>{p?.valueAt ? ago(p.valueAt) : 'not read yet'}</dd>
          </>
        ) : null}
        {p?.notification !== undefined && p?.notification !== null ? (
          <>
            <dt>Notification</dt>
            <dd>{['off', 'passive', 'active'][p.notification] ?? String(p.notification)}</dd>
          </>
        ) : null}
        {pending ? (
          <>
            <dt>Last action</dt>
            <dd role="status">{pending}</dd>
          </>
        ) : null}
      </dl>
      {actions.canEdit ? (
        <div class="inspector-actions">
          {!node.object && p?.writable ? (
            <Button variant="primary" small onClick={() => actions.onEdit(node)}>
              Edit value
            </Button>
          ) : null}
          <Button small onClick={() => actions.onRefresh(node.path)}>
            Refresh {node.object ? 'subtree' : 'value'}
          </Button>
          {isTable(node) ? (
            <Button small onClick={() => actions.onAdd(node)}>
              Add instance
            </Button>
          ) : null}
          {isInstance(node) ? (
            <Button small variant="danger" onClick={() => actions.onDelete(node)}>
              Delete instance
            </Button>
          ) : null}
        </div>
      ) : null}
    </aside>
  );
}
