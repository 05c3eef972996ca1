/**
 * The client's rule for sending again after `bus.overloaded` (client/src/overload-retry.ts,
 * decision 1810): only that refusal, after the wait it names (details first, then the trailer),
 * jittered by at most a fifth, and never past the caller's budget.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { ApiCallError, nextOverloadRetry, overloadWaitMs, statusFromCaxtonError, toApiCallError } from '@caxton/client';
import { CaxtonError } from '@caxton/core';

/** A refusal as a client receives it: the server's own status conversion, then the client's. */
function refusal(code: string, context: Record<string, unknown>): ApiCallError {
  const server = statusFromCaxtonError(
    new CaxtonError(code, 'the node is overloaded', { kind: 'resource-exhausted', context, hint: 'retry after 40 ms' }),
  );
  const err = Object.assign(new Error(server.details), {
    code: server.code,
    details: server.details,
    metadata: server.metadata,
  }) as unknown as ServiceError;
  return toApiCallError(err);
}

describe('sending again after an overload refusal', () => {
  it('waits what the refusal names, read from its details as a client gets them', () => {
    const err = refusal('bus.overloaded', { retryAfterMs: 40 });
    assert.equal(overloadWaitMs(err), 40);
    assert.equal(nextOverloadRetry(err, 0, 10_000, 0), 40);
    assert.equal(nextOverloadRetry(err, 0, 10_000, 0.999), 48, 'at most a fifth more');
  });

  it('falls back to the trailer, and caps what any node asks at 5 s', () => {
    const md = new Metadata();
    md.set('retry-after-ms', '70');
    const viaTrailer = new ApiCallError(status.RESOURCE_EXHAUSTED, 'bus.overloaded', 'overloaded', { cause: { metadata: md } });
    assert.equal(overloadWaitMs(viaTrailer), 70);
    assert.equal(overloadWaitMs(refusal('bus.overloaded', { retryAfterMs: 3_600_000 })), 5000);
  });

  it('never retries anything else: a full mailbox, a bad request, a lost connection', () => {
    for (const code of ['bus.mailbox-full', 'api.invalid-argument', 'grpc.unavailable']) {
      assert.equal(nextOverloadRetry(refusal(code, { retryAfterMs: 10 }), 0, 10_000, 0), undefined, code);
    }
    assert.equal(nextOverloadRetry(new Error('socket hang up'), 0, 10_000, 0), undefined);
  });

  it('gives up when the wait would pass the budget, and at once with a budget of 0', () => {
    const err = refusal('bus.overloaded', { retryAfterMs: 1000 });
    assert.equal(nextOverloadRetry(err, 8_500, 10_000, 0), 1000);
    assert.equal(nextOverloadRetry(err, 9_500, 10_000, 0), undefined);
    assert.equal(nextOverloadRetry(err, 0, 0, 0), undefined);
  });
});
