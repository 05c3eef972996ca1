/**
 * Fuzzing the decoders: random and mutated inputs must end in a message or a typed AclError —
 * never a TypeError, RangeError (stack overflow) or a hang. Any input that IS accepted must
 * re-encode and read back to the same message in both formats.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  AclError,
  decodeAclJson,
  decodeAclString,
  encodeAclJson,
  encodeAclString,
  validateAclMessage,
  type AclMessage,
} from '../../src/acl/index.js';
import { aclMessage } from './arbitraries.js';
import { loadValid } from './corpus.js';

// A test timeout is a hang detector here, not a performance assertion.
const hangGuard = { timeout: 120_000 };

const decoders: Array<[string, (text: string) => AclMessage]> = [
  ['string/strict', (t) => decodeAclString(t, { now: 0 })],
  ['string/lenient', (t) => decodeAclString(t, { lenient: true, now: 0 })],
  ['json', (t) => decodeAclJson(t)],
];

function decodeOrTypedError(input: string): void {
  for (const [name, decode] of decoders) {
    let msg: AclMessage;
    try {
      msg = decode(input);
    } catch (e) {
      if (e instanceof AclError) continue;
      assert.fail(`${name} threw ${String(e)} (not an AclError) for ${JSON.stringify(input.slice(0, 300))}`);
    }
    // Accepted: must be valid and stable under re-encoding in both formats.
    validateAclMessage(msg);
    assert.deepStrictEqual(decodeAclString(encodeAclString(msg)), msg, `${name} accepted ${JSON.stringify(input.slice(0, 300))}`);
    assert.deepStrictEqual(decodeAclJson(encodeAclJson(msg)), msg);
  }
}

const slPieces = fc.constantFrom(
  '(',
  ')',
  '(',
  ')',
  '"',
  '\\',
  '\\"',
  '#',
  '#3"',
  '#0"',
  '7',
  ' ',
  ' ',
  '\n',
  '\t',
  '\u0000',
  'é',
  '🎉',
  '\ud800',
  'inform',
  'INFORM',
  'request',
  ':sender',
  ':receiver',
  ':reply-to',
  ':content',
  ':language',
  ':protocol',
  ':reply-by',
  ':conversation-id',
  ':X-a',
  ':x-A',
  ':X-',
  ':name',
  ':addresses',
  ':resolvers',
  'agent-identifier',
  'set',
  'sequence',
  '20231114T221320000Z',
  '+00000000T010000000',
  '2023',
  'T',
  '+',
  '-',
  '@',
  'a@p',
  'http://h:1/acc',
  '0x1F',
  '.5e3',
);
const jsonPieces = fc.constantFrom(
  '{',
  '}',
  '[',
  ']',
  ',',
  ':',
  '"',
  '\\',
  '\\u00',
  'null',
  'true',
  '1',
  '-0.5e9',
  ' ',
  '"performative"',
  '"inform"',
  '"receiver"',
  '"sender"',
  '"name"',
  '"a@p"',
  '"resolvers"',
  '"addresses"',
  '"X-a"',
  '"reply-by"',
  '"20231114T221320000Z"',
  '"content"',
  '"__proto__"',
  '\ud800',
);

const mutate = (text: string): fc.Arbitrary<string> =>
  fc
    .array(fc.tuple(fc.nat(), fc.nat(8), fc.oneof(slPieces, jsonPieces, fc.string({ unit: 'binary', maxLength: 3 }))), {
      minLength: 1,
      maxLength: 4,
    })
    .map((edits) => {
      let out = text;
      for (const [at, len, insert] of edits) {
        const i = out.length === 0 ? 0 : at % (out.length + 1);
        out = out.slice(0, i) + insert + out.slice(i + len);
      }
      return out;
    });

describe('fuzz: decoders only ever return a message or throw an AclError', () => {
  it('random text (any Unicode, ASCII with controls, SL and JSON token soup)', hangGuard, () => {
    const input = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 200 }),
      fc.string({ unit: 'binary-ascii', maxLength: 200 }),
      fc.array(slPieces, { maxLength: 60 }).map((p) => p.join('')),
      fc.array(slPieces, { maxLength: 60 }).map((p) => `(inform ${p.join(' ')})`),
      fc.array(jsonPieces, { maxLength: 60 }).map((p) => p.join('')),
    );
    fc.assert(fc.property(input, decodeOrTypedError), { numRuns: 3000 });
  });

  it('random bytes read as UTF-8 and as Latin-1', hangGuard, () => {
    const utf8 = new TextDecoder('utf-8', { fatal: false });
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        decodeOrTypedError(utf8.decode(bytes));
        decodeOrTypedError(Buffer.from(bytes).toString('latin1'));
      }),
      { numRuns: 1500 },
    );
  });

  it('mutations of real JADE messages', hangGuard, () => {
    const texts = loadValid().map((e) => e.text);
    fc.assert(fc.property(fc.constantFrom(...texts).chain(mutate), decodeOrTypedError), { numRuns: 3000 });
  });

  it('mutations of encoded random messages, in both formats', hangGuard, () => {
    const encoded = aclMessage.chain((m) => fc.constantFrom(encodeAclString(m), encodeAclJson(m))).chain(mutate);
    fc.assert(fc.property(encoded, decodeOrTypedError), { numRuns: 3000 });
  });

  it('pathological inputs: deep nesting, huge tokens, length prefixes beyond the input', hangGuard, () => {
    const big = 200_000;
    const inputs = [
      '('.repeat(big),
      `(inform :language ${'('.repeat(big)}`,
      `(inform :language ${'('.repeat(big)}${')'.repeat(big)})`,
      `(inform :sender ${'(agent-identifier :name a :resolvers (sequence '.repeat(10_000)}`,
      `(inform :reply-with ${'1'.repeat(big)}x)`,
      `(inform :reply-with +${'1'.repeat(big)}.${'1'.repeat(big)}e)`,
      `(inform :reply-by ${'2'.repeat(big)})`,
      `(inform :content "${'\\"'.repeat(big)})`,
      `(inform :content "${'\\'.repeat(big)}")`,
      '(inform :content #999999999"abc)',
      `(inform ${':X-a 1 '.repeat(big / 8)})`,
      `(inform :receiver (set ${'(agent-identifier :name a) '.repeat(5_000)}))`,
      '['.repeat(big) + ']'.repeat(big),
      `{"performative":"inform","content":"${'\\\\'.repeat(big)}"}`,
      `{"performative":"inform","receiver":[${'{"name":"a"},'.repeat(5_000)}{"name":"a"}]}`,
      `{"performative":"inform","sender":${'{"name":"a","resolvers":['.repeat(10_000)}`,
    ];
    for (const input of inputs) decodeOrTypedError(input);
  });
});
