/**
 * A queued Download / Upload / ScheduleDownload and what finishing it does to the device:
 * a firmware image is "installed" (SoftwareVersion from the server's X-Flotilla-Version header,
 * else from the file name when it holds a version; then a reboot), a vendor configuration file in our own format is applied, and
 * the outcome becomes the TransferComplete the device reports (TR-069 A.3.3.2).
 */
import type { AllQueuedTransfer, DownloadFile, FaultStruct } from '../../cwmp/types.js';
import type { CpeDataModel, CpeEffect } from '../types.js';
import { uploadFile, type LogFacts } from './files.js';
import type { CpeRuntime } from './runtime.js';
import type { TimerEntry } from './scheduler.js';
import { download, upload } from './transfer.js';
import { faultString } from '../../cwmp/errors.js';

export interface TransferRec extends DownloadFile {
  kind: 'download' | 'upload' | 'scheduleDownload';
  /** 1 not yet started, 2 in progress (3 completed is never listed: it leaves the queue). */
  state: 1 | 2;
  startAt: number;
  /** ScheduleDownload: past this the transfer fails with 9020. */
  windowEnd: number;
  timer: TimerEntry | null;
}

export interface TransferOutcome {
  fault: FaultStruct;
  bytes: number;
  startTime: string;
  completeTime: string;
  /** The device reboots to finish (firmware). */
  reboot: boolean;
  /** The device powers off for good instead (an injected failure: it never comes back). */
  vanish?: boolean;
}

export function queuedTransfer(t: TransferRec): AllQueuedTransfer {
  return { commandKey: t.commandKey, state: t.state, isDownload: t.kind !== 'upload', fileType: t.fileType, fileSize: t.fileSize, targetFileName: t.targetFileName };
}

/** The queue entry for a transfer the model accepted (DelaySeconds and windows count from now). */
export function newTransfer(e: Extract<CpeEffect, { kind: 'download' | 'upload' | 'scheduleDownload' }>, now: number): TransferRec {
  const base = { commandKey: e.commandKey, fileType: e.fileType, url: e.url, username: e.username, password: e.password, state: 1 as const, timer: null };
  switch (e.kind) {
    case 'download':
      return { ...base, kind: 'download', fileSize: e.fileSize, targetFileName: e.targetFileName, startAt: now + e.delaySeconds * 1000, windowEnd: Infinity };
    case 'upload':
      return { ...base, kind: 'upload', fileSize: 0, targetFileName: '', startAt: now + e.delaySeconds * 1000, windowEnd: Infinity };
    case 'scheduleDownload':
      return {
        ...base,
        kind: 'scheduleDownload',
        fileSize: e.fileSize,
        targetFileName: e.targetFileName,
        startAt: now + e.windowStartSeconds * 1000,
        windowEnd: now + e.windowEndSeconds * 1000,
      };
  }
}

const iso = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

export async function runTransfer(t: TransferRec, model: CpeDataModel, rt: CpeRuntime, facts: LogFacts & { now: number }): Promise<TransferOutcome> {
  const started = Date.now();
  const done = (fault: FaultStruct, bytes: number, reboot = false): TransferOutcome => ({
    fault,
    bytes,
    startTime: iso(started),
    completeTime: iso(Date.now()),
    reboot,
  });
  const outsideWindow = (): TransferOutcome => done({ faultCode: 9020, faultString: faultString(9020) }, 0);
  if (Date.now() > t.windowEnd) return outsideWindow();
  t.state = 2;
  if (t.kind === 'upload') {
    const file = uploadFile(t.fileType, model, facts, facts.now);
    if (file === null) return done({ faultCode: 9011, faultString: `${faultString(9011)}: unsupported FileType "${t.fileType}"` }, 0);
    const r = await upload({ url: t.url, username: t.username, password: t.password, body: file.body, contentType: file.contentType, timeoutMs: rt.transferTimeoutMs, tls: rt.tls });
    return done(r.fault, r.bytes);
  }
  const isConfig = t.fileType.startsWith('3 ');
  const r = await download({
    url: t.url,
    username: t.username,
    password: t.password,
    fileSize: t.fileSize,
    fileType: t.fileType,
    timeoutMs: rt.transferTimeoutMs,
    keepBody: isConfig || rt.onDownload !== undefined,
    tls: rt.tls,
    ...(rt.dropDownloadsAfterBytes !== undefined ? { dropAfterBytes: rt.dropDownloadsAfterBytes } : {}),
  });
  if (r.fault.faultCode !== 0) return done(r.fault, r.bytes);
  if (Date.now() > t.windowEnd) return outsideWindow();
  if (r.body !== undefined) {
    if (isConfig) applyConfig(model, r.body);
    rt.onDownload?.({ fileType: t.fileType, targetFileName: t.targetFileName, url: t.url, body: r.body });
  }
  // Injected install failures (CpeRuntime.installFailure): a fault instead of the new version, or gone for good.
  const failure = t.fileType.startsWith('1 ') ? (rt.installFailure?.(facts.serialNumber) ?? null) : null;
  if (failure === 'vanish') return { ...done({ faultCode: 0, faultString: '' }, r.bytes), vanish: true };
  if (failure !== null) return done({ faultCode: failure, faultString: faultString(failure) }, r.bytes);
  if (t.fileType.startsWith('1 ')) {
    // The version the server states for the file (X-Flotilla-Version, the ACS's transfer
    // endpoint), else one in the TargetFileName or the URL ("fw-2.1.0.bin").
    const version = r.version ?? versionFrom(t.targetFileName !== '' ? t.targetFileName : t.url);
    const path = `${model.root}DeviceInfo.SoftwareVersion`;
    if (version !== null && model.get(path) !== undefined) model.setInternal(path, version);
    return done(r.fault, r.bytes, true);
  }
  return done(r.fault, r.bytes);
}

/** "fw-2.1.0.bin", "http://x/V3.4.5-rc1.img" → "2.1.0", "3.4.5-rc1"; null when the name holds no version. */
export function versionFrom(nameOrUrl: string): string | null {
  const base = (nameOrUrl.split(/[?#]/)[0] ?? '').split('/').pop() ?? '';
  const m = /(\d+(?:\.\d+){1,3}(?:[-_][A-Za-z0-9]+)?)/.exec(base.replace(/\.(bin|img|fw|tar|gz|zip|trx|chk)$/i, ''));
  return m?.[1] ?? null;
}

const PARAM_LINE = /<Parameter name="([^"]*)" type="[^"]*">([^<]*)<\/Parameter>/g;

function unescapeXml(s: string): string {
  return s.replace(/&(lt|gt|amp|quot|apos);/g, (_, e: string) => ({ lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" })[e] ?? '');
}

/** Apply a configuration file written by files.ts (a backup being restored). Unknown names are skipped. */
export function applyConfig(model: CpeDataModel, body: Buffer): number {
  let applied = 0;
  for (const m of body.toString('utf8').matchAll(PARAM_LINE)) {
    const name = unescapeXml(m[1] ?? '');
    if (model.get(name) === undefined) continue;
    model.setInternal(name, unescapeXml(m[2] ?? ''));
    applied++;
  }
  return applied;
}
