/**
 * Which console route a request names (pure). Every API route carries the gRPC method whose access
 * rule it follows (api/access.ts), so the console and the gRPC API share one definition of who may
 * do what: reading is `ListAgents`-like, deploying is `DeployAgent`.
 */
import { AGENT_NAME } from '@caxton/core';
import { ConsoleError } from './errors.js';

export type ApiRoute =
  | { name: 'whoami' }
  | { name: 'agents' }
  | { name: 'agent'; agent: string }
  | { name: 'agent-logs'; agent: string }
  | { name: 'agent-replay'; agent: string }
  | { name: 'deploy' }
  | { name: 'upgrade'; agent: string }
  | { name: 'stop'; agent: string }
  | { name: 'messages' }
  | { name: 'send' }
  | { name: 'stream' }
  | { name: 'nodes' }
  /** What conversations cost (decision 2184): the largest, or `conversation`'s alone. */
  | { name: 'conversation-costs'; conversation?: string };

export type Route = { api: ApiRoute; method: string } | { static: string };

/** The gRPC method each route is authorised as. */
export const ROUTE_METHOD: Readonly<Record<ApiRoute['name'], string>> = {
  whoami: 'NodeStatus',
  agents: 'ListAgents',
  agent: 'GetAgent',
  'agent-logs': 'StreamLogs',
  // The steps show the agent's state before and after: its state's reader (and, server.ts, the tail's).
  'agent-replay': 'GetState',
  deploy: 'DeployAgent',
  upgrade: 'UpgradeAgent',
  stop: 'StopAgent',
  messages: 'TailMessages',
  send: 'SendMessage',
  stream: 'TailMessages',
  nodes: 'NodeStatus',
  'conversation-costs': 'GetConversationCosts',
};

const POST_ROUTES: ReadonlySet<ApiRoute['name']> = new Set(['deploy', 'upgrade', 'stop', 'send']);

/** A path segment as given when it is not valid percent-encoding (it then names nothing that exists). */
function decoded(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

function agentName(segment: string): string {
  let name: string;
  try {
    name = decodeURIComponent(segment);
  } catch {
    name = segment;
  }
  if (!AGENT_NAME.test(name))
    throw new ConsoleError(
      'console.bad-request',
      `${JSON.stringify(name.slice(0, 80))} is not an agent name`,
      'agent names are what `caxton agents` lists',
    );
  return name;
}

function apiRoute(parts: string[]): ApiRoute | undefined {
  const [a, b, c, d] = parts;
  if (d !== undefined) return undefined;
  if (a === 'whoami' && b === undefined) return { name: 'whoami' };
  if (a === 'messages' && b === undefined) return { name: 'messages' };
  if (a === 'stream' && b === undefined) return { name: 'stream' };
  if (a === 'nodes' && b === undefined) return { name: 'nodes' };
  if (a === 'conversations' && b === 'costs')
    return c === undefined ? { name: 'conversation-costs' } : { name: 'conversation-costs', conversation: decoded(c) };
  if (a !== 'agents') return undefined;
  if (b === undefined) return { name: 'agents' };
  if (c === undefined) return { name: 'agent', agent: agentName(b) };
  if (c === 'logs') return { name: 'agent-logs', agent: agentName(b) };
  if (c === 'replay') return { name: 'agent-replay', agent: agentName(b) };
  if (c === 'upgrade') return { name: 'upgrade', agent: agentName(b) };
  if (c === 'stop') return { name: 'stop', agent: agentName(b) };
  return undefined;
}

/** `method` and the URL's pathname (not decoded) → the route, or a typed refusal. */
export function route(method: string, pathname: string): Route {
  if (pathname === '/api' || pathname.startsWith('/api/')) {
    const parts = pathname
      .slice('/api/'.length)
      .split('/')
      .filter((p, i, all) => p !== '' || i < all.length - 1);
    const found = apiRoute(parts);
    if (!found)
      throw new ConsoleError('console.no-route', `no console API at ${pathname.slice(0, 200)}`, 'see docs/console.md for the routes');
    // `POST /api/agents` deploys, `GET` lists; `POST /api/messages` sends, `GET` pages back through
    // history: same path, the method decides.
    const api =
      method === 'POST' && found.name === 'agents'
        ? { name: 'deploy' as const }
        : method === 'POST' && found.name === 'messages'
          ? { name: 'send' as const }
          : found;
    const wants = POST_ROUTES.has(api.name) ? 'POST' : 'GET';
    if (method !== wants && !(wants === 'GET' && method === 'HEAD')) {
      throw new ConsoleError('console.method-not-allowed', `${method} is not allowed on ${pathname.slice(0, 200)}`, `use ${wants}`);
    }
    return { api, method: ROUTE_METHOD[api.name] };
  }
  if (method !== 'GET' && method !== 'HEAD')
    throw new ConsoleError(
      'console.method-not-allowed',
      `${method} is not allowed on ${pathname.slice(0, 200)}`,
      'the console page is read with GET',
    );
  return { static: pathname };
}
