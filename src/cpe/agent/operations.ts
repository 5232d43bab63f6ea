/**
 * The agent's real operations: Download into a staging directory (size and SHA-256 checked,
 * then the operator's install hook), Upload of the configuration or a log, and the reboot
 * and factory-reset hooks. Hooks are commands given as an argument list (no shell); without
 * one the operation is refused, so a machine under test is never rebooted by accident.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { faultString } from '../../cwmp/errors.js';
import type { FaultStruct } from '../../cwmp/types.js';
import { download, upload } from '../client/transfer.js';
import { configFile } from '../client/files.js';
import type { TlsOptions } from '../client/http.js';
import type { CpeDataModel, LiveTransfer, LiveTransferOutcome } from '../types.js';
import { isoSeconds, run } from './system.js';

export interface Hooks {
  /** Command that reboots the host (e.g. ["systemctl", "reboot"]). */
  reboot?: readonly string[];
  /** Command that restores the host's factory state. */
  factoryReset?: readonly string[];
  /**
   * Command that installs a downloaded file; it gets FLOTILLA_FILE, FLOTILLA_FILE_TYPE,
   * FLOTILLA_TARGET_FILE_NAME and FLOTILLA_SHA256 in its environment. Exit 0 = installed.
   */
  install?: readonly string[];
}

export interface OperationsOptions {
  hooks: Hooks;
  stagingDir: string;
  /** Log uploads: this file's tail, "journal" (the systemd journal's last lines), else the agent's own recent log lines. */
  logFile?: string;
  recentLog: () => string;
  tls?: TlsOptions;
  maxDownloadBytes?: number;
  onHookFailed?: (what: string, detail: string) => void;
}

const fault = (code: number, detail?: string): FaultStruct => ({ faultCode: code, faultString: detail === undefined ? faultString(code) : `${faultString(code)}: ${detail}` });
const NO_FAULT: FaultStruct = { faultCode: 0, faultString: '' };
const LOG_TAIL_BYTES = 256 * 1024;

/** An expected SHA-256 given in the URL's fragment ("…/fw.bin#sha256=<hex>"): TR-069 has no hash field, and a fragment never reaches the server. */
export function expectedSha256(url: string): string | null {
  const m = /#(?:.*&)?sha256=([0-9a-fA-F]{64})(?:&|$)/.exec(url);
  return m ? m[1]!.toLowerCase() : null;
}

export class Operations {
  readonly #o: OperationsOptions;

  constructor(opts: OperationsOptions) {
    this.#o = opts;
  }

  get canReboot(): boolean {
    return (this.#o.hooks.reboot?.length ?? 0) > 0;
  }
  get canFactoryReset(): boolean {
    return (this.#o.hooks.factoryReset?.length ?? 0) > 0;
  }
  get canInstall(): boolean {
    return (this.#o.hooks.install?.length ?? 0) > 0;
  }

  async transfer(t: LiveTransfer, model: CpeDataModel): Promise<LiveTransferOutcome> {
    const started = Date.now();
    const done = (f: FaultStruct, bytes: number, reboot = false): LiveTransferOutcome => ({ fault: f, bytes, startTime: isoSeconds(started), completeTime: isoSeconds(Date.now()), reboot });
    try {
      if (t.kind === 'upload') return await this.#upload(t, model, done);
      return await this.#download(t, done);
    } catch (e) {
      return done(fault(9002, e instanceof Error ? e.message : String(e)), 0);
    }
  }

  async #download(t: LiveTransfer, done: (f: FaultStruct, bytes: number, reboot?: boolean) => LiveTransferOutcome): Promise<LiveTransferOutcome> {
    const max = this.#o.maxDownloadBytes ?? 512 * 1024 * 1024;
    const r = await download({ url: t.url.split('#')[0]!, username: t.username, password: t.password, fileSize: t.fileSize, fileType: t.fileType, keepBody: true, maxBytes: max, tls: this.#o.tls });
    if (r.fault.faultCode !== 0 || r.body === undefined) return done(r.fault, r.bytes);
    const sha = createHash('sha256').update(r.body).digest('hex');
    const want = expectedSha256(t.url);
    if (want !== null && want !== sha) return done(fault(9018, `SHA-256 ${sha} is not the expected ${want}`), r.bytes);
    await mkdir(this.#o.stagingDir, { recursive: true, mode: 0o700 });
    // The staged name is ours, never the ACS's: a TargetFileName of "../../etc/passwd" stays a string.
    const file = join(this.#o.stagingDir, `download-${sha.slice(0, 16)}`);
    await writeFile(`${file}.part`, r.body, { mode: 0o600 });
    await rename(`${file}.part`, file);
    const install = this.#o.hooks.install;
    if (install === undefined || install.length === 0) return done(fault(9001, 'no install hook configured'), r.bytes);
    const res = await run(install[0]!, install.slice(1), {
      timeoutMs: 30 * 60_000,
      env: { ...process.env, FLOTILLA_FILE: file, FLOTILLA_FILE_TYPE: t.fileType, FLOTILLA_TARGET_FILE_NAME: t.targetFileName, FLOTILLA_SHA256: sha },
    });
    await rm(file, { force: true });
    if (res.code !== 0) {
      this.#o.onHookFailed?.('install', `exit ${res.code}`);
      return done(fault(t.fileType.startsWith('1 ') ? 9018 : 9002, `install hook exited with ${res.code}`), r.bytes);
    }
    return done(NO_FAULT, r.bytes);
  }

  async #upload(t: LiveTransfer, model: CpeDataModel, done: (f: FaultStruct, bytes: number) => LiveTransferOutcome): Promise<LiveTransferOutcome> {
    let body: Buffer;
    let contentType = 'text/plain';
    if (/^(1|3) Vendor Configuration File/.test(t.fileType)) {
      const f = configFile(model); // writable parameters; hidden ones (passwords) read back empty
      body = f.body;
      contentType = f.contentType;
    } else if (/^(2|4) Vendor Log File/.test(t.fileType)) {
      body = this.#o.logFile === 'journal' ? await journal() : this.#o.logFile !== undefined ? await tail(this.#o.logFile) : Buffer.from(this.#o.recentLog(), 'utf8');
    } else return done(fault(9011, `unsupported FileType "${t.fileType}"`), 0);
    const r = await upload({ url: t.url, username: t.username, password: t.password, body, contentType, tls: this.#o.tls });
    return done(r.fault, r.bytes);
  }

  /** Run the reboot or factory-reset hook (the caller checked there is one). */
  async restart(factoryReset: boolean): Promise<void> {
    const cmd = factoryReset ? this.#o.hooks.factoryReset : this.#o.hooks.reboot;
    if (cmd === undefined || cmd.length === 0) return;
    const r = await run(cmd[0]!, cmd.slice(1), { timeoutMs: 120_000 });
    if (r.code !== 0) this.#o.onHookFailed?.(factoryReset ? 'factory-reset' : 'reboot', `exit ${r.code}`);
  }
}

async function tail(file: string): Promise<Buffer> {
  const all = await readFile(file);
  return all.length > LOG_TAIL_BYTES ? all.subarray(all.length - LOG_TAIL_BYTES) : all;
}

/** The host's systemd journal, last lines (what a support engineer asks for first). */
async function journal(): Promise<Buffer> {
  const r = await run('journalctl', ['--no-pager', '-q', '-n', '2000', '-o', 'short-iso'], { timeoutMs: 20_000 });
  if (r.code !== 0) throw new Error(`journalctl exited with ${r.code}`);
  const all = Buffer.from(r.stdout, 'utf8');
  return all.length > LOG_TAIL_BYTES ? all.subarray(all.length - LOG_TAIL_BYTES) : all;
}
