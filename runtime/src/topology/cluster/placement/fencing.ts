/**
 * The fencing decision, pure. A node may act for an agent (complete its messages, write its state)
 * only while all three hold:
 *  - it holds the agent's claim, and the token presented is that claim's token (a token from an
 *    earlier claim of the same agent, even by this node, is stale);
 *  - its membership lease cannot have expired on the server by the time the action is done:
 *    now + withinMs < validUntil, where validUntil is the conservative local deadline kept by the
 *    membership (keep-alive send time + TTL − margin, see 0702-placement-fencing.md).
 * Tokens are the claim key's etcd create_revision: a later claim always has a larger token, so
 * downstream stores can also reject writes carrying a token smaller than the largest seen.
 */

export type FencingVerdict = 'ok' | 'not-owner' | 'stale-token' | 'lease-expiring';

export interface FencingInput {
  /** Token of this node's current claim on the agent; undefined = no claim. */
  claimToken: number | undefined;
  /** Token the caller was given at activation. */
  presentedToken: number;
  /** Membership deadline (ms since epoch); 0 once the membership is lost. */
  validUntil: number;
  now: number;
  /** How long the caller needs to stay owner for the action it is about to take (ms). */
  withinMs: number;
}

export function fencingVerdict(i: FencingInput): FencingVerdict {
  if (i.claimToken === undefined) return 'not-owner';
  if (i.claimToken !== i.presentedToken) return 'stale-token';
  if (!(i.now + i.withinMs < i.validUntil)) return 'lease-expiring';
  return 'ok';
}
