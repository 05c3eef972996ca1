/** A deployment's outbound HTTP policy over the API (decision 1601): validated, completed with defaults, shown back, replaced by an upgrade. */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { status } from '@grpc/grpc-js';
import { ApiCallError } from '@caxton/client';
import { nodeDefaultHttpPolicy } from '../../src/http/policy.js';
import { startHarness, type Harness } from './support/harness.js';

describe('HTTP policy over the API', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(async () => {
    await h.close();
  });

  it('deploy stores the policy with defaults filled in; get shows it; upgrade replaces it', async () => {
    const agent = await h.client.deploy(
      {
        name: 'caller',
        http: { allow: [{ host: 'API.example.com', methods: ['get'], pathPrefixes: ['/v1/'] }], timeoutMs: 2500, maxRedirects: 0 },
      },
      randomBytes(64),
    );
    const d = nodeDefaultHttpPolicy();
    assert.deepEqual(agent.http, {
      allow: [{ host: 'api.example.com', methods: ['GET'], pathPrefixes: ['/v1/'] }],
      timeoutMs: 2500,
      maxResponseBytes: d.maxResponseBytes,
      maxRequestBytes: d.maxRequestBytes,
      maxInFlight: d.maxInFlight,
      maxCallsPerHandling: d.maxCallsPerHandling,
      maxRedirects: 0,
    });
    assert.deepEqual((await h.client.getAgent('caller')).http, agent.http);
    const up = await h.client.upgrade(
      { name: 'caller', http: { allow: [{ host: 'localhost', ports: [8080], allowPrivate: true }] } },
      randomBytes(64),
    );
    assert.deepEqual(up.agent.http?.allow, [{ host: 'localhost', ports: [8080], allowPrivate: true }]);
    const kept = await h.client.upgrade({ name: 'caller' }, randomBytes(64));
    assert.deepEqual(kept.agent.http, up.agent.http, 'an upgrade without a policy keeps the current one');
  });

  it('a deploy without a policy has none', async () => {
    const agent = await h.client.deploy({ name: 'quiet' }, randomBytes(64));
    assert.equal(agent.http, undefined);
  });

  it('an invalid policy is refused with the field named', async () => {
    const cases: [object, RegExp][] = [
      [{ allow: [{ host: 'a.example.com', ports: [70000] }] }, /header\.http\.allow\[0\]\.ports/],
      [{ allow: [{ host: 'a.example.com' }], maxResponseBytes: 10 * 1024 * 1024 }, /header\.http\.max_response_bytes/],
      [{ allow: [{ host: 'a.example.com' }], extraCaPem: 'nope' }, /header\.http\.extra_ca_pem/],
      [{ allow: [{ host: 'a.example.com', methods: ['CONNECT'] }] }, /methods/],
    ];
    for (const [http, field] of cases) {
      const err = await h.client.deploy({ name: 'bad', http: http as never }, randomBytes(64)).then(
        () => undefined,
        (e: unknown) => e,
      );
      assert.ok(err instanceof ApiCallError, String(err));
      assert.equal(err.statusName, status[status.INVALID_ARGUMENT]);
      assert.match(err.message, field);
    }
  });
});
