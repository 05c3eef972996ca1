/**
 * Idempotent sends (decision 1700) end to end: a real node (embedded log, a real WASM counter
 * agent) behind its real gRPC API with token auth, driven by the real client. The counter's
 * `messagesHandled` says how often a message was handled; a later message without the key serves
 * as a barrier (one mailbox is handled in order, so once the barrier is handled a duplicate
 * appended before it would have been handled too).
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { status } from '@grpc/grpc-js';
import type { AclMessage } from '@caxton/core';
import { startNode, type RunningNode } from '../../src/start/start-node.js';
import { CaxtonClient } from '@caxton/client';
import { ApiCallError } from '@caxton/client';
import { readTokenFile, tokenFilePath } from '../../src/api/auth.js';
import { eventually } from './support/harness.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');

/** An example agent as `node scripts/build-examples.mjs <name>` builds it. */
async function example(name: string): Promise<Uint8Array> {
  return new Uint8Array(await readFile(path.join(repoRoot, 'examples', name, 'build', `${name}.wasm`)));
}

const increment = (content = 'increment'): { structured: AclMessage } => ({
  structured: { performative: 'request', receivers: [{ name: 'counter' }], content },
});

interface Running {
  node: RunningNode;
  client: CaxtonClient;
  token: string;
  address: string;
}

async function start(dataDir: string): Promise<Running> {
  const node = await startNode({ dataDir, apiHost: '127.0.0.1', apiPort: 0, auth: { mode: 'token' }, shards: 1 });
  const address = `127.0.0.1:${node.apiPort}`;
  const token = await readTokenFile(tokenFilePath(dataDir));
  return { node, address, token, client: await CaxtonClient.connect({ address, token }) };
}

async function handled(client: CaxtonClient): Promise<number> {
  return (await client.getAgent('counter')).messagesHandled;
}

/** Sends a barrier (no key) and waits until it is handled; returns how many were handled then. */
async function settle(client: CaxtonClient, expected: number): Promise<number> {
  await client.send(increment());
  await eventually(async () => (await handled(client)) >= expected, `counter to handle ${expected} messages`, 15_000);
  // Anything still queued would be handled right after: give it a moment to show up.
  await new Promise((r) => setTimeout(r, 200));
  return handled(client);
}

describe('SendMessage with an idempotency key, on a real node', () => {
  let dir: string;
  let n: Running;
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'caxton-idem-'));
    n = await start(path.join(dir, 'node'));
    await n.client.deploy({ name: 'counter' }, await example('as-counter'));
  });
  after(async () => {
    n.client.close();
    await n.node.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('the same key twice: the same message id, accepted once, handled once', async () => {
    const before = await handled(n.client);
    const first = await n.client.send(increment(), { idempotencyKey: 'order-1' });
    const again = await n.client.send(increment(), { idempotencyKey: 'order-1' });
    assert.match(first.messageId, /^i-[0-9a-f]{32}$/);
    assert.deepEqual(again, first, 'the retry is answered with the first response');
    assert.deepEqual(first.accepted, ['counter']);
    assert.equal(await settle(n.client, before + 2), before + 2, 'the keyed message once, plus the barrier');
  });

  it('concurrent repeats of one key: one message', async () => {
    const before = await handled(n.client);
    const results = await Promise.all(Array.from({ length: 8 }, () => n.client.send(increment(), { idempotencyKey: 'burst' })));
    assert.equal(new Set(results.map((r) => r.messageId)).size, 1);
    assert.equal(await settle(n.client, before + 2), before + 2);
  });

  it('the same message in another form (JSON text) with the same key is the same send', async () => {
    const before = await handled(n.client);
    const structured = await n.client.send(increment('add 3'), { idempotencyKey: 'forms' });
    const json = await n.client.send(
      { json: JSON.stringify({ performative: 'request', receiver: [{ name: 'counter' }], content: 'add 3' }) },
      { idempotencyKey: 'forms' },
    );
    assert.equal(json.messageId, structured.messageId);
    assert.equal(await settle(n.client, before + 2), before + 2);
  });

  it('the same key for a different message: ALREADY_EXISTS naming the key, nothing sent', async () => {
    const first = await n.client.send(increment(), { idempotencyKey: 'order-2' });
    const before = await handled(n.client);
    for (const other of [
      increment('add 5'),
      { structured: { performative: 'query-ref', receivers: [{ name: 'counter' }], content: 'increment' } as AclMessage },
    ]) {
      const err = await n.client.send(other, { idempotencyKey: 'order-2' }).catch((e: unknown) => e);
      assert.ok(err instanceof ApiCallError, String(err));
      assert.equal(err.grpcCode, status.ALREADY_EXISTS);
      assert.equal(err.kind, 'already-exists');
      assert.equal(err.code, 'node.idempotency-key-reused');
      assert.equal(err.context.idempotencyKey, 'order-2');
      assert.equal(err.context.messageId, first.messageId);
      assert.match(err.message, /"order-2" was already used for a different message/);
      assert.match(err.hint ?? '', /new key/);
    }
    assert.equal(await settle(n.client, before + 1), before + 1, 'only the barrier: the refused sends were not sent');
    assert.deepEqual(await n.client.send(increment(), { idempotencyKey: 'order-2' }), first, 'the original retry still works');
  });

  it('without a key every send is a new message, as before', async () => {
    const before = await handled(n.client);
    const a = await n.client.send(increment());
    const b = await n.client.send(increment());
    assert.notEqual(a.messageId, b.messageId);
    assert.doesNotMatch(a.messageId, /^i-/);
    assert.equal(await settle(n.client, before + 3), before + 3);
  });

  it('an over-long key or one with a control character: INVALID_ARGUMENT on idempotency_key, with a hint', async () => {
    for (const [key, why] of [
      ['k'.repeat(129), /129 bytes of UTF-8; at most 128/],
      ['line\nbreak', /control character U\+000A/],
    ] as const) {
      const err = await n.client.send(increment(), { idempotencyKey: key }).catch((e: unknown) => e);
      assert.ok(err instanceof ApiCallError, String(err));
      assert.equal(err.grpcCode, status.INVALID_ARGUMENT);
      assert.equal(err.fieldViolations[0]?.field, 'idempotency_key');
      assert.match(err.message, why);
      assert.match(err.hint ?? '', /128 bytes of UTF-8/);
    }
  });

  it('two callers (two valid tokens) with the same key: two messages', async () => {
    // After a rotation both the old and the new admin token are valid for the overlap: two callers.
    const rotated = await n.client.rotateTokens(60_000);
    const other = await CaxtonClient.connect({ address: n.address, token: rotated.adminToken });
    try {
      const before = await handled(n.client);
      const mine = await n.client.send(increment(), { idempotencyKey: 'shared' });
      const theirs = await other.send(increment(), { idempotencyKey: 'shared' });
      assert.notEqual(mine.messageId, theirs.messageId);
      assert.deepEqual(theirs.accepted, ['counter']);
      assert.equal(await settle(n.client, before + 3), before + 3, 'both keyed messages and the barrier');
    } finally {
      other.close();
    }
  });
});

describe("an idempotent retry across a node restart (the log's dedup, not the key record)", () => {
  it('same key after a restart: the same id, accepted, not handled again', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'caxton-idem-restart-'));
    const dataDir = path.join(dir, 'node');
    try {
      const first = await start(dataDir);
      let sent;
      try {
        await first.client.deploy({ name: 'counter' }, await example('as-counter'));
        sent = await first.client.send(increment(), { idempotencyKey: 'across-restart' });
        await eventually(async () => (await handled(first.client)) === 1, 'the keyed message to be handled', 15_000);
      } finally {
        first.client.close();
        await first.node.stop();
      }
      const second = await start(dataDir);
      try {
        const retried = await second.client.send(increment(), { idempotencyKey: 'across-restart' });
        assert.equal(retried.messageId, sent.messageId, 'derived from (caller, key, message): the same after a restart');
        assert.deepEqual(retried.accepted, ['counter'], 'a duplicate counts as accepted (by the first send)');
        assert.equal(await settle(second.client, 1), 1, 'after the restart only the barrier was handled');
      } finally {
        second.client.close();
        await second.node.stop();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('same key after a restart while the first is still pending (frozen node): handled once after the thaw', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'caxton-idem-pending-'));
    const dataDir = path.join(dir, 'node');
    try {
      const first = await start(dataDir);
      let sent;
      try {
        await first.client.deploy({ name: 'counter' }, await example('as-counter'));
        await first.client.freeze(); // kept across the restart: nothing is handled until the thaw
        sent = await first.client.send(increment(), { idempotencyKey: 'pending-at-restart' });
      } finally {
        first.client.close();
        await first.node.stop();
      }
      const second = await start(dataDir);
      try {
        const retried = await second.client.send(increment(), { idempotencyKey: 'pending-at-restart' });
        assert.equal(retried.messageId, sent.messageId);
        assert.deepEqual(retried.accepted, ['counter']);
        assert.equal((await second.client.getAgent('counter')).mailboxDepth, 1, 'one delivery waiting, not two');
        await second.client.thaw();
        assert.equal(await settle(second.client, 2), 2, 'the keyed message once, plus the barrier');
      } finally {
        second.client.close();
        await second.node.stop();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
