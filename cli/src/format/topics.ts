/** Topic subscriptions for humans (decision 1960): the table of `caxton topics`. */
import type { FilterClause, TopicFilter, TopicSubscription } from '@caxton/core';
import { renderTable, truncate } from './table.js';

function clauseText(c: FilterClause): string {
  const m = c.match;
  if ('equals' in m) return `${c.field}=${m.equals}`;
  if ('prefix' in m) return `${c.field}^=${m.prefix}`;
  return `${c.field} in {${m.in.join(',')}}`;
}

/** `performative in {inform,propose} & X-region^=eu-`; `-` for no filter (every message). */
export function formatTopicFilter(filter: TopicFilter | undefined): string {
  if (filter === undefined || filter.all.length === 0) return '-';
  return filter.all.map(clauseText).join(' & ');
}

export function formatTopicTable(subs: readonly TopicSubscription[]): string {
  if (subs.length === 0) return 'no subscriptions\n';
  return renderTable<TopicSubscription>(
    [
      { header: 'TOPIC', value: (s) => s.topic },
      { header: 'AGENT', value: (s) => s.agent },
      { header: 'FILTER', value: (s) => truncate(formatTopicFilter(s.filter), 100) },
    ],
    subs,
  );
}
