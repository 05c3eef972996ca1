/** One Caxton node: `startNode` is what `caxton serve` runs. */
export { startNode, CAXTON_VERSION, type RunningNode } from './start-node.js';
export type { StartNodeOptions } from './options.js';
export { DEFAULT_LIMITS as NODE_DEFAULT_LIMITS, MAX_LIMITS as NODE_MAX_LIMITS } from './options.js';
export { PlatformChangedError, PlatformFileError } from '../mtp/index.js';
