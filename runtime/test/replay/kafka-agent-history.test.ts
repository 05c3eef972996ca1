/**
 * The Kafka log's records read back as one agent's history (replay, issue 57), pure: deliveries and
 * sends first, then the state partition's records as the Kafka log writes them (state-records.ts,
 * with the `caxton-tx` header on each produce's last record), twice. A batch commit is split by
 * delivery again; a handling that wrote nothing is placed in delivery order; a stale owner's
 * commit is ignored as the state's readers ignore it; a sweep's tombstones change nothing.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { timerDoneStateKey, timerSetStateKey, type StateWrite } from '@caxton/core';
import { derivedMessageId } from '../../src/bus/ids.js';
import {
  ORDER_STATE_KEY,
  decodeStateRecord,
  decodeTxHeader,
  encodeClaim,
  encodeEntry,
  encodeMarker,
  encodeSweepHeader,
  encodeEntryTombstone,
  encodeTxHeader,
  withTxHeader,
  TX_HEADER,
  type StateMessage,
  type TxHeader,
} from '../../src/log/kafka/state-records.js';
import { KafkaAgentHistory } from '../../src/replay/kafka-agent-history.js';
import type { RecordedEvent, RecordedHandling } from '../../src/replay/recorded.js';
import { deliveryTo, msg } from './recorded-traffic.js';

const AGENT = 'counter';

/** Feeds a history the way kafka-history.ts does: deliveries, then the state records twice. */
function read(opts: {
  deliveries: { id: string; content: string }[];
  sends?: { parent: string; i: number; content: string }[];
  state: StateMessage[][];
  done?: (offset: number) => boolean;
  dead?: string[];
  /** Each state record's offset (default: 0, 1, 2…): gaps are records compaction removed. */
  stateOffsets?: number[];
}): { events: RecordedEvent[]; history: KafkaAgentHistory } {
  const events: RecordedEvent[] = [];
  const history = new KafkaAgentHistory(AGENT, events);
  opts.deliveries.forEach((d, offset) => history.delivery(deliveryTo(AGENT, d.id, d.content), offset));
  for (const s of opts.sends ?? []) history.message(derivedMessageId(s.parent, s.i), msg(AGENT, ['bob'], s.content));
  for (const id of opts.dead ?? []) history.deadLetter(deliveryTo(AGENT, id, '').id);
  const records = opts.state.flat();
  const tx = (r: StateMessage): TxHeader | undefined => (r.headers === undefined ? undefined : decodeTxHeader(r.headers[TX_HEADER]));
  const at = (i: number): number => opts.stateOffsets?.[i] ?? i;
  records.forEach((r, i) => history.markerIds(at(i), decodeStateRecord(r.key, r.value), tx(r)));
  history.prepare(opts.done ?? (() => true));
  records.forEach((r, i) => history.stateRecord(at(i), decodeStateRecord(r.key, r.value), tx(r)));
  history.end();
  return { events, history };
}

const id = (messageId: string): string => deliveryTo(AGENT, messageId, '').id;
const handled = (events: RecordedEvent[]): RecordedHandling[] => events.filter((e): e is RecordedHandling => e.kind === 'handled');
const w = (key: string, value: string | null): StateWrite => ({ key, value });

/** A commit of deliveries as KafkaAgentState.commitDeliveries produces it. */
function deliveriesCommit(
  commits: { id: string; writes: StateWrite[]; clockAt?: number }[],
  claim?: string,
  earlier: string[] = [],
): StateMessage[] {
  const records = commits.flatMap((c) => c.writes.map((x) => encodeEntry(AGENT, x, claim)));
  records.push(encodeMarker(AGENT, [...commits.map((c) => c.id).reverse(), ...earlier], claim));
  return withTxHeader(records, {
    kind: 'deliveries',
    counts: commits.map((c) => c.writes.length),
    clocks: commits.map((c) => c.clockAt ?? -1),
  });
}

describe('the caxton-tx header', () => {
  it('reads back what it wrote, and refuses what no writer writes', () => {
    const cases: TxHeader[] = [
      { kind: 'deliveries', counts: [2, 0, 1], clocks: [1_700_000_000_123, -1, 0] },
      { kind: 'state' },
      { kind: 'state', before: [1_000_000, 999_990, 1_000_007] },
      { kind: 'deliveries', counts: [0], clocks: [-1], before: [0] },
      { kind: 'reset' },
      { kind: 'rewrite' },
    ];
    for (const tx of cases) assert.deepEqual(decodeTxHeader(encodeTxHeader(tx)), tx);
    for (const bad of [
      '',
      'd',
      'd;;',
      'd;1;',
      'd;1,2;3',
      'd;-1;-1',
      'd;01;-1',
      'x',
      'd;1;-2',
      'd;1;1e3',
      's\u0000',
      's\u0000a\u0000\u0000b',
      'r\u0000d-1',
    ])
      assert.equal(decodeTxHeader(Buffer.from(bad)), undefined, bad);
  });
});

describe('one agent read back from the Kafka log', () => {
  it("splits a batch commit by delivery, in handling order, with each one's clock", () => {
    const { events } = read({
      deliveries: [
        { id: 'm1', content: '+1' },
        { id: 'm2', content: '+1' },
      ],
      sends: [
        { parent: id('m1'), i: 0, content: '1' },
        { parent: id('m2'), i: 0, content: '2' },
      ],
      state: [
        [encodeClaim('n1/a', 'n1')],
        deliveriesCommit(
          [
            { id: id('m1'), writes: [w('count', '1')], clockAt: 111 },
            { id: id('m2'), writes: [w('count', '2'), w('last', 'm2')] },
          ],
          'n1/a',
        ),
      ],
    });
    const h = handled(events);
    assert.deepEqual(
      h.map((x) => [x.work.kind === 'message' ? x.work.delivery.messageId : '', x.state, x.sends.map((m) => m.content), x.clockAt]),
      [
        ['m1', [w('count', '1')], ['1'], 111],
        ['m2', [w('count', '2'), w('last', 'm2')], ['2'], undefined],
      ],
    );
  });

  it('places a handling that wrote nothing before the commit of a later delivery', () => {
    const { events } = read({
      deliveries: [
        { id: 'm1', content: '+1' },
        { id: 'm2', content: 'get' },
        { id: 'm3', content: '+1' },
      ],
      state: [
        deliveriesCommit([{ id: id('m1'), writes: [w('count', '1')] }]),
        deliveriesCommit([{ id: id('m3'), writes: [w('count', '2')] }]),
      ],
    });
    assert.deepEqual(
      handled(events).map((x) => (x.work.kind === 'message' ? x.work.delivery.messageId : '')),
      ['m1', 'm2', 'm3'],
    );
  });

  it('leaves pending what the group has not completed, and gives dead letters as such', () => {
    const { events, history } = read({
      deliveries: [
        { id: 'm1', content: '+1' },
        { id: 'm2', content: 'poison' },
        { id: 'm3', content: 'late' },
      ],
      state: [deliveriesCommit([{ id: id('m1'), writes: [w('count', '1')] }])],
      dead: ['m2'],
      done: (offset) => offset < 2,
    });
    assert.deepEqual(
      events.map((e) => e.kind),
      ['handled', 'dead-lettered'],
    );
    assert.equal(history.countedKafka().pendingDeliveries, 1);
  });

  it("ignores a stale owner's commit after another node claimed the partition, as the state's readers do", () => {
    const { events, history } = read({
      deliveries: [{ id: 'm1', content: '+1' }],
      state: [
        [encodeClaim('n1/a', 'n1')],
        [encodeClaim('n2/b', 'n2')],
        deliveriesCommit([{ id: id('m1'), writes: [w('count', 'stale')] }], 'n1/a'),
        deliveriesCommit([{ id: id('m1'), writes: [w('count', '1')] }], 'n2/b'),
      ],
    });
    const h = handled(events);
    assert.equal(h.length, 1);
    assert.deepEqual(h[0]!.state, [w('count', '1')]);
    assert.equal(history.countedKafka().fencedRecords, 2);
  });

  it("skips a sweep's tombstones, and gives a repair's rewrite as state, never as a handling", () => {
    const { events } = read({
      deliveries: [{ id: 'm1', content: '+1' }],
      state: [
        [encodeClaim('n1/a', 'n1')],
        deliveriesCommit([{ id: id('m1'), writes: [w('count', '1'), w('gone', null)] }], 'n1/a'),
        [encodeSweepHeader('n1/a', 1), encodeEntryTombstone(AGENT, 'gone')],
        withTxHeader([encodeEntry(AGENT, w('count', '1'), 'n1/a'), encodeMarker(AGENT, [id('m1')], 'n1/a')], { kind: 'rewrite' }),
      ],
    });
    assert.deepEqual(
      events.map((e) => e.kind),
      ['handled', 'state'],
    );
    const restated = events[1]!;
    assert.ok(restated.kind === 'state');
    assert.deepEqual(restated.writes, [w('count', '1')]);
  });

  it('runs what wrote nothing in the order the next commit names it, before that commit', () => {
    // m1 and m2 wrote nothing and ran m2 first (a mailbox is fair between senders, not in offset
    // order); the timer fired after both, then m3.
    const { events } = read({
      deliveries: [
        { id: 'm0', content: 'tick 5' },
        { id: 'm1', content: 'get' },
        { id: 'm2', content: 'get' },
        { id: 'm3', content: '+1' },
      ],
      state: [
        deliveriesCommit([{ id: id('m0'), writes: [w(timerSetStateKey('t1'), JSON.stringify({ token: 'tick', delayMs: 5 }))] }]),
        withTxHeader([encodeEntry(AGENT, w(timerDoneStateKey('t1'), '1700000000005'))], { kind: 'state', before: [2, 1] }),
        deliveriesCommit([{ id: id('m3'), writes: [w('count', '1')] }]),
      ],
    });
    assert.deepEqual(
      handled(events).map((x) => (x.work.kind === 'message' ? x.work.delivery.messageId : x.work.timerId)),
      ['m0', 'm2', 'm1', 't1', 'm3'],
    );
  });

  it('runs what an order record names in its order, and the record itself is no state', () => {
    // No state commit came after m1 and m2 (a stateless tail): the node wrote their order on its own.
    const { events, history } = read({
      deliveries: [
        { id: 'm0', content: '+1' },
        { id: 'm1', content: 'get' },
        { id: 'm2', content: 'get' },
      ],
      state: [
        deliveriesCommit([{ id: id('m0'), writes: [w('count', '1')] }]),
        withTxHeader([encodeEntryTombstone(AGENT, ORDER_STATE_KEY)], { kind: 'state', before: [2, 1] }),
      ],
    });
    assert.deepEqual(
      events.map((e) => (e.kind === 'handled' && e.work.kind === 'message' ? e.work.delivery.messageId : e.kind)),
      ['m0', 'm2', 'm1'],
    );
    assert.equal(history.countedKafka().unorderedHandlings, 0);
  });

  it('runs a delivery a later header names there, even when a commit of a later delivery comes first', () => {
    // m1 (offset 0, wrote nothing) ran after m2 (offset 1, wrote): the order record after m2's commit names it.
    const { events, history } = read({
      deliveries: [
        { id: 'm1', content: 'get' },
        { id: 'm2', content: '+1' },
      ],
      state: [
        deliveriesCommit([{ id: id('m2'), writes: [w('count', '1')] }]),
        withTxHeader([encodeEntryTombstone(AGENT, ORDER_STATE_KEY)], { kind: 'state', before: [0] }),
      ],
    });
    assert.deepEqual(
      handled(events).map((x) => (x.work.kind === 'message' ? x.work.delivery.messageId : '')),
      ['m2', 'm1'],
    );
    assert.equal(history.countedKafka().unorderedHandlings, 0);
  });

  it("skips a sweep's tombstones by their offsets, as the state's readers do, when compaction removed some", () => {
    // A sweep of 2 tombstones (offsets 2, 3) of which compaction removed one: the commit after it (offsets 4, 5) counts.
    const { events } = read({
      deliveries: [{ id: 'm1', content: '+1' }],
      state: [
        [encodeClaim('n1/a', 'n1')],
        [encodeSweepHeader('n1/a', 2), encodeEntryTombstone(AGENT, 'gone')],
        deliveriesCommit([{ id: id('m1'), writes: [w('count', '1')] }], 'n1/a'),
      ],
      stateOffsets: [0, 1, 3, 4, 5],
    });
    assert.deepEqual(handled(events)[0]?.state, [w('count', '1')]);
  });

  it('never runs a delivery an order record names that the group has not completed', () => {
    const { events, history } = read({
      deliveries: [{ id: 'm1', content: 'get' }],
      state: [withTxHeader([encodeEntryTombstone(AGENT, ORDER_STATE_KEY)], { kind: 'state', before: [1] })],
      done: () => false,
    });
    assert.deepEqual(events, []);
    assert.equal(history.countedKafka().pendingDeliveries, 1);
  });

  it('places a timer firing no header orders after the deliveries before it, and what wrote nothing before the next delivery commit', () => {
    // m1 and m2 wrote nothing; the timer's commit names m1 (its node completed it before the firing), m2 came later.
    const { events } = read({
      deliveries: [
        { id: 'm0', content: 'tick 5' },
        { id: 'm1', content: 'get' },
        { id: 'm2', content: 'get' },
        { id: 'm3', content: '+1' },
      ],
      state: [
        deliveriesCommit([{ id: id('m0'), writes: [w(timerSetStateKey('t1'), JSON.stringify({ token: 'tick', delayMs: 5 }))] }]),
        withTxHeader([encodeEntry(AGENT, w(timerDoneStateKey('t1'), '1700000000005'))], { kind: 'state', before: [1] }),
        deliveriesCommit([{ id: id('m3'), writes: [w('count', '1')] }]),
      ],
    });
    assert.deepEqual(
      handled(events).map((x) => (x.work.kind === 'message' ? x.work.delivery.messageId : x.work.timerId)),
      ['m0', 'm1', 't1', 'm2', 'm3'],
    );
  });

  it("gives a timer's firing (a state commit with its done marker) with the token its setting recorded", () => {
    const { events } = read({
      deliveries: [{ id: 'm1', content: 'tick 5' }],
      state: [
        deliveriesCommit([{ id: id('m1'), writes: [w(timerSetStateKey('t1'), JSON.stringify({ token: 'tick', delayMs: 5 }))] }]),
        withTxHeader([encodeEntry(AGENT, w(timerDoneStateKey('t1'), '1700000000005 1700000000007')), encodeEntry(AGENT, w('count', '1'))], {
          kind: 'state',
        }),
      ],
    });
    const h = handled(events);
    assert.equal(h.length, 2);
    assert.deepEqual(h[1]!.work, { kind: 'timer', timerId: 't1', token: 'tick', dueAt: 1_700_000_000_005 });
    assert.equal(h[1]!.clockAt, 1_700_000_000_007);
  });

  it('gives a commit of a node that predates the header to the newest delivery its marker names, counted', () => {
    const { events, history } = read({
      deliveries: [{ id: 'm1', content: '+1' }],
      state: [[encodeEntry(AGENT, w('count', '1')), encodeMarker(AGENT, [id('m1')])]],
    });
    assert.deepEqual(handled(events)[0]!.state, [w('count', '1')]);
    assert.equal(history.countedKafka().unattributedCommits, 1);
  });
});
