/**
 * An agent's outbound A2A call (the WIT `caxton:agent/a2a` interface, decision 2193), pure: the
 * call as the agent made it, and the one HTTP request of A2A's JSON-RPC binding it becomes — 1.0's
 * `SendMessage`, `SendStreamingMessage`, `GetTask`, `CancelTask` (header `A2A-Version: 1.0`) or
 * 0.3's `message/send`, `message/stream`, `tasks/get`, `tasks/cancel`. The request then goes the
 * way of any `http.fetch` (the allow-list, the quotas, the pending record, the gateway); its
 * `a2a` form tells the gateway to read the answer (a2a-answer.ts) before the agent gets it.
 */
import type { HttpRequestSpec } from './http.js';

export const A2A_OPERATIONS = ['send', 'stream', 'get-task', 'cancel-task'] as const;
export type A2aOperation = (typeof A2A_OPERATIONS)[number];

/** The WIT `protocol-version` cases: A2A 1.0 and 0.3. */
export const A2A_VERSIONS = ['v1', 'v03'] as const;
export type A2aVersion = (typeof A2A_VERSIONS)[number];

/** The WIT `call` record, as both binding paths hand it over. */
export interface A2aCallSpec {
  operation: A2aOperation;
  url: string;
  version: A2aVersion;
  /** send, stream: the message's one text part; get-task, cancel-task: the task's id. */
  subject: string;
  contextId?: string | undefined;
  headers: [string, string][];
  timeoutMs?: number | undefined;
  context?: string | undefined;
}

/** JSON-RPC method names by operation: [1.0, 0.3]. */
const METHODS: Readonly<Record<A2aOperation, readonly [string, string]>> = {
  send: ['SendMessage', 'message/send'],
  stream: ['SendStreamingMessage', 'message/stream'],
  'get-task': ['GetTask', 'tasks/get'],
  'cancel-task': ['CancelTask', 'tasks/cancel'],
};

/**
 * The HTTP request of `call`. `id` is the call's own id (the answer's in-reply-to): it is the
 * JSON-RPC id and the sent message's `messageId`, so a replayed handling builds the same bytes.
 * The agent's headers come after the ones the binding needs; the request is checked afterwards as
 * any `fetch` is (allow-list, header names and values, size).
 */
export function a2aHttpRequest(call: A2aCallSpec, id: string): HttpRequestSpec {
  const v1 = call.version === 'v1';
  const stream = call.operation === 'stream';
  const headers: [string, string][] = [
    ['content-type', 'application/json'],
    ['accept', stream ? 'text/event-stream' : 'application/json'],
  ];
  if (v1) headers.push(['a2a-version', '1.0']);
  for (const [name, value] of call.headers) headers.push([name, value]);
  const methods = METHODS[call.operation];
  const body = JSON.stringify({ jsonrpc: '2.0', id, method: v1 ? methods[0] : methods[1], params: paramsOf(call, id, v1) });
  const request: HttpRequestSpec = { method: 'POST', url: call.url, headers, body, a2a: stream ? 'a2a-stream' : 'a2a' };
  if (call.timeoutMs !== undefined) request.timeoutMs = call.timeoutMs;
  if (call.context !== undefined) request.context = call.context;
  return request;
}

function paramsOf(call: A2aCallSpec, id: string, v1: boolean): Record<string, unknown> {
  if (call.operation === 'get-task' || call.operation === 'cancel-task') return { id: call.subject };
  const message: Record<string, unknown> = v1
    ? { messageId: id, role: 'ROLE_USER', parts: [{ text: call.subject }] }
    : { kind: 'message', messageId: id, role: 'user', parts: [{ kind: 'text', text: call.subject }] };
  if (call.contextId !== undefined) message.contextId = call.contextId;
  return v1 ? { message, configuration: { returnImmediately: false } } : { message, configuration: { blocking: true } };
}
