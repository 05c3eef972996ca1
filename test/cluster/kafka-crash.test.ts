/**
 * @test-runs-alone: three `caxton serve` nodes, one killed with SIGKILL and started again per scenario.
 *
 * The embedded log's crash tests (test/bus/*-crash, timer-exactly-once) on the Kafka log (issue 55):
 * three `caxton serve` nodes on real Kafka and etcd; the victim (n3) runs with a fault point armed
 * (`CAXTON_FAULT_POINT`), so it dies by SIGKILL exactly at a step boundary of a handling plan of an
 * agent placed on it; the survivors take its partitions and agents, and the exact outcome is
 * asserted; then n3 starts again with the next scenario's point and takes them back. The points are
 * counted from n3's start, and nothing else is handled on n3 meanwhile, so each kill lands where the
 * scenario says. The embedded log's own points (`group-written`, `group-torn`: its segment writer)
 * do not apply to Kafka.
 *
 * What each scenario asserts is in its table entry below. Throughout: an agent receiver gets each
 * message id once, a timer's firing counts once, a handling's state writes count once (docs/
 * architecture.md, Guarantees); a message to the operator is at least once under one id (docs/
 * cluster.md), so answers are counted by id, and one sent by n3 just before its death may be
 * missing from its tail.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { servers, uniqueCluster, type Servers } from './support/servers.js';
import { waitFor } from './support/cluster.js';
import { CrashCluster, VICTIM, namesPlaced } from './support/crash-cluster.js';
import { readFileSync } from 'node:fs';
import type { CaxtonClient } from '@caxton/runtime';
import { agentArtifact } from '../bus/support/artifacts.js';
import { example } from './support/paths.js';

interface Scenario {
  name: string;
  /** The point n3 is armed with (`<point>:<n>`: the n-th time it is reached since n3 started). */
  fault: string;
  /** Named agents that must run on n3 before the trigger. */
  agents: string[];
  /** Sends what makes n3 reach its fault point. */
  trigger(c: CrashCluster): Promise<void>;
  /** Once the survivors hold n3's partitions: waits for the outcome and asserts it. */
  check(c: CrashCluster, t: { diagnostic(message: string): void }): Promise<void>;
}

const PUB = namesPlaced('pub', 1, true)[0]!;
/** Probes counting requests in durable state: half on n3, half on the survivors. */
const PROBES_ON_N3 = namesPlaced('probe', 3, true);
const PROBES = [...PROBES_ON_N3, ...namesPlaced('probe', 3, false)];
const FANS = 3;
const TC_FIRE = namesPlaced('tc-fire', 1, true)[0]!;
const TC_FORGET = namesPlaced('tc-forget', 1, true)[0]!;
const TC_ORDER = namesPlaced('tc-order', 1, true)[0]!;
const ORDER_REQUESTS = 8;
const TC_REDO = namesPlaced('tc-redo', 1, true)[0]!;
const TC_LATE = namesPlaced('tc-late', 1, true)[0]!;
const LOOKUP = namesPlaced('lookup', 1, true)[0]!;
/** State counters rolled out blue-green (a handover, decisions 2170, 2171), on n3. */
const RO_TAKE = namesPlaced('ro-take', 1, true)[0]!;
const RO_BACK = namesPlaced('ro-back', 1, true)[0]!;
/** The rollback asked through n1 in the hand-back scenario: it answers once the rollout left the record. */
let handBack: Promise<{ agent: { version: number; rollout?: { phase: string } } }> | undefined;
const KIND = 'tally';
const KEYS = namesPlaced(`${KIND}/k`, 3, true);

let infra: Servers;
let c: CrashCluster;
let http: Server;
const bodies: string[] = [];

/** The probe's report `<content>|<node>|<instance>|<n>|<now>|<count>`, seen on any node: content → counts, per probe. */
function probeCounts(c: CrashCluster): Map<string, Map<string, Set<number>>> {
  const out = new Map<string, Map<string, Set<number>>>();
  for (const s of c.seen) {
    const probe = (s.event.message.sender?.name ?? '').replace(/@.*$/, '');
    if (!PROBES.includes(probe) || s.event.message.performative !== 'inform') continue;
    const fields = (s.event.message.content ?? '').split('|');
    const perProbe = out.get(probe) ?? new Map<string, Set<number>>();
    perProbe.set(fields[0]!, (perProbe.get(fields[0]!) ?? new Set()).add(Number(fields[5])));
    out.set(probe, perProbe);
  }
  return out;
}

/** Distinct message ids among `seen`. */
const ids = (seen: readonly { event: { messageId: string } }[]): Set<string> => new Set(seen.map((s) => s.event.messageId));

/**
 * A timer counter after the kill, settled: `armed` is asked first (answered once every request sent
 * before it was handled and committed, so each timer they set is in the registry), then the registry
 * is waited empty (each fired and forgotten) and the done markers cleared, then `count` is asked.
 */
async function timersSettled(c: CrashCluster, agent: string, replyWith: string): Promise<{ count: string; armed: string }> {
  const armed = await c.ask(agent, 'query-ref', 'armed', `${replyWith}-armed`);
  await waitFor(`${agent}'s timers to be gone from the registry`, async () => (await c.timersInRegistry(agent)) === 0, 90_000, 200);
  const owner = await c.ownerOf(agent);
  await waitFor(
    `${agent}'s done markers to be cleared`,
    async () => (await owner.listState(agent, { prefix: '\u0000timer/' })).entries.length === 0,
    60_000,
    200,
  );
  const count = await c.ask(agent, 'query-ref', 'count', `${replyWith}-count`);
  return { count, armed };
}

/** Sends `n` requests to `agent` through n1, each waited for (answered on any node): their answers. */
async function counted(c: CrashCluster, agent: string, tag: string, n: number): Promise<string[]> {
  const answers: string[] = [];
  for (let i = 0; i < n; i++) {
    const replyWith = `${tag}-${i}`;
    await c.client('n1').send({ structured: { performative: 'request', receivers: [{ name: agent }], content: 'inc', replyWith } });
    answers.push(
      (await waitFor(`${agent} to answer ${replyWith}`, () => c.replies(replyWith)[0], 90_000, 100)).event.message.content ?? '',
    );
  }
  return answers;
}

/** A blue-green rollout of the state counter (the same component, a new config) through n1. */
const rollOut = (c: CrashCluster, agent: string) =>
  c
    .client('n1')
    .upgrade(
      { name: agent, config: { generation: '2' }, rollout: { strategy: { kind: 'blue-green' }, thresholds: { bakeMs: 600_000 } } },
      readFileSync(example('as-state-counter', 'as-state-counter.wasm')),
    );

/** Lines of `agent`'s log on the node `c` reaches. */
async function logLines(c: CaxtonClient, agent: string): Promise<string[]> {
  const lines: string[] = [];
  await c.logs({ agent, follow: false, limit: 10_000 }, (l) => lines.push(l.message)).done.catch(() => undefined);
  return lines;
}

/** Informs answering `replyWith` (a timer's firing) accepted on a survivor's node; asked after timersSettled, any second firing's is among them. */
const firedBySurvivors = (c: CrashCluster, replyWith: string): number =>
  c.replies(replyWith, 'inform').filter((s) => s.node !== VICTIM).length;

const SCENARIOS: Scenario[] = [
  {
    name: `before-commit of a handling that sends one request to ${PROBES.length} probes (fan-out): the new owner handles the command again and sends under the same id; each probe counts each request once`,
    fault: 'before-commit:1',
    agents: [PUB, ...PROBES_ON_N3],
    async trigger(c) {
      for (let i = 0; i < FANS; i++) {
        await c.client('n1').send({
          structured: {
            performative: 'request',
            receivers: [{ name: PUB }],
            userParams: { 'X-puppet': 'do' },
            content: `performative=request\nto=${PROBES.join(',')}\ncontent=fan-${i}`,
          },
        });
      }
    },
    async check(c, t) {
      const fans = Array.from({ length: FANS }, (_, i) => `fan-${i}`);
      await waitFor(
        'every probe to report every request',
        () => {
          const counts = probeCounts(c);
          return PROBES.every((p) => fans.every((f) => counts.get(p)?.has(f)));
        },
        90_000,
        200,
      );
      // Each command's send left under one id (the redone one a duplicate of the first).
      const sends = (f: string) =>
        c.seen.filter((s) => (s.event.message.sender?.name ?? '').startsWith(`${PUB}@`) && s.event.message.content === f);
      for (const f of fans) assert.equal(ids(sends(f)).size, 1, `${f} was sent under ${ids(sends(f)).size} message ids`);
      const counts = probeCounts(c);
      for (const p of PROBES) {
        const perFan = fans.map((f) => [...counts.get(p)!.get(f)!]);
        assert.deepEqual(perFan, [[1], [2], [3]], `${p}'s durable count after each request: each counted once, in order`);
        const stored = await (await c.ownerOf(p)).getState(p, 'count');
        assert.equal(stored.value, String(FANS), `${p}'s stored count`);
      }
      t.diagnostic(`fan-out: ${PUB}'s sends seen under ids ${fans.map((f) => [...ids(sends(f))].join('/')).join(', ')}`);
    },
  },
  {
    name: "after-commit of a timer's firing (its count and done marker committed, the timer not deleted): the new owner fires it again and only forgets it",
    // 1: the request that arms it; 2: the firing.
    fault: 'after-commit:2',
    agents: [TC_FIRE],
    async trigger(c) {
      await c
        .client('n1')
        .send({ structured: { performative: 'request', receivers: [{ name: TC_FIRE }], content: 'tick 1', replyWith: 'fire' } });
    },
    async check(c, t) {
      const r = await timersSettled(c, TC_FIRE, 'fire');
      assert.equal(r.armed, '1', 'the request counted once');
      assert.equal(r.count, '1', 'the firing counted once');
      assert.equal(firedBySurvivors(c, 'fire'), 0, 'the firing committed on n3 was not handled again by its new owner');
      t.diagnostic(`timer after-commit: informs of the firing seen from n3 ${c.replies('fire', 'inform').length}`);
    },
  },
  {
    name: 'after-forget-timer (the timer deleted, its done marker not cleared): the new owner sweeps the marker; the firing counted once',
    fault: 'after-forget-timer:1',
    agents: [TC_FORGET],
    async trigger(c) {
      await c
        .client('n1')
        .send({ structured: { performative: 'request', receivers: [{ name: TC_FORGET }], content: 'tick 1', replyWith: 'forget' } });
    },
    async check(c) {
      const r = await timersSettled(c, TC_FORGET, 'forget');
      assert.equal(r.armed, '1');
      assert.equal(r.count, '1');
      assert.equal(firedBySurvivors(c, 'forget'), 0, 'nothing fired again');
    },
  },
  {
    name: `before-commit:5 among ${ORDER_REQUESTS} requests to one agent alternating a timer-setting one and a state-only one (its commits chained over many batches): every note once, in send order; each timer counted once`,
    fault: 'before-commit:5',
    // Whichever of the eight the kill lands on, a tick's or a note's commit point: a killed tick
    // set no timer (its timers are written only after its commit), and its redo sets it once.
    agents: [TC_ORDER],
    async trigger(c) {
      // One after another, so the agent's mailbox order is the send order.
      for (let i = 0; i < ORDER_REQUESTS; i++) {
        const content = i % 2 === 0 ? `tick 1 o${i}` : `note o${i}`;
        await c
          .client('n1')
          .send({ structured: { performative: 'request', receivers: [{ name: TC_ORDER }], content, replyWith: `order-${i}` } });
      }
    },
    async check(c) {
      const expected = Array.from({ length: ORDER_REQUESTS }, (_, i) => `o${i};`).join('');
      let notes = '';
      await waitFor(
        'every note to be committed',
        async () => (notes = await c.ask(TC_ORDER, 'query-ref', 'notes', `order-notes-${Date.now()}`)).length >= expected.length,
        90_000,
        500,
      );
      assert.equal(notes, expected, 'each note once, in send order');
      const r = await timersSettled(c, TC_ORDER, 'order');
      const ticks = String(ORDER_REQUESTS / 2);
      assert.equal(r.armed, ticks, 'each tick armed once');
      assert.equal(r.count, ticks, 'each timer counted once');
      for (let i = 0; i < ORDER_REQUESTS; i += 2) {
        const informs = ids(c.replies(`order-${i}`, 'inform'));
        assert.ok(informs.size <= 1, `order-${i}'s timer informed under ${informs.size} ids`);
      }
    },
  },
  {
    name: 'before-commit of a request that set a timer (the request not completed, so its timer not in the registry): the request is handled again, its timer counted once',
    fault: 'before-commit:1',
    agents: [TC_REDO],
    async trigger(c) {
      await c
        .client('n1')
        .send({ structured: { performative: 'request', receivers: [{ name: TC_REDO }], content: 'tick 1', replyWith: 'redo' } });
    },
    async check(c) {
      const r = await timersSettled(c, TC_REDO, 'redo');
      assert.equal(r.armed, '1', 'the request counted once');
      assert.equal(r.count, '1', 'its timer counted once');
      assert.equal(ids(c.replies('redo', 'inform')).size, 1, 'its timer informed under one id');
      const contents = new Set(c.replies('redo', 'inform').map((x) => x.event.message.content));
      assert.deepEqual([...contents], ['1'], 'every inform of its firing says 1');
    },
  },
  {
    name: "after-commit of a request that set a timer (its record committed with it, the timer not written to the registry yet): the new owner writes it at the agent's start; it fires and counts once",
    fault: 'after-commit:1',
    agents: [TC_LATE],
    async trigger(c) {
      await c
        .client('n1')
        .send({ structured: { performative: 'request', receivers: [{ name: TC_LATE }], content: 'tick 1', replyWith: 'late' } });
    },
    async check(c) {
      const r = await timersSettled(c, TC_LATE, 'late');
      assert.equal(r.armed, '1', 'the request counted once');
      assert.equal(r.count, '1', 'its timer fired and counted once');
      assert.equal(ids(c.replies('late', 'inform')).size, 1, 'its timer informed under one id');
      const owner = await c.ownerOf(TC_LATE);
      assert.deepEqual((await owner.listState(TC_LATE, { prefix: '\u0000timer-set/' })).entries, [], 'no timer record left');
    },
  },
  {
    name: "after-commit of a handling that made an HTTP call (the call's pending record committed, the call not released): the new owner answers it interrupted and never sends it",
    fault: 'after-commit:1',
    agents: [LOOKUP],
    async trigger(c) {
      await c
        .client('n1')
        .send({ structured: { performative: 'request', receivers: [{ name: LOOKUP }], content: 'first call', replyWith: 'call-1' } });
    },
    async check(c) {
      const first = await waitFor(
        'the interrupted call to be answered',
        () => c.replies('call-1').find((s) => s.node !== VICTIM),
        90_000,
        100,
      );
      assert.equal(first.event.message.performative, 'failure');
      assert.equal(first.event.message.content, 'http call failed: interrupted');
      assert.equal(await c.ask(LOOKUP, 'request', 'second call', 'call-2'), 'SECOND CALL');
      assert.deepEqual(bodies, ['second call'], 'the interrupted call was never sent');
      assert.equal(ids(c.replies('call-1')).size, 1, 'the first request answered under one id');
      const owner = await c.ownerOf(LOOKUP);
      assert.deepEqual((await owner.listState(LOOKUP, { prefix: '\u0000http/' })).entries, [], 'no pending-call record left');
    },
  },
  {
    name: 'rollout-taken-over (a stateful blue-green rollout: the new version holds the state, nothing handled on it): the next node runs the rollout again from the record; every request counted once',
    fault: 'rollout-taken-over:1',
    agents: [RO_TAKE],
    async trigger(c) {
      assert.deepEqual(await counted(c, RO_TAKE, 'take-before', 3), ['1', '2', '3']);
      await rollOut(c, RO_TAKE); // recorded; n3, running the agent, takes it over and dies
    },
    async check(c) {
      assert.equal(await c.ask(RO_TAKE, 'request', 'inc', 'take-after'), '4', 'the count goes on, nothing lost or twice');
      const owner = await c.ownerOf(RO_TAKE);
      await waitFor(
        'the rollout to be run again on the new owner',
        async () => (await owner.getAgent(RO_TAKE)).rollout?.phase === 'baking',
        60_000,
        200,
      );
      assert.ok(
        (await logLines(owner, RO_TAKE)).some((l) => l.includes('holding the state')),
        'a handover again, on the new owner',
      );
      const ended = await c.client('n1').rollback(RO_TAKE);
      assert.equal(ended.agent.rollout?.phase, 'aborted');
      assert.equal(await c.ask(RO_TAKE, 'request', 'inc', 'take-back'), '5', 'the old version reads what the new one wrote');
    },
  },
  {
    name: "rollout-handed-back (an operator's rollback of a stateful blue-green rollout: the new version stopped, the running one's view not reset, still recorded): the next node ends it; every request counted once",
    fault: 'rollout-handed-back:1',
    agents: [RO_BACK],
    async trigger(c) {
      assert.deepEqual(await counted(c, RO_BACK, 'back-before', 2), ['1', '2']);
      await rollOut(c, RO_BACK);
      await waitFor(
        'the handover on n3',
        async () => (await logLines(c.client(VICTIM), RO_BACK)).some((l) => l.includes('holding the state')),
        60_000,
        100,
      );
      assert.deepEqual(await counted(c, RO_BACK, 'back-during', 1), ['3'], 'the new version counts on from the old one');
      handBack = c.client('n1').rollback(RO_BACK); // n3 dies handing the state back; n1 answers once the rollout left the record
    },
    async check(c) {
      const ended = await handBack!;
      assert.equal(ended.agent.version, 1);
      assert.equal(ended.agent.rollout?.phase, 'aborted');
      assert.equal(await c.ask(RO_BACK, 'request', 'inc', 'back-after'), '4', 'the old version reads what the new one wrote');
      assert.equal((await c.client('n1').getAgent(RO_BACK)).rollout, undefined, 'no longer recorded');
    },
  },
  {
    name: `after-commit of the first request to passivated instances of a keyed kind (${KEYS.length} keys on n3): no key counts a request twice or loses one`,
    // The first round (one commit per key) runs before the instances passivate; the second round's first commit kills.
    fault: `after-commit:${KEYS.length + 1}`,
    agents: [],
    async trigger(c) {
      for (const key of KEYS)
        await c
          .client('n1')
          .send({ structured: { performative: 'request', receivers: [{ name: key }], content: 'count', replyWith: `r1:${key}` } });
      await waitFor('the first round answered', () => KEYS.every((k) => c.replies(`r1:${k}`).length > 0), 90_000, 100);
      const firsts = KEYS.map((k) => c.replies(`r1:${k}`)[0]!);
      assert.deepEqual(
        firsts.map((s) => [s.node, s.event.message.content]),
        KEYS.map(() => [VICTIM, '1']),
        'n3 answered the first round, each key 1',
      );
      await waitFor(
        'every key passivated on n3',
        async () => {
          const kind = (await c.client(VICTIM).getAgent(KIND)).kind;
          return kind !== undefined && kind.active === 0 && kind.passivated >= KEYS.length;
        },
        60_000,
        100,
      );
      for (const key of KEYS)
        await c
          .client('n1')
          .send({ structured: { performative: 'request', receivers: [{ name: key }], content: 'count', replyWith: `r2:${key}` } });
    },
    async check(c) {
      // A third round after the move: each key's answer is exactly 3 (the second counted once, whether it committed on n3 or was handled again).
      for (const key of KEYS) assert.equal(await c.ask(key, 'request', 'count', `r3:${key}`), '3', `${key}'s third request`);
      const second = KEYS.flatMap((k) => c.replies(`r2:${k}`).map((s) => s.event.message.content));
      assert.ok(
        second.every((a) => a === '2'),
        `every answer seen to a second request is 2: ${second.join(' ')}`,
      );
    },
  },
];

before(async () => {
  infra = await servers();
  http = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    req.on('end', () => {
      bodies.push(body);
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(body.toUpperCase());
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  c = await CrashCluster.start(infra, uniqueCluster('kafka-crash'), SCENARIOS[0]!.fault);
  const n1 = c.client('n1');
  const bytes = async (example: string) => (await agentArtifact(example)).bytes;
  await n1.deploy({ name: PUB, config: {} }, await bytes('conformance/puppet'));
  for (const p of PROBES) await n1.deploy({ name: p, config: { state: '1' } }, await bytes('cluster/probe'));
  for (const tc of [TC_FIRE, TC_FORGET, TC_ORDER, TC_REDO, TC_LATE])
    await n1.deploy({ name: tc, config: {} }, await bytes('as-timer-counter'));
  const port = (http.address() as AddressInfo).port;
  await n1.deploy(
    {
      name: LOOKUP,
      config: { 'service-url': `http://localhost:${port}/shout` },
      http: { timeoutMs: 20_000, allow: [{ host: 'localhost', ports: [port], allowPrivate: true }] },
    },
    await bytes('js-http-agent'),
  );
  for (const ro of [RO_TAKE, RO_BACK]) await n1.deploy({ name: ro, config: {} }, await bytes('as-state-counter'));
  await n1.deploy({ name: KIND, config: {}, kind: { idleMs: 300 } }, await bytes('as-state-counter'));
  await waitFor(
    'the kind to be known on n3',
    async () =>
      (
        await c
          .client(VICTIM)
          .getAgent(KIND)
          .catch(() => undefined)
      )?.kind,
    30_000,
    100,
  );
});

after(async () => {
  await c?.close();
  await Promise.allSettled((c?.processes ?? []).map((n) => n.stop(15_000)));
  http?.close();
  await infra?.stop();
});

for (const [i, s] of SCENARIOS.entries()) {
  test(`SIGKILL of n3 at ${s.name}`, { timeout: 240_000 }, async (t) => {
    const started = Date.now();
    if (i > 0) await c.restartVictim(s.fault);
    await c.placedOn(s.agents, VICTIM);
    await s.trigger(c);
    const exit = await c.victimKilled();
    assert.deepEqual(exit, { code: null, signal: 'SIGKILL' }, `n3 died at ${s.fault}`);
    const killed = Date.now();
    await s.check(c, t);
    t.diagnostic(
      `${s.fault}: armed and triggered in ${((killed - started) / 1000).toFixed(1)} s (n3 killed, survivors settled), checked in ${((Date.now() - killed) / 1000).toFixed(1)} s`,
    );
  });
}
