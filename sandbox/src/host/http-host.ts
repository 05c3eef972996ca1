/**
 * `caxton:agent/http` (decision 1601): `fetch` checks the request (http-request.ts) and buffers an
 * HttpCall plus the reserved state write of its pending-call record, so the record commits
 * atomically with the handling that made the call. Refused during init (nothing of init commits).
 * `startCall` is also how an A2A call starts (a2a-host.ts, decision 2193).
 */
import { httpPendingStateKey, type A2aAnswerForm, type HttpErrorKind } from '@caxton/core';
import type { HostFunction } from '../fuel/cost-model.js';
import type { HostCalls } from './host-calls.js';
import { checkHttpRequest, type WitHttpRequest } from './http-request.js';
import type { LiftLimitExceeded } from './refusals.js';
import type { WitFetchResult, WitKindError } from './wit-values.js';

export class HttpHost {
  constructor(private readonly c: HostCalls) {}

  /** A fetch (or an A2A call) whose request is over its lift cap (nothing was lifted). */
  liftRefusal(e: LiftLimitExceeded, bytes: number): { kind: 'quota-exceeded'; message: string } {
    this.c.counters.http++;
    return { kind: 'quota-exceeded', message: `the request is too large: ${this.c.liftRefusal(e, bytes)}` };
  }

  fetch(request: WitHttpRequest): WitFetchResult {
    let size = request.method.length + request.url.length + (request.body?.length ?? 0) + (request.context?.length ?? 0);
    for (const [k, v] of request.headers) size += k.length + v.length + 8;
    return this.startCall('http.fetch', size, () => ({ request }));
  }

  /**
   * Checks and buffers one call. `build` gets the call's id when the request is built around it
   * (A2A, whose answer form it returns beside the request); a plain fetch's id is made only once
   * its request passed.
   */
  startCall(fn: HostFunction, size: number, build: (id: string) => { request: WitHttpRequest; a2a?: A2aAnswerForm }): WitFetchResult {
    this.c.checkGuard(fn);
    const refused = this.c.takeRefusal<WitKindError<HttpErrorKind>>();
    if (refused) return refused;
    this.c.chargeCall(size, fn);
    const refuse = (kind: HttpErrorKind, message: string): WitFetchResult => {
      this.c.counters.http++;
      return { tag: 'err', val: { kind, message } };
    };
    const what = fn === 'a2a.start' ? 'an A2A call' : 'fetch';
    if (this.c.inInit)
      return refuse(
        'denied',
        `${what} is not available during init (nothing init does is committed); call it while handling a message or a timer`,
      );
    const policy = this.c.env.http;
    if (policy !== undefined && this.c.effects.http.length >= policy.maxCallsPerHandling) {
      return refuse('quota-exceeded', `at most ${policy.maxCallsPerHandling} HTTP calls per handling`);
    }
    const early = fn === 'a2a.start' ? this.c.nextId() : undefined;
    const built = build(early ?? '');
    const checked = checkHttpRequest(built.request, policy, this.c.acl.maxFieldBytes);
    if (!checked.ok) return refuse(checked.refusal.kind, checked.refusal.message);
    const id = early ?? this.c.nextId();
    // The id's making is in the call's price (HOST_CALL_PRICE); its bytes pay as data.
    this.c.chargeBytes(id.length);
    const r = checked.request;
    if (built.a2a !== undefined) r.a2a = built.a2a;
    this.c.effects.http.push({ id, request: r });
    // The pending-call record commits with this handling (or not at all, with it).
    const record: Record<string, unknown> = { method: r.method, url: r.url };
    if (r.context !== undefined) record.context = r.context;
    if (this.c.conversationId !== undefined) record.conversationId = this.c.conversationId;
    if (r.a2a !== undefined) record.a2a = r.a2a;
    record.at = this.c.env.clock();
    this.c.state.putReserved(httpPendingStateKey(id), JSON.stringify(record));
    return { tag: 'ok', val: id };
  }

  /** The http functions as jco's glue imports them (`imports['caxton:agent/http']`). */
  jcoImports(): Record<string, unknown> {
    return { fetch: (request: WitHttpRequest) => this.fetch(request) };
  }
}
