/**
 * The state and http examples at the component boundary: built with the real toolchain, run with
 * the recording test host (harness.ts; its state is a plain map, standing in for the runtime's
 * committed state). They import exactly the interfaces they use, the counters count across
 * instances, and the HTTP agent answers the original requester when the answer message arrives.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { buildAgent } from '../src/index.js';
import { examplesDir } from './fixtures.js';
import { blankMessage, loadAgent, TestHost, type AgentFactory, type WitMessage } from './harness.js';

const SELF = { name: 'ex@plat', addresses: [] };
const ASKER = { name: 'asker@plat', addresses: [] };
const HTTP = { name: 'http@plat', addresses: [] };

async function example(rel: string): Promise<AgentFactory> {
  return loadAgent((await buildAgent(path.join(examplesDir, rel), { reuse: true })).artifactPath);
}
const caxtonImports = (f: AgentFactory): string[] => f.imports.filter((i) => i.startsWith('caxton:')).sort();

for (const rel of ['as-state-counter', 'js-state-counter']) {
  describe(`examples/${rel}`, () => {
    it('imports caxton:agent/host and state only', async () => {
      assert.deepEqual(caxtonImports(await example(rel)), ['caxton:agent/host', 'caxton:agent/state']);
    });

    it('answers request n with n, keeps the count in state and resumes from it in a new instance', async () => {
      const factory = await example(rel);
      const host = new TestHost();
      const first = await factory.instantiate(host);
      first.init({ self: SELF, config: [] });
      for (let i = 0; i < 5; i++) first.handle(blankMessage('request', { sender: ASKER, content: 'count', replyWith: `r${i}` }));
      assert.deepEqual(
        host.sent.map((m) => [m.performative, m.content, m.inReplyTo]),
        [1, 2, 3, 4, 5].map((n) => ['inform', String(n), `r${n - 1}`]),
      );
      assert.equal(host.state.get('count'), '5');
      // A replacement instance (crash, restart, upgrade) sees the same state.
      const second = await factory.instantiate(host);
      second.init({ self: SELF, config: [] });
      assert.equal(host.logs.at(-1)?.message, 'resuming at count 5');
      second.handle(blankMessage('request', { sender: ASKER, content: 'count' }));
      second.handle(blankMessage('query-ref', { sender: ASKER, content: 'count' }));
      assert.deepEqual(
        host.sent.slice(5).map((m) => m.content),
        ['6', '6'],
      );
    });

    it('answers failure when the state refuses the write', async () => {
      const host = new TestHost();
      const guest = await (await example(rel)).instantiate(host);
      guest.init({ self: SELF, config: [] });
      host.rejectState = () => ({ kind: 'quota-exceeded', message: 'over 0 keys' });
      // An application-level error: jco surfaces result::err as a thrown error with the reason.
      assert.throws(
        () => guest.handle(blankMessage('request', { sender: ASKER })),
        (e: unknown) => /quota-exceeded: over 0 keys/.test(String((e as { payload?: unknown }).payload)),
      );
      assert.equal(host.state.size, 0);
    });
  });
}

describe('examples/js-http-agent', () => {
  const config: Array<[string, string]> = [['service-url', 'https://api.example.com/v1/lookup']];
  async function started(cfg = config): Promise<{ host: TestHost; guest: Awaited<ReturnType<AgentFactory['instantiate']>> }> {
    const host = new TestHost();
    const guest = await (await example('js-http-agent')).instantiate(host);
    guest.init({ self: SELF, config: cfg });
    return { host, guest };
  }

  it('imports caxton:agent/host and http only', async () => {
    assert.deepEqual(caxtonImports(await example('js-http-agent')), ['caxton:agent/host', 'caxton:agent/http']);
  });

  it('calls the service on a request and answers the requester when the response arrives', async () => {
    const { host, guest } = await started();
    guest.handle(
      blankMessage('request', { sender: ASKER, content: 'ACME ✓', replyWith: 'q1', conversationId: 'c1', protocol: 'fipa-request' }),
    );
    assert.equal(host.sent.length, 0, 'nothing is answered before the service has');
    assert.equal(host.fetches.length, 1);
    const call = host.fetches[0]!;
    assert.equal(call.method, 'POST');
    assert.equal(call.url, 'https://api.example.com/v1/lookup');
    assert.equal(call.body, 'ACME ✓');
    // The answer comes back into (possibly) a fresh instance: everything it needs is in the context.
    const later = await (await example('js-http-agent')).instantiate(host);
    later.init({ self: SELF, config });
    later.handle(
      blankMessage('inform', {
        sender: HTTP,
        inReplyTo: 'http-1',
        content: '{"price":42}',
        conversationId: 'c1',
        userParams: [
          ['X-caxton-http-status', '200'],
          ['X-caxton-http-context', call.context ?? ''],
        ],
      }),
    );
    const answer = host.sent[0] as WitMessage;
    assert.deepEqual(
      [answer.performative, answer.content, answer.inReplyTo, answer.conversationId, answer.protocol],
      ['inform', '{"price":42}', 'q1', 'c1', 'fipa-request'],
    );
    assert.deepEqual(answer.receivers, [ASKER]);
    assert.deepEqual(answer.userParams, [['X-http-status', '200']]);
  });

  it('uses GET with the content as query when configured so', async () => {
    const { host, guest } = await started([
      ['service-url', 'https://api.example.com/v1/lookup?k=1'],
      ['service-method', 'get'],
    ]);
    guest.handle(blankMessage('request', { sender: ASKER, content: 'a b&c' }));
    assert.equal(host.fetches[0]?.method, 'GET');
    assert.equal(host.fetches[0]?.url, 'https://api.example.com/v1/lookup?k=1&q=a%20b%26c');
    assert.equal(host.fetches[0]?.body, undefined);
  });

  it('answers failure for a non-2xx status, a call without response, and a refused call', async () => {
    const { host, guest } = await started();
    guest.handle(blankMessage('request', { sender: ASKER, content: 'x', replyWith: 'q1' }));
    const context = host.fetches[0]?.context ?? '';
    guest.handle(
      blankMessage('inform', {
        sender: HTTP,
        inReplyTo: 'http-1',
        content: 'nope',
        userParams: [
          ['X-caxton-http-status', '503'],
          ['X-caxton-http-context', context],
        ],
      }),
    );
    guest.handle(
      blankMessage('failure', {
        sender: HTTP,
        inReplyTo: 'http-1',
        userParams: [
          ['X-caxton-failure', 'timeout'],
          ['X-caxton-http-context', context],
        ],
      }),
    );
    host.rejectFetch = () => ({ kind: 'denied', message: 'api.example.com is not allowed' });
    guest.handle(blankMessage('request', { sender: ASKER, content: 'y', replyWith: 'q2' }));
    assert.deepEqual(
      host.sent.map((m) => [m.performative, m.content, m.inReplyTo]),
      [
        ['failure', 'service answered 503: nope', 'q1'],
        ['failure', 'http call failed: timeout', 'q1'],
        ['failure', 'http call refused: denied: api.example.com is not allowed', 'q2'],
      ],
    );
  });

  it('refuses to start without a usable service-url', async () => {
    const guest = await (await example('js-http-agent')).instantiate(new TestHost());
    assert.throws(
      () => guest.init({ self: SELF, config: [] }),
      (e: unknown) => /service-url/.test(String((e as { payload?: unknown }).payload)),
    );
  });
});
