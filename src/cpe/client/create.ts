/**
 * Wiring a CPE to a device model built from a template: the model reads the client's
 * transfer queue (GetQueuedTransfers, GetAllQueuedTransfers, CancelTransfer) through a
 * callback, and the client owns that queue, so each needs the other.
 */
import { createDevice } from '../device.js';
import type { CpeDevice } from '../model/device.js';
import type { Template } from '../model/template.js';
import { Cpe } from './cpe.js';
import type { CpeRuntime, RuntimeOptions } from './runtime.js';

export interface CreateCpeOptions {
  template: Template;
  serialNumber: string;
  /** Per-device initial values that survive FactoryReset (ManagementServer.URL, ConnectionRequestURL …). */
  overrides?: Record<string, string>;
  runtime?: CpeRuntime | RuntimeOptions;
}

/** A CPE whose model is a template-backed device (what createCpe and the simulator make). */
export type TemplateCpe = Cpe & { readonly model: CpeDevice };

export function createCpe(opts: CreateCpeOptions): TemplateCpe {
  // The callback runs only once the device answers an RPC, long after `cpe` exists.
  const model = createDevice(opts.template, {
    serialNumber: opts.serialNumber,
    overrides: opts.overrides,
    transfers: () => cpe.allQueuedTransfers(),
  });
  const cpe = new Cpe({ model, runtime: opts.runtime });
  return cpe as TemplateCpe;
}
