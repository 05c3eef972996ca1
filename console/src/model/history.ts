/**
 * The sniffer's memory: messages from the live stream and from older history pages, each once,
 * oldest first, at most `cap` of them (the oldest go first when a busy bus overflows it, so the
 * browser's memory and the diagram's layout time stay bounded however long the page is open).
 */
import type { SniffedMessage } from '@caxton/core';

export const DEFAULT_HISTORY_CAP = 5000;

export interface History {
  readonly messages: readonly SniffedMessage[];
  /** Ids held, for de-duplication of a message seen both live and in a history page. */
  readonly ids: ReadonlySet<string>;
  /** How many messages the cap pushed out (said on screen). */
  readonly evicted: number;
}

export const emptyHistory: History = { messages: [], ids: new Set(), evicted: 0 };

function byTime(a: SniffedMessage, b: SniffedMessage): number {
  return a.time < b.time ? -1 : a.time > b.time ? 1 : 0;
}

/** A new history with `incoming` added (live or older, in any order); never mutates `h`. */
export function addMessages(h: History, incoming: readonly SniffedMessage[], cap = DEFAULT_HISTORY_CAP): History {
  const fresh = incoming.filter((m, i) => !h.ids.has(m.id) && incoming.findIndex((o) => o.id === m.id) === i);
  if (fresh.length === 0) return h;
  let messages: SniffedMessage[];
  const last = h.messages[h.messages.length - 1];
  const sortedFresh = [...fresh].sort(byTime);
  if (last === undefined || byTime(last, sortedFresh[0]!) <= 0)
    messages = [...h.messages, ...sortedFresh]; // the live case: appended
  else messages = [...h.messages, ...sortedFresh].sort(byTime); // a stable sort keeps arrival order of equal times
  let evicted = h.evicted;
  if (messages.length > cap) {
    evicted += messages.length - cap;
    messages = messages.slice(messages.length - cap);
  }
  return { messages, ids: new Set(messages.map((m) => m.id)), evicted };
}
