/**
 * The console API's handlers: each turns one checked request into calls on the node (NodeControl,
 * the message log's history) and returns the contract's JSON. Authentication and the role check
 * happened before (server.ts); the role is passed where it changes what is shown (config values).
 * Changes are made on the node the caller's request was given (server.ts: the audited surface as
 * that caller, decision 1701), never on `control`, which serves reads.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import {
  AclError,
  DEFAULT_ACL_LIMITS,
  JSON_BODY_LIMITS,
  decodeAclJson,
  requireReceivers,
  validateAclMessage,
  type SendOptions,
  type SendResponse,
  NotFoundError,
  matchesConsoleFilter,
  type AclMessage,
  type FilterableMessage,
  type AgentDetailResponse,
  type AgentLogsResponse,
  type AgentResponse,
  type AgentsResponse,
  type ConsoleMessageFilter,
  PERMISSIONS,
  principalMay,
  principalSees,
  type Principal,
  type LogEntry,
  type MessagesResponse,
  type NodeControl,
  type ConversationCostsView,
  parseConversationCostsQuery,
  type NodeStats,
  type NodesResponse,
  type ReplayResponse,
  type WhoAmI,
} from '@caxton/core';
import type { MessageLog } from '../log/message-log.js';
import type { UploadSlots } from '../api/upload.js';
import { ConsoleError } from './errors.js';
import type { NodeStatsCollector } from './node-stats.js';
import { configParams, conversationParam, deployName, languageParam, limitParam, messageFilter } from './query.js';
import { ARTIFACT_BODY, readBody, readJsonText, type BodyLimit } from './request-body.js';
import { agentDetail, agentRow, conversationSummaries, sniffed } from './views.js';

export interface ConsoleApiDeps {
  control: NodeControl;
  log: MessageLog;
  stats: NodeStatsCollector;
  platform: string;
  cluster?: string;
  maxArtifactBytes: number;
  uploadIdleTimeoutMs: number;
  slots: UploadSlots;
  /** Bytes of log one history page may scan. */
  historyScanBytes: number;
}

function filterable(m: AclMessage): FilterableMessage {
  const out: FilterableMessage = { sender: m.sender?.name ?? '', receivers: m.receivers.map((r) => r.name), performative: m.performative };
  if (m.conversationId !== undefined) out.conversationId = m.conversationId;
  if (m.protocol !== undefined) out.protocol = m.protocol;
  return out;
}

/** A message to send is bounded as the ACL layer bounds a message (its JSON form a little looser than its bytes, never more). */
const MESSAGE_BODY: BodyLimit = {
  max: DEFAULT_ACL_LIMITS.maxMessageBytes,
  name: 'the largest message the node accepts',
  hint: 'send less content in one message (see docs/acl.md for the limits)',
};

/** The largest message (its JSON form) any console route accepts: POST /api/messages and a WebSocket send. */
export const MAX_MESSAGE_JSON_BYTES = MESSAGE_BODY.max;

/**
 * An ACL message in its JSON form, as a plain client sends it (POST body or WebSocket frame): decoded,
 * validated, with at least one receiver; anything else is a typed 400 with the ACL layer's hint.
 */
export function parseMessageToSend(text: string): AclMessage {
  try {
    const message = decodeAclJson(text);
    validateAclMessage(message);
    requireReceivers(message);
    return message;
  } catch (err) {
    if (err instanceof AclError)
      throw new ConsoleError('console.bad-request', `the message: ${err.message}`, err.hint ?? "see docs/acl.md for a message's JSON form");
    throw err;
  }
}

export const MAX_HISTORY_PAGE = 1000;
const MAX_LOG_LINES = 1000;

export class ConsoleApi {
  constructor(private readonly d: ConsoleApiDeps) {}

  async whoami(principal: Principal): Promise<WhoAmI> {
    const status = await this.d.control.status();
    const permissions = PERMISSIONS.filter((p) => principalMay(principal, p));
    return {
      role: principal.role,
      permissions,
      ...(principal.agents !== undefined ? { agents: principal.agents } : {}),
      node: { id: status.nodeId, ...(this.d.cluster !== undefined ? { cluster: this.d.cluster } : {}) },
      version: status.version,
    };
  }

  /** The agents `principal` may see (a token confined to some agents sees those); all without one (live stream). */
  async agents(principal?: Principal): Promise<AgentsResponse> {
    const all = await this.d.control.listAgents();
    return { agents: (principal ? all.filter((a) => principalSees(principal, a.name)) : all).map(agentRow) };
  }

  async agent(name: string, principal: Principal): Promise<AgentDetailResponse> {
    const status = await this.d.control.getAgent(name);
    if (!status) throw new NotFoundError('agent', name);
    const directory = await this.d.control.searchDirectory({ agentName: `${name}@${this.d.platform}` }, 1).catch(() => []);
    let conversations: AgentDetailResponse['conversations'] = [];
    if (this.d.log.history) {
      const page = await this.history({ agent: name }, undefined, 200);
      conversations = conversationSummaries(page.messages);
    }
    return { agent: agentDetail(status, principal, directory), conversations };
  }

  agentLogs(name: string, params: URLSearchParams): Promise<AgentLogsResponse> {
    const limit = limitParam(params, 200, MAX_LOG_LINES);
    return new Promise((resolve, reject) => {
      const lines: LogEntry[] = [];
      this.d.control.logs(
        { agent: name, limit, follow: false },
        {
          next: (e) => lines.push(e),
          end: (err) =>
            err
              ? reject(err)
              : resolve({ lines: lines.map((e) => ({ time: new Date(e.at).toISOString(), level: e.level, message: e.message })) }),
        },
      );
    });
  }

  /** A conversation's handlings of the agent, replayed as steps (issue 57): the sniffer's step view. */
  replay(name: string, params: URLSearchParams): Promise<ReplayResponse> {
    return this.d.control.replayConversation(name, conversationParam(params));
  }

  async deploy(node: NodeControl, req: IncomingMessage, params: URLSearchParams): Promise<AgentResponse> {
    const name = deployName(params);
    const config = configParams(params) ?? {};
    const artifact = await this.upload(req);
    return { agent: agentRow(await node.deploy({ name, limits: {}, config, ...languageParam(params) }, artifact)) };
  }

  async upgrade(node: NodeControl, name: string, req: IncomingMessage, params: URLSearchParams): Promise<AgentResponse> {
    const config = configParams(params);
    const artifact = await this.upload(req);
    const result = await node.upgrade({ name, limits: {}, ...(config ? { config } : {}), ...languageParam(params) }, artifact);
    return { agent: agentRow(result.agent) };
  }

  /**
   * The body of `POST /api/messages`: one ACL message as JSON (core's JSON codec), read within the
   * message limit, decoded and checked as the gRPC API checks SendMessage's `json` form.
   */
  async readMessage(req: IncomingMessage): Promise<AclMessage> {
    const type = req.headers['content-type'];
    if (type !== undefined && !/^application\/json\s*(;|$)/i.test(type)) {
      throw new ConsoleError(
        'console.bad-request',
        `the message is sent as ${JSON.stringify(type.slice(0, 80))}`,
        'send the ACL message as JSON with Content-Type: application/json',
      );
    }
    // Bounded in size and shape before the parser builds anything (decision 1910, "JSON shape before parsing").
    const read = await readJsonText(req, MESSAGE_BODY, this.d.uploadIdleTimeoutMs);
    if (!('text' in read)) {
      if (read.refused === 'too-large' || read.refused === 'unreadable') throw read.cause;
      if (read.refused === 'too-complex')
        throw new ConsoleError('console.json-too-complex', read.message, read.hint, {
          maxDepth: JSON_BODY_LIMITS.maxDepth,
          maxValues: JSON_BODY_LIMITS.maxValues,
        });
      throw new ConsoleError('console.bad-request', read.message, read.hint);
    }
    return parseMessageToSend(read.text);
  }

  async send(node: NodeControl, message: AclMessage, options: SendOptions): Promise<SendResponse> {
    const result = await node.send(message, options);
    return { messageId: result.messageId, accepted: result.accepted, refused: result.refused };
  }

  async stop(node: NodeControl, name: string): Promise<AgentResponse> {
    return { agent: agentRow(await node.stop(name, { force: false })) };
  }

  messages(params: URLSearchParams): Promise<MessagesResponse> {
    const filter = messageFilter(params);
    const before = params.get('before') ?? undefined;
    return this.history(filter, before === '' ? undefined : before, limitParam(params, 200, MAX_HISTORY_PAGE));
  }

  /** `GET /api/conversations/costs[/<id>]?sort=&limit=` (decision 2184): checked as the gRPC API checks GetConversationCosts. */
  conversationCosts(conversation: string | undefined, params: URLSearchParams): Promise<ConversationCostsView> {
    const limit = params.get('limit');
    const query = parseConversationCostsQuery({
      ...(params.get('sort') !== null ? { sort: params.get('sort')! } : {}),
      ...(limit !== null && limit !== '' ? { limit: Number(limit) } : {}),
      ...(conversation !== undefined ? { conversationId: conversation } : {}),
    });
    return this.d.control.conversationCosts(query);
  }

  async nodes(): Promise<NodesResponse> {
    return { nodes: [await this.nodeStats()] };
  }

  async nodeStats(): Promise<NodeStats> {
    const status = await this.d.control.status();
    return { id: status.nodeId, agents: status.agentsTotal, logBytes: this.d.log.sizeBytes?.() ?? 0, ...this.d.stats.snapshot() };
  }

  private async history(filter: ConsoleMessageFilter, before: string | undefined, limit: number): Promise<MessagesResponse> {
    const log = this.d.log;
    if (!log.history) {
      throw new ConsoleError(
        'console.history-unavailable',
        "this node's message log cannot be read back (cluster mode on Kafka, or the in-memory bus)",
        'the live stream (/api/stream) works; history needs the embedded log (a node without --kafka)',
      );
    }
    const page = await log.history({
      ...(before !== undefined ? { before } : {}),
      limit,
      maxScanBytes: this.d.historyScanBytes,
      match: (m) => matchesConsoleFilter(filter, filterable(m.message)),
    });
    return {
      messages: page.messages.map((m) => sniffed(m.messageId, m.acceptedAt, m.message)),
      ...(page.nextBefore !== undefined ? { nextBefore: page.nextBefore } : {}),
    };
  }

  private async upload(req: IncomingMessage): Promise<{ bytes: Uint8Array; sha256: string }> {
    const release = this.d.slots.acquire();
    try {
      const bytes = await readBody(req, ARTIFACT_BODY(this.d.maxArtifactBytes), this.d.uploadIdleTimeoutMs);
      if (bytes.length === 0)
        throw new ConsoleError('console.bad-request', 'the request body is empty', 'send the component (.wasm) bytes as the body');
      return { bytes, sha256: createHash('sha256').update(bytes).digest('hex') };
    } finally {
      release();
    }
  }
}
