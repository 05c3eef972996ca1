/**
 * The caxton.v1.Caxton service: each RPC validates its request (request-parsing.ts), calls the
 * node, converts the answer. No business logic lives here; that is the node's.
 */
import type { Metadata, sendUnaryData, ServerReadableStream, UntypedServiceImplementation } from '@grpc/grpc-js';
import { aclFromSendRequest } from './acl-input.js';
import { serverStream, unary, type CallContext } from './call-wrappers.js';
import { agentToWire } from '@caxton/client';
import { dfToWire, logToWire, messageEventToWire, nodeStatusToWire } from '@caxton/client';
import { NotFoundError, parseIdempotencyKey, parseReplicaCount, principalSees } from '@caxton/core';
import { requireAllowed, requirePriorityClassAllowed, type Principal } from './access.js';
import { requestAgents } from './request-agents.js';
import type { Caller } from './caller.js';
import { toGrpcStatus } from '@caxton/client';
import type { NodeControl } from '@caxton/core';
import {
  parseAgentName,
  parseAgentOrInstanceName,
  parseDeployHeader,
  parseLogsRequest,
  parseSearchRequest,
  parseTailRequest,
  parseUpgradeHeader,
  type ParsedHeader,
} from './request-parsing.js';
import { receiveUpload, UploadCancelledError, type UploadSlots } from './upload.js';
import type * as W from '@caxton/client';
import { stateHandlers } from './state-handlers.js';
import { deadLetterHandlers } from './dead-letter-handlers.js';
import { costHandlers } from './cost-handlers.js';
import { continueCallTrace } from '../telemetry/api-spans.js';
import { auditHandlers } from './audit-handlers.js';
import type { AuditTrail } from '../audit/audit-trail.js';
import { killSwitchHandlers } from './kill-switch-handlers.js';
import { agentForPrincipal } from './redaction.js';
import type { TokenRotator } from './token-rotation.js';
import type { TokenIssuer } from './issued-token-file.js';
import { tokenHandlers } from './token-handlers.js';

export interface HandlerOptions {
  node: NodeControl;
  maxArtifactBytes: number;
  slots: UploadSlots;
  uploadIdleTimeoutMs: number;
  searchDefaultLimit: number;
  /** The node's audit trail, for ListAudit (decision 1402). */
  audit?: AuditTrail;
  /** RotateTokens (decision 1401): writes new tokens, or refuses (no auth, provided token files). */
  tokens: TokenRotator;
  /** IssueToken, ListTokens, RevokeToken (decision 1760); refuses on a node without auth. */
  issuer: TokenIssuer;
  /** Who a call comes from (caller.ts): idempotency keys of sends are per caller. */
  identify: (metadata: Metadata) => Caller;
}

function upload<S, Res>(
  ctx: CallContext,
  method: string,
  opts: HandlerOptions,
  parseHeader: (h: W.WireArtifactHeader, max: number) => ParsedHeader<S>,
  apply: (spec: S, artifact: { bytes: Uint8Array; sha256: string }, node: NodeControl, principal: Principal) => Promise<Res>,
  /** What the spec asks beyond the method's own permission, checked before the artifact is received. */
  authorizeSpec?: (principal: Principal, spec: S) => void,
): (call: ServerReadableStream<W.WireArtifactUpload, Res>, callback: sendUnaryData<Res>) => void {
  return (call, callback) => {
    void (async () => {
      try {
        const principal = ctx.authenticate(call.metadata, method);
        // A token confined to some agents is refused on the header, before the artifact is received.
        const { spec, artifact } = await receiveUpload(
          call,
          (h) => {
            if (principal.agents !== undefined) requireAllowed(principal, method, requestAgents(method, h));
            const parsed = parseHeader(h, opts.maxArtifactBytes);
            authorizeSpec?.(principal, parsed.spec);
            return parsed;
          },
          {
            slots: opts.slots,
            idleTimeoutMs: opts.uploadIdleTimeoutMs,
          },
        );
        callback(null, await apply(spec, artifact, ctx.node(call), principal));
      } catch (err) {
        // A vanished client gets no answer; answering would only log a grpc-js warning.
        if (err instanceof UploadCancelledError) return;
        callback(toGrpcStatus(err, method, ctx.report));
      }
    })();
  };
}

export function caxtonHandlers(ctx: CallContext, opts: HandlerOptions): UntypedServiceImplementation {
  // Reads only: every change takes the node from ctx.node(call), which records it (decision 1701).
  const { node } = opts;
  return {
    DeployAgent: upload(
      ctx,
      'DeployAgent',
      opts,
      parseDeployHeader,
      async (spec, artifact, audited, principal): Promise<W.WireDeployAgentResponse> => ({
        agent: agentToWire(agentForPrincipal(await audited.deploy(spec, artifact), principal)),
      }),
      (principal, spec) => {
        requirePriorityClassAllowed(principal, spec.name, spec.kind?.priorityClass);
        // A confined token names only agents in its scope, `--near` included (decision 2189): it
        // may not place its agent on another tenant's partition, nor learn whether that one exists.
        if (spec.near !== undefined) requireAllowed(principal, 'DeployAgent', [spec.near]);
      },
    ),

    UpgradeAgent: upload(
      ctx,
      'UpgradeAgent',
      opts,
      parseUpgradeHeader,
      async (spec, artifact, audited): Promise<W.WireUpgradeAgentResponse> => {
        const result = await audited.upgrade(spec, artifact);
        return { agent: agentToWire(result.agent), previousVersion: result.previousVersion };
      },
    ),

    RollbackAgent: unary(ctx, 'RollbackAgent', async (req: W.WireRollbackAgentRequest, call): Promise<W.WireUpgradeAgentResponse> => {
      const result = await ctx.node(call).rollback(parseAgentName(req.name));
      return { agent: agentToWire(result.agent), previousVersion: result.previousVersion };
    }),

    // Replicas behind one name (decision 2010): the count is checked here, at the boundary.
    ScaleAgent: unary(ctx, 'ScaleAgent', async (req: W.WireScaleAgentRequest, call): Promise<W.WireScaleAgentResponse> => {
      const name = parseAgentName(req.name);
      return { agent: agentToWire(await ctx.node(call).scale(name, parseReplicaCount(req.replicas ?? 0))) };
    }),

    StopAgent: unary(ctx, 'StopAgent', async (req: W.WireStopAgentRequest, call): Promise<W.WireStopAgentResponse> => {
      const name = parseAgentName(req.name);
      return { agent: agentToWire(await ctx.node(call).stop(name, { force: req.force, keepQueue: req.keepQueue === true })) };
    }),

    // Read RPCs answer callers without config.read with config values redacted (decisions 1401,
    // 1760); a token confined to some agents sees only those.
    ListAgents: unary(
      ctx,
      'ListAgents',
      async (_req: W.WireListAgentsRequest, _call, principal): Promise<W.WireListAgentsResponse> => ({
        agents: (await node.listAgents())
          .filter((a) => principalSees(principal, a.name))
          .map((a) => agentToWire(agentForPrincipal(a, principal))),
      }),
    ),

    GetAgent: unary(ctx, 'GetAgent', async (req: W.WireGetAgentRequest, _call, principal): Promise<W.WireGetAgentResponse> => {
      const name = parseAgentOrInstanceName(req.name);
      const agent = await node.getAgent(name);
      if (!agent) throw new NotFoundError('agent', name);
      return { agent: agentToWire(agentForPrincipal(agent, principal)) };
    }),

    SendMessage: unary(ctx, 'SendMessage', async (req: W.WireSendMessageRequest, call): Promise<W.WireSendMessageResponse> => {
      const message = aclFromSendRequest(req);
      const key = parseIdempotencyKey(req.idempotencyKey);
      continueCallTrace(call.metadata, message); // the call's span becomes the message's parent (decision 1301)
      // Keys are per caller (decision 1700): the token's fingerprint, so equal keys of two callers
      // never name one message.
      const caller = opts.identify(call.metadata);
      // The admin token is the operator's: its probes may use the reserve above the edge limit
      // (decision 1810); every other caller — and every caller of a node without auth — is a client.
      const lane = caller.role === 'admin' ? 'operator' : 'client';
      const result = await ctx
        .node(call)
        .send(message, key === undefined ? { lane } : { lane, idempotency: { caller: caller.token, key } });
      return { messageId: result.messageId, accepted: result.accepted, refused: result.refused };
    }),

    TailMessages: serverStream(
      ctx,
      'TailMessages',
      (req: W.WireTailMessagesRequest) => {
        const filter = parseTailRequest(req);
        return (sink) => node.tail(filter, sink);
      },
      messageEventToWire,
    ),

    StreamLogs: serverStream(
      ctx,
      'StreamLogs',
      (req: W.WireStreamLogsRequest) => {
        const query = parseLogsRequest(req);
        return (sink) => node.logs(query, sink);
      },
      logToWire,
    ),

    SearchDirectory: unary(ctx, 'SearchDirectory', async (req: W.WireSearchDirectoryRequest): Promise<W.WireSearchDirectoryResponse> => {
      const { template, limit } = parseSearchRequest(req, opts.searchDefaultLimit);
      return { results: (await node.searchDirectory(template, limit)).map(dfToWire) };
    }),

    ListTopics: unary(ctx, 'ListTopics', async (req: W.WireListTopicsRequest): Promise<W.WireListTopicsResponse> => {
      const subs = await node.listSubscriptions(req.topic === '' ? undefined : req.topic);
      return {
        subscriptions: subs.map((s) => ({
          topic: s.topic,
          agent: s.agent,
          filterJson: s.filter === undefined ? '' : JSON.stringify(s.filter),
        })),
      };
    }),

    NodeStatus: unary(ctx, 'NodeStatus', async (): Promise<W.WireNodeStatusResponse> => nodeStatusToWire(await node.status(), Date.now())),

    ...stateHandlers(ctx, node, opts.uploadIdleTimeoutMs, opts.slots),
    ...deadLetterHandlers(ctx, node),
    ...costHandlers(ctx, node),
    ...auditHandlers(ctx, opts.audit),
    ...killSwitchHandlers(ctx),
    ...tokenHandlers(ctx, opts.tokens, opts.issuer),
  };
}
