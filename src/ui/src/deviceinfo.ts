/** Identity and status of a device from its summary and projected parameters, for TR-181 and TR-098 alike. */
import type { DeviceSummary, Parameter } from './api';
import { isOnline } from './format';

export const ROOTS = ['Device.', 'InternetGatewayDevice.'] as const;
const both = (rest: string): string[] => ROOTS.map((r) => r + rest);

export const MODEL_PATHS = both('DeviceInfo.ModelName');
export const FIRMWARE_PATHS = both('DeviceInfo.SoftwareVersion');
export const HARDWARE_PATHS = both('DeviceInfo.HardwareVersion');
export const INTERVAL_PATHS = both('ManagementServer.PeriodicInformInterval');
export const IP_PATHS = ['Device.ManagementServer.ConnectionRequestURL', 'InternetGatewayDevice.ManagementServer.ConnectionRequestURL'];

export function pick(params: Record<string, Parameter> | undefined, paths: readonly string[]): string | null {
  if (!params) return null;
  for (const p of paths) {
    const v = params[p]?.value;
    if (v !== undefined && v !== null && v !== '') return v;
  }
  return null;
}

export function intervalOf(params: Record<string, Parameter> | undefined): number | null {
  const v = pick(params, INTERVAL_PATHS);
  const n = v === null ? NaN : Number(v);
  return Number.isFinite(n) && n > 0 ? n : null;
}

export function deviceOnline(d: DeviceSummary, now = Date.now()): boolean {
  return isOnline(d.lastInform, intervalOf(d.parameters), now);
}

/** The data model root a device's tree uses. */
export function rootOf(params: Record<string, Parameter> | undefined): string {
  if (params) for (const r of ROOTS) if (Object.keys(params).some((k) => k.startsWith(r))) return r;
  return 'Device.';
}
