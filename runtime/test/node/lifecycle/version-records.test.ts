/** The records of a deployment's versions (version-records.ts): what the artifact brings changes with it, what the deployment was given stays. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AgentLimitsSpec } from '@caxton/core';
import { firstVersionRecord, nextVersionRecord } from '../../../src/node/lifecycle/version-records.js';

const limits = { fuelPerMessage: 1_000_000, memoryPages: 16 } as unknown as Required<AgentLimitsSpec>;
const card = { name: 'svc', description: 'a service' } as never;

describe('version records', () => {
  it('version 1 of an agent carries what the spec and the artifact gave; a kind its settings and no card', () => {
    const spec = { name: 'svc', config: { a: '1' }, limits: {}, language: 'rust', a2aCard: card, topics: ['news.*'] } as never;
    const agent = firstVersionRecord(spec, { digest: 'd1', limits, signerKeyId: 'k1', writesState: true });
    assert.equal(agent.version, 1);
    assert.equal(agent.createdAt, agent.updatedAt);
    assert.deepEqual(
      [agent.artifactDigest, agent.signerKeyId, agent.writesState, agent.language, agent.a2aCard, agent.topics, agent.kind],
      ['d1', 'k1', true, 'rust', card, ['news.*'], undefined],
    );
    const kind = firstVersionRecord(spec, { digest: 'd1', limits }, { idleMs: 5_000 });
    assert.deepEqual(kind.kind, { idleMs: 5_000 });
    assert.equal(kind.a2aCard, undefined, 'a kind has no card');
    assert.equal(kind.writesState, undefined);
    assert.equal(kind.signerKeyId, undefined);
  });

  it('the next version: the artifact’s fields replaced, the deployment’s kept unless named, the replaced one its previous', () => {
    const v1 = firstVersionRecord(
      { name: 'svc', config: { a: '1' }, limits: {}, language: 'rust', a2aCard: card, http: { allow: ['x'] } } as never,
      {
        digest: 'd1',
        limits,
        signerKeyId: 'k1',
        writesState: true,
      },
    );
    const v2 = nextVersionRecord(v1, { name: 'svc', limits: {} } as never, { digest: 'd2', limits });
    assert.equal(v2.version, 2);
    assert.equal(v2.createdAt, v1.createdAt, 'the same deployment');
    assert.deepEqual([v2.artifactDigest, v2.signerKeyId, v2.writesState, v2.language], ['d2', undefined, undefined, undefined]);
    assert.deepEqual([v2.config, v2.a2aCard, v2.http], [v1.config, card, v1.http], 'what the deployment was given stays');
    assert.equal(v2.previous?.version, 1);
    assert.equal(v2.previous?.artifactDigest, 'd1');
    const v3 = nextVersionRecord(v2, { name: 'svc', limits: {}, config: { a: '2' }, language: 'c', topics: ['t'] } as never, {
      digest: 'd3',
      limits,
      signerKeyId: 'k2',
      writesState: true,
    });
    assert.deepEqual([v3.config, v3.language, v3.topics, v3.signerKeyId, v3.writesState], [{ a: '2' }, 'c', ['t'], 'k2', true]);
  });

  it('a kind’s next version takes no card', () => {
    const kind = firstVersionRecord({ name: 'counter', config: {}, limits: {} } as never, { digest: 'd1', limits }, { idleMs: 1_000 });
    const next = nextVersionRecord(kind, { name: 'counter', limits: {}, a2aCard: card } as never, { digest: 'd2', limits });
    assert.equal(next.a2aCard, undefined);
    assert.deepEqual(next.kind, { idleMs: 1_000 });
  });
});
