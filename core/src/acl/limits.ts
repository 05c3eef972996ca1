/**
 * Size limits applied to every message that enters Caxton. Messages come from untrusted agents and
 * remote platforms, so every collection and string is bounded before anything else looks at it.
 * Sizes are UTF-8 bytes (what the bus stores and the wire carries), not JavaScript string lengths.
 */
import { CaxtonError } from '../errors.js';

export interface AclLimits {
  /** Whole message: the raw text given to a decoder, or the sum of all strings of a model value. */
  readonly maxMessageBytes: number;
  /** The `content` parameter. */
  readonly maxContentBytes: number;
  /** Entries of `receivers`, and separately of `replyTo`. */
  readonly maxReceivers: number;
  /** User-defined `X-` parameters on the message, and separately on each agent identifier. */
  readonly maxUserParams: number;
  /** Any single string other than content: names, addresses, language, ids, user param values… */
  readonly maxFieldBytes: number;
  /** Addresses, and separately resolvers, of one agent identifier. */
  readonly maxAddresses: number;
  /** How deep `resolvers` may nest (an agent id inside a resolver is depth 1). Bounds recursion. */
  readonly maxResolverDepth: number;
}

export const DEFAULT_ACL_LIMITS: AclLimits = Object.freeze({
  maxMessageBytes: 1024 * 1024,
  maxContentBytes: 256 * 1024,
  maxReceivers: 1024,
  maxUserParams: 64,
  maxFieldBytes: 8 * 1024,
  maxAddresses: 32,
  maxResolverDepth: 3,
});

/**
 * Build a complete, frozen limits object from overrides. Done once at configuration time so the
 * hot path never merges objects; rejects nonsense (negative, fractional, NaN) early.
 */
export function aclLimits(overrides: Partial<AclLimits> = {}): AclLimits {
  const limits: AclLimits = { ...DEFAULT_ACL_LIMITS, ...overrides };
  for (const [key, value] of Object.entries(limits)) {
    const min = key === 'maxResolverDepth' || key === 'maxUserParams' ? 0 : 1;
    if (!Number.isSafeInteger(value) || value < min) {
      throw new CaxtonError('acl.bad-limits', `ACL limit ${key} must be an integer ≥ ${min}, got ${String(value)}`, {
        kind: 'invalid-argument',
        context: { limit: key, value },
        hint: 'fix the ACL limits in the runtime configuration',
      });
    }
  }
  if (limits.maxContentBytes > limits.maxMessageBytes) {
    throw new CaxtonError('acl.bad-limits', 'ACL limit maxContentBytes exceeds maxMessageBytes', {
      kind: 'invalid-argument',
      context: { maxContentBytes: limits.maxContentBytes, maxMessageBytes: limits.maxMessageBytes },
      hint: 'a message must be able to hold its largest allowed content',
    });
  }
  return Object.freeze(limits);
}
