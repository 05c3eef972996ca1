import type { AgentId } from '@caxton/core';

/**
 * Who is sending: a deployed agent (sender is stamped from it) or an outside client.
 * `checked`: the message was validated where it entered, against the bus's own limits (an agent's
 * outbox is checked by the sandbox's `send` host call); the bus then checks only the addresses it
 * rewrote, so a message is validated once, not once per hop (decision 1201).
 */
export type Origin = { agent: string; checked?: boolean } | { external: AgentId };
