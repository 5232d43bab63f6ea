/**
 * Per-device identity. A template value may carry placeholders that are filled from a tiny
 * per-device record when read, so ten thousand devices share one tree yet each reports its
 * own serial number, MAC addresses and connection request URL:
 *
 *   ${serialNumber} ${manufacturer} ${oui} ${productClass}
 *   ${mac:N}        the device's N-th MAC: template OUI + 24 bits hashed from the serial, + N
 *   ${macx:MAC}     MAC with its low 24 bits mixed with the serial hash (CSV dumps keep their OUIs)
 *   ${ipx:A.B.C.D/N} an IPv4 address in that prefix, host bits from the serial hash (never .0 or all ones)
 *
 * Unknown placeholders are left as written.
 */
import type { Template } from './template.js';

export interface Identity {
  readonly serialNumber: string;
  /** Per-device initial values (e.g. ConnectionRequestURL); survive FactoryReset. */
  readonly overrides?: ReadonlyMap<string, string>;
}

/** FNV-1a, 32 bits: cheap, stable across runs, spreads similar serials apart. */
export function hash32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

function formatMac(hi: number, lo: number): string {
  const bytes = [(hi >> 16) & 255, (hi >> 8) & 255, hi & 255, (lo >> 16) & 255, (lo >> 8) & 255, lo & 255];
  return bytes.map((b) => b.toString(16).padStart(2, '0').toUpperCase()).join(':');
}

function ouiNumber(oui: string): number {
  const n = parseInt(oui, 16);
  // No usable OUI: a locally administered prefix (second-lowest bit of the first octet set).
  return /^[0-9A-Fa-f]{6}$/.test(oui) && Number.isFinite(n) ? n : 0xf2f107;
}

const PLACEHOLDER_RE = /\$\{(\w+)(?::([^}]*))?\}/g;

export function expandValue(value: string, id: Identity, t: Pick<Template, 'deviceId'>): string {
  return value.replace(PLACEHOLDER_RE, (m, key: string, arg: string | undefined) => {
    switch (key) {
      case 'serialNumber':
        return id.serialNumber;
      case 'manufacturer':
        return t.deviceId.manufacturer;
      case 'oui':
        return t.deviceId.oui;
      case 'productClass':
        return t.deviceId.productClass;
      case 'mac': {
        const n = Number(arg ?? 0) || 0;
        return formatMac(ouiNumber(t.deviceId.oui), (hash32(id.serialNumber) + n) & 0xffffff);
      }
      case 'macx': {
        const hex = (arg ?? '').replace(/[^0-9A-Fa-f]/g, '');
        if (hex.length !== 12) return arg ?? m;
        const hi = parseInt(hex.slice(0, 6), 16);
        const lo = parseInt(hex.slice(6), 16);
        return formatMac(hi, (lo ^ hash32(id.serialNumber)) & 0xffffff);
      }
      case 'ipx': {
        const r = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/(\d+)$/.exec(arg ?? '');
        if (!r) return arg ?? m;
        const bits = Math.min(30, Math.max(0, 32 - Number(r[5])));
        const base = ((Number(r[1]) << 24) | (Number(r[2]) << 16) | (Number(r[3]) << 8) | Number(r[4])) >>> 0;
        const size = 2 ** bits;
        const host = size > 2 ? 1 + (hash32(id.serialNumber) % (size - 2)) : 0;
        const ip = ((base & ~(size - 1)) >>> 0) + host;
        return [ip >>> 24, (ip >>> 16) & 255, (ip >>> 8) & 255, ip & 255].join('.');
      }
      default:
        return m;
    }
  });
}
