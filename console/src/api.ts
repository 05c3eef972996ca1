/**
 * The console's HTTP client: every call carries the session's token as a Bearer header (never in
 * the URL, never a cookie) and every refusal becomes an ApiError with the server's code and hint.
 */
import { costsQuery, type ConversationSort } from './model/costs.js';
import type {
  ConversationCostsView,
  AgentDetailResponse,
  AgentLogsResponse,
  AgentResponse,
  AgentsResponse,
  ConsoleErrorBody,
  ConsoleMessageFilter,
  MessagesResponse,
  NodesResponse,
  ReplayResponse,
  WhoAmI,
} from '@caxton/core';
import { CONSOLE_FILTER_PARAMS } from '@caxton/core';

const TOKEN_KEY = 'caxton.token';

export function savedToken(): string | null {
  return sessionStorage.getItem(TOKEN_KEY);
}
export function saveToken(token: string): void {
  sessionStorage.setItem(TOKEN_KEY, token);
}
export function forgetToken(): void {
  sessionStorage.removeItem(TOKEN_KEY);
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly hint?: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

async function errorOf(res: Response): Promise<ApiError> {
  const body = (await res.json().catch(() => null)) as ConsoleErrorBody | null;
  const e = body?.error;
  return new ApiError(res.status, e?.code ?? `http.${res.status}`, e?.message ?? `${res.status} ${res.statusText}`, e?.hint);
}

export function filterQuery(filter: ConsoleMessageFilter, extra: Record<string, string | undefined> = {}): string {
  const q = new URLSearchParams();
  for (const k of CONSOLE_FILTER_PARAMS) {
    const v = filter[k];
    if (v) q.set(k, v);
  }
  for (const [k, v] of Object.entries(extra)) if (v !== undefined) q.set(k, v);
  const s = q.toString();
  return s ? `?${s}` : '';
}

export class Api {
  constructor(private readonly token: string) {}

  headers(): Record<string, string> {
    return { authorization: `Bearer ${this.token}` };
  }

  private async call<T>(path: string, init: RequestInit = {}): Promise<T> {
    const res = await fetch(path, { ...init, headers: { ...this.headers(), ...(init.headers as Record<string, string> | undefined) } });
    if (!res.ok) throw await errorOf(res);
    return (await res.json()) as T;
  }

  whoami(): Promise<WhoAmI> {
    return this.call('/api/whoami');
  }
  agents(): Promise<AgentsResponse> {
    return this.call('/api/agents');
  }
  agent(name: string): Promise<AgentDetailResponse> {
    return this.call(`/api/agents/${encodeURIComponent(name)}`);
  }
  logs(name: string, limit = 100): Promise<AgentLogsResponse> {
    return this.call(`/api/agents/${encodeURIComponent(name)}/logs?limit=${limit}`);
  }
  nodes(): Promise<NodesResponse> {
    return this.call('/api/nodes');
  }
  /** What conversations cost (decision 2184): the node's `limit` largest by `sort`. */
  conversationCosts(sort: ConversationSort, limit: number): Promise<ConversationCostsView> {
    return this.call(`/api/conversations/costs?${costsQuery(sort, limit)}`);
  }
  messages(filter: ConsoleMessageFilter, before?: string, limit = 200): Promise<MessagesResponse> {
    return this.call(`/api/messages${filterQuery(filter, { before, limit: String(limit) })}`);
  }
  /** The conversation's handlings of `agent`, replayed on the node as steps (issue 57). */
  replay(agent: string, conversation: string): Promise<ReplayResponse> {
    return this.call(`/api/agents/${encodeURIComponent(agent)}/replay?${new URLSearchParams({ conversation }).toString()}`);
  }
  stop(name: string): Promise<AgentResponse> {
    return this.call(`/api/agents/${encodeURIComponent(name)}/stop`, { method: 'POST' });
  }
  deploy(component: ArrayBuffer, name: string, version: string, config: string[], language = ''): Promise<AgentResponse> {
    const q = new URLSearchParams({ name });
    if (version) q.set('version', version);
    if (language) q.set('language', language);
    for (const kv of config) q.append('config', kv);
    return this.call(`/api/agents?${q}`, { method: 'POST', body: component, headers: { 'content-type': 'application/wasm' } });
  }
  upgrade(name: string, component: ArrayBuffer, config: string[], language = ''): Promise<AgentResponse> {
    const q = new URLSearchParams();
    if (language) q.set('language', language);
    for (const kv of config) q.append('config', kv);
    const s = q.toString();
    return this.call(`/api/agents/${encodeURIComponent(name)}/upgrade${s ? `?${s}` : ''}`, {
      method: 'POST',
      body: component,
      headers: { 'content-type': 'application/wasm' },
    });
  }
}
