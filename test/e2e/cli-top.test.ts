/**
 * `caxton top` as a separate `caxton` process against a real `caxton serve` running the contract
 * net (the JavaScript broker and three AssemblyScript contractors) while requests keep arriving: the
 * broker's and the contractors' handlings and fuel grow between two refreshes and show as rates,
 * every row adds into the totals line, and the same as a table for humans.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { caxton, show } from './support/cli.js';
import { builtExample } from './support/paths.js';
import { stopStragglers } from './support/processes.js';
import { startServe, type Serve } from './support/serve.js';
import { until } from './support/wait.js';

interface Row {
  name: string;
  handled: number;
  handledPerS?: number;
  fuel: number;
  fuelPerS?: number;
  fuelPerHandling?: number;
  memoryPages: number;
  mailbox: number;
  restarts: number;
}
interface Refresh {
  at: number;
  intervalMs: number;
  agents: Row[];
  totals: Omit<Row, 'name'> & { agents: number };
}

const CONTRACTORS = { c1: '40', c2: '25', c3: '70' };

describe('caxton top against a real caxton serve running the contract net', () => {
  let serve: Serve;
  let feeding = true;
  let fed: Promise<void>;

  before(async () => {
    serve = await startServe();
    const client = await serve.client();
    const contractor = readFileSync(builtExample('contract-net/as-contractor', 'cnet-contractor.wasm'));
    for (const [name, price] of Object.entries(CONTRACTORS)) await client.deploy({ name, config: { price } }, contractor);
    await client.deploy(
      { name: 'broker', config: { 'service-type': 'delivery', 'deadline-ms': '500' } },
      readFileSync(builtExample('contract-net/js-initiator', 'cnet-initiator.wasm')),
    );
    // Requests keep arriving while top runs: each a contract net (cfp to three, proposals, accept, inform).
    fed = (async () => {
      for (let i = 0; feeding; i++) {
        // A send refused under load (the edge's admission) is one parcel fewer: the feed goes on.
        await client
          .send({
            structured: { performative: 'request', receivers: [{ name: 'broker' }], content: `parcel ${i}`, conversationId: `top-${i}` },
          })
          .catch(() => undefined);
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
  });
  after(async () => {
    feeding = false;
    await fed?.catch(() => {});
    await stopStragglers();
    if (serve.proc.running) await serve.stop();
  });

  it('the feed flows: the broker and every contractor have handled its messages before top looks', async () => {
    const client = await serve.client();
    await until(
      async () => {
        const agents = await client.listAgents();
        return ['broker', ...Object.keys(CONTRACTORS)].every((n) => (agents.find((a) => a.name === n)?.messagesHandled ?? 0) > 0);
      },
      'a handling by the broker and by each contractor',
      180_000,
      250,
    );
  });

  it('--json: one object per refresh; from the second, rates of handlings and fuel that grow with the traffic; totals the sum of the rows', async () => {
    const r = await caxton(['top', '--json', '--iterations', '3', '--interval', '1500ms', '--sort', 'msg-rate', ...serve.conn]);
    assert.equal(r.code, 0, show(r));
    const refreshes = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Refresh);
    assert.equal(refreshes.length, 3);
    const [first, second, third] = refreshes as [Refresh, Refresh, Refresh];
    assert.equal(first.intervalMs, 0);
    assert.ok(
      first.agents.every((a) => a.handledPerS === undefined),
      'no rate before the second look',
    );
    for (const refresh of [second, third]) {
      assert.ok(refresh.intervalMs >= 1400, `${refresh.intervalMs} ms between looks (a timer may fire a millisecond early)`);
      assert.deepEqual(refresh.agents.map((a) => a.name).sort(), ['broker', 'c1', 'c2', 'c3']);
      const rates = refresh.agents.map((a) => a.handledPerS!);
      assert.deepEqual(
        rates,
        [...rates].sort((a, b) => b - a),
        'sorted by msg-rate, largest first',
      );
      for (const key of ['handled', 'fuel', 'memoryPages', 'mailbox', 'restarts', 'handledPerS', 'fuelPerS'] as const)
        assert.equal(
          refresh.totals[key],
          refresh.agents.reduce((s, a) => s + (a[key] ?? 0), 0),
          `totals.${key} is the sum of the rows`,
        );
    }
    // The traffic went on: the broker and each contractor handled more, and burnt fuel, between the first and the last look.
    for (const name of ['broker', 'c1', 'c2', 'c3']) {
      const a = first.agents.find((x) => x.name === name)!;
      const c = third.agents.find((x) => x.name === name)!;
      assert.ok(c.handled > a.handled, `${name} handled ${a.handled} → ${c.handled}`);
      assert.ok(c.fuel > a.fuel, `${name} fuel ${a.fuel} → ${c.fuel}`);
    }
    const busy = [second, third].flatMap((x) => x.agents).filter((a) => a.handledPerS! > 0);
    assert.ok(busy.length > 0 && busy.every((a) => a.fuelPerS! > 0 && a.fuelPerHandling! > 0), 'a handling costs fuel');
  });

  it('as a table: the columns, one row per agent and the totals line', async () => {
    const r = await caxton(['top', '--iterations', '2', '--interval', '500ms', ...serve.conn]);
    assert.equal(r.code, 0, show(r));
    assert.match(r.stdout, /sorted by fuel-rate {2}\(rates from the next refresh\)/);
    assert.match(r.stdout, /^NAME\s+STATE\s+NODE\s+MSG\/S\s+FUEL\/S\s+FUEL\/MSG\s+HANDLED\s+FUEL\s+MEMORY\s+MAILBOX\s+RESTARTS$/m);
    for (const name of ['broker', 'c1', 'c2', 'c3']) assert.match(r.stdout, new RegExp(`^${name}\\s+running\\s`, 'm'));
    assert.equal(r.stdout.match(/^TOTAL \(4 agents\)/gm)?.length, 2, 'a totals line under each refresh');
  });

  it('refuses an interval or a count it cannot honour, as a usage error with an example', async () => {
    const fast = await caxton(['top', '--interval', '10ms', ...serve.conn]);
    assert.equal(fast.code, 2, show(fast));
    assert.match(fast.stderr, /--interval 10ms: not a duration from 100ms to 1h/);
    assert.match(fast.stderr, /--interval 2s/);
    const none = await caxton(['top', '--iterations', '0', ...serve.conn]);
    assert.equal(none.code, 2, show(none));
    assert.match(none.stderr, /--iterations 0: not a whole number of at least 1/);
  });
});
