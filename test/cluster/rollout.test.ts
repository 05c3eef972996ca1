/**
 * @test-runs-alone: three `caxton serve` nodes, one killed with SIGKILL under load (beside another
 * three-node cluster on two cores, a neighbour's warm-up starved past its minute).
 *
 * Rollouts in a cluster (decisions 2170, 2171): three `caxton serve` nodes on one real Kafka and
 * one real etcd, reached through the gRPC client only.
 *
 * - A canary of a stateless agent asked through a node that does not run it: the node running it
 *   starts it from the registry record, the new version handles new conversations, and a rollback
 *   asked through the third node aborts it there, audited, the old version answering after.
 * - A blue-green rollout of a stateful counter (the new version counts the same, so a count is
 *   exact whichever version took a request): its node is killed -9 while requests flow; the agent's
 *   next node starts the rollout again from the record, as a handover, and every request is
 *   counted exactly once (none lost, none twice); promoted after its bake, the new version goes on
 *   from the count.
 * - A canary by key of a stateful kind (decision 2175): every node follows it from the kind's
 *   record, each key counts on one version from its own count, and it is promoted after its bake by
 *   a node that saw enough of the new version's handlings; then every key runs the new version.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { keyToCandidate, type AclMessage } from '@caxton/core';
import type { CaxtonClient } from '@caxton/runtime';
import { NodeProcess, startAll } from './support/node-process.js';
import { servers, uniqueCluster, type Servers } from './support/servers.js';
import { groupSettled, placement, waitFor } from './support/cluster.js';
import { example } from './support/paths.js';

const WAIT_MS = 90_000;
const wasm = (dir: string, name = dir.split('/').at(-1)!): Uint8Array => readFileSync(example(dir, `${name}.wasm`));

let sent = 0;
const request = (to: string, conversationId: string): { structured: AclMessage } => ({
  structured: { performative: 'request', receivers: [{ name: to }], content: 'inc', conversationId, replyWith: `rollout-${++sent}` },
});

/**
 * Sends until accepted, each retry under the same idempotency key (decision 1700): around a kill a
 * node may refuse for a moment, and a retry of a send that was accepted is accepted once.
 */
async function sendOnce(via: () => CaxtonClient, to: string, conversationId: string): Promise<void> {
  const message = request(to, conversationId);
  for (let attempt = 1; ; attempt++) {
    try {
      await via().send(message, { idempotencyKey: `rollout-test-${conversationId}` });
      return;
    } catch (err) {
      if (attempt >= 20) throw err;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

describe('rollouts on three Kafka nodes', { timeout: 480_000 }, () => {
  let infra: Servers;
  let nodes: NodeProcess[];
  let clients: CaxtonClient[];

  before(async () => {
    infra = await servers();
    const cluster = { name: uniqueCluster('rollout') };
    nodes = ['r1', 'r2', 'r3'].map((id) => NodeProcess.cli({ id, kafka: infra.kafka, etcd: infra.etcd, cluster }));
    await startAll(nodes);
    // Owners are asked right after deploys: a late join of the consumer group must not move them after.
    await groupSettled(nodes, 90_000);
    clients = await Promise.all(nodes.map((n) => n.client()));
  });
  after(async () => {
    await Promise.allSettled((nodes ?? []).map((n) => n.stop(15_000)));
    await infra?.stop();
  });

  /** The index of the node running `agent`, once placement shows one. */
  const ownerOf = async (agent: string, among: readonly number[] = [0, 1, 2]): Promise<number> =>
    waitFor(
      `a node running ${agent}`,
      async () => {
        const where = (await placement(clients[among[0]!]!)).get(agent);
        const i = nodes.findIndex((n) => n.id === where);
        return among.includes(i) ? i : undefined;
      },
      WAIT_MS,
    );
  /** The lines of `agent`'s log on node `i`. */
  const logOn = async (i: number, agent: string): Promise<string[]> => {
    const lines: string[] = [];
    await clients[i]!.logs({ agent, follow: false, limit: 10_000 }, (l) => lines.push(l.message)).done.catch(() => undefined);
    return lines;
  };
  const countOf = async (agent: string, via: CaxtonClient): Promise<number | undefined> => {
    for (const c of [via, ...clients]) {
      try {
        return Number((await c.getState(agent, 'count')).value);
      } catch {
        // not the node holding it, or a node gone
      }
    }
    return undefined;
  };

  it('a canary asked through another node runs where the agent runs; a rollback through the third aborts it there', async () => {
    const agent = 'split';
    await clients[0]!.deploy({ name: agent, config: {} }, wasm('as-echo'));
    const owner = await ownerOf(agent);
    const [asker, roller] = [0, 1, 2].filter((i) => i !== owner) as [number, number];
    const started = await clients[asker]!.upgrade(
      { name: agent, rollout: { strategy: { kind: 'canary', percent: 50 }, thresholds: { bakeMs: 600_000 } } },
      wasm('as-counter'),
    );
    assert.equal(started.agent.version, 1, 'the running version is unchanged');
    assert.equal(started.agent.rollout?.phase, 'baking', 'recorded: the asking node shows it baking');
    await waitFor(
      'the rollout to start on the running node',
      async () => (await clients[owner]!.getAgent(agent)).rollout?.phase === 'baking',
      WAIT_MS,
    );
    for (let i = 0; i < 24; i++) await clients[i % 3]!.send(request(agent, `canary-${i}`));
    // Every one handled (the agent's count is both versions'), then the new version's share.
    await waitFor('the 24 requests to be handled', async () => (await clients[owner]!.getAgent(agent)).messagesHandled >= 24, WAIT_MS);
    const handled = (await clients[owner]!.getAgent(agent)).rollout?.counts.handled ?? 0;
    assert.ok(handled > 0 && handled < 24, `a share of the 24 conversations went to the new version (${handled})`);
    const ended = await clients[roller]!.rollback(agent);
    assert.equal(ended.agent.rollout?.phase, 'aborted', 'the rollback through the third node aborts it');
    assert.equal(ended.agent.version, 1);
    const shown = await clients[owner]!.getAgent(agent);
    assert.equal(shown.rollout?.phase, 'aborted', 'ended on the node running it before the rollback answered');
    assert.match(shown.rollout?.reason ?? '', /rolled back by the operator/);
    assert.equal((await clients[asker]!.getAgent(agent)).rollout, undefined, 'no longer recorded');
  });

  it("a kind's canary by key: each key on one version from its own count, promoted after the bake, then every key on the new one", async () => {
    const kind = 'tally';
    const keys = Array.from({ length: 12 }, (_, i) => `k${i}`);
    const strategy = { kind: 'canary' as const, percent: 50 };
    const split = new Set(keys.filter((k) => keyToCandidate(kind, k, 2, strategy)));
    const counter = wasm('as-state-counter');
    const phases = async (): Promise<Array<string | undefined>> =>
      Promise.all(clients.map(async (c) => (await c.getAgent(kind)).rollout?.phase));
    const round = async (tag: string, want: (k: string) => number, to: readonly string[] = keys): Promise<void> => {
      for (const [i, k] of to.entries()) await clients[i % 3]!.send(request(`${kind}/${k}`, `${tag}-${k}`));
      for (const k of to) {
        let last: number | undefined;
        await waitFor(
          `${kind}/${k} to count ${want(k)}`,
          async () => (last = await countOf(`${kind}/${k}`, clients[0]!)) === want(k),
          WAIT_MS,
        ).catch((err: Error) => {
          throw new Error(`${err.message} (last ${last})`);
        });
      }
    };
    await clients[0]!.deploy({ name: kind, config: {}, kind: { idleMs: 600_000 } }, counter);
    await round('before', () => 1);
    // A bake of 20 s: the four rounds below take a few seconds; every node bakes from the recorded start.
    await clients[1]!.upgrade({ name: kind, config: { step: '100' }, rollout: { strategy, thresholds: { bakeMs: 20_000 } } }, counter);
    await waitFor('every node to follow the rollout', async () => (await phases()).every((p) => p === 'baking'), WAIT_MS);
    // Four rounds to the new version's keys alone (the others stay on version 1, whenever the bake
    // ends): 24 handlings over three nodes, so one node saw at least five (ROLLOUT_BOUNDS.minSamples).
    const onNew = keys.filter((k) => split.has(k));
    for (let r = 1; r <= 4; r++) await round(`during-${r}`, () => 1 + 100 * r, onNew);
    const promoted = await waitFor(
      'the promotion after the bake, seen by every node',
      async () => {
        const all = await Promise.all(clients.map((c) => c.getAgent(kind)));
        return all.every((a) => a.version === 2) ? all : undefined;
      },
      WAIT_MS,
    );
    assert.equal(promoted[0]!.config.step, '100');
    assert.equal(promoted[0]!.rollout?.phase, 'promoted');
    await round('after', (k) => (split.has(k) ? 501 : 101));
  });

  it('kill -9 of the node running a stateful blue-green rollout: its next node takes it over, every request counted once, then promoted', async () => {
    const agent = 'ledger';
    const counter = wasm('as-state-counter');
    await clients[0]!.deploy({ name: agent, config: {} }, counter);
    for (let i = 0; i < 10; i++) await clients[i % 3]!.send(request(agent, `before-${i}`));
    await waitFor('the count to reach 10', async () => (await countOf(agent, clients[0]!)) === 10, WAIT_MS);
    const owner = await ownerOf(agent);
    const survivors = [0, 1, 2].filter((i) => i !== owner);
    await clients[survivors[0]!]!.upgrade(
      // The same counter, counting by 1: the count is exact whichever version took a request. The
      // bake (from the running node's start of the rollout) outlasts the handover and the 15 sends
      // before the kill on a loaded machine: promoted before it, the next node would have nothing to run.
      { name: agent, config: { generation: '2' }, rollout: { strategy: { kind: 'blue-green' }, thresholds: { bakeMs: 25_000 } } },
      counter,
    );
    await waitFor(
      'the handover on the running node',
      async () => (await logOn(owner, agent)).some((l) => l.includes('holding the state')),
      WAIT_MS,
    );
    let accepted = 10;
    for (let i = 0; i < 40; i++) {
      if (i === 15) await nodes[owner]!.kill();
      await sendOnce(() => clients[survivors[i % 2]!]!, agent, `during-${i}`);
      accepted += 1;
    }
    const next = await ownerOf(agent, survivors);
    await waitFor(
      'the rollout to start again on the next node',
      async () => (await logOn(next, agent)).some((l) => l.includes('holding the state')),
      WAIT_MS,
    );
    for (let i = 0; i < 8; i++) {
      await sendOnce(() => clients[survivors[i % 2]!]!, agent, `after-${i}`);
      accepted += 1;
    }
    let last: number | undefined;
    await waitFor(
      `the count to reach ${accepted}`,
      async () => (last = await countOf(agent, clients[next]!)) !== undefined && last >= accepted,
      WAIT_MS,
    ).catch((err: Error) => {
      throw new Error(`${err.message} (last count ${last}: ${accepted - (last ?? 0)} lost)`);
    });
    const promoted = await waitFor(
      'the promotion after the bake',
      async () => {
        const a = await clients[next]!.getAgent(agent);
        return a.version === 2 ? a : undefined;
      },
      WAIT_MS,
    );
    assert.equal(promoted.config.generation, '2');
    assert.equal(await countOf(agent, clients[next]!), accepted, 'every accepted request counted exactly once (none twice)');
    await clients[survivors[0]!]!.send(request(agent, 'promoted'));
    await waitFor('the promoted version to count on', async () => (await countOf(agent, clients[next]!)) === accepted + 1, WAIT_MS);
  });
});
