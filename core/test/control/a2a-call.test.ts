/**
 * An agent's A2A call as the host builds it (decision 2193): A2A 1.0's and 0.3's JSON-RPC methods,
 * the call's id as the JSON-RPC id and message id, the agent's headers after the binding's, and
 * the answer form the gateway reads the answer by.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { a2aHttpRequest, type A2aCallSpec } from '../../src/index.js';

const base: A2aCallSpec = { operation: 'send', url: 'https://agent.example/a2a', version: 'v1', subject: 'hello "you"', headers: [] };
const body = (c: Partial<A2aCallSpec>): Record<string, unknown> =>
  JSON.parse(a2aHttpRequest({ ...base, ...c }, 'id-7').body!) as Record<string, unknown>;

describe('a2aHttpRequest', () => {
  it("builds A2A 1.0's SendMessage: a blocking send of one text part, the call's id as both ids", () => {
    const req = a2aHttpRequest(
      { ...base, contextId: 'ctx', headers: [['authorization', 'Bearer t']], context: 'whom', timeoutMs: 900 },
      'id-7',
    );
    assert.equal(req.method, 'POST');
    assert.equal(req.url, base.url);
    assert.deepEqual(req.headers, [
      ['content-type', 'application/json'],
      ['accept', 'application/json'],
      ['a2a-version', '1.0'],
      ['authorization', 'Bearer t'],
    ]);
    assert.deepEqual(JSON.parse(req.body!), {
      jsonrpc: '2.0',
      id: 'id-7',
      method: 'SendMessage',
      params: {
        message: { messageId: 'id-7', role: 'ROLE_USER', parts: [{ text: 'hello "you"' }], contextId: 'ctx' },
        configuration: { returnImmediately: false },
      },
    });
    assert.deepEqual([req.a2a, req.context, req.timeoutMs], ['a2a', 'whom', 900]);
  });

  it("builds 0.3's message/send with kinds, and no version header", () => {
    const req = a2aHttpRequest({ ...base, version: 'v03' }, 'id-7');
    assert.ok(!req.headers.some(([k]) => k === 'a2a-version'));
    assert.deepEqual(JSON.parse(req.body!), {
      jsonrpc: '2.0',
      id: 'id-7',
      method: 'message/send',
      params: {
        message: { kind: 'message', messageId: 'id-7', role: 'user', parts: [{ kind: 'text', text: 'hello "you"' }] },
        configuration: { blocking: true },
      },
    });
  });

  it('names each operation in both versions; a stream asks for events and is read as one', () => {
    const methods = (['send', 'stream', 'get-task', 'cancel-task'] as const).map((operation) => [
      body({ operation }).method,
      body({ operation, version: 'v03' }).method,
    ]);
    assert.deepEqual(methods, [
      ['SendMessage', 'message/send'],
      ['SendStreamingMessage', 'message/stream'],
      ['GetTask', 'tasks/get'],
      ['CancelTask', 'tasks/cancel'],
    ]);
    const stream = a2aHttpRequest({ ...base, operation: 'stream' }, 'x');
    assert.deepEqual([stream.a2a, stream.headers[1]], ['a2a-stream', ['accept', 'text/event-stream']]);
  });

  it("takes a task operation's subject as the task id, and nothing else of a message", () => {
    assert.deepEqual(body({ operation: 'get-task', subject: 'task-1', contextId: 'ignored' }).params, { id: 'task-1' });
    assert.deepEqual(body({ operation: 'cancel-task', subject: 'task-1', version: 'v03' }).params, { id: 'task-1' });
  });

  it('quotes whatever text the agent sends: the body is always one JSON document', () => {
    const nasty = '"}],"x":1,{\u0000\u2028\ud800';
    const sent = body({ subject: nasty }) as { params: { message: { parts: { text: string }[] } } };
    assert.equal(sent.params.message.parts[0]!.text, nasty);
  });
});
