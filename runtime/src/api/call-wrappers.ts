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
 * would make us buffer without bound, so once `maxStreamBuffer` responses are queued the stream is
 * failed with RESOURCE_EXHAUSTED (after the queued ones are flushed) and the subscription dropped.
 */
export function serverStream<Req, Res, T>(
  ctx: CallContext,
  method: string,
  open: (request: Req) => (sink: Sink<T>) => Unsubscribe,
  toWire: (value: T) => Res,
): (call: ServerWritableStream<Req, Res>) => void {
  return (call) => {
    let done = false;
    let unsubscribe: Unsubscribe | undefined;
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

    const sink: Sink<T> = {
      next(value) {
        if (done) return;
        if (call.writableLength >= ctx.maxStreamBuffer) {
          finish(
            new ResourceExhaustedError(`the client fell ${ctx.maxStreamBuffer} responses behind; stream closed`, {
              hint: 'read the stream faster, or narrow it with filters',
            }),
          );
          return;
        }
        try {
          call.write(toWire(value));
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
      const subscribe = open(call.request);
      ctx.streams.add(finish);
      unsubscribe = subscribe(sink);
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
