/**
 * A2A tasks across a restart (decision 2040): the official SDK client sends a message to a real
 * AssemblyScript service, the node stops and starts again on the same data directory, and
 * `tasks/get` (and `tasks/list`) answer with the task's final state and its artifact — still only
 * to the token that made it.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, it } from 'node:test';
import { Role, TaskState, type Message, type Task } from '@a2a-js/sdk';
import { ClientFactory, ClientFactoryOptions, DefaultAgentCardResolver, JsonRpcTransportFactory, type Client } from '@a2a-js/sdk/client';
import { CaxtonClient } from '@caxton/client';
import { startNode, type RunningNode, type StartNodeOptions } from '../../src/index.js';
import { readTokenFile, readTokenFilePath, tokenFilePath } from '../../src/api/auth.js';
import { messageText } from '../../src/a2a/index.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
const SERVICE = path.join(ROOT, 'examples/as-service/build/as-service.wasm');

let dir: string;
let node: RunningNode | undefined;
let options: StartNodeOptions;

async function clientFor(token: string): Promise<Client> {
  const fetchImpl: typeof fetch = (input, init) => {
    const headers = new Headers(init?.headers);
    headers.set('authorization', `Bearer ${token}`);
    return fetch(input, { ...init, headers });
  };
  const factory = new ClientFactory(
    ClientFactoryOptions.createFrom(ClientFactoryOptions.default, {
      transports: [new JsonRpcTransportFactory({ fetchImpl })],
      cardResolver: new DefaultAgentCardResolver({ fetchImpl }),
      preferredTransports: ['JSONRPC'],
    }),
  );
  return factory.createFromUrl(`${node!.a2aUrl!}/a2a/shouter/.well-known/agent-card.json`, '');
}

const message = (text: string): Message => ({
  messageId: randomUUID(),
  contextId: '',
  taskId: '',
  role: Role.ROLE_USER,
  metadata: undefined,
  extensions: [],
  referenceTaskIds: [],
  parts: [{ content: { $case: 'text', value: text }, metadata: undefined, filename: '', mediaType: 'text/plain' }],
});

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'caxton-a2a-restart-'));
  options = {
    dataDir: path.join(dir, 'data'),
    apiHost: '127.0.0.1',
    apiPort: 0,
    auth: { mode: 'token' },
    shards: 1,
    a2a: { host: '127.0.0.1', port: 0, callTimeoutMs: 5000 },
  };
  node = await startNode(options);
  const api = await CaxtonClient.connect({
    address: `127.0.0.1:${node.apiPort}`,
    token: await readTokenFile(tokenFilePath(options.dataDir)),
  });
  try {
    await api.deploy({ name: 'shouter' }, await readFile(SERVICE));
  } finally {
    api.close();
  }
});

after(async () => {
  await node?.stop();
  await rm(dir, { recursive: true, force: true });
});

it('tasks/get after a restart returns the task with its final state and artifact, to the token that made it only', async () => {
  const admin = await readTokenFile(tokenFilePath(options.dataDir));
  const reader = await readTokenFile(readTokenFilePath(options.dataDir));
  const done = (await (
    await clientFor(admin)
  ).sendMessage({ tenant: '', message: message('before the restart'), configuration: undefined, metadata: undefined })) as Task;
  assert.equal(done.status?.state, TaskState.TASK_STATE_COMPLETED);
  const rejected = (await (
    await clientFor(admin)
  ).sendMessage({ tenant: '', message: message(''), configuration: undefined, metadata: undefined })) as Task;
  assert.equal(rejected.status?.state, TaskState.TASK_STATE_REJECTED);

  await node!.stop();
  node = undefined;
  node = await startNode(options);

  const client = await clientFor(admin);
  const again = await client.getTask({ tenant: '', id: done.id });
  assert.equal(again.status?.state, TaskState.TASK_STATE_COMPLETED);
  assert.equal(messageText({ parts: again.artifacts[0]!.parts } as Message), 'BEFORE THE RESTART');
  assert.deepEqual(again, done, 'the task as it was answered');
  assert.equal((await client.getTask({ tenant: '', id: rejected.id })).status?.state, TaskState.TASK_STATE_REJECTED);
  const listed = await client.listTasks({
    tenant: '',
    contextId: '',
    status: TaskState.TASK_STATE_UNSPECIFIED,
    pageToken: '',
    statusTimestampAfter: undefined,
  });
  assert.deepEqual(listed.tasks.map((t) => t.id).sort(), [done.id, rejected.id].sort());
  await assert.rejects(
    (await clientFor(reader)).getTask({ tenant: '', id: done.id }),
    /not found|TaskNotFound|-32001/i,
    "another token's task is not found",
  );
  // And the node still takes new tasks.
  const after = (await client.sendMessage({
    tenant: '',
    message: message('after'),
    configuration: undefined,
    metadata: undefined,
  })) as Task;
  assert.equal(after.status?.state, TaskState.TASK_STATE_COMPLETED);
});
