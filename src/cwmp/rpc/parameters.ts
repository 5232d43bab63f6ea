/**
 * Parameter RPCs the ACS calls on the CPE: SetParameterValues (TR-069 A.3.2.1),
 * GetParameterValues (A.3.2.2), GetParameterNames (A.3.2.3), SetParameterAttributes (A.3.2.4)
 * and GetParameterAttributes (A.3.2.5), with their responses.
 */
import type { Notification, ParameterAttribute, ParameterInfo, SetParameterAttribute } from '../types.js';
import type { XmlElement } from '../xml.js';
import {
  arr,
  b,
  bool,
  buildParameterValues,
  emptyCodec,
  int,
  items,
  name,
  raw,
  readParameterValues,
  status,
  str,
  stringArr,
  strings,
  t,
  n,
  type BuildCtx,
  type CodecTable,
} from './shared.js';

/** Notification 0–6 (A.3.2.4; 3–6 are the CWMP 1.4 lightweight variants); out of range → 0. */
function notification(el: XmlElement): Notification {
  const v = int(el, 'Notification');
  return (v >= 0 && v <= 6 ? v : 0) as Notification;
}

function readAttribute(s: XmlElement): ParameterAttribute {
  return { name: name(s), notification: notification(s), accessList: strings(s, 'AccessList') };
}

function readSetAttribute(s: XmlElement): SetParameterAttribute {
  return {
    name: name(s),
    notificationChange: bool(s, 'NotificationChange'),
    notification: notification(s),
    accessListChange: bool(s, 'AccessListChange'),
    accessList: strings(s, 'AccessList'),
  };
}

/** One <ParameterInfoStruct> of a GetParameterNamesResponse. */
export function parameterInfoStruct(ctx: BuildCtx, p: ParameterInfo): string {
  return '<ParameterInfoStruct>' + t('Name', p.name) + b(ctx, 'Writable', p.writable) + '</ParameterInfoStruct>';
}

function buildAttribute(ctx: BuildCtx, a: ParameterAttribute): string {
  return '<ParameterAttributeStruct>' + t('Name', a.name) + n('Notification', a.notification) + stringArr(ctx, 'AccessList', a.accessList) + '</ParameterAttributeStruct>';
}

function buildSetAttribute(ctx: BuildCtx, a: SetParameterAttribute): string {
  return (
    '<SetParameterAttributesStruct>' +
    t('Name', a.name) +
    b(ctx, 'NotificationChange', a.notificationChange) +
    n('Notification', a.notification) +
    b(ctx, 'AccessListChange', a.accessListChange) +
    stringArr(ctx, 'AccessList', a.accessList) +
    '</SetParameterAttributesStruct>'
  );
}

export const parameterCodecs: CodecTable<
  | 'SetParameterValues'
  | 'SetParameterValuesResponse'
  | 'GetParameterValues'
  | 'GetParameterValuesResponse'
  | 'GetParameterNames'
  | 'GetParameterNamesResponse'
  | 'SetParameterAttributes'
  | 'SetParameterAttributesResponse'
  | 'GetParameterAttributes'
  | 'GetParameterAttributesResponse'
> = {
  SetParameterValues: {
    // ParameterKey is echoed into ManagementServer.ParameterKey verbatim.
    parse: (el) => ({ method: 'SetParameterValues', parameterList: readParameterValues(el, 'ParameterList'), parameterKey: raw(el, 'ParameterKey') }),
    build: (m, ctx) => buildParameterValues(ctx, 'ParameterList', m.parameterList) + t('ParameterKey', m.parameterKey),
  },
  SetParameterValuesResponse: {
    parse: (el) => ({ method: 'SetParameterValuesResponse', status: status(el) }),
    build: (m) => n('Status', m.status),
  },
  GetParameterValues: {
    parse: (el) => ({ method: 'GetParameterValues', parameterNames: strings(el, 'ParameterNames') }),
    build: (m, ctx) => stringArr(ctx, 'ParameterNames', m.parameterNames),
  },
  GetParameterValuesResponse: {
    parse: (el) => ({ method: 'GetParameterValuesResponse', parameterList: readParameterValues(el, 'ParameterList') }),
    build: (m, ctx) => buildParameterValues(ctx, 'ParameterList', m.parameterList),
  },
  GetParameterNames: {
    // ParameterPath "" means the whole tree; NextLevel arrives as 0/1 or false/true.
    parse: (el) => ({ method: 'GetParameterNames', parameterPath: str(el, 'ParameterPath'), nextLevel: bool(el, 'NextLevel') }),
    build: (m, ctx) => t('ParameterPath', m.parameterPath) + b(ctx, 'NextLevel', m.nextLevel),
  },
  GetParameterNamesResponse: {
    parse: (el) => ({
      method: 'GetParameterNamesResponse',
      parameterList: items(el, 'ParameterList').map((s) => ({ name: name(s), writable: bool(s, 'Writable') })),
    }),
    build(m, ctx) {
      let s = '';
      for (const p of m.parameterList) s += parameterInfoStruct(ctx, p);
      return arr(ctx, 'ParameterList', ctx.cwmp + ':ParameterInfoStruct', m.parameterList.length, s);
    },
  },
  SetParameterAttributes: {
    parse: (el) => ({ method: 'SetParameterAttributes', parameterList: items(el, 'ParameterList').map(readSetAttribute) }),
    build(m, ctx) {
      let s = '';
      for (const a of m.parameterList) s += buildSetAttribute(ctx, a);
      return arr(ctx, 'ParameterList', ctx.cwmp + ':SetParameterAttributesStruct', m.parameterList.length, s);
    },
  },
  SetParameterAttributesResponse: emptyCodec('SetParameterAttributesResponse'),
  GetParameterAttributes: {
    parse: (el) => ({ method: 'GetParameterAttributes', parameterNames: strings(el, 'ParameterNames') }),
    build: (m, ctx) => stringArr(ctx, 'ParameterNames', m.parameterNames),
  },
  GetParameterAttributesResponse: {
    parse: (el) => ({ method: 'GetParameterAttributesResponse', parameterList: items(el, 'ParameterList').map(readAttribute) }),
    build(m, ctx) {
      let s = '';
      for (const a of m.parameterList) s += buildAttribute(ctx, a);
      return arr(ctx, 'ParameterList', ctx.cwmp + ':ParameterAttributeStruct', m.parameterList.length, s);
    },
  },
};
