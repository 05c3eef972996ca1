/**
 * The node's A2A endpoint (decision 1950) against the official SDK's client (`@a2a-js/sdk`), over
 * real HTTP, with real WASM agents: an AssemblyScript service that answers at once
 * (examples/as-service) and a reminder that agrees and answers later (examples/as-reminder).
 * Tokens and roles as for the gRPC API.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Role, TaskState, type Message, type StreamResponse, type Task } from '@a2a-js/sdk';
import {
  ClientFactory,
  ClientFactoryOptions,
  DefaultAgentCardResolver,
  JsonRpcTransportFactory,
  RestTransportFactory,
  createAuthenticatingFetchWithRetry,
  type AuthenticationHandler,
  type BeforeArgs,
  type CallInterceptor,
  type Client,
} from '@a2a-js/sdk/client';
import { CaxtonClient } from '@caxton/client';
import { decodeRecord, type AuditRecord } from '@caxton/core';
import type { RunningNode } from '../../src/start/start-node.js';
import { agentCard, messageText, namesATask, namesATenant, taskStateFor } from '../../src/a2a/index.js';
import { startA2aNode, type A2aNode } from './a2a-node.js';

let a2aNode: A2aNode;
let node: RunningNode;
let admin: string;
let reader: string;

function withToken(token: string | undefined): typeof fetch {
  return (input, init) => {
    const headers = new Headers(init?.headers);
    if (token !== undefined) headers.set('authorization', `Bearer ${token}`);
    return fetch(input, { ...init, headers });
  };
}

function cardUrl(agent: string): string {
  return `${node.a2aUrl!}/a2a/${agent}/.well-known/agent-card.json`;
}

async function clientFor(agent: string, token: string | undefined, binding: 'JSONRPC' | 'HTTP+JSON' = 'JSONRPC'): Promise<Client> {
  const fetchImpl = withToken(token);
  const factory = new ClientFactory(
    ClientFactoryOptions.createFrom(ClientFactoryOptions.default, {
      transports: [new JsonRpcTransportFactory({ fetchImpl }), new RestTransportFactory({ fetchImpl })],
      cardResolver: new DefaultAgentCardResolver({ fetchImpl }),
      preferredTransports: [binding],
    }),
  );
  return factory.createFromUrl(cardUrl(agent), '');
}

/**
 * Auth as a client that reads the card does it, with the SDK's own hooks: the card is fetched
 * answering the node's 401 `WWW-Authenticate: Bearer` challenge (the SDK's authenticating fetch),
 * and every call then presents the token the way the card says — a CallInterceptor reads the card
 * the client resolved and finds the HTTP Bearer scheme its security requirement names. A card
 * whose scheme the SDK cannot read yields no header, so the call is a 401.
 */
function answersBearerChallenge(token: string): AuthenticationHandler {
  return {
    headers: async () => ({}),
    shouldRetryWithHeaders: async (_req, res) =>
      res.status === 401 && /^bearer\b/i.test(res.headers.get('www-authenticate') ?? '') ? { authorization: `Bearer ${token}` } : undefined,
  };
}

class BearerFromCard implements CallInterceptor {
  constructor(private readonly token: string) {}
  async before(args: BeforeArgs): Promise<void> {
    const card = args.agentCard;
    const named = card.securityRequirements.flatMap((r) => Object.keys(r.schemes));
    const bearer = named.some((n) => {
      const s = card.securitySchemes[n]?.scheme;
      return s?.$case === 'httpAuthSecurityScheme' && s.value.scheme.toLowerCase() === 'bearer';
    });
    if (bearer)
      args.options = { ...args.options, serviceParameters: { ...args.options?.serviceParameters, Authorization: `Bearer ${this.token}` } };
  }
  async after(): Promise<void> {}
}

async function cardDrivenClient(
  agent: string,
  token: string,
  binding: 'JSONRPC' | 'HTTP+JSON',
  interceptors: CallInterceptor[],
): Promise<Client> {
  const factory = new ClientFactory(
    ClientFactoryOptions.createFrom(ClientFactoryOptions.default, {
      // The transports' fetch carries no token of its own: whatever is presented comes from the interceptors.
      transports: [new JsonRpcTransportFactory({ fetchImpl: fetch }), new RestTransportFactory({ fetchImpl: fetch })],
      cardResolver: new DefaultAgentCardResolver({ fetchImpl: createAuthenticatingFetchWithRetry(fetch, answersBearerChallenge(token)) }),
      clientConfig: { interceptors },
      preferredTransports: [binding],
    }),
  );
  return factory.createFromUrl(cardUrl(agent), '');
}

function userMessage(text: string): Message {
  return {
    messageId: randomUUID(),
    contextId: '',
    taskId: '',
    role: Role.ROLE_USER,
    metadata: undefined,
    extensions: [],
    referenceTaskIds: [],
    parts: [{ content: { $case: 'text', value: text }, metadata: undefined, filename: '', mediaType: 'text/plain' }],
  };
}

const send = (text: string) => ({ tenant: '', message: userMessage(text), configuration: undefined, metadata: undefined });

function statusText(task: Task): string {
  return task.status?.message ? (messageText(task.status.message) ?? '') : '';
}

before(async () => {
  a2aNode = await startA2aNode('caxton-a2a-', { callTimeoutMs: 5000 }, { shouter: 'as-service', reminder: 'as-reminder' });
  ({ node, admin, reader } = a2aNode);
});

after(async () => {
  await a2aNode?.stop();
});

describe('A2A endpoint: an agent is an A2A agent, a task a FIPA conversation', () => {
  it("resolves an agent's card: its directory services as skills, the JSON-RPC and REST bindings, a bearer scheme", async () => {
    const resolver = new DefaultAgentCardResolver({ fetchImpl: withToken(reader) });
    let card = await resolver.resolve(cardUrl('shouter'), '');
    // The service is registered by the agent's init, a moment after the deploy returns.
    for (let i = 0; i < 50 && card.skills[0]?.id !== 'shout'; i++) {
      await new Promise((r) => setTimeout(r, 100));
      card = await resolver.resolve(cardUrl('shouter'), '');
    }
    assert.equal(card.name, 'shouter');
    assert.deepEqual(
      card.skills.map((s) => [s.id, s.name]),
      [['shout', 'shouter@caxton/shout']],
    );
    assert.deepEqual(
      card.supportedInterfaces.map((i) => [i.protocolBinding, i.url, i.protocolVersion]),
      [
        ['JSONRPC', `${node.a2aUrl!}/a2a/shouter/jsonrpc`, '1.0'],
        ['HTTP+JSON', `${node.a2aUrl!}/a2a/shouter/rest`, '1.0'],
        ['JSONRPC', `${node.a2aUrl!}/a2a/shouter/jsonrpc`, '0.3'],
      ],
    );
    assert.equal(card.capabilities?.streaming, true);
    const scheme = card.securitySchemes['caxtonToken']?.scheme;
    assert.equal(scheme?.$case, 'httpAuthSecurityScheme', 'the SDK reads the bearer scheme from the card');
    assert.equal(scheme.value.scheme, 'Bearer');
    assert.deepEqual(
      card.securityRequirements.map((r) => Object.keys(r.schemes)),
      [['caxtonToken']],
    );
    const plain = await resolver.resolve(cardUrl('reminder'), '');
    assert.deepEqual(
      plain.skills.map((s) => s.id),
      ['fipa-request'],
      'an agent with no advertised service gets the plain request skill',
    );
    await assert.rejects(resolver.resolve(cardUrl('nobody'), ''), /404/);
  });

  it("serves the card as A2A 1.0 JSON: the scheme is keyed by its kind, nothing of the SDK's in-memory shape", async () => {
    const res = await fetch(cardUrl('shouter'), { headers: { authorization: `Bearer ${reader}` } });
    assert.equal(res.status, 200);
    const text = await res.text();
    assert.doesNotMatch(text, /\$case/);
    const json = JSON.parse(text) as {
      securitySchemes: Record<string, Record<string, { scheme?: string }>>;
      securityRequirements: { schemes: Record<string, { list?: string[] }> }[];
    };
    assert.deepEqual(Object.keys(json.securitySchemes['caxtonToken']!), ['httpAuthSecurityScheme']);
    assert.equal(json.securitySchemes['caxtonToken']!['httpAuthSecurityScheme']!.scheme, 'Bearer');
    assert.deepEqual(
      json.securityRequirements.map((r) => Object.keys(r.schemes)),
      [['caxtonToken']],
    );
  });

  it('a client that takes its auth from the card completes a task on both bindings; without it the call is refused for want of a token', async () => {
    for (const binding of ['JSONRPC', 'HTTP+JSON'] as const) {
      const client = await cardDrivenClient('shouter', admin, binding, [new BearerFromCard(admin)]);
      const done = (await client.sendMessage(send(`card auth ${binding}`))) as Task;
      assert.equal(done.status?.state, TaskState.TASK_STATE_COMPLETED, binding);
      assert.equal(statusText(done), `CARD AUTH ${binding}`);
      const bare = await cardDrivenClient('shouter', admin, binding, []);
      await assert.rejects(bare.sendMessage(send('no token')), /missing credentials: this node requires a bearer token/, binding);
    }
  });

  it("sends a message and gets the agent's inform as a completed task with an artifact; refuse is rejected with the agent's words", async () => {
    const client = await clientFor('shouter', admin);
    const done = (await client.sendMessage(send('hello from a2a'))) as Task;
    assert.equal(done.status?.state, TaskState.TASK_STATE_COMPLETED);
    assert.equal(done.artifacts.length, 1);
    assert.equal(messageText({ parts: done.artifacts[0]!.parts } as Message), 'HELLO FROM A2A');
    assert.equal(statusText(done), 'HELLO FROM A2A');
    assert.match(String(done.metadata?.['caxton']?.conversationId), /^a2a-/);
    const again = await client.getTask({ tenant: '', id: done.id });
    assert.equal(again.status?.state, TaskState.TASK_STATE_COMPLETED);
    const refused = (await client.sendMessage(send(''))) as Task;
    assert.equal(refused.status?.state, TaskState.TASK_STATE_REJECTED);
    assert.match(statusText(refused), /nothing to shout/);
    // The HTTP+JSON binding reaches the same agent the same way.
    const rest = await clientFor('shouter', admin, 'HTTP+JSON');
    const viaRest = (await rest.sendMessage(send('over rest'))) as Task;
    assert.equal(viaRest.status?.state, TaskState.TASK_STATE_COMPLETED);
    assert.equal(statusText(viaRest), 'OVER REST');
  });

  it("answers A2A 0.3's JSON-RPC names too: message/send from a client that names no version", async () => {
    const res = await fetch(`${node.a2aUrl!}/a2a/shouter/jsonrpc`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${admin}` },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 7,
        method: 'message/send',
        params: { message: { kind: 'message', role: 'user', messageId: randomUUID(), parts: [{ kind: 'text', text: 'old client' }] } },
      }),
    });
    const body = (await res.json()) as {
      id: number;
      result: { kind: string; status: { state: string }; artifacts: { parts: { kind: string; text: string }[] }[] };
    };
    assert.equal(body.id, 7);
    assert.equal(body.result.kind, 'task');
    assert.equal(body.result.status.state, 'completed');
    assert.deepEqual(body.result.artifacts[0]!.parts, [{ kind: 'text', text: 'OLD CLIENT' }]);
  });

  it('refuses a second message to a task: each task is one FIPA request', async () => {
    for (const message of [{ taskId: 'abc' }, { task_id: 'abc' }]) {
      const res = await fetch(`${node.a2aUrl!}/a2a/shouter/jsonrpc`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${admin}`, 'a2a-version': '1.0' },
        body: JSON.stringify({
          jsonrpc: '2.0',
          id: 3,
          method: 'SendMessage',
          params: { message: { ...message, messageId: 'm', role: 'ROLE_USER', parts: [{ text: 'again' }] } },
        }),
      });
      assert.equal(res.status, 400);
      const body = (await res.json()) as { id: number; error: { data: { code: string } } };
      assert.equal(body.id, 3);
      assert.equal(body.error.data.code, 'a2a.one-request-per-task');
    }
    assert.equal(namesATask({ message: { taskId: '' } }), false);
    assert.equal(namesATask({ message: { taskId: 'x' } }), true, 'REST');
  });

  it('refuses a tenant (review of issue 29 #1): the cards advertise none, and a long one would be kept unchecked', async () => {
    for (const [method, tenant] of [
      ['SendMessage', 'x'.repeat(300)],
      ['SendMessage', 42],
      ['SendMessage', { a: 1 }],
      ['GetTask', 'tenant'],
    ] as const) {
      const params =
        method === 'GetTask' ? { id: 'abc', tenant } : { tenant, message: { messageId: 'm', role: 'ROLE_USER', parts: [{ text: 'hi' }] } };
      const res = await fetch(`${node.a2aUrl!}/a2a/shouter/jsonrpc`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${admin}`, 'a2a-version': '1.0' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 4, method, params }),
      });
      assert.equal(res.status, 400, `${method} ${JSON.stringify(tenant).slice(0, 20)}`);
      const body = (await res.json()) as { id: number; error: { data: { code: string; hint: string } } };
      assert.equal(body.error.data.code, 'a2a.no-tenant');
      assert.match(body.error.data.hint, /tenant/);
    }
    // REST names a tenant in the path (or the query): refused the same way, before the SDK starts a task.
    for (const url of [`rest/${'t'.repeat(300)}/message:send`, 'rest/message:send?tenant=x']) {
      const res = await fetch(`${node.a2aUrl!}/a2a/shouter/${url}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${admin}`, 'a2a-version': '1.0' },
        body: JSON.stringify({ message: { messageId: 'm2', role: 'ROLE_USER', parts: [{ text: 'hi' }] } }),
      });
      assert.equal(res.status, 400, url.slice(0, 30));
      assert.equal(((await res.json()) as { error: { status: string } }).error.status, 'a2a.no-tenant');
    }
    assert.equal(namesATenant('/rest/tasks/abc', undefined, {}), false);
    assert.equal(namesATenant('/rest/message:send', { tenant: '' }, {}), false);
    assert.equal(namesATenant('/jsonrpc', { params: { tenant: '' } }, {}), false);
  });

  it('streams a task over SSE: submitted, working on agree, the artifact, completed on inform', async () => {
    const client = await clientFor('reminder', admin);
    const states: TaskState[] = [];
    let artifact = '';
    for await (const e of client.sendMessageStream(send('200 water the plants'))) {
      const p = (e as StreamResponse).payload;
      if (p?.$case === 'task') states.push(p.value.status!.state);
      if (p?.$case === 'statusUpdate') states.push(p.value.status!.state);
      if (p?.$case === 'artifactUpdate') artifact = messageText({ parts: p.value.artifact!.parts } as Message) ?? '';
    }
    assert.deepEqual(states, [TaskState.TASK_STATE_SUBMITTED, TaskState.TASK_STATE_WORKING, TaskState.TASK_STATE_COMPLETED]);
    assert.equal(artifact, 'reminder: water the plants');
  });

  it('cancels a working task: FIPA cancel in its conversation, the task and its stream end canceled', async () => {
    const client = await clientFor('reminder', admin);
    const states: TaskState[] = [];
    let taskId = '';
    let canceled: Task | undefined;
    for await (const e of client.sendMessageStream(send('60000 never mind'))) {
      const p = (e as StreamResponse).payload;
      if (p?.$case === 'task') {
        taskId = p.value.id;
        states.push(p.value.status!.state);
      }
      if (p?.$case === 'statusUpdate') {
        states.push(p.value.status!.state);
        if (p.value.status!.state === TaskState.TASK_STATE_WORKING)
          canceled = await client.cancelTask({ tenant: '', id: taskId, metadata: undefined });
      }
    }
    assert.deepEqual(states, [TaskState.TASK_STATE_SUBMITTED, TaskState.TASK_STATE_WORKING, TaskState.TASK_STATE_CANCELED]);
    assert.equal(canceled?.status?.state, TaskState.TASK_STATE_CANCELED);
    assert.match(statusText(canceled!), /FIPA cancel sent to reminder in conversation a2a-/);
    await assert.rejects(
      client.cancelTask({ tenant: '', id: taskId, metadata: undefined }).then((t) => {
        if (t.status?.state === TaskState.TASK_STATE_CANCELED) throw new Error('already canceled');
      }),
      /already canceled|not cancelable/i,
    );
  });

  it("takes the API's tokens: none is a 401 (card and call), the read role reads the card but may not send, another token sees none of this one's tasks", async () => {
    await assert.rejects(clientFor('shouter', undefined), /401/);
    const res = await fetch(`${node.a2aUrl!}/a2a/shouter/jsonrpc`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'SendMessage', params: {} }),
    });
    assert.equal(res.status, 401);
    assert.equal(res.headers.get('www-authenticate'), 'Bearer');
    const body = (await res.json()) as { error: { data: { code: string; hint: string } } };
    assert.equal(body.error.data.code, 'api.unauthenticated');
    const readOnly = await clientFor('shouter', reader);
    await assert.rejects(readOnly.sendMessage(send('x')), /may not call SendMessage/);
    const restReadOnly = await clientFor('shouter', reader, 'HTTP+JSON');
    await assert.rejects(restReadOnly.sendMessage(send('x')), /may not call SendMessage|403/);
    const big = await fetch(`${node.a2aUrl!}/a2a/shouter/jsonrpc`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${admin}`, 'content-length': String(2 * 1024 * 1024) },
      body: 'x'.repeat(2 * 1024 * 1024),
    });
    assert.equal(big.status, 413, 'a declared body over the bound, before it is read');
    const mine = (await (await clientFor('shouter', admin)).sendMessage(send('mine'))) as Task;
    await assert.rejects(readOnly.getTask({ tenant: '', id: mine.id }), /not found/i);
  });

  it("is in the audit trail: refusals for credentials as A2a, each message and cancel as the caller's SendMessage", async () => {
    const api = await CaxtonClient.connect({ address: `127.0.0.1:${node.apiPort}`, token: admin });
    try {
      const records: AuditRecord[] = [];
      await api.listAudit({}, (r) => records.push(decodeRecord(r.bytes))).done;
      const a2a = records.filter((r) => r.peer.startsWith('a2a '));
      const refusals = a2a
        .filter((r) => r.method === 'A2a' && r.kind === undefined)
        .map((r) => (r as { result: { error: string } }).result.error);
      assert.ok(refusals.includes('api.unauthenticated'), 'no token');
      assert.ok(refusals.includes('api.permission-denied'), 'the read role sending');
      const sends = a2a.filter((r) => r.method === 'SendMessage' && r.kind === 'intent');
      assert.ok(sends.length >= 8, `the messages and the cancel are audited sends (${sends.length})`);
    } finally {
      api.close();
    }
  });
});

describe('A2A endpoint: pure parts', () => {
  it('maps FIPA replies to task states', () => {
    assert.equal(taskStateFor('agree'), TaskState.TASK_STATE_WORKING);
    assert.equal(taskStateFor('inform'), TaskState.TASK_STATE_COMPLETED);
    assert.equal(taskStateFor('inform-ref'), TaskState.TASK_STATE_COMPLETED);
    assert.equal(taskStateFor('failure'), TaskState.TASK_STATE_FAILED);
    assert.equal(taskStateFor('refuse'), TaskState.TASK_STATE_REJECTED);
    assert.equal(taskStateFor('not-understood'), TaskState.TASK_STATE_REJECTED);
    assert.equal(taskStateFor('propose'), undefined);
  });

  it('builds a card from directory services: one skill per distinct type, the agent under /a2a/<name>', () => {
    const svc = (name: string, type: string) => ({
      name,
      type,
      protocols: ['fipa-request'],
      ontologies: [],
      languages: [],
      properties: {},
    });
    const card = agentCard({
      agent: 'a b',
      version: 3,
      services: [svc('x1', 'x'), svc('x2', 'x'), svc('y', 'y')],
      origin: 'http://127.0.0.1:9',
    });
    assert.deepEqual(
      card.skills.map((s) => s.id),
      ['x', 'y'],
    );
    assert.equal(card.version, '3');
    assert.equal(card.supportedInterfaces[0]!.url, 'http://127.0.0.1:9/a2a/a%20b/jsonrpc');
  });
});
