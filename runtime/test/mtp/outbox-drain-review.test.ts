/**
 * The MTP outbox's drain queue and later attempts, as the review of outboxfix4 found them
 * (decision 1910, "Outbox drain, retry timer"), each against a real HTTP peer and the memory log's
 * state store:
 * - a record that settles while it is queued (the agent re-activated while its posts were in
 *   flight, the node full) leaves the queue: the peer hears each message once (finding 1);
 * - a post waiting out its later attempts whose agent is no longer on this node stops with no
 *   outcome: no failure to the sender, no further post, its record left to the new owner (finding 2);
 * - one peer that does not answer holds at most its share of the node's slots: its next send is
 *   refused `mtp.peer-backlogged`, and a send to a healthy peer still goes (finding 3);
 * - a 429/503's `Retry-After` is read as seconds or an HTTP date (the later attempts honour it);
 * - while a drain pass awaits a bad record's removal, a new send does not take the freed slot;
 * - a send handled again while its record waits in the queue is not refused (it is posted once).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { DEFAULT_HTTP_POLICY, type AclMessage, type HttpPolicy } from '@caxton/core';
import { MemoryMessageLog } from '../../src/log/memory/memory-message-log.js';
import { MtpPeerTable, MtpSender, mtpFailureId, parseMtpPeers, retryAfterMs } from '../../src/mtp/index.js';
import { encodeMtpOutboxRecord, isMtpOutboxKey, mtpOutboxKey } from '../../src/mtp/outbox-records.js';
import type { AgentStateStore } from '../../src/storage/ports.js';

async function until(cond: () => boolean, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** A peer ACC on loopback: `answer` decides each post's fate (it may hold the response). */
async function peerAcc(
  answer: (res: http.ServerResponse, body: string) => void,
): Promise<{ server: http.Server; port: number; acc: string }> {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (d: Buffer) => chunks.push(d));
    req.on('end', () => answer(res, Buffer.concat(chunks).toString('utf8')));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return { server, port, acc: `http://127.0.0.1:${port}/acc` };
}

const policyFor = (...ports: number[]): HttpPolicy => ({
  ...DEFAULT_HTTP_POLICY,
  allow: [{ host: '127.0.0.1', ports, allowPrivate: true }],
});
const message = (to: string, content: string): AclMessage => ({
  performative: 'inform',
  sender: { name: 'asker@caxton' },
  receivers: [{ name: to }],
  content,
});
const outboxLeft = async (log: MemoryMessageLog, agent: string): Promise<number> =>
  [...(await log.readState(agent)).keys()].filter(isMtpOutboxKey).length;

test('a record that settles while queued is not posted again by the drain (finding 1)', async () => {
  const held: http.ServerResponse[] = [];
  const posts: string[] = [];
  const peer = await peerAcc((res, body) => {
    posts.push(/n-\d/.exec(body)?.[0] ?? '?');
    held.push(res);
  });
  const peers = new MtpPeerTable(
    parseMtpPeers(JSON.stringify({ peers: [{ platform: 'far', secret: randomBytes(24).toString('hex'), acc: peer.acc }] }), 'caxton'),
  );
  const log = new MemoryMessageLog();
  const failures: string[] = [];
  const sender = new MtpSender({
    platform: 'caxton',
    peers,
    accUrl: () => 'http://127.0.0.1:1/acc',
    policyOf: () => policyFor(peer.port),
    state: log,
    maxInFlight: 2,
    retry: { attempts: 1, firstDelayMs: 10 },
    fail: async (_o, reason) => {
      failures.push(reason);
    },
    log: () => {},
  });
  try {
    for (const i of [1, 2])
      await sender.forward({
        messageId: `m-${i}`,
        message: message('pong@far', `n-${i}`),
        receivers: [{ name: 'pong@far' }],
        agent: 'asker',
      });
    await until(() => held.length === 2, 'the peer holds both posts');
    // The agent is activated again (a restart) while both posts are in flight and the node is full:
    // its records are queued, none taken.
    assert.equal(await sender.recover('asker'), 0);
    for (const res of held.splice(0)) res.writeHead(200).end();
    await until(() => sender.unsettled === 0, 'both posts settled');
    // A drain pass started by a settle would have posted a queued record again by now; give it a
    // turn of the event loop and a moment of the network to show up.
    await new Promise((r) => setTimeout(r, 200));
    for (const res of held.splice(0)) res.writeHead(200).end();
    await until(() => sender.unsettled === 0, 'nothing left in flight');
    assert.deepEqual(posts.sort(), ['n-1', 'n-2'], 'each message posted once');
    assert.equal(await outboxLeft(log, 'asker'), 0, 'no outbox record left');
    assert.deepEqual(failures, []);
  } finally {
    await sender.close();
    peer.server.close();
  }
});

test('a post waiting for a later attempt whose agent moved stops with no outcome, its record kept (finding 2)', async () => {
  let posts = 0;
  const peer = await peerAcc((res) => {
    posts += 1;
    res.writeHead(503).end();
  });
  const peers = new MtpPeerTable(
    parseMtpPeers(JSON.stringify({ peers: [{ platform: 'far', secret: randomBytes(24).toString('hex'), acc: peer.acc }] }), 'caxton'),
  );
  const log = new MemoryMessageLog();
  let here = true;
  const failures: string[] = [];
  const sender = new MtpSender({
    platform: 'caxton',
    peers,
    accUrl: () => 'http://127.0.0.1:1/acc',
    // As agent-lifecycle's httpPolicyOf: no policy once the agent is not hosted here.
    policyOf: () => (here ? policyFor(peer.port) : undefined),
    isLocal: () => here,
    state: log,
    retry: { attempts: 1, firstDelayMs: 10, later: { attempts: 3, firstDelayMs: 200 } },
    fail: async (_o, reason) => {
      failures.push(reason);
    },
    log: () => {},
  });
  try {
    await sender.forward({ messageId: 'm-1', message: message('pong@far', 'n-1'), receivers: [{ name: 'pong@far' }], agent: 'asker' });
    await until(() => posts === 1, 'the first post answered 503');
    here = false; // moved to another node, whose activation reads the record and posts it
    await until(() => sender.unsettled === 0, 'the post gave its slot back');
    assert.deepEqual(failures, [], 'no failure to the sender');
    assert.equal(posts, 1, 'no further post from the old node');
    assert.equal(await outboxLeft(log, 'asker'), 1, 'the record stays for the new owner');
  } finally {
    await sender.close();
    peer.server.close();
  }
});

test('a peer that does not answer holds at most its share of the slots; a healthy peer still gets its send (finding 3)', async () => {
  const bad = await peerAcc((res) => res.writeHead(503).end());
  const arrived: string[] = [];
  const good = await peerAcc((res, body) => {
    arrived.push(/n-\w+/.exec(body)?.[0] ?? '?');
    res.writeHead(200).end();
  });
  const peers = new MtpPeerTable(
    parseMtpPeers(
      JSON.stringify({
        peers: [
          { platform: 'hostile', secret: randomBytes(24).toString('hex'), acc: bad.acc },
          { platform: 'healthy', secret: randomBytes(24).toString('hex'), acc: good.acc },
        ],
      }),
      'caxton',
    ),
  );
  const failures: { kind: string; reason: string; id: string }[] = [];
  const sender = new MtpSender({
    platform: 'caxton',
    peers,
    accUrl: () => 'http://127.0.0.1:1/acc',
    policyOf: () => policyFor(bad.port, good.port),
    state: new MemoryMessageLog(),
    maxInFlight: 4,
    maxInFlightPerPeer: 2,
    // Later attempts far off: the hostile peer's posts keep their slots for the whole test.
    retry: { attempts: 1, firstDelayMs: 5, later: { attempts: 3, firstDelayMs: 60_000 } },
    fail: async (_o, reason, kind, id) => {
      failures.push({ kind, reason, id });
    },
    log: () => {},
  });
  try {
    for (const i of [0, 1, 2])
      await sender.forward({
        messageId: `h-${i}`,
        message: message('x@hostile', `n-h${i}`),
        receivers: [{ name: 'x@hostile' }],
        agent: 'a',
      });
    assert.equal(sender.unsettled, 2, 'the hostile peer holds two slots, no more');
    assert.equal(failures.length, 1);
    assert.equal(failures[0]!.kind, 'mtp.peer-backlogged');
    assert.match(failures[0]!.reason, /^mtp\.peer-backlogged: .*platform hostile.*\(2\).*send again later/);
    assert.equal(failures[0]!.id, mtpFailureId('a', 'h-2', 'mtp.peer-backlogged', bad.acc));
    await sender.forward({ messageId: 'g-1', message: message('y@healthy', 'n-g1'), receivers: [{ name: 'y@healthy' }], agent: 'b' });
    await until(() => arrived.length === 1, 'the healthy peer got its message');
    assert.deepEqual(arrived, ['n-g1']);
    assert.equal(failures.length, 1, 'the healthy send was not refused');
  } finally {
    await sender.close();
    bad.server.close();
    good.server.close();
  }
});

test("a peer's Retry-After: delay-seconds or an HTTP date, anything else ignored", () => {
  const now = Date.parse('2026-11-24T12:00:00Z');
  assert.equal(retryAfterMs('120', now), 120_000);
  assert.equal(retryAfterMs(' 0 ', now), 0);
  assert.equal(retryAfterMs('Tue, 24 Nov 2026 12:01:30 GMT', now), 90_000);
  assert.equal(retryAfterMs('Tue, 24 Nov 2026 11:00:00 GMT', now), 0, 'a date past is no wait');
  assert.equal(retryAfterMs(undefined, now), undefined);
  assert.equal(retryAfterMs('soon', now), undefined);
  assert.equal(retryAfterMs('-5', now), undefined);
});

test("while a drain pass awaits a bad record's removal, a new send is refused: the freed slot is the queued records'", async () => {
  const ACC = 'http://127.0.0.1:9/acc';
  const log = new MemoryMessageLog();
  const badKey = mtpOutboxKey('bad', ACC);
  await log.commitState('asker', [
    encodeMtpOutboxRecord({
      messageId: 'm-0',
      agent: 'asker',
      url: ACC,
      platform: 'far',
      receivers: [{ name: 'pong@far' }],
      message: message('pong@far', 'n-0'),
      at: 0,
    }),
  ]);
  await log.commitState('asker', [{ key: badKey, value: 'not a record' }]);
  let releaseRemoval!: () => void;
  const removalHeld = new Promise<void>((r) => {
    releaseRemoval = r;
  });
  let removing = false;
  const state: AgentStateStore = {
    readState: (agent) => log.readState(agent),
    clearState: (agent) => log.clearState(agent),
    commitState: async (agent, writes) => {
      if (writes.some((w) => w.key === badKey)) {
        removing = true;
        await removalHeld;
      }
      return log.commitState(agent, writes);
    },
  };
  const peers = new MtpPeerTable(
    parseMtpPeers(JSON.stringify({ peers: [{ platform: 'far', secret: randomBytes(24).toString('hex'), acc: ACC }] }), 'caxton'),
  );
  const failures: { kind: string; reason: string }[] = [];
  const held: (() => void)[] = [];
  const sender = new MtpSender({
    // No HTTP allowed: each post ends in its failure, held here until released.
    platform: 'caxton',
    peers,
    accUrl: () => 'http://127.0.0.1:1/acc',
    policyOf: () => undefined,
    state,
    maxInFlight: 1,
    fail: (_o, reason, kind) =>
      new Promise<void>((resolve) => {
        failures.push({ kind, reason });
        if (kind === 'mtp-delivery') held.push(resolve);
        else resolve();
      }),
    log: () => {},
  });
  try {
    assert.equal(await sender.recover('asker'), 1);
    await until(() => held.length === 1, 'the good record is unsettled');
    held.shift()!();
    await until(() => removing && sender.unsettled === 0, "the drain pass awaits the bad record's removal, the slot free");
    await sender.forward({ messageId: 'new-1', message: message('pong@far', 'new'), receivers: [{ name: 'pong@far' }], agent: 'asker' });
    assert.equal(failures.at(-1)!.kind, 'mtp.outbox-full');
    assert.match(failures.at(-1)!.reason, /posting the outbox records it took over/);
    releaseRemoval();
    await until(() => sender.unsettled === 0, 'settled');
    let left = -1;
    await until(() => {
      void outboxLeft(log, 'asker').then((n) => {
        left = n;
      });
      return left === 0;
    }, 'both records gone');
  } finally {
    releaseRemoval();
    await sender.close();
  }
});

test('a send handled again while its record waits in the queue is not refused: it is posted once, as a slot frees', async () => {
  const ACC = 'http://127.0.0.1:9/acc';
  const log = new MemoryMessageLog();
  for (const i of [0, 1]) {
    await log.commitState('asker', [
      encodeMtpOutboxRecord({
        messageId: `m-${i}`,
        agent: 'asker',
        url: ACC,
        platform: 'far',
        receivers: [{ name: 'pong@far' }],
        message: message('pong@far', `n-${i}`),
        at: 0,
      }),
    ]);
  }
  const peers = new MtpPeerTable(
    parseMtpPeers(JSON.stringify({ peers: [{ platform: 'far', secret: randomBytes(24).toString('hex'), acc: ACC }] }), 'caxton'),
  );
  const failures: { kind: string; id: string }[] = [];
  const held: (() => void)[] = [];
  const sender = new MtpSender({
    platform: 'caxton',
    peers,
    accUrl: () => 'http://127.0.0.1:1/acc',
    policyOf: () => undefined,
    state: log,
    maxInFlight: 1,
    fail: (_o, _reason, kind, id) =>
      new Promise<void>((resolve) => {
        failures.push({ kind, id });
        if (kind === 'mtp-delivery') held.push(resolve);
        else resolve();
      }),
    log: () => {},
  });
  try {
    assert.equal(await sender.recover('asker'), 1);
    await until(() => held.length === 1, 'm-0 is unsettled, m-1 queued');
    // m-1's handling runs again (its completion was lost): the node is full, but its record is durable and queued.
    await sender.forward({ messageId: 'm-1', message: message('pong@far', 'n-1'), receivers: [{ name: 'pong@far' }], agent: 'asker' });
    assert.deepEqual(
      failures.map((f) => f.kind),
      ['mtp-delivery'],
      'no mtp.outbox-full for a send whose record is queued',
    );
    held.shift()!();
    await until(() => held.length === 1, 'm-1 taken from the queue');
    held.shift()!();
    await until(() => sender.unsettled === 0, 'settled');
    assert.deepEqual(
      failures.map((f) => f.id),
      [mtpFailureId('asker', 'm-0', 'mtp-delivery', ACC), mtpFailureId('asker', 'm-1', 'mtp-delivery', ACC)],
    );
    assert.equal(await outboxLeft(log, 'asker'), 0);
  } finally {
    await sender.close();
  }
});
