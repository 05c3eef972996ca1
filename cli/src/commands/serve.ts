/**
 * `caxton serve`: run a node in the foreground until Ctrl-C / SIGTERM. The node itself lives in
 * @caxton/runtime/node (startNode); this command only turns flags into its options.
 */
import path from 'node:path';
// yargs camel-cases kebab-case flags at runtime; its types do not, hence the casts to Argv<Args>.
import type { Argv, CommandModule } from 'yargs';
import { readTokenFilePath, tokenFilePath } from '@caxton/runtime';
import { action, type AppEnv } from '../action.js';
import { CliError, UsageError } from '../cli-error.js';
import type { GlobalArgs } from '../context.js';
import type { StartNodeOptions, RunningNode } from '@caxton/runtime';
import { parseComponentLimit } from '@caxton/sandbox';
import { EXIT } from '../exit-codes.js';
import { auditNodeOptions, serveAuditOptions, type ServeAuditArgs } from './serve-audit-options.js';
import { clusterSecurityFlags, clusterSecurityOptions, type ClusterSecurityArgs } from './serve-cluster-security-options.js';
import { k8sNodeOptions, k8sServeOptions, type K8sArgs } from './serve-k8s-options.js';
import { consoleNodeOptions, withConsoleOptions, type ConsoleArgs } from './serve-console-options.js';
import { telemetryFromArgs, telemetryOptions, type TelemetryArgs } from './serve-telemetry-options.js';
import { installJsonLogs } from '@caxton/runtime';
import { trustNodeOptions, trustOptions, type TrustArgs } from './serve-trust-options.js';
import { noAuthApiWarning, plaintextApiWarning } from './serve-plaintext-warning.js';

/** The node's own option and handle types: one definition, the node's (runtime/src/start/options.ts). */
export type { StartNodeOptions, RunningNode };

export type StartNode = (options: StartNodeOptions) => Promise<RunningNode>;

// A variable, not a literal: the node is built separately and may be absent from a checkout.
const NODE_MODULE = '@caxton/runtime';

async function loadStartNode(): Promise<StartNode> {
  let mod: { startNode?: StartNode };
  try {
    mod = (await import(NODE_MODULE)) as { startNode?: StartNode };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND') {
      throw new CliError(EXIT.FAILURE, `this Caxton build has no node (${NODE_MODULE} is missing)`, 'build everything with `npm run build` (tsc -b) and retry');
    }
    throw err;
  }
  if (typeof mod.startNode !== 'function') throw new CliError(EXIT.FAILURE, `${NODE_MODULE} does not export startNode()`);
  return mod.startNode;
}

type Args = GlobalArgs & ClusterSecurityArgs & K8sArgs & ServeAuditArgs & ConsoleArgs & TelemetryArgs & TrustArgs & {
  shards?: number;
  edgeMaxInFlight?: number;
  edgeTargetMs?: number;
  prepareTimeoutS?: number;
  prepareHeapMib?: number;
  componentLimit?: string[];
  apiHost?: string;
  apiPort?: number;
  nodeId?: string;
  kafka?: string;
  etcd?: string;
  cluster?: string;
  leaseTtl?: number;
  kafkaSessionTimeout?: number;
  partitions?: number;
  auth: boolean;
  cert?: string;
  key?: string;
  clientCa?: string;
  requireClientCert: boolean;
  maxArtifactMib?: number;
} & Partial<ServeAuditArgs>;

/** A component is buffered whole in memory while it uploads (at most 4 at once): keep it sane. */
const MAX_ARTIFACT_MIB = 1024;

function list(text: string | undefined, flag: string): string[] | undefined {
  if (text === undefined) return undefined;
  const items = text.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (items.length === 0) throw new UsageError(`${flag} needs at least one host:port`);
  return items;
}

/** Flags → StartNodeOptions. Exposed for unit tests. */
export function nodeOptions(argv: Args, cwd: string, env: Readonly<Record<string, string | undefined>> = {}): StartNodeOptions {
  const { apiHost, apiPort } = listenAddress(argv);
  if (!Number.isInteger(apiPort) || apiPort < 0 || apiPort > 65535) throw new UsageError(`--api-port ${apiPort} is not a port`);
  if ((argv.cert === undefined) !== (argv.key === undefined)) throw new UsageError('--cert and --key go together');
  if (argv.requireClientCert && !argv.clientCa) throw new UsageError('--require-client-cert needs --client-ca');
  const mib = argv.maxArtifactMib;
  if (mib !== undefined && (!Number.isFinite(mib) || mib <= 0 || mib > MAX_ARTIFACT_MIB)) {
    throw new UsageError(`--max-artifact-mib ${mib} is not a size in MiB above 0 and at most ${MAX_ARTIFACT_MIB}`, 'the default, 64, fits every example; uploads are held in memory while they arrive');
  }
  const options: StartNodeOptions = {
    dataDir: path.resolve(cwd, argv.dataDir),
    apiHost,
    apiPort,
    auth: { mode: argv.auth ? 'token' : 'none' },
  };
  if (argv.nodeId) options.nodeId = argv.nodeId;
  const brokers = list(argv.kafka, '--kafka');
  const endpoints = list(argv.etcd, '--etcd');
  Object.assign(options, clusterSecurityOptions(argv, env, cwd, brokers, endpoints));
  const cluster = clusterOptions(argv);
  if (cluster) {
    if (!brokers || !endpoints) throw new UsageError('--cluster, --lease-ttl, --kafka-session-timeout and --partitions need cluster mode', 'pass --kafka and --etcd too');
    options.cluster = cluster;
  }
  if (mib !== undefined) options.maxArtifactBytes = Math.floor(mib * 1024 * 1024);
  const prepare: NonNullable<StartNodeOptions['prepare']> = {};
  if (argv.prepareTimeoutS !== undefined) {
    if (!(argv.prepareTimeoutS > 0 && argv.prepareTimeoutS <= 3600)) throw new UsageError(`--prepare-timeout-s ${argv.prepareTimeoutS} is not a number of seconds above 0 and at most 3600`);
    prepare.deadlineMs = Math.round(argv.prepareTimeoutS * 1000);
  }
  if (argv.prepareHeapMib !== undefined) {
    if (!(Number.isInteger(argv.prepareHeapMib) && argv.prepareHeapMib >= 64 && argv.prepareHeapMib <= 16384)) throw new UsageError(`--prepare-heap-mib ${argv.prepareHeapMib} is not a whole number from 64 to 16384`);
    prepare.maxHeapMb = argv.prepareHeapMib;
  }
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
  if (argv.shards !== undefined) {
    if (!Number.isInteger(argv.shards) || argv.shards < 1 || argv.shards > 256) throw new UsageError(`--shards ${argv.shards} is not a whole number from 1 to 256`);
    options.shards = argv.shards;
  }
  // Edge admission of outside clients (decision 1810): the ceiling and the delay target of the limit.
  const edge: NonNullable<StartNodeOptions['edgeAdmission']> = {};
  if (argv.edgeMaxInFlight !== undefined) {
    if (!Number.isInteger(argv.edgeMaxInFlight) || argv.edgeMaxInFlight < 4 || argv.edgeMaxInFlight > 1_000_000) throw new UsageError(`--edge-max-in-flight ${argv.edgeMaxInFlight} is not a whole number from 4 to 1000000`);
    edge.maxLimit = argv.edgeMaxInFlight;
  }
  if (argv.edgeTargetMs !== undefined) {
    if (!Number.isInteger(argv.edgeTargetMs) || argv.edgeTargetMs < 1 || argv.edgeTargetMs > 60_000) throw new UsageError(`--edge-target-ms ${argv.edgeTargetMs} is not a whole number from 1 to 60000`);
    edge.targetDelayMs = argv.edgeTargetMs;
  }
  if (Object.keys(edge).length > 0) options.edgeAdmission = edge;
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
  return options;
}

/** --addr host:port, or --api-host/--api-port (not both), or 127.0.0.1:50051. */
function listenAddress(argv: Args): { apiHost: string; apiPort: number } {
  const addr = (argv as { addr?: string }).addr;
  if (addr === undefined) return { apiHost: argv.apiHost ?? '127.0.0.1', apiPort: argv.apiPort ?? 50051 };
  if (argv.apiHost !== undefined || argv.apiPort !== undefined) {
    throw new UsageError('give the listen address either as --addr host:port or as --api-host/--api-port, not both');
  }
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(addr);
  if (!m) throw new UsageError(`--addr ${addr} is not host:port`, 'e.g. --addr 127.0.0.1:50051 ([::1]:50051 for IPv6)');
  return { apiHost: (m[1] ?? m[2])!, apiPort: Number(m[3]) };
}

function clusterOptions(argv: Args): NonNullable<StartNodeOptions['cluster']> | undefined {
  const out: NonNullable<StartNodeOptions['cluster']> = {};
  if (argv.cluster !== undefined) out.name = argv.cluster;
  if (argv.leaseTtl !== undefined) {
    if (!Number.isInteger(argv.leaseTtl) || argv.leaseTtl < 1) throw new UsageError(`--lease-ttl ${argv.leaseTtl} is not a whole number of seconds >= 1`);
    out.leaseTtlSeconds = argv.leaseTtl;
  }
  if (argv.kafkaSessionTimeout !== undefined) {
    if (!Number.isInteger(argv.kafkaSessionTimeout) || argv.kafkaSessionTimeout < 1000) throw new UsageError(`--kafka-session-timeout ${argv.kafkaSessionTimeout} is not a number of milliseconds >= 1000`);
    out.sessionTimeoutMs = argv.kafkaSessionTimeout;
  }
  if (argv.partitions !== undefined) {
    if (!Number.isInteger(argv.partitions) || argv.partitions < 1) throw new UsageError(`--partitions ${argv.partitions} is not a positive integer`);
    out.partitions = argv.partitions;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

export function serveCommand(env: AppEnv): CommandModule<GlobalArgs, Args> {
  return {
    command: 'serve',
    describe: 'Run a Caxton node in the foreground (Ctrl-C stops it cleanly)',
    builder: (y) => trustOptions(telemetryOptions(withConsoleOptions(serveAuditOptions(clusterSecurityFlags(y)))))
      // For serve, --addr is where to listen (the global --addr is where a client connects): it
      // must not be accepted and ignored. No default here, so an explicit one can be told apart.
      .option('addr', { type: 'string', default: undefined, describe: 'Where to serve the API, host:port (the same as --api-host with --api-port)' })
      .option('api-host', { type: 'string', describe: 'Interface for the management API (default 127.0.0.1)' })
      .option('api-port', { type: 'number', describe: 'Port for the management API (default 50051; 0 = any free port)' })
      .option('node-id', { type: 'string', describe: 'This node\'s id in a cluster; default: derived and kept in the data dir' })
      .option('kafka', { type: 'string', describe: 'Kafka brokers (host:port,…) for the bus; default: the embedded on-disk log' })
      .option('etcd', { type: 'string', describe: 'etcd endpoints (host:port,…) for the registry; default: embedded' })
      .option('cluster', { type: 'string', describe: 'Cluster name (with --kafka/--etcd): scopes etcd keys, Kafka topics and group; default "default"' })
      .option('lease-ttl', { type: 'number', describe: 'Cluster membership lease, seconds: how long a dead node\'s agents wait for a new owner (default 5)' })
      .option('kafka-session-timeout', { type: 'number', describe: 'Kafka consumer session, ms: how long a dead node keeps its partitions (default 6000)' })
      .option('partitions', { type: 'number', describe: 'Partitions of the deliveries topic when creating it (default 12; all nodes must agree)' })
      .option('auth', { type: 'boolean', default: true, describe: 'Require the bearer token (--no-auth disables it; loopback only!)' })
      .option('cert', { type: 'string', describe: 'TLS certificate for the API' })
      .option('key', { type: 'string', describe: 'TLS private key for the API' })
      .option('client-ca', { type: 'string', describe: 'CA for client certificates' })
      .option('require-client-cert', { type: 'boolean', default: false, describe: 'Mutual TLS: refuse clients without a certificate from --client-ca' })
      .option('max-artifact-mib', { type: 'number', describe: 'Largest component deploy/upgrade accept, MiB (default 64, at most 1024)' })
      .option('prepare-timeout-s', { type: 'number', describe: 'Longest a component may take to be checked and prepared, seconds (default 120)' })
      .option('prepare-heap-mib', { type: 'number', describe: 'Memory the preparation of one component may use, MiB (default 1024)' })
      .option('component-limit', { type: 'string', array: true, describe: 'Raise a cap on what a component may define, <name>=<n> (repeatable): coreModules 64, components 64, instances 4096, coreInstances 4096, types 65536, functions 1000000' })
      .options(k8sServeOptions(env.io.env))
      .option('edge-max-in-flight', { type: 'number', describe: 'Most outside-client messages accepted and not yet handled, node-wide, before SendMessage is refused RESOURCE_EXHAUSTED (default 10000; the limit adapts below it to the delay target)' })
      .option('edge-target-ms', { type: 'number', describe: 'Delay target of outside clients\' messages (accepted to handled), ms: past it the edge limit drops (default 20)' })
      .option('shards', { type: 'number', describe: 'Worker threads running agents (default: 1 on up to 2 cores, else cores - 1); a stuck agent resets only its own shard' })
      .example('$0 serve', 'embedded storage in ./.caxton, API on 127.0.0.1:50051')
      .example('$0 serve --kafka k1:9092,k2:9092 --etcd e1:2379 --node-id n1 --api-host 0.0.0.0 --cert api.pem --key api.key', 'a cluster member') as unknown as Argv<Args>,
    handler: action<Args>(env, async (ctx, argv) => {
      const options = nodeOptions(argv, ctx.io.cwd, ctx.io.env);
      // JSON lines from here on: every later note, warning and library line is one object.
      // The node id is known once the node has read (or made) it in its data dir; until then, --node-id.
      let nodeIdForLogs = options.nodeId;
      if (options.telemetry?.logFormat === 'json') installJsonLogs(() => nodeIdForLogs);
      const open = noAuthApiWarning(options);
      if (open) ctx.note(open);
      const plaintext = plaintextApiWarning(options);
      if (plaintext) ctx.note(plaintext);
      const startNode = await loadStartNode();
      const node = await startNode(options).catch((err: unknown) => {
        // The error is reported at once; a connection attempt a client library abandoned (e.g. to a
        // Kafka broker that accepts and never answers) may keep the process alive until its own
        // timeout. A node that failed to start has nothing to flush: do not wait for that.
        setTimeout(() => process.exit(process.exitCode ?? EXIT.FAILURE), 1000).unref();
        throw err;
      });
      nodeIdForLogs = node.nodeId;
      const where = `${options.apiHost}:${node.apiPort}`;
      ctx.note(`caxton: ${node.nodeId ? `node ${node.nodeId}` : 'node'} serving the API on ${where}${options.tls ? ' (TLS)' : ''}`);
      if (node.trust.mode !== 'off') ctx.note(`caxton: agent signatures: ${node.trust.mode}; trusted keys: ${node.trust.keyIds.join(', ') || '(none)'}`);
      if (options.auth.mode === 'token') {
        ctx.note(`caxton: clients authenticate with the token in ${options.auth.tokenFile ?? tokenFilePath(options.dataDir)} (read-only: ${options.auth.readTokenFile ?? readTokenFilePath(options.dataDir)})`);
      }
      for (const line of node.telemetry?.describe() ?? ['telemetry: off (see --otlp-endpoint, --metrics-addr)']) ctx.note(`caxton: ${line}`);
      const health = options.health && node.healthPort !== undefined ? `${options.health.host}:${node.healthPort}` : undefined;
      if (health) ctx.note(`caxton: grpc.health.v1 (plaintext, no token) on ${health}`);
      if (node.consoleUrl) ctx.note(`caxton: console on ${node.consoleUrl}`);
      if (ctx.args.json) ctx.printJsonLine({ event: 'serving', address: where, nodeId: node.nodeId ?? null, ...(health ? { health } : {}), ...(node.consoleUrl ? { console: node.consoleUrl } : {}) });
      const exitCode = await new Promise<number>((resolve) => {
        let interrupts = 0;
        const stopListening = ctx.io.onInterrupt(() => {
          interrupts++;
          if (interrupts > 1) {
            // The node did not stop in time and the user insists: leave without cleaning up.
            ctx.note('caxton: stopping immediately');
            process.exit(EXIT.INTERRUPTED);
          }
          ctx.note('caxton: stopping (Ctrl-C again to force)…');
          node.stop().then(() => {
            stopListening();
            resolve(EXIT.OK);
          }, (err: unknown) => {
            ctx.note(`caxton: error while stopping: ${err instanceof Error ? err.message : String(err)}`);
            stopListening();
            resolve(EXIT.FAILURE);
          });
        });
      });
      ctx.note('caxton: stopped');
      return exitCode;
    }),
  };
}
