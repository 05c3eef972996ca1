/** The pure parts of agent state on Kafka: record layout, partition views, commit markers (no broker). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  decodeStateRecord, encodeEntry, encodeMarker, encodeMarkerTombstone, MARKER_STATE_KEY,
} from '../../../src/bus/kafka/state-records.js';
import { PartitionState } from '../../../src/bus/kafka/partition-state.js';
import { KafkaAgentState, lastOffsets, type ProducedOffsets } from '../../../src/bus/kafka/kafka-agent-state.js';
import type { AppendBatcher } from '../../../src/bus/kafka/append-batcher.js';
import type { StateReader } from '../../../src/bus/kafka/state-reader.js';
import { RecordFormatError } from '../../../src/bus/kafka/binary-fields.js';

const roundTrip = (m: { key: Buffer; value: Buffer | null }) => decodeStateRecord(m.key, m.value);

describe('state records', () => {
  it('round-trip entries, deletes and markers, including non-ASCII and reserved keys', () => {
    assert.deepEqual(roundTrip(encodeEntry('counter', { key: 'n', value: '41' })), { kind: 'entry', agent: 'counter', key: 'n', value: '41' });
    assert.deepEqual(roundTrip(encodeEntry('counter', { key: 'n', value: null })), { kind: 'entry', agent: 'counter', key: 'n', value: null });
    assert.deepEqual(roundTrip(encodeEntry('a', { key: '\u0000http/7', value: '{"x":"ü"}' })), { kind: 'entry', agent: 'a', key: '\u0000http/7', value: '{"x":"ü"}' });
    assert.deepEqual(roundTrip(encodeEntry('a', { key: 'k', value: '' })), { kind: 'entry', agent: 'a', key: 'k', value: '' });
    assert.deepEqual(roundTrip(encodeMarker('a', ['m1/a', 'm0/a'])), { kind: 'marker', agent: 'a', ids: ['m1/a', 'm0/a'] });
    assert.deepEqual(roundTrip(encodeMarkerTombstone('a')), { kind: 'marker-cleared', agent: 'a' });
  });

  it('every string survives (property)', () => {
    fc.assert(fc.property(fc.string({ minLength: 1 }).filter((s) => !s.includes('\u0000')), fc.string({ minLength: 1 }), fc.string(), (agent, key, value) => {
      fc.pre(key !== MARKER_STATE_KEY);
      assert.deepEqual(roundTrip(encodeEntry(agent, { key, value })), { kind: 'entry', agent, key, value });
    }));
  });

  it('an entry costs one version byte beyond its key and value', () => {
    const m = encodeEntry('counter', { key: 'n', value: '12345' });
    assert.equal(m.key.length, 'counter'.length + 1 + 1);
    assert.equal(m.value!.length, 1 + 5);
  });

  it('refuses records that are not ours', () => {
    assert.throws(() => decodeStateRecord(null, Buffer.from([1])), RecordFormatError);
    assert.throws(() => decodeStateRecord(Buffer.from('no-separator'), Buffer.from([1])), RecordFormatError);
    assert.throws(() => decodeStateRecord(Buffer.from('a\u0000k'), Buffer.from('{"json":1}')), RecordFormatError);
    const marker = encodeMarker('a', ['x']);
    assert.throws(() => decodeStateRecord(marker.key, Buffer.concat([marker.value!, Buffer.from([0])])), RecordFormatError);
  });
});

describe('PartitionState', () => {
  const entry = (agent: string, key: string, value: string | null) => ({ kind: 'entry' as const, agent, key, value });

  it('applies records in offset order, ignores repeats, tracks the newest marker', () => {
    const s = new PartitionState();
    s.apply(0, entry('a', 'x', '1'));
    s.apply(1, entry('b', 'y', '2'));
    assert.deepEqual(s.apply(2, { kind: 'marker', agent: 'a', ids: ['d1'] }), ['d1']);
    s.apply(3, entry('a', 'x', '3'));
    s.apply(1, entry('a', 'x', 'stale re-read')); // at or below the position: skipped
    assert.deepEqual([...s.view('a')], [['x', '3']]);
    assert.deepEqual([...s.view('b')], [['y', '2']]);
    s.apply(4, entry('b', 'y', null));
    assert.deepEqual([...s.view('b')], []);
    assert.deepEqual(s.marker('a'), ['d1']);
    s.apply(5, { kind: 'marker-cleared', agent: 'a' });
    assert.deepEqual(s.marker('a'), []);
    assert.equal(s.at, 5);
  });

  it('lays our unread writes over the read view until the reader passes their offset', () => {
    const s = new PartitionState();
    s.apply(10, entry('a', 'x', 'read'));
    const mine = { agent: 'a', writes: [{ key: 'x', value: 'mine' }, { key: 'z', value: 'new' }] };
    s.addPending(mine);
    assert.deepEqual(Object.fromEntries(s.view('a')), { x: 'mine', z: 'new' });
    // Another node's write lands at 11, ours at 12..13: while the reader is at 11 ours still wins.
    s.acknowledged(mine, 13);
    s.apply(11, entry('a', 'x', 'other node'));
    assert.deepEqual(Object.fromEntries(s.view('a')), { x: 'mine', z: 'new' });
    s.apply(12, entry('a', 'x', 'mine'));
    s.apply(13, entry('a', 'z', 'new'));
    assert.deepEqual(Object.fromEntries(s.view('a')), { x: 'mine', z: 'new' });
    // Passed: the overlay is gone, so a later write of another node shows.
    s.apply(14, entry('a', 'x', 'later'));
    assert.deepEqual(Object.fromEntries(s.view('a')), { x: 'later', z: 'new' });
  });

  it('drops a failed produce, and an acknowledgement the reader already passed', () => {
    const s = new PartitionState();
    const failed = { agent: 'a', writes: [{ key: 'x', value: 'lost' }] };
    s.addPending(failed);
    s.dropPending(failed);
    assert.deepEqual([...s.view('a')], []);
    s.apply(0, entry('a', 'x', 'v'));
    const late = { agent: 'a', writes: [{ key: 'x', value: 'v' }] };
    s.addPending(late);
    s.apply(1, entry('a', 'x', 'newer'));
    s.acknowledged(late, 0);
    assert.deepEqual([...s.view('a')], [['x', 'newer']]);
  });
});

describe('lastOffsets', () => {
  it('gives the offset of the last record per partition of one produce', () => {
    const msgs = [{ partition: 1, value: 'a' }, { partition: 1, value: 'b' }, { partition: 3, value: 'c' }];
    const meta = [
      { topicName: 't', partition: 1, errorCode: 0, baseOffset: '40' },
      { topicName: 't', partition: 3, errorCode: 0, baseOffset: '7' },
    ];
    assert.deepEqual([...lastOffsets(msgs, meta)], [[1, 41], [3, 7]]);
  });
});

describe('PartitionState markers', () => {
  it('a pending marker (or its clearing) shows before the reader reaches it', () => {
    const s = new PartitionState();
    s.apply(0, { kind: 'marker', agent: 'a', ids: ['d1'] });
    const next = { agent: 'a', writes: [], marker: ['d2'] };
    s.addPending(next);
    assert.deepEqual(s.marker('a'), ['d2']);
    s.addPending({ agent: 'a', writes: [], marker: null });
    assert.deepEqual(s.marker('a'), []);
  });
});

describe('KafkaAgentState commit markers', () => {
  /** The store over a writer that records what it was asked to produce (offsets as a broker would give). */
  function store() {
    const produced: { key: string; value: ReturnType<typeof decodeStateRecord> }[][] = [];
    let next = 0;
    const writer = {
      append: async (messages: { key: Buffer; value: Buffer | null; partition: number }[]) => {
        produced.push(messages.map((m) => ({ key: m.key.toString(), value: decodeStateRecord(m.key, m.value) })));
        next += messages.length;
        return new Map([[messages[0]!.partition, next - 1]]);
      },
    } as unknown as AppendBatcher<ProducedOffsets>;
    const reader = { holding: () => undefined } as unknown as StateReader;
    return { produced, state: new KafkaAgentState({ reader, writer, partitionOf: () => 0 }) };
  }
  const markerOf = (batch: { value: ReturnType<typeof decodeStateRecord> }[]) => batch.map((r) => r.value).find((v) => v.kind === 'marker');

  it('one batch per agent commit: the writes, then the marker naming the delivery', async () => {
    const { produced, state } = store();
    await state.commitDeliveries('counter', [{ id: 'd1', writes: [{ key: 'n', value: '1' }, { key: 'old', value: null }] }]);
    assert.equal(produced.length, 1);
    assert.deepEqual(produced[0]!.map((r) => r.value), [
      { kind: 'entry', agent: 'counter', key: 'n', value: '1' },
      { kind: 'entry', agent: 'counter', key: 'old', value: null },
      { kind: 'marker', agent: 'counter', ids: ['d1'] },
    ]);
  });

  it('a marker repeats the deliveries whose offset commit is not confirmed, newest first, until it is', async () => {
    const { produced, state } = store();
    await state.commitDeliveries('counter', [{ id: 'd1', writes: [{ key: 'n', value: '1' }] }]);
    // d1's offset commit failed (not confirmed); d2 commits: its marker must still name d1.
    await state.commitDeliveries('counter', [{ id: 'd2', writes: [{ key: 'n', value: '2' }] }]);
    assert.deepEqual(markerOf(produced[1]!), { kind: 'marker', agent: 'counter', ids: ['d2', 'd1'] });
    state.offsetsCommitted('counter', ['d1', 'd2']);
    await state.commitDeliveries('counter', [{ id: 'd3', writes: [{ key: 'n', value: '3' }] }, { id: 'd4', writes: [{ key: 'n', value: '4' }] }]);
    assert.deepEqual(markerOf(produced[2]!), { kind: 'marker', agent: 'counter', ids: ['d4', 'd3'] });
    // Another agent's markers are its own.
    await state.commitDeliveries('other', [{ id: 'e1', writes: [{ key: 'x', value: '1' }] }]);
    assert.deepEqual(markerOf(produced[3]!), { kind: 'marker', agent: 'other', ids: ['e1'] });
  });

  it('refuses the one state key that would overwrite the marker, before producing anything', async () => {
    const { produced, state } = store();
    await assert.rejects(state.commitDeliveries('a', [{ id: 'd', writes: [{ key: MARKER_STATE_KEY, value: 'x' }] }]), /reserved for the commit marker/);
    await assert.rejects(state.commitState('a', [{ key: MARKER_STATE_KEY, value: 'x' }]), (e: unknown) => (e as { code?: string }).code === 'bus.kafka.state-key');
    assert.equal(produced.length, 0);
  });
});
