/**
 * Request → reply round trips through the official clients of the ecosystems Caxton speaks to
 * (issue 29): `@a2a-js/sdk`'s client against the node's A2A endpoint (decision 1950), and
 * `@modelcontextprotocol/sdk`'s client against its MCP endpoint (decision 1900), and beside them
 * the gRPC path as `caxton send --wait` takes it (decision 0805). Each function
 * times `samples` sequential calls after `warmUp` untimed ones and returns the latencies in ms;
 * a call that does not come back with the agent's answer throws (the benchmark then reports
 * nothing rather than a flattering figure).
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Role, TaskState, type Message, type Task } from '@a2a-js/sdk';
import { ClientFactory, ClientFactoryOptions, DefaultAgentCardResolver, JsonRpcTransportFactory } from '@a2a-js/sdk/client';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { CaxtonClient } from '@caxton/client';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

export interface RoundTrips {
  warmUp: number;
  samples: number;
  /** What the agent answers to `text`: the call fails if the answer is anything else. */
  expect: (text: string) => string;
}

function bearer(token: string): typeof fetch {
  return (input, init) => {
    const headers = new Headers(init?.headers);
    headers.set('authorization', `Bearer ${token}`);
    return fetch(input, { ...init, headers });
  };
}

function textOf(task: Task): string {
  const parts = task.artifacts[0]?.parts ?? [];
  return parts.map((p) => (p.content?.$case === 'text' ? p.content.value : '')).join('');
}

async function timed(r: RoundTrips, call: (text: string) => Promise<string>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < r.warmUp + r.samples; i++) {
    const text = `ping ${i}`;
    const t0 = performance.now();
    const answer = await call(text);
    const ms = performance.now() - t0;
    if (answer !== r.expect(text))
      throw new Error(`call ${i} was answered ${JSON.stringify(answer.slice(0, 200))}, not ${JSON.stringify(r.expect(text))}`);
    if (i >= r.warmUp) out.push(ms);
  }
  return out;
}

/** A2A `message/send` (blocking, JSON-RPC binding) to the agent whose card is at `cardUrl`: one task, one FIPA request. */
export async function a2aRoundTrips(cardUrl: string, token: string, r: RoundTrips): Promise<number[]> {
  const fetchImpl = bearer(token);
  const factory = new ClientFactory(
    ClientFactoryOptions.createFrom(ClientFactoryOptions.default, {
      transports: [new JsonRpcTransportFactory({ fetchImpl })],
      cardResolver: new DefaultAgentCardResolver({ fetchImpl }),
      preferredTransports: ['JSONRPC'],
    }),
  );
  const client = await factory.createFromUrl(cardUrl, '');
  return timed(r, async (text) => {
    const message: Message = {
      messageId: randomUUID(),
      contextId: '',
      taskId: '',
      role: Role.ROLE_USER,
      metadata: undefined,
      extensions: [],
      referenceTaskIds: [],
      parts: [{ content: { $case: 'text', value: text }, metadata: undefined, filename: '', mediaType: 'text/plain' }],
    };
    const task = (await client.sendMessage({ tenant: '', message, configuration: undefined, metadata: undefined })) as Task;
    if (task.status?.state !== TaskState.TASK_STATE_COMPLETED)
      throw new Error(`the A2A task ended ${String(task.status?.state)}, not completed`);
    return textOf(task);
  });
}

/** MCP `tools/call` of `tool` (an agent's directory service) over streamable HTTP: one FIPA request. */
export async function mcpRoundTrips(url: string, token: string, tool: string, r: RoundTrips): Promise<number[]> {
  const client = new Client({ name: 'caxton-bench', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { authorization: `Bearer ${token}` } } }));
  try {
    // The agent registers its service in its init, a moment after the deploy returns.
    for (let i = 0; !(await client.listTools()).tools.some((t) => t.name === tool); i++) {
      if (i >= 100) throw new Error(`the MCP endpoint lists no tool ${tool} after 10 s`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return await timed(r, async (text) => {
      const result = await client.callTool({ name: tool, arguments: { content: text } });
      if (result.isError) throw new Error(`the tool call failed: ${JSON.stringify(result.content).slice(0, 300)}`);
      const content = result.content as { type: string; text?: string }[];
      return content.map((c) => c.text ?? '').join('');
    });
  } finally {
    await client.close();
  }
}

/**
 * The gRPC path beside them, as `caxton send --wait` walks it: a tail on a fresh conversation,
 * ready (the node subscribed) before the SendMessage, then the agent's inform on the tail — the
 * same steps the A2A and MCP endpoints take inside the node for each call.
 */
export async function grpcRoundTrips(address: string, token: string, agent: string, r: RoundTrips): Promise<number[]> {
  const client = await CaxtonClient.connect({ address, token });
  try {
    return await timed(r, async (text) => {
      const conversationId = `bench-${randomUUID()}`;
      let answered: (content: string) => void = () => undefined;
      const answer = new Promise<string>((resolve) => (answered = resolve));
      const tail = client.tail({ conversationId }, (e) => {
        if (e.message.performative === 'inform' && e.message.sender?.name.startsWith(`${agent}@`)) answered(e.message.content ?? '');
      });
      try {
        await tail.ready;
        const sent = await client.send({
          structured: { performative: 'request', receivers: [{ name: agent }], content: text, conversationId, protocol: 'fipa-request' },
        });
        if (sent.accepted.length !== 1) throw new Error(`the node did not accept the request: ${JSON.stringify(sent.refused)}`);
        return await answer;
      } finally {
        tail.cancel();
      }
    });
  } finally {
    client.close();
  }
}
