/**
 * `@caxton/runtime/replay`: what `caxton replay` needs to run an agent again on its recorded
 * traffic beside a node (issue 57) — the read-only readers of a data directory and its log, the
 * export files that carry a history elsewhere, the replayer (which loads the sandbox) and the
 * comparison, and a cluster's agent read from its etcd and Kafka. A subpath of its own, like
 * `./offline` (decision 2138): the package's main entry loads the node's whole graph, which a
 * replay never runs. A folder of its own: it reaches into replay/ and into the
 * cluster topology, which itself reads replay's Kafka history (no folder may reach back).
 */
export { readEmbeddedHistory } from '../replay/embedded-history.js';
export type { EmbeddedHistoryOptions, EmbeddedHistoryStart, EmbeddedHistorySummary } from '../replay/embedded-history.js';
export { readKafkaHistory } from '../replay/kafka-history.js';
export type { KafkaHistoryOptions, KafkaHistorySource, KafkaHistorySummary } from '../replay/kafka-history.js';
export { openClusterAgent } from '../topology/cluster/replay-source.js';
export type { ClusterAgent, ClusterReplaySource } from '../topology/cluster/replay-source.js';
export { openOfflineAgent } from '../replay/offline-agent.js';
export type { OfflineAgent } from '../replay/offline-agent.js';
export { Replayer } from '../replay/replayer.js';
export { ReplaySandbox, outcomeOf, replayLimits } from '../replay/replay-sandbox.js';
export type { HandlingReport, HandlingStep, ReplayOptions, ReplaySummary } from '../replay/replayer.js';
export type { Difference } from '../replay/compare.js';
export type { RecordedDeployment, RecordedEvent, RecordedHandling, RecordedWork } from '../replay/recorded.js';
export { openReplayExport, writeReplayExport } from '../replay/export-file.js';
export type {
  OpenReplayExportOptions,
  ReplayExport,
  ReplayExportSource,
  ReplayExportWritten,
  WriteReplayExportOptions,
} from '../replay/export-file.js';
export { DEFAULT_MAX_LINE_BYTES, EXPORT_FORMAT, EXPORT_VERSION } from '../replay/export-format.js';
export type { ReplayExportEnd, ReplayExportHeader } from '../replay/export-format.js';
export { ReplayError } from '../replay/errors.js';
export type { ReplayErrorCode } from '../replay/errors.js';
export { Engine } from '@caxton/sandbox';
