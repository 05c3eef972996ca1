/**
 * The replica balancer (decision 2010), pure: conversation affinity, least loaded choice (items in
 * hand, then conversations held, then the lowest number), draining and unavailable replicas, a
 * crash moving a conversation, conversations started by a replica's sends, bounded memory; the
 * count's parsing and the typed refusals.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  conversationDigest,
  countOwnStateKeys,
  LimitOutOfRangeError,
  REPLICA_LIMIT_TABLE,
  httpPendingStateKey,
  ownStateWrites,
  parseReplicaCount,
  parseReplicaInstanceCap,
  REPLICA_LIMITS,
  ReplicaRewindError,
  ReplicaStartError,
  ReplicaBalancer,
  timerDoneStateKey,
  ReplicasScaledError,
  ReplicasStatefulError,
  ReplicasUnsupportedError,
  type ReplicaLoad,
} from '../../src/index.js';

const idle: ReplicaLoad = { inHand: () => 0, available: () => true };

describe('the replica balancer', () => {
  it('spreads new conversations evenly over idle replicas and keeps each on its replica', () => {
    const b = new ReplicaBalancer();
    b.setActive([1, 2, 3]);
    const first = Array.from({ length: 9 }, (_, i) => b.choose({ conversationId: `c${i}` }, idle)!);
    assert.deepEqual(first, [1, 2, 3, 1, 2, 3, 1, 2, 3], 'ties go to the replica holding fewest conversations, then the lowest');
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 9; i++) assert.equal(b.choose({ conversationId: `c${i}` }, idle), first[i], `c${i} stays`);
    }
    assert.deepEqual(
      [1, 2, 3].map((n) => b.conversationsOf(n)),
      [3, 3, 3],
    );
  });

  it('gives a new conversation and a message without one to the replica with the fewest items in hand', () => {
    const b = new ReplicaBalancer();
    b.setActive([1, 2, 3]);
    const inHand = new Map([
      [1, 4],
      [2, 1],
      [3, 2],
    ]);
    const load: ReplicaLoad = { inHand: (n) => inHand.get(n) ?? 0, available: () => true };
    assert.equal(b.choose({ conversationId: 'new' }, load), 2);
    assert.equal(b.choose({}, load), 2, 'no conversation id: least loaded');
    assert.equal(b.choose({ conversationId: '' }, load), 2);
    assert.equal(b.size, 1, 'a message without a conversation pins nothing');
    inHand.set(2, 9);
    assert.equal(b.choose({ conversationId: 'new' }, load), 2, 'a known conversation stays even when its replica is busier');
  });

  it('gives a draining replica nothing new and moves its conversations; an unavailable replica takes nothing', () => {
    const b = new ReplicaBalancer();
    b.setActive([1, 2, 3]);
    for (const c of ['a', 'b', 'c']) b.choose({ conversationId: c }, idle);
    b.setActive([1, 2]); // replica 3 drains
    assert.equal(b.conversationsOf(3), 0, 'its conversations are forgotten');
    const moved = b.choose({ conversationId: 'c' }, idle);
    assert.ok(moved === 1 || moved === 2, `c moved to ${moved}`);
    for (let i = 0; i < 10; i++) assert.notEqual(b.choose({ conversationId: `n${i}` }, idle), 3);
    const restarting: ReplicaLoad = { inHand: () => 0, available: (n) => n !== 1 };
    assert.equal(b.choose({ conversationId: 'a' }, restarting), 2, 'a conversation on a replica that cannot take work moves');
    assert.equal(b.choose({ conversationId: 'a' }, idle), 2, 'and stays where it moved');
    assert.equal(b.choose({ conversationId: 'x' }, { inHand: () => 0, available: () => false }), undefined, 'no replica can take it');
  });

  it('moves a conversation off the replica that crashed on it', () => {
    const b = new ReplicaBalancer();
    b.setActive([1, 2]);
    assert.equal(b.choose({ conversationId: 'p' }, idle), 1);
    b.moveOff('p', 2, idle);
    assert.equal(b.choose({ conversationId: 'p' }, idle), 1, 'a crash elsewhere changes nothing');
    b.moveOff('p', 1, idle);
    assert.equal(b.choose({ conversationId: 'p' }, idle), 2, 'the retry goes to another replica, even with the crashed one idle again');
    assert.equal(b.choose({ conversationId: 'p' }, idle), 2, 'and stays there');
    const alone = new ReplicaBalancer();
    alone.setActive([1]);
    alone.choose({ conversationId: 'q' }, idle);
    alone.moveOff('q', 1, idle);
    assert.equal(alone.size, 0, 'no other replica: only unpinned');
  });

  it('keeps the answers of a conversation a replica started on that replica', () => {
    const b = new ReplicaBalancer();
    b.setActive([1, 2]);
    b.started('outbound', 2);
    assert.equal(b.choose({ conversationId: 'outbound' }, idle), 2);
    b.started('outbound', 1);
    assert.equal(b.choose({ conversationId: 'outbound' }, idle), 2, 'a known conversation is not re-pinned');
    b.started('gone', 5);
    assert.equal(b.size, 1, 'a replica not taking conversations pins nothing');
  });

  it('forgets the least recently used conversation past its bound', () => {
    const b = new ReplicaBalancer(3);
    b.setActive([1, 2]);
    for (const c of ['a', 'b', 'c']) b.choose({ conversationId: c }, idle);
    b.choose({ conversationId: 'a' }, idle); // a used again: b is now the oldest
    b.choose({ conversationId: 'd' }, idle);
    assert.equal(b.size, 3);
    assert.equal(b.conversationsOf(1) + b.conversationsOf(2), 3, 'the per-replica counts follow');
  });

  it('remembers a conversation by a fixed-size digest, whatever the length of its id, bounded by count', () => {
    const long = (i: number): string => `${i}:`.padEnd(8 * 1024, 'x'); // ACL's largest field (8 KiB)
    assert.equal(conversationDigest(long(1)).length, 22, '16 bytes, base64');
    assert.equal(conversationDigest('a').length, 22);
    assert.notEqual(conversationDigest(long(1)), conversationDigest(long(2)));
    assert.ok(REPLICA_LIMITS.maxPinnedConversations <= 10_000, "the default bound keeps a scaled agent's pins near 1 MB");
    const b = new ReplicaBalancer(50);
    b.setActive([1, 2]);
    const first = new Map<number, number>();
    for (let i = 0; i < 500; i++) first.set(i, b.choose({ conversationId: long(i) }, idle)!);
    assert.equal(b.size, 50, 'unique long ids past the bound: the least recently used are forgotten');
    assert.equal(b.conversationsOf(1) + b.conversationsOf(2), 50);
    for (let i = 450; i < 500; i++)
      assert.equal(b.choose({ conversationId: long(i) }, idle), first.get(i), 'a remembered long id keeps its replica');
    b.started(long(9999), 2);
    b.moveOff(long(9999), 2, idle);
    assert.equal(b.choose({ conversationId: long(9999) }, idle), 1, 'sends and crashes find the conversation by the same digest');
  });

  it("counts only the agent's own state keys, not the runtime's records (pending HTTP calls, timer-done markers)", () => {
    const writes = [
      { key: httpPendingStateKey('c1'), value: '{}' },
      { key: timerDoneStateKey('t1'), value: '1' },
      { key: 'count', value: '3' },
    ];
    assert.deepEqual(ownStateWrites(writes), [{ key: 'count', value: '3' }]);
    assert.deepEqual(ownStateWrites(writes.slice(0, 2)), [], 'an HTTP call and a timer firing write no state of the agent');
    assert.equal(countOwnStateKeys([httpPendingStateKey('c2'), timerDoneStateKey('t2')]), 0);
    assert.equal(
      countOwnStateKeys(
        new Map([
          ['a', '1'],
          [httpPendingStateKey('c3'), '{}'],
        ]).keys(),
      ),
      1,
    );
  });

  it('refuses an empty set of replicas', () => {
    assert.throws(() => new ReplicaBalancer().setActive([]), /at least one replica/);
  });
});

describe('replica counts and refusals', () => {
  it('takes whole numbers from 1 to the ceiling', () => {
    assert.equal(parseReplicaCount(1), 1);
    assert.equal(parseReplicaCount(REPLICA_LIMITS.maxReplicas), REPLICA_LIMITS.maxReplicas);
    assert.equal(parseReplicaCount(' 3 '), 3);
    for (const bad of [0, -1, 2.5, REPLICA_LIMITS.maxReplicas + 1, '3x', '', null, undefined, Number.NaN]) {
      assert.throws(
        () => parseReplicaCount(bad),
        (e: unknown) =>
          e instanceof LimitOutOfRangeError &&
          e.code === 'limits.out-of-range' &&
          e.kind === 'invalid-argument' &&
          e.limit === 'replicas' &&
          e.ceiling === REPLICA_LIMIT_TABLE.replicas.ceiling &&
          e.message.startsWith('scale.replicas: ') &&
          e.hint?.startsWith(
            'replicas (caxton scale --replicas) accepts 1..16 instances; it is always given (1 until the agent is first scaled).',
          ) === true,
        String(bad),
      );
    }
  });

  it('refuses with typed errors that carry a hint', () => {
    const stateful = new ReplicasStatefulError('svc', 'it keeps durable state');
    assert.equal(stateful.code, 'agent.replicas-stateful');
    assert.equal(stateful.kind, 'failed-precondition');
    assert.match(stateful.hint ?? '', /agent kind/);
    const unsupported = new ReplicasUnsupportedError('svc', 'a cluster', 'use an embedded node');
    assert.equal(unsupported.code, 'agent.replicas-unsupported');
    const scaled = new ReplicasScaledError('svc', 3, 'roll out');
    assert.equal(scaled.code, 'agent.replicas-scaled');
    assert.match(scaled.hint ?? '', /caxton scale svc --replicas 1/);
  });

  it('a replica that did not start is its own refusal, with its cause and what still runs', () => {
    const cause = new Error('init trapped: unreachable');
    const err = new ReplicaStartError('svc', 3, 1, 1, cause);
    assert.equal(err.code, 'agent.replicas-start-failed');
    assert.equal(err.kind, 'failed-precondition');
    assert.equal(err.cause, cause);
    assert.match(err.message, /replica 3 did not start: init trapped/);
    assert.match(err.hint ?? '', /the 1 replica this call started was stopped; svc still runs as 1/);
  });

  it('a view of replica 1 that cannot be rewound fails the agent, typed, saying how to run it on its committed state', () => {
    const err = new ReplicaRewindError('svc', 'the sandbox cannot show a view');
    assert.equal(err.code, 'agent.replica-rewind-failed');
    assert.equal(err.kind, 'internal');
    assert.match(err.message, /state view of svc could not be rewound after a dropped write: the sandbox cannot show a view/);
    assert.match(err.hint ?? '', /caxton stop svc --keep-queue`, then deploy it again/);
  });

  it('the node cap on replica instances: a whole number from 1 to the ceiling, anything else refused (NaN would turn it off)', () => {
    assert.equal(parseReplicaInstanceCap(1), 1);
    assert.equal(parseReplicaInstanceCap(REPLICA_LIMITS.maxReplicaInstances), REPLICA_LIMITS.maxReplicaInstances);
    for (const bad of [0, -1, 2.5, REPLICA_LIMITS.maxReplicaInstances + 1, Number.NaN, Number.POSITIVE_INFINITY, '4', null]) {
      assert.throws(
        () => parseReplicaInstanceCap(bad),
        (e: unknown) =>
          e instanceof LimitOutOfRangeError &&
          e.code === 'limits.out-of-range' &&
          e.message.startsWith('node.maxReplicaInstances: ') &&
          e.ceiling === REPLICA_LIMITS.maxReplicaInstances,
        String(bad),
      );
    }
  });
});
