// Types for '@caxton/sdk-js/a2a': calling A2A agents through the host (decision 2193).
import type { AclMessage } from './index.js';

export type A2aErrorKind = 'refused' | 'no-response' | 'http-status' | 'rpc-error' | 'malformed';
export class A2aError extends Error {
  readonly kind: A2aErrorKind;
  readonly reason: string;
  /** The HTTP status (`http-status`). */
  readonly status: number | null;
  /** The JSON-RPC error code (`rpc-error`). */
  readonly code: number | null;
  /** Why there was no response (`no-response`): timeout, connect-failed… */
  readonly failure: string | null;
}

export interface A2aSend {
  /** The agent's JSON-RPC endpoint (its card's JSONRPC interface); its host must be allow-listed. */
  url: string;
  /** The message's one text part. */
  text: string;
  /** Sent as `Authorization: Bearer <token>`. */
  token?: string | null;
  /** '1.0' (default: `SendMessage`, `A2A-Version: 1.0`) or '0.3' (`message/send`). */
  version?: '1.0' | '0.3';
  contextId?: string | null;
  /** Added to the request (e.g. an API key header); checked as an HTTP call's. */
  headers?: [string, string][] | Record<string, string>;
  timeoutMs?: number | null;
  /** Echoed back with the answer (e.g. whom to answer). */
  context?: string | null;
}

/** TaskState in lower case with dashes: submitted, working, input-required, completed, canceled, failed, rejected, auth-required. */
export type A2aTaskState = string;
export type A2aResult =
  | { kind: 'task'; taskId: string; contextId: string | null; state: A2aTaskState; final: boolean; text: string; /** a2a.stream only: each state passed through, in order. */ states?: A2aTaskState[] }
  | { kind: 'message'; messageId: string | null; contextId: string | null; state: null; final: true; text: string; states?: A2aTaskState[] };

export interface A2aTaskCall {
  /** The agent's JSON-RPC endpoint; its host must be allow-listed. */
  url: string;
  taskId: string;
  token?: string | null;
  version?: '1.0' | '0.3';
  headers?: [string, string][] | Record<string, string>;
  timeoutMs?: number | null;
  context?: string | null;
}

export type A2aResponse =
  | { requestId: string; context: string; ok: true; result: A2aResult }
  | { requestId: string; context: string; ok: false; error: A2aError };

export const a2a: {
  /** Returns the call's id (the answer's inReplyTo); throws A2aError `refused` when the call cannot leave. */
  send(call: A2aSend): string;
  /** `message/stream`, read whole: the result carries `states`. */
  stream(call: A2aSend): string;
  /** `tasks/get`. */
  get(call: A2aTaskCall): string;
  /** `tasks/cancel`. */
  cancel(call: A2aTaskCall): string;
};
export function a2aResponse(msg: AclMessage): A2aResponse | null;
