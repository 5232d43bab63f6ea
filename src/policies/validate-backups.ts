/**
 * A policy's `backups` member: `[{"fileType": "1 Vendor Configuration File", "every": 604800}]`
 * ("a configuration backup no older than a week"). Queued by src/services/backup-schedule.ts.
 */
import type { PolicyBackup } from '../store/types.js';
import { fail, obj, only, str } from './input.js';

/** The file types a CPE can upload (TR-069 A.4.1.5), in the form the Upload carries. */
export const BACKUP_FILE_TYPES = ['1 Vendor Configuration File', '2 Vendor Log File'] as const;
export const BACKUP_LIMITS = { backups: 4, minEvery: 3600, maxEvery: 366 * 86_400 } as const;

export function policyBackups(v: unknown, field: string): PolicyBackup[] {
  if (!Array.isArray(v)) fail(field, 'must be an array');
  if (v.length > BACKUP_LIMITS.backups) fail(field, `at most ${BACKUP_LIMITS.backups}`);
  const seen = new Set<string>();
  return v.map((item, i) => {
    const at = `${field}[${i}]`;
    const o = obj(item, at);
    only(o, ['fileType', 'every'], at);
    const fileType = str(o.fileType, `${at}.fileType`, 64);
    if (!(BACKUP_FILE_TYPES as readonly string[]).includes(fileType)) fail(`${at}.fileType`, `must be one of: ${BACKUP_FILE_TYPES.join(', ')}`);
    if (seen.has(fileType)) fail(`${at}.fileType`, `"${fileType}" is listed twice`);
    seen.add(fileType);
    const every = o.every;
    if (typeof every !== 'number' || !Number.isInteger(every) || every < BACKUP_LIMITS.minEvery || every > BACKUP_LIMITS.maxEvery) {
      fail(`${at}.every`, `must be a whole number of seconds from ${BACKUP_LIMITS.minEvery} (an hour) to ${BACKUP_LIMITS.maxEvery}`);
    }
    return { fileType, every };
  });
}
