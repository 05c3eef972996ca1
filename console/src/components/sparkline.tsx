/** A small SVG line of the last 60 s, with the latest value in words for screen readers. */
export function Sparkline(props: { values: number[]; label: string; unit: string; width?: number; height?: number }) {
  const w = props.width ?? 180;
  const h = props.height ?? 36;
  const vs = props.values.length > 0 ? props.values : [0];
  const max = Math.max(...vs, 1e-9);
  const step = vs.length > 1 ? w / (vs.length - 1) : 0;
  const points = vs.map((v, i) => `${(i * step).toFixed(1)},${(h - 2 - (v / max) * (h - 4)).toFixed(1)}`).join(' ');
  const last = vs[vs.length - 1] ?? 0;
  const text = `${props.label}: ${last.toFixed(last < 10 ? 1 : 0)} ${props.unit} now, peak ${max.toFixed(max < 10 ? 1 : 0)} ${props.unit} in the last ${vs.length} s`;
  return (
    <figure class="spark">
      <svg width={w} height={h} viewBox={`0 0 ${w} ${h}`} role="img" aria-label={text}>
        <polyline points={points} fill="none" stroke="#1f5fbf" stroke-width="1.5" />
      </svg>
      <figcaption>
        {props.label}: <strong>{last.toFixed(last < 10 ? 1 : 0)}</strong> {props.unit}
      </figcaption>
    </figure>
  );
}
