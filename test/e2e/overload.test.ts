/**
 * Overload is a state, not a failure (issue 25, decision 1810), against a real `caxton serve` over
 * real gRPC: the node's edge limit starts at its ceiling of 32 outside messages in flight
 * (`--edge-max-in-flight 32`) and, with a delay target of a minute (`--edge-target-ms 60000`),
 * cannot drop while the test runs, so nothing here depends on timing. The counter agent (examples/as-state-counter, its count committed with each handling)
 * is held by a node freeze, so what is accepted stays in flight; a client token (role deployer)
 * floods SendMessage. (Not a suspension: what waits for a suspended agent is bounded by its absent
 * queue and does not hold the node's edge limit, decision 1990.) Then:
 *   1. exactly the limit is accepted; every other send is refused RESOURCE_EXHAUSTED,
 *      `bus.overloaded`, with a `retry-after-ms` trailer and the same figure in the details;
 *      `caxton send` prints it and exits 7;
 *   2. the operator (the admin token) still gets its probes in, from the reserve above the limit;
 *   3. after the thaw every accepted message is handled exactly once — one reply each, counts 1..n
 *     with no gap and no repeat — and no refused one is;
 *   4. once that work is done the client's sends are accepted again, with no operator action.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, test } from 'node:test';
import type { Metadata } from '@grpc/grpc-js';
import { ApiCallError, CaxtonClient } from '@caxton/runtime';
import type { MessageEvent } from '@caxton/core';
import { caxton, show } from './support/cli.js';
import { builtExample } from './support/paths.js';
import { stopStragglers } from './support/processes.js';
import { startServe, type Serve } from './support/serve.js';

const LIMIT = 32;
const FLOOD = 200;
/** DEFAULT_EDGE_ADMISSION: a tenth of the limit, at least 16 slots. */
const RESERVE = Math.max(16, Math.floor(LIMIT * 0.1));

let serve: Serve | undefined;
after(async () => {
  await stopStragglers();
  if (serve?.proc.running) await serve.stop();
});

async function until(check: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('past its edge limit a node refuses clients typed with a retry-after, keeps every accepted message, lets the operator in, and recovers', {
  timeout: 180_000,
}, async () => {
  serve = await startServe({ args: ['--edge-max-in-flight', String(LIMIT), '--edge-target-ms', '60000'] });
  const admin = await serve.client();
  await admin.deploy({ name: 'counter' }, new Uint8Array(await readFile(builtExample('as-state-counter', 'as-state-counter.wasm'))));
  const { token } = await admin.issueToken({ role: 'deployer', ttlMs: 3_600_000, label: 'load' });
  const client = await CaxtonClient.connect({ address: serve.address, token });

  // Every reply the counter sends back (to the sender's identity, shown on the tail).
  const replies: MessageEvent[] = [];
  const tail = admin.tail({ agent: 'counter', performatives: ['inform'] }, (e) => replies.push(e));
  await tail.ready;

  await admin.freeze();
  const request = (
    key: string,
  ): { structured: { performative: 'request'; receivers: { name: string }[]; replyWith: string; content: string } } => ({
    structured: { performative: 'request', receivers: [{ name: 'counter' }], replyWith: key, content: key },
  });
  // overloadRetryMs 0: this client wants each refusal back at once (by default it would wait them out).
  const outcomes = await Promise.all(
    Array.from({ length: FLOOD }, (_, i) =>
      client.send(request(`c${i}`), { overloadRetryMs: 0 }).then(
        (r) => ({ key: `c${i}`, accepted: r.accepted }),
        (err: unknown) => ({ key: `c${i}`, err }),
      ),
    ),
  );
  const accepted = outcomes.filter((o) => 'accepted' in o);
  const refused = outcomes.filter((o) => 'err' in o).map((o) => (o as { err: unknown }).err);
  assert.equal(accepted.length, LIMIT, 'exactly the limit is accepted while nothing is handled');
  assert.ok(accepted.every((o) => (o as { accepted: string[] }).accepted.join() === 'counter'));
  assert.equal(refused.length, FLOOD - LIMIT);
  for (const err of refused) {
    assert.ok(err instanceof ApiCallError, `typed: ${String(err)}`);
    assert.equal(err.statusName, 'RESOURCE_EXHAUSTED');
    assert.equal(err.code, 'bus.overloaded');
    const trailer = (err.cause as { metadata?: Metadata }).metadata?.get('retry-after-ms')[0];
    assert.match(String(trailer), /^\d+$/, 'retry-after-ms trailer');
    assert.equal(String(err.context.retryAfterMs), String(trailer), 'the same figure in the details');
    assert.ok(Number(trailer) > 0);
    assert.match(err.hint ?? '', /retry after \d+ ms/);
  }

  // The CLI sends again after each retry-after for --retry-for seconds, saying so, then says when
  // to retry and exits 7 (too busy).
  const cli = await caxton(['send', '--addr', serve.address, '--token', token, '--retry-for', '3', 'counter', 'request', 'from-the-cli']);
  assert.equal(cli.code, 7, show(cli));
  assert.match(cli.stderr, /the node is overloaded; sending again in \d+ ms \(attempt 2\)/);
  assert.match(cli.stderr, /overloaded.*retry after \d+ ms/);

  // The operator's probes use the reserve above the limit.
  for (let i = 0; i < RESERVE; i++) assert.deepEqual((await admin.send(request(`probe${i}`))).accepted, ['counter']);
  await assert.rejects(
    admin.send(request('probe-past-reserve'), { overloadRetryMs: 0 }),
    (err: unknown) => err instanceof ApiCallError && err.code === 'bus.overloaded',
  );

  // A client left to its default waits the refusals out: refused while the node is frozen,
  // accepted once the thawed agent has worked off the backlog — and counted once.
  let waits = 0;
  const patient = client.send(request('patient'), {
    overloadRetryMs: 60_000,
    onOverloadRetry: () => {
      waits += 1;
    },
  });
  await until(() => waits >= 2, 'the patient send to be refused and sent again');

  // Thaw: every accepted message is handled exactly once; nothing refused ever is.
  await admin.thaw();
  assert.deepEqual((await patient).accepted, ['counter']);
  const expected = new Set([...accepted.map((o) => o.key), ...Array.from({ length: RESERVE }, (_, i) => `probe${i}`), 'patient']);
  await until(() => replies.length >= expected.size, `${expected.size} replies`);
  await new Promise((r) => setTimeout(r, 500)); // a duplicate would show up here
  const answered = replies.map((e) => e.message.inReplyTo);
  assert.deepEqual(new Set(answered), expected, 'a reply to each accepted request and to nothing else');
  assert.equal(answered.length, expected.size, 'one reply each');
  const counts = replies.map((e) => Number(e.message.content)).sort((a, b) => a - b);
  assert.deepEqual(
    counts,
    Array.from({ length: expected.size }, (_, i) => i + 1),
    'counted once each, no gap, no repeat',
  );

  // Recovery needs no operator: with that work done, the client is accepted again.
  const again = await client.send(request('after'));
  assert.deepEqual(again.accepted, ['counter']);
  tail.cancel();
  client.close();
});
