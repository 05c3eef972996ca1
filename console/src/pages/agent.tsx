/** One agent: its numbers, recent logs, config (redacted without config.read), conversations; stop and upgrade for those who may. */
import { useEffect, useState } from 'preact/hooks';
import type { AgentDetailResponse, AgentLogLine, AgentRow, Permission } from '@caxton/core';
import { ApiError, type Api } from '../api.js';
import { formatBytes } from '../model/table.js';
import { DeployForm } from '../components/deploy.js';

export function AgentPage(props: { api: Api; permissions: readonly Permission[]; name: string; row: AgentRow | undefined }) {
  const [detail, setDetail] = useState<AgentDetailResponse | null>(null);
  const [logs, setLogs] = useState<AgentLogLine[]>([]);
  const [error, setError] = useState<string | undefined>();
  const [stopOutcome, setStopOutcome] = useState<{ ok: boolean; text: string } | null>(null);
  const [stopping, setStopping] = useState(false);
  // What the stop call answered: a stopped agent leaves the node, so neither the live table nor
  // the detail route has it any more, yet the reader should see that it is now stopped.
  const [stoppedRow, setStoppedRow] = useState<AgentRow | null>(null);

  const load = (): void => {
    props.api
      .agent(props.name)
      .then(setDetail)
      .catch((e: unknown) => {
        setError(
          e instanceof ApiError && e.status === 404 ? `${props.name} is not deployed on this node (any more).` : (e as Error).message,
        );
      });
    props.api
      .logs(props.name, 100)
      .then((r) => setLogs(r.lines))
      .catch(() => undefined);
  };
  useEffect(load, [props.name]);
  // The live row (stream, every 2 s) is fresher than the detail fetched once; it wins.
  const row: AgentRow | undefined = stoppedRow ?? props.row ?? detail?.agent;

  const stop = async (): Promise<void> => {
    setStopping(true);
    try {
      const r = await props.api.stop(props.name);
      setStoppedRow(r.agent);
      setStopOutcome({ ok: true, text: `${r.agent.name} is ${r.agent.state}` });
    } catch (e) {
      setStopOutcome({ ok: false, text: e instanceof ApiError ? `${e.message} (${e.code})` : String(e) });
    } finally {
      setStopping(false);
    }
  };

  return (
    <section aria-labelledby="agent-title">
      <p>
        <a href="#/agents">← Agents</a>
      </p>
      <h1 id="agent-title">{props.name}</h1>
      {error && !stoppedRow && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {row && (
        <dl class="facts" data-testid="agent-facts">
          <dt>State</dt>
          <dd data-testid="agent-state">
            <span class={`state state-${row.state.toLowerCase()}`}>{row.state}</span>
          </dd>
          <dt>Language</dt>
          <dd>{row.language}</dd>
          <dt>Node</dt>
          <dd>{row.node}</dd>
          <dt>Version</dt>
          <dd>{row.version}</dd>
          <dt>Signer</dt>
          <dd>{row.signer ?? '—'}</dd>
          <dt>Handled</dt>
          <dd>{row.handled.toLocaleString('en')}</dd>
          <dt>Fuel / message</dt>
          <dd>{Math.round(row.fuelPerMessage).toLocaleString('en')}</dd>
          <dt>Memory</dt>
          <dd>{formatBytes(row.memoryBytes)}</dd>
          <dt>Mailbox</dt>
          <dd>{row.mailboxDepth}</dd>
          <dt>Breaker</dt>
          <dd data-testid="agent-breaker">
            {row.breaker ? `${row.breaker}: new sends are refused until a probe message is handled` : 'closed'}
          </dd>
          <dt>Restarts</dt>
          <dd>{row.restarts}</dd>
          {row.rollout ? (
            <>
              <dt>Rollout</dt>
              <dd data-testid="agent-rollout">{row.rollout}</dd>
            </>
          ) : null}
        </dl>
      )}
      {(props.permissions.includes('agents.stop') || props.permissions.includes('agents.deploy')) && (
        <div class="admin-actions" data-testid="admin-actions">
          {props.permissions.includes('agents.stop') && (
            <button
              type="button"
              class="danger"
              onClick={() => void stop()}
              disabled={stopping || row?.state.toLowerCase() === 'stopped'}
              data-testid="stop"
            >
              {stopping ? 'Stopping…' : `Stop ${props.name}`}
            </button>
          )}
          {stopOutcome && (
            <p class={stopOutcome.ok ? 'ok' : 'error'} role={stopOutcome.ok ? 'status' : 'alert'}>
              {stopOutcome.text}
            </p>
          )}
          {props.permissions.includes('agents.deploy') && <DeployForm api={props.api} upgradeOf={props.name} />}
        </div>
      )}
      <h2>Config</h2>
      {detail && Object.keys(detail.agent.config).length > 0 ? (
        <table class="config" data-testid="agent-config">
          <thead>
            <tr>
              <th scope="col">Key</th>
              <th scope="col">Value</th>
            </tr>
          </thead>
          <tbody>
            {Object.entries(detail.agent.config).map(([k, v]) => (
              <tr key={k}>
                <td>{k}</td>
                <td>
                  <code>{v}</code>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <p class="muted">No config.</p>
      )}
      {detail?.agent.protocols && detail.agent.protocols.length > 0 && <p>Protocols: {detail.agent.protocols.join(', ')}</p>}
      <h2>Conversations</h2>
      {detail && detail.conversations.length > 0 ? (
        <table class="conversations">
          <thead>
            <tr>
              <th scope="col">Conversation</th>
              <th scope="col">Protocol</th>
              <th scope="col">State</th>
              <th scope="col">Participants</th>
              <th scope="col" class="num">
                Messages
              </th>
              <th scope="col">Last</th>
            </tr>
          </thead>
          <tbody>
            {detail.conversations.map((c) => (
              <tr key={c.conversationId}>
                <td>
                  <code>{c.conversationId}</code>
                </td>
                <td>{c.protocol ?? '—'}</td>
                <td>{c.protocolState ?? '—'}</td>
                <td>{c.participants.map((p) => p.split('@')[0]).join(', ')}</td>
                <td class="num">{c.messages}</td>
                <td>
                  {c.lastPerformative} at {c.lastAt.slice(11, 19)}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <p class="muted">No conversations seen yet.</p>
      )}
      <h2>Recent logs</h2>
      {logs.length > 0 ? (
        <pre class="logs" tabIndex={0} data-testid="agent-logs">
          {logs.map((l) => `${l.time.slice(11, 23)} ${l.level.padEnd(5)} ${l.message}`).join('\n')}
        </pre>
      ) : (
        <p class="muted">No log lines.</p>
      )}
    </section>
  );
}
