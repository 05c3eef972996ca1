/**
 * The JavaScript SDK's outbound A2A wire (`@caxton/sdk-js/a2a`'s pure codec, decision 2040): the
 * requests its `a2a.stream`, `a2a.get` and `a2a.cancel` build are sent as built to a real node's
 * A2A endpoint (the official SDK's server) with real AssemblyScript agents, and the answers read
 * by the codec as an agent would get them. (An agent's own calls through the HTTP host interface
 * are runtime/test/a2a/a2a-outbound.test.ts's.)
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import type { RunningNode } from '../../src/start/start-node.js';
import { startA2aNode, type A2aNode } from './a2a-node.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');

interface Request {
  method: string;
  url: string;
  headers: [string, string][];
  body: string;
}
interface Result {
  kind: string;
  taskId?: string;
  state: string | null;
  final: boolean;
  text: string;
  states?: string[];
}
interface HttpAnswer {
  answered: true;
  status: number;
  body: string;
  bodyIsBase64: false;
}
interface Codec {
  a2aSendRequest(c: object): Request;
  a2aStreamRequest(c: object): Request;
  a2aGetTaskRequest(c: object): Request;
  a2aCancelTaskRequest(c: object): Request;
  a2aResultFromHttp(r: HttpAnswer, o?: { stream?: boolean }): Result;
  a2aResultFromSse(body: string): Result;
}

let a2aNode: A2aNode;
let node: RunningNode;
let token: string;
let codec: Codec;

const urlOf = (agent: string): string => `${node.a2aUrl!}/a2a/${agent}/jsonrpc`;

async function post(req: Request): Promise<HttpAnswer> {
  const res = await fetch(req.url, { method: req.method, headers: req.headers, body: req.body });
  return { answered: true, status: res.status, body: await res.text(), bodyIsBase64: false };
}

before(async () => {
  // The codec is plain JavaScript that an agent bundles; it imports nothing, so the test loads the file itself.
  codec = (await import(pathToFileURL(path.join(ROOT, 'sdk-js/src/a2a-codec.js')).href)) as Codec;
  a2aNode = await startA2aNode('caxton-a2a-wire-', { callTimeoutMs: 10_000 }, { shouter: 'as-service', reminder: 'as-reminder' });
  ({ node, admin: token } = a2aNode);
});

after(async () => {
  await a2aNode?.stop();
});

describe("@caxton/sdk-js/a2a's stream, get and cancel against a real A2A endpoint", () => {
  it('gets a task after its send, in both versions; an unknown task is an rpc-error', async () => {
    const sent = codec.a2aResultFromHttp(await post(codec.a2aSendRequest({ url: urlOf('shouter'), text: 'hello', token })));
    assert.equal(sent.state, 'completed');
    for (const version of ['1.0', '0.3']) {
      const got = codec.a2aResultFromHttp(
        await post(codec.a2aGetTaskRequest({ url: urlOf('shouter'), taskId: sent.taskId, token, version })),
      );
      assert.deepEqual([got.kind, got.taskId, got.state, got.final, got.text], ['task', sent.taskId, 'completed', true, 'HELLO'], version);
    }
    assert.throws(() => codec.a2aGetTaskRequest({ url: urlOf('shouter'), token }), /taskId must be a string/);
    const unknown = await post(codec.a2aGetTaskRequest({ url: urlOf('shouter'), taskId: 'no-such-task', token }));
    // Pinned: the node answers JSON-RPC's TaskNotFound inside HTTP 200, never a bare HTTP status.
    assert.throws(
      () => codec.a2aResultFromHttp(unknown),
      (e: unknown) => (e as { kind?: string }).kind === 'rpc-error',
    );
  });

  it("streams a task to completion: the states it passed through and the agent's answer, in both versions", async () => {
    for (const version of ['1.0', '0.3']) {
      const answer = await post(codec.a2aStreamRequest({ url: urlOf('reminder'), text: '200 water the plants', token, version }));
      assert.equal(answer.status, 200);
      const r = codec.a2aResultFromHttp(answer, { stream: true });
      assert.equal(r.state, 'completed', version);
      assert.equal(r.text, 'reminder: water the plants');
      assert.ok(r.states!.includes('working') && r.states!.at(-1) === 'completed', `${version}: ${r.states!.join(' → ')}`);
    }
  });

  it('cancels a working task: the cancel answers the task canceled, and its stream ends canceled', async () => {
    const req = codec.a2aStreamRequest({ url: urlOf('reminder'), text: '60000 much later', token });
    const res = await fetch(req.url, { method: req.method, headers: req.headers, body: req.body });
    const reader = res.body!.getReader();
    let body = '';
    let taskId: string | undefined;
    // Read until the task is working (the agent agreed): its id is in the first event.
    while (true) {
      const { value, done } = await reader.read();
      if (done) break;
      body += Buffer.from(value).toString('utf8');
      taskId ??= /"id":"([^"]+)"/.exec(body)?.[1];
      if (taskId !== undefined && /WORKING|"working"/.test(body)) break;
    }
    assert.ok(taskId);
    const canceled = codec.a2aResultFromHttp(await post(codec.a2aCancelTaskRequest({ url: urlOf('reminder'), taskId, token })));
    assert.deepEqual([canceled.taskId, canceled.state, canceled.final], [taskId, 'canceled', true]);
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) body += Buffer.from(chunk.value).toString('utf8');
    const folded = codec.a2aResultFromSse(body);
    assert.equal(folded.state, 'canceled');
    assert.deepEqual(folded.states!.slice(-2), ['working', 'canceled']);
  });

  it('refuses a stream that is no A2A answer', () => {
    assert.throws(() => codec.a2aResultFromSse('data: {"jsonrpc":"2.0","result":{}}\n\n'), /neither a Task nor a Message/);
    assert.throws(() => codec.a2aResultFromSse('data: not json\n\n'), /not JSON/);
    assert.throws(
      () => codec.a2aResultFromSse('data: {"jsonrpc":"2.0","id":1,"error":{"code":-32001,"message":"Task not found"}}\n\n'),
      /rpc-error: Task not found/,
    );
    assert.throws(() => codec.a2aResultFromSse(`data: ${'['.repeat(100)}\n\n`), /nests deeper/);
  });

  it('refuses more than 1,000 artifacts (one event of 60,000, 180 KB) and folds 1,000', () => {
    const task = (n: number): string =>
      `{"jsonrpc":"2.0","result":{"task":{"id":"t","status":{"state":"TASK_STATE_COMPLETED"},"artifacts":[${Array(n).fill('{}').join(',')}]}}}`;
    const tooMany = { kind: 'malformed', reason: 'the task has more than 1000 artifacts' };
    assert.throws(() => codec.a2aResultFromSse(`data: ${task(60_000)}\n\n`), tooMany);
    assert.throws(() => codec.a2aResultFromHttp({ answered: true, status: 200, body: task(60_000), bodyIsBase64: false }), tooMany);
    assert.equal(codec.a2aResultFromSse(`data: ${task(1000)}\n\n`).state, 'completed');
    const added = `data: {"jsonrpc":"2.0","result":{"artifactUpdate":{"artifact":{"artifactId":"new","parts":[{"text":"n"}]}}}}\n\n`;
    assert.throws(() => codec.a2aResultFromSse(`data: ${task(1000)}\n\n${added}`), tooMany);
  });
});
