/**
 * The audit log (issue 10): who did what, when, from where, with the state before and after.
 * Front ends (the REST API's hook, console sign-in) call `record`; nothing here knows HTTP.
 * Secrets never reach the store: parameter values go through the one list
 * (src/secrets/rules.ts), and fields that name a credential (password, secret, token …) are
 * masked whatever they hold. Entries are append-only (the store refuses to change them).
 */
import { MASK, maskSecrets } from '../secrets/rules.js';
import type { AuditEntry, AuditQuery, NewAuditEntry, Store } from '../store/types.js';

/** Field names whose values are credentials, in any body: password, connectionRequestPassword, secret, token, totp … */
const CREDENTIAL_FIELD = /(?:^|[a-z_])(?:password|passphrase|secret|token|totp|otp)$/i;
/** Largest before/after kept per entry, as JSON (a bulk body is summarised, not stored whole). */
const MAX_JSON = 64 * 1024;

export function redactForAudit(value: unknown, depth = 0): unknown {
  const masked = depth === 0 ? maskSecrets(value) : value;
  if (masked === null || typeof masked !== 'object' || depth > 32) return masked;
  if (Array.isArray(masked)) return masked.map((x) => redactForAudit(x, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(masked)) {
    out[k] = CREDENTIAL_FIELD.test(k) && v !== null && v !== '' && (typeof v === 'string' || typeof v === 'number') ? MASK : redactForAudit(v, depth + 1);
  }
  return out;
}

function bounded(value: unknown): unknown {
  if (value === undefined) return null;
  const text = JSON.stringify(value);
  if (text === undefined) return null;
  return text.length <= MAX_JSON ? value : { truncated: true, bytes: text.length };
}

export class AuditService {
  readonly #store: Store;

  constructor(opts: { store: Store }) {
    this.#store = opts.store;
  }

  /** Append one entry; before/after are masked and bounded here. */
  async record(entry: NewAuditEntry): Promise<void> {
    await this.#store.appendAudit({
      ...entry,
      source: entry.source.slice(0, 256),
      action: entry.action.slice(0, 256),
      target: entry.target === null ? null : entry.target.slice(0, 4096),
      before: bounded(redactForAudit(entry.before ?? null)),
      after: bounded(redactForAudit(entry.after ?? null)),
    });
  }

  list(q: AuditQuery): Promise<{ total: number; entries: AuditEntry[] }> {
    return this.#store.listAudit(q);
  }
}
