/**
 * Replicas behind one name (decision 2010) on a real node: embedded log, three sandbox shards, real
 * AssemblyScript agents, real gRPC with token auth. The replica echo answers with the number of the
 * replica that handled the message (its init config `caxton.replica`) and that replica's own count,
 * so the test sees where each message went. Scaled to 3, conversations spread over the replicas and
 * each stays on one; one replica crashing on a message has it retried and answered by another
 * (nothing dead-lettered); a scale-down to 1 during load drains with every message answered once.
 * An agent that starts writing state while scaled is scaled back to one with every write counted
 * once; a restarted node brings the replicas back. An upgrade or rollback of a scaled agent drains
 * its other replicas, swaps, and runs every replica on the version swapped in (decision 2176). A
 * canary of a scaled agent runs beside its replicas and its promotion runs every replica on the new
 * version (decision 2177); a handover of state beside replicas is refused. A stateful agent, a kind
 * and a count out of bounds are refused, typed. Every scale is audited.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { decodeRecord, REPLICA_LIMITS, type AuditRecord, type MessageEvent } from '@caxton/core';
import { ApiCallError, type CaxtonClient } from '@caxton/client';
import { artifact } from './support/rollout-node.js';
import { startServedNode, type ServedNode } from './support/served-node.js';
import { eventually } from './support/harness.js';

/** `replica=<n> count=<k> <content>` → n and the content. */
function parse(answer: string): { replica: number; content: string } {
  const m = /^replica=(\d+) count=\d+ (.*)$/s.exec(answer);
  assert.ok(m, `an answer of the replica echo: ${answer}`);
  return { replica: Number(m[1]), content: m[2]! };
}

describe('replicas behind one name on a real node', () => {
  let served: ServedNode;
  let client: CaxtonClient;
  let probe: Uint8Array;
  let replies: MessageEvent[];

  /** Sends `content` in `conversation` (no wait for the answer). */
  const send = (agent: string, conversation: string, content: string): Promise<unknown> =>
    client.send({ structured: { performative: 'request', receivers: [{ name: agent }], content, conversationId: conversation } });
  /** The answers of `agent` in `conversation` so far, as [replica, content]. */
  const answers = (agent: string, conversation: string): { replica: number; content: string }[] =>
    replies
      .filter(
        (e) =>
          e.message.conversationId === conversation &&
          e.message.sender?.name.startsWith(`${agent}@`) &&
          e.message.performative === 'inform',
      )
      .map((e) => parse(e.message.content ?? ''));
  /** Sends and waits for the answer to this content in this conversation. */
  const ask = async (agent: string, conversation: string, content: string): Promise<number> => {
    await send(agent, conversation, content);
    await eventually(
      () => answers(agent, conversation).some((a) => a.content === content),
      `${agent} answering ${content} in ${conversation}`,
      15_000,
    );
    return answers(agent, conversation).find((a) => a.content === content)!.replica;
  };

  before(async () => {
    served = await startServedNode('caxton-replicas-', { shards: 3 });
    ({ client, replies } = served);
    probe = await artifact('as-replica-echo', 'as-replica-echo');
  });
  after(async () => {
    await served?.stop();
  });

  it('scaled to 3: conversations spread over the replicas, each stays on one; a crash of one replica is answered by another', async () => {
    await client.deploy({ name: 'svc' }, probe);
    const scaled = await client.scale('svc', 3);
    assert.deepEqual(scaled.replicas, { replicas: 3, draining: 0 }, 'the status shows the replicas');
    assert.deepEqual((await client.listAgents()).find((a) => a.name === 'svc')?.replicas, { replicas: 3, draining: 0 });

    const conversations = Array.from({ length: 12 }, (_, i) => `c-${i}`);
    // Opened side by side: the least loaded replica takes each new conversation.
    const first = new Map<string, number>();
    await Promise.all(conversations.map(async (c) => first.set(c, await ask('svc', c, 'one'))));
    const used = new Set(first.values());
    assert.deepEqual([...used].sort(), [1, 2, 3], `every replica took conversations: ${JSON.stringify([...first])}`);
    for (const n of [1, 2, 3]) {
      const share = [...first.values()].filter((r) => r === n).length;
      assert.ok(share >= 2, `replica ${n} took ${share} of 12 conversations (balanced: ties go to the one holding fewest)`);
    }
    // Every later message of a conversation goes to the replica that holds it.
    for (const step of ['two']) {
      await Promise.all(
        conversations.map(async (c) => assert.equal(await ask('svc', c, step), first.get(c), `${c} stays on replica ${first.get(c)}`)),
      );
    }

    // Replica 2 traps on this message: the retry goes to another replica, which answers it.
    const onTwo = conversations.find((c) => first.get(c) === 2)!;
    const answeredBy = await ask('svc', onTwo, 'crash-on-2');
    assert.notEqual(answeredBy, 2, 'the message that crashed replica 2 was answered by another replica');
    assert.equal(answers('svc', onTwo).filter((a) => a.content === 'crash-on-2').length, 1, 'answered once');
    assert.deepEqual(await client.listDeadLetters({ agent: 'svc' }), [], 'nothing dead-lettered');
    const status = await client.getAgent('svc');
    assert.ok(status.messagesHandled >= 12 * 2 + 1, `handled counts every replica (${status.messagesHandled})`);
  });

  it('a replica that crash-loops past its restart policy is removed: its work goes to the others, messages without a conversation all answered', async () => {
    await client.deploy({ name: 'loopy' }, probe);
    await client.scale('loopy', 2);
    // Each new conversation goes to the replica holding fewest; replica 2 traps on `crash-on-2`
    // every time, its conversations move to replica 1 (which answers), until its restart policy
    // (5 restarts a minute) fails it. Before the fix a failed replica, holding fewest, took every
    // new conversation and stalled the agent.
    // Replica 2 waits out a growing restart backoff between crashes (about 1.5 s over the five),
    // during which new conversations go to replica 1: the messages are paced, not counted.
    let i = 0;
    const deadline = Date.now() + 15_000;
    for (; Date.now() < deadline && (await client.getAgent('loopy')).replicas !== undefined; i++) {
      assert.equal(await ask('loopy', `loop-${i}`, 'crash-on-2'), 1, 'answered by replica 1');
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    assert.equal((await client.getAgent('loopy')).replicas, undefined, `the failed replica was removed (after ${i} crashing messages)`);
    // Messages without a conversation id: all answered, by replica 1.
    const ids = Array.from({ length: 8 }, (_, k) => `plain-${k}`);
    await Promise.all(
      ids.map((content) => client.send({ structured: { performative: 'request', receivers: [{ name: 'loopy' }], content } })),
    );
    const plain = (): string[] =>
      replies
        .filter((e) => e.message.sender?.name.startsWith('loopy@') && e.message.performative === 'inform')
        .map((e) => parse(e.message.content ?? ''))
        .filter((a) => ids.includes(a.content))
        .map((a) => a.content);
    await eventually(() => plain().length >= ids.length, 'every message without a conversation answered', 15_000);
    assert.deepEqual(plain().sort(), [...ids].sort(), 'each answered once');
    assert.deepEqual(await client.listDeadLetters({ agent: 'loopy' }), [], 'nothing dead-lettered');
    const records: AuditRecord[] = [];
    await client.listAudit({}, (r) => records.push(decodeRecord(r.bytes))).done;
    const removed = records.find(
      (r) =>
        r.kind === 'intent' &&
        r.method === 'ScaleAgent' &&
        r.peer === 'replicas' &&
        (r as { args?: { fields: Record<string, string> } }).args?.fields.agent === 'loopy',
    );
    assert.ok(removed !== undefined, 'the removal is audited, with the lower count');
    await client.stop('loopy');
  });

  it('a scale-down to 1 during load drains: every message answered once, the removed replicas gone', async () => {
    const conversations = Array.from({ length: 10 }, (_, i) => `d-${i}`);
    const contents = ['m0', 'm1', 'm2'];
    // The conversations start on all three replicas, then more of their messages arrive during the scale-down.
    const opened = await Promise.all(conversations.map((c) => ask('svc', c, 'm0')));
    assert.ok(new Set(opened).size > 1, `the conversations were spread before the scale-down: ${JSON.stringify(opened)}`);
    const sends = conversations.flatMap((c) => contents.slice(1).map((m) => send('svc', c, m)));
    // Scaled down while the sends are still arriving and being handled.
    const down = client.scale('svc', 1);
    await Promise.all(sends);
    const after = await down;
    assert.equal(after.replicas, undefined, 'one replica again: no replicas shown');
    await eventually(() => conversations.every((c) => answers('svc', c).length >= contents.length), 'every message answered', 15_000);
    for (const c of conversations) {
      const got = answers('svc', c)
        .map((a) => a.content)
        .sort();
      assert.deepEqual(got, contents, `${c}: each message answered exactly once`);
    }
    assert.deepEqual(await client.listDeadLetters({ agent: 'svc' }), [], 'nothing dead-lettered');
    // From now on replica 1 answers everything, old conversations included.
    for (const c of ['d-0', 'c-1', 'fresh']) assert.equal(await ask('svc', c, `after-${c}`), 1);
  });

  it('an agent that starts writing durable state while scaled is scaled back to one, every write counted once', async () => {
    // No state yet, so the scale is allowed; the state counter writes on every request.
    await client.deploy({ name: 'late-state' }, await artifact('as-state-counter', 'as-state-counter'));
    await client.scale('late-state', 3);
    const conversations = Array.from({ length: 6 }, (_, i) => `ls-${i}`);
    await Promise.all(conversations.map((c) => send('late-state', c, 'increment')));
    const counts = (): string[] =>
      replies
        .filter((e) => conversations.includes(e.message.conversationId ?? '') && e.message.sender?.name.startsWith('late-state@'))
        .map((e) => e.message.content ?? '');
    await eventually(() => counts().length >= conversations.length, 'every increment answered', 15_000);
    // One state, written only by replica 1: the six increments are 1..6, none lost or doubled.
    assert.deepEqual(
      counts()
        .map(Number)
        .sort((a, b) => a - b),
      [1, 2, 3, 4, 5, 6],
      `answers ${JSON.stringify(counts())}`,
    );
    await eventually(async () => (await client.getAgent('late-state')).replicas === undefined, 'scaled back to one', 10_000);
    const records: AuditRecord[] = [];
    await client.listAudit({}, (r) => records.push(decodeRecord(r.bytes))).done;
    const back = records.find(
      (r) =>
        r.kind === 'intent' &&
        r.method === 'ScaleAgent' &&
        r.peer === 'replicas' &&
        (r as { args?: { fields: Record<string, string> } }).args?.fields.agent === 'late-state',
    );
    assert.equal(
      (back as { args?: { fields: Record<string, string> } } | undefined)?.args?.fields.agent,
      'late-state',
      "the node's own scale-down is audited",
    );
  });

  it('a restarted node runs the agent as the replicas it was scaled to', async () => {
    await client.deploy({ name: 'kept' }, probe);
    await client.scale('kept', 2);
    await served.restart();
    client = served.client;
    assert.deepEqual((await client.getAgent('kept')).replicas, { replicas: 2, draining: 0 }, 'the count was in the record');
    const spread = new Set(await Promise.all(['k-0', 'k-1'].map((c) => ask('kept', c, 'hi'))));
    assert.deepEqual([...spread].sort(), [1, 2], 'both replicas take conversations after the restart');
    await client.scale('kept', 1);
  });

  it('a scaled agent is upgraded and rolled back in place: its other replicas drain, then every replica runs the version swapped in', async () => {
    const worker = await artifact('as-worker', 'as-worker');
    await client.deploy({ name: 'pool' }, worker);
    await client.scale('pool', 3);
    const spread = async (round: string): Promise<Map<number, string>> => {
      // Opened side by side: the least loaded replica takes each new conversation.
      const conversations = Array.from({ length: 9 }, (_, i) => `${round}-${i}`);
      const seen = new Map<number, string>();
      await Promise.all(
        conversations.map(async (c) => {
          await send('pool', c, round);
          await eventually(() => answers('pool', c).length > 0, `pool answering ${c}`, 15_000);
          const a = answers('pool', c)[0]!;
          seen.set(a.replica, a.content);
        }),
      );
      return seen;
    };
    assert.deepEqual([...(await spread('before')).values()], ['before', 'before', 'before']);

    const upgraded = await client.upgrade({ name: 'pool', config: { label: 'v2' } }, worker);
    assert.equal(upgraded.agent.version, 2);
    assert.deepEqual(upgraded.agent.replicas, { replicas: 3, draining: 0 }, 'as many replicas as before');
    const after = await spread('after');
    assert.deepEqual(
      [...after.keys()].sort(),
      [1, 2, 3],
      `every replica took conversations after the upgrade: ${JSON.stringify([...after])}`,
    );
    assert.deepEqual([...after.values()], ['v2:after', 'v2:after', 'v2:after'], 'every replica runs the new version');

    const back = await client.rollback('pool');
    assert.equal(back.agent.version, 3);
    assert.deepEqual(back.agent.replicas, { replicas: 3, draining: 0 });
    const rolled = await spread('back');
    assert.deepEqual([...rolled.keys()].sort(), [1, 2, 3]);
    assert.deepEqual([...rolled.values()], ['back', 'back', 'back'], 'every replica runs the version rolled back to');

    // A version whose own instance traps in its init: the upgrade is refused, and the version that
    // ran before runs again as three.
    const refused = await client.upgrade({ name: 'pool', config: { 'init-trap-on': '1' } }, probe).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(refused instanceof ApiCallError, `the upgrade whose init traps is refused: ${String(refused)}`);
    const kept = await client.getAgent('pool');
    assert.deepEqual([kept.version, kept.state, kept.replicas], [3, 'running', { replicas: 3, draining: 0 }]);
    const again = await spread('kept');
    assert.deepEqual([...again.keys()].sort(), [1, 2, 3]);
    assert.deepEqual([...again.values()], ['kept', 'kept', 'kept'], 'every replica runs the version that ran before');

    // One node keeps decision 2010's rule for a version that may write state: it runs, scaled.
    const stateful = await client.upgrade({ name: 'pool' }, probe);
    assert.deepEqual(stateful.agent.replicas, { replicas: 3, draining: 0 });
    assert.deepEqual([...(await spread('echoed')).keys()].sort(), [1, 2, 3], 'the replica echo answers on every replica');
    assert.deepEqual(await client.listDeadLetters({ agent: 'pool' }), [], 'nothing dead-lettered');
    await client.stop('pool');
  });

  it('a canary of a scaled agent runs beside its replicas; promoted, every replica runs the new version (decision 2177)', async () => {
    const worker = await artifact('as-worker', 'as-worker');
    await client.deploy({ name: 'flock' }, worker);
    await client.scale('flock', 3);
    const started = await client.upgrade(
      { name: 'flock', config: { label: 'v2' }, rollout: { strategy: { kind: 'canary', percent: 50 }, thresholds: { bakeMs: 3_000 } } },
      worker,
    );
    assert.equal(started.agent.rollout?.phase, 'baking');
    assert.deepEqual(started.agent.replicas, { replicas: 3, draining: 0 }, 'the replicas run on beside the canary');
    // Conversations opened side by side: half go to the new version, the rest over the three replicas.
    const conversations = Array.from({ length: 24 }, (_, i) => `flock-${i}`);
    const first = await Promise.all(
      conversations.map(async (c) => {
        await send('flock', c, 'during');
        await eventually(() => answers('flock', c).length > 0, `flock answering ${c}`, 15_000);
        return answers('flock', c)[0]!;
      }),
    );
    const onNew = first.filter((a) => a.content === 'v2:during').length;
    const onOld = first.filter((a) => a.content === 'during');
    assert.equal(onNew + onOld.length, conversations.length, `every answer is one version's: ${JSON.stringify(first)}`);
    assert.ok(onNew >= 5, `the new version took its share (${onNew} of 24; five handlings are the least a promotion needs)`);
    assert.ok(
      new Set(onOld.map((a) => a.replica)).size >= 2,
      `the running version's share spread over its replicas: ${JSON.stringify(onOld)}`,
    );

    await eventually(async () => (await client.getAgent('flock')).rollout?.phase === 'promoted', 'promotion after the bake', 20_000);
    const promoted = await client.getAgent('flock');
    assert.equal(promoted.version, 2);
    assert.deepEqual(promoted.replicas, { replicas: 3, draining: 0 }, 'as many replicas as before');
    const after = new Map<number, string>();
    await Promise.all(
      Array.from({ length: 9 }, (_, i) => `flock-after-${i}`).map(async (c) => {
        await send('flock', c, 'after');
        await eventually(() => answers('flock', c).length > 0, `flock answering ${c}`, 15_000);
        const a = answers('flock', c)[0]!;
        after.set(a.replica, a.content);
      }),
    );
    assert.deepEqual(
      [...after.keys()].sort(),
      [1, 2, 3],
      `every replica took conversations after the promotion: ${JSON.stringify([...after])}`,
    );
    assert.deepEqual([...after.values()], ['v2:after', 'v2:after', 'v2:after'], 'every replica runs the promoted version');
    assert.deepEqual(await client.listDeadLetters({ agent: 'flock' }), [], 'nothing dead-lettered');

    // A handover of state (a blue-green rollout of an agent that keeps state) is not run beside replicas.
    const stateful = await artifact('as-state-counter', 'as-state-counter');
    const handover = await client.upgrade({ name: 'flock', rollout: { strategy: { kind: 'blue-green' } } }, stateful).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(handover instanceof ApiCallError && handover.code === 'agent.replicas-scaled', String(handover));
    assert.match(handover.hint ?? '', /--replicas 1/);
    assert.equal((await client.getAgent('flock')).rollout?.phase, 'promoted', 'the refused rollout left nothing behind');
    await client.stop('flock');
  });

  it('refuses a stateful agent, a kind and a count out of bounds; audits every scale', async () => {
    await client.deploy({ name: 'stateful' }, await artifact('as-state-counter', 'as-state-counter'));
    await send('stateful', 's-1', 'increment');
    await eventually(() => replies.some((e) => e.message.conversationId === 's-1'), 'the state counter answering', 15_000);
    const stateful = await client.scale('stateful', 2).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(
      stateful instanceof ApiCallError && stateful.code === 'agent.replicas-stateful' && stateful.statusName === 'FAILED_PRECONDITION',
      String(stateful),
    );
    assert.match(stateful.hint ?? '', /share no durable state/);

    await client.deploy({ name: 'keyed', kind: { idleMs: 1_000 } }, probe);
    const kind = await client.scale('keyed', 2).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(kind instanceof ApiCallError && kind.code === 'agent.replicas-unsupported', String(kind));

    await client.scale('svc', 2);

    for (const bad of [0, REPLICA_LIMITS.maxReplicas + 1]) {
      const err = await client.scale('svc', bad).then(
        () => undefined,
        (e: unknown) => e,
      );
      assert.ok(err instanceof ApiCallError && err.statusName === 'INVALID_ARGUMENT', `${bad}: ${String(err)}`);
    }
    const missing = await client.scale('nobody', 2).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(missing instanceof ApiCallError && missing.statusName === 'NOT_FOUND', String(missing));

    // A stop takes the replicas with it.
    await client.stop('svc');
    const records: AuditRecord[] = [];
    await client.listAudit({}, (r) => records.push(decodeRecord(r.bytes))).done;
    const scales = records
      .filter((r) => r.kind === 'intent' && r.method === 'ScaleAgent')
      .map((r) => (r as { args?: { fields: Record<string, string> } }).args?.fields);
    assert.deepEqual(
      scales.filter((f) => f?.agent === 'svc').map((f) => f?.replicas),
      ['3', '1', '2'],
      'each scale of svc was recorded (counts out of bounds are refused at the API boundary, before the node)',
    );
  });
});
