/**
 * `caxton top` as a separate `caxton` process against a real `caxton serve` running the contract
 * net (the JavaScript broker and three AssemblyScript contractors) while requests keep arriving: the
 * broker's and the contractors' handlings and fuel grow between two refreshes and show as rates,
 * every row adds into the totals line, and the same as a table for humans. Its costs (decision
 * 2184) — handler time, sends, their bytes — grow with them; `--conversations` shows each request's
 * conversation with the broker's fuel, and once the feed stops the conversations add up to the
 * agents' costs, the node's totals.
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
  handlingFuel: number;
  handlerUs: number;
  messagesSent: number;
  bytesSent: number;
  stateBytesWritten: number;
  httpCalls: number;
}
const COSTS = ['handled', 'handlingFuel', 'handlerUs', 'messagesSent', 'bytesSent', 'stateBytesWritten', 'httpCalls'] as const;
type Costs = Record<'handled' | 'fuel' | 'handlerUs' | 'messagesSent' | 'bytesSent' | 'stateBytesWritten' | 'httpCalls', number>;
interface ConversationsRefresh {
  at: number;
  intervalMs: number;
  conversations: (Costs & { conversationId: string; fuelPerS?: number; agents: (Costs & { agent: string })[] })[];
  conversationCount: number;
  noConversation: Costs;
  evicted: Costs & { conversations: number };
  totals: Costs;
}
interface Refresh {
  at: number;
  intervalMs: number;
  agents: Row[];
  totals: Omit<Row, 'name'> & { agents: number };
}

const CONTRACTORS = { c1: '40', c2: '25', c3: '70' };

/**
 * Requests the feed sends at most: each is two conversations (the request's and the broker's cfp),
 * so all of them fit the 1,000 a listing shows, and at ~10 a second the feed lasts past the tests
 * that watch it flow (a slower machine sends fewer in the same time).
 */
const MAX_PARCELS = 450;

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
      for (let i = 0; feeding && i < MAX_PARCELS; i++) {
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
      for (const key of ['handled', 'fuel', 'memoryPages', 'mailbox', 'restarts', 'handledPerS', 'fuelPerS', ...COSTS] as const)
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
      // What its handlings cost grows with them: their time, and the messages they sent and their bytes.
      assert.ok(c.handlerUs > a.handlerUs, `${name} handler time ${a.handlerUs} → ${c.handlerUs} µs`);
      assert.ok(
        c.messagesSent > a.messagesSent && c.bytesSent > a.bytesSent,
        `${name} sent ${a.messagesSent} → ${c.messagesSent} messages, ${a.bytesSent} → ${c.bytesSent} bytes`,
      );
    }
    const busy = [second, third].flatMap((x) => x.agents).filter((a) => a.handledPerS! > 0);
    assert.ok(busy.length > 0 && busy.every((a) => a.fuelPerS! > 0 && a.fuelPerHandling! > 0), 'a handling costs fuel');
  });

  it('as a table: the columns, one row per agent and the totals line', async () => {
    const r = await caxton(['top', '--iterations', '2', '--interval', '500ms', ...serve.conn]);
    assert.equal(r.code, 0, show(r));
    assert.match(r.stdout, /sorted by fuel-rate {2}\(rates from the next refresh\)/);
    assert.match(
      r.stdout,
      /^NAME\s+STATE\s+NODE\s+MSG\/S\s+FUEL\/S\s+FUEL\/MSG\s+HANDLED\s+FUEL\s+HANDLER\s+SENT\s+BYTES-OUT\s+WRITTEN\s+HTTP\s+MEMORY\s+MAILBOX\s+RESTARTS$/m,
    );
    for (const name of ['broker', 'c1', 'c2', 'c3']) assert.match(r.stdout, new RegExp(`^${name}\\s+running\\s`, 'm'));
    assert.equal(r.stdout.match(/^TOTAL \(4 agents\)/gm)?.length, 2, 'a totals line under each refresh');
  });

  it('--conversations --json: each request is a conversation whose broker burnt fuel; rates from the second look', async () => {
    const r = await caxton([
      'top',
      '--conversations',
      '--json',
      '-n',
      '2',
      '--interval',
      '1500ms',
      '--sort',
      'recent',
      '--limit',
      '50',
      ...serve.conn,
    ]);
    assert.equal(r.code, 0, show(r));
    const [first, second] = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as ConversationsRefresh) as [ConversationsRefresh, ConversationsRefresh];
    assert.ok(first.conversations.every((c) => c.fuelPerS === undefined));
    const requests = second.conversations.filter((c) => c.conversationId.startsWith('top-'));
    assert.ok(requests.length > 0, `a request's conversation among the most recent: ${second.conversations.map((c) => c.conversationId)}`);
    for (const c of requests)
      assert.ok(
        c.agents.some((a) => a.agent === 'broker' && a.fuel > 0),
        JSON.stringify(c),
      );
    // A contract net lasts milliseconds: a conversation listed in both looks has a rate (0 once it ended).
    assert.ok(
      second.conversations.some((c) => c.fuelPerS !== undefined),
      'a rate for a conversation seen in both looks',
    );
    assert.ok(second.totals.handled > first.totals.handled && second.totals.fuel > first.totals.fuel);
  });

  it('--conversations as a table: the conversations, then the rest of the node and its total', async () => {
    const r = await caxton(['top', '--conversations', '-n', '1', '--sort', 'fuel', '--limit', '1000', ...serve.conn]);
    assert.equal(r.code, 0, show(r));
    assert.match(r.stdout, /conversations sorted by fuel/);
    assert.match(r.stdout, /^CONVERSATION\s+MSG\/S\s+FUEL\/S\s+HANDLED\s+FUEL\s+HANDLER\s+SENT\s+BYTES-OUT\s+WRITTEN\s+HTTP\s+AGENTS$/m);
    // A request's conversation is the broker's alone (its cfp opens another, the contractors').
    assert.match(r.stdout, /^top-\d+\s.*\sbroker$/m);
    assert.match(r.stdout, /^\S+\s.*\sbroker, c\d, c\d \+1$/m);
    assert.match(r.stdout, /^\(no conversation\)\s/m);
    assert.match(r.stdout, /^TOTAL \(node, [\d,]+ conversations\)\s/m);
    const agentsOnly = await caxton(['top', '--conversations', '--sort', 'mailbox', '-n', '1', ...serve.conn]);
    assert.equal(agentsOnly.code, 2, show(agentsOnly));
    assert.match(agentsOnly.stderr, /--sort mailbox: not a column of the conversations/);
  });

  it('once the feed stops, the conversations add up to the agents’ costs: the node’s totals', async () => {
    feeding = false;
    await fed;
    // Settled: the node's totals stay the same between two looks a second apart.
    let agents: Refresh | undefined;
    let conversations: ConversationsRefresh | undefined;
    await until(
      async () => {
        const a = await caxton(['top', '--json', '-n', '1', ...serve.conn]);
        const c = await caxton(['top', '--conversations', '--json', '-n', '1', '--limit', '1000', ...serve.conn]);
        const a2 = await caxton(['top', '--json', '-n', '1', ...serve.conn]);
        for (const x of [a, c, a2]) assert.equal(x.code, 0, show(x));
        agents = JSON.parse(a.stdout) as Refresh;
        conversations = JSON.parse(c.stdout) as ConversationsRefresh;
        const again = JSON.parse(a2.stdout) as Refresh;
        return agents.totals.handled === again.totals.handled && agents.totals.handled === conversations.totals.handled;
      },
      'the node to settle (no handling between two looks)',
      60_000,
      1_000,
    );
    const t = conversations!.totals;
    const fromAgents = agents!.totals;
    assert.deepEqual(
      [t.handled, t.fuel, t.handlerUs, t.messagesSent, t.bytesSent, t.stateBytesWritten, t.httpCalls],
      [
        fromAgents.handled,
        fromAgents.handlingFuel,
        fromAgents.handlerUs,
        fromAgents.messagesSent,
        fromAgents.bytesSent,
        fromAgents.stateBytesWritten,
        fromAgents.httpCalls,
      ],
      "the node's totals of the conversations are the sum of its agents' costs",
    );
    assert.ok(
      fromAgents.fuel >= t.fuel,
      'an agent’s FUEL includes what its init used; its handlings’ fuel is what conversations add up to',
    );
    const sum = { handled: 0, fuel: 0, messagesSent: 0, bytesSent: 0 };
    for (const part of [...conversations!.conversations, conversations!.noConversation, conversations!.evicted])
      for (const k of Object.keys(sum) as (keyof typeof sum)[]) sum[k] += part[k];
    const want = { handled: t.handled, fuel: t.fuel, messagesSent: t.messagesSent, bytesSent: t.bytesSent };
    // The feed stops at MAX_PARCELS (two conversations each), so every conversation is listed.
    assert.equal(conversations!.conversations.length, conversations!.conversationCount, 'every conversation listed');
    assert.deepEqual(sum, want, 'every conversation listed: they add up');
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
