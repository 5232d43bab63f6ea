/**
 * Store concern: virtual parameters (src/policies/virtual.ts), named computed parameters a
 * device shows as `VirtualParameters.<name>`. A definition is a read script and, when the
 * parameter is writable, a write script mapping a value onto real parameters. Their values
 * are not kept here: sessions write them into the device's tree like any parameter, so the
 * device list filters and shows them with no special case.
 * Backends: sqlite/virtual-parameters.ts, postgres/virtual-parameters.ts; suite:
 * test/store/conformance/virtual-parameters.ts.
 */
export interface VirtualParameterDefinition {
  /** [A-Za-z][A-Za-z0-9_]*: the parameter is `VirtualParameters.<name>`. */
  name: string;
  description?: string;
  /** Returns the value (src/policies/sandbox.ts API). */
  read: string;
  /** Declares real parameters from `value`; absent: read-only. */
  write?: string;
}

export interface VirtualParameterRecord extends VirtualParameterDefinition {
  /** 1 when created, +1 per change. */
  revision: number;
  createdAt: number;
  updatedAt: number;
  author: string;
}

export interface VirtualParameterStore {
  /** False when the name is taken. */
  createVirtualParameter(v: VirtualParameterRecord): Promise<boolean>;
  /** Replace at `v.revision`, which must be one more than the stored one (false otherwise, or absent). */
  updateVirtualParameter(v: VirtualParameterRecord): Promise<boolean>;
  getVirtualParameter(name: string): Promise<VirtualParameterRecord | null>;
  /** By name. */
  listVirtualParameters(): Promise<VirtualParameterRecord[]>;
  deleteVirtualParameter(name: string): Promise<boolean>;
}
