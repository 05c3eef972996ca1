/**
 * What a receiver of a send resolves to (decision 2160, slice 1): the one answer routing takes from
 * the port, once per receiver. The answers that are not an activation are kept objects (the two
 * constants here, and one activation-limit answer a port keeps), so resolving allocates nothing.
 */
import type { AclMessage } from '@caxton/core';

/**
 * Where a receiver lives, as far as this node knows. `activation-limit`: an agent kind's instance
 * that is not in memory and cannot be activated now (its shard is full, decision 1980).
 */
export type ReceiverKind = 'agent' | 'external' | 'unknown' | 'activation-limit';

/** Why a receiver resolved to no activation. */
export type NoActivation =
  | { readonly kind: 'external' }
  | { readonly kind: 'unknown' }
  | { readonly kind: 'activation-limit'; readonly limit: number; readonly retryAfterMs: number };

export const RESOLVED_EXTERNAL: NoActivation = Object.freeze({ kind: 'external' });
export const RESOLVED_UNKNOWN: NoActivation = Object.freeze({ kind: 'unknown' });

/**
 * What one receiver of a send resolves to (decision 2160, slice 1): the name of the activation its
 * delivery is written to — the agent itself, an instance of a kind, or a scaled agent's replica
 * unit `<name>#r<k>` — or, as an object, why there is none.
 */
export type Resolution = string | NoActivation;

/**
 * Where replicas are spread across nodes (decision 2093), the receiver a send to `name` is written
 * to: the unit `unitOf` chooses. Undefined — an unknown receiver — for a name holding `#`: a unit
 * is written only by this choice (a send naming `X#r7` would start a sandbox the count, the stateful
 * refusal and the stop never allowed), and no agent name holds one.
 */
export function spreadTarget(name: string, message: AclMessage, messageId: string, unitOf: ReplicaChoice): string | undefined {
  return name.indexOf('#') >= 0 ? undefined : unitOf(name, message, messageId);
}

/** Chooses a scaled agent's replica unit for one message (by its conversation, decision 2093). */
export type ReplicaChoice = (name: string, message: AclMessage, messageId: string) => string;

/**
 * A port's answer from a `ReceiverKind` (the node's lifecycle and the test ports answer in those):
 * `name` itself for an agent, else the kept answer for the kind.
 */
export function resolutionOf(kind: ReceiverKind, name: string, atLimit: NoActivation): Resolution {
  if (kind === 'agent') return name;
  if (kind === 'external') return RESOLVED_EXTERNAL;
  return kind === 'unknown' ? RESOLVED_UNKNOWN : atLimit;
}
