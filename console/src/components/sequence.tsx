/**
 * Draws a laid-out sequence diagram (model/sequence.ts) as SVG. Arrowheads are polygons and colours
 * are attributes, so the same markup exported as a file stands alone. Each arrow is a focusable
 * button: Enter or a click opens the whole message.
 */
import type { ArrowItem, BandItem, Diagram, DiagramItem } from '../model/sequence.js';
import { BAND_HEIGHT, HEADER_HEIGHT } from '../model/sequence.js';
import { KIND_COLOUR } from '../model/kinds.js';
import { shortName } from '../model/sequence.js';

const FONT = 'system-ui, "DejaVu Sans", sans-serif';

function head(x: number, y: number, pointsRight: boolean, colour: string) {
  const d = pointsRight ? -8 : 8;
  return <polygon points={`${x},${y} ${x + d},${y - 4} ${x + d},${y + 4}`} fill={colour} />;
}

/** A name cut to what fits its box (about 7 px a character at 12 px). */
function fitLabel(label: string, laneWidth: number): string {
  const max = Math.floor((laneWidth - 16) / 7);
  return label.length > max ? `${label.slice(0, max - 1)}…` : label;
}

function deadline(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toISOString().slice(11, 23);
}

function Band(props: { band: BandItem; width: number }) {
  const b = props.band;
  const parts = [`conversation ${b.conversationId}`];
  if (b.protocol) parts.push(b.protocol);
  if (b.protocolState) parts.push(`state ${b.protocolState}`);
  if (b.replyBy) parts.push(`reply by ${deadline(b.replyBy)}`);
  parts.push(`${b.messages} message${b.messages === 1 ? '' : 's'}`);
  return (
    <g class="band" data-conversation={b.conversationId}>
      <rect x={0} y={b.y + 4} width={props.width} height={BAND_HEIGHT - 8} fill="#eef2f7" stroke="#c5cfdc" rx={4} />
      <text x={10} y={b.y + BAND_HEIGHT / 2 + 4} font-size="12" font-family={FONT} fill="#1d2733">
        {parts.join(' · ')}
      </text>
    </g>
  );
}

function Arrow(props: { arrow: ArrowItem; selected: boolean; onSelect(a: ArrowItem): void }) {
  const a = props.arrow;
  const colour = KIND_COLOUR[a.kind];
  const m = a.message;
  const label = `${m.performative} from ${shortName(m.sender)} to ${m.receivers.map(shortName).join(', ')}`;
  const y = a.y;
  const minX = Math.min(a.fromX, ...a.toXs);
  const maxX = Math.max(a.fromX, ...a.toXs);
  const textX = a.selfMessage ? a.fromX + 30 : (a.fromX + (a.toXs[0] ?? a.fromX)) / 2;
  return (
    <g
      class={`arrow kind-${a.kind}${props.selected ? ' selected' : ''}`}
      tabindex={0}
      role="button"
      aria-label={label}
      data-performative={m.performative}
      data-message-id={m.id}
      data-conversation={m.conversationId ?? ''}
      onClick={() => props.onSelect(a)}
      onKeyDown={(e) => {
        if (e.key === 'Enter' || e.key === ' ') {
          e.preventDefault();
          props.onSelect(a);
        }
      }}
    >
      <title>{label}</title>
      {/* A wide transparent hit area: a 1.5 px line is hard to click. */}
      <rect x={minX - 4} y={y - 14} width={Math.max(maxX - minX, 40) + 8} height={20} fill="transparent" />
      {a.selfMessage ? (
        <path d={`M${a.fromX},${y - 6} h24 v12 h-22`} fill="none" stroke={colour} stroke-width={props.selected ? 3 : 1.5} />
      ) : (
        <line x1={a.fromX} y1={y} x2={a.fromX < maxX ? maxX : minX} y2={y} stroke={colour} stroke-width={props.selected ? 3 : 1.5} />
      )}
      {a.selfMessage ? head(a.fromX, y + 6, false, colour) : a.toXs.map((x) => head(x, y, x > a.fromX, colour))}
      {a.toXs.some((x) => x < a.fromX) && a.toXs.some((x) => x > a.fromX) && (
        <line x1={a.fromX} y1={y} x2={minX} y2={y} stroke={colour} stroke-width={props.selected ? 3 : 1.5} />
      )}
      <text
        x={textX}
        y={y - 5}
        text-anchor={a.selfMessage ? 'start' : 'middle'}
        font-size="12"
        font-family={FONT}
        fill={colour}
        font-weight={props.selected ? 'bold' : 'normal'}
      >
        {m.performative}
      </text>
    </g>
  );
}

/**
 * The diagram. `items` is the window to draw (all of `diagram.items` for an export); lifelines run
 * the diagram's full height so the scroll position never shows their ends. `part` splits it for
 * the page: the 'header' (the agents' names, kept in view while scrolling) and the 'body' (the
 * rows); an export draws the 'whole'.
 */
export function SequenceSvg(props: {
  diagram: Diagram;
  items: DiagramItem[];
  part?: 'whole' | 'header' | 'body';
  selectedId?: string | undefined;
  onSelect?(a: ArrowItem): void;
  title?: string;
}) {
  const d = props.diagram;
  const part = props.part ?? 'whole';
  const select = props.onSelect ?? (() => undefined);
  const top = part === 'body' ? HEADER_HEIGHT : 0;
  const bottom = part === 'header' ? HEADER_HEIGHT : d.height;
  const height = bottom - top;
  return (
    <svg
      xmlns="http://www.w3.org/2000/svg"
      width={d.width}
      height={height}
      viewBox={`0 ${top} ${d.width} ${height}`}
      role={part === 'header' ? 'img' : 'group'}
      class={`sequence sequence-${part}`}
      aria-label={
        part === 'header'
          ? `Lifelines: ${d.lifelines.map((l) => l.label).join(', ')}`
          : (props.title ?? 'Sequence diagram of the sniffed messages')
      }
    >
      <rect x={0} y={top} width={d.width} height={height} fill="#ffffff" />
      {d.lifelines.map((l) => (
        <g key={l.name} class="lifeline" data-agent={l.name}>
          {part !== 'header' && <line x1={l.x} y1={HEADER_HEIGHT - 8} x2={l.x} y2={d.height} stroke="#9aa5b1" stroke-dasharray="4 4" />}
          {part !== 'body' && (
            <>
              <rect
                x={l.x - (d.laneWidth - 10) / 2}
                y={8}
                width={d.laneWidth - 10}
                height={HEADER_HEIGHT - 18}
                rx={4}
                fill="#ffffff"
                stroke="#5b6673"
              />
              <text x={l.x} y={HEADER_HEIGHT / 2 + 4} text-anchor="middle" font-size="12" font-family={FONT} fill="#1d2733">
                <title>{l.name}</title>
                {fitLabel(l.label, d.laneWidth)}
              </text>
            </>
          )}
        </g>
      ))}
      {part !== 'header' &&
        props.items.map((it) =>
          it.type === 'band' ? (
            <Band key={`band:${it.conversationId}`} band={it} width={d.width} />
          ) : (
            <Arrow key={it.message.id} arrow={it} selected={it.message.id === props.selectedId} onSelect={select} />
          ),
        )}
    </svg>
  );
}
