/**
 * `flotilla migrate --from <store> --to <store>`: copy a whole store to another backend
 * (typically SQLite → PostgreSQL when one machine is no longer enough), then verify the copy
 * (row counts per table and a checksum per device per table) and print the comparison.
 * Exit status 0 only when the copy verified. `--verify-only` compares two existing stores.
 *
 * Stores: `sqlite:<data dir>` or `postgres://…`. Stop `flotilla serve` first; the target must
 * be empty (a new database), and is written in one transaction. The repository's files (their
 * bytes) move with their rows, to where the target keeps files (./migrate-files.ts).
 * STUN bindings and reach history (device_reach) are not copied: they are observations that
 * devices renew within a keep-alive period, and stale ones would send UDP to old addresses.
 */
import type { Command } from 'commander';
import { migrateStore, verifyStores, type VerifyReport } from '../store/migrate.js';
import { fileMover } from './migrate-files.js';
import { redactUrl } from '../store/redact.js';
import { backupSqlite, BackupError } from '../store/sqlite/backup.js';
import { opt, parsePositive } from './options.js';

interface MigrateFlags {
  from: string;
  to: string;
  verifyOnly?: boolean;
  batchSize: number;
  quiet?: boolean;
}

function table(report: VerifyReport): string {
  const lines = ['table              source     target   differing devices'];
  for (const t of report.tables) {
    const diff = t.mismatchCount === 0 ? '0' : `${t.mismatchCount} (${t.mismatches.slice(0, 5).join(', ')}${t.mismatchCount > 5 ? ', …' : ''})`;
    lines.push(`${t.table.padEnd(16)} ${String(t.source).padStart(8)} ${String(t.target).padStart(10)}   ${diff}`);
  }
  const same = JSON.stringify(report.searchablePaths.source) === JSON.stringify(report.searchablePaths.target);
  lines.push(`searchable paths: ${report.searchablePaths.source.length} → ${report.searchablePaths.target.length}${same ? '' : ' (differ)'}`);
  return lines.join('\n');
}

export function registerMigrateCommand(program: Command): void {
  program
    .command('migrate')
    .description('copy a store to another backend (sqlite:<dir> → postgres://…) and verify the copy')
    .addOption(opt('--from <store>', 'source: sqlite:<data dir> or postgres://…').makeOptionMandatory())
    .addOption(opt('--to <store>', 'target (an empty database): postgres://… or sqlite:<data dir>').makeOptionMandatory())
    .addOption(opt('--verify-only', 'compare the two stores without copying'))
    .addOption(opt('--batch-size <rows>', 'rows per read and write').argParser(parsePositive).default(5000))
    .addOption(opt('--quiet', 'no progress lines'))
    .action(async (f: MigrateFlags) => {
      const progress = f.quiet === true ? undefined : (m: string) => process.stderr.write(`  ${m}\n`);
      let report: VerifyReport;
      if (f.verifyOnly === true) {
        report = await verifyStores(f.from, f.to, { batchSize: f.batchSize });
        process.stdout.write(`compared ${redactUrl(f.from)} with ${redactUrl(f.to)}\n`);
      } else {
        process.stderr.write(`copying ${redactUrl(f.from)} → ${redactUrl(f.to)}\n`);
        const files = fileMover(f.from, f.to);
        try {
          const m = await migrateStore(f.from, f.to, { batchSize: f.batchSize, onFile: files.onFile, ...(progress ? { onProgress: progress } : {}) });
          const rows = Object.values(m.copied).reduce((a, b) => a + b, 0);
          process.stdout.write(`copied ${rows} rows from ${m.from} to ${m.to} in ${(m.ms / 1000).toFixed(1)} s\n`);
          process.stdout.write(`copied the content of ${files.copied.files} files (${files.copied.bytes} bytes), each checked against its SHA-256\n`);
          report = m;
        } catch (e) {
          await files.discard();
          throw e;
        } finally {
          await files.close();
        }
      }
      process.stdout.write(`${table(report)}\n${report.ok ? 'verified: the stores match' : 'NOT verified: the stores differ'}\n`);
      if (!report.ok) process.exitCode = 1;
    });
}

/** `flotilla backup --data-dir d --to file.db`: an online, consistent copy of the SQLite store. */
export function registerBackupCommand(program: Command): void {
  program
    .command('backup')
    .description('an online backup of the SQLite store (flotilla serve may keep running); for PostgreSQL use pg_dump (docs/deploy.md)')
    .addOption(opt('--data-dir <dir>', 'data directory of the SQLite store').default('./flotilla-data'))
    .addOption(opt('--to <file>', 'the new backup file (never overwritten)').makeOptionMandatory())
    .action(async (f: { dataDir: string; to: string }) => {
      try {
        const r = await backupSqlite(f.dataDir, f.to);
        process.stdout.write(`${JSON.stringify({ file: f.to, ...r })}\n`);
        process.stderr.write(`Backed up ${f.dataDir} to ${f.to} (${r.bytes} bytes, integrity checked). Restore: stop the ACS, copy it to ${f.dataDir}/flotilla.db, remove the -wal and -shm files.\n`);
      } catch (e) {
        if (!(e instanceof BackupError)) throw e;
        process.stderr.write(`flotilla: ${e.message}\n`);
        process.exitCode = 1;
      }
    });
}
