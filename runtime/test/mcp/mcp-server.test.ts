/**
 * The node's MCP endpoint (decision 1900) against the official SDK's client, over real HTTP, with
 * real WASM agents: an AssemblyScript service (examples/as-service) and a contract-net contractor,
 * both advertising services in the directory. Tokens and roles as for the gRPC API.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { CaxtonClient } from '@caxton/client';
import { startNode, type RunningNode } from '../../src/start/start-node.js';
import { readTokenFile, readTokenFilePath, tokenFilePath } from '../../src/api/auth.js';
import { replyVerdict, toolsFromDirectory } from '../../src/mcp/index.js';
import { ontologyInputSchema } from '../../src/mcp/tool-catalog.js';
import { compileSchema } from '../../src/ontology/schema-compiler.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
const SERVICE = path.join(ROOT, 'examples/as-service/build/as-service.wasm');
const CONTRACTOR = path.join(ROOT, 'examples/contract-net/as-contractor/build/cnet-contractor.wasm');

let dir: string;
let node: RunningNode;
let admin: string;
let reader: string;

async function connect(token: string | undefined): Promise<Client> {
  const client = new Client({ name: 'caxton-test', version: '1.0.0' });
  const headers: Record<string, string> = token === undefined ? {} : { authorization: `Bearer ${token}` };
  await client.connect(new StreamableHTTPClientTransport(new URL(node.mcpUrl!), { requestInit: { headers } }));
  return client;
}

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'caxton-mcp-'));
  node = await startNode({
    dataDir: path.join(dir, 'data'),
    apiHost: '127.0.0.1',
    apiPort: 0,
    auth: { mode: 'token' },
    shards: 1,
    mcp: { host: '127.0.0.1', port: 0, callTimeoutMs: 5000 },
  });
  admin = await readTokenFile(tokenFilePath(path.join(dir, 'data')));
  reader = await readTokenFile(readTokenFilePath(path.join(dir, 'data')));
  const api = await CaxtonClient.connect({ address: `127.0.0.1:${node.apiPort}`, token: admin });
  try {
    await api.deploy({ name: 'shouter' }, await readFile(SERVICE));
    await api.deploy({ name: 'courier' }, await readFile(CONTRACTOR));
  } finally {
    api.close();
  }
});

after(async () => {
  await node?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe("MCP endpoint: tools are the directory's services, a call is a FIPA request", () => {
  it('lists each advertised service as a tool, named agent.type, with its input schema', async () => {
    const client = await connect(admin);
    try {
      let names: string[] = [];
      for (let i = 0; i < 50 && !(names.includes('shouter.shout') && names.includes('courier.delivery')); i++) {
        names = (await client.listTools()).tools.map((t) => t.name);
        if (!names.includes('courier.delivery')) await new Promise((r) => setTimeout(r, 100));
      }
      assert.deepEqual(names.sort(), ['courier.delivery', 'shouter.shout']);
      const shout = (await client.listTools()).tools.find((t) => t.name === 'shouter.shout')!;
      assert.match(shout.description ?? '', /FIPA request to the Caxton agent shouter/);
      assert.deepEqual(shout.inputSchema.required, ['content']);
    } finally {
      await client.close();
    }
  });

  it("a call returns the agent's inform; a refusal and a not-understood come back as tool errors with the agent's words", async () => {
    const client = await connect(admin);
    try {
      const ok = await client.callTool({ name: 'shouter.shout', arguments: { content: 'hello from mcp' } });
      assert.equal(ok.isError, false);
      assert.deepEqual(ok.content, [{ type: 'text', text: 'HELLO FROM MCP' }]);
      assert.equal((ok.structuredContent as { performative: string }).performative, 'inform');
      const refused = await client.callTool({ name: 'shouter.shout', arguments: { content: '' } });
      assert.equal(refused.isError, true);
      assert.match(JSON.stringify(refused.content), /nothing to shout/);
      const misunderstood = await client.callTool({ name: 'courier.delivery', arguments: { content: 'a parcel' } });
      assert.equal(misunderstood.isError, true);
      assert.equal((misunderstood.structuredContent as { performative: string }).performative, 'not-understood');
      await assert.rejects(client.callTool({ name: 'nobody.nothing', arguments: { content: 'x' } }), /no tool "nobody\.nothing"/);
      await assert.rejects(client.callTool({ name: 'shouter.shout', arguments: {} }), /content is missing/);
    } finally {
      await client.close();
    }
  });

  it('lists agents as resources and reads one with its services', async () => {
    const client = await connect(reader);
    try {
      const uris = (await client.listResources()).resources.map((r) => r.uri).sort();
      assert.deepEqual(uris, ['caxton://agents/courier', 'caxton://agents/shouter']);
      const read = await client.readResource({ uri: 'caxton://agents/shouter' });
      const view = JSON.parse((read.contents[0] as { text: string }).text) as {
        name: string;
        state: string;
        services: { tool: string; type: string }[];
      };
      assert.equal(view.name, 'shouter');
      assert.deepEqual(
        view.services.map((s) => `${s.tool}:${s.type}`),
        ['shouter.shout:shout'],
      );
      await assert.rejects(client.readResource({ uri: 'caxton://agents/nobody' }), /no resource/);
    } finally {
      await client.close();
    }
  });

  it("takes the API's tokens: none is a 401, the read role may list but not call (messages.send)", async () => {
    await assert.rejects(connect(undefined), /401|Unauthorized|unauthenticated/i);
    const res = await fetch(node.mcpUrl!, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: '{}',
    });
    assert.equal(res.status, 401);
    assert.equal(res.headers.get('www-authenticate'), 'Bearer');
    const client = await connect(reader);
    try {
      assert.ok((await client.listTools()).tools.length >= 2);
      await assert.rejects(client.callTool({ name: 'shouter.shout', arguments: { content: 'x' } }), /may not call SendMessage/);
    } finally {
      await client.close();
    }
  });
});

describe('MCP endpoint: pure parts', () => {
  it('names tools agent.type, replaces what MCP names may not hold, and numbers duplicates', () => {
    const svc = (name: string, type: string) => ({
      name,
      type,
      protocols: ['fipa-request'],
      ontologies: [],
      languages: [],
      properties: {},
    });
    const tools = toolsFromDirectory([
      {
        name: { name: 'a@caxton' },
        services: [svc('a/x', 'x'), svc('a/x2', 'x'), svc('weird name', '')],
        protocols: [],
        ontologies: [],
        languages: [],
      },
      { name: { name: 'b@caxton' }, services: [svc('b/y z', 'y z')], protocols: [], ontologies: [], languages: [] },
    ]);
    assert.deepEqual(
      tools.map((t) => [t.name, t.agent]),
      [
        ['a.x', 'a'],
        ['a.x-2', 'a'],
        ['a.weird_name', 'a'],
        ['b.y_z', 'b'],
      ],
    );
  });

  it("the answer is the agent's first inform, failure, refuse or not-understood in the call's conversation", () => {
    const call = { conversationId: 'c1', agent: 'shouter' };
    const m = (performative: string, sender: string, conversationId = 'c1') =>
      ({ performative, sender: { name: sender }, receivers: [{ name: 'operator@caxton' }], conversationId }) as never;
    assert.equal(replyVerdict(m('agree', 'shouter@caxton'), call), 'not-yet');
    assert.equal(replyVerdict(m('inform', 'shouter@caxton'), call), 'result');
    assert.equal(replyVerdict(m('refuse', 'shouter@caxton'), call), 'error');
    assert.equal(replyVerdict(m('inform', 'shouter@caxton', 'c2'), call), 'not-yet');
    assert.equal(replyVerdict(m('inform', 'shouter-2@caxton'), call), 'not-yet', 'another agent of a similar name');
    assert.equal(replyVerdict(m('request', 'operator@caxton'), call), 'not-yet', 'the call itself');
  });

  it("an ontology's input schema keeps its internal $refs resolving under properties.content", () => {
    const schema = {
      type: 'object',
      definitions: { item: { type: 'string' } },
      $defs: { qty: { type: 'integer', minimum: 1 } },
      properties: {
        item: { $ref: '#/definitions/item' },
        qty: { $ref: '#/$defs/qty' },
        next: { $ref: '#' },
        again: { $ref: '#/properties/qty' },
      },
      examples: [{ $ref: '#' }],
    };
    const wrapper = ontologyInputSchema(schema, 'orders');
    assert.deepEqual(Object.keys(wrapper.definitions as object), ['item'], 'definitions hoisted to the root, where MCP clients look');
    assert.deepEqual((wrapper.properties as { content: { examples: unknown } }).content.examples, [{ $ref: '#' }], 'data is left alone');
    const validate = compileSchema(wrapper);
    assert.equal(validate({ content: { item: 'tea', qty: 2 } }), true);
    assert.equal(validate({ content: { next: { item: 'tea' } } }), true, '# is the content schema itself');
    assert.equal(validate({ content: { again: 3 } }), true);
    assert.equal(validate({ content: { item: 7 } }), false, '#/definitions/item resolves and checks');
    assert.equal(validate({ content: { next: { qty: 0 } } }), false, '#/$defs/qty through #');
    assert.equal(validate({ content: { again: 0 } }), false, '#/properties/qty from the content schema');
  });
});
