/**
 * The management API server: caxton.v1.Caxton, grpc.health.v1.Health and server reflection on one
 * port. Health and reflection need no token (probes and `grpcurl list` must work before anyone
 * has the token, and neither reveals more than the published .proto); every Caxton call does.
 * See docs/decisions/0800-api-authentication.md.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { Server, ServerCredentials, type Metadata, type ServerInterceptor } from '@grpc/grpc-js';
import { ReflectionService } from '@grpc/reflection';
import { HealthImplementation } from 'grpc-health-check';
import { ARTIFACT_LIMIT_TABLE, CaxtonError } from '@caxton/core';
import { bearerPrincipalResolver, bearerTokenChecker, ensureAuthToken, READ_TOKEN_FILE_NAME } from './auth.js';
import { fileTokenIssuer, ISSUED_TOKENS_FILE_NAME, loadIssuedTokens, refusingIssuer, type TokenIssuer } from './issued-token-file.js';
import { readProvidedTokenFile } from './provided-token.js';
import { HealthFollower } from './health-follower.js';
import { UNCHECKED_PRINCIPAL, type Principal } from '@caxton/core';
import { TokenSet } from './token-set.js';
import { dataDirRotator, refusingRotator, type TokenRotator } from './token-rotation.js';
import { shutdownError, type CallContext, type CallOrigin } from './call-wrappers.js';
import { caxtonHandlers } from './handlers.js';
import type { NodeControl } from '@caxton/core';
import { CAXTON_SERVICE_NAME, caxtonService } from '@caxton/client';
import { reflectedPackage } from './reflected-proto.js';
import { UploadSlots } from './upload.js';
import { apiTelemetryInterceptor } from './telemetry-interceptor.js';
import type { AuditTrail } from '../audit/audit-trail.js';
import { AuditedControl } from '../audit/audited-control.js';
import { auditInterceptor } from './audit-interceptor.js';
import { callerIdentifier } from './caller.js';
import type { IssuedTokens } from './issued-tokens.js';
import { urlHost } from '../listener/http-listener.js';

export interface ApiTlsOptions {
  certFile: string;
  keyFile: string;
  /** CA bundle for verifying client certificates. */
  caFile?: string;
  /** Demand a client certificate signed by `caFile` (mutual TLS). Bearer tokens are still checked. */
  requireClientCert?: boolean;
}

export interface ApiAuthOptions {
  mode: 'token' | 'none';
  /**
   * Operator-provided token files (a Secret shared by every node of a cluster): read and checked,
   * never created or changed (provided-token.ts). Each one not given is `<dataDir>/auth-token(.read)`.
   */
  tokenFile?: string;
  readTokenFile?: string;
  /**
   * The token files are provided by an orchestrator (a Kubernetes Secret), so `RotateTokens` is
   * refused (decision 1401): they are rotated where they come from. Implied by tokenFile/readTokenFile.
   */
  providedTokens?: boolean;
}

export interface ApiServerOptions {
  node: NodeControl;
  host: string;
  /** 0 = pick a free port (see the returned `port`). */
  port: number;
  /** Where the auth token file lives (`<dataDir>/auth-token`). */
  dataDir: string;
  auth: ApiAuthOptions;
  tls?: ApiTlsOptions;
  /** Largest artifact DeployAgent/UpgradeAgent accept. Default 64 MiB. */
  maxArtifactBytes?: number;
  /** Largest single gRPC message (a request, or one artifact chunk); larger ones get RESOURCE_EXHAUSTED. Default 4 MiB. */
  maxMessageBytes?: number;
  /** Uploads buffered at once (each up to maxArtifactBytes). Default 4. */
  maxConcurrentUploads?: number;
  /** An upload that sends nothing for this long is abandoned. Default 60 s. */
  uploadIdleTimeoutMs?: number;
  /** Responses a tail/log stream may queue for a slow reader before it is failed. Default 1024. */
  maxStreamBuffer?: number;
  /** Bytes of responses (about) a tail/log stream may queue for a slow reader. Default 16 MiB. */
  maxStreamBytes?: number;
  /** Tail, log and export streams open at once; one more is refused RESOURCE_EXHAUSTED. Default 256. */
  maxStreams?: number;
  /** SearchDirectory results when the request gives no limit. Default 100. */
  searchDefaultLimit?: number;
  /** Bugs (non-Caxton errors thrown while serving). Default: console.error. */
  onInternalError?: (err: unknown, method: string) => void;
  /**
   * The audit trail (decisions 1402, 1701): every change is written ahead there through `control`
   * (built over `node` when not given: a node passes the one its console shares), every call
   * refused for its credentials is recorded before its answer goes out; ListAudit reads it.
   */
  audit?: { trail: AuditTrail; nodeId: string; recordReads?: boolean; control?: AuditedControl };
  /** Things an operator should know about (e.g. token file permissions repaired). Default: console.error. */
  onWarning?: (message: string) => void;
}

export interface ApiServer {
  /** The bound port (useful with `port: 0`). */
  readonly port: number;
  /** The admin token file clients read, when auth is on. */
  readonly tokenFile: string | undefined;
  /** The read-only token file (list, get, logs, tail, directory, status), when auth is on. */
  readonly readTokenFile: string | undefined;
  /**
   * Who sent a request's `authorization` values, by the same tokens the API checks (a rotation, an
   * issue or a revocation applies at once); throws UnauthenticatedError. The web console
   * authenticates with it.
   */
  readonly resolvePrincipal: (values: readonly unknown[]) => Principal;
  /** Uploads currently being received. */
  uploadsInProgress(): number;
  /** Report the node's health now rather than at the next poll (start-up just completed). */
  refreshHealth(): void;
  /** Stop accepting calls, end open streams with UNAVAILABLE, wait up to `graceMs` (default 5 s) for the rest. */
  close(graceMs?: number): Promise<void>;
}

export { HEALTH_POLL_MS } from './health-follower.js';

/**
 * The artifact row's default, 64 MiB: the largest example, py-echo (componentize-py), is ~18.5 MB and
 * a JavaScript agent (componentize-qjs, QuickJS) ~1.7 MB; it leaves room without letting one upload
 * eat the heap.
 */
export const DEFAULT_MAX_ARTIFACT_BYTES = ARTIFACT_LIMIT_TABLE.maxArtifactBytes.default;
/** gRPC's customary limit; artifacts travel in chunks well below it. */
export const DEFAULT_MAX_MESSAGE_BYTES = 4 * 1024 * 1024;

function configError(message: string, hint: string): CaxtonError {
  return new CaxtonError('api.bad-config', message, { kind: 'invalid-argument', hint });
}

type CheckedOptions = ApiServerOptions & { maxArtifactBytes: number; maxMessageBytes: number };

function checkOptions(options: ApiServerOptions): CheckedOptions {
  const o: CheckedOptions = {
    ...options,
    maxArtifactBytes: options.maxArtifactBytes ?? DEFAULT_MAX_ARTIFACT_BYTES,
    maxMessageBytes: options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES,
  };
  if (!Number.isInteger(o.port) || o.port < 0 || o.port > 65535)
    throw configError(`API port ${o.port} is not a port number`, 'use 0-65535 (0 = any free port)');
  if (!Number.isSafeInteger(o.maxArtifactBytes) || o.maxArtifactBytes <= 0)
    throw configError('maxArtifactBytes must be a positive integer', 'e.g. 67108864 (64 MiB)');
  if (!Number.isSafeInteger(o.maxMessageBytes) || o.maxMessageBytes < 1024)
    throw configError('maxMessageBytes must be an integer ≥ 1024', 'e.g. 4194304 (4 MiB)');
  if (o.tls?.requireClientCert && !o.tls.caFile)
    throw configError('requireClientCert needs caFile', 'give the CA that signs client certificates');
  return o;
}

async function credentials(tls: ApiTlsOptions | undefined): Promise<ServerCredentials> {
  if (!tls) return ServerCredentials.createInsecure();
  const read = async (file: string, what: string): Promise<Buffer> => {
    try {
      return await fs.readFile(file);
    } catch (err) {
      throw new CaxtonError('api.bad-config', `cannot read TLS ${what} ${file}: ${(err as Error).message}`, {
        kind: 'invalid-argument',
        hint: 'check the path and its permissions',
        cause: err,
      });
    }
  };
  const [cert, key, ca] = await Promise.all([
    read(tls.certFile, 'certificate'),
    read(tls.keyFile, 'key'),
    tls.caFile ? read(tls.caFile, 'CA bundle') : Promise.resolve(null),
  ]);
  return ServerCredentials.createSsl(ca, [{ cert_chain: cert, private_key: key }], tls.requireClientCert ?? false);
}

function bindAddress(host: string, port: number): string {
  return `${urlHost(host)}:${port}`;
}

/** Binds the server where the options say, with their credentials; a port taken is a typed refusal with what to do. */
async function bound(server: Server, options: CheckedOptions): Promise<number> {
  const creds = await credentials(options.tls);
  return new Promise<number>((resolve, reject) => {
    server.bindAsync(bindAddress(options.host, options.port), creds, (err, port) => {
      if (err) {
        reject(
          new CaxtonError('api.unavailable', `cannot listen on ${bindAddress(options.host, options.port)}: ${err.message}`, {
            kind: 'unavailable',
            hint: 'is another Caxton node (or another program) using that port? pick another with --api-port',
            cause: err,
          }),
        );
      } else resolve(port);
    });
  });
}

export async function startApiServer(requested: ApiServerOptions): Promise<ApiServer> {
  const options = checkOptions(requested);
  // Without tokens every caller may do everything (--no-auth): the admin role.
  let authenticate: (metadata: Metadata, method: string) => Principal = () => UNCHECKED_PRINCIPAL;
  let tokens: TokenRotator = refusingRotator('auth-disabled');
  let issuer: TokenIssuer = refusingIssuer();
  let issued: IssuedTokens | undefined;
  let tokenFile: string | undefined;
  let readTokenFile: string | undefined;
  let accepted: TokenSet | undefined;
  if (options.auth.mode === 'token') {
    const warn = options.onWarning ?? ((m: string) => console.error(`caxton api: ${m}`));
    const { tokenFile: givenAdmin, readTokenFile: givenRead } = options.auth;
    const admin = givenAdmin
      ? { token: await readProvidedTokenFile(givenAdmin), file: givenAdmin }
      : await ensureAuthToken(options.dataDir, warn);
    const read = givenRead
      ? { token: await readProvidedTokenFile(givenRead), file: givenRead }
      : await ensureAuthToken(options.dataDir, warn, READ_TOKEN_FILE_NAME);
    if (admin.token === read.token) {
      throw configError(
        `the admin and read-only tokens are the same (${admin.file}, ${read.file})`,
        'give the read-only token its own value, or anyone holding it could deploy',
      );
    }
    accepted = new TokenSet({ admin: admin.token, read: read.token });
    // Issued tokens live in the data directory whichever way the node's own tokens come (decision 1760).
    issued = await loadIssuedTokens(path.join(options.dataDir, ISSUED_TOKENS_FILE_NAME));
    issuer = fileTokenIssuer(options.dataDir, issued);
    authenticate = bearerTokenChecker(accepted, issued);
    // Tokens an orchestrator provides (a Kubernetes Secret) are rotated where they come from.
    const provided = options.auth.providedTokens === true || givenAdmin !== undefined || givenRead !== undefined;
    tokens = provided ? refusingRotator('tokens-provided') : dataDirRotator(options.dataDir, accepted);
    tokenFile = admin.file;
    readTokenFile = read.file;
  }
  const report =
    options.onInternalError ?? ((err: unknown, method: string) => console.error(`caxton api: internal error in ${method}:`, err));
  const identify = callerIdentifier(accepted, issued);
  const audited = options.audit
    ? (options.audit.control ??
      new AuditedControl({ control: options.node, trail: options.audit.trail, nodeId: options.audit.nodeId, report }))
    : undefined;
  // Calls whose change went through `audited` (so the interceptor need not record them), by the
  // metadata object the interceptor passed on to the handler.
  const recordedAhead = new WeakSet<Metadata>();
  const callerOf = (call: CallOrigin) => {
    recordedAhead.add(call.metadata);
    return { ...identify(call.metadata), peer: call.getPeer() };
  };
  const ctx: CallContext = {
    authenticate,
    report,
    streams: new Set(),
    maxStreamBuffer: options.maxStreamBuffer ?? 1024,
    maxStreamBytes: options.maxStreamBytes ?? 16 * 1024 * 1024,
    maxStreams: options.maxStreams ?? 256,
    node: (call) => (audited ? audited.as(callerOf(call)) : options.node),
    change: (call, what, effect) => (audited ? audited.change(callerOf(call), what, effect) : effect()),
  };
  const slots = new UploadSlots(options.maxConcurrentUploads ?? 4);

  // Telemetry (decision 1301) first: it sees every call's final status, an audit refusal included.
  const telemetry = apiTelemetryInterceptor();
  const audit = audited
    ? auditInterceptor({
        append: (entry) => options.audit!.trail.append(entry),
        nodeId: options.audit!.nodeId,
        service: CAXTON_SERVICE_NAME,
        serializers: new Map(Object.values(caxtonService()).map((m) => [m.path, m.requestSerialize as (message: unknown) => Buffer])),
        identify,
        recordedAhead: (metadata) => recordedAhead.has(metadata),
        recordReads: options.audit!.recordReads ?? false,
        report,
        refusals: audited.refusals,
      })
    : undefined;
  const interceptors: ServerInterceptor[] = [...(telemetry ? [telemetry] : []), ...(audit ? [audit] : [])];
  const server = new Server({
    ...(interceptors.length > 0 ? { interceptors } : {}),
    'grpc.max_receive_message_length': options.maxMessageBytes,
    // Find clients that vanished without closing (killed hosts, cut networks) so their uploads and
    // streams are cleaned up in about a minute rather than at the next TCP timeout.
    'grpc.keepalive_time_ms': 30_000,
    'grpc.keepalive_timeout_ms': 10_000,
  });
  server.addService(
    caxtonService(),
    caxtonHandlers(ctx, {
      node: options.node,
      maxArtifactBytes: options.maxArtifactBytes,
      slots,
      uploadIdleTimeoutMs: options.uploadIdleTimeoutMs ?? 60_000,
      searchDefaultLimit: options.searchDefaultLimit ?? 100,
      ...(options.audit ? { audit: options.audit.trail } : {}),
      tokens,
      issuer,
      identify,
    }),
  );
  const health = new HealthImplementation({ '': 'NOT_SERVING', [CAXTON_SERVICE_NAME]: 'NOT_SERVING' });
  health.addToServer(server);
  new ReflectionService(reflectedPackage()).addToServer(server);

  // A start that fails from here on (the certificates, the port taken) closes what it made itself:
  // an embedder retrying on another port must not leave a refusal budget's timer behind each time.
  const port = await bound(server, options).catch(async (err: unknown) => {
    server.forceShutdown(); // grpc-js keeps every Server it made (channelz) until it is shut down
    if (options.audit?.control === undefined) await audited?.close();
    throw err;
  });
  // Health follows the node (starting, its message log stopped for good — ENOSPC, EIO —, cluster
  // membership lost): probes and load balancers then take the node out (node/node-health.ts).
  // Started once the server listens, so a failed start leaves no poll behind.
  const healthFollower = new HealthFollower(health, ['', CAXTON_SERVICE_NAME], () => options.node.health());

  let closing: Promise<void> | undefined;
  return {
    port,
    tokenFile,
    readTokenFile,
    resolvePrincipal: accepted ? bearerPrincipalResolver(accepted, issued) : () => UNCHECKED_PRINCIPAL,
    uploadsInProgress: () => slots.inProgress,
    refreshHealth: () => healthFollower.refresh(),
    close(graceMs = 5000) {
      closing ??= new Promise<void>((resolve) => {
        healthFollower.stop();
        for (const finish of [...ctx.streams]) finish(shutdownError());
        const timer = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, graceMs);
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
        // The refusals counted and not yet said are written before the trail closes (it closes after
        // the API); a node's own audited control (options.audit.control) is closed by the node.
      }).then(() => (options.audit?.control === undefined ? audited?.close() : undefined));
      return closing;
    },
  };
}
