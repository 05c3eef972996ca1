/**
 * Replicas across nodes (decision 2093), pure: the sender's choice of a replica unit — the same for
 * every message of a conversation, spread evenly, moving only the removed replica's conversations on
 * a scale-down and only the new replica's share on a scale-up — and the units' names.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AGENT_NAME, jumpHash, parseReplicaUnit, REPLICA_LIMITS, replicaFor, replicaHash, replicaUnitName } from '../../src/index.js';

const conversations = Array.from({ length: 6000 }, (_, i) => `conv-${i}`);

function counts(n: number): number[] {
  const out = new Array<number>(n + 1).fill(0);
  for (const c of conversations) out[replicaFor({ conversationId: c, messageId: 'm' }, n)]! += 1;
  return out.slice(1);
}

describe('the replica a sender chooses (jump consistent hash)', () => {
  it('is the same for every message of a conversation, whatever its message id', () => {
    for (const c of conversations.slice(0, 200)) {
      const first = replicaFor({ conversationId: c, messageId: 'a' }, 5);
      assert.equal(replicaFor({ conversationId: c, messageId: 'b' }, 5), first);
      assert.ok(first >= 1 && first <= 5);
    }
  });

  it('spreads conversations evenly over the replicas', () => {
    for (const n of [2, 3, 5, 16]) {
      const share = conversations.length / n;
      for (const [k, got] of counts(n).entries()) {
        assert.ok(Math.abs(got - share) < share * 0.15, `replica ${k + 1} of ${n}: ${got} conversations, expected about ${share}`);
      }
    }
  });

  it("moves only the removed replica's conversations on a scale-down, spread over the others", () => {
    for (let n = 2; n <= REPLICA_LIMITS.maxReplicas; n++) {
      const moved = new Array<number>(n).fill(0);
      for (const c of conversations) {
        const before = replicaFor({ conversationId: c, messageId: 'm' }, n);
        const after = replicaFor({ conversationId: c, messageId: 'm' }, n - 1);
        if (before !== n) assert.equal(after, before, `${c} stays on replica ${before} when ${n} → ${n - 1}`);
        else moved[after]! += 1;
      }
      const total = moved.reduce((a, b) => a + b, 0);
      if (n > 2)
        for (let k = 1; k < n; k++)
          assert.ok(
            moved[k]! > total / (n - 1) / 2,
            `${n} → ${n - 1}: replica ${k} takes its share of the moved conversations (${moved.join(',')})`,
          );
    }
  });

  it("moves only the new replica's share on a scale-up, all of it to the new replica", () => {
    const n = 3;
    let moved = 0;
    for (const c of conversations) {
      const before = replicaFor({ conversationId: c, messageId: 'm' }, n);
      const after = replicaFor({ conversationId: c, messageId: 'm' }, n + 1);
      if (after !== before) {
        assert.equal(after, n + 1, 'a conversation that moves goes to the new replica');
        moved++;
      }
    }
    const share = conversations.length / (n + 1);
    assert.ok(Math.abs(moved - share) < share * 0.15, `${moved} of ${conversations.length} moved, expected about ${share}`);
  });

  it('spreads messages without a conversation id by their message id', () => {
    const seen = new Set<number>();
    for (let i = 0; i < 100; i++) {
      const k = replicaFor({ messageId: `msg-${i}` }, 3);
      assert.equal(replicaFor({ conversationId: '', messageId: `msg-${i}` }, 3), k, 'an empty conversation id is none');
      seen.add(k);
    }
    assert.deepEqual([...seen].sort(), [1, 2, 3]);
  });

  it('answers replica 1 for a count of one or one out of range', () => {
    for (const n of [1, 0, -2, 2.5, Number.NaN, REPLICA_LIMITS.maxReplicas + 1])
      assert.equal(replicaFor({ conversationId: 'c', messageId: 'm' }, n), 1, String(n));
  });

  it('is pinned: a change of the hash would move every conversation of every scaled agent across a mixed-version cluster', () => {
    assert.deepEqual([replicaHash(''), replicaHash('conv-1')], [2872998923, 3762078916]);
    assert.deepEqual(
      ['conv-1', 'conv-2', 'conv-3', 'conv-4', 'x'].map((c) => replicaFor({ conversationId: c, messageId: '' }, 4)),
      [1, 2, 2, 4, 4],
    );
    assert.equal(jumpHash(0, 1), 0);
    assert.equal(jumpHash(0xffffffff, 1), 0);
  });
});

describe('replica unit names', () => {
  it('are the agent itself for replica 1 and <agent>#r<k> above, which no agent name can be', () => {
    assert.equal(replicaUnitName('svc', 1), 'svc');
    assert.equal(replicaUnitName('svc', 3), 'svc#r3');
    assert.equal(AGENT_NAME.test('svc#r3'), false);
    assert.deepEqual(parseReplicaUnit('svc#r3'), { agent: 'svc', replica: 3 });
    assert.deepEqual(parseReplicaUnit(replicaUnitName('a-b_c', REPLICA_LIMITS.maxReplicas)), {
      agent: 'a-b_c',
      replica: REPLICA_LIMITS.maxReplicas,
    });
  });

  it('refuse what no replica unit is', () => {
    for (const name of [
      'svc',
      'svc#r1',
      'svc#r0',
      'svc#r02',
      `svc#r${REPLICA_LIMITS.maxReplicas + 1}`,
      '#r2',
      'svc#r2x',
      'k/key#r2',
      'svc#r2#r3',
    ])
      assert.equal(parseReplicaUnit(name), undefined, name);
  });
});
