import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Instrumentation } from '../src/index.js';

type TestEvent = { type: 'a'; n: number } | { type: 'b'; s: string };

describe('Instrumentation', () => {
  it('wants nothing while nobody listens, so emitters build nothing', () => {
    const events = new Instrumentation<TestEvent>();
    assert.equal(events.active, false);
    assert.equal(events.wants('a'), false);
    assert.equal(events.wants('b'), false);
  });

  it('delivers only the types a listener asked for, and wants() follows subscriptions', () => {
    const events = new Instrumentation<TestEvent>();
    const seen: TestEvent[] = [];
    const off = events.on((e) => seen.push(e), ['a']);
    assert.equal(events.wants('a'), true);
    assert.equal(events.wants('b'), false);
    events.emit({ type: 'a', n: 1 });
    events.emit({ type: 'b', s: 'x' });
    assert.deepEqual(seen, [{ type: 'a', n: 1 }]);
    off();
    assert.equal(events.wants('a'), false);
    assert.equal(events.active, false);
  });

  it('a listener without types wants everything', () => {
    const events = new Instrumentation<TestEvent>();
    const seen: string[] = [];
    events.on((e) => seen.push(e.type));
    assert.equal(events.wants('b'), true);
    events.emit({ type: 'a', n: 1 });
    events.emit({ type: 'b', s: 'x' });
    assert.deepEqual(seen, ['a', 'b']);
  });

  it('onType gives a listener typed for its event', () => {
    const events = new Instrumentation<TestEvent>();
    let got = '';
    events.onType('b', (e) => (got = e.s));
    events.emit({ type: 'b', s: 'typed' });
    assert.equal(got, 'typed');
  });

  it('removes a listener that throws, and keeps delivering to the others', () => {
    const events = new Instrumentation<TestEvent>();
    let calls = 0;
    events.on(() => {
      throw new Error('bad listener');
    }, ['a']);
    events.on(() => calls++, ['a']);
    events.emit({ type: 'a', n: 1 });
    events.emit({ type: 'a', n: 2 });
    assert.equal(calls, 2);
    events.on(() => {}, ['b']);
    assert.equal(events.wants('a'), true);
  });

  it('subscribing the same listener twice replaces its filter', () => {
    const events = new Instrumentation<TestEvent>();
    const listener = (): void => {};
    events.on(listener, ['a']);
    events.on(listener, ['b']);
    assert.equal(events.wants('a'), false);
    assert.equal(events.wants('b'), true);
  });
  it('calls the listeners of a type in subscription order, and follows every change (decision 2095)', () => {
    const events = new Instrumentation<TestEvent>();
    const seen: string[] = [];
    const first = (): void => void seen.push('first');
    events.on(first, ['a']);
    events.on(() => seen.push('all'));
    events.on(() => seen.push('b-only'), ['b']);
    events.on(() => seen.push('last'), ['a', 'b']);
    events.emit({ type: 'a', n: 1 });
    assert.deepEqual(seen.splice(0), ['first', 'all', 'last']);
    events.on(first, ['b']); // its filter replaced after the type's list was built: it moves to the end
    events.emit({ type: 'a', n: 2 });
    events.emit({ type: 'b', s: 'x' });
    assert.deepEqual(seen.splice(0), ['all', 'last', 'all', 'b-only', 'last', 'first']);
  });

  it('a listener removed by an earlier one of the same emit is not called; one added gets the next event', () => {
    const events = new Instrumentation<TestEvent>();
    const seen: string[] = [];
    let offSecond = (): void => {};
    const late = (): void => void seen.push('late');
    events.on(() => {
      seen.push('first');
      offSecond();
      events.on(late, ['a']);
    }, ['a']);
    offSecond = events.on(() => seen.push('second'), ['a']);
    events.emit({ type: 'a', n: 1 });
    assert.deepEqual(seen.splice(0), ['first']);
    events.emit({ type: 'a', n: 2 });
    // `late` was subscribed again by the first listener (replacing itself, moved to the end): once per emit.
    assert.deepEqual(seen.splice(0), ['first', 'late']);
    assert.equal(events.wants('a'), true);
  });

  it('a listener re-subscribed by an earlier one of the same emit to other types is not called with it', () => {
    const events = new Instrumentation<TestEvent>();
    const seen: string[] = [];
    const second = (e: TestEvent): void => void seen.push(`second ${e.type}`);
    events.on(() => {
      seen.push('first');
      events.on(second, ['b']); // replaces its filter: it no longer wants 'a'
    }, ['a']);
    events.on(second, ['a']);
    events.emit({ type: 'a', n: 1 });
    assert.deepEqual(seen.splice(0), ['first']);
    events.emit({ type: 'b', s: 'x' });
    assert.deepEqual(seen.splice(0), ['second b']);
  });
});
