/** `caxton top --conversations`' arithmetic (decision 2184): rates between two looks, order, and the table's sums adding up to the node's. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { zeroCosts, type ConversationCosts, type ConversationCostsView } from '@caxton/core';
import { conversationRows, sortConversationRows } from '../src/top/conversation-rows.js';
import { formatConversations, printableId } from '../src/top/format-conversations.js';
import { conversationsLook } from '../src/top/top-conversations.js';

const conv = (conversationId: string, handled: number, fuel: number, over: Partial<ConversationCosts> = {}): ConversationCosts => ({
  conversationId,
  ...zeroCosts(),
  handled,
  fuel,
  firstAt: 1,
  lastAt: 2,
  agents: [{ agent: 'broker', ...zeroCosts(), handled, fuel }],
  ...over,
});

const view = (conversations: ConversationCosts[], extra: Partial<ConversationCostsView> = {}): ConversationCostsView => {
  const totals = zeroCosts();
  for (const c of conversations) {
    totals.handled += c.handled;
    totals.fuel += c.fuel;
  }
  return {
    at: 0,
    conversationCount: conversations.length,
    conversations,
    noConversation: zeroCosts(),
    evicted: { ...zeroCosts(), conversations: 0 },
    totals,
    ...extra,
  };
};

describe('caxton top --conversations rows', () => {
  it('rates are what grew between two looks; a conversation not seen before, or whose figures went down, has none', () => {
    const rows = conversationRows(
      { at: 3_000, view: view([conv('a', 30, 5_000), conv('b', 2, 100), conv('new', 4, 40)]) },
      { at: 1_000, view: view([conv('a', 10, 1_000), conv('b', 5, 500)]) },
    );
    assert.deepEqual(
      rows.map((r) => [r.conversationId, r.handledPerS, r.fuelPerS]),
      [
        ['a', 10, 2_000],
        ['b', undefined, undefined],
        ['new', undefined, undefined],
      ],
    );
  });

  it('sorts by each figure, largest first, ties by id; rates first for a rate key', () => {
    const rows = conversationRows({
      at: 0,
      view: view([conv('x', 1, 10, { bytesSent: 500, lastAt: 9 }), conv('y', 5, 50, { httpCalls: 2, lastAt: 3 }), conv('z', 1, 10)]),
    });
    assert.deepEqual(
      sortConversationRows(rows, 'fuel').map((r) => r.conversationId),
      ['y', 'x', 'z'],
    );
    assert.deepEqual(
      sortConversationRows(rows, 'bytes-sent').map((r) => r.conversationId),
      ['x', 'y', 'z'],
    );
    assert.deepEqual(
      sortConversationRows(rows, 'http').map((r) => r.conversationId),
      ['y', 'x', 'z'],
    );
    assert.deepEqual(
      sortConversationRows(rows, 'recent').map((r) => r.conversationId),
      ['x', 'y', 'z'],
    );
    assert.deepEqual(
      sortConversationRows(rows, 'fuel-rate').map((r) => r.conversationId),
      ['y', 'x', 'z'],
      'no rates yet: by the totals',
    );
    assert.deepEqual(
      sortConversationRows(rows, 'name').map((r) => r.conversationId),
      ['x', 'y', 'z'],
    );
  });

  it('the table: the listed, the rest not listed, the evicted, no conversation, and the node total they add up to', () => {
    const listed = [conv('parcel-1', 3, 3_000), conv('parcel-2', 2, 1_500)];
    const v = view(listed, {
      conversationCount: 5,
      noConversation: { ...zeroCosts(), handled: 1, fuel: 100 },
      evicted: { ...zeroCosts(), handled: 4, fuel: 400, conversations: 2 },
      totals: { ...zeroCosts(), handled: 3 + 2 + 7 + 1 + 4, fuel: 3_000 + 1_500 + 700 + 100 + 400 },
    });
    const text = formatConversations(conversationRows({ at: 0, view: v }), v, 'now');
    assert.match(text, /^CONVERSATION\s+MSG\/S\s+FUEL\/S\s+HANDLED\s+FUEL\s+HANDLER\s+SENT\s+BYTES-OUT\s+WRITTEN\s+HTTP\s+AGENTS$/m);
    assert.match(text, /^parcel-1\s+-\s+-\s+3\s+3\.0k\s.*broker$/m);
    assert.match(text, /^\(3 more conversations\)\s+-\s+-\s+7\s+700\s/m);
    assert.match(text, /^\(2 evicted\)\s+-\s+-\s+4\s+400\s/m);
    assert.match(text, /^\(no conversation\)\s+-\s+-\s+1\s+100\s/m);
    assert.match(text, /^TOTAL \(node, 7 conversations\)\s+-\s+-\s+17\s+5\.7k\s/m);
  });

  it('a sender’s id reaches the terminal without control characters, cut to 40 characters', () => {
    assert.equal(printableId('evil\u001b[2Jid\u0007'), 'evil?[2Jid?');
    assert.equal(
      printableId('order\u202eTXT.exe\u2066x\u200by\ufeff'),
      'order?TXT.exe?x?y?',
      'bidi and zero-width characters cannot reorder what the terminal shows',
    );
    assert.equal([...printableId('x'.repeat(100))].length, 40);
  });

  it('refuses a limit the node would not list, as a usage error', () => {
    assert.throws(() => conversationsLook('fuel', 0), /--limit 0: not a whole number from 1 to 1000/);
    assert.throws(() => conversationsLook('fuel', 5_000), /--limit 5000/);
    assert.deepEqual(conversationsLook('bytes-sent', 10).query, { sort: 'bytesSent', limit: 10 });
    assert.deepEqual(conversationsLook('fuel-rate', 10).query, { sort: 'recent', limit: 10 });
  });
});
