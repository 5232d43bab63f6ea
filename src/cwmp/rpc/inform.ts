/**
 * Session-opening and generic RPCs: Inform (TR-069 A.3.3.1), GetRPCMethods (A.3.1.1, both
 * directions) and Kicked (A.4.2.1).
 */
import type { EventStruct } from '../types.js';
import type { XmlElement } from '../xml.js';
import {
  arr,
  buildParameterValues,
  child,
  emptyCodec,
  int,
  invalid,
  items,
  n,
  raw,
  readParameterValues,
  str,
  stringArr,
  strings,
  t,
  type CodecTable,
} from './shared.js';

function readEvents(el: XmlElement): EventStruct[] {
  // EventCode is an enumeration (trimmed); CommandKey is echoed back verbatim.
  return items(el, 'Event').map((e) => ({ eventCode: str(e, 'EventCode'), commandKey: raw(e, 'CommandKey') }));
}

export const informCodecs: CodecTable<
  'Inform' | 'InformResponse' | 'GetRPCMethods' | 'GetRPCMethodsResponse' | 'Kicked' | 'KickedResponse'
> = {
  Inform: {
    parse(el) {
      // Without DeviceId the ACS cannot tell who is talking: structurally broken (A.3.3.1).
      const dev = child(el, 'DeviceId') ?? invalid('Inform without DeviceId');
      return {
        method: 'Inform',
        deviceId: {
          manufacturer: str(dev, 'Manufacturer'),
          oui: str(dev, 'OUI'),
          productClass: str(dev, 'ProductClass'),
          serialNumber: str(dev, 'SerialNumber'),
        },
        event: readEvents(el),
        maxEnvelopes: int(el, 'MaxEnvelopes'),
        currentTime: str(el, 'CurrentTime'),
        retryCount: int(el, 'RetryCount'),
        parameterList: readParameterValues(el, 'ParameterList'),
      };
    },
    build(b, ctx) {
      const d = b.deviceId;
      let ev = '';
      for (const e of b.event) ev += '<EventStruct>' + t('EventCode', e.eventCode) + t('CommandKey', e.commandKey) + '</EventStruct>';
      return (
        '<DeviceId>' +
        t('Manufacturer', d.manufacturer) +
        t('OUI', d.oui) +
        t('ProductClass', d.productClass) +
        t('SerialNumber', d.serialNumber) +
        '</DeviceId>' +
        arr(ctx, 'Event', ctx.cwmp + ':EventStruct', b.event.length, ev) +
        n('MaxEnvelopes', b.maxEnvelopes) +
        t('CurrentTime', b.currentTime) +
        n('RetryCount', b.retryCount) +
        buildParameterValues(ctx, 'ParameterList', b.parameterList)
      );
    },
  },
  InformResponse: {
    parse: (el) => ({ method: 'InformResponse', maxEnvelopes: int(el, 'MaxEnvelopes', 1) }),
    build: (b) => n('MaxEnvelopes', b.maxEnvelopes),
  },
  GetRPCMethods: emptyCodec('GetRPCMethods'),
  GetRPCMethodsResponse: {
    parse: (el) => ({ method: 'GetRPCMethodsResponse', methodList: strings(el, 'MethodList') }),
    build: (b, ctx) => stringArr(ctx, 'MethodList', b.methodList),
  },
  Kicked: {
    // Command and the URLs are trimmed; Arg is opaque to us and kept as sent.
    parse: (el) => ({
      method: 'Kicked',
      command: str(el, 'Command'),
      referer: str(el, 'Referer'),
      arg: raw(el, 'Arg'),
      next: str(el, 'Next'),
    }),
    build: (b) => t('Command', b.command) + t('Referer', b.referer) + t('Arg', b.arg) + t('Next', b.next),
  },
  KickedResponse: {
    parse: (el) => ({ method: 'KickedResponse', nextURL: str(el, 'NextURL') }),
    build: (b) => t('NextURL', b.nextURL),
  },
};
