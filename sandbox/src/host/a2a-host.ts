/**
 * `caxton:agent/a2a` (decision 2193): an A2A call is a fetch whose JSON-RPC request the host builds
 * around the call's id (core's a2aHttpRequest) and marks, so the gateway reads the answer for the
 * agent. Everything a fetch is checked and charged for applies (HttpHost.startCall).
 */
import { a2aHttpRequest, type A2aCallSpec } from '@caxton/core';
import type { HostCalls } from './host-calls.js';
import type { HttpHost } from './http-host.js';
import type { LiftLimitExceeded } from './refusals.js';
import type { WitFetchResult } from './wit-values.js';

/** The a2a `call` record as both binding paths hand it over (jco: absent options are undefined). */
export type WitA2aCall = A2aCallSpec;

export class A2aHost {
  constructor(
    private readonly c: HostCalls,
    private readonly http: HttpHost,
  ) {}

  /** A call whose record is over the request's lift cap (nothing was lifted). */
  liftRefusal(e: LiftLimitExceeded, bytes: number): { kind: 'quota-exceeded'; message: string } {
    return this.http.liftRefusal(e, bytes);
  }

  /** `start`: the request built around the call's id (the JSON-RPC id and message id), then started as a fetch. */
  start(call: WitA2aCall): WitFetchResult {
    let size = call.url.length + call.subject.length + (call.contextId?.length ?? 0) + (call.context?.length ?? 0);
    for (const [k, v] of call.headers) size += k.length + v.length + 8;
    return this.http.startCall('a2a.start', size, (id) => {
      const spec: A2aCallSpec = {
        ...call,
        contextId: call.contextId ?? undefined,
        context: call.context ?? undefined,
        timeoutMs: call.timeoutMs ?? undefined,
      };
      const request = a2aHttpRequest(spec, id);
      // The body the host built pays as data (its text is the call's, quoted).
      this.c.chargeBytes(request.body?.length ?? 0);
      return { request, a2a: request.a2a };
    });
  }

  /** The a2a functions as jco's glue imports them (`imports['caxton:agent/a2a']`). */
  jcoImports(): Record<string, unknown> {
    return { start: (call: WitA2aCall) => this.start(call) };
  }
}
