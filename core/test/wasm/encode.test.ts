/**
 * The Wasm integer and name encoders (core/src/wasm/encode.ts): the bytes of the edge values from
 * the LEB128 definition, and — so the table is not only checked against itself — V8's own decoder
 * reading each s32 back as an `i32.const` immediate.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeName, encodeS32, encodeU32 } from '../../src/index.js';

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

const s32Table: [number, number[], string][] = [
  [0, [0x00], 'zero'],
  [-1, [0x7f], 'minus one: all sign in one byte'],
  [63, [0x3f], 'the largest positive in one byte (bit 6 clear)'],
  [-64, [0x40], 'the smallest negative in one byte (bit 6 set)'],
  [64, [0xc0, 0x00], 'bit 6 set on a positive: a second byte carries the sign'],
  [-65, [0xbf, 0x7f], 'bit 6 clear on a negative: a second byte carries the sign'],
  [INT32_MAX, [0xff, 0xff, 0xff, 0xff, 0x07], 'INT32_MAX: five bytes'],
  [INT32_MIN, [0x80, 0x80, 0x80, 0x80, 0x78], 'INT32_MIN: five bytes'],
];

test('encodeS32 writes the signed LEB128 of the edge values', () => {
  for (const [value, bytes, why] of s32Table) assert.deepEqual(encodeS32(value), bytes, `${value}: ${why}`);
});

test('encodeS32 takes its value as an i32: an address at 2^31 encodes as the i32 the machine sees', () => {
  assert.deepEqual(encodeS32(2 ** 31), encodeS32(INT32_MIN));
  assert.deepEqual(encodeS32(2 ** 32 - 1), encodeS32(-1));
});

// The compiler's lib settings do not declare the WebAssembly global; Node has it.
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (m: object) => { exports: Record<string, unknown> };
}
const Wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

/** A module exporting `f: () -> i32` that returns `i32.const <immediate>`. */
function constModule(immediate: number[]): Uint8Array {
  const body = [0x00, 0x41, ...immediate, 0x0b];
  const section = (id: number, content: number[]): number[] => [id, ...encodeU32(content.length), ...content];
  return Uint8Array.from([
    0x00,
    0x61,
    0x73,
    0x6d,
    0x01,
    0x00,
    0x00,
    0x00,
    ...section(1, [1, 0x60, 0, 1, 0x7f]),
    ...section(3, [1, 0]),
    ...section(7, [1, ...encodeName('f'), 0x00, 0]),
    ...section(10, [1, ...encodeU32(body.length), ...body]),
  ]);
}

test('V8 decodes every encodeS32 immediate back to its value', () => {
  const values = [...s32Table.map(([v]) => v), 1, -2, 127, 128, -128, -129, 8191, 8192, -8192, -8193, 123_456_789, -987_654_321];
  for (const value of values) {
    const f = new Wasm.Instance(new Wasm.Module(constModule(encodeS32(value)))).exports['f'] as () => number;
    assert.equal(f(), value, `i32.const ${value}`);
  }
});

test('encodeU32 writes the unsigned LEB128 of the edge values', () => {
  assert.deepEqual(encodeU32(0), [0x00]);
  assert.deepEqual(encodeU32(127), [0x7f]);
  assert.deepEqual(encodeU32(128), [0x80, 0x01]);
  assert.deepEqual(encodeU32(2 ** 32 - 1), [0xff, 0xff, 0xff, 0xff, 0x0f]);
});

test('encodeName prefixes the UTF-8 bytes with their count, not the characters', () => {
  assert.deepEqual(encodeName(''), [0x00]);
  assert.deepEqual(encodeName('é'), [0x02, 0xc3, 0xa9]);
});
