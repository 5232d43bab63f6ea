/** Types for ./layers.mjs (plain ESM so eslint.config.js loads it without a build). */
export declare const LAYERS: unknown;
export declare function layerBlocks(): Array<{ name: string; files: string[]; rules: Record<string, unknown> }>;
export declare function renderLayerTable(): string;
