/**
 * The web console's HTTP contract (issue 15): the JSON the node's console server sends and the
 * browser bundle reads. Types and pure helpers only — no I/O — so the runtime (server) and the
 * console package (browser, bundled by esbuild) share one definition.
 *
 * Every request carries `Authorization: Bearer <token>`: the same admin and read-only tokens as the
 * gRPC API. The browser keeps the token in sessionStorage, never in a URL or a cookie. Refusals are
 * HTTP 401 (no or bad token), 403 (read role on an admin action) or another 4xx/5xx, always with a
 * `ConsoleErrorBody`.
 *
 * Routes (all JSON unless said otherwise):
 * - `GET  /api/whoami`                          → WhoAmI
 * - `GET  /api/agents`                          → AgentsResponse
 * - `GET  /api/agents/:name`                    → AgentDetailResponse
 * - `GET  /api/agents/:name/logs?limit=N`       → AgentLogsResponse
 * - `POST /api/agents?name=&version=&config=k=v` (admin; body = component bytes) → AgentResponse
 * - `POST /api/agents/:name/upgrade?config=k=v` (admin; body = component bytes)  → AgentResponse
 * - `POST /api/agents/:name/stop` (admin)       → AgentResponse
 * - `GET  /api/messages?conversation=&agent=&performative=&protocol=&before=&limit=` → MessagesResponse
 * - `GET  /api/stream?agent=&conversation=&performative=&protocol=` → text/event-stream, see StreamEvent
 * - `GET  /api/nodes`                           → NodesResponse
 * - `GET  /api/conversations/costs[/:id]?sort=&limit=` → ConversationCostsView (decision 2184)
 * - `GET  /` and static assets: the single-page console, strict CSP, no data in the page.
 */
import type { AclMessage } from '../acl/message.js';
import type { Permission } from '../access/permissions.js';
import type { RoleName } from '../access/roles.js';
import type { ConversationReplay } from '../control/replay-trace.js';
import type { HandlingCosts } from '../control/costs.js';

/** What the Costs page shows as `caxton top` does (pure: no I/O, safe in the browser bundle). */
export { formatFuel, visibleId } from '../control/cost-format.js';

/** The caller's role (decision 1760): what it may do is `WhoAmI.permissions`. */
export type ConsoleRole = RoleName;

/** `GET /api/whoami` */
export interface WhoAmI {
  role: ConsoleRole;
  /** What the caller may do: the console shows deploy, upgrade and stop only to those who may. */
  permissions: Permission[];
  /** Agent-name patterns the caller's token is confined to; absent: every agent. */
  agents?: string;
  node: { id: string; cluster?: string };
  version: string;
}

/** One row of the agents table. */
export interface AgentRow {
  name: string;
  /** Source language of the component when known (e.g. `rust`, `assemblyscript`), else `unknown`. */
  language: string;
  /** One of core's AgentState values. */
  state: string;
  /** The cluster node running the agent. */
  node: string;
  /** Deployment version, bumped by every upgrade. */
  version: number;
  /** Who signed the component, once signing exists. */
  signer?: string;
  /** Messages handled since deployment. */
  handled: number;
  /** Mean fuel per handled message since deployment (0 before the first). */
  fuelPerMessage: number;
  /** Current linear memory, bytes. */
  memoryBytes: number;
  /** Deliveries accepted and not yet completed. */
  mailboxDepth: number;
  restarts: number;
  /** The agent's circuit breaker when it is not closed: sends to it are refused fast (decision 1921). */
  breaker?: 'open' | 'half-open';
  /** A blue-green or canary rollout, in progress or the last one (decision 1871): `canary:10 baking v3`. */
  rollout?: string;
  /** What its handlings cost since deployed on its node (decision 2184); absent where that node counts none. */
  costs?: HandlingCosts;
}

/** One conversation an agent took part in, as far as the console has seen it. */
export interface ConversationSummary {
  conversationId: string;
  protocol?: string;
  /** Every agent that sent or received a message of it (full names). */
  participants: string[];
  messages: number;
  lastPerformative: string;
  /** ISO time of the newest message. */
  lastAt: string;
  /** The protocol state after the newest message, when the node tracks it. */
  protocolState?: string;
}

/** Shown instead of a config value to the read role. */
export const REDACTED_VALUE = '••••';

export interface AgentDetail extends AgentRow {
  /** Values are `REDACTED_VALUE` for the read role. */
  config: Record<string, string>;
  protocols?: string[];
}

/** `GET /api/agents` */
export interface AgentsResponse {
  agents: AgentRow[];
}

/** `GET /api/agents/:name` */
export interface AgentDetailResponse {
  agent: AgentDetail;
  conversations: ConversationSummary[];
}

/** `GET /api/agents/:name/replay?conversation=<id>`: the conversation's handlings of the agent, replayed as steps (issue 57). */
export type ReplayResponse = ConversationReplay;

export interface AgentLogLine {
  /** ISO time. */
  time: string;
  level: string;
  message: string;
}

/** `GET /api/agents/:name/logs?limit=N` */
export interface AgentLogsResponse {
  lines: AgentLogLine[];
}

/** `POST /api/agents`, `POST /api/agents/:name/upgrade`, `POST /api/agents/:name/stop` */
export interface AgentResponse {
  agent: AgentRow;
}

/**
 * `POST /api/messages`: the message sent as the operator (or as the token's holder), the body the
 * ACL message as JSON (core's JSON codec: FIPA parameter names); an `Idempotency-Key` header makes
 * a repeat answer with the first send's result (decision 1700). The gRPC SendMessage's answer.
 */
export interface SendResponse {
  messageId: string;
  /** Receivers the bus accepted the message for. */
  accepted: string[];
  /** Receivers refused, and why. */
  refused: { receiver: string; reason: string }[];
}

/** The ACL message as JSON: the object form of core's JSON codec (FIPA parameter names). */
export type AclJson = Record<string, unknown>;

/** A message the bus accepted, as the sniffer shows it. */
export interface SniffedMessage {
  id: string;
  /** ISO time the bus accepted it. */
  time: string;
  sender: string;
  receivers: string[];
  performative: string;
  conversationId?: string;
  protocol?: string;
  inReplyTo?: string;
  /** ISO time of the reply-by deadline. */
  replyBy?: string;
  /** The protocol state after this message, when the node tracks it. */
  protocolState?: string;
  acl: AclJson;
  /** The FIPA string form from core's codec. */
  fipa: string;
}

/** `GET /api/messages` — history from the message log, newest last. */
export interface MessagesResponse {
  messages: SniffedMessage[];
  /** Give as `before` to read the page of older messages; absent when there are none. */
  nextBefore?: string;
}

/** One node's numbers; the arrays are per second, oldest first, at most 60 entries. */
export interface NodeStats {
  id: string;
  agents: number;
  logBytes: number;
  /** Messages accepted per second, last 60 s. */
  throughput: number[];
  /** Median accept-to-handled latency per second, last 60 s (0 for a second without messages). */
  latencyP50Ms: number[];
}

/** `GET /api/nodes` */
export interface NodesResponse {
  nodes: NodeStats[];
}

/** `event: sampled` — the server showed `shown` and dropped `dropped` messages in the last `windowMs`. */
export interface SampledNotice {
  shown: number;
  dropped: number;
  windowMs: number;
}

/** What `/api/stream` sends; `event:` is the kind, `data:` the JSON of the payload. */
export type StreamEvent =
  | { kind: 'message'; data: SniffedMessage }
  | { kind: 'sampled'; data: SampledNotice }
  | { kind: 'agents'; data: AgentsResponse }
  | { kind: 'node'; data: NodeStats };

export type StreamEventKind = StreamEvent['kind'];

export const STREAM_EVENT_KINDS: readonly StreamEventKind[] = ['message', 'sampled', 'agents', 'node'];

/** Every refusal's body. */
export interface ConsoleErrorBody {
  error: { code: string; message: string; hint?: string };
}

/** The filters shared by `/api/messages` and `/api/stream` (query parameter names). */
export interface ConsoleMessageFilter {
  agent?: string;
  conversation?: string;
  performative?: string;
  protocol?: string;
}

export const CONSOLE_FILTER_PARAMS: readonly (keyof ConsoleMessageFilter)[] = ['agent', 'conversation', 'performative', 'protocol'];

/** Replace every config value by `REDACTED_VALUE`: what the read role sees. Keys stay visible. */
export function redactConfig(config: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of Object.keys(config)) out[key] = REDACTED_VALUE;
  return out;
}

function localPart(name: string): string {
  const at = name.indexOf('@');
  return at < 0 ? name : name.slice(0, at);
}

/** What a console filter looks at: a SniffedMessage, or the same fields of a message not converted yet. */
export type FilterableMessage = Pick<SniffedMessage, 'sender' | 'receivers' | 'performative' | 'conversationId' | 'protocol'>;

/**
 * Whether a sniffed message passes a console filter; every given field must match. `agent` without
 * `@` matches the local part of the sender or any receiver (as `caxton tail` does); with `@`, the
 * full name. `performative` may list several, comma-separated.
 */
export function matchesConsoleFilter(filter: ConsoleMessageFilter, msg: FilterableMessage): boolean {
  if (filter.conversation && msg.conversationId !== filter.conversation) return false;
  if (filter.protocol && msg.protocol !== filter.protocol) return false;
  if (filter.performative) {
    const wanted = filter.performative
      .split(',')
      .map((p) => p.trim())
      .filter((p) => p.length > 0);
    if (wanted.length > 0 && !wanted.includes(msg.performative)) return false;
  }
  if (filter.agent) {
    const qualified = filter.agent.includes('@');
    const same = (name: string): boolean => (qualified ? name === filter.agent : localPart(name) === filter.agent);
    if (!same(msg.sender) && !msg.receivers.some(same)) return false;
  }
  return true;
}

/**
 * Build a SniffedMessage from a bus message. The caller passes the two encodings (core's JSON and
 * FIPA string codecs) so this stays free of codec choices; `aclJson` is the JSON codec's text.
 */
export function toSniffedMessage(input: {
  id: string;
  acceptedAt: number;
  message: AclMessage;
  aclJson: string;
  fipa: string;
  protocolState?: string;
}): SniffedMessage {
  const m = input.message;
  const out: SniffedMessage = {
    id: input.id,
    time: new Date(input.acceptedAt).toISOString(),
    sender: m.sender?.name ?? '',
    receivers: m.receivers.map((r) => r.name),
    performative: m.performative,
    acl: JSON.parse(input.aclJson) as AclJson,
    fipa: input.fipa,
  };
  if (m.conversationId !== undefined) out.conversationId = m.conversationId;
  if (m.protocol !== undefined) out.protocol = m.protocol;
  if (m.inReplyTo !== undefined) out.inReplyTo = m.inReplyTo;
  if (m.replyBy !== undefined) out.replyBy = new Date(m.replyBy).toISOString();
  if (input.protocolState !== undefined) out.protocolState = input.protocolState;
  return out;
}

/** Format one server-sent event: `event: <kind>` and one `data:` line of JSON (JSON has no raw newlines). */
export function formatStreamEvent(event: StreamEvent): string {
  return `event: ${event.kind}\ndata: ${JSON.stringify(event.data)}\n\n`;
}

/**
 * Parse the server-sent events in `buffer` (what a fetch ReadableStream delivered so far). Returns
 * the complete events and the unparsed rest to keep for the next chunk. Comments (`: ping`) and
 * unknown kinds are skipped.
 */
export function parseStreamEvents(buffer: string): { events: StreamEvent[]; rest: string } {
  const events: StreamEvent[] = [];
  let start = 0;
  for (;;) {
    const end = buffer.indexOf('\n\n', start);
    if (end < 0) break;
    const block = buffer.slice(start, end);
    start = end + 2;
    let kind = 'message';
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) continue;
      if (line.startsWith('event:')) kind = line.slice(6).trim();
      else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
    }
    if (data.length === 0 || !(STREAM_EVENT_KINDS as readonly string[]).includes(kind)) continue;
    events.push({ kind, data: JSON.parse(data.join('\n')) } as StreamEvent);
  }
  return { events, rest: buffer.slice(start) };
}
