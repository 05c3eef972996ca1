/**
 * The world's values as JavaScript sees them on both binding paths: the shapes jco's glue uses
 * (camelCase fields, `option` as value | undefined, u64 as bigint, tuples as arrays), which the
 * direct path's lifting/lowering produces and consumes too, so the host functions are shared.
 */
import type { Performative } from '@caxton/core';

export interface WitAgentId {
  name: string;
  addresses: string[];
}

export interface WitAclMessage {
  performative: Performative;
  sender?: WitAgentId | null | undefined;
  receivers: WitAgentId[];
  replyTo: WitAgentId[];
  content?: string | null | undefined;
  language?: string | null | undefined;
  encoding?: string | null | undefined;
  ontology?: string | null | undefined;
  protocol?: string | null | undefined;
  conversationId?: string | null | undefined;
  replyWith?: string | null | undefined;
  inReplyTo?: string | null | undefined;
  replyBy?: bigint | null | undefined;
  userParams: [string, string][];
}

export type WitLogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error';

export interface WitServiceDescription {
  name: string;
  type: string;
  protocols: string[];
  ontologies: string[];
  languages: string[];
  properties: [string, string][];
}

export interface WitInitContext {
  self: WitAgentId;
  config: [string, string][];
}

/** jco's representation of `result<_, string>` returned by a host function. */
export type WitResult = undefined | { tag: 'err'; val: string };

/** The WIT `state-error` / `http-error` records (a kind and a message). */
export interface WitKindError<K extends string> {
  kind: K;
  message: string;
}

/** jco's representation of `result<_, state-error>` returned by a host function. */
export type WitStateResult = undefined | { tag: 'err'; val: WitKindError<import('@caxton/core').StateErrorKind> };

/** jco's representation of `result<_, topic-error>` returned by a host function. */
export type WitTopicResult = undefined | { tag: 'err'; val: WitKindError<'invalid-name' | 'invalid-filter' | 'quota-exceeded'> };

/** jco's representation of `result<list<agent-id>, message-info-error>` returned by a host function. */
export type WitReceiversResult = { tag: 'ok'; val: WitAgentId[] } | { tag: 'err'; val: WitKindError<'no-message' | 'invalid-range'> };

/** jco's representation of `result<string, http-error>` returned by a host function. */
export type WitFetchResult = { tag: 'ok'; val: string } | { tag: 'err'; val: WitKindError<import('@caxton/core').HttpErrorKind> };
