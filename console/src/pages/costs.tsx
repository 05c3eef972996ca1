/**
 * What conversations and agents cost (decision 2184): the node's conversations sorted by any
 * figure (the node sorts; it keeps up to 10,000), each one's agents on a click, the sums they add up
 * to, and each agent's costs from the live stream. Refreshed every 2 s.
 */
import { useEffect, useState } from 'preact/hooks';
import {
  visibleId,
  type AgentRow,
  type ConversationCosts,
  type ConversationCostsView,
  type HandlingCostKey,
  type HandlingCosts,
} from '@caxton/core';
import type { Api } from '../api.js';
import { COST_COLUMNS, agentsByCost, formatCost, type ConversationSort } from '../model/costs.js';
import { hrefOf } from '../route.js';

const REFRESH_MS = 2_000;
const LIMITS = [20, 50, 200, 1000];

function Figures(props: { costs: HandlingCosts }) {
  return (
    <>
      {COST_COLUMNS.map((c) => (
        <td key={c.key} class={`num col-${c.key}`}>
          {formatCost(c.key, props.costs[c.key])}
        </td>
      ))}
    </>
  );
}

function SortHeaders(props: { sort: string; onSort: (key: HandlingCostKey) => void; what: string }) {
  return (
    <>
      {COST_COLUMNS.map((c) => (
        <th key={c.key} scope="col" class="num" aria-sort={props.sort === c.key ? 'descending' : 'none'}>
          <button type="button" class="sort" onClick={() => props.onSort(c.key)} aria-label={`Sort ${props.what} by ${c.label}`}>
            {c.label}
            {props.sort === c.key ? ' ▼' : ''}
          </button>
        </th>
      ))}
    </>
  );
}

function ConversationRows(props: { c: ConversationCosts; open: boolean; onToggle: () => void }) {
  const c = props.c;
  return (
    <>
      <tr
        data-conversation={c.conversationId}
        tabIndex={0}
        aria-expanded={props.open}
        onClick={props.onToggle}
        onKeyDown={(e) => {
          if (e.key === 'Enter') props.onToggle();
        }}
      >
        <td class="conversation-id" title={visibleId(c.conversationId)}>
          {visibleId(c.conversationId)}
        </td>
        <Figures costs={c} />
        <td class="agents-list">{c.agents.map((a) => a.agent).join(', ') + (c.otherAgents ? ', …' : '')}</td>
        <td class="muted">{new Date(c.lastAt).toLocaleTimeString()}</td>
      </tr>
      {props.open &&
        [...c.agents, ...(c.otherAgents ? [{ agent: '(other agents)', ...c.otherAgents }] : [])].map((a) => (
          <tr key={`${c.conversationId}/${a.agent}`} class="share" data-share={a.agent}>
            <td class="muted">↳ {a.agent}</td>
            <Figures costs={a} />
            <td colSpan={2} />
          </tr>
        ))}
    </>
  );
}

export function CostsPage(props: { api: Api; agents: AgentRow[] }) {
  const [sort, setSort] = useState<ConversationSort>('fuel');
  const [limit, setLimit] = useState(50);
  const [view, setView] = useState<ConversationCostsView | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [open, setOpen] = useState<string | undefined>();
  const [agentSort, setAgentSort] = useState<HandlingCostKey>('fuel');
  useEffect(() => {
    let stopped = false;
    const load = (): void => {
      props.api
        .conversationCosts(sort, limit)
        .then((v) => {
          if (stopped) return;
          setView(v);
          setError(undefined);
        })
        .catch((e: unknown) => !stopped && setError((e as Error).message));
    };
    load();
    const timer = setInterval(load, REFRESH_MS);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, [sort, limit]);
  const agents = agentsByCost(props.agents, agentSort);
  return (
    <section aria-labelledby="costs-title">
      <h1 id="costs-title">Costs</h1>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <h2 id="conversations-title">Conversations</h2>
      <div class="toolbar">
        <label for="costs-limit">Show</label>
        <select id="costs-limit" value={String(limit)} onChange={(e) => setLimit(Number((e.target as HTMLSelectElement).value))}>
          {LIMITS.map((n) => (
            <option key={n} value={String(n)}>
              {n}
            </option>
          ))}
        </select>
        <button type="button" onClick={() => setSort('recent')} aria-pressed={sort === 'recent'}>
          Most recent
        </button>
        <span class="muted" aria-live="polite" data-testid="costs-summary">
          {view ? `${view.conversations.length} of ${view.conversationCount} conversations · refreshed every 2 s` : 'Loading…'}
        </span>
      </div>
      <table class="costs" data-testid="conversation-costs" aria-labelledby="conversations-title">
        <thead>
          <tr>
            <th scope="col">Conversation</th>
            <SortHeaders sort={sort} onSort={setSort} what="conversations" />
            <th scope="col">Agents</th>
            <th scope="col">Last handled</th>
          </tr>
        </thead>
        <tbody>
          {view?.conversations.map((c) => (
            <ConversationRows
              key={c.conversationId}
              c={c}
              open={open === c.conversationId}
              onToggle={() => setOpen(open === c.conversationId ? undefined : c.conversationId)}
            />
          ))}
          {view && view.conversations.length === 0 && (
            <tr>
              <td colSpan={COST_COLUMNS.length + 3} class="muted">
                No conversation handled yet.
              </td>
            </tr>
          )}
        </tbody>
        {view && (
          <tfoot>
            {view.evicted.conversations > 0 && (
              <tr>
                <th scope="row">{view.evicted.conversations.toLocaleString('en')} evicted</th>
                <Figures costs={view.evicted} />
                <td colSpan={2} />
              </tr>
            )}
            <tr>
              <th scope="row">No conversation</th>
              <Figures costs={view.noConversation} />
              <td colSpan={2} />
            </tr>
            <tr data-testid="costs-total">
              <th scope="row">Node total</th>
              <Figures costs={view.totals} />
              <td colSpan={2} />
            </tr>
          </tfoot>
        )}
      </table>
      <h2 id="agent-costs-title">By agent</h2>
      <table class="costs" data-testid="agent-costs" aria-labelledby="agent-costs-title">
        <thead>
          <tr>
            <th scope="col">Agent</th>
            <SortHeaders sort={agentSort} onSort={setAgentSort} what="agents" />
          </tr>
        </thead>
        <tbody>
          {agents.map((a) => (
            <tr key={a.name} data-agent={a.name}>
              <td>
                <a href={hrefOf({ page: 'agent', name: a.name })}>{a.name}</a>
              </td>
              <Figures costs={a.costs} />
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
