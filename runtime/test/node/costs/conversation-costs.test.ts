/** The conversation cost ledger (decision 2184): sums per conversation and agent, its bounds, and that everything adds up to its totals. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { addCosts, zeroCosts, type ConversationCostsView, type HandlingCosts } from '@caxton/core';
import { ConversationCostLedger, type HandlingSample } from '../../../src/node/costs/conversation-costs.js';

const sample = (fuel: number, over: Partial<HandlingSample> = {}): HandlingSample => ({
  fuelUsed: fuel,
  durationUs: 10,
  messagesSent: 1,
  bytesSent: 5,
  stateBytesWritten: 3,
  httpCalls: 0,
  ...over,
});

/** Listed conversations + evicted + no conversation, as one sum: what must equal the totals when all are listed. */
function summed(v: ConversationCostsView): HandlingCosts {
  const sum = zeroCosts();
  for (const c of v.conversations) {
    const { conversationId: _id, firstAt: _f, lastAt: _l, agents: _a, otherAgents: _o, ...figures } = c;
    addCosts(sum, figures);
  }
  const { conversations: _n, ...evicted } = v.evicted;
  addCosts(sum, evicted);
  return addCosts(sum, v.noConversation);
}

describe('ConversationCostLedger', () => {
  it('sums each conversation and each agent in it; a handling without a conversation id is summed apart', () => {
    const ledger = new ConversationCostLedger({ conversations: 10, idChars: 1_000_000, agentsPerConversation: 4 });
    ledger.record('broker', 'c1', sample(100, { durationUs: 40, httpCalls: 1 }), 1_000);
    ledger.record('seller', 'c1', sample(30), 1_001);
    ledger.record('broker', 'c1', sample(50), 1_002);
    ledger.record('broker', 'c2', sample(7), 1_003);
    ledger.record('timer-user', undefined, sample(9, { durationUs: undefined }), 1_004);
    const c1 = ledger.get('c1')!;
    assert.deepEqual(
      { ...c1, agents: undefined },
      {
        conversationId: 'c1',
        handled: 3,
        fuel: 180,
        handlerUs: 60,
        messagesSent: 3,
        bytesSent: 15,
        stateBytesWritten: 9,
        httpCalls: 1,
        firstAt: 1_000,
        lastAt: 1_002,
        agents: undefined,
      },
    );
    assert.deepEqual(
      c1.agents.map((a) => [a.agent, a.handled, a.fuel]),
      [
        ['broker', 2, 150],
        ['seller', 1, 30],
      ],
      'largest fuel first',
    );
    const v = ledger.read({ limit: 10 }, 2_000);
    assert.deepEqual(
      v.conversations.map((c) => c.conversationId),
      ['c1', 'c2'],
      'by fuel, largest first',
    );
    assert.deepEqual(v.noConversation, {
      handled: 1,
      fuel: 9,
      handlerUs: 0,
      messagesSent: 1,
      bytesSent: 5,
      stateBytesWritten: 3,
      httpCalls: 0,
    });
    assert.equal(v.totals.handled, 5);
    assert.deepEqual(summed(v), v.totals, 'conversations and the rest add up to the totals');
  });

  it('keeps the most recently handled conversations: the least recent is evicted into one sum, and the sums still add up', () => {
    const ledger = new ConversationCostLedger({ conversations: 3, idChars: 1_000_000, agentsPerConversation: 4 });
    for (let i = 0; i < 3; i++) ledger.record('a', `c${i}`, sample(10 + i), i);
    ledger.record('a', 'c0', sample(1), 10); // c0 is now the most recent: c1 goes first
    ledger.record('a', 'c3', sample(100), 11);
    ledger.record('a', 'c4', sample(100), 12);
    assert.equal(ledger.size, 3);
    assert.equal(ledger.get('c1'), undefined);
    assert.equal(ledger.get('c2'), undefined);
    assert.equal(ledger.get('c0')!.fuel, 11);
    const reused = ledger.get('c4')!;
    assert.deepEqual(
      [reused.handled, reused.fuel, reused.firstAt, reused.agents.length],
      [1, 100, 12, 1],
      'an evicted entry reused starts from nothing',
    );
    const v = ledger.read({ sort: 'recent', limit: 10 }, 20);
    assert.deepEqual(
      v.conversations.map((c) => c.conversationId),
      ['c4', 'c3', 'c0'],
    );
    assert.deepEqual([v.evicted.conversations, v.evicted.handled, v.evicted.fuel], [2, 2, 23]);
    assert.deepEqual(summed(v), v.totals);
    for (let i = 0; i < 1_000; i++) ledger.record('a', `flood-${i}`, sample(1), 100 + i);
    assert.equal(ledger.size, 3, 'never more than the bound, however many ids senders make up');
    assert.deepEqual(summed(ledger.read({ limit: 10 }, 2_000)), ledger.read({}, 2_000).totals);
  });

  it('keeps at most agentsPerConversation agents of a conversation by name, the rest summed as other agents', () => {
    const ledger = new ConversationCostLedger({ conversations: 10, idChars: 1_000_000, agentsPerConversation: 2 });
    for (const agent of ['a', 'b', 'c', 'd']) ledger.record(agent, 'wide', sample(10), 1);
    ledger.record('a', 'wide', sample(10), 2);
    const wide = ledger.get('wide')!;
    assert.deepEqual(
      wide.agents.map((a) => [a.agent, a.fuel]),
      [
        ['a', 20],
        ['b', 10],
      ],
    );
    assert.deepEqual([wide.otherAgents?.handled, wide.otherAgents?.fuel], [2, 20]);
    const shares = addCosts(addCosts(addCosts(zeroCosts(), wide.otherAgents!), wide.agents[0]!), wide.agents[1]!);
    assert.deepEqual(
      [shares.handled, shares.fuel, shares.messagesSent, shares.bytesSent],
      [wide.handled, wide.fuel, wide.messagesSent, wide.bytesSent],
      'the shares add up to the conversation',
    );
  });

  it('sorts by each figure, lists at most limit (capped) and reads one conversation', () => {
    const ledger = new ConversationCostLedger({ conversations: 100, idChars: 1_000_000, agentsPerConversation: 2 });
    ledger.record('a', 'fuel-heavy', sample(1_000), 1);
    ledger.record('a', 'chatty', sample(1, { messagesSent: 50, bytesSent: 9_000 }), 2);
    ledger.record('a', 'slow', sample(1, { durationUs: 99_999 }), 3);
    ledger.record('a', 'writer', sample(1, { stateBytesWritten: 70_000 }), 4);
    ledger.record('a', 'caller', sample(1, { httpCalls: 4 }), 5);
    const first = (sort: Parameters<ConversationCostLedger['read']>[0]['sort']) =>
      ledger.read({ sort, limit: 1 }, 9).conversations.map((c) => c.conversationId);
    assert.deepEqual(first('fuel'), ['fuel-heavy']);
    assert.deepEqual(first('messagesSent'), ['chatty']);
    assert.deepEqual(first('bytesSent'), ['chatty']);
    assert.deepEqual(first('handlerUs'), ['slow']);
    assert.deepEqual(first('stateBytesWritten'), ['writer']);
    assert.deepEqual(first('httpCalls'), ['caller']);
    assert.deepEqual(first('recent'), ['caller']);
    assert.equal(ledger.read({ limit: 1_000_000 }, 9).conversations.length, 5, 'a huge limit is capped, not an error');
    assert.equal(ledger.read({ limit: 0 }, 9).conversations.length, 0);
    assert.equal(ledger.read({ limit: 0 }, 9).conversationCount, 5);
  });

  it('lists the largest as a full sort would, ties by the most recent', () => {
    const ledger = new ConversationCostLedger({ conversations: 500, idChars: 1_000_000, agentsPerConversation: 2 });
    // Fuel from a fixed sequence with many ties.
    for (let i = 0; i < 400; i++) ledger.record('a', `c-${i}`, sample((i * 7919) % 37), i);
    const all = ledger.read({ limit: 1_000 }, 500).conversations.map((c) => c.conversationId);
    assert.equal(all.length, 400);
    for (const k of [1, 10, 50, 399])
      assert.deepEqual(
        ledger.read({ limit: k }, 500).conversations.map((c) => c.conversationId),
        all.slice(0, k),
      );
    const fuels = ledger.read({ limit: 1_000 }, 500).conversations.map((c) => [c.fuel, c.lastAt] as const);
    for (let i = 1; i < fuels.length; i++)
      assert.ok(
        fuels[i - 1]![0] > fuels[i]![0] || (fuels[i - 1]![0] === fuels[i]![0] && fuels[i - 1]![1] > fuels[i]![1]),
        `ordered at ${i}`,
      );
  });

  it('holds at most idChars characters of ids: long ids evict the least recently handled, and the sums still add up', () => {
    const ledger = new ConversationCostLedger({ conversations: 1_000, idChars: 10_000, agentsPerConversation: 2 });
    for (let i = 0; i < 50; i++) ledger.record('a', `short-${i}`, sample(1), i);
    // Each long id is 3,000 characters: at most three fit beside what is left of the short ones.
    for (let i = 0; i < 5; i++) ledger.record('a', `${'x'.repeat(2_990)}-${String(i).padStart(9, '0')}`, sample(10), 100 + i);
    const v = ledger.read({ limit: 1_000 }, 200);
    const chars = v.conversations.reduce((n, c) => n + c.conversationId.length, 0);
    assert.ok(chars <= 10_000, `${chars} characters held`);
    assert.ok(v.conversations.length < 55 && v.evicted.conversations > 0, 'some were evicted for room');
    assert.equal(v.conversations.length + v.evicted.conversations, 55, 'each conversation is listed or evicted');
    assert.deepEqual(summed(v), v.totals, 'listed + evicted + no conversation = totals');
    // The newest long one is kept.
    assert.ok(v.conversations.some((c) => c.conversationId.endsWith('-000000004')));
  });
});
