/** What a node spends on components: its prepare cache (decision 2141) and what it accepts and spends to take one in (decision 2147). */
import { defineLimitTable, type FlagScale, type LimitDefinition, type LimitRow, type LimitsOf } from './limit-table.js';

/** A flag in MiB of a row in bytes. */
const MIB: FlagScale = { unit: 'MiB', per: 1024 ** 2 };

/**
 * The node's prepare cache (decision 2141): its size bound, past which the least recently used
 * prepared components are evicted. A node-wide storage limit, not a per-agent one; the same shape
 * as the tables above so `caxton serve` and the docs take it from here. The floor keeps one
 * componentize-py entry (~45 MB with its instrumented modules) and then some.
 */
export const PREPARE_CACHE_LIMIT_TABLE = {
  maxBytes: {
    unit: 'bytes',
    default: 4 * 1024 ** 3,
    min: 64 * 1024 ** 2,
    ceiling: 1024 ** 4,
    description:
      'Bytes the prepare cache directory may hold (prepared components and instrumented core modules); past it, after each write, the least recently used are removed (decision 2141). Nodes sharing the directory each keep it to their own bound.',
    serve: 'prepare-cache-max-mib',
    flagScale: MIB,
  },
} as const satisfies Record<string, LimitDefinition & { min: number; serve: string; flagScale: FlagScale }>;

export type PrepareCacheLimitName = keyof typeof PREPARE_CACHE_LIMIT_TABLE;
export type PrepareCacheLimits = LimitsOf<typeof PREPARE_CACHE_LIMIT_TABLE>;

/** The prepare cache's limits: the defaults, overridden by `given`, each a whole number in its row's min..ceiling. */
export const { defaults: DEFAULT_PREPARE_CACHE_LIMITS, resolve: resolvePrepareCacheLimits } = defineLimitTable(PREPARE_CACHE_LIMIT_TABLE, {
  what: 'prepare cache limit',
  field: 'prepareCache',
});

/**
 * What a node accepts and spends to take in one component (decision 2147): the largest upload and
 * the preparation's time and memory. Node-wide, set with `caxton serve` (the embedder:
 * `startNode({ maxArtifactBytes, prepare })`); sizes in bytes, given in MiB, the time in ms, given
 * in seconds. Defaults and ceilings are the ones serve checked by hand before; the heap's floor
 * too; the upload's and the timeout's floors (they took any fraction above 0) are now the least a
 * whole number of the flag's unit says.
 */
export const ARTIFACT_LIMIT_TABLE = {
  maxArtifactBytes: {
    unit: 'bytes',
    default: 64 * 1024 ** 2,
    min: 1024 ** 2,
    ceiling: 1024 ** 3,
    description:
      'Largest component deploy and upgrade accept; an upload is held in memory while it arrives (up to 4 at once), so keep it sane (the default fits every example).',
    serve: 'max-artifact-mib',
    flagScale: MIB,
  },
  prepareDeadlineMs: {
    unit: 'ms',
    default: 120_000,
    min: 1_000,
    ceiling: 3_600_000,
    description: 'Longest a component may take to be checked and prepared; past it the preparation is stopped and the deploy refused.',
    serve: 'prepare-timeout-s',
    flagScale: { unit: 'seconds', per: 1_000 },
  },
  prepareHeapBytes: {
    unit: 'bytes',
    default: 1024 ** 3,
    min: 64 * 1024 ** 2,
    ceiling: 16 * 1024 ** 3,
    description:
      "Memory (the preparing worker's heap) the preparation of one component may use; past it the deploy is refused as too complex.",
    serve: 'prepare-heap-mib',
    flagScale: MIB,
  },
} as const satisfies Record<string, LimitRow & { min: number; serve: string; flagScale: FlagScale }>;

export type ArtifactLimitName = keyof typeof ARTIFACT_LIMIT_TABLE;
export type ArtifactLimits = LimitsOf<typeof ARTIFACT_LIMIT_TABLE>;

/** What the node accepts and spends on a component: the defaults, overridden by `given`, each a whole number in its row's min..ceiling. */
export const { defaults: DEFAULT_ARTIFACT_LIMITS, resolve: resolveArtifactLimits } = defineLimitTable(ARTIFACT_LIMIT_TABLE, {
  what: 'artifact limit',
  field: 'artifact',
});
