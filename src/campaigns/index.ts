/** Firmware campaigns' pure core: the definition, waves, windows and the rules of each step. */
export * from './types.js';
export * from './definition.js';
export * from './waves.js';
export * from './window.js';
export * from './rules.js';
