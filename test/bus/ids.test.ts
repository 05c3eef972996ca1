/**
 * Derived message ids must never change between versions: a delivery re-handled after a restart
 * must produce the ids its first handling produced, or receivers get duplicates. The fast
 * implementation is checked against the original definition (two seeded cyrb53 hashes, base 36).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { base36, derivedMessageId, MessageIdGenerator } from '@caxton/runtime';

function cyrb53(text: string, seed: number): number {
  let h1 = 0xdeadbeef ^ seed;
  let h2 = 0x41c6ce57 ^ seed;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}

function reference(parent: string, index: number): string {
  const key = `${parent}#${index}`;
  return `d-${cyrb53(key, 0x9e3779b1).toString(36)}${cyrb53(key, 0x85ebca77).toString(36)}`;
}

test('derivedMessageId equals the original definition', () => {
  // Ids recorded by the first version of the bus, kept literally.
  assert.equal(derivedMessageId('d-1a8e6sr2z17clvhqkmqws>pong-0', 0), 'd-1dsu7wj8d1buwhyyemooj');
  fc.assert(
    fc.property(fc.string({ unit: 'grapheme', maxLength: 80 }), fc.nat(2000), (parent, index) => {
      assert.equal(derivedMessageId(parent, index), reference(parent, index));
    }),
    { numRuns: 5000 },
  );
});

test('base36 equals Number#toString(36) on every safe integer range', () => {
  for (const n of [0, 1, 35, 36, 2 ** 32 - 1, 2 ** 32, 2 ** 32 + 1, 2 ** 52, 2 ** 53 - 1, 2 ** 53 - 2, 1e15 + 7]) {
    assert.equal(base36(n), n.toString(36), String(n));
  }
  fc.assert(
    fc.property(fc.maxSafeNat(), (n) => assert.equal(base36(n), n.toString(36))),
    { numRuns: 20000 },
  );
});

test('generated message ids are unique and carry the time in base 36', () => {
  const ids = new MessageIdGenerator('node-x');
  const seen = new Set<string>();
  for (let i = 0; i < 10_000; i++) seen.add(ids.next());
  assert.equal(seen.size, 10_000);
  const [first] = seen;
  const time = parseInt(first!.split('-')[3]!, 36);
  assert.ok(Math.abs(time - Date.now()) < 60_000);
});
