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
/** How many receivers `m` was sent to: `X-caxton-receivers` on a narrowed delivery (decision 2001), else its list's length. */
export function receiverCount(m: { receivers: AgentId[]; userParams?: Array<[string, string]> }): number;
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

// state ('@caxton/sdk-js/state'; see state.d.ts for the `state` object)
export type StateErrorKind = 'invalid-key' | 'value-too-large' | 'quota-exceeded' | 'read-only';
export interface StateApi {
  /** The value of `key` (including this handler's own uncommitted writes), or null. */
  get(key: string): string | null;
  /** Sets `key`, committed with this handling. Throws StateError when refused. */
  set(key: string, value: string): void;
  /** Removes `key` (an absent key is fine). Throws StateError when refused. */
  delete(key: string): void;
  /** Keys starting with `prefix`, in byte order, after `after`, at most `limit` (default 100). */
  keys(prefix?: string, after?: string | null, limit?: number): string[];
}

// http ('@caxton/sdk-js/http'; see http.d.ts for the `http` object)
export type HttpErrorKind = 'denied' | 'invalid-request' | 'quota-exceeded';
export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'HEAD';
export interface HttpRequest {
  method?: HttpMethod;
  /** Absolute http:// or https:// URL whose host the deployment allows. */
  url: string;
  headers?: Array<[string, string]> | Record<string, string>;
  body?: string | null;
  /** Shorter than the deployment's timeout. */
  timeoutMs?: number | null;
  /** Echoed back on the response as `X-caxton-http-context` (e.g. whom to answer). */
  context?: string | null;
}
export interface HttpApi {
  /** Starts a request; returns its id (the response's inReplyTo). Throws HttpError when refused. */
  fetch(request: HttpRequest): string;
}
/** An HTTP answer (a message from http@<platform>), read. */
export interface HttpResponse {
  /** The id `http.fetch` returned. */
  requestId: string;
  /** True for a response (any status); false for `failure` (no response). */
  answered: boolean;
  status: number | null;
  /** timeout, too-large, redirect-denied, address-denied, connect-failed, tls, protocol, quota-exceeded, interrupted. */
  failure: string | null;
  context: string | null;
  /** The body as text; base64 when `bodyIsBase64`. */
  body: string;
  bodyIsBase64: boolean;
  header(name: string): string | null;
}
export function httpResponse(msg: AclMessage): HttpResponse | null;
export function isHttpResponse(msg: AclMessage): boolean;
export function httpAgentName(): string;
