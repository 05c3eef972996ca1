import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mcpNodeOptions } from '../src/commands/serve-mcp-options.js';

test('--mcp is off by default; --mcp-call-timeout without it is a usage error', () => {
  assert.equal(mcpNodeOptions({}), undefined);
  assert.throws(() => mcpNodeOptions({ mcpCallTimeout: 5 }), /needs --mcp/);
});

test('--mcp host:port names its flag when malformed; the call timeout is seconds from 1 to 3600', () => {
  assert.deepEqual(mcpNodeOptions({ mcp: '127.0.0.1:8090' }), { host: '127.0.0.1', port: 8090 });
  assert.deepEqual(mcpNodeOptions({ mcp: '[::1]:0', mcpCallTimeout: 2.5 }), { host: '::1', port: 0, callTimeoutMs: 2500 });
  assert.throws(() => mcpNodeOptions({ mcp: '8090' }), /--mcp 8090 is not host:port/);
  assert.throws(() => mcpNodeOptions({ mcp: '127.0.0.1:1', mcpCallTimeout: 0 }), /--mcp-call-timeout 0/);
});
