/**
 * @test-runs-alone: a soak of 25,000 requests under SIGKILL; beside another file it runs past its
 * timeout on two cores (decision 1740). It ran 50,400 until CI's 45 minutes grew tight; half keeps
 * the kill in the middle of a sustained load and every invariant below, at half the time.
 *
 * Three nodes sharing one Kafka and one etcd; 48 probe agents spread over them; a sustained load of
 * 25,200 requests through two of the nodes; `kill -9` of the third in the middle of it.
 *
 * What must hold, checked from the probes' own observations (each reply says which node the
 * instance ran on, its instance id, its own handled-count and its clock) and the nodes' journals of
 * recorded completions:
 * - every accepted request was handled;
 * - none was handled again after any node had recorded its completion;
 * - no agent ran in two instances at once (the instance on the new node handled nothing before the
 *   old one's last handling), and every instance's own count has no gaps;
 * - the killed node's agents moved to the survivors, and `caxton status` shows it.
 * Failover time (kill → first request handled by a new owner) is measured and printed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CaxtonClient } from '@caxton/runtime';
import { uniqueCluster } from './support/servers.js';
import { useCluster } from './support/fixture.js';
import type { NodeProcess } from './support/node-process.js';
import { check, summary } from './support/invariants.js';
import { Load } from './support/load.js';
import { PROBE, allObservations, completionsByNode, deployAll, journals, placement, waitFor, warmUp } from './support/cluster.js';

const AGENTS = Array.from({ length: 48 }, (_, i) => `probe-${i}`);
const PER_AGENT = 525; // 48 × 525 = 25,200 requests
const VICTIM = 'n3'; // with 12 partitions, rendezvous gives n3 five of them (25 of these probes)

const fixture = useCluster();

test('kill -9 of a node under 25,000 requests: all handled, nothing completed is redone, never two owners', { timeout: 240_000 }, async (t) => {
  const cluster = { name: uniqueCluster('failover') };
  const nodes = await fixture.start(['n1', 'n2', 'n3'], cluster);
  const [n1, n2, n3] = nodes as [NodeProcess, NodeProcess, NodeProcess];
  const [c1, c2] = [await n1.client(), await n2.client()];
  const js = journals(nodes);

  await deployAll([c1, c2, await n3.client()], AGENTS, PROBE());
  await warmUp(c1, AGENTS, js);
  const before = await placement(c2);
  const onVictim = AGENTS.filter((a) => before.get(a) === VICTIM);
  const perNode = ['n1', 'n2', 'n3'].map((id) => AGENTS.filter((a) => before.get(a) === id).length);
  t.diagnostic(`placement before the kill: n1 ${perNode[0]}, n2 ${perNode[1]}, n3 ${perNode[2]} probes`);
  assert.ok(perNode.every((n) => n > 0), 'the probes spread over all three nodes');
  // The probes' own view agrees with the registry's claims.
  for (const o of allObservations(js).filter((x) => x.seq === 0)) assert.equal(o.node, before.get(o.agent), `${o.agent} answered from ${o.node}`);

  let killedAt = 0;
  let killing: Promise<unknown> | undefined;
  const load = new Load({
    clients: [c1, c2], agents: AGENTS, perAgent: PER_AGENT, workers: AGENTS.length,
    onAccepted: (count) => {
      if (killedAt === 0 && count >= AGENTS.length * PER_AGENT * 0.35) {
        killedAt = Date.now();
        killing = n3.kill();
      }
    },
  });
  await load.run();
  await killing;
  assert.ok(killedAt > 0, 'the node was killed during the load');
  t.diagnostic(`load: ${load.accepted.length} accepted, ${load.refused.length} refused in ${((load.finishedAt - load.startedAt) / 1000).toFixed(1)} s`);
  assert.equal(load.refused.length, 0, `sends through the surviving nodes are accepted: ${JSON.stringify(load.refused.slice(0, 3))}`);
  assert.ok(load.accepted.length >= 25_000);

  const accepted = new Set(load.accepted.map((a) => a.key));
  await waitFor('every accepted request to be handled', () => {
    const seen = new Set(allObservations(js).map((o) => o.key));
    let missing = 0;
    for (const k of accepted) if (!seen.has(k)) missing += 1;
    return missing === 0;
  }, 120_000, 500);

  const obs = allObservations(js);
  const report = check(load.accepted, obs, completionsByNode(js));
  for (const line of summary(report).split('\n')) t.diagnostic(line);
  assert.deepEqual(report.missing, [], 'every accepted request was handled');
  assert.deepEqual(report.completedThenRedone, [], 'no request was handled again after its completion was recorded');
  assert.deepEqual(report.overlaps, [], 'no agent ran on two nodes at once');
  assert.deepEqual(report.countGaps, [], "every instance's own count is 1, 2, 3, … with nothing skipped");
  assert.deepEqual(report.wrongNode, [], 'each instance ran on the node it reported from');
  assert.deepEqual(report.outOfOrder, [], 'each instance handled its requests in send order');

  // The victim's agents moved to the survivors; nothing else moved.
  for (const agent of AGENTS) {
    const ran = report.placements.get(agent)!;
    if (onVictim.includes(agent)) {
      assert.equal(ran[0], VICTIM);
      assert.equal(ran.length, 2, `${agent} ran on ${ran.join(' → ')}`);
      assert.notEqual(ran[1], VICTIM);
    } else {
      assert.deepEqual(ran, [before.get(agent)], `${agent} stayed where it was`);
    }
  }
  const after = await placement(c1);
  assert.deepEqual([...new Set(after.values())].sort(), ['n1', 'n2'], 'status shows only the survivors running agents');
  assert.equal(after.size, AGENTS.length);
  const status = await c1.status();
  assert.deepEqual(status.nodes.map((n) => n.id), ['n1', 'n2'], 'the killed node left the membership');

  // What the victim had handled without recording the completion is exactly what may run twice.
  const victimDone = completionsByNode(js).get(VICTIM)!;
  const idOf = new Map(load.accepted.map((a) => [a.key, a.deliveryId]));
  const unrecorded = obs.filter((o) => o.node === VICTIM && o.seq > 0 && !victimDone.has(idOf.get(o.key)!));
  const redone = unrecorded.filter((o) => obs.some((x) => x.key === o.key && x.node !== VICTIM));
  t.diagnostic(`${VICTIM} handled ${unrecorded.length} requests whose completion it had not recorded when it died; ${redone.length} of them were handled again by their new owner`);
  const firstByNewOwner = Math.min(...obs.filter((o) => onVictim.includes(o.agent) && o.node !== VICTIM && o.seq > 0).map((o) => o.at));
  const lastOnVictim = Math.max(...obs.filter((o) => o.node === VICTIM).map((o) => o.at));
  t.diagnostic(`failover: last handled on ${VICTIM} ${lastOnVictim - killedAt} ms after the kill signal; first handled by a new owner ${((firstByNewOwner - killedAt) / 1000).toFixed(2)} s after the kill; ${report.duplicates} requests handled twice (uncompleted when ${VICTIM} died)`);
  assert.ok(firstByNewOwner > killedAt);

  // The killed node comes back with the same id: rendezvous gives it its partitions again, and its
  // agents move back from the survivors (drained there, then claimed here).
  const back = fixture.spawn({ id: VICTIM, cluster, dataDir: n3.spec.dataDir });
  await back.ready();
  await waitFor(`${VICTIM} to run its agents again`, async () => {
    const p = await placement(c1);
    return onVictim.every((a) => p.get(a) === VICTIM) ? p : undefined;
  }, 90_000);
  const extra: typeof load.accepted = [];
  for (const agent of onVictim) {
    const key = `${agent}:${PER_AGENT + 1}`;
    const r = await c2.send({ structured: { performative: 'request', receivers: [{ name: agent }], content: key } });
    extra.push({ key, agent, deliveryId: `${r.messageId}>${agent}` });
  }
  await waitFor('the moved-back agents to answer', () => {
    const seen = new Set(allObservations(js).map((o) => o.key));
    return extra.every((e) => seen.has(e.key));
  }, 60_000, 250);
  const final = check([...load.accepted, ...extra], allObservations(js), completionsByNode(js));
  for (const line of summary(final).split('\n')) t.diagnostic(`after the return: ${line}`);
  assert.deepEqual([final.missing, final.completedThenRedone, final.overlaps, final.countGaps, final.wrongNode, final.outOfOrder], [[], [], [], [], [], []]);
  for (const agent of onVictim) {
    const ran = final.placements.get(agent)!;
    assert.equal(ran.length, 3, `${agent} ran on ${ran.join(' → ')}`);
    assert.equal(ran[2], VICTIM, `${agent} is back on ${VICTIM}`);
  }
});
