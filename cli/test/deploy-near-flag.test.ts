/**
 * `caxton deploy --near <agent>` (decision 2189): a name that is not an agent name, or the flag
 * given twice, is a usage error before any file is read or any node is called; `caxton agents
 * <name>` shows what the deployment is placed with, or why not.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { run } from '../src/app.js';
import { formatAgentDetail } from '../src/format/agents.js';
import { captureIo } from './support/capture-io.js';

async function refused(args: string[]): Promise<string> {
  const io = captureIo();
  // A source that does not exist: the flag's refusal must come first, or this would say the file is missing.
  assert.equal(await run(['deploy', 'missing.wasm', ...args], io), 2, args.join(' '));
  return io.err.replace(/\s+/g, ' ');
}

describe('deploy --near', () => {
  it('refuses a name that is not an agent name, and the flag twice, before reading anything', async () => {
    for (const bad of ['no such!', '.x', 'a'.repeat(129), 'counter/'])
      assert.match(await refused(['--near', bad]), /--near: .* is not a valid/);
    assert.match(await refused(['--near', 'a', '--near', 'b']), /--near is given more than once/);
  });
});

describe('agents <name>: near', () => {
  const base = {
    name: 'ping',
    state: 'running' as const,
    nodeId: 'n1',
    version: 1,
    artifactDigest: 'ab'.repeat(32),
    artifactSize: 1,
    limits: { fuelPerMessage: 1, memoryPages: 1 },
    config: {},
    restarts: 0,
    fuelUsed: 0,
    memoryPages: 1,
    mailboxDepth: 0,
    messagesHandled: 0,
    createdAt: 0,
    updatedAt: 0,
  };
  it('says what it shares, through a chain, the fallback note, or none', () => {
    assert.match(formatAgentDetail({ ...base, near: { agent: 'echo', key: 'echo' } }, 0), /^near\s+echo \(shares echo's partition\)$/m);
    assert.match(
      formatAgentDetail({ ...base, near: { agent: 'pong', key: 'echo' } }, 0),
      /^near\s+pong \(shares echo's partition, as pong does\)$/m,
    );
    assert.match(
      formatAgentDetail(
        { ...base, near: { agent: 'echo', note: 'not placed near echo: no agent echo is deployed; placed by its own name' } },
        0,
      ),
      /^near\s+echo: not placed near echo: no agent echo is deployed; placed by its own name$/m,
    );
    assert.match(formatAgentDetail(base, 0), /^near\s+\(placed by its own name\)$/m);
  });
});
