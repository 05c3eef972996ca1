/**
 * The kill switch on one node (issue 14, decision 1403), with real WASM agents on a real embedded
 * node. What is handled is counted from the agents' own records — the state counter's durable
 * count (examples/as-state-counter) and the answers it sends — not from the runtime's word:
 * - freeze under load: once freeze returns the stored counts and the answers stop moving while
 *   requests keep being accepted; after the thaw every request accepted before and during the
 *   freeze is answered exactly once, with counts exactly 1..N per counter, and nothing is
 *   dead-lettered;
 * - a timer that falls due while frozen waits and fires after the thaw;
 * - a suspended agent holds its mailbox while its neighbour keeps answering; it survives a restart;
 * - a frozen node that restarts comes back frozen and runs no init until the thaw;
 * - deploy is refused while frozen; freeze --cluster is refused on an embedded node.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sendHonouringRetryAfter } from './support/overload-retry.js';
import { TestNode, OPERATOR } from './support/test-node.js';

const COUNTERS = ['counter-a', 'counter-b'];

/** The answer (inform) to request `id`, as the counter sent it to the operator. */
function answers(node: TestNode): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const e of node.external) {
    if (e.to !== OPERATOR || e.message.performative !== 'inform' || e.message.inReplyTo === undefined) continue;
    const list = out.get(e.message.inReplyTo) ?? [];
    list.push(e.message.content ?? '');
    out.set(e.message.inReplyTo, list);
  }
  return out;
}

async function storedCount(node: TestNode, agent: string): Promise<number> {
  return Number((await node.control.getState(agent, 'count')) ?? '0');
}

/** Sends `n` requests to `agent`, `window` at a time; returns the ids the bus accepted. */
async function request(node: TestNode, agent: string, prefix: string, n: number, window = 32): Promise<string[]> {
  const accepted: string[] = [];
  for (let i = 0; i < n; i += window) {
    const ids = Array.from({ length: Math.min(window, n - i) }, (_, k) => `${prefix}-${i + k}`);
    const results = await Promise.all(
      ids.map((id) =>
        sendHonouringRetryAfter(node.control, { performative: 'request', receivers: [{ name: agent }], replyWith: id, content: 'count' }),
      ),
    );
    results.forEach((r, k) => {
      if (r.accepted.includes(agent)) accepted.push(ids[k]!);
    });
  }
  return accepted;
}

/** Every accepted request answered exactly once, the answers of one counter exactly 1..N. */
function assertExactlyOnce(node: TestNode, byAgent: Map<string, string[]>): void {
  const got = answers(node);
  for (const [agent, ids] of byAgent) {
    const counts: number[] = [];
    for (const id of ids) {
      const a = got.get(id);
      assert.ok(a, `${agent}: request ${id} was never answered`);
      assert.equal(a.length, 1, `${agent}: request ${id} answered ${a.length} times (${a.join(',')})`);
      counts.push(Number(a[0]));
    }
    counts.sort((x, y) => x - y);
    assert.deepEqual(
      counts,
      Array.from({ length: ids.length }, (_, i) => i + 1),
      `${agent}: the counts are not exactly 1..${ids.length}`,
    );
  }
}

test('freeze under load: nothing is handled while frozen, every request accepted before and during it is answered exactly once after the thaw', {
  timeout: 180_000,
}, async () => {
  const node = await TestNode.start();
  try {
    for (const c of COUNTERS) await node.deploy(c, 'as-state-counter');
    const accepted = new Map<string, string[]>(COUNTERS.map((c) => [c, []]));
    // Load before the freeze, still flowing when it is pulled.
    let stopLoad = false;
    const before = Promise.all(
      COUNTERS.map(async (c) => {
        for (let round = 0; !stopLoad; round++) accepted.get(c)!.push(...(await request(node, c, `${c}-before-${round}`, 64)));
      }),
    );
    await node.waitFor('200 answers before the freeze', () => answers(node).size >= 200, 60_000);
    const result = await node.control.freeze('node');
    stopLoad = true;
    await before;
    assert.equal(result.status.frozen, true);
    assert.equal(result.status.nodeFrozen, true);
    const answeredAtFreeze = answers(node).size;
    const countsAtFreeze = await Promise.all(COUNTERS.map((c) => storedCount(node, c)));
    const handledAtFreeze = node.handled.length;
    process.stdout.write(
      `# freeze returned after ${result.drainedMs} ms draining (${answeredAtFreeze} answered, stored counts ${countsAtFreeze.join(', ')})\n`,
    );

    // During the freeze: requests keep being accepted, nothing runs.
    for (const c of COUNTERS) accepted.get(c)!.push(...(await request(node, c, `${c}-frozen`, 300)));
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(answers(node).size, answeredAtFreeze, 'an agent answered while frozen');
    assert.deepEqual(await Promise.all(COUNTERS.map((c) => storedCount(node, c))), countsAtFreeze, 'a stored count moved while frozen');
    assert.equal(node.handled.length, handledAtFreeze, 'the bus reported a handling while frozen');
    const status = await node.control.status();
    assert.equal(status.killSwitch?.frozen, true);
    const agents = await node.control.listAgents();
    for (const a of agents) assert.ok(a.mailboxDepth >= 300, `${a.name} holds ${a.mailboxDepth} waiting messages`);

    const thawed = await node.control.thaw('node');
    assert.equal(thawed.status.frozen, false);
    const total = [...accepted.values()].reduce((n, ids) => n + ids.length, 0);
    await node.waitFor(`all ${total} accepted requests answered`, () => answers(node).size >= total, 120_000);
    await node.settle(300);
    assertExactlyOnce(node, accepted);
    for (const c of COUNTERS) assert.equal(await storedCount(node, c), accepted.get(c)!.length, `${c}: stored count`);
    assert.deepEqual(node.deadLettered, [], 'nothing is dead-lettered');
    process.stdout.write(
      `# ${total} requests (${COUNTERS.map((c) => accepted.get(c)!.length).join(' + ')}), each answered once after the thaw\n`,
    );
  } finally {
    await node.dispose();
  }
});

test('a timer that falls due while frozen waits and fires after the thaw', { timeout: 60_000 }, async () => {
  const node = await TestNode.start();
  try {
    await node.deploy('reminder', 'as-reminder');
    await node.send({
      performative: 'request',
      receivers: [{ name: 'reminder' }],
      protocol: 'fipa-request',
      conversationId: 't1',
      replyWith: 't1-q',
      content: '300 wake up',
    });
    const informed = () =>
      node.external.find((e) => e.to === OPERATOR && e.message.conversationId === 't1' && e.message.performative === 'inform');
    await node.waitFor('the agree', () =>
      node.external.find((e) => e.message.conversationId === 't1' && e.message.performative === 'agree'),
    );
    await node.control.freeze('node');
    await new Promise((r) => setTimeout(r, 1200)); // due after 300 ms
    assert.equal(informed(), undefined, 'the timer fired while frozen');
    const thawedAt = Date.now();
    await node.control.thaw('node');
    const inform = await node.waitFor('the reminder after the thaw', informed, 10_000);
    assert.equal(inform.message.content, 'reminder: wake up');
    assert.ok(inform.at >= thawedAt);
  } finally {
    await node.dispose();
  }
});

test('suspend holds one agent while its neighbour keeps answering; it stays suspended across a restart; resume hands out what waited', {
  timeout: 120_000,
}, async () => {
  const first = await TestNode.start();
  const dataDir = first.dataDir;
  let second: TestNode | undefined;
  try {
    for (const c of COUNTERS) await first.deploy(c, 'as-state-counter');
    const held = await first.control.suspend('counter-a');
    assert.equal(held.state, 'suspended');
    const a = await request(first, 'counter-a', 'a', 50);
    const b = await request(first, 'counter-b', 'b', 50);
    await first.waitFor('the neighbour answers all 50', () => b.every((id) => answers(first).has(id)), 30_000);
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(a.filter((id) => answers(first).has(id)).length, 0, 'the suspended agent answered');
    assert.equal(await storedCount(first, 'counter-a'), 0);
    const status = await first.control.getAgent('counter-a');
    assert.equal(status?.state, 'suspended');
    assert.equal(status?.mailboxDepth, 50);
    assert.deepEqual((await first.control.status()).killSwitch?.suspended, ['counter-a']);
    await first.stop();

    second = await TestNode.start({ dataDir });
    const restarted = second;
    assert.equal((await restarted.control.getAgent('counter-a'))?.state, 'suspended', 'still suspended after the restart');
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(await storedCount(restarted, 'counter-a'), 0, 'the suspended agent handled its replayed mail');
    assert.ok(!restarted.logs('counter-a').some((l) => l.includes('resuming at count')), 'the suspended agent ran init');
    const resumed = await restarted.control.resume('counter-a');
    assert.notEqual(resumed.state, 'suspended');
    await restarted.waitFor('the 50 waiting requests answered', () => a.every((id) => answers(restarted).has(id)), 30_000);
    assertExactlyOnce(restarted, new Map([['counter-a', a]]));
    assert.equal(await storedCount(restarted, 'counter-a'), 50);
  } finally {
    // The second node runs on the first one's directory: stop it before that directory goes.
    await second?.dispose();
    await first.dispose();
  }
});

test('a frozen node restarts frozen: no init, no handling until the thaw; deploy is refused while frozen', {
  timeout: 120_000,
}, async () => {
  const first = await TestNode.start();
  const dataDir = first.dataDir;
  let second: TestNode | undefined;
  try {
    await first.deploy('counter-a', 'as-state-counter');
    await first.control.freeze('node');
    await assert.rejects(first.deploy('counter-b', 'as-state-counter'), (err: { code?: string }) => err.code === 'node.frozen');
    await assert.rejects(first.control.freeze('cluster'), (err: { code?: string }) => err.code === 'node.not-clustered');
    await first.stop();

    second = await TestNode.start({ dataDir });
    const restarted = second;
    assert.equal((await restarted.control.status()).killSwitch?.nodeFrozen, true, 'came back frozen');
    const ids = await request(restarted, 'counter-a', 'r', 20);
    assert.equal(ids.length, 20, 'requests are accepted while frozen');
    await new Promise((r) => setTimeout(r, 800));
    assert.equal(answers(restarted).size, 0, 'handled while frozen after the restart');
    const initLines = async () => (await restarted.storedLogs('counter-a')).filter((l) => l.includes('resuming at count')).length;
    const initsBefore = await initLines();
    await restarted.control.thaw('node');
    await restarted.waitFor('the 20 requests answered', () => ids.every((id) => answers(restarted).has(id)), 30_000);
    assertExactlyOnce(restarted, new Map([['counter-a', ids]]));
    assert.equal(await initLines(), initsBefore + 1, 'init ran once, after the thaw');
  } finally {
    // The second node runs on the first one's directory: stop it before that directory goes.
    await second?.dispose();
    await first.dispose();
  }
});
