// Types for @caxton/sdk-js (editor support; the SDK itself is plain JavaScript).

export type Performative =
  | 'accept-proposal' | 'agree' | 'cancel' | 'cfp' | 'confirm' | 'disconfirm' | 'failure' | 'inform'
  | 'inform-if' | 'inform-ref' | 'not-understood' | 'propagate' | 'propose' | 'proxy' | 'query-if'
  | 'query-ref' | 'refuse' | 'reject-proposal' | 'request' | 'request-when' | 'request-whenever'
  | 'subscribe';
export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error';

export interface AgentId { name: string; addresses: string[] }
export type AgentRef = string | { name: string; addresses?: string[] };

/** acl-message as the agent sees it: absent options are null. */
export interface AclMessage {
  performative: Performative;
  sender: AgentId | null;
  receivers: AgentId[];
  replyTo: AgentId[];
  content: string | null;
  language: string | null;
  encoding: string | null;
  ontology: string | null;
  protocol: string | null;
  conversationId: string | null;
  replyWith: string | null;
  inReplyTo: string | null;
  /** Milliseconds since the Unix epoch. */
  replyBy: number | null;
  userParams: Array<[string, string]>;
}
/** What `message()`/`send()` accept: only `performative` is required. */
export interface MessageFields extends Partial<Omit<AclMessage, 'sender' | 'receivers' | 'replyTo' | 'userParams'>> {
  performative: Performative;
  sender?: AgentRef | null;
  receivers?: AgentRef[];
  replyTo?: AgentRef[];
  userParams?: Array<[string, string]> | Record<string, string>;
}
export interface InitContext { self: AgentId; config: Array<[string, string]> }
export interface ServiceDescription {
  name: string; type: string; protocols?: string[]; ontologies?: string[]; languages?: string[];
  properties?: Array<[string, string]> | Record<string, string>;
}

// agent
export interface AgentHandlers {
  init?(ctx: InitContext): void;
  onMessage?(msg: AclMessage): void;
  onTimer?(token: string): void;
}
export interface Guest { init(ctx: InitContext): void; handle(msg: AclMessage): void; onTimer(token: string): void }
export function defineAgent(handlers?: AgentHandlers): Guest;
export function self(): AgentId;
export function configValue(key: string): string | undefined;

// host
export class HostError extends Error { readonly reason: string }
export function send(message: MessageFields): void;
export function log(level: LogLevel, message: unknown): void;
export function now(): number;
export function newId(): string;
export function setTimer(delayMs: number, token: string): void;
export function registerService(service: ServiceDescription): void;
export function deregisterService(name: string): void;
export function searchServices(type: string): AgentId[];

// messages
export const PERFORMATIVES: readonly Performative[];
export function agentId(id: AgentRef): AgentId;
export function message(fields: MessageFields): AclMessage;
export function param(m: { userParams?: Array<[string, string]> }, key: string): string | undefined;
export function setParam<T extends { userParams?: Array<[string, string]> }>(m: T, key: string, value: string): T;
export function isExpired(m: { replyBy?: number | bigint | null }, nowMs: number): boolean;

// replies
export function createReply(to: AclMessage, performative: Performative, content?: string | null): AclMessage;
export function reply(to: AclMessage, performative: Performative, content?: string | null): AclMessage;
export function initiate(
  performative: Performative, receivers: AgentRef[], content?: string | null,
  options?: Partial<MessageFields>,
): AclMessage;
export function agree(request: AclMessage, content?: string | null): AclMessage;
export function refuse(request: AclMessage, reason: string): AclMessage;
export function informDone(request: AclMessage, content?: string): AclMessage;
export function informResult(request: AclMessage, result: string): AclMessage;
export function failure(request: AclMessage, reason: string): AclMessage;
export function notUnderstood(msg: AclMessage, reason: string): AclMessage;

// fipa-contract-net
export const CONTRACT_NET: 'fipa-contract-net';
export type RoundState = 'collecting' | 'ready' | 'no-bids' | 'awarded' | 'done' | 'failed';
export type CnetEvent = 'propose' | 'refuse' | 'ready' | 'late' | 'result' | 'failure' | 'not-understood';
export interface CfpRound<D = unknown> {
  conversationId: string;
  task: string;
  deadline: number;
  invited: string[];
  proposals: AclMessage[];
  refusals: AclMessage[];
  state: RoundState;
  winner: AclMessage | undefined;
  result: AclMessage | undefined;
  data: D;
}
export class ContractNetInitiator {
  rounds: Map<string, CfpRound>;
  start<D>(opts: { task: string; contractors: AgentRef[]; timeoutMs: number; language?: string | null; ontology?: string | null; data?: D }): CfpRound<D>;
  handle(msg: AclMessage): { round: CfpRound; event: CnetEvent } | undefined;
  onTimer(token: string): CfpRound | undefined;
  award(round: CfpRound, winner: AclMessage, opts?: { accept?: string; reject?: string }): void;
  rejectAll(round: CfpRound, reason?: string): void;
}
export function bestProposal(round: CfpRound, score: (proposal: AclMessage) => number): AclMessage | undefined;
export function propose(cfp: AclMessage, content: string): boolean;

// fipa-subscribe
export const SUBSCRIBE: 'fipa-subscribe';
export class SubscriptionTable {
  readonly size: number;
  add(subscribe: AclMessage, agreeContent?: string | null): void;
  cancel(cancel: AclMessage): boolean;
  notify(content: string): number;
}
export function subscribe(publisher: AgentRef, content: string, options?: Partial<MessageFields>): AclMessage;
export function unsubscribe(subscription: AclMessage): void;

// fipa-request / fipa-query
export const REQUEST: 'fipa-request';
export const QUERY: 'fipa-query';
export function request(receiver: AgentRef, content: string, options?: Partial<MessageFields>): AclMessage;
export function queryRef(receiver: AgentRef, content: string, options?: Partial<MessageFields>): AclMessage;
export function queryIf(receiver: AgentRef, content: string, options?: Partial<MessageFields>): AclMessage;
