/**
 * A deployment's own A2A Agent Card (decision 1951): `caxton deploy --a2a-card card.json` (the real
 * CLI, checked before upload) and the RPC's header field (checked again by the node, typed
 * refusal), stored with the deployment's registry record (kept by an upgrade without a card,
 * replaced by one with a card, there after a restart), served by the A2A endpoint in place of the
 * card built from the directory, with the node's own bindings and security. The agent is the real
 * AssemblyScript service (examples/as-service); the card is read by `@a2a-js/sdk`'s resolver.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { Role, TaskState, type AgentCard, type Task } from '@a2a-js/sdk';
import { ClientFactory, ClientFactoryOptions, DefaultAgentCardResolver, JsonRpcTransportFactory } from '@a2a-js/sdk/client';
import { ApiCallError, CaxtonClient } from '@caxton/client';
import { startNode, type RunningNode } from '../../src/start/start-node.js';
import { readTokenFile, tokenFilePath } from '../../src/api/auth.js';
import { runCli, type CliRun } from '../support/cli-process.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
const SERVICE = path.join(ROOT, 'examples/as-service/build/as-service.wasm');

const CARD = {
  name: 'Loud Weather',
  description: 'Says what you tell it, louder.',
  version: '3.0',
  provider: { organization: 'Example', url: 'https://example.com' },
  skills: [{ id: 'shout', name: 'Shout', description: 'Upper-cases the text', tags: ['text'], examples: ['hello'] }],
};

let dir: string;
let dataDir: string;
let node: RunningNode;
let admin: string;

function withToken(token: string): typeof fetch {
  return (input, init) => {
    const headers = new Headers(init?.headers);
    headers.set('authorization', `Bearer ${token}`);
    return fetch(input, { ...init, headers });
  };
}

const cardUrl = (agent: string): string => `${node.a2aUrl!}/a2a/${agent}/.well-known/agent-card.json`;
const resolveCard = (agent: string): Promise<AgentCard> =>
  new DefaultAgentCardResolver({ fetchImpl: withToken(admin) }).resolve(cardUrl(agent), '');

function cli(args: string[]): Promise<CliRun> {
  return runCli(args, { dir, address: `127.0.0.1:${node.apiPort}`, token: admin });
}

async function start(): Promise<void> {
  node = await startNode({
    dataDir,
    apiHost: '127.0.0.1',
    apiPort: 0,
    auth: { mode: 'token' },
    shards: 1,
    a2a: { host: '127.0.0.1', port: 0, callTimeoutMs: 5000 },
  });
  admin = await readTokenFile(tokenFilePath(dataDir));
}

async function withClient<T>(f: (c: CaxtonClient) => Promise<T>): Promise<T> {
  const c = await CaxtonClient.connect({ address: `127.0.0.1:${node.apiPort}`, token: admin });
  try {
    return await f(c);
  } finally {
    c.close();
  }
}

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'caxton-a2a-card-'));
  dataDir = path.join(dir, 'data');
  await start();
});

after(async () => {
  await node?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe("A2A: a deployment's own Agent Card", () => {
  it("caxton deploy --a2a-card: the card is served with the node's bindings and security, and the agent still answers", async () => {
    await writeFile(path.join(dir, 'card.json'), JSON.stringify(CARD));
    const deployed = await cli(['deploy', SERVICE, '--name', 'loud', '--a2a-card', 'card.json', '--quiet']);
    assert.equal(deployed.code, 0, deployed.stderr);
    const card = await resolveCard('loud');
    assert.equal(card.name, 'Loud Weather');
    assert.equal(card.description, 'Says what you tell it, louder.');
    assert.equal(card.version, '3.0');
    assert.deepEqual(card.provider, { organization: 'Example', url: 'https://example.com' });
    assert.deepEqual(
      card.skills.map((s) => [s.id, s.name, s.examples]),
      [['shout', 'Shout', ['hello']]],
    );
    assert.deepEqual(
      card.supportedInterfaces.map((i) => i.url),
      [`${node.a2aUrl!}/a2a/loud/jsonrpc`, `${node.a2aUrl!}/a2a/loud/rest`, `${node.a2aUrl!}/a2a/loud/jsonrpc`],
      "where the agent is served stays the node's",
    );
    assert.deepEqual(Object.keys(card.securitySchemes), ['caxtonToken']);
    assert.equal(card.capabilities?.streaming, true);

    const fetchImpl = withToken(admin);
    const client = await new ClientFactory(
      ClientFactoryOptions.createFrom(ClientFactoryOptions.default, {
        transports: [new JsonRpcTransportFactory({ fetchImpl })],
        cardResolver: new DefaultAgentCardResolver({ fetchImpl }),
      }),
    ).createFromUrl(cardUrl('loud'), '');
    const task = (await client.sendMessage({
      tenant: '',
      configuration: undefined,
      metadata: undefined,
      message: {
        messageId: randomUUID(),
        contextId: '',
        taskId: '',
        role: Role.ROLE_USER,
        metadata: undefined,
        extensions: [],
        referenceTaskIds: [],
        parts: [{ content: { $case: 'text', value: 'card works' }, metadata: undefined, filename: '', mediaType: 'text/plain' }],
      },
    })) as Task;
    assert.equal(task.status?.state, TaskState.TASK_STATE_COMPLETED);
  });

  it('refuses a bad card in the CLI before anything is uploaded, and in the node when a client sends one anyway', async () => {
    await writeFile(path.join(dir, 'bad.json'), JSON.stringify({ ...CARD, securitySchemes: {} }));
    const viaCli = await cli(['deploy', SERVICE, '--name', 'sneaky', '--a2a-card', 'bad.json', '--quiet']);
    assert.equal(viaCli.code, 2, viaCli.stderr);
    assert.match(viaCli.stderr, /securitySchemes: is set by the node/);
    const bytes = await readFile(SERVICE);
    for (const [text, field] of [
      [JSON.stringify({ ...CARD, securitySchemes: {} }), 'header.a2a_card.securitySchemes'],
      [JSON.stringify({ ...CARD, description: 'x'.repeat(20_000) }), 'header.a2a_card'],
      ['{"name": "half', 'header.a2a_card'],
    ] as const) {
      const err = await withClient((c) => c.deploy({ name: 'sneaky', a2aCard: text }, bytes)).then(
        () => undefined,
        (e: unknown) => e,
      );
      assert.ok(err instanceof ApiCallError, String(err));
      assert.equal(err.statusName, 'INVALID_ARGUMENT');
      assert.equal(err.context['field'], field, err.message);
      assert.ok(err.hint);
    }
    assert.equal(
      (await withClient((c) => c.listAgents())).some((a) => a.name === 'sneaky'),
      false,
      'nothing was deployed',
    );
  });

  it('is stored with the deployment: kept by an upgrade without a card, replaced by one with a card, served after a restart', async () => {
    const bytes = await readFile(SERVICE);
    await withClient((c) => c.upgrade({ name: 'loud' }, bytes));
    assert.equal((await resolveCard('loud')).name, 'Loud Weather', 'an upgrade without a card keeps it');
    await withClient((c) => c.upgrade({ name: 'loud', a2aCard: JSON.stringify({ ...CARD, name: 'Quieter' }) }, bytes));
    assert.equal((await resolveCard('loud')).name, 'Quieter');
    await node.stop();
    await start();
    const card = await resolveCard('loud');
    assert.equal(card.name, 'Quieter', 'read back from the registry record');
    assert.equal(card.version, '3.0');
  });
});
