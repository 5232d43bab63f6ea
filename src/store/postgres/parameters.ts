/**
 * ParameterOps → the primitive steps flotilla_commit_session executes in order.
 *
 * The semantics are those of sqlite/parameters.ts (and the reference model in
 * test/store/conformance.ts); everything that needs thought — de-duplication, ancestors,
 * subtree ranges, which nodes a GetParameterNames answer vouches for — is worked out here
 * in TypeScript with the shared ../tree.ts, and the database only runs fixed statements:
 *
 *   clear                        forget the device's tree
 *   values  at touch items       upsert [path, value, type]; unless touch, skip unchanged rows
 *   names   at items             upsert [path, writable] with names_at
 *   ensure  at items             insert object rows [path] that do not exist
 *   attrs   at items             upsert [path, notification, accessList]
 *   add     at path              the new instance object row
 *   delete  exact? lo hi?        the row `exact` and the range [lo, hi) (hi null: to the end)
 *   prune   lo hi? keep          rows in (lo, hi) not in keep
 *   prune_children lo hi? keep   direct children of lo not in keep, with their subtrees
 */
import type { ParameterOp } from '../types.js';
import { ancestorsOf, lastByName, prefixUpperBound, subtreePrefix } from '../tree.js';

export type Step =
  | { k: 'clear' }
  | { k: 'values'; at: number; touch: boolean; items: [string, string, string][] }
  | { k: 'names'; at: number; items: [string, boolean][] }
  | { k: 'ensure'; at: number; items: string[] }
  | { k: 'attrs'; at: number; items: [string, number, string[]][] }
  | { k: 'add'; at: number; path: string }
  | { k: 'delete'; exact: string | null; lo: string; hi: string | null }
  | { k: 'prune' | 'prune_children'; lo: string; hi: string | null; keep: string[] };

export function planParameterOps(ops: readonly ParameterOp[]): Step[] {
  const steps: Step[] = [];
  for (const op of ops) {
    switch (op.op) {
      case 'clearTree':
        steps.push({ k: 'clear' });
        break;
      case 'setValues':
        if (op.params.length === 0) break;
        steps.push({ k: 'values', at: op.at, touch: op.touch, items: lastByName(op.params).map((p) => [p.name, p.value, p.type]) });
        break;
      case 'setNames':
        planNames(steps, op);
        break;
      case 'setAttributes':
        if (op.params.length === 0) break;
        steps.push({ k: 'attrs', at: op.at, items: lastByName(op.params).map((p) => [p.name, p.notification, p.accessList]) });
        break;
      case 'addObject': {
        const path = subtreePrefix(op.path);
        const ancestors = ancestorsOf(path);
        if (ancestors.length > 0) steps.push({ k: 'ensure', at: op.at, items: ancestors });
        steps.push({ k: 'add', at: op.at, path });
        break;
      }
      case 'deleteObject': {
        const lo = subtreePrefix(op.path);
        steps.push({ k: 'delete', exact: lo !== op.path ? op.path : null, lo, hi: prefixUpperBound(lo) });
        break;
      }
      default: {
        const never: never = op;
        throw new Error(`unknown parameter op ${JSON.stringify(never)}`);
      }
    }
  }
  return steps;
}

/** See sqlite/parameters.ts setNames: prune first, then the upserts, then implied ancestors. */
function planNames(steps: Step[], op: Extract<ParameterOp, { op: 'setNames' }>): void {
  const params = lastByName(op.params);
  const listed = new Set(params.map((p) => p.name));
  const ancestors = new Set<string>();
  for (const name of listed) for (const a of ancestorsOf(name)) if (!listed.has(a)) ancestors.add(a);

  if (op.root === '' || op.root.endsWith('.')) {
    const keep = [...listed, ...ancestors];
    steps.push({ k: op.nextLevel ? 'prune_children' : 'prune', lo: op.root, hi: prefixUpperBound(op.root), keep });
  }
  if (params.length > 0) steps.push({ k: 'names', at: op.at, items: params.map((p) => [p.name, p.writable]) });
  if (ancestors.size > 0) steps.push({ k: 'ensure', at: op.at, items: [...ancestors] });
}
