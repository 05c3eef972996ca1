/**
 * The message an agent gets back for an outbound call (decision 1601), pure. `inform` for any HTTP
 * status: the body as content (text when it is UTF-8, else base64 with `encoding: base64`), the
 * status, the request's context and the response headers as user parameters. `failure` with
 * `X-caxton-failure: <kind>` when there was no response. Both reply to the call id (in-reply-to)
 * in the conversation the agent was handling when it called.
 */
import { a2aAnswerParams, type A2aAnswer, type AclMessage, type AgentId, type HttpFailureKind } from '@caxton/core';

export const STATUS_PARAM = 'X-caxton-http-status';
export const CONTEXT_PARAM = 'X-caxton-http-context';
export const HEADER_PARAM_PREFIX = 'X-caxton-http-header-';
export const FAILURE_PARAM = 'X-caxton-failure';

/**
 * Bounds on what response headers become: a message has at most 64 user parameters and 8 KiB per
 * value (core ACL limits); the status, the context and a trace context need room too.
 */
export const MAX_HEADER_PARAMS = 48;
export const MAX_HEADER_VALUE_BYTES = 2048;
export const MAX_HEADER_PARAM_BYTES = 16 * 1024;

export interface AnswerAddressing {
  from: AgentId;
  to: AgentId;
  callId: string;
  conversationId?: string;
  context?: string;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

export function responseAnswer(a: AnswerAddressing, status: number, headers: readonly [string, string][], body: Buffer): AclMessage {
  const params: Record<string, string> = { [STATUS_PARAM]: String(status) };
  if (a.context !== undefined) params[CONTEXT_PARAM] = a.context;
  Object.assign(params, headerParams(headers));
  const msg = base(a, 'inform', params);
  try {
    msg.content = utf8.decode(body);
  } catch {
    msg.content = body.toString('base64');
    msg.encoding = 'base64';
  }
  return msg;
}

export function failureAnswer(a: AnswerAddressing, kind: HttpFailureKind, reason: string): AclMessage {
  const params: Record<string, string> = { [FAILURE_PARAM]: kind };
  if (a.context !== undefined) params[CONTEXT_PARAM] = a.context;
  const msg = base(a, 'failure', params);
  msg.content = reason;
  return msg;
}

/**
 * The answer to an A2A call (decision 2193), read by the host: `inform` with the result's text and
 * its fields as `X-caxton-a2a-*` parameters, or `failure` with the reason and the failure's kind;
 * the HTTP status and `X-caxton-failure` as for any call. Response headers are left out: the agent
 * asked an A2A agent, not for its HTTP.
 */
export function a2aAnswerMessage(a: AnswerAddressing, answer: A2aAnswer, status: number | undefined): AclMessage {
  const params: Record<string, string> = a2aAnswerParams(answer);
  if (status !== undefined) params[STATUS_PARAM] = String(status);
  if (!answer.ok && answer.failure.failure !== undefined) params[FAILURE_PARAM] = answer.failure.failure;
  if (a.context !== undefined) params[CONTEXT_PARAM] = a.context;
  const msg = base(a, answer.ok ? 'inform' : 'failure', params);
  msg.content = answer.ok ? answer.result.text : answer.failure.reason;
  return msg;
}

/**
 * `X-caxton-http-header-<name>`: repeated headers joined with `, ` (RFC 9110 5.3); past the bounds
 * the rest is left out and `X-caxton-http-headers-truncated: true` says so.
 */
export function headerParams(headers: readonly [string, string][]): Record<string, string> {
  const joined = new Map<string, string>();
  for (const [name, value] of headers) {
    const prev = joined.get(name);
    joined.set(name, prev === undefined ? value : `${prev}, ${value}`);
  }
  const out: Record<string, string> = {};
  let count = 0;
  let bytes = 0;
  let truncated = false;
  for (const [name, value] of joined) {
    const v = clipBytes(value, MAX_HEADER_VALUE_BYTES);
    const size = Buffer.byteLength(name) + Buffer.byteLength(v);
    if (count >= MAX_HEADER_PARAMS || bytes + size > MAX_HEADER_PARAM_BYTES || v !== value) truncated = true;
    if (count >= MAX_HEADER_PARAMS || bytes + size > MAX_HEADER_PARAM_BYTES) continue;
    out[`${HEADER_PARAM_PREFIX}${name}`] = v;
    count += 1;
    bytes += size;
  }
  if (truncated) out['X-caxton-http-headers-truncated'] = 'true';
  return out;
}

function base(a: AnswerAddressing, performative: 'inform' | 'failure', params: Record<string, string>): AclMessage {
  const msg: AclMessage = { performative, sender: a.from, receivers: [a.to], inReplyTo: a.callId, userParams: params };
  if (a.conversationId !== undefined) msg.conversationId = a.conversationId;
  return msg;
}

function clipBytes(s: string, max: number): string {
  if (Buffer.byteLength(s) <= max) return s;
  let out = s.slice(0, max);
  while (Buffer.byteLength(out) > max) out = out.slice(0, -1);
  return out;
}
