/**
 * The error kind → gRPC status mapping. BEFORE is the status every error code got from the old
 * code-suffix rules (computed from the removed grpcCodeFor at commit 56c866a); every code raised in
 * core, sandbox and runtime must still reach the operator with that status. The source scan at the
 * end makes sure the list is complete: a new code literal fails here until it is added.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { status, type ServiceError, type Metadata } from '@grpc/grpc-js';
import {
  AgentSuspendedError,
  KeepQueueUnsupportedError,
  NearChangedError,
  NearKindError,
  NearUnsupportedError,
  NearKeepStateError,
  AssetsInvalidError,
  NoPreviousVersionError,
  ReplicasBudgetError,
  ReplicaRewindError,
  ReplicaStartError,
  ReplicasScaledError,
  ReplicasStatefulError,
  ReplicasUnsupportedError,
  ReplicaUnitEffectError,
  RolloutInProgressError,
  RolloutStatefulError,
  UpgradeReplayRefusedError,
  ReplayBusyError,
  ReplayGateUnsupportedError,
  ReplayStepsUnsupportedError,
  RolloutUnsupportedError,
  FrozenError,
  AclParseError,
  AclValidationError,
  type CaxtonError,
  ERROR_KINDS,
  PROTOCOL_ERROR_KINDS,
  ProtocolConfigError,
  ProtocolUsageError,
  ProtocolViolation,
  aclLimits,
  type ProtocolErrorCode,
  AlreadyExistsError,
  ConflictError,
  InvalidArgumentError,
  NotFoundError,
  UnavailableError,
} from '@caxton/core';
import { SANDBOX_ERROR_KINDS, SandboxError, OutOfFuel, type SandboxErrorCode } from '@caxton/sandbox';
import { GRPC_STATUS_BY_KIND, errorKindForGrpcStatus, grpcStatusForKind, statusFromCaxtonError, toGrpcStatus } from '@caxton/client';
import { toApiCallError } from '@caxton/client';
import { PermissionDeniedError, ResourceExhaustedError, UnauthenticatedError, UploadTimeoutError } from '../../src/api/errors.js';
import { UploadCancelledError } from '../../src/api/upload.js';
import { TokenFileError } from '../../src/api/auth.js';
import {
  AbsentQueueFullError,
  ActivationLimitError,
  BusNotOpenError,
  BusOverloadedError,
  CircuitOpenError,
  InvalidSendError,
  InvalidTopicAddressError,
  MailboxFullError,
  NodeMailboxesFullError,
  UnknownReceiverError,
} from '../../src/bus/errors.js';
import {
  KafkaAppendError,
  KafkaCommitError,
  KafkaLogStateError,
  KafkaMisconfiguredError,
  KafkaNotOwnerError,
  KafkaSecurityError,
  KafkaStateKeyError,
  KafkaStateReadBoundError,
  KafkaUnreachableError,
  RecordKeyError,
  RecordUnauthenticatedError,
} from '../../src/log/kafka/errors.js';
import { insecureClusterError } from '../../src/topology/cluster/transport-security.js';
import { EMBEDDED_LOG_ERROR_KINDS, EmbeddedLogError, type EmbeddedLogErrorCode } from '../../src/log/embedded/errors.js';
import { REGISTRY_ERROR_KINDS, RegistryError, type RegistryErrorCode } from '../../src/registry/errors.js';
import { KillSwitchNotKeptError, KillSwitchUnreadableError, NotClusteredError } from '../../src/node/kill-switch/errors.js';
import { ARTIFACT_STORE_ERROR_KINDS, ArtifactError, type ArtifactErrorCode } from '../../src/artifacts/artifact-store.js';
import { AUDIT_ERROR_KINDS, AuditError, type AuditErrorCode } from '../../src/audit/errors.js';
import { CONSOLE_ERROR_KINDS, ConsoleError, type ConsoleErrorCode } from '../../src/console/errors.js';
import { TELEMETRY_ERROR_KINDS, TelemetryError, type TelemetryErrorCode } from '../../src/telemetry/errors.js';
import { IdempotencyKeyReusedError, SignatureFormatError, TopicError } from '@caxton/core';
import { SigningKeyError } from '../../src/signing/keys.js';
import { UntrustedArtifactError } from '../../src/signing/trust.js';
import { TokenRotationRefusedError } from '../../src/api/token-rotation.js';
import { ForbiddenSenderError } from '../../src/node/sender-policy.js';
import { KindUnsupportedError } from '../../src/node/kinds/index.js';
import { MtpOutboxRecordError } from '../../src/mtp/outbox-records.js';
import { MtpRefusal } from '../../src/mtp/errors.js';

type StatusName = keyof typeof status;

const BEFORE: ReadonlyMap<string, StatusName> = new Map<string, StatusName>([
  ['acl.bad-limits', 'INVALID_ARGUMENT'],
  ['acl.invalid', 'INVALID_ARGUMENT'],
  ['acl.malformed', 'INVALID_ARGUMENT'],
  ['agent.conflict', 'FAILED_PRECONDITION'],
  ['agent.keep-queue-unsupported', 'FAILED_PRECONDITION'], // added with absent queues (decision 1990)
  ['api.bad-config', 'INVALID_ARGUMENT'],
  ['api.bad-response', 'INVALID_ARGUMENT'],
  ['api.cancelled', 'CANCELLED'],
  ['api.client-error', 'INTERNAL'],
  ['api.internal', 'INTERNAL'],
  ['api.invalid', 'INVALID_ARGUMENT'],
  ['api.permission-denied', 'PERMISSION_DENIED'],
  ['api.resource-exhausted', 'RESOURCE_EXHAUSTED'],
  ['api.token-file-exposed', 'INTERNAL'],
  ['api.token-file-invalid', 'INTERNAL'],
  ['api.unauthenticated', 'UNAUTHENTICATED'],
  ['api.token-expired', 'UNAUTHENTICATED'],
  ['api.token-revoked', 'UNAUTHENTICATED'],
  ['api.unavailable', 'UNAVAILABLE'],
  ['api.upload-timeout', 'DEADLINE_EXCEEDED'],
  ['api.upload-too-slow', 'DEADLINE_EXCEEDED'],
  ['artifact.corrupt', 'INTERNAL'],
  ['audit.corrupt', 'DATA_LOSS'],
  ['audit.invalid', 'INVALID_ARGUMENT'],
  ['audit.unavailable', 'UNAVAILABLE'],
  // Decision 1750: raised at start-up, before any call; mapped for completeness.
  ['audit.truncated', 'DATA_LOSS'],
  ['audit.anchor-mismatch', 'DATA_LOSS'],
  ['audit.key-exposed', 'INTERNAL'],
  ['audit.key-invalid', 'INTERNAL'],
  ['artifact.invalid-digest', 'INVALID_ARGUMENT'],
  ['artifact.not-found', 'NOT_FOUND'],
  ['agent.not-found', 'NOT_FOUND'],
  ['agent.already-exists', 'ALREADY_EXISTS'],
  ['agent.no-previous-version', 'FAILED_PRECONDITION'],
  ['build.bad-agent-name', 'INVALID_ARGUMENT'],
  ['build.bad-manifest', 'INVALID_ARGUMENT'],
  ['build.compile-failed', 'INTERNAL'],
  ['build.componentize-failed', 'INTERNAL'],
  ['build.invalid-agent', 'INVALID_ARGUMENT'],
  ['build.language-unsupported', 'INTERNAL'],
  ['build.no-template', 'INTERNAL'],
  ['build.not-a-directory', 'INTERNAL'],
  ['build.rust-not-cdylib', 'INTERNAL'],
  ['build.sdk-install-unsupported', 'INTERNAL'],
  ['build.sdk-missing', 'INTERNAL'],
  ['build.target-not-empty', 'INTERNAL'],
  ['build.toolchain-install-failed', 'INTERNAL'],
  ['build.toolchain-install-needs-root', 'INTERNAL'],
  ['build.toolchain-missing', 'INTERNAL'],
  ['build.toolchain-unknown', 'INTERNAL'],
  ['build.unknown-layout', 'NOT_FOUND'],
  ['build.wit-missing', 'INTERNAL'],
  ['bus.invalid-send', 'INVALID_ARGUMENT'],
  ['bus.invalid-topic', 'INVALID_ARGUMENT'],
  ['topic.invalid-name', 'INVALID_ARGUMENT'],
  ['topic.invalid-filter', 'INVALID_ARGUMENT'],
  ['topic.too-many-subscriptions', 'RESOURCE_EXHAUSTED'],
  ['topic.invalid-pattern', 'INVALID_ARGUMENT'],
  ['topic.not-allowed', 'PERMISSION_DENIED'],
  ['bus.kafka.append-failed', 'INTERNAL'],
  ['bus.kafka.commit-failed', 'INTERNAL'],
  ['bus.kafka.misconfigured', 'INTERNAL'],
  ['bus.kafka.not-owner', 'INTERNAL'],
  ['bus.kafka.state', 'INTERNAL'],
  ['bus.kafka.state-key', 'INVALID_ARGUMENT'], // new with Kafka state (decision 1602): its kind, invalid-argument
  ['bus.kafka.state-read-bound', 'RESOURCE_EXHAUSTED'], // a scale through a non-owner would read a partition past its bound (REPLICA_LIMITS.maxStateRecordsReadElsewhere)
  ['bus.kafka.unreachable', 'INTERNAL'],
  // New with encrypted, authenticated cluster traffic (decision 1404): the node's own configuration.
  ['bus.kafka.auth-failed', 'INTERNAL'],
  ['bus.kafka.tls-failed', 'INTERNAL'],
  ['registry.auth-failed', 'FAILED_PRECONDITION'],
  ['rollout.stateful-agent', 'FAILED_PRECONDITION'],
  ['rollout.in-progress', 'FAILED_PRECONDITION'],
  ['rollout.unsupported', 'FAILED_PRECONDITION'],
  // An upgrade that replays recorded traffic first (issue 57): new codes, their kind failed-precondition.
  ['agent.upgrade-replay-refused', 'FAILED_PRECONDITION'],
  ['agent.replay-unsupported', 'FAILED_PRECONDITION'],
  ['agent.replay-busy', 'RESOURCE_EXHAUSTED'], // the node's bound on step-view replays at once (decision 2181)
  // Replicas behind one name (decision 2010).
  ['agent.replicas-stateful', 'FAILED_PRECONDITION'],
  ['agent.replicas-unsupported', 'FAILED_PRECONDITION'],
  ['agent.replica-effect-unsupported', 'FAILED_PRECONDITION'], // a worker unit's state write (decisions 2096, 2163)
  ['agent.replicas-scaled', 'FAILED_PRECONDITION'],
  // Co-location (decision 2189): a kind given --near; an upgrade or a queue's takeover naming another --near.
  ['agent.near-kind', 'FAILED_PRECONDITION'],
  ['agent.near-changed', 'FAILED_PRECONDITION'],
  // A node of the cluster that does not place by keys (decision 2189).
  ['agent.near-unsupported', 'FAILED_PRECONDITION'],
  ['agent.near-keep-state', 'FAILED_PRECONDITION'], // a first --near with --keep-state (decision 2189)
  ['agent.assets-invalid', 'INVALID_ARGUMENT'], // a component's caxton:assets section malformed or past its limits (decision 2192)
  ['agent.replicas-budget', 'RESOURCE_EXHAUSTED'], // the node-wide cap on replica instances (issue 27, finding 8)
  ['agent.replicas-start-failed', 'FAILED_PRECONDITION'], // a new replica's instance did not start (issue 27, review of replicasfix2)
  ['agent.replica-rewind-failed', 'INTERNAL'], // replica 1's view could not be rewound: the agent is failed (issue 27, finding 6; logged, never an API answer)
  ['registry.permission-denied', 'FAILED_PRECONDITION'],
  ['registry.tls-failed', 'FAILED_PRECONDITION'],
  ['node.insecure-cluster', 'FAILED_PRECONDITION'],
  // Internal (logged by the MTP outbox's replay, never an API answer): a stored record that cannot be read (review of mtpoutbox, 9).
  ['mtp.outbox-record-invalid', 'DATA_LOSS'],
  // A peer platform's post refused for its signature (decision 2188): answered 401 by the ACC, audited as UNAUTHENTICATED.
  ['mtp.signature-refused', 'UNAUTHENTICATED'],
  ['bus.mailbox-full', 'RESOURCE_EXHAUSTED'],
  ['bus.node-mailboxes-full', 'RESOURCE_EXHAUSTED'], // the node's mailboxes hold their whole text budget (decision 2195)
  ['bus.overloaded', 'RESOURCE_EXHAUSTED'],
  ['bus.circuit-open', 'RESOURCE_EXHAUSTED'],
  ['bus.absent-queue-full', 'RESOURCE_EXHAUSTED'], // added with absent queues (decision 1990)
  ['bus.activation-limit', 'RESOURCE_EXHAUSTED'],
  ['agent.kind-unsupported', 'FAILED_PRECONDITION'],
  ['bus.unknown-receiver', 'NOT_FOUND'],
  ['bus.not-open', 'UNAVAILABLE'], // added with the bus's own dispatch loop (decision 1101): the suffix rule gave UNAVAILABLE
  ['cluster.membership-lost', 'UNAVAILABLE'],
  ['cluster.node-id-taken', 'FAILED_PRECONDITION'],
  ['cluster.platform-changed', 'FAILED_PRECONDITION'], // a member started with another --platform (decision 1910)
  ['cluster.replica-mode-mismatch', 'FAILED_PRECONDITION'], // a member started with another --replicas-across-nodes (decision 2097)
  ['df.already-registered', 'ALREADY_EXISTS'],
  ['df.not-registered', 'NOT_FOUND'],
  ['log.already-consuming', 'INTERNAL'],
  ['log.bad-header', 'INVALID_ARGUMENT'],
  ['log.closed', 'UNAVAILABLE'],
  ['log.corrupt', 'INTERNAL'],
  ['log.corruption-skipped', 'INTERNAL'],
  ['log.dead-letter-reconciled', 'INTERNAL'],
  ['log.failed', 'INTERNAL'],
  ['log.handler-threw', 'INTERNAL'],
  ['log.header-reinitialised', 'INTERNAL'],
  ['log.invalid-delivery', 'INVALID_ARGUMENT'],
  ['log.invalid-options', 'INVALID_ARGUMENT'],
  ['log.locked', 'INTERNAL'],
  ['log.not-open', 'UNAVAILABLE'],
  ['log.retention-failed', 'INTERNAL'],
  ['log.stale-lock-taken', 'INTERNAL'],
  ['log.torn-tail-truncated', 'INTERNAL'],
  // Agent state (decision 1600): kinds declared where raised.
  ['log.invalid-state', 'INVALID_ARGUMENT'],
  ['log.state-dropped', 'INTERNAL'],
  // An agent's own replay history (decision 2182): a warning only.
  ['log.history-incomplete', 'INTERNAL'],
  ['api.import-timeout', 'DEADLINE_EXCEEDED'],
  // The web console's own refusals (issue 15); over HTTP their status is console/errors.ts's table.
  ['console.bad-request', 'INVALID_ARGUMENT'],
  ['console.no-route', 'NOT_FOUND'],
  ['console.method-not-allowed', 'INVALID_ARGUMENT'],
  ['console.body-too-large', 'RESOURCE_EXHAUSTED'],
  ['console.body-too-slow', 'DEADLINE_EXCEEDED'],
  ['console.json-too-complex', 'INVALID_ARGUMENT'], // the JSON shape bound, answered 413 over HTTP (decision 1910)
  ['console.too-many-streams', 'RESOURCE_EXHAUSTED'],
  ['console.history-unavailable', 'UNIMPLEMENTED'],
  ['console.bad-config', 'INVALID_ARGUMENT'],
  ['node.cluster-config', 'INTERNAL'],
  ['node.cluster-wiring', 'INTERNAL'],
  ['node.unavailable', 'UNAVAILABLE'],
  ['protocol.capacity', 'INTERNAL'],
  ['protocol.config-invalid', 'INTERNAL'],
  ['protocol.conversation-ended', 'INTERNAL'],
  ['protocol.conversation-in-use', 'INTERNAL'],
  ['protocol.late-proposal', 'INTERNAL'],
  ['protocol.mismatch', 'INTERNAL'],
  ['protocol.not-a-participant', 'INTERNAL'],
  ['protocol.out-of-sequence', 'INTERNAL'],
  ['protocol.sender-missing', 'INTERNAL'],
  ['protocol.snapshot-invalid', 'INTERNAL'],
  ['protocol.unknown', 'INTERNAL'],
  ['protocol.unknown-conversation', 'NOT_FOUND'],
  ['registry.corrupt', 'DATA_LOSS'],
  ['registry.etcd-failed', 'INTERNAL'],
  ['registry.invalid', 'INVALID_ARGUMENT'],
  ['registry.io-failed', 'INTERNAL'],
  ['registry.not-open', 'UNAVAILABLE'],
  ['registry.unavailable', 'UNAVAILABLE'],
  ['sandbox.agent.exists', 'ALREADY_EXISTS'],
  ['sandbox.agent.init-failed', 'INVALID_ARGUMENT'],
  ['sandbox.agent.init-timeout', 'INTERNAL'],
  ['sandbox.artifact.cache-entry-refused', 'INTERNAL'],
  ['sandbox.artifact.cache-key-mismatch', 'INTERNAL'],
  ['sandbox.artifact.cache-unsafe', 'FAILED_PRECONDITION'], // the node's prepare cache directory is not its own alone (decision 2135)
  ['sandbox.artifact.cache-write-failed', 'INTERNAL'],
  ['sandbox.artifact.compile-failed', 'INTERNAL'],
  ['sandbox.artifact.core-module', 'INVALID_ARGUMENT'],
  ['sandbox.artifact.glue-invalid', 'INTERNAL'],
  ['sandbox.artifact.not-wasm', 'INVALID_ARGUMENT'],
  ['sandbox.artifact.prepare-timeout', 'RESOURCE_EXHAUSTED'],
  ['sandbox.artifact.too-complex', 'RESOURCE_EXHAUSTED'],
  ['sandbox.artifact.unsupported', 'INVALID_ARGUMENT'],
  ['sandbox.artifact.wrong-world', 'INVALID_ARGUMENT'],
  ['sandbox.artifact.invalid', 'INVALID_ARGUMENT'],
  ['sandbox.artifact.not-cached', 'INTERNAL'],
  ['sandbox.artifact.over-limit', 'RESOURCE_EXHAUSTED'],
  ['sandbox.artifact.too-large', 'RESOURCE_EXHAUSTED'],
  ['sandbox.guest-exit', 'INTERNAL'],
  ['sandbox.host.argument-refused', 'INTERNAL'],
  ['sandbox.host.lift-limit', 'RESOURCE_EXHAUSTED'],
  ['sandbox.limits.memory-below-initial', 'INVALID_ARGUMENT'],
  ['sandbox.malformed-result', 'INTERNAL'],
  ['sandbox.out-of-fuel', 'INTERNAL'],
  ['sandbox.out-of-memory', 'INTERNAL'],
  ['sandbox.trap', 'INTERNAL'],
  ['sandbox.stack-overflow', 'INTERNAL'],
  ['sandbox.timeout', 'DEADLINE_EXCEEDED'],
  ['sandbox.unavailable', 'UNAVAILABLE'],
  ['sandbox.pool.closed', 'UNAVAILABLE'],
  ['sandbox.quota-exceeded', 'INTERNAL'],
  ['sandbox.shard.closed', 'UNAVAILABLE'],
  ['sandbox.shard.internal', 'INTERNAL'],
  ['sandbox.shard.reset', 'INTERNAL'],
  ['sandbox.shard.hand-off', 'INTERNAL'],
  // Signed agents (decision 1400): a malformed envelope, a bad key file, an artifact the trust policy refuses.
  ['signing.malformed', 'INVALID_ARGUMENT'],
  ['signing.bad-key', 'INVALID_ARGUMENT'],
  ['signing.untrusted', 'PERMISSION_DENIED'],
  // Tokens (decision 1401): rotation refused; an operator sender that is not the operator's to use.
  ['api.auth-disabled', 'FAILED_PRECONDITION'],
  ['api.tokens-provided', 'FAILED_PRECONDITION'],
  ['node.sender-forbidden', 'PERMISSION_DENIED'],
  // Raised in the CLI only, with the status the suffix rules gave them; kinds in toolchain/src/errors.ts.
  ['node.cluster-config', 'INTERNAL'],
  ['node.cluster-wiring', 'INTERNAL'],
  ['telemetry.invalid-config', 'INVALID_ARGUMENT'],
  ['telemetry.unsupported', 'UNIMPLEMENTED'],
  ['telemetry.listen-failed', 'FAILED_PRECONDITION'],
  ['telemetry.already-registered', 'FAILED_PRECONDITION'],
  // The kill switch (decision 1403).
  ['node.frozen', 'FAILED_PRECONDITION'],
  ['agent.suspended', 'FAILED_PRECONDITION'],
  ['node.not-clustered', 'FAILED_PRECONDITION'],
  ['node.kill-switch-not-kept', 'UNAVAILABLE'],
  ['node.kill-switch-unreadable', 'INTERNAL'],
  // Idempotent sends (decision 1700): the key was used for a different message.
  ['node.idempotency-key-reused', 'ALREADY_EXISTS'],
  // `caxton test`'s virtual clock (decision 2030): an advance that would fire timers without end.
  ['node.advance-too-long', 'RESOURCE_EXHAUSTED'],
  // The platform name a data directory keeps (decision 1910, "Two Caxton platforms"): start-up only.
  ['node.platform-changed', 'FAILED_PRECONDITION'],
  ['node.platform-file', 'FAILED_PRECONDITION'],
  // Signed Kafka records (decision 2185): a bad record key file at start; a record refused for its tag (audited, dead-lettered).
  ['log.record-key-invalid', 'INVALID_ARGUMENT'],
  ['log.record-unauthenticated', 'UNAUTHENTICATED'],
]);

function keysOf<K extends string>(table: Readonly<Record<K, unknown>>): K[] {
  return Object.keys(table) as K[];
}

/** One error of every code, raised the way the code raises it (class or family constructor). */
function everyRaisedError(): CaxtonError[] {
  const errors: CaxtonError[] = [
    new AclValidationError('receivers', 'performative.unknown', 'bad'),
    new AclParseError({ format: 'json', rule: 'json.syntax', message: 'bad', position: 0, input: '{' }),
    new ProtocolConfigError('bad options', 'fix them'),
    new ProtocolUsageError('protocol.sender-missing', 'no sender'),
    new InvalidArgumentError('limits.fuelPerMessage', 'must be positive'),
    new NotFoundError('agent', 'echo'),
    new AlreadyExistsError('agent', 'echo'),
    new ResourceExhaustedError('too many uploads'),
    new UnauthenticatedError('no token', 'pass one'),
    new PermissionDeniedError('read-only token'),
    new ConflictError('stopping'),
    new UnavailableError('shutting down'),
    new UploadTimeoutError(1000),
    new UploadCancelledError(),
    new TokenFileError('api.token-file-invalid', 'not a file', '/x', 'fix it'),
    new TokenFileError('api.token-file-exposed', 'not yours', '/x', 'fix it'),
    new MailboxFullError('echo', 10),
    new NodeMailboxesFullError(1_000),
    new BusOverloadedError({ inFlight: 40, limit: 32, retryAfterMs: 120 }),
    new CircuitOpenError({ agent: 'echo', state: 'open', retryAfterMs: 900, failures: 5 }),
    new AbsentQueueFullError('echo', 3),
    new KeepQueueUnsupportedError('echo'),
    new ActivationLimitError({ agent: 'counter/alice', limit: 12_000, retryAfterMs: 1000 }),
    new KindUnsupportedError('agent kinds are not available in cluster mode yet', 'deploy the kind on an embedded node'),
    new UnknownReceiverError('nobody'),
    new InvalidSendError('no receivers'),
    new InvalidTopicAddressError(new TopicError('topic.invalid-name', 'receivers', '"" is not a valid topic name', 'name a topic')),
    new TopicError('topic.invalid-name', 'topic', 'bad', 'name a topic'),
    new TopicError('topic.invalid-filter', 'filter.all', 'bad', 'fix the filter'),
    new TopicError('topic.too-many-subscriptions', 'topic', 'too many', 'unsubscribe first'),
    new TopicError('topic.invalid-pattern', 'topics[0]', 'bad', 'fix the pattern'),
    new TopicError('topic.not-allowed', 'topic', 'not in the list', 'deploy with --topics'),
    new BusNotOpenError('send'),
    new KafkaUnreachableError(['localhost:9092'], 'timeout'),
    new KafkaMisconfiguredError('bad topic', 'fix it'),
    new KafkaAppendError(1, 'timeout'),
    new KafkaCommitError(['a'], 'timeout'),
    new KafkaNotOwnerError(['a']),
    new KafkaLogStateError('closed'),
    new KafkaStateKeyError('agent', '\u0000commit'),
    new KafkaStateReadBoundError('agent', { partition: 3, records: 200_000, maxRecords: 100_000 }),
    new KafkaSecurityError(['localhost:9093'], 'auth', 'SASL SCRAM failed', { mechanism: 'scram-sha-512', username: 'caxton' }),
    new KafkaSecurityError(['localhost:9093'], 'tls', 'unable to verify the first certificate'),
    insecureClusterError([{ service: 'kafka', address: '10.0.0.1:9092', missing: ['tls'] }]),
    new RecordKeyError('record key k1 is 16 bytes; at least 32 are needed', 'make one with `openssl rand -base64 32`'),
    new RecordUnauthenticatedError('caxton.deliveries', 3, '17', 'no caxton-mac header'),
    new OutOfFuel(10),
    new FrozenError('deploy echo', 'node'),
    new AgentSuspendedError('echo', 'upgrade'),
    new NoPreviousVersionError('echo', 1),
    new RolloutStatefulError('echo', 3),
    new RolloutInProgressError('echo', 2),
    new RolloutUnsupportedError('echo', 'why'),
    new UpgradeReplayRefusedError('echo', 1, { replayed: 5, crashed: 1, sendsDiffer: 0, stateDiffer: 0, first: '#3 request m1: crashed' }),
    new ReplayGateUnsupportedError('echo', 'why'),
    new ReplayStepsUnsupportedError('echo', 'why', 'hint'),
    new ReplayBusyError('echo', 2),
    new ReplicasStatefulError('echo', 'why'),
    new ReplicasUnsupportedError('echo', 'why', 'hint'),
    new ReplicaUnitEffectError('echo#r2', ['timers']),
    new ReplicasScaledError('echo', 3, 'upgrade'),
    new NearKindError('counter', 'echo'),
    new NearChangedError('ping', 'echo', 'other'),
    new NearUnsupportedError('ping', 'echo', 'n2'),
    new NearKeepStateError('ping', 'echo'),
    new AssetsInvalidError('a path is not UTF-8'),
    new ReplicasBudgetError('echo', 4, 30, 32),
    new ReplicaStartError('echo', 3, 1, 1, new Error('init trapped')),
    new ReplicaRewindError('echo', 'the sandbox cannot show a view'),
    new NotClusteredError(),
    new KillSwitchNotKeptError('frozen', 'this node', new Error('disk full')),
    new KillSwitchUnreadableError('kill-switch.json', new Error('not JSON')),
    new SignatureFormatError('not JSON', 'envelope'),
    new SigningKeyError('not a key', 'k.pub', 'use keygen'),
    new UntrustedArtifactError('unsigned', 'the artifact is not signed', 'echo', ['0123456789abcdef']),
    new TokenRotationRefusedError('api.auth-disabled', 'no tokens', 'restart with auth'),
    new TokenRotationRefusedError('api.tokens-provided', 'provided', 'replace the Secret'),
    new ForbiddenSenderError('ams@caxton', 'it is a platform identity'),
    new IdempotencyKeyReusedError('order-7', 'i-0123', 900_000),
    new MtpOutboxRecordError('not JSON'),
    new MtpRefusal('mtp.signature-refused', 401, 'not signed', 'sign it', 'unauthenticated', { platform: 'jade-1', fault: 'missing' }),
    ...keysOf(PROTOCOL_ERROR_KINDS).map((code: ProtocolErrorCode) => new ProtocolViolation(code, 'x')),
    ...keysOf(SANDBOX_ERROR_KINDS).map((code: SandboxErrorCode) => new SandboxError(code, 'x')),
    ...keysOf(EMBEDDED_LOG_ERROR_KINDS).map((code: EmbeddedLogErrorCode) => new EmbeddedLogError(code, 'x')),
    ...keysOf(REGISTRY_ERROR_KINDS).map((code: RegistryErrorCode) => new RegistryError(code, 'x')),
    ...keysOf(ARTIFACT_STORE_ERROR_KINDS).map((code: ArtifactErrorCode) => new ArtifactError(code, 'x')),
    ...keysOf(AUDIT_ERROR_KINDS).map((code: AuditErrorCode) => new AuditError(code, 'x')),
    ...keysOf(CONSOLE_ERROR_KINDS).map((code: ConsoleErrorCode) => new ConsoleError(code, 'x', 'y')),
    ...keysOf(TELEMETRY_ERROR_KINDS).map((code: TelemetryErrorCode) => new TelemetryError(code, 'x')),
  ];
  try {
    aclLimits({ maxMessageBytes: -1 });
  } catch (err) {
    errors.push(err as CaxtonError);
  }
  return errors;
}

describe('error kind → gRPC status', () => {
  it('maps every kind to a distinct status, and back', () => {
    const seen = new Set<status>();
    for (const kind of ERROR_KINDS) {
      const code = grpcStatusForKind(kind);
      assert.ok(!seen.has(code), `${kind} shares ${status[code]}`);
      seen.add(code);
      assert.equal(errorKindForGrpcStatus(code), kind);
    }
    assert.equal(Object.keys(GRPC_STATUS_BY_KIND).length, ERROR_KINDS.length);
  });

  it('reads statuses Caxton never sends as internal', () => {
    for (const code of [status.UNKNOWN, status.ABORTED, status.OUT_OF_RANGE, status.OK])
      assert.equal(errorKindForGrpcStatus(code), 'internal');
  });

  for (const err of everyRaisedError()) {
    it(`${err.code} (${err.constructor.name}) keeps its status`, () => {
      const expected = BEFORE.get(err.code);
      assert.ok(expected, `${err.code} is missing from BEFORE: add it with the status it must have`);
      assert.equal(status[grpcStatusForKind(err.kind)], expected);
      assert.equal(status[statusFromCaxtonError(err).code], expected);
    });
  }

  it('raises every code of BEFORE somewhere in the samples (build codes are checked in toolchain)', () => {
    const raised = new Set(everyRaisedError().map((e) => e.code));
    const missing = [...BEFORE.keys()].filter(
      (c) => !raised.has(c) && !c.startsWith('build.') && !c.startsWith('api.') && !c.startsWith('node.'),
    );
    assert.deepEqual(missing, []);
  });

  it('a plain Error is reported and becomes INTERNAL api.internal; an internal CaxtonError is reported too', () => {
    const reported: unknown[] = [];
    const s = toGrpcStatus(new TypeError('secret'), 'ListAgents', (e) => reported.push(e));
    assert.equal(s.code, status.INTERNAL);
    assert.equal(s.details, 'internal error in ListAgents');
    toGrpcStatus(new SandboxError('sandbox.trap', 'x'), 'Send', (e) => reported.push(e));
    toGrpcStatus(new NotFoundError('agent', 'x'), 'Get', (e) => reported.push(e));
    assert.equal(reported.length, 2);
  });

  it('the client gets the status, code, kind and field back', () => {
    const s = statusFromCaxtonError(new InvalidArgumentError('header.sha256', 'not hex'));
    const wire = Object.assign(new Error(s.details), {
      code: s.code,
      details: s.details,
      metadata: s.metadata as Metadata,
    }) as ServiceError;
    const back = toApiCallError(wire);
    assert.equal(back.grpcCode, status.INVALID_ARGUMENT);
    assert.equal(back.kind, 'invalid-argument');
    assert.equal(back.code, 'api.invalid');
    assert.deepEqual(
      back.fieldViolations.map((v) => v.field),
      ['header.sha256'],
    );
  });

  it('a refusal that says when to retry carries retry-after-ms as trailer metadata, and in the details (decision 1810)', () => {
    const s = statusFromCaxtonError(new BusOverloadedError({ inFlight: 40, limit: 32, retryAfterMs: 119.2 }));
    assert.equal(s.code, status.RESOURCE_EXHAUSTED);
    assert.deepEqual((s.metadata as Metadata).get('retry-after-ms'), ['120']);
    const back = toApiCallError(
      Object.assign(new Error(s.details), { code: s.code, details: s.details, metadata: s.metadata as Metadata }) as ServiceError,
    );
    assert.equal(back.code, 'bus.overloaded');
    assert.equal(back.context.retryAfterMs, '119.2');
    assert.match(back.hint ?? '', /retry after 119.2 ms/);
    // Errors without one carry no such trailer.
    assert.deepEqual((statusFromCaxtonError(new MailboxFullError('echo', 10)).metadata as Metadata).get('retry-after-ms'), []);
  });
});

describe('every error code in the sources has its status pinned', () => {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
  const CODE_LITERAL =
    /['`]((?:acl|protocol|sandbox|build|bus|log|registry|df|cluster|api|agent|node|artifact|telemetry)\.[a-z][a-z0-9.-]*[a-z])['`]/g;
  // Literals that look like codes but are not error codes (file names, prefixes).
  // 'protocol.not-a-word' is an ACL validation rule id (AclValidationError.rule); 'node.status' and
  // 'node.freeze' are permission names (core/src/access/permissions.ts, decision 1760).
  const NOT_CODES = new Set([
    'protocol.not-a-word',
    'agent.js',
    'agent.wasm',
    'agent.wit',
    'api.token-file',
    'sandbox.artifact',
    'api.example.com',
    'node.status',
    'node.freeze',
  ]);

  function* sources(dir: string): Generator<string> {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) yield* sources(full);
      else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) yield full;
    }
  }

  it('finds no code literal without a BEFORE entry', () => {
    const unknown = new Set<string>();
    for (const pkg of ['core', 'sandbox', 'toolchain', 'runtime']) {
      for (const file of sources(path.join(root, pkg, 'src'))) {
        for (const m of readFileSync(file, 'utf8').matchAll(CODE_LITERAL)) {
          const code = m[1]!;
          if (!NOT_CODES.has(code) && !BEFORE.has(code)) unknown.add(`${code} (${path.relative(root, file)})`);
        }
      }
    }
    assert.deepEqual([...unknown], []);
  });
});
