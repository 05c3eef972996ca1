/** The live agents table: sortable by any column header, filtered by text; deploy for those with agents.deploy. */
import { useState } from 'preact/hooks';
import type { AgentRow, Permission } from '@caxton/core';
import type { Api } from '../api.js';
import { AGENT_COLUMNS, formatBytes, nextSort, visibleRows, type AgentColumn, type SortOrder } from '../model/table.js';
import { hrefOf } from '../route.js';
import { DeployForm } from '../components/deploy.js';

function cell(row: AgentRow, column: AgentColumn): string {
  const v = row[column];
  if (v === undefined) return '—';
  if (column === 'memoryBytes') return formatBytes(row.memoryBytes);
  if (column === 'fuelPerMessage') return Math.round(row.fuelPerMessage).toLocaleString('en');
  return typeof v === 'number' ? v.toLocaleString('en') : v;
}

export function AgentsPage(props: { api: Api; permissions: readonly Permission[]; agents: AgentRow[] }) {
  const [order, setOrder] = useState<SortOrder>({ column: 'name', descending: false });
  const [filter, setFilter] = useState('');
  const rows = visibleRows(props.agents, filter, order);
  return (
    <section aria-labelledby="agents-title">
      <h1 id="agents-title">Agents</h1>
      <div class="toolbar">
        <label for="agent-filter">Filter</label>
        <input
          id="agent-filter"
          type="search"
          placeholder="name, state, language…"
          value={filter}
          onInput={(e) => setFilter((e.target as HTMLInputElement).value)}
        />
        <span class="muted" aria-live="polite">
          {rows.length} of {props.agents.length} agents
        </span>
      </div>
      <table class="agents" data-testid="agents-table">
        <thead>
          <tr>
            {AGENT_COLUMNS.map((c) => {
              const sorted = order.column === c.column;
              return (
                <th
                  key={c.column}
                  scope="col"
                  class={c.numeric ? 'num' : ''}
                  aria-sort={sorted ? (order.descending ? 'descending' : 'ascending') : 'none'}
                >
                  <button type="button" class="sort" onClick={() => setOrder(nextSort(order, c.column))} aria-label={`Sort by ${c.label}`}>
                    {c.label}
                    {sorted ? (order.descending ? ' ▼' : ' ▲') : ''}
                  </button>
                </th>
              );
            })}
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr
              key={r.name}
              tabIndex={0}
              data-agent={r.name}
              aria-label={`${r.name}, ${r.state}`}
              onKeyDown={(e) => {
                if (e.key === 'Enter') location.hash = hrefOf({ page: 'agent', name: r.name });
              }}
              onDblClick={() => {
                location.hash = hrefOf({ page: 'agent', name: r.name });
              }}
            >
              {AGENT_COLUMNS.map((c) => (
                <td key={c.column} class={`${c.numeric ? 'num' : ''} col-${c.column}`}>
                  {c.column === 'name' ? (
                    <a href={hrefOf({ page: 'agent', name: r.name })} tabIndex={-1}>
                      {r.name}
                    </a>
                  ) : c.column === 'state' ? (
                    <>
                      <span class={`state state-${r.state.toLowerCase()}`}>{r.state}</span>
                      {r.breaker ? (
                        <span class="breaker" data-testid="breaker">
                          {' '}
                          (breaker {r.breaker})
                        </span>
                      ) : null}
                    </>
                  ) : (
                    cell(r, c.column)
                  )}
                </td>
              ))}
            </tr>
          ))}
          {rows.length === 0 && (
            <tr>
              <td colSpan={AGENT_COLUMNS.length} class="muted">
                No agents{filter ? ' match the filter' : ' deployed'}.
              </td>
            </tr>
          )}
        </tbody>
      </table>
      {props.permissions.includes('agents.deploy') && <DeployForm api={props.api} />}
    </section>
  );
}
