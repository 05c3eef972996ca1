/** Hash routes (#/agents, #/agents/<name>, #/sniffer, #/nodes, #/costs): the server serves one page for all. */
export type Route = { page: 'agents' } | { page: 'agent'; name: string } | { page: 'sniffer' } | { page: 'nodes' } | { page: 'costs' };

export function parseRoute(hash: string): Route {
  const parts = hash
    .replace(/^#\/?/, '')
    .split('/')
    .filter((p) => p.length > 0)
    .map(decodeURIComponent);
  if (parts[0] === 'agents' && parts[1]) return { page: 'agent', name: parts[1] };
  if (parts[0] === 'sniffer') return { page: 'sniffer' };
  if (parts[0] === 'nodes') return { page: 'nodes' };
  if (parts[0] === 'costs') return { page: 'costs' };
  return { page: 'agents' };
}

export function hrefOf(route: Route): string {
  return route.page === 'agent' ? `#/agents/${encodeURIComponent(route.name)}` : `#/${route.page}`;
}
