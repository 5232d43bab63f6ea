/**
 * A line diff of two texts (Myers' O((N+M)·D) algorithm), as a unified diff with context:
 * what two configuration backups of a device differ in. Pure; bounded by the caller (file
 * size) and here by the edit distance it is willing to explore.
 */

export interface DiffResult {
  /** Unified diff text ("" when equal). */
  text: string;
  added: number;
  removed: number;
  /** The texts differ too much to diff within the budget (then `text` says so). */
  truncated: boolean;
}

type Op = { kind: ' ' | '-' | '+'; line: string };

/** The edit script turning a into b, or null beyond `maxD` edits. */
function editScript(a: string[], b: string[], maxD: number): Op[] | null {
  const n = a.length;
  const m = b.length;
  const max = Math.min(n + m, maxD);
  const offset = max + 1;
  let v = new Int32Array(2 * max + 3);
  const trace: Int32Array[] = [];
  for (let d = 0; d <= max; d++) {
    trace.push(v.slice());
    const next = v.slice();
    for (let k = -d; k <= d; k += 2) {
      let x: number;
      if (k === -d || (k !== d && v[offset + k - 1]! < v[offset + k + 1]!)) x = v[offset + k + 1]!;
      else x = v[offset + k - 1]! + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) {
        x++;
        y++;
      }
      next[offset + k] = x;
      if (x >= n && y >= m) {
        trace.push(next);
        return backtrack(trace, a, b, offset, d);
      }
    }
    v = next;
  }
  return null;
}

function backtrack(trace: Int32Array[], a: string[], b: string[], offset: number, dEnd: number): Op[] {
  const ops: Op[] = [];
  let x = a.length;
  let y = b.length;
  for (let d = dEnd; d > 0; d--) {
    const v = trace[d]!;
    const k = x - y;
    const down = k === -d || (k !== d && v[offset + k - 1]! < v[offset + k + 1]!);
    const prevK = down ? k + 1 : k - 1;
    const prevX = v[offset + prevK]!;
    const prevY = prevX - prevK;
    while (x > prevX && y > prevY) {
      ops.push({ kind: ' ', line: a[--x]! });
      y--;
    }
    if (down) ops.push({ kind: '+', line: b[--y]! });
    else ops.push({ kind: '-', line: a[--x]! });
  }
  while (x > 0 && y > 0) {
    ops.push({ kind: ' ', line: a[--x]! });
    y--;
  }
  return ops.reverse();
}

const lines = (s: string): string[] => {
  const l = s.split(/\r?\n/);
  if (l.length > 0 && l[l.length - 1] === '') l.pop();
  return l;
};

/** Unified diff of `before` → `after`, `context` lines around each change. */
export function unifiedDiff(before: string, after: string, labels: { from: string; to: string }, opts: { context?: number; maxEdits?: number } = {}): DiffResult {
  const a = lines(before);
  const b = lines(after);
  const ops = editScript(a, b, opts.maxEdits ?? 20_000);
  if (ops === null) return { text: `the files differ in more than ${opts.maxEdits ?? 20_000} lines\n`, added: 0, removed: 0, truncated: true };
  const ctx = opts.context ?? 3;
  const out: string[] = [];
  let added = 0;
  let removed = 0;
  // Positions (1-based) of each op in a and b.
  const pos: { ai: number; bi: number }[] = [];
  let ai = 1;
  let bi = 1;
  for (const op of ops) {
    pos.push({ ai, bi });
    if (op.kind !== '+') ai++;
    if (op.kind !== '-') bi++;
    if (op.kind === '+') added++;
    if (op.kind === '-') removed++;
  }
  if (added + removed === 0) return { text: '', added: 0, removed: 0, truncated: false };
  out.push(`--- ${labels.from}`, `+++ ${labels.to}`);
  let i = 0;
  while (i < ops.length) {
    if (ops[i]!.kind === ' ') {
      i++;
      continue;
    }
    // A hunk: from ctx lines before this change to ctx lines after the last change near it.
    const start = Math.max(0, i - ctx);
    let end = i;
    let last = i;
    while (end < ops.length && end - last <= 2 * ctx) {
      if (ops[end]!.kind !== ' ') last = end;
      end++;
    }
    end = Math.min(ops.length, last + ctx + 1);
    const hunk = ops.slice(start, end);
    const aCount = hunk.filter((o) => o.kind !== '+').length;
    const bCount = hunk.filter((o) => o.kind !== '-').length;
    const aStart = aCount === 0 ? pos[start]!.ai - 1 : pos[start]!.ai;
    const bStart = bCount === 0 ? pos[start]!.bi - 1 : pos[start]!.bi;
    out.push(`@@ -${aStart},${aCount} +${bStart},${bCount} @@`);
    for (const o of hunk) out.push(`${o.kind}${o.line}`);
    i = end;
  }
  return { text: `${out.join('\n')}\n`, added, removed, truncated: false };
}
