/**
 * Calls refused for their credentials, recorded one by one per source up to a budget (review
 * finding 2: without a token, a caller chose how many durable audit writes the node made). The
 * rest are counted and said: carried on the source's next record, or summed up when its window ends.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  MAX_REFUSAL_KINDS,
  OTHER_KINDS,
  OTHER_SOURCES,
  RefusalBudget,
  formatRefusalKinds,
  refusalSource,
} from '../../src/audit/refusal-budget.js';

describe('RefusalBudget', () => {
  it('records a source up to its budget a window, counts the rest, and carries the count on its next record', () => {
    const b = new RefusalBudget({ perWindow: 2, maxPerWindow: 100, windowMs: 1000, maxSources: 10 });
    const decisions = Array.from({ length: 5 }, () => b.take('ipv4:10.0.0.1', 0));
    assert.deepEqual(decisions, [
      { record: true, suppressed: 0 },
      { record: true, suppressed: 0 },
      { record: false },
      { record: false },
      { record: false },
    ]);
    assert.deepEqual(b.take('ipv4:10.0.0.2', 10), { record: true, suppressed: 0 }, 'another source has its own budget');
    assert.deepEqual(b.take('ipv4:10.0.0.1', 1000), { record: true, suppressed: 3 }, 'the next window says what the last suppressed');
    assert.deepEqual(b.due(1500), [], 'nothing left unsaid');
  });

  it('sums up, when its window ends, what a source suppressed and no later record carried', () => {
    const b = new RefusalBudget({ perWindow: 1, maxPerWindow: 100, windowMs: 1000, maxSources: 10 });
    for (let i = 0; i < 4; i++) b.take('a', i);
    assert.deepEqual(b.due(999), [], 'not before its window ends');
    assert.deepEqual(b.due(1000), [{ source: 'a', suppressed: 3 }]);
    assert.deepEqual(b.due(5000), [], 'said once, then forgotten');
  });

  it('says what the refusals it only counted were, by the kind their callers named, within a bound on kinds', () => {
    const b = new RefusalBudget({ perWindow: 1, maxPerWindow: 100, windowMs: 1000, maxSources: 10 });
    b.take('a', 0, 'UNAUTHENTICATED');
    b.take('a', 1, 'UNAUTHENTICATED');
    b.take('a', 2, 'mtp.signature-refused (bad-signature)');
    b.take('a', 3, 'UNAUTHENTICATED');
    const carried = b.take('a', 1000, 'UNAUTHENTICATED');
    assert.deepEqual(carried, { record: true, suppressed: 3, kinds: { UNAUTHENTICATED: 2, 'mtp.signature-refused (bad-signature)': 1 } });
    assert.equal(formatRefusalKinds(carried.record ? carried.kinds! : {}), 'UNAUTHENTICATED 2, mtp.signature-refused (bad-signature) 1');
    // A caller choosing its refusals' kinds (e.g. one code per fault) cannot make the counts grow.
    for (let i = 0; i < 40; i++) b.take('a', 1001 + i, `kind-${i}`);
    const due = b.due(2000);
    assert.equal(due.length, 1);
    assert.equal(due[0]!.suppressed, 40, 'every refusal counted');
    assert.equal(Object.keys(due[0]!.kinds!).length, MAX_REFUSAL_KINDS, 'kinds told apart up to the bound');
    assert.equal(due[0]!.kinds![OTHER_KINDS], 40 - (MAX_REFUSAL_KINDS - 1), 'the rest under one');
  });

  it('bounds the sources it counts apart: past the bound they share one', () => {
    const b = new RefusalBudget({ perWindow: 1, maxPerWindow: 100, windowMs: 1000, maxSources: 2 });
    b.take('a', 0);
    b.take('b', 0);
    assert.deepEqual(b.take('c', 0), { record: true, suppressed: 0 }, 'the shared source has a budget too');
    assert.deepEqual(b.take('d', 0), { record: false });
    assert.deepEqual(
      b.due(1000).find((d) => d.source === OTHER_SOURCES),
      { source: OTHER_SOURCES, suppressed: 1 },
    );
  });

  it('the shared source never puts its count on a record that names one caller, and all sources together are bounded', () => {
    const b = new RefusalBudget({ perWindow: 1, maxPerWindow: 3, windowMs: 1000, maxSources: 1 });
    b.take('a', 0);
    b.take('x', 0); // shared: recorded
    b.take('y', 0); // shared: over its budget, counted
    assert.deepEqual(b.take('z', 1000), { record: true, suppressed: 0 }, "the shared source's count is not carried");
    assert.deepEqual(b.take('a', 1000), { record: true, suppressed: 0 });
    assert.deepEqual(b.take('w', 1000), { record: false }, 'shared, over its own budget');
    const c = new RefusalBudget({ perWindow: 10, maxPerWindow: 2, windowMs: 1000, maxSources: 10 });
    assert.deepEqual(
      ['p', 'q', 'r', 's', 't'].map((s) => c.take(s, 0).record),
      [true, true, false, false, false],
      'the bound on all sources',
    );
    assert.deepEqual(c.due(1000), [{ source: OTHER_SOURCES, suppressed: 3 }], 'sources new past the bound share one summary');
  });

  it("a source is the peer's address, without its port or ingress: a token, the caller's choice, makes no new source", () => {
    // grpc-js's getPeer(): the address and port, IPv6 unbracketed.
    assert.equal(refusalSource('127.0.0.1:54321'), '127.0.0.1');
    assert.equal(refusalSource('::ffff:127.0.0.1:5000'), '127.0.0.1', 'an IPv4 client of a dual-stack listener is its IPv4 address');
    assert.equal(refusalSource('unknown'), 'unknown');
    // Other gRPC stacks' form, and the HTTP ingresses' `<ingress> <address>:<port>`: one address, one source.
    assert.equal(refusalSource('ipv4:127.0.0.1:54321'), '127.0.0.1');
    assert.equal(refusalSource('console 127.0.0.1:443'), '127.0.0.1');
    assert.equal(refusalSource('console websocket 127.0.0.1:443'), '127.0.0.1');
    assert.equal(refusalSource('mtp platform-b 127.0.0.1:7778'), '127.0.0.1');
    assert.equal(refusalSource('unix:/run/caxton.sock'), 'unix:/run/caxton.sock');
  });

  it('an IPv6 source is its /64: a host is commonly given a whole /64, so addresses in it are one source', () => {
    assert.equal(refusalSource('2001:db8:1:2:aaaa::1:50000'), '2001:db8:1:2::/64');
    assert.equal(refusalSource('::1:50000'), '0:0:0:0::/64');
    assert.equal(refusalSource('ipv6:[2001:db8:1:2:bbbb:cccc:dddd:eeee]:1'), '2001:db8:1:2::/64');
    assert.equal(refusalSource('console 2001:0db8:0001:0002::9:8080'), '2001:db8:1:2::/64');
    assert.equal(refusalSource('mtp 2001:db8::1:4000'), '2001:db8:0:0::/64');
    assert.equal(refusalSource('ipv6:[64:ff9b::1.2.3.4]:5'), '64:ff9b:0:0::/64');
    // IPv4 in IPv6 clothing is an IPv4 address.
    assert.equal(refusalSource('console ::ffff:10.0.0.7:443'), '10.0.0.7');
  });
});
