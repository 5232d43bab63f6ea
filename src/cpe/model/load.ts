/**
 * loadModel: one entry point for every model source the simulator accepts — a CSV dump, a
 * flotilla-model/1 JSON file, the text of either, or the name of a model shipped in models/
 * ("tr181-router"). The format comes from the extension, else from the content.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseCsvModel } from './csv.js';
import { parseJsonModel } from './json.js';
import type { Template } from './template.js';

export type ModelFormat = 'csv' | 'json';

export function detectFormat(text: string): ModelFormat {
  const head = text.replace(/^\uFEFF/, '').trimStart();
  if (head.startsWith('{')) return 'json';
  if (/^"?Parameter"?,/i.test(head)) return 'csv';
  throw new Error('cannot tell the model format: expected JSON (flotilla-model/1) or a CSV with a "Parameter,…" header');
}

/**
 * The models/ directory of this package: found by walking up from this module, which lives
 * in src/cpe/model (tests, vite-node) or dist/src/cpe/model (built).
 */
export function modelsDir(): string | undefined {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'models', 'tr181-router.json'))) return join(dir, 'models');
    dir = dirname(dir);
  }
  return undefined;
}

/** Names of the models shipped in models/ that loadModel accepts by name. */
export const SHIPPED_MODELS = ['tr181-router', 'tr098-gateway', 'tr181-large'] as const;

/**
 * @param source a file path, a shipped model's name, or the model text itself
 * @param format forces the format; otherwise the file extension, then the content, decides
 */
export function loadModel(source: string, format?: ModelFormat): Template {
  let text = source;
  let file: string | undefined;
  if (!source.includes('\n') && !source.trimStart().startsWith('{')) {
    const shipped = (SHIPPED_MODELS as readonly string[]).includes(source) ? modelsDir() : undefined;
    file = shipped ? join(shipped, `${source}.json`) : source;
    if (!existsSync(file)) throw new Error(`model not found: ${source}`);
    text = readFileSync(file, 'utf8');
  }
  const fmt = format ?? (file?.endsWith('.csv') ? 'csv' : file?.endsWith('.json') ? 'json' : detectFormat(text));
  return fmt === 'csv' ? parseCsvModel(text, file ? basename(file) : 'CSV model') : parseJsonModel(text);
}
