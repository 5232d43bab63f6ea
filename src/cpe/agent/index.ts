/**
 * `flotilla agent` as a library: embed a TR-069 client in a Node.js device application with
 * your own providers (docs/agent.md).
 */
export { Agent, type AgentOptions, type AgentLog } from './agent.js';
export { LiveModel, type LiveModelOptions } from './model.js';
export type { Declarer, ParamDecl, Provider, ProviderContext, Value } from './provider.js';
export { StateFile, type AgentState } from './state.js';
export { Operations, expectedSha256, type Hooks } from './operations.js';
