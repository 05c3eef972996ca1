/**
 * @test-runs-alone: a SIGKILL and a takeover under way; beside another file it runs past its
 * timeout on two cores (decision 1740).
 *
 * Co-location (issue 61, decision 2189): three nodes sharing one Kafka and one etcd; a pinger
 * deployed `--near` its echo, the two chatting in chains of request → inform round trips
 * (examples/conformance/pinger against examples/as-echo). Their names are picked so that, placed by
 * their own names, they would run on different nodes before the kill and after it: what puts them
 * together is the placement key, nothing else. Then:
 * - both run on one node (AgentInfo node_id), the pinger's record says what it shares;
 * - chains started before the kill of that node (kill -9, mid-chain) and after it all finish: the
 *   two are again on one node, another one, and still talk; every chain's `done` is reported, each
 *   once (distinct message ids: a handling repeated after the kill sends the same message again);
 * - before the kill, `caxton replay --kafka` reads the pinger's history from its placement key's
 *   partition: every handling, each replayed as it ran;
 * - the placement is the name's for good: after a stop, another --near is refused, typed, and a
 *   deploy without --near keeps the key.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { partitionFor, partitionOwner, type CaxtonClient } from '@caxton/runtime';
import { uniqueCluster } from './support/servers.js';
import { useCluster } from './support/fixture.js';
import { consumedPartitions, groupSettled, journals, waitFor } from './support/cluster.js';
import { example } from './support/paths.js';
import { replayCluster } from './support/replay-cli.js';

const IDS = ['n1', 'n2', 'n3'];
const ROUNDS = 40;
const CHAINS = 4;

const fixture = useCluster();

/** The first pair whose own names would put them on different nodes, among all three and among the two left after their node is killed. */
function apartByName(partitions: number): { echo: string; ping: string; victim: string } {
  for (let i = 0; ; i++) {
    const [echo, ping] = [`near-echo-${i}`, `near-ping-${i}`];
    const victim = partitionOwner(partitionFor(echo, partitions), IDS)!;
    const survivors = IDS.filter((id) => id !== victim);
    if (
      partitionOwner(partitionFor(ping, partitions), IDS) !== victim &&
      partitionOwner(partitionFor(ping, partitions), survivors) !== partitionOwner(partitionFor(echo, partitions), survivors)
    )
      return { echo, ping, victim };
  }
}

/** Where each of `names` runs, as `client`'s node answers (AgentInfo node_id and state). */
async function where(client: CaxtonClient, names: string[]): Promise<{ node: string; state: string }[]> {
  return Promise.all(
    names.map(async (n) => {
      const a = await client.getAgent(n);
      return { node: a.nodeId, state: a.state };
    }),
  );
}

test('a pinger deployed --near its echo runs on its node, and after a kill -9 of that node both run on one other node and every chain finishes once', {
  timeout: 360_000,
}, async (t) => {
  const cluster = { name: uniqueCluster('near') };
  const nodes = await fixture.start(IDS, cluster);
  const byId = new Map(nodes.map((n) => [n.id, n]));
  await groupSettled(nodes);
  const partitions = consumedPartitions(nodes[0]!)!.of;
  const { echo, ping, victim } = apartByName(partitions);
  t.diagnostic(
    `${ping} near ${echo}; their own names would place them on ${partitionOwner(partitionFor(ping, partitions), IDS)} and ${victim}`,
  );

  const c1 = await nodes[0]!.client();
  await c1.deploy({ name: echo }, readFileSync(example('as-echo', 'as-echo.wasm')));
  const deployed = await c1.deploy(
    { name: ping, config: { peer: echo, rounds: String(ROUNDS), report: 'operator' }, near: echo },
    readFileSync(example('conformance/pinger', 'conformance-pinger.wasm')),
  );
  assert.deepEqual(deployed.near, { agent: echo, key: echo }, 'the deploy answer says what it is placed with');

  const together = async (client: CaxtonClient, not?: string): Promise<string | false> => {
    const [a, b] = await where(client, [echo, ping]);
    return a!.state === 'running' && b!.state === 'running' && a!.node === b!.node && a!.node !== '' && a!.node !== not && a!.node;
  };
  const first = await waitFor('the echo and the pinger to run, on one node', () => together(c1), 90_000).catch(async (err: unknown) => {
    // Where each is, as the node says, and what the nodes logged of them: what to look at.
    const seen = JSON.stringify(await where(c1, [echo, ping]));
    const lines = nodes.flatMap((n) =>
      n.stderr
        .split('\n')
        .filter((l) => l.includes(ping) || l.includes(echo))
        .map((l) => `${n.id}: ${l}`),
    );
    throw new Error(`${(err as Error).message}: ${seen}\n${lines.slice(-40).join('\n')}`);
  });
  assert.equal(first, victim, 'on the node that consumes the echo’s partition');

  const js = journals(nodes);
  const done = (): Map<string, string> => {
    const ids = new Map<string, string>(); // message id → content
    for (const r of js.flatMap((j) => j.refresh().reports)) if (r.content.startsWith('done ')) ids.set(r.messageId, r.content);
    return ids;
  };
  const start = (client: CaxtonClient) =>
    client.send({ structured: { performative: 'request', receivers: [{ name: ping }], content: String(CHAINS) } });

  await start(c1);
  await waitFor(`the first ${CHAINS} chains to finish`, () => done().size >= CHAINS, 120_000);

  // Its recorded history is read from its placement key's partition (what `caxton replay --kafka`
  // and `upgrade --replay` read): every handling of the pinger so far — the start and each chain's
  // answers — is found there and replays as it ran. Read before the kill: the replay waits until
  // the topics hold the order of every handling (decision 2180), and read after the kill that did
  // not happen within its minute in a first version of this test (not looked into here: how a
  // killed node's last handlings are ordered is decision 2180's matter, not placement's).
  const replay = await replayCluster(fixture.servers, cluster.name, [ping]);
  const summary = replay.stdout
    .split('\n')
    .filter((l) => l.startsWith('{"type":"summary"'))
    .map((l) => JSON.parse(l) as { recorded: number; replayed: number; diverged: number; crashed: number })
    .at(-1);
  assert.ok(summary, `exit ${replay.code}: ${replay.stdout.slice(-1500)}\n${replay.stderr.slice(-2000)}`);
  assert.equal(summary.recorded, 1 + CHAINS * ROUNDS, 'the start and every answer of every chain');
  assert.deepEqual([summary.replayed, summary.diverged, summary.crashed], [summary.recorded, 0, 0]);

  // Through a node that survives: chains under way when their node is killed.
  const survivor = nodes.find((n) => n.id !== victim)!;
  const cs = await survivor.client();
  await start(cs);
  await byId.get(victim)!.kill();
  t.diagnostic(`at the kill, ${done().size - CHAINS} of the ${CHAINS} chains just started had reported their end`);
  const second = await waitFor('both to run again, together, on another node', () => together(cs, victim), 120_000);
  t.diagnostic(`after the kill of ${victim}: both on ${second}`);
  assert.notEqual(second, victim);
  assert.deepEqual((await cs.getAgent(ping)).near, { agent: echo, key: echo }, 'the placement is the record’s: it moved with it');
  await waitFor(`the ${CHAINS} chains under way at the kill to finish`, () => done().size >= 2 * CHAINS, 120_000);

  await start(cs);
  await waitFor(`${CHAINS} chains started after the takeover to finish`, () => done().size >= 3 * CHAINS, 120_000);
  // Quiet: nothing of theirs pending on the node running them (its figures are the live ones), so no further report can come.
  const running = await byId.get(second)!.client();
  await waitFor(
    'no message pending for either',
    async () => (await Promise.all([echo, ping].map((n) => running.getAgent(n)))).every((a) => a.mailboxDepth === 0),
    60_000,
  );
  const reports = done();
  assert.equal(reports.size, 3 * CHAINS, 'every chain reported its end once, none lost and none doubled');
  const perChain = new Map<string, number>();
  for (const content of reports.values()) perChain.set(content, (perChain.get(content) ?? 0) + 1);
  assert.deepEqual(
    [...perChain].sort(),
    Array.from({ length: CHAINS }, (_, c) => [`done ${c}`, 3]),
    'chains 0..3 of each of the three starts',
  );
  assert.equal(await together(cs, victim), second, 'still together where the takeover put them');

  // Its placement is the name's for good (its messages and state live in the key's partition):
  // after a stop that removes the deployment, another --near is refused, typed; a deploy without
  // --near keeps the key, and the two run together again.
  await cs.stop(ping);
  await waitFor('the pinger gone', async () => !(await cs.listAgents()).some((a) => a.name === ping), 60_000);
  const pinger = readFileSync(example('conformance/pinger', 'conformance-pinger.wasm'));
  await assert.rejects(
    cs.deploy({ name: ping, config: { peer: echo, rounds: '1', report: 'operator' }, near: 'other-agent' }, pinger),
    (e: { code?: string; hint?: string }) => e.code === 'agent.near-changed' && /for good/.test(e.hint ?? ''),
  );
  const again = await cs.deploy({ name: ping, config: { peer: echo, rounds: '1', report: 'operator' } }, pinger);
  assert.equal(again.near?.key, echo, 'deployed again without --near: the key fixed at its first deploy');
  assert.match(again.near?.note ?? '', /fixed at its first deploy/);
  assert.equal(await waitFor('together again', () => together(cs, victim), 90_000), second);
});
