/** Compact, comparable renderings of accepted messages: `sender → receivers performative`. */
import type { Accepted } from './test-node.js';
import { local } from './test-node.js';

export function arrow(a: Accepted): string {
  const to = a.message.receivers
    .map((r) => local(r))
    .sort()
    .join(',');
  return `${local(a.message.sender)} → ${to} ${a.message.performative}`;
}

/** Index of the first accepted message matching `pred` in `list`; fails loudly when absent. */
export function indexOf(list: Accepted[], what: string, pred: (a: Accepted) => boolean): number {
  const i = list.findIndex(pred);
  if (i < 0) throw new Error(`no accepted message: ${what}\nflow:\n${list.map(arrow).join('\n')}`);
  return i;
}
