/**
 * The host reading an A2A call's answer for the agent (decision 2193): every answer a peer or an
 * attacker may send becomes a result or a typed failure — never a throw — with the bounds applied
 * before the work (nesting, artifacts, events, id and reason sizes), and the message parameters
 * the agent reads.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isWellFormedUnicode } from '../../src/acl/lexical.js';
import { a2aAnswerParams, readA2aAnswer, type A2aAnswer } from '../../src/index.js';

const ok = (body: string, status = 200): A2aAnswer => readA2aAnswer('a2a', { status, body: new TextEncoder().encode(body) });
const sse = (body: string): A2aAnswer => readA2aAnswer('a2a-stream', { status: 200, body: new TextEncoder().encode(body) });
const failure = (a: A2aAnswer): [string, string] => {
  assert.ok(!a.ok, `expected a failure, got ${JSON.stringify(a)}`);
  return [a.failure.kind, a.failure.reason];
};
const task = (n: number): string =>
  `{"jsonrpc":"2.0","result":{"task":{"id":"t","status":{"state":"TASK_STATE_COMPLETED"},"artifacts":[${Array(n).fill('{}').join(',')}]}}}`;

describe('readA2aAnswer: one answer', () => {
  it("reads 1.0's Task and Message and 0.3's objects alike", () => {
    assert.deepEqual(
      ok(
        '{"jsonrpc":"2.0","id":1,"result":{"task":{"id":"t1","contextId":"c","status":{"state":"TASK_STATE_INPUT_REQUIRED","message":{"parts":[{"text":"more?"}]}}}}}',
      ),
      { ok: true, result: { kind: 'task', taskId: 't1', contextId: 'c', state: 'input-required', final: false, text: 'more?' } },
    );
    assert.deepEqual(
      ok(
        '{"jsonrpc":"2.0","id":1,"result":{"kind":"message","messageId":"m1","parts":[{"kind":"text","text":"old"},{"kind":"data","data":{}},{"kind":"text","text":"style"}]}}',
      ),
      { ok: true, result: { kind: 'message', messageId: 'm1', text: 'old\nstyle' } },
    );
    const artifacts = ok(
      '{"jsonrpc":"2.0","result":{"id":"t","status":{"state":"completed","message":{"parts":[{"text":"status"}]}},"artifacts":[{"parts":[{"text":"a"}]},{"parts":[]},{"parts":[{"text":"b"}]}]}}',
    );
    assert.deepEqual(artifacts.ok && artifacts.result.text, 'a\nb');
  });

  it('types every broken or hostile answer', () => {
    assert.deepEqual(failure(ok('not json')), ['malformed', 'the answer is not JSON: not json']);
    assert.deepEqual(failure(ok('{"result":{}}')), ['malformed', 'the answer is not a JSON-RPC 2.0 response']);
    assert.deepEqual(failure(ok('{"jsonrpc":"2.0","result":{"artifact":{}}}')), [
      'malformed',
      'the result is neither a Task nor a Message',
    ]);
    assert.deepEqual(failure(ok('{"jsonrpc":"2.0","result":{"task":{"status":{}}}}')), ['malformed', 'the task has no id']);
    assert.deepEqual(failure(ok(`{"jsonrpc":"2.0","result":${'['.repeat(20_000)}${']'.repeat(20_000)}}`)), [
      'malformed',
      'the answer nests deeper than 64 levels',
    ]);
    assert.deepEqual(failure(ok(task(60_000))), ['malformed', 'the task has more than 1000 artifacts']);
    assert.equal(ok(task(1000)).ok, true);
    assert.deepEqual(failure(readA2aAnswer('a2a', { status: 200, body: new Uint8Array([0x7b, 0xff]) })), [
      'malformed',
      'the answer is not UTF-8 text',
    ]);
    const longId = `{"jsonrpc":"2.0","result":{"task":{"id":"${'i'.repeat(2000)}","status":{}}}}`;
    assert.deepEqual(failure(ok(longId)), ['malformed', 'the task id is longer than 1024 bytes']);
  });

  it("reads a JSON-RPC error's words and code, in a 200 and in any other status", () => {
    const rpc = ok('{"jsonrpc":"2.0","id":1,"error":{"code":-32001,"message":"Task not found","data":{"hint":"ask again"}}}');
    assert.deepEqual(rpc, { ok: false, failure: { kind: 'rpc-error', reason: 'Task not found (ask again)', code: -32001 } });
    assert.deepEqual(failure(ok('{"jsonrpc":"2.0","id":1,"error":{"code":-32600,"message":"bad"}}', 400)), [
      'http-status',
      'HTTP 400: bad',
    ]);
    assert.deepEqual(failure(ok('<html>bad gateway</html>', 502)), ['http-status', 'HTTP 502: <html>bad gateway</html>']);
  });

  it('cuts a reason quoting the server to 512 bytes, between characters', () => {
    const [, reason] = failure(ok(`{"jsonrpc":"2.0","id":1,"error":{"code":1,"message":"${'é'.repeat(300)}"}}`));
    assert.ok(new TextEncoder().encode(reason).length <= 512);
    assert.match(reason, /^é+$/);
    const [, emoji] = failure(ok(`{"jsonrpc":"2.0","id":1,"error":{"code":1,"message":"a${'😀'.repeat(200)}"}}`));
    assert.match(emoji, /^a(😀)+$/u);
  });

  it('never throws, whatever object the server sends where a string belongs (review: a node-crashing toString)', () => {
    for (const hostile of ['{"toString":1}', '[{"toString":1}]', '{"valueOf":{}}', '17', 'null']) {
      const event = `data: {"jsonrpc":"2.0","id":1,"result":{"kind":"task","id":${hostile},"status":{"state":"completed"}}}\n\n`;
      assert.deepEqual(failure(sse(event)), ['malformed', 'the task has no id'], hostile);
      const one = ok(`{"jsonrpc":"2.0","result":{"task":{"id":"t","contextId":${hostile},"status":{}}}}`);
      assert.equal(one.ok, true, 'a context id that is no string is left out');
    }
  });

  it('hands on only well-formed text: lone surrogates become U+FFFD, ids with them or control characters are malformed', () => {
    const text = ok('{"jsonrpc":"2.0","result":{"message":{"parts":[{"text":"a\\ud800b"}]}}}');
    assert.deepEqual(text.ok && text.result.text, 'a\ufffdb');
    const [, reason] = failure(ok('{"jsonrpc":"2.0","id":1,"error":{"code":1,"message":"x\\udc00","data":{"hint":"\\ud800"}}}'));
    assert.equal(reason, 'x\ufffd (\ufffd)');
    const [, cut] = failure(ok(`${'😀'.repeat(100)}`, 500));
    assert.ok(isWellFormedUnicode(cut), 'an excerpt cut inside a pair is mended');
    assert.deepEqual(failure(ok('{"jsonrpc":"2.0","result":{"task":{"id":"t\\ud800","status":{}}}}')), [
      'malformed',
      'the task id holds control characters or ill-formed text',
    ]);
    assert.deepEqual(failure(ok('{"jsonrpc":"2.0","result":{"task":{"id":"t\\nX-evil: 1","status":{}}}}')), [
      'malformed',
      'the task id holds control characters or ill-formed text',
    ]);
    assert.deepEqual(failure(ok('{"jsonrpc":"2.0","result":{"task":{"id":"","status":{}}}}')), [
      'malformed',
      'the task id is not a string',
    ]);
  });

  it('says why there was no response', () => {
    assert.deepEqual(readA2aAnswer('a2a', { failure: 'too-large', reason: 'over 1 MiB' }), {
      ok: false,
      failure: { kind: 'no-response', reason: 'no response: too-large', failure: 'too-large' },
    });
  });

  it('keeps a state parameter-safe: anything but a short name of letters and dashes is unknown', () => {
    const state = (s: string): string => {
      const a = ok(`{"jsonrpc":"2.0","result":{"task":{"id":"t","status":{"state":${JSON.stringify(s)}}}}}`);
      return a.ok && a.result.kind === 'task' ? a.result.state : 'failed to read';
    };
    assert.deepEqual(['TASK_STATE_AUTH_REQUIRED', 'working', 'a,b', 'x\ny', 'z'.repeat(65), '7'].map(state), [
      'auth-required',
      'working',
      'unknown',
      'unknown',
      'unknown',
      'unknown',
    ]);
  });
});

describe('readA2aAnswer: a stream read whole', () => {
  const ev = (result: string): string => `data: {"jsonrpc":"2.0","id":1,"result":${result}}\n\n`;

  it('folds a task: the last state, appended artifacts, each state passed once in order', () => {
    const body =
      ev('{"task":{"id":"t","contextId":"c","status":{"state":"TASK_STATE_SUBMITTED"}}}') +
      ev('{"statusUpdate":{"status":{"state":"TASK_STATE_WORKING","message":{"parts":[{"text":"busy"}]}}}}') +
      ev('{"statusUpdate":{"status":{"state":"TASK_STATE_WORKING"}}}') +
      ev('{"artifactUpdate":{"artifact":{"artifactId":"a","parts":[{"text":"he"}]}}}') +
      ev('{"artifactUpdate":{"append":true,"artifact":{"artifactId":"a","parts":[{"text":"llo"}]}}}') +
      ev('{"statusUpdate":{"status":{"state":"TASK_STATE_COMPLETED"}}}');
    assert.deepEqual(sse(body), {
      ok: true,
      result: {
        kind: 'task',
        taskId: 't',
        contextId: 'c',
        state: 'completed',
        final: true,
        text: 'hello',
        states: ['submitted', 'working', 'completed'],
      },
    });
  });

  it('refuses a stream that is no A2A answer, or past its bounds', () => {
    assert.deepEqual(failure(sse('data: {"jsonrpc":"2.0","result":{}}\n\n')), [
      'malformed',
      'the stream carried neither a Task nor a Message',
    ]);
    assert.deepEqual(failure(sse('data: not json\n\n')), ['malformed', 'an event is not JSON: not json']);
    assert.deepEqual(failure(sse('data: {"jsonrpc":"2.0","id":1,"error":{"code":-32001,"message":"Task not found"}}\n\n')), [
      'rpc-error',
      'Task not found',
    ]);
    assert.deepEqual(failure(sse(`data: ${'['.repeat(100)}\n\n`)), ['malformed', 'an event nests deeper than 64 levels']);
    assert.deepEqual(failure(sse(ev('{"statusUpdate":{}}').repeat(1001))), ['malformed', 'the stream has 1001 events, more than 1000']);
    assert.deepEqual(failure(sse(`data: ${task(60_000)}\n\n`)), ['malformed', 'the task has more than 1000 artifacts']);
    assert.equal(sse(`data: ${task(1000)}\n\n`).ok, true);
    const added = ev('{"artifactUpdate":{"artifact":{"artifactId":"new","parts":[{"text":"n"}]}}}');
    assert.deepEqual(failure(sse(`data: ${task(1000)}\n\n${added}`)), ['malformed', 'the task has more than 1000 artifacts']);
  });

  it("takes a repeated task snapshot's artifacts as the same artifacts, not new ones", () => {
    const snapshot = ev('{"task":{"id":"t","status":{"state":"working"},"artifacts":[{"parts":[{"text":"one"}]}]}}');
    const a = sse(snapshot + snapshot + ev('{"statusUpdate":{"status":{"state":"completed"}}}'));
    assert.equal(a.ok && a.result.text, 'one');
  });

  it('lists at most the last 64 states', () => {
    const flips = Array.from({ length: 200 }, (_, i) =>
      ev(`{"statusUpdate":{"status":{"state":"${i % 2 === 0 ? 'working' : 'input-required'}"}}}`),
    ).join('');
    const a = sse(ev('{"task":{"id":"t","status":{"state":"submitted"}}}') + flips);
    assert.equal(a.ok && a.result.states?.length, 64);
  });
});

describe('a2aAnswerParams', () => {
  it("names a task's fields, a message's, and a failure's kind and code", () => {
    assert.deepEqual(
      a2aAnswerParams({
        ok: true,
        result: { kind: 'task', taskId: 't', contextId: 'c', state: 'working', final: false, text: 'x', states: ['submitted', 'working'] },
      }),
      {
        'X-caxton-a2a-result': 'task',
        'X-caxton-a2a-state': 'working',
        'X-caxton-a2a-final': 'false',
        'X-caxton-a2a-task-id': 't',
        'X-caxton-a2a-context-id': 'c',
        'X-caxton-a2a-states': 'submitted,working',
      },
    );
    assert.deepEqual(a2aAnswerParams({ ok: true, result: { kind: 'message', messageId: 'm', text: '' } }), {
      'X-caxton-a2a-result': 'message',
      'X-caxton-a2a-message-id': 'm',
    });
    assert.deepEqual(a2aAnswerParams({ ok: false, failure: { kind: 'rpc-error', reason: 'r', code: -32001 } }), {
      'X-caxton-a2a-error': 'rpc-error',
      'X-caxton-a2a-code': '-32001',
    });
  });
});
