/**
 * Property tests: arbitrary traffic never makes the engine throw or exceed its bounds, every
 * conversation ends or is bounded in time, and every sequence the machines allow is delivered.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { PERFORMATIVES, type AclMessage, type Performative } from '../../src/acl/message.js';
import { ProtocolViolation } from '../../src/protocols/errors.js';
import { PROTOCOL_MACHINES } from '../../src/protocols/machines/index.js';
import { PROTOCOL_NAMES } from '../../src/protocols/names.js';
import { allowedActs, type BranchState } from '../../src/protocols/step.js';
import { PLATFORM, agent, msg, newTracker } from './helpers.js';

const AGENTS = ['a@p', 'b@p', 'c@p', 'd@p'];
const LIMITS = { maxConversations: 3, maxConversationsPerInitiator: 2, maxEndedRetained: 2, idleTimeoutMs: 5_000, endedRetentionMs: 1_000 };

const arbitraryMessage = fc.record({
  performative: fc.constantFrom(...PERFORMATIVES),
  sender: fc.constantFrom(...AGENTS),
  receivers: fc.uniqueArray(fc.constantFrom(...AGENTS), { minLength: 1, maxLength: 3 }),
  protocol: fc.option(fc.constantFrom(...PROTOCOL_NAMES, 'FIPA-Contract-Net', 'fipa-auction-english'), { nil: undefined, freq: 4 }),
  conversationId: fc.option(fc.constantFrom('x', 'y', 'z'), { nil: undefined, freq: 4 }),
  replyWith: fc.option(fc.constantFrom('r1', 'r2', 'r3'), { nil: undefined }),
  inReplyTo: fc.option(fc.constantFrom('r1', 'r2', 'r3'), { nil: undefined }),
  replyBy: fc.option(fc.integer({ min: -100, max: 2_000 }), { nil: undefined }),
  replyTo: fc.option(fc.constantFrom('d@p'), { nil: undefined, freq: 8 }),
  /** Answer the previous message (swap sender and receiver, keep its correlation) instead. */
  answersPrevious: fc.boolean(),
});

type MessageSpec = typeof arbitraryMessage extends fc.Arbitrary<infer T> ? T : never;

type Op = { kind: 'observe'; advance: number; message: MessageSpec } | { kind: 'expire'; advance: number };

const arbitraryOp: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({ kind: fc.constant('observe' as const), advance: fc.integer({ min: 0, max: 300 }), message: arbitraryMessage }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('expire' as const), advance: fc.integer({ min: 0, max: 1_500 }) }) },
);

function toAcl(m: MessageSpec, now: number, previous: AclMessage | undefined): AclMessage {
  if (m.answersPrevious && previous?.sender !== undefined) {
    const answer: AclMessage = { ...previous, performative: m.performative, sender: previous.receivers[0]!, receivers: [previous.sender] };
    delete answer.replyTo;
    delete answer.replyBy;
    if (previous.replyWith !== undefined) answer.inReplyTo = previous.replyWith;
    if (m.replyWith !== undefined) answer.replyWith = m.replyWith;
    return answer;
  }
  const message: AclMessage = { performative: m.performative, sender: agent(m.sender), receivers: m.receivers.map(agent) };
  if (m.protocol !== undefined) message.protocol = m.protocol;
  if (m.conversationId !== undefined) message.conversationId = m.conversationId;
  if (m.replyWith !== undefined) message.replyWith = m.replyWith;
  if (m.inReplyTo !== undefined) message.inReplyTo = m.inReplyTo;
  if (m.replyBy !== undefined) message.replyBy = now + m.replyBy;
  if (m.replyTo !== undefined) message.replyTo = [agent(m.replyTo)];
  return message;
}

function assertWellFormedInjected(message: AclMessage): void {
  assert.deepEqual(message.sender, PLATFORM);
  assert.ok(message.receivers.length > 0);
  assert.ok((message.content ?? '').length > 0);
}

describe('protocol engine properties', () => {
  it('random traffic never throws, stays within its bounds, and every conversation ends or is forgotten', () => {
    fc.assert(
      fc.property(fc.array(arbitraryOp, { maxLength: 120 }), (ops) => {
        const tracker = newTracker(LIMITS);
        let now = 1_000;
        let previous: AclMessage | undefined;
        for (const op of ops) {
          now += op.advance;
          if (op.kind === 'observe') {
            previous = toAcl(op.message, now, previous);
            const verdict = tracker.observe(previous, now);
            if (verdict.kind === 'reject') {
              assertWellFormedInjected(verdict.reply);
              assert.ok(verdict.error instanceof ProtocolViolation);
              assert.equal(verdict.reply.content, verdict.reason);
            }
          } else {
            for (const injected of tracker.expire(now)) assertWellFormedInjected(injected);
            const next = tracker.nextDeadline();
            assert.ok(next === undefined || next > now, 'nothing due is left behind by expire()');
          }
          const stats = tracker.stats();
          assert.ok(stats.active <= LIMITS.maxConversations);
          assert.ok(stats.ended <= LIMITS.maxEndedRetained);
        }
        // Past every reply-by, idle timeout and retention period, nothing is left. A reply-by handled
        // late (nothing called expire() in time) sends its notice now, which counts as activity: the
        // conversation is then abandoned at most one idle timeout later, and dropped after retention.
        now += 2_000 + LIMITS.idleTimeoutMs;
        tracker.expire(now);
        tracker.expire(now + LIMITS.idleTimeoutMs);
        tracker.expire(now + LIMITS.idleTimeoutMs + LIMITS.endedRetentionMs);
        assert.deepEqual(tracker.stats(), { active: 0, ended: 0, pendingNotices: 0 });
        assert.equal(tracker.nextDeadline(), undefined);
      }),
      { numRuns: 300 },
    );
  });

  it('a reply-by handled late restarts the idle clock from its notice, and the conversation still ends', () => {
    // The counterexample fast-check found (seed 1418920609): a query-if to two agents, one agrees,
    // the other never answers and nobody calls expire() until long after the reply-by.
    const tracker = newTracker(LIMITS);
    const now = 1_000;
    const query: AclMessage = {
      performative: 'query-if',
      sender: agent('c@p'),
      receivers: [agent('a@p'), agent('d@p')],
      protocol: 'fipa-query',
      conversationId: 'x',
      replyBy: now + 1,
    };
    assert.equal(tracker.observe(query, now).kind, 'deliver');
    assert.equal(
      tracker.observe({ ...query, performative: 'agree', sender: agent('a@p'), receivers: [agent('c@p')], replyBy: undefined }, now).kind,
      'deliver',
    );
    const late = now + 7_000;
    const notices = tracker.expire(late);
    assert.equal(notices.length, 1, 'd@p timed out: one failure to the initiator');
    assert.equal(tracker.nextDeadline(), late + LIMITS.idleTimeoutMs, 'idle from the notice, not from the missed deadline');
    tracker.expire(late + LIMITS.idleTimeoutMs);
    tracker.expire(late + LIMITS.idleTimeoutMs + LIMITS.endedRetentionMs);
    assert.deepEqual(tracker.stats(), { active: 0, ended: 0, pendingNotices: 0 });
  });

  it('every sequence a protocol allows is delivered, and driving it to its end ends the conversation', () => {
    const walk = fc.record({
      protocol: fc.constantFrom(...PROTOCOL_NAMES),
      participants: fc.integer({ min: 1, max: 4 }),
      choices: fc.array(fc.tuple(fc.nat(), fc.nat()), { maxLength: 40 }),
    });
    fc.assert(
      fc.property(walk, ({ protocol, participants, choices }) => {
        const machine = PROTOCOL_MACHINES[protocol];
        const tracker = newTracker({ idleTimeoutMs: Infinity });
        const names = Array.from({ length: participants }, (_, i) => `p${i}@p`);
        const base = { protocol, conversationId: 'walk' };
        const opener = [...machine.openers][0]!;
        let now = 0;
        const send = (message: AclMessage): boolean => {
          const verdict = tracker.observe(message, ++now);
          assert.equal(verdict.kind, 'deliver', verdict.kind === 'reject' ? verdict.reason : '');
          return verdict.kind === 'deliver' && verdict.conversation?.ended === true;
        };
        const stateOf = (name: string): BranchState => {
          const view = tracker.inspect('init@p', 'walk')!.participants.find((p) => p.name === name)!;
          return view.resume === undefined ? { phase: view.phase } : { phase: view.phase, resume: view.resume };
        };
        const act = (role: 'initiator' | 'participant', performative: Performative, name: string): boolean =>
          send(role === 'initiator' ? msg(performative, 'init@p', name, base) : msg(performative, name, 'init@p', base));

        let ended = send(msg(opener, 'init@p', names, base));
        for (const [who, pick] of choices) {
          if (ended) break;
          const name = names[who % names.length]!;
          const state = stateOf(name);
          const options = [
            ...allowedActs(machine, state, 'initiator').map((a) => ['initiator', a] as const),
            ...allowedActs(machine, state, 'participant').map((a) => ['participant', a] as const),
          ];
          const [role, performative] = options[pick % options.length]!;
          ended = act(role, performative, name);
        }
        // Drive every open branch to an end through the cancel meta-protocol.
        for (const name of names) {
          if (ended) break;
          const state = stateOf(name);
          if (machine.phases.get(state.phase)?.final === true) continue;
          if (state.phase !== 'cancelling') ended = act('initiator', 'cancel', name);
          if (!ended) ended = act('participant', 'inform', name);
        }
        assert.ok(ended, 'the conversation ended');
        assert.equal(tracker.stats().active, 0);
      }),
      { numRuns: 300 },
    );
  });
});
