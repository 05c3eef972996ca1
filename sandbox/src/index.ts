/**
 * The agent sandbox. The bus uses the ShardPool (worker shards, batched delivery, wall-clock
 * backstop); tests and benchmarks may use the in-thread Sandbox. See docs/sandbox.md.
 */
export { Engine, DEFAULT_TABLE_CAP } from './engine.js';
export { wasmFeatureNodeFlags } from './wasm-features.js';
export { DEFAULT_COMPONENT_LIMITS, type ComponentLimits } from './binary/component-limits.js';
export type { EngineOptions } from './engine.js';
export type { Artifact, ArtifactManifest, BindingPath } from './artifact/artifact.js';
export { ShardPool } from './shard/shard-pool.js';
export type { ShardPoolOptions, DeployReport, PoolAgentMetrics, PoolEvent } from './shard/shard-pool.js';
export { Sandbox } from './sandbox.js';
export type { SandboxOptions } from './sandbox.js';
export type { AgentSpec, ArtifactRef, PreparedAgentSpec, RestartCarryOver } from './agent-spec.js';
export { AgentSandbox } from './agent-sandbox.js';
export type { AgentMetrics, StartReport } from './agent-sandbox.js';
export { DEFAULT_LIMITS, resolveLimits } from './limits/limits.js';
export type { AgentLimits } from './limits/limits.js';
export { DEFAULT_RESTART_POLICY, RestartTracker } from './restart-policy.js';
export type { RestartPolicy } from './restart-policy.js';
export { DEFAULT_RESTART_BACKOFF, RestartBackoff } from './restart-backoff.js';
export type { RestartBackoffPolicy } from './restart-backoff.js';
export type { DirectorySnapshot } from './host/directory.js';
export { RoutingEpoch, UnknownReceivers, MAX_UNKNOWN_RECEIVERS } from './host/unknown-receivers.js';
// CrashKind, LogLevel, ServiceDescription and Delivery are @caxton/core's: one definition each.
export type {
  DirectoryOp,
  Effects,
  ErrorInfo,
  InstanceState,
  LogLine,
  Outcome,
  TimerRequest,
  Work,
  WorkResult,
} from './results.js';
export { NONE, messageIdOf, workIdOf } from './results.js';
export {
  SandboxError,
  ArtifactError,
  OutOfFuel,
  SANDBOX_ERROR_KINDS,
  sandboxErrorKind,
  type SandboxErrorCode,
  type ArtifactErrorCode,
} from './errors.js';
export { parseComponentLimit } from './binary/component-limits.js';
// Lower-level pieces, public for tools and benchmarks that measure them on their own. The fuel pass
// itself is '@caxton/sandbox/fuel' (fuel/public.ts), not here: it loads binaryen (15 MB of JS,
// ~1 s of CPU), which everything that imports the sandbox or the runtime would pay at start-up
// while only the instrumentation worker uses it (decision 2132).
export { HostBridge } from './host/bridge.js';
export { AgentSeed, HandlingSeed } from './host/handling-seed.js';
export { messageToWit } from './host/convert.js';
export { createDenyWasi } from './wasi/deny-wasi.js';
