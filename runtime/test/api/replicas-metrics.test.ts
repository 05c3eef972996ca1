/**
 * What operators see of a scaled agent (decision 2010, review finding 12) on a real node: embedded
 * log, three sandbox shards, the real AssemblyScript replica echo over gRPC, metrics scraped from the
 * node's own Prometheus endpoint. `messagesHandled` counts each handling the bus applied once, even
 * when a replica ran an item that came back `skipped` and ran again; the replicas' samples (memory,
 * restarts) are the agent's series with a `replica` attribute, not series of an agent `svc#r2`.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { MessageEvent } from '@caxton/core';
import type { CaxtonClient } from '@caxton/client';
import { artifact } from './support/rollout-node.js';
import { startServedNode, type ServedNode } from './support/served-node.js';
import { eventually } from './support/harness.js';

describe("replicas: their metrics and counts are the agent's", () => {
  let served: ServedNode;
  let client: CaxtonClient;
  let replies: MessageEvent[];

  const send = (conversation: string, content: string): Promise<unknown> =>
    client.send({ structured: { performative: 'request', receivers: [{ name: 'svc' }], content, conversationId: conversation } });
  /** The replica that answered `content` in `conversation`, once it has. */
  const answered = async (conversation: string, content: string): Promise<number[]> => {
    const of = (): number[] =>
      replies
        .filter((e) => e.message.conversationId === conversation && e.message.performative === 'inform')
        .map((e) => /^replica=(\d+) count=\d+ (.*)$/s.exec(e.message.content ?? ''))
        .filter((m) => m !== null && m[2] === content)
        .map((m) => Number(m![1]));
    await eventually(() => of().length > 0, `svc answering ${content} in ${conversation}`, 15_000);
    return of();
  };

  before(async () => {
    served = await startServedNode('caxton-replicas-metrics-', { shards: 3, metrics: true });
    ({ client, replies } = served);
  });
  after(async () => {
    await served?.stop();
  });

  it("messagesHandled counts a skipped-and-rerun handling once; replica samples carry replica=n under the agent's label", async () => {
    await client.deploy({ name: 'svc' }, await artifact('as-replica-echo', 'as-replica-echo'));
    await client.scale('svc', 2);
    // Conversation a on replica 1, b on replica 2 (the first goes to the lowest number, the next to the one holding fewest).
    await send('a', 'hi');
    assert.deepEqual(await answered('a', 'hi'), [1]);
    await send('b', 'hi');
    assert.deepEqual(await answered('b', 'hi'), [2]);
    // One batch (sent while suspended): replica 2 traps on the first, so replica 1's two behind it,
    // which it ran, come back skipped and run again with the retry. The bus applied 2 + 1 crash + 3.
    await client.suspend('svc');
    await send('b', 'crash-on-2');
    await send('a', 'one');
    await send('a', 'two');
    await client.resume('svc');
    for (const [c, content] of [
      ['b', 'crash-on-2'],
      ['a', 'one'],
      ['a', 'two'],
    ] as const)
      assert.equal((await answered(c, content)).length, 1, `${content} answered once`);
    // One more, answered after everything before it was applied and reported.
    await send('a', 'last');
    await answered('a', 'last');
    // Before: the sandboxes' counters summed, replica 1 counting `one` and `two` twice (9).
    assert.equal((await client.getAgent('svc')).messagesHandled, 7, 'hi, hi, the crash, crash-on-2, one, two, last');

    const text = await served.scrape();
    assert.match(
      text,
      /^caxton_agent_memory_bytes\{[^}]*agent="svc",replica="2"[^}]*\} \d+$/m,
      'replica 2 reported under svc with replica="2" (0 bytes while its trapped instance awaits its restart)',
    );
    assert.match(
      text,
      /^caxton_agent_memory_bytes\{[^}]*agent="svc",otel_scope_name[^}]*\} [1-9]\d*$/m,
      "the agent's own instance, without a replica attribute",
    );
    assert.match(text, /^caxton_agent_restarts_total\{[^}]*agent="svc",replica="2"[^}]*\} \d+$/m, 'its restarts too');
    assert.doesNotMatch(text, /agent="svc#r\d+"/, "no series labelled with a replica's sandbox key (it would take an agent-label slot)");
    assert.doesNotMatch(text, /^caxton_agent_mailbox_depth\{[^}]*replica=/m, "the mailbox is the agent's, reported once");
  });

  it("messagesHandled of a scaled agent counts its timer handlings, as an unscaled agent's does", async () => {
    // The reminder example: a request is agreed at once, and a timer 50 ms later informs.
    await client.deploy({ name: 'rem' }, await artifact('as-reminder', 'as-reminder'));
    const reminded = (text: string): Promise<void> =>
      eventually(() => replies.some((e) => e.message.content === `reminder: ${text}`), `the reminder ${text}`, 15_000);
    const handled = async (): Promise<number> => (await client.getAgent('rem')).messagesHandled;
    const remind = (conversation: string, text: string): Promise<unknown> =>
      client.send({
        structured: { performative: 'request', receivers: [{ name: 'rem' }], content: `50 ${text}`, conversationId: conversation },
      });

    await remind('u', 'unscaled');
    await reminded('unscaled');
    await eventually(async () => (await handled()) === 2, 'the unscaled request and its timer counted', 10_000);
    await client.scale('rem', 2);
    const before = await handled();
    assert.equal(before, 2, 'scaling keeps the count');
    await remind('s', 'scaled');
    await reminded('scaled');
    // Before: the bus's `handled` events only (deliveries), so the timer was not counted (+1).
    await eventually(async () => (await handled()) === before + 2, 'the scaled request and its timer counted', 10_000);
    await client.scale('rem', 1);
    assert.equal(await handled(), before + 2, 'back to one: the same figure (replica 1 ran the timer and the request)');
  });

  it("messagesHandled is one counter from the deploy: a scale back to one keeps replica 2's handlings, an upgrade keeps them all (decision 2101)", async () => {
    const bytes = await artifact('as-replica-echo', 'as-replica-echo');
    await client.deploy({ name: 'kept' }, bytes);
    const handled = async (): Promise<number> => (await client.getAgent('kept')).messagesHandled;
    /** Sends `content` to kept in `conversation` and returns the replicas that answered it (its `handled` event precedes the answer's commit). */
    const ask = async (conversation: string, content: string): Promise<number[]> => {
      await client.send({ structured: { performative: 'request', receivers: [{ name: 'kept' }], content, conversationId: conversation } });
      const of = (): number[] =>
        replies
          .filter((e) => e.message.conversationId === conversation && e.message.performative === 'inform')
          .map((e) => /^replica=(\d+) count=\d+ (.*)$/s.exec(e.message.content ?? ''))
          .filter((m) => m !== null && m[2] === content)
          .map((m) => Number(m![1]));
      await eventually(() => of().length > 0, `kept answering ${content} in ${conversation}`, 15_000);
      return of();
    };
    assert.deepEqual(await ask('k1', 'before'), [1]);
    await client.scale('kept', 2);
    assert.deepEqual(await ask('k1', 'on one'), [1]);
    assert.deepEqual(await ask('k2', 'on two'), [2], 'a second conversation goes to replica 2');
    assert.equal(await handled(), 3, 'before the scale, and one on each replica');
    await client.scale('kept', 1);
    // Before: replica 1's own sandbox count again (2): replica 2's handling dropped out.
    assert.equal(await handled(), 3, "back to one: replica 2's handling is still counted");
    assert.deepEqual(await ask('k2', 'after'), [1]);
    assert.equal(await handled(), 4);
    await client.upgrade({ name: 'kept' }, bytes);
    // Before: the new version's instance counted from 0.
    assert.equal(await handled(), 4, "an upgrade keeps the count: it is the deployment's, not the instance's");
    await ask('k1', 'upgraded');
    assert.equal(await handled(), 5);
  });
});
