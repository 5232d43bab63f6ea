/**
 * A template and its inputs, rendered against one device's tree: the parameters to set,
 * or why the service cannot live on this model. Pure: the tree comes in as a lookup, so the
 * same code serves the session (values learnt or stored) and the API's dry run.
 */
import type { Mapping, ParameterMapping, Root, ServiceTemplate } from './template.js';

export interface TreeEntry {
  value: string;
  type?: string | undefined;
}

/** A device's tree as the renderer reads it: exact paths, and every path under a prefix. */
export interface TreeLookup {
  get(path: string): TreeEntry | undefined;
  under(prefix: string): Iterable<string>;
}

export function mapLookup(tree: ReadonlyMap<string, TreeEntry>): TreeLookup {
  return {
    get: (p) => tree.get(p),
    *under(prefix) {
      for (const p of tree.keys()) if (p.startsWith(prefix)) yield p;
    },
  };
}

export type RenderResult =
  | { supported: true; root: Root; parameters: [path: string, value: string, type: string][] }
  | { supported: false; reason: string };

/** The device's root, from the tree's own paths. */
export function detectRoot(tree: TreeLookup): Root | null {
  for (const root of ['Device.', 'InternetGatewayDevice.'] as const) {
    for (const _ of tree.under(root)) return root;
  }
  return null;
}

const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Render `template` with validated `inputs` (./inputs.ts) for the device whose tree is `tree`.
 * `root` overrides detection (a device whose tree is not read yet).
 */
export function render(template: ServiceTemplate, inputs: Readonly<Record<string, string>>, tree: TreeLookup, root = detectRoot(tree)): RenderResult {
  if (root === null) return { supported: false, reason: 'the device tree is unknown' };
  const mapping = template.mappings[root];
  if (mapping === undefined) return { supported: false, reason: `not supported on this model: the template has no ${root} mapping` };
  const values = { ...inputs, ...derive(mapping, inputs) };
  const vars = new Map<string, string>();
  const sub = (s: string, regex = false): string =>
    s
      .replace(/\$\{([A-Za-z0-9_]+)\}/g, (_, n: string) => (regex ? escapeRe(values[n] ?? '') : (values[n] ?? '')))
      .replace(/\{\{([A-Za-z0-9_]+)\}\}/g, (_, n: string) => (regex ? escapeRe(vars.get(n) ?? '') : (vars.get(n) ?? '')));

  const skipped = new Set<string>();
  for (const [name, sel] of Object.entries(mapping.select ?? {})) {
    if ([...sel.table.matchAll(/\{\{([A-Za-z0-9_]+)\}\}/g)].some((m) => skipped.has(m[1]!))) {
      skipped.add(name);
      continue;
    }
    const where = Object.entries(sel.where ?? {}).map(([param, want]): [string, string | RegExp] => {
      if (want.startsWith('~')) return [param, new RegExp(sub(want.slice(1), true), 'i')];
      // A derived value may itself be a pattern (a TR-098 Standard for a band).
      const v = sub(want);
      return [param, v.startsWith('~') ? new RegExp(v.slice(1), 'i') : v];
    });
    const found = selectInstance(tree, sub(sel.table), where);
    if (found === null) {
      if (sel.optional) {
        skipped.add(name);
        continue;
      }
      return { supported: false, reason: `not supported on this model: no ${describeTable(sel.table)}${sel.where ? ` with ${Object.entries(sel.where).map(([k, v]) => `${k} ${v.startsWith('~') ? 'matching' : '='} ${sub(v.startsWith('~') ? v.slice(1) : v)}`).join(', ')}` : ''}` };
    }
    vars.set(name, found);
  }

  const parameters: [string, string, string][] = [];
  for (const entry of mapping.set) {
    if (entry.when !== undefined && (values[entry.when] ?? '') === '') continue;
    const candidates = (Array.isArray(entry.path) ? entry.path : [entry.path]);
    if (candidates.some((c) => usesSkipped(c, skipped))) continue;
    const path = candidates.map((c) => sub(c)).find((p) => tree.get(p) !== undefined);
    if (path === undefined) {
      if (entry.optional) continue;
      return { supported: false, reason: `not supported on this model: the device has no ${candidates.map((c) => sub(c)).join(' or ')}` };
    }
    parameters.push([path, sub(entry.value), typeOf(entry, tree.get(path))]);
  }
  return { supported: true, root, parameters };
}

function derive(mapping: Mapping, inputs: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, d] of Object.entries(mapping.derive ?? {})) out[name] = d.map[inputs[d.from] ?? ''] ?? '';
  return out;
}

function usesSkipped(path: string, skipped: ReadonlySet<string>): boolean {
  for (const m of path.matchAll(/\{\{([A-Za-z0-9_]+)\}\}/g)) if (skipped.has(m[1]!)) return true;
  return false;
}

function typeOf(entry: ParameterMapping, known: TreeEntry | undefined): string {
  const t = known?.type ?? entry.type ?? 'xsd:string';
  return t.includes(':') ? t : `xsd:${t}`;
}

const describeTable = (table: string): string => table.replace(/\.\{i\}\.$/, '').replace(/\{i\}/g, 'n');

/**
 * The first instance of `table` ("A.{i}.B.{i}.") whose parameters match `where`, as its path
 * without the trailing dot ("A.1.B.2"), instances in numeric order; null when none does.
 */
export function selectInstance(tree: TreeLookup, table: string, where: readonly [string, string | RegExp][]): string | null {
  const fixed = table.slice(0, table.indexOf('{i}'));
  const pattern = new RegExp(`^${table.split('{i}').map(escapeRe).join('(\\d+)')}`);
  const instances = new Map<string, number[]>();
  for (const p of tree.under(fixed)) {
    const m = pattern.exec(p);
    if (m === null) continue;
    const key = m[0].slice(0, -1);
    if (!instances.has(key)) instances.set(key, m.slice(1).map(Number));
  }
  const ordered = [...instances].sort(([, a], [, b]) => {
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
    return 0;
  });
  for (const [inst] of ordered) {
    const ok = where.every(([param, want]) => {
      const v = tree.get(`${inst}.${param}`)?.value;
      if (v === undefined) return false;
      return typeof want === 'string' ? v === want : want.test(v);
    });
    if (ok) return inst;
  }
  return null;
}
