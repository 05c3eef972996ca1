import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { nodeHealth, type HealthFacts } from '../../src/node/node-health.js';

const running: HealthFacts = { phase: 'running', logStoppedBy: undefined, topology: { serving: true } };

describe('node health', () => {
  it('is SERVING only while running with a working log and a serving topology', () => {
    assert.deepEqual(nodeHealth(running), { serving: true });
  });

  it('is NOT_SERVING, with the reason, in every other case', () => {
    const cases: [Partial<HealthFacts>, RegExp][] = [
      [{ phase: 'starting' }, /starting/],
      [{ phase: 'stopping' }, /shutting down/],
      [{ phase: 'stopped' }, /stopped/],
      [{ logStoppedBy: new Error('EFBIG: file too large, write') }, /message log stopped: EFBIG/],
      [{ topology: { serving: false, reason: 'node n1 does not hold its cluster membership lease (rejoining)' } }, /membership lease/],
    ];
    for (const [change, reason] of cases) {
      const h = nodeHealth({ ...running, ...change });
      assert.equal(h.serving, false, JSON.stringify(change));
      assert.match(h.serving ? '' : h.reason, reason);
    }
  });

  it('names a stopped log before the topology (the log is what an operator must fix)', () => {
    const h = nodeHealth({ ...running, logStoppedBy: new Error('ENOSPC'), topology: { serving: false, reason: 'joining' } });
    assert.match(h.serving ? '' : h.reason, /ENOSPC/);
  });
});
