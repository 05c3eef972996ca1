/**
 * A kind instance's MTP post waiting on the later-attempt timer while the instance is passivated
 * (review of outboxfix4, round 2, must-fix; decision 1910): the node still owns the instance, so the
 * post keeps its attempts under the kind's egress rules — it arrives once the peer is up and its
 * outbox record goes, or, the peer never up, the instance gets its `mtp-delivery` failure. Before
 * the fix the sender asked "in memory?", read "moved", and left the post unsent with no outcome.
 * Real node, the as-echo example deployed as a kind idle 200 ms, a real HTTP peer ACC.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import type { MessageEvent } from '@caxton/core';
import { CaxtonClient } from '@caxton/client';
import { startNode } from '../../src/start/start-node.js';
import { readTokenFile, tokenFilePath } from '../../src/api/auth.js';
import { MTP_OUTBOX_PREFIX } from '../../src/mtp/outbox-records.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
const ECHO = path.join(ROOT, 'examples/as-echo/build/as-echo.wasm');

/** Wait until `cond` holds (a condition, not a sleep). */
async function until(cond: () => boolean | Promise<boolean>, what: string, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A node with one MTP peer whose ACC answers `statusOf(n)` to its n-th post; echo deployed as a kind idle 200 ms. */
async function withPassivatingInstance(
  statusOf: (n: number) => number,
  body: (h: { posts: number[]; seen: MessageEvent[]; api: CaxtonClient; node: Awaited<ReturnType<typeof startNode>> }) => Promise<void>,
): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'caxton-mtp-passivated-'));
  const posts: number[] = [];
  const acc = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const status = statusOf(posts.length);
      posts.push(status);
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((r) => acc.listen(0, '127.0.0.1', () => r()));
  const port = (acc.address() as AddressInfo).port;
  const node = await startNode({
    dataDir: path.join(dir, 'data'),
    apiHost: '127.0.0.1',
    apiPort: 0,
    auth: { mode: 'token' },
    shards: 1,
    mtp: {
      // The first later attempt (3 s) comes well after the instance is passivated (idle 200 ms), with
      // room for a loaded machine (the CI runs two files at a time on two cores).
      host: '127.0.0.1',
      port: 0,
      retry: { attempts: 2, firstDelayMs: 20, later: { attempts: 2, firstDelayMs: 3_000, maxDelayMs: 3_000 } },
      peers: [{ platform: 'later', secret: randomBytes(32).toString('base64url'), acc: `http://127.0.0.1:${port}/acc`, ratePerSecond: 50 }],
    },
  });
  const api = await CaxtonClient.connect({
    address: `127.0.0.1:${node.apiPort}`,
    token: await readTokenFile(tokenFilePath(path.join(dir, 'data'))),
  });
  const seen: MessageEvent[] = [];
  try {
    await api.deploy(
      { name: 'echo', kind: { idleMs: 200 }, http: { allow: [{ host: '127.0.0.1', ports: [port], allowPrivate: true }] } },
      await readFile(ECHO),
    );
    node.control.tail({}, { next: (e) => seen.push(e), end: () => {} });
    await node.control.send({
      performative: 'request',
      receivers: [{ name: 'echo/1' }],
      content: 'when you are up',
      conversationId: 'cx-passivated',
      replyTo: [{ name: 'pong@later' }],
    });
    await until(() => posts.length >= 2, 'the quick attempts were refused');
    await until(async () => (await api.getAgent('echo/1')).state === 'stopped', 'the idle instance is passivated');
    assert.equal(posts.length, 2, 'passivated before the first later attempt');
    assert.equal(await outbox(node), 1, 'its record is kept while the post waits');
    await body({ posts, seen, api, node });
  } finally {
    api.close();
    await node.stop();
    await new Promise((r) => acc.close(r));
    await rm(dir, { recursive: true, force: true });
  }
}

/** The instance's outbox records (a read of its state: activates nothing). */
const outbox = async (node: Awaited<ReturnType<typeof startNode>>): Promise<number> =>
  (await node.control.listState('echo/1', { prefix: MTP_OUTBOX_PREFIX, limit: 100 })).entries.length;

const failures = (seen: MessageEvent[]): MessageEvent[] =>
  seen.filter((e) => e.message.performative === 'failure' && e.message.conversationId === 'cx-passivated');

test("a passivated instance's kept MTP post is still posted on its timer, and its record goes", async () => {
  await withPassivatingInstance(
    (n) => (n < 2 ? 503 : 200),
    async ({ posts, seen, node }) => {
      await until(() => posts.includes(200), 'the kept post arrives once the peer is up');
      assert.deepEqual(posts, [503, 503, 200]);
      assert.equal(failures(seen).length, 0, 'no failure to the instance');
      await until(async () => (await outbox(node)) === 0, 'its outbox record is removed');
    },
  );
});

test('a passivated instance whose peer never comes up gets its mtp-delivery failure', async () => {
  await withPassivatingInstance(
    () => 503,
    async ({ posts, seen, node }) => {
      await until(() => failures(seen).length > 0, 'the failure reaches the instance (activating it)');
      assert.equal(posts.length, 4, 'two quick attempts and two later ones');
      await until(async () => (await outbox(node)) === 0, 'its outbox record is removed');
      assert.match(failures(seen)[0]!.message.content ?? '', /503/);
    },
  );
});
