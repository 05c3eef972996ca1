/**
 * The web console's HTTP server (issue 15, decision 1500): the contract's JSON API under /api/,
 * live messages as server-sent events, and the single-page bundle. Same tokens, roles and access
 * check as the gRPC API (api/auth.ts, api/access.ts; decision 1760): every /api/ request needs
 * `Authorization: Bearer` and the permission of the RPC its route stands for. Static files need
 * no token and carry no data.
 *
 * Audit (decision 1701): deploy, upgrade and stop go through the node's AuditedControl as the
 * request's caller (role, token fingerprint, `console <address>`), so they are written ahead to the
 * audit trail like the API's; a request refused for its credentials is recorded as the API's are.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { CaxtonError, parseIdempotencyKey, UNCHECKED_PRINCIPAL, type AuditRole, type NodeControl, type Principal } from '@caxton/core';
import { bearerPrincipalResolver, ensureAuthToken, READ_TOKEN_FILE_NAME } from '../api/auth.js';
import { requireAllowed } from '../api/access.js';
import { localName } from '../api/request-agents.js';
import { ISSUED_TOKENS_FILE_NAME, loadIssuedTokens } from '../api/issued-token-file.js';
import { httpCaller, presentedToken, tokenFingerprint } from '../api/caller.js';
import { auditArgs, type AuditCaller, type AuditedControl } from '../audit/audited-control.js';
import { readProvidedTokenFile } from '../api/provided-token.js';
import { UploadSlots } from '../api/upload.js';
import type { BusEvents } from '../bus/events.js';
import type { MessageLog } from '../log/message-log.js';
import { checkPlaintextBinding, listenHttp, plaintextHint, type ListenerFailure } from '../listener/index.js';
import { ConsoleApi, MAX_MESSAGE_JSON_BYTES } from './api-handlers.js';
import { ConsoleError, errorBody, httpStatusFor } from './errors.js';
import { LIVE_STREAM_DEFAULTS, LiveStreams, type LiveStreamOptions } from './live-streams.js';
import { NodeStatsCollector } from './node-stats.js';
import type { ConversationLookup } from './protocol-state.js';
import { messageFilter, MAX_URL_BYTES } from './query.js';
import { route, type ApiRoute } from './router.js';
import { CONTENT_SECURITY_POLICY, MISSING_BUNDLE_PAGE, StaticFiles } from './static-files.js';
import { presentedAuthorization, WS_GATEWAY_DEFAULTS, WsGateway, type WsGatewayOptions } from './ws-gateway.js';

export interface ConsoleServerOptions {
  control: NodeControl;
  /**
   * The node's audited control surface (decision 1701): changes are made through it, as the
   * request's caller. Without it (a console over a node that keeps no audit trail) `control` is used.
   */
  audited?: AuditedControl;
  events: BusEvents;
  log: MessageLog;
  host: string;
  /** 0 = any free port. */
  port: number;
  dataDir: string;
  auth: { mode: 'token' | 'none'; tokenFile?: string; readTokenFile?: string };
  /**
   * The API server's token check (one definition: provided token files, rotations and issued tokens
   * included). Without it (the node serves no gRPC API) the console reads the tokens itself.
   */
  resolvePrincipal?: (values: readonly unknown[]) => Principal;
  /** Serve HTTPS with this certificate and key. */
  tls?: { certFile: string; keyFile: string };
  /** Allow plain HTTP on a non-loopback address (tokens then cross the network in clear). */
  insecure?: boolean;
  /** The console package's dist/ directory; absent or missing: the API works and / says how to build it. */
  bundleDir?: string;
  maxArtifactBytes: number;
  platform: string;
  cluster?: string;
  stream?: Partial<LiveStreamOptions>;
  /** The WebSocket ingress on /api/ws (decision 1970): its bounds. */
  ws?: Partial<Omit<WsGatewayOptions, 'maxFrameBytes'>>;
  /** The node's conversation tracker: the live stream shows each message's protocol state. */
  conversations?: ConversationLookup;
  /** Bytes of message log one history page may scan. Default 256 MiB. */
  historyScanBytes?: number;
  uploadIdleTimeoutMs?: number;
  maxConcurrentUploads?: number;
  onInternalError?: (err: unknown) => void;
}

/** What a node is told about its console (StartNodeOptions.console); the node adds the rest. */
export type ConsoleNodeOptions = Pick<
  ConsoleServerOptions,
  'host' | 'port' | 'tls' | 'insecure' | 'bundleDir' | 'stream' | 'ws' | 'historyScanBytes'
>;

export interface ConsoleServer {
  readonly port: number;
  readonly url: string;
  /** Live streams open now (server-sent events and WebSockets). */
  streams(): number;
  close(): Promise<void>;
}

/** A header given at most once (a repeated one is refused: which would count is ambiguous). */
function singleHeader(req: IncomingMessage, name: string): string | undefined {
  const raw = req.headersDistinct[name];
  if (raw === undefined) return undefined;
  if (raw.length > 1) throw new ConsoleError('console.bad-request', `${name} is given ${raw.length} times`, `give ${name} once`);
  return raw[0];
}

const SECURITY_HEADERS = { 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer', 'cache-control': 'no-store' } as const;

function sendJson(res: ServerResponse, status: number, body: unknown, extra: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...SECURITY_HEADERS,
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    ...extra,
  });
  res.end(text);
}

/** The console's certificate flags (the API's pair is its default), for the hints. */
export const CONSOLE_CERT_FLAGS = '--http-cert/--http-key (or --cert/--key)';
/** The console's typed configuration error, as the shared listener code raises it. */
export const consoleFailure: ListenerFailure = (message, hint) => new ConsoleError('console.bad-config', `the console: ${message}`, hint);

/** Refuse plain HTTP off loopback (tokens in clear) unless told; the node checks this before it starts anything. */
export function checkConsoleBinding(options: Pick<ConsoleServerOptions, 'host' | 'port' | 'tls' | 'insecure'>): void {
  checkPlaintextBinding(options, {
    flag: '--http',
    exposes: 'bearer tokens',
    fail: consoleFailure,
    hint: plaintextHint(CONSOLE_CERT_FLAGS, '--http-insecure'),
  });
}

export async function startConsoleServer(options: ConsoleServerOptions): Promise<ConsoleServer> {
  checkConsoleBinding(options);
  let resolvePrincipal: (values: readonly unknown[]) => Principal = () => UNCHECKED_PRINCIPAL;
  if (options.resolvePrincipal) resolvePrincipal = options.resolvePrincipal;
  else if (options.auth.mode === 'token') {
    const admin = options.auth.tokenFile
      ? await readProvidedTokenFile(options.auth.tokenFile)
      : (await ensureAuthToken(options.dataDir)).token;
    const read = options.auth.readTokenFile
      ? await readProvidedTokenFile(options.auth.readTokenFile)
      : (await ensureAuthToken(options.dataDir, undefined, READ_TOKEN_FILE_NAME)).token;
    resolvePrincipal = bearerPrincipalResolver(
      { admin, read },
      await loadIssuedTokens(path.join(options.dataDir, ISSUED_TOKENS_FILE_NAME)),
    );
  }
  const stats = new NodeStatsCollector(options.events);
  const api = new ConsoleApi({
    control: options.control,
    log: options.log,
    stats,
    platform: options.platform,
    ...(options.cluster !== undefined ? { cluster: options.cluster } : {}),
    maxArtifactBytes: options.maxArtifactBytes,
    uploadIdleTimeoutMs: options.uploadIdleTimeoutMs ?? 60_000,
    slots: new UploadSlots(options.maxConcurrentUploads ?? 2),
    historyScanBytes: options.historyScanBytes ?? 256 * 1024 * 1024,
  });
  const live = new LiveStreams(
    options.control,
    async () => ({ agents: await api.agents(), node: await api.nodeStats() }),
    { ...LIVE_STREAM_DEFAULTS, ...options.stream },
    options.conversations,
  );
  const files = new StaticFiles(options.bundleDir);
  const report = options.onInternalError ?? ((err: unknown) => console.error('caxton console: internal error:', err));

  const fail = (res: ServerResponse, err: unknown): void => {
    const known = err instanceof CaxtonError ? err : undefined;
    if (!known) report(err);
    const e =
      known ??
      new CaxtonError('console.internal', 'the console failed to answer', {
        kind: 'internal',
        hint: "see the node's output for the cause",
      });
    if (res.headersSent) {
      res.destroy();
      return;
    }
    // A refused upload's body is not kept. What the client still sends is discarded (read, not
    // buffered) so it can read the answer instead of failing on a reset; 2 s later the socket is
    // closed whatever it still sends, so a slow drip cannot hold it.
    if (e.code === 'console.body-too-large' && res.req) {
      res.req.removeAllListeners('data');
      res.req.resume();
      const socket = res.req.socket;
      setTimeout(() => socket.destroy(), 2000).unref();
    }
    const extra: Record<string, string> = e.kind === 'unauthenticated' ? { 'www-authenticate': 'Bearer' } : {};
    // An overloaded node says when to come back (decision 1810): HTTP's Retry-After, in seconds.
    const retryAfterMs = e.context?.['retryAfterMs'];
    if (typeof retryAfterMs === 'number' && retryAfterMs >= 0) extra['retry-after'] = String(Math.max(1, Math.ceil(retryAfterMs / 1000)));
    sendJson(res, httpStatusFor(e), errorBody(e), extra);
  };

  // Who is calling, for the audit trail: the same fingerprint the API records for the same token.
  const callerOf = (req: IncomingMessage, role: AuditRole): AuditCaller => httpCaller('console', req, role);
  const audited = options.audited;

  const serveApi = async (
    req: IncomingMessage,
    res: ServerResponse,
    api_: ApiRoute,
    method: string,
    params: URLSearchParams,
  ): Promise<void> => {
    const header = req.headers.authorization;
    let principal: Principal | undefined;
    // The agent a route names (the deploy form gives it as ?name=): a token confined to some agents is checked against it.
    const named = 'agent' in api_ ? api_.agent : api_.name === 'deploy' ? (params.get('name') ?? '') : undefined;
    // Refused for its credentials: recorded (before the answer) as the API records such calls.
    const refusedFor = async (err: unknown): Promise<never> => {
      if (audited) {
        const args = auditArgs({ route: api_ }, { agent: 'agent' in api_ ? api_.agent : undefined });
        await audited
          .refused(callerOf(req, principal?.role ?? 'none'), { method, args }, err)
          .catch((auditErr: unknown) => report(auditErr));
      }
      throw err;
    };
    try {
      principal = resolvePrincipal(header === undefined ? [] : [header]);
      // The same check as the gRPC API's (api/access.ts): the route's RPC, on the agent it names.
      requireAllowed(principal, method, named === undefined ? undefined : [named]);
    } catch (err) {
      return refusedFor(err);
    }
    stats.touch();
    // Changes go through the audited surface as this caller: written ahead (decision 1701).
    const role = principal.role;
    const changer = (): NodeControl => (audited ? audited.as(callerOf(req, role)) : options.control);
    switch (api_.name) {
      case 'whoami':
        return sendJson(res, 200, await api.whoami(principal));
      case 'agents':
        return sendJson(res, 200, await api.agents(principal));
      case 'agent':
        return sendJson(res, 200, await api.agent(api_.agent, principal));
      case 'agent-logs':
        return sendJson(res, 200, await api.agentLogs(api_.agent, params));
      case 'agent-replay':
        // The steps show what the agent was handed and sent, and its log lines: the tail's and the logs' reader only.
        try {
          requireAllowed(principal, 'TailMessages', undefined);
          requireAllowed(principal, 'StreamLogs', undefined);
        } catch (err) {
          return refusedFor(err);
        }
        return sendJson(res, 200, await api.replay(api_.agent, params));
      case 'deploy':
        return sendJson(res, 200, await api.deploy(changer(), req, params));
      case 'upgrade':
        return sendJson(res, 200, await api.upgrade(changer(), api_.agent, req, params));
      case 'stop':
        return sendJson(res, 200, await api.stop(changer(), api_.agent));
      case 'send': {
        // Read only once the caller may send at all; then, as the API does, a token confined to
        // some agents may send to those only (api/request-agents.ts).
        const key = parseIdempotencyKey(singleHeader(req, 'idempotency-key'), 'Idempotency-Key');
        const message = await api.readMessage(req);
        try {
          requireAllowed(
            principal,
            method,
            message.receivers.map((r) => localName(r.name)),
          );
        } catch (err) {
          return refusedFor(err);
        }
        // The admin token is the operator's (its probes may use the reserve above the edge limit,
        // decision 1810); idempotency keys are per token, the same fingerprint the API uses, so a
        // key is one message whichever of the two it came through.
        const lane = role === 'admin' ? 'operator' : 'client';
        const caller = callerOf(req, role).token;
        return sendJson(
          res,
          200,
          await api.send(changer(), message, key === undefined ? { lane } : { lane, idempotency: { caller, key } }),
        );
      }
      case 'messages':
        return sendJson(res, 200, await api.messages(params));
      case 'nodes':
        return sendJson(res, 200, await api.nodes());
      case 'conversation-costs':
        return sendJson(res, 200, await api.conversationCosts(api_.conversation, params));
      case 'stream':
        return live.start(res, messageFilter(params));
    }
  };

  const serveStatic = async (res: ServerResponse, pathname: string): Promise<void> => {
    const file = await files.read(pathname);
    const headers = { ...SECURITY_HEADERS, 'content-security-policy': CONTENT_SECURITY_POLICY, 'x-frame-options': 'DENY' };
    if (!file) {
      const missing = !(await files.present());
      res.writeHead(404, { ...headers, 'content-type': 'text/html; charset=utf-8' });
      res.end(missing ? MISSING_BUNDLE_PAGE : '<!doctype html><title>Not found</title><p>Not found.</p>\n');
      return;
    }
    res.writeHead(200, {
      ...headers,
      'content-type': file.contentType,
      'content-length': file.body.length,
      ...(file.immutable ? { 'cache-control': 'public, max-age=31536000, immutable' } : {}),
    });
    res.end(file.body);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    try {
      const raw = req.url ?? '/';
      if (Buffer.byteLength(raw) > MAX_URL_BYTES)
        throw new ConsoleError(
          'console.bad-request',
          `the URL is longer than ${MAX_URL_BYTES} bytes`,
          'filters are short: an agent, a conversation id, performatives',
        );
      const url = new URL(raw, 'http://console.invalid');
      const found = route(req.method ?? 'GET', url.pathname);
      if ('static' in found) await serveStatic(res, found.static);
      else await serveApi(req, res, found.api, found.method, url.searchParams);
    } catch (err) {
      fail(res, err);
    }
  };

  // Plain clients send and follow over one WebSocket too (decision 1970): the same token check,
  // roles, audited send and sampled tail as the routes above.
  // A WebSocket's token may come as a subprotocol (browsers): its caller is that token's fingerprint.
  const wsCallerOf = (req: IncomingMessage, role: AuditRole): AuditCaller => {
    const presented = presentedToken(presentedAuthorization(req));
    return {
      role,
      token: presented ? tokenFingerprint(presented.token) : '',
      peer: `console websocket ${req.socket.remoteAddress ?? '?'}:${req.socket.remotePort ?? 0}`,
    };
  };
  const ws = new WsGateway(
    {
      control: options.control,
      api,
      resolvePrincipal,
      report,
      ...(options.conversations ? { conversations: options.conversations } : {}),
      changer: (req, principal) => (audited ? audited.as(wsCallerOf(req, principal.role)) : options.control),
      callerToken: (req) => wsCallerOf(req, 'none').token,
      refused: async (req, principal, method, err) => {
        if (audited)
          await audited.refused(
            wsCallerOf(req, principal?.role ?? 'none'),
            { method, args: auditArgs({ websocket: req.url ?? '' }, { via: 'websocket' }) },
            err,
          );
      },
    },
    { ...WS_GATEWAY_DEFAULTS, ...options.ws, maxFrameBytes: MAX_MESSAGE_JSON_BYTES + 4096 },
  );

  const listener = await listenHttp({
    host: options.host,
    port: options.port,
    ...(options.tls ? { tls: options.tls } : {}),
    listenFlag: '--http',
    certFlags: CONSOLE_CERT_FLAGS,
    fail: consoleFailure,
    handler: (req, res) => void handle(req, res),
    tune: (server) => {
      server.on('upgrade', (req, socket, head) => ws.handleUpgrade(req, socket, head));
      // Headers must arrive promptly; a live stream's response may last hours (no requestTimeout on it).
      server.headersTimeout = 20_000;
      server.requestTimeout = 0;
      server.maxHeadersCount = 64;
    },
    onError: (err) => report(err),
  });
  return {
    port: listener.port,
    url: `${listener.origin}/`,
    streams: () => live.open + ws.open,
    async close() {
      live.closeAll();
      ws.closeAll();
      stats.stop();
      await listener.close();
    },
  };
}
