/** Options of one Caxton node, their defaults, and the node id kept in the data directory. */
import type { MtpPeer, MtpRetry } from '../mtp/index.js';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ApiAuthOptions, ApiTlsOptions } from '../api/server.js';
import type { ConsoleNodeOptions } from '../console/server.js';
import type { ListenerSecurity } from '../listener/index.js';
import { AGENT_LIMIT_TABLE, DEPLOYABLE_LIMITS, type AgentLimitsSpec, type TrafficLimits } from '@caxton/core';
import type { TopologyOptions } from '../topology/topology-options.js';
import type { ComponentLimits } from '@caxton/sandbox';
import type { TelemetryConfig } from '../telemetry/config.js';
import type { EdgeAdmissionLimits } from '../bus/edge-admission.js';
import type { TrustMode } from '../signing/trust.js';

/** Pending deliveries per agent before senders see backpressure, unless mailboxCapacity says otherwise. */
export const DEFAULT_MAILBOX_CAPACITY = 10_000;

/** How often absent agents' queues are swept for messages past their TTL (decision 1990). */
export const DEFAULT_ABSENT_SWEEP_MS = 1_000;

/** The API address and storage choices (Kafka, etcd, cluster tuning, fsync, persistence) are in TopologyOptions. */
export interface StartNodeOptions extends TopologyOptions {
  dataDir: string;
  nodeId?: string;
  /** Bearer tokens: the node's own files in the data dir, or ones the operator provides (a shared Secret). */
  auth: ApiAuthOptions;
  tls?: ApiTlsOptions;
  /** Platform name; agent `echo` is `echo@<platform>`. Default `caxton`. */
  platform?: string;
  /** Pending deliveries per agent before senders see backpressure. Default DEFAULT_MAILBOX_CAPACITY. */
  mailboxCapacity?: number;
  /**
   * Node-wide traffic limits (core TRAFFIC_LIMIT_TABLE): how long a waiting priority may be passed
   * over (decision 1920), circuit breakers (1921), the sends of one agent started per event-loop turn
   * (2099), and the fuel-fair sharing of a shard (2136, 2140: `fairQuantumFuel`, `fairWindowMs`,
   * `fairIdleMs`, also `caxton serve --fair-*`; applied with one shard only, a warning otherwise).
   * Checked at start; defaults otherwise.
   */
  traffic?: Partial<TrafficLimits>;
  /**
   * Edge admission of outside clients' sends (decision 1810): the delay target and bounds of the
   * node-wide limit past which SendMessage is refused `bus.overloaded`. Defaults otherwise. `maxLimit`,
   * `targetDelayMs` and `servingMinLimit` are core's EDGE_LIMIT_TABLE rows, checked at start (decision 2149).
   */
  edgeAdmission?: Partial<EdgeAdmissionLimits>;
  /** Limits for agents deployed without their own (serve's --absent-queue and --absent-ttl among them). */
  defaultLimits?: Partial<AgentLimitsSpec>;
  /** How often absent agents' queues are swept for expired messages, ms (decision 1990). Default 1 s. */
  absentSweepMs?: number;
  /**
   * The bus's clock (ms since epoch): when a message is accepted, how long it waited (absent TTLs,
   * decision 1990), circuit-breaker cool-downs, edge admission delays, agent timers' due times.
   * Default `Date.now`; tests inject one to let an hour pass in a moment (after moving it, call the
   * node's `clockMoved` so timers now due fire).
   */
  busClock?: () => number;
  /**
   * Agent kinds (decision 1980): instances one shard may hold in memory (default KIND_LIMITS's
   * node-wide bound split over the shards) and the idle period of a kind deployed without one.
   */
  kinds?: {
    maxActivePerShard?: number;
    defaultIdleMs?: number;
    maxTimerWakes?: number;
    /** Told each time an instance comes into memory on this node or leaves it (tests observe where keys run, decision 2060). */
    onResidency?: (name: string, change: 'activated' | 'dropped') => void;
  };
  /** Worker-thread shards running agents, 1..256 (core's NODE_LIMIT_TABLE, checked at start). Default: 1 on ≤ 2 cores, else cores − 1, at most 256 (`defaultShards`). */
  shards?: number;
  /** Replica instances beyond the agents' own the node runs at once (decision 2010); lowers, never raises, `REPLICA_LIMITS.maxReplicaInstances`: a whole number from 1 to it (core's REPLICA_LIMIT_TABLE row), else the node is refused (`limits.out-of-range`, decision 2154). */
  maxReplicaInstances?: number;
  /** Crashes of one message before it is dead-lettered. Default 3. */
  maxAttempts?: number;
  /**
   * Idempotency keys of SendMessage (decision 1700): how long a key is remembered after its first
   * send (default 15 min) and how many keys at most (default 100,000; the oldest go first).
   */
  idempotency?: { windowMs?: number; maxKeys?: number };
  /** grpc.health.v1 alone, plaintext, on its own address (serve --health-addr): for the kubelet's probes. */
  health?: { host: string; port: number };
  /** Serve the gRPC API (default true); in-process embedders may turn it off. */
  api?: boolean;
  /** Largest component the API accepts for deploy/upgrade, bytes: 1 MiB..1 GiB (core's ARTIFACT_LIMIT_TABLE, checked at start). Default 64 MiB. */
  maxArtifactBytes?: number;
  /** The audit trail (decision 1402): also record calls that only look (default: changes and refused credentials). */
  audit?: {
    recordReads?: boolean;
    /**
     * Continue a trail that ends before its signed anchor (or differs from it), recording the
     * acceptance in the trail (decision 1750). Without it such a node refuses to start.
     */
    acceptTruncation?: boolean;
  };
  /**
   * Preparing a component (off the main thread): its wall-clock budget and its heap cap, and where
   * prepared components are kept (`cacheDir`, default `<dataDir>/cache`). Entries are keyed by the
   * component's digest and the preparing code's versions and written by rename, so nodes may share
   * one directory (the test nodes do, decision 2132: a fresh one prepared every component again).
   * `cacheMaxBytes` bounds the directory (core's PREPARE_CACHE_LIMIT_TABLE; decision 2141); `deadlineMs` and
   * `maxHeapMb` are core's ARTIFACT_LIMIT_TABLE rows (the heap's in MiB), all checked at start (decision 2149).
   */
  prepare?: {
    deadlineMs?: number;
    maxHeapMb?: number;
    componentLimits?: Partial<ComponentLimits>;
    cacheDir?: string;
    cacheMaxBytes?: number;
  };
  /** Serve the web console over HTTP (issue 15); absent: no console. */
  console?: ConsoleNodeOptions;
  /**
   * Serve MCP (streamable HTTP at /mcp, decision 1900); absent: no MCP endpoint. Needs the API (its
   * tokens). Plain HTTP off loopback is refused unless `insecure`; with `tls` it serves HTTPS (decision 2040).
   */
  mcp?: { host: string; port: number; callTimeoutMs?: number } & ListenerSecurity;
  /**
   * Serve A2A 1.0 (each agent's card and JSON-RPC/REST bindings under /a2a/<name>, decision 1950);
   * absent: none. Needs the API (its tokens). TLS and the plaintext rule as for `mcp`.
   */
  a2a?: {
    host: string;
    port: number;
    callTimeoutMs?: number;
    maxTasksInFlight?: number;
    maxTasksKept?: number;
    taskTtlMs?: number;
  } & ListenerSecurity;
  /**
   * The FIPA HTTP MTP (decision 1910): an ACC for peer platforms at http(s)://host:port/acc/<secret>
   * (TLS and the plaintext rule as for `mcp`), and agents' messages to those platforms' agents posted
   * to their ACCs. `peers`: parsed with `parseMtpPeers`. `caPem`: certificates trusted, besides the
   * system's, for posts to peers' `https://` ACCs. Absent: no other platform is reached or heard.
   */
  mtp?: {
    host: string;
    port: number;
    peers: MtpPeer[];
    retry?: MtpRetry;
    maxBodyBytes?: number;
    caPem?: string;
    /**
     * The URL peers reach this ACC at (without the secret), written into outgoing envelopes'
     * `received` stamps and the agents' `:addresses`; default the bound address. Required when
     * `host` is a wildcard (0.0.0.0, ::): the node has no address of its own to give then.
     */
    advertise?: string;
    /**
     * The platform's MTP signing key ring file (decision 2188): `<keyId> <base64 Ed25519 seed>`
     * lines; every post to a peer is signed with the first key. Absent: posts are not signed.
     */
    signingKeyFile?: string;
  } & ListenerSecurity;
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

/** The limits a deployment may set, from the one table (decision 1720): its defaults… */
export const DEFAULT_LIMITS: Required<AgentLimitsSpec> = Object.freeze(
  Object.fromEntries(DEPLOYABLE_LIMITS.map((n) => [n, AGENT_LIMIT_TABLE[n].default])) as Required<AgentLimitsSpec>,
);
/** …and its ceilings (10^11 fuel is minutes of CPU, 4 GiB is wasm32's ceiling). */
export const MAX_LIMITS: Required<AgentLimitsSpec> = Object.freeze(
  Object.fromEntries(DEPLOYABLE_LIMITS.map((n) => [n, AGENT_LIMIT_TABLE[n].ceiling])) as Required<AgentLimitsSpec>,
);

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
