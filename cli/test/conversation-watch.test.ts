/** When `caxton send --wait` stops, decided by the runtime's own protocol machines. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Performative } from '@caxton/core';

import { ConversationWatch } from '../src/send/conversation-watch.js';
import { withConversation } from '../src/send/wait.js';
import type { MessageEvent } from '@caxton/core';

let n = 0;
function ev(from: string, to: string[], performative: Performative): MessageEvent {
  return {
    messageId: `m${++n}`,
    acceptedAt: n,
    message: {
      performative,
      sender: { name: `${from}@caxton` },
      receivers: to.map((name) => ({ name: `${name}@caxton` })),
      conversationId: 'c',
    },
  };
}

describe('ConversationWatch', () => {
  it("without a protocol: ends at each receiver's first answer to the operator", () => {
    const w = new ConversationWatch('operator', ['echo'], undefined, 'request');
    assert.equal(w.finished, false);
    assert.equal(w.observe(ev('other', ['operator'], 'inform')), false, 'not a receiver of ours');
    assert.equal(w.observe(ev('echo', ['someone-else'], 'inform')), false, 'not addressed to the operator');
    assert.equal(w.finished, false);
    assert.equal(w.observe(ev('echo', ['operator'], 'inform')), true);
    assert.equal(w.finished, true);
  });

  it('fipa-request: agree keeps waiting, inform ends; refuse ends at once', () => {
    const w = new ConversationWatch('operator', ['a', 'b'], 'fipa-request', 'request');
    w.observe(ev('a', ['operator'], 'agree'));
    assert.equal(w.finished, false);
    assert.deepEqual(w.pending().sort(), ['a', 'b']);
    w.observe(ev('b', ['operator'], 'refuse'));
    assert.deepEqual(w.pending(), ['a']);
    w.observe(ev('a', ['operator'], 'inform'));
    assert.equal(w.finished, true);
  });

  it("fipa-contract-net: proposals wait for the operator's accept/reject, then the result", () => {
    const w = new ConversationWatch('operator', ['s1', 's2'], 'fipa-contract-net', 'cfp');
    w.observe(ev('s1', ['operator'], 'propose'));
    w.observe(ev('s2', ['operator'], 'refuse'));
    assert.deepEqual(w.pending(), ['s1'], 'a proposal is not the end');
    assert.equal(w.observe(ev('operator', ['s1'], 'accept-proposal')), false, "the operator's own follow-up is not shown");
    w.observe(ev('s1', ['operator'], 'inform'));
    assert.equal(w.finished, true);
  });

  it('an act the protocol does not allow does not end a branch', () => {
    const w = new ConversationWatch('operator', ['a'], 'fipa-request', 'request');
    w.observe(ev('a', ['operator'], 'propose'));
    assert.equal(w.finished, false);
  });

  it('names the receivers by their local name', () => {
    const w = new ConversationWatch('operator@caxton', ['echo@caxton'], undefined, 'request');
    w.observe(ev('echo', ['operator'], 'inform'));
    assert.equal(w.finished, true);
  });
});

describe('withConversation', () => {
  it('gives a structured message a conversation id and keeps an existing one', () => {
    const fresh = withConversation({ structured: { performative: 'request', receivers: [{ name: 'echo' }] } }, () => 'abc');
    assert.equal(fresh.message.conversationId, 'cli-abc');
    assert.equal(('structured' in fresh.input ? fresh.input.structured : undefined)?.conversationId, 'cli-abc');
    const kept = withConversation({ structured: { performative: 'request', receivers: [{ name: 'echo' }], conversationId: 'mine' } });
    assert.equal(kept.message.conversationId, 'mine');
  });

  it("reads a raw message's conversation and refuses one without", () => {
    const raw = withConversation({
      fipa: '(request :receiver (set (agent-identifier :name echo)) :conversation-id c9 :protocol fipa-request)',
    });
    assert.equal(raw.message.conversationId, 'c9');
    assert.equal(raw.message.protocol, 'fipa-request');
    assert.throws(() => withConversation({ json: '{"performative":"request","receiver":[{"name":"echo"}]}' }), /has no conversation-id/);
  });
});
