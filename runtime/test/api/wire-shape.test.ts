/**
 * wire.ts is hand-written; this keeps it honest. Every message is filled with non-default values
 * typed by wire.ts (so the compiler checks them against the interfaces), pushed through the real
 * proto-loader serializers and read back: a field misnamed on either side is dropped on the way
 * and the round trip no longer matches.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { agentFromWire, agentToWire, caxtonService } from '@caxton/client';
import type { AgentStatus } from '@caxton/core';
import type * as W from '@caxton/client';

const id: W.WireAgentIdentifier = {
  name: 'a@p',
  addresses: ['http://h:7778/acc'],
  resolvers: [{ name: 'r@p', addresses: [], resolvers: [], userParams: {} }],
  userParams: { 'X-k': 'v' },
};
const acl: W.WireAclMessage = {
  performative: 'inform',
  sender: id,
  receivers: [id],
  replyTo: [id],
  content: 'c',
  language: 'fipa-sl',
  encoding: 'utf-8',
  ontology: 'o',
  protocol: 'fipa-request',
  conversationId: 'conv',
  replyWith: 'rw',
  inReplyTo: 'irt',
  replyByUnixMs: 1_700_000_000_000,
  userParams: { 'X-trace': 't' },
};
const http: W.WireHttpPolicy = {
  allow: [{ host: 'api.example.com', ports: [443], methods: ['GET'], pathPrefixes: ['/v1/'], allowPrivate: true }],
  timeoutMs: 1000,
  maxResponseBytes: 2000,
  maxRequestBytes: 3000,
  maxInFlight: 4,
  maxCallsPerHandling: 5,
  maxRedirects: 6,
  noRedirects: false,
  extraCaPem: 'pem',
};
const agent: W.WireAgentInfo = {
  name: 'echo',
  state: 'AGENT_STATE_RUNNING',
  nodeId: 'n1',
  version: 3,
  artifactSha256: 'ab'.repeat(32),
  artifactSize: 1234,
  limits: { fuelPerMessage: 10_000_000_000, memoryPages: 16, maxSendsPerS: 6, maxSendsPerCall: 7, absentQueue: 8, absentTtlMs: 9 },
  config: { k: 'v' },
  restarts: 2,
  fuelUsed: 99,
  memoryPages: 4,
  mailboxDepth: 5,
  messagesHandled: 6,
  lastError: { message: 'boom', code: 'sandbox.trap', atUnixMs: 7 },
  createdAtUnixMs: 8,
  updatedAtUnixMs: 9,
  http,
  signerKeyId: '0123456789abcdef',
  language: 'assemblyscript',
  previous: { version: 2, artifactSha256: 'cd'.repeat(32), language: 'rust' },
  breaker: { state: 'open', failures: 3, retryAfterMs: 4 },
  rollout: {
    strategy: 'canary:10',
    phase: 'baking',
    candidateVersion: 4,
    candidateSha256: 'ef'.repeat(32),
    startedAtUnixMs: 10,
    bakeUntilUnixMs: 11,
    maxCrashRatePercent: 1,
    maxFailureRatePercent: 5,
    maxP99Ms: 250,
    bakeMs: 600_000,
    handled: 12,
    crashes: 1,
    failures: 2,
    p99Ms: 3.5,
    reason: 'r',
  },
  absentQueue: { queued: 1, limit: 2, ttlMs: 3 },
  kind: { idleMs: 500, active: 1, passivated: 2, activations: 3, failed: 4, maxActive: 5, evicted: 6, priorityClass: 'low', preempted: 8 },
  replicas: {
    replicas: 3,
    draining: 1,
    recorded: 4,
    units: [
      { replica: 1, nodeId: 'n1', activeOn: ['n1'], handled: 12, handledKnown: true },
      { replica: 2, nodeId: 'n2', activeOn: ['n2', 'n3'], handled: 0, handledKnown: false },
    ],
  },
  topics: { patterns: ['orders.*', 'alerts'] },
  elsewhere: { partition: 7 },
  ontologies: ['orders', 'parcels'],
  costs: { handled: 6, fuel: 99, handlerUs: 1234, messagesSent: 7, bytesSent: 512, stateBytesWritten: 64, httpCalls: 1 },
  near: { agent: 'ping', key: 'root', note: 'n' },
};
const header: W.WireArtifactHeader = {
  name: 'echo',
  fuelPerMessage: 1,
  memoryPages: 2,
  config: { a: 'b' },
  sha256: 'cd'.repeat(32),
  totalSize: 3,
  replaceConfig: true,
  keepState: true,
  http,
  signatureEnvelope: '{"payloadType":"t"}',
  language: 'rust',
  maxSendsPerS: 4,
  maxSendsPerCall: 5,
  absentQueue: 6,
  absentTtlMs: 7,
  a2aCard: '{"name":"n"}',
  ontologies: '{"o":true}',
  near: 'ping',
  rollout: { strategy: 'canary:10', maxCrashRatePercent: 0, maxFailureRatePercent: 3, maxP99Ms: 250, bakeMs: 600_000 },
  kind: { idleMs: 500, maxActive: 7, priorityClass: 'high' },
  topics: { patterns: ['jobs.*'] },
  replay: { handlings: 1000, sinceMs: 0, acceptDiff: ['sends', 'state'] },
};
const df: W.WireDfAgentDescription = {
  name: id,
  protocols: ['p'],
  ontologies: ['o'],
  languages: ['l'],
  leaseUntilUnixMs: 10,
  services: [{ name: 's', type: 't', ownership: 'me', protocols: ['p'], ontologies: ['o'], languages: ['l'], properties: { x: 'y' } }],
};

const requests: Record<string, unknown[]> = {
  DeployAgent: [
    { part: 'header', header } satisfies W.WireArtifactUpload,
    { part: 'chunk', chunk: Buffer.from([1, 2, 3]) } satisfies W.WireArtifactUpload,
  ],
  UpgradeAgent: [{ part: 'header', header } satisfies W.WireArtifactUpload],
  RollbackAgent: [{ name: 'echo' } satisfies W.WireRollbackAgentRequest],
  StopAgent: [{ name: 'echo', force: true, keepQueue: true } satisfies W.WireStopAgentRequest],
  ListAgents: [{} satisfies W.WireListAgentsRequest],
  GetAgent: [{ name: 'echo' } satisfies W.WireGetAgentRequest],
  SendMessage: [
    { message: 'json', json: '{}', idempotencyKey: '' } satisfies W.WireSendMessageRequest,
    { message: 'fipa', fipa: '(inform)', idempotencyKey: 'k-1' } satisfies W.WireSendMessageRequest,
    { message: 'structured', structured: acl, idempotencyKey: 'order-7 ü' } satisfies W.WireSendMessageRequest,
  ],
  TailMessages: [{ agent: 'a', conversationId: 'c', performatives: ['inform'] } satisfies W.WireTailMessagesRequest],
  StreamLogs: [{ agent: 'a', follow: true, sinceUnixMs: 5, limit: 6 } satisfies W.WireStreamLogsRequest],
  SearchDirectory: [
    {
      template: {
        agentName: 'a',
        serviceName: 's',
        serviceType: 't',
        protocols: ['p'],
        ontologies: ['o'],
        languages: ['l'],
        properties: { k: 'v' },
      },
      limit: 3,
    } satisfies W.WireSearchDirectoryRequest,
  ],
  ListTopics: [{ topic: 'market.prices' } satisfies W.WireListTopicsRequest],
  NodeStatus: [{} satisfies W.WireNodeStatusRequest],
  GetState: [{ agent: 'a', key: 'k' } satisfies W.WireGetStateRequest],
  ListState: [{ agent: 'a', prefix: 'p', pageSize: 5, pageToken: 'k1' } satisfies W.WireListStateRequest],
  ExportState: [{ agent: 'a' } satisfies W.WireExportStateRequest],
  ImportState: [{ agent: 'a', replace: true, entries: [{ key: 'k', value: 'v' }, { key: 'gone' }] } satisfies W.WireImportStateRequest],
  ListAudit: [{ from: 7, limit: 3, follow: true } satisfies W.WireListAuditRequest],
  GetAuditAnchor: [{} satisfies W.WireGetAuditAnchorRequest],
  Freeze: [{ cluster: true } satisfies W.WireFreezeRequest],
  Thaw: [{ cluster: true } satisfies W.WireThawRequest],
  SuspendAgent: [{ name: 'echo' } satisfies W.WireSuspendAgentRequest],
  ResumeAgent: [{ name: 'echo' } satisfies W.WireSuspendAgentRequest],
  ScaleAgent: [{ name: 'echo', replicas: 3 } satisfies W.WireScaleAgentRequest],
  RotateTokens: [{ overlapSeconds: 600 } satisfies W.WireRotateTokensRequest],
  IssueToken: [{ role: 'deployer', agents: 'team-a-*', ttlSeconds: 86_400, label: 'ci' } satisfies W.WireIssueTokenRequest],
  ListTokens: [{} satisfies W.WireListTokensRequest],
  RevokeToken: [{ id: '0123456789abcdef' } satisfies W.WireRevokeTokenRequest],
  ListDeadLetters: [{ agent: 'echo', includePurged: true, limit: 50 } satisfies W.WireListDeadLettersRequest],
  GetDeadLetter: [{ id: 'm1>echo' } satisfies W.WireGetDeadLetterRequest],
  RedriveDeadLetters: [
    { ids: ['m1>echo', 'm2>echo'], agent: '', to: 'echo2' } satisfies W.WireRedriveDeadLettersRequest,
    { ids: [], agent: 'echo', to: '' } satisfies W.WireRedriveDeadLettersRequest,
  ],
  PurgeDeadLetters: [{ ids: ['m1>echo'], agent: '' } satisfies W.WirePurgeDeadLettersRequest],
  GetConversationCosts: [
    { sort: 'bytesSent', limit: 20, conversationId: '' } satisfies W.WireGetConversationCostsRequest,
    { sort: '', limit: 0, conversationId: 'parcel-1' } satisfies W.WireGetConversationCostsRequest,
  ],
};

const wireCosts: W.WireHandlingCosts = {
  handled: 2,
  fuel: 9_000,
  handlerUs: 40,
  messagesSent: 3,
  bytesSent: 120,
  stateBytesWritten: 8,
  httpCalls: 1,
};

const issued: W.WireIssuedToken = {
  id: '0123456789abcdef',
  label: 'ci',
  role: 'deployer',
  agents: 'team-a-*',
  createdUnixMs: 1,
  expiresUnixMs: 2,
  revokedUnixMs: 3,
};

const letter: W.WireDeadLetter = {
  id: 'm1>echo',
  receiver: 'echo',
  messageId: 'm1',
  message: acl,
  reason: 'handler crashed 3 times (trap: unreachable)',
  attempts: 3,
  deadLetteredUnixMs: 10,
  state: 'redriven',
  redriveDeliveryId: 'r-1>echo2',
  redriveReceiver: 'echo2',
  redrivenUnixMs: 11,
  purgedUnixMs: 0,
};

const killSwitch: W.WireKillSwitchStatus = { frozen: true, nodeFrozen: true, clusterFrozen: true, suspended: ['a', 'b'] };

const responses: Record<string, unknown> = {
  DeployAgent: { agent } satisfies W.WireDeployAgentResponse,
  UpgradeAgent: { agent, previousVersion: 2 } satisfies W.WireUpgradeAgentResponse,
  RollbackAgent: { agent, previousVersion: 3 } satisfies W.WireUpgradeAgentResponse,
  StopAgent: { agent } satisfies W.WireStopAgentResponse,
  ListAgents: { agents: [agent] } satisfies W.WireListAgentsResponse,
  GetAgent: { agent } satisfies W.WireGetAgentResponse,
  SendMessage: { messageId: 'm1', accepted: ['a'], refused: [{ receiver: 'b', reason: 'unknown' }] } satisfies W.WireSendMessageResponse,
  TailMessages: { messageId: 'm1', acceptedAtUnixMs: 4, message: acl } satisfies W.WireMessageEvent,
  StreamLogs: { agent: 'a', atUnixMs: 1, level: 'LOG_LEVEL_WARN', message: 'm', nodeId: 'n' } satisfies W.WireLogEntry,
  SearchDirectory: { results: [df] } satisfies W.WireSearchDirectoryResponse,
  ListTopics: { subscriptions: [{ topic: 't', agent: 'a', filterJson: '{"all":[]}' }] } satisfies W.WireListTopicsResponse,
  NodeStatus: {
    nodeId: 'n',
    version: '1',
    startedAtUnixMs: 1,
    uptimeMs: 2,
    agentsTotal: 3,
    agentsRunning: 4,
    nodes: [{ id: 'n', address: 'h:1', startedAtUnixMs: 1, lastSeenUnixMs: 2, agents: ['a'], self: true }],
    storage: [{ role: 'bus', kind: 'kafka', location: 'b:9092' }],
    killSwitch,
    platform: 'caxton-a',
    replay: {
      oldestRecordUnixMs: 5,
      historySeconds: 6,
      historyBytes: 7,
      heldBytes: 8,
      segments: 9,
      source: 'embedded',
      agents: [{ agent: 'billing', oldestCopyClosedUnixMs: 10, files: 11, heldBytes: 12, historySeconds: 13, historyBytes: 14 }],
    },
  } satisfies W.WireNodeStatusResponse,
  GetState: { entry: { key: 'k', value: 'v' } } satisfies W.WireGetStateResponse,
  ListState: { entries: [{ key: 'k', value: 'v' }], nextPageToken: 'k' } satisfies W.WireListStateResponse,
  ExportState: { key: 'k', value: 'v' } satisfies W.WireStateEntry,
  ImportState: { written: 3, deleted: 1 } satisfies W.WireImportStateResponse,
  ListAudit: { position: 7, record: Buffer.from('{"index":7}') } satisfies W.WireAuditRecordEntry,
  GetAuditAnchor: { publicKey: 'k'.repeat(44), anchor: '{"checkpoint":{}}' } satisfies W.WireGetAuditAnchorResponse,
  Freeze: { status: killSwitch, drainedMs: 12 } satisfies W.WireFreezeResponse,
  Thaw: { status: killSwitch } satisfies W.WireThawResponse,
  SuspendAgent: { agent: { ...agent, state: 'AGENT_STATE_SUSPENDED' } } satisfies W.WireSuspendAgentResponse,
  ResumeAgent: { agent } satisfies W.WireSuspendAgentResponse,
  ScaleAgent: { agent: { ...agent, replicas: { replicas: 3, draining: 1, recorded: 0, units: [] } } } satisfies W.WireScaleAgentResponse,
  RotateTokens: { adminToken: 'a'.repeat(43), readToken: 'r'.repeat(43), previousValidUntilUnixMs: 5 } satisfies W.WireRotateTokensResponse,
  IssueToken: { token: 'cxt_'.padEnd(47, 't'), issued } satisfies W.WireIssueTokenResponse,
  ListTokens: { tokens: [issued, { ...issued, id: 'fedcba9876543210', agents: 'x', revokedUnixMs: 9 }] } satisfies W.WireListTokensResponse,
  RevokeToken: { token: issued } satisfies W.WireRevokeTokenResponse,
  ListDeadLetters: { letters: [letter, { ...letter, state: 'purged', purgedUnixMs: 13 }] } satisfies W.WireListDeadLettersResponse,
  GetDeadLetter: { letter } satisfies W.WireGetDeadLetterResponse,
  RedriveDeadLetters: {
    redriven: [{ id: 'm1>echo', deliveryId: 'r-1>echo2', receiver: 'echo2' }],
  } satisfies W.WireRedriveDeadLettersResponse,
  PurgeDeadLetters: { purged: ['m1>echo'] } satisfies W.WirePurgeDeadLettersResponse,
  GetConversationCosts: {
    atUnixMs: 14,
    conversationCount: 2,
    conversations: [
      {
        conversationId: 'parcel-1',
        costs: wireCosts,
        firstAtUnixMs: 10,
        lastAtUnixMs: 12,
        agents: [{ agent: 'broker', costs: wireCosts }],
        otherAgents: wireCosts,
      },
    ],
    noConversation: wireCosts,
    evicted: wireCosts,
    evictedConversations: 3,
    totals: wireCosts,
  } satisfies W.WireGetConversationCostsResponse,
};

/** proto-loader adds `_field` markers for proto3 optional fields; they are not part of wire.ts. */
function withoutSyntheticOneofs(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutSyntheticOneofs);
  if (value && typeof value === 'object' && !Buffer.isBuffer(value)) {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([k]) => !k.startsWith('_'))
        .map(([k, v]) => [k, withoutSyntheticOneofs(v)]),
    );
  }
  return value;
}

describe('wire.ts matches caxton.proto', () => {
  const service = caxtonService();
  it('covers every RPC of the service', () => {
    assert.deepEqual(Object.keys(service).sort(), Object.keys(requests).sort());
    assert.deepEqual(Object.keys(service).sort(), Object.keys(responses).sort());
  });
  for (const [method, def] of Object.entries(service)) {
    it(`round-trips ${method}`, () => {
      for (const request of requests[method] ?? []) {
        assert.deepEqual(withoutSyntheticOneofs(def.requestDeserialize(def.requestSerialize(request))), request);
      }
      const response = responses[method];
      assert.deepEqual(withoutSyntheticOneofs(def.responseDeserialize(def.responseSerialize(response))), response);
    });
  }
});

describe("an agent's circuit breaker on the wire (decision 1921)", () => {
  const base: AgentStatus = {
    name: 'echo',
    state: 'running',
    nodeId: 'n1',
    version: 1,
    artifactDigest: 'ab'.repeat(32),
    artifactSize: 1,
    limits: { fuelPerMessage: 1, memoryPages: 1 },
    config: {},
    restarts: 0,
    fuelUsed: 0,
    memoryPages: 1,
    mailboxDepth: 0,
    messagesHandled: 0,
    createdAt: 1,
    updatedAt: 2,
  };
  const def = caxtonService().GetAgent!;
  const trip = (a: AgentStatus) =>
    agentFromWire((def.responseDeserialize(def.responseSerialize({ agent: agentToWire(a) })) as W.WireGetAgentResponse).agent);
  it('open and half-open travel; closed is absent', () => {
    assert.deepEqual(trip({ ...base, breaker: { state: 'open', failures: 5, retryAfterMs: 900 } }).breaker, {
      state: 'open',
      failures: 5,
      retryAfterMs: 900,
    });
    assert.deepEqual(trip({ ...base, breaker: { state: 'half-open', failures: 5 } }).breaker, { state: 'half-open', failures: 5 });
    assert.equal(trip(base).breaker, undefined);
  });
});

describe("an agent's replicas across nodes on the wire (decision 2097)", () => {
  const base: AgentStatus = {
    name: 'echo',
    state: 'running',
    nodeId: 'n1',
    version: 1,
    artifactDigest: 'ab'.repeat(32),
    artifactSize: 1,
    limits: { fuelPerMessage: 1, memoryPages: 1 },
    config: {},
    restarts: 0,
    fuelUsed: 0,
    memoryPages: 1,
    mailboxDepth: 0,
    messagesHandled: 0,
    createdAt: 1,
    updatedAt: 2,
  };
  const def = caxtonService().GetAgent!;
  const trip = (a: AgentStatus) =>
    agentFromWire((def.responseDeserialize(def.responseSerialize({ agent: agentToWire(a) })) as W.WireGetAgentResponse).agent);
  it('each unit travels with its node and where it is active; a count of 0 is told from none known; replicas on one node carry none', () => {
    const replicas: NonNullable<AgentStatus['replicas']> = {
      replicas: 3,
      draining: 0,
      units: [
        { replica: 1, node: 'n1', activeOn: ['n1'], handled: 0 },
        { replica: 2, node: 'n2', activeOn: [] },
        { replica: 3, node: '', activeOn: ['n2', 'n3'], handled: 9 },
      ],
    };
    assert.deepEqual(trip({ ...base, replicas }).replicas, replicas);
    assert.deepEqual(trip({ ...base, replicas: { replicas: 3, draining: 1 } }).replicas, { replicas: 3, draining: 1 });
  });
});

describe('a rollout on the wire (decision 1871)', () => {
  const base: AgentStatus = {
    name: 'echo',
    state: 'running',
    nodeId: 'n1',
    version: 1,
    artifactDigest: 'ab'.repeat(32),
    artifactSize: 1,
    limits: { fuelPerMessage: 1, memoryPages: 1 },
    config: {},
    restarts: 0,
    fuelUsed: 0,
    memoryPages: 1,
    mailboxDepth: 0,
    messagesHandled: 0,
    createdAt: 1,
    updatedAt: 2,
  };
  const def = caxtonService().GetAgent!;
  const trip = (a: AgentStatus) =>
    agentFromWire((def.responseDeserialize(def.responseSerialize({ agent: agentToWire(a) })) as W.WireGetAgentResponse).agent);
  it('travels whole, and is absent when none ran', () => {
    const rollout: NonNullable<AgentStatus['rollout']> = {
      strategy: { kind: 'canary', percent: 25 },
      phase: 'rolled-back',
      candidateVersion: 2,
      candidateDigest: 'cd'.repeat(32),
      startedAt: 5,
      bakeUntil: 6,
      thresholds: { maxCrashRatePercent: 0, maxFailureRatePercent: 5, maxP99Ms: 100, bakeMs: 60_000 },
      counts: { handled: 7, crashes: 1, failures: 0, p99Ms: 1.25 },
      reason: 'crash rate 1/7 above 0%',
    };
    assert.deepEqual(trip({ ...base, rollout }).rollout, rollout);
    assert.equal(trip(base).rollout, undefined);
  });
  it('an upgrade header carries the strategy, and a crash rate of 0 is told from none given', () => {
    const up = caxtonService().UpgradeAgent!;
    const back = up.requestDeserialize(
      up.requestSerialize({ header: { ...header, rollout: { strategy: 'blue-green', maxCrashRatePercent: 0, maxP99Ms: 0, bakeMs: 0 } } }),
    ) as W.WireArtifactUpload;
    assert.equal(back.header?.rollout?.strategy, 'blue-green');
    assert.equal(back.header?.rollout?.maxCrashRatePercent, 0);
    assert.equal(back.header?.rollout?.maxFailureRatePercent, undefined);
  });
});

describe('a topic allow-list on the wire (decision 2050)', () => {
  const base: AgentStatus = {
    name: 'echo',
    state: 'running',
    nodeId: 'n1',
    version: 1,
    artifactDigest: 'ab'.repeat(32),
    artifactSize: 1,
    limits: { fuelPerMessage: 1, memoryPages: 1 },
    config: {},
    restarts: 0,
    fuelUsed: 0,
    memoryPages: 1,
    mailboxDepth: 0,
    messagesHandled: 0,
    createdAt: 1,
    updatedAt: 2,
  };
  const def = caxtonService().GetAgent!;
  const trip = (a: AgentStatus) =>
    agentFromWire((def.responseDeserialize(def.responseSerialize({ agent: agentToWire(a) })) as W.WireGetAgentResponse).agent);
  it('a list travels, an empty list (no topic) is told from none (every topic)', () => {
    assert.deepEqual(trip({ ...base, topics: ['orders.*', 'alerts'] }).topics, ['orders.*', 'alerts']);
    assert.deepEqual(trip({ ...base, topics: [] }).topics, []);
    assert.equal(trip(base).topics, undefined);
  });
  it('a deploy header with an empty list keeps it present; without one it is null', () => {
    const dep = caxtonService().DeployAgent!;
    const empty = dep.requestDeserialize(dep.requestSerialize({ header: { ...header, topics: { patterns: [] } } })) as W.WireArtifactUpload;
    assert.deepEqual(empty.header?.topics, { patterns: [] });
    const none = dep.requestDeserialize(dep.requestSerialize({ header: { ...header, topics: null } })) as W.WireArtifactUpload;
    assert.equal(none.header?.topics, null);
  });
});

describe('an instance another node holds, on the wire (decision 2060)', () => {
  const base: AgentStatus = {
    name: 'counter/alice',
    state: 'stopped',
    nodeId: 'n2',
    version: 1,
    artifactDigest: 'ab'.repeat(32),
    artifactSize: 0,
    limits: { fuelPerMessage: 1, memoryPages: 1 },
    config: {},
    restarts: 0,
    fuelUsed: 0,
    memoryPages: 0,
    mailboxDepth: 0,
    messagesHandled: 0,
    createdAt: 1,
    updatedAt: 2,
  };
  const def = caxtonService().GetAgent!;
  const trip = (a: AgentStatus) =>
    agentFromWire((def.responseDeserialize(def.responseSerialize({ agent: agentToWire(a) })) as W.WireGetAgentResponse).agent);
  it('carries its partition and owner, with no state this node cannot know (partition 0 included)', () => {
    for (const partition of [0, 7]) {
      const back = trip({ ...base, elsewhere: { partition } });
      assert.deepEqual(back.elsewhere, { partition });
      assert.equal(back.nodeId, 'n2');
      assert.equal(back.state, 'unknown');
    }
    const here = trip(base);
    assert.equal(here.elsewhere, undefined);
    assert.equal(here.state, 'stopped');
  });
  it('carries what its handlings cost (decision 2184); none counted (an older node) is absent, not zeros', () => {
    const costs = { handled: 3, fuel: 9_000_000_000, handlerUs: 5, messagesSent: 2, bytesSent: 40, stateBytesWritten: 0, httpCalls: 0 };
    assert.deepEqual(trip({ ...base, costs }).costs, costs);
    assert.equal(trip(base).costs, undefined);
  });
  it('carries what it was deployed near (decision 2189): placed, a fallback with its note, none', () => {
    assert.deepEqual(trip({ ...base, near: { agent: 'echo', key: 'root' } }).near, { agent: 'echo', key: 'root' });
    const fallback = { agent: 'echo', note: 'not placed near echo: no agent echo is deployed; placed by its own name' };
    assert.deepEqual(trip({ ...base, near: fallback }).near, fallback);
    assert.equal(trip(base).near, undefined);
  });
});
