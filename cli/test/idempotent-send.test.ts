/**
 * `caxton send --idempotency-key` (decision 1700) as a separate process against a real node (its
 * embedded log, the WASM counter agent, token auth found through --data-dir): running the same
 * command twice prints the same message id and the counter handles it once; the key reused for
 * another message exits 6 (ALREADY_EXISTS) naming the key; a bad key is a usage error (2) before
 * any call. Plus the pure part: the flag → the client's send options.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { CaxtonClient, startNode, type RunningNode } from '@caxton/runtime';
import { sendOptions } from '../src/commands/send.js';
import { withConversation } from '../src/send/wait.js';
import { UsageError } from '../src/cli-error.js';
import { caxton } from './support/run-cli.js';

const counterWasm = fileURLToPath(new URL('../../../examples/as-counter/build/as-counter.wasm', import.meta.url));

describe('send options', () => {
  it('passes a valid key, refuses an empty, over-long or control-character key with the rule as hint', () => {
    assert.deepEqual(sendOptions({}), {});
    assert.deepEqual(sendOptions({ idempotencyKey: 'order-1' }), { idempotencyKey: 'order-1' });
    for (const [key, why] of [
      ['', /is empty/],
      ['k'.repeat(129), /129 bytes/],
      ['a\tb', /U\+0009/],
    ] as const) {
      assert.throws(
        () => sendOptions({ idempotencyKey: key }),
        (e: unknown) => e instanceof UsageError && why.test(e.message) && /128 bytes/.test(e.hint ?? ''),
      );
    }
  });

  it('--wait gives a message without conversation id one derived from the key, so a re-run is the same message', () => {
    const input = { structured: { performative: 'request' as const, receivers: [{ name: 'counter' }], content: 'increment' } };
    const fromKey = (): string => 'fixed';
    assert.equal(withConversation(input, fromKey).message.conversationId, 'cli-fixed');
  });
});

describe('caxton send --idempotency-key against a real node', () => {
  let dir: string;
  let node: RunningNode;
  let client: CaxtonClient;
  let args: string[];
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'caxton-cli-idem-'));
    const dataDir = path.join(dir, 'node');
    node = await startNode({ dataDir, apiHost: '127.0.0.1', apiPort: 0, auth: { mode: 'token' }, shards: 1 });
    const address = `127.0.0.1:${node.apiPort}`;
    client = await CaxtonClient.connect({ address, token: (await readFile(path.join(dataDir, 'auth-token'), 'utf8')).trim() });
    await client.deploy({ name: 'counter' }, new Uint8Array(await readFile(counterWasm)));
    args = ['--addr', address, '--data-dir', dataDir];
  });
  after(async () => {
    client.close();
    await node.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('the same command twice: the same id (in --json too), handled once', async () => {
    const first = await caxton(['send', 'counter', 'request', 'increment', '--idempotency-key', 'cli-1', ...args]);
    assert.equal(first.code, 0, first.stderr);
    const id = first.stdout.trim();
    assert.match(id, /^i-[0-9a-f]{32}$/);
    const again = await caxton(['send', 'counter', 'request', 'increment', '--idempotency-key', 'cli-1', '--json', ...args]);
    assert.equal(again.code, 0, again.stderr);
    const json = JSON.parse(again.stdout) as { messageId: string; accepted: string[] };
    assert.equal(json.messageId, id);
    assert.deepEqual(json.accepted, ['counter']);
    // A barrier without a key: once it is handled, a duplicate queued before it would have been too.
    const barrier = await caxton(['send', 'counter', 'request', 'increment', ...args]);
    assert.equal(barrier.code, 0, barrier.stderr);
    const until = Date.now() + 15_000;
    while ((await client.getAgent('counter')).messagesHandled < 2 && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 200));
    assert.equal((await client.getAgent('counter')).messagesHandled, 2);
  });

  it('the key reused for another message: exit 6, naming the key, with a hint', async () => {
    const first = await caxton(['send', 'counter', 'request', 'increment', '--idempotency-key', 'cli-2', ...args]);
    assert.equal(first.code, 0, first.stderr);
    const other = await caxton(['send', 'counter', 'request', 'add 5', '--idempotency-key', 'cli-2', ...args]);
    assert.equal(other.code, 6, other.stderr);
    assert.match(other.stderr, /idempotency key "cli-2" was already used for a different message/);
    assert.match(other.stderr, /hint: .*new key/);
  });

  it('a bad key: exit 2 before any call', async () => {
    const r = await caxton(['send', 'counter', 'request', 'increment', '--idempotency-key', 'k'.repeat(200), ...args]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--idempotency-key is 200 bytes of UTF-8; at most 128/);
  });
});
