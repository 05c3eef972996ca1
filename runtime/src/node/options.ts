/** Options of one Caxton node, their defaults, and the node id kept in the data directory. */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ApiAuthOptions, ApiTlsOptions } from '../api/server.js';
import type { ConsoleNodeOptions } from '../console/server.js';
import type { AgentLimitsSpec } from '@caxton/core';
import type { FsyncPolicy } from '../bus/embedded/index.js';
import type { ClusterOptions } from '../topology/cluster/options.js';
import type { EtcdConnectionSpec, KafkaConnectionSpec } from '../topology/cluster/transport-security.js';
import { DEFAULT_LIMITS as SANDBOX_DEFAULTS } from '@caxton/sandbox';
import type { ComponentLimits } from '@caxton/sandbox';
import type { TelemetryConfig } from '../telemetry/config.js';
import type { TrustMode } from '../signing/trust.js';

export interface StartNodeOptions {
  dataDir: string;
  apiHost: string;
  /** 0 = any free port. */
  apiPort: number;
  nodeId?: string;
  /** Cluster mode: the bus on Kafka (TLS and SASL optional: decision 1404). */
  kafka?: KafkaConnectionSpec;
  /** Cluster mode: the registry (and artifacts, placement) on etcd (TLS and auth optional). */
  etcd?: EtcdConnectionSpec;
  /**
   * Join a cluster whose Kafka or etcd lies beyond loopback without TLS or authentication. Refused
   * by default (`node.insecure-cluster`); with this, allowed with a warning on every start.
   */
  insecureCluster?: boolean;
  /** Cluster mode: cluster name and tuning (lease TTL, Kafka session timeout…); see topology/cluster/options.ts. */
  cluster?: ClusterOptions;
  /** Bearer tokens: the node's own files in the data dir, or ones the operator provides (a shared Secret). */
  auth: ApiAuthOptions;
  tls?: ApiTlsOptions;
  /** Platform name; agent `echo` is `echo@<platform>`. Default `caxton`. */
  platform?: string;
  /** Embedded log fsync policy. Default `always` (group commit). */
  fsync?: FsyncPolicy;
  /**
   * Embedded log tuning: `maxRecordBytes`, the largest record (a message, a state transaction's
   * entry) the log stores; default 16 MiB. A state value the sandbox allows but the log cannot
   * store is refused at commit (`log.invalid-state`): the handling is dead-lettered.
   */
  embeddedLog?: { maxRecordBytes?: number };
  /**
   * `memory` keeps the bus in this process only (a crash loses pending messages): for benchmarks
   * and embedders who ask for it explicitly. Default `disk`. Ignored in cluster mode.
   */
  persistence?: 'disk' | 'memory';
  /** Pending deliveries per agent before senders see backpressure. Default 10,000. */
  mailboxCapacity?: number;
  /** Limits for agents deployed without their own. */
  defaultLimits?: Partial<AgentLimitsSpec>;
  /** Worker-thread shards running agents. Default: 1 on ≤ 2 cores, else cores − 1. */
  shards?: number;
  /** Crashes of one message before it is dead-lettered. Default 3. */
  maxAttempts?: number;
  /** grpc.health.v1 alone, plaintext, on its own address (serve --health-addr): for the kubelet's probes. */
  health?: { host: string; port: number };
  /** Serve the gRPC API (default true); in-process embedders may turn it off. */
  api?: boolean;
  /** Largest component the API accepts for deploy/upgrade, bytes. Default 64 MiB. */
  maxArtifactBytes?: number;
  /** The audit trail (decision 1402): also record calls that only look (default: changes and refused credentials). */
  audit?: { recordReads?: boolean };
  /** Preparing a component (off the main thread): its wall-clock budget and its heap cap. */
  prepare?: { deadlineMs?: number; maxHeapMb?: number; componentLimits?: Partial<ComponentLimits> };
  /** Serve the web console over HTTP (issue 15); absent: no console. */
  console?: ConsoleNodeOptions;
  /**
   * OpenTelemetry export (OTLP traces and metrics, the Prometheus endpoint), parsed from serve's
   * flags and OTEL_* variables (telemetry/config.ts). Unset or disabled: no SDK is registered.
   */
  telemetry?: TelemetryConfig;
  /**
   * Signed agents (decision 1400): public key files (or directories of *.pub/*.pem) whose signatures
   * the node trusts, and what it does with unsigned or untrusted artifacts. Mode default: `warn`
   * when keys are given, else `off`.
   */
  trust?: { keyPaths?: string[]; mode?: TrustMode };
}

/** The sandbox's defaults, so an agent deployed without limits gets what docs/agent-contract.md says. */
export const DEFAULT_LIMITS: AgentLimitsSpec = { fuelPerMessage: SANDBOX_DEFAULTS.fuelPerMessage, memoryPages: SANDBOX_DEFAULTS.memoryPages };
/** Upper bounds operators can ask for: 10^11 fuel is minutes of CPU, 4 GiB is wasm32's ceiling. */
export const MAX_LIMITS: AgentLimitsSpec = { fuelPerMessage: 100_000_000_000, memoryPages: 65_536 };

/** The node id: given, or generated once and kept in `<dataDir>/node-id` so restarts keep it. */
export function resolveNodeId(dataDir: string, given: string | undefined): string {
  if (given) return given;
  const file = path.join(dataDir, 'node-id');
  try {
    const id = readFileSync(file, 'utf8').trim();
    if (id) return id;
  } catch {
    // first start
  }
  const id = `node-${randomBytes(3).toString('hex')}`;
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(file, `${id}\n`);
  return id;
}
