/**
 * Replicas behind one name (decision 2010), what the review of the merge left (issue 27, findings
 * 7, 8, 10): no stale read commits, no future read commits, a write of replica 1 that does not
 * commit is counted once, a dead letter stays a dead letter, the node-wide cap holds for agents
 * scaling at once, and a scale-up that cannot start every replica leaves nothing behind. A real node:
 * embedded log, three shards, the real AssemblyScript replica echo over gRPC. To have several items
 * of the agent in one batch, in a known order, the agent is suspended while they are sent and
 * resumed after: its mailbox hands them out together, in the order they were accepted.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { REPLICA_LIMITS, type MessageEvent } from '@caxton/core';
import { ApiCallError, CaxtonClient } from '@caxton/client';
import { artifact } from './support/rollout-node.js';
import { startServedNode, type ServedNode } from './support/served-node.js';
import { eventually } from './support/harness.js';

interface Answer {
  replica: number;
  content: string;
}

describe('replicas: no stale read, no lost write, no partial scale-up', () => {
  let served: ServedNode;
  let client: CaxtonClient;
  let probe: Uint8Array;
  let replies: MessageEvent[];

  const send = (agent: string, conversation: string, content: string): Promise<unknown> =>
    client.send({ structured: { performative: 'request', receivers: [{ name: agent }], content, conversationId: conversation } });
  /** `replica=<n> count=<k> <content>` answers of `agent` in `conversation`. */
  const answers = (agent: string, conversation: string): Answer[] =>
    replies
      .filter(
        (e) =>
          e.message.conversationId === conversation &&
          e.message.sender?.name.startsWith(`${agent}@`) &&
          e.message.performative === 'inform',
      )
      .map((e) => {
        const m = /^replica=(\d+) count=\d+ (.*)$/s.exec(e.message.content ?? '');
        assert.ok(m, `an answer of the replica echo: ${e.message.content}`);
        return { replica: Number(m[1]), content: m[2]! };
      });
  /** Waits for an answer in `conversation` whose content starts with `prefix`. */
  const answered = async (agent: string, conversation: string, prefix: string): Promise<Answer[]> => {
    await eventually(
      () => answers(agent, conversation).some((a) => a.content.startsWith(prefix)),
      `${agent} answering ${prefix}… in ${conversation}`,
      15_000,
    );
    return answers(agent, conversation).filter((a) => a.content.startsWith(prefix));
  };
  /** Conversation `a` pinned to replica 1, `b` to replica 2 (the first goes to the lowest number, the second to the one holding fewest). */
  const pinTwo = async (agent: string): Promise<void> => {
    await send(agent, `${agent}-a`, 'hi');
    assert.equal((await answered(agent, `${agent}-a`, 'hi'))[0]!.replica, 1);
    await send(agent, `${agent}-b`, 'hi');
    assert.equal((await answered(agent, `${agent}-b`, 'hi'))[0]!.replica, 2);
  };
  /** Sends `items` ([conversation, content]) while the agent is suspended: one batch, in this order. */
  const oneBatch = async (agent: string, items: [string, string][]): Promise<void> => {
    await client.suspend(agent);
    for (const [c, content] of items) await send(agent, c, content);
    await client.resume(agent);
  };

  before(async () => {
    // Three replica instances beyond the agents' own at most (the node-wide cap, lowered for the test).
    served = await startServedNode('caxton-replicas-consistency-', { shards: 3, maxReplicaInstances: 3 });
    ({ client, replies } = served);
    probe = await artifact('as-replica-echo', 'as-replica-echo');
  });
  after(async () => {
    await served?.stop();
  });

  it('scaling needs agents.scale (a deployer is refused) and stays within the node-wide cap on replica instances', async () => {
    await client.deploy({ name: 'wide' }, probe);
    await client.deploy({ name: 'wide2' }, probe);
    const issued = await client.issueToken({ role: 'deployer', ttlMs: 600_000 });
    const deployer = await CaxtonClient.connect({ address: served.address, token: issued.token });
    try {
      const denied = await deployer.scale('wide', 2).then(
        () => undefined,
        (e: unknown) => e,
      );
      assert.ok(denied instanceof ApiCallError && denied.statusName === 'PERMISSION_DENIED', String(denied));
    } finally {
      deployer.close();
    }
    const operator = await CaxtonClient.connect({
      address: served.address,
      token: (await client.issueToken({ role: 'operator', ttlMs: 600_000 })).token,
    });
    try {
      // 4 more instances than the 3 the node allows: refused before any starts.
      const over = await operator.scale('wide', 5).then(
        () => undefined,
        (e: unknown) => e,
      );
      assert.ok(
        over instanceof ApiCallError && over.code === 'agent.replicas-budget' && over.statusName === 'RESOURCE_EXHAUSTED',
        String(over),
      );
      assert.match(over.hint ?? '', /at most 3 beyond the agents' own/);
      assert.equal((await client.getAgent('wide')).replicas, undefined, 'nothing started');
      assert.deepEqual((await operator.scale('wide', 3)).replicas, { replicas: 3, draining: 0 });
      // The cap is the node's, across agents: 2 running + 2 more > 3.
      const across = await operator.scale('wide2', 3).then(
        () => undefined,
        (e: unknown) => e,
      );
      assert.ok(across instanceof ApiCallError && across.code === 'agent.replicas-budget', String(across));
      assert.deepEqual((await operator.scale('wide2', 2)).replicas, { replicas: 2, draining: 0 }, 'what fits is allowed');
      await operator.scale('wide', 1);
      await operator.scale('wide2', 1);
    } finally {
      operator.close();
    }
  });

  it('two agents scaling at once, their replicas slow to start, stay within the node-wide cap together', async () => {
    // Each new replica's init spins a while: before the reservation, both checks ran while the
    // other agent's replicas were still starting (not yet counted) and both passed (4 > 3).
    const slow = { 'init-spin': '3000000' };
    await client.deploy({ name: 'race1', config: slow }, probe);
    await client.deploy({ name: 'race2', config: slow }, probe);
    const outcomes = await Promise.allSettled([client.scale('race1', 3), client.scale('race2', 3)]);
    const refused = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
    assert.equal(
      refused.length,
      1,
      `exactly one refused: ${outcomes.map((o) => (o.status === 'rejected' ? String(o.reason) : 'ok')).join(', ')}`,
    );
    const err = refused[0]!.reason as unknown;
    assert.ok(err instanceof ApiCallError && err.code === 'agent.replicas-budget' && err.statusName === 'RESOURCE_EXHAUSTED', String(err));
    const views = [(await client.getAgent('race1')).replicas, (await client.getAgent('race2')).replicas];
    assert.deepEqual(
      views.filter((v) => v !== undefined),
      [{ replicas: 3, draining: 0 }],
      'one agent runs as 3, the other as 1',
    );
    for (const name of ['race1', 'race2']) await client.scale(name, 1);
    // The reservation was given back, refused or not: the whole budget is there again.
    await client.scale('race2', 4);
    assert.deepEqual((await client.getAgent('race2')).replicas, { replicas: 4, draining: 0 });
    await client.scale('race2', 1);
  });

  it('a read ahead of everything in its batch reads no write of a message behind it (3 replicas)', async () => {
    await client.deploy({ name: 'future' }, probe);
    await client.scale('future', 3);
    // Conversations pinned a → 1, b → 2, c → 3 (each new one to the replica holding fewest).
    for (const [c, n] of [
      ['future-a', 1],
      ['future-b', 2],
      ['future-c', 3],
    ] as const) {
      await send('future', c, 'hi');
      assert.equal((await answered('future', c, 'hi'))[0]!.replica, n);
    }
    // b's read is kept; c crashes on replica 3, so a's and b's adds behind it do not count. Replica
    // 2's view then holds b's add: a rewind that ran b's read again there would answer get=1.
    await oneBatch('future', [
      ['future-b', 'get'],
      ['future-c', 'crash-on-3'],
      ['future-a', 'add'],
      ['future-b', 'add'],
    ]);
    await answered('future', 'future-a', 'add=');
    await answered('future', 'future-b', 'add=');
    assert.deepEqual(
      answers('future', 'future-b')
        .filter((a) => a.content.startsWith('get='))
        .map((a) => a.content),
      ['get=0'],
      'the read comes first, answered once: it sees no write',
    );
  });

  it('a read on replica 2 behind a kept write of replica 1 in the same batch reruns on replica 1: it sees the write', async () => {
    await client.deploy({ name: 'reader' }, probe);
    await client.scale('reader', 2);
    await pinTwo('reader');
    // Replica 1 writes n=1 (committed: its view is the agent's); replica 2's view never sees it.
    // Before the fix its `get=0` committed, a stale read answered to the sender.
    await oneBatch('reader', [
      ['reader-a', 'add'],
      ['reader-b', 'get'],
    ]);
    const [add] = await answered('reader', 'reader-a', 'add=');
    const got = await answered('reader', 'reader-b', 'get=');
    assert.deepEqual(add, { replica: 1, content: 'add=1' });
    assert.deepEqual(got, [{ replica: 1, content: 'get=1' }], 'the read was rerun on replica 1, after the write, and answered once');
    await eventually(async () => (await client.getAgent('reader')).replicas === undefined, 'scaled back to one', 10_000);
    assert.deepEqual(await client.listDeadLetters({ agent: 'reader' }), [], 'nothing dead-lettered');
  });

  it('a write of replica 1 behind a crash of replica 2 in the same batch is counted once (its view is reset in the batch)', async () => {
    await client.deploy({ name: 'rewinder' }, probe);
    await client.scale('rewinder', 2);
    await pinTwo('rewinder');
    // Replica 2 traps, so replica 1's two writes behind it do not commit: its view is reset to the
    // committed state in the batch, and the three are handled again. (This passes on the merge as
    // well: it guards the reset, it does not prove finding 6 — whose case, a previous batch not yet
    // in the store when the view is read, decision 2010 leaves open.)
    await oneBatch('rewinder', [
      ['rewinder-b', 'crash-on-2'],
      ['rewinder-a', 'add'],
      ['rewinder-a', 'add'],
    ]);
    await answered('rewinder', 'rewinder-a', 'add=2');
    const crashed = await answered('rewinder', 'rewinder-b', 'crash-on-2');
    assert.deepEqual(crashed, [{ replica: 1, content: 'crash-on-2' }], 'the message that crashed replica 2 answered once, by replica 1');
    assert.deepEqual(
      answers('rewinder', 'rewinder-a')
        .filter((a) => a.content.startsWith('add='))
        .map((a) => a.content),
      ['add=1', 'add=2'],
      'each write counted once: nothing lost, nothing doubled',
    );
    await send('rewinder', 'rewinder-a', 'get');
    assert.deepEqual(
      (await answered('rewinder', 'rewinder-a', 'get=')).map((a) => a.content),
      ['get=2'],
      'the committed state is both writes',
    );
    assert.deepEqual(await client.listDeadLetters({ agent: 'rewinder' }), [], 'nothing dead-lettered');
  });

  it('a scale-up whose third replica cannot start stops the one it started: refused, typed, nothing left behind', async () => {
    // Replica 3's init traps (a real start failure of the agent's own code); replicas 1 and 2 start.
    await client.deploy({ name: 'partial', config: { 'init-trap-on': '3' } }, probe);
    const err = await client.scale('partial', 3).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(
      err instanceof ApiCallError && err.code === 'agent.replicas-start-failed' && err.statusName === 'FAILED_PRECONDITION',
      String(err),
    );
    assert.match(err.message, /replica 3 did not start/);
    assert.match(err.hint ?? '', /1 replica this call started was stopped; partial still runs as 1/);
    assert.equal((await client.getAgent('partial')).replicas, undefined, 'it runs as one: replica 2 was stopped');
    // Replica 2's instance is gone (a leaked one would refuse a new instance under its key): a
    // scale to 2 starts it afresh, and it takes conversations.
    await client.scale('partial', 2);
    assert.deepEqual((await client.getAgent('partial')).replicas, { replicas: 2, draining: 0 });
    await pinTwo('partial');
    await client.scale('partial', 1);
  });
});

describe('replicas: the node cap on replica instances is read at the boundary', () => {
  it('a cap that is not a whole number from 1 to the ceiling refuses the node before anything starts', async () => {
    for (const bad of [Number.NaN, -1, 0, REPLICA_LIMITS.maxReplicaInstances + 1]) {
      // The refused start removes its temporary data directory itself.
      await assert.rejects(
        startServedNode('caxton-replicas-cap-', { maxReplicaInstances: bad }),
        (e: unknown) =>
          (e as { code?: string }).code === 'limits.out-of-range' &&
          String((e as Error).message).startsWith('startNode.maxReplicaInstances: '),
        String(bad),
      );
    }
  });
});

describe('replicas: a dead letter stays a dead letter (maxAttempts 1)', () => {
  let served: ServedNode;
  let client: CaxtonClient;
  let replies: MessageEvent[];
  const send = (content: string, conversationId?: string): Promise<unknown> =>
    client.send({
      structured: {
        performative: 'request',
        receivers: [{ name: 'poison' }],
        content,
        ...(conversationId !== undefined ? { conversationId } : {}),
      },
    });
  const contents = (): string[] => replies.filter((e) => e.message.sender?.name.startsWith('poison@')).map((e) => e.message.content ?? '');

  before(async () => {
    served = await startServedNode('caxton-replicas-deadletter-', { shards: 3, maxAttempts: 1 });
    ({ client, replies } = served);
  });
  after(async () => {
    await served?.stop();
  });

  it('a crash on replica 2 ahead of a write of replica 1 is dead-lettered, not handled again', async () => {
    await client.deploy({ name: 'poison' }, await artifact('as-replica-echo', 'as-replica-echo'));
    await client.scale('poison', 2);
    // Pins a → 1, b → 2, c → 1: replica 1 holds more, so a message without a conversation goes to 2.
    for (const c of ['a', 'b', 'c']) {
      await send(`hi-${c}`, c);
      await eventually(() => contents().some((x) => x.endsWith(`hi-${c}`)), `hi ${c}`, 10_000);
    }
    await client.suspend('poison');
    await send('crash-on-2');
    await send('add', 'a');
    await client.resume('poison');
    await eventually(
      async () => (await client.listDeadLetters({ agent: 'poison' })).length === 1,
      'the message that crashed its one attempt dead-lettered',
      10_000,
    );
    await eventually(() => contents().some((x) => x.endsWith(' add=1')), 'the write behind it answered', 10_000);
    assert.deepEqual(
      contents().filter((x) => x.includes('crash-on-2')),
      [],
      'the dead-lettered message was not handled again',
    );
  });
});
