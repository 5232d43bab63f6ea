/** The devices table's columns: built-ins and any parameter path; the choice is kept per browser. */
import type { DeviceSummary } from './api';
import { FIRMWARE_PATHS, HARDWARE_PATHS, MODEL_PATHS, deviceOnline, pick } from './deviceinfo';

export interface Column {
  key: string;
  label: string;
  /** What `fields=` must ask for. */
  fields: string[];
  /** The NBI sort key, when the column sorts. */
  sort?: string;
  /** The value as text (CSV, titles). */
  text: (d: DeviceSummary) => string;
  kind?: 'time' | 'tags' | 'status';
}

export const BUILTIN: Column[] = [
  { key: 'serialNumber', label: 'Serial number', fields: ['deviceId'], sort: 'serialNumber', text: (d) => d.deviceId?.serialNumber ?? '' },
  { key: 'manufacturer', label: 'Manufacturer', fields: ['deviceId'], sort: 'manufacturer', text: (d) => d.deviceId?.manufacturer ?? '' },
  { key: 'oui', label: 'OUI', fields: ['deviceId'], sort: 'oui', text: (d) => d.deviceId?.oui ?? '' },
  { key: 'productClass', label: 'Product class', fields: ['deviceId'], sort: 'productClass', text: (d) => d.deviceId?.productClass ?? '' },
  { key: 'model', label: 'Model', fields: MODEL_PATHS, sort: MODEL_PATHS[0]!, text: (d) => pick(d.parameters, MODEL_PATHS) ?? '' },
  { key: 'firmware', label: 'Firmware', fields: FIRMWARE_PATHS, sort: FIRMWARE_PATHS[0]!, text: (d) => pick(d.parameters, FIRMWARE_PATHS) ?? '' },
  { key: 'hardware', label: 'Hardware', fields: HARDWARE_PATHS, sort: HARDWARE_PATHS[0]!, text: (d) => pick(d.parameters, HARDWARE_PATHS) ?? '' },
  { key: 'tags', label: 'Tags', fields: ['tags'], text: (d) => (d.tags ?? []).join(' '), kind: 'tags' },
  {
    key: 'status',
    label: 'Status',
    fields: ['lastInform', 'Device.ManagementServer.PeriodicInformInterval', 'InternetGatewayDevice.ManagementServer.PeriodicInformInterval'],
    text: (d) => (deviceOnline(d) ? 'online' : 'offline'),
    kind: 'status',
  },
  { key: 'lastInform', label: 'Last inform', fields: ['lastInform'], sort: 'lastInform', text: (d) => d.lastInform ?? '', kind: 'time' },
  { key: 'firstInform', label: 'First inform', fields: ['firstInform'], sort: 'firstInform', text: (d) => d.firstInform ?? '', kind: 'time' },
  { key: 'lastBoot', label: 'Last boot', fields: ['lastBoot'], sort: 'lastBoot', text: (d) => d.lastBoot ?? '', kind: 'time' },
];

export const DEFAULT_COLUMNS = ['serialNumber', 'productClass', 'model', 'firmware', 'tags', 'status', 'lastInform'];

export function parameterColumn(path: string): Column {
  const short = path.split('.').filter(Boolean).slice(-2).join('.');
  return { key: path, label: short, fields: [path], sort: path, text: (d) => d.parameters?.[path]?.value ?? '' };
}

export function columnFor(key: string): Column {
  return BUILTIN.find((c) => c.key === key) ?? parameterColumn(key);
}

const STORE_KEY = 'flotilla.columns';

export function loadColumns(): string[] {
  try {
    const v: unknown = JSON.parse(localStorage.getItem(STORE_KEY) ?? 'null');
    if (Array.isArray(v) && v.every((x) => typeof x === 'string') && v.length > 0) return v as string[];
  } catch {
    // fall through
  }
  return DEFAULT_COLUMNS;
}

export function saveColumns(keys: string[]): void {
  try {
    localStorage.setItem(STORE_KEY, JSON.stringify(keys));
  } catch {
    // storage disabled
  }
}
