/** Nodes of the cluster: their agents, log size, and throughput and latency over the last minute. */
import { useEffect, useState } from 'preact/hooks';
import type { AgentRow, NodeStats } from '@caxton/core';
import type { Api } from '../api.js';
import { formatBytes } from '../model/table.js';
import { Sparkline } from '../components/sparkline.js';

export function NodesPage(props: { api: Api; agents: AgentRow[]; live: Map<string, NodeStats> }) {
  const [fetched, setFetched] = useState<NodeStats[]>([]);
  const [error, setError] = useState<string | undefined>();
  useEffect(() => {
    props.api
      .nodes()
      .then((r) => setFetched(r.nodes))
      .catch((e: unknown) => setError((e as Error).message));
  }, []);
  // Stream updates (every 2 s) replace what the first fetch said.
  const byId = new Map(fetched.map((n) => [n.id, n]));
  for (const [id, n] of props.live) byId.set(id, n);
  const nodes = [...byId.values()].sort((a, b) => a.id.localeCompare(b.id));
  return (
    <section aria-labelledby="nodes-title">
      <h1 id="nodes-title">Nodes</h1>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <div class="nodes">
        {nodes.map((n) => {
          const agents = props.agents.filter((a) => a.node === n.id);
          return (
            <article key={n.id} class="node" aria-label={`Node ${n.id}`} data-testid="node" tabIndex={0}>
              <h2>{n.id}</h2>
              <p data-testid="node-summary">
                {n.agents} agents · log {formatBytes(n.logBytes)}
              </p>
              <Sparkline values={n.throughput} label="Throughput" unit="msg/s" />
              <Sparkline values={n.latencyP50Ms} label="Latency p50" unit="ms" />
              {agents.length > 0 && (
                <ul class="node-agents">
                  {agents.map((a) => (
                    <li key={a.name}>
                      <a href={`#/agents/${encodeURIComponent(a.name)}`}>{a.name}</a> <span class="muted">{a.state}</span>
                    </li>
                  ))}
                </ul>
              )}
            </article>
          );
        })}
        {nodes.length === 0 && !error && <p class="muted">Waiting for the node's numbers…</p>}
      </div>
    </section>
  );
}
