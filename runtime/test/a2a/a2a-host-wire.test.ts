/**
 * The host's outbound A2A wire (decision 2193): the requests core's `a2aHttpRequest` builds for an
 * agent's `a2a.start` are sent as built to a real node's A2A endpoint (the official SDK's server)
 * with real AssemblyScript agents, and the answers read by `readA2aAnswer` as the gateway reads
 * them for the agent: send, get, stream and cancel, in both versions. (An agent's own calls through
 * the WIT interface are runtime/test/a2a/a2a-outbound.test.ts's; hostile answers are core's unit tests.)
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { a2aHttpRequest, readA2aAnswer, type A2aAnswer, type A2aCallSpec, type A2aResult, type HttpRequestSpec } from '@caxton/core';
import type { RunningNode } from '../../src/start/start-node.js';
import { startA2aNode, type A2aNode } from './a2a-node.js';

let a2aNode: A2aNode;
let node: RunningNode;
let token: string;
let ids = 0;

const urlOf = (agent: string): string => `${node.a2aUrl!}/a2a/${agent}/jsonrpc`;

function request(
  agent: string,
  operation: A2aCallSpec['operation'],
  subject: string,
  version: A2aCallSpec['version'] = 'v1',
): HttpRequestSpec {
  return a2aHttpRequest(
    { operation, url: urlOf(agent), version, subject, headers: [['authorization', `Bearer ${token}`]] },
    `call-${++ids}`,
  );
}

async function post(req: HttpRequestSpec): Promise<{ status: number; body: Uint8Array }> {
  const res = await fetch(req.url, { method: req.method, headers: req.headers, body: req.body! });
  return { status: res.status, body: new Uint8Array(await res.arrayBuffer()) };
}

/** The task id of a stream's first whole event (the JSON-RPC id is a string too, so no pattern match). */
function firstTaskId(body: string): string | undefined {
  const end = body.indexOf('\n\n');
  if (end < 0) return undefined;
  const data = body
    .slice(0, end)
    .split('\n')
    .find((l) => l.startsWith('data:'));
  if (data === undefined) return undefined;
  const r = (JSON.parse(data.slice(5)) as { result: { task?: { id: string }; id?: string } }).result;
  return r.task?.id ?? r.id;
}

function result(answer: A2aAnswer): A2aResult {
  assert.ok(answer.ok, `expected a result, got ${JSON.stringify(answer)}`);
  return answer.result;
}

before(async () => {
  a2aNode = await startA2aNode('caxton-a2a-wire-', { callTimeoutMs: 10_000 }, { shouter: 'as-service', reminder: 'as-reminder' });
  ({ node, admin: token } = a2aNode);
});

after(async () => {
  await a2aNode?.stop();
});

describe("the host's A2A calls against a real A2A endpoint", () => {
  it('sends, then gets the task in both versions; an unknown task is an rpc-error', async () => {
    const sent = result(readA2aAnswer('a2a', await post(request('shouter', 'send', 'hello'))));
    assert.equal(sent.kind, 'task');
    if (sent.kind !== 'task') return;
    assert.equal(sent.state, 'completed');
    for (const version of ['v1', 'v03'] as const) {
      const got = result(readA2aAnswer('a2a', await post(request('shouter', 'get-task', sent.taskId, version))));
      assert.deepEqual(
        got.kind === 'task' ? [got.taskId, got.state, got.final, got.text] : got,
        [sent.taskId, 'completed', true, 'HELLO'],
        version,
      );
    }
    const unknown = readA2aAnswer('a2a', await post(request('shouter', 'get-task', 'no-such-task')));
    // Pinned: the node answers JSON-RPC's TaskNotFound inside HTTP 200, never a bare HTTP status.
    assert.equal(unknown.ok ? 'ok' : unknown.failure.kind, 'rpc-error');
  });

  it("streams a task to completion: the states it passed through and the agent's answer, in both versions", async () => {
    for (const version of ['v1', 'v03'] as const) {
      const req = request('reminder', 'stream', '200 water the plants', version);
      assert.equal(req.a2a, 'a2a-stream');
      const answer = await post(req);
      assert.equal(answer.status, 200);
      const r = result(readA2aAnswer('a2a-stream', answer));
      assert.equal(r.kind === 'task' ? r.state : r.kind, 'completed', version);
      assert.equal(r.text, 'reminder: water the plants');
      assert.ok(r.states!.includes('working') && r.states!.at(-1) === 'completed', `${version}: ${r.states!.join(' → ')}`);
    }
  });

  it('cancels a working task: the cancel answers the task canceled, and its stream ends canceled', async () => {
    const req = request('reminder', 'stream', '60000 much later');
    const res = await fetch(req.url, { method: req.method, headers: req.headers, body: req.body! });
    const reader = res.body!.getReader();
    let body = '';
    let taskId: string | undefined;
    // Read until the task is working (the agent agreed): its id is in the first event.
    while (true) {
      const { value, done } = await reader.read();
      if (done) break;
      body += Buffer.from(value).toString('utf8');
      taskId ??= firstTaskId(body);
      if (taskId !== undefined && /WORKING|"working"/.test(body)) break;
    }
    assert.ok(taskId);
    const canceled = result(readA2aAnswer('a2a', await post(request('reminder', 'cancel-task', taskId))));
    assert.deepEqual(canceled.kind === 'task' ? [canceled.taskId, canceled.state, canceled.final] : canceled, [taskId, 'canceled', true]);
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) body += Buffer.from(chunk.value).toString('utf8');
    const folded = result(readA2aAnswer('a2a-stream', { status: 200, body: Buffer.from(body) }));
    assert.equal(folded.kind === 'task' ? folded.state : folded.kind, 'canceled');
    assert.deepEqual(folded.states!.slice(-2), ['working', 'canceled']);
  });
});
