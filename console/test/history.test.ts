import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { addMessages, emptyHistory } from '../src/model/history.js';
import { contractNet } from './fixtures.js';

describe('sniffer history', () => {
  const net = contractNet();

  it('appends live messages in order and ignores a message seen twice', () => {
    let h = addMessages(emptyHistory, net.slice(0, 3));
    h = addMessages(h, [net[2]!, net[3]!]);
    assert.deepEqual(
      h.messages.map((m) => m.id),
      net.slice(0, 4).map((m) => m.id),
    );
  });

  it('puts an older history page before the live messages, oldest first', () => {
    const live = addMessages(emptyHistory, net.slice(4));
    const both = addMessages(live, net.slice(0, 4).reverse());
    assert.deepEqual(
      both.messages.map((m) => m.id),
      net.map((m) => m.id),
    );
  });

  it('keeps at most the cap, letting the oldest go and counting them', () => {
    const h = addMessages(addMessages(emptyHistory, net.slice(0, 4), 5), net.slice(4), 5);
    assert.deepEqual(
      h.messages.map((m) => m.id),
      net.slice(2).map((m) => m.id),
    );
    assert.equal(h.evicted, 2);
    assert.equal(h.ids.has(net[0]!.id), false);
  });

  it('returns the same history when nothing is new (no re-render)', () => {
    const h = addMessages(emptyHistory, net);
    assert.equal(addMessages(h, net.slice(1, 3)), h);
  });
});
