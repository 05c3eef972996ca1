/** The fuel cost model: pure decisions about prices and charge placement. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  BULK_BYTES_SHIFT,
  CLASS_COST,
  COALESCE_ARM_LIMIT,
  DEBT_FLUSH,
  GROW_PAGE_COST,
  HOST_BYTES_PER_FUEL,
  HOST_CALL_COST,
  bulkMemoryFuel,
  debtRoom,
  growFuel,
  hostCallFuel,
  planIf,
  siteCharge,
  siteChecks,
} from '../src/fuel/cost-model.js';

/**
 * Replays debt mode as the pass emits it (fuel-pass.ts, debtHeader): each header takes its charge
 * off the room and, when the room is spent, leaves the loop to settle and re-enters at the header.
 */
function replayDebt(headers: number[]): { settled: number[]; atExit: number } {
  let room = debtRoom.initial;
  const settled: number[] = [];
  for (const charge of headers) {
    room -= charge;
    if (room <= 0) {
      settled.push(debtRoom.owed(room));
      room = debtRoom.afterSettle(charge);
      room -= charge; // the re-entered header
      assert.ok(room > 0, 'the re-entered header does not settle again');
    }
  }
  return { settled, atExit: debtRoom.owed(room) };
}

describe('debt mode accounting', () => {
  it('settles exactly what the headers charged, in settlements of about DEBT_FLUSH', () => {
    let seed = 7;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let trial = 0; trial < 50; trial++) {
      const headers = Array.from({ length: 1 + Math.floor(random() * 5000) }, () => 1 + Math.floor(random() * (trial % 2 ? 40 : 3000)));
      const { settled, atExit } = replayDebt(headers);
      const total = headers.reduce((a, b) => a + b, 0);
      assert.equal(settled.reduce((a, b) => a + b, 0) + atExit, total, 'nothing lost, nothing charged twice');
      const biggest = Math.max(...headers);
      for (const s of settled) assert.ok(s >= DEBT_FLUSH && s < DEBT_FLUSH + biggest, `a settlement of ${s}`);
      assert.ok(atExit >= 0 && atExit < DEBT_FLUSH, 'what is left for the exit is less than one settlement');
    }
  });

  it('a function that runs no loop owes nothing at its exit', () => {
    assert.equal(debtRoom.owed(debtRoom.initial), 0);
  });
});

describe('cost model', () => {
  it('structure and operand plumbing are free; work is not', () => {
    assert.equal(CLASS_COST.structural, 0);
    assert.equal(CLASS_COST.operand, 0);
    assert.ok(CLASS_COST.op > 0 && CLASS_COST.branch > 0);
    assert.ok(CLASS_COST['call-indirect'] > CLASS_COST.call);
  });

  it('coalesces small branch-free if arms into the enclosing charge, paying the costlier arm', () => {
    assert.deepEqual(planIf({ cost: 3, hasChargePoints: false }, { cost: 7, hasChargePoints: false }), {
      coalesce: true,
      parentCost: CLASS_COST.branch + 7,
    });
    assert.deepEqual(planIf({ cost: 5, hasChargePoints: false }, null), { coalesce: true, parentCost: CLASS_COST.branch + 5 });
  });

  it('charges arms in place when one is big or has its own charge points', () => {
    assert.deepEqual(planIf({ cost: COALESCE_ARM_LIMIT + 1, hasChargePoints: false }, { cost: 1, hasChargePoints: false }), {
      coalesce: false,
      parentCost: CLASS_COST.branch,
    });
    assert.deepEqual(planIf({ cost: 1, hasChargePoints: true }, null), { coalesce: false, parentCost: CLASS_COST.branch });
  });

  it('checks the budget at loop headers and at entries of functions that can run unboundedly', () => {
    assert.equal(siteChecks('loop-header', { leaf: true, hasLoop: true }), true);
    assert.equal(siteChecks('function-entry', { leaf: false, hasLoop: false }), true, 'may recurse');
    assert.equal(siteChecks('function-entry', { leaf: true, hasLoop: true }), true);
    assert.equal(siteChecks('function-entry', { leaf: true, hasLoop: false }), false, 'bounded: the caller checks');
    assert.equal(siteChecks('if-arm', { leaf: false, hasLoop: true }), false);
    assert.equal(siteChecks('branch-target', { leaf: false, hasLoop: true }), false);
  });

  it('loop headers and function entries always cost something, so every iteration pays', () => {
    assert.equal(siteCharge('loop-header', 0), 1);
    assert.equal(siteCharge('function-entry', 0), 1);
    assert.equal(siteCharge('if-arm', 0), 0);
    assert.equal(siteCharge('loop-header', 12), 12);
  });

  it('prices host calls, bulk memory and growth by the data they move', () => {
    assert.equal(hostCallFuel(0), HOST_CALL_COST);
    assert.equal(hostCallFuel(HOST_BYTES_PER_FUEL * 10), HOST_CALL_COST + 10);
    assert.equal(hostCallFuel(1), HOST_CALL_COST + 1);
    assert.equal(bulkMemoryFuel(1 << 20), (1 << 20) >> BULK_BYTES_SHIFT);
    assert.equal(growFuel(3), 3 * GROW_PAGE_COST);
  });
});
