/**
 * `caxton serve --a2a host:port`: the node's agents as A2A 1.0 agents, served with the official
 * `@a2a-js/sdk` (decision 1950). Every agent the caller may see is exposed under `/a2a/<name>`:
 * - `GET /a2a/<name>/.well-known/agent-card.json`: its Agent Card (agent-card.ts), skills from the
 *   services it advertises in the directory, or the deployment's own card (`deploy --a2a-card`);
 * - `POST /a2a/<name>/jsonrpc`: the JSON-RPC binding (SendMessage, SendStreamingMessage over SSE,
 *   GetTask, CancelTask…, and A2A 0.3's message/send, message/stream, tasks/get, tasks/cancel for
 *   clients that send no `A2A-Version: 1.0`); `/a2a/<name>/rest/…`: the HTTP+JSON binding;
 * - a task is a FIPA request in a fresh conversation (fipa-task-executor.ts).
 *
 * Same tokens and roles as the gRPC API: every request needs `directory.read` and an agent the
 * token may see; a call that sends (a message, a cancel) needs `messages.send` on that agent, as
 * SendMessage does, checked before the SDK reads the call. Refusals for credentials are audited;
 * sends go through the audited control surface as the caller. Tasks are kept per agent and per
 * token, so one token never reads another's. Bounded: the body (before it is read), the tasks
 * waiting for answers, the time a task waits. Loopback only: plain HTTP must not carry tokens.
 */
import express, { type NextFunction, type Request, type Response } from 'express';
import { DefaultExecutionEventBusManager, DefaultRequestHandler, type ServerCallContext } from '@a2a-js/sdk/server';
import { jsonRpcHandler, restHandler } from '@a2a-js/sdk/server/express';
import { A2A_TASK_LIMITS, CaxtonError, principalSees, type Principal } from '@caxton/core';
import { requireAllowed } from '../api/access.js';
import { auditArgs, type AuditedCall } from '../audit/audited-control.js';
import { ONE_MESSAGE_BODY_BYTES } from '../console/request-body.js';
import { GatewayFront, jsonRpcError, type BodyRefusals, type GatewayOptions, type Refusal } from '../gateway/index.js';
import { A2A_BASE_PATH, CARD_PATH, JSONRPC_PATH, REST_PATH, agentCard, agentCardJson, servicesByAgent } from './agent-card.js';
import { BoundedTaskStore } from './bounded-task-store.js';
import { TaskFile } from './task-file.js';
import { CaxtonA2aUser, FipaTaskExecutor } from './fipa-task-executor.js';
import { InFlightSlots, type InFlightSlot } from './in-flight-slots.js';
import { checkPlaintextBinding, type ListenerSecurity } from '../listener/index.js';

export interface A2aServerOptions extends GatewayOptions {
  /** How long a task waits for the agent's answer before it fails. Default 30 s. */
  callTimeoutMs?: number;
  /** Tasks waiting for answers at once; past it a send is refused. Default 64. */
  maxTasksInFlight?: number;
  /** Tasks kept for tasks/get; past it the oldest ended one is forgotten. Default A2A_TASK_LIMITS.maxTasks. */
  maxTasksKept?: number;
  /** An ended task is forgotten this long after its last change. Default A2A_TASK_LIMITS.ttlMs. */
  taskTtlMs?: number;
  /** The file that keeps the tasks across restarts (decision 2040); absent: in memory only. */
  taskFile?: string;
  /** Where a task file that cannot be read or written is reported. Default: stderr. */
  warn?: (message: string) => void;
}

export interface A2aEndpoint {
  readonly port: number;
  /** http(s)://host:port; an agent's base is `<origin>/a2a/<name>`. */
  readonly origin: string;
  close(): Promise<void>;
}

/** One A2A call carries one message: its content is bounded by the ACL content limit; this bounds what a client may send. */
const MAX_BODY_BYTES = ONE_MESSAGE_BODY_BYTES;
const DIRECTORY_LIMIT = 1000;
/** JSON-RPC methods that only read (a task the token started); every other method needs messages.send. */
const READING_METHODS = new Set(['GetTask', 'ListTasks', 'tasks/get', 'tasks/list']);

/**
 * Whether a send names an existing task (`message.taskId`, or `task_id` as proto JSON spells it),
 * on JSON-RPC (`params.message`) or REST (`message`). A Caxton task is one FIPA request, and a
 * second message would be published on the running task's event bus and end its stream: refused.
 */
export function namesATask(body: unknown): boolean {
  const field = (o: unknown, k: string): unknown =>
    typeof o === 'object' && o !== null && !Array.isArray(o) ? (o as Record<string, unknown>)[k] : undefined;
  const named = (m: unknown): boolean =>
    [field(m, 'taskId'), field(m, 'task_id')].some((v) => v !== undefined && v !== null && String(v) !== '');
  return named(field(field(body, 'params'), 'message')) || named(field(body, 'message'));
}

/** The first path segments of the SDK's REST routes; any other first segment is a tenant (`/<tenant>/message:send`). */
const REST_ROUTE_HEADS = ['/extendedAgentCard', '/message:', '/tasks'];

/**
 * Whether a call names a tenant: JSON-RPC's `params.tenant`, REST's `/<tenant>/…` path segment,
 * `tenant` query or body field. The cards advertise none, and the SDK copies any truthy value (a
 * string of any length, a number, an object) into the call's context unchecked: refused before
 * the SDK reads the call, so a task is never started for a call whose task could not be kept.
 */
export function namesATenant(subPath: string, body: unknown, query: unknown): boolean {
  const field = (o: unknown, k: string): unknown =>
    typeof o === 'object' && o !== null && !Array.isArray(o) ? (o as Record<string, unknown>)[k] : undefined;
  const given = (v: unknown): boolean => v !== undefined && v !== null && v !== '';
  if (subPath.startsWith(`${REST_PATH}/`)) {
    const rest = subPath.slice(REST_PATH.length);
    if (!REST_ROUTE_HEADS.some((h) => rest.startsWith(h))) return true;
    return given(field(body, 'tenant')) || given(field(query, 'tenant'));
  }
  return given(field(field(body, 'params'), 'tenant'));
}

const A2A_BODY = { max: MAX_BODY_BYTES, name: "the A2A endpoint's body limit", hint: 'send less in one request' };
/** A2A's status and code for each refusal of the shared JSON body reader (readJsonBody), and the hint of each but the shape's. */
const BODY_REFUSALS: BodyRefusals = {
  'too-large': { status: 413, code: 'a2a.body-too-large', hint: 'send less in one request' },
  unreadable: { status: 400, code: 'a2a.bad-body', hint: 'send one JSON value as application/json in UTF-8' },
  'not-utf8': { status: 400, code: 'a2a.bad-body', hint: 'send one JSON value as application/json in UTF-8' },
  'not-json': { status: 400, code: 'a2a.bad-body', hint: 'send one JSON value as application/json in UTF-8' },
  'unsupported-charset': { status: 415, code: 'a2a.unsupported-charset', hint: 'send the body as UTF-8 (charset=utf-8, or no charset)' },
  'unsupported-encoding': { status: 415, code: 'a2a.unsupported-encoding', hint: 'send the body uncompressed (no Content-Encoding)' },
  'too-complex': { status: 413, code: 'a2a.json-too-complex' },
};

export class A2aConfigError extends CaxtonError {
  constructor(message: string, hint: string) {
    super('a2a.bad-config', message, { kind: 'invalid-argument', hint });
  }
}

/** Tokens must not cross a network in clear: plain HTTP off loopback only by the operator's explicit choice (checked before the node starts anything). */
export function checkA2aBinding(o: { host: string; port: number } & ListenerSecurity): void {
  checkPlaintextBinding(o, { flag: '--a2a', exposes: 'bearer tokens', fail: (message, hint) => new A2aConfigError(message, hint) });
}

/** A refusal in the shape the binding's clients read: JSON-RPC's error object, or a plain JSON body; Caxton's code and hint in `data`. */
function refuse(req: Request, res: Response, r: Refusal): void {
  res.status(r.status).set({ 'cache-control': 'no-store', ...r.headers });
  if (req.method === 'POST' && req.path.endsWith(JSONRPC_PATH)) {
    const id = typeof req.body === 'object' && req.body !== null && 'id' in req.body ? (req.body as { id: unknown }).id : null;
    res.json(jsonRpcError(id ?? null, r.status === 503 ? -32000 : -32600, r));
  } else {
    res.json({ error: { code: r.status, status: r.code, message: r.message, details: [{ code: r.code, hint: r.hint }] } });
  }
}

export async function startA2aServer(o: A2aServerOptions): Promise<A2aEndpoint> {
  checkA2aBinding(o);
  const timeoutMs = o.callTimeoutMs ?? 30_000;
  const slots = new InFlightSlots(o.maxTasksInFlight ?? 64);
  const front = new GatewayFront(o, { name: 'a2a', body: A2A_BODY, bodyRefusals: BODY_REFUSALS });
  const report = front.report;
  let origin = '';

  // Tasks and their event buses are kept per agent and per token (CaxtonA2aUser.userName).
  const owner = (ctx: ServerCallContext): string => ctx.user?.userName ?? '';
  const executor = new FipaTaskExecutor({ control: o.control, timeoutMs });
  // The handler reads only its card's capabilities; each agent's own card is served by the route below.
  const store = new BoundedTaskStore(
    owner,
    o.maxTasksKept ?? A2A_TASK_LIMITS.maxTasks,
    o.taskTtlMs !== undefined ? { ttlMs: o.taskTtlMs } : {},
  );
  // Filled from the file before the first request, so tasks/get after a restart answers with the task's last state.
  const taskFile =
    o.taskFile !== undefined
      ? await TaskFile.open(o.taskFile, store, o.warn ?? ((m) => process.stderr.write(`caxton a2a: ${m}\n`)))
      : undefined;
  const handler = new DefaultRequestHandler(
    agentCard({ agent: 'caxton', version: 0, services: [], origin: 'http://localhost' }),
    store,
    executor,
    new DefaultExecutionEventBusManager(owner),
  );
  const users = new WeakMap<Request, CaxtonA2aUser>();
  const userBuilder = async (req: Request): Promise<CaxtonA2aUser> => {
    const user = users.get(req);
    if (!user) throw new Error('an A2A request reached the SDK without passing the guard');
    return user;
  };

  const principals = new WeakMap<Request, { principal: Principal; agent: string }>();
  /** A refused A2A call, as the audit trail records it. */
  const refusedCall = (req: Request, agent: string): AuditedCall => {
    const path = req.path.slice(0, 200);
    return { method: 'A2a', args: auditArgs({ agent, path }, { agent, path }) };
  };

  /** Who calls, and which agent: before a byte of the body is read. */
  const authenticate = async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    const param = req.params['agent'];
    const agent = typeof param === 'string' ? param : '';
    const who = await front.authenticate(req, () => refusedCall(req, agent));
    if ('refused' in who) return refuse(req, res, who.refused);
    const principal = who.principal;
    if (!principalSees(principal, agent) || !(await o.control.getAgent(agent))) {
      return refuse(req, res, {
        status: 404,
        code: 'a2a.no-agent',
        message: `no agent ${JSON.stringify(agent.slice(0, 128))} here`,
        hint: `each deployed agent the token may see is at ${A2A_BASE_PATH}/<name>: caxton agents lists them`,
      });
    }
    principals.set(req, { principal, agent });
    next();
  };

  /** The body, read and checked once for everyone after (our guard and the SDK's routers). */
  const readJson = async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    if (req.method === 'GET' || req.method === 'HEAD') return next();
    const read = await front.readBody(req);
    if ('refused' in read) return refuse(req, res, read.refused);
    req.body = read.body;
    // body-parser's mark of a parsed body, which its parsers (the SDK's included) skip.
    (req as Request & { _body?: boolean })._body = true;
    next();
  };

  /** The permission the call needs, once its JSON-RPC method is known, before the SDK acts on it. */
  const authorize = async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    const { principal, agent } = principals.get(req)!;
    const sub = req.path;
    const body: unknown = req.body;
    const rpcMethod =
      typeof body === 'object' && body !== null && !Array.isArray(body) && typeof (body as { method?: unknown }).method === 'string'
        ? (body as { method: string }).method
        : '';
    // Strict by default: anything but a read (GET, or a reading JSON-RPC method at the exact path) may send.
    const reads = req.method === 'GET' || req.method === 'HEAD' || (sub === JSONRPC_PATH && READING_METHODS.has(rpcMethod));
    const sends = !reads;
    if (namesATenant(sub, body, req.query)) {
      return refuse(req, res, {
        status: 400,
        code: 'a2a.no-tenant',
        message: 'the call names a tenant: this node serves none',
        hint: "leave params.tenant out or empty, as the agent's card says",
      });
    }
    let slot: InFlightSlot | undefined;
    if (sends) {
      try {
        // The same check as SendMessage's: messages.send, on the agent the URL names.
        requireAllowed(principal, 'SendMessage', [agent]);
      } catch (err) {
        await front.auditRefusal(req, principal, () => refusedCall(req, agent), err);
        const e = err as CaxtonError;
        return refuse(req, res, { status: 403, code: e.code, message: e.message, hint: e.hint ?? '' });
      }
      if (namesATask(body)) {
        return refuse(req, res, {
          status: 400,
          code: 'a2a.one-request-per-task',
          message: 'the message names a task: each Caxton task is one FIPA request and takes no further message',
          hint: 'send a new message without taskId; follow a task with GetTask or SubscribeToTask',
        });
      }
      // Taken here, before the SDK reads the call (it awaits before the executor runs): a burst cannot pass a count of running tasks.
      slot = slots.tryReserve();
      if (!slot) {
        return refuse(req, res, {
          status: 503,
          code: 'a2a.busy',
          message: `${slots.inUse} tasks are waiting for their agents' answers, the most this node takes`,
          hint: 'retry in a moment',
        });
      }
      // Back when the request fails or its response ends or is cut, unless the task's execution claimed it (then at its end).
      const reserved = slot;
      res.once('finish', () => reserved.requestEnded());
      res.once('close', () => reserved.requestEnded());
    }
    const { caller, control: sender, lane } = front.sender(req, principal);
    users.set(req, new CaxtonA2aUser(principal, agent, sender, lane, caller.token, slot));
    next();
  };

  const app = express();
  app.disable('x-powered-by');
  const base = `${A2A_BASE_PATH}/:agent`;
  // The body's declared size is checked before a byte of it is read; the parser's limit bounds a chunked one.
  app.use(
    base,
    (req, res, next) => {
      const tooLarge = front.declaredTooLarge(req);
      if (tooLarge) return refuse(req, res, tooLarge);
      next();
    },
    (req, res, next) => {
      authenticate(req, res, next).catch(next);
    },
    // Every body, whatever its content type, is read here within the bound, decoded as UTF-8 only and
    // its shape scanned before it is parsed (decision 1910, "JSON shape before parsing"); the SDK's
    // own parsers then see a finished request and keep req.body (review of outboxfix4, 4) — and the
    // tenant check below sees every body, a2a+json too.
    (req, res, next) => {
      readJson(req, res, next).catch(next);
    },
    (req, res, next) => {
      authorize(req, res, next).catch(next);
    },
  );
  app.get(`${base}${CARD_PATH}`, async (req, res, next) => {
    try {
      const user = users.get(req)!;
      const [status, directory] = await Promise.all([o.control.getAgent(user.agent), o.control.searchDirectory({}, DIRECTORY_LIMIT)]);
      const card = agentCard({
        agent: user.agent,
        version: status?.version ?? 0,
        services: servicesByAgent(directory).get(user.agent) ?? [],
        origin,
        ...(status?.a2aCard !== undefined ? { operator: status.a2aCard } : {}),
      });
      // Per agent and never cached (the directory changes); as A2A JSON, not as the SDK's
      // agentCardHandler writes it (JSON.stringify of the in-memory card, which its own resolver misreads).
      res.set({ 'cache-control': 'no-store', 'content-type': 'application/json' }).status(200).send(agentCardJson(card));
    } catch (err) {
      next(err);
    }
  });
  app.use(`${base}${JSONRPC_PATH}`, jsonRpcHandler({ requestHandler: handler, userBuilder, legacyCompat: { enabled: true } }));
  app.use(`${base}${REST_PATH}`, restHandler({ requestHandler: handler, userBuilder }));
  app.use((req: Request, res: Response) =>
    refuse(req, res, {
      status: 404,
      code: 'a2a.no-route',
      message: `no A2A route at ${req.method} ${req.path.slice(0, 200)}`,
      hint: `an agent's card is at ${A2A_BASE_PATH}/<name>${CARD_PATH}; its bindings at ${A2A_BASE_PATH}/<name>${JSONRPC_PATH} and ${A2A_BASE_PATH}/<name>${REST_PATH}`,
    }),
  );
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const declared = typeof err === 'object' && err !== null ? (err as { status?: unknown }).status : undefined;
    const status = typeof declared === 'number' ? declared : 500;
    if (status === 413)
      return refuse(req, res, {
        status: 413,
        code: 'a2a.body-too-large',
        message: `the request body is larger than ${MAX_BODY_BYTES} bytes`,
        hint: 'send less in one request',
      });
    if (status === 400)
      return refuse(req, res, {
        status: 400,
        code: 'a2a.bad-body',
        message: 'the request body is not JSON',
        hint: 'send application/json',
      });
    report(err);
    if (res.headersSent) return void res.destroy();
    refuse(req, res, {
      status: 500,
      code: 'a2a.internal',
      message: 'the A2A endpoint failed to answer',
      hint: "see the node's output for the cause",
    });
  });

  // The request timeout runs past the task's own, so a stream (as long as its task) is never cut by the server.
  const listener = await front.listen({
    flag: '--a2a',
    fail: (message, hint) => new A2aConfigError(message, hint),
    handler: app,
    callTimeoutMs: timeoutMs,
  });
  origin = listener.origin;
  return {
    port: listener.port,
    origin,
    async close() {
      await listener.close();
      await taskFile?.close();
    },
  };
}
