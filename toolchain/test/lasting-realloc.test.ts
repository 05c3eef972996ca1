/**
 * A WASI agent built against an SDK whose `cabi_realloc` is per-call scratch is refused before a
 * component is made (decision 2191): the WASI adapter would keep its state in memory freed at the
 * call's end. Such SDKs predate `cabi_export_realloc`, which today's export beside a lasting one.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeName, encodeU32 } from '@caxton/core';
import { requireLastingRealloc } from '../src/component.js';
import { InvalidAgentError } from '../src/errors.js';

/** A core module exporting one function of type () -> () under each of `names` (core's encoders). */
function moduleExporting(...names: string[]): Uint8Array {
  const vec = (items: number[][]): number[] => [...encodeU32(items.length), ...items.flat()];
  const section = (id: number, body: number[]): number[] => [id, ...encodeU32(body.length), ...body];
  return Uint8Array.from([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, vec([[0x60, 0x00, 0x00]])),
    ...section(3, vec(names.map(() => [0x00]))),
    ...section(7, vec(names.map((n, i) => [...encodeName(n), 0x00, i]))),
    ...section(10, vec(names.map(() => [0x02, 0x00, 0x0b]))),
  ]);
}

describe('requireLastingRealloc', () => {
  it('refuses a WASI agent whose SDK exports no cabi_export_realloc, naming the fix', () => {
    assert.throws(
      () => requireLastingRealloc('/p', moduleExporting('cabi_realloc'), 'C'),
      (err: unknown) =>
        err instanceof InvalidAgentError && /predates files at \/data/.test(err.message) && /caxton sdk install/.test(err.hint ?? ''),
    );
  });

  it('accepts one that exports its per-call scratch beside a lasting cabi_realloc', () => {
    assert.doesNotThrow(() => requireLastingRealloc('/p', moduleExporting('cabi_realloc', 'cabi_export_realloc'), 'Rust'));
  });
});
