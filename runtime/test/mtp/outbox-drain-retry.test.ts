/**
 * The MTP outbox's drain and its later retries (decision 1910, "Outbox drain, retry timer"):
 * - records a replay left for later (the node's bound reached) are read from the state once and
 *   queued: draining N of them costs one read of the agent's state, not one per freed slot (the
 *   sender on the memory log's state store, a wrapper counting its reads);
 * - a post whose quick attempts all failed keeps its record and is tried again on a timer: a real
 *   node's echo agent answers to a peer ACC that is down (answers 503) for its first posts, and the
 *   answer arrives once the ACC is up, with no new activity of the agent and no failure to it.
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
import { decodeAclString, multipartBoundary, parseMultipart, type AclMessage, type MessageEvent } from '@caxton/core';
import { CaxtonClient } from '@caxton/client';
import { MemoryMessageLog } from '../../src/log/memory/memory-message-log.js';
import { DEFAULT_MTP_RETRY, MtpPeerTable, MtpSender, mtpRetryDelayMs, parseMtpPeers } from '../../src/mtp/index.js';
import { encodeMtpOutboxRecord, isMtpOutboxKey } from '../../src/mtp/outbox-records.js';
import type { AgentStateStore } from '../../src/storage/ports.js';
import { startNode } from '../../src/start/start-node.js';
import { readTokenFile, tokenFilePath } from '../../src/api/auth.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
const ECHO = path.join(ROOT, 'examples/as-echo/build/as-echo.wasm');
const ACC = 'http://127.0.0.1:9/acc';

/** Wait until `cond` holds (a condition, not a sleep); fails after `ms`. */
async function until(cond: () => boolean, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

test("draining records left for later reads the agent's state once, not once per freed slot", async () => {
  const total = 40;
  const bound = 2;
  const log = new MemoryMessageLog();
  const message = (i: number): AclMessage => ({
    performative: 'inform',
    sender: { name: 'asker@caxton' },
    receivers: [{ name: 'pong@far' }],
    content: `n${i}`,
  });
  await log.commitState(
    'asker',
    Array.from({ length: total }, (_, i) =>
      encodeMtpOutboxRecord({
        messageId: `m-${i}`,
        agent: 'asker',
        url: ACC,
        platform: 'far',
        receivers: [{ name: 'pong@far' }],
        message: message(i),
        at: 0,
      }),
    ),
  );
  let reads = 0;
  let entriesRead = 0;
  const state: AgentStateStore = {
    readState: async (agent) => {
      const entries = await log.readState(agent);
      reads += 1;
      entriesRead += entries.size;
      return entries;
    },
    clearState: (agent) => log.clearState(agent),
    commitState: (agent, writes) => log.commitState(agent, writes),
  };
  const failed = new Set<string>();
  const peers = new MtpPeerTable(
    parseMtpPeers(JSON.stringify({ peers: [{ platform: 'far', secret: randomBytes(24).toString('hex'), acc: ACC }] }), 'caxton'),
  );
  // The agent may make no HTTP call: each post ends at once in its (durable) failure, and its
  // record's removal frees the slot for the next.
  const sender = new MtpSender({
    platform: 'caxton',
    peers,
    accUrl: () => 'http://127.0.0.1:1/acc',
    policyOf: () => undefined,
    state,
    maxInFlight: bound,
    fail: async (_original, _reason, _kind, id) => {
      failed.add(id);
    },
    log: () => {},
  });
  assert.equal(await sender.recover('asker'), bound);
  await until(() => failed.size === total && sender.unsettled === 0, 'every record is posted and settled');
  const left = [...(await log.readState('asker')).keys()].filter(isMtpOutboxKey).length;
  await sender.close();
  assert.equal(left, 0, 'every record removed');
  assert.equal(reads, 1, `one read of the agent's state for ${total} records (saw ${reads}, ${entriesRead} entries read)`);
  assert.equal(entriesRead, total);
});

test('the later attempts: the quick backoff, then a timer doubling up to its cap', () => {
  const retry = { attempts: 3, firstDelayMs: 10, later: { attempts: 4, firstDelayMs: 100, maxDelayMs: 300 } };
  assert.deepEqual(
    [2, 3, 4, 5, 6, 7].map((a) => mtpRetryDelayMs(retry, a)),
    [10, 40, 100, 200, 300, 300],
  );
  const d = DEFAULT_MTP_RETRY;
  const total = Array.from({ length: d.attempts + d.later!.attempts - 1 }, (_, i) => mtpRetryDelayMs(d, i + 2)).reduce((a, b) => a + b, 0);
  assert.ok(total > 20 * 60_000 && total < 30 * 60_000, `the default keeps trying ~25 min (${total} ms)`);
});

test('a post kept after its quick attempts failed is posted again on a timer: the peer comes up and the message arrives, the sender doing nothing', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'caxton-mtp-later-'));
  // The peer's ACC: down (503, as its proxy answers) for the first two posts — both quick attempts — then up.
  const posts: { status: number; contentType: string; body: Buffer }[] = [];
  const acc = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const status = posts.length < 2 ? 503 : 200;
      posts.push({ status, contentType: req.headers['content-type'] ?? '', body: Buffer.concat(chunks) });
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((r) => acc.listen(0, '127.0.0.1', () => r()));
  const port = (acc.address() as AddressInfo).port;
  const secret = randomBytes(32).toString('base64url');
  const node = await startNode({
    dataDir: path.join(dir, 'data'),
    apiHost: '127.0.0.1',
    apiPort: 0,
    auth: { mode: 'token' },
    shards: 1,
    mtp: {
      host: '127.0.0.1',
      port: 0,
      retry: { attempts: 2, firstDelayMs: 20, later: { attempts: 3, firstDelayMs: 300 } },
      peers: [{ platform: 'later', secret, acc: `http://127.0.0.1:${port}/acc`, ratePerSecond: 50 }],
    },
  });
  const api = await CaxtonClient.connect({
    address: `127.0.0.1:${node.apiPort}`,
    token: await readTokenFile(tokenFilePath(path.join(dir, 'data'))),
  });
  const seen: MessageEvent[] = [];
  try {
    await api.deploy({ name: 'echo', http: { allow: [{ host: '127.0.0.1', ports: [port], allowPrivate: true }] } }, await readFile(ECHO));
    node.control.tail({}, { next: (e) => seen.push(e), end: () => {} });
    await node.control.send({
      performative: 'request',
      receivers: [{ name: 'echo' }],
      content: 'when you are up',
      conversationId: 'cx-later',
      replyTo: [{ name: 'pong@later' }],
    });
    await until(() => posts.length >= 2, 'the quick attempts were refused');
    const echoSends = (): number => seen.filter((e) => e.message.sender?.name === 'echo@caxton').length;
    const before = echoSends();
    // Nothing is sent to the echo from here on: the next post comes from the timer alone.
    await until(() => posts.some((p) => p.status === 200), 'the kept post is accepted once the peer is up', 10_000);
    assert.equal(posts.length, 3, 'two quick attempts, then one on the timer');
    const parts = parseMultipart(posts[2]!.body, multipartBoundary(posts[2]!.contentType));
    const msg = decodeAclString(parts[1]!.body.toString('utf8'));
    assert.equal(msg.content, 'when you are up');
    assert.equal(msg.conversationId, 'cx-later');
    assert.equal(echoSends(), before, 'the echo sent nothing more');
    assert.equal(
      seen.filter((e) => e.message.performative === 'failure' && e.message.conversationId === 'cx-later').length,
      0,
      'no failure to the sender',
    );
  } finally {
    api.close();
    await node.stop();
    await new Promise((r) => acc.close(r));
    await rm(dir, { recursive: true, force: true });
  }
});
