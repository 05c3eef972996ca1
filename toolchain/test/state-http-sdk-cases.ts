/**
 * The state and http ABI cases both the AssemblyScript and the JavaScript SDK must pass, run against
 * a test agent built from the SDK (test/fixtures/state-http of each SDK): each `request` names one
 * operation and the agent answers with what the host returned (see the fixtures' headers).
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { blankMessage, loadAgent, TestHost, type AgentFactory, type Guest, type WitMessage } from './harness.js';

const SELF = { name: 'probe@plat', addresses: [] };
const ASKER = { name: 'asker@plat', addresses: [] };
const HTTP = { name: 'http@plat', addresses: [] };

export function stateHttpCases(label: string, build: () => Promise<string>): void {
  describe(`${label} SDK: state and http imports`, () => {
    let factory: AgentFactory;
    before(async () => {
      factory = await loadAgent(await build());
    });

    async function started(host = new TestHost()): Promise<{ host: TestHost; guest: Guest }> {
      const guest = await factory.instantiate(host);
      // As in the runtime, init may read but not write (the fixture tries).
      const reject = host.rejectState;
      host.rejectState ??= () => ({ kind: 'read-only', message: 'init may not write' });
      guest.init({ self: SELF, config: [] });
      host.rejectState = reject;
      return { host, guest };
    }
    /** Sends one operation and returns the content of the agent's answer. */
    function ask(s: { host: TestHost; guest: Guest }, op: string, params: Array<[string, string]> = []): string {
      const before = s.host.sent.length;
      s.guest.handle(blankMessage('request', { sender: ASKER, content: op, userParams: params, replyWith: `r${before}` }));
      assert.equal(s.host.sent.length, before + 1, `one answer to ${op}`);
      const r = s.host.sent.at(-1) as WitMessage;
      assert.deepEqual(r.receivers, [ASKER]);
      return r.content ?? '';
    }

    it('imports exactly caxton:agent/host, state and http (it uses all three)', () => {
      assert.deepEqual(factory.imports.filter((i) => i.startsWith('caxton:')).sort(), [
        'caxton:agent/host',
        'caxton:agent/http',
        'caxton:agent/state',
      ]);
    });

    it('reads in init and reports the host refusing a write there', async () => {
      const host = new TestHost();
      host.state.set('count', '41');
      await started(host);
      assert.deepEqual(
        host.logs.map((l) => l.message),
        ['resumed at 41', 'set in init: state read-only: init may not write'],
      );
      assert.equal(host.state.get('count'), '41');
    });

    it('sets, gets and deletes unicode keys and values, telling absent from empty', async () => {
      const s = await started();
      assert.equal(ask(s, 'get', [['X-key', 'ключ/😀']]), 'absent');
      assert.equal(
        ask(s, 'set', [
          ['X-key', 'ключ/😀'],
          ['X-value', 'значение ✓ \u0000 end'],
        ]),
        'ok',
      );
      assert.equal(s.host.state.get('ключ/😀'), 'значение ✓ \u0000 end');
      assert.equal(ask(s, 'get', [['X-key', 'ключ/😀']]), 'value:значение ✓ \u0000 end');
      assert.equal(
        ask(s, 'set', [
          ['X-key', 'empty'],
          ['X-value', ''],
        ]),
        'ok',
      );
      assert.equal(ask(s, 'get', [['X-key', 'empty']]), 'value:');
      assert.equal(ask(s, 'delete', [['X-key', 'ключ/😀']]), 'ok');
      assert.equal(s.host.state.has('ключ/😀'), false);
      assert.equal(ask(s, 'get', [['X-key', 'ключ/😀']]), 'absent');
    });

    it('carries a large value both ways', async () => {
      const s = await started();
      const big = 'β'.repeat(100_000);
      assert.equal(
        ask(s, 'set', [
          ['X-key', 'big'],
          ['X-value', big],
        ]),
        'ok',
      );
      assert.equal(s.host.state.get('big'), big);
      assert.equal(ask(s, 'get', [['X-key', 'big']]), `value:${big}`);
    });

    it('returns every state-error kind with its message', async () => {
      const s = await started();
      for (const kind of ['invalid-key', 'value-too-large', 'quota-exceeded', 'read-only']) {
        s.host.rejectState = () => ({ kind, message: `because ${kind} ✗` });
        assert.equal(
          ask(s, 'set', [
            ['X-key', 'k'],
            ['X-value', 'v'],
          ]),
          `state ${kind}: because ${kind} ✗`,
        );
        assert.equal(ask(s, 'delete', [['X-key', 'k']]), `state ${kind}: because ${kind} ✗`);
      }
      assert.equal(s.host.state.size, 0);
    });

    it('lists keys by prefix, after a key, up to a limit', async () => {
      const s = await started();
      for (const k of ['a/1', 'a/2', 'a/3', 'b/1']) s.host.state.set(k, 'v');
      assert.equal(
        ask(s, 'keys', [
          ['X-prefix', 'a/'],
          ['X-limit', '10'],
        ]),
        '3:a/1\na/2\na/3',
      );
      assert.equal(
        ask(s, 'keys', [
          ['X-prefix', 'a/'],
          ['X-after', 'a/1'],
          ['X-limit', '1'],
        ]),
        '1:a/2',
      );
      assert.equal(
        ask(s, 'keys', [
          ['X-prefix', ''],
          ['X-limit', '10'],
        ]),
        '4:a/1\na/2\na/3\nb/1',
      );
      assert.equal(
        ask(s, 'keys', [
          ['X-prefix', 'zz'],
          ['X-limit', '10'],
        ]),
        '0:',
      );
      // An empty start-after is a present option, not an absent one.
      assert.equal(
        ask(s, 'keys', [
          ['X-prefix', ''],
          ['X-after', ''],
          ['X-limit', '2'],
        ]),
        '2:a/1\na/2',
      );
    });

    it('passes every field of an http request and returns its id', async () => {
      const s = await started();
      const id = ask(s, 'fetch', [
        ['X-method', 'POST'],
        ['X-url', 'https://api.example.com/v1/things?q=ü'],
        ['X-h-Content-Type', 'application/json'],
        ['X-h-X-Trace', 'abc'],
        ['X-body', '{"name":"😀"}'],
        ['X-timeout', '2500'],
        ['X-context', 'asker@plat|r0'],
      ]);
      assert.equal(id, 'id:http-1');
      assert.deepEqual(s.host.fetches, [
        {
          method: 'POST',
          url: 'https://api.example.com/v1/things?q=ü',
          headers: [
            ['Content-Type', 'application/json'],
            ['X-Trace', 'abc'],
          ],
          body: '{"name":"😀"}',
          timeoutMs: 2500,
          context: 'asker@plat|r0',
        },
      ]);
    });

    it('leaves optional request fields absent when not given', async () => {
      const s = await started();
      assert.equal(
        ask(s, 'fetch', [
          ['X-method', 'GET'],
          ['X-url', 'http://x.example/'],
        ]),
        'id:http-1',
      );
      const [r] = s.host.fetches;
      assert.deepEqual(
        { ...r },
        { method: 'GET', url: 'http://x.example/', headers: [], body: undefined, timeoutMs: undefined, context: undefined },
      );
    });

    it('returns every http-error kind with its message', async () => {
      const s = await started();
      for (const kind of ['denied', 'invalid-request', 'quota-exceeded']) {
        s.host.rejectFetch = () => ({ kind, message: `no: ${kind}` });
        assert.equal(
          ask(s, 'fetch', [
            ['X-method', 'GET'],
            ['X-url', 'https://evil.example/'],
          ]),
          `http ${kind}: no: ${kind}`,
        );
      }
      assert.equal(s.host.fetches.length, 0);
    });

    it('reads an http response and a failure from http@<platform>', async () => {
      const s = await started();
      s.guest.handle(
        blankMessage('inform', {
          sender: HTTP,
          inReplyTo: 'http-7',
          content: 'hello ✓',
          conversationId: 'c1',
          userParams: [
            ['X-caxton-http-status', '404'],
            ['X-caxton-http-context', 'ctx 1'],
            ['X-caxton-http-header-content-type', 'text/plain'],
          ],
        }),
      );
      assert.equal(s.host.sent.at(-1)?.content, 'http-7|answered|404|ctx 1|(no failure)|text/plain|text|hello ✓');
      s.guest.handle(
        blankMessage('inform', {
          sender: HTTP,
          inReplyTo: 'http-8',
          content: 'AAEC',
          encoding: 'base64',
          userParams: [['X-caxton-http-status', '200']],
        }),
      );
      assert.equal(s.host.sent.at(-1)?.content, 'http-8|answered|200|(no context)|(no failure)|(no content-type)|base64|AAEC');
      s.guest.handle(
        blankMessage('failure', {
          sender: HTTP,
          inReplyTo: 'http-9',
          userParams: [
            ['X-caxton-failure', 'timeout'],
            ['X-caxton-http-context', 'ctx 2'],
          ],
        }),
      );
      assert.equal(s.host.sent.at(-1)?.content, 'http-9|no-response|-1|ctx 2|timeout|(no content-type)|text|');
    });

    it('does not take a message from another agent for an http response', async () => {
      const s = await started();
      // Same local name on another platform, and the right sender without in-reply-to: neither is a response.
      s.guest.handle(
        blankMessage('inform', {
          sender: { name: 'http@other', addresses: [] },
          inReplyTo: 'x',
          content: 'get',
          userParams: [['X-key', 'k']],
        }),
      );
      s.guest.handle(blankMessage('inform', { sender: HTTP, content: 'get', userParams: [['X-key', 'k']] }));
      assert.deepEqual(
        s.host.sent.map((m) => m.content),
        ['absent', 'absent'],
      );
    });
  });
}
