/** Agent kinds (decision 1980): one deployment, many keyed instances activated on demand and passivated when idle. */
export { AgentKinds } from './agent-kinds.js';
export type { AgentKindsOptions, KindPlacement, KindTimers } from './kind-options.js';
export { KindUnsupportedError, instanceRecord, KIND_CONFIG_KEY, INSTANCE_CONFIG_KEY } from './kind-model.js';
export type { DueEntry } from './timer-wakes.js';
