/**
 * Build errors keep the status the old code-suffix rules gave them (see
 * runtime/test/api/status-mapping.test.ts for every other code, and docs/decisions/1105-error-kinds.md).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BUILD_ERROR_KINDS, BuildError, type BuildErrorCode } from '../src/index.js';

/** Status names from the old grpcCodeFor, and the kind that stands for each. */
const KIND_OF_STATUS: Record<string, string> = { INTERNAL: 'internal', INVALID_ARGUMENT: 'invalid-argument', NOT_FOUND: 'not-found' };

const BEFORE: [BuildErrorCode, string][] = [
  ['build.bad-agent-name', 'INVALID_ARGUMENT'],
  ['build.bad-manifest', 'INVALID_ARGUMENT'],
  ['build.compile-failed', 'INTERNAL'],
  ['build.componentize-failed', 'INTERNAL'],
  ['build.invalid-agent', 'INVALID_ARGUMENT'],
  ['build.language-unsupported', 'INTERNAL'],
  ['build.no-template', 'INTERNAL'],
  ['build.not-a-directory', 'INTERNAL'],
  ['build.rust-not-cdylib', 'INTERNAL'],
  ['build.sdk-install-unsupported', 'INTERNAL'],
  ['build.sdk-missing', 'INTERNAL'],
  ['build.target-not-empty', 'INTERNAL'],
  ['build.toolchain-install-failed', 'INTERNAL'],
  ['build.toolchain-install-needs-root', 'INTERNAL'],
  ['build.toolchain-missing', 'INTERNAL'],
  ['build.toolchain-unknown', 'INTERNAL'],
  ['build.unknown-layout', 'NOT_FOUND'],
  ['build.wit-missing', 'INTERNAL'],
];

describe('build error kinds', () => {
  it('covers every build code, with the kind of its old status', () => {
    assert.deepEqual(Object.keys(BUILD_ERROR_KINDS).sort(), BEFORE.map(([code]) => code).sort());
    for (const [code, statusName] of BEFORE) assert.equal(new BuildError(code, 'x').kind, KIND_OF_STATUS[statusName], code);
  });
});
