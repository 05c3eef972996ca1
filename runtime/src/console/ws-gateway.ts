/**
 * WebSocket ingress on the console's listener (issue 29, decision 1970): `GET /api/ws` upgraded to
 * a WebSocket over which a client without gRPC sends ACL messages and follows conversations, in
 * both directions on one connection. The frames are ws-protocol.ts's; everything else is the
 * console's: the same token check and roles (a send is SendMessage, a follow is TailMessages, each
 * checked per frame, with a token confined to some agents held to them), the same audited send as
 * POST /api/messages (idempotency keys shared with the API's, edge admission, typed refusals), and
 * the same sampled tail as /api/stream.
 *
 * Bounded before the work: sockets per node, frame size (the message limit, enforced by the
 * WebSocket parser before a frame is buffered whole), follows and sends in flight per socket, and
 * bytes queued to a slow reader (beyond them messages are dropped and counted, never queued without
 * end). A socket that stops answering pings is closed.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { CaxtonError, type NodeControl, type Principal, type Unsubscribe } from '@caxton/core';
import { requireAllowed } from '../api/access.js';
import { localName } from '../api/request-agents.js';
import type { ConsoleApi } from './api-handlers.js';
import { parseMessageToSend } from './api-handlers.js';
import { ConsoleError, errorBody, httpStatusFor } from './errors.js';
import { protocolMatches, tailFilter } from './query.js';
import { Sampler } from './sampler.js';
import { sniffed } from './views.js';
import { protocolStateOf, type ConversationLookup } from './protocol-state.js';
import { formatWsReply, frameId, parseWsRequest, type WsLimits, type WsReply, type WsRequest } from './ws-protocol.js';

export const WS_PATH = '/api/ws';
/** Offered by a client that sends its token as a subprotocol (browsers cannot set Authorization on a WebSocket). */
export const WS_SUBPROTOCOL = 'caxton.v1';
const BEARER_SUBPROTOCOL = 'caxton.bearer.';

export interface WsGatewayOptions {
  maxSockets: number;
  maxFollows: number;
  maxSendsInFlight: number;
  /** Bytes queued to one socket beyond which follow messages are dropped (and counted). */
  maxBufferedBytes: number;
  maxFrameBytes: number;
  budget: number;
  windowMs: number;
  pingMs: number;
}

export const WS_GATEWAY_DEFAULTS: Omit<WsGatewayOptions, 'maxFrameBytes'> = {
  maxSockets: 32,
  maxFollows: 8,
  maxSendsInFlight: 16,
  maxBufferedBytes: 1 << 20,
  budget: 50,
  windowMs: 1000,
  pingMs: 15_000,
};

export interface WsGatewayDeps {
  control: NodeControl;
  api: ConsoleApi;
  resolvePrincipal(values: readonly unknown[]): Principal;
  /** The control to send through as this caller (audited, written ahead: decision 1701). */
  changer(req: IncomingMessage, principal: Principal): NodeControl;
  /** The caller's token fingerprint: idempotency keys are per token, shared with the API. */
  callerToken(req: IncomingMessage): string;
  /** Record a call refused for its credentials or its permission (as the API records them). */
  refused(req: IncomingMessage, principal: Principal | undefined, method: string, err: unknown): Promise<void>;
  conversations?: ConversationLookup;
  report(err: unknown): void;
}

interface Follow {
  sampler: Sampler;
  unsubscribe: Unsubscribe;
  /** Messages dropped because the socket's queue was full, not reported yet. */
  queueDrops: number;
}

interface Session {
  ws: WebSocket;
  req: IncomingMessage;
  principal: Principal;
  follows: Map<string, Follow>;
  sendsInFlight: number;
  /** Refusals being written to the audit trail: bounded, or refused frames could queue writes without end. */
  auditsPending: number;
  alive: boolean;
}

/** Audit writes one socket may have pending before it is closed (a client hammering refused frames). */
const MAX_AUDITS_PENDING = 8;

export class WsGateway {
  private readonly server: WebSocketServer;
  private readonly sessions = new Set<Session>();
  private timer: NodeJS.Timeout | undefined;
  private lastPing = 0;

  constructor(
    private readonly deps: WsGatewayDeps,
    private readonly options: WsGatewayOptions,
  ) {
    this.server = new WebSocketServer({
      noServer: true,
      maxPayload: options.maxFrameBytes,
      perMessageDeflate: false, // compression bombs and CPU per frame: not worth it for small JSON frames
      handleProtocols: (offered) => (offered.has(WS_SUBPROTOCOL) ? WS_SUBPROTOCOL : false),
    });
  }

  get open(): number {
    return this.sessions.size;
  }

  /** The listener's `upgrade` event: authenticate, bound, then hand the socket to the WebSocket server. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => socket.destroy());
    let principal: Principal | undefined;
    try {
      const url = new URL(req.url ?? '/', 'http://console.invalid');
      if (url.pathname !== WS_PATH)
        throw new ConsoleError('console.no-route', `no WebSocket at ${url.pathname.slice(0, 200)}`, `connect to ${WS_PATH}`);
      principal = this.deps.resolvePrincipal(presentedAuthorization(req));
      if (this.sessions.size >= this.options.maxSockets) {
        throw new ConsoleError(
          'console.too-many-streams',
          `this node already serves ${this.options.maxSockets} WebSocket clients`,
          'close another connection, or retry in a moment',
          { limit: this.options.maxSockets },
        );
      }
    } catch (err) {
      const refusal =
        err instanceof CaxtonError ? err : new ConsoleError('console.bad-request', 'the upgrade could not be read', HINT_CONNECT);
      if (refusal.kind === 'unauthenticated')
        void this.deps.refused(req, principal, 'ConnectWebSocket', refusal).catch((e: unknown) => this.deps.report(e));
      refuseUpgrade(socket, refusal);
      return;
    }
    const who = principal;
    this.server.handleUpgrade(req, socket, head, (ws) => this.open_(ws, req, who));
  }

  closeAll(): void {
    for (const session of [...this.sessions]) session.ws.terminate();
    this.stopTimer();
  }

  private open_(ws: WebSocket, req: IncomingMessage, principal: Principal): void {
    const session: Session = { ws, req, principal, follows: new Map(), sendsInFlight: 0, auditsPending: 0, alive: true };
    this.sessions.add(session);
    ws.on('message', (data, isBinary) => this.frame(session, data, isBinary));
    ws.on('pong', () => (session.alive = true));
    ws.on('close', () => this.close(session));
    ws.on('error', () => ws.terminate());
    const limits: WsLimits = {
      maxFrameBytes: this.options.maxFrameBytes,
      maxFollows: this.options.maxFollows,
      budget: this.options.budget,
      windowMs: this.options.windowMs,
    };
    this.reply(session, { type: 'ready', role: principal.role, limits });
    this.ensureTimer();
  }

  private frame(session: Session, data: RawData, isBinary: boolean): void {
    let text: string;
    try {
      if (isBinary) throw new ConsoleError('console.bad-request', 'binary frames are not part of the protocol', 'send JSON in text frames');
      text = rawText(data);
    } catch (err) {
      this.fail(session, undefined, err);
      return;
    }
    // The token is checked again on every frame: a socket must not outlive its token's revocation,
    // expiry or rotation. A refused token ends the socket.
    try {
      session.principal = this.deps.resolvePrincipal(presentedAuthorization(session.req));
    } catch (err) {
      this.audit(session, undefined, 'ConnectWebSocket', err);
      this.fail(session, frameId(text), err);
      session.ws.close(1008, 'token no longer valid');
      return;
    }
    let request: WsRequest;
    try {
      request = parseWsRequest(text);
    } catch (err) {
      this.fail(session, frameId(text), err);
      return;
    }
    switch (request.op) {
      case 'send':
        return void this.send(session, request);
      case 'follow':
        return this.follow(session, request.id, request);
      case 'unfollow':
        return this.unfollow(session, request.id);
    }
  }

  private async send(session: Session, request: Extract<WsRequest, { op: 'send' }>): Promise<void> {
    const { req, principal } = session;
    try {
      if (session.sendsInFlight >= this.options.maxSendsInFlight) {
        throw new ConsoleError(
          'console.too-many-streams',
          `this connection already has ${this.options.maxSendsInFlight} sends in flight`,
          'wait for their "sent" replies before sending more',
          { limit: this.options.maxSendsInFlight },
        );
      }
      const message = parseMessageToSend(request.messageJson);
      try {
        requireAllowed(
          principal,
          'SendMessage',
          message.receivers.map((r) => localName(r.name)),
        );
      } catch (err) {
        this.audit(session, principal, 'SendMessage', err);
        throw err;
      }
      session.sendsInFlight++;
      try {
        // As POST /api/messages: the admin token is the operator's lane (decision 1810).
        const lane = principal.role === 'admin' ? 'operator' : 'client';
        const key = request.idempotencyKey;
        const sent = await this.deps.api.send(
          this.deps.changer(req, principal),
          message,
          key === undefined ? { lane } : { lane, idempotency: { caller: this.deps.callerToken(req), key } },
        );
        this.reply(session, { type: 'sent', id: request.id, messageId: sent.messageId, accepted: sent.accepted, refused: sent.refused });
      } finally {
        session.sendsInFlight--;
      }
    } catch (err) {
      this.fail(session, request.id, err);
    }
  }

  private follow(session: Session, id: string, request: Extract<WsRequest, { op: 'follow' }>): void {
    try {
      try {
        requireAllowed(session.principal, 'TailMessages');
      } catch (err) {
        this.audit(session, session.principal, 'TailMessages', err);
        throw err;
      }
      if (session.follows.has(id))
        throw new ConsoleError(
          'console.bad-request',
          `a follow named ${id} is open already`,
          'give each follow its own id, or unfollow it first',
        );
      if (session.follows.size >= this.options.maxFollows) {
        throw new ConsoleError(
          'console.too-many-streams',
          `this connection already follows ${this.options.maxFollows} filters`,
          'unfollow one first',
          { limit: this.options.maxFollows },
        );
      }
      const { filter } = request;
      const follow: Follow = {
        sampler: new Sampler(this.options.budget, this.options.windowMs, Date.now()),
        unsubscribe: () => {},
        queueDrops: 0,
      };
      session.follows.set(id, follow);
      follow.unsubscribe = this.deps.control.tail(tailFilter(filter), {
        next: (event) => {
          if (!protocolMatches(filter, event)) return;
          const verdict = follow.sampler.offer(Date.now());
          if (verdict.notice && !this.reply(session, { type: 'sampled', follow: id, data: verdict.notice }, true))
            follow.queueDrops += verdict.notice.dropped;
          if (!verdict.send) return;
          // A reader that does not keep up loses messages (counted in the next notice), not memory.
          if (session.ws.bufferedAmount > this.options.maxBufferedBytes) {
            follow.queueDrops++;
            return;
          }
          const state = this.deps.conversations ? protocolStateOf(this.deps.conversations, event.message) : undefined;
          if (
            !this.reply(
              session,
              { type: 'message', follow: id, data: sniffed(event.messageId, event.acceptedAt, event.message, state) },
              true,
            )
          )
            follow.queueDrops++;
        },
        end: () => this.unfollow(session, id, true),
      });
      this.reply(session, { type: 'following', id });
    } catch (err) {
      this.fail(session, id, err);
    }
  }

  private unfollow(session: Session, id: string, ended = false): void {
    const follow = session.follows.get(id);
    if (follow === undefined) {
      if (!ended)
        this.fail(
          session,
          id,
          new ConsoleError('console.bad-request', `no follow named ${id} is open`, 'unfollow the id you followed with'),
        );
      return;
    }
    session.follows.delete(id);
    follow.unsubscribe();
    this.reply(session, { type: 'unfollowed', id });
  }

  private close(session: Session): void {
    if (!this.sessions.delete(session)) return;
    for (const follow of session.follows.values()) follow.unsubscribe();
    session.follows.clear();
    if (this.sessions.size === 0) this.stopTimer();
  }

  /** Record a refusal in the audit trail, as the API does; a socket with too many pending is closed. */
  private audit(session: Session, principal: Principal | undefined, method: string, err: unknown): void {
    if (session.auditsPending >= MAX_AUDITS_PENDING) {
      session.ws.close(1008, 'too many refused frames');
      return;
    }
    session.auditsPending++;
    void this.deps
      .refused(session.req, principal, method, err)
      .catch((e: unknown) => this.deps.report(e))
      .finally(() => session.auditsPending--);
  }

  private fail(session: Session, id: string | undefined, err: unknown): void {
    const known = err instanceof CaxtonError ? err : undefined;
    if (!known) this.deps.report(err);
    const e =
      known ??
      new CaxtonError('console.internal', 'the console failed to answer', {
        kind: 'internal',
        hint: "see the node's output for the cause",
      });
    const retryAfterMs = e.context?.['retryAfterMs'];
    this.reply(session, {
      type: 'error',
      ...(id !== undefined ? { id } : {}),
      ...(typeof retryAfterMs === 'number' ? { retryAfterMs } : {}),
      ...errorBody(e),
    });
  }

  /**
   * Send a frame unless the client has left more than the bound unread. What a follow produces
   * (`droppable`) is then not sent — the caller counts it for a later notice; anything else (answers
   * to frames the client keeps sending) ends the socket instead of queueing without end.
   */
  private reply(session: Session, reply: WsReply, droppable = false): boolean {
    if (session.ws.readyState !== session.ws.OPEN) return false;
    if (session.ws.bufferedAmount > this.options.maxBufferedBytes) {
      if (!droppable) session.ws.terminate();
      return false;
    }
    session.ws.send(formatWsReply(reply));
    return true;
  }

  private ensureTimer(): void {
    if (this.timer) return;
    this.lastPing = Date.now();
    this.timer = setInterval(() => this.tick(), Math.min(this.options.windowMs, this.options.pingMs, 1000));
    this.timer.unref();
  }

  private stopTimer(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Close sampling windows (so a burst's last notice is not lost) and ping; drop sockets that stopped answering. */
  private tick(): void {
    const now = Date.now();
    for (const session of this.sessions) {
      for (const [id, follow] of session.follows) {
        const notice = follow.sampler.roll(now);
        const drops = follow.queueDrops;
        if (notice === undefined && drops === 0) continue;
        follow.queueDrops = 0;
        const data = notice
          ? { ...notice, dropped: notice.dropped + drops }
          : { shown: 0, dropped: drops, windowMs: this.options.windowMs };
        // Still unread: the count waits for the next tick rather than being lost.
        if (!this.reply(session, { type: 'sampled', follow: id, data }, true)) follow.queueDrops = data.dropped;
      }
    }
    if (now - this.lastPing < this.options.pingMs) return;
    this.lastPing = now;
    for (const session of this.sessions) {
      if (!session.alive) {
        session.ws.terminate();
        continue;
      }
      session.alive = false;
      session.ws.ping();
    }
  }
}

const HINT_CONNECT = `connect to ${WS_PATH} with Authorization: Bearer <token>, or offer the subprotocols ${WS_SUBPROTOCOL} and ${BEARER_SUBPROTOCOL}<token>`;

/** The Authorization values a WebSocket upgrade presents: the header, else a bearer subprotocol. */
export function presentedAuthorization(req: IncomingMessage): string[] {
  if (req.headers.authorization !== undefined) return [req.headers.authorization];
  const offered = req.headers['sec-websocket-protocol'];
  if (offered === undefined) return [];
  const bearer = offered
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p.startsWith(BEARER_SUBPROTOCOL));
  return bearer.map((p) => `Bearer ${p.slice(BEARER_SUBPROTOCOL.length)}`);
}

function rawText(data: RawData): string {
  const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new ConsoleError('console.bad-request', 'the frame is not UTF-8', 'send JSON as UTF-8 text frames');
  }
}

/** An upgrade refused before it became a WebSocket: a plain HTTP answer with the typed error, then close. */
function refuseUpgrade(socket: Duplex, err: CaxtonError): void {
  const body = JSON.stringify(errorBody(err));
  const status = httpStatusFor(err);
  const extra = err.kind === 'unauthenticated' ? 'www-authenticate: Bearer\r\n' : '';
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? 'Refused'}\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\n${extra}connection: close\r\n\r\n${body}`,
  );
}

const STATUS_TEXT: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
};
