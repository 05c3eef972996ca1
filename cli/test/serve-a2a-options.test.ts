import { test } from 'node:test';
import assert from 'node:assert/strict';
import { a2aNodeOptions } from '../src/commands/serve-a2a-options.js';

test('--a2a is off by default; --a2a-task-timeout without it is a usage error', () => {
  assert.equal(a2aNodeOptions({}), undefined);
  assert.throws(() => a2aNodeOptions({ a2aTaskTimeout: 5 }), /needs --a2a/);
});

test('--a2a host:port names its flag when malformed; the task timeout is seconds from 1 to 3600', () => {
  assert.deepEqual(a2aNodeOptions({ a2a: '127.0.0.1:8091' }), { host: '127.0.0.1', port: 8091 });
  assert.deepEqual(a2aNodeOptions({ a2a: '[::1]:0', a2aTaskTimeout: 2.5 }), { host: '::1', port: 0, callTimeoutMs: 2500 });
  assert.throws(() => a2aNodeOptions({ a2a: '8091' }), /--a2a 8091 is not host:port/);
  assert.throws(() => a2aNodeOptions({ a2a: '127.0.0.1:1', a2aTaskTimeout: 0 }), /--a2a-task-timeout 0/);
});
