/**
 * The idempotency key rule (decision 1700): empty means no key; up to 128 bytes of UTF-8 (bytes,
 * not characters); no control characters or lone surrogates; a bad key is an invalid-argument
 * error naming the field, with the rule as hint.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CaxtonError,
  IDEMPOTENCY_KEY_HINT,
  IDEMPOTENCY_KEY_MAX_BYTES,
  IdempotencyKeyReusedError,
  InvalidArgumentError,
  idempotencyKeyProblem,
  parseIdempotencyKey,
} from '../../src/index.js';

test('empty or absent is no key', () => {
  assert.equal(parseIdempotencyKey(''), undefined);
  assert.equal(parseIdempotencyKey(undefined), undefined);
});

test('accepts keys up to 128 bytes of UTF-8, any printable text', () => {
  for (const key of ['k', 'order-1842', '0f8fad5b-d9cb-469f-a165-70867728950e', 'a'.repeat(128), 'ü'.repeat(64), 'clé 🔑 with spaces']) {
    assert.equal(parseIdempotencyKey(key), key, key);
  }
});

test('counts bytes, not characters: 65 two-byte characters are too long', () => {
  assert.equal(Buffer.byteLength('ü'.repeat(65)), 130);
  assert.match(idempotencyKeyProblem('ü'.repeat(65))!, /130 bytes of UTF-8; at most 128/);
  assert.match(idempotencyKeyProblem('a'.repeat(IDEMPOTENCY_KEY_MAX_BYTES + 1))!, /129 bytes/);
});

test('refuses control characters (C0, DEL, C1), naming the first and where it is', () => {
  assert.match(idempotencyKeyProblem('abc\ndef')!, /U\+000A at index 3/);
  assert.match(idempotencyKeyProblem('\u0000')!, /U\+0000 at index 0/);
  assert.match(idempotencyKeyProblem('x\u007f')!, /U\+007F/);
  assert.match(idempotencyKeyProblem('x\u0085y')!, /U\+0085/);
  assert.match(idempotencyKeyProblem('tab\there')!, /U\+0009/);
});

test('refuses lone surrogates: they have no UTF-8 encoding', () => {
  assert.match(idempotencyKeyProblem('a\ud800b')!, /lone surrogate/);
  assert.match(idempotencyKeyProblem('\udc00')!, /lone surrogate/);
  assert.equal(idempotencyKeyProblem('🔑'), undefined, 'a proper pair is fine');
});

test('a bad key is InvalidArgumentError on the given field, with the rule as hint', () => {
  const err = (() => {
    try {
      parseIdempotencyKey('a\nb');
    } catch (e) {
      return e;
    }
  })();
  assert.ok(err instanceof InvalidArgumentError);
  assert.equal(err.field, 'idempotency_key');
  assert.equal(err.kind, 'invalid-argument');
  assert.equal(err.hint, IDEMPOTENCY_KEY_HINT);
  assert.match(err.message, /^idempotency_key: contains the control character U\+000A/);
  assert.throws(
    () => parseIdempotencyKey('x'.repeat(200), 'key'),
    (e: unknown) => e instanceof InvalidArgumentError && e.field === 'key',
  );
});

test('reuse for another message: already-exists, naming the key and the first message, with a hint', () => {
  const err = new IdempotencyKeyReusedError('order-7', 'i-abc', 15 * 60_000);
  assert.ok(err instanceof CaxtonError);
  assert.equal(err.code, 'node.idempotency-key-reused');
  assert.equal(err.kind, 'already-exists');
  assert.deepEqual(err.context, { idempotencyKey: 'order-7', messageId: 'i-abc' });
  assert.match(err.message, /"order-7" was already used for a different message \(i-abc\)/);
  assert.match(err.hint!, /new key.*15 minutes/);
});
