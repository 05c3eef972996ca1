/** The pure parts of agent state on Kafka: record layout, partition views, commit markers (no broker). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  claimRecordKey,
  decodeStateRecord,
  encodeClaim,
  encodeEntry,
  encodeMarker,
  encodeMarkerTombstone,
  MARKER_STATE_KEY,
} from '../../../src/log/kafka/state-records.js';
import { PartitionState } from '../../../src/log/kafka/partition-state.js';
import { KafkaAgentState, lastOffsets, type ProducedOffsets } from '../../../src/log/kafka/kafka-agent-state.js';
import type { AppendBatcher } from '../../../src/log/kafka/append-batcher.js';
import type { StateReader } from '../../../src/log/kafka/state-reader.js';
import { RecordFormatError } from '../../../src/log/records/binary-fields.js';

/** Poll a condition the code under test reaches asynchronously (a produce after a resolved claim). */
async function waitFor(what: string, predicate: () => boolean, timeoutMs = 30_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > until) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const roundTrip = (m: { key: Buffer; value: Buffer | null }) => decodeStateRecord(m.key, m.value);

describe('state records', () => {
  it('round-trip entries, deletes and markers, including non-ASCII and reserved keys', () => {
    assert.deepEqual(roundTrip(encodeEntry('counter', { key: 'n', value: '41' })), {
      kind: 'entry',
      agent: 'counter',
      key: 'n',
      value: '41',
    });
    assert.deepEqual(roundTrip(encodeEntry('counter', { key: 'n', value: null })), {
      kind: 'entry',
      agent: 'counter',
      key: 'n',
      value: null,
    });
    assert.deepEqual(roundTrip(encodeEntry('a', { key: '\u0000http/7', value: '{"x":"ü"}' })), {
      kind: 'entry',
      agent: 'a',
      key: '\u0000http/7',
      value: '{"x":"ü"}',
    });
    assert.deepEqual(roundTrip(encodeEntry('a', { key: 'k', value: '' })), { kind: 'entry', agent: 'a', key: 'k', value: '' });
    assert.deepEqual(roundTrip(encodeMarker('a', ['m1/a', 'm0/a'])), { kind: 'marker', agent: 'a', ids: ['m1/a', 'm0/a'] });
    assert.deepEqual(roundTrip(encodeMarkerTombstone('a')), { kind: 'marker-cleared', agent: 'a' });
  });

  it('every string survives (property)', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1 }).filter((s) => !s.includes('\u0000')),
        fc.string({ minLength: 1 }),
        fc.string(),
        (agent, key, value) => {
          fc.pre(key !== MARKER_STATE_KEY);
          assert.deepEqual(roundTrip(encodeEntry(agent, { key, value })), { kind: 'entry', agent, key, value });
        },
      ),
    );
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

describe('state records: owner claims and tagged records (decision 1800)', () => {
  it('a claim round-trips, under a key no agent entry can have', () => {
    const c = encodeClaim('node-a/Zx9', 'node-a');
    assert.equal(c.key.toString('utf8'), '\u0000claim\u0000node-a/Zx9');
    assert.equal(c.key.toString('utf8'), claimRecordKey('node-a/Zx9'));
    assert.deepEqual(c.value, Buffer.concat([Buffer.from([0x01]), Buffer.from('node-a')]));
    assert.deepEqual(roundTrip(c), { kind: 'claim', claim: 'node-a/Zx9', node: 'node-a' });
    assert.deepEqual(decodeStateRecord(c.key, null), { kind: 'claim-cleared', claim: 'node-a/Zx9' });
  });

  it('tagged entries, deletes and markers carry their claim; untagged ones stay v1', () => {
    assert.deepEqual(roundTrip(encodeEntry('counter', { key: 'n', value: '41' }, 'c1')), {
      kind: 'entry',
      agent: 'counter',
      key: 'n',
      value: '41',
      claim: 'c1',
    });
    assert.deepEqual(roundTrip(encodeEntry('counter', { key: 'n', value: '' }, 'c1')), {
      kind: 'entry',
      agent: 'counter',
      key: 'n',
      value: '',
      claim: 'c1',
    });
    // A delete under a claim is a value (0x02 · claim · 0x00), not a tombstone: it can be fenced.
    const del = encodeEntry('counter', { key: 'n', value: null }, 'c1');
    assert.notEqual(del.value, null);
    assert.deepEqual(roundTrip(del), { kind: 'entry', agent: 'counter', key: 'n', value: null, claim: 'c1' });
    assert.deepEqual(roundTrip(encodeMarker('a', ['m1/a', 'm0/a'], 'node-b/ü')), {
      kind: 'marker',
      agent: 'a',
      ids: ['m1/a', 'm0/a'],
      claim: 'node-b/ü',
    });
    // v1 (operator writes, and records from before the fence) is unchanged, byte for byte.
    assert.deepEqual(encodeEntry('counter', { key: 'n', value: '41' }).value, Buffer.from('\u000141'));
    assert.equal(encodeEntry('counter', { key: 'n', value: null }).value, null);
  });

  it('a tag costs the claim id plus two bytes', () => {
    const plain = encodeEntry('counter', { key: 'n', value: '12345' });
    const tagged = encodeEntry('counter', { key: 'n', value: '12345' }, 'node-a/0123456789abcdefghijkl');
    assert.equal(tagged.value!.length - plain.value!.length, 'node-a/0123456789abcdefghijkl'.length + 2);
  });

  it('every tagged string survives (property)', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1 }).filter((s) => !s.includes('\u0000')),
        fc.string({ minLength: 1 }),
        fc.option(fc.string()),
        fc.string({ minLength: 1 }),
        (agent, key, value, claim) => {
          fc.pre(key !== MARKER_STATE_KEY);
          assert.deepEqual(roundTrip(encodeEntry(agent, { key, value }, claim)), { kind: 'entry', agent, key, value, claim });
        },
      ),
    );
  });

  it('refuses malformed claims and tagged records', () => {
    assert.throws(() => decodeStateRecord(Buffer.from('\u0000claim\u0000'), Buffer.from([1, 65])), RecordFormatError);
    assert.throws(() => decodeStateRecord(Buffer.from('\u0000claim\u0000c1'), Buffer.from([1])), RecordFormatError);
    assert.throws(() => decodeStateRecord(Buffer.from('\u0000claim\u0000c1'), Buffer.from([2, 65])), RecordFormatError);
    const e = encodeEntry('a', { key: 'k', value: 'v' }, 'c1');
    assert.throws(() => decodeStateRecord(e.key, e.value!.subarray(0, 4)), RecordFormatError); // no payload
    assert.throws(() => decodeStateRecord(e.key, Buffer.from([2, 0, 1, 65])), RecordFormatError); // empty claim
    assert.throws(() => decodeStateRecord(e.key, Buffer.concat([e.value!.subarray(0, 4), Buffer.from([7, 65])])), RecordFormatError); // unknown payload
    assert.throws(() => decodeStateRecord(e.key, Buffer.concat([e.value!.subarray(0, 4), Buffer.from([0, 0])])), RecordFormatError); // deleted flag plus bytes
    const m = encodeMarker('a', ['x'], 'c1');
    assert.throws(() => decodeStateRecord(m.key, Buffer.concat([m.value!.subarray(0, 4), Buffer.from([0])])), RecordFormatError); // a "deleted" marker
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

  it('a refused record (decision 2185) is read past and decides nothing; the key it names is stale, for the owner to re-write', () => {
    const s = new PartitionState();
    s.apply(0, { kind: 'claim', claim: 'c1', node: 'n1' });
    s.apply(1, { ...entry('a', 'count', '1'), claim: 'c1' });
    s.apply(2, { kind: 'marker', agent: 'a', ids: ['d1'], claim: 'c1' });
    s.refused(3, entry('a', 'count', '999'));
    s.refused(4, { kind: 'claim', claim: 'forged', node: 'mallory' });
    s.refused(5, { kind: 'marker', agent: 'a', ids: ['forged-d'] });
    s.refused(6, undefined); // not even shaped like a state record
    assert.equal(s.at, 6, 'read past');
    assert.deepEqual(Object.fromEntries(s.view('a')), { count: '1' }, 'the forged value is not state');
    assert.deepEqual(s.marker('a'), ['d1'], 'nor the forged marker');
    assert.equal(s.claim, 'c1', 'a forged claim is no claim');
    assert.deepEqual(s.claims, ['c1']);
    assert.equal(s.needsRepair, true);
    assert.deepEqual(s.takeStale(), [{ agent: 'a', keys: ['count'], marker: true }]);
    s.refused(2, entry('a', 'count', 'x')); // at or below the position: nothing
    assert.equal(s.needsRepair, false);
  });

  it('a refused record (decision 2185) never leads the sweep to tombstone a key: not one the view lacks, not one it holds', () => {
    const s = new PartitionState();
    s.apply(0, { kind: 'claim', claim: 'c1', node: 'n1' });
    s.apply(1, { ...entry('a', 'kept', '1'), claim: 'c1' });
    // Real records signed with a key this node lacks (a rotation's last step done early): refused.
    s.refused(2, { ...entry('a', 'elsewhere', 'v'), claim: 'c1' });
    s.refused(3, { ...entry('a', 'kept', '2'), claim: 'c1' });
    s.refused(4, { ...entry('a', 'gone', null), claim: 'c1' });
    s.refused(5, { kind: 'marker', agent: 'b', ids: ['d9'], claim: 'c1' });
    assert.equal(s.needsSweep(10), false, 'nothing for a sweep to do');
    assert.deepEqual(s.sweepPlan(10, 100).tombstones, [], 'a key the view lacks is not tombstoned');
    assert.deepEqual(s.sweepPlan(0, 100).tombstones, [], 'nor when claims are retired');
    // Only the key the view holds is marked for repair (re-written, never deleted).
    assert.deepEqual(s.takeStale(), [{ agent: 'a', keys: ['kept'], marker: false }]);
  });

  it('a claim read again decides as when first read, so readers agree before and after compaction (claims are keyed by id; decision 2185: a replayed claim is not covered)', () => {
    const claim = (c: string) => ({ kind: 'claim' as const, claim: c, node: 'n' });
    const log: [number, Parameters<PartitionState['apply']>[1]][] = [
      [0, claim('c1')],
      [1, claim('c2')],
      [2, claim('c1')], // c1's record again (a replayed copy)
      [3, { ...entry('a', 'x', 'by-c1'), claim: 'c1' }],
    ];
    // Compaction keeps the last record of each key: c1's first copy (offset 0) goes.
    const compacted = log.filter(([offset]) => offset !== 0);
    const read = (records: typeof log) => {
      const s = new PartitionState();
      for (const [offset, r] of records) s.apply(offset, r);
      return { claim: s.claim, view: Object.fromEntries(s.view('a')) };
    };
    assert.deepEqual(read(log), read(compacted));
    assert.deepEqual(read(log), { claim: 'c1', view: { x: 'by-c1' } });
  });

  it('lays our unread writes over the read view until the reader passes their offset', () => {
    const s = new PartitionState();
    s.apply(10, entry('a', 'x', 'read'));
    const mine = {
      agent: 'a',
      writes: [
        { key: 'x', value: 'mine' },
        { key: 'z', value: 'new' },
      ],
    };
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

describe('PartitionState: the rebalance fence (decision 1800)', () => {
  const claim = (c: string) => ({ kind: 'claim' as const, claim: c, node: c.split('/')[0]! });
  const entry = (agent: string, key: string, value: string | null, c?: string) => ({
    kind: 'entry' as const,
    agent,
    key,
    value,
    ...(c === undefined ? {} : { claim: c }),
  });
  const marker = (agent: string, ids: string[], c?: string) => ({
    kind: 'marker' as const,
    agent,
    ids,
    ...(c === undefined ? {} : { claim: c }),
  });

  it('ignores an entry tagged with a claim that is no longer the latest', () => {
    const s = new PartitionState();
    s.apply(0, claim('a/1'));
    s.apply(1, entry('x', 'k', 'by-a', 'a/1'));
    s.apply(2, claim('b/1'));
    s.apply(3, entry('x', 'k', 'late-a', 'a/1'));
    s.apply(4, entry('x', 'other', 'late-a', 'a/1'));
    assert.deepEqual(Object.fromEntries(s.view('x')), { k: 'by-a' });
    assert.equal(s.ignored, 2);
    assert.equal(s.claim, 'b/1');
    s.apply(5, entry('x', 'k', 'by-b', 'b/1'));
    assert.deepEqual(Object.fromEntries(s.view('x')), { k: 'by-b' });
    assert.equal(s.at, 5);
  });

  it('a stale marker is not reported, so its deliveries are not taken as completed', () => {
    const s = new PartitionState();
    s.apply(0, claim('a/1'));
    assert.deepEqual(s.apply(1, marker('x', ['d1'], 'a/1')), ['d1']);
    s.apply(2, claim('b/1'));
    assert.deepEqual(s.apply(3, marker('x', ['d2', 'd1'], 'a/1')), []);
    assert.deepEqual(s.marker('x'), ['d1']);
    assert.deepEqual(s.apply(4, marker('x', ['d2'], 'b/1')), ['d2']);
    assert.deepEqual(s.marker('x'), ['d2']);
  });

  it('a stale tagged delete leaves the value; a current one removes it', () => {
    const s = new PartitionState();
    s.apply(0, claim('a/1'));
    s.apply(1, entry('x', 'k', 'v', 'a/1'));
    s.apply(2, claim('b/1'));
    s.apply(3, entry('x', 'k', null, 'a/1'));
    assert.deepEqual(Object.fromEntries(s.view('x')), { k: 'v' });
    s.apply(4, entry('x', 'k', null, 'b/1'));
    assert.deepEqual(Object.fromEntries(s.view('x')), {});
    assert.deepEqual(s.agents(), []);
  });

  it('untagged (operator) writes are applied whatever the latest claim', () => {
    const s = new PartitionState();
    s.apply(0, claim('a/1'));
    s.apply(1, claim('b/1'));
    s.apply(2, entry('x', 'k', 'imported'));
    s.apply(3, entry('x', 'gone', 'soon'));
    s.apply(4, entry('x', 'gone', null));
    assert.deepEqual(Object.fromEntries(s.view('x')), { k: 'imported' });
    assert.deepEqual(s.apply(5, marker('x', ['d9'])), ['d9']);
    s.apply(6, { kind: 'marker-cleared', agent: 'x' });
    assert.deepEqual(s.marker('x'), []);
    assert.equal(s.ignored, 0);
  });

  it('claims count in offset order; a tagged record before any claim, and a retired claim, decide nothing', () => {
    const s = new PartitionState();
    s.apply(0, entry('x', 'k', 'orphan', 'a/0')); // its claim is not in the partition (swept): void
    assert.deepEqual(Object.fromEntries(s.view('x')), {});
    s.apply(1, claim('a/1'));
    s.apply(2, claim('b/1'));
    s.apply(3, entry('x', 'k', 'a', 'a/1'));
    s.apply(4, entry('x', 'k', 'b', 'b/1'));
    s.apply(5, claim('a/2')); // node a takes the partition back: a new tenure, a new claim
    s.apply(6, entry('x', 'k', 'b-late', 'b/1'));
    s.apply(7, entry('x', 'k', 'a-old-tenure', 'a/1'));
    s.apply(8, { kind: 'claim-cleared', claim: 'b/1' });
    assert.equal(s.claim, 'a/2');
    assert.deepEqual(Object.fromEntries(s.view('x')), { k: 'b' });
    s.apply(9, entry('x', 'k', 'a2', 'a/2'));
    assert.deepEqual(Object.fromEntries(s.view('x')), { k: 'a2' });
    assert.equal(s.ignored, 4);
  });

  it('every reader from the start agrees, whatever batches it reads the records in (property)', () => {
    // Random interleavings of claims and tagged/untagged writes: a reader that re-reads part of the
    // partition (a reconnect) ends with the same view as one that read it once.
    const rec = fc.oneof(
      fc.constantFrom('a/1', 'b/1', 'a/2').map(claim),
      fc
        .tuple(fc.constantFrom('k1', 'k2'), fc.option(fc.constantFrom('u', 'v')), fc.option(fc.constantFrom('a/1', 'b/1', 'a/2')))
        .map(([k, v, c]) => entry('x', k, v, c ?? undefined)),
    );
    fc.assert(
      fc.property(fc.array(rec, { maxLength: 30 }), fc.nat(30), (records, replayFrom) => {
        const once = new PartitionState();
        records.forEach((r, i) => once.apply(i, r));
        const twice = new PartitionState();
        records.forEach((r, i) => twice.apply(i, r));
        records
          .slice(Math.min(replayFrom, records.length))
          .forEach((r, i) =>
            twice.apply(Math.min(replayFrom, records.length) + i, { ...r, ...(r.kind === 'entry' ? { value: 'replayed' } : {}) }),
          );
        assert.deepEqual([...twice.view('x')], [...once.view('x')]);
        // The rule itself: the view holds exactly the newest applied value of each key.
        let current: string | undefined;
        const expected = new Map<string, string>();
        for (const r of records) {
          if (r.kind === 'claim') current = r.claim;
          else if (r.claim === undefined || r.claim === current) {
            if (r.value === null) expected.delete(r.key);
            else expected.set(r.key, r.value);
          }
        }
        assert.deepEqual(Object.fromEntries(once.view('x')), Object.fromEntries(expected));
      }),
    );
  });

  it('drops our pending writes once the reader meets another claim, and never overlays stale ones', () => {
    const s = new PartitionState();
    s.apply(0, claim('a/1'));
    s.apply(1, entry('x', 'k', 'read', 'a/1'));
    const mine = { agent: 'x', writes: [{ key: 'k', value: 'mine' }], marker: ['d1'], claim: 'a/1' };
    s.addPending(mine);
    const operator = { agent: 'x', writes: [{ key: 'op', value: 'imported' }] };
    s.addPending(operator);
    assert.deepEqual(Object.fromEntries(s.view('x')), { k: 'mine', op: 'imported' });
    assert.deepEqual(s.marker('x'), ['d1']);
    // node b claims the partition; our commit (not acknowledged yet) will land after it: void.
    s.apply(2, claim('b/1'));
    assert.deepEqual(Object.fromEntries(s.view('x')), { k: 'read', op: 'imported' });
    assert.deepEqual(s.marker('x'), []);
    // A later commit under the stale claim is not laid over the view either.
    s.addPending({ agent: 'x', writes: [{ key: 'k', value: 'later' }], claim: 'a/1' });
    assert.deepEqual(Object.fromEntries(s.view('x')), { k: 'read', op: 'imported' });
  });
});

describe('PartitionState: keys a stale record would hide at compaction', () => {
  const claim = (c: string) => ({ kind: 'claim' as const, claim: c, node: c.split('/')[0]! });

  it('lists a key (or marker) while its newest record read is an ignored one', () => {
    const s = new PartitionState();
    s.apply(0, claim('a/1'));
    s.apply(1, { kind: 'entry', agent: 'x', key: 'k', value: 'v', claim: 'a/1' });
    s.apply(2, { kind: 'marker', agent: 'x', ids: ['d1'], claim: 'a/1' });
    s.apply(3, claim('b/1'));
    assert.equal(s.needsRepair, false);
    s.apply(4, { kind: 'entry', agent: 'x', key: 'k', value: 'late', claim: 'a/1' });
    s.apply(5, { kind: 'entry', agent: 'x', key: 'j', value: 'late', claim: 'a/1' });
    s.apply(6, { kind: 'marker', agent: 'x', ids: ['d2'], claim: 'a/1' });
    s.apply(7, { kind: 'entry', agent: 'y', key: 'k', value: 'late', claim: 'a/1' });
    // A later applied record of the key makes it the newest again: nothing to repair for y/k.
    s.apply(8, { kind: 'entry', agent: 'y', key: 'k', value: 'by-b', claim: 'b/1' });
    assert.equal(s.needsRepair, true);
    assert.deepEqual(s.takeStale(), [{ agent: 'x', keys: ['j', 'k'], marker: true }]);
    assert.equal(s.needsRepair, false);
    assert.deepEqual(s.takeStale(), []);
  });
});

describe('lastOffsets', () => {
  it('gives the offset of the last record per partition of one produce', () => {
    const msgs = [
      { partition: 1, value: 'a' },
      { partition: 1, value: 'b' },
      { partition: 3, value: 'c' },
    ];
    const meta = [
      { topicName: 't', partition: 1, errorCode: 0, baseOffset: '40' },
      { topicName: 't', partition: 3, errorCode: 0, baseOffset: '7' },
    ];
    assert.deepEqual(
      [...lastOffsets(msgs, meta)],
      [
        [1, 41],
        [3, 7],
      ],
    );
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
  /**
   * The store over a writer that records what it was asked to produce and appends it to partition
   * 0's state as a broker and the reader would (offsets in order); claims are kept apart. Partition
   * 0 is owned (claimed and loaded) before the test commits.
   */
  async function store() {
    const produced: { key: string; value: ReturnType<typeof decodeStateRecord> }[][] = [];
    const claims: ReturnType<typeof decodeStateRecord>[] = [];
    const log: string[] = [];
    const partition = new PartitionState();
    let next = 0;
    const writer = {
      append: async (messages: { key: Buffer; value: Buffer | null; partition: number }[]) => {
        const records = messages.map((m) => ({ key: m.key.toString(), value: decodeStateRecord(m.key, m.value) }));
        if (records.every((r) => r.value.kind === 'claim')) {
          claims.push(...records.map((r) => r.value));
          log.push('claim acknowledged');
        } else produced.push(records);
        for (const r of records) partition.apply(next++, r.value);
        return new Map([[messages[0]!.partition, next - 1]]);
      },
    } as unknown as AppendBatcher<ProducedOffsets>;
    let held = false;
    const reader = {
      hold: async () => {
        log.push('load');
        held = true;
        return partition;
      },
      release: () => {
        held = false;
      },
      holding: () => (held ? partition : undefined),
      loaded: () => (held ? partition : undefined),
    } as unknown as StateReader;
    const state = new KafkaAgentState({ reader, writer, partitionOf: () => 0, nodeId: 'node-a' });
    state.setOwned([0]);
    assert.equal(await state.whenLoaded(0), true);
    return { produced, claims, log, partition, state };
  }
  const markerOf = (batch: { value: ReturnType<typeof decodeStateRecord> }[]) => batch.map((r) => r.value).find((v) => v.kind === 'marker');
  const idsOf = (batch: { value: ReturnType<typeof decodeStateRecord> }[]) => {
    const m = markerOf(batch);
    return m?.kind === 'marker' ? m.ids : undefined;
  };

  it('one batch per agent commit: the writes, then the marker naming the delivery', async () => {
    const { produced, claims, state } = await store();
    await state.commitDeliveries('counter', [
      {
        id: 'd1',
        writes: [
          { key: 'n', value: '1' },
          { key: 'old', value: null },
        ],
      },
    ]);
    assert.equal(produced.length, 1);
    const claim = (claims[0] as { claim: string }).claim;
    assert.deepEqual(
      produced[0]!.map((r) => r.value),
      [
        { kind: 'entry', agent: 'counter', key: 'n', value: '1', claim },
        { kind: 'entry', agent: 'counter', key: 'old', value: null, claim },
        { kind: 'marker', agent: 'counter', ids: ['d1'], claim },
      ],
    );
  });

  it('a marker repeats the deliveries whose offset commit is not confirmed, newest first, until it is', async () => {
    const { produced, state } = await store();
    await state.commitDeliveries('counter', [{ id: 'd1', writes: [{ key: 'n', value: '1' }] }]);
    // d1's offset commit failed (not confirmed); d2 commits: its marker must still name d1.
    await state.commitDeliveries('counter', [{ id: 'd2', writes: [{ key: 'n', value: '2' }] }]);
    assert.deepEqual(idsOf(produced[1]!), ['d2', 'd1']);
    state.offsetsCommitted('counter', ['d1', 'd2']);
    await state.commitDeliveries('counter', [
      { id: 'd3', writes: [{ key: 'n', value: '3' }] },
      { id: 'd4', writes: [{ key: 'n', value: '4' }] },
    ]);
    assert.deepEqual(idsOf(produced[2]!), ['d4', 'd3']);
    // Another agent's markers are its own.
    await state.commitDeliveries('other', [{ id: 'e1', writes: [{ key: 'x', value: '1' }] }]);
    assert.deepEqual(markerOf(produced[3]!)?.agent, 'other');
    assert.deepEqual(idsOf(produced[3]!), ['e1']);
  });

  it('refuses the one state key that would overwrite the marker, before producing anything', async () => {
    const { produced, state } = await store();
    await assert.rejects(
      state.commitDeliveries('a', [{ id: 'd', writes: [{ key: MARKER_STATE_KEY, value: 'x' }] }]),
      /reserved for the commit marker/,
    );
    await assert.rejects(
      state.commitState('a', [{ key: MARKER_STATE_KEY, value: 'x' }]),
      (e: unknown) => (e as { code?: string }).code === 'bus.kafka.state-key',
    );
    assert.equal(produced.length, 0);
  });
});

describe('KafkaAgentState owner claims (decision 1800)', () => {
  function parts() {
    const produced: ReturnType<typeof decodeStateRecord>[][] = [];
    const log: string[] = [];
    const partition = new PartitionState();
    let next = 0;
    let gate: Promise<void> = Promise.resolve();
    /** While set, records produced (or another node's) wait in `unread` until `catchUp` (the reader behind). */
    let behind = false;
    const unread: [number, ReturnType<typeof decodeStateRecord>][] = [];
    const applyOrQueue = (r: ReturnType<typeof decodeStateRecord>) => {
      const offset = next++;
      if (behind) unread.push([offset, r]);
      else partition.apply(offset, r);
    };
    const catchUp = () => {
      behind = false;
      for (const [offset, r] of unread.splice(0)) partition.apply(offset, r);
    };
    const writer = {
      append: async (messages: { key: Buffer; value: Buffer | null; partition: number }[]) => {
        await gate;
        const records = messages.map((m) => decodeStateRecord(m.key, m.value));
        produced.push(records);
        log.push(records[0]!.kind === 'claim' ? 'claim acknowledged' : 'commit acknowledged');
        for (const r of records) applyOrQueue(r);
        return new Map([[messages[0]!.partition, next - 1]]);
      },
    } as unknown as AppendBatcher<ProducedOffsets>;
    let held = 0;
    const reader = {
      hold: async () => {
        log.push(`load from ${partition.at + 1}`);
        held += 1;
        return partition;
      },
      release: () => {
        held -= 1;
      },
      holding: () => (held > 0 ? partition : undefined),
      loaded: () => (held > 0 ? partition : undefined),
    } as unknown as StateReader;
    const state = new KafkaAgentState({ reader, writer, partitionOf: () => 0, nodeId: 'node-a' });
    /** A record another node produced, at the next offset. */
    const external = (r: ReturnType<typeof decodeStateRecord>) => applyOrQueue(r);
    return {
      produced,
      log,
      partition,
      state,
      external,
      setGate: (g: Promise<void>) => (gate = g),
      readBehind: () => (behind = true),
      catchUp,
    };
  }

  it('claims a partition it takes before loading it, and tags its commits with that claim', async () => {
    const { produced, log, partition, state } = parts();
    state.setOwned([0]);
    assert.equal(await state.whenLoaded(0), true);
    assert.deepEqual(log, ['claim acknowledged', 'load from 1']);
    const claim = produced[0]![0]!;
    assert.equal(claim.kind, 'claim');
    assert.match((claim as { claim: string }).claim, /^node-a\/[A-Za-z0-9_-]{22}$/);
    assert.equal((claim as { node: string }).node, 'node-a');
    assert.equal(partition.claim, (claim as { claim: string }).claim);
    await state.commitDeliveries('x', [{ id: 'd1', writes: [{ key: 'k', value: 'v' }] }]);
    assert.ok(produced[1]!.every((r) => r.kind !== 'claim' && 'claim' in r && r.claim === partition.claim));
    assert.deepEqual(Object.fromEntries(await state.readState('x')), { k: 'v' });
    // Operator writes stay untagged.
    await state.commitState('x', [{ key: 'op', value: '1' }]);
    assert.deepEqual(produced[2], [{ kind: 'entry', agent: 'x', key: 'op', value: '1' }]);
  });

  it("a commit waits for its partition's claim to be acknowledged", async () => {
    const { log, state, setGate } = parts();
    let open!: () => void;
    setGate(new Promise<void>((r) => (open = r)));
    state.setOwned([0]);
    const commit = state.commitDeliveries('x', [{ id: 'd1', writes: [{ key: 'k', value: 'v' }] }]);
    await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(log, []);
    open();
    await commit;
    assert.deepEqual(log, ['claim acknowledged', 'load from 1', 'commit acknowledged']);
  });

  it('each tenure claims anew; a commit checked in an old tenure keeps its claim and is ignored', async () => {
    const { produced, partition, state, external } = parts();
    state.setOwned([0]);
    await state.whenLoaded(0);
    const first = state.tenure(0)!;
    state.setOwned([]);
    // Another node claims the partition (as its claim would reach our reader).
    external({ kind: 'claim', claim: 'node-b/x', node: 'node-b' });
    await state.commitDeliveries('x', [{ id: 'd1', writes: [{ key: 'k', value: 'late' }] }], first);
    assert.equal(produced.at(-1)!.length, 2);
    assert.deepEqual(Object.fromEntries(partition.view('x')), {});
    assert.equal(partition.ignored, 2);
    state.setOwned([0]);
    await state.whenLoaded(0);
    assert.notEqual(await state.tenure(0), await first);
    assert.equal(partition.claim, await state.tenure(0));
  });

  it("an instance timer's commit after another node claimed the partition is void; an untagged one was not (decision 2060)", async () => {
    const { produced, partition, state, external } = parts();
    state.setOwned([0]);
    await state.whenLoaded(0);
    // The node is not told of the revocation yet (a zombie: it still holds the partition) when
    // the new owner's claim lands; then its timer fires and commits the count and the done marker.
    external({ kind: 'claim', claim: 'node-b/x', node: 'node-b' });
    const firing = [
      { key: 'n', value: '1' },
      { key: 'timer-done', value: '1' },
    ];
    const before = partition.ignored;
    await state.commitClaimed('counter/alice', firing);
    assert.ok(produced.at(-1)!.every((r) => r.kind === 'entry' && r.claim !== undefined && r.claim !== 'node-b/x'));
    assert.deepEqual(Object.fromEntries(partition.view('counter/alice')), {}, 'the new owner sees no done marker: it fires the timer');
    assert.equal(partition.ignored, before + 2);
    // The way timers committed before (commitState, untagged): the late firing counts for every reader.
    await state.commitState('counter/alice', firing);
    assert.deepEqual(Object.fromEntries(partition.view('counter/alice')), { n: '1', 'timer-done': '1' });
  });

  it("a claimed commit counts once the reader passed it with this node's claim still the latest; not when another claim came first (decision 2060)", async () => {
    const { partition, state, external } = parts();
    state.setOwned([0]);
    await state.whenLoaded(0);
    const firing = [
      { key: 'n', value: '1' },
      { key: 'timer-done', value: '1' },
    ];
    const mine = await state.commitClaimed('counter/alice', firing);
    assert.equal(mine.offset, partition.at);
    assert.equal(mine.claim, partition.claim);
    assert.equal(await state.counted(mine, 1000), true, 'no other claim before it: it counts, the timer may be deleted');
    // A zombie: the new owner's claim lands before its next firing's commit, which every reader ignores.
    external({ kind: 'claim', claim: 'node-b/x', node: 'node-b' });
    const late = await state.commitClaimed('counter/alice', [
      { key: 'n', value: '2' },
      { key: 'timer-done', value: '1' },
    ]);
    assert.equal(late.claim, mine.claim, 'still tagged with its own (superseded) claim');
    assert.equal(await state.counted(late, 1000), false, 'void: the timer must stay for the new owner');
    assert.equal(partition.view('counter/alice').get('n'), '1');
    // A claim after a commit that counted: not known any more from the view, so false (the timer
    // stays; the new owner, whose view has the done marker, forgets it unhandled).
    assert.equal(await state.counted(mine, 1000), false);
  });

  it("readCounted shows a timer's done marker only once read back under the latest claim; readState shows this node's own unread commit at once (decision 2060)", async () => {
    const { state, external, readBehind, catchUp } = parts();
    state.setOwned([0]);
    await state.whenLoaded(0);
    const firing = [
      { key: 'n', value: '1' },
      { key: 'timer-done:t-1', value: '1' },
    ];
    readBehind();
    await state.commitClaimed('counter/alice', firing);
    assert.equal((await state.readState('counter/alice')).get('timer-done:t-1'), '1', 'its own commit, not read yet: in the view');
    assert.equal((await state.readCounted('counter/alice')).has('timer-done:t-1'), false, 'but not known to count');
    catchUp();
    assert.equal((await state.readCounted('counter/alice')).get('timer-done:t-1'), '1', 'read back under its claim: it counts');
    // A zombie: another node's claim lands before this node's next firing, read after both.
    readBehind();
    external({ kind: 'claim', claim: 'node-b/x', node: 'node-b' });
    await state.commitClaimed('counter/alice', [{ key: 'timer-done:t-2', value: '1' }]);
    assert.equal((await state.readState('counter/alice')).has('timer-done:t-2'), true, 'in the view until the reader meets the claim');
    assert.equal((await state.readCounted('counter/alice')).has('timer-done:t-2'), false);
    catchUp();
    assert.equal((await state.readCounted('counter/alice')).has('timer-done:t-2'), false, 'void: never counts');
    assert.equal((await state.readState('counter/alice')).has('timer-done:t-2'), false);
  });

  it('counted waits for the reader to pass the commit, and is false past its bound or once the partition is released', async (t) => {
    // The wait's poll is unref'd (it must not keep a stopped node alive): here nothing else is, as
    // a running node's Kafka consumer would be.
    const alive = setInterval(() => {}, 1000);
    t.after(() => clearInterval(alive));
    const { partition, state, external } = parts();
    state.setOwned([0]);
    await state.whenLoaded(0);
    const claim = partition.claim!;
    // The reader behind the commit (its record not read yet): waits, then answers.
    const ahead = { partition: 0, offset: partition.at + 1, claim };
    const answer = state.counted(ahead, 2000);
    await new Promise((r) => setTimeout(r, 30));
    external({ kind: 'entry', agent: 'counter/alice', key: 'n', value: '1', claim });
    assert.equal(await answer, true);
    assert.equal(await state.counted({ partition: 0, offset: partition.at + 1, claim }, 50), false, 'not read within the bound');
    assert.equal(await state.counted({ partition: 0, offset: undefined, claim }, 50), false, 'no offset from the broker');
    const waiting = state.counted({ partition: 0, offset: partition.at + 1, claim }, 2000);
    await new Promise((r) => setTimeout(r, 30)); // it polls
    const released = Date.now();
    state.setOwned([]);
    assert.equal(await waiting, false, 'released (revoked) while waiting');
    // Not at its 2 s bound: a revocation ends the wait (so the agent stops settling) at once.
    assert.ok(Date.now() - released < 200, `answered ${Date.now() - released} ms after the release`);
    assert.equal(await state.counted({ partition: 0, offset: 0, claim }, 50), false, 'not held here');
  });

  it("refuses an instance timer's commit once the partition is revoked here, producing nothing", async () => {
    const { produced, state } = parts();
    await assert.rejects(
      state.commitClaimed('counter/alice', [{ key: 'n', value: '1' }]),
      (e: unknown) => (e as { code?: string }).code === 'bus.kafka.not-owner',
    );
    state.setOwned([0]);
    await state.whenLoaded(0);
    state.setOwned([]);
    const before = produced.length;
    await assert.rejects(
      state.commitClaimed('counter/alice', [{ key: 'n', value: '1' }]),
      (e: unknown) =>
        (e as { code?: string; context?: { reason?: string } }).code === 'bus.kafka.not-owner' &&
        (e as { context?: { reason?: string } }).context?.reason === 'partition not held here',
    );
    assert.equal(produced.length, before);
  });

  it('refuses to commit for a partition it never claimed', async () => {
    const { produced, state } = parts();
    await assert.rejects(
      state.commitDeliveries('x', [{ id: 'd1', writes: [{ key: 'k', value: 'v' }] }]),
      (e: unknown) => (e as { code?: string }).code === 'bus.kafka.not-owner',
    );
    assert.equal(produced.length, 0);
  });

  it("the owner re-writes, under its claim, the keys whose newest record is a stale owner's", async () => {
    const { produced, partition, state, external } = parts();
    state.setOwned([0]);
    await state.whenLoaded(0);
    const mine = await state.tenure(0)!;
    await state.commitDeliveries('x', [{ id: 'd1', writes: [{ key: 'k', value: 'mine' }] }]);
    // A former owner's late batch: a key we hold, a key we never had, and its marker.
    external({ kind: 'entry', agent: 'x', key: 'k', value: 'late', claim: 'old/1' });
    external({ kind: 'entry', agent: 'x', key: 'new', value: 'late', claim: 'old/1' });
    external({ kind: 'marker', agent: 'x', ids: ['d0'], claim: 'old/1' });
    const before = produced.length;
    state.repair(0);
    await waitFor('the repair is produced', () => produced.length > before);
    assert.deepEqual(produced.at(-1), [
      { kind: 'entry', agent: 'x', key: 'k', value: 'mine', claim: mine },
      { kind: 'marker', agent: 'x', ids: ['d1'], claim: mine },
    ]);
    assert.equal(state.repairs, 2);
    assert.equal(partition.needsRepair, false);
    assert.deepEqual(Object.fromEntries(partition.view('x')), { k: 'mine' });
    // Nothing stale any more: no further writes.
    state.repair(0);
    await new Promise((r) => setTimeout(r, 10));
    assert.equal(produced.length, before + 1);
  });

  it('a node that is no longer the latest claimant repairs nothing', async () => {
    const { produced, state, external } = parts();
    state.setOwned([0]);
    await state.whenLoaded(0);
    await state.commitDeliveries('x', [{ id: 'd1', writes: [{ key: 'k', value: 'mine' }] }]);
    external({ kind: 'claim', claim: 'node-b/1', node: 'node-b' });
    external({ kind: 'entry', agent: 'x', key: 'k', value: 'late', claim: 'old/1' });
    const before = produced.length;
    state.repair(0);
    await new Promise((r) => setTimeout(r, 10));
    assert.equal(produced.length, before);
    assert.equal(state.repairs, 0);
  });
});
