/**
 * The parity suite's one list of scenarios (issue 55). Each runs, as written, on every topology
 * (topologies.ts) through the typed client only, and ends one of two ways: it holds (its exact
 * counts asserted), or it is refused with a typed error — which must then be the refusal
 * docs/routing.md lists for that topology, with why (`REFUSED` below is that list).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { CaxtonClient } from '@caxton/runtime';
import { PRIORITY_PARAM, keyToCandidate, type AclMessage, type MessageEvent, type Priority, type RolloutStrategy } from '@caxton/core';
import { currentAgents, desiredAgents, formatStep, parseAppManifest, planApply, runSteps, type Step } from '@caxton/cli/apply';
import { waitFor } from '../cluster/support/cluster.js';
import { example } from '../cluster/support/paths.js';
import type { Topology, TopologyName } from './topologies.js';

/** A scenario ends holding, or refused with this typed error code. */
export type Outcome = { holds: true } | { refused: string; message: string };

export interface Scenario {
  name: string;
  /** `prefix` makes this run's agent names unique. */
  run(t: Topology, prefix: string): Promise<Outcome>;
}

/** What a topology refuses, by scenario, as docs/routing.md lists it. Absent: it must hold. */
export const REFUSED: Record<string, Partial<Record<TopologyName, string>>> = {};

const WAIT_MS = 90_000;
const wasm = (dir: string, name = dir.split('/').at(-1)!): Uint8Array => readFileSync(example(dir, `${name}.wasm`));
const STATE_COUNTER = (): Uint8Array => wasm('as-state-counter');
const TIMER_COUNTER = (): Uint8Array => wasm('as-timer-counter');
const POISON = (): Uint8Array => wasm('hostile/as-poison', 'hostile-as-poison');
const TOPIC_PROBE = (): Uint8Array => wasm('conformance/topic-probe', 'conformance-topic-probe');
const WORKER = (): Uint8Array => wasm('as-worker');
const HOLDS: Outcome = { holds: true };

let requests = 0;
/** A request with its own reply-with (agents key what they remember of a request by it). */
const request = (to: string, content: string): { structured: AclMessage } => ({
  structured: { performative: 'request', receivers: [{ name: to }], content, replyWith: `parity-${++requests}` },
});

/** Client `i` of the topology, round robin: a scenario's sends enter through every node in turn. */
const via = (t: Topology, i: number): CaxtonClient => t.clients[i % t.clients.length]!;

/**
 * An agent's state value, asked of each node in turn until one answers (in a cluster a kind's
 * instance is read on the node holding its partition); undefined while none has it.
 */
async function stateOf(t: Topology, agent: string, key: string): Promise<string | undefined> {
  for (const c of t.clients) {
    try {
      return (await c.getState(agent, key)).value;
    } catch {
      // not this node's to answer, or not written yet
    }
  }
  return undefined;
}

async function untilState(t: Topology, agent: string, key: string, want: string): Promise<void> {
  let last: string | undefined;
  await waitFor(`${agent}'s ${key} to read ${want}`, async () => (last = await stateOf(t, agent, key)) === want, WAIT_MS, 250).catch(
    (err: Error) => {
      throw new Error(`${err.message} (last read: ${last ?? 'nothing'})`);
    },
  );
}

/** A kind's counts summed over every node (each node reports the instances it holds). */
async function kindTotals(t: Topology, kind: string): Promise<{ active: number; passivated: number; activations: number }> {
  const sum = { active: 0, passivated: 0, activations: 0 };
  for (const c of t.clients) {
    const k = (await c.getAgent(kind)).kind;
    if (k === undefined) continue;
    sum.active += k.active;
    sum.passivated += k.passivated;
    sum.activations += k.activations;
  }
  return sum;
}

function refusal(err: unknown): Outcome {
  const e = err as { code?: string; message?: string };
  if (typeof e.code !== 'string' || e.code === '') throw err;
  return { refused: e.code, message: e.message ?? '' };
}

export const SCENARIOS: readonly Scenario[] = [
  {
    name: 'keyed kind: activation, passivation, reactivation, exact counts',
    async run(t, prefix) {
      const kind = `${prefix}counter`;
      await via(t, 0).deploy({ name: kind, config: {}, kind: { idleMs: 500 } }, STATE_COUNTER());
      for (let i = 0; i < 5; i++) await via(t, i).send(request(`${kind}/a`, 'inc'));
      for (let i = 0; i < 3; i++) await via(t, i + 1).send(request(`${kind}/b`, 'inc'));
      await untilState(t, `${kind}/a`, 'count', '5');
      await untilState(t, `${kind}/b`, 'count', '3');
      // Passivated when idle (500 ms): on a slow machine an instance may also be passivated between
      // two of its requests, and in a cluster one may leave a node that loses its partition without
      // a passivation (a consumer-group rebalance on a loaded machine); so the counts are bounds, and
      // the state counts the exact figures. One node has no partitions to lose: both are passivated.
      const oneNode = t.clients.length === 1;
      let last: Awaited<ReturnType<typeof kindTotals>> | undefined;
      const idle = await waitFor(
        oneNode ? 'both instances to be passivated' : 'both instances to leave memory, at least one passivated',
        async () => {
          const k = (last = await kindTotals(t, kind));
          return k.active === 0 && k.activations >= 2 && k.passivated >= (oneNode ? 2 : 1) ? k : undefined;
        },
        WAIT_MS,
        250,
      ).catch((err: Error) => {
        throw new Error(`${err.message} (last totals: ${JSON.stringify(last)})`);
      });
      assert.ok(idle.passivated <= idle.activations, `no passivation without its activation: ${JSON.stringify(idle)}`);
      for (let i = 0; i < 2; i++) await via(t, i + 2).send(request(`${kind}/a`, 'inc'));
      await untilState(t, `${kind}/a`, 'count', '7');
      await untilState(t, `${kind}/b`, 'count', '3');
      const k = await kindTotals(t, kind);
      assert.ok(k.activations > idle.activations, `a was activated again: ${JSON.stringify(k)}`);
      assert.ok(
        k.passivated + k.active <= k.activations,
        `each activation is in memory or was passivated at most once: ${JSON.stringify(k)}`,
      );
      return HOLDS;
    },
  },
  {
    name: 'idempotent sends: a repeat under one key is accepted once',
    async run(t, prefix) {
      const agent = `${prefix}idem`;
      await via(t, 0).deploy({ name: agent, config: {} }, TIMER_COUNTER());
      const noteA = request(agent, 'note a');
      const first = await via(t, 0).send(noteA, { idempotencyKey: `${prefix}k-a` });
      await via(t, 1).send(request(agent, 'note b'), { idempotencyKey: `${prefix}k-b` });
      const again = await via(t, 2).send(noteA, { idempotencyKey: `${prefix}k-a` });
      assert.equal(again.messageId, first.messageId, 'the repeat names the message it repeats');
      // The marker is appended after everything above: once it is handled, so is any duplicate.
      await via(t, 0).send(request(agent, 'note end'));
      await waitFor('the marker to be handled', async () => (await stateOf(t, agent, 'notes'))?.endsWith('end;'), WAIT_MS, 250);
      assert.equal(await stateOf(t, agent, 'notes'), 'a;b;end;');
      return HOLDS;
    },
  },
  {
    name: 'timers: each armed timer fires and counts once',
    async run(t, prefix) {
      const agent = `${prefix}ticks`;
      await via(t, 0).deploy({ name: agent, config: {} }, TIMER_COUNTER());
      for (let i = 0; i < 4; i++) await via(t, i).send(request(agent, `tick 50 t${i}`));
      await untilState(t, agent, 'count', '4');
      assert.equal(await stateOf(t, agent, 'armed'), '4');
      // One more tick after the four: if any of them fired twice, count would pass 5.
      await via(t, 0).send(request(agent, 'tick 1 last'));
      await untilState(t, agent, 'armed', '5');
      await untilState(t, agent, 'count', '5');
      return HOLDS;
    },
  },
  {
    name: 'absent queue full: refused at the send, typed, through every node',
    async run(t, prefix) {
      const agent = `${prefix}away`;
      const bound = 2;
      await via(t, 0).deploy({ name: agent, config: {}, limits: { absentQueue: bound } }, STATE_COUNTER());
      await via(t, 1).stop(agent, false, true);
      // Every node counts a send to an absent agent once its registry watch has shown it the
      // absence (a node that has not yet seen it counts nothing: decision 2157's window).
      await waitFor(
        `${agent} to show stopped on every node`,
        async () => {
          for (const c of t.clients) if ((await c.getAgent(agent)).state !== 'stopped') return false;
          return true;
        },
        WAIT_MS,
        100,
      );
      for (let i = 0; i < bound; i++) await via(t, i).send(request(agent, 'inc'));
      for (const c of t.clients) {
        await assert.rejects(c.send(request(agent, 'one too many')), (err: { code?: string; hint?: string }) => {
          assert.equal(err.code, 'bus.absent-queue-full');
          assert.ok((err.hint ?? '') !== '', 'the refusal says what to do');
          return true;
        });
      }
      // Back again, it handles exactly what its queue kept.
      await via(t, 0).deploy({ name: agent, config: {}, keepState: true }, STATE_COUNTER());
      await untilState(t, agent, 'count', String(bound));
      assert.deepEqual(
        (await via(t, 0).listDeadLetters({ agent })).map((d) => d.reason),
        [],
        'nothing was accepted and then dead-lettered',
      );
      return HOLDS;
    },
  },
  {
    name: 'dead letters: a poison message after its attempts, redriven elsewhere, handled once',
    async run(t, prefix) {
      const poisoned = `${prefix}poisoned`;
      const rescue = `${prefix}rescue`;
      await via(t, 0).deploy({ name: poisoned, config: {} }, POISON());
      await via(t, 1).deploy({ name: rescue, config: {} }, STATE_COUNTER());
      await via(t, 2).send(request(poisoned, 'poison pill'));
      const letters = await waitFor(
        'the poison message to be dead-lettered',
        async () => {
          const l = await via(t, 0).listDeadLetters({ agent: poisoned });
          return l.length > 0 ? l : undefined;
        },
        WAIT_MS,
        250,
      );
      assert.equal(letters.length, 1, 'one letter');
      assert.equal(letters[0]!.attempts, 3, 'after its three attempts');
      const redriven = await via(t, 1).redriveDeadLetters({ agent: poisoned }, rescue);
      assert.equal(redriven.redriven.length, 1);
      await untilState(t, rescue, 'count', '1');
      return HOLDS;
    },
  },
  canaryOfStatefulKind(),
  rolloutOfStatefulAgent('blue-green', { kind: 'blue-green' }),
  breakerScenario(),
  priorityScenario(),
  topicScenario(),
  workersScenario(),
  applyScenario(),
];

/**
 * A rollout beside a running stateful agent, then a rollback (decisions 2170, 2171): the new
 * version (the counter counting by 10) takes the count over once its node logs the handover, then
 * the old one takes it back — every request counted once, by the version that held the state.
 */
function rolloutOfStatefulAgent(label: string, strategy: RolloutStrategy): Scenario {
  return {
    name: `${label} rollout of a stateful agent, then rollback`,
    async run(t, prefix) {
      const agent = `${prefix}${label}`;
      await via(t, 0).deploy({ name: agent, config: {} }, STATE_COUNTER());
      for (let i = 0; i < 3; i++) await via(t, i).send(request(agent, 'inc'));
      await untilState(t, agent, 'count', '3');
      try {
        await via(t, 1).upgrade(
          { name: agent, config: { step: '10' }, rollout: { strategy, thresholds: { bakeMs: 600_000 } } },
          STATE_COUNTER(),
        );
      } catch (err) {
        return refusal(err);
      }
      // Through any node: the node running the agent starts the rollout it finds recorded.
      await waitFor(
        'the handover',
        async () => (await logOf(t, agent)).some((l) => l.includes('the new version holding the state')),
        WAIT_MS,
        250,
      );
      for (let i = 0; i < 10; i++) await via(t, i).send(request(agent, 'inc'));
      await untilState(t, agent, 'count', '103');
      const ended = await via(t, 2).rollback(agent);
      assert.equal(ended.agent.rollout?.phase, 'aborted', 'a rollback during the rollout aborts it');
      assert.equal(ended.agent.version, 1);
      await via(t, 0).send(request(agent, 'inc'));
      await untilState(t, agent, 'count', '104');
      return HOLDS;
    },
  };
}

/**
 * A canary of a stateful agent is a kind's, split by key (decision 2175): each key's instance runs
 * one version at a time on its own state, so the new version (the counter counting by 10) goes on
 * from the count the old one wrote, for the keys the split gives it; a rollback through another
 * node gives those keys back to the old version with their counts as they are then. Every node
 * follows the rollout recorded in the kind's record: sends wait until each shows it.
 */
function canaryOfStatefulKind(): Scenario {
  const keys = Array.from({ length: 8 }, (_, i) => `k${i}`);
  const strategy: RolloutStrategy = { kind: 'canary', percent: 50 };
  return {
    name: 'canary rollout of a stateful agent (a kind, by key), then rollback',
    async run(t, prefix) {
      const kind = `${prefix}canary`;
      const split = new Set(keys.filter((k) => keyToCandidate(kind, k, 2, strategy)));
      assert.ok(split.size > 0 && split.size < keys.length, `both versions get keys: ${[...split].join(',')}`);
      const phases = async (): Promise<Array<string | undefined>> =>
        Promise.all(t.clients.map(async (c) => (await c.getAgent(kind)).rollout?.phase));
      await via(t, 0).deploy({ name: kind, config: {}, kind: { idleMs: 600_000 } }, STATE_COUNTER());
      for (const [i, k] of keys.entries()) await via(t, i).send(request(`${kind}/${k}`, 'inc'));
      for (const k of keys) await untilState(t, `${kind}/${k}`, 'count', '1');
      await via(t, 1).upgrade(
        { name: kind, config: { step: '10' }, rollout: { strategy, thresholds: { bakeMs: 600_000 } } },
        STATE_COUNTER(),
      );
      await waitFor('every node to follow the rollout', async () => (await phases()).every((p) => p === 'baking'), WAIT_MS, 250);
      for (const [i, k] of keys.entries()) await via(t, i + 1).send(request(`${kind}/${k}`, 'inc'));
      for (const k of keys) await untilState(t, `${kind}/${k}`, 'count', split.has(k) ? '11' : '2');
      const ended = await via(t, 2).rollback(kind);
      assert.equal(ended.agent.rollout?.phase, 'aborted', 'a rollback during the rollout aborts it');
      assert.equal(ended.agent.version, 1);
      await waitFor('every node to end it', async () => (await phases()).every((p) => p !== 'baking'), WAIT_MS, 250);
      for (const [i, k] of keys.entries()) await via(t, i + 2).send(request(`${kind}/${k}`, 'inc'));
      for (const k of keys) await untilState(t, `${kind}/${k}`, 'count', split.has(k) ? '12' : '3');
      return HOLDS;
    },
  };
}

/**
 * An agent's log lines, from every node that has any (a node keeps the lines of what it ran; in a
 * cluster that is the agent's owner), in node order.
 */
async function logOf(t: Topology, agent: string): Promise<string[]> {
  const lines: string[] = [];
  for (const c of t.clients) {
    const mine: string[] = [];
    try {
      await c.logs({ agent, follow: false, limit: 10_000 }, (l) => mine.push(l.message)).done;
    } catch {
      continue; // not an agent this node has run
    }
    lines.push(...mine);
  }
  return lines;
}

/** Until exactly `want` letters of `receiver` are dead (a letter's id is `<message id>><receiver>`). */
async function deadLetters(t: Topology, receiver: string, want: number): Promise<void> {
  const count = async (): Promise<number> => (await via(t, 0).listDeadLetters({})).filter((d) => d.id.endsWith(`>${receiver}`)).length;
  let last = 0;
  await waitFor(`${want} dead letters of ${receiver}`, async () => (last = await count()) >= want, WAIT_MS, 250).catch((err: Error) => {
    throw new Error(`${err.message} (last count: ${last})`);
  });
  assert.equal(await count(), want, `exactly ${want} dead letters of ${receiver}`);
}

/** The breaker moves in a node's log of `agent`, as `<from> -> <to>: <why>`. */
async function breakerMoves(c: CaxtonClient, agent: string): Promise<string[]> {
  const lines: string[] = [];
  await c.logs({ agent, follow: false, limit: 10_000 }, (l) => lines.push(l.message)).done.catch(() => undefined);
  return lines.flatMap((l) => /^(?:\[\S+\] )?\[caxton\] circuit breaker (\S+ -> \S+) \((.*)\)$/.exec(l)?.slice(1, 3).join(': ') ?? []);
}

function isCircuitOpen(err: unknown): true {
  const e = err as { code?: string; hint?: string };
  assert.equal(e.code, 'bus.circuit-open', `refused as circuit-open: ${String(err)}`);
  assert.match(e.hint ?? '', /retry after \d+ ms/);
  return true;
}

/**
 * A handler that keeps crashing opens the breaker at the fifth crash in a row; the node that runs
 * the receiver refuses sends to it `bus.circuit-open` with a retry-after; after the cool-down it
 * lets one through as the probe, and the probe, handled, closes it (routing.md §5). The receiver
 * is a kind's instance: a crashing named agent is `failed` by its restart policy at the sixth crash,
 * before any probe could run (routing.md §8 says why), while a failed instance is dropped and the
 * probe activates it afresh. In a cluster the breaker lives on the node that runs the instance, so
 * the refused sends go through that node; sends through the others are appended as usual.
 */
function breakerScenario(): Scenario {
  const opened = 'closed -> open: 5 deliveries failed in a row: new sends are refused for the cool-down';
  return {
    name: 'breakers: five crashes open it, sends refused typed, the probe after the cool-down closes it',
    async run(t, prefix) {
      const kind = `${prefix}fragile`;
      const instance = `${kind}/x`;
      await via(t, 0).deploy({ name: kind, config: {}, kind: { idleMs: 500 } }, POISON());
      // Two poison messages, three attempts each: the fifth crash opens the breaker, and the
      // second message's last attempt, already accepted, still runs (and crashes).
      for (let i = 0; i < 2; i++) await via(t, i).send(request(instance, `poison ${i}`));
      const runner = await waitFor(
        'the breaker to open where the instance runs',
        async () => {
          for (const c of t.clients) if ((await breakerMoves(c, kind)).includes(opened)) return c;
          return undefined;
        },
        WAIT_MS,
        100,
      );
      // Refused while open. On a slow machine the 10 s cool-down may be over before this send (the
      // log is read over the API): then this send is the probe, let through only after the move to
      // half-open, which the log shows before it.
      let refusedWhileOpen = false;
      try {
        await runner.send(request(instance, 'anyone there?'));
      } catch (err) {
        refusedWhileOpen = isCircuitOpen(err);
      }
      if (!refusedWhileOpen)
        assert.ok(
          (await breakerMoves(runner, kind)).some((m) => m.startsWith('open -> half-open')),
          'let through only once the cool-down was over',
        );
      await deadLetters(t, instance, 2);
      // Every send is refused until the cool-down is over; the first one let through is the probe.
      if (refusedWhileOpen) {
        await waitFor(
          'the cool-down to let a probe through',
          async () => {
            try {
              await runner.send(request(instance, 'probe'));
              return true;
            } catch (err) {
              return !isCircuitOpen(err);
            }
          },
          WAIT_MS,
          250,
        );
      }
      await waitFor('the probe to close the breaker', async () => (await breakerMoves(runner, kind)).length >= 3, WAIT_MS, 100);
      assert.deepEqual(await breakerMoves(runner, kind), [
        opened,
        'open -> half-open: cool-down over: the next message is let through as a probe',
        'half-open -> closed: a delivery was handled: sends pass again',
      ]);
      const crashes = (await logOf(t, kind)).filter((l) => /\[caxton\] crashed handling /.test(l));
      assert.equal(crashes.length, 6, 'three attempts of each poison message, nothing more');
      return HOLDS;
    },
  };
}

/**
 * Messages of three priorities queued for a suspended agent are handled, once it resumes, high
 * first, then normal (also the default), then low, each priority in the order sent (routing.md §3).
 */
function priorityScenario(): Scenario {
  const sent: [string, Priority | undefined][] = [
    ['l1', 'low'],
    ['n1', undefined],
    ['h1', 'high'],
    ['l2', 'low'],
    ['n2', 'normal'],
    ['h2', 'high'],
  ];
  return {
    name: "priorities: a suspended agent's queue is handled high, normal, low, each in send order",
    async run(t, prefix) {
      const agent = `${prefix}prio`;
      await via(t, 0).deploy({ name: agent, config: {} }, TIMER_COUNTER());
      await via(t, 1).suspend(agent);
      await waitFor(
        `${agent} to show suspended on every node`,
        async () => {
          for (const c of t.clients) if ((await c.getAgent(agent)).state !== 'suspended') return false;
          return true;
        },
        WAIT_MS,
        100,
      );
      for (const [i, [note, priority]] of sent.entries()) {
        const m = request(agent, `note ${note}`);
        if (priority !== undefined) m.structured.userParams = { [PRIORITY_PARAM]: priority };
        await via(t, i).send(m);
      }
      // In a cluster the resume travels through etcd and the notes through Kafka: resume only once
      // the node holding the queue has all six, or the last could arrive after the first is handled.
      await waitFor(
        `the ${sent.length} notes queued for ${agent}`,
        async () => {
          for (const c of t.clients) if ((await c.getAgent(agent)).absentQueue?.queued === sent.length) return true;
          return false;
        },
        WAIT_MS,
        100,
      );
      await via(t, 2).resume(agent);
      let notes: string | undefined;
      await waitFor(
        'every note to be handled',
        async () => (notes = await stateOf(t, agent, 'notes'))?.split(';').length === sent.length + 1,
        WAIT_MS,
        250,
      ).catch((err: Error) => {
        throw new Error(`${err.message} (last read: ${notes ?? 'nothing'})`);
      });
      assert.equal(notes, 'h1;h2;n1;n2;l1;l2;');
      return HOLDS;
    },
  };
}

/**
 * Three agents subscribe to a topic (at init, from their config); every publication reaches each
 * exactly once, whichever node it enters through; one unsubscribes, and the next publication
 * reaches the other two only. Each node lists the subscribers before anything is published to
 * them: a node resolves a topic at acceptance, from its own view of the registry.
 */
function topicScenario(): Scenario {
  return {
    name: 'topics: each subscriber gets each publication once; unsubscribing stops delivery',
    async run(t, prefix) {
      const topic = `${prefix}news`;
      const readers = [0, 1, 2].map((i) => `${prefix}reader${i}`);
      for (const [i, r] of readers.entries()) await via(t, i).deploy({ name: r, config: { subscribe: topic } }, TOPIC_PROBE());
      await untilSubscribers(t, topic, readers);
      const publish = (content: string): { structured: AclMessage } => ({
        structured: { performative: 'inform', receivers: [{ name: `topic:${topic}` }], content },
      });
      for (let i = 0; i < 3; i++) await via(t, i).send(publish(`p${i}`));
      // Each reader logs what it gets as "got <performative> via <first receiver> content=<content>".
      const received = async (r: string): Promise<string[]> =>
        (await logOf(t, r)).flatMap((l) => {
          const m = /^got inform via (\S+) content=(.*)$/.exec(l);
          return m === null ? [] : [`${m[1] === `topic:${topic}` ? 'topic' : 'direct'} ${m[2]}`];
        });
      const until = (r: string, line: string): Promise<unknown> =>
        waitFor(`${r} to get ${line}`, async () => (await received(r)).includes(line), WAIT_MS, 200);
      for (const r of readers) await until(r, 'topic p2');
      await via(t, 1).send(request(readers[0]!, `unsub ${topic}`));
      await waitFor(`${readers[0]} to unsubscribe`, async () => (await logOf(t, readers[0]!)).includes(`unsub ${topic}: ok`), WAIT_MS, 200);
      await untilSubscribers(t, topic, readers.slice(1));
      await via(t, 2).send(publish('p3'));
      // Sent by name after the publication: once it is handled, p3 would have been too.
      await via(t, 0).send({ structured: { performative: 'inform', receivers: [{ name: readers[0]! }], content: 'marker' } });
      await until(readers[0]!, 'direct marker');
      for (const r of readers.slice(1)) await until(r, 'topic p3');
      assert.deepEqual(await received(readers[0]!), ['topic p0', 'topic p1', 'topic p2', 'direct marker']);
      for (const r of readers.slice(1)) assert.deepEqual(await received(r), ['topic p0', 'topic p1', 'topic p2', 'topic p3']);
      return HOLDS;
    },
  };
}

/** Until every node lists exactly `agents` as the topic's subscribers. */
async function untilSubscribers(t: Topology, topic: string, agents: readonly string[]): Promise<void> {
  const want = [...agents].sort().join(',');
  let last = '';
  await waitFor(
    `${topic}'s subscribers to be ${want} on every node`,
    async () => {
      for (const c of t.clients) {
        last = (await c.listSubscriptions(topic))
          .map((s) => s.agent)
          .sort()
          .join(',');
        if (last !== want) return false;
      }
      return true;
    },
    WAIT_MS,
    100,
  ).catch((err: Error) => {
    throw new Error(`${err.message} (last listed: ${last || 'none'})`);
  });
}

/**
 * Stateless workers (decisions 2010, 2093, 2168): the stateless worker (examples/as-worker, whose
 * every answer says `replica=<n> count=<k> <content>`) scaled to three through another node than
 * the one it was deployed through; twelve conversations, each sent twice through the nodes in
 * turn: every request answered exactly once (one answer message per request, told apart by message
 * id, from every node's tail), the conversations spread over more than one worker, and a
 * conversation's second request answered by the worker that answered its first. Upgraded in place
 * (a new config `label`, which every answer then carries) and rolled back through a third node
 * (decision 2176): once every node sees the version running, every request answered exactly once by
 * it, spread over the workers, the count kept. An agent whose
 * component writes state is refused a scale (`agent.replicas-stateful`), on both topologies — the
 * one-node refusal reads its state, the cluster's its component's imports, and both refuse here
 * because the counter has written state before the scale.
 */
function workersScenario(): Scenario {
  return {
    name: 'stateless workers: scaled to three, conversations spread and sticky, each answered once; upgraded and rolled back in place; a stateful agent refused',
    async run(t, prefix) {
      const agent = `${prefix}worker`;
      await via(t, 0).deploy({ name: agent, config: {} }, WORKER());
      const answers = new Map<string, string>(); // answer message id → content
      const tails = t.clients.map((c) =>
        c.tail({ agent, performatives: ['inform'] }, (e: MessageEvent) => answers.set(e.messageId, e.message.content ?? '')),
      );
      try {
        await Promise.all(tails.map((x) => x.ready));
        // Scaled through another node than the deploy's: once that node's registry mirror has the agent.
        await waitFor(
          `node 1 to know ${agent}`,
          () =>
            via(t, 1)
              .getAgent(agent)
              .then(
                () => true,
                () => false,
              ),
          WAIT_MS,
          100,
        );
        const scaled = await via(t, 1).scale(agent, 3);
        assert.equal(scaled.replicas?.replicas, 3, 'the status shows the count');
        for (const c of t.clients)
          await waitFor('every node to see the count', async () => (await c.getAgent(agent)).replicas?.replicas === 3, WAIT_MS, 100);
        const conversations = Array.from({ length: 12 }, (_, i) => `${prefix}c${i}`);
        const byContent = (): Map<string, string[]> => {
          const out = new Map<string, string[]>();
          for (const content of answers.values()) {
            const m = /^replica=(\d+) count=\d+ (.*)$/.exec(content);
            if (m === null) continue;
            out.set(m[2]!, [...(out.get(m[2]!) ?? []), m[1]!]);
          }
          return out;
        };
        /** Sends round `r`; `label`: what the version answering puts before each content (as-worker's config). */
        const round = async (r: string, label = ''): Promise<Map<string, string[]>> => {
          for (const [i, c] of conversations.entries())
            await via(t, i).send({
              structured: { performative: 'request', receivers: [{ name: agent }], content: `${c}:${r}`, conversationId: c },
            });
          const want = conversations.map((c) => `${label}${c}:${r}`);
          return waitFor(
            `${want.length} answers of round ${r}`,
            async () => {
              const seen = byContent();
              return want.every((w) => seen.has(w)) ? seen : undefined;
            },
            WAIT_MS,
            100,
          );
        };
        await round('1');
        const seen = await round('2');
        for (const c of conversations) {
          for (const r of ['1', '2'])
            assert.equal(seen.get(`${c}:${r}`)?.length, 1, `${c}:${r} answered once: ${JSON.stringify(seen.get(`${c}:${r}`))}`);
          assert.equal(seen.get(`${c}:2`)![0], seen.get(`${c}:1`)![0], `${c} stays on its worker`);
        }
        const workers = new Set(conversations.map((c) => seen.get(`${c}:1`)![0]));
        assert.ok(workers.size >= 2, `the conversations spread over the workers: ${[...workers].join(',')}`);

        // Upgraded in place, then rolled back (decision 2176): every worker answers on the version
        // swapped in, each message once, the count kept. Through another node than the scale's.
        const swapped = async (version: number, r: string, label: string): Promise<void> => {
          for (const c of t.clients)
            await waitFor(
              `every node to see version ${version} running as 3, the old workers stopped`,
              async () => {
                const a = await c.getAgent(agent);
                const units = a.replicas?.units?.slice(1) ?? [];
                return (
                  a.version === version &&
                  a.state === 'running' &&
                  a.replicas?.replicas === 3 &&
                  units.every((u) => u.activeOn.length === 0)
                );
              },
              WAIT_MS,
              100,
            );
          const after = await round(r, label);
          for (const c of conversations)
            assert.equal(after.get(`${label}${c}:${r}`)?.length, 1, `${c}:${r} answered once, by version ${version}`);
          const spread = new Set(conversations.map((c) => after.get(`${label}${c}:${r}`)![0]));
          assert.ok(spread.size >= 2, `version ${version}: the conversations spread over the workers: ${[...spread].join(',')}`);
        };
        const upgraded = await via(t, 2).upgrade({ name: agent, config: { label: 'v2' } }, WORKER());
        assert.equal(upgraded.agent.replicas?.replicas, 3, 'the upgrade keeps the count');
        await swapped(2, '3', 'v2:');
        await via(t, 2).rollback(agent);
        await swapped(3, '4', '');
      } finally {
        for (const x of tails) x.cancel();
      }
      const keeper = `${prefix}keeper`;
      await via(t, 0).deploy({ name: keeper, config: {} }, STATE_COUNTER());
      await via(t, 1).send(request(keeper, 'inc'));
      await untilState(t, keeper, 'count', '1');
      const refused = await via(t, 2)
        .scale(keeper, 2)
        .then(
          () => undefined,
          (e: unknown) => e as { code?: string },
        );
      assert.equal(refused?.code, 'agent.replicas-stateful', `a stateful agent is refused a scale: ${String(refused)}`);
      return HOLDS;
    },
  };
}

/**
 * Declarative apply (decision 2169): one application file, applied through the apply library (what
 * `caxton apply -f` runs) with the topology's client — the same file on one node and on three Kafka
 * nodes. Applied once it deploys (a worker scaled to two); applied again it plans no change; a
 * changed config and count apply as an upgrade and a scale; `prune` stops what the file no longer
 * names. Every step's outcome and the agents' records asserted.
 */
function applyScenario(): Scenario {
  return {
    name: 'declarative apply: deploys, then nothing to do; config and count applied by difference; prune',
    async run(t, prefix) {
      const echo = `${prefix}echo`;
      const worker = `${prefix}worker`;
      // Sources are relative to the file: it is placed beside the worker's build output.
      const file = example('as-worker', 'app.yaml');
      const text = (greeting: string, replicas: number, withEcho = true): string =>
        [
          'apiVersion: caxton/v1',
          'agents:',
          ...(withEcho
            ? [
                `  - name: ${echo}`,
                `    source: ${path.relative(path.dirname(file), example('as-echo', 'as-echo.wasm'))}`,
                `    config: { greeting: ${greeting} }`,
              ]
            : []),
          `  - name: ${worker}`,
          '    source: as-worker.wasm',
          `    replicas: ${replicas}`,
        ].join('\n');
      const client = via(t, 0);
      const apply = async (yaml: string, prune = false): Promise<string[]> => {
        const manifest = parseAppManifest(yaml, file);
        const { desired, components } = await desiredAgents(manifest, async (source) => ({ bytes: readFileSync(source) }));
        const mine = (await currentAgents(client)).filter((a) => a.name.startsWith(prefix));
        const steps: Step[] = planApply(desired, mine, { prune });
        const { outcomes, error } = await runSteps(client, steps, {
          desired: new Map(desired.map((d) => [d.name, d])),
          artifact: (n) => components.get(n)!,
        });
        if (error !== undefined) throw error;
        return outcomes.map((o) => `${o.status} ${formatStep(o.step)}`);
      };
      assert.deepEqual(await apply(text('hi', 2)), [`done + deploy ${echo}`, `done + deploy ${worker}`, `done ^ scale ${worker} 1 -> 2`]);
      assert.deepEqual((await client.getAgent(echo)).config, { greeting: 'hi' });
      assert.equal((await client.getAgent(worker)).replicas?.replicas, 2);
      // Every node sees both before the next plan reads them (a cluster's registry mirror).
      for (const c of t.clients)
        await waitFor(
          'every node to list both, running',
          async () => (await c.listAgents()).filter((a) => a.name.startsWith(prefix) && a.state === 'running').length === 2,
          WAIT_MS,
          100,
        );
      assert.deepEqual(await apply(text('hi', 2)), [`unchanged = ${echo} unchanged`, `unchanged = ${worker} unchanged`]);
      assert.deepEqual(await apply(text('hello', 3)), [`done ~ upgrade ${echo} (config)`, `done ^ scale ${worker} 2 -> 3`]);
      // In a cluster the upgrade returns once the registry has it; the node running echo swaps it in after.
      await waitFor(`${echo}'s new config`, async () => (await client.getAgent(echo)).config.greeting === 'hello', WAIT_MS, 100);
      assert.equal((await client.getAgent(worker)).replicas?.replicas, 3);
      assert.deepEqual(await apply(text('hello', 3, false), true), [
        `unchanged = ${worker} unchanged`,
        `done - stop ${echo} (not in the file; --prune)`,
      ]);
      await waitFor(`${echo} to be gone`, async () => !(await client.listAgents()).some((a) => a.name === echo), WAIT_MS, 100);
      return HOLDS;
    },
  };
}
