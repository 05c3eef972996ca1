/**
 * The caxton.v1 messages as JavaScript values, exactly as @grpc/proto-loader produces and consumes
 * them with the options in proto.ts (camelCase names, 64-bit integers as numbers, enums as their
 * names, defaults filled in, oneofs named by a virtual field).
 *
 * Hand-written rather than generated: the set is small and a dozen generated files per message
 * would bury it. test/api/wire-shape.test.ts round-trips a fully populated value of every message
 * through the real serializers, so a field renamed here or in the .proto fails a test.
 *
 * Reading rule: a message-typed field the peer left out arrives as `null`; a proto3 `optional`
 * scalar it left out is absent (`undefined`).
 */

export type Wire64 = number;

/** One replica of an agent scaled across nodes (decision 2097). `handled` counts only with `handledKnown`. */
export interface WireReplicaUnit {
  replica: number;
  nodeId: string;
  activeOn: string[];
  handled: Wire64;
  handledKnown: boolean;
}

export interface WireArtifactHeader {
  name: string;
  fuelPerMessage: Wire64;
  memoryPages: number;
  config: Record<string, string>;
  sha256: string;
  totalSize: Wire64;
  replaceConfig: boolean;
  /** Optional when sending (old callers); always filled in when received. */
  keepState?: boolean;
  /** Optional for senders: an absent policy means none (deploy) / keep (upgrade). */
  http?: WireHttpPolicy | null;
  /** DSSE envelope JSON (decision 1400); optional when sending, '' when received without one. */
  signatureEnvelope?: string;
  /** Source language label; optional when sending, '' when received without one. */
  language?: string;
  /** Send quotas (decision 1720); optional when sending, 0 (= default / keep) when received without. */
  maxSendsPerS?: number;
  maxSendsPerCall?: number;
  /** Upgrade with a strategy (decision 1871); absent/null: drain and swap. */
  rollout?: WireRolloutRequest | null;
  /** Absent queue (decision 1990); optional when sending, 0 (= default / keep) when received without. */
  absentQueue?: number;
  absentTtlMs?: Wire64;
  /** The operator's A2A Agent Card, JSON (decision 1951); optional when sending, '' when received without one. */
  a2aCard?: string;
  /** An agent kind (decision 1980); null or absent: a named agent. */
  kind?: { idleMs: number; maxActive?: number; priorityClass?: string } | null;
  /** The topic allow-list (decision 2050); null or absent: every topic (deploy) / keep (upgrade). */
  topics?: WireTopicAllowList | null;
  /** Upgrade only: replay recorded traffic on the new version first (issue 57); null or absent: none. */
  replay?: WireReplayGate | null;
  /** The declared ontologies, JSON (decision 2183); optional when sending, '' when received without. */
  ontologies?: string;
  /** Deploy near this agent (decision 2189); optional when sending, '' when received without. */
  near?: string;
}

/** An upgrade's replay gate (issue 57): one of `handlings` and `sinceMs` non-zero. */
export interface WireReplayGate {
  handlings: number;
  sinceMs: Wire64;
  acceptDiff: string[];
}

/** A deployment's topic patterns (decision 2050). */
export interface WireTopicAllowList {
  patterns: string[];
}

export interface WireRolloutRequest {
  strategy: string;
  /** proto3 optional: absent = default. */
  maxCrashRatePercent?: number;
  maxFailureRatePercent?: number;
  maxP99Ms: number;
  bakeMs: Wire64;
}

export interface WireHttpAllowRule {
  host: string;
  ports: number[];
  methods: string[];
  pathPrefixes: string[];
  allowPrivate: boolean;
}

export interface WireHttpPolicy {
  allow: WireHttpAllowRule[];
  timeoutMs: number;
  maxResponseBytes: Wire64;
  maxRequestBytes: Wire64;
  maxInFlight: number;
  maxCallsPerHandling: number;
  maxRedirects: number;
  noRedirects: boolean;
  extraCaPem: string;
}

export type WireArtifactUpload =
  | { part?: 'header'; header: WireArtifactHeader; chunk?: undefined }
  | { part?: 'chunk'; chunk: Uint8Array; header?: undefined | null };

export type WireAgentState =
  | 'AGENT_STATE_UNSPECIFIED'
  | 'AGENT_STATE_STARTING'
  | 'AGENT_STATE_RUNNING'
  | 'AGENT_STATE_UPGRADING'
  | 'AGENT_STATE_RESTARTING'
  | 'AGENT_STATE_STOPPING'
  | 'AGENT_STATE_STOPPED'
  | 'AGENT_STATE_FAILED'
  | 'AGENT_STATE_SUSPENDED';

export interface WireAgentLimits {
  fuelPerMessage: Wire64;
  memoryPages: number;
  /** 0: not stored with the deployment (the sandbox default applies). Optional for old peers. */
  maxSendsPerS?: number;
  maxSendsPerCall?: number;
  /** Absent queue (decision 1990); optional when sending, 0 (= default / keep) when received without. */
  absentQueue?: number;
  absentTtlMs?: Wire64;
}

export interface WireAgentError {
  message: string;
  code: string;
  atUnixMs: Wire64;
}

export interface WirePreviousDeployment {
  version: Wire64;
  artifactSha256: string;
  language: string;
}

/** Sums over handlings (decision 2184). */
export interface WireHandlingCosts {
  handled: Wire64;
  fuel: Wire64;
  handlerUs: Wire64;
  messagesSent: Wire64;
  bytesSent: Wire64;
  stateBytesWritten: Wire64;
  httpCalls: Wire64;
}

export interface WireAgentInfo {
  name: string;
  state: WireAgentState;
  nodeId: string;
  version: Wire64;
  artifactSha256: string;
  artifactSize: Wire64;
  limits: WireAgentLimits | null;
  config: Record<string, string>;
  restarts: number;
  fuelUsed: Wire64;
  memoryPages: number;
  mailboxDepth: Wire64;
  messagesHandled: Wire64;
  /** What its handlings cost (decision 2184); null or absent (older nodes, an instance elsewhere) when not counted here. */
  costs?: WireHandlingCosts | null;
  lastError: WireAgentError | null;
  createdAtUnixMs: Wire64;
  updatedAtUnixMs: Wire64;
  http: WireHttpPolicy | null;
  /** '' when no trusted signature was verified (decision 1400); optional for old senders. */
  signerKeyId?: string;
  /** '' when the deployer stated no language; optional for old senders. */
  language?: string;
  /** What a rollback would put back; null (or absent, from old senders) when nothing. */
  previous?: WirePreviousDeployment | null;
  /** The agent's circuit breaker; null (or absent, from old senders) while closed. */
  breaker?: WireAgentBreaker | null;
  /** A rollout (decision 1871); null (or absent, from old senders) when none. */
  rollout?: WireAgentRollout | null;
  /** Messages waiting for the absent agent (decision 1990); null (or absent) while it is present. */
  absentQueue?: WireAbsentQueue | null;
  /** A kind's instances' counts (decision 1980); null or absent for an agent or an instance. */
  kind?: {
    idleMs: number;
    active: Wire64;
    passivated: Wire64;
    activations: Wire64;
    failed: Wire64;
    maxActive?: number;
    evicted?: Wire64;
    priorityClass?: string;
    preempted?: Wire64;
  } | null;
  /** Replicas behind the name (decision 2010); null or absent while the agent runs as one. */
  replicas?: { replicas: number; draining: number; recorded?: number; units?: WireReplicaUnit[] } | null;
  /** The topic allow-list (decision 2050); null (or absent, from old senders): every topic. */
  topics?: WireTopicAllowList | null;
  /** An instance whose partition another node consumes (decision 2060); null or absent otherwise. */
  elsewhere?: { partition?: number } | null;
  /** The names of its declared ontologies (decision 2183); absent or empty: none. */
  ontologies?: string[];
  /** Deployed near another agent (decision 2189); null or absent: placed by its own name. */
  near?: { agent: string; key?: string; note?: string } | null;
}

export interface WireAbsentQueue {
  queued: number;
  limit: number;
  ttlMs: Wire64;
}

export interface WireAgentBreaker {
  state: string;
  failures: number;
  retryAfterMs: Wire64;
}

export interface WireDeployAgentResponse {
  agent: WireAgentInfo | null;
}

export interface WireRollbackAgentRequest {
  name: string;
}

export interface WireUpgradeAgentResponse {
  agent: WireAgentInfo | null;
  previousVersion: Wire64;
}

export interface WireStopAgentRequest {
  name: string;
  force: boolean;
  /** Optional for old senders (decision 1990). */
  keepQueue?: boolean;
}

export interface WireStopAgentResponse {
  agent: WireAgentInfo | null;
}

export type WireListAgentsRequest = Record<string, never>;

export interface WireListAgentsResponse {
  agents: WireAgentInfo[];
}

export interface WireGetAgentRequest {
  name: string;
}

export interface WireGetAgentResponse {
  agent: WireAgentInfo | null;
}

export interface WireAgentIdentifier {
  name: string;
  addresses: string[];
  resolvers: WireAgentIdentifier[];
  userParams: Record<string, string>;
}

export interface WireAclMessage {
  performative: string;
  sender: WireAgentIdentifier | null;
  receivers: WireAgentIdentifier[];
  replyTo: WireAgentIdentifier[];
  content?: string;
  language?: string;
  encoding?: string;
  ontology?: string;
  protocol?: string;
  conversationId?: string;
  replyWith?: string;
  inReplyTo?: string;
  replyByUnixMs?: Wire64;
  userParams: Record<string, string>;
}

export type WireSendMessageRequest = (
  | { message?: 'json'; json: string }
  | { message?: 'fipa'; fipa: string }
  | { message?: 'structured'; structured: WireAclMessage | null }
  | { message?: undefined }
) & {
  /** Optional when sending; '' (no key) when received without one (decision 1700). */
  idempotencyKey?: string;
};

export interface WireRefusedReceiver {
  receiver: string;
  reason: string;
}

export interface WireSendMessageResponse {
  messageId: string;
  accepted: string[];
  refused: WireRefusedReceiver[];
}

export interface WireTailMessagesRequest {
  agent: string;
  conversationId: string;
  performatives: string[];
}

export interface WireMessageEvent {
  messageId: string;
  acceptedAtUnixMs: Wire64;
  message: WireAclMessage | null;
}

export type WireLogLevel =
  | 'LOG_LEVEL_UNSPECIFIED'
  | 'LOG_LEVEL_TRACE'
  | 'LOG_LEVEL_DEBUG'
  | 'LOG_LEVEL_INFO'
  | 'LOG_LEVEL_WARN'
  | 'LOG_LEVEL_ERROR';

export interface WireStreamLogsRequest {
  agent: string;
  follow: boolean;
  sinceUnixMs: Wire64;
  limit: number;
}

export interface WireLogEntry {
  agent: string;
  atUnixMs: Wire64;
  level: WireLogLevel;
  message: string;
  nodeId: string;
}

export interface WireDfTemplate {
  agentName: string;
  serviceName: string;
  serviceType: string;
  protocols: string[];
  ontologies: string[];
  languages: string[];
  properties: Record<string, string>;
}

export interface WireSearchDirectoryRequest {
  template: WireDfTemplate | null;
  limit: number;
}

export interface WireServiceDescription {
  name: string;
  type: string;
  ownership: string;
  protocols: string[];
  ontologies: string[];
  languages: string[];
  properties: Record<string, string>;
}

export interface WireDfAgentDescription {
  name: WireAgentIdentifier | null;
  services: WireServiceDescription[];
  protocols: string[];
  ontologies: string[];
  languages: string[];
  leaseUntilUnixMs: Wire64;
}

export interface WireSearchDirectoryResponse {
  results: WireDfAgentDescription[];
}

export interface WireListTopicsRequest {
  topic: string;
}

export interface WireTopicSubscription {
  topic: string;
  agent: string;
  filterJson: string;
}

export interface WireListTopicsResponse {
  subscriptions: WireTopicSubscription[];
}

export type WireNodeStatusRequest = Record<string, never>;

export interface WireClusterNode {
  id: string;
  address: string;
  startedAtUnixMs: Wire64;
  lastSeenUnixMs: Wire64;
  agents: string[];
  self: boolean;
}

export interface WireStorageBackend {
  role: string;
  kind: string;
  location: string;
}

export interface WireNodeStatusResponse {
  nodeId: string;
  version: string;
  startedAtUnixMs: Wire64;
  uptimeMs: Wire64;
  agentsTotal: number;
  agentsRunning: number;
  nodes: WireClusterNode[];
  storage: WireStorageBackend[];
  /** Absent from nodes that predate the kill switch. */
  killSwitch?: WireKillSwitchStatus | null;
  /** Empty or absent from nodes that predate it. */
  platform?: string;
  /** Absent from nodes that predate it (issue 57). */
  replay?: WireReplayReach | null;
}

export interface WireReplayReach {
  /** 0: unknown, or nothing held. */
  oldestRecordUnixMs: Wire64;
  historySeconds: Wire64;
  historyBytes: Wire64;
  heldBytes: Wire64;
  segments: number;
  source: string;
  /** Absent or empty from nodes that predate it (decision 2182). */
  agents?: WireAgentReplayReach[];
}

export interface WireAgentReplayReach {
  agent: string;
  /** 0: nothing copied yet. */
  oldestCopyClosedUnixMs: Wire64;
  files: number;
  heldBytes: Wire64;
  historySeconds: Wire64;
  historyBytes: Wire64;
}

// ---- Kill switch (decision 1403) ----

export interface WireKillSwitchStatus {
  frozen: boolean;
  nodeFrozen: boolean;
  clusterFrozen: boolean;
  suspended: string[];
}

export interface WireFreezeRequest {
  cluster: boolean;
}

export interface WireFreezeResponse {
  status: WireKillSwitchStatus | null;
  drainedMs: Wire64;
}

export type WireThawRequest = WireFreezeRequest;

export interface WireThawResponse {
  status: WireKillSwitchStatus | null;
}

export interface WireSuspendAgentRequest {
  name: string;
}

export interface WireSuspendAgentResponse {
  agent: WireAgentInfo;
}

/** Replicas behind one name (decision 2010). */
export interface WireScaleAgentRequest {
  name: string;
  replicas: number;
}

export interface WireScaleAgentResponse {
  agent: WireAgentInfo;
}

// ---- Agent state (decision 1600) ----

export interface WireStateEntry {
  key: string;
  value: string;
}

export interface WireGetStateRequest {
  agent: string;
  key: string;
}

export interface WireGetStateResponse {
  entry: WireStateEntry | null;
}

export interface WireListStateRequest {
  agent: string;
  prefix: string;
  pageSize: number;
  pageToken: string;
}

export interface WireListStateResponse {
  entries: WireStateEntry[];
  nextPageToken: string;
}

export interface WireExportStateRequest {
  agent: string;
}

export interface WireStateImportEntry {
  key: string;
  /** Absent: delete. */
  value?: string;
}

export interface WireImportStateRequest {
  agent: string;
  replace: boolean;
  entries: WireStateImportEntry[];
}

export interface WireImportStateResponse {
  written: Wire64;
  deleted: Wire64;
}

export interface WireListAuditRequest {
  from: Wire64;
  limit: Wire64;
  follow: boolean;
}

export interface WireAuditRecordEntry {
  position: Wire64;
  record: Uint8Array;
}

export type WireGetAuditAnchorRequest = Record<string, never>;

export interface WireGetAuditAnchorResponse {
  publicKey: string;
  anchor: string;
}

export interface WireRotateTokensRequest {
  overlapSeconds: Wire64;
}

export interface WireRotateTokensResponse {
  adminToken: string;
  readToken: string;
  previousValidUntilUnixMs: Wire64;
}

export interface WireIssueTokenRequest {
  role: string;
  agents: string;
  ttlSeconds: Wire64;
  label: string;
}

export interface WireIssuedToken {
  id: string;
  label: string;
  role: string;
  agents: string;
  createdUnixMs: Wire64;
  expiresUnixMs: Wire64;
  revokedUnixMs: Wire64;
}

export interface WireIssueTokenResponse {
  token: string;
  issued: WireIssuedToken;
}

export type WireListTokensRequest = Record<string, never>;

export interface WireListTokensResponse {
  tokens: WireIssuedToken[];
}

export interface WireRevokeTokenRequest {
  id: string;
}

export interface WireRevokeTokenResponse {
  token: WireIssuedToken;
}

// ---- Dead letters (decision 1860) ----

export interface WireDeadLetter {
  id: string;
  receiver: string;
  messageId: string;
  message: WireAclMessage | null;
  reason: string;
  attempts: number;
  deadLetteredUnixMs: Wire64;
  state: string;
  redriveDeliveryId: string;
  redriveReceiver: string;
  redrivenUnixMs: Wire64;
  purgedUnixMs: Wire64;
}

export interface WireListDeadLettersRequest {
  agent: string;
  includePurged: boolean;
  limit: number;
}

export interface WireListDeadLettersResponse {
  letters: WireDeadLetter[];
}

export interface WireGetDeadLetterRequest {
  id: string;
}

export interface WireGetDeadLetterResponse {
  letter: WireDeadLetter | null;
}

export interface WireRedriveDeadLettersRequest {
  ids: string[];
  agent: string;
  to: string;
}

export interface WireRedrivenLetter {
  id: string;
  deliveryId: string;
  receiver: string;
}

export interface WireRedriveDeadLettersResponse {
  redriven: WireRedrivenLetter[];
}

export interface WirePurgeDeadLettersRequest {
  ids: string[];
  agent: string;
}

export interface WirePurgeDeadLettersResponse {
  purged: string[];
}

export interface WireAgentRollout {
  strategy: string;
  phase: string;
  candidateVersion: Wire64;
  candidateSha256: string;
  startedAtUnixMs: Wire64;
  bakeUntilUnixMs: Wire64;
  maxCrashRatePercent: number;
  maxFailureRatePercent: number;
  maxP99Ms: number;
  bakeMs: Wire64;
  handled: Wire64;
  crashes: Wire64;
  failures: Wire64;
  p99Ms: number;
  reason: string;
}

export interface WireGetConversationCostsRequest {
  sort: string;
  limit: number;
  conversationId: string;
}

export interface WireConversationCostsInfo {
  conversationId: string;
  costs: WireHandlingCosts | null;
  firstAtUnixMs: Wire64;
  lastAtUnixMs: Wire64;
  agents: { agent: string; costs: WireHandlingCosts | null }[];
  otherAgents: WireHandlingCosts | null;
}

export interface WireGetConversationCostsResponse {
  atUnixMs: Wire64;
  conversationCount: number;
  conversations: WireConversationCostsInfo[];
  noConversation: WireHandlingCosts | null;
  evicted: WireHandlingCosts | null;
  evictedConversations: Wire64;
  totals: WireHandlingCosts | null;
}
