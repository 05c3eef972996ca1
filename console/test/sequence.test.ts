import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { performativeKind } from '../src/model/kinds.js';
import {
  BAND_HEIGHT,
  HEADER_HEIGHT,
  LANE_WIDTH,
  MARGIN_X,
  MIN_LANE_WIDTH,
  ROW_HEIGHT,
  conversationsOf,
  layoutSequence,
  toJsonLines,
  visibleItems,
  type ArrowItem,
  type BandItem,
} from '../src/model/sequence.js';
import { contractNet, msg } from './fixtures.js';

const arrows = (items: { type: string }[]): ArrowItem[] => items.filter((i): i is ArrowItem => i.type === 'arrow');

describe('performative kinds', () => {
  it('groups performatives by what they do in a conversation', () => {
    assert.deepEqual(
      ['cfp', 'propose', 'accept-proposal', 'reject-proposal', 'refuse', 'failure', 'inform', 'INFORM', 'made-up'].map(performativeKind),
      ['request', 'proposal', 'accept', 'reject', 'reject', 'reject', 'inform', 'inform', 'other'],
    );
  });
});

describe('sequence layout', () => {
  it('gives every agent taking part a lifeline, in order of first appearance', () => {
    const d = layoutSequence(contractNet());
    assert.deepEqual(
      d.lifelines.map((l) => l.label),
      ['init', 'a', 'b', 'c'],
    );
    assert.deepEqual(
      d.lifelines.map((l) => l.x),
      [0, 1, 2, 3].map((i) => MARGIN_X + i * LANE_WIDTH),
    );
  });

  it('draws one arrow per message, in time order, under a band naming the conversation', () => {
    const d = layoutSequence(contractNet());
    const band = d.items[0] as BandItem;
    assert.equal(band.type, 'band');
    assert.deepEqual(
      { c: band.conversationId, p: band.protocol, s: band.protocolState, r: band.replyBy, n: band.messages },
      { c: 'c1', p: 'fipa-contract-net', s: 'done', r: '2026-01-01T00:00:05.000Z', n: 7 },
    );
    const a = arrows(d.items);
    assert.deepEqual(
      a.map((x) => x.message.performative),
      ['cfp', 'propose', 'propose', 'refuse', 'accept-proposal', 'reject-proposal', 'inform'],
    );
    assert.equal(a[0]!.y, HEADER_HEIGHT + BAND_HEIGHT + ROW_HEIGHT / 2);
    assert.ok(
      a.every((x, i) => i === 0 || x.y > a[i - 1]!.y),
      'rows go down the page',
    );
    // The cfp goes from the initiator to all three contractors.
    assert.equal(a[0]!.fromX, MARGIN_X);
    assert.deepEqual(
      a[0]!.toXs,
      [1, 2, 3].map((i) => MARGIN_X + i * LANE_WIDTH),
    );
    assert.equal(a[3]!.kind, 'reject');
  });

  it('groups interleaved conversations, each under its own band', () => {
    const x = contractNet('x');
    const y = contractNet('y');
    const interleaved = x.flatMap((m, i) => [m, y[i]!]).sort((p, q) => (p.time < q.time ? -1 : 1));
    const d = layoutSequence(interleaved);
    const order = d.items.map((i) => (i.type === 'band' ? `band:${i.conversationId}` : i.message.conversationId));
    assert.deepEqual(order, ['band:x', ...x.map(() => 'x'), 'band:y', ...y.map(() => 'y')]);
  });

  it('with chosen agents, draws only their lifelines and the messages between them', () => {
    const d = layoutSequence(contractNet(), ['init@n', 'a@n']);
    assert.deepEqual(
      d.lifelines.map((l) => l.name),
      ['init@n', 'a@n'],
    );
    assert.deepEqual(
      arrows(d.items).map((a) => a.message.performative),
      ['cfp', 'propose', 'accept-proposal', 'inform'],
    );
    assert.deepEqual(arrows(d.items)[0]!.toXs, [MARGIN_X + LANE_WIDTH], 'the cfp is drawn to the chosen receiver only');
  });

  it('narrows the lanes to fit the width given, down to a minimum', () => {
    const seven = ['o@n', 'init@n', 'a@n', 'b@n', 'c@n', 'd@n', 'e@n'];
    const fan = [msg('o@n', ['init@n'], 'request'), msg('init@n', seven.slice(2), 'cfp')];
    const fitted = layoutSequence(fan, undefined, 880);
    assert.equal(fitted.laneWidth, Math.floor((880 - 2 * MARGIN_X) / 6));
    assert.ok(fitted.width <= 880);
    assert.equal(layoutSequence(fan, undefined, 300).laneWidth, MIN_LANE_WIDTH, 'never narrower than a name needs');
    assert.equal(layoutSequence(fan, undefined, 5000).laneWidth, LANE_WIDTH, 'never wider than the default');
  });

  it('draws a message to oneself as a loop on the sender', () => {
    const a = arrows(layoutSequence([msg('solo@n', ['solo@n'], 'inform')]).items)[0]!;
    assert.equal(a.selfMessage, true);
    assert.deepEqual(a.toXs, [a.fromX]);
  });

  it('windows a long history to the rows in view, capping the arrows drawn', () => {
    const many = Array.from({ length: 1000 }, (_, i) => msg('p@n', ['q@n'], 'inform', { conversationId: `c${Math.floor(i / 10)}` }));
    const d = layoutSequence(many);
    assert.equal(arrows(d.items).length, 1000);
    const inView = visibleItems(d, 10_000, 600, 300, 0);
    assert.ok(inView.length > 0 && inView.length < 30, `${inView.length} items for a 600 px view`);
    assert.ok(inView.every((i) => i.y >= 10_000 - ROW_HEIGHT && i.y <= 10_600 + ROW_HEIGHT));
    const capped = visibleItems(d, 0, d.height, 50);
    assert.equal(arrows(capped).length, 50);
    assert.equal(arrows(capped)[49]!.message.id, many[999]!.id, 'the newest arrows are the ones kept');
  });
});

describe('export and conversation list', () => {
  it('writes JSON lines that parse back to the messages', () => {
    const net = contractNet();
    const text = toJsonLines(net);
    assert.equal(text.endsWith('\n'), true);
    assert.deepEqual(
      text
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l)),
      net,
    );
    assert.equal(toJsonLines([]), '');
  });

  it('lists conversations newest activity first with their counts', () => {
    const list = conversationsOf([...contractNet('old'), ...contractNet('new')]);
    assert.deepEqual(list, [
      { id: 'new', protocol: 'fipa-contract-net', count: 7 },
      { id: 'old', protocol: 'fipa-contract-net', count: 7 },
    ]);
  });
});
