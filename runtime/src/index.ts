/**
 * @caxton/runtime: a Caxton node — the bus and its message logs (embedded, Kafka), the registry
 * (embedded, etcd), placement, and the gRPC API with its typed client. What a node offers is the
 * control model of @caxton/core; the sandbox is @caxton/sandbox. The Kafka and etcd adapters'
 * values are in `@caxton/runtime/cluster` (decision 2146), the pieces that need no node in
 * `@caxton/runtime/offline` (decision 2138).
 */
export { startNode, CAXTON_VERSION, type RunningNode } from './start/start-node.js';
export type { StartNodeOptions } from './start/options.js';
export { PlatformChangedError, PlatformFileError } from './mtp/index.js';
export { defaultShards } from './node/sandbox-host.js';
export { VirtualClock, AdvanceTooLongError, MAX_ADVANCE_ROUNDS, type ClockedTimers } from './node/virtual-clock.js';
export type { ClusterOptions } from './topology/cluster/options.js';
export { assignmentLine, parseAssignmentLine } from './topology/cluster/assignment-line.js';
export {
  insecureLinks,
  describeInsecureLink,
  isLoopbackHost,
  type KafkaConnectionSpec,
  type EtcdConnectionSpec,
  type TlsFiles,
  type KafkaSaslMechanism,
  type InsecureLink,
} from './topology/cluster/transport-security.js';
export * from './api/index.js';
export { readTokenFilePath } from './api/auth.js';
export { BusEvents, type BusEvent, type BusEventType, type BusListener } from './bus/events.js';
export { base36, derivedMessageId, deliveryId, MessageIdGenerator } from './bus/ids.js';
export type { MessageLog } from './log/message-log.js';
export { ActivationLimitError, MailboxFullError, NodeMailboxesFullError, UnknownReceiverError } from './bus/errors.js';
export { EmbeddedMessageLog } from './log/embedded/index.js';
export { MemoryMessageLog } from './log/memory/memory-message-log.js';
// Kafka and etcd adapters as types only: their values are in `@caxton/runtime/cluster`, so that
// importing the runtime does not load kafkajs or etcd3 (decision 2146).
export { partitionFor } from './log/kafka/partitioner.js';
export { partitionOwner } from './log/kafka/partition-placement.js';
export type { KafkaMessageLog, KafkaMessageLogOptions } from './log/kafka/index.js';
export type { RegistryStore } from './registry/registry-store.js';
export type { TimerRecord, AgentRecord } from './storage/records.js';
export type {
  AgentStateStore,
  AgentStore,
  DirectoryStore,
  MembershipStore,
  RegistryWatch,
  TimerStore,
  TopicStore,
} from './storage/ports.js';
export type { NodeTopics } from './node/topics.js';
export type { StoragePorts } from './topology/topology.js';
export { StateUnsupportedError, stateStoreOf } from './storage/state-store.js';
export { EmbeddedRegistry } from './registry/embedded/embedded-registry.js';
export type { EtcdRegistry } from './registry/etcd/etcd-registry.js';
export { wakeIndexEnabledKey, wakeKey } from './registry/etcd/keys.js';
export {
  HttpGateway,
  parseAllowHttpFlag,
  resolveHttpPolicy,
  nodeDefaultHttpPolicy,
  HTTP_POLICY_MAXIMA,
  type HttpPolicyInput,
  type HttpGatewayOptions,
} from './http/index.js';
export { type AuditTrail, sha256Hex } from './audit/audit-trail.js';
export { FileAuditTrail } from './audit/file-audit-trail.js';
export { verifyEd25519, ensureAuditKey, AUDIT_KEY_FILE_NAME, type AuditKey } from './audit/audit-key.js';
export { AnchoredAuditTrail } from './audit/anchored-audit-trail.js';
export { EtcdAuditAnchorStore } from './audit/etcd-anchor-store.js';
export type { AuditAnchorStore } from './audit/anchor-store.js';
export { EtcdAuditTrail } from './audit/etcd-audit-trail.js';
export { AuditError, AUDIT_ERROR_KINDS, type AuditErrorCode } from './audit/errors.js';
export type { EtcdConnection } from './registry/etcd/connection.js';
export * from './telemetry/index.js';
export * from './signing/index.js';
export {
  parseMtpPeers,
  MtpConfigError,
  checkPlatformName,
  parseAccAdvertise,
  checkAccAdvertise,
  type MtpPeer,
  type MtpRetry,
} from './mtp/index.js';
export { BoundedTaskStore, TaskFile, A2A_TASK_FILE_NAME, type TaskStoreBounds } from './a2a/index.js';
export { readBoundedFile, readBoundedFileSync, BoundedFileError } from './listener/index.js';
