/**
 * `@caxton/runtime/replay`: what `caxton replay` needs to run an agent again on its recorded
 * traffic beside a node (issue 57) — the read-only readers of a data directory and its log, the
 * export files that carry a history elsewhere, the replayer (which loads the sandbox) and the
 * comparison. A subpath of its own, like `./offline` (decision 2138): the package's main entry
 * loads the node's whole graph, which a replay never runs.
 */
export { readEmbeddedHistory } from './embedded-history.js';
export type { EmbeddedHistoryOptions, EmbeddedHistoryStart, EmbeddedHistorySummary } from './embedded-history.js';
export { readKafkaHistory } from './kafka-history.js';
export type { KafkaHistoryOptions, KafkaHistorySource, KafkaHistorySummary } from './kafka-history.js';
export { openClusterAgent } from './cluster-agent.js';
export type { ClusterAgent, ClusterReplaySource } from './cluster-agent.js';
export { openOfflineAgent } from './offline-agent.js';
export type { OfflineAgent } from './offline-agent.js';
export { Replayer } from './replayer.js';
export { ReplaySandbox, outcomeOf, replayLimits } from './replay-sandbox.js';
export type { HandlingReport, HandlingStep, ReplayOptions, ReplaySummary } from './replayer.js';
export type { Difference } from './compare.js';
export type { RecordedDeployment, RecordedEvent, RecordedHandling, RecordedWork } from './recorded.js';
export { openReplayExport, writeReplayExport } from './export-file.js';
export type {
  OpenReplayExportOptions,
  ReplayExport,
  ReplayExportSource,
  ReplayExportWritten,
  WriteReplayExportOptions,
} from './export-file.js';
export { DEFAULT_MAX_LINE_BYTES, EXPORT_FORMAT, EXPORT_VERSION } from './export-format.js';
export type { ReplayExportEnd, ReplayExportHeader } from './export-format.js';
export { ReplayError } from './errors.js';
export type { ReplayErrorCode } from './errors.js';
export { Engine } from '@caxton/sandbox';
