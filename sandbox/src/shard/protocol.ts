/**
 * Messages between the ShardPool (main thread) and its shard workers, plus the shared progress
 * cells the watchdog reads without a message round trip.
 */
import '../webassembly-types.js';
import type { ArtifactManifest } from '../artifact/artifact.js';
import type { DirectorySnapshot } from '../host/directory.js';
import type { PreparedAgentSpec, RestartCarryOver } from '../agent-spec.js';
import type { ErrorInfo } from '../results.js';
import type { Flat } from './hand-off-codec.js';
import type { ComponentLimits } from '../binary/component-limits.js';

export interface EngineSettings {
  cacheDir: string;
  tableCap: number;
  contractWit: string;
  binding: 'auto' | 'jco';
  /** Part of the cache key (decision 2135): a shard must compute the pool's to adopt its artifacts. */
  maxComponentBytes: number;
  componentLimits: Readonly<ComponentLimits>;
}

export interface ShardInit {
  kind: 'caxton-shard';
  shardId: number;
  engine: EngineSettings;
  /** Int32Array cells, see PROGRESS. */
  progress: SharedArrayBuffer;
  /** The node's routing epoch cell (RoutingEpoch, decision 2123), shared by every shard of the pool. */
  routing: SharedArrayBuffer;
}

export type Request =
  | { op: 'artifact'; manifest: ArtifactManifest; modules: WebAssembly.Module[]; glueSource: string | null }
  /** The artifact itself is posted once per shard (`artifact`); `carried` only on re-deploys after a reset. */
  | { op: 'deploy'; spec: PreparedAgentSpec; carried?: RestartCarryOver; replace: boolean }
  | { op: 'undeploy'; name: string }
  /** Replaces an agent's committed state view (ShardPool.resetState). */
  | { op: 'state'; name: string; entries: [string, string][] }
  /** The batch as `encodeWork` writes it (hand-off-codec.ts); the reply is `encodeResults` of its results against it. */
  | { op: 'deliver'; batchId: number; batch: Flat }
  | { op: 'directory'; snapshot: DirectorySnapshot }
  /** The bus refused `receiver` as unknown to `name`'s send, routed in epoch `epoch` (decision 2123). */
  | { op: 'unknown-receiver'; name: string; receiver: string; epoch: number }
  | { op: 'metrics'; names: string[] | null };

export type ToWorker = Request & { id: number };

export type FromWorker = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: ErrorInfo };

/** Slots of the shared progress array: which batch and item the shard is running now. */
export const PROGRESS = {
  /** Batch id of the running batch. */
  BATCH: 0,
  /** Index + 1 of the running item, 0 when idle. */
  ITEM: 1,
  /** Incremented at every item start: unchanged for too long = stuck. */
  SEQ: 2,
  SIZE: 3,
} as const;
