/**
 * File transfer RPCs the CPE calls: TransferComplete (TR-069 A.3.3.2),
 * AutonomousTransferComplete (A.3.3.3) and RequestDownload (A.4.2.2).
 */
import {
  arr,
  b,
  bool,
  buildFaultStruct,
  emptyCodec,
  int,
  items,
  n,
  name,
  raw,
  readFaultStruct,
  str,
  t,
  type CodecTable,
} from './shared.js';

export const transferCompleteCodecs: CodecTable<
  | 'TransferComplete'
  | 'TransferCompleteResponse'
  | 'AutonomousTransferComplete'
  | 'AutonomousTransferCompleteResponse'
  | 'RequestDownload'
  | 'RequestDownloadResponse'
> = {
  TransferComplete: {
    parse: (el) => ({
      method: 'TransferComplete',
      commandKey: raw(el, 'CommandKey'),
      faultStruct: readFaultStruct(el, 'FaultStruct'),
      startTime: str(el, 'StartTime'),
      completeTime: str(el, 'CompleteTime'),
    }),
    build: (m) =>
      t('CommandKey', m.commandKey) + buildFaultStruct('FaultStruct', m.faultStruct) + t('StartTime', m.startTime) + t('CompleteTime', m.completeTime),
  },
  TransferCompleteResponse: emptyCodec('TransferCompleteResponse'),
  AutonomousTransferComplete: {
    parse: (el) => ({
      method: 'AutonomousTransferComplete',
      announceURL: str(el, 'AnnounceURL'),
      transferURL: str(el, 'TransferURL'),
      isDownload: bool(el, 'IsDownload'),
      fileType: str(el, 'FileType'),
      fileSize: int(el, 'FileSize'),
      targetFileName: raw(el, 'TargetFileName'),
      faultStruct: readFaultStruct(el, 'FaultStruct'),
      startTime: str(el, 'StartTime'),
      completeTime: str(el, 'CompleteTime'),
    }),
    build: (m, ctx) =>
      t('AnnounceURL', m.announceURL) +
      t('TransferURL', m.transferURL) +
      b(ctx, 'IsDownload', m.isDownload) +
      t('FileType', m.fileType) +
      n('FileSize', m.fileSize) +
      t('TargetFileName', m.targetFileName) +
      buildFaultStruct('FaultStruct', m.faultStruct) +
      t('StartTime', m.startTime) +
      t('CompleteTime', m.completeTime),
  },
  AutonomousTransferCompleteResponse: emptyCodec('AutonomousTransferCompleteResponse'),
  RequestDownload: {
    parse: (el) => ({
      method: 'RequestDownload',
      fileType: str(el, 'FileType'),
      fileTypeArg: items(el, 'FileTypeArg').map((a) => ({ name: name(a), value: raw(a, 'Value') })),
    }),
    build(m, ctx) {
      let s = '';
      for (const a of m.fileTypeArg) s += '<ArgStruct>' + t('Name', a.name) + t('Value', a.value) + '</ArgStruct>';
      return t('FileType', m.fileType) + arr(ctx, 'FileTypeArg', ctx.cwmp + ':ArgStruct', m.fileTypeArg.length, s);
    },
  },
  RequestDownloadResponse: emptyCodec('RequestDownloadResponse'),
};
