/**
 * The MTP outbox's review findings 3, 4, 5 and 7 (review of mtpoutbox, decision 1910 "Outbox,
 * review fixes"), on the sender itself with the memory log as its state store (a real
 * AgentStateStore; a wrapper only holds its commits back where a test needs a commit in flight):
 * - a failure's kind is machine-readable (`mtp.outbox-full`, `mtp.node-stopping`), with a stable id;
 * - refusal failures are sent after the record commit and awaited before the send resolves;
 * - a second forward of the same post waits for the first's commit;
 * - `recover` takes records only up to the node's bound and the rest as slots free.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import type { AclMessage, StateWrite } from '@caxton/core';
import { MemoryMessageLog } from '../../src/log/memory/memory-message-log.js';
import { MtpPeerTable, MtpSender, mtpFailureId, parseMtpPeers, type MtpFailureKind } from '../../src/mtp/index.js';
import { encodeMtpOutboxRecord, isMtpOutboxKey } from '../../src/mtp/outbox-records.js';
import type { AgentStateStore } from '../../src/storage/ports.js';
import { failureReply } from '../../src/bus/replies.js';
import type { Bus } from '../../src/bus/bus.js';
import { openBus } from '../bus/scripted-port.js';

const ACC = 'http://127.0.0.1:9/acc';
const peers = (): MtpPeerTable =>
  new MtpPeerTable(
    parseMtpPeers(JSON.stringify({ peers: [{ platform: 'far', secret: randomBytes(24).toString('hex'), acc: ACC }] }), 'caxton'),
  );
const message = (content: string): AclMessage => ({
  performative: 'request',
  sender: { name: 'asker@caxton' },
  receivers: [{ name: 'pong@far' }],
  content,
});

interface Failure {
  reason: string;
  kind: MtpFailureKind;
  id: string;
}

/** Wait until `cond` holds (a condition, not a sleep); fails after 5 s. */
async function until(cond: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!cond()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

/** Settled yet? Without waiting for it. */
function watch(p: Promise<unknown>): { settled: () => boolean; result: Promise<unknown> } {
  let done = false;
  const result = p.then(
    (v) => {
      done = true;
      return v;
    },
    (e: unknown) => {
      done = true;
      throw e;
    },
  );
  result.catch(() => undefined);
  return { settled: () => done, result };
}

/** A few turns of the event loop: what would settle without an outside event has. */
const turns = async (): Promise<void> => {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
};

/** The memory log's state, whose commits can be held back (then released, or failed) one at a time. */
function heldState(): {
  state: AgentStateStore;
  log: MemoryMessageLog;
  held: { writes: readonly StateWrite[]; release: () => void; fail: (err: Error) => void }[];
  hold: boolean;
  commits: number;
} {
  const log = new MemoryMessageLog();
  const box = {
    log,
    held: [] as { writes: readonly StateWrite[]; release: () => void; fail: (err: Error) => void }[],
    hold: true,
    commits: 0,
    state: undefined as unknown as AgentStateStore,
  };
  box.state = {
    readState: (agent) => log.readState(agent),
    clearState: (agent) => log.clearState(agent),
    commitState: (agent, writes) => {
      box.commits += 1;
      if (!box.hold) return log.commitState(agent, writes);
      return new Promise<void>((resolve, reject) => {
        box.held.push({
          writes,
          release: () => {
            void log.commitState(agent, writes).then(resolve, reject);
          },
          fail: reject,
        });
      });
    },
  };
  return box;
}

test('outbox-full and node-stopping failures carry their own kind and a stable id (finding 3)', async () => {
  const failures: Failure[] = [];
  const log = new MemoryMessageLog();
  // No return address yet: an admitted post waits for it, so it keeps its slot.
  const sender = new MtpSender({
    platform: 'caxton',
    peers: peers(),
    accUrl: () => undefined,
    policyOf: () => undefined,
    state: log,
    maxInFlight: 1,
    fail: async (_original, reason, kind, id) => {
      failures.push({ reason, kind, id });
    },
    log: () => {},
  });
  await sender.forward({ messageId: 'm-1', message: message('one'), receivers: [{ name: 'pong@far' }], agent: 'asker' });
  assert.equal(failures.length, 0);
  await sender.forward({ messageId: 'm-2', message: message('two'), receivers: [{ name: 'pong@far' }], agent: 'asker' });
  assert.equal(failures.length, 1);
  assert.equal(failures[0]!.kind, 'mtp.outbox-full');
  assert.match(failures[0]!.reason, /^mtp\.outbox-full: /);
  assert.equal(failures[0]!.id, mtpFailureId('asker', 'm-2', 'mtp.outbox-full', ACC));
  // The same send again (its handling re-run) fails under the same id: the log keeps one.
  await sender.forward({ messageId: 'm-2', message: message('two'), receivers: [{ name: 'pong@far' }], agent: 'asker' });
  assert.equal(failures[1]!.id, failures[0]!.id);
  await sender.close();
  await sender.forward({ messageId: 'm-3', message: message('three'), receivers: [{ name: 'pong@far' }], agent: 'asker' });
  assert.equal(failures.length, 3);
  assert.equal(failures[2]!.kind, 'mtp.node-stopping');
  assert.match(failures[2]!.reason, /^mtp\.node-stopping: /);
  assert.notEqual(failures[2]!.id, failures[0]!.id);
});

test('a refusal failure is sent after the record commit and the send resolves only once it is back (finding 4)', async () => {
  const store = heldState();
  const failures: Failure[] = [];
  const answers: (() => void)[] = [];
  const sender = new MtpSender({
    platform: 'caxton',
    peers: peers(),
    accUrl: () => undefined,
    policyOf: () => undefined,
    state: store.state,
    fail: (_original, reason, kind, id) =>
      new Promise<void>((resolve) => {
        failures.push({ reason, kind, id });
        answers.push(resolve);
      }),
    log: () => {},
  });
  // pong@far goes to the peer's ACC; elsewhere@far names an address off it: refused (mtp-delivery).
  const receivers = [{ name: 'pong@far' }, { name: 'elsewhere@far', addresses: ['http://198.51.100.7/acc'] }];
  const send = watch(sender.forward({ messageId: 'm-1', message: message('hi'), receivers, agent: 'asker' }));
  await until(() => store.held.length === 1, 'the record commit is in flight');
  await turns();
  assert.equal(failures.length, 0, 'no failure before the record is durable');
  store.held[0]!.release();
  await until(() => failures.length === 1, 'the refusal is sent');
  assert.equal(failures[0]!.kind, 'mtp-delivery');
  assert.match(failures[0]!.reason, /elsewhere@far's addresses/);
  await turns();
  assert.equal(send.settled(), false, 'the send waits for its failure to be back with the sender');
  answers[0]!();
  await send.result;

  // A commit that fails: the refusal is not sent (the handling runs again and sends it then) —
  // unless the sender is answered (an init), which then gets both failures.
  const failed = watch(sender.forward({ messageId: 'm-2', message: message('hi'), receivers, agent: 'asker' }));
  await until(() => store.held.length === 2, 'the second commit is in flight');
  store.held[1]!.fail(new Error('state store unavailable'));
  const err = (await failed.result.then(
    () => undefined,
    (e: unknown) => e,
  )) as { code?: string; answerSender?: () => Promise<void> };
  assert.equal(err?.code, 'mtp.outbox-not-durable');
  await turns();
  assert.equal(failures.length, 1, 'nothing sent for a send that is not durable');
  const answered = watch(err.answerSender!());
  await until(() => failures.length === 3, 'both failures sent');
  assert.deepEqual(
    failures
      .slice(1)
      .map((f) => f.kind)
      .sort(),
    ['mtp-delivery', 'mtp.outbox-not-durable'],
  );
  for (const answer of answers.slice(1)) answer();
  await answered.result;
  await sender.close();
});

test("a second forward of the same post waits for the first one's commit, and fails with it (finding 5)", async () => {
  const store = heldState();
  const sender = new MtpSender({
    platform: 'caxton',
    peers: peers(),
    accUrl: () => undefined,
    policyOf: () => undefined,
    state: store.state,
    fail: async () => {},
    log: () => {},
  });
  const send = { messageId: 'm-1', message: message('hi'), receivers: [{ name: 'pong@far' }], agent: 'asker' };
  const first = watch(sender.forward(send));
  await until(() => store.held.length === 1, 'the first commit is in flight');
  const second = watch(sender.forward(send));
  await turns();
  assert.equal(second.settled(), false, 'not durable yet: the second forward must not resolve');
  assert.equal(store.commits, 1, 'one record, committed once');
  store.held[0]!.release();
  await Promise.all([first.result, second.result]);

  const again = { ...send, messageId: 'm-2' };
  const third = watch(sender.forward(again));
  await until(() => store.held.length === 2, 'the third commit is in flight');
  const fourth = watch(sender.forward(again));
  store.held[1]!.fail(new Error('state store unavailable'));
  const codes = await Promise.all(
    [third.result, fourth.result].map((p) =>
      p.then(
        () => 'resolved',
        (e: unknown) => (e as { code?: string }).code,
      ),
    ),
  );
  assert.deepEqual(codes, ['mtp.outbox-not-durable', 'mtp.outbox-not-durable']);
  await sender.close();
});

test('recover takes outbox records up to the bound and the rest as posts settle, never over it (finding 7)', async () => {
  const bound = 3;
  const total = 8;
  const log = new MemoryMessageLog();
  await log.commitState(
    'asker',
    Array.from({ length: total }, (_, i) =>
      encodeMtpOutboxRecord({
        messageId: `m-${i}`,
        agent: 'asker',
        url: ACC,
        platform: 'far',
        receivers: [{ name: 'pong@far' }],
        message: message(`n${i}`),
        at: 0,
      }),
    ),
  );
  const outstanding: (() => void)[] = [];
  const failed: string[] = [];
  let most = 0;
  // The agent may make no HTTP call: each post ends in its failure, held here until released. The
  // sender's own count (`unsettled`) also holds posts whose removal commit is in flight.
  const sender: MtpSender = new MtpSender({
    platform: 'caxton',
    peers: peers(),
    accUrl: () => 'http://127.0.0.1:1/acc',
    policyOf: () => undefined,
    state: log,
    maxInFlight: bound,
    fail: (_original, _reason, _kind, id) =>
      new Promise<void>((resolve) => {
        failed.push(id);
        outstanding.push(resolve);
        most = Math.max(most, sender.unsettled);
      }),
    log: () => {},
  });
  assert.equal(await sender.recover('asker'), bound, 'this pass takes as many as the bound');
  await until(() => outstanding.length === bound, 'the first posts are unsettled');
  const left = async (): Promise<number> => [...(await log.readState('asker')).keys()].filter(isMtpOutboxKey).length;
  assert.equal(await left(), total, 'the other records are kept for later');
  while (failed.length < total) {
    const n = failed.length;
    outstanding.shift()!();
    await until(() => failed.length > n || (outstanding.length === 0 && failed.length === total), 'a freed slot takes the next record');
    assert.ok(sender.unsettled <= bound, `never more than ${bound} posts unsettled (saw ${sender.unsettled})`);
  }
  for (const release of outstanding.splice(0)) release();
  let remaining = total;
  await until(() => {
    void left().then((n) => {
      remaining = n;
    });
    return remaining === 0;
  }, 'every record settled and removed');
  await sender.close();
  assert.equal(most, bound, `at most ${bound} unsettled at once`);
  assert.equal(new Set(failed).size, total, 'every record posted (and failed) once');
});

test('a send to receivers on several peer platforms commits all its outbox records in one state commit', async () => {
  const store = heldState();
  store.hold = false;
  const table = new MtpPeerTable(
    parseMtpPeers(
      JSON.stringify({
        peers: ['far', 'near', 'other'].map((platform, i) => ({
          platform,
          secret: randomBytes(24).toString('hex'),
          acc: `http://127.0.0.1:${9 + i}/acc`,
        })),
      }),
      'caxton',
    ),
  );
  const sender = new MtpSender({
    platform: 'caxton',
    peers: table,
    accUrl: () => undefined,
    policyOf: () => undefined,
    state: store.state,
    fail: async () => {},
    log: () => {},
  });
  const receivers = [{ name: 'a@far' }, { name: 'b@near' }, { name: 'c@other' }, { name: 'd@far' }];
  await sender.forward({ messageId: 'm-1', message: { ...message('all'), receivers }, receivers, agent: 'asker' });
  assert.equal(store.commits, 1, 'one commit for the send');
  assert.equal([...(await store.log.readState('asker')).keys()].filter(isMtpOutboxKey).length, 3, 'one record per destination ACC');
  await sender.close();
});

test('on the bus, the failure carries its kind and a re-run of the same send gives the agent one failure, not two', async () => {
  let bus: Bus | undefined;
  const sender = new MtpSender({
    // No slot at all: every post is refused as outbox-full.
    platform: 'caxton',
    peers: peers(),
    accUrl: () => undefined,
    policyOf: () => undefined,
    maxInFlight: 0,
    // Wired as start-node wires it.
    fail: (original, reason, kind, id) => bus!.sendPlatformReplies([failureReply(original, bus!.platformId, reason, kind)], [id]),
    log: () => {},
  });
  const opened = await openBus(['a'], {
    port: (p) => {
      p.transport = sender;
    },
  });
  bus = opened.bus;
  const send = { performative: 'request' as const, receivers: [{ name: 'pong@far' }], content: 'hi' };
  // The same send twice under one id: a handling that ran again (its derived id is the same).
  await bus.send(send, { agent: 'a' }, 'd-same');
  await until(() => opened.port.handledBy('a').length === 1, 'a got the failure');
  await bus.send(send, { agent: 'a' }, 'd-same');
  await turns();
  const got = opened.port.items
    .filter((i) => i.kind === 'delivery' && i.agent === 'a')
    .map((i) => (i as unknown as { delivery: { message: AclMessage } }).delivery.message);
  assert.equal(got.length, 1, 'one failure for the send, however often it is handled');
  assert.equal(got[0]!.performative, 'failure');
  assert.equal(got[0]!.userParams?.['X-caxton-failure'], 'mtp.outbox-full');
  await sender.close();
  await bus.stopDispatching();
  await bus.stop();
});

/** An MTP sender wired to a real bus as start-node wires it (`fail` through `sendPlatformReplies`, rejecting what the log could not take). */
async function onBus(opts: {
  maxInFlight?: number;
  accUrl?: () => string | undefined;
  state?: AgentStateStore;
}): Promise<{ sender: MtpSender; opened: Awaited<ReturnType<typeof openBus>>; logged: string[] }> {
  let bus: Bus | undefined;
  const logged: string[] = [];
  const sender = new MtpSender({
    platform: 'caxton',
    peers: peers(),
    accUrl: opts.accUrl ?? (() => undefined),
    policyOf: () => undefined,
    ...(opts.maxInFlight !== undefined ? { maxInFlight: opts.maxInFlight } : {}),
    ...(opts.state !== undefined ? { state: opts.state } : {}),
    fail: (original, reason, kind, id) =>
      bus!.sendPlatformReplies([failureReply(original, bus!.platformId, reason, kind)], [id], { throwIfNotDurable: true }),
    log: (_agent, _level, line) => {
      logged.push(line);
    },
  });
  const opened = await openBus(['a'], {
    port: (p) => {
      p.transport = sender;
    },
  });
  bus = opened.bus;
  return { sender, opened, logged };
}

const failuresOf = (opened: Awaited<ReturnType<typeof openBus>>, agent: string): AclMessage[] =>
  opened.port.items
    .filter((i) => i.kind === 'delivery' && i.agent === agent)
    .map((i) => (i as unknown as { delivery: { message: AclMessage } }).delivery.message);

test('a send whose refusal failure the log could not take fails (it runs again), and the agent then gets that failure once', async () => {
  const { sender, opened } = await onBus({ maxInFlight: 0 });
  const { bus, log } = opened;
  const send = { performative: 'request' as const, receivers: [{ name: 'pong@far' }], content: 'hi' };
  log.failAppend = (d) => d.message.performative === 'failure';
  const first = await bus.send(send, { agent: 'a' }, 'd-1').then(
    () => 'resolved',
    (e: unknown) => (e as { code?: string }).code ?? String(e),
  );
  assert.equal(first, 'mtp.failure-not-durable', 'not done: the agent would never hear its post was refused');
  assert.equal(failuresOf(opened, 'a').length, 0);
  // The handling runs again: the same send under the same id, and now the log takes the failure.
  log.failAppend = () => false;
  await bus.send(send, { agent: 'a' }, 'd-1');
  await until(() => opened.port.handledBy('a').length === 1, 'a got the failure');
  await bus.send(send, { agent: 'a' }, 'd-1');
  await turns();
  const got = failuresOf(opened, 'a');
  assert.equal(got.length, 1, 'exactly one failure');
  assert.equal(got[0]!.userParams?.['X-caxton-failure'], 'mtp.outbox-full');
  await sender.close();
  await bus.stopDispatching();
  await bus.stop();
});

test('a post that ends in a failure the log could not take keeps its outbox record', async () => {
  const state = new MemoryMessageLog();
  // A return address, but the agent may make no HTTP call: the post ends in its mtp-delivery failure.
  const { sender, opened, logged } = await onBus({ state, accUrl: () => 'http://127.0.0.1:1/acc' });
  const { bus, log } = opened;
  log.failAppend = (d) => d.message.performative === 'failure';
  await bus.send({ performative: 'request', receivers: [{ name: 'pong@far' }], content: 'hi' }, { agent: 'a' }, 'd-1');
  await until(
    () => logged.some((l) => /failure could not be returned/.test(l)) || opened.events.some((e) => e.type === 'dropped'),
    'the failure was tried',
  );
  await turns();
  const records = [...(await state.readState('a')).keys()].filter(isMtpOutboxKey);
  assert.equal(records.length, 1, 'the record stays: the sender has not been told');
  assert.equal(opened.events.filter((e) => e.type === 'dropped').length, 0, 'not dropped');
  await sender.close();
  await bus.stopDispatching();
  await bus.stop();
});

/** Outbox records for `agent` in a fresh memory log: `n` sends to pong@far, each one record. */
async function withRecords(agent: string, n: number): Promise<MemoryMessageLog> {
  const log = new MemoryMessageLog();
  await log.commitState(
    agent,
    Array.from({ length: n }, (_, i) =>
      encodeMtpOutboxRecord({
        messageId: `m-${i}`,
        agent,
        url: ACC,
        platform: 'far',
        receivers: [{ name: 'pong@far' }],
        message: { ...message(`n${i}`), sender: { name: `${agent}@caxton` } },
        at: 0,
      }),
    ),
  );
  return log;
}

const outboxLeft = async (log: MemoryMessageLog, agent: string): Promise<number> =>
  [...(await log.readState(agent)).keys()].filter(isMtpOutboxKey).length;

test('records left for later are not taken once their agent is no longer on this node', async () => {
  const log = await withRecords('asker', 3);
  let local = true;
  const failed: string[] = [];
  const outstanding: (() => void)[] = [];
  const sender = new MtpSender({
    platform: 'caxton',
    peers: peers(),
    accUrl: () => 'http://127.0.0.1:1/acc',
    policyOf: () => undefined,
    state: log,
    maxInFlight: 1,
    isLocal: () => local,
    fail: (_original, _reason, _kind, id) =>
      new Promise<void>((resolve) => {
        failed.push(id);
        outstanding.push(resolve);
      }),
    log: () => {},
  });
  assert.equal(await sender.recover('asker'), 1);
  await until(() => outstanding.length === 1, 'the first post is unsettled');
  local = false; // the agent moved to another node while its other records waited
  outstanding.shift()!();
  // The first record's removal frees the slot and starts a drain pass: nothing more is posted or failed.
  let left = 3;
  await until(() => {
    void outboxLeft(log, 'asker').then((n) => {
      left = n;
    });
    return left === 2;
  }, 'the settled record is removed');
  await turns();
  assert.equal(failed.length, 1, 'no post of a record whose agent is elsewhere');
  assert.equal(await outboxLeft(log, 'asker'), 2, 'its records stay for its new owner');
  await sender.close();
});

test('while the records left for later are taken, a new send does not take the freed slot', async () => {
  const log = await withRecords('asker', 2);
  let reads = 0;
  const state: AgentStateStore = {
    readState: async (agent) => {
      reads += 1;
      return log.readState(agent);
    },
    clearState: (agent) => log.clearState(agent),
    commitState: (agent, writes) => log.commitState(agent, writes),
  };
  const failures: Failure[] = [];
  const outstanding: (() => void)[] = [];
  const sender = new MtpSender({
    platform: 'caxton',
    peers: peers(),
    accUrl: () => 'http://127.0.0.1:1/acc',
    policyOf: () => undefined,
    state,
    maxInFlight: 1,
    fail: (_original, reason, kind, id) =>
      new Promise<void>((resolve) => {
        failures.push({ reason, kind, id });
        // A refusal answers at once; a post's delivery failure is held (its slot stays taken).
        if (kind === 'mtp-delivery') outstanding.push(resolve);
        else resolve();
      }),
    log: () => {},
  });
  assert.equal(await sender.recover('asker'), 1);
  await until(() => outstanding.length === 1, 'the first record is unsettled');
  outstanding.shift()!();
  // The slot freed goes to the waiting record (older) — taken from the queue the replay read, with
  // no second read of the state (decision 1910, "Outbox drain, retry timer") — not to a new send.
  await until(() => outstanding.length === 1, 'the waiting record took the slot');
  assert.equal(failures[1]!.id, mtpFailureId('asker', 'm-1', 'mtp-delivery', ACC));
  await sender.forward({ messageId: 'new-1', message: message('new'), receivers: [{ name: 'pong@far' }], agent: 'asker' });
  assert.deepEqual(
    failures.map((f) => f.kind),
    ['mtp-delivery', 'mtp-delivery', 'mtp.outbox-full'],
  );
  outstanding.shift()!();
  let left = -1;
  await until(() => {
    void outboxLeft(log, 'asker').then((n) => {
      left = n;
    });
    return left === 0;
  }, 'both records settled and removed');
  assert.equal(failures.length, 3, 'each record failed once, and the refused send once');
  assert.equal(reads, 1, 'one read of the state, by the replay');
  await sender.close();
});

test('a commit that throws at once gives its slots back', async () => {
  const log = new MemoryMessageLog();
  let throwNow = true;
  const state: AgentStateStore = {
    readState: (agent) => log.readState(agent),
    clearState: (agent) => log.clearState(agent),
    commitState: (agent, writes) => {
      if (throwNow) throw new Error('store closed');
      return log.commitState(agent, writes);
    },
  };
  const failures: Failure[] = [];
  const sender = new MtpSender({
    platform: 'caxton',
    peers: peers(),
    accUrl: () => undefined,
    policyOf: () => undefined,
    state,
    maxInFlight: 1,
    fail: async (_original, reason, kind, id) => {
      failures.push({ reason, kind, id });
    },
    log: () => {},
  });
  const code = await sender.forward({ messageId: 'm-1', message: message('one'), receivers: [{ name: 'pong@far' }], agent: 'asker' }).then(
    () => 'resolved',
    (e: unknown) => (e as { code?: string }).code ?? String(e),
  );
  assert.equal(code, 'mtp.outbox-not-durable');
  throwNow = false;
  await sender.forward({ messageId: 'm-2', message: message('two'), receivers: [{ name: 'pong@far' }], agent: 'asker' });
  assert.deepEqual(
    failures.map((f) => f.kind),
    [],
    'the slot the failed commit took is free again',
  );
  assert.equal(await outboxLeft(log, 'asker'), 1);
  await sender.close();
});
