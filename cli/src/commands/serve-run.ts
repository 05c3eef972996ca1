/**
 * What `caxton serve` does once it runs (its flags are serve.ts's, loaded for --help without any
 * of this): turn the flags into the node's options and run the node in the foreground until
 * Ctrl-C / SIGTERM. The node itself is @caxton/runtime's startNode; this module is imported only
 * when serve runs, so the node's library, the sandbox and their dependencies load only then.
 */
import {
  artifactLimitsFromFlags,
  clusterLimitsFromFlags,
  edgeLimitsFromFlags,
  replayHistoryFromFlags,
  kafkaRequestLimitsFromFlags,
  nodeDefaultLimitsFromFlags,
  nodeLimitsFromFlags,
  prepareCacheLimitsFromFlags,
  trafficLimitsFromFlags,
  type LimitFlagArgs,
} from '../limit-flags.js';
import path from 'node:path';
import { readTokenFilePath, tokenFilePath } from '@caxton/client';
import { CliError, UsageError } from '../cli-error.js';
import type { CommandContext, GlobalArgs } from '../context.js';
import type { StartNodeOptions, RunningNode } from '@caxton/runtime';
import { parseComponentLimit } from '@caxton/sandbox';
import { ARTIFACT_LIMIT_TABLE, inFlagUnit } from '@caxton/core';
import { EXIT } from '../exit-codes.js';
import { onInterrupts } from '../interrupts.js';
import { auditNodeOptions, type ServeAuditArgs } from './serve-audit-options.js';
import { clusterSecurityOptions, hostList, type ClusterSecurityArgs } from './serve-cluster-security-options.js';
import { k8sNodeOptions, type K8sArgs } from './serve-k8s-options.js';
import { consoleNodeOptions, type ConsoleArgs } from './serve-console-options.js';
import { mcpNodeOptions, type McpArgs } from './serve-mcp-options.js';
import { a2aNodeOptions, type A2aArgs } from './serve-a2a-options.js';
import { mtpNodeOptions, platformOption } from './serve-mtp-node-options.js';
import type { MtpArgs } from './serve-mtp-options.js';
import { listenerSecurity, type ListenerArgs } from './serve-listener-options.js';
import type { TelemetryArgs } from './serve-telemetry-options.js';
import { telemetryFromArgs } from './serve-telemetry-config.js';
import { exportNodeLines, installJsonLogs } from '@caxton/runtime';
import type { TrustArgs } from './serve-trust-options.js';
import { agentReplayHistoryFromArgs, type AgentHistoryArgs } from './serve-agent-history-options.js';
import { trustNodeOptions } from './serve-trust-policy.js';
import { noAuthApiWarning, plaintextApiWarning, unsignedRecordsWarning } from './serve-plaintext-warning.js';

/** The node's own option and handle types: one definition, the node's (runtime/src/start/options.ts). */
export type { StartNodeOptions, RunningNode };

export type StartNode = (options: StartNodeOptions) => Promise<RunningNode>;

// Named for the messages; the import itself is a literal so that esbuild follows it: the bundled
// CLI then runs the node from its own chunk, not a second copy of core and runtime from their
// compiled modules, whose errors the CLI's would not recognise (decision 2051). A tsc build
// without the runtime still reaches the ERR_MODULE_NOT_FOUND branch.
const NODE_MODULE = '@caxton/runtime';

export async function loadStartNode(): Promise<StartNode> {
  let mod: { startNode?: StartNode };
  try {
    mod = (await import('@caxton/runtime')) as { startNode?: StartNode };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND') {
      throw new CliError(
        EXIT.FAILURE,
        `this Caxton build has no node (${NODE_MODULE} is missing)`,
        'build everything with `npm run build` (tsc -b) and retry',
      );
    }
    throw err;
  }
  if (typeof mod.startNode !== 'function') throw new CliError(EXIT.FAILURE, `${NODE_MODULE} does not export startNode()`);
  return mod.startNode;
}

export type ServeArgs = GlobalArgs &
  ClusterSecurityArgs &
  K8sArgs &
  ServeAuditArgs &
  ConsoleArgs &
  McpArgs &
  A2aArgs &
  MtpArgs &
  ListenerArgs &
  TelemetryArgs &
  TrustArgs &
  AgentHistoryArgs & {
    prepareCacheDir?: string;
    componentLimit?: string[];
    apiHost?: string;
    apiPort?: number;
    nodeId?: string;
    platform?: string;
    kafka?: string;
    etcd?: string;
    cluster?: string;
    replicasAcrossNodes?: boolean;
    auth: boolean;
    cert?: string;
    key?: string;
    clientCa?: string;
    requireClientCert: boolean;
  } & Partial<ServeAuditArgs>;

/** Flags → StartNodeOptions. Exposed for unit tests. */
export function nodeOptions(argv: ServeArgs, cwd: string, env: Readonly<Record<string, string | undefined>> = {}): StartNodeOptions {
  const { apiHost, apiPort } = listenAddress(argv);
  if (!Number.isInteger(apiPort) || apiPort < 0 || apiPort > 65535) throw new UsageError(`--api-port ${apiPort} is not a port`);
  if ((argv.cert === undefined) !== (argv.key === undefined)) throw new UsageError('--cert and --key go together');
  if (argv.requireClientCert && !argv.clientCa) throw new UsageError('--require-client-cert needs --client-ca');
  // What the node accepts and spends on a component (decision 2147): checked before anything else is built.
  const artifact = artifactLimitsFromFlags(argv as unknown as LimitFlagArgs);
  const options: StartNodeOptions = {
    dataDir: path.resolve(cwd, argv.dataDir),
    apiHost,
    apiPort,
    auth: { mode: argv.auth ? 'token' : 'none' },
  };
  if (argv.nodeId) options.nodeId = argv.nodeId;
  const platform = platformOption(argv.platform);
  if (platform !== undefined) options.platform = platform;
  const brokers = hostList(argv.kafka, '--kafka');
  const endpoints = hostList(argv.etcd, '--etcd');
  Object.assign(options, clusterSecurityOptions(argv, env, cwd, brokers, endpoints));
  const cluster = clusterOptions(argv);
  if (cluster) {
    if (!brokers || !endpoints)
      throw new UsageError(
        '--cluster, --lease-ttl, --kafka-session-timeout, --kafka-open-timeout, --kafka-linger-ms, --kafka-fetch-* and --partitions need cluster mode',
        'pass --kafka and --etcd too',
      );
    options.cluster = cluster;
  }
  if (artifact?.maxArtifactBytes !== undefined) options.maxArtifactBytes = artifact.maxArtifactBytes;
  const prepare: NonNullable<StartNodeOptions['prepare']> = {};
  if (artifact?.prepareDeadlineMs !== undefined) prepare.deadlineMs = artifact.prepareDeadlineMs;
  // The preparing worker's heap is set in MiB (V8's maxOldGenerationSizeMb): the row's flag unit.
  if (artifact?.prepareHeapBytes !== undefined)
    prepare.maxHeapMb = inFlagUnit(ARTIFACT_LIMIT_TABLE.prepareHeapBytes, artifact.prepareHeapBytes);
  if (argv.prepareCacheDir !== undefined) {
    if (argv.prepareCacheDir.trim() === '')
      throw new UsageError('--prepare-cache-dir is empty', 'give a directory, or leave the flag out for <data-dir>/cache');
    prepare.cacheDir = path.resolve(cwd, argv.prepareCacheDir);
  }
  const cacheMaxBytes = prepareCacheLimitsFromFlags(argv as unknown as LimitFlagArgs)?.maxBytes;
  if (cacheMaxBytes !== undefined) prepare.cacheMaxBytes = cacheMaxBytes;
  for (const text of argv.componentLimit ?? []) {
    try {
      prepare.componentLimits = { ...prepare.componentLimits, ...parseComponentLimit(text) };
    } catch (err) {
      throw new UsageError(`--component-limit ${(err as Error).message}`);
    }
  }
  if (Object.keys(prepare).length > 0) options.prepare = prepare;
  const trust = trustNodeOptions(argv, cwd);
  if (trust) options.trust = trust;
  // Worker threads (decision 2149): the row's range; absent, the node computes the default from the cores.
  const shards = nodeLimitsFromFlags(argv as unknown as LimitFlagArgs)?.shards;
  if (shards !== undefined) options.shards = shards;
  // Absent agents' queues (decision 1990): the node's defaults for deployments without their own.
  const absentDefaults = nodeDefaultLimitsFromFlags(argv as unknown as LimitFlagArgs);
  if (absentDefaults) options.defaultLimits = { ...options.defaultLimits, ...absentDefaults };
  // Node-wide traffic limits serve sets: the fuel-fair sharing of a shard (decision 2140).
  const traffic = trafficLimitsFromFlags(argv as unknown as LimitFlagArgs);
  if (traffic) options.traffic = { ...options.traffic, ...traffic };
  // Edge admission of outside clients (decision 1810): the ceiling and the delay target of the limit.
  const edge = edgeLimitsFromFlags(argv as unknown as LimitFlagArgs);
  if (edge) options.edgeAdmission = edge;
  // The history the embedded log keeps for replay (decision 2179): not a cluster's, whose log is Kafka.
  const replayHistory = replayHistoryFromFlags(argv as unknown as LimitFlagArgs);
  if (replayHistory && brokers && endpoints)
    throw new UsageError(
      '--replay-history-seconds and --replay-history-bytes set the embedded log; a cluster keeps its history in Kafka',
      "leave them out in cluster mode: the deliveries topic's retention (retention.ms) is what a cluster keeps",
    );
  if (replayHistory) options.replayHistory = replayHistory;
  // An agent's own history (decision 2182): the embedded log's too.
  const agentReplayHistory = agentReplayHistoryFromArgs(argv);
  if (agentReplayHistory && brokers && endpoints)
    throw new UsageError(
      "--replay-history-agent keeps an agent's history beside the embedded log; a cluster keeps its history in Kafka",
      "leave it out in cluster mode: the deliveries topic's retention (retention.ms) is what a cluster keeps, for every agent",
    );
  if (agentReplayHistory) options.agentReplayHistory = agentReplayHistory;
  const telemetry = telemetryFromArgs(argv, env);
  if (telemetry) options.telemetry = telemetry;
  if (argv.cert && argv.key) {
    options.tls = { certFile: path.resolve(cwd, argv.cert), keyFile: path.resolve(cwd, argv.key) };
    if (argv.clientCa) options.tls.caFile = path.resolve(cwd, argv.clientCa);
    if (argv.requireClientCert) options.tls.requireClientCert = true;
  }
  Object.assign(options, auditNodeOptions(argv));
  Object.assign(options, k8sNodeOptions(argv, cwd));
  const webConsole = consoleNodeOptions(argv, cwd, options.tls);
  if (webConsole) options.console = webConsole;
  // One certificate (or one explicit --listener-insecure) for the MCP, A2A and MTP listeners (decision 2040).
  const listeners = listenerSecurity(argv, cwd);
  const mcp = mcpNodeOptions(argv);
  if (mcp) options.mcp = { ...mcp, ...listeners };
  const a2a = a2aNodeOptions(argv);
  if (a2a) options.a2a = { ...a2a, ...listeners };
  const mtp = mtpNodeOptions(argv, cwd, platform, listeners, env);
  if (mtp) options.mtp = mtp;
  return options;
}

/** --addr host:port, or --api-host/--api-port (not both), or 127.0.0.1:50051. */
function listenAddress(argv: ServeArgs): { apiHost: string; apiPort: number } {
  const addr = (argv as { addr?: string }).addr;
  if (addr === undefined) return { apiHost: argv.apiHost ?? '127.0.0.1', apiPort: argv.apiPort ?? 50051 };
  if (argv.apiHost !== undefined || argv.apiPort !== undefined) {
    throw new UsageError('give the listen address either as --addr host:port or as --api-host/--api-port, not both');
  }
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(addr);
  if (!m) throw new UsageError(`--addr ${addr} is not host:port`, 'e.g. --addr 127.0.0.1:50051 ([::1]:50051 for IPv6)');
  return { apiHost: (m[1] ?? m[2])!, apiPort: Number(m[3]) };
}

function clusterOptions(argv: ServeArgs): NonNullable<StartNodeOptions['cluster']> | undefined {
  const out: NonNullable<StartNodeOptions['cluster']> = {};
  if (argv.cluster !== undefined) out.name = argv.cluster;
  // The lease, the partitions and the Kafka session are rows of core's CLUSTER_LIMIT_TABLE, the Kafka
  // request shape of its KAFKA_REQUEST_LIMIT_TABLE (decisions 2149, 2153): read like every table flag.
  // Each row given is the cluster option of the same name: a row that gains a flag needs nothing here.
  const rows = clusterLimitsFromFlags(argv as unknown as LimitFlagArgs);
  if (rows !== undefined) Object.assign(out, rows);
  const requests = kafkaRequestLimitsFromFlags(argv as unknown as LimitFlagArgs);
  if (requests !== undefined) out.kafkaRequests = requests;
  return Object.keys(out).length > 0 ? out : undefined;
}

/**
 * `--replicas-across-nodes` (either form) and CAXTON_REPLICAS_ACROSS_NODES chose between workers
 * across nodes and replicas taking turns on the agent's owner; since decision 2168 a cluster's
 * workers always run across nodes. Given anyway, they change nothing and the start says so (an
 * operator who asked for the old mode is told it is gone, not left to find out).
 */
export function ignoredReplicaSettings(argv: ServeArgs, env: Readonly<Record<string, string | undefined>>): string | undefined {
  const given = [
    ...(argv.replicasAcrossNodes === undefined
      ? []
      : [argv.replicasAcrossNodes ? '--replicas-across-nodes' : '--no-replicas-across-nodes']),
    ...(env.CAXTON_REPLICAS_ACROSS_NODES === undefined
      ? []
      : [`CAXTON_REPLICAS_ACROSS_NODES=${JSON.stringify(env.CAXTON_REPLICAS_ACROSS_NODES.slice(0, 40))}`]),
  ];
  if (given.length === 0) return undefined;
  return `caxton: note: ${given.join(' and ')} ${given.length > 1 ? 'are' : 'is'} ignored: a scaled agent's workers always run across a cluster's nodes, stateless (decision 2168); remove ${given.length > 1 ? 'them' : 'it'}`;
}

/** The body of `caxton serve` (serve.ts holds its flags): start the node, report where it serves, wait for Ctrl-C. */
export async function runServe(ctx: CommandContext, argv: ServeArgs): Promise<number> {
  const options = nodeOptions(argv, ctx.io.cwd, ctx.io.env);
  const ignored = ignoredReplicaSettings(argv, ctx.io.env);
  // JSON lines from here on: every later note, warning and library line is one object.
  // The node id is known once the node has read (or made) it in its data dir; until then, --node-id.
  let nodeIdForLogs = options.nodeId;
  if (options.telemetry?.logFormat === 'json') installJsonLogs(() => nodeIdForLogs);
  if (ignored) ctx.note(ignored);
  const open = noAuthApiWarning(options);
  if (open) ctx.note(open);
  const plaintext = plaintextApiWarning(options);
  if (plaintext) ctx.note(plaintext);
  const unsigned = unsignedRecordsWarning(options);
  if (unsigned) ctx.note(unsigned);
  const startNode = await loadStartNode();
  const node = await startNode(options).catch((err: unknown) => {
    // The error is reported at once; a connection attempt a client library abandoned (e.g. to a
    // Kafka broker that accepts and never answers) may keep the process alive until its own
    // timeout. A node that failed to start has nothing to flush: do not wait for that.
    setTimeout(() => process.exit(process.exitCode ?? EXIT.FAILURE), 1000).unref();
    throw err;
  });
  nodeIdForLogs = node.nodeId;
  // The node's own lines over OTLP too, beside its agents' (when logs are exported): from here on,
  // every line it writes to stderr, this command's notes included.
  if (node.telemetry?.nodeLogger !== undefined)
    exportNodeLines(process.stderr as unknown as Parameters<typeof exportNodeLines>[0], node.telemetry.nodeLogger);
  const where = `${options.apiHost}:${node.apiPort}`;
  ctx.note(`caxton: ${node.nodeId ? `node ${node.nodeId}` : 'node'} serving the API on ${where}${options.tls ? ' (TLS)' : ''}`);
  if (node.trust.mode !== 'off')
    ctx.note(`caxton: agent signatures: ${node.trust.mode}; trusted keys: ${node.trust.keyIds.join(', ') || '(none)'}`);
  if (options.auth.mode === 'token') {
    ctx.note(
      `caxton: clients authenticate with the token in ${options.auth.tokenFile ?? tokenFilePath(options.dataDir)} (read-only: ${options.auth.readTokenFile ?? readTokenFilePath(options.dataDir)})`,
    );
  }
  for (const line of node.telemetry?.describe() ?? ['telemetry: off (see --otlp-endpoint, --metrics-addr)']) ctx.note(`caxton: ${line}`);
  const health = options.health && node.healthPort !== undefined ? `${options.health.host}:${node.healthPort}` : undefined;
  if (health) ctx.note(`caxton: grpc.health.v1 (plaintext, no token) on ${health}`);
  if (node.consoleUrl) ctx.note(`caxton: console on ${node.consoleUrl}`);
  if (node.mcpUrl) ctx.note(`caxton: MCP on ${node.mcpUrl}`);
  if (node.a2aUrl) ctx.note(`caxton: A2A on ${node.a2aUrl}/a2a/<agent> (card: ${node.a2aUrl}/a2a/<agent>/.well-known/agent-card.json)`);
  if (node.mtpUrl)
    ctx.note(
      `caxton: FIPA HTTP MTP (ACC) on ${node.mtpUrl}/<peer secret>, platform ${node.platform}${node.mtpAdvertised !== node.mtpUrl ? `, given to peers as ${node.mtpAdvertised}/<peer secret>` : ''}`,
    );
  // The public halves of the MTP signing keys: what each peer's own configuration lists (decision 2188).
  for (const [i, k] of (node.mtpSigningKeys ?? []).entries())
    ctx.note(
      `caxton: MTP posts ${i === 0 ? 'signed with' : 'may carry'} key ${k.id}, public key ${k.publicKey} (Ed25519, 32 raw bytes in base64)`,
    );
  if (ctx.args.json)
    ctx.printJsonLine({
      event: 'serving',
      address: where,
      nodeId: node.nodeId ?? null,
      platform: node.platform,
      ...(health ? { health } : {}),
      ...(node.consoleUrl ? { console: node.consoleUrl } : {}),
      ...(node.mcpUrl ? { mcp: node.mcpUrl } : {}),
      ...(node.a2aUrl ? { a2a: node.a2aUrl } : {}),
      ...(node.mtpUrl ? { mtp: node.mtpUrl, mtpAdvertised: node.mtpAdvertised } : {}),
    });
  const exitCode = await new Promise<number>((resolve) => {
    const stopListening = onInterrupts(ctx, 'caxton: stopping (Ctrl-C again to force)…', () => {
      node.stop().then(
        () => {
          stopListening();
          resolve(EXIT.OK);
        },
        (err: unknown) => {
          ctx.note(`caxton: error while stopping: ${err instanceof Error ? err.message : String(err)}`);
          stopListening();
          resolve(EXIT.FAILURE);
        },
      );
    });
  });
  ctx.note('caxton: stopped');
  return exitCode;
}
