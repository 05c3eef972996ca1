/**
 * A typed client for caxton.v1, used by the CLI and the tests. It speaks the same wire types as
 * the server and converts answers back into the NodeControl model, so callers never see protobuf.
 */
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { promises as fs } from 'node:fs';
import {
  ChannelCredentials,
  Metadata,
  makeGenericClientConstructor,
  type CallOptions,
  type Client,
  type ClientReadableStream,
  type ClientWritableStream,
  type ServiceError,
} from '@grpc/grpc-js';
import type {
  ConversationCostsQuery,
  ConversationCostsView,
  AclMessage,
  DeploySpec,
  LogEntry,
  LogQuery,
  MessageEvent,
  SendResult,
  TailFilter,
  DfAgentDescription,
  DfSearchTemplate,
  StoredAuditRecord,
  HttpAllowRule,
  HttpPolicy,
  KillSwitchStatus,
  StateEntry,
  StateImportResult,
  StatePage,
  StateWrite,
  DeadLetterSelection,
  DeadLetterView,
  PurgeResult,
  RedriveResult,
} from '@caxton/core';
import {
  CaxtonError,
  CHANGE_SET_ID,
  formatStrategy,
  parseTopicSubscription,
  type KindSpec,
  type RolloutStrategy,
  type RolloutThresholds,
  type ReplayGateSpec,
  type TopicSubscription,
} from '@caxton/core';
import { deadLetterFromWire } from './convert-dead-letter.js';
import { conversationCostsFromWire } from './convert-costs.js';
import { ApiCallError, toApiCallError } from './client-errors.js';
import { aclToWire } from './convert-acl.js';
import { agentFromWire, type AgentView } from './convert-agent.js';
import { httpPolicyToWire } from './convert-http.js';
import {
  dfFromWire,
  killSwitchFromWire,
  logFromWire,
  messageEventFromWire,
  nodeStatusFromWire,
  type NodeStatusView,
} from './convert-node.js';
import { issuedFromWire, type IssuedTokenView } from './convert-token.js';
import { DEFAULT_OVERLOAD_RETRY_MS, nextOverloadRetry } from './overload-retry.js';
import { caxtonService } from './proto.js';
import type * as W from './wire.js';
import { injectTraceContext } from './trace-propagation.js';

export interface ClientTlsOptions {
  /** CA that signed the server certificate; absent = the system roots. */
  caFile?: string;
  /** Client certificate and key, for servers that require mutual TLS. */
  certFile?: string;
  keyFile?: string;
  /** Expected server name when it differs from the address host (e.g. a cert for `caxton.local`). */
  serverName?: string;
}

export interface CaxtonClientOptions {
  /** host:port */
  address: string;
  token?: string;
  /** Absent = plaintext (the default of a node on loopback). */
  tls?: ClientTlsOptions;
  /** Deadline of unary calls. Default 30 s. */
  timeoutMs?: number;
  /** Size of artifact chunks. Default 128 KiB (well under the server's message limit). */
  chunkBytes?: number;
  /**
   * The change set every call belongs to (metadata `caxton-change-set`; `^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$`):
   * the node's audit records carry it, so the steps of one `caxton apply` read as one change.
   */
  changeSet?: string;
}

/**
 * What a client deploys or upgrades: the core DeploySpec with everything but the name optional
 * (absent limits = the node's defaults; on upgrade absent config = keep the current one). Not a
 * shape of its own: `upload` turns it straight into the wire header.
 */
export type UploadHeader = Pick<DeploySpec, 'name'> &
  Partial<Pick<DeploySpec, 'limits' | 'config'>> & {
    /** Outbound HTTP policy (decision 1601): omitted fields take the node defaults. */
    http?: Partial<HttpPolicy> & { allow: HttpAllowRule[] };
    /** Upgrade only: replace the config even with an empty one. */
    replaceConfig?: boolean;
    /** Deploy only: keep the state an earlier deployment of the name left (decision 1600). */
    keepState?: boolean;
    /** The artifact's detached signature, a DSSE envelope as JSON (decision 1400). */
    signatureEnvelope?: string;
    /** The artifact's source language label (from `<artifact>.build.json`); absent: not stated. */
    language?: string;
    /** Upgrade only: roll out beside the running version (decision 1871); absent thresholds take the defaults. */
    rollout?: { strategy: RolloutStrategy; thresholds?: Partial<RolloutThresholds> };
    /** The operator's A2A Agent Card as JSON text (decision 1951); the node validates it. Absent: none (deploy) / keep (upgrade). */
    a2aCard?: string;
    /** Deploy only: an agent kind (decision 1980); idleMs absent = the node's default; maxActive absent = no cap of its own. */
    kind?: KindSpec;
    /** The topic patterns the agent may subscribe to (decision 2050); the node validates them. Absent: every topic (deploy) / keep (upgrade). */
    topics?: readonly string[];
    /** Upgrade only: replay recorded traffic on the new version first, refused on what it finds (issue 57). */
    replay?: ReplayGateSpec;
    /** The ontologies the agent speaks as JSON text, name → JSON Schema (decision 2183); the node validates and compiles them. Absent: none (deploy) / keep (upgrade). */
    ontologies?: string;
    /** Deploy near this agent (decision 2189): it shares that agent's node; an upgrade may only repeat it. Absent: by its own name (deploy) / keep (upgrade). */
    near?: string;
  };

export type SendInput = { json: string } | { fipa: string } | { structured: AclMessage };

export interface SendCallOptions {
  /** Makes retries of this send safe (decision 1700); at most 128 bytes, no control characters. */
  idempotencyKey?: string;
  /**
   * How long, in all, the call may wait out `bus.overloaded` refusals, sending again after each
   * refusal's retry-after (nothing of a refused send was accepted, so this cannot duplicate it).
   * Default 10 s; 0 = give the first refusal back at once.
   */
  overloadRetryMs?: number;
  /** Told before each wait: for progress output (`caxton send` prints it). */
  onOverloadRetry?: (waitMs: number, attempt: number) => void;
}

/** A running server stream. `done` settles when it ends: resolved on a normal end or cancel(). */
export interface StreamHandle {
  cancel(): void;
  readonly done: Promise<void>;
  /**
   * Resolves once the server has subscribed (its response headers arrived): from then on the
   * stream misses nothing. Rejects like `done` if the stream fails first.
   */
  readonly ready: Promise<void>;
}

type RawClient = Client & Record<string, (...args: unknown[]) => unknown>;
type UnaryFn = (req: unknown, md: Metadata, opts: CallOptions, cb: (err: ServiceError | null, res: unknown) => void) => void;

const CaxtonRawClient = makeGenericClientConstructor(caxtonService(), 'Caxton');

/**
 * Waits for the upload stream to drain or the call to end, then removes both listeners: a plain
 * `Promise.race` of two `once()`s leaves the loser's listeners behind, one pair per chunk, which
 * on a 60 MiB upload is hundreds of listeners and a MaxListenersExceededWarning on the user's
 * terminal.
 */
async function drainOrStatus(call: ClientWritableStream<W.WireArtifactUpload>): Promise<void> {
  const abort = new AbortController();
  try {
    await Promise.race([once(call, 'drain', { signal: abort.signal }), once(call, 'status', { signal: abort.signal })]);
  } finally {
    abort.abort();
  }
}

export class CaxtonClient {
  private constructor(
    private readonly raw: RawClient,
    private readonly options: CaxtonClientOptions,
  ) {}

  static async connect(options: CaxtonClientOptions): Promise<CaxtonClient> {
    let creds = ChannelCredentials.createInsecure();
    const channelOptions: Record<string, string | number> = { 'grpc.max_receive_message_length': 64 * 1024 * 1024 };
    if (options.tls) {
      const read = (file: string | undefined): Promise<Buffer | null> => (file ? fs.readFile(file) : Promise.resolve(null));
      const [ca, cert, key] = await Promise.all([read(options.tls.caFile), read(options.tls.certFile), read(options.tls.keyFile)]);
      creds = ChannelCredentials.createSsl(ca, key, cert);
      if (options.tls.serverName) channelOptions['grpc.ssl_target_name_override'] = options.tls.serverName;
    }
    const raw = new CaxtonRawClient(options.address, creds, channelOptions) as unknown as RawClient;
    return new CaxtonClient(raw, options);
  }

  close(): void {
    if (!this.shared) this.raw.close();
  }

  /** Set once a client is a view of another's channel (`withChangeSet`): closing it leaves the channel to its owner. */
  private shared = false;

  /** This client's channel, every call of it in change set `id` (decision 2169's apply, audited as one change). */
  withChangeSet(id: string): CaxtonClient {
    if (!CHANGE_SET_ID.test(id))
      throw new CaxtonError('api.invalid-argument', `${JSON.stringify(id.slice(0, 80))} is not a change set id`, {
        kind: 'invalid-argument',
        hint: 'letters, digits and . _ : - , at most 64, starting with a letter or digit',
      });
    const view = new CaxtonClient(this.raw, { ...this.options, changeSet: id });
    view.shared = true;
    return view;
  }

  private metadata(): Metadata {
    const md = new Metadata();
    if (this.options.token) md.set('authorization', `Bearer ${this.options.token}`);
    if (this.options.changeSet !== undefined) md.set('caxton-change-set', this.options.changeSet);
    // The caller's trace continues in the node's call span (W3C traceparent in the metadata);
    // with no SDK or no active span, nothing is added.
    injectTraceContext(md);
    return md;
  }

  private unary<Res>(method: string, request: unknown): Promise<Res> {
    const fn = this.raw[method] as unknown as UnaryFn;
    const deadline = Date.now() + (this.options.timeoutMs ?? 30_000);
    return new Promise((resolve, reject) => {
      fn.call(this.raw, request, this.metadata(), { deadline }, (err, res) => (err ? reject(toApiCallError(err)) : resolve(res as Res)));
    });
  }

  private upload<Res>(
    method: 'DeployAgent' | 'UpgradeAgent',
    header: UploadHeader,
    bytes: Uint8Array,
    onProgress?: (sent: number, total: number) => void,
  ): Promise<Res> {
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const wireHeader: W.WireArtifactHeader = {
      name: header.name,
      fuelPerMessage: header.limits?.fuelPerMessage ?? 0,
      memoryPages: header.limits?.memoryPages ?? 0,
      maxSendsPerS: header.limits?.sendsPerSecond ?? 0,
      maxSendsPerCall: header.limits?.maxOutbox ?? 0,
      absentQueue: header.limits?.absentQueue ?? 0,
      absentTtlMs: header.limits?.absentTtlMs ?? 0,
      config: header.config ?? {},
      sha256,
      totalSize: bytes.length,
      replaceConfig: header.replaceConfig ?? false,
      keepState: header.keepState ?? false,
      http: header.http ? httpPolicyToWire(header.http) : null,
      signatureEnvelope: header.signatureEnvelope ?? '',
      language: header.language ?? '',
      rollout: header.rollout ? rolloutRequestToWire(header.rollout) : null,
      a2aCard: header.a2aCard ?? '',
      ontologies: header.ontologies ?? '',
      near: header.near ?? '',
      kind: header.kind
        ? { idleMs: header.kind.idleMs ?? 0, maxActive: header.kind.maxActive ?? 0, priorityClass: header.kind.priorityClass ?? '' }
        : null,
      topics: header.topics !== undefined ? { patterns: [...header.topics] } : null,
      replay: header.replay
        ? { handlings: header.replay.handlings ?? 0, sinceMs: header.replay.sinceMs ?? 0, acceptDiff: [...header.replay.accept] }
        : null,
    };
    const chunkBytes = this.options.chunkBytes ?? 128 * 1024;
    return new Promise<Res>((resolve, reject) => {
      let settled = false;
      const fn = this.raw[method] as unknown as (
        md: Metadata,
        cb: (err: ServiceError | null, res: unknown) => void,
      ) => ClientWritableStream<W.WireArtifactUpload>;
      const call = fn.call(this.raw, this.metadata(), (err, res) => {
        settled = true;
        if (err) reject(toApiCallError(err));
        else resolve(res as Res);
      });
      // Errors surface through the callback above; without a listener they would be thrown.
      call.on('error', () => {});
      void (async () => {
        call.write({ header: wireHeader });
        let sent = 0;
        while (sent < bytes.length && !settled) {
          const chunk = bytes.subarray(sent, sent + chunkBytes);
          const flushed = call.write({ chunk });
          sent += chunk.length;
          onProgress?.(sent, bytes.length);
          // Respect flow control, but stop waiting if the server answered (e.g. rejected the header).
          if (!flushed && !settled) await drainOrStatus(call);
        }
        if (!settled) call.end();
      })().catch((err: unknown) => {
        if (!settled) reject(toApiCallError(err));
      });
    });
  }

  async deploy(header: UploadHeader, artifact: Uint8Array, onProgress?: (sent: number, total: number) => void): Promise<AgentView> {
    const res = await this.upload<W.WireDeployAgentResponse>('DeployAgent', header, artifact, onProgress);
    return agentFromWire(res.agent);
  }

  async upgrade(
    header: UploadHeader,
    artifact: Uint8Array,
    onProgress?: (sent: number, total: number) => void,
  ): Promise<{ agent: AgentView; previousVersion: number }> {
    const res = await this.upload<W.WireUpgradeAgentResponse>('UpgradeAgent', header, artifact, onProgress);
    return { agent: agentFromWire(res.agent), previousVersion: res.previousVersion };
  }

  /** Back to the version the last upgrade replaced, as a new version (see NodeControl.rollback). */
  async rollback(name: string): Promise<{ agent: AgentView; previousVersion: number }> {
    const res = await this.unary<W.WireUpgradeAgentResponse>('RollbackAgent', { name } satisfies W.WireRollbackAgentRequest);
    return { agent: agentFromWire(res.agent), previousVersion: res.previousVersion };
  }

  /** `keepQueue`: keep the name and its queue until it is deployed again (decision 1990). */
  async stop(name: string, force = false, keepQueue = false): Promise<AgentView> {
    const res = await this.unary<W.WireStopAgentResponse>('StopAgent', { name, force, keepQueue } satisfies W.WireStopAgentRequest);
    return agentFromWire(res.agent);
  }

  async listAgents(): Promise<AgentView[]> {
    const res = await this.unary<W.WireListAgentsResponse>('ListAgents', {});
    return res.agents.map(agentFromWire);
  }

  async getAgent(name: string): Promise<AgentView> {
    const res = await this.unary<W.WireGetAgentResponse>('GetAgent', { name } satisfies W.WireGetAgentRequest);
    return agentFromWire(res.agent);
  }

  /**
   * `idempotencyKey` (decision 1700): repeat the call with the same key and message after any
   * error and the message is still accepted once; the answer carries the first send's id. The node
   * checks the key (ALREADY_EXISTS when it was used for a different message).
   */
  async send(input: SendInput, options: SendCallOptions = {}): Promise<SendResult> {
    const message = 'structured' in input ? { structured: aclToWire(input.structured) } : input;
    const req = options.idempotencyKey === undefined ? message : { ...message, idempotencyKey: options.idempotencyKey };
    const budget = options.overloadRetryMs ?? DEFAULT_OVERLOAD_RETRY_MS;
    const started = Date.now();
    for (let attempt = 1; ; attempt++) {
      try {
        const res = await this.unary<W.WireSendMessageResponse>('SendMessage', req);
        return {
          messageId: res.messageId,
          accepted: res.accepted,
          refused: res.refused.map((r) => ({ receiver: r.receiver, reason: r.reason })),
        };
      } catch (err) {
        const delay = nextOverloadRetry(err, Date.now() - started, budget, Math.random());
        if (delay === undefined) throw err;
        options.onOverloadRetry?.(delay, attempt);
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }

  async searchDirectory(template: DfSearchTemplate, limit = 0): Promise<DfAgentDescription[]> {
    const wire: Partial<W.WireDfTemplate> = {
      agentName: template.agentName ?? '',
      serviceName: template.serviceName ?? '',
      serviceType: template.serviceType ?? '',
      protocols: template.protocols ?? [],
      ontologies: template.ontologies ?? [],
      languages: template.languages ?? [],
      properties: template.properties ?? {},
    };
    const res = await this.unary<W.WireSearchDirectoryResponse>('SearchDirectory', { template: wire, limit });
    return res.results.map(dfFromWire);
  }

  /** Topic subscriptions (decision 1960), by topic then agent; only `topic`'s when given. */
  async listSubscriptions(topic?: string): Promise<TopicSubscription[]> {
    const res = await this.unary<W.WireListTopicsResponse>('ListTopics', { topic: topic ?? '' } satisfies W.WireListTopicsRequest);
    return res.subscriptions.map((s, i) =>
      parseTopicSubscription(
        { agent: s.agent, topic: s.topic, ...(s.filterJson === '' ? {} : { filter: JSON.parse(s.filterJson) as unknown }) },
        `subscriptions[${i}]`,
      ),
    );
  }

  /** What conversations cost on the node (decision 2184): the largest by `sort`, or one conversation. */
  async conversationCosts(query: ConversationCostsQuery = {}): Promise<ConversationCostsView> {
    const req: W.WireGetConversationCostsRequest = {
      sort: query.sort ?? '',
      limit: query.limit ?? 0,
      conversationId: query.conversationId ?? '',
    };
    return conversationCostsFromWire(await this.unary<W.WireGetConversationCostsResponse>('GetConversationCosts', req));
  }

  /** Dead letters (decision 1860), newest last. */
  async listDeadLetters(query: { agent?: string; includePurged?: boolean; limit?: number } = {}): Promise<DeadLetterView[]> {
    const req: W.WireListDeadLettersRequest = {
      agent: query.agent ?? '',
      includePurged: query.includePurged ?? false,
      limit: query.limit ?? 0,
    };
    return (await this.unary<W.WireListDeadLettersResponse>('ListDeadLetters', req)).letters.map(deadLetterFromWire);
  }

  async getDeadLetter(id: string): Promise<DeadLetterView> {
    const res = await this.unary<W.WireGetDeadLetterResponse>('GetDeadLetter', { id } satisfies W.WireGetDeadLetterRequest);
    if (!res.letter)
      throw new CaxtonError('api.bad-response', `the node answered GetDeadLetter ${id} without a letter`, {
        kind: 'invalid-argument',
        hint: 'the node and the CLI may be different Caxton versions',
      });
    return deadLetterFromWire(res.letter);
  }

  /** Idempotent: a repeat names the same deliveries and sends nothing again. */
  async redriveDeadLetters(select: DeadLetterSelection, to?: string): Promise<RedriveResult> {
    const req: W.WireRedriveDeadLettersRequest = {
      ids: 'ids' in select ? [...select.ids] : [],
      agent: 'agent' in select ? select.agent : '',
      to: to ?? '',
    };
    return { redriven: (await this.unary<W.WireRedriveDeadLettersResponse>('RedriveDeadLetters', req)).redriven };
  }

  async purgeDeadLetters(select: DeadLetterSelection): Promise<PurgeResult> {
    const req: W.WirePurgeDeadLettersRequest = {
      ids: 'ids' in select ? [...select.ids] : [],
      agent: 'agent' in select ? select.agent : '',
    };
    return { purged: (await this.unary<W.WirePurgeDeadLettersResponse>('PurgeDeadLetters', req)).purged };
  }

  /** Kill switch (decision 1403): this node, or with `cluster` every node. */
  async freeze(cluster = false): Promise<{ status: KillSwitchStatus; drainedMs: number }> {
    const res = await this.unary<W.WireFreezeResponse>('Freeze', { cluster } satisfies W.WireFreezeRequest);
    return { status: killSwitchFromWire(res.status), drainedMs: res.drainedMs };
  }

  async thaw(cluster = false): Promise<{ status: KillSwitchStatus }> {
    const res = await this.unary<W.WireThawResponse>('Thaw', { cluster } satisfies W.WireThawRequest);
    return { status: killSwitchFromWire(res.status) };
  }

  async suspend(name: string): Promise<AgentView> {
    const res = await this.unary<W.WireSuspendAgentResponse>('SuspendAgent', { name } satisfies W.WireSuspendAgentRequest);
    return agentFromWire(res.agent);
  }

  /** Run the agent as `replicas` instances behind its name (decision 2010); resolves once they run or drained. */
  async scale(name: string, replicas: number): Promise<AgentView> {
    const res = await this.unary<W.WireScaleAgentResponse>('ScaleAgent', { name, replicas } satisfies W.WireScaleAgentRequest);
    return agentFromWire(res.agent);
  }

  async resume(name: string): Promise<AgentView> {
    const res = await this.unary<W.WireSuspendAgentResponse>('ResumeAgent', { name } satisfies W.WireSuspendAgentRequest);
    return agentFromWire(res.agent);
  }

  /** New admin and read tokens (decision 1401); the current ones keep working for `overlapMs`. */
  async rotateTokens(overlapMs: number): Promise<{ adminToken: string; readToken: string; previousValidUntil: number }> {
    const res = await this.unary<W.WireRotateTokensResponse>('RotateTokens', {
      overlapSeconds: Math.ceil(overlapMs / 1000),
    } satisfies W.WireRotateTokensRequest);
    return { adminToken: res.adminToken, readToken: res.readToken, previousValidUntil: res.previousValidUntilUnixMs };
  }

  /** A new token with a role (decision 1760), shown this once; the node keeps its sha256. */
  async issueToken(req: {
    role: string;
    agents?: string;
    ttlMs: number;
    label?: string;
  }): Promise<{ token: string; issued: IssuedTokenView }> {
    const res = await this.unary<W.WireIssueTokenResponse>('IssueToken', {
      role: req.role,
      agents: req.agents ?? '',
      ttlSeconds: Math.ceil(req.ttlMs / 1000),
      label: req.label ?? '',
    } satisfies W.WireIssueTokenRequest);
    return { token: res.token, issued: issuedFromWire(res.issued) };
  }

  /** The issued tokens, newest first, never their values. */
  async listTokens(): Promise<IssuedTokenView[]> {
    const res = await this.unary<W.WireListTokensResponse>('ListTokens', {} satisfies W.WireListTokensRequest);
    return res.tokens.map(issuedFromWire);
  }

  async revokeToken(id: string): Promise<IssuedTokenView> {
    const res = await this.unary<W.WireRevokeTokenResponse>('RevokeToken', { id } satisfies W.WireRevokeTokenRequest);
    return issuedFromWire(res.token);
  }

  async status(): Promise<NodeStatusView> {
    return nodeStatusFromWire(await this.unary<W.WireNodeStatusResponse>('NodeStatus', {}));
  }

  /** The value under `key`; rejects with `not-found` when there is none. */
  async getState(agent: string, key: string): Promise<StateEntry> {
    const res = await this.unary<W.WireGetStateResponse>('GetState', { agent, key } satisfies W.WireGetStateRequest);
    return { key: res.entry?.key ?? key, value: res.entry?.value ?? '' };
  }

  async listState(agent: string, query: { prefix?: string; after?: string; limit?: number } = {}): Promise<StatePage> {
    const req: W.WireListStateRequest = { agent, prefix: query.prefix ?? '', pageSize: query.limit ?? 0, pageToken: query.after ?? '' };
    const res = await this.unary<W.WireListStateResponse>('ListState', req);
    return res.nextPageToken === '' ? { entries: res.entries } : { entries: res.entries, next: res.nextPageToken };
  }

  exportState(agent: string, onEntry: (entry: StateEntry) => void): StreamHandle {
    return this.stream(
      'ExportState',
      { agent } satisfies W.WireExportStateRequest,
      (w: W.WireStateEntry): StateEntry => ({ key: w.key, value: w.value }),
      onEntry,
    );
  }

  /**
   * Import `writes` (null deletes) in one commit: sent in batches of about `batchBytes` over one
   * client stream; the node commits once the stream ends. `onProgress` counts entries sent.
   */
  importState(
    agent: string,
    writes: readonly StateWrite[],
    options: { replace?: boolean; batchBytes?: number; onProgress?: (sent: number, total: number) => void } = {},
  ): Promise<StateImportResult> {
    const batchBytes = options.batchBytes ?? 64 * 1024;
    return new Promise<StateImportResult>((resolve, reject) => {
      let settled = false;
      const fn = this.raw['ImportState'] as unknown as (
        md: Metadata,
        cb: (err: ServiceError | null, res: unknown) => void,
      ) => ClientWritableStream<W.WireImportStateRequest>;
      const call = fn.call(this.raw, this.metadata(), (err, res) => {
        settled = true;
        if (err) reject(toApiCallError(err));
        else resolve({ written: (res as W.WireImportStateResponse).written, deleted: (res as W.WireImportStateResponse).deleted });
      });
      call.on('error', () => {}); // surfaced through the callback
      void (async () => {
        let batch: W.WireStateImportEntry[] = [];
        let bytes = 0;
        let sent = 0;
        let first = true;
        const flush = async (): Promise<void> => {
          const flushed = call.write({ agent: first ? agent : '', replace: first && (options.replace ?? false), entries: batch });
          first = false;
          sent += batch.length;
          batch = [];
          bytes = 0;
          options.onProgress?.(sent, writes.length);
          if (!flushed && !settled) await drainOrStatus(call as unknown as ClientWritableStream<W.WireArtifactUpload>);
        };
        for (const { key, value } of writes) {
          if (settled) return;
          batch.push(value === null ? { key } : { key, value });
          bytes += Buffer.byteLength(key) + (value === null ? 0 : Buffer.byteLength(value)) + 8;
          if (bytes >= batchBytes) await flush();
        }
        if (batch.length > 0 || first) await flush();
        if (!settled) call.end();
      })().catch((err: unknown) => {
        if (!settled) reject(toApiCallError(err));
      });
    });
  }

  private stream<Req, Wire, T>(method: string, request: Req, convert: (w: Wire) => T, onValue: (value: T) => void): StreamHandle {
    const fn = this.raw[method] as unknown as (req: Req, md: Metadata) => ClientReadableStream<Wire>;
    const call = fn.call(this.raw, request, this.metadata());
    let cancelled = false;
    const headers = new Promise<void>((resolve) => call.once('metadata', () => resolve()));
    const done = new Promise<void>((resolve, reject) => {
      call.on('data', (w: Wire) => {
        try {
          onValue(convert(w));
        } catch (err) {
          cancelled = true;
          call.cancel();
          reject(err);
        }
      });
      call.on('error', (err: ServiceError) => (cancelled ? resolve() : reject(toApiCallError(err))));
      call.on('end', () => resolve());
    });
    // A stream that ends or fails before any header settles `ready` the same way. Callers that
    // never wait for readiness must not see its failure as an unhandled rejection: `done` has it.
    const ready = Promise.race([headers, done]);
    ready.catch(() => undefined);
    return {
      cancel: () => {
        cancelled = true;
        call.cancel();
      },
      done,
      ready,
    };
  }

  tail(filter: TailFilter, onEvent: (event: MessageEvent) => void): StreamHandle {
    const req: W.WireTailMessagesRequest = {
      agent: filter.agent ?? '',
      conversationId: filter.conversationId ?? '',
      performatives: filter.performatives ?? [],
    };
    return this.stream('TailMessages', req, messageEventFromWire, onEvent);
  }

  /**
   * The audit trail's records as stored (decision 1402), from position `from`; `follow` keeps
   * the stream open for new ones. Verify them with core's AuditChainVerifier.
   */
  listAudit(query: { from?: number; limit?: number; follow?: boolean }, onRecord: (record: StoredAuditRecord) => void): StreamHandle {
    const req: W.WireListAuditRequest = { from: query.from ?? 0, limit: query.limit ?? 0, follow: query.follow ?? false };
    return this.stream(
      'ListAudit',
      req,
      (w: W.WireAuditRecordEntry): StoredAuditRecord => ({ position: Number(w.position), bytes: w.record }),
      onRecord,
    );
  }

  /** The node's audit public key and the trail's signed anchor (decision 1750); read before listAudit. */
  async getAuditAnchor(): Promise<{ publicKey: string; anchor: string | undefined }> {
    const res = await this.unary<W.WireGetAuditAnchorResponse>('GetAuditAnchor', {} satisfies W.WireGetAuditAnchorRequest);
    return { publicKey: res.publicKey, anchor: res.anchor === '' ? undefined : res.anchor };
  }

  logs(query: LogQuery, onEntry: (entry: LogEntry) => void): StreamHandle {
    const req: W.WireStreamLogsRequest = {
      agent: query.agent,
      follow: query.follow,
      sinceUnixMs: query.since ?? 0,
      limit: query.limit ?? 0,
    };
    return this.stream('StreamLogs', req, logFromWire, onEntry);
  }
}

export { ApiCallError };

/** An upgrade's rollout as the header carries it: unset thresholds absent (the node's defaults). */
function rolloutRequestToWire(r: NonNullable<UploadHeader['rollout']>): W.WireRolloutRequest {
  const t = r.thresholds ?? {};
  return {
    strategy: formatStrategy(r.strategy),
    ...(t.maxCrashRatePercent !== undefined ? { maxCrashRatePercent: t.maxCrashRatePercent } : {}),
    ...(t.maxFailureRatePercent !== undefined ? { maxFailureRatePercent: t.maxFailureRatePercent } : {}),
    maxP99Ms: t.maxP99Ms ?? 0,
    bakeMs: t.bakeMs ?? 0,
  };
}
