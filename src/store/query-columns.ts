/**
 * The device columns a DeviceQuery filters and sorts on, shared by every SQL backend so they
 * cannot drift apart (the query builders differ only in binding and collation).
 */
import type { DeviceTextField, DeviceTimeField } from './types.js';

export const TEXT_COLUMNS: Readonly<Record<DeviceTextField, string>> = {
  id: 'd.id',
  manufacturer: 'd.manufacturer',
  oui: 'd.oui',
  productClass: 'd.product_class',
  serialNumber: 'd.serial_number',
};

export const TIME_COLUMNS: Readonly<Record<DeviceTimeField, string>> = {
  firstInform: 'd.first_inform',
  lastInform: 'd.last_inform',
  lastBoot: 'd.last_boot',
  lastBootstrap: 'd.last_bootstrap',
};

/** Times a device may not have yet; they sort as -1. */
export const NULLABLE_TIMES: ReadonlySet<DeviceTimeField> = new Set<DeviceTimeField>(['lastBoot', 'lastBootstrap']);

export const COMPARE = { eq: '=', ne: '<>', lt: '<', le: '<=', gt: '>', ge: '>=' } as const;

/** The decimal numbers that comparisons treat numerically (DeviceFilter). */
export const DECIMAL = /^-?\d+(\.\d+)?$/;
