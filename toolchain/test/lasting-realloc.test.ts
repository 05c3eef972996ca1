/**
 * A WASI agent built against an SDK whose `cabi_realloc` is per-call scratch is refused before a
 * component is made (decision 2191): the WASI adapter would keep its state in memory freed at the
 * call's end. Such SDKs predate `cabi_export_realloc`, which today's hand-written ones export beside a
 * lasting one; generated bindings (Rust, decision 2203) have no scratch and are known by a mark.
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

  it('accepts generated bindings by their mark, and only by it (decision 2203)', () => {
    const mark = 'cabi_post_caxton:agent/guest@0.1.0#init';
    assert.doesNotThrow(() => requireLastingRealloc('/p', moduleExporting('cabi_realloc', mark), 'Rust', mark));
    // A mark the language does not name proves nothing: C's post-returns are its own.
    assert.throws(() => requireLastingRealloc('/p', moduleExporting('cabi_realloc', mark), 'C'), InvalidAgentError);
    assert.throws(() => requireLastingRealloc('/p', moduleExporting('cabi_realloc'), 'Rust', mark), InvalidAgentError);
  });
});
