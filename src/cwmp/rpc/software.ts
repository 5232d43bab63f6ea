/**
 * Software module management: ChangeDUState (TR-069 A.4.1.10), DUStateChangeComplete
 * (A.4.2.3) and AutonomousDUStateChangeComplete (A.4.2.4).
 *
 * Unlike the other lists these are not SOAP arrays in cwmp-1-2.xsd: `Operations` and
 * `Results` repeat directly under the method element, and each Operations element says
 * which OperationStruct it is with xsi:type (InstallOpStruct, UpdateOpStruct,
 * UninstallOpStruct). Some implementations wrap them SOAP-array style instead
 * (`<Operations arrayType=…><InstallOpStruct>…`); both are read, the schema form is written.
 */
import type { AutonDuOpResult, DuOperation, DuOpResult } from '../types.js';
import type { XmlElement } from '../xml.js';
import { b, bool, buildFaultStruct, emptyCodec, invalid, raw, readFaultStruct, str, t, type BuildCtx, type CodecTable } from './shared.js';

const OP_STRUCTS = new Set(['InstallOpStruct', 'UpdateOpStruct', 'UninstallOpStruct']);
const RESULT_STRUCTS = new Set(['OpResultStruct', 'AutonOpResultStruct']);

/** Repeated elements, or the items of a SOAP-array-style wrapper, flattened. */
function repeated(el: XmlElement, local: string, wrapped: ReadonlySet<string>): XmlElement[] {
  const out: XmlElement[] = [];
  for (const c of el.children) {
    if (c.local !== local) continue;
    const inner = c.children.filter((x) => wrapped.has(x.local));
    if (inner.length > 0) out.push(...inner);
    else out.push(c);
  }
  return out;
}

/** Which operation: the struct element's own name, else xsi:type's local part, else a guess. */
function opKind(o: XmlElement): DuOperation['op'] {
  let kind = OP_STRUCTS.has(o.local) ? o.local : '';
  if (!kind) {
    const type = o.attrs.find((a) => a.local === 'type')?.value.trim() ?? '';
    kind = type.slice(type.indexOf(':') + 1);
  }
  switch (kind) {
    case 'InstallOpStruct':
      return 'Install';
    case 'UpdateOpStruct':
      return 'Update';
    case 'UninstallOpStruct':
      return 'Uninstall';
    case '': {
      // No type at all: guess from the fields. Uninstall carries no URL; Install no Version.
      const has = (local: string): boolean => o.children.some((c) => c.local === local);
      if (!has('URL')) return 'Uninstall';
      return has('Version') ? 'Update' : 'Install';
    }
    default:
      return invalid(`unknown ChangeDUState operation type ${kind.slice(0, 64)}`);
  }
}

function readOperation(o: XmlElement): DuOperation {
  const op = opKind(o);
  switch (op) {
    case 'Install':
      return { op, url: str(o, 'URL'), uuid: str(o, 'UUID'), username: raw(o, 'Username'), password: raw(o, 'Password'), executionEnvRef: str(o, 'ExecutionEnvRef') };
    case 'Update':
      return { op, uuid: str(o, 'UUID'), version: str(o, 'Version'), url: str(o, 'URL'), username: raw(o, 'Username'), password: raw(o, 'Password') };
    case 'Uninstall':
      return { op, uuid: str(o, 'UUID'), version: str(o, 'Version'), executionEnvRef: str(o, 'ExecutionEnvRef') };
  }
}

function buildOperation(ctx: BuildCtx, o: DuOperation): string {
  let inner: string;
  switch (o.op) {
    case 'Install':
      inner = t('URL', o.url) + t('UUID', o.uuid) + t('Username', o.username) + t('Password', o.password) + t('ExecutionEnvRef', o.executionEnvRef);
      break;
    case 'Update':
      inner = t('UUID', o.uuid) + t('Version', o.version) + t('URL', o.url) + t('Username', o.username) + t('Password', o.password);
      break;
    case 'Uninstall':
      inner = t('UUID', o.uuid) + t('Version', o.version) + t('ExecutionEnvRef', o.executionEnvRef);
      break;
  }
  // xsi:type is always written: it is the only thing that says which operation this is.
  return '<Operations xsi:type="' + ctx.cwmp + ':' + o.op + 'OpStruct">' + inner + '</Operations>';
}

function readResult(r: XmlElement): DuOpResult {
  return {
    uuid: str(r, 'UUID'),
    deploymentUnitRef: str(r, 'DeploymentUnitRef'),
    version: str(r, 'Version'),
    currentState: str(r, 'CurrentState'),
    resolved: bool(r, 'Resolved'),
    executionUnitRefList: str(r, 'ExecutionUnitRefList'),
    startTime: str(r, 'StartTime'),
    completeTime: str(r, 'CompleteTime'),
    fault: readFaultStruct(r, 'Fault'),
  };
}

function buildResultFields(ctx: BuildCtx, r: DuOpResult): string {
  return (
    t('UUID', r.uuid) +
    t('DeploymentUnitRef', r.deploymentUnitRef) +
    t('Version', r.version) +
    t('CurrentState', r.currentState) +
    b(ctx, 'Resolved', r.resolved) +
    t('ExecutionUnitRefList', r.executionUnitRefList) +
    t('StartTime', r.startTime) +
    t('CompleteTime', r.completeTime) +
    buildFaultStruct('Fault', r.fault)
  );
}

export const softwareCodecs: CodecTable<
  | 'ChangeDUState'
  | 'ChangeDUStateResponse'
  | 'DUStateChangeComplete'
  | 'DUStateChangeCompleteResponse'
  | 'AutonomousDUStateChangeComplete'
  | 'AutonomousDUStateChangeCompleteResponse'
> = {
  ChangeDUState: {
    parse: (el) => ({
      method: 'ChangeDUState',
      operations: repeated(el, 'Operations', OP_STRUCTS).map(readOperation),
      commandKey: raw(el, 'CommandKey'),
    }),
    build: (m, ctx) => m.operations.map((o) => buildOperation(ctx, o)).join('') + t('CommandKey', m.commandKey),
  },
  ChangeDUStateResponse: emptyCodec('ChangeDUStateResponse'),
  DUStateChangeComplete: {
    parse: (el) => ({
      method: 'DUStateChangeComplete',
      results: repeated(el, 'Results', RESULT_STRUCTS).map(readResult),
      commandKey: raw(el, 'CommandKey'),
    }),
    build: (m, ctx) => m.results.map((r) => '<Results>' + buildResultFields(ctx, r) + '</Results>').join('') + t('CommandKey', m.commandKey),
  },
  DUStateChangeCompleteResponse: emptyCodec('DUStateChangeCompleteResponse'),
  AutonomousDUStateChangeComplete: {
    parse: (el) => ({
      method: 'AutonomousDUStateChangeComplete',
      results: repeated(el, 'Results', RESULT_STRUCTS).map((r): AutonDuOpResult => ({ ...readResult(r), operationPerformed: str(r, 'OperationPerformed') })),
    }),
    build: (m, ctx) =>
      m.results.map((r) => '<Results>' + buildResultFields(ctx, r) + t('OperationPerformed', r.operationPerformed) + '</Results>').join(''),
  },
  AutonomousDUStateChangeCompleteResponse: emptyCodec('AutonomousDUStateChangeCompleteResponse'),
};
