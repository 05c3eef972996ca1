/** `caxton top`'s arithmetic: rates between two looks, counters that went down, totals, order, the table. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AgentView } from '@caxton/client';
import { formatFuel, formatMicros, formatTop } from '../src/top/format-top.js';
import { sortTopRows, topRows, topTotals } from '../src/top/top-rows.js';

const agent = (name: string, handled: number, fuel: number, over: Partial<AgentView> = {}): AgentView =>
  ({
    name,
    state: 'running',
    nodeId: 'n1',
    messagesHandled: handled,
    fuelUsed: fuel,
    memoryPages: 2,
    mailboxDepth: 0,
    restarts: 0,
    ...over,
  }) as AgentView;

describe('caxton top rows', () => {
  it('rates are what grew between two looks, over the seconds between them', () => {
    const before = { at: 1_000, agents: [agent('a', 10, 1_000), agent('b', 5, 500)] };
    const now = { at: 3_000, agents: [agent('a', 30, 5_000), agent('b', 5, 500), agent('new', 4, 40)] };
    const rows = topRows(now, before);
    assert.deepEqual(
      rows.map((r) => [r.name, r.handledPerS, r.fuelPerS, r.fuelPerHandling]),
      [
        ['a', 10, 2_000, 200],
        ['b', 0, 0, undefined],
        ['new', undefined, undefined, undefined],
      ],
    );
    assert.ok(
      topRows(now).every((r) => r.handledPerS === undefined),
      'no rate from one look',
    );
  });

  it('a counter that went down (redeployed, now counted on another node) has no rate this time, never a negative one', () => {
    const rows = topRows({ at: 2_000, agents: [agent('a', 3, 100)] }, { at: 1_000, agents: [agent('a', 50, 9_000)] });
    assert.deepEqual([rows[0]!.handledPerS, rows[0]!.fuelPerS], [undefined, undefined]);
  });

  it('totals are the sums of the rows, fuel a handling the node-wide ratio', () => {
    const rows = topRows(
      { at: 2_000, agents: [agent('a', 30, 5_000, { mailboxDepth: 3 }), agent('b', 11, 1_100, { restarts: 2 })] },
      { at: 1_000, agents: [agent('a', 10, 1_000), agent('b', 1, 100)] },
    );
    assert.deepEqual(topTotals(rows), {
      agents: 2,
      handled: 41,
      fuel: 6_100,
      memoryPages: 4,
      mailbox: 3,
      restarts: 2,
      handlingFuel: 0,
      handlerUs: 0,
      messagesSent: 0,
      bytesSent: 0,
      stateBytesWritten: 0,
      httpCalls: 0,
      handledPerS: 30,
      fuelPerS: 5_000,
      fuelPerHandling: 5_000 / 30,
    });
  });

  it('sorts largest first, ties by name; by name in order', () => {
    const rows = topRows({ at: 0, agents: [agent('b', 1, 9), agent('a', 1, 9), agent('c', 5, 1)] });
    assert.deepEqual(
      sortTopRows(rows, 'fuel').map((r) => r.name),
      ['a', 'b', 'c'],
    );
    assert.deepEqual(
      sortTopRows(rows, 'handled').map((r) => r.name),
      ['c', 'a', 'b'],
    );
    assert.deepEqual(
      sortTopRows(rows, 'name').map((r) => r.name),
      ['a', 'b', 'c'],
    );
  });

  it('by a rate: rows with a rate first, largest first; rows without one (first seen) after them, by their totals', () => {
    const rows = topRows(
      { at: 2_000, agents: [agent('slow', 11, 110), agent('fast', 30, 300), agent('new', 900, 90_000)] },
      { at: 1_000, agents: [agent('slow', 10, 100), agent('fast', 10, 100)] },
    );
    assert.deepEqual(
      sortTopRows(rows, 'msg-rate').map((r) => r.name),
      ['fast', 'slow', 'new'],
    );
    assert.deepEqual(
      sortTopRows(topRows({ at: 0, agents: [agent('a', 1, 10), agent('b', 5, 50)] }), 'fuel-rate').map((r) => r.name),
      ['b', 'a'],
      'the first refresh: by the totals',
    );
  });

  it('the table: a row per agent, the totals line under them, fuel in k/M/G', () => {
    const rows = topRows({ at: 2_000, agents: [agent('a', 30, 5_000_000)] }, { at: 1_000, agents: [agent('a', 10, 1_000_000)] });
    const text = formatTop(rows, topTotals(rows), 'now');
    assert.match(text, /^a\s+running\s+n1\s+20\.0\s+4\.0M\s+200\.0k\s+30\s+5\.0M/m);
    assert.match(text, /^TOTAL \(1 agent\)\s+20\.0\s+4\.0M/m);
    assert.deepEqual([formatFuel(950), formatFuel(4_500), formatFuel(2.5e9)], ['950', '4.5k', '2.5G']);
  });

  it("the costs (decision 2184): each agent's from its status, 0 from a node that counts none; summed, sortable, shown", () => {
    const costs = (handlerUs: number, messagesSent: number, bytesSent: number, stateBytesWritten: number, httpCalls: number) => ({
      costs: { handled: 1, fuel: 1, handlerUs, messagesSent, bytesSent, stateBytesWritten, httpCalls },
    });
    const rows = topRows({
      at: 0,
      agents: [agent('a', 1, 9, costs(1_500, 3, 2_048, 10, 0)), agent('b', 1, 9, costs(200, 7, 10, 0, 2)), agent('old', 1, 9)],
    });
    const totals = topTotals(rows);
    assert.deepEqual(
      [totals.handlerUs, totals.messagesSent, totals.bytesSent, totals.stateBytesWritten, totals.httpCalls],
      [1_700, 10, 2_058, 10, 2],
    );
    assert.deepEqual(
      rows.find((r) => r.name === 'old'),
      {
        ...rows.find((r) => r.name === 'old'),
        handlingFuel: 0,
        handlerUs: 0,
        messagesSent: 0,
        bytesSent: 0,
        stateBytesWritten: 0,
        httpCalls: 0,
      },
    );
    assert.deepEqual(
      sortTopRows(rows, 'handler-time').map((r) => r.name),
      ['a', 'b', 'old'],
    );
    assert.deepEqual(
      sortTopRows(rows, 'sent').map((r) => r.name),
      ['b', 'a', 'old'],
    );
    assert.deepEqual(
      sortTopRows(rows, 'bytes-sent').map((r) => r.name),
      ['a', 'b', 'old'],
    );
    assert.deepEqual(
      sortTopRows(rows, 'http').map((r) => r.name),
      ['b', 'a', 'old'],
    );
    const text = formatTop(rows, totals, 'now');
    assert.match(text, /HANDLER\s+SENT\s+BYTES-OUT\s+WRITTEN\s+HTTP/);
    assert.match(text, /^a\s+running\s+n1\s.*1\.5ms\s+3\s+2\.0 KiB\s+10 B\s+0\s/m);
    assert.deepEqual(
      [formatMicros(850), formatMicros(12_345), formatMicros(4_200_000), formatMicros(303_000_000)],
      ['850µs', '12.3ms', '4.2s', '5m 3s'],
    );
  });
});
