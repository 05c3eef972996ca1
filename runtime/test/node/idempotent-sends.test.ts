/**
 * The node's record of idempotency keys (decision 1700), on its own with an injected clock: the
 * derived id (per caller, per key, per message; stable), a repeat answered from the record without
 * a second send, a concurrent repeat sharing the first attempt, a failed attempt forgotten (the
 * retry sends again, same id), the key reused for another message refused, and both bounds.
 * The API tests (test/api/idempotent-send.test.ts) cover the same over gRPC on a real node.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { IdempotencyKeyReusedError, parseIdempotencyKey, type AclMessage, type IdempotencyKey, type SendResult } from '@caxton/core';
import { IdempotentSends, requestDigest } from '../../src/node/idempotent-sends.js';
import { idempotentMessageId } from '../../src/bus/ids.js';

const key = (k: string): IdempotencyKey => parseIdempotencyKey(k)!;
const msg = (content: string, extra: Partial<AclMessage> = {}): AclMessage => ({
  performative: 'request',
  receivers: [{ name: 'counter' }],
  content,
  ...extra,
});

/** A send that records the ids it was given and answers like the bus. */
function recorder(): { ids: string[]; send: (id: string) => Promise<SendResult> } {
  const ids: string[] = [];
  return {
    ids,
    send: async (id) => {
      ids.push(id);
      return { messageId: id, accepted: ['counter'], refused: [] };
    },
  };
}

describe('idempotentMessageId', () => {
  const d = requestDigest(msg('increment'));
  it('is stable (the same inputs give the same id, forever: ids are compared across restarts)', () => {
    assert.equal(idempotentMessageId('c1', 'k', d), idempotentMessageId('c1', 'k', d));
    // Pinned: a change of the derivation would let a retry across an upgrade through the log's dedup.
    assert.equal(idempotentMessageId('c1', 'k', 'd'), 'i-eb080459758fc1c3000262536ff2b817');
    assert.match(idempotentMessageId('c1', 'k', d), /^i-[0-9a-f]{32}$/);
  });
  it('differs by caller, by key and by message', () => {
    const ids = new Set([
      idempotentMessageId('c1', 'k', d),
      idempotentMessageId('c2', 'k', d),
      idempotentMessageId('c1', 'k2', d),
      idempotentMessageId('c1', 'k', requestDigest(msg('add 2'))),
      // The separator keeps (caller, key) pairs apart that concatenate to the same text.
      idempotentMessageId('c1k', '', d),
      idempotentMessageId('c', '1k', d),
    ]);
    assert.equal(ids.size, 6);
  });
});

describe('requestDigest', () => {
  it('ignores key order and trace context, not content', () => {
    const a = msg('x', { userParams: { 'X-a': '1', 'X-b': '2' } });
    const b = {
      content: 'x',
      receivers: [{ name: 'counter' }],
      performative: 'request',
      userParams: { 'X-b': '2', 'X-a': '1', 'X-traceparent': `00-${'1'.repeat(32)}-${'2'.repeat(16)}-01` },
    } as AclMessage;
    assert.equal(requestDigest(a), requestDigest(b));
    assert.equal(requestDigest(msg('x')), requestDigest(msg('x', { userParams: { 'X-tracestate': 'a=b' } })), 'only trace params = none');
    assert.notEqual(requestDigest(msg('x')), requestDigest(msg('y')));
    assert.notEqual(requestDigest(msg('x')), requestDigest(msg('x', { receivers: [{ name: 'counter' }, { name: 'echo' }] })));
    assert.notEqual(requestDigest(msg('x')), requestDigest(msg('x', { performative: 'inform' })));
  });
});

describe('IdempotentSends', () => {
  it('sends once per (caller, key); a repeat gets the first result without a second send', async () => {
    const sends = new IdempotentSends();
    const r = recorder();
    const first = await sends.run('c1', key('k1'), msg('increment'), r.send);
    const again = await sends.run('c1', key('k1'), msg('increment'), r.send);
    assert.deepEqual(again, first);
    assert.equal(r.ids.length, 1);
    assert.equal(first.messageId, idempotentMessageId('c1', 'k1', requestDigest(msg('increment'))));
  });

  it('another caller with the same key is another message', async () => {
    const sends = new IdempotentSends();
    const r = recorder();
    const a = await sends.run('c1', key('k1'), msg('increment'), r.send);
    const b = await sends.run('c2', key('k1'), msg('increment'), r.send);
    assert.notEqual(a.messageId, b.messageId);
    assert.equal(r.ids.length, 2);
  });

  it('refuses the key reused for a different message, naming the first message', async () => {
    const sends = new IdempotentSends();
    const r = recorder();
    const first = await sends.run('c1', key('k1'), msg('increment'), r.send);
    await assert.rejects(sends.run('c1', key('k1'), msg('add 5'), r.send), (err: unknown) => {
      assert.ok(err instanceof IdempotencyKeyReusedError);
      assert.equal(err.context.messageId, first.messageId);
      assert.equal(err.context.idempotencyKey, 'k1');
      return true;
    });
    assert.equal(r.ids.length, 1);
  });

  it('a repeat while the first is in flight waits for it instead of sending again', async () => {
    const sends = new IdempotentSends();
    let release: (r: SendResult) => void = () => undefined;
    let calls = 0;
    const slow = (id: string): Promise<SendResult> => {
      calls += 1;
      return new Promise((resolve) => (release = () => resolve({ messageId: id, accepted: ['counter'], refused: [] })));
    };
    const a = sends.run('c1', key('k1'), msg('increment'), slow);
    const b = sends.run('c1', key('k1'), msg('increment'), slow);
    release({ messageId: '', accepted: [], refused: [] });
    assert.deepEqual(await a, await b);
    assert.equal(calls, 1);
  });

  it('a failed attempt is forgotten: the retry sends again, with the same id', async () => {
    const sends = new IdempotentSends();
    const ids: string[] = [];
    const failing = async (id: string): Promise<SendResult> => {
      ids.push(id);
      throw new Error('append timed out');
    };
    await assert.rejects(sends.run('c1', key('k1'), msg('increment'), failing), /timed out/);
    assert.equal(sends.size, 0);
    const r = recorder();
    await sends.run('c1', key('k1'), msg('increment'), r.send);
    assert.deepEqual(r.ids, ids, 'the same derived id both times: the log drops the append if the first did land');
  });

  it('forgets a key after the window: the same message is sent again (same id), another one is accepted', async () => {
    let now = 1_000;
    const sends = new IdempotentSends({ windowMs: 60_000, now: () => now });
    const r = recorder();
    await sends.run('c1', key('k1'), msg('increment'), r.send);
    now += 59_999;
    await sends.run('c1', key('k1'), msg('increment'), r.send);
    assert.equal(r.ids.length, 1, 'still inside the window');
    now += 1;
    await sends.run('c1', key('k1'), msg('add 2'), r.send);
    assert.equal(r.ids.length, 2, 'after the window the key is free');
    assert.notEqual(r.ids[0], r.ids[1]);
  });

  it('refuses bounds that are not positive integers', () => {
    assert.throws(() => new IdempotentSends({ windowMs: 0 }), /idempotency\.windowMs: must be a positive integer/);
    assert.throws(() => new IdempotentSends({ maxKeys: 1.5 }), /idempotency\.maxKeys: must be a positive integer/);
  });

  it('keeps at most maxKeys: the oldest key goes first', async () => {
    const sends = new IdempotentSends({ maxKeys: 3 });
    const r = recorder();
    for (const k of ['a', 'b', 'c', 'd']) await sends.run('c1', key(k), msg('increment'), r.send);
    assert.equal(sends.size, 3);
    await sends.run('c1', key('d'), msg('increment'), r.send);
    assert.equal(r.ids.length, 4, 'd is remembered');
    await sends.run('c1', key('a'), msg('add 1'), r.send);
    assert.equal(r.ids.length, 5, 'a was evicted: a different message with it is not refused');
  });

  it('keeps at most maxBytes of entries, results included: large results shorten the window, never grow the heap', async () => {
    const sends = new IdempotentSends({ maxBytes: 64 * 1024 });
    // Each send names 60 made-up receivers of 1 KiB: its result keeps about 62 KiB of refusals, so
    // two do not fit in 64 KiB and each new key pushes the one before out.
    const refusing = async (id: string): Promise<SendResult> => ({
      messageId: id,
      accepted: [],
      refused: Array.from({ length: 60 }, (_, i) => ({ receiver: `${'x'.repeat(1000)}${i}`, reason: 'unknown-receiver' })),
    });
    const ids: string[] = [];
    const counted = async (id: string): Promise<SendResult> => {
      ids.push(id);
      return refusing(id);
    };
    for (const k of ['a', 'b', 'c']) await sends.run('c1', key(k), msg('hello'), counted);
    await new Promise((r) => setImmediate(r)); // the last result's size is counted once it settled
    assert.ok(sends.heldBytes <= 64 * 1024, `${sends.heldBytes} bytes held`);
    assert.equal(sends.size, 1, 'only the newest entry fits');
    await sends.run('c1', key('c'), msg('hello'), counted);
    assert.equal(ids.length, 3, 'c is remembered: answered from the record');
    await sends.run('c1', key('a'), msg('hello'), counted);
    assert.equal(ids.length, 4, 'a was evicted: sent again (same id, the log dedups it)');
    assert.equal(ids[3], ids[0]);
  });
});
