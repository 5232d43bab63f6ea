/**
 * Tasks ↔ RPCs, one to one where that is what a task is. Pure; the planner (planner.ts)
 * decides what is merged or split across several RPCs.
 */
import type { AcsRequest } from '../cwmp/types.js';
import { isDiagnosticTask, type DiagnosticTask, type ParameterValueTuple, type Task } from './types.js';

/** Tasks that are one RPC, always sent as such. */
export type SingleRpcTask = Exclude<Task, { type: 'refresh' } | { type: 'addObject' } | DiagnosticTask>;

/** The RPC a task is sent as (for addObject and refresh: their first RPC). */
export function rpcMethodOf(task: Task): AcsRequest['method'] {
  // A diagnostic starts with the SetParameterValues that requests it (src/session/programs/diagnostics.ts).
  if (isDiagnosticTask(task)) return 'SetParameterValues';
  switch (task.type) {
    case 'refresh':
      return 'GetParameterNames';
    case 'addObject':
      return 'AddObject';
    default:
      return requestFor(task).method;
  }
}

/** CommandKey carried by the task's RPC, for linking `M …` events and TransferComplete. */
export function commandKeyOf(task: Task): string | null {
  return 'commandKey' in task ? task.commandKey : null;
}

export const toParameterValues = (list: readonly ParameterValueTuple[]) =>
  list.map(([name, value, type]) => ({ name, value, type }));

export function requestFor(task: SingleRpcTask): AcsRequest {
  switch (task.type) {
    case 'getParameterValues':
      return { method: 'GetParameterValues', parameterNames: [...task.parameterNames] };
    case 'getParameterNames':
      return { method: 'GetParameterNames', parameterPath: task.parameterPath, nextLevel: task.nextLevel };
    case 'setParameterValues':
      return { method: 'SetParameterValues', parameterList: toParameterValues(task.parameterValues), parameterKey: task.parameterKey };
    case 'getParameterAttributes':
      return { method: 'GetParameterAttributes', parameterNames: [...task.parameterNames] };
    case 'setParameterAttributes':
      return {
        method: 'SetParameterAttributes',
        parameterList: task.parameterAttributes.map((a) => ({
          name: a.name,
          notificationChange: a.notification !== undefined,
          notification: a.notification ?? 0,
          accessListChange: a.accessList !== undefined,
          accessList: a.accessList ?? [],
        })),
      };
    case 'deleteObject':
      return { method: 'DeleteObject', objectName: task.objectName, parameterKey: task.parameterKey };
    case 'reboot':
      return { method: 'Reboot', commandKey: task.commandKey };
    case 'factoryReset':
      return { method: 'FactoryReset' };
    case 'download': {
      const { type: _type, fileId: _file, ...rest } = task;
      return { method: 'Download', ...rest };
    }
    case 'upload': {
      const { type: _type, fileId: _file, ...rest } = task;
      return { method: 'Upload', ...rest };
    }
    case 'scheduleInform':
      return { method: 'ScheduleInform', delaySeconds: task.delaySeconds, commandKey: task.commandKey };
    case 'getRPCMethods':
      return { method: 'GetRPCMethods' };
    case 'getQueuedTransfers':
      return { method: 'GetQueuedTransfers' };
    case 'getAllQueuedTransfers':
      return { method: 'GetAllQueuedTransfers' };
    case 'scheduleDownload': {
      const { type: _type, timeWindows, ...rest } = task;
      return { method: 'ScheduleDownload', ...rest, timeWindowList: timeWindows };
    }
    case 'cancelTransfer':
      return { method: 'CancelTransfer', commandKey: task.commandKey };
    case 'changeDUState':
      return { method: 'ChangeDUState', operations: task.operations, commandKey: task.commandKey };
    case 'setVouchers':
      return { method: 'SetVouchers', voucherList: [...task.voucherList] };
    case 'getOptions':
      return { method: 'GetOptions', optionName: task.optionName };
    default: {
      const never: never = task;
      throw new Error(`not a single-RPC task: ${JSON.stringify(never)}`);
    }
  }
}

/** The task that sends exactly `request` (tests and benchmarks queue single RPCs with it). */
export function taskFromRequest(request: AcsRequest): Task {
  switch (request.method) {
    case 'GetParameterValues':
      return { type: 'getParameterValues', parameterNames: [...request.parameterNames] };
    case 'GetParameterNames':
      return { type: 'getParameterNames', parameterPath: request.parameterPath, nextLevel: request.nextLevel };
    case 'SetParameterValues':
      return {
        type: 'setParameterValues',
        parameterValues: request.parameterList.map((p): ParameterValueTuple => [p.name, p.value, p.type]),
        parameterKey: request.parameterKey,
      };
    case 'GetParameterAttributes':
      return { type: 'getParameterAttributes', parameterNames: [...request.parameterNames] };
    case 'SetParameterAttributes':
      return {
        type: 'setParameterAttributes',
        parameterAttributes: request.parameterList.map((a) => ({
          name: a.name,
          ...(a.notificationChange ? { notification: a.notification } : {}),
          ...(a.accessListChange ? { accessList: [...a.accessList] } : {}),
        })),
      };
    case 'AddObject':
      return { type: 'addObject', objectName: request.objectName, parameterValues: [], parameterKey: request.parameterKey };
    case 'DeleteObject':
      return { type: 'deleteObject', objectName: request.objectName, parameterKey: request.parameterKey };
    case 'Reboot':
      return { type: 'reboot', commandKey: request.commandKey };
    case 'FactoryReset':
      return { type: 'factoryReset' };
    case 'Download': {
      const { method: _m, ...rest } = request;
      return { type: 'download', ...rest };
    }
    case 'Upload': {
      const { method: _m, ...rest } = request;
      return { type: 'upload', ...rest };
    }
    case 'ScheduleInform':
      return { type: 'scheduleInform', delaySeconds: request.delaySeconds, commandKey: request.commandKey };
    case 'GetRPCMethods':
      return { type: 'getRPCMethods' };
    case 'GetQueuedTransfers':
      return { type: 'getQueuedTransfers' };
    case 'GetAllQueuedTransfers':
      return { type: 'getAllQueuedTransfers' };
    case 'ScheduleDownload': {
      const { method: _m, timeWindowList, ...rest } = request;
      return { type: 'scheduleDownload', ...rest, timeWindows: timeWindowList };
    }
    case 'CancelTransfer':
      return { type: 'cancelTransfer', commandKey: request.commandKey };
    case 'ChangeDUState':
      return { type: 'changeDUState', operations: request.operations, commandKey: request.commandKey };
    case 'SetVouchers':
      return { type: 'setVouchers', voucherList: [...request.voucherList] };
    case 'GetOptions':
      return { type: 'getOptions', optionName: request.optionName };
    default: {
      const never: never = request;
      throw new Error(`unknown request ${JSON.stringify(never)}`);
    }
  }
}
