import { describe, expect, it } from 'vitest';
import { AcsSession, canStep } from '../../src/cwmp/acs-session.js';
import type { Envelope, Inform } from '../../src/cwmp/types.js';

const NS = 'urn:dslforum-org:cwmp-1-2' as const;

function inform(events: string[] = ['2 PERIODIC']): Envelope<Inform> {
  return {
    namespace: NS,
    header: { id: 'inf-1' },
    body: {
      method: 'Inform',
      deviceId: { manufacturer: 'Acme', oui: 'A1B2C3', productClass: 'Box', serialNumber: 'SN1' },
      event: events.map((eventCode) => ({ eventCode, commandKey: '' })),
      maxEnvelopes: 1,
      currentTime: '2026-11-21T10:00:00Z',
      retryCount: 0,
      parameterList: [],
    },
  };
}

function msg(body: Envelope['body'], id = 'x'): Envelope {
  return { namespace: NS, header: { id }, body };
}

describe('AcsSession (pure state machine)', () => {
  it('runs Inform → InformResponse → CPE request → empty POST → ACS request → response → end', () => {
    const s = new AcsSession({ idPrefix: 't' });
    const r1 = s.receive(inform());
    expect(r1.kind).toBe('inform');
    expect(s.state).toBe('informReceived');
    const ir = s.acceptInform();
    expect(ir.body).toEqual({ method: 'InformResponse', maxEnvelopes: 1 });
    expect(ir.header.id).toBe('inf-1');
    expect(ir.namespace).toBe(NS);
    const tc = s.receive(
      msg({ method: 'TransferComplete', commandKey: 'dl1', faultStruct: { faultCode: 0, faultString: '' }, startTime: '', completeTime: '' }, 'tc'),
    );
    expect(tc.kind).toBe('cpeRequest');
    if (tc.kind === 'cpeRequest') {
      expect(tc.reply.body.method).toBe('TransferCompleteResponse');
      expect(tc.reply.header.id).toBe('tc');
    }
    expect(s.receive(null)).toEqual({ kind: 'acsTurn', completed: null });
    const req = s.sendRequest({ method: 'GetParameterValues', parameterNames: ['Device.DeviceInfo.'] }, 'q1');
    expect(req.header.id).toBe('t-1');
    expect(s.state).toBe('awaitingResponse');
    const done = s.receive(msg({ method: 'GetParameterValuesResponse', parameterList: [{ name: 'Device.DeviceInfo.UpTime', value: '5', type: 'xsd:unsignedInt' }] }, 't-1'));
    expect(done.kind).toBe('acsTurn');
    if (done.kind === 'acsTurn') {
      expect(done.completed?.tag).toBe('q1');
      expect(done.completed?.outcome.ok).toBe(true);
    }
    expect(s.finish()).toBe('ended');
  });

  it('records a CPE fault as the outcome of the pending request and carries on', () => {
    const s = new AcsSession();
    s.receive(inform());
    s.acceptInform();
    s.receive(null);
    s.sendRequest({ method: 'SetParameterValues', parameterList: [{ name: 'Device.X', value: 'a', type: 'xsd:int' }], parameterKey: 'k' }, 'q');
    const r = s.receive(
      msg({
        method: 'Fault',
        faultcode: 'Client',
        faultstring: 'CWMP fault',
        detail: { faultCode: 9003, faultString: 'Invalid arguments', setParameterValuesFault: [{ parameterName: 'Device.X', faultCode: 9006, faultString: 'Invalid parameter type' }] },
      }),
    );
    expect(r.kind).toBe('acsTurn');
    if (r.kind === 'acsTurn' && r.completed && !r.completed.outcome.ok) {
      expect(r.completed.outcome.fault.faultCode).toBe(9003);
      expect(r.completed.outcome.fault.setParameterValuesFault[0]?.faultCode).toBe(9006);
    } else {
      throw new Error('expected a fault outcome');
    }
    expect(s.state).toBe('acsTurn');
  });

  it('refuses anything but Inform first, and a wrong response type, without changing state', () => {
    const s = new AcsSession();
    const r = s.receive(msg({ method: 'GetRPCMethods' }));
    expect(r.kind).toBe('rejected');
    expect(s.state).toBe('awaitingInform');
    s.receive(inform());
    s.acceptInform();
    s.receive(null);
    s.sendRequest({ method: 'Reboot', commandKey: 'r' });
    const wrong = s.receive(msg({ method: 'FactoryResetResponse' }));
    expect(wrong.kind).toBe('rejected');
    if (wrong.kind === 'rejected') expect(wrong.reply?.body.detail.faultCode).toBe(8003);
    expect(s.state).toBe('awaitingResponse');
  });

  it('answers an unknown CPE method with fault 8000 and keeps the session', () => {
    const s = new AcsSession();
    s.receive(inform());
    s.acceptInform();
    const r = s.receive(msg({ method: 'Unknown', name: 'X_Vendor_Hello', namespaceUri: NS }));
    expect(r.kind).toBe('unsupported');
    if (r.kind === 'unsupported') expect(r.reply.body.detail.faultCode).toBe(8000);
    expect(s.state).toBe('cpeRequests');
  });

  it('holds CPE requests when asked, and releases them at the end', () => {
    const s = new AcsSession();
    s.receive(inform(['7 TRANSFER COMPLETE']));
    const ir = s.acceptInform({ holdRequests: true });
    expect(ir.header.holdRequests).toBe(true);
    // A CPE that ignores the hold is answered, not faulted (one client loses the request).
    const early = s.receive(msg({ method: 'GetRPCMethods' }));
    expect(early.kind).toBe('cpeRequest');
    s.receive(null);
    const req = s.sendRequest({ method: 'GetRPCMethods' });
    expect(req.header.holdRequests).toBe(true);
    s.receive(msg({ method: 'GetRPCMethodsResponse', methodList: ['Inform'] }));
    expect(s.finish()).toBe('released');
    const late = s.receive(msg({ method: 'GetRPCMethods' }, 'late'));
    expect(late.kind).toBe('cpeRequest');
    expect(s.receive(null)).toEqual({ kind: 'ended' });
    expect(s.state).toBe('ended');
  });

  it('turns an empty POST in place of a response into a fault outcome', () => {
    const s = new AcsSession();
    s.receive(inform());
    s.acceptInform();
    s.receive(null);
    s.sendRequest({ method: 'GetRPCMethods' }, 'q');
    const r = s.receive(null);
    expect(r.kind === 'acsTurn' && r.completed?.outcome.ok === false).toBe(true);
  });

  it('answers CWMP 1.4 version negotiation with UseCWMPVersion', () => {
    const s = new AcsSession();
    const env = inform();
    env.header.supportedCwmpVersions = '1.0,1.1,1.2,1.3,1.4';
    s.receive(env);
    expect(s.acceptInform().header.useCwmpVersion).toBe('1.4');
  });

  it('rejecting an Inform ends the session with the given fault', () => {
    const s = new AcsSession();
    s.receive(inform());
    const f = s.rejectInform(8005);
    expect(f.body.detail.faultCode).toBe(8005);
    expect(s.state).toBe('ended');
    expect(canStep('ended', 'inform')).toBe(false);
    expect(() => s.sendRequest({ method: 'GetRPCMethods' })).toThrow(/not allowed/);
  });
});
