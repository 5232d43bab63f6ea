/**
 * What the agent must remember across restarts (TR-069 3.7.1.5 and A.3.2: ParameterKey,
 * undelivered events with their CommandKeys, TransferCompletes not yet acknowledged,
 * parameter attributes; and stable instance numbers), in one small JSON file.
 *
 * The file is written whole to a temporary file (mode 0600) and renamed over the old one, so
 * a crash leaves either the old state or the new, never half of one. It holds no secret the
 * operator did not give (provider values a test or an application chose to persist).
 */
import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EventStruct, Notification, TransferComplete } from '../../cwmp/types.js';

export interface StoredAttributes {
  notification: Notification;
  accessList: string[];
}

export interface AgentState {
  version: 1;
  /** The ACS URL the device last bootstrapped with; another URL means a new ACS (0 BOOTSTRAP). */
  bootstrappedWith: string;
  parameterKey: string;
  /** Events not yet delivered ("M Reboot" with its CommandKey …), oldest first. */
  events: EventStruct[];
  transferCompletes: TransferComplete[];
  attributes: Record<string, StoredAttributes>;
  /** Table path → row key → instance number; `#next` is the next number to hand out. */
  instances: Record<string, Record<string, number>>;
  providers: Record<string, Record<string, string>>;
}

export function emptyState(): AgentState {
  return { version: 1, bootstrappedWith: '', parameterKey: '', events: [], transferCompletes: [], attributes: {}, instances: {}, providers: {} };
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Keep only what has the right shape: a hand-edited or truncated file must not crash the daemon. */
function sanitize(raw: unknown): AgentState {
  const s = emptyState();
  if (!isObject(raw)) return s;
  if (typeof raw.bootstrappedWith === 'string') s.bootstrappedWith = raw.bootstrappedWith;
  if (typeof raw.parameterKey === 'string') s.parameterKey = raw.parameterKey.slice(0, 32);
  if (Array.isArray(raw.events)) {
    for (const e of raw.events) if (isObject(e) && typeof e.eventCode === 'string' && typeof e.commandKey === 'string') s.events.push({ eventCode: e.eventCode, commandKey: e.commandKey });
  }
  if (Array.isArray(raw.transferCompletes)) {
    for (const t of raw.transferCompletes) {
      if (!isObject(t) || t.method !== 'TransferComplete' || typeof t.commandKey !== 'string' || !isObject(t.faultStruct)) continue;
      const f = t.faultStruct;
      s.transferCompletes.push({
        method: 'TransferComplete',
        commandKey: t.commandKey,
        faultStruct: { faultCode: Number(f.faultCode) || 0, faultString: String(f.faultString ?? '') },
        startTime: String(t.startTime ?? ''),
        completeTime: String(t.completeTime ?? ''),
      });
    }
  }
  if (isObject(raw.attributes)) {
    for (const [p, a] of Object.entries(raw.attributes)) {
      if (!isObject(a)) continue;
      const n = Number(a.notification);
      if (!Number.isInteger(n) || n < 0 || n > 6) continue;
      const list = Array.isArray(a.accessList) ? a.accessList.filter((x): x is string => typeof x === 'string') : [];
      s.attributes[p] = { notification: n as Notification, accessList: list };
    }
  }
  for (const key of ['instances', 'providers'] as const) {
    const v = raw[key];
    if (!isObject(v)) continue;
    for (const [k, m] of Object.entries(v)) {
      if (!isObject(m)) continue;
      const out: Record<string, never> = {};
      for (const [kk, vv] of Object.entries(m)) {
        if (key === 'instances' && Number.isInteger(vv)) (out as Record<string, number>)[kk] = vv as number;
        if (key === 'providers' && typeof vv === 'string') (out as Record<string, string>)[kk] = vv;
      }
      (s[key] as Record<string, unknown>)[k] = out;
    }
  }
  return s;
}

export class StateFile {
  readonly path: string;
  readonly state: AgentState;
  /** True when no state existed: the device has never met an ACS. */
  readonly fresh: boolean;

  constructor(dir: string) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    this.path = join(dir, 'state.json');
    let raw: string | null;
    try {
      raw = readFileSync(this.path, 'utf8');
    } catch {
      raw = null;
    }
    this.fresh = raw === null;
    let parsed: unknown;
    try {
      parsed = raw === null ? null : JSON.parse(raw);
    } catch {
      parsed = null;
    }
    this.state = sanitize(parsed);
  }

  save(): void {
    const tmp = `${this.path}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(this.state, null, 1)}\n`, { mode: 0o600 });
    chmodSync(tmp, 0o600); // mode applies only when the file is created
    renameSync(tmp, this.path);
  }
}
