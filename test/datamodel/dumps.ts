/**
 * The real device dumps of ../shared/device-models as stored rows (the shape the store hands
 * the task validator and the conformance report). Read from ../shared, never copied.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseCsv } from '../../src/cpe/model/csv.js';
import type { StoredParameter } from '../../src/store/types.js';

export const DUMP_DIR = join(import.meta.dirname, '../../../shared/device-models');
export const DUMPS = [
  'huawei-bm632w-tr098.csv',
  'huawei-eg8145v5-tr098.csv',
  'tplink-ec220-g5-v2-tr098.csv',
  'tplink-ex220-tr181.csv',
  'zte-zxhn-h199a-tr098.csv',
] as const;
export const hasDumps = DUMPS.every((f) => existsSync(join(DUMP_DIR, f)));
if (!hasDumps) console.log(`${DUMP_DIR} is absent: skipping the real device dump tests`);

export interface Dump {
  root: 'Device.' | 'InternetGatewayDevice.';
  identity: { oui: string; productClass: string; serialNumber: string; manufacturer: string };
  rows: StoredParameter[];
}

export function loadDump(file: string): Dump {
  const rows = parseCsv(readFileSync(join(DUMP_DIR, file), 'utf8').replace(/^\uFEFF/, ''));
  const header = rows.shift()!;
  const col = (n: string): number => header.findIndex((h) => h.trim().toLowerCase() === n.toLowerCase());
  const [iP, iO, iW, iV, iT] = [col('Parameter'), col('Object'), col('Writable'), col('Value'), col('Value type')];
  const out: StoredParameter[] = [];
  const ident: Record<string, string> = {};
  for (const r of rows) {
    const p = r[iP] ?? '';
    if (p.startsWith('DeviceID.')) ident[p.slice(9)] = r[iV] ?? '';
    if (!p.startsWith('Device.') && !p.startsWith('InternetGatewayDevice.') && p !== 'Device' && p !== 'InternetGatewayDevice') continue;
    const object = r[iO] === 'true';
    out.push({
      path: object ? `${p}.` : p,
      object,
      value: object ? null : (r[iV] ?? ''),
      type: object ? null : (r[iT] || null),
      writable: r[iW] === 'true' ? true : r[iW] === 'false' ? false : null,
      notification: null,
      accessList: null,
      valueAt: null,
      namesAt: null,
      attributesAt: null,
    });
  }
  const root = out.some((r) => r.path.startsWith('InternetGatewayDevice.')) ? 'InternetGatewayDevice.' : 'Device.';
  const get = (name: string): string => ident[name] ?? out.find((r) => r.path === `${root}DeviceInfo.${name === 'OUI' ? 'ManufacturerOUI' : name}`)?.value ?? '';
  return {
    root,
    identity: { oui: get('OUI'), productClass: get('ProductClass'), serialNumber: get('SerialNumber'), manufacturer: get('Manufacturer') },
    rows: out,
  };
}
