/**
 * The subtrees a set of templates reads: the fixed start of every selection table and
 * parameter path, so a session reads those rows and not the whole tree.
 */
import type { ServiceTemplate } from './template.js';

export function mappingPrefixes(templates: readonly ServiceTemplate[]): string[] {
  const out = new Set<string>();
  const add = (path: string): void => {
    if (path.startsWith('{{')) return; // relative to a selection, whose table is listed
    const cut = path.search(/\{|\$/);
    const fixed = cut < 0 ? path : path.slice(0, cut);
    const dot = fixed.lastIndexOf('.');
    if (dot > 0) out.add(fixed.slice(0, dot + 1));
  };
  for (const t of templates) {
    for (const m of Object.values(t.mappings)) {
      if (m === undefined) continue;
      for (const s of Object.values(m.select ?? {})) add(s.table);
      for (const e of m.set) for (const p of Array.isArray(e.path) ? e.path : [e.path]) add(p);
    }
  }
  // A prefix under another listed one adds nothing.
  const sorted = [...out].sort();
  return sorted.filter((p, i) => !sorted.slice(0, i).some((q) => p.startsWith(q)));
}
