/**
 * The node's servers, started once the log is consumed: the gRPC API, the web console, and the
 * protocol endpoints (MCP, A2A, the FIPA HTTP MTP's ACC), each closed again by `undo` if a later
 * step fails.
 */
import path from 'node:path';
import { startApiServer, DEFAULT_MAX_ARTIFACT_BYTES, type ApiServer } from '../api/server.js';
import type { AuditedControl } from '../audit/audited-control.js';
import type { AuditTrail } from '../audit/audit-trail.js';
import type { BusEvents } from '../bus/events.js';
import { startConsoleServer, type ConsoleServer } from '../console/server.js';
import { A2A_TASK_FILE_NAME, A2aConfigError, startA2aServer, type A2aEndpoint } from '../a2a/index.js';
import { McpConfigError, startMcpServer, type McpEndpoint } from '../mcp/index.js';
import { startAccServer, type AccEndpoint, type SignatureFault } from '../mtp/index.js';
import { runtimeMeter } from '../telemetry/meters.js';
import type { LocalNodeControl } from '../node/node-control.js';
import type { PersistedTracker } from '../node/tracker-persistence.js';
import type { NodeEgress } from './node-egress.js';
import type { StartContext } from './start-context.js';
import { CAXTON_VERSION } from './version.js';

export interface NodeServers {
  api: ApiServer | undefined;
  consoleServer: ConsoleServer | undefined;
  mcpEndpoint: McpEndpoint | undefined;
  a2aEndpoint: A2aEndpoint | undefined;
  accEndpoint: AccEndpoint | undefined;
}

export interface ServerDeps {
  control: LocalNodeControl;
  audited: AuditedControl;
  auditTrail: AuditTrail;
  events: BusEvents;
  tracker: PersistedTracker;
  egress: NodeEgress;
  /** Set as soon as the API listens: the topology's status shows its real port from then on. */
  listening: { api?: ApiServer };
}

export async function startServers(ctx: StartContext, deps: ServerDeps): Promise<NodeServers> {
  const { api, consoleServer } = await startApiAndConsole(ctx, deps);
  return { api, consoleServer, ...(await startProtocolEndpoints(ctx, deps, api)) };
}

async function startApiAndConsole(
  ctx: StartContext,
  deps: ServerDeps,
): Promise<{ api: ApiServer | undefined; consoleServer: ConsoleServer | undefined }> {
  const { options, dataDir, nodeId, platform, undo } = ctx;
  const storage = ctx.topology.ports;
  const { control, audited, auditTrail, events, tracker } = deps;
  let api: ApiServer | undefined;
  if (options.api !== false) {
    api = await startApiServer({
      node: control,
      host: options.apiHost,
      port: options.apiPort,
      dataDir,
      auth: options.auth,
      ...(options.tls ? { tls: options.tls } : {}),
      ...(options.maxArtifactBytes !== undefined ? { maxArtifactBytes: options.maxArtifactBytes } : {}),
      audit: { trail: auditTrail, nodeId, recordReads: options.audit?.recordReads ?? false, control: audited },
    });
    const started = api;
    deps.listening.api = api;
    undo.push(() => started.close(2000));
  }
  let consoleServer: ConsoleServer | undefined;
  if (options.console) {
    consoleServer = await startConsoleServer({
      ...options.console,
      control,
      audited,
      events,
      log: storage.log,
      dataDir,
      auth: options.auth,
      platform,
      ...(api ? { resolvePrincipal: api.resolvePrincipal } : {}),
      conversations: (initiator, conversationId) => tracker.inspect(initiator, conversationId),
      maxArtifactBytes: options.maxArtifactBytes ?? DEFAULT_MAX_ARTIFACT_BYTES,
      ...(options.kafka ? { cluster: options.cluster?.name ?? 'default' } : {}),
    });
    const started = consoleServer;
    undo.push(() => started.close());
  }
  return { api, consoleServer };
}

async function startProtocolEndpoints(
  ctx: StartContext,
  deps: ServerDeps,
  api: ApiServer | undefined,
): Promise<{ mcpEndpoint: McpEndpoint | undefined; a2aEndpoint: A2aEndpoint | undefined; accEndpoint: AccEndpoint | undefined }> {
  const { options, dataDir, platform, undo } = ctx;
  const { control, audited } = deps;
  const { mtpPeers, mtpSender } = deps.egress;
  let accEndpoint: AccEndpoint | undefined;
  let mcpEndpoint: McpEndpoint | undefined;
  const mcp = options.mcp;
  if (mcp) {
    const refuse = { name: 'MCP', flag: 'mcp', error: McpConfigError };
    mcpEndpoint = await startCheckingApiTokens(ctx, api, refuse, (resolvePrincipal) =>
      startMcpServer({ ...mcp, control, audited, resolvePrincipal, version: CAXTON_VERSION }),
    );
  }
  let a2aEndpoint: A2aEndpoint | undefined;
  const a2a = options.a2a;
  if (a2a) {
    const refuse = { name: 'A2A', flag: 'a2a', error: A2aConfigError };
    a2aEndpoint = await startCheckingApiTokens(ctx, api, refuse, (resolvePrincipal) =>
      startA2aServer({
        ...a2a,
        control,
        audited,
        resolvePrincipal,
        // Tasks outlive a restart (decision 2040): the node's own data directory, like its protocol state.
        taskFile: path.join(dataDir, A2A_TASK_FILE_NAME),
        warn: (m) => process.stderr.write(`caxton: ${m}\n`),
      }),
    );
  }
  if (options.mtp && mtpPeers) {
    accEndpoint = await startAccServer({
      host: options.mtp.host,
      port: options.mtp.port,
      platform,
      peers: mtpPeers,
      control,
      audited,
      ...(options.mtp.tls ? { tls: options.mtp.tls } : {}),
      ...(options.mtp.insecure ? { insecure: true } : {}),
      ...(options.mtp.maxBodyBytes !== undefined ? { maxBodyBytes: options.mtp.maxBodyBytes } : {}),
      onSignatureRefused: signatureRefusals(),
    });
    const started = accEndpoint;
    deps.egress.acc.endpoint = accEndpoint;
    undo.push(() => started.close());
    mtpSender?.listening(); // posts waiting for a return address (replayed at start) go on
  }
  return { mcpEndpoint, a2aEndpoint, accEndpoint };
}

/**
 * An endpoint that takes the API's bearer tokens (MCP, A2A): refused without the API, whose
 * principals it resolves; closed by `undo` if a later step fails.
 */
async function startCheckingApiTokens<E extends { close(): Promise<void> }>(
  ctx: StartContext,
  api: ApiServer | undefined,
  refuse: { name: string; flag: string; error: new (message: string, hint: string) => Error },
  start: (resolvePrincipal: ApiServer['resolvePrincipal']) => Promise<E>,
): Promise<E> {
  if (!api)
    throw new refuse.error(
      `the ${refuse.name} endpoint needs the gRPC API: it checks the same tokens`,
      `start the node with its API, or without --${refuse.flag}`,
    );
  const endpoint = await start(api.resolvePrincipal);
  ctx.undo.push(() => endpoint.close());
  return endpoint;
}

/**
 * `caxton.mtp.signatures.refused` (decision 2188): posts refused for their signature, by peer
 * platform (the peers file's, at most 256) and fault (a fixed set): bounded labels.
 */
function signatureRefusals(): (platform: string, fault: SignatureFault) => void {
  const counter = runtimeMeter().createCounter('caxton.mtp.signatures.refused', {
    description: 'Posts of peer platforms refused for their signature (missing, malformed, unknown key, stale, not verifying)',
  });
  return (platform, fault) => counter.add(1, { platform, fault });
}
