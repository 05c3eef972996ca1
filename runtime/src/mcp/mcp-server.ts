/**
 * `caxton serve --mcp host:port`: the node as an MCP server (streamable HTTP at `/mcp`, the
 * official `@modelcontextprotocol/sdk`), so LLM clients reach Caxton agents (decision 1900):
 * - tools: each service an agent advertises in the directory (tool-catalog.ts); a call is a FIPA
 *   `request` to that agent and its result the agent's reply (../conversation);
 * - resources: the agents the caller may see, each with its advertised services.
 *
 * Stateless: each HTTP request gets its own protocol server and transport, built with the
 * caller's principal, so tools and resources always reflect the directory and the token now.
 * Same tokens and roles as the gRPC API: every request needs `directory.read`, a tool call
 * `messages.send` on the agent it names; refusals for credentials are audited, and calls go
 * through the audited control surface as the caller (decision 1701). Bounded: the body's declared
 * size, the content's size, calls in flight, and how long a call waits for its reply.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import {
  CallToolRequestSchema,
  ErrorCode,
  ListResourcesRequestSchema,
  ListToolsRequestSchema,
  McpError,
  ReadResourceRequestSchema,
  type CallToolResult,
} from '@modelcontextprotocol/sdk/types.js';
import {
  CaxtonError,
  DEFAULT_ACL_LIMITS,
  isXmlSchema,
  principalSees,
  type NodeControl,
  type OntologySchema,
  type Principal,
} from '@caxton/core';
import { requireAllowed } from '../api/access.js';
import { ONE_MESSAGE_BODY_BYTES, type BodyLimit } from '../console/request-body.js';
import { auditArgs } from '../audit/audited-control.js';
import { requestAndFollow, unansweredText } from '../conversation/index.js';
import { GatewayFront, jsonRpcError, type BodyRefusals, type Refusal } from '../gateway/index.js';
import { checkMcpBinding, McpConfigError, type McpEndpoint, type McpServerOptions } from './mcp-config.js';
import { ontologyInputSchema, TOOL_INPUT_SCHEMA, toolOntology, toolsFromDirectory, xmlInputSchema, type McpTool } from './tool-catalog.js';

/** The JSON-RPC body of one MCP request is small; this bounds what a client may declare. */
const MAX_BODY_BYTES = ONE_MESSAGE_BODY_BYTES;
const MCP_BODY: BodyLimit = { max: MAX_BODY_BYTES, name: "the MCP endpoint's body limit", hint: 'send less in one request' };
const NOT_JSON_HINT = 'send one JSON-RPC message as application/json';
/**
 * MCP's status and code for each refusal of the shared JSON body reader: a body it cannot take as JSON is `mcp.bad-body`;
 * the hint the reader's, but for a body too large or not JSON.
 */
const BODY_REFUSALS: BodyRefusals = {
  'too-large': { status: 413, code: 'mcp.body-too-large', hint: 'send less in one request' },
  'too-complex': { status: 413, code: 'mcp.json-too-complex' },
  unreadable: { status: 400, code: 'mcp.bad-body' },
  'not-utf8': { status: 400, code: 'mcp.bad-body' },
  'not-json': { status: 400, code: 'mcp.bad-body', hint: NOT_JSON_HINT },
  'unsupported-charset': { status: 400, code: 'mcp.bad-body' },
  'unsupported-encoding': { status: 400, code: 'mcp.bad-body' },
};
const DIRECTORY_LIMIT = 1000;

function jsonError(res: ServerResponse, r: Refusal): void {
  const body = JSON.stringify(jsonRpcError(null, ErrorCode.InvalidRequest, r));
  res.writeHead(r.status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...r.headers });
  res.end(body);
}

/** A Caxton refusal as a JSON-RPC error the client shows: its code and hint in `data`. */
function mcpRefusal(err: unknown): McpError {
  if (err instanceof McpError) return err;
  if (err instanceof CaxtonError) return new McpError(ErrorCode.InvalidRequest, err.message, { code: err.code, hint: err.hint });
  return new McpError(ErrorCode.InternalError, 'the node failed to answer', { hint: "see the node's output for the cause" });
}

/** Serves MCP; loaded by start-mcp-server.ts only when a node serves it (it imports the MCP SDK). */
export async function serveMcp(o: McpServerOptions): Promise<McpEndpoint> {
  checkMcpBinding(o);
  const callTimeoutMs = o.callTimeoutMs ?? 30_000;
  const maxCalls = o.maxCallsInFlight ?? 64;
  const front = new GatewayFront(o, { name: 'mcp', body: MCP_BODY, bodyRefusals: BODY_REFUSALS });
  const report = front.report;
  let callsInFlight = 0;

  const catalog = async (principal: Principal): Promise<McpTool[]> =>
    toolsFromDirectory(await o.control.searchDirectory({}, DIRECTORY_LIMIT)).filter((t) => principalSees(principal, t.agent));

  /**
   * The ontology a tool speaks and its schema (decision 2183): asked of the node only for an agent
   * whose directory entry lists declared ontologies. Undefined: plain text content.
   */
  const typedInput = async (tool: McpTool): Promise<{ ontology: string; schema: OntologySchema; xml: boolean } | undefined> => {
    if (!tool.declaresOntologies) return undefined;
    const declared = (await o.control.getAgent(tool.agent))?.ontologies;
    const ontology = toolOntology(tool, declared);
    if (ontology === undefined) return undefined;
    const schema = declared![ontology]!;
    return { ontology, schema, xml: isXmlSchema(schema) };
  };

  /** Sends the request and waits for the answer (the shared follower: tail open before the send). */
  const call = async (
    tool: McpTool,
    content: string,
    typed: { ontology: string; xml: boolean } | undefined,
    sender: NodeControl,
    lane: 'operator' | 'client',
  ): Promise<CallToolResult> => {
    const conversationId = `mcp-${randomUUID()}`;
    const outcome = await requestAndFollow({
      control: o.control,
      sender,
      lane,
      agent: tool.agent,
      content,
      ...(typed !== undefined ? { ontology: typed.ontology, language: typed.xml ? ('xml' as const) : ('json' as const) } : {}),
      conversationId,
      timeoutMs: callTimeoutMs,
    });
    if (outcome.kind !== 'answered') {
      return {
        content: [{ type: 'text', text: unansweredText(outcome, { agent: tool.agent, conversationId, timeoutMs: callTimeoutMs }) }],
        isError: true,
      };
    }
    const e = outcome.event;
    return {
      content: [{ type: 'text', text: e.message.content ?? '' }],
      isError: outcome.verdict === 'error',
      structuredContent: { performative: e.message.performative, conversationId, messageId: e.messageId },
    };
  };

  const protocolServer = (req: IncomingMessage, principal: Principal): Server => {
    const server = new Server({ name: 'caxton', version: o.version }, { capabilities: { tools: {}, resources: {} } });
    server.setRequestHandler(ListToolsRequestSchema, async () => ({
      tools: await Promise.all(
        (await catalog(principal)).map(async (t) => {
          const typed = await typedInput(t);
          return {
            name: t.name,
            description: t.description,
            inputSchema:
              typed !== undefined
                ? ((typed.xml ? xmlInputSchema(typed.ontology) : ontologyInputSchema(typed.schema, typed.ontology)) as { type: 'object' })
                : { ...TOOL_INPUT_SCHEMA, properties: { ...TOOL_INPUT_SCHEMA.properties }, required: [...TOOL_INPUT_SCHEMA.required] },
          };
        }),
      ),
    }));
    server.setRequestHandler(CallToolRequestSchema, async (request) => {
      try {
        const tool = (await catalog(principal)).find((t) => t.name === request.params.name);
        if (!tool)
          throw new McpError(ErrorCode.InvalidParams, `no tool ${JSON.stringify(request.params.name.slice(0, 128))}`, {
            hint: 'list the tools: each is a service an agent advertises in the directory',
          });
        const given = request.params.arguments?.['content'];
        // A tool of a declared ontology takes its content as JSON, sent as the ontology's JSON text
        // (an XML ontology's, as the XML text it is given); the bus checks it against the schema (a
        // refusal comes back as the call's error).
        const typed = await typedInput(tool);
        const content = typed !== undefined && !typed.xml && given !== undefined ? JSON.stringify(given) : given;
        if (typeof content !== 'string')
          throw new McpError(ErrorCode.InvalidParams, 'content is missing or not a string', {
            hint: 'give {"content": "…"}: the request\'s content',
          });
        if (Buffer.byteLength(content) > DEFAULT_ACL_LIMITS.maxContentBytes) {
          throw new McpError(ErrorCode.InvalidParams, `content is larger than ${DEFAULT_ACL_LIMITS.maxContentBytes} bytes`, {
            hint: 'send less in one call',
          });
        }
        // The same check as SendMessage's: messages.send, on the agent the tool names.
        requireAllowed(principal, 'SendMessage', [tool.agent]);
        if (callsInFlight >= maxCalls) {
          throw new McpError(ErrorCode.InvalidRequest, `${callsInFlight} tool calls are waiting for answers, the most this node takes`, {
            code: 'mcp.busy',
            hint: 'retry in a moment',
          });
        }
        callsInFlight += 1;
        try {
          const { control: sender, lane } = front.sender(req, principal);
          return await call(tool, content, typed, sender, lane);
        } finally {
          callsInFlight -= 1;
        }
      } catch (err) {
        if (!(err instanceof McpError) && !(err instanceof CaxtonError)) report(err);
        throw mcpRefusal(err);
      }
    });
    server.setRequestHandler(ListResourcesRequestSchema, async () => ({
      resources: (await o.control.listAgents())
        .filter((a) => principalSees(principal, a.name))
        .map((a) => ({
          uri: `caxton://agents/${encodeURIComponent(a.name)}`,
          name: a.name,
          mimeType: 'application/json',
          description: `Caxton agent ${a.name}: state, version and the services it advertises`,
        })),
    }));
    server.setRequestHandler(ReadResourceRequestSchema, async (request) => {
      const m = /^caxton:\/\/agents\/([^/]+)$/.exec(request.params.uri);
      const name = m ? decodeURIComponent(m[1]!) : undefined;
      const agent = name !== undefined && principalSees(principal, name) ? await o.control.getAgent(name) : undefined;
      if (!agent)
        throw new McpError(ErrorCode.InvalidParams, `no resource ${JSON.stringify(request.params.uri.slice(0, 200))}`, {
          hint: 'list the resources: caxton://agents/<name>',
        });
      const services = (await catalog(principal)).filter((t) => t.agent === agent.name).map((t) => ({ tool: t.name, ...t.service }));
      const view = {
        name: agent.name,
        state: agent.state,
        version: agent.version,
        ...(agent.language ? { language: agent.language } : {}),
        services,
      };
      return { contents: [{ uri: request.params.uri, mimeType: 'application/json', text: JSON.stringify(view) }] };
    });
    return server;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/mcp')
      return jsonError(res, {
        status: 404,
        code: 'mcp.no-route',
        message: `no MCP endpoint at ${path!.slice(0, 200)}`,
        hint: 'the endpoint is /mcp',
      });
    const tooLarge = front.declaredTooLarge(req);
    if (tooLarge) return jsonError(res, tooLarge);
    const who = await front.authenticate(req, () => ({ method: 'Mcp', args: auditArgs({ path }, { path }) }));
    if ('refused' in who) return jsonError(res, who.refused);
    const server = protocolServer(req, who.principal);
    // Stateless (no session id) with plain JSON answers: one request, one response.
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    res.on('close', () => {
      void transport.close();
      void server.close();
    });
    // A POST's body is read here (within the size limit) and its shape scanned before it is parsed
    // (decision 1910, "JSON shape before parsing"); the transport is handed the parsed body.
    let parsed: { body: unknown } | undefined;
    if (req.method === 'POST') {
      const read = await front.readBody(req);
      if ('refused' in read) return jsonError(res, read.refused);
      // An empty POST carries no JSON-RPC message.
      if (read.body === undefined)
        return jsonError(res, { status: 400, code: 'mcp.bad-body', message: 'the request body is not JSON', hint: NOT_JSON_HINT });
      parsed = { body: read.body };
    }
    await server.connect(transport);
    await (parsed === undefined ? transport.handleRequest(req, res) : transport.handleRequest(req, res, parsed.body));
  };

  const listener = await front.listen({
    flag: '--mcp',
    fail: (message, hint) => new McpConfigError(message, hint),
    handler: (req, res) => {
      handle(req, res).catch((err: unknown) => {
        report(err);
        if (!res.headersSent)
          jsonError(res, {
            status: 500,
            code: 'mcp.internal',
            message: 'the MCP endpoint failed to answer',
            hint: "see the node's output for the cause",
          });
        else res.destroy();
      });
    },
    callTimeoutMs,
  });
  return { port: listener.port, url: `${listener.origin}/mcp`, close: () => listener.close() };
}
