/**
 * `caxton serve`: run a node in the foreground until Ctrl-C / SIGTERM. This module is the
 * command's flags only, cheap to load for `caxton --help` and `caxton serve --help`; what it does
 * is serve-run.ts, imported when it runs (decision 1780).
 */
// yargs camel-cases kebab-case flags at runtime; its types do not, hence the casts to Argv<ServeArgs>.
import type { Argv, CommandModule } from 'yargs';
import { localAction, type AppEnv } from '../action.js';
import type { GlobalArgs } from '../context.js';
import { serveAuditOptions } from './serve-audit-options.js';
import { agentHistoryOptions } from './serve-agent-history-options.js';
import { clusterSecurityFlags } from './serve-cluster-security-options.js';
import { k8sServeOptions } from './serve-k8s-options.js';
import { withConsoleOptions } from './serve-console-options.js';
import { withListenerOptions } from './serve-listener-options.js';
import { withMcpOptions } from './serve-mcp-options.js';
import { withA2aOptions } from './serve-a2a-options.js';
import { withMtpOptions } from './serve-mtp-options.js';
import { telemetryOptions } from './serve-telemetry-options.js';
import { trustOptions } from './serve-trust-options.js';
import type { ServeArgs } from './serve-run.js';
import {
  artifactLimitOptions,
  clusterLimitOptions,
  edgeLimitOptions,
  kafkaRequestLimitOptions,
  nodeDefaultLimitOptions,
  nodeLimitOptions,
  prepareCacheLimitOptions,
  replayHistoryLimitOptions,
  trafficLimitOptions,
} from '../limit-flags.js';

export function serveCommand(env: AppEnv): CommandModule<GlobalArgs, ServeArgs> {
  return {
    command: 'serve',
    describe: 'Run a Caxton node in the foreground (Ctrl-C stops it cleanly)',
    builder: (y) =>
      agentHistoryOptions(
        replayHistoryLimitOptions(
          kafkaRequestLimitOptions(
            clusterLimitOptions(
              nodeLimitOptions(
                edgeLimitOptions(
                  artifactLimitOptions(
                    prepareCacheLimitOptions(
                      trafficLimitOptions(
                        nodeDefaultLimitOptions(
                          trustOptions(
                            telemetryOptions(
                              withListenerOptions(
                                withMtpOptions(
                                  withA2aOptions(withMcpOptions(withConsoleOptions(serveAuditOptions(clusterSecurityFlags(y))))),
                                ),
                              ),
                            ),
                          ),
                        ),
                      ),
                    ),
                  ),
                ),
              ),
            ),
          ),
        ),
      )
        // For serve, --addr is where to listen (the global --addr is where a client connects): it
        // must not be accepted and ignored. No default here, so an explicit one can be told apart.
        .option('addr', {
          type: 'string',
          default: undefined,
          describe: 'Where to serve the API, host:port (the same as --api-host with --api-port)',
        })
        .option('api-host', { type: 'string', describe: 'Interface for the management API (default 127.0.0.1)' })
        .option('api-port', { type: 'number', describe: 'Port for the management API (default 50051; 0 = any free port)' })
        .option('platform', {
          type: 'string',
          describe:
            "This node's platform name: its agents are <name>@<platform>, as peer platforms know them (default caxton; give each platform that peers over --mtp-http its own)",
        })
        .option('node-id', { type: 'string', describe: "This node's id in a cluster; default: derived and kept in the data dir" })
        .option('kafka', { type: 'string', describe: 'Kafka brokers (host:port,…) for the bus; default: the embedded on-disk log' })
        .option('etcd', { type: 'string', describe: 'etcd endpoints (host:port,…) for the registry; default: embedded' })
        .option('cluster', {
          type: 'string',
          describe: 'Cluster name (with --kafka/--etcd): scopes etcd keys, Kafka topics and group; default "default"',
        })
        // Kept so that an existing invocation still starts (decision 2168): given, the start notes it is ignored.
        .option('replicas-across-nodes', {
          type: 'boolean',
          default: undefined,
          deprecated: "a cluster's scaled agents always run their workers across nodes (decision 2168); the flag is ignored",
          describe: 'Ignored (decision 2168): workers always run across the nodes of a cluster',
        })
        .option('auth', { type: 'boolean', default: true, describe: 'Require the bearer token (--no-auth disables it; loopback only!)' })
        .option('cert', { type: 'string', describe: 'TLS certificate for the API' })
        .option('key', { type: 'string', describe: 'TLS private key for the API' })
        .option('client-ca', { type: 'string', describe: 'CA for client certificates' })
        .option('require-client-cert', {
          type: 'boolean',
          default: false,
          describe: 'Mutual TLS: refuse clients without a certificate from --client-ca',
        })
        .option('prepare-cache-dir', {
          type: 'string',
          describe:
            "Where prepared components are kept (default <data-dir>/cache); nodes on one host may share one directory: entries are named by the component's digest and the preparing code's versions, and written by rename. The directory must be this user's, not a symbolic link and not group/world-writable, and every directory on the way to it owned by root or this user and not writable by others unless sticky like /tmp (a link on the way is followed and its directory checked too) (else the node refuses to start, naming the directory and the fix); each cached file is checked against the sha256 its manifest records before use, and a mismatch is prepared again",
        })
        .option('component-limit', {
          type: 'string',
          array: true,
          describe:
            'Raise a cap on what a component may define, <name>=<n> (repeatable): coreModules 64, components 64, instances 4096, coreInstances 4096, types 65536, functions 1000000',
        })
        .options(k8sServeOptions(env.io.env))
        .example('$0 serve', 'embedded storage in ./.caxton, API on 127.0.0.1:50051')
        .example(
          '$0 serve --kafka k1:9092,k2:9092 --etcd e1:2379 --node-id n1 --api-host 0.0.0.0 --cert api.pem --key api.key',
          'a cluster member',
        ) as unknown as Argv<ServeArgs>,
    handler: localAction<ServeArgs>(env, async (ctx, argv) => (await import('./serve-run.js')).runServe(ctx, argv)),
  };
}
