/**
 * An independent client against a node killed with SIGKILL (issue 24, decisions 1700, 1701): a real
 * `caxton serve` (embedded defaults, token auth) runs examples/as-state-counter, whose count lives
 * in durable state committed with each handling. The test process, as any outside client would,
 * sends N increments over the typed gRPC client, W at a time, each with its idempotency key
 * `inc-<i>` and retried on every error until acknowledged, while the node is killed three times
 * (after 20 %, 50 % and 80 % of the acknowledgements) and restarted on the same data directory —
 * at a new address, which the client reconnects to. Then:
 *   1. the stored count is N exactly (no request lost, none counted twice);
 *   2. every acknowledged request is in the audit trail as a SendMessage intent carrying its key,
 *      with an OK outcome (the acknowledgement is sent only once the outcome is durable); intents
 *      with no outcome (the kill fell between the two) or with a failed one only for keys that
 *      were retried;
 *   3. every SendMessage the trail records as done (intent + OK outcome) is one of the N keys,
 *      which were all counted: no recorded change that did not happen; `caxton audit verify` passes.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, test } from 'node:test';
import type { AuditRecord } from '@caxton/core';
import { CaxtonClient } from '@caxton/runtime';
import { caxton, show } from './support/cli.js';
import { builtExample } from './support/paths.js';
import { stopStragglers } from './support/processes.js';
import { startServe, type Serve } from './support/serve.js';

const N = 600;
const IN_FLIGHT = 8;
const KILL_AT = [0.2, 0.5, 0.8];

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const servers: Serve[] = [];
after(async () => {
  await stopStragglers();
  for (const s of servers) if (s.proc.running) await s.stop();
});

test(`${N} keyed increments, retried on every error, across three SIGKILLs: counted exactly once, and the audit trail matches`, {
  timeout: 90_000,
}, async (t) => {
  const started = Date.now();
  let serve = await startServe();
  servers.push(serve);
  const dataDir = serve.dataDir;
  const connect = (s: Serve): Promise<CaxtonClient> => CaxtonClient.connect({ address: s.address, token: s.token(), timeoutMs: 5_000 });
  let client = await connect(serve);
  await client.deploy({ name: 'counter' }, new Uint8Array(await readFile(builtExample('as-state-counter', 'as-state-counter.wasm'))));

  // Per key: how many calls it took, and the acknowledgement.
  const attempts = new Array<number>(N).fill(0);
  const acks = new Map<number, { messageId: string; accepted: string[]; refused: unknown[] }>();
  const errors = new Map<string, number>();
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < N; i = next++) {
      const deadline = Date.now() + 60_000;
      for (;;) {
        attempts[i]! += 1;
        try {
          const r = await client.send(
            { structured: { performative: 'request', receivers: [{ name: 'counter' }], content: `inc-${i}` } },
            { idempotencyKey: `inc-${i}` },
          );
          acks.set(i, { messageId: r.messageId, accepted: r.accepted, refused: r.refused });
          break;
        } catch (err) {
          const e = err as { grpcCode?: number; code?: string; message?: string };
          const what = String(e.grpcCode ?? e.code ?? e.message);
          errors.set(what, (errors.get(what) ?? 0) + 1);
          if (Date.now() > deadline) throw new Error(`inc-${i}: not acknowledged within 60 s (${attempts[i]} calls; last ${e.message})`);
          await sleep(25);
        }
      }
    }
  };
  const kills: number[] = [];
  const killer = async (): Promise<void> => {
    for (const share of KILL_AT) {
      while (acks.size < Math.floor(share * N)) await sleep(5);
      kills.push(acks.size);
      serve.proc.child.kill('SIGKILL');
      await serve.proc.done;
      const again = await startServe({ dataDir });
      servers.push(again);
      const old = client;
      serve = again;
      client = await connect(again); // the node came back at a new port: reconnect
      old.close();
    }
  };
  await Promise.all([...Array.from({ length: IN_FLIGHT }, worker), killer()]);
  const sent = Date.now();
  assert.equal(acks.size, N);
  assert.deepEqual(kills.length, 3);
  const badAcks = [...acks].filter(([, a]) => a.refused.length !== 0 || !a.accepted.includes('counter'));
  assert.deepEqual(badAcks.slice(0, 5), [], 'acknowledged sends the counter did not accept');
  const retried = new Set(attempts.flatMap((n, i) => (n > 1 ? [i] : [])));
  const distinctIds = new Set([...acks.values()].map((a) => a.messageId));
  assert.equal(distinctIds.size, N, 'two keys acknowledged with the same message id');

  // 1. Everything accepted is handled eventually: wait until the mailbox is empty and the count holds.
  let count = -1;
  for (let stable = 0, until = Date.now() + 20_000; stable < 5 && Date.now() < until; ) {
    await sleep(200);
    const agent = await client.getAgent('counter').catch(() => undefined);
    const now = Number((await client.getState('counter', 'count').catch(() => ({ value: '-1' }))).value);
    stable = agent !== undefined && agent.mailboxDepth === 0 && now === count ? stable + 1 : 0;
    count = now;
  }
  assert.equal(count, N, `stored count after ${kills.length} kills (at ${kills.join(', ')} acknowledgements)`);
  const cli = await caxton(['state', 'counter', 'get', 'count', ...serve.conn]);
  assert.equal(cli.code, 0, show(cli));
  assert.match(cli.stdout, new RegExp(`\\b${N}\\b`), show(cli));

  // 2 and 3: the audit trail, as an operator reads it.
  const listed = await caxton(['audit', '--json', ...serve.conn]);
  assert.equal(listed.code, 0, show(listed));
  const trail = listed.stdout
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as AuditRecord);
  const outcomes = new Map<number, AuditRecord & { kind: 'outcome' }>();
  for (const r of trail) if (r.kind === 'outcome' && r.method === 'SendMessage') outcomes.set(r.intent.index, r);
  const intents = trail.filter((r): r is AuditRecord & { kind: 'intent' } => r.kind === 'intent' && r.method === 'SendMessage');
  const byKey = new Map<string, { ok: number; unknown: number; failed: number }>();
  for (const intent of intents) {
    const key = intent.args.fields.idempotencyKey ?? '';
    const seen = byKey.get(key) ?? { ok: 0, unknown: 0, failed: 0 };
    const outcome = outcomes.get(intent.index);
    if (outcome === undefined) seen.unknown += 1;
    else if (outcome.result.code === 'OK') seen.ok += 1;
    else seen.failed += 1;
    byKey.set(key, seen);
  }
  // 2. Every acknowledged request: its intent, with an OK outcome.
  const missing = [...acks.keys()].filter((i) => (byKey.get(`inc-${i}`)?.ok ?? 0) === 0);
  assert.deepEqual(missing.slice(0, 10), [], `${missing.length} acknowledged requests have no SendMessage with an OK outcome in the trail`);
  // …and "outcome unknown" or a failure only where the client saw an error and retried.
  const unexplained = [...byKey].filter(([key, s]) => s.unknown + s.failed > 0 && !retried.has(Number(key.slice(4))));
  assert.deepEqual(unexplained.slice(0, 10), [], 'intents without an OK outcome for requests that were never retried');
  // …and every OK outcome names the message the client was acknowledged with: a key recorded OK
  // twice (a retry after a lost acknowledgement) is one message, not two.
  const wrongIds: string[] = [];
  for (const intent of intents) {
    const outcome = outcomes.get(intent.index);
    const key = intent.args.fields.idempotencyKey ?? '';
    const ack = acks.get(Number(key.slice(4)));
    if (outcome?.result.code === 'OK' && ack !== undefined && outcome.result.fields?.messageId !== ack.messageId)
      wrongIds.push(`${key}: ${outcome.result.fields?.messageId} ≠ ${ack.messageId}`);
  }
  assert.deepEqual(wrongIds.slice(0, 10), [], 'OK outcomes that do not name the acknowledged message id');
  // 3. No recorded change that did not happen: every done SendMessage is one of the N counted keys.
  const keys = new Set(Array.from({ length: N }, (_, i) => `inc-${i}`));
  const strangers = [...byKey].filter(([key, s]) => s.ok > 0 && !keys.has(key));
  assert.deepEqual(strangers, [], 'SendMessage changes recorded as done that are not among the counted requests');
  const verify = await caxton(['audit', 'verify', ...serve.conn]);
  assert.equal(verify.code, 0, show(verify));

  const unknown = [...byKey.values()].reduce((n, s) => n + s.unknown, 0);
  const okTwice = [...byKey.values()].filter((s) => s.ok > 1).length;
  t.diagnostic(
    `kills at ${kills.join('/')} acks; ${retried.size} keys retried (${attempts.reduce((a, b) => a + b, 0) - N} extra calls; errors ${JSON.stringify(Object.fromEntries(errors))}); ` +
      `${intents.length} SendMessage intents, ${unknown} outcome unknown, ${okTwice} keys recorded OK more than once; ` +
      `sending ${((sent - started) / 1000).toFixed(1)} s, total ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
  await serve.stop();
});
