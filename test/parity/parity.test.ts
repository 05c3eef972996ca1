/**
 * @test-runs-alone (three `caxton serve` nodes on Kafka and etcd)
 *
 * The parity suite (issue 55): one list of scenarios (scenarios.ts), each run on one embedded node
 * and on three `caxton serve` nodes sharing a real Kafka and etcd, through the typed client only.
 * A scenario holds — its exact counts asserted — or is refused with exactly the typed error
 * docs/routing.md lists for that topology. The matrix is printed at the end, so a reader sees which
 * scenario holds where.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { REFUSED, SCENARIOS, type Outcome } from './scenarios.js';
import { oneNode, threeKafkaNodes, type Topology, type TopologyName } from './topologies.js';

const results = new Map<string, Partial<Record<TopologyName, string>>>();

function record(scenario: string, topology: TopologyName, cell: string): void {
  results.set(scenario, { ...results.get(scenario), [topology]: cell });
}

function check(scenario: string, topology: TopologyName, outcome: Outcome): void {
  const expected = REFUSED[scenario]?.[topology];
  if ('holds' in outcome) {
    assert.equal(
      expected,
      undefined,
      `${scenario} held on ${topology}, where docs/routing.md lists it refused ${expected}: update the list`,
    );
    return;
  }
  assert.equal(
    outcome.refused,
    expected,
    `${scenario} was refused on ${topology} (${outcome.refused}: ${outcome.message}), which the list does not name`,
  );
}

for (const [name, start] of [
  ['one node', oneNode],
  ['three Kafka nodes', threeKafkaNodes],
] as const) {
  test(`parity on ${name}`, { timeout: 15 * 60_000 }, async (t) => {
    const topology: Topology = await start();
    try {
      for (const [i, scenario] of SCENARIOS.entries()) {
        await t.test(scenario.name, async () => {
          try {
            const outcome = await scenario.run(topology, `s${i}-`);
            record(scenario.name, name, 'holds' in outcome ? 'holds' : `refused ${outcome.refused}`);
            check(scenario.name, name, outcome);
          } catch (err) {
            if (!results.get(scenario.name)?.[name]) record(scenario.name, name, `FAILED: ${(err as Error).message.split('\n')[0]}`);
            throw err;
          }
        });
      }
    } finally {
      await topology.stop();
    }
  });
}

after(() => {
  const rows = SCENARIOS.map(
    (s) => `| ${s.name} | ${results.get(s.name)?.['one node'] ?? 'not run'} | ${results.get(s.name)?.['three Kafka nodes'] ?? 'not run'} |`,
  );
  console.log(['', 'Parity matrix (issue 55):', '| scenario | one node | three Kafka nodes |', '|---|---|---|', ...rows, ''].join('\n'));
});
