/**
 * The sniffer: a live sequence diagram of the bus, filtered (agent, conversation, performative,
 * protocol — sent to the server, which filters the stream and the history), paused and resumed,
 * scrolled back through the message log, with any message opened whole and a conversation
 * exported as SVG or JSON lines. Only the rows in view are in the DOM (model/sequence.ts).
 */
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from 'preact/hooks';
import { render } from 'preact';
import { matchesConsoleFilter, type AgentRow, type ConsoleMessageFilter, type SniffedMessage } from '@caxton/core';
import type { Api } from '../api.js';
import type { LiveState } from '../model/live-state.js';
import { HEADER_HEIGHT, conversationsOf, layoutSequence, toJsonLines, visibleItems, type ArrowItem } from '../model/sequence.js';
import { KIND_COLOUR, KIND_LABEL, type PerformativeKind } from '../model/kinds.js';
import { SequenceSvg } from '../components/sequence.js';
import { MessageView } from '../components/message-view.js';
import { ReplaySteps, type AgentReplay } from '../components/replay-steps.js';

const PERFORMATIVES = [
  'cfp',
  'propose',
  'accept-proposal',
  'reject-proposal',
  'refuse',
  'inform',
  'failure',
  'request',
  'agree',
  'not-understood',
  'query-ref',
  'query-if',
  'subscribe',
  'cancel',
];

function download(name: string, type: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/** The whole conversation's diagram as a standalone SVG file (rendered off-screen, then serialised). */
function conversationSvg(messages: readonly SniffedMessage[], conversationId: string): string {
  const diagram = layoutSequence(messages);
  const host = document.createElement('div');
  render(<SequenceSvg diagram={diagram} items={diagram.items} title={`Conversation ${conversationId}`} />, host);
  const svg = host.querySelector('svg');
  const text = svg ? new XMLSerializer().serializeToString(svg) : '';
  render(null, host);
  return `<?xml version="1.0" encoding="UTF-8"?>\n${text}\n`;
}

function fileSafe(id: string): string {
  return id.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 80) || 'conversation';
}

export function SnifferPage(props: {
  api: Api;
  live: LiveState;
  agents: AgentRow[];
  filter: ConsoleMessageFilter;
  onFilter(f: ConsoleMessageFilter): void;
  paused: boolean;
  onPause(p: boolean): void;
  onOlder(messages: SniffedMessage[]): void;
}) {
  const { live, filter } = props;
  const [lifelines, setLifelines] = useState<string[]>([]);
  const [selected, setSelected] = useState<SniffedMessage | null>(null);
  const [cursor, setCursor] = useState<string | undefined | null>(undefined); // null: no older pages
  const [loading, setLoading] = useState(false);
  const [loadError, setLoadError] = useState<string | undefined>();
  const [view, setView] = useState({ top: 0, height: 600, width: 880 });
  const [replays, setReplays] = useState<AgentReplay[] | 'loading' | undefined>(undefined);
  const scroller = useRef<HTMLDivElement>(null);
  const stickToBottom = useRef(true);

  const loadOlder = async (before?: string): Promise<void> => {
    setLoading(true);
    setLoadError(undefined);
    try {
      const page = await props.api.messages(filter, before, 200);
      props.onOlder(page.messages);
      setCursor(page.nextBefore ?? null);
    } catch (e) {
      setLoadError((e as Error).message);
    } finally {
      setLoading(false);
    }
  };

  // A new filter starts from the newest page of history.
  useEffect(() => {
    setCursor(undefined);
    void loadOlder();
  }, [JSON.stringify(filter)]);

  const shown = useMemo(() => live.history.messages.filter((m) => matchesConsoleFilter(filter, m)), [live.history, filter]);
  const diagram = useMemo(() => layoutSequence(shown, lifelines, view.width), [shown, lifelines, view.width]);
  // The scroller shows the body, whose first pixel is the diagram's y = HEADER_HEIGHT.
  const items = visibleItems(diagram, view.top + HEADER_HEIGHT, view.height);
  const conversations = useMemo(() => conversationsOf(live.history.messages), [live.history]);
  const arrows = items.filter((i): i is ArrowItem => i.type === 'arrow').length;

  // Follow the newest message unless the reader scrolled up (or paused).
  useLayoutEffect(() => {
    const el = scroller.current;
    if (el && stickToBottom.current && !props.paused) el.scrollTop = el.scrollHeight;
  }, [diagram.height]);

  const onScroll = (): void => {
    const el = scroller.current;
    if (!el) return;
    stickToBottom.current = el.scrollTop + el.clientHeight >= el.scrollHeight - 40;
    setView({ top: el.scrollTop, height: el.clientHeight, width: el.clientWidth });
  };
  useEffect(onScroll, []);

  const set = (patch: Partial<ConsoleMessageFilter>): void => {
    const next: ConsoleMessageFilter = { ...filter, ...patch };
    for (const k of Object.keys(next) as (keyof ConsoleMessageFilter)[]) if (!next[k]) delete next[k];
    setSelected(null);
    setReplays(undefined);
    props.onFilter(next);
  };

  const sampledRecently = live.sampled && Date.now() - live.sampled.at < 10_000 ? live.sampled : undefined;
  const conversationMessages = filter.conversation ? shown.filter((m) => m.conversationId === filter.conversation) : [];
  const agentNames = props.agents.map((a) => a.name);

  // The conversation's agents deployed here, each replayed on the node (its steps come back separately).
  const replayConversation = async (conversation: string): Promise<void> => {
    const local = (n: string): string => n.split('@')[0]!;
    const deployed = new Set(agentNames.map(local));
    const taking = [...new Set(conversationMessages.flatMap((m) => [m.sender, ...m.receivers]).map(local))].filter((n) => deployed.has(n));
    setReplays('loading');
    // Two at a time: the node runs at most two replays at once, in its own thread.
    const out: AgentReplay[] = [];
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < taking.length) {
        const agent = taking[next++]!;
        try {
          out.push({ agent, replay: await props.api.replay(agent, conversation) });
        } catch (e) {
          out.push({ agent, error: (e as Error).message });
        }
      }
    };
    await Promise.all([worker(), worker()]);
    setReplays(out);
  };

  return (
    <section aria-labelledby="sniffer-title" class="sniffer">
      <h1 id="sniffer-title">Sniffer</h1>
      <form class="toolbar filters" aria-label="Sniffer filters" onSubmit={(e) => e.preventDefault()}>
        <label>
          Agent
          <select
            value={filter.agent ?? ''}
            onChange={(e) => set({ agent: (e.target as HTMLSelectElement).value })}
            data-testid="filter-agent"
          >
            <option value="">any</option>
            {agentNames.map((n) => (
              <option key={n} value={n}>
                {n}
              </option>
            ))}
          </select>
        </label>
        <label>
          Conversation
          <select
            value={filter.conversation ?? ''}
            onChange={(e) => set({ conversation: (e.target as HTMLSelectElement).value })}
            data-testid="filter-conversation"
          >
            <option value="">any</option>
            {filter.conversation && !conversations.some((c) => c.id === filter.conversation) && (
              <option value={filter.conversation}>{filter.conversation}</option>
            )}
            {conversations.map((c) => (
              <option key={c.id} value={c.id}>
                {c.id}
                {c.protocol ? ` (${c.protocol})` : ''} · {c.count}
              </option>
            ))}
          </select>
        </label>
        <label>
          Performative
          <select
            value={filter.performative ?? ''}
            onChange={(e) => set({ performative: (e.target as HTMLSelectElement).value })}
            data-testid="filter-performative"
          >
            <option value="">any</option>
            {PERFORMATIVES.map((p) => (
              <option key={p} value={p}>
                {p}
              </option>
            ))}
          </select>
        </label>
        <label>
          Protocol
          <input
            value={filter.protocol ?? ''}
            placeholder="fipa-contract-net"
            data-testid="filter-protocol"
            onChange={(e) => set({ protocol: (e.target as HTMLInputElement).value.trim() })}
          />
        </label>
        <button type="button" onClick={() => props.onPause(!props.paused)} aria-pressed={props.paused} data-testid="pause">
          {props.paused ? `Resume${live.pending ? ` (${live.pending} waiting)` : ''}` : 'Pause'}
        </button>
        <button
          type="button"
          disabled={loading || cursor === null}
          onClick={() => void loadOlder(cursor ?? undefined)}
          data-testid="load-older"
        >
          {loading ? 'Loading…' : cursor === null ? 'No older messages' : 'Load older'}
        </button>
        <button
          type="button"
          disabled={!filter.conversation || conversationMessages.length === 0 || replays === 'loading'}
          data-testid="replay"
          title="Run each agent of this conversation again on the node's log, and show its handlings step by step"
          onClick={() => void replayConversation(filter.conversation!)}
        >
          Replay
        </button>
        <button
          type="button"
          disabled={!filter.conversation || conversationMessages.length === 0}
          data-testid="export-svg"
          onClick={() =>
            download(`${fileSafe(filter.conversation!)}.svg`, 'image/svg+xml', conversationSvg(conversationMessages, filter.conversation!))
          }
        >
          Export SVG
        </button>
        <button
          type="button"
          disabled={!filter.conversation || conversationMessages.length === 0}
          data-testid="export-jsonl"
          onClick={() => download(`${fileSafe(filter.conversation!)}.jsonl`, 'application/x-ndjson', toJsonLines(conversationMessages))}
        >
          Export JSON lines
        </button>
      </form>
      <details class="lifelines">
        <summary>
          Lifelines: {lifelines.length === 0 ? 'every agent taking part' : lifelines.map((n) => n.split('@')[0]).join(', ')}
        </summary>
        <fieldset>
          <legend>Draw only these agents (none ticked: all that take part)</legend>
          {agentNames.map((n) => (
            <label key={n} class="check">
              <input
                type="checkbox"
                checked={lifelines.includes(n)}
                onChange={(e) =>
                  setLifelines((e.target as HTMLInputElement).checked ? [...lifelines, n] : lifelines.filter((x) => x !== n))
                }
              />
              {n}
            </label>
          ))}
        </fieldset>
      </details>
      <p class="legend" aria-label="Arrow colours">
        {(Object.keys(KIND_COLOUR) as PerformativeKind[]).map((k) => (
          <span key={k}>
            <svg width="14" height="10" aria-hidden="true">
              <rect width="14" height="10" rx="2" fill={KIND_COLOUR[k]} />
            </svg>
            {KIND_LABEL[k]}
          </span>
        ))}
      </p>
      <div aria-live="polite" class="notices">
        {sampledRecently && (
          <p class="sampled" data-testid="sampled">
            The bus is faster than a screen: the server showed {sampledRecently.shown} and skipped {sampledRecently.dropped} messages in the
            last {(sampledRecently.windowMs / 1000).toFixed(0)} s. Filter to a conversation to see all of it.
          </p>
        )}
        {live.history.evicted > 0 && <p class="muted">The oldest {live.history.evicted} messages were let go to keep the page fast.</p>}
        {props.paused && (
          <p class="paused">
            Paused: {live.pending} new message{live.pending === 1 ? '' : 's'} waiting.
          </p>
        )}
        {loadError && (
          <p class="error" role="alert">
            Could not load history: {loadError}
          </p>
        )}
      </div>
      <div class="sniffer-body">
        <div
          class="diagram"
          ref={scroller}
          onScroll={onScroll}
          tabIndex={0}
          aria-label="Sequence diagram, scrollable"
          data-testid="diagram"
        >
          {shown.length === 0 ? (
            <p class="muted empty">No messages yet{Object.keys(filter).length ? ' for this filter' : ''}.</p>
          ) : (
            <>
              <div class="diagram-header">
                <SequenceSvg diagram={diagram} items={[]} part="header" />
              </div>
              <SequenceSvg diagram={diagram} items={items} part="body" selectedId={selected?.id} onSelect={(a) => setSelected(a.message)} />
            </>
          )}
        </div>
        <aside class="message-panel" aria-label="Selected message">
          {selected ? (
            <MessageView message={selected} onClose={() => setSelected(null)} />
          ) : (
            <p class="muted">Click an arrow (or focus it and press Enter) to see the whole message.</p>
          )}
        </aside>
      </div>
      {replays !== undefined && filter.conversation && (
        <ReplaySteps conversation={filter.conversation} replays={replays} onClose={() => setReplays(undefined)} />
      )}
      <p class="muted small">
        {shown.length} messages held, {arrows} drawn in view · stream {live.status}
      </p>
    </section>
  );
}
