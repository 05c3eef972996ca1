/**
 * `caxton serve`'s edge admission flags (decisions 1810, 2103) become the node's `edgeAdmission`
 * options, and values the node would refuse at start are usage errors with a hint here.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { nodeOptions } from '../src/commands/serve-run.js';
import { UsageError } from '../src/cli-error.js';

const base = { dataDir: 'state', timeout: 30, json: false, tls: false, addr: undefined, auth: true, requireClientCert: false } as unknown as Parameters<typeof nodeOptions>[0];
const withFlags = (flags: Record<string, number>): typeof base => ({ ...base, ...flags } as typeof base);

describe('serve --edge-serving-floor', () => {
  it('is left to the node (off: the serving floor is the floor) when not given', () => {
    assert.equal(nodeOptions(base, '/srv').edgeAdmission, undefined);
  });

  it('becomes edgeAdmission.servingMinLimit, beside the ceiling and the target', () => {
    assert.deepEqual(nodeOptions(withFlags({ edgeServingFloor: 128 }), '/srv').edgeAdmission, { servingMinLimit: 128 });
    assert.deepEqual(nodeOptions(withFlags({ edgeServingFloor: 16, edgeMaxInFlight: 32, edgeTargetMs: 50 }), '/srv').edgeAdmission,
      { maxLimit: 32, targetDelayMs: 50, servingMinLimit: 16 });
  });

  it('refuses a floor above 1,000 or above the ceiling, zero and fractions, with a hint', () => {
    const refused: Record<string, number>[] = [{ edgeServingFloor: 1_001 }, { edgeServingFloor: 64, edgeMaxInFlight: 32 }, { edgeServingFloor: 0 }, { edgeServingFloor: 12.5 }];
    for (const flags of refused) {
      assert.throws(() => nodeOptions(withFlags(flags), '/srv'), (err: unknown) => {
        assert.ok(err instanceof UsageError, `${JSON.stringify(flags)}: a usage error`);
        assert.match(err.message, /--edge-serving-floor/);
        assert.match(String(err.hint), /floor/);
        return true;
      });
    }
    assert.equal(nodeOptions(withFlags({ edgeServingFloor: 1_000 }), '/srv').edgeAdmission?.servingMinLimit, 1_000, 'the floor itself is accepted (the rule off)');
  });
});
