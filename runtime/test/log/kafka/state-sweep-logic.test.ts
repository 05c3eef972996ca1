/**
 * The pure parts of the state sweep (decision 1800): the sweep header's layout, what PartitionState
 * plans, and that a read of the log as compaction leaves it — superseded records gone, tombstones
 * kept or gone, claims retired or not yet — sees the same state as a read of the whole log.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { StateWrite } from '@caxton/core';
import {
  decodeStateRecord,
  encodeClaim,
  encodeClaimTombstone,
  encodeEntry,
  encodeEntryTombstone,
  encodeMarker,
  encodeMarkerTombstone,
  encodeSweepHeader,
  encodeSweepHeaderTombstone,
  type StateMessage,
} from '../../../src/log/kafka/state-records.js';
import { PartitionState, type SweepPlan } from '../../../src/log/kafka/partition-state.js';
import { RecordFormatError } from '../../../src/log/records/binary-fields.js';

/** A partition's log as the broker keeps it: records at their offsets. */
class Log {
  readonly records: { offset: number; m: StateMessage }[] = [];
  private next = 0;
  append(...ms: StateMessage[]): void {
    for (const m of ms) this.records.push({ offset: this.next++, m });
  }
  /** What compaction leaves: the newest record of each key (tombstones too, unless `dropTombstones`). */
  compacted(dropTombstones: boolean): Log {
    const newest = new Map<string, number>();
    for (const r of this.records) newest.set(r.m.key.toString('latin1'), r.offset);
    const out = new Log();
    for (const r of this.records) {
      if (newest.get(r.m.key.toString('latin1')) !== r.offset) continue;
      if (dropTombstones && r.m.value === null) continue;
      out.records.push(r);
    }
    return out;
  }
  /** Only the records `keep` says. */
  without(drop: (m: StateMessage) => boolean): Log {
    const out = new Log();
    out.records.push(...this.records.filter((r) => !drop(r.m)));
    return out;
  }
  read(into = new PartitionState()): PartitionState {
    for (const r of this.records) if (r.offset > into.at) into.apply(r.offset, decodeStateRecord(r.m.key, r.m.value));
    return into;
  }
}

/** Write a plan as the sweeper does (header and tombstones, re-writes, retirements) to `log`. */
function writePlan(log: Log, claim: string, plan: SweepPlan): void {
  if (plan.tombstones.length > 0) {
    log.append(
      encodeSweepHeader(claim, plan.tombstones.length),
      ...plan.tombstones.map((t) => (t.key === null ? encodeMarkerTombstone(t.agent) : encodeEntryTombstone(t.agent, t.key))),
    );
  }
  for (const r of plan.rewrites) {
    log.append(...r.writes.map((w) => encodeEntry(r.agent, w, claim)), ...(r.marker ? [encodeMarker(r.agent, r.marker, claim)] : []));
  }
  log.append(...plan.retire.claims.map(encodeClaimTombstone), ...plan.retire.headers.map(encodeSweepHeaderTombstone));
}

const entries = (s: PartitionState, agent: string) => Object.fromEntries(s.view(agent));
const put = (agent: string, key: string, value: string | null, claim?: string) => encodeEntry(agent, { key, value } as StateWrite, claim);

describe('state records: the sweep header', () => {
  it('round-trips, and its retirement too', () => {
    const h = encodeSweepHeader('node-a/x', 3);
    assert.deepEqual(decodeStateRecord(h.key, h.value), { kind: 'sweep', claim: 'node-a/x', count: 3 });
    const t = encodeSweepHeaderTombstone('node-a/x');
    assert.deepEqual(decodeStateRecord(t.key, t.value), { kind: 'sweep-cleared', claim: 'node-a/x' });
    const c = encodeClaimTombstone('node-a/x');
    assert.deepEqual(decodeStateRecord(c.key, c.value), { kind: 'claim-cleared', claim: 'node-a/x' });
  });

  it('refuses a header without a count or with bytes after it', () => {
    const h = encodeSweepHeader('c', 1);
    assert.throws(() => decodeStateRecord(h.key, Buffer.from([0x01])), RecordFormatError);
    assert.throws(() => decodeStateRecord(h.key, Buffer.concat([h.value!, Buffer.from([0])])), RecordFormatError);
    assert.throws(() => decodeStateRecord(h.key, Buffer.from([0x02, 0x01])), RecordFormatError);
  });
});

describe('PartitionState: the sweep plan', () => {
  it('a tagged delete is planned as a tombstone; once the sweep is read nothing is left to sweep', () => {
    const log = new Log();
    log.append(encodeClaim('a/1', 'a'), put('x', 'k', 'v', 'a/1'), put('x', 'gone', 'v', 'a/1'), put('x', 'gone', null, 'a/1'));
    const s = log.read();
    assert.equal(s.needsSweep(64), true);
    const plan = s.sweepPlan(64, 500);
    assert.deepEqual(plan.tombstones, [{ agent: 'x', key: 'gone' }]);
    assert.deepEqual(plan.rewrites, []);
    writePlan(log, 'a/1', plan);
    log.read(s);
    assert.equal(s.needsSweep(64), false);
    assert.deepEqual(entries(s, 'x'), { k: 'v' });
    // Compacted, tombstones past their retention too: the key is simply gone.
    assert.deepEqual(entries(log.compacted(true).read(), 'x'), { k: 'v' });
  });

  it('a key held again by our own pending write is not tombstoned', () => {
    const log = new Log();
    log.append(encodeClaim('a/1', 'a'), put('x', 'k', null, 'a/1'));
    const s = log.read();
    s.addPending({ agent: 'x', writes: [{ key: 'k', value: 'again' }], claim: 'a/1' });
    assert.deepEqual(s.sweepPlan(64, 500).tombstones, []);
  });

  it('a retiring sweep re-writes values as read, never one of our commits still in flight (it may fail)', () => {
    const log = new Log();
    log.append(encodeClaim('a/1', 'a'), put('x', 'k', 'v1', 'a/1'), put('x', 'j', 'j1', 'a/1'), encodeMarker('x', ['d1'], 'a/1'));
    log.append(encodeClaim('b/1', 'b'));
    const s = log.read();
    // b's commit of k and of the marker, not read back yet.
    const inFlight = { agent: 'x', writes: [{ key: 'k', value: 'uncommitted' }], marker: ['d2'], claim: 'b/1' };
    s.addPending(inFlight);
    const plan = s.sweepPlan(1, 500);
    assert.deepEqual(
      plan.rewrites,
      [{ agent: 'x', writes: [{ key: 'j', value: 'j1' }] }],
      'j as read; k and the marker left to the commit writing them',
    );
    assert.deepEqual(plan.retire, { claims: [], headers: [] }, 'nothing retired while a key still waits');
    s.dropPending(inFlight); // the commit failed
    assert.deepEqual(s.sweepPlan(1, 500).rewrites, [
      {
        agent: 'x',
        writes: [
          { key: 'k', value: 'v1' },
          { key: 'j', value: 'j1' },
        ],
        marker: ['d1'],
      },
    ]);
  });

  it("a sweep that lands after another claim deletes nothing: the new owner's value stays, listed for its repair", () => {
    const log = new Log();
    log.append(encodeClaim('a/1', 'a'), put('x', 'k', null, 'a/1'));
    const plan = log.read().sweepPlan(64, 500); // node-a plans under its claim...
    log.append(encodeClaim('b/1', 'b'), put('x', 'k', 'from-b', 'b/1')); // ...node-b takes over and writes k
    writePlan(log, 'a/1', plan); // ...then node-a's sweep lands
    const s = log.read();
    assert.deepEqual(entries(s, 'x'), { k: 'from-b' });
    assert.equal(s.ignored, 1);
    assert.deepEqual(s.takeStale(), [{ agent: 'x', keys: ['k'], marker: false }]);
  });

  it('more claims than kept: re-writes what older claims tagged, then retires them; every compaction of the log reads the same', () => {
    const log = new Log();
    log.append(encodeClaim('a/1', 'a'), put('x', 'k', 'v1', 'a/1'), put('x', 'old', 'o'), encodeMarker('x', ['d1'], 'a/1'));
    log.append(encodeClaim('b/1', 'b'), put('x', 'k', 'v2', 'b/1'), put('x', 'old', null, 'b/1'), put('y', 'z', 'late-a', 'a/1'));
    log.append(encodeClaim('c/1', 'c'), put('y', 'w', 'w', 'c/1'));
    const s = log.read();
    assert.deepEqual(s.claims, ['a/1', 'b/1', 'c/1']);
    assert.equal(s.needsSweep(2), true);
    // First run: the tagged delete becomes a tombstone, b's k and a's marker are re-written under c;
    // y/z (a's write after b's claim, never applied, not held) is tombstoned too. No retirement yet.
    const first = s.sweepPlan(2, 500);
    assert.deepEqual(first.tombstones.map((t) => `${t.agent}/${t.key}`).sort(), ['x/old', 'y/z']);
    assert.deepEqual(first.rewrites, [{ agent: 'x', writes: [{ key: 'k', value: 'v2' }], marker: ['d1'] }]);
    assert.deepEqual(first.retire, { claims: [], headers: [] });
    writePlan(log, 'c/1', first);
    log.read(s);
    const second = s.sweepPlan(2, 500);
    assert.deepEqual(second.retire, { claims: ['a/1', 'b/1'], headers: [] });
    assert.deepEqual([second.tombstones, second.rewrites], [[], []]);
    writePlan(log, 'c/1', second);
    log.read(s);
    assert.deepEqual(s.claims, ['c/1']);
    assert.equal(s.needsSweep(2), false);
    const expected = { x: { k: 'v2' }, y: { w: 'w' } };
    const seen = (l: Log) => {
      const r = l.read();
      return { x: entries(r, 'x'), y: entries(r, 'y'), marker: r.marker('x') };
    };
    assert.deepEqual(seen(log), { ...expected, marker: ['d1'] });
    // Compaction removes records at its own pace: the old claims gone before or after the rest.
    assert.deepEqual(seen(log.compacted(false)), { ...expected, marker: ['d1'] });
    assert.deepEqual(seen(log.compacted(true)), { ...expected, marker: ['d1'] });
    assert.deepEqual(seen(log.without((m) => m.key.toString().includes('\u0000claim\u0000a/1'))), { ...expected, marker: ['d1'] });
    assert.deepEqual(seen(log.without((m) => m.key.toString().includes('\u0000claim\u0000b/1'))), { ...expected, marker: ['d1'] });
  });

  it("waits with the retirement while a key held in the view still has a stale newest record (the repair's)", () => {
    const log = new Log();
    log.append(
      encodeClaim('a/1', 'a'),
      put('x', 'k', 'v', 'a/1'),
      encodeClaim('b/1', 'b'),
      put('x', 'k', 'v', 'b/1'),
      put('x', 'k', 'late', 'a/1'),
    );
    const s = log.read();
    assert.equal(s.needsRepair, true);
    const plan = s.sweepPlan(1, 500);
    assert.deepEqual(plan, { tombstones: [], rewrites: [], retire: { claims: [], headers: [] } });
  });

  it('writes at most `batch` records per run, the header counted', () => {
    const log = new Log();
    log.append(encodeClaim('a/1', 'a'));
    for (let i = 0; i < 10; i++) log.append(put('x', `k${i}`, null, 'a/1'));
    const s = log.read();
    const plan = s.sweepPlan(64, 4);
    assert.equal(plan.tombstones.length, 3);
    writePlan(log, 'a/1', plan);
    log.read(s);
    assert.equal(s.sweepPlan(64, 4).tombstones.length, 3);
  });

  it('a header whose claim was itself retired later still applies its tombstones (they were read as valid before)', () => {
    const log = new Log();
    log.append(encodeClaim('a/1', 'a'), put('x', 'k', 'o'), put('x', 'k', null, 'a/1'));
    writePlan(log, 'a/1', log.read().sweepPlan(64, 500));
    log.append(encodeClaim('b/1', 'b'));
    const s = log.read();
    writePlan(log, 'b/1', s.sweepPlan(1, 500));
    log.read(s);
    assert.deepEqual(s.claims, ['b/1']);
    const claimGone = log.without((m) => m.key.toString() === '\u0000claim\u0000a/1');
    for (const l of [log, log.compacted(false), log.compacted(true), claimGone]) assert.deepEqual(entries(l.read(), 'x'), {});
  });
});

describe('PartitionState: the sweep against a straight model (property)', () => {
  type Op =
    | { op: 'takeover' }
    | { op: 'write'; agent: string; key: string; value: string | null }
    | { op: 'operator'; agent: string; key: string; value: string | null }
    | { op: 'zombie'; agent: string; key: string; value: string | null }
    | { op: 'sweep'; maxClaims: number; batch: number }
    | { op: 'plan-late' }
    | { op: 'land-late' };
  const agentArb = fc.constantFrom('x', 'y');
  const keyArb = fc.constantFrom('k1', 'k2', 'k3');
  const valueArb = fc.option(fc.constantFrom('1', '2', '3'), { nil: null });
  const opArb: fc.Arbitrary<Op> = fc.oneof(
    fc.constant({ op: 'takeover' as const }),
    fc.record({ op: fc.constant('write' as const), agent: agentArb, key: keyArb, value: valueArb }),
    fc.record({ op: fc.constant('operator' as const), agent: agentArb, key: keyArb, value: valueArb }),
    fc.record({ op: fc.constant('zombie' as const), agent: agentArb, key: keyArb, value: valueArb }),
    fc.record({ op: fc.constant('sweep' as const), maxClaims: fc.integer({ min: 1, max: 3 }), batch: fc.integer({ min: 2, max: 6 }) }),
    fc.constant({ op: 'plan-late' as const }),
    fc.constant({ op: 'land-late' as const }),
  );

  it('every read — whole, compacted, retired claims compacted away one by one — agrees with the model after each step', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 40 }), (ops) => {
        const log = new Log();
        const model = { x: new Map<string, string>(), y: new Map<string, string>() };
        const claims: string[] = [];
        let late: { claim: string; plan: SweepPlan } | undefined;
        const owner = () => claims.at(-1);
        const takeover = () => {
          claims.push(`n/${claims.length}`);
          log.append(encodeClaim(owner()!, 'n'));
        };
        /** The owner re-writes what a stale record would hide at compaction (as KafkaAgentState.repair). */
        const repair = () => {
          const s = log.read();
          for (const { agent, keys } of s.takeStale()) {
            const view = s.view(agent);
            log.append(...keys.filter((k) => view.has(k)).map((k) => put(agent, k, view.get(k)!, owner())));
          }
        };
        const views = (l: Log) => {
          const r = l.read();
          return { x: entries(r, 'x'), y: entries(r, 'y') };
        };
        takeover();
        for (const o of ops) {
          if (o.op === 'takeover') takeover();
          else if (o.op === 'write' || o.op === 'operator') {
            log.append(put(o.agent, o.key, o.value, o.op === 'write' ? owner() : undefined));
            const m = model[o.agent as 'x' | 'y'];
            if (o.value === null) m.delete(o.key);
            else m.set(o.key, o.value);
          } else if (o.op === 'zombie') {
            if (claims.length > 1) log.append(put(o.agent, o.key, o.value, claims.at(-2)));
          } else if (o.op === 'sweep') {
            writePlan(log, owner()!, log.read().sweepPlan(o.maxClaims, o.batch));
          } else if (o.op === 'plan-late') {
            late = { claim: owner()!, plan: log.read().sweepPlan(1, 6) };
          } else if (late !== undefined) {
            // A sweep planned earlier lands now: void if another claim came in between. It must
            // only be written late if nothing the owner itself wrote since touched its keys (a
            // sweep's plan and produce share one turn): the model's keys are what it may delete.
            if (late.claim !== owner()) writePlan(log, late.claim, late.plan);
            late = undefined;
          }
          repair();
          const expected = { x: Object.fromEntries(model.x), y: Object.fromEntries(model.y) };
          assert.deepEqual(views(log), expected);
          assert.deepEqual(views(log.compacted(false)), expected);
          assert.deepEqual(views(log.compacted(true)), expected);
          const live = new Set(log.read().claims);
          for (const c of claims.slice(0, -1)) {
            if (live.has(c)) continue;
            // A retired claim: its claim record and header may be compacted away before or after the rest.
            const gone = log.without((m) => m.key.toString().endsWith(`\u0000${c}`));
            assert.deepEqual(views(gone), expected, `claim ${c} and its header compacted away`);
            assert.deepEqual(views(gone.compacted(false)), expected);
            const claimGone = log.without((m) => m.key.toString() === `\u0000claim\u0000${c}`);
            assert.deepEqual(views(claimGone), expected, `claim ${c} compacted away, its header not yet`);
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});
