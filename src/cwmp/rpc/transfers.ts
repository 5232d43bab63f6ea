/**
 * File transfer RPCs the ACS calls: Download (TR-069 A.3.2.8), Upload (A.4.1.5),
 * ScheduleDownload (A.4.1.8), CancelTransfer (A.4.1.9), GetQueuedTransfers (A.4.1.1) and
 * GetAllQueuedTransfers (A.4.1.7).
 *
 * URLs and FileType are trimmed; CommandKey, credentials and TargetFileName are kept as sent.
 */
import type { DownloadFile, TimeWindow, TransferTarget } from '../types.js';
import type { XmlElement } from '../xml.js';
import { arr, b, bool, emptyCodec, int, items, n, raw, status, str, t, type CodecTable } from './shared.js';

/** CommandKey … Password: the first five arguments of Download, Upload and ScheduleDownload, in this order. */
function readTarget(el: XmlElement): TransferTarget {
  return {
    commandKey: raw(el, 'CommandKey'),
    fileType: str(el, 'FileType'),
    url: str(el, 'URL'),
    username: raw(el, 'Username'),
    password: raw(el, 'Password'),
  };
}

function buildTarget(m: TransferTarget): string {
  return t('CommandKey', m.commandKey) + t('FileType', m.fileType) + t('URL', m.url) + t('Username', m.username) + t('Password', m.password);
}

/** The target, then FileSize and TargetFileName (Download and ScheduleDownload). */
function readFile(el: XmlElement): DownloadFile {
  return { ...readTarget(el), fileSize: int(el, 'FileSize'), targetFileName: raw(el, 'TargetFileName') };
}

function buildFile(m: DownloadFile): string {
  return buildTarget(m) + n('FileSize', m.fileSize) + t('TargetFileName', m.targetFileName);
}

function readTimeWindow(w: XmlElement): TimeWindow {
  return {
    windowStart: int(w, 'WindowStart'),
    windowEnd: int(w, 'WindowEnd'),
    windowMode: str(w, 'WindowMode'),
    userMessage: raw(w, 'UserMessage'),
    // -1 means "no limit" (A.4.1.8), so the default must not be 0 retries.
    maxRetries: int(w, 'MaxRetries', -1),
  };
}

function buildTimeWindow(w: TimeWindow): string {
  return (
    '<TimeWindowStruct>' +
    n('WindowStart', w.windowStart) +
    n('WindowEnd', w.windowEnd) +
    t('WindowMode', w.windowMode) +
    t('UserMessage', w.userMessage) +
    n('MaxRetries', w.maxRetries) +
    '</TimeWindowStruct>'
  );
}

export const transferCodecs: CodecTable<
  | 'Download'
  | 'DownloadResponse'
  | 'Upload'
  | 'UploadResponse'
  | 'ScheduleDownload'
  | 'ScheduleDownloadResponse'
  | 'CancelTransfer'
  | 'CancelTransferResponse'
  | 'GetQueuedTransfers'
  | 'GetQueuedTransfersResponse'
  | 'GetAllQueuedTransfers'
  | 'GetAllQueuedTransfersResponse'
> = {
  Download: {
    parse: (el) => ({
      method: 'Download',
      ...readFile(el),
      delaySeconds: int(el, 'DelaySeconds'),
      successURL: str(el, 'SuccessURL'),
      failureURL: str(el, 'FailureURL'),
    }),
    build: (m) =>
      buildFile(m) +
      n('DelaySeconds', m.delaySeconds) +
      t('SuccessURL', m.successURL) +
      t('FailureURL', m.failureURL),
  },
  DownloadResponse: {
    parse: (el) => ({ method: 'DownloadResponse', status: status(el), startTime: str(el, 'StartTime'), completeTime: str(el, 'CompleteTime') }),
    build: (m) => n('Status', m.status) + t('StartTime', m.startTime) + t('CompleteTime', m.completeTime),
  },
  Upload: {
    parse: (el) => ({
      method: 'Upload',
      ...readTarget(el),
      delaySeconds: int(el, 'DelaySeconds'),
    }),
    build: (m) => buildTarget(m) + n('DelaySeconds', m.delaySeconds),
  },
  UploadResponse: {
    parse: (el) => ({ method: 'UploadResponse', status: status(el), startTime: str(el, 'StartTime'), completeTime: str(el, 'CompleteTime') }),
    build: (m) => n('Status', m.status) + t('StartTime', m.startTime) + t('CompleteTime', m.completeTime),
  },
  ScheduleDownload: {
    parse: (el) => ({
      method: 'ScheduleDownload',
      ...readFile(el),
      timeWindowList: items(el, 'TimeWindowList').map(readTimeWindow),
    }),
    build(m, ctx) {
      let w = '';
      for (const tw of m.timeWindowList) w += buildTimeWindow(tw);
      return (
        buildFile(m) +
        arr(ctx, 'TimeWindowList', ctx.cwmp + ':TimeWindowStruct', m.timeWindowList.length, w)
      );
    },
  },
  ScheduleDownloadResponse: emptyCodec('ScheduleDownloadResponse'),
  CancelTransfer: {
    parse: (el) => ({ method: 'CancelTransfer', commandKey: raw(el, 'CommandKey') }),
    build: (m) => t('CommandKey', m.commandKey),
  },
  CancelTransferResponse: emptyCodec('CancelTransferResponse'),
  GetQueuedTransfers: emptyCodec('GetQueuedTransfers'),
  GetQueuedTransfersResponse: {
    parse: (el) => ({
      method: 'GetQueuedTransfersResponse',
      transferList: items(el, 'TransferList').map((q) => ({ commandKey: raw(q, 'CommandKey'), state: int(q, 'State') })),
    }),
    build(m, ctx) {
      let s = '';
      for (const q of m.transferList) s += '<QueuedTransferStruct>' + t('CommandKey', q.commandKey) + n('State', q.state) + '</QueuedTransferStruct>';
      return arr(ctx, 'TransferList', ctx.cwmp + ':QueuedTransferStruct', m.transferList.length, s);
    },
  },
  GetAllQueuedTransfers: emptyCodec('GetAllQueuedTransfers'),
  GetAllQueuedTransfersResponse: {
    parse: (el) => ({
      method: 'GetAllQueuedTransfersResponse',
      transferList: items(el, 'TransferList').map((q) => ({
        commandKey: raw(q, 'CommandKey'),
        state: int(q, 'State'),
        isDownload: bool(q, 'IsDownload'),
        fileType: str(q, 'FileType'),
        fileSize: int(q, 'FileSize'),
        targetFileName: raw(q, 'TargetFileName'),
      })),
    }),
    build(m, ctx) {
      let s = '';
      for (const q of m.transferList) {
        s +=
          '<AllQueuedTransferStruct>' +
          t('CommandKey', q.commandKey) +
          n('State', q.state) +
          b(ctx, 'IsDownload', q.isDownload) +
          t('FileType', q.fileType) +
          n('FileSize', q.fileSize) +
          t('TargetFileName', q.targetFileName) +
          '</AllQueuedTransferStruct>';
      }
      return arr(ctx, 'TransferList', ctx.cwmp + ':AllQueuedTransferStruct', m.transferList.length, s);
    },
  },
};
