/**
 * The layer table (./layers.json) as ESLint flat-config blocks, and as the markdown table
 * docs/architecture.md shows. One data file: the lint rule and the doc cannot drift apart
 * (test/lint/layers.test.ts checks the doc's table equals renderLayerTable()).
 *
 * Enforced with @typescript-eslint/no-restricted-imports (the base rule plus type-only
 * allowances). Imports are relative, so a pattern depends on how deep the importing file
 * sits: each folder gets one block per depth whose patterns spell the exact relative prefix
 * ("../store/" from src/cwmp/x.ts, "../../store/" from src/cwmp/rpc/x.ts), so a nested
 * folder that happens to share a layer's name is never mistaken for it.
 *
 *   node eslint/layers.mjs     prints the table for docs/architecture.md
 */
/* global process, URL */
import { readFileSync } from 'node:fs';
import { posix } from 'node:path';
import { fileURLToPath } from 'node:url';

export const LAYERS = JSON.parse(readFileSync(new URL('./layers.json', import.meta.url), 'utf8'));

/** Deepest folder nesting under a layer that gets its own block (src/ui/src/components/x.tsx is 3). */
const MAX_DEPTH = 6;
const FILES = '*.{ts,tsx,js,mjs,cts,mts}';
const esc = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

const normalise = (entry) => (typeof entry === 'string' ? { folder: entry, types: false } : { types: false, ...entry });

/** `from` is a folder path under src/ with placeholder segments; the import text that reaches src/`to`. */
function relativePrefix(fromDir, to) {
  const rel = posix.relative(`src/${fromDir}`, `src/${to}`);
  return rel.startsWith('.') ? rel : `./${rel}`;
}

/** A module path (folder or file, without .js) as a regex over import texts from `fromDir`. */
function targetRegex(fromDir, to, tail = '(\\.js|/.*)?') {
  return `^${esc(relativePrefix(fromDir, to))}${tail}$`;
}

function ioPattern(where) {
  return {
    regex: `^(node:)?(${LAYERS.ioModules.map(esc).join('|')})(/.*)?$`,
    message: `${where} does no I/O: node's I/O modules are for the edges (docs/architecture.md, layers).`,
  };
}

function packagePatterns(layer) {
  const out = [];
  for (const [pkg, owners] of Object.entries(LAYERS.packages)) {
    if (owners.includes(layer)) continue;
    const regex = pkg.endsWith('/*') ? `^${esc(pkg.slice(0, -1))}` : `^${esc(pkg)}(/.*)?$`;
    out.push({ regex, message: `only src/${owners.join(', src/')} may import ${pkg} (docs/architecture.md, layers).` });
  }
  return out;
}

/** Patterns for a file in src/<dir> (dir = layer plus placeholder segments). */
function patternsFor(layer, dir) {
  const allowed = new Map(layer.imports.map(normalise).map((e) => [e.folder, e]));
  const out = [];
  for (const other of LAYERS.layers) {
    if (other.folder === layer.folder) continue;
    const rule = allowed.get(other.folder);
    const message = `src/${layer.folder} may not import src/${other.folder}${rule?.types ? ' except `import type` from its interfaces' : ''} (docs/architecture.md, layers).`;
    if (rule !== undefined && !rule.types) continue;
    if (rule?.types) {
      // Type-only imports pass when they match a pattern that allows them: the interfaces;
      // the backends (and the folder itself) stay closed to any import.
      const backends = LAYERS.backendFolders.map(esc).join('|');
      out.push({ regex: `^${esc(relativePrefix(dir, other.folder))}/(?!(${backends})/).+$`, allowTypeImports: true, message });
      out.push({ regex: targetRegex(dir, other.folder, `(\\.js|/(${backends})/.*)?`), message });
      continue;
    }
    out.push({ regex: targetRegex(dir, other.folder), message });
  }
  if (!layer.io) out.push(ioPattern(`src/${layer.folder}`));
  out.push(...packagePatterns(layer.folder));
  return out;
}

function innerPatterns(inner, dir) {
  const out = inner.mustNot.map((to) => ({
    regex: targetRegex(dir, to),
    message: `src/${inner.folder} may not import src/${to}: ${inner.why} (docs/architecture.md, layers).`,
  }));
  if (inner.io === false) out.push(ioPattern(`src/${inner.folder}`));
  return out;
}

/** Placeholder directories under `base`, depth 0..max: ['cwmp', 'cwmp/_1', 'cwmp/_1/_2', …] with their globs. */
function depths(base) {
  const out = [];
  let dir = base;
  let glob = `src/${base}/`;
  for (let d = 0; d < MAX_DEPTH; d++) {
    out.push({ dir, files: [`${glob}${FILES}`] });
    dir = `${dir}/_${d + 1}`;
    glob = `${glob}*/`;
  }
  return out;
}

/** Flat-config blocks: one per folder and depth; inner folders' blocks come after and override. */
export function layerBlocks() {
  const byFolder = new Map(LAYERS.layers.map((l) => [l.folder, l]));
  const blocks = [];
  const rule = (patterns) => ({ '@typescript-eslint/no-restricted-imports': ['error', { patterns }] });
  for (const layer of LAYERS.layers) {
    for (const { dir, files } of depths(layer.folder)) blocks.push({ name: `layers/${dir}`, files, rules: rule(patternsFor(layer, dir)) });
  }
  for (const inner of LAYERS.inner) {
    const layer = byFolder.get(inner.folder.split('/')[0]);
    for (const { dir, files } of depths(inner.folder)) {
      blocks.push({ name: `layers/${dir}`, files, rules: rule([...patternsFor(layer, dir), ...innerPatterns(inner, dir)]) });
    }
  }
  return blocks;
}

/** The markdown table docs/architecture.md carries between its layers markers. */
export function renderLayerTable() {
  const rows = LAYERS.layers.map((l) => {
    const imports = l.imports.map(normalise).map((e) => `\`${e.folder}\`${e.types ? ` (types only${e.note ? `; ${e.note}` : ''})` : ''}`);
    return `| \`src/${l.folder}/\` | ${l.job} | ${imports.length === 0 ? '—' : imports.join(', ')} | ${l.io ? 'yes' : 'no'} |`;
  });
  const packages = Object.entries(LAYERS.packages).map(([p, owners]) => `\`${p}\`: ${owners.map((o) => `\`${o}\``).join(', ')}`);
  const inner = LAYERS.inner.map((i) => `\`src/${i.folder}/\` never imports ${i.mustNot.map((m) => `\`src/${m}\``).join(', ')} (${i.why}${i.io === false ? '; no I/O' : ''})`);
  return [
    '| folder | job | may import (folders under `src/`) | node I/O modules |',
    '|---|---|---|---|',
    ...rows,
    '',
    `Node I/O modules: ${LAYERS.ioModules.map((m) => `\`node:${m}\``).join(', ')}. Packages only their owners import: ${packages.join('; ')}.`,
    `Inside a layer: ${inner.join('; ')}.`,
  ].join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) process.stdout.write(`${renderLayerTable()}\n`);
