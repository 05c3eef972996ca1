/**
 * Limits (decision 1720): every limit the node, its agents and its clients run under, each defined
 * once, and the one check of them all. This folder's one public entry: the machinery
 * (limit-table.ts) and one file per table or group of bounds. What the machinery keeps to the folder
 * (`defineLimitTable`, `tableDefaults`, `rowField`, `number`) is not exported here.
 */
export {
  checkTable,
  defaultText,
  flagTakesDigitsOnly,
  flagUnit,
  fromFlagUnit,
  inFlagUnit,
  LimitOutOfRangeError,
  rowFloor,
  rowInFlagUnit,
  tableRowsOf,
  type DefinedLimitTable,
  type FlagScale,
  type LimitDefinition,
  type LimitDeployment,
  type LimitRow,
  type LimitsOf,
  type LimitUnit,
} from './limit-table.js';
export * from './agent-limits.js';
export * from './topic-limits.js';
export * from './message-info-limits.js';
export * from './rollout-limits.js';
export * from './a2a-limits.js';
export * from './ontology-limits.js';
export * from './kind-limits.js';
export * from './replay-limits.js';
export * from './replay-history-limits.js';
export * from './agent-replay-history-limits.js';
export * from './replica-limits.js';
export * from './traffic-limits.js';
export * from './artifact-limits.js';
export * from './edge-limits.js';
export * from './node-limits.js';
export * from './cluster-limits.js';
export * from './audit-segment-limits.js';
export * from './kafka-request-limits.js';
export * from './state-limits.js';
export * from './body-limits.js';
export * from './registry-limits.js';
export * from './mtp-limits.js';
export * from './conversation-cost-limits.js';
export * from './file-limits.js';
