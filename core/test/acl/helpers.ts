import assert from 'node:assert/strict';
import { AclParseError, AclValidationError } from '../../src/acl/index.js';

/** Asserts `fn` throws an AclValidationError for `rule` (and `field`, when given). */
export function throwsInvalid(fn: () => unknown, rule: string, field?: string): AclValidationError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof AclValidationError, `expected AclValidationError(${rule}), got ${String(caught)}`);
  assert.equal(caught.code, 'acl.invalid');
  assert.equal(caught.rule, rule, caught.message);
  if (field !== undefined) assert.equal(caught.field, field, caught.message);
  return caught;
}

/** Asserts `fn` throws an AclParseError for `rule`, optionally at a given line/column. */
export function throwsMalformed(fn: () => unknown, rule: string, at?: { line: number; column: number }): AclParseError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof AclParseError, `expected AclParseError(${rule}), got ${String(caught)}`);
  assert.equal(caught.code, 'acl.malformed');
  assert.equal(caught.rule, rule, caught.message);
  if (at !== undefined) assert.deepEqual({ line: caught.line, column: caught.column }, at, caught.message);
  return caught;
}
