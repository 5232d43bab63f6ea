/**
 * Diagnostics in the data models: where each diagnostic lives in TR-181 (Device.IP.Diagnostics.*,
 * Device.DNS.Diagnostics.NSLookupDiagnostics) and TR-098 (InternetGatewayDevice.*Diagnostics),
 * the SetParameterValues that requests one, and the CPE's result read back as one structured
 * result. Pure: the session program (src/session/programs/diagnostics.ts) does the dance.
 */
import type { ParameterValue } from '../cwmp/types.js';
import { isDiagnosticTask, type DiagnosticTask, type DiagnosticType, type ParameterValueTuple, type TaskRecord } from './types.js';

export type ModelRoot = 'Device.' | 'InternetGatewayDevice.';

/** Object paths per model; null where the model family has no such diagnostic. */
const OBJECTS: Record<DiagnosticType, Record<ModelRoot, string | null>> = {
  ipPing: { 'Device.': 'Device.IP.Diagnostics.IPPing.', 'InternetGatewayDevice.': 'InternetGatewayDevice.IPPingDiagnostics.' },
  traceRoute: { 'Device.': 'Device.IP.Diagnostics.TraceRoute.', 'InternetGatewayDevice.': 'InternetGatewayDevice.TraceRouteDiagnostics.' },
  downloadDiagnostics: {
    'Device.': 'Device.IP.Diagnostics.DownloadDiagnostics.',
    'InternetGatewayDevice.': 'InternetGatewayDevice.DownloadDiagnostics.',
  },
  uploadDiagnostics: { 'Device.': 'Device.IP.Diagnostics.UploadDiagnostics.', 'InternetGatewayDevice.': 'InternetGatewayDevice.UploadDiagnostics.' },
  // TR-098 has only the responder side (UDPEchoConfig), not the client test.
  udpEcho: { 'Device.': 'Device.IP.Diagnostics.UDPEchoDiagnostics.', 'InternetGatewayDevice.': null },
  nsLookup: { 'Device.': 'Device.DNS.Diagnostics.NSLookupDiagnostics.', 'InternetGatewayDevice.': 'InternetGatewayDevice.NSLookupDiagnostics.' },
  serverSelection: { 'Device.': 'Device.IP.Diagnostics.ServerSelectionDiagnostics.', 'InternetGatewayDevice.': null },
  ipLayerCapacity: { 'Device.': 'Device.IP.Diagnostics.IPLayerCapacityMetrics.', 'InternetGatewayDevice.': null },
};

export function diagnosticObject(type: DiagnosticType, root: ModelRoot): string | null {
  return OBJECTS[type][root];
}

const UINT = 'xsd:unsignedInt';
const STR = 'xsd:string';

/** [name relative to the object, value, type] for each input the task carries. */
function inputs(task: DiagnosticTask): ParameterValueTuple[] {
  const out: ParameterValueTuple[] = [];
  const add = (name: string, value: string | number | undefined, type: string): void => {
    if (value !== undefined) out.push([name, String(value), type]);
  };
  const common = (): void => {
    add('Timeout', task.timeout, UINT);
    add('DSCP', task.dscp, UINT);
    add('Interface', task.interface, STR);
  };
  switch (task.type) {
    case 'ipPing':
      add('Host', task.host, STR);
      add('NumberOfRepetitions', task.count, UINT);
      add('DataBlockSize', task.dataBlockSize, UINT);
      common();
      break;
    case 'traceRoute':
      add('Host', task.host, STR);
      add('NumberOfTries', task.tries, UINT);
      add('DataBlockSize', task.dataBlockSize, UINT);
      add('MaxHopCount', task.maxHopCount, UINT);
      common();
      break;
    case 'downloadDiagnostics':
      add('DownloadURL', task.url, STR);
      add('DSCP', task.dscp, UINT);
      add('EthernetPriority', task.ethernetPriority, UINT);
      add('Interface', task.interface, STR);
      add('NumberOfConnections', task.connections, UINT);
      add('TimeBasedTestDuration', task.testDuration, UINT);
      break;
    case 'uploadDiagnostics':
      add('UploadURL', task.url, STR);
      add('TestFileLength', task.size, UINT);
      add('DSCP', task.dscp, UINT);
      add('EthernetPriority', task.ethernetPriority, UINT);
      add('Interface', task.interface, STR);
      add('NumberOfConnections', task.connections, UINT);
      add('TimeBasedTestDuration', task.testDuration, UINT);
      break;
    case 'udpEcho':
      add('Host', task.host, STR);
      add('Port', task.port, UINT);
      add('NumberOfRepetitions', task.count, UINT);
      add('DataBlockSize', task.dataBlockSize, UINT);
      add('InterTransmissionTime', task.interTransmissionTime, UINT);
      common();
      break;
    case 'nsLookup':
      add('HostName', task.host, STR);
      add('DNSServer', task.dnsServer, STR);
      add('NumberOfRepetitions', task.count, UINT);
      add('Timeout', task.timeout, UINT);
      add('Interface', task.interface, STR);
      break;
    case 'serverSelection':
      add('HostList', task.hosts.join(','), STR);
      add('Protocol', task.protocol, STR);
      add('NumberOfRepetitions', task.count, UINT);
      common();
      break;
    case 'ipLayerCapacity':
      add('Host', task.host, STR);
      add('Port', task.port, UINT);
      add('Role', task.role, STR);
      add('TestDuration', task.testDuration, UINT);
      common();
      break;
    default: {
      const never: never = task;
      throw new Error(`unknown diagnostic ${JSON.stringify(never)}`);
    }
  }
  return out;
}

/** The SetParameterValues list that requests the diagnostic: its inputs, then DiagnosticsState = Requested. */
export function requestValues(task: DiagnosticTask, objectPath: string): ParameterValueTuple[] {
  return [...inputs(task).map(([n, v, t]): ParameterValueTuple => [`${objectPath}${n}`, v, t]), [`${objectPath}DiagnosticsState`, 'Requested', STR]];
}

/** A run's state: not sent yet, sent and waiting for 8 DIAGNOSTICS COMPLETE, or finished. */
export type RunState = 'queued' | 'requested' | 'complete' | 'failed' | 'expired';

/** What the device's DiagnosticsState says once it is read back. */
export function outcomeOf(diagnosticsState: string): 'pending' | 'complete' | 'failed' {
  if (diagnosticsState === 'Requested') return 'pending';
  // TR-098's transfer diagnostics say "Completed", everything else "Complete".
  if (diagnosticsState === 'Complete' || diagnosticsState === 'Completed') return 'complete';
  return 'failed';
}

export interface RttFigures {
  minMs: number | null;
  avgMs: number | null;
  maxMs: number | null;
}

export interface TraceHop {
  host: string;
  address: string;
  errorCode: number | null;
  rttMs: number[];
}

/** A run's result: the figures of its kind, and the device's DiagnosticsState. */
export type DiagnosticResult = { diagnosticsState: string; error: string | null } & (
  | { kind: 'ping'; successCount: number | null; failureCount: number | null; lossPercent: number | null; rtt: RttFigures; ipAddressUsed: string | null }
  | { kind: 'trace'; responseTimeMs: number | null; hopCount: number; hops: TraceHop[] }
  | {
      kind: 'transfer';
      direction: 'download' | 'upload';
      testBytes: number | null;
      totalBytesReceived: number | null;
      totalBytesSent: number | null;
      /** EOMTime − BOMTime: the transfer proper. */
      durationMs: number | null;
      /** testBytes × 8 / duration. */
      throughputBps: number | null;
      timings: { rom: string | null; bom: string | null; eom: string | null; tcpOpenRequest: string | null; tcpOpenResponse: string | null };
      ipAddressUsed: string | null;
    }
  | {
      kind: 'nslookup';
      successCount: number | null;
      answers: { status: string; answerType: string; hostNameReturned: string; ipAddresses: string[]; dnsServerIP: string; responseTimeMs: number | null }[];
    }
  | { kind: 'serverSelection'; fastestHost: string | null; rtt: RttFigures; ipAddressUsed: string | null }
  | { kind: 'capacity'; values: Record<string, string> }
);

function int(v: string | undefined): number | null {
  if (v === undefined || v.trim() === '') return null;
  const n = Number(v);
  return Number.isFinite(n) ? n : null;
}

/** Milliseconds from the ms field, or the µs "…Detailed" one when the device has it (finer). */
function ms(values: Map<string, string>, base: string): number | null {
  const detailed = int(values.get(`${base}Detailed`));
  if (detailed !== null) return detailed / 1000;
  return int(values.get(base));
}

function time(v: string | undefined): number | null {
  if (v === undefined || v === '' || v.startsWith('0001-01-01')) return null;
  // Microsecond dateTimes ("…T10:00:00.123456Z"): Date keeps milliseconds; the rest is below our figures.
  const t = Date.parse(v.replace(/(\.\d{3})\d+/, '$1'));
  return Number.isFinite(t) ? t : null;
}

function rtt(values: Map<string, string>): RttFigures {
  return { minMs: ms(values, 'MinimumResponseTime'), avgMs: ms(values, 'AverageResponseTime'), maxMs: ms(values, 'MaximumResponseTime') };
}

/**
 * The structured result from a GetParameterValues answer of the diagnostic's object (names
 * outside `objectPath` are ignored).
 */
export function parseResult(type: DiagnosticType, objectPath: string, params: readonly ParameterValue[]): DiagnosticResult {
  const values = new Map<string, string>();
  for (const p of params) if (p.name.startsWith(objectPath)) values.set(p.name.slice(objectPath.length), p.value);
  const diagnosticsState = values.get('DiagnosticsState') ?? '';
  const error = outcomeOf(diagnosticsState) === 'failed' ? diagnosticsState || 'Error_Other' : null;
  const head = { diagnosticsState, error };
  switch (type) {
    case 'ipPing':
    case 'udpEcho': {
      const ok = int(values.get('SuccessCount'));
      const bad = int(values.get('FailureCount'));
      const total = (ok ?? 0) + (bad ?? 0);
      return {
        ...head,
        kind: 'ping',
        successCount: ok,
        failureCount: bad,
        lossPercent: ok === null || bad === null || total === 0 ? null : Math.round((bad / total) * 10000) / 100,
        // IPPing reports ms (and µs in …Detailed); UDPEchoDiagnostics reports µs.
        rtt: type === 'udpEcho' ? microRtt(values) : rtt(values),
        ipAddressUsed: values.get('IPAddressUsed') ?? null,
      };
    }
    case 'traceRoute': {
      const hops: TraceHop[] = [];
      // TR-098 prefixes a hop's fields with "Hop" (HopHost …); TR-181 does not.
      const f = [...values.keys()].some((k) => /^RouteHops\.\d+\.Hop/.test(k)) ? 'Hop' : '';
      for (let i = 1; values.has(`RouteHops.${i}.${f}Host`) || values.has(`RouteHops.${i}.${f}HostAddress`); i++) {
        hops.push({
          host: values.get(`RouteHops.${i}.${f}Host`) ?? '',
          address: values.get(`RouteHops.${i}.${f}HostAddress`) ?? '',
          errorCode: int(values.get(`RouteHops.${i}.${f}ErrorCode`)),
          rttMs: (values.get(`RouteHops.${i}.${f}RTTimes`) ?? '')
            .split(',')
            .map((t) => t.trim())
            .filter((t) => t !== '')
            .map(Number)
            .filter((n) => Number.isFinite(n)),
        });
      }
      return { ...head, kind: 'trace', responseTimeMs: int(values.get('ResponseTime')), hopCount: int(values.get('RouteHopsNumberOfEntries')) ?? hops.length, hops };
    }
    case 'downloadDiagnostics':
    case 'uploadDiagnostics': {
      const download = type === 'downloadDiagnostics';
      const testBytes = int(values.get(download ? 'TestBytesReceived' : 'TestBytesSent')) ?? (download ? null : int(values.get('TestFileLength')));
      const bom = time(values.get('BOMTime'));
      const eom = time(values.get('EOMTime'));
      const durationMs = bom !== null && eom !== null && eom >= bom ? eom - bom : null;
      return {
        ...head,
        kind: 'transfer',
        direction: download ? 'download' : 'upload',
        testBytes,
        totalBytesReceived: int(values.get('TotalBytesReceived')),
        totalBytesSent: int(values.get('TotalBytesSent')),
        durationMs,
        throughputBps: testBytes !== null && durationMs !== null && error === null ? Math.round((testBytes * 8 * 1000) / Math.max(durationMs, 1)) : null,
        timings: {
          rom: values.get('ROMTime') ?? null,
          bom: values.get('BOMTime') ?? null,
          eom: values.get('EOMTime') ?? null,
          tcpOpenRequest: values.get('TCPOpenRequestTime') ?? null,
          tcpOpenResponse: values.get('TCPOpenResponseTime') ?? null,
        },
        ipAddressUsed: values.get('IPAddressUsed') ?? null,
      };
    }
    case 'nsLookup': {
      const answers = [];
      for (let i = 1; values.has(`Result.${i}.Status`); i++) {
        answers.push({
          status: values.get(`Result.${i}.Status`) ?? '',
          answerType: values.get(`Result.${i}.AnswerType`) ?? '',
          hostNameReturned: values.get(`Result.${i}.HostNameReturned`) ?? '',
          ipAddresses: (values.get(`Result.${i}.IPAddresses`) ?? '').split(',').filter((a) => a !== ''),
          dnsServerIP: values.get(`Result.${i}.DNSServerIP`) ?? '',
          responseTimeMs: int(values.get(`Result.${i}.ResponseTime`)),
        });
      }
      return { ...head, kind: 'nslookup', successCount: int(values.get('SuccessCount')), answers };
    }
    case 'serverSelection':
      // TR-181 gives these three in microseconds.
      return {
        ...head,
        kind: 'serverSelection',
        fastestHost: values.get('FastestHost') ?? null,
        rtt: microRtt(values),
        ipAddressUsed: values.get('IPAddressUsed') ?? null,
      };
    case 'ipLayerCapacity': {
      const figures: Record<string, string> = {};
      for (const [k, v] of values) if (!k.includes('.') && k !== 'DiagnosticsState') figures[k] = v;
      return { ...head, kind: 'capacity', values: figures };
    }
    default: {
      const never: never = type;
      throw new Error(`unknown diagnostic ${String(never)}`);
    }
  }
}

function microRtt(values: Map<string, string>): RttFigures {
  return { minMs: micro(values.get('MinimumResponseTime')), avgMs: micro(values.get('AverageResponseTime')), maxMs: micro(values.get('MaximumResponseTime')) };
}

function micro(v: string | undefined): number | null {
  const n = int(v);
  return n === null ? null : n / 1000;
}

/** One diagnostic run as the API lists it: the task it is, and what became of it. */
export interface DiagnosticRun {
  /** The task's id. */
  id: string;
  deviceId: string;
  type: DiagnosticType;
  state: RunState;
  /** The inputs as asked (the task without its type). */
  input: Record<string, unknown>;
  createdAt: number;
  /** When the CPE accepted the request (the SetParameterValues answer); null before. */
  requestedAt: number | null;
  /** When the result was read, or the run failed or expired; null while open. */
  finishedAt: number | null;
  /** The task's deadline. */
  expiresAt: number | null;
  /** The device's (Error_CannotResolveHostName …) or the ACS's reason when state is failed or expired. */
  error: string | null;
  result: DiagnosticResult | null;
}

/**
 * A run from its task (tasks/types.ts): the task's state and response say where it stands —
 * open without a response: not sent yet; open with the SetParameterValues answer: requested;
 * done: its GetParameterValues answer parsed; fault: the CPE refused or could not answer.
 */
export function runOf(t: TaskRecord): DiagnosticRun | null {
  if (!isDiagnosticTask(t.task)) return null;
  const { type, ...input } = t.task;
  const objectPath = Object.values(OBJECTS[type]).find((o) => o !== null && t.response?.method === 'GetParameterValuesResponse' && t.response.parameterList.some((p) => p.name.startsWith(o)));
  const requested = t.response?.method === 'SetParameterValuesResponse';
  const base = { id: t.id, deviceId: t.deviceId, type, input, createdAt: t.createdAt, expiresAt: t.expiresAt };
  switch (t.state) {
    case 'queued':
    case 'running':
      return { ...base, state: requested ? 'requested' : 'queued', requestedAt: requested ? t.updatedAt : null, finishedAt: null, error: null, result: null };
    case 'expired':
      return { ...base, state: 'expired', requestedAt: null, finishedAt: t.updatedAt, error: requested ? 'no 8 DIAGNOSTICS COMPLETE before the deadline' : 'the device did not connect before the deadline', result: null };
    case 'fault':
      return { ...base, state: 'failed', requestedAt: null, finishedAt: t.updatedAt, error: t.fault === null ? 'fault' : `${t.fault.faultCode} ${t.fault.faultString}`, result: null };
    case 'done': {
      if (t.response?.method !== 'GetParameterValuesResponse' || objectPath === undefined || objectPath === null) {
        return { ...base, state: 'failed', requestedAt: null, finishedAt: t.updatedAt, error: 'no result', result: null };
      }
      const result = parseResult(type, objectPath, t.response.parameterList);
      return { ...base, state: result.error === null ? 'complete' : 'failed', requestedAt: null, finishedAt: t.updatedAt, error: result.error, result };
    }
    default: {
      const never: never = t.state;
      throw new Error(`unknown task state ${String(never)}`);
    }
  }
}
