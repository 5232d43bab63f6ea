/**
 * Per-device credentials as a session program. A device that came in with the shared
 * bootstrap credential (or its factory set after a reset) gets its own: ManagementServer.
 * Username/Password (CPE → ACS) and ConnectionRequestUsername/Password (ACS → CPE), in one
 * SetParameterValues. Once the CPE acknowledges it, the commit makes the new set current and
 * the bootstrap credential no longer opens a session for this device (src/acs/cpe-auth.ts).
 *
 * A rotation (on schedule, or asked for by an operator) hands out a set as *pending*: the
 * device keeps its current set until it has used the new one, so a CPE that missed the change
 * (lost the answer, rolled back) is not locked out; its first session with the pending set
 * makes it current (`promote`) and drops the old one.
 *
 * The tree never holds the passwords: the request is recorded with them blank (recordAs).
 */
import type { RpcOutcome } from '../../cwmp/acs-session.js';
import type { ParameterValue, SetParameterValues } from '../../cwmp/types.js';
import type { CredentialSet } from '../../store/types.js';
import type { Program, ProgramContext, ProgramRpc } from '../program.js';
import { rootOf } from './discovery.js';

/** What the ACS hands a device (src/auth/device-credentials.ts makes it: CSPRNG, sealed). */
export interface IssuedCredentialSet {
  username: string;
  password: string;
  connectionRequestUsername: string;
  connectionRequestPassword: string;
  stored: CredentialSet;
}

export interface CredentialsProgramOptions {
  issue: (deviceId: string) => IssuedCredentialSet;
  /** Rotate a device's set this long after it was handed out (0: never on a schedule). */
  rotateAfterMs: number;
}

type Mode = 'replace' | 'pending';

export class CredentialsProgram implements Program {
  readonly name = 'credentials';
  readonly #ctx: ProgramContext;
  readonly #opts: CredentialsProgramOptions;
  readonly #root: string;
  readonly #parameterKey: string;
  #mode: Mode | null;
  #issued: IssuedCredentialSet | null = null;
  /** First try sets all four; a CPE that refuses the connection-request pair gets the first two alone. */
  #attempt: 'all' | 'management' | 'done' = 'all';

  constructor(ctx: ProgramContext, opts: CredentialsProgramOptions) {
    this.#ctx = ctx;
    this.#opts = opts;
    const { inform, credentials, auth } = ctx.view;
    this.#root = rootOf(inform.parameterList.map((p) => p.name));
    this.#parameterKey = inform.parameterList.find((p) => p.name === `${this.#root}ManagementServer.ParameterKey`)?.value ?? '';
    if (auth === 'pending' && credentials?.pending != null) {
      // First use of a rotated set: it becomes current, the old one goes.
      ctx.record.credentials({ kind: 'promote', username: credentials.pending.cpe.username });
    }
    this.#mode = modeFor(ctx, opts.rotateAfterMs);
  }

  next(): ProgramRpc | null {
    if (this.#mode === null || this.#attempt === 'done') return null;
    this.#issued ??= this.#opts.issue(this.#ctx.view.deviceId);
    const i = this.#issued;
    const ms = `${this.#root}ManagementServer.`;
    const values: [string, string][] = [
      [`${ms}Username`, i.username],
      [`${ms}Password`, i.password],
    ];
    if (this.#attempt === 'all') {
      values.push([`${ms}ConnectionRequestUsername`, i.connectionRequestUsername], [`${ms}ConnectionRequestPassword`, i.connectionRequestPassword]);
    }
    const request = spv(values, this.#parameterKey);
    const blank = spv(
      values.map(([name, value]) => [name, name.endsWith('Password') ? '' : value]),
      this.#parameterKey,
    );
    return { request, requestId: null, recordAs: blank };
  }

  learn(answer: RpcOutcome): void {
    const i = this.#issued;
    if (i === null || this.#mode === null) return;
    if (answer.ok && answer.response.method === 'SetParameterValuesResponse') {
      const set: CredentialSet = this.#attempt === 'all' ? i.stored : { cpe: i.stored.cpe, connectionRequest: null };
      this.#ctx.record.credentials({ kind: 'issue', mode: this.#mode, set, at: this.#ctx.view.now() });
      this.#attempt = 'done';
      return;
    }
    // Refused: the device keeps what it has; one more try without the connection-request pair.
    this.#attempt = this.#attempt === 'all' ? 'management' : 'done';
  }
}

/** Whether this session hands out a set, and how it takes effect. */
function modeFor(ctx: ProgramContext, rotateAfterMs: number): Mode | null {
  const { auth, credentials, now } = ctx.view;
  switch (auth) {
    case 'anyone':
      return null;
    case 'bootstrap':
    case 'factory':
      return 'replace';
    case 'pending':
      return null;
    case 'certificate':
      // Its certificate is its identity; the credentials it gets are for connection requests
      // (and a fallback). A new device, or one back from a factory reset (0 BOOTSTRAP: it lost
      // what it had), gets a fresh set; otherwise as with its current set.
      if (credentials === null || ctx.view.inform.event.some((e) => e.eventCode === '0 BOOTSTRAP')) return 'replace';
      if (credentials.pending !== null) return null;
      if (credentials.rotateRequested) return 'pending';
      return rotateAfterMs > 0 && credentials.issuedAt !== null && now() - credentials.issuedAt >= rotateAfterMs ? 'pending' : null;
    case 'current': {
      if (credentials === null || credentials.pending !== null) return null;
      if (credentials.rotateRequested) return 'pending';
      const due = rotateAfterMs > 0 && credentials.issuedAt !== null && now() - credentials.issuedAt >= rotateAfterMs;
      return due ? 'pending' : null;
    }
  }
}

function spv(values: [string, string][], parameterKey: string): SetParameterValues {
  const parameterList: ParameterValue[] = values.map(([name, value]) => ({ name, value, type: 'xsd:string' }));
  return { method: 'SetParameterValues', parameterList, parameterKey };
}
