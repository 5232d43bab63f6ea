/**
 * The CPE-role session machine alone, then paired back to back with the ACS-role machine in
 * memory (h11 style): every message goes through the codec (build → parse) and every ACS
 * RPC is answered by a real device model, so each RPC crosses both state machines.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { AcsSession } from '../../src/cwmp/acs-session.js';
import { buildEnvelope, parseEnvelope } from '../../src/cwmp/codec.js';
import { CpeSession, canStep, step, type CpeSessionEvent, type CpeSessionState } from '../../src/cwmp/cpe-session.js';
import type { AcsRequest, Envelope, Inform, TransferComplete } from '../../src/cwmp/types.js';
import { createDevice } from '../../src/cpe/device.js';
import { type CpeDevice } from '../../src/cpe/model/device.js';
import { loadModel } from '../../src/cpe/model/load.js';
import type { Template } from '../../src/cpe/model/template.js';

const NS = 'urn:dslforum-org:cwmp-1-0' as const;

function inform(events = ['2 PERIODIC']): Inform {
  return {
    method: 'Inform',
    deviceId: { manufacturer: 'Acme', oui: 'A1B2C3', productClass: 'Box', serialNumber: 'SN1' },
    event: events.map((eventCode) => ({ eventCode, commandKey: '' })),
    maxEnvelopes: 1,
    currentTime: '2026-11-21T10:00:00Z',
    retryCount: 0,
    parameterList: [],
  };
}

const acsMsg = (body: Envelope['body'], header: Envelope['header'] = { id: 'a1' }): Envelope => ({ namespace: NS, header, body });

/** Through the codec, as on the wire. */
function wire(env: Envelope): Envelope {
  const parsed = parseEnvelope(buildEnvelope(env));
  if (!parsed.ok) throw parsed.error;
  return parsed.value;
}

function unwrap<T>(r: { ok: true; value: T } | { ok: false; error: Error }): T {
  if (!r.ok) throw r.error;
  return r.value;
}

const STATES: CpeSessionState[] = ['idle', 'informing', 'cpeTurn', 'requestSent', 'awaitingAcs', 'answering', 'ending', 'ended', 'failed'];
const EVENTS: CpeSessionEvent[] = [
  'sendInform',
  'informResponse',
  'informFault',
  'sendRequest',
  'requestResponse',
  'requestFault',
  'sendEmpty',
  'acsRequest',
  'sendResponse',
  'emptyResponse',
  'finish',
  'fail',
];

describe('CpeSession transition table', () => {
  it('refuses every event the table does not list, with a local ILLEGAL_STATE error', () => {
    let legal = 0;
    for (const s of STATES) {
      for (const e of EVENTS) {
        const r = step(s, e);
        expect(r.ok).toBe(canStep(s, e));
        if (r.ok) legal++;
        else {
          expect(r.error.code).toBe('ILLEGAL_STATE');
          expect(r.error.side).toBe('local');
        }
      }
    }
    expect(legal).toBe(19);
  });

  it('has no way out of ended and failed', () => {
    for (const e of EVENTS) {
      expect(canStep('ended', e)).toBe(false);
      expect(canStep('failed', e)).toBe(false);
    }
  });
});

describe('CpeSession (pure, hand-built ACS envelopes)', () => {
  it('runs Inform → InformResponse → TransferComplete → empty POST → request → answer → 204', () => {
    const s = new CpeSession({ idPrefix: 't' });
    const inf = unwrap(s.inform(inform(['7 TRANSFER COMPLETE'])));
    expect(inf.header.id).toBe('t-1');
    expect(s.state).toBe('informing');
    const acc = unwrap(s.receive(acsMsg({ method: 'InformResponse', maxEnvelopes: 1 }, { id: 't-1' })));
    expect(acc).toMatchObject({ kind: 'informAccepted', holdRequests: false, maxEnvelopes: 1 });
    const tc: TransferComplete = { method: 'TransferComplete', commandKey: 'k', faultStruct: { faultCode: 0, faultString: '' }, startTime: '', completeTime: '' };
    unwrap(s.sendRequest(tc));
    expect(s.state).toBe('requestSent');
    expect(unwrap(s.receive(acsMsg({ method: 'TransferCompleteResponse' }))).kind).toBe('requestAccepted');
    expect(unwrap(s.sendEmpty())).toBeNull();
    const req = unwrap(s.receive(acsMsg({ method: 'GetParameterValues', parameterNames: ['Device.'] }, { id: 'acs-7' })));
    expect(req.kind).toBe('acsRequest');
    const answer = unwrap(s.respond({ method: 'GetParameterValuesResponse', parameterList: [] }));
    expect(answer.header.id).toBe('acs-7');
    expect(unwrap(s.receive(null)).kind).toBe('acsDone');
    expect(unwrap(s.finish())).toBe('ended');
  });

  it('leaves the state unchanged on an illegal call', () => {
    const s = new CpeSession();
    expect(s.sendEmpty().ok).toBe(false);
    expect(s.state).toBe('idle');
    unwrap(s.inform(inform()));
    const r = s.receive(acsMsg({ method: 'GetRPCMethods' }));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.side).toBe('remote');
    expect(s.state).toBe('informing');
    expect(s.receive(null).ok).toBe(false);
    expect(s.state).toBe('informing');
    expect(s.finish().ok).toBe(false);
    expect(s.state).toBe('informing');
  });

  it('refuses to answer with the wrong response method', () => {
    const s = new CpeSession();
    unwrap(s.inform(inform()));
    unwrap(s.receive(acsMsg({ method: 'InformResponse', maxEnvelopes: 1 })));
    unwrap(s.sendEmpty());
    unwrap(s.receive(acsMsg({ method: 'Reboot', commandKey: 'r' })));
    const wrong = s.respond({ method: 'FactoryResetResponse' });
    expect(wrong.ok).toBe(false);
    expect(s.state).toBe('answering');
    expect(unwrap(s.respond({ method: 'RebootResponse' })).body.method).toBe('RebootResponse');
    // A fault is always an acceptable answer.
    unwrap(s.receive(acsMsg({ method: 'Reboot', commandKey: 'r2' })));
    expect(s.respond({ method: 'Fault', faultcode: 'Server', faultstring: 'CWMP fault', detail: { faultCode: 9002, faultString: 'x', setParameterValuesFault: [] } }).ok).toBe(true);
  });

  it('honours HoldRequests until the ACS sends a message without it', () => {
    const s = new CpeSession();
    unwrap(s.inform(inform()));
    unwrap(s.receive(acsMsg({ method: 'InformResponse', maxEnvelopes: 1 }, { id: 'x', holdRequests: true })));
    expect(s.holdRequests).toBe(true);
    const tc: TransferComplete = { method: 'TransferComplete', commandKey: 'k', faultStruct: { faultCode: 0, faultString: '' }, startTime: '', completeTime: '' };
    const refused = s.sendRequest(tc);
    expect(refused.ok).toBe(false);
    expect(s.state).toBe('cpeTurn');
    unwrap(s.sendEmpty());
    unwrap(s.receive(acsMsg({ method: 'GetRPCMethods' }, { id: 'y', holdRequests: true })));
    unwrap(s.respond({ method: 'GetRPCMethodsResponse', methodList: [] }));
    expect(unwrap(s.receive(null)).kind).toBe('acsDone');
    expect(s.holdRequests).toBe(false);
    unwrap(s.sendRequest(tc));
    expect(unwrap(s.receive(acsMsg({ method: 'TransferCompleteResponse' }))).kind).toBe('requestAccepted');
  });

  it('treats an ACS fault to its request as "not delivered" and goes on', () => {
    const s = new CpeSession();
    unwrap(s.inform(inform()));
    unwrap(s.receive(acsMsg({ method: 'InformResponse', maxEnvelopes: 1 })));
    unwrap(s.sendRequest({ method: 'RequestDownload', fileType: '1 Firmware Upgrade Image', fileTypeArg: [] }));
    const f = unwrap(
      s.receive(acsMsg({ method: 'Fault', faultcode: 'Server', faultstring: 'CWMP fault', detail: { faultCode: 8005, faultString: 'Retry request', setParameterValuesFault: [] } })),
    );
    expect(f.kind).toBe('requestFaulted');
    expect(s.state).toBe('cpeTurn');
  });

  it('fails on an ACS fault to the Inform (8005 busy)', () => {
    const s = new CpeSession();
    unwrap(s.inform(inform()));
    const r = s.receive(acsMsg({ method: 'Fault', faultcode: 'Server', faultstring: 'CWMP fault', detail: { faultCode: 8005, faultString: 'busy', setParameterValuesFault: [] } }));
    expect(r.ok).toBe(false);
    expect(s.state).toBe('failed');
  });

  it('answers an unknown ACS method with 9000 on its own', () => {
    const s = new CpeSession();
    unwrap(s.inform(inform()));
    unwrap(s.receive(acsMsg({ method: 'InformResponse', maxEnvelopes: 1 })));
    unwrap(s.sendEmpty());
    const r = unwrap(s.receive(acsMsg({ method: 'Unknown', name: 'X_ACME_Frobnicate', namespaceUri: NS }, { id: 'u1' })));
    expect(r.kind).toBe('unsupported');
    if (r.kind === 'unsupported') {
      expect(r.reply.header.id).toBe('u1');
      expect(r.reply.body.detail.faultCode).toBe(9000);
    }
    expect(s.state).toBe('awaitingAcs');
  });

  it('puts quirk headers on the Inform', () => {
    const s = new CpeSession({ noMoreRequests: true, supportedCwmpVersions: '1.0,1.4', namespace: 'urn:dslforum-org:cwmp-1-2' });
    const env = unwrap(s.inform(inform()));
    expect(env.header).toMatchObject({ noMoreRequests: true, supportedCwmpVersions: '1.0,1.4' });
    expect(env.namespace).toBe('urn:dslforum-org:cwmp-1-2');
  });

  it('never throws and keeps a legal state under random call sequences', () => {
    const bodies: Envelope['body'][] = [
      { method: 'InformResponse', maxEnvelopes: 1 },
      { method: 'TransferCompleteResponse' },
      { method: 'GetRPCMethods' },
      { method: 'Reboot', commandKey: '' },
      { method: 'GetParameterValuesResponse', parameterList: [] },
      { method: 'Fault', faultcode: 'Server', faultstring: 'f', detail: { faultCode: 8005, faultString: '', setParameterValuesFault: [] } },
    ];
    const call = fc.oneof(
      fc.constant({ k: 'inform' as const }),
      fc.constant({ k: 'empty' as const }),
      fc.constant({ k: 'finish' as const }),
      fc.constant({ k: 'request' as const }),
      fc.constant({ k: 'respond' as const }),
      fc.record({ k: fc.constant('receive' as const), i: fc.integer({ min: -1, max: bodies.length - 1 }), hold: fc.boolean() }),
    );
    fc.assert(
      fc.property(fc.array(call, { maxLength: 40 }), (calls) => {
        const s = new CpeSession();
        for (const c of calls) {
          const before = s.state;
          let r: { ok: boolean };
          switch (c.k) {
            case 'inform':
              r = s.inform(inform());
              break;
            case 'empty':
              r = s.sendEmpty();
              break;
            case 'finish':
              r = s.finish();
              break;
            case 'request':
              r = s.sendRequest({ method: 'GetRPCMethods' });
              break;
            case 'respond':
              r = s.respond({ method: 'RebootResponse' });
              break;
            case 'receive':
              r = s.receive(c.i < 0 ? null : acsMsg(bodies[c.i]!, { id: 'z', holdRequests: c.hold }));
              break;
          }
          expect(STATES).toContain(s.state);
          // Only an ACS fault to the Inform moves the machine while reporting an error.
          if (!r.ok && s.state !== before) expect(s.state).toBe('failed');
        }
      }),
    );
  });
});

// ---------------------------------------------------------------------------------------
// Both machines back to back, each RPC answered by a real device model
// ---------------------------------------------------------------------------------------

let template: Template;
beforeAll(() => {
  template = loadModel('tr181-router');
});

interface PairResult {
  completions: NonNullable<Extract<ReturnType<AcsSession['receive']>, { kind: 'acsTurn' }>['completed']>[];
  effects: string[];
  cpeRequestsSeen: string[];
}

/** One whole session: CPE informs, delivers `own`, the ACS runs `requests`, then ends. */
function pairSession(device: CpeDevice, requests: AcsRequest[], opts: { own?: TransferComplete[]; hold?: boolean } = {}): PairResult {
  const acs = new AcsSession({ idPrefix: 'acs' });
  const cpe = new CpeSession({ idPrefix: 'cpe' });
  const out: PairResult = { completions: [], effects: [], cpeRequestsSeen: [] };
  const own = [...(opts.own ?? [])];
  const toAcs = (env: Envelope | null): ReturnType<AcsSession['receive']> => acs.receive(env === null ? null : wire(env));
  const toCpe = (env: Envelope | null): ReturnType<CpeSession['receive']> => cpe.receive(env === null ? null : wire(env));

  // A CPE announces its TransferCompletes with 7 TRANSFER COMPLETE; that is also what tells
  // an ACS holding requests to keep the session open for them.
  const events = own.length > 0 ? ['1 BOOT', '7 TRANSFER COMPLETE'] : ['1 BOOT'];
  expect(toAcs(unwrap(cpe.inform(inform(events)))).kind).toBe('inform');
  expect(unwrap(toCpe(acs.acceptInform({ holdRequests: opts.hold }))).kind).toBe('informAccepted');
  /** The CPE's turn: its requests unless held, then the empty POST. */
  const cpeTurn = (): void => {
    while (own.length > 0 && !cpe.holdRequests) {
      const r = toAcs(unwrap(cpe.sendRequest(own.shift()!)));
      if (r.kind !== 'cpeRequest') throw new Error(`ACS refused: ${JSON.stringify(r)}`);
      out.cpeRequestsSeen.push(r.request.method);
      expect(unwrap(toCpe(r.reply)).kind).toBe('requestAccepted');
    }
    unwrap(cpe.sendEmpty());
  };
  cpeTurn();
  let turn = toAcs(null);
  for (const request of requests) {
    expect(turn.kind).toBe('acsTurn');
    const got = unwrap(toCpe(acs.sendRequest(request)));
    if (got.kind !== 'acsRequest') throw new Error(`expected acsRequest, got ${got.kind}`);
    expect(got.request).toEqual(wire(acsMsg(request)).body);
    const outcome = device.handle(got.request);
    out.effects.push(...outcome.effects.map((e) => e.kind));
    turn = toAcs(unwrap(cpe.respond(outcome.response)));
    if (turn.kind === 'acsTurn' && turn.completed !== null) out.completions.push(turn.completed);
  }
  const after = acs.finish();
  expect(unwrap(toCpe(null)).kind).toBe('acsDone');
  if (after === 'released') {
    cpeTurn();
    expect(toAcs(null).kind).toBe('ended');
    // The HTTP layer answers the last empty POST with 204.
    expect(unwrap(toCpe(null)).kind).toBe('acsDone');
  }
  unwrap(cpe.finish());
  expect(acs.state).toBe('ended');
  expect(cpe.state).toBe('ended');
  return out;
}

describe('ACS ↔ CPE in memory, every ACS RPC through both machines', () => {
  const cases: { name: string; request: AcsRequest; expect: string; fault?: number; effect?: string }[] = [
    { name: 'GetRPCMethods', request: { method: 'GetRPCMethods' }, expect: 'GetRPCMethodsResponse' },
    { name: 'GetParameterNames', request: { method: 'GetParameterNames', parameterPath: 'Device.DeviceInfo.', nextLevel: true }, expect: 'GetParameterNamesResponse' },
    { name: 'GetParameterValues', request: { method: 'GetParameterValues', parameterNames: ['Device.DeviceInfo.'] }, expect: 'GetParameterValuesResponse' },
    {
      name: 'SetParameterValues',
      request: { method: 'SetParameterValues', parameterList: [{ name: 'Device.ManagementServer.PeriodicInformInterval', value: '600', type: 'xsd:unsignedInt' }], parameterKey: 'k1' },
      expect: 'SetParameterValuesResponse',
      effect: 'managementServerChanged',
    },
    {
      name: 'SetParameterValues with a bad name',
      request: { method: 'SetParameterValues', parameterList: [{ name: 'Device.Nope', value: '1', type: 'xsd:string' }], parameterKey: '' },
      expect: 'Fault',
      fault: 9003,
    },
    { name: 'GetParameterAttributes', request: { method: 'GetParameterAttributes', parameterNames: ['Device.DeviceInfo.SoftwareVersion'] }, expect: 'GetParameterAttributesResponse' },
    {
      name: 'SetParameterAttributes',
      request: {
        method: 'SetParameterAttributes',
        parameterList: [{ name: 'Device.DeviceInfo.ProvisioningCode', notificationChange: true, notification: 1, accessListChange: false, accessList: [] }],
      },
      expect: 'SetParameterAttributesResponse',
    },
    { name: 'AddObject', request: { method: 'AddObject', objectName: 'Device.NAT.PortMapping.', parameterKey: '' }, expect: 'AddObjectResponse' },
    { name: 'DeleteObject (unknown instance)', request: { method: 'DeleteObject', objectName: 'Device.NAT.PortMapping.999.', parameterKey: '' }, expect: 'Fault', fault: 9005 },
    { name: 'Reboot', request: { method: 'Reboot', commandKey: 'rb' }, expect: 'RebootResponse', effect: 'reboot' },
    { name: 'FactoryReset', request: { method: 'FactoryReset' }, expect: 'FactoryResetResponse', effect: 'factoryReset' },
    {
      name: 'Download',
      request: {
        method: 'Download',
        commandKey: 'dl',
        fileType: '1 Firmware Upgrade Image',
        url: 'http://127.0.0.1:1/fw.bin',
        username: '',
        password: '',
        fileSize: 10,
        targetFileName: 'fw.bin',
        delaySeconds: 0,
        successURL: '',
        failureURL: '',
      },
      expect: 'DownloadResponse',
      effect: 'download',
    },
    {
      name: 'Upload',
      request: { method: 'Upload', commandKey: 'ul', fileType: '1 Vendor Configuration File', url: 'http://127.0.0.1:1/up', username: '', password: '', delaySeconds: 0 },
      expect: 'UploadResponse',
      effect: 'upload',
    },
    { name: 'ScheduleInform', request: { method: 'ScheduleInform', delaySeconds: 5, commandKey: 'si' }, expect: 'ScheduleInformResponse', effect: 'scheduleInform' },
    {
      name: 'ScheduleDownload',
      request: {
        method: 'ScheduleDownload',
        commandKey: 'sd',
        fileType: '1 Firmware Upgrade Image',
        url: 'http://127.0.0.1:1/fw.bin',
        username: '',
        password: '',
        fileSize: 0,
        targetFileName: '',
        timeWindowList: [{ windowStart: 0, windowEnd: 60, windowMode: '1 At Any Time', userMessage: '', maxRetries: 0 }],
      },
      expect: 'ScheduleDownloadResponse',
      effect: 'scheduleDownload',
    },
    { name: 'CancelTransfer (nothing queued)', request: { method: 'CancelTransfer', commandKey: 'none' }, expect: 'Fault', fault: 9021 },
    { name: 'GetQueuedTransfers', request: { method: 'GetQueuedTransfers' }, expect: 'GetQueuedTransfersResponse' },
    { name: 'GetAllQueuedTransfers', request: { method: 'GetAllQueuedTransfers' }, expect: 'GetAllQueuedTransfersResponse' },
    { name: 'SetVouchers', request: { method: 'SetVouchers', voucherList: [] }, expect: 'Fault', fault: 9000 },
    { name: 'GetOptions', request: { method: 'GetOptions', optionName: '' }, expect: 'Fault', fault: 9000 },
    { name: 'ChangeDUState', request: { method: 'ChangeDUState', operations: [], commandKey: '' }, expect: 'Fault', fault: 9000 },
  ];

  for (const c of cases) {
    it(c.name, () => {
      const device = createDevice(template, { serialNumber: 'SN1' });
      const r = pairSession(device, [c.request]);
      expect(r.completions).toHaveLength(1);
      const done = r.completions[0]!;
      expect(done.request.method).toBe(c.request.method);
      if (c.expect === 'Fault') {
        expect(done.outcome.ok).toBe(false);
        if (!done.outcome.ok) expect(done.outcome.fault.faultCode).toBe(c.fault);
      } else {
        expect(done.outcome.ok).toBe(true);
        if (done.outcome.ok) expect(done.outcome.response.method).toBe(c.expect);
      }
      if (c.effect !== undefined) expect(r.effects).toContain(c.effect);
    });
  }

  it('applies a SetParameterValues to the model and reads it back in the same session', () => {
    const device = createDevice(template, { serialNumber: 'SN1' });
    const r = pairSession(device, [
      { method: 'SetParameterValues', parameterList: [{ name: 'Device.DeviceInfo.ProvisioningCode', value: 'A.B', type: 'xsd:string' }], parameterKey: 'pk' },
      { method: 'GetParameterValues', parameterNames: ['Device.DeviceInfo.ProvisioningCode', 'Device.ManagementServer.ParameterKey'] },
    ]);
    const gpv = r.completions[1]!.outcome;
    expect(gpv.ok && gpv.response.method === 'GetParameterValuesResponse' && gpv.response.parameterList.map((p) => p.value)).toEqual(['A.B', 'pk']);
    expect(device.get('Device.DeviceInfo.ProvisioningCode')?.value).toBe('A.B');
  });

  it('delivers a TransferComplete before the ACS turn', () => {
    const device = createDevice(template, { serialNumber: 'SN1' });
    const tc: TransferComplete = { method: 'TransferComplete', commandKey: 'dl', faultStruct: { faultCode: 9010, faultString: 'Download failure' }, startTime: '2026-01-01T00:00:00Z', completeTime: '2026-01-01T00:00:01Z' };
    const r = pairSession(device, [{ method: 'GetRPCMethods' }], { own: [tc] });
    expect(r.cpeRequestsSeen).toEqual(['TransferComplete']);
  });

  it('with HoldRequests, the ACS goes first and the CPE delivers after the ACS finishes', () => {
    const device = createDevice(template, { serialNumber: 'SN1' });
    const tc: TransferComplete = { method: 'TransferComplete', commandKey: 'dl', faultStruct: { faultCode: 0, faultString: '' }, startTime: '', completeTime: '' };
    const r = pairSession(device, [{ method: 'GetRPCMethods' }, { method: 'GetQueuedTransfers' }], { own: [tc], hold: true });
    expect(r.completions.map((c) => c.request.method)).toEqual(['GetRPCMethods', 'GetQueuedTransfers']);
    expect(r.cpeRequestsSeen).toEqual(['TransferComplete']);
  });

  it('runs a full discovery (GetParameterNames of the root, then values) of the shipped model', () => {
    const device = createDevice(template, { serialNumber: 'SN1' });
    const r = pairSession(device, [
      { method: 'GetParameterNames', parameterPath: 'Device.', nextLevel: false },
      { method: 'GetParameterValues', parameterNames: ['Device.'] },
    ]);
    const gpn = r.completions[0]!.outcome;
    const gpv = r.completions[1]!.outcome;
    expect(gpn.ok && gpn.response.method === 'GetParameterNamesResponse' && gpn.response.parameterList.length).toBeGreaterThan(template.parameterCount);
    expect(gpv.ok && gpv.response.method === 'GetParameterValuesResponse' && gpv.response.parameterList.length).toBe(template.parameterCount);
  });
});
