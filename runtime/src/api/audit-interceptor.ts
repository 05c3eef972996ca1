/**
 * Records, in the audit trail, the calls that never reach the node's audited control surface
 * (decisions 1402, 1701). A gRPC server interceptor: every caxton.v1 call passes it whatever its
 * handler is, and it sees the caller's metadata, each request message and the final status.
 *
 * Changes are not recorded here: the handlers make them through AuditedControl, which writes each
 * one ahead (intent, then outcome). What is recorded here, one `call` record each: every call
 * refused for its credentials (UNAUTHENTICATED, PERMISSION_DENIED) — a refused change never reaches
 * AuditedControl —; every call of a changing RPC that did not go through AuditedControl (refused
 * before it reached the node, e.g. INVALID_ARGUMENT, or an RPC added later that forgot to: the
 * default stays "recorded"); and, when `recordReads` is on, calls that only look. A call the client
 * cancels before it reached the node is recorded as CANCELLED at once.
 *
 * The status goes to the client only after its record is durable. If the record cannot be written
 * the caller gets UNAVAILABLE `audit.unavailable` instead: never an answer the trail does not hold.
 */
import {
  status as Status,
  ResponderBuilder,
  ServerInterceptingCall,
  ServerListenerBuilder,
  type Metadata,
  type ServerInterceptor,
  type StatusObject,
} from '@grpc/grpc-js';
import type { AuditCallEntry, AuditEntry } from '@caxton/core';
import { changesNothing } from './access.js';
import { aclFromSendRequest } from './acl-input.js';
import type { Caller } from './caller.js';
import { statusFromCaxtonError } from '@caxton/client';
import { decodeStatusDetails, STATUS_DETAILS_KEY } from '@caxton/client';
import type { WireSendMessageRequest } from '@caxton/client';
import { createHash } from 'node:crypto';
import { AuditError } from '../audit/errors.js';
import type { RefusalSourceOf, RefusedCallRecords } from '../audit/refused-call-records.js';

export interface AuditInterceptorOptions {
  /** Appends one record durably (AuditTrail.append). */
  append: (entry: AuditEntry) => Promise<unknown>;
  nodeId: string;
  /** The service whose calls are recorded, e.g. `caxton.v1.Caxton`. */
  service: string;
  /** How each method's request message becomes bytes (the service definition's serializers). */
  serializers: ReadonlyMap<string, (message: unknown) => Buffer>;
  identify: (metadata: Metadata) => Caller;
  /** Whether the call (known by its metadata) went through AuditedControl, which recorded it. */
  recordedAhead: (metadata: Metadata) => boolean;
  recordReads: boolean;
  report: (err: unknown, method: string) => void;
  now?: () => number;
  /** Calls refused for their credentials, recorded one by one per source up to its budget: the node's one instance. */
  refusals: RefusedCallRecords;
}

const REFUSED_CREDENTIALS: ReadonlySet<number> = new Set([Status.UNAUTHENTICATED, Status.PERMISSION_DENIED]);

/** Request fields safe to record by name: identifiers, never config, payloads or state. */
const SAFE_FIELDS: Readonly<Record<string, string>> = { name: 'agent', agent: 'agent', node: 'node', scope: 'scope', force: 'force' };

/** A few named fields of the first request message (see SAFE_FIELDS; uploads name the agent in their header). */
export function safeFields(method: string, message: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (message === null || typeof message !== 'object') return out;
  const m = message as Record<string, unknown>;
  const pick = (source: Record<string, unknown>): void => {
    for (const [field, as] of Object.entries(SAFE_FIELDS)) {
      const v = source[field];
      if ((typeof v === 'string' && v !== '') || typeof v === 'boolean') out[as] = String(v).slice(0, 256);
    }
  };
  pick(m);
  const header = m.header;
  if (header && typeof header === 'object') {
    pick(header as Record<string, unknown>);
    const sha = (header as Record<string, unknown>).sha256;
    if (typeof sha === 'string' && sha !== '') out.artifact = sha.slice(0, 64);
  }
  if (method === 'SendMessage') {
    try {
      const acl = aclFromSendRequest(m as unknown as WireSendMessageRequest);
      out.performative = acl.performative;
      out.receivers = acl.receivers
        .map((r) => r.name)
        .join(',')
        .slice(0, 512);
    } catch {
      // Unparseable: the call fails with INVALID_ARGUMENT, which the record says.
    }
  }
  return out;
}

function errorCodeOf(metadata: Metadata | null | undefined): string {
  const raw = metadata?.get(STATUS_DETAILS_KEY)[0];
  if (!raw) return '';
  try {
    return decodeStatusDetails(typeof raw === 'string' ? Buffer.from(raw, 'base64') : raw).errorInfo?.reason ?? '';
  } catch {
    return '';
  }
}

/** A token that authenticated and was refused what it asked (its refusals are counted under it), else undefined. */
function authenticated(code: number, caller: Caller): RefusalSourceOf | undefined {
  return code === Status.PERMISSION_DENIED && caller.role !== 'none' ? { token: caller.token, role: caller.role } : undefined;
}

export function statusName(code: number): string {
  return Status[code] ?? `STATUS_${code}`;
}

export function auditInterceptor(o: AuditInterceptorOptions): ServerInterceptor {
  const prefix = `/${o.service}/`;
  const now = o.now ?? Date.now;
  return (descriptor, call) => {
    if (!descriptor.path.startsWith(prefix)) return new ServerInterceptingCall(call);
    const method = descriptor.path.slice(prefix.length);
    const serialize = o.serializers.get(descriptor.path);
    let caller: Caller = { role: 'none', token: '' };
    let seen: Metadata | undefined;
    const hash = createHash('sha256');
    let bytes = 0;
    let fields: Record<string, string> | undefined;
    let cancelRecorded = false;
    let finished = false;

    const entry = (code: string, error: string): AuditCallEntry => ({
      time: new Date(now()).toISOString(),
      node: o.nodeId,
      method,
      role: caller.role,
      token: caller.token,
      peer: call.getPeer(),
      ...(caller.changeSet !== undefined ? { changeSet: caller.changeSet } : {}),
      // A copy of the running digest: a cancelled call is recorded before its last message may arrive.
      args: { sha256: hash.copy().digest('hex'), bytes, fields: fields ?? {} },
      result: { code, error },
    });
    // A change that reached AuditedControl is recorded there (intent, outcome), whatever its outcome.
    const wanted = (code: number): boolean =>
      REFUSED_CREDENTIALS.has(code) || (changesNothing(method) ? o.recordReads : !(seen !== undefined && o.recordedAhead(seen)));

    const listener = new ServerListenerBuilder()
      .withOnReceiveMetadata((metadata, next) => {
        seen = metadata;
        try {
          caller = o.identify(metadata);
        } catch (err) {
          o.report(err, `${method} (audit: identify caller)`);
        }
        next(metadata);
      })
      .withOnReceiveMessage((message, next) => {
        try {
          const encoded = serialize ? serialize(message) : Buffer.from(JSON.stringify(message) ?? '');
          hash.update(encoded);
          bytes += encoded.length;
          fields ??= safeFields(method, message);
        } catch (err) {
          o.report(err, `${method} (audit: digest request)`);
        }
        next(message);
      })
      .withOnCancel(() => {
        if (finished || cancelRecorded || !wanted(Status.CANCELLED)) return;
        cancelRecorded = true;
        o.append(entry('CANCELLED', '')).catch((err: unknown) => o.report(err, `${method} (audit: record cancel)`));
      })
      .build();

    const responder = new ResponderBuilder()
      .withStart((next) => next(listener))
      .withSendStatus((status, next) => {
        finished = true;
        if (!wanted(status.code)) {
          next(status);
          return;
        }
        const record = entry(status.code === Status.OK ? 'OK' : statusName(status.code), errorCodeOf(status.metadata));
        if (REFUSED_CREDENTIALS.has(status.code)) {
          // Refused for its credentials: one record each up to the source's budget, then counted
          // (a token that authenticated and was denied is its own source).
          // Its kind: the node's own error code (an expired token and a revoked one told apart), or the status.
          const kind = errorCodeOf(status.metadata) || statusName(status.code);
          const admitted = o.refusals.admit(call.getPeer(), authenticated(status.code, caller), kind);
          if (admitted === undefined) {
            next(status);
            return;
          }
          if (admitted.suppressed !== undefined) record.args.fields = { ...record.args.fields, ...admitted };
        }
        o.append(record).then(
          () => next(status),
          (err: unknown) => {
            o.report(err, `${method} (audit: record)`);
            const outcome = status.code === Status.OK ? 'it succeeded' : `it failed with ${statusName(status.code)}`;
            const refusal = new AuditError(
              'audit.unavailable',
              `the ${method} call was not recorded in the audit trail (${outcome}): ${(err as Error).message}`,
              {
                context: { method },
                hint: "the node's audit trail cannot be written: see the node's log, fix its disk or etcd, then check the call's effect",
                cause: err,
              },
            );
            next(statusFromCaxtonError(refusal) as StatusObject);
          },
        );
      })
      .build();
    return new ServerInterceptingCall(call, responder);
  };
}
