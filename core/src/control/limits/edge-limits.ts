/** What `caxton serve` sets of the node's edge admission of outside clients (decisions 1810, 2103). */
import { checkTable, defineLimitTable, type LimitRow, type LimitsOf } from './limit-table.js';

/**
 * What `caxton serve` sets of the node's edge admission of outside clients (decisions 1810, 2103;
 * runtime/src/bus/edge-admission.ts holds the rest of its limits and takes these defaults). Each
 * flag takes a whole number of its row's unit in digits (`flagDigitsOnly`), as its yargs number did.
 * The serving floor's ceiling is the floor itself (edge-admission.ts `minLimit`) and, given, the
 * ceiling of the in-flight limit.
 */
export const EDGE_LIMIT_TABLE = {
  maxLimit: {
    unit: 'messages',
    default: 10_000,
    min: 4,
    ceiling: 1_000_000,
    description:
      'Most outside-client messages accepted and not yet handled, node-wide, before SendMessage is refused RESOURCE_EXHAUSTED (the limit adapts below it to the delay target).',
    serve: 'edge-max-in-flight',
    flagDigitsOnly: true,
  },
  targetDelayMs: {
    unit: 'ms',
    default: 15,
    ceiling: 60_000,
    description: "Delay target of outside clients' messages (accepted to handled): past it the edge limit drops.",
    serve: 'edge-target-ms',
    flagDigitsOnly: true,
  },
  servingMinLimit: {
    unit: 'messages',
    default: 128,
    ceiling: 1_000,
    description:
      'Lowest the edge limit may fall while the node serves a standing queue of outside messages (decisions 2103, 2197); at most the floor of 1,000 (which turns the rule off) and at most --edge-max-in-flight.',
    serve: 'edge-serving-floor',
    flagDigitsOnly: true,
  },
} as const satisfies Record<string, LimitRow & { serve: string; flagDigitsOnly: true }>;

export type EdgeLimitName = keyof typeof EDGE_LIMIT_TABLE;
export type EdgeLimits = LimitsOf<typeof EDGE_LIMIT_TABLE>;

export const { defaults: DEFAULT_EDGE_LIMITS } = defineLimitTable(EDGE_LIMIT_TABLE, { what: 'edge limit', field: 'edgeAdmission' });

/** The edge limits serve sets: the defaults, overridden by `given`, each in its row; the serving floor at most the in-flight limit given. */
export function resolveEdgeLimits(given: Partial<Record<EdgeLimitName, unknown>> = {}, field = 'edgeAdmission'): EdgeLimits {
  const maxLimit = typeof given.maxLimit === 'number' ? given.maxLimit : undefined;
  return {
    ...DEFAULT_EDGE_LIMITS,
    ...checkTable(EDGE_LIMIT_TABLE, given, {
      field,
      what: 'edge limit',
      ...(maxLimit === undefined ? {} : { ceilings: { servingMinLimit: maxLimit } }),
    }),
  };
}
