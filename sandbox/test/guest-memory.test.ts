/**
 * Canonical-ABI lifting and lowering of the world's values (direct path), round-tripped through a
 * real wasm memory with a bump allocator standing in for the guest's cabi_realloc.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GuestMemory } from '../src/direct/guest-memory.js';
import { AbiViolation } from '../src/errors.js';
import type { WitAclMessage } from '../src/host/wit-values.js';
import fc from 'fast-check';
import {
  MESSAGE_INFO_LIMITS,
  RECEIVER_COUNT_PARAM,
  TRACEPARENT_PARAM,
  TRACESTATE_PARAM,
  type AclMessage,
  type AgentId,
} from '@caxton/core';
import { isNarrowed, messageFromWit, messageToWit, witMessageSize } from '../src/host/convert.js';
import { LiftBudget } from '../src/host/lift-budget.js';

function memoryWithBump(encoding: 'utf8' | 'utf16'): { gm: GuestMemory; memory: WebAssembly.Memory; calls: number[][] } {
  const memory = new WebAssembly.Memory({ initial: 1, maximum: 4 });
  const gm = new GuestMemory(memory, encoding);
  let top = 1024;
  const calls: number[][] = [];
  gm.realloc = (old, oldSize, align, size) => {
    calls.push([old, oldSize, align, size]);
    top = Math.ceil(top / align) * align;
    const p = top;
    top += size;
    if (top > memory.buffer.byteLength) memory.grow(1); // growth mid-lowering must be survived
    return p;
  };
  return { gm, memory, calls };
}

const message: WitAclMessage = {
  performative: 'cfp',
  sender: { name: 'buyer@p', addresses: ['http://b', 'mtp://x'] },
  receivers: [
    { name: 'seller-1@p', addresses: [] },
    { name: 'seller-2@p', addresses: [] },
  ],
  replyTo: [],
  content: 'sell me 10 widgets — price? ✓ 😀',
  language: 'fipa-sl',
  encoding: undefined,
  ontology: 'market',
  protocol: 'fipa-contract-net',
  conversationId: 'c-42',
  replyWith: undefined,
  inReplyTo: 'r-1',
  replyBy: 1_800_000_000_123n,
  userParams: [
    ['X-trace', 'abc'],
    ['X-empty', ''],
  ],
};

describe('GuestMemory', () => {
  for (const encoding of ['utf16', 'utf8'] as const) {
    it(`round-trips an acl-message (${encoding})`, () => {
      const { gm } = memoryWithBump(encoding);
      const ptr = gm.lowerMessage(message);
      assert.equal(ptr % 8, 0);
      const back = gm.message(ptr);
      assert.deepEqual(back, { ...message, sender: message.sender, encoding: undefined, replyWith: undefined });
    });
  }

  it('survives memory growth while lowering', () => {
    const { gm, memory } = memoryWithBump('utf16');
    const big = { ...message, content: 'x'.repeat(40_000) };
    const ptr = gm.lowerMessage(big);
    assert.ok(memory.buffer.byteLength > 65536);
    assert.equal(gm.message(ptr).content, big.content);
  });

  for (const encoding of ['utf16', 'utf8'] as const) {
    it(`lowers a long receiver list, with and without addresses, one allocation per string (${encoding})`, () => {
      const { gm, calls, memory } = memoryWithBump(encoding);
      const receivers = Array.from({ length: 3000 }, (_, i) => ({
        name: `sink-${i}@p`,
        addresses: i % 500 === 7 ? [`mtp://${i}`, 'ä'] : [],
      }));
      const many: WitAclMessage = { ...message, receivers };
      const ptr = gm.lowerMessage(many);
      assert.ok(memory.buffer.byteLength > 65536, 'memory grew while the list was lowered');
      assert.deepEqual(gm.message(ptr).receivers, receivers);
      // Each string is its own allocation, as the canonical ABI requires (a guest may free each).
      const addressLists = receivers.filter((r) => r.addresses.length > 0);
      const lowered = calls.length;
      const base = memoryWithBump(encoding);
      base.gm.lowerMessage({ ...message, receivers: [] });
      assert.equal(lowered - base.calls.length, 1 + receivers.length + addressLists.length * 3);
    });
  }

  describe('a runtime message lowered straight (decision 2108)', () => {
    const text = fc.string({ maxLength: 8 });
    const agentId: fc.Arbitrary<AgentId> = fc.record(
      {
        name: text,
        addresses: fc.array(text, { maxLength: 2 }),
        resolvers: fc.constant([{ name: 'df@p' }]),
        userParams: fc.dictionary(text, text, { maxKeys: 1, noNullPrototype: true }),
      },
      { requiredKeys: ['name'], noNullPrototype: true },
    );
    // User parameters include the runtime's own count key, in other cases and with look-alike
    // letters: the guest must never see a sender's own count, narrowed or not.
    const paramKey = fc.oneof(
      fc.string({ minLength: 1, maxLength: 5 }).map((k) => `X-${k}`),
      fc.constantFrom(
        RECEIVER_COUNT_PARAM,
        RECEIVER_COUNT_PARAM.toUpperCase(),
        'x-caxton-receivers',
        'X-caxton-receiver\u017f',
        TRACEPARENT_PARAM,
        TRACESTATE_PARAM,
      ),
    );
    const aclMessage: fc.Arbitrary<AclMessage> = fc.record(
      {
        performative: fc.constantFrom('inform', 'request', 'cfp', 'propose', 'not-understood'),
        sender: agentId,
        receivers: fc.array(agentId, { maxLength: MESSAGE_INFO_LIMITS.inlineReceivers }),
        replyTo: fc.array(agentId, { maxLength: 2 }),
        content: fc.string({ maxLength: 30, unit: 'grapheme' }),
        language: text,
        encoding: text,
        ontology: text,
        protocol: text,
        conversationId: text,
        replyWith: text,
        inReplyTo: text,
        replyBy: fc.oneof(fc.integer({ min: -5, max: 2 ** 40 }), fc.double({ min: -10, max: 1e12, noNaN: true })),
        userParams: fc.dictionary(paramKey, text, { maxKeys: 3, noNullPrototype: true }),
      },
      { requiredKeys: ['performative', 'receivers'], noNullPrototype: true },
    ) as fc.Arbitrary<AclMessage>;

    for (const encoding of ['utf16', 'utf8'] as const) {
      it(`writes the same bytes, through the same allocations, as the converted world value (${encoding})`, () => {
        fc.assert(
          fc.property(aclMessage, (m) => {
            assert.ok(!isNarrowed(m));
            const viaWit = memoryWithBump(encoding);
            const ptrWit = viaWit.gm.lowerMessage(messageToWit(m, []));
            const straight = memoryWithBump(encoding);
            const ptr = straight.gm.lowerAclMessage(m);
            assert.equal(ptr, ptrWit);
            assert.deepEqual(straight.calls, viaWit.calls);
            assert.deepEqual(new Uint8Array(straight.memory.buffer), new Uint8Array(viaWit.memory.buffer));
          }),
          { numRuns: 300 },
        );
      });
    }
  });

  describe("a sent message lifted straight to the runtime's shape (decision 2108)", () => {
    const text = fc.string({ maxLength: 8, unit: 'grapheme' });
    const witId = fc.record({ name: text, addresses: fc.array(text, { maxLength: 2 }) }, { noNullPrototype: true });
    const optText = fc.option(text, { nil: undefined });
    const witMessage: fc.Arbitrary<WitAclMessage> = fc.record(
      {
        performative: fc.constantFrom('inform', 'request', 'cfp', 'refuse'),
        sender: fc.option(witId, { nil: undefined }),
        receivers: fc.array(witId, { maxLength: 4 }),
        replyTo: fc.array(witId, { maxLength: 2 }),
        content: optText,
        language: optText,
        encoding: optText,
        ontology: optText,
        protocol: optText,
        conversationId: optText,
        replyWith: optText,
        inReplyTo: optText,
        replyBy: fc.option(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), { nil: undefined }),
        // Keys repeated and `__proto__` included: the last one wins, as data.
        userParams: fc.array(fc.tuple(fc.constantFrom('X-a', 'X-b', '__proto__'), text), { maxLength: 3 }),
      },
      { noNullPrototype: true },
    ) as fc.Arbitrary<WitAclMessage>;

    /** Both lifts of the message at `ptr` under one cap: the value (or the refusal) and what was counted. */
    const both = (gm: GuestMemory, ptr: number, units: number) => {
      const run = <T>(lift: () => T) => {
        const budget = new LiftBudget('send', { units, items: 6 });
        try {
          return { value: gm.lifting(budget, lift), bytes: budget.bytes() };
        } catch (err) {
          return { error: String(err), bytes: budget.bytes() };
        }
      };
      const viaWit = run(() => {
        const w = gm.message(ptr);
        return { m: messageFromWit(w), size: witMessageSize(w) };
      });
      const straight = run(() => ({ m: gm.messageAcl(ptr), size: gm.liftedUnits }));
      return { viaWit, straight };
    };

    for (const encoding of ['utf16', 'utf8'] as const) {
      it(`makes what messageFromWit makes of the world value, measures its witMessageSize and counts the same budget (${encoding})`, () => {
        fc.assert(
          fc.property(witMessage, fc.integer({ min: 0, max: 80 }), (w, units) => {
            const { gm } = memoryWithBump(encoding);
            const ptr = gm.lowerMessage(w);
            const { viaWit, straight } = both(gm, ptr, units);
            assert.deepStrictEqual(straight, viaWit);
            if ('value' in straight)
              assert.deepStrictEqual(Object.keys(straight.value!.m), Object.keys(viaWit.value!.m), 'same keys in the same order');
          }),
          { numRuns: 400 },
        );
      });
    }

    it('refuses a malformed message with the same violation', () => {
      const { gm, memory } = memoryWithBump('utf8');
      const ptr = gm.lowerMessage(message);
      const dv = new DataView(memory.buffer);
      for (const [offset, value] of [
        [4, 7],
        [24 + 4, 1 << 30],
        [40, 9],
        [136, 3],
        [152, 0xfffffff0],
      ] as const) {
        const saved = dv.getUint32(ptr + offset, true);
        if (offset === 4 || offset === 40 || offset === 136) dv.setUint8(ptr + offset, value);
        else dv.setUint32(ptr + offset, value, true);
        const { viaWit, straight } = both(gm, ptr, 1 << 20);
        assert.ok('error' in viaWit, `offset ${offset} is refused`);
        assert.deepStrictEqual(straight, viaWit);
        dv.setUint32(ptr + offset, saved, true);
      }
    });
  });

  it('writes results where the guest asked', () => {
    const { gm } = memoryWithBump('utf8');
    gm.storeResult(64, 'refused');
    assert.equal(gm.result(64, 'r', 1000), 'refused');
    gm.storeResult(64, null);
    assert.equal(gm.result(64, 'r', 1000), null);
    gm.storeStringResult(80, 'id-1');
    assert.equal(gm.string(gm.u32At(80), gm.u32At(84), 's'), 'id-1');
  });

  it('lowers init-context flat', () => {
    const { gm } = memoryWithBump('utf16');
    const flat = gm.lowerInitContext({ self: { name: 'me@p', addresses: ['a'] }, config: [['k', 'v']] });
    assert.equal(flat.length, 6);
    assert.equal(gm.string(flat[0]!, flat[1]!, 'self'), 'me@p');
    assert.equal(flat[3], 1);
    assert.equal(flat[5], 1);
  });

  describe('short UTF-16 strings given again when memory holds the same units (decision 2112)', () => {
    // A small alphabet with a lone surrogate and a non-Latin-1 unit, so the same length with
    // different units, the same units again, and one unit changed in place all come up often.
    const unit = fc.constantFrom(0x61, 0x62, 0x40, 0xe9, 0x263a, 0xd83d, 0xde00);
    const text = fc.array(unit, { minLength: 1, maxLength: 26 }).map((us) => String.fromCharCode(...us));
    const step = fc.record({ slot: fc.integer({ min: 0, max: 3 }), text, poke: fc.option(fc.tuple(fc.nat(), unit), { nil: undefined }) });

    it('every lift reads what memory holds now: written anew, overwritten in place, one unit changed', () => {
      fc.assert(
        fc.property(fc.array(step, { minLength: 1, maxLength: 40 }), (steps) => {
          const memory = new WebAssembly.Memory({ initial: 1 });
          const gm = new GuestMemory(memory, 'utf16');
          const u16 = new Uint16Array(memory.buffer);
          const held: string[] = ['', '', '', ''];
          for (const { slot, text: t, poke } of steps) {
            const base = 64 + slot * 32; // code units: slot i at byte 128 + 64 i
            let now = t;
            for (let i = 0; i < t.length; i++) u16[base + i] = t.charCodeAt(i);
            held[slot] = t;
            assert.equal(gm.string(base * 2, t.length, 'x'), now);
            if (poke !== undefined) {
              const [at, code] = poke;
              const i = at % t.length;
              u16[base + i] = code;
              now = t.slice(0, i) + String.fromCharCode(code) + t.slice(i + 1);
              held[slot] = now;
            }
            // Every slot read again, of its own length, after the others were lifted in between.
            for (let k = 0; k < held.length; k++) {
              const h = held[k]!;
              if (h.length > 0) assert.equal(gm.string((64 + k * 32) * 2, h.length, 'x'), h);
            }
          }
        }),
        { numRuns: 500 },
      );
    });

    it('a string given again is counted against the lift budget like a new one', () => {
      const memory = new WebAssembly.Memory({ initial: 1 });
      const gm = new GuestMemory(memory, 'utf16');
      new Uint16Array(memory.buffer).set([0x68, 0x69], 64);
      const budget = new LiftBudget('send', { units: 3, items: 10 });
      assert.equal(
        gm.lifting(budget, () => gm.string(128, 2, 'x')),
        'hi',
      );
      assert.throws(() => gm.lifting(budget, () => gm.string(128, 2, 'x')), /send/);
    });
  });

  it('refuses out-of-bounds pointers, misalignment, bad discriminants and invalid UTF-8', () => {
    const { gm, memory } = memoryWithBump('utf16');
    assert.throws(() => gm.string(65530, 100, 'x'), AbiViolation);
    assert.throws(() => gm.string(3, 1, 'x'), /not 2-aligned/);
    assert.throws(() => gm.message(4), /not 8-aligned/);
    const ptr = gm.lowerMessage(message);
    new Uint8Array(memory.buffer)[ptr] = 22; // performative discriminant out of range
    gm.sync();
    assert.throws(() => gm.message(ptr), /discriminant 22/);
    const utf8 = memoryWithBump('utf8');
    new Uint8Array(utf8.memory.buffer).set([0xff, 0xfe], 100);
    utf8.gm.sync();
    assert.throws(() => utf8.gm.string(100, 2, 'bad'), /invalid UTF-8/);
  });
});
