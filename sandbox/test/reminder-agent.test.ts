/**
 * examples/as-reminder, run for real in the sandbox: a request `<delay-ms> <text>` is agreed at once
 * and sets one timer whose token carries everything the reminder needs, so firing that token on a
 * fresh instance (a new ShardPool, nothing in memory) sends the inform that closes the
 * fipa-request. Skipped, saying so, when the example is not built (scripts/build-examples.mjs).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Sandbox } from '../src/sandbox.js';
import { ShardPool } from '../src/shard/shard-pool.js';
import type { WorkResult } from '../src/results.js';
import { TEST_ENGINE_CACHE, example } from './fixtures/build.js';
import { testSandbox, timer, work } from './helpers.js';

const ARTIFACT = 'as-reminder/build/as-reminder.wasm';
const NAME = 'reminder@test';
const limits = { fuelPerMessage: 20_000_000, memoryPages: 128 };
const bytes = example(ARTIFACT);
const skip = bytes ? false : `examples/${ARTIFACT} is not built (run scripts/build-examples.mjs as-reminder)`;

let sandbox: Sandbox;
const pools: ShardPool[] = [];

before(async () => {
  if (!bytes) return;
  sandbox = testSandbox();
  await sandbox.deploy({ name: NAME, artifact: bytes, limits });
});

after(async () => {
  for (const p of pools) await p.close();
});

/** A new pool with a newly deployed instance: whatever the sandbox instance holds is not there. */
async function freshPool(): Promise<ShardPool> {
  const pool = new ShardPool({ shards: 1, engine: { cacheDir: TEST_ENGINE_CACHE } });
  pools.push(pool);
  await pool.deploy({ name: NAME, artifact: bytes!, limits });
  return pool;
}

const request = (content: string, extra = {}) => work(NAME, content, { protocol: 'fipa-request', ...extra });
const infoLines = (r: WorkResult) => r.logs.filter((l) => l.level === 'info').map((l) => l.message);

describe('as-reminder example', { skip }, () => {
  it('agrees to a request at once and sets exactly one timer with the given delay', () => {
    const r = sandbox.run(request('1500 water the plants'));
    assert.equal(r.status, 'ok');
    assert.equal(r.outbox.length, 1);
    const [agree] = r.outbox;
    assert.equal(agree!.performative, 'agree');
    assert.deepEqual(
      agree!.receivers.map((a) => a.name),
      ['tester@test'],
    );
    assert.equal(agree!.conversationId, 'conv-1');
    assert.equal(agree!.inReplyTo, 'rw-1');
    assert.equal(agree!.protocol, 'fipa-request');
    assert.equal(r.timers.length, 1);
    assert.equal(r.timers[0]!.delayMs, 1500);
    assert.equal(r.timers[0]!.token, 'reminder/1\ntester@test\nconv-1\nrw-1\nfipa-request\nwater the plants');
    assert.deepEqual(infoLines(r), ['reminder set for tester@test in 1500 ms: water the plants']);
  });

  it('fires the token on a fresh instance in a new pool: inform to the requester, same conversation, in-reply-to the request', async () => {
    const set = sandbox.run(request('1500 water the plants', { conversationId: 'conv-plants', replyWith: 'rw-plants' }));
    const token = set.timers[0]!.token;
    const pool = await freshPool();
    assert.equal((await pool.metrics(NAME))[0]!.completed, 0, 'the new instance has handled nothing: it never saw the request');
    const fired = await pool.fireTimer(NAME, token);
    assert.equal(fired.status, 'ok');
    assert.equal(fired.timers.length, 0);
    assert.equal(fired.outbox.length, 1);
    const [inform] = fired.outbox;
    assert.equal(inform!.performative, 'inform');
    assert.deepEqual(
      inform!.receivers.map((a) => a.name),
      ['tester@test'],
    );
    assert.equal(inform!.content, 'reminder: water the plants');
    assert.equal(inform!.conversationId, 'conv-plants');
    assert.equal(inform!.inReplyTo, 'rw-plants');
    assert.equal(inform!.protocol, 'fipa-request');
    assert.deepEqual(infoLines(fired), ['reminder fired for tester@test: water the plants']);
  });

  it('keeps newlines and backslashes in the conversation parameters and the text through the token; answers reply-to', async () => {
    const set = sandbox.run(
      request('10 line one\nline \\two', {
        conversationId: 'conv\nwith\\odd',
        replyWith: 'rw\\n',
        replyTo: [{ name: 'inbox@test' }],
      }),
    );
    assert.equal(set.outbox[0]!.performative, 'agree');
    assert.deepEqual(
      set.outbox[0]!.receivers.map((a) => a.name),
      ['inbox@test'],
    );
    assert.equal(set.timers[0]!.delayMs, 10);
    const pool = await freshPool();
    const fired = await pool.fireTimer(NAME, set.timers[0]!.token);
    const [inform] = fired.outbox;
    assert.deepEqual(
      inform!.receivers.map((a) => a.name),
      ['inbox@test'],
    );
    assert.equal(inform!.content, 'reminder: line one\nline \\two');
    assert.equal(inform!.conversationId, 'conv\nwith\\odd');
    assert.equal(inform!.inReplyTo, 'rw\\n');
  });

  it('refuses malformed content with a reason giving the expected format, and sets no timer', () => {
    for (const content of [
      'water the plants',
      '-5 water the plants',
      '1.5 water',
      '86400001 too late',
      '99999999999999999999999 overflow',
      '1500',
      '',
    ]) {
      const r = sandbox.run(request(content));
      assert.equal(r.status, 'ok', content);
      assert.deepEqual(
        r.outbox.map((m) => m.performative),
        ['refuse'],
        content,
      );
      assert.match(r.outbox[0]!.content ?? '', /expected "<delay-ms> <text>"/, content);
      assert.equal(r.outbox[0]!.inReplyTo, 'rw-1', content);
      assert.equal(r.timers.length, 0, content);
    }
    const long = sandbox.run(request(`10 ${'x'.repeat(1100)}`));
    assert.deepEqual(
      long.outbox.map((m) => m.performative),
      ['refuse'],
      'a token over the host limit is refused, not dropped',
    );
    assert.match(long.outbox[0]!.content ?? '', /too long/);
    assert.equal(long.timers.length, 0);
    const day = sandbox.run(request('86400000 tomorrow'));
    assert.deepEqual(
      day.outbox.map((m) => m.performative),
      ['agree'],
      '24 h exactly is accepted',
    );
  });

  it('answers other performatives with not-understood, and never a not-understood', () => {
    const r = sandbox.run(work(NAME, '1500 water the plants', { performative: 'inform' }));
    assert.deepEqual(
      r.outbox.map((m) => m.performative),
      ['not-understood'],
    );
    assert.equal(r.timers.length, 0);
    assert.deepEqual(sandbox.run(work(NAME, 'huh', { performative: 'not-understood' })).outbox, []);
  });

  it('ignores a timer token it did not make, with a warning', () => {
    const r = sandbox.run(timer(NAME, 'wake up'));
    assert.equal(r.status, 'ok');
    assert.deepEqual(r.outbox, []);
    assert.ok(r.logs.some((l) => l.level === 'warn' && /not a reminder\/1 token/.test(l.message)));
  });
});
