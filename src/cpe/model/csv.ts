/**
 * Loader for parameter dumps exported from an ACS as CSV (the genieacs-sim device models in
 * shared/device-models). Two layouts exist; we find columns by header name, so both work:
 *
 *   Parameter,Object,Writable,Value,Value type
 *   Parameter,Object,Object timestamp,Writable,Writable timestamp,Value,Value type,
 *     Value timestamp,Notification,Notification timestamp,Access list,Access list timestamp
 *
 * DeviceID.* rows give the template's identity; Events.* and Tags.* are the exporting ACS's
 * own bookkeeping and are skipped. Object rows lack the trailing dot.
 */
import { TemplateBuilder, type Root, type Template } from './template.js';

/** RFC 4180 fields: quotes, doubled quotes, commas and newlines inside quotes, CRLF. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      if (row.length > 1 || row[0] !== '') rows.push(row);
      row = [];
      field = '';
    } else field += c;
  }
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

const MAC_RE = /^[0-9A-Fa-f]{2}([:-][0-9A-Fa-f]{2}){5}$/;

/**
 * Parameters that change all the time (counters, clocks): a real CPE refuses active
 * notification on them (the BBF models mark them activeNotify="canDeny").
 */
export function isVolatile(path: string): boolean {
  if (path.includes('.Stats.')) return true;
  const name = path.slice(path.lastIndexOf('.') + 1);
  return /^(UpTime|CurrentLocalTime|TotalBytes(Sent|Received)|TotalPackets(Sent|Received)|(Bytes|Packets)(Sent|Received)|LastChange|LeaseTimeRemaining)$/.test(name);
}

export function parseCsvModel(text: string, description = 'CSV model'): Template {
  const rows = parseCsv(text.replace(/^\uFEFF/, ''));
  const header = rows.shift();
  if (!header) throw new Error('empty CSV model');
  const col = (name: string): number => header.findIndex((h) => h.trim().toLowerCase() === name.toLowerCase());
  const iPath = col('Parameter');
  const iObject = col('Object');
  const iWritable = col('Writable');
  const iValue = col('Value');
  const iType = col('Value type');
  const iNotif = col('Notification');
  const iAccess = col('Access list');
  if (iPath < 0 || iObject < 0 || iWritable < 0 || iValue < 0) throw new Error('CSV model: missing Parameter/Object/Writable/Value columns');

  const ident: Record<string, string> = {};
  const roots = new Map<string, number>();
  const data: string[][] = [];
  for (const r of rows) {
    const p = r[iPath] ?? '';
    const top = p.split('.')[0] ?? '';
    if (top === 'DeviceID') ident[p.slice(9)] = r[iValue] ?? '';
    if (top === 'DeviceID' || top === 'Events' || top === 'Tags' || !p) continue;
    roots.set(top, (roots.get(top) ?? 0) + 1);
    data.push(r);
  }
  const rootName = [...roots].sort((a, b) => b[1] - a[1])[0]?.[0];
  if (rootName !== 'Device' && rootName !== 'InternetGatewayDevice') throw new Error(`CSV model: unknown root ${rootName ?? '(none)'}`);
  const root = `${rootName}.` as Root;
  const b = new TemplateBuilder(root);
  b.description = description;

  const objectRows: { path: string; writable: boolean }[] = [];
  const hasChildren = new Set<string>();
  const params = new Set<string>();
  for (const r of data) {
    const path = r[iPath]!;
    if (!path.startsWith(root) && path !== rootName) continue; // a second root beside the main one
    hasChildren.add(path.slice(0, path.lastIndexOf('.')));
    const writable = r[iWritable] === 'true';
    if (r[iObject] === 'true') {
      objectRows.push({ path, writable });
      if (path !== rootName) b.object(path, { writable });
      continue;
    }
    params.add(path);
    const name = path.slice(path.lastIndexOf('.') + 1);
    let value = r[iValue] ?? '';
    if (name === 'SerialNumber' && path === `${root}DeviceInfo.SerialNumber`) value = '${serialNumber}';
    else if (/(MACAddress|BSSID)$/.test(name) && MAC_RE.test(value)) value = `\${macx:${value}}`;
    const n = iNotif >= 0 ? r[iNotif] : '';
    const access = iAccess >= 0 ? r[iAccess] : '';
    b.param(path, {
      type: iType >= 0 ? r[iType] : undefined,
      writable,
      value,
      ...(n ? { notification: Number(n) } : {}),
      ...(access ? { accessList: access.split(',').map((s) => s.trim()).filter(Boolean) } : {}),
      ...(isVolatile(path) ? { activeNotify: 'canDeny' as const } : {}),
    });
  }
  // A table with no instances cannot be told from a plain object by its children; the
  // sibling "<Name>NumberOfEntries" parameter gives it away.
  for (const o of objectRows) {
    const i = o.path.lastIndexOf('.');
    if (!hasChildren.has(o.path) && params.has(`${o.path.slice(0, i)}.${o.path.slice(i + 1)}NumberOfEntries`)) {
      b.object(o.path, { table: true, writable: o.writable });
    }
  }
  b.deviceId = {
    manufacturer: ident.Manufacturer ?? '',
    oui: ident.OUI ?? '',
    productClass: ident.ProductClass ?? '',
  };
  return b.build();
}
