/**
 * The FIPA ACL message model (SC00061) as typed values. Everything that crosses a boundary (wire,
 * log, guest) is parsed and validated into these types first; see `validate.ts` and the codecs.
 */

/** The 22 communicative acts of SC00037, in the FIPA spelling (lower case). */
export const PERFORMATIVES = [
  'accept-proposal',
  'agree',
  'cancel',
  'cfp',
  'confirm',
  'disconfirm',
  'failure',
  'inform',
  'inform-if',
  'inform-ref',
  'not-understood',
  'propagate',
  'propose',
  'proxy',
  'query-if',
  'query-ref',
  'refuse',
  'reject-proposal',
  'request',
  'request-when',
  'request-whenever',
  'subscribe',
] as const;

export type Performative = (typeof PERFORMATIVES)[number];

const performativeSet: ReadonlySet<string> = new Set(PERFORMATIVES);
export function isPerformative(value: string): value is Performative {
  return performativeSet.has(value);
}

/** A FIPA agent identifier. `name` is `local@platform`; addresses are transport URLs. */
export interface AgentId {
  name: string;
  addresses?: string[];
  /** Resolvers (agent-identifier :resolvers), rarely used; kept for round trips. */
  resolvers?: AgentId[];
  /** User-defined slots on the identifier (`:X-…`), kept for round trips. */
  userParams?: Record<string, string>;
}

/** An ACL message: the 13 SC00061 parameters plus user-defined `X-` parameters. */
export interface AclMessage {
  performative: Performative;
  sender?: AgentId;
  receivers: AgentId[];
  replyTo?: AgentId[];
  content?: string;
  language?: string;
  encoding?: string;
  ontology?: string;
  protocol?: string;
  conversationId?: string;
  replyWith?: string;
  inReplyTo?: string;
  /** reply-by, milliseconds since the Unix epoch (UTC). */
  replyBy?: number;
  /** User-defined parameters; keys keep their `X-` prefix exactly as written. */
  userParams?: Record<string, string>;
}

/** Well-known user parameters the runtime itself reads and writes. */
export const TRACEPARENT_PARAM = 'X-traceparent';
export const TRACESTATE_PARAM = 'X-tracestate';
