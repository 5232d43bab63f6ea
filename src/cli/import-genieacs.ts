/**
 * `flotilla import-genieacs <export>`: devices, their trees and tags from a `mongoexport` of
 * GenieACS's `devices` collection (one document per line, or a `--jsonArray` file), then a
 * read-back of every device, with the counts. Exit status 0 only when every document was
 * imported (or already there) and verified.
 */
import { closeSync, createReadStream, openSync, readFileSync, readSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { fromGenieacsDevice, ImportError, verifyImported, writeImported } from '../store/genieacs-import.js';
import { openStore, redactUrl } from '../store/open.js';
import { opt } from './options.js';

interface ImportFlags {
  dataDir: string;
  db?: string;
  replace?: boolean;
}

/** A document per line (mongoexport's default); or the whole file as one array. */
async function* documents(path: string): AsyncGenerator<{ line: number; doc: unknown } | { line: number; error: string }> {
  const fd = openSync(path, 'r');
  const buf = Buffer.alloc(256);
  const got = readSync(fd, buf, 0, buf.length, 0);
  closeSync(fd);
  if (buf.subarray(0, got).toString('utf8').trimStart().startsWith('[')) {
    let all: unknown;
    try {
      all = JSON.parse(readFileSync(path, 'utf8'));
    } catch (e) {
      yield { line: 1, error: `not JSON: ${(e as Error).message}` };
      return;
    }
    if (!Array.isArray(all)) return;
    for (const [i, doc] of all.entries()) yield { line: i + 1, doc };
    return;
  }
  const rl = createInterface({ input: createReadStream(path, 'utf8'), crlfDelay: Infinity });
  let n = 0;
  for await (const text of rl) {
    n += 1;
    if (text.trim() === '') continue;
    try {
      yield { line: n, doc: JSON.parse(text) };
    } catch (e) {
      yield { line: n, error: `not JSON: ${(e as Error).message}` };
    }
  }
}

export function registerImportGenieacsCommand(program: Command): void {
  program
    .command('import-genieacs')
    .description("load devices, parameter trees and tags from a mongoexport of GenieACS's devices collection, and verify them")
    .argument('<export>', 'mongoexport output: one JSON document per line, or a JSON array (--jsonArray)')
    .addOption(opt('--data-dir <dir>', 'data directory of the SQLite store').default('./flotilla-data'))
    .addOption(opt('--db <url>', 'store URL (postgres://… selects PostgreSQL)'))
    .addOption(opt('--replace', 'replace devices already in the store (default: leave them and count them)'))
    .action(async (path: string, f: ImportFlags) => {
      const store = await openStore({ db: f.db, dataDir: f.dataDir, poolSize: 2 });
      const counts = { documents: 0, imported: 0, replaced: 0, exists: 0, refused: 0, parameters: 0, verified: 0 };
      const problems: string[] = [];
      try {
        process.stderr.write(`importing ${path} into ${f.db !== undefined ? redactUrl(f.db) : `sqlite:${f.dataDir}`}\n`);
        for await (const item of documents(path)) {
          counts.documents += 1;
          if ('error' in item) {
            counts.refused += 1;
            problems.push(`line ${item.line}: ${item.error}`);
            continue;
          }
          let dev;
          try {
            dev = fromGenieacsDevice(item.doc);
          } catch (e) {
            if (!(e instanceof ImportError)) throw e;
            counts.refused += 1;
            problems.push(`line ${item.line}: ${e.message}`);
            continue;
          }
          const outcome = await writeImported(store, dev, { now: Date.now(), replace: f.replace === true });
          counts[outcome] += 1;
          if (outcome === 'exists') continue;
          counts.parameters += dev.values.length;
          const wrong = await verifyImported(store, dev);
          if (wrong.length === 0) counts.verified += 1;
          else problems.push(...wrong.slice(0, 5));
        }
      } finally {
        await store.close();
      }
      for (const p of problems.slice(0, 50)) process.stderr.write(`  ${p}\n`);
      if (problems.length > 50) process.stderr.write(`  … and ${problems.length - 50} more\n`);
      process.stdout.write(`${JSON.stringify(counts)}\n`);
      const ok = counts.refused === 0 && counts.verified === counts.imported + counts.replaced;
      process.stderr.write(ok ? `verified: ${counts.verified} devices, ${counts.parameters} values\n` : 'NOT everything was imported and verified (see above)\n');
      if (!ok) process.exitCode = 1;
    });
}
