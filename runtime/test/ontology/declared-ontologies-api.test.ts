/**
 * Declared ontologies (issue 61, decision 2183) end to end, as operators and clients meet them: the
 * real CLI deploys the real AssemblyScript service (examples/as-service) with `--ontology`; the
 * gRPC API refuses a schema that does not compile and a send that breaks one (typed errors); the
 * directory lists the ontology, so a search by it finds the agent; and the MCP endpoint, read by
 * the official SDK's client, shows the schema in `tools/list`, answers a call whose content matches
 * and refuses one whose content does not.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ApiCallError, CaxtonClient } from '@caxton/client';
import { startNode, type RunningNode } from '../../src/start/start-node.js';
import { readTokenFile, tokenFilePath } from '../../src/api/auth.js';
import { runCli, type CliRun } from '../support/cli-process.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
const SERVICE = path.join(ROOT, 'examples/as-service/build/as-service.wasm');

/** The same order as an XML Schema (decision 2190). */
const ORDER_XSD = `<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">
  <xs:element name="order">
    <xs:complexType>
      <xs:sequence>
        <xs:element name="item" type="xs:string"/>
        <xs:element name="qty" type="xs:positiveInteger"/>
      </xs:sequence>
    </xs:complexType>
  </xs:element>
</xs:schema>
`;

const ORDER = {
  type: 'object',
  properties: { item: { type: 'string' }, qty: { type: 'integer', minimum: 1 } },
  required: ['item', 'qty'],
  additionalProperties: false,
};

let dir: string;
let node: RunningNode;
let admin: string;

function cli(args: string[]): Promise<CliRun> {
  return runCli(args, { dir, address: `127.0.0.1:${node.apiPort}`, token: admin });
}

async function withClient<T>(f: (c: CaxtonClient) => Promise<T>): Promise<T> {
  const c = await CaxtonClient.connect({ address: `127.0.0.1:${node.apiPort}`, token: admin });
  try {
    return await f(c);
  } finally {
    c.close();
  }
}

async function withMcp<T>(f: (c: Client) => Promise<T>): Promise<T> {
  const client = new Client({ name: 'caxton-test', version: '1.0.0' });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(node.mcpUrl!), { requestInit: { headers: { authorization: `Bearer ${admin}` } } }),
  );
  try {
    return await f(client);
  } finally {
    await client.close();
  }
}

/** Polls until `probe` is truthy: the agent registers its service from its init, after the deploy returns. */
async function eventually<T>(what: string, probe: () => Promise<T | undefined | false>): Promise<T> {
  const deadline = Date.now() + 60_000; // an init on a loaded machine: a cap, not the expected time
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'caxton-ontologies-'));
  node = await startNode({
    dataDir: path.join(dir, 'data'),
    apiHost: '127.0.0.1',
    apiPort: 0,
    auth: { mode: 'token' },
    shards: 1,
    mcp: { host: '127.0.0.1', port: 0, callTimeoutMs: 10_000 },
  });
  admin = await readTokenFile(tokenFilePath(path.join(dir, 'data')));
  await writeFile(path.join(dir, 'order.schema.json'), JSON.stringify(ORDER));
  await writeFile(path.join(dir, 'order.xsd'), ORDER_XSD);
});

after(async () => {
  await node?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('declared ontologies through the CLI, the API, the directory and MCP', () => {
  it('caxton deploy --ontology: the directory lists the ontology and a search by it finds the agent', async () => {
    const deployed = await cli(['deploy', SERVICE, '--name', 'shop', '--ontology', 'orders=order.schema.json', '--quiet']);
    assert.equal(deployed.code, 0, deployed.stderr);
    const found = await eventually('the shop in the directory', async () => {
      const hits = await withClient((c) => c.searchDirectory({ ontologies: ['orders'] }));
      return hits.length > 0 ? hits : undefined;
    });
    assert.deepEqual(
      found.map((d) => [d.name.name, d.ontologies]),
      [['shop@caxton', ['orders']]],
    );
    assert.deepEqual(await withClient((c) => c.searchDirectory({ ontologies: ['recipes'] })), []);
    // The agent's own view names it too: over gRPC (names only) and in `caxton agents <name>`.
    assert.deepEqual((await withClient((c) => c.getAgent('shop'))).ontologies, ['orders']);
    const shown = await cli(['agents', 'shop']);
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(shown.stdout, /^ontologies\s+orders$/m);
  });

  it('refuses a send through the API that breaks the schema, with a typed error; a matching one is answered', async () => {
    const err = await withClient((c) =>
      c.send({
        structured: {
          performative: 'request',
          receivers: [{ name: 'shop' }],
          ontology: 'orders',
          language: 'json',
          content: '{"item":"tea"}',
        },
      }),
    ).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(err instanceof ApiCallError, String(err));
    assert.equal(err.statusName, 'INVALID_ARGUMENT');
    assert.equal(err.code, 'bus.invalid-send');
    assert.match(err.message, /shop does not understand the content as ontology "orders": the content must have required property 'qty'/);
    const sent = await withClient((c) =>
      c.send({
        structured: { performative: 'request', receivers: [{ name: 'shop' }], ontology: 'orders', content: '{"item":"tea","qty":1}' },
      }),
    );
    assert.equal(sent.accepted.length, 1);
  });

  it('refuses a deploy whose schema refers outside itself or does not compile, naming the ontology and what Ajv said; a $ref into itself is fine', async () => {
    const bytes = await readFile(SERVICE);
    for (const [schemas, said] of [
      [{ orders: { type: 'object', propertys: {} } }, /strict mode: unknown keyword: "propertys"/],
      [{ orders: { $ref: 'https://example.com/order.json' } }, /refers outside itself: \$ref "https:\/\/example\.com\/order\.json"/],
      [{ orders: { type: 'object', properties: { x: { $ref: 'http://json-schema.org/draft-07/schema#' } } } }, /refers outside itself/],
      [{ orders: { $ref: '#/definitions/missing' } }, /does not compile: can't resolve reference #\/definitions\/missing/],
      [{ orders: { type: 'strin' } }, /schema is invalid/],
    ] as const) {
      const err = await withClient((c) => c.deploy({ name: 'sneaky', ontologies: JSON.stringify(schemas) }, bytes)).then(
        () => undefined,
        (e: unknown) => e,
      );
      assert.ok(err instanceof ApiCallError, String(err));
      assert.equal(err.statusName, 'INVALID_ARGUMENT');
      assert.equal(err.context['field'], 'ontologies.orders', err.message);
      assert.match(err.message, /the schema of ontology orders (does not compile|refers outside itself)/);
      assert.match(err.message, said);
      assert.ok(err.hint);
    }
    assert.equal(
      (await withClient((c) => c.listAgents())).some((a) => a.name === 'sneaky'),
      false,
      'nothing was deployed',
    );
    // A $ref into the schema itself is fine.
    const internal = {
      definitions: { qty: { type: 'integer', minimum: 1 } },
      type: 'object',
      properties: { qty: { $ref: '#/definitions/qty' } },
    };
    await withClient((c) => c.deploy({ name: 'counted', ontologies: JSON.stringify({ counts: internal }) }, bytes));
    await assert.rejects(
      withClient((c) =>
        c.send({ structured: { performative: 'request', receivers: [{ name: 'counted' }], ontology: 'counts', content: '{"qty":0}' } }),
      ),
      /content\/qty must be >= 1/,
    );
  });

  it("MCP: tools/list shows the ontology's schema as the tool's content; a matching call is answered, a breaking one refused", async () => {
    await withMcp(async (mcp) => {
      const tool = await eventually('the shop.shout tool', async () => (await mcp.listTools()).tools.find((t) => t.name === 'shop.shout'));
      assert.deepEqual(tool.inputSchema.properties, { content: ORDER });
      assert.deepEqual(tool.inputSchema.required, ['content']);
      const ok = await mcp.callTool({ name: 'shop.shout', arguments: { content: { item: 'tea', qty: 2 } } });
      assert.equal(ok.isError, false);
      // The service upper-cases the JSON text it was sent: the content went as the ontology's JSON.
      assert.deepEqual(ok.content, [{ type: 'text', text: '{"ITEM":"TEA","QTY":2}' }]);
      await assert.rejects(
        mcp.callTool({ name: 'shop.shout', arguments: { content: { item: 'tea', qty: 'two' } } }),
        /shop does not understand the content as ontology "orders": content\/qty must be integer/,
      );
    });
  });

  it('caxton upgrade without --ontology keeps them: a breaking send is still refused and the directory still lists them', async () => {
    const upgraded = await cli(['upgrade', 'shop', SERVICE, '--quiet']);
    assert.equal(upgraded.code, 0, upgraded.stderr);
    await assert.rejects(
      withClient((c) =>
        c.send({ structured: { performative: 'request', receivers: [{ name: 'shop' }], ontology: 'orders', content: '[]' } }),
      ),
      /the content must be object/,
    );
    const hits = await eventually('the upgraded shop in the directory', async () => {
      const found = await withClient((c) => c.searchDirectory({ ontologies: ['orders'] }));
      return found.length > 0 ? found : undefined;
    });
    assert.deepEqual(
      hits.map((d) => d.name.name),
      ['shop@caxton'],
    );
  });

  it('an XML Schema ontology (decision 2190): deployed from a .xsd file, XML content checked by libxml2 at the send, MCP takes the XML as a string', async () => {
    const deployed = await cli(['deploy', SERVICE, '--name', 'xmlshop', '--ontology', 'orders=order.xsd', '--quiet']);
    assert.equal(deployed.code, 0, deployed.stderr);
    const send = (content: string, language?: string) =>
      withClient((c) =>
        c.send({
          structured: {
            performative: 'request',
            receivers: [{ name: 'xmlshop' }],
            ontology: 'orders',
            content,
            ...(language ? { language } : {}),
          },
        }),
      );
    assert.equal((await send('<order><item>tea</item><qty>2</qty></order>', 'xml')).accepted.length, 1);
    for (const [content, said] of [
      [
        '<order><item>tea</item><qty>0</qty></order>',
        /xmlshop does not understand the content as ontology "orders": the content does not match the schema: Element 'qty': '0' is not a valid value/,
      ],
      ['{"item":"tea","qty":1}', /the content is not XML/],
      ['<!DOCTYPE order [<!ENTITY a "aaaa">]><order><item>&a;</item><qty>1</qty></order>', /the content holds a DTD, which is refused/],
    ] as const) {
      const err = await send(content).then(
        () => undefined,
        (e: unknown) => e,
      );
      assert.ok(err instanceof ApiCallError, String(err));
      assert.equal(err.code, 'bus.invalid-send');
      assert.match(err.message, said);
    }
    await assert.rejects(send('<order><item>tea</item><qty>1</qty></order>', 'json'), /takes ontology "orders" as XML/);
    await withMcp(async (mcp) => {
      const tool = await eventually('the xmlshop.shout tool', async () =>
        (await mcp.listTools()).tools.find((t) => t.name === 'xmlshop.shout'),
      );
      assert.equal((tool.inputSchema.properties as { content: { type: string } }).content.type, 'string');
      const ok = await mcp.callTool({ name: 'xmlshop.shout', arguments: { content: '<order><item>tea</item><qty>3</qty></order>' } });
      assert.equal(ok.isError, false);
      // The service upper-cases the text it was sent: the content went as the XML it was given.
      assert.deepEqual(ok.content, [{ type: 'text', text: '<ORDER><ITEM>TEA</ITEM><QTY>3</QTY></ORDER>' }]);
      await assert.rejects(
        mcp.callTool({ name: 'xmlshop.shout', arguments: { content: '<order><item>tea</item></order>' } }),
        /xmlshop does not understand the content as ontology "orders": the content does not match the schema/,
      );
    });
  });
});
