/**
 * The comparison of a replayed handling with its record (issue 57), pure: what counts as the same
 * send (the bus's stamps left out, bare names qualified), the fast path agreeing with the full
 * forms, and what is reported for sends, own state, timers and HTTP requests.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { httpPendingStateKey, timerSetStateKey, type AclMessage } from '@caxton/core';
import { comparableSend, differences, sameSend } from '../../src/replay/compare.js';

const recorded: AclMessage = {
  performative: 'inform',
  sender: { name: 'counter@p' },
  receivers: [{ name: 'ping@p' }],
  content: '7',
  conversationId: 'c1',
  replyTo: [],
  userParams: {},
};
const replayed: AclMessage = { performative: 'inform', receivers: [{ name: 'ping' }], content: '7', conversationId: 'c1' };

describe('replay comparison', () => {
  it('a send is the same without the sender the bus stamps, with bare names qualified and empty lists left out', () => {
    assert.equal(sameSend(recorded, replayed, 'p'), true);
    assert.deepEqual(comparableSend(recorded, 'p'), comparableSend(replayed, 'p'));
    const variants: Partial<AclMessage>[] = [
      { content: '8' },
      { receivers: [{ name: 'pong' }] },
      { receivers: [{ name: 'ping' }, { name: 'pong' }] },
      { performative: 'agree' },
      { conversationId: undefined },
      { inReplyTo: 'x' },
      { userParams: { k: 'v' } },
    ];
    for (const v of variants) {
      const other = { ...replayed, ...v } as AclMessage;
      const fast = sameSend(recorded, other, 'p');
      const full = JSON.stringify(comparableSend(recorded, 'p')) === JSON.stringify(comparableSend(other, 'p'));
      assert.equal(fast, full, JSON.stringify(v));
      assert.equal(fast, false, JSON.stringify(v));
    }
  });

  it('reports nothing when the replay did what was recorded, bookkeeping included', () => {
    const timer = { key: timerSetStateKey('t1'), value: JSON.stringify({ token: 'tick', delayMs: 5 }) };
    const http = { key: httpPendingStateKey('call-1'), value: JSON.stringify({ method: 'GET', url: 'https://a.example/', at: 1 }) };
    const diffs = differences(
      { sends: [recorded], sendIndexes: [1], state: [{ key: 'n', value: '7' }, timer, http], timersRecorded: true },
      {
        completed: true,
        outcome: 'ok',
        // Index 0 went to an API caller: the log holds no copy, so it is not compared.
        outbox: [{ performative: 'inform', receivers: [{ name: 'operator' }], content: 'x' }, replayed],
        stateWrites: [
          { key: 'n', value: '7' },
          { key: httpPendingStateKey('call-1'), value: '{}' },
        ],
        timers: [{ token: 'tick', delayMs: 5 }],
        http: [{ id: 'call-1', request: { method: 'GET', url: 'https://a.example/', headers: [] } }],
      },
      'p',
    );
    assert.deepEqual(diffs, []);
  });

  it('reports each way a replay differs, with both sides', () => {
    const diffs = differences(
      { sends: [recorded], sendIndexes: [0], state: [{ key: 'n', value: '7' }], timersRecorded: true },
      { completed: false, outcome: 'crashed (trap): boom', outbox: [], stateWrites: [], timers: [{ token: 't', delayMs: 1 }], http: [] },
      'p',
    );
    assert.deepEqual(
      diffs.map((d) => d.what),
      ['outcome', 'sends', 'state', 'timers'],
    );
    assert.deepEqual(diffs[1]!.replayed, [null], 'the recorded send the replay lacks');
    assert.deepEqual(diffs[2], { what: 'state', recorded: { n: '7' }, replayed: {} });
  });

  it('a replayed send to an agent of the node at an index the log holds nothing for is one the recorded version did not make', () => {
    const isLocal = (name: string): boolean => name === 'ping' || name === 'ping@p';
    const base = { sends: [], sendIndexes: [], state: [], timersRecorded: false, isLocal };
    const run = (outbox: AclMessage[]) =>
      differences(base, { completed: true, outcome: 'ok', outbox, stateWrites: [], timers: [], http: [] }, 'p');
    assert.deepEqual(
      run([{ performative: 'inform', receivers: [{ name: 'operator' }], content: 'x' }]),
      [],
      'an API caller: not in the log',
    );
    const extra = run([replayed]);
    assert.deepEqual(
      extra.map((d) => d.what),
      ['sends'],
    );
    assert.deepEqual(extra[0]!.recorded, []);
    assert.equal((extra[0]!.replayed as unknown[]).length, 1);
  });
});
