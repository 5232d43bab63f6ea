/**
 * The CPE data model: templates (shared, immutable), loaders, and per-device state. A device
 * that answers RPCs comes from src/cpe/device.ts (createDevice), which joins this to src/cpe/rpc.
 */
export { Device, type RpcHandler } from './device.js';
export type { CpeDevice, DeviceOptions, ManagementServerSettings, Attributes } from './device.js';
export { loadModel, detectFormat, modelsDir, SHIPPED_MODELS } from './load.js';
export type { ModelFormat } from './load.js';
export { parseCsvModel } from './csv.js';
export { parseJsonModel, toModelJson, MODEL_FORMAT } from './json.js';
export type { ModelJson, ParameterJson, ObjectJson } from './json.js';
export { TemplateBuilder } from './template.js';
export type { Template, TParam, TObject, TNode, Root } from './template.js';
