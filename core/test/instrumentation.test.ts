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
});
