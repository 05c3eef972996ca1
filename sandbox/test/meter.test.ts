/** The host side of fuel: one budget shared by several modules' counters and by host calls. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OutOfFuel } from '../src/errors.js';
import { FuelMeter } from '../src/fuel/meter.js';

const counter = (v = 0n) => new WebAssembly.Global({ value: 'i64', mutable: true }, v);

describe('FuelMeter', () => {
  it('gives a single module the whole budget and reads back what it spent', () => {
    const m = new FuelMeter();
    const g = counter();
    m.attach(g);
    m.begin(1000);
    assert.equal(g.value, 1000n);
    g.value = 640n; // the guest spent 360
    assert.equal(m.used(), 360);
  });

  it('rebalances between modules: a call traps exactly when the sum of charges exceeds the budget', () => {
    const m = new FuelMeter();
    const a = counter();
    const b = counter();
    m.attach(a);
    m.attach(b);
    m.begin(1000);
    // module a runs dry after spending 10: it gets everything left
    a.value = m.refill(-10n);
    assert.equal(a.value, 990n);
    a.value -= 300n; // spends 300 more
    // module b needs fuel: takes what a has left
    b.value = m.refill(-20n);
    assert.equal(b.value, 670n);
    assert.equal(a.value, 0n);
    assert.equal(m.used(), 330);
    b.value -= 700n; // overdraws by 30
    // Never throws into the guest (a catch_all could swallow it): answers with the deficit, and the
    // instrumented check executes `unreachable` (decision 0406).
    b.value = m.refill(b.value as bigint);
    assert.equal(b.value, -30n);
    assert.equal(m.used(), 1030, 'the overdraft stays visible');
    assert.throws(() => m.assertNotExhausted(), OutOfFuel);
    assert.equal(m.exhausted, true);
  });

  it('charges host calls from the same budget, reclaiming from modules', () => {
    const m = new FuelMeter();
    const g = counter();
    m.attach(g);
    m.begin(500);
    m.charge(200);
    assert.equal(m.used(), 200);
    assert.throws(() => m.charge(400), OutOfFuel);
  });

  it("counts a module's unspent start-up fuel as part of the budget", () => {
    const m = new FuelMeter();
    m.begin(100);
    const g = counter();
    g.value = m.refill(-5n); // the start function ran before the module was attached
    m.attach(g);
    assert.equal(m.used(), 5);
  });

  it('tells a refused memory.grow from a granted one', () => {
    const m = new FuelMeter();
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 2 });
    m.begin(1);
    m.recordGrow(memory, 1, 1);
    memory.grow(1);
    assert.equal(m.growRefused(), null);
    m.recordGrow(memory, 1, 2);
    assert.equal(memory.grow.bind(memory) && m.growRefused()?.requestedPages, 1);
    m.begin(1);
    assert.equal(m.growRefused(), null, 'a new call forgets the last request');
  });
});
