/**
 * The Rust SDK's generated bindings (sdk-rust/src/bindings.rs, decision 2203) are of today's WIT:
 * their first line names the SHA-256 of wit/agent.wit they were generated from, so a WIT change
 * without `npm run gen:bindings` fails here, not in an agent's build or at run time.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

describe('the Rust SDK bindings', () => {
  it('were generated from the WIT as it is now', () => {
    const first = readFileSync(path.join(REPO, 'sdk-rust', 'src', 'bindings.rs'), 'utf8').split('\n', 1)[0] ?? '';
    const named = /from wit\/agent\.wit \(sha256 ([0-9a-f]{64})\)/.exec(first)?.[1];
    assert.ok(named, `bindings.rs names no WIT digest in its first line: ${first}`);
    const now = createHash('sha256')
      .update(readFileSync(path.join(REPO, 'wit', 'agent.wit')))
      .digest('hex');
    assert.equal(named, now, 'wit/agent.wit changed since the bindings were generated: run `npm run gen:bindings`');
  });
});
