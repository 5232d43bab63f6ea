/**
 * The diagnostics objects (TR-181 Device.IP.Diagnostics.IPPing, TraceRoute,
 * DownloadDiagnostics, UploadDiagnostics; Device.DNS.Diagnostics.NSLookupDiagnostics): the
 * ACS writes a test's inputs and DiagnosticsState = Requested; the agent runs the test on
 * the host (../diagnostics.ts) and stores its results here until the next one.
 */
import type { Declarer, ParamDecl, Provider } from '../provider.js';

type Field = [name: string, decl: ParamDecl, initial: string];

const W = (type: string, extra: Partial<ParamDecl> = {}): ParamDecl => ({ type, writable: true, ...extra });
const R = (type: string): ParamDecl => ({ type });
const T0 = '0001-01-01T00:00:00Z';

interface DiagnosticSpec {
  path: string;
  /** Error states the agent may report, beyond None/Requested/Canceled/Complete. */
  errors: readonly string[];
  fields: readonly Field[];
  /** A table of result rows ("RouteHops", "Result") and its fields. */
  rows?: { table: string; count: string; fields: readonly Field[] };
}

const common = (url?: string): Field[] => [
  ['Interface', W('string', { maxLength: 256 }), ''],
  ['ProtocolVersion', W('string', { enumeration: ['Any', 'IPv4', 'IPv6'] }), 'Any'],
  ['DSCP', W('unsignedInt', { min: '0', max: '63' }), '0'],
  ...(url !== undefined ? [[url, W('string', { maxLength: 2048 }), ''] as Field] : []),
];

const transferTimes: Field[] = [
  ['IPAddressUsed', R('string'), ''],
  ['ROMTime', R('dateTime'), T0],
  ['BOMTime', R('dateTime'), T0],
  ['EOMTime', R('dateTime'), T0],
  ['TCPOpenRequestTime', R('dateTime'), T0],
  ['TCPOpenResponseTime', R('dateTime'), T0],
  ['TotalBytesReceived', R('unsignedLong'), '0'],
  ['TotalBytesSent', R('unsignedLong'), '0'],
];

export const DIAGNOSTICS: readonly DiagnosticSpec[] = [
  {
    path: 'Device.IP.Diagnostics.IPPing.',
    errors: ['Error', 'Error_CannotResolveHostName', 'Error_NoRouteToHost', 'Error_Internal', 'Error_Other'],
    fields: [
      ...common(),
      ['Host', W('string', { maxLength: 256 }), ''],
      ['NumberOfRepetitions', W('unsignedInt', { min: '1' }), '3'],
      ['Timeout', W('unsignedInt', { min: '1' }), '1000'],
      ['DataBlockSize', W('unsignedInt', { min: '1', max: '65535' }), '56'],
      ['IPAddressUsed', R('string'), ''],
      ['SuccessCount', R('unsignedInt'), '0'],
      ['FailureCount', R('unsignedInt'), '0'],
      ['AverageResponseTime', R('unsignedInt'), '0'],
      ['MinimumResponseTime', R('unsignedInt'), '0'],
      ['MaximumResponseTime', R('unsignedInt'), '0'],
      ['AverageResponseTimeDetailed', R('unsignedInt'), '0'],
      ['MinimumResponseTimeDetailed', R('unsignedInt'), '0'],
      ['MaximumResponseTimeDetailed', R('unsignedInt'), '0'],
    ],
  },
  {
    path: 'Device.IP.Diagnostics.TraceRoute.',
    errors: ['Error', 'Error_CannotResolveHostName', 'Error_NoRouteToHost', 'Error_MaxHopCountExceeded', 'Error_Internal', 'Error_Other'],
    fields: [
      ...common(),
      ['Host', W('string', { maxLength: 256 }), ''],
      ['NumberOfTries', W('unsignedInt', { min: '1', max: '3' }), '3'],
      ['Timeout', W('unsignedInt', { min: '1' }), '5000'],
      ['DataBlockSize', W('unsignedInt', { min: '1', max: '65535' }), '38'],
      ['MaxHopCount', W('unsignedInt', { min: '1', max: '64' }), '30'],
      ['IPAddressUsed', R('string'), ''],
      ['ResponseTime', R('unsignedInt'), '0'],
    ],
    rows: {
      table: 'RouteHops',
      count: 'RouteHopsNumberOfEntries',
      fields: [
        ['Host', R('string'), ''],
        ['HostAddress', R('string'), ''],
        ['ErrorCode', R('unsignedInt'), '0'],
        ['RTTimes', R('string'), ''],
      ],
    },
  },
  {
    path: 'Device.IP.Diagnostics.DownloadDiagnostics.',
    errors: ['Error_CannotResolveHostName', 'Error_NoRouteToHost', 'Error_InitConnectionFailed', 'Error_NoResponse', 'Error_TransferFailed', 'Error_IncorrectSize', 'Error_Timeout', 'Error_Internal', 'Error_Other'],
    fields: [...common('DownloadURL'), ['DownloadTransports', R('string'), 'HTTP'], ['TestBytesReceived', R('unsignedLong'), '0'], ...transferTimes],
  },
  {
    path: 'Device.IP.Diagnostics.UploadDiagnostics.',
    errors: ['Error_CannotResolveHostName', 'Error_NoRouteToHost', 'Error_InitConnectionFailed', 'Error_NoResponse', 'Error_Timeout', 'Error_Internal', 'Error_Other'],
    fields: [
      ...common('UploadURL'),
      ['UploadTransports', R('string'), 'HTTP'],
      ['TestFileLength', W('unsignedLong'), '1048576'],
      ['TestBytesSent', R('unsignedLong'), '0'],
      ...transferTimes,
    ],
  },
  {
    path: 'Device.DNS.Diagnostics.NSLookupDiagnostics.',
    errors: ['Error_DNSServerNotResolved', 'Error_Internal', 'Error_Other'],
    fields: [
      ['Interface', W('string', { maxLength: 256 }), ''],
      ['HostName', W('string', { maxLength: 256 }), ''],
      ['DNSServer', W('string', { maxLength: 256 }), ''],
      ['Timeout', W('unsignedInt'), '2000'],
      ['NumberOfRepetitions', W('unsignedInt'), '1'],
      ['SuccessCount', R('unsignedInt'), '0'],
    ],
    rows: {
      table: 'Result',
      count: 'ResultNumberOfEntries',
      fields: [
        ['Status', R('string'), ''],
        ['AnswerType', R('string'), 'None'],
        ['HostNameReturned', R('string'), ''],
        ['IPAddresses', R('string'), ''],
        ['DNSServerIP', R('string'), ''],
        ['ResponseTime', R('unsignedInt'), '0'],
      ],
    },
  },
];

/** Largest upload test a device agrees to send (a typo must not fill the link for an hour). */
export const MAX_UPLOAD_TEST_BYTES = 1024 * 1024 * 1024;

export class DiagnosticsProvider implements Provider {
  readonly name = 'diagnostics';
  readonly #values = new Map<string, string>();
  readonly #rows = new Map<string, Record<string, string>[]>();

  constructor() {
    for (const spec of DIAGNOSTICS) {
      this.#values.set(`${spec.path}DiagnosticsState`, 'None');
      for (const [name, , initial] of spec.fields) this.#values.set(spec.path + name, initial);
    }
  }

  declare(d: Declarer): void {
    d.object('Device.IP.');
    d.object('Device.IP.Diagnostics.');
    d.object('Device.DNS.');
    d.object('Device.DNS.Diagnostics.');
    for (const spec of DIAGNOSTICS) {
      d.object(spec.path);
      const states = ['None', 'Requested', 'Canceled', 'Complete', ...spec.errors];
      d.param(`${spec.path}DiagnosticsState`, W('string', { enumeration: states }), this.value(`${spec.path}DiagnosticsState`));
      for (const [name, decl] of spec.fields) d.param(spec.path + name, decl, this.value(spec.path + name));
      if (spec.rows === undefined) continue;
      const rows = this.#rows.get(spec.path) ?? [];
      d.param(spec.path + spec.rows.count, R('unsignedInt'), String(rows.length));
      d.object(`${spec.path}${spec.rows.table}.`, { table: true });
      rows.forEach((row, i) => {
        const pre = `${spec.path}${spec.rows!.table}.${i + 1}.`;
        d.object(pre);
        for (const [name, decl, initial] of spec.rows!.fields) d.param(pre + name, decl, row[name] ?? initial);
      });
    }
  }

  value(path: string): string {
    return this.#values.get(path) ?? '';
  }

  /** The ACS may request or cancel a test, not claim it completed (the catalogue's read-only values). */
  check(path: string, value: string): number {
    if (path.endsWith('.DiagnosticsState')) return value === 'Requested' || value === 'Canceled' || value === 'None' ? 0 : 9007;
    if (path.endsWith('.TestFileLength')) return Number(value) <= MAX_UPLOAD_TEST_BYTES ? 0 : 9007;
    return 0;
  }

  commit(writes: ReadonlyArray<readonly [string, string]>): void {
    for (const [path, value] of writes) this.#values.set(path, value);
  }

  setInternal(path: string, value: string): void {
    this.#values.set(path, value);
  }

  /** A finished test: its results, its rows, and its final state. */
  complete(objectPath: string, state: string, values: Record<string, string>, rows?: Record<string, string>[]): void {
    for (const [k, v] of Object.entries(values)) if (this.#values.has(objectPath + k)) this.#values.set(objectPath + k, v);
    if (rows !== undefined) this.#rows.set(objectPath, rows);
    this.#values.set(`${objectPath}DiagnosticsState`, state);
  }
}
