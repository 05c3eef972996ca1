/**
 * The management API server: caxton.v1.Caxton, grpc.health.v1.Health and server reflection on one
 * port. Health and reflection need no token (probes and `grpcurl list` must work before anyone
 * has the token, and neither reveals more than the published .proto); every Caxton call does.
 * See docs/decisions/0800-api-authentication.md.
 */
import { promises as fs } from 'node:fs';
import { Server, ServerCredentials, type Metadata } from '@grpc/grpc-js';
import { ReflectionService } from '@grpc/reflection';
import { HealthImplementation } from 'grpc-health-check';
import { CaxtonError } from '@caxton/core';
import { bearerTokenChecker, ensureAuthToken, READ_TOKEN_FILE_NAME } from './auth.js';
import type { Role } from './access.js';
import { TokenSet } from './token-set.js';
import { dataDirRotator, refusingRotator, type TokenRotator } from './token-rotation.js';
import { shutdownError, type CallContext } from './call-wrappers.js';
import { caxtonHandlers } from './handlers.js';
import type { NodeControl } from '@caxton/core';
import { CAXTON_SERVICE_NAME, caxtonService, reflectedPackage } from './proto.js';
import { UploadSlots } from './upload.js';

export interface ApiTlsOptions {
  certFile: string;
  keyFile: string;
  /** CA bundle for verifying client certificates. */
  caFile?: string;
  /** Demand a client certificate signed by `caFile` (mutual TLS). Bearer tokens are still checked. */
  requireClientCert?: boolean;
}

export interface ApiServerOptions {
  node: NodeControl;
  host: string;
  /** 0 = pick a free port (see the returned `port`). */
  port: number;
  /** Where the auth token file lives (`<dataDir>/auth-token`). */
  dataDir: string;
  /**
   * `providedTokens`: the token files are provided by an orchestrator (a Kubernetes Secret), so
   * `RotateTokens` is refused (decision 1401): they are rotated where they come from.
   */
  auth: { mode: 'token' | 'none'; providedTokens?: boolean };
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
  /** SearchDirectory results when the request gives no limit. Default 100. */
  searchDefaultLimit?: number;
  /** Bugs (non-Caxton errors thrown while serving). Default: console.error. */
  onInternalError?: (err: unknown, method: string) => void;
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
  /** Uploads currently being received. */
  uploadsInProgress(): number;
  /** Stop accepting calls, end open streams with UNAVAILABLE, wait up to `graceMs` (default 5 s) for the rest. */
  close(graceMs?: number): Promise<void>;
}

/** How often health follows the node's own state. */
export const HEALTH_POLL_MS = 250;

/** A StarlingMonkey JS agent is ~12.5 MB; 64 MiB leaves room without letting one upload eat the heap. */
export const DEFAULT_MAX_ARTIFACT_BYTES = 64 * 1024 * 1024;
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
  if (!Number.isInteger(o.port) || o.port < 0 || o.port > 65535) throw configError(`API port ${o.port} is not a port number`, 'use 0-65535 (0 = any free port)');
  if (!Number.isSafeInteger(o.maxArtifactBytes) || o.maxArtifactBytes <= 0) throw configError('maxArtifactBytes must be a positive integer', 'e.g. 67108864 (64 MiB)');
  if (!Number.isSafeInteger(o.maxMessageBytes) || o.maxMessageBytes < 1024) throw configError('maxMessageBytes must be an integer ≥ 1024', 'e.g. 4194304 (4 MiB)');
  if (o.tls?.requireClientCert && !o.tls.caFile) throw configError('requireClientCert needs caFile', 'give the CA that signs client certificates');
  return o;
}

async function credentials(tls: ApiTlsOptions | undefined): Promise<ServerCredentials> {
  if (!tls) return ServerCredentials.createInsecure();
  const read = async (file: string, what: string): Promise<Buffer> => {
    try {
      return await fs.readFile(file);
    } catch (err) {
      throw new CaxtonError('api.bad-config', `cannot read TLS ${what} ${file}: ${(err as Error).message}`, { kind: 'invalid-argument', hint: 'check the path and its permissions', cause: err });
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
  return host.includes(':') && !host.startsWith('[') ? `[${host}]:${port}` : `${host}:${port}`;
}

export async function startApiServer(requested: ApiServerOptions): Promise<ApiServer> {
  const options = checkOptions(requested);
  // Without tokens every caller may do everything (--no-auth): the admin role.
  let authenticate: (metadata: Metadata, method: string) => Role = () => 'admin';
  let tokens: TokenRotator = refusingRotator('auth-disabled');
  let tokenFile: string | undefined;
  let readTokenFile: string | undefined;
  if (options.auth.mode === 'token') {
    const warn = options.onWarning ?? ((m: string) => console.error(`caxton api: ${m}`));
    const admin = await ensureAuthToken(options.dataDir, warn);
    const read = await ensureAuthToken(options.dataDir, warn, READ_TOKEN_FILE_NAME);
    const accepted = new TokenSet({ admin: admin.token, read: read.token });
    authenticate = bearerTokenChecker(accepted);
    tokens = options.auth.providedTokens ? refusingRotator('tokens-provided') : dataDirRotator(options.dataDir, accepted);
    tokenFile = admin.file;
    readTokenFile = read.file;
  }
  const report = options.onInternalError ?? ((err: unknown, method: string) => console.error(`caxton api: internal error in ${method}:`, err));
  const ctx: CallContext = { authenticate, report, streams: new Set(), maxStreamBuffer: options.maxStreamBuffer ?? 1024 };
  const slots = new UploadSlots(options.maxConcurrentUploads ?? 4);

  const server = new Server({
    'grpc.max_receive_message_length': options.maxMessageBytes,
    // Find clients that vanished without closing (killed hosts, cut networks) so their uploads and
    // streams are cleaned up in about a minute rather than at the next TCP timeout.
    'grpc.keepalive_time_ms': 30_000,
    'grpc.keepalive_timeout_ms': 10_000,
  });
  server.addService(caxtonService(), caxtonHandlers(ctx, {
    node: options.node,
    maxArtifactBytes: options.maxArtifactBytes,
    slots,
    uploadIdleTimeoutMs: options.uploadIdleTimeoutMs ?? 60_000,
    searchDefaultLimit: options.searchDefaultLimit ?? 100,
    tokens,
  }));
  const health = new HealthImplementation({ '': 'SERVING', [CAXTON_SERVICE_NAME]: 'SERVING' });
  health.addToServer(server);
  // Health follows the node (its message log may stop for good: ENOSPC, EIO): probes and load
  // balancers then take the node out. Polled: the check is a field read, and probes are seconds apart.
  let lastServing = true;
  const healthPoll = setInterval(() => {
    const serving = options.node.health().serving;
    if (serving === lastServing || closing) return;
    lastServing = serving;
    const status = serving ? 'SERVING' : 'NOT_SERVING';
    health.setStatus('', status);
    health.setStatus(CAXTON_SERVICE_NAME, status);
  }, HEALTH_POLL_MS);
  healthPoll.unref();
  new ReflectionService(reflectedPackage()).addToServer(server);

  const creds = await credentials(options.tls);
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(bindAddress(options.host, options.port), creds, (err, bound) => {
      if (err) {
        reject(new CaxtonError('api.unavailable', `cannot listen on ${bindAddress(options.host, options.port)}: ${err.message}`, {
          kind: 'unavailable',
          hint: 'is another Caxton node (or another program) using that port? pick another with --api-port',
          cause: err,
        }));
      } else resolve(bound);
    });
  });

  let closing: Promise<void> | undefined;
  return {
    port,
    tokenFile,
    readTokenFile,
    uploadsInProgress: () => slots.inProgress,
    close(graceMs = 5000) {
      clearInterval(healthPoll);
      closing ??= new Promise<void>((resolve) => {
        health.setStatus('', 'NOT_SERVING');
        health.setStatus(CAXTON_SERVICE_NAME, 'NOT_SERVING');
        for (const finish of [...ctx.streams]) finish(shutdownError());
        const timer = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, graceMs);
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      });
      return closing;
    },
  };
}
