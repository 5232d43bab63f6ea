/**
 * The CPE's answer to each ACS request (TR-069 A.3.2 / A.4.1). Pure: no I/O, no clocks.
 * What has to happen outside the session (reboot, transfers, diagnostics, a scheduled
 * Inform, re-reading ManagementServer) comes back as effects for the client.
 */
import type { AcsRequest } from '../../cwmp/types.js';
import { aliasPresenter, reportsByAlias } from '../model/instance-mode.js';
import type { DeviceOps } from '../model/ops.js';
import type { RpcOutcome } from '../types.js';
import { getParameterAttributes, setParameterAttributes } from './attributes.js';
import { failed, ok } from './faults.js';
import { addObject, deleteObject } from './objects.js';
import { getParameterNames, getParameterValues, setParameterValues } from './params.js';
import { cancelTransfer, download, getAllQueuedTransfers, getQueuedTransfers, scheduleDownload, upload } from './transfers.js';

/** The ACS→CPE methods this CPE implements, as GetRPCMethodsResponse lists them. */
export const CPE_SUPPORTED_METHODS: readonly string[] = [
  'GetRPCMethods',
  'SetParameterValues',
  'GetParameterValues',
  'GetParameterNames',
  'SetParameterAttributes',
  'GetParameterAttributes',
  'AddObject',
  'DeleteObject',
  'Reboot',
  'Download',
  'Upload',
  'FactoryReset',
  'GetQueuedTransfers',
  'GetAllQueuedTransfers',
  'ScheduleInform',
  'ScheduleDownload',
  'CancelTransfer',
];

export function handleRequest(ops: DeviceOps, req: AcsRequest): RpcOutcome {
  const outcome = answer(ops, req);
  return reportsByAlias(ops) ? byAlias(ops, outcome) : outcome;
}

/** InstanceMode InstanceAlias (TR-069 3.6.1): the names in read answers carry aliases. */
function byAlias(ops: DeviceOps, outcome: RpcOutcome): RpcOutcome {
  const r = outcome.response;
  switch (r.method) {
    case 'GetParameterNamesResponse':
    case 'GetParameterValuesResponse':
    case 'GetParameterAttributesResponse': {
      const show = aliasPresenter(ops);
      const parameterList = r.parameterList.map((p) => ({ ...p, name: show(p.name) }));
      return { ...outcome, response: { ...r, parameterList } as typeof r };
    }
    default:
      return outcome;
  }
}

function answer(ops: DeviceOps, req: AcsRequest): RpcOutcome {
  switch (req.method) {
    case 'GetRPCMethods':
      return ok({ method: 'GetRPCMethodsResponse', methodList: [...CPE_SUPPORTED_METHODS] });
    case 'GetParameterNames':
      return getParameterNames(ops, req);
    case 'GetParameterValues':
      return getParameterValues(ops, req);
    case 'SetParameterValues':
      return setParameterValues(ops, req);
    case 'GetParameterAttributes':
      return getParameterAttributes(ops, req);
    case 'SetParameterAttributes':
      return setParameterAttributes(ops, req);
    case 'AddObject':
      return addObject(ops, req);
    case 'DeleteObject':
      return deleteObject(ops, req);
    case 'Reboot':
      return ok({ method: 'RebootResponse' }, [{ kind: 'reboot', commandKey: req.commandKey }]);
    case 'FactoryReset':
      // The client resets the model (CpeDataModel.reset) after the session, then bootstraps.
      return ok({ method: 'FactoryResetResponse' }, [{ kind: 'factoryReset' }]);
    case 'ScheduleInform':
      if (!Number.isInteger(req.delaySeconds) || req.delaySeconds <= 0) return failed(9003);
      return ok({ method: 'ScheduleInformResponse' }, [
        { kind: 'scheduleInform', commandKey: req.commandKey, delaySeconds: req.delaySeconds },
      ]);
    case 'Download':
      return download(ops, req);
    case 'Upload':
      return upload(ops, req);
    case 'ScheduleDownload':
      return scheduleDownload(ops, req);
    case 'CancelTransfer':
      return cancelTransfer(ops, req);
    case 'GetQueuedTransfers':
      return getQueuedTransfers(ops);
    case 'GetAllQueuedTransfers':
      return getAllQueuedTransfers(ops);
    case 'SetVouchers':
    case 'GetOptions':
    case 'ChangeDUState':
      return failed(9000);
    default: {
      const never: never = req;
      void never;
      return failed(9000);
    }
  }
}
