/**
 * The parity suite's one list of scenarios (issue 55). Each runs, as written, on every topology
 * (topologies.ts) through the typed client only, and ends one of two ways: it holds (its exact
 * counts asserted), or it is refused with a typed error — which must then be the refusal
 * docs/routing.md lists for that topology, with why (`REFUSED` below is that list).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { CaxtonClient } from '@caxton/runtime';
import type { AclMessage, RolloutStrategy } from '@caxton/core';
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
export const REFUSED: Record<string, Partial<Record<TopologyName, string>>> = {
  'canary rollout of a stateful agent, then rollback': { 'one node': 'rollout.stateful-agent', 'three Kafka nodes': 'rollout.unsupported' },
  'blue-green rollout of a stateful agent, then rollback': { 'one node': 'rollout.stateful-agent', 'three Kafka nodes': 'rollout.unsupported' },
};

const WAIT_MS = 90_000;
const wasm = (dir: string, name = dir.split('/').at(-1)!): Uint8Array => readFileSync(example(dir, `${name}.wasm`));
const STATE_COUNTER = (): Uint8Array => wasm('as-state-counter');
const TIMER_COUNTER = (): Uint8Array => wasm('as-timer-counter');
const POISON = (): Uint8Array => wasm('hostile/as-poison', 'hostile-as-poison');
const HOLDS: Outcome = { holds: true };

let requests = 0;
/** A request with its own reply-with (agents key what they remember of a request by it). */
const request = (to: string, content: string): { structured: AclMessage } =>
  ({ structured: { performative: 'request', receivers: [{ name: to }], content, replyWith: `parity-${++requests}` } });

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
  await waitFor(`${agent}'s ${key} to read ${want}`, async () => (last = await stateOf(t, agent, key)) === want, WAIT_MS, 250)
    .catch((err: Error) => { throw new Error(`${err.message} (last read: ${last ?? 'nothing'})`); });
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
      // a passivation; so the counts are bounds, and the state counts the exact figures.
      const idle = await waitFor('both instances to be passivated', async () => {
        const k = await kindTotals(t, kind);
        return k.active === 0 && k.passivated >= 2 ? k : undefined;
      }, WAIT_MS, 250);
      assert.ok(idle.passivated <= idle.activations, `no passivation without its activation: ${JSON.stringify(idle)}`);
      for (let i = 0; i < 2; i++) await via(t, i + 2).send(request(`${kind}/a`, 'inc'));
      await untilState(t, `${kind}/a`, 'count', '7');
      await untilState(t, `${kind}/b`, 'count', '3');
      const k = await kindTotals(t, kind);
      assert.ok(k.activations > idle.activations, `a was activated again: ${JSON.stringify(k)}`);
      assert.ok(k.passivated + k.active <= k.activations, `each activation is in memory or was passivated at most once: ${JSON.stringify(k)}`);
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
      await waitFor(`${agent} to show stopped on every node`, async () => {
        for (const c of t.clients) if ((await c.getAgent(agent)).state !== 'stopped') return false;
        return true;
      }, WAIT_MS, 100);
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
      assert.deepEqual((await via(t, 0).listDeadLetters({ agent })).map((d) => d.reason), [], 'nothing was accepted and then dead-lettered');
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
      const letters = await waitFor('the poison message to be dead-lettered', async () => {
        const l = await via(t, 0).listDeadLetters({ agent: poisoned });
        return l.length > 0 ? l : undefined;
      }, WAIT_MS, 250);
      assert.equal(letters.length, 1, 'one letter');
      assert.equal(letters[0]!.attempts, 3, 'after its three attempts');
      const redriven = await via(t, 1).redriveDeadLetters({ agent: poisoned }, rescue);
      assert.equal(redriven.redriven.length, 1);
      await untilState(t, rescue, 'count', '1');
      return HOLDS;
    },
  },
  rolloutOfStatefulAgent('canary', { kind: 'canary', percent: 50 }),
  rolloutOfStatefulAgent('blue-green', { kind: 'blue-green' }),
];

/** A rollout beside a running stateful agent, then a rollback: every request counted once, none lost. */
function rolloutOfStatefulAgent(label: string, strategy: RolloutStrategy): Scenario {
  return {
    name: `${label} rollout of a stateful agent, then rollback`,
    async run(t, prefix) {
      const agent = `${prefix}${label}`;
      await via(t, 0).deploy({ name: agent, config: {} }, STATE_COUNTER());
      for (let i = 0; i < 3; i++) await via(t, i).send(request(agent, 'inc'));
      await untilState(t, agent, 'count', '3');
      try {
        await via(t, 1).upgrade({ name: agent, rollout: { strategy } }, STATE_COUNTER());
      } catch (err) {
        return refusal(err);
      }
      for (let i = 0; i < 10; i++) await via(t, i).send(request(agent, 'inc'));
      await untilState(t, agent, 'count', '13');
      await via(t, 2).rollback(agent);
      await via(t, 0).send(request(agent, 'inc'));
      await untilState(t, agent, 'count', '14');
      return HOLDS;
    },
  };
}
