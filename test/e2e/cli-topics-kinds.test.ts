/**
 * `caxton topics`, `caxton deploy --kind` and `caxton agents <kind>`, each a separate `caxton`
 * process against a real `caxton serve`, with real agents: the contract net's JavaScript courier
 * subscribing to a topic at init (config `topic`, a cfp-only filter), and the durable AssemblyScript
 * counter deployed as a kind whose instances a message to `counter/<key>` activates.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { caxton, show } from './support/cli.js';
import { builtExample } from './support/paths.js';
import { stopStragglers } from './support/processes.js';
import { startServe, type Serve } from './support/serve.js';
import { until } from './support/wait.js';

const COURIER = builtExample('contract-net/js-contractor', 'cnet-js-contractor.wasm');
const COUNTER = builtExample('as-state-counter', 'as-state-counter.wasm');

interface TopicJson {
  topic: string;
  agent: string;
  filter?: { all: { field: string; match: { equals?: string } }[] };
}
interface AgentJson {
  name: string;
  kind?: { active: number; passivated: number; activations: number; idleMs: number };
}

describe('caxton topics, deploy --kind and agents <kind> against a real caxton serve', () => {
  let serve: Serve;

  before(async () => {
    serve = await startServe();
  });
  after(async () => {
    await stopStragglers();
    if (serve.proc.running) await serve.stop();
  });

  it("lists a topic's subscriber with its filter, by topic, as a table and as JSON", async () => {
    const deployed = await caxton(['deploy', COURIER, '--name', 'courier', '--config', 'topic=market.deliveries', ...serve.conn]);
    assert.equal(deployed.code, 0, show(deployed));
    // The courier subscribes in its init, after the deploy returns (its JavaScript component is prepared first: generous on a shared machine).
    const table = await until(
      async () => {
        const r = await caxton(['topics', ...serve.conn]);
        assert.equal(r.code, 0, show(r));
        return /market\.deliveries/.test(r.stdout) ? r.stdout : undefined;
      },
      "the courier's subscription in caxton topics",
      180_000,
      250,
    );
    assert.match(table, /^TOPIC\s+AGENT\s+FILTER\s*$/m);
    assert.match(table, /^market\.deliveries\s+courier\s+performative=cfp\s*$/m);

    const json = await caxton(['topics', '--topic', 'market.deliveries', '--json', ...serve.conn]);
    assert.equal(json.code, 0, show(json));
    const subs = JSON.parse(json.stdout) as TopicJson[];
    assert.deepEqual(
      subs.map((s) => [s.topic, s.agent, s.filter?.all.map((c) => [c.field, c.match.equals])]),
      [['market.deliveries', 'courier', [['performative', 'cfp']]]],
    );

    const other = await caxton(['topics', '--topic', 'market.prices', ...serve.conn]);
    assert.equal(other.code, 0, show(other));
    assert.equal(other.stdout, 'no subscriptions\n');
  });

  it("deploys a kind; a message to kind/key activates that key's instance, which `caxton agents <kind>` counts", async () => {
    const deployed = await caxton(['deploy', COUNTER, '--kind', 'counter', '--idle', '10m', ...serve.conn]);
    assert.equal(deployed.code, 0, show(deployed));

    for (const [key, expected] of [
      ['alice', '1'],
      ['alice', '2'],
      ['bob', '1'],
    ] as const) {
      const sent = await caxton(['send', `counter/${key}`, 'request', 'count', '--wait', ...serve.conn]);
      assert.equal(sent.code, 0, show(sent));
      // Each key has its own instance, and so its own durable count.
      assert.match(sent.stdout, new RegExp(`\\binform\\s+counter/${key}@caxton -> operator@caxton\\b.*"${expected}"$`, 'm'), show(sent));
    }

    const detail = await caxton(['agents', 'counter', ...serve.conn]);
    assert.equal(detail.code, 0, show(detail));
    assert.match(detail.stdout, /^state\s+kind$/m);
    assert.match(detail.stdout, /^instances\s+2 active, 0 passivated, 2 activations, 0 failed; passivated after 600000 ms idle/m);

    const json = await caxton(['agents', 'counter', '--json', ...serve.conn]);
    assert.equal(json.code, 0, show(json));
    const agent = JSON.parse(json.stdout) as AgentJson;
    assert.deepEqual([agent.name, agent.kind?.active, agent.kind?.activations, agent.kind?.idleMs], ['counter', 2, 2, 600_000]);

    const list = await caxton(['agents', ...serve.conn]);
    assert.equal(list.code, 0, show(list));
    assert.match(list.stdout, /^counter\s.*\bkind \(2 active, 0 passivated\)/m);
    assert.doesNotMatch(detail.stdout, /^priority/m, 'the default class with nothing preempted shows no line');
  });

  it('deploys a kind of a priority class, over gRPC, and `caxton agents <kind>` shows it (decision 2187)', async () => {
    const deployed = await caxton(['deploy', COUNTER, '--kind', 'urgent', '--priority-class', 'high', ...serve.conn]);
    assert.equal(deployed.code, 0, show(deployed));
    const detail = await caxton(['agents', 'urgent', ...serve.conn]);
    assert.equal(detail.code, 0, show(detail));
    assert.match(detail.stdout, /^priority\s+high; 0 preempted for a higher class$/m, show(detail));
    const json = JSON.parse((await caxton(['agents', 'urgent', '--json', ...serve.conn])).stdout) as { kind?: { priorityClass?: string } };
    assert.equal(json.kind?.priorityClass, 'high');
  });

  it('refuses the kind flags used wrong, before anything is sent', async () => {
    const both = await caxton(['deploy', COUNTER, '--kind', 'counter2', '--name', 'x', ...serve.conn]);
    assert.equal(both.code, 2, show(both));
    assert.match(both.stderr, /--kind names the kind: give --kind or --name, not both/);
    const idle = await caxton(['deploy', COUNTER, '--name', 'plain', '--idle', '30s', ...serve.conn]);
    assert.equal(idle.code, 2, show(idle));
    assert.match(idle.stderr, /--idle applies to a kind: give --kind <name> too/);
    const agents = await caxton(['agents', '--json', ...serve.conn]);
    assert.deepEqual(
      (JSON.parse(agents.stdout) as AgentJson[]).map((a) => a.name).sort(),
      ['counter', 'courier', 'urgent'],
      'neither refused deploy made an agent',
    );
  });
});
