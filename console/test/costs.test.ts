/** The Costs page's model (decision 2184): the query it sends, the agents' order, how figures read. */
import assert from 'node:assert/strict';
import { describe, it, test } from 'node:test';
import { visibleId, zeroCosts, type AgentRow } from '@caxton/core';
import { agentsByCost, costsQuery, formatCost } from '../src/model/costs.js';

const row = (name: string, fuel?: number, httpCalls = 0): AgentRow => ({
  name,
  language: 'rust',
  state: 'running',
  node: 'n1',
  version: 1,
  handled: 0,
  fuelPerMessage: 0,
  memoryBytes: 65536,
  mailboxDepth: 0,
  restarts: 0,
  ...(fuel === undefined ? {} : { costs: { ...zeroCosts(), fuel, httpCalls } }),
});

describe('costs page model', () => {
  it('asks the node to sort and limit', () => {
    assert.equal(costsQuery('bytesSent', 50), 'sort=bytesSent&limit=50');
    assert.equal(costsQuery('recent', 20), 'sort=recent&limit=20');
  });

  it('orders agents by a figure, largest first, ties by name; agents without costs are left out', () => {
    const agents = [row('b', 10, 3), row('a', 10), row('c', 99), row('elsewhere')];
    assert.deepEqual(
      agentsByCost(agents, 'fuel').map((a) => a.name),
      ['c', 'a', 'b'],
    );
    assert.deepEqual(
      agentsByCost(agents, 'httpCalls').map((a) => a.name),
      ['b', 'a', 'c'],
    );
  });

  it('reads fuel in k/M/G, time in µs/ms/s, bytes in B/KiB/MiB, counts with separators', () => {
    assert.deepEqual(
      [formatCost('fuel', 2_500_000), formatCost('handlerUs', 12_345), formatCost('bytesSent', 2_048), formatCost('messagesSent', 12_000)],
      ['2.5M', '12.3 ms', '2.0 KiB', '12,000'],
    );
  });
});

test("a conversation's id is shown safe: control and bidi or zero-width characters become ?", () => {
  assert.equal(visibleId('order-\u202egnp.exe'), 'order-?gnp.exe');
  assert.equal(visibleId('a\u200bb\u0007c\ufeff'), 'a?b?c?');
  assert.equal(visibleId('plain-id_1'), 'plain-id_1');
});
