/**
 * `caxton:agent/http` (decision 1601): `fetch` checks the request (http-request.ts) and buffers an
 * HttpCall plus the reserved state write of its pending-call record, so the record commits
 * atomically with the handling that made the call. Refused during init (nothing of init commits).
 */
import { httpPendingStateKey, type HttpErrorKind } from '@caxton/core';
import type { HostCalls } from './host-calls.js';
import { checkHttpRequest, type WitHttpRequest } from './http-request.js';
import type { LiftLimitExceeded } from './refusals.js';
import type { WitFetchResult, WitKindError } from './wit-values.js';

export class HttpHost {
  constructor(private readonly c: HostCalls) {}

  /** A fetch whose request is over its lift cap (nothing was lifted). */
  liftRefusal(e: LiftLimitExceeded, bytes: number): { kind: 'quota-exceeded'; message: string } {
    this.c.counters.http++;
    return { kind: 'quota-exceeded', message: `the request is too large: ${this.c.liftRefusal(e, bytes)}` };
  }

  fetch(request: WitHttpRequest): WitFetchResult {
    this.c.checkGuard('http.fetch');
    const refused = this.c.takeRefusal<WitKindError<HttpErrorKind>>();
    if (refused) return refused;
    let size = request.method.length + request.url.length + (request.body?.length ?? 0) + (request.context?.length ?? 0);
    for (const [k, v] of request.headers) size += k.length + v.length + 8;
    this.c.chargeCall(size, 'http.fetch');
    const refuse = (kind: 'denied' | 'invalid-request' | 'quota-exceeded', message: string): WitFetchResult => {
      this.c.counters.http++;
      return { tag: 'err', val: { kind, message } };
    };
    if (this.c.inInit)
      return refuse(
        'denied',
        'fetch is not available during init (nothing init does is committed); call it while handling a message or a timer',
      );
    const policy = this.c.env.http;
    if (policy !== undefined && this.c.effects.http.length >= policy.maxCallsPerHandling) {
      return refuse('quota-exceeded', `at most ${policy.maxCallsPerHandling} HTTP calls per handling`);
    }
    const checked = checkHttpRequest(request, policy, this.c.acl.maxFieldBytes);
    if (!checked.ok) return refuse(checked.refusal.kind, checked.refusal.message);
    const id = this.c.nextId();
    // The id's making is in the call's price (HOST_CALL_PRICE['http.fetch']); its bytes pay as data.
    this.c.chargeBytes(id.length);
    const call = { id, request: checked.request };
    this.c.effects.http.push(call);
    // The pending-call record commits with this handling (or not at all, with it).
    const r = checked.request;
    const record: Record<string, unknown> = { method: r.method, url: r.url };
    if (r.context !== undefined) record.context = r.context;
    if (this.c.conversationId !== undefined) record.conversationId = this.c.conversationId;
    record.at = this.c.env.clock();
    this.c.state.putReserved(httpPendingStateKey(id), JSON.stringify(record));
    return { tag: 'ok', val: id };
  }

  /** The http functions as jco's glue imports them (`imports['caxton:agent/http']`). */
  jcoImports(): Record<string, unknown> {
    return { fetch: (request: WitHttpRequest) => this.fetch(request) };
  }
}
