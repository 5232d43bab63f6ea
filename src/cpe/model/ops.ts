/**
 * What the RPC handlers (src/cpe/rpc) need from a device, implemented by Device
 * (./device.ts). A module of its own so that rpc depends on these types and the model never
 * depends on rpc.
 */
import type { AllQueuedTransfer, Notification } from '../../cwmp/types.js';
import type { Template, TNode, TObject, TParam } from './template.js';

/** A node reached through a concrete path (instance numbers filled in). */
export interface Ref<N extends TNode = TNode> {
  path: string;
  node: N;
}

export interface Attributes {
  readonly notification: Notification;
  readonly accessList: readonly string[];
}

/** What the RPC handlers need from a device (implemented by Device; see src/cpe/rpc). */
export interface DeviceOps {
  readonly template: Template;
  lookup(path: string): Ref | undefined;
  /** Direct children in order; for a table, its instances (template ones first, then added). */
  children(obj: Ref<TObject>): readonly Ref[];
  /** True while no instance was added or deleted: the tree's shape is the template's. */
  pristine(): boolean;
  valueOf(ref: Ref<TParam>): string;
  /**
   * The paths whose value is the device's own rather than its template's (written, set by the
   * device, given per device), where the model knows; with it, a read of a whole subtree takes
   * the template's values for the rest without asking each (rpc/params.ts). Values worked out
   * per device from the template (\${serialNumber}) are asked whatever this says.
   */
  ownValuePaths?(): Iterable<string>;
  attributesOf(ref: Ref<TParam>): Attributes;
  /** ACS writes: no value-change notification (TR-069 3.2.1: the ACS knows what it set). */
  commitValues(entries: ReadonlyArray<readonly [Ref<TParam>, string]>): void;
  setAttributes(ref: Ref<TParam>, attrs: Attributes): void;
  addInstance(table: Ref<TObject>): number;
  deleteInstance(instance: Ref<TObject>): void;
  setParameterKey(key: string): void;
  queuedTransfers(): readonly AllQueuedTransfer[];
}
