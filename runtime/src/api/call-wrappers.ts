/**
 * The shell around every Caxton RPC: authenticate, run the handler, turn whatever it throws into a
 * status. grpc-js answers a synchronously throwing handler with UNKNOWN and an unhandled rejection
 * can take the process down, so nothing a handler does may escape these wrappers: the server must
 * survive any input.
 */
import { Metadata, type sendUnaryData, type ServerUnaryCall, type ServerWritableStream } from '@grpc/grpc-js';
import { ResourceExhaustedError } from './errors.js';
import { UnavailableError } from '@caxton/core';
import { toGrpcStatus } from '@caxton/client';
import type { NodeControl, Sink, Unsubscribe } from '@caxton/core';
import type { AuditedCall } from '../audit/audited-control.js';
import { requireAllowed, type Principal } from './access.js';
import { requestAgents } from './request-agents.js';

/** What a handler knows of its call: enough to say who is calling from where. */
export interface CallOrigin {
  metadata: Metadata;
  getPeer(): string;
}

export interface CallContext {
  /**
   * Throws UnauthenticatedError when the metadata lacks valid credentials, PermissionDeniedError
   * when they do not allow `method` (a role without its permission, a token confined to agents
   * asking about the whole node). The agents a request names are checked by `authorize`.
   */
  authenticate(metadata: Metadata, method: string): Principal;
  /** Where bugs (non-Caxton errors) are reported. */
  report(err: unknown, method: string): void;
  /** Open server streams, so shutdown can end them with UNAVAILABLE instead of cutting them. */
  streams: Set<(err?: Error) => void>;
  /** Objects a server stream may queue for a slow reader before it is failed. */
  maxStreamBuffer: number;
  /** Bytes (about: the strings and byte fields of its responses) a server stream may queue for a slow reader. */
  maxStreamBytes: number;
  /** Server streams open at once on the node; one more is refused RESOURCE_EXHAUSTED. */
  maxStreams: number;
  /**
   * The node as this call's caller may change it: every change written ahead to the audit trail
   * (decision 1701). Handlers take the node from here for anything that changes it.
   */
  node(call: CallOrigin): NodeControl;
  /** A change that is not the node's (RotateTokens), written ahead the same way. */
  change<T>(call: CallOrigin, what: AuditedCall, effect: () => Promise<T>): Promise<T>;
}

/**
 * The access check of a call whose request is at hand (decision 1760): credentials and permission,
 * then — for a token confined to some agents — the agents the request names (request-agents.ts).
 */
export function authorize(ctx: CallContext, metadata: Metadata, method: string, request: unknown): Principal {
  const principal = ctx.authenticate(metadata, method);
  if (principal.agents !== undefined) requireAllowed(principal, method, requestAgents(method, request));
  return principal;
}

export function unary<Req, Res>(
  ctx: CallContext,
  method: string,
  handler: (request: Req, call: ServerUnaryCall<Req, Res>, principal: Principal) => Promise<Res>,
): (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>) => void {
  return (call, callback) => {
    void (async () => {
      try {
        const principal = authorize(ctx, call.metadata, method, call.request);
        callback(null, await handler(call.request, call, principal));
      } catch (err) {
        callback(toGrpcStatus(err, method, ctx.report));
      }
    })();
  };
}

/**
 * Bridges a NodeControl subscription to a server stream. Backpressure: a client that stops reading
 * would make us buffer without bound, so once `maxStreamBuffer` responses, or `maxStreamBytes` of
 * them (a tailed message may be 1 MiB), are queued the stream is failed with RESOURCE_EXHAUSTED
 * (after the queued ones are flushed) and the subscription dropped. At most `maxStreams` are open
 * on the node at once.
 */
export function serverStream<Req, Res, T>(
  ctx: CallContext,
  method: string,
  open: (request: Req) => (sink: Sink<T>) => Unsubscribe,
  toWire: (value: T) => Res,
  /**
   * `finite`: the source is a bounded snapshot (an export of state, which the node holds whole
   * anyway), so it is written paced — as fast as the reader takes it — instead of failed when the
   * reader is slower than the source. Live sources (tails, followed logs) keep the bounds above.
   */
  source: 'live' | 'finite' = 'live',
): (call: ServerWritableStream<Req, Res>) => void {
  return (call) => {
    let done = false;
    let unsubscribe: Unsubscribe | undefined;
    /** Sizes of the responses written and not yet flushed, oldest first (writableLength says how many). */
    const queued: number[] = [];
    let queuedBytes = 0;
    const finish = (err?: Error): void => {
      if (done) return;
      done = true;
      ctx.streams.delete(finish);
      try {
        unsubscribe?.();
      } catch (unsubscribeError) {
        ctx.report(unsubscribeError, `${method} (unsubscribe)`);
      }
      if (call.cancelled || call.destroyed) return;
      if (err) call.emit('error', toGrpcStatus(err, method, ctx.report));
      else call.end();
    };
    call.on('cancelled', () => finish());
    call.on('close', () => finish());

    // A finite source's responses wait here for the reader ('drain'), its end after them.
    const paced: Res[] = [];
    let pacedEnd: { err?: Error } | undefined;
    let waiting = false;
    const pump = (): void => {
      waiting = false;
      while (paced.length > 0 && !done) {
        if (!call.write(paced.shift()!)) {
          waiting = true;
          call.once('drain', pump);
          return;
        }
      }
      if (pacedEnd !== undefined) finish(pacedEnd.err);
    };
    const finiteSink: Sink<T> = {
      next(value) {
        if (done) return;
        try {
          paced.push(toWire(value));
        } catch (err) {
          finish(err as Error);
          return;
        }
        if (!waiting) pump();
      },
      end(err) {
        pacedEnd = err === undefined ? {} : { err };
        if (!waiting) pump();
      },
    };
    const liveSink: Sink<T> = {
      next(value) {
        if (done) return;
        while (queued.length > call.writableLength) queuedBytes -= queued.shift()!; // flushed since
        if (call.writableLength >= ctx.maxStreamBuffer || queuedBytes >= ctx.maxStreamBytes) {
          const behind =
            queuedBytes >= ctx.maxStreamBytes ? `${ctx.maxStreamBytes} bytes of responses` : `${ctx.maxStreamBuffer} responses`;
          finish(
            new ResourceExhaustedError(`the client fell ${behind} behind; stream closed`, {
              hint: 'read the stream faster, or narrow it with filters',
            }),
          );
          return;
        }
        try {
          const wire = toWire(value);
          const bytes = approximateBytes(wire);
          queued.push(bytes);
          queuedBytes += bytes;
          call.write(wire);
        } catch (err) {
          finish(err as Error);
        }
      },
      end(err) {
        finish(err);
      },
    };

    try {
      authorize(ctx, call.metadata, method, call.request);
      refuseStreamPastLimit(ctx);
      const subscribe = open(call.request);
      ctx.streams.add(finish);
      unsubscribe = subscribe(source === 'finite' ? finiteSink : liveSink);
      // The node may have ended the sink synchronously (a short, non-following log query).
      if (done) unsubscribe();
      // Response headers tell the client the subscription is live: whatever the bus accepts from
      // now on reaches it (`caxton send --wait` opens the tail, waits for this, then sends).
      else if (!call.cancelled) call.sendMetadata(new Metadata());
    } catch (err) {
      finish(err as Error);
    }
  };
}

export function shutdownError(): UnavailableError {
  return new UnavailableError('the node is shutting down', { hint: 'reconnect once it is back (`caxton status`)' });
}

/**
 * About how many bytes a response takes on the wire: its strings' and byte arrays' lengths, walked
 * to a small depth (responses are a few levels of plain objects), without serialising it.
 */
function approximateBytes(value: unknown, depth = 0): number {
  if (typeof value === 'string') return value.length;
  if (value instanceof Uint8Array) return value.length;
  if (typeof value !== 'object' || value === null || depth > 6) return 8;
  let n = 8;
  if (Array.isArray(value)) for (const v of value) n += approximateBytes(v, depth + 1);
  else for (const k in value) n += k.length + approximateBytes((value as Record<string, unknown>)[k], depth + 1);
  return n;
}

/** The node's bound on streams served at once (tails, logs, audit follows), checked before one is opened. */
export function refuseStreamPastLimit(ctx: Pick<CallContext, 'streams' | 'maxStreams'>): void {
  if (ctx.streams.size >= ctx.maxStreams) {
    throw new ResourceExhaustedError(`this node already serves ${ctx.maxStreams} streams`, {
      hint: 'close another tail, log or audit stream (caxton tail, caxton logs -f, caxton audit --follow), or retry in a moment',
    });
  }
}
