/**
 * Layout of the sniffer's sequence diagram, as numbers only (the SVG component draws them): one
 * lifeline per agent, one row per message, messages grouped by conversation under a band that
 * names the conversation, its protocol, its last protocol state and its reply-by deadline.
 * Pure and unit-tested; `visibleItems` is the window that keeps rendering cheap on a long history.
 */
import type { SniffedMessage } from '@caxton/core';
import { performativeKind, type PerformativeKind } from './kinds.js';

export const LANE_WIDTH = 135;
export const MARGIN_X = 80;
export const HEADER_HEIGHT = 48;
export const ROW_HEIGHT = 30;
export const BAND_HEIGHT = 34;

export interface Lifeline {
  name: string;
  label: string;
  x: number;
}

/** Narrowest lane that still fits a name like `courier-a`; wider diagrams scroll sideways. */
export const MIN_LANE_WIDTH = 110;

export interface BandItem {
  type: 'band';
  y: number;
  conversationId: string;
  protocol?: string;
  protocolState?: string;
  replyBy?: string;
  messages: number;
}

export interface ArrowItem {
  type: 'arrow';
  y: number;
  message: SniffedMessage;
  kind: PerformativeKind;
  fromX: number;
  /** x of each receiver drawn (those with a lifeline); the sender's own x for a message to itself. */
  toXs: number[];
  selfMessage: boolean;
}

export type DiagramItem = BandItem | ArrowItem;

export interface Diagram {
  lifelines: Lifeline[];
  items: DiagramItem[];
  width: number;
  height: number;
  laneWidth: number;
}

/** The name before `@`: what a person calls the agent. */
export function shortName(name: string): string {
  const at = name.indexOf('@');
  return at < 0 ? name : name.slice(0, at);
}

const NO_CONVERSATION = '(no conversation)';

/**
 * Lay out `messages` (oldest first). `agents`, when given, are the lifelines (in that order) and
 * only messages between them are drawn; otherwise every agent that takes part gets a lifeline, in
 * order of first appearance, so an initiator stands left of those it calls. With `fitWidth` (the
 * pixels available) lanes narrow down to MIN_LANE_WIDTH so that more agents fit without scrolling.
 */
export function layoutSequence(messages: readonly SniffedMessage[], agents?: readonly string[], fitWidth?: number): Diagram {
  const chosen = agents && agents.length > 0 ? new Set(agents) : undefined;
  const names: string[] = chosen ? [...chosen] : [];
  const seen = new Set(names);
  const drawn = messages.filter((m) => !chosen || (chosen.has(m.sender) && m.receivers.some((r) => chosen.has(r))));
  if (!chosen) {
    for (const m of drawn) {
      for (const n of [m.sender, ...m.receivers])
        if (!seen.has(n)) {
          seen.add(n);
          names.push(n);
        }
    }
  }
  const fitted = fitWidth !== undefined && names.length > 1 ? Math.floor((fitWidth - 2 * MARGIN_X) / (names.length - 1)) : LANE_WIDTH;
  const laneWidth = Math.max(MIN_LANE_WIDTH, Math.min(LANE_WIDTH, fitted));
  const lifelines = names.map((name, i) => ({ name, label: shortName(name), x: MARGIN_X + i * laneWidth }));
  const xOf = new Map(lifelines.map((l) => [l.name, l.x]));

  // Conversations in order of their first message; each keeps its messages in time order.
  const groups = new Map<string, SniffedMessage[]>();
  for (const m of drawn) {
    const key = m.conversationId ?? NO_CONVERSATION;
    let g = groups.get(key);
    if (!g) {
      g = [];
      groups.set(key, g);
    }
    g.push(m);
  }

  const items: DiagramItem[] = [];
  let y = HEADER_HEIGHT;
  for (const [conversationId, group] of groups) {
    const lastWithState = [...group].reverse().find((m) => m.protocolState !== undefined);
    const lastDeadline = [...group].reverse().find((m) => m.replyBy !== undefined);
    const band: BandItem = { type: 'band', y, conversationId, messages: group.length };
    const protocol = group.find((m) => m.protocol !== undefined)?.protocol;
    if (protocol !== undefined) band.protocol = protocol;
    if (lastWithState?.protocolState !== undefined) band.protocolState = lastWithState.protocolState;
    if (lastDeadline?.replyBy !== undefined) band.replyBy = lastDeadline.replyBy;
    items.push(band);
    y += BAND_HEIGHT;
    for (const message of group) {
      const fromX = xOf.get(message.sender) ?? MARGIN_X;
      const toXs = message.receivers.map((r) => xOf.get(r)).filter((x): x is number => x !== undefined);
      const selfMessage = toXs.length === 0 || toXs.every((x) => x === fromX);
      items.push({
        type: 'arrow',
        y: y + ROW_HEIGHT / 2,
        message,
        kind: performativeKind(message.performative),
        fromX,
        toXs: selfMessage ? [fromX] : toXs,
        selfMessage,
      });
      y += ROW_HEIGHT;
    }
  }
  const width = 2 * MARGIN_X + Math.max(lifelines.length - 1, 0) * laneWidth;
  return { lifelines, items, width, height: y + ROW_HEIGHT, laneWidth };
}

/**
 * The items that intersect the viewport [top, top + height) plus `overscan` pixels each side, at
 * most `maxArrows` arrows (the newest kept): the DOM holds a screenful, not the whole history.
 */
export function visibleItems(d: Diagram, top: number, height: number, maxArrows = 300, overscan = 200): DiagramItem[] {
  const lo = top - overscan;
  const hi = top + height + overscan;
  const inView = d.items.filter((it) => {
    const bottom = it.type === 'band' ? it.y + BAND_HEIGHT : it.y + ROW_HEIGHT / 2;
    const start = it.type === 'band' ? it.y : it.y - ROW_HEIGHT / 2;
    return bottom >= lo && start <= hi;
  });
  let arrows = 0;
  const out: DiagramItem[] = [];
  for (let i = inView.length - 1; i >= 0; i--) {
    const it = inView[i]!;
    if (it.type === 'arrow') {
      if (arrows >= maxArrows) continue;
      arrows++;
    }
    out.push(it);
  }
  return out.reverse();
}

/** One JSON object per line: the conversation's messages as the server sent them (jq-friendly). */
export function toJsonLines(messages: readonly SniffedMessage[]): string {
  return messages.map((m) => JSON.stringify(m)).join('\n') + (messages.length > 0 ? '\n' : '');
}

/** Conversations present in `messages`, newest activity first, for the filter's drop-down. */
export function conversationsOf(messages: readonly SniffedMessage[]): { id: string; protocol?: string; count: number }[] {
  const out = new Map<string, { id: string; protocol?: string; count: number; last: string }>();
  for (const m of messages) {
    if (m.conversationId === undefined) continue;
    const c = out.get(m.conversationId) ?? { id: m.conversationId, count: 0, last: m.time };
    c.count++;
    c.last = m.time;
    if (m.protocol !== undefined) c.protocol = m.protocol;
    out.set(m.conversationId, c);
  }
  return [...out.values()].sort((a, b) => (a.last < b.last ? 1 : a.last > b.last ? -1 : 0)).map(({ last: _last, ...rest }) => rest);
}
