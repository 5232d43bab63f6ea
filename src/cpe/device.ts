/**
 * A simulated device: the copy-on-write state of src/cpe/model answering ACS requests with
 * the handlers of src/cpe/rpc. The one place the two meet (rpc depends on the model's
 * types; the model never imports rpc).
 */
import type { CpeDevice, DeviceOptions } from './model/device.js';
import { Device } from './model/device.js';
import type { Template } from './model/template.js';
import { handleRequest } from './rpc/handle.js';

export { CPE_SUPPORTED_METHODS } from './rpc/handle.js';

/** A new device over `template`; cheap (no copy of the tree). */
export function createDevice(template: Template, opts: DeviceOptions): CpeDevice {
  return new Device(template, opts, handleRequest);
}
