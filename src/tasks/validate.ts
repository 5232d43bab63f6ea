/**
 * From a task body that passed its JSON Schema (schema.ts) to the stored, normalised Task:
 * what a schema cannot say is checked here (xsd types and values, path shapes), and every
 * default is filled in, so a stored task is exactly what the CPE will be sent.
 *
 * Types of setParameterValues / addObject values: the caller's `xsdType`, else the type the
 * store holds for that parameter on the device (for addObject, for the same parameter of
 * another instance), else xsd:string. A value that is not a legal lexical form of its type
 * is refused here (400) rather than faulted by the CPE later (9006/9007).
 */
import { randomBytes } from 'node:crypto';
import type { DuOperation, Notification, TimeWindow } from '../cwmp/types.js';
import { XSD_TYPES, checkValue } from '../datamodel/values.js';
import type { CatalogueSet } from '../datamodel/bbf.js';
import { checkSetParameter, type DeviceParamView } from '../datamodel/check.js';
import type { DiagnosticCommon, DiagnosticTask, DiagnosticType, ParameterAttributeChange, ParameterValueTuple, Task, TaskType } from './types.js';
import { isSecretPath } from '../secrets/rules.js';

/** What validation may know of the device: stored parameter types by path. */
export interface TaskContext {
  typeOf(path: string): string | null;
  /** The device's stored row of an exact path (its writability and current value), if known. */
  rowOf?(path: string): DeviceParamView | undefined;
  /**
   * The BBF catalogues: with them, every value written is also checked against the standard
   * (existence, type, range, length, enumeration, writability: datamodel/check.ts), and a
   * standard parameter the device never typed is sent with the standard's type.
   */
  catalogues?: CatalogueSet;
}

export const NO_CONTEXT: TaskContext = { typeOf: () => null };

/** A context over stored rows (e.g. a device's subtree or a query projection). */
export function contextOf(rows: readonly { path: string; type: string | null }[]): TaskContext {
  const types = new Map<string, string>();
  for (const r of rows) if (r.type !== null && r.type !== '') types.set(r.path, r.type);
  return { typeOf: (path) => types.get(path) ?? null };
}

export class TaskValidationError extends Error {}

type Body = Record<string, unknown> & { type: TaskType };

/** Stored paths a body's types may be inferred from (the NBI fetches these before `normalizeTask`). */
export function pathsToType(body: Body): string[] {
  if (body.type === 'setParameterValues') return (body.parameterValues as unknown[][]).map((t) => t[0]).filter((p): p is string => typeof p === 'string');
  if (body.type === 'addObject') return [String(body.objectName)];
  return [];
}

export function generateCommandKey(): string {
  return `flotilla-${randomBytes(4).toString('hex')}`;
}

const str = (v: unknown, fallback = ''): string => (typeof v === 'string' ? v : fallback);
const num = (v: unknown, fallback = 0): number => (typeof v === 'number' ? v : fallback);

function checkPath(path: string, where: string): void {
  if (path.includes('..')) throw new TaskValidationError(`${where}: "${path}" is not a parameter path (empty segment)`);
}

function fullType(t: string, where: string): string {
  const full = t.startsWith('xsd:') ? t : `xsd:${t}`;
  if (!(XSD_TYPES as readonly string[]).includes(full)) {
    throw new TaskValidationError(`${where}: unknown type "${t}" (one of ${XSD_TYPES.join(', ')})`);
  }
  return full;
}

function storedType(t: string | null): string {
  if (t === null || t === '') return 'xsd:string';
  const full = t.startsWith('xsd:') ? t : `xsd:${t}`;
  return (XSD_TYPES as readonly string[]).includes(full) ? full : 'xsd:string';
}

/** [path, value, xsdType?]: the schema says "2 or 3 scalars"; the positions are checked here. */
function tupleName(raw: unknown[], where: string): string {
  const name = raw[0];
  if (typeof name !== 'string' || !/^[^\s.][^\s]*$/.test(name) || name.length > 256) {
    throw new TaskValidationError(`${where}: the first item must be a parameter path`);
  }
  if (raw[2] !== undefined && typeof raw[2] !== 'string') throw new TaskValidationError(`${where}: the third item must be an xsd type`);
  checkPath(name, where);
  if (name.endsWith('.')) throw new TaskValidationError(`${where}: ${name} is an object, not a parameter`);
  return name;
}

/**
 * @param name what is sent (a relative name under addObject's new instance)
 * @param full the path it stands for, for the catalogue ("O.{i}.rel" under addObject)
 */
function tuple(raw: unknown[], name: string, full: string, ctx: TaskContext, where: string): ParameterValueTuple {
  const value = raw[1];
  const text = typeof value === 'string' ? value : typeof value === 'number' || typeof value === 'boolean' ? String(value) : '';
  const inferred = ctx.typeOf(full) ?? ctx.catalogues?.parameter(full)?.type ?? null;
  const type = typeof raw[2] === 'string' ? fullType(raw[2], where) : storedType(inferred);
  const secret = isSecretPath(full);
  const check = checkValue(type, text);
  if (check !== 0) throw new TaskValidationError(`${where}: ${secret ? 'the value' : `"${text}"`} is not a valid ${type} value for ${name}`);
  if (ctx.catalogues !== undefined) {
    const reason = checkSetParameter(ctx.catalogues, { path: full, value: text, device: ctx.rowOf?.(full), secret });
    if (reason !== null) throw new TaskValidationError(`${where}: ${reason}`);
  }
  return [name, text, type];
}

export function normalizeTask(body: Body, ctx: TaskContext = NO_CONTEXT): Task {
  switch (body.type) {
    case 'getParameterValues':
    case 'getParameterAttributes': {
      const names = (body.parameterNames as string[]).map((n, i) => {
        checkPath(n, `parameterNames[${i}]`);
        return n;
      });
      return { type: body.type, parameterNames: names };
    }
    case 'getParameterNames': {
      const path = str(body.parameterPath);
      if (path !== '') checkPath(path, 'parameterPath');
      return { type: 'getParameterNames', parameterPath: path, nextLevel: body.nextLevel === true };
    }
    case 'setParameterValues': {
      const seen = new Set<string>();
      const list = (body.parameterValues as unknown[][]).map((raw, i) => {
        const where = `parameterValues[${i}]`;
        const name = tupleName(raw, where);
        if (seen.has(name)) throw new TaskValidationError(`${where}: ${name} is set twice`);
        seen.add(name);
        return tuple(raw, name, name, ctx, where);
      });
      return { type: 'setParameterValues', parameterValues: list, parameterKey: str(body.parameterKey) };
    }
    case 'setParameterAttributes': {
      const list = (body.parameterAttributes as Record<string, unknown>[]).map((a, i): ParameterAttributeChange => {
        const name = str(a.name);
        checkPath(name, `parameterAttributes[${i}]`);
        if (a.notification === undefined && a.accessList === undefined) {
          throw new TaskValidationError(`parameterAttributes[${i}]: give notification, accessList or both`);
        }
        return {
          name,
          ...(a.notification !== undefined ? { notification: a.notification as Notification } : {}),
          ...(a.accessList !== undefined ? { accessList: [...(a.accessList as string[])] } : {}),
        };
      });
      return { type: 'setParameterAttributes', parameterAttributes: list };
    }
    case 'addObject': {
      const object = str(body.objectName);
      checkPath(object, 'objectName');
      const values = ((body.parameterValues as unknown[][] | undefined) ?? []).map((raw, i) => {
        const where = `parameterValues[${i}]`;
        const rel = tupleName(raw, where);
        // "O.[alias]." (CWMP 1.4) adds an instance of O named alias.
        return tuple(raw, rel, `${object.replace(/\[[^\]]+\]\.$/, '')}{i}.${rel}`, ctx, where);
      });
      return { type: 'addObject', objectName: object, parameterValues: values, parameterKey: str(body.parameterKey) };
    }
    case 'deleteObject': {
      const object = str(body.objectName);
      checkPath(object, 'objectName');
      return { type: 'deleteObject', objectName: object, parameterKey: str(body.parameterKey) };
    }
    case 'reboot':
      return { type: 'reboot', commandKey: str(body.commandKey, generateCommandKey()) };
    case 'factoryReset':
    case 'getRPCMethods':
    case 'getQueuedTransfers':
    case 'getAllQueuedTransfers':
      return { type: body.type };
    case 'download':
      return {
        type: 'download',
        // A repository file: the task service fills in the URL, size and names (src/services/files.ts).
        ...(typeof body.fileId === 'string' ? { fileId: body.fileId } : {}),
        commandKey: str(body.commandKey, generateCommandKey()),
        fileType: str(body.fileType),
        url: str(body.url),
        username: str(body.username),
        password: str(body.password),
        fileSize: num(body.fileSize),
        targetFileName: str(body.targetFileName),
        delaySeconds: num(body.delaySeconds),
        successURL: str(body.successURL),
        failureURL: str(body.failureURL),
      };
    case 'upload':
      return {
        type: 'upload',
        commandKey: str(body.commandKey, generateCommandKey()),
        fileType: str(body.fileType),
        url: str(body.url),
        username: str(body.username),
        password: str(body.password),
        delaySeconds: num(body.delaySeconds),
      };
    case 'scheduleInform':
      return { type: 'scheduleInform', delaySeconds: num(body.delaySeconds, 1), commandKey: str(body.commandKey, generateCommandKey()) };
    case 'refresh': {
      const path = str(body.objectName);
      checkPath(path, 'objectName');
      return { type: 'refresh', objectName: path };
    }
    case 'scheduleDownload': {
      const windows = (body.timeWindows as Record<string, unknown>[]).map(
        (w): TimeWindow => ({
          windowStart: num(w.windowStart),
          windowEnd: num(w.windowEnd),
          windowMode: str(w.windowMode),
          userMessage: str(w.userMessage),
          maxRetries: num(w.maxRetries, -1),
        }),
      );
      windows.forEach((w, i) => {
        if (w.windowEnd < w.windowStart) throw new TaskValidationError(`timeWindows[${i}]: windowEnd is before windowStart`);
      });
      return {
        type: 'scheduleDownload',
        commandKey: str(body.commandKey, generateCommandKey()),
        fileType: str(body.fileType),
        url: str(body.url),
        username: str(body.username),
        password: str(body.password),
        fileSize: num(body.fileSize),
        targetFileName: str(body.targetFileName),
        timeWindows: windows,
      };
    }
    case 'cancelTransfer':
      return { type: 'cancelTransfer', commandKey: str(body.commandKey) };
    case 'changeDUState': {
      const ops = (body.operations as Record<string, unknown>[]).map((o, i): DuOperation => {
        switch (o.op) {
          case 'Install':
            if (str(o.url) === '') throw new TaskValidationError(`operations[${i}]: Install needs a url`);
            return { op: 'Install', url: str(o.url), uuid: str(o.uuid), username: str(o.username), password: str(o.password), executionEnvRef: str(o.executionEnvRef) };
          case 'Update':
            return { op: 'Update', uuid: str(o.uuid), version: str(o.version), url: str(o.url), username: str(o.username), password: str(o.password) };
          default:
            return { op: 'Uninstall', uuid: str(o.uuid), version: str(o.version), executionEnvRef: str(o.executionEnvRef) };
        }
      });
      return { type: 'changeDUState', operations: ops, commandKey: str(body.commandKey, generateCommandKey()) };
    }
    case 'setVouchers':
      return { type: 'setVouchers', voucherList: [...(body.voucherList as string[])] };
    case 'getOptions':
      return { type: 'getOptions', optionName: str(body.optionName) };
    case 'ipPing':
    case 'traceRoute':
    case 'downloadDiagnostics':
    case 'uploadDiagnostics':
    case 'udpEcho':
    case 'nsLookup':
    case 'serverSelection':
    case 'ipLayerCapacity':
      return normalizeDiagnostic(body as Record<string, unknown> & { type: DiagnosticType });
    default: {
      const never: never = body.type;
      throw new TaskValidationError(`unknown task type ${String(never)}`);
    }
  }
}

/**
 * A context from stored rows that also answers "O.{i}.rel": the type of rel under any
 * instance of O the device has.
 */
export function deviceContext(
  rows: readonly { path: string; type: string | null; writable?: boolean | null; value?: string | null }[],
  catalogues?: CatalogueSet,
): TaskContext {
  const exact = contextOf(rows);
  const byPath = new Map(rows.map((r) => [r.path, r]));
  const generic = new Map<string, string>();
  for (const r of rows) {
    if (r.type === null || r.type === '') continue;
    // Every "O.<n>.rel" split: the instance may be at any depth.
    const parts = r.path.split('.');
    for (let i = 1; i < parts.length - 1; i++) {
      if (!/^\d+$/.test(parts[i]!)) continue;
      const key = `${parts.slice(0, i).join('.')}.{i}.${parts.slice(i + 1).join('.')}`;
      if (!generic.has(key)) generic.set(key, r.type);
    }
  }
  return {
    // An alias or wildcard instance (CWMP 1.4, "O.[web].rel") types like any instance of O.
    typeOf: (path) => exact.typeOf(path) ?? generic.get(path) ?? generic.get(path.replace(/\.(\[[^\]]*\]|\*)(?=\.)/g, '.{i}')) ?? null,
    rowOf: (path) => {
      const r = byPath.get(path);
      return r === undefined ? undefined : { type: r.type, writable: r.writable ?? null, value: r.value ?? null };
    },
    ...(catalogues !== undefined ? { catalogues } : {}),
  };
}

/** Secrets a task carries (file-server and DU passwords), hidden when a task is shown. */
export function redactTask(task: Task): Task {
  switch (task.type) {
    case 'download':
    case 'upload':
    case 'scheduleDownload':
      return task.password === '' ? task : { ...task, password: '***' };
    case 'changeDUState':
      return {
        ...task,
        operations: task.operations.map((o) => ('password' in o && o.password !== '' ? { ...o, password: '***' } : o)),
      };
    case 'setParameterValues':
      return { ...task, parameterValues: task.parameterValues.map((t) => (isSecretPath(t[0]) ? [t[0], '***', t[2]] : t)) };
    case 'addObject':
      return { ...task, parameterValues: task.parameterValues.map((t) => (isSecretPath(t[0]) ? [t[0], '***', t[2]] : t)) };
    default:
      return task;
  }
}

/** Parameters that hold secrets: the one list (src/secrets/rules.ts). */
export { isSecretPath };

/** Only the inputs the caller gave: a diagnostic left without one keeps the CPE's own value. */
function normalizeDiagnostic(body: Record<string, unknown> & { type: DiagnosticType }): DiagnosticTask {
  const opt = (key: string): { [k: string]: number } => (typeof body[key] === 'number' ? { [key]: body[key] } : {});
  const common: DiagnosticCommon = {
    ...opt('timeout'),
    ...opt('dscp'),
    ...(typeof body.interface === 'string' ? { interface: body.interface } : {}),
  };
  const host = str(body.host, str(body.hostName));
  const url = str(body.url);
  switch (body.type) {
    case 'ipPing':
      return { type: 'ipPing', host, count: num(body.count, 4), ...opt('dataBlockSize'), ...common };
    case 'traceRoute':
      return { type: 'traceRoute', host, ...opt('tries'), ...opt('dataBlockSize'), ...opt('maxHopCount'), ...common };
    case 'downloadDiagnostics':
      return { type: 'downloadDiagnostics', url, ...opt('ethernetPriority'), ...opt('connections'), ...opt('testDuration'), ...common };
    case 'uploadDiagnostics':
      return {
        type: 'uploadDiagnostics',
        url,
        size: num(body.size, 1024 * 1024),
        ...opt('ethernetPriority'),
        ...opt('connections'),
        ...opt('testDuration'),
        ...common,
      };
    case 'udpEcho':
      return { type: 'udpEcho', host, port: num(body.port), count: num(body.count, 4), ...opt('dataBlockSize'), ...opt('interTransmissionTime'), ...common };
    case 'nsLookup':
      if (host === '') throw new TaskValidationError('nsLookup needs host (or hostName)');
      if (body.host !== undefined && body.hostName !== undefined) throw new TaskValidationError('nsLookup: give host or hostName, not both');
      return { type: 'nsLookup', host, ...(typeof body.dnsServer === 'string' ? { dnsServer: body.dnsServer } : {}), ...opt('count'), ...common };
    case 'serverSelection':
      return {
        type: 'serverSelection',
        hosts: [...(body.hosts as string[])],
        protocol: body.protocol === 'UDP Echo' ? 'UDP Echo' : 'ICMP',
        ...opt('count'),
        ...common,
      };
    case 'ipLayerCapacity':
      return {
        type: 'ipLayerCapacity',
        host,
        ...opt('port'),
        ...(body.role === 'Sender' || body.role === 'Receiver' ? { role: body.role } : {}),
        ...opt('testDuration'),
        ...common,
      };
    default: {
      const never: never = body.type;
      throw new TaskValidationError(`unknown diagnostic ${String(never)}`);
    }
  }
}
