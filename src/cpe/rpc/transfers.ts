/**
 * Download (A.3.2.8), Upload (A.4.1.5), ScheduleDownload (A.4.1.10), CancelTransfer
 * (A.4.1.11), GetQueuedTransfers (A.4.1.1), GetAllQueuedTransfers (A.4.1.6).
 *
 * The model performs no transfer: it validates the request and hands the client an effect.
 * The client owns the transfer queue and reports it through the `transfers` callback given
 * to createDevice; CancelTransfer decides from that list (not-yet-started transfers can be
 * cancelled; in progress, completed or unknown ones answer 9021) and returns a
 * cancelTransfer effect for the client to drop the transfer.
 */
import type { CancelTransfer, Download, ScheduleDownload, Upload } from '../../cwmp/types.js';
import type { DeviceOps } from '../model/ops.js';
import type { RpcOutcome } from '../types.js';
import { failed, ok } from './faults.js';

/** TR-069: an unknown time is the zero dateTime. */
export const UNKNOWN_TIME = '0001-01-01T00:00:00Z';

const VENDOR = /^X [0-9A-F]{6} \S/;
const DOWNLOAD_TYPES = ['1 Firmware Upgrade Image', '2 Web Content', '3 Vendor Configuration File', '4 Tone File', '5 Ringer File', '6 Stored Firmware Image'];
const UPLOAD_TYPES = /^(1 Vendor Configuration File|2 Vendor Log File|3 Vendor Configuration File \d+|4 Vendor Log File \d+)$/;
const WINDOW_MODES = ['1 At Any Time', '2 Immediately', '3 When Idle', '4 Confirmation Needed'];

export const isDownloadFileType = (t: string): boolean => DOWNLOAD_TYPES.includes(t) || VENDOR.test(t);
export const isUploadFileType = (t: string): boolean => UPLOAD_TYPES.test(t) || VENDOR.test(t);

/** 0, 9013 for a scheme other than http(s), 9003 for something that is not a URL at all. */
function checkUrl(url: string): number {
  if (!/^https?:\/\//i.test(url)) return 9013;
  try {
    new URL(url);
    return 0;
  } catch {
    return 9003;
  }
}

const badDelay = (n: number): boolean => !Number.isInteger(n) || n < 0;

export function download(_ops: DeviceOps, req: Download): RpcOutcome {
  const u = checkUrl(req.url);
  if (u) return failed(u);
  if (!isDownloadFileType(req.fileType) || badDelay(req.delaySeconds) || req.fileSize < 0) return failed(9003);
  const { commandKey, fileType, url, username, password, fileSize, targetFileName, delaySeconds } = req;
  return ok(
    { method: 'DownloadResponse', status: 1, startTime: UNKNOWN_TIME, completeTime: UNKNOWN_TIME },
    [{ kind: 'download', commandKey, fileType, url, username, password, fileSize, targetFileName, delaySeconds }],
  );
}

export function upload(_ops: DeviceOps, req: Upload): RpcOutcome {
  const u = checkUrl(req.url);
  if (u) return failed(u);
  if (!isUploadFileType(req.fileType) || badDelay(req.delaySeconds)) return failed(9003);
  const { commandKey, fileType, url, username, password, delaySeconds } = req;
  return ok(
    { method: 'UploadResponse', status: 1, startTime: UNKNOWN_TIME, completeTime: UNKNOWN_TIME },
    [{ kind: 'upload', commandKey, fileType, url, username, password, delaySeconds }],
  );
}

/**
 * One or two windows, each with WindowEnd ≥ WindowStart, the second starting after the
 * first ends, known WindowModes. The effect carries the first window (CpeEffect has one).
 */
export function scheduleDownload(_ops: DeviceOps, req: ScheduleDownload): RpcOutcome {
  const u = checkUrl(req.url);
  if (u) return failed(u);
  const w = req.timeWindowList;
  if (!isDownloadFileType(req.fileType) || req.fileSize < 0 || w.length < 1 || w.length > 2) return failed(9003);
  for (const win of w) {
    if (badDelay(win.windowStart) || badDelay(win.windowEnd) || win.windowEnd < win.windowStart) return failed(9003);
    if (!WINDOW_MODES.includes(win.windowMode) && !VENDOR.test(win.windowMode)) return failed(9003);
  }
  if (w.length === 2 && w[1]!.windowStart < w[0]!.windowEnd) return failed(9003);
  const { commandKey, fileType, url, username, password, fileSize, targetFileName } = req;
  return ok({ method: 'ScheduleDownloadResponse' }, [
    {
      kind: 'scheduleDownload',
      commandKey,
      fileType,
      url,
      username,
      password,
      fileSize,
      targetFileName,
      windowStartSeconds: w[0]!.windowStart,
      windowEndSeconds: w[0]!.windowEnd,
    },
  ]);
}

export function cancelTransfer(ops: DeviceOps, req: CancelTransfer): RpcOutcome {
  const pending = ops.queuedTransfers().filter((t) => t.commandKey === req.commandKey);
  if (!pending.length || pending.some((t) => t.state !== 1)) return failed(9021);
  return ok({ method: 'CancelTransferResponse' }, [{ kind: 'cancelTransfer', commandKey: req.commandKey }]);
}

export function getQueuedTransfers(ops: DeviceOps): RpcOutcome {
  const transferList = ops.queuedTransfers().map((t) => ({ commandKey: t.commandKey, state: t.state }));
  return ok({ method: 'GetQueuedTransfersResponse', transferList });
}

export function getAllQueuedTransfers(ops: DeviceOps): RpcOutcome {
  const transferList = ops.queuedTransfers().map((t) => ({ ...t }));
  return ok({ method: 'GetAllQueuedTransfersResponse', transferList });
}
