import { describe, expect, it } from 'vitest';
import type { AcsRequest, AllQueuedTransfer, Download, Fault, ScheduleDownload, TimeWindow, Upload } from '../../src/cwmp/types.js';
import { CPE_SUPPORTED_METHODS, createDevice } from '../../src/cpe/device.js';
import { loadModel } from '../../src/cpe/model/index.js';
import type { RpcOutcome } from '../../src/cpe/types.js';

const router = loadModel('tr181-router');
const device = (transfers?: AllQueuedTransfer[]) => createDevice(router, { serialNumber: 'FL000004', ...(transfers ? { transfers: () => transfers } : {}) });
const faultOf = (o: RpcOutcome): [number, string] => {
  expect(o.response.method).toBe('Fault');
  expect(o.effects).toEqual([]);
  const f = o.response as Fault;
  return [f.detail.faultCode, f.faultcode];
};

const download = (over: Partial<Download> = {}): Download => ({
  method: 'Download',
  commandKey: 'dl-1',
  fileType: '1 Firmware Upgrade Image',
  url: 'http://files.example/fw.bin',
  username: 'u',
  password: 'p',
  fileSize: 1024,
  targetFileName: 'fw.bin',
  delaySeconds: 0,
  successURL: '',
  failureURL: '',
  ...over,
});
const upload = (over: Partial<Upload> = {}): Upload => ({
  method: 'Upload',
  commandKey: 'ul-1',
  fileType: '2 Vendor Log File',
  url: 'https://files.example/up',
  username: '',
  password: '',
  delaySeconds: 5,
  ...over,
});
const win = (windowStart: number, windowEnd: number, windowMode = '1 At Any Time'): TimeWindow => ({ windowStart, windowEnd, windowMode, userMessage: '', maxRetries: -1 });
const scheduleDownload = (timeWindowList: TimeWindow[], over: Partial<ScheduleDownload> = {}): ScheduleDownload => ({
  method: 'ScheduleDownload',
  commandKey: 'sd-1',
  fileType: '1 Firmware Upgrade Image',
  url: 'http://files.example/fw.bin',
  username: '',
  password: '',
  fileSize: 10,
  targetFileName: '',
  timeWindowList,
  ...over,
});

describe('Reboot, FactoryReset, ScheduleInform', () => {
  it('Reboot answers and hands a reboot effect with the CommandKey', () => {
    expect(device().handle({ method: 'Reboot', commandKey: 'rb-7' })).toEqual({ response: { method: 'RebootResponse' }, effects: [{ kind: 'reboot', commandKey: 'rb-7' }] });
  });
  it('FactoryReset answers and hands a factoryReset effect; reset() keeps the identity', () => {
    const d = device();
    d.handle({ method: 'SetParameterValues', parameterKey: 'k', parameterList: [{ name: 'Device.WiFi.SSID.1.SSID', value: 'x', type: '' }] });
    expect(d.handle({ method: 'FactoryReset' })).toEqual({ response: { method: 'FactoryResetResponse' }, effects: [{ kind: 'factoryReset' }] });
    expect(d.get('Device.WiFi.SSID.1.SSID')?.value).toBe('x'); // the client resets after the session
    d.reset();
    expect(d.get('Device.WiFi.SSID.1.SSID')?.value).toBe('Flotilla-2G');
    expect(d.get('Device.DeviceInfo.SerialNumber')?.value).toBe('FL000004');
    expect(d.deviceId().serialNumber).toBe('FL000004');
  });
  it('ScheduleInform needs DelaySeconds > 0', () => {
    expect(device().handle({ method: 'ScheduleInform', delaySeconds: 30, commandKey: 'si' }).effects).toEqual([{ kind: 'scheduleInform', commandKey: 'si', delaySeconds: 30 }]);
    expect(faultOf(device().handle({ method: 'ScheduleInform', delaySeconds: 0, commandKey: 'si' }))).toEqual([9003, 'Client']);
    expect(faultOf(device().handle({ method: 'ScheduleInform', delaySeconds: -5, commandKey: 'si' }))[0]).toBe(9003);
  });
});

describe('Download and Upload', () => {
  it('Download: status 1 (TransferComplete follows) and a download effect', () => {
    const o = device().handle(download());
    expect(o.response).toEqual({ method: 'DownloadResponse', status: 1, startTime: '0001-01-01T00:00:00Z', completeTime: '0001-01-01T00:00:00Z' });
    expect(o.effects).toEqual([
      { kind: 'download', commandKey: 'dl-1', fileType: '1 Firmware Upgrade Image', url: 'http://files.example/fw.bin', username: 'u', password: 'p', fileSize: 1024, targetFileName: 'fw.bin', delaySeconds: 0 },
    ]);
    expect(device().handle(download({ fileType: '3 Vendor Configuration File', url: 'HTTPS://files.example/c' })).effects.length).toBe(1);
    expect(device().handle(download({ fileType: 'X F2F107 Wallpaper' })).effects.length).toBe(1);
  });
  it('Download faults: scheme 9013, file type / delay / not a URL 9003', () => {
    expect(faultOf(device().handle(download({ url: 'ftp://files.example/fw.bin' })))).toEqual([9013, 'Server']);
    expect(faultOf(device().handle(download({ url: 'file:///etc/passwd' })))[0]).toBe(9013);
    expect(faultOf(device().handle(download({ fileType: '9 Bogus' })))).toEqual([9003, 'Client']);
    expect(faultOf(device().handle(download({ delaySeconds: -1 })))[0]).toBe(9003);
    expect(faultOf(device().handle(download({ url: 'http://' })))[0]).toBe(9003);
  });
  it('Upload: status 1 and an upload effect; faults like Download', () => {
    const o = device().handle(upload());
    expect(o.response).toMatchObject({ method: 'UploadResponse', status: 1 });
    expect(o.effects).toEqual([{ kind: 'upload', commandKey: 'ul-1', fileType: '2 Vendor Log File', url: 'https://files.example/up', username: '', password: '', delaySeconds: 5 }]);
    expect(device().handle(upload({ fileType: '3 Vendor Configuration File 2' })).effects.length).toBe(1);
    expect(faultOf(device().handle(upload({ url: 'tftp://x/y' })))[0]).toBe(9013);
    expect(faultOf(device().handle(upload({ fileType: '1 Firmware Upgrade Image' })))[0]).toBe(9003);
  });
});

describe('ScheduleDownload', () => {
  it('valid windows: an effect with the first window', () => {
    const o = device().handle(scheduleDownload([win(10, 100), win(200, 300, '3 When Idle')]));
    expect(o.response).toEqual({ method: 'ScheduleDownloadResponse' });
    expect(o.effects).toEqual([
      { kind: 'scheduleDownload', commandKey: 'sd-1', fileType: '1 Firmware Upgrade Image', url: 'http://files.example/fw.bin', username: '', password: '', fileSize: 10, targetFileName: '', windowStartSeconds: 10, windowEndSeconds: 100 },
    ]);
  });
  it('window validation is 9003; scheme 9013', () => {
    for (const w of [[], [win(0, 10), win(20, 30), win(40, 50)], [win(100, 10)], [win(0, 100), win(50, 200)], [win(0, 10, '7 Whenever')]]) {
      expect(faultOf(device().handle(scheduleDownload(w)))[0]).toBe(9003);
    }
    expect(faultOf(device().handle(scheduleDownload([win(0, 10)], { url: 'ftp://x/y' })))[0]).toBe(9013);
  });
});

describe('queued transfers and CancelTransfer (the client reports its queue)', () => {
  const queue: AllQueuedTransfer[] = [
    { commandKey: 'waiting', state: 1, isDownload: true, fileType: '1 Firmware Upgrade Image', fileSize: 10, targetFileName: 'a' },
    { commandKey: 'running', state: 2, isDownload: false, fileType: '2 Vendor Log File', fileSize: 0, targetFileName: '' },
  ];
  it('GetQueuedTransfers and GetAllQueuedTransfers list the client queue', () => {
    const d = device(queue);
    expect(d.handle({ method: 'GetQueuedTransfers' }).response).toEqual({
      method: 'GetQueuedTransfersResponse',
      transferList: [{ commandKey: 'waiting', state: 1 }, { commandKey: 'running', state: 2 }],
    });
    expect(d.handle({ method: 'GetAllQueuedTransfers' }).response).toEqual({ method: 'GetAllQueuedTransfersResponse', transferList: queue });
    expect(device().handle({ method: 'GetQueuedTransfers' }).response).toEqual({ method: 'GetQueuedTransfersResponse', transferList: [] });
  });
  it('CancelTransfer: a not-yet-started transfer is cancelled (effect); in progress or unknown is 9021', () => {
    const d = device(queue);
    expect(d.handle({ method: 'CancelTransfer', commandKey: 'waiting' })).toEqual({
      response: { method: 'CancelTransferResponse' },
      effects: [{ kind: 'cancelTransfer', commandKey: 'waiting' }],
    });
    expect(faultOf(d.handle({ method: 'CancelTransfer', commandKey: 'running' }))).toEqual([9021, 'Client']);
    expect(faultOf(d.handle({ method: 'CancelTransfer', commandKey: 'nope' }))[0]).toBe(9021);
    expect(faultOf(device().handle({ method: 'CancelTransfer', commandKey: 'waiting' }))[0]).toBe(9021);
  });
});

describe('GetRPCMethods and methods we do not implement', () => {
  it('GetRPCMethods lists exactly the implemented ACS→CPE methods', () => {
    const o = device().handle({ method: 'GetRPCMethods' });
    expect(o.response).toEqual({ method: 'GetRPCMethodsResponse', methodList: [...CPE_SUPPORTED_METHODS] });
    expect(CPE_SUPPORTED_METHODS).toContain('ScheduleDownload');
    expect(CPE_SUPPORTED_METHODS).not.toContain('ChangeDUState');
  });
  it('SetVouchers, GetOptions and ChangeDUState are 9000 Method not supported', () => {
    const requests: AcsRequest[] = [
      { method: 'SetVouchers', voucherList: [] },
      { method: 'GetOptions', optionName: '' },
      { method: 'ChangeDUState', operations: [], commandKey: '' },
    ];
    for (const r of requests) {
      const o = device().handle(r);
      expect(o.response).toEqual({
        method: 'Fault',
        faultcode: 'Server',
        faultstring: 'CWMP fault',
        detail: { faultCode: 9000, faultString: 'Method not supported', setParameterValuesFault: [] },
      });
    }
  });
});
