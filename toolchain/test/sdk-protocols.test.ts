/**
 * The protocol helpers of both SDKs, through twin test agents that must behave identically:
 * fipa-subscribe (both roles), request/query initiation, and the contract-net initiator's round
 * bookkeeping (early close, deadline, late proposals, no bids, award).
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { buildAgent } from '../src/index.js';
import { asProtocolsDir, jsProtocolsDir } from './fixtures.js';
import { blankMessage, loadAgent, TestHost, type AgentFactory, type Guest, type WitMessage } from './harness.js';

const SELF = { name: 'p@test', addresses: [] };
const from = (name: string) => ({ name, addresses: [] });

for (const [lang, dir] of [
  ['AssemblyScript', asProtocolsDir],
  ['JavaScript', jsProtocolsDir],
] as const)
  describe(`protocol helpers (${lang})`, () => {
    let factory: AgentFactory;
    async function started(): Promise<{ host: TestHost; guest: Guest }> {
      const host = new TestHost();
      const guest = await factory.instantiate(host);
      guest.init({ self: SELF, config: [] });
      return { host, guest };
    }
    before(async () => {
      factory = await loadAgent((await buildAgent(dir, { reuse: true })).artifactPath);
    });

    it('fipa-subscribe participant: agree, notify each subscriber in its conversation, cancel', async () => {
      const { host, guest } = await started();
      const sub = (who: string, conv: string) =>
        blankMessage('subscribe', {
          sender: from(who),
          content: 'news',
          conversationId: conv,
          replyWith: `${conv}-rw`,
          protocol: 'fipa-subscribe',
        });
      guest.handle(sub('a@t', 'c-a'));
      guest.handle(sub('b@t', 'c-b'));
      assert.deepEqual(
        host.sent.map((m) => [m.performative, m.receivers[0]?.name, m.conversationId, m.inReplyTo]),
        [
          ['agree', 'a@t', 'c-a', 'c-a-rw'],
          ['agree', 'b@t', 'c-b', 'c-b-rw'],
        ],
      );
      guest.handle(blankMessage('inform', { ontology: 'news', content: 'headline', sender: from('feed@t') }));
      const notes = host.sent.slice(2).map((m) => [m.performative, m.receivers[0]?.name, m.conversationId, m.content]);
      assert.deepEqual(notes.sort(), [
        ['inform', 'a@t', 'c-a', 'headline'],
        ['inform', 'b@t', 'c-b', 'headline'],
      ]);
      assert.equal(host.logs.at(-1)?.message, 'notified 2');

      // Only the subscriber may cancel its subscription.
      guest.handle(blankMessage('cancel', { sender: from('mallory@t'), conversationId: 'c-a' }));
      assert.deepEqual([host.sent.at(-1)?.performative, host.sent.at(-1)?.content], ['failure', 'no such subscription']);
      guest.handle(blankMessage('cancel', { sender: from('a@t'), conversationId: 'c-a' }));
      assert.deepEqual([host.sent.at(-1)?.performative, host.sent.at(-1)?.receivers[0]?.name], ['inform', 'a@t']);
      guest.handle(blankMessage('inform', { ontology: 'news', content: 'second', sender: from('feed@t') }));
      assert.deepEqual([host.sent.at(-1)?.receivers[0]?.name, host.sent.at(-1)?.content], ['b@t', 'second']);
      assert.equal(host.logs.at(-1)?.message, 'notified 1');
    });

    it('opens request, query-ref, query-if and subscribe conversations with fresh ids, and cancels', async () => {
      const { host, guest } = await started();
      guest.handle(blankMessage('request', { content: 'ask other@t', sender: from('boss@t') }));
      const opened = host.sent.map((m) => [m.performative, m.protocol, m.receivers[0]?.name, m.content]);
      assert.deepEqual(opened, [
        ['request', 'fipa-request', 'other@t', 'do it'],
        ['query-ref', 'fipa-query', 'other@t', '(iota ?x (p ?x))'],
        ['query-if', 'fipa-query', 'other@t', '(p a)'],
      ]);
      const ids = host.sent.flatMap((m) => [m.conversationId, m.replyWith]);
      assert.equal(new Set(ids).size, 6, 'every conversation-id and reply-with is fresh');
      guest.handle(blankMessage('request', { content: 'follow feed@t', sender: from('boss@t') }));
      const subscribe = host.sent.at(-1) as WitMessage;
      assert.deepEqual(
        [subscribe.performative, subscribe.protocol, subscribe.receivers[0]?.name],
        ['subscribe', 'fipa-subscribe', 'feed@t'],
      );
      guest.handle(blankMessage('request', { content: 'unfollow', sender: from('boss@t') }));
      const cancel = host.sent.at(-1) as WitMessage;
      assert.deepEqual(
        [cancel.performative, cancel.conversationId, cancel.receivers[0]?.name],
        ['cancel', subscribe.conversationId, 'feed@t'],
      );
    });

    it('contract net: closes early when all answered, awards the lowest price, logs the result', async () => {
      const { host, guest } = await started();
      host.directory.set('svc', [from('c1@t'), from('c2@t'), from('c3@t')]);
      guest.handle(blankMessage('request', { content: 'tender svc', sender: from('boss@t') }));
      const cfp = host.sent[0] as WitMessage;
      assert.deepEqual(
        [cfp.performative, cfp.protocol, cfp.receivers.length, cfp.replyBy],
        ['cfp', 'fipa-contract-net', 3, host.clock + 100n],
      );
      assert.deepEqual(
        host.timers.map((t) => t.delayMs),
        [100],
      );
      const answer = (perf: string, who: string, content: string) =>
        guest.handle(
          blankMessage(perf, {
            sender: from(who),
            conversationId: cfp.conversationId,
            inReplyTo: cfp.replyWith,
            content,
            protocol: 'fipa-contract-net',
          }),
        );
      answer('propose', 'c1@t', '30');
      answer('refuse', 'c2@t', 'busy');
      assert.equal(host.sent.length, 1, 'nothing decided before everyone answered');
      // A stranger cannot take part in the round.
      answer('propose', 'stranger@t', '1');
      answer('propose', 'c3@t', '12.5');
      const verdicts = host.sent.slice(1).map((m) => [m.performative, m.receivers[0]?.name]);
      assert.deepEqual(verdicts.sort(), [
        ['accept-proposal', 'c3@t'],
        ['reject-proposal', 'c1@t'],
      ]);
      answer('inform', 'c3@t', 'done by c3');
      assert.equal(host.logs.at(-1)?.message, 'result: done by c3');
      // The deadline timer firing later changes nothing.
      guest.onTimer(host.timers[0]?.token ?? '');
      assert.equal(host.sent.length, 3);
    });

    it('contract net: the deadline closes the round; a late proposal is rejected; no bids is reported', async () => {
      const { host, guest } = await started();
      host.directory.set('svc', [from('c1@t'), from('c2@t')]);
      guest.handle(blankMessage('request', { content: 'tender svc', sender: from('boss@t') }));
      const cfp = host.sent[0] as WitMessage;
      const answer = (perf: string, who: string, content: string) =>
        guest.handle(blankMessage(perf, { sender: from(who), conversationId: cfp.conversationId, content }));
      answer('propose', 'c1@t', '40');
      guest.onTimer(host.timers[0]?.token ?? '');
      assert.deepEqual([host.sent[1]?.performative, host.sent[1]?.receivers[0]?.name], ['accept-proposal', 'c1@t']);
      answer('propose', 'c2@t', '5');
      assert.deepEqual(
        [host.sent[2]?.performative, host.sent[2]?.receivers[0]?.name, host.sent[2]?.content],
        ['reject-proposal', 'c2@t', 'too late'],
      );

      const second = await started();
      second.host.directory.set('svc', [from('c1@t')]);
      second.guest.handle(blankMessage('request', { content: 'tender svc', sender: from('boss@t') }));
      second.guest.onTimer(second.host.timers[0]?.token ?? '');
      assert.equal(second.host.logs.at(-1)?.message, 'no bids for job');
      const none = await started();
      none.guest.handle(blankMessage('request', { content: 'tender nothing', sender: from('boss@t') }));
      assert.deepEqual([none.host.sent.length, none.host.timers.length], [0, 0]);
      assert.equal(none.host.logs.at(-1)?.message, undefined);
    });
  });
